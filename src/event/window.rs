//! Spans of time the reports count in, and the longest one allowed.
//!
//! Here, below both `config` (which refuses a longer `[score]
//! window_days`) and `report` (which counts in windows), so neither has to
//! reach into the other.

use chrono::{DateTime, Duration, FixedOffset};

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

impl Window {
    /// The last `days` days up to `now` (events stamped after `now` count
    /// too: a clock that runs ahead must not hide them).
    pub fn last_days(now: DateTime<FixedOffset>, days: u64) -> Window {
        Window {
            start: now - days_duration(days),
            end: DateTime::<FixedOffset>::MAX_UTC.fixed_offset(),
        }
    }

    /// The `days` days before the last `days` days.
    pub fn previous_days(now: DateTime<FixedOffset>, days: u64) -> Window {
        let end = now - days_duration(days);
        Window {
            start: end - days_duration(days),
            end,
        }
    }

    pub fn contains(&self, at: &DateTime<FixedOffset>) -> bool {
        *at >= self.start && *at < self.end
    }
}

/// The longest window a report takes (a thousand years): every window then
/// starts at a date that can be printed. The CLI refuses longer ones.
pub const MAX_DAYS: u64 = 365_000;

pub fn days_duration(days: u64) -> Duration {
    Duration::days(days.min(MAX_DAYS) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_half_open() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let current = Window::last_days(now, 7);
        let previous = Window::previous_days(now, 7);
        let boundary = DateTime::parse_from_rfc3339("2026-11-14T12:00:00+00:00").unwrap();
        assert!(current.contains(&boundary));
        assert!(!previous.contains(&boundary));
        let just_before = boundary - Duration::microseconds(1);
        assert!(previous.contains(&just_before));
        assert!(!current.contains(&just_before));
        let future = DateTime::parse_from_rfc3339("2027-01-01T00:00:00+00:00").unwrap();
        assert!(current.contains(&future));
        assert!(!previous.contains(&DateTime::parse_from_rfc3339("2026-11-07T11:59:59+00:00").unwrap()));
    }
}
