//! How sure a suggestion is: Wilson score intervals on rates, medians, and
//! the documented minimum below which no suggestion is made.

use serde::Serialize;

/// The fewest observations a rate or a count needs before `advise`
/// suggests anything from it (docs/advice.md); below it the check is
/// listed as "not enough data".
pub const MIN_COUNT: u64 = 5;

/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// How sure a suggestion is, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The estimate clears the threshold, but the interval reaches past
    /// it: worth a look, not a conclusion.
    Low,
    /// The estimate clears the threshold; the interval does not fully.
    Medium,
    /// The whole 95 % interval clears the threshold.
    High,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// A rate with its 95 % Wilson score interval: `count` of `of`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rate {
    pub count: u64,
    pub of: u64,
    /// `count / of`.
    pub rate: f64,
    /// The interval's ends, between 0 and 1.
    pub low: f64,
    pub high: f64,
}

impl Rate {
    /// `count` of `of`; `None` when `of` is 0.
    pub fn of(count: u64, of: u64) -> Option<Rate> {
        let (low, high) = wilson(count, of)?;
        Some(Rate {
            count,
            of,
            rate: count as f64 / of as f64,
            low,
            high,
        })
    }

    /// How sure a claim that the rate is at least `threshold` is:
    /// `High` when the whole interval is at or above it, else `Medium`.
    pub fn level_above(&self, threshold: f64) -> Level {
        if self.low >= threshold {
            Level::High
        } else {
            Level::Medium
        }
    }

    /// `80 % (95 % interval 49–94 %)`.
    pub fn describe(&self) -> String {
        format!(
            "{} (95 % interval {}–{})",
            percent(self.rate),
            percent_bare(self.low),
            percent(self.high)
        )
    }
}

/// The Wilson score interval (95 %) of `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let k = k.min(n);
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// `0.8` as `80 %`.
pub fn percent(x: f64) -> String {
    format!("{} %", percent_bare(x))
}

fn percent_bare(x: f64) -> String {
    format!("{:.0}", (x * 100.0).clamp(0.0, 100.0))
}

/// The median of `values` (the lower middle for an even count, so it is
/// one of the values); `None` when there are none.
pub fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    Some(sorted[(sorted.len() - 1) / 2])
}

/// A span of seconds as people say it: `45 s`, `12 min`, `3 h 5 min`,
/// `2 d 4 h`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => match (s % 3600) / 60 {
            0 => format!("{} h", s / 3600),
            m => format!("{} h {m} min", s / 3600),
        },
        _ => match (s % 86_400) / 3600 {
            0 => format!("{} d", s / 86_400),
            h => format!("{} d {h} h", s / 86_400),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-4
    }

    #[test]
    fn wilson_matches_published_values() {
        // Reference values computed from the closed form (Wilson 1927;
        // Newcombe 1998, method 3).
        let cases = [
            (8, 10, 0.4902, 0.9433),
            (0, 10, 0.0, 0.2775),
            (10, 10, 0.7225, 1.0),
            (1, 2, 0.0945, 0.9055),
            (81, 263, 0.2553, 0.3662),
        ];
        for (k, n, low, high) in cases {
            let (l, h) = wilson(k, n).unwrap();
            assert!(close(l, low) && close(h, high), "{k}/{n}: {l} {h}");
        }
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn levels_and_words() {
        let rate = Rate::of(8, 10).unwrap();
        assert_eq!(rate.level_above(0.5), Level::Medium);
        assert_eq!(rate.describe(), "80 % (95 % interval 49–94 %)");
        assert_eq!(Rate::of(19, 20).unwrap().level_above(0.5), Level::High);
        assert_eq!(Rate::of(1, 0), None);
    }

    #[test]
    fn medians_and_durations() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[9, 1, 5, 7]), Some(5));
        assert_eq!(duration(42), "42 s");
        assert_eq!(duration(600), "10 min");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(3 * 3600 + 300), "3 h 5 min");
        assert_eq!(duration(2 * 86_400 + 4 * 3600), "2 d 4 h");
    }
}
