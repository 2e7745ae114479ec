//! Event timestamps: written as RFC 3339 with offset and microseconds, read in
//! that form and in the naive local form the Python predecessor wrote.
//!
//! The predecessor wrote `datetime.now().isoformat()`, which has no offset and
//! drops the fraction when it is zero, so a log it wrote holds lines like
//! `2025-01-15T10:30:00.123456` and `2025-01-15T10:30:00`. Those are local
//! times of the machine that wrote them; we read them as local times of the
//! machine reading them, the best that can be done without an offset.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, TimeZone};
use serde::{Deserialize, Serialize};

/// How timestamps are written. Reading always accepts both forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimestampFormat {
    /// `2026-11-21T14:03:07.120391+00:00`: unambiguous, the default.
    #[default]
    Rfc3339,
    /// `2026-11-21T14:03:07.120391`: local time without offset, for teams
    /// whose predecessor scripts still read the same file (its reader fails
    /// on offsets).
    Naive,
}

/// Formats `at` the way `format` says.
pub fn format(at: &DateTime<Local>, format: TimestampFormat) -> String {
    match format {
        TimestampFormat::Rfc3339 => at.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string(),
        TimestampFormat::Naive => at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
    }
}

/// Parses a stored timestamp: RFC 3339 (`T` or space, any offset or `Z`), or
/// a naive local date-time with optional fraction. `None` when it is neither.
pub fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at);
    }
    // RFC 3339 allows a space for `T` but chrono's parser does not.
    if let Some(at) = text
        .get(10..11)
        .filter(|sep| *sep == " ")
        .and_then(|_| DateTime::parse_from_rfc3339(&format!("{}T{}", &text[..10], &text[11..])).ok())
    {
        return Some(at);
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()?;
    // A local time that falls in a DST gap has no instant; one in an overlap
    // has two and we take the earlier.
    Local
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| at.fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_form() {
        let cases = [
            ("2026-11-21T14:03:07.120391+00:00", true),
            ("2026-11-21T14:03:07+02:00", true),
            ("2026-11-21T14:03:07Z", true),
            ("2026-11-21 14:03:07.5+00:00", true),
            ("2025-01-15T10:30:00.123456", true),
            ("2025-01-15T10:30:00", true),
            ("2025-01-15 10:30:00.123456", true),
            ("2025-01-15 10:30:00", true),
            ("2025-01-15", false),
            ("yesterday", false),
            ("", false),
            ("2025-13-15T10:30:00", false),
        ];
        for (text, ok) in cases {
            assert_eq!(parse(text).is_some(), ok, "{text}");
        }
    }

    #[test]
    fn offset_form_keeps_the_instant() {
        let at = parse("2026-11-21T14:03:07.120391+02:00").unwrap();
        assert_eq!(at.timestamp(), 1_795_262_587);
        assert_eq!(at.timestamp_subsec_micros(), 120_391);
    }

    #[test]
    fn written_forms_read_back_to_the_same_microsecond() {
        let now = Local::now();
        for fmt in [TimestampFormat::Rfc3339, TimestampFormat::Naive] {
            let text = format(&now, fmt);
            let back = parse(&text).unwrap();
            assert_eq!(back.timestamp_micros(), now.timestamp_micros(), "{text}");
        }
        assert!(format(&now, TimestampFormat::Rfc3339).len() == 32);
    }
}
