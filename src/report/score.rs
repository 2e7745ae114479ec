//! `score`: the effectiveness rating, the current window against the one
//! before, with the predecessor's rules and thresholds from `[score]`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::bypass::{BypassCount, Bypasses};
use super::labels::LabelCounts;
use super::{Fold, Split, Stored, Trend, Window};
use crate::config::{JustifiedBypasses, Score as Config};
use crate::event::{Event, types};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Excellent,
    Good,
    Concerning,
    Critical,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Excellent => "excellent",
            Rating::Good => "good",
            Rating::Concerning => "concerning",
            Rating::Critical => "critical",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Rating::Excellent => "Enforcement is working: few violations, fewer blocked imports, no bypasses",
            Rating::Good => "Enforcement is working with minor issues",
            Rating::Concerning => {
                "Enforcement needs attention: violations, blocked imports or bypasses are rising"
            }
            Rating::Critical => "Enforcement is failing: too many violations or repeated bypasses",
        }
    }
}

/// One metric of the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metric {
    pub current_week: u64,
    pub previous_week: u64,
    pub trend: Trend,
    pub threshold: String,
}

/// The result of `score`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    pub rating: Rating,
    pub description: String,
    /// `violations`, `import_blocked`, `bypasses`.
    pub breakdown: BTreeMap<String, Metric>,
    pub window_days: u64,
    pub period: String,
    pub total_events: Totals,
    pub malformed: u64,
    /// Every bypass of the current window, by category. The rating counts
    /// the types of `[score] bypass_types` (the `bypasses` metric of the
    /// breakdown); this counts them all, as the other reports do.
    pub bypasses: Bypasses,
    /// The rating's bypasses (the `bypasses` metric's current window) by
    /// label.
    pub bypass_labels: LabelCounts,
    /// `[score] justified_bypasses`: whether those labelled justified can
    /// make the rating critical.
    pub justified_bypasses: JustifiedBypasses,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub current: u64,
    pub previous: u64,
}

/// Counts of the current and the previous window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pair {
    pub current: u64,
    pub previous: u64,
}

pub struct ScoreFold<'a> {
    config: &'a Config,
    current: Window,
    previous: Window,
    violations: Pair,
    imports: Pair,
    bypasses: Pair,
    totals: Pair,
    all_bypasses: BypassCount,
}

impl<'a> ScoreFold<'a> {
    pub fn new(now: DateTime<FixedOffset>, config: &'a Config) -> ScoreFold<'a> {
        let days = config.window_days.get();
        let current = Window::last_days(now, days);
        ScoreFold {
            config,
            all_bypasses: BypassCount::new(current, &config.bypass_types)
                .treating_justified(config.justified_bypasses),
            current,
            previous: Window::previous_days(now, days),
            violations: Pair::default(),
            imports: Pair::default(),
            bypasses: Pair::default(),
            totals: Pair::default(),
        }
    }

    pub fn finish(self, malformed: u64) -> Score {
        let labels = self.all_bypasses.listed_labels();
        let not_critical = match self.config.justified_bypasses {
            JustifiedBypasses::Critical => 0,
            JustifiedBypasses::NonCritical => labels.justified,
        };
        let mut score = rate(
            self.config,
            self.violations,
            self.imports,
            Rated {
                bypasses: self.bypasses,
                not_critical,
            },
            self.totals,
            malformed,
        );
        score.bypasses = self.all_bypasses.finish();
        score.bypass_labels = labels;
        score
    }
}

impl Pair {
    fn merge(&mut self, other: Pair) {
        self.current += other.current;
        self.previous += other.previous;
    }
}

impl<'a> Split for ScoreFold<'a> {
    fn empty(&self) -> ScoreFold<'a> {
        ScoreFold {
            config: self.config,
            current: self.current,
            previous: self.previous,
            violations: Pair::default(),
            imports: Pair::default(),
            bypasses: Pair::default(),
            totals: Pair::default(),
            all_bypasses: self.all_bypasses.empty(),
        }
    }

    fn merge(&mut self, other: ScoreFold<'a>) {
        self.all_bypasses.merge(other.all_bypasses);
        self.violations.merge(other.violations);
        self.imports.merge(other.imports);
        self.bypasses.merge(other.bypasses);
        self.totals.merge(other.totals);
    }
}

impl Fold for ScoreFold<'_> {
    /// Only labels' (the rest is counted by type).
    fn needs_details(&self, event: &Event) -> bool {
        self.all_bypasses.needs_details(event)
    }

    fn add(&mut self, event: &Event) {
        self.add_line(event, None);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        self.add_line(event, Some(stored.line));
    }
}

impl ScoreFold<'_> {
    fn add_line(&mut self, event: &Event, line: Option<&[u8]>) {
        // Labels count whenever they were recorded.
        match line {
            Some(line) => self.all_bypasses.add_stored(event, line),
            None => self.all_bypasses.add(event),
        }
        let slot: fn(&mut Pair) -> &mut u64 = if self.current.contains(&event.timestamp) {
            |p| &mut p.current
        } else if self.previous.contains(&event.timestamp) {
            |p| &mut p.previous
        } else {
            return;
        };
        *slot(&mut self.totals) += 1;
        let kind = event.event_type.as_str();
        if kind == types::VIOLATION_DETECTED {
            *slot(&mut self.violations) += 1;
        } else if kind == types::IMPORT_BLOCKED {
            *slot(&mut self.imports) += 1;
        }
        if self.config.bypass_types.iter().any(|t| t == kind) {
            *slot(&mut self.bypasses) += 1;
        }
    }
}

/// The bypasses the rating counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rated {
    /// Of the types in `[score] bypass_types`.
    pub bypasses: Pair,
    /// Of the current window's, those that cannot make the rating
    /// critical (labelled justified, under `justified_bypasses =
    /// "non-critical"`).
    pub not_critical: u64,
}

/// The rating from the counts, by the predecessor's rules; a bypass that
/// is not critical still makes it concerning.
pub fn rate(
    config: &Config,
    violations: Pair,
    imports: Pair,
    rated: Rated,
    totals: Pair,
    malformed: u64,
) -> Score {
    let bypasses = rated.bypasses;
    let percent = config.trend_percent;
    let v = violations.current;
    let b = bypasses.current;
    let critical_b = b.saturating_sub(rated.not_critical);
    let import_trend = Trend::of(imports.current, imports.previous, percent);
    let rating = if v > config.critical_above || critical_b > config.critical_bypasses_above {
        Rating::Critical
    } else if v >= config.concerning_from || import_trend == Trend::Increasing || b > 0 {
        Rating::Concerning
    } else if v < config.excellent_below && (import_trend == Trend::Decreasing || imports.current == 0) {
        Rating::Excellent
    } else {
        Rating::Good
    };
    let days = config.window_days.get();
    let metric = |pair: Pair, threshold: String| Metric {
        current_week: pair.current,
        previous_week: pair.previous,
        trend: Trend::of(pair.current, pair.previous, percent),
        threshold,
    };
    let mut breakdown = BTreeMap::new();
    breakdown.insert(
        "violations".to_string(),
        metric(
            violations,
            format!(
                "<{}/week for good, <{}/week for excellent",
                config.concerning_from, config.excellent_below
            ),
        ),
    );
    breakdown.insert(
        "import_blocked".to_string(),
        metric(imports, "decreasing is good".to_string()),
    );
    breakdown.insert(
        "bypasses".to_string(),
        metric(bypasses, "0 is required for good/excellent".to_string()),
    );
    Score {
        rating,
        description: rating.description().to_string(),
        breakdown,
        window_days: days,
        period: format!("last {days} days vs {}-{} days ago", days + 1, days * 2),
        total_events: Totals {
            current: totals.current,
            previous: totals.previous,
        },
        malformed,
        bypasses: Bypasses::default(),
        bypass_labels: LabelCounts::default(),
        justified_bypasses: config.justified_bypasses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(v: u64, imports: (u64, u64), b: u64) -> Rating {
        let pair = |current, previous| Pair { current, previous };
        rate(
            &Config::default(),
            pair(v, 0),
            pair(imports.0, imports.1),
            Rated {
                bypasses: pair(b, 0),
                not_critical: 0,
            },
            Pair::default(),
            0,
        )
        .rating
    }

    #[test]
    fn bypasses_that_are_not_critical_are_still_concerning() {
        let rated = |b, not_critical| {
            rate(
                &Config::default(),
                Pair::default(),
                Pair::default(),
                Rated {
                    bypasses: Pair {
                        current: b,
                        previous: 0,
                    },
                    not_critical,
                },
                Pair::default(),
                0,
            )
            .rating
        };
        assert_eq!(rated(2, 0), Rating::Critical);
        assert_eq!(
            rated(2, 1),
            Rating::Concerning,
            "one critical is not more than one"
        );
        assert_eq!(
            rated(2, 2),
            Rating::Concerning,
            "justified bypasses are still bypasses"
        );
        assert_eq!(rated(3, 1), Rating::Critical);
    }

    #[test]
    fn rating_boundaries() {
        // Violations: <2 excellent, <5 good, 5..=10 concerning, >10 critical.
        assert_eq!(rating(0, (0, 0), 0), Rating::Excellent);
        assert_eq!(rating(1, (0, 0), 0), Rating::Excellent);
        assert_eq!(rating(2, (0, 0), 0), Rating::Good);
        assert_eq!(rating(4, (0, 0), 0), Rating::Good);
        assert_eq!(rating(5, (0, 0), 0), Rating::Concerning);
        assert_eq!(rating(10, (0, 0), 0), Rating::Concerning);
        assert_eq!(rating(11, (0, 0), 0), Rating::Critical);
        // Bypasses: 0 fine, 1 concerning, 2 critical.
        assert_eq!(rating(0, (0, 0), 1), Rating::Concerning);
        assert_eq!(rating(0, (0, 0), 2), Rating::Critical);
        // Imports: decreasing or none for excellent; increasing is concerning.
        assert_eq!(rating(0, (3, 10), 0), Rating::Excellent);
        assert_eq!(
            rating(0, (10, 10), 0),
            Rating::Good,
            "stable imports are good, not excellent"
        );
        assert_eq!(rating(0, (12, 10), 0), Rating::Good, "+20 % is stable");
        assert_eq!(rating(0, (13, 10), 0), Rating::Concerning, "+30 % is increasing");
        assert_eq!(rating(0, (8, 10), 0), Rating::Good, "-20 % is stable");
        assert_eq!(rating(0, (7, 10), 0), Rating::Excellent, "-30 % is decreasing");
        assert_eq!(
            rating(0, (1, 0), 0),
            Rating::Concerning,
            "from zero is increasing"
        );
    }
}
