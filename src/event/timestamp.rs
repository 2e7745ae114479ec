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
    if let Some(at) = parse_fast(text.as_bytes()) {
        return at;
    }
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

/// The common layouts without chrono's general parser (reports read a
/// million of them): `YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|±HH:MM]`.
/// `None` when the text has another layout (the general parser decides);
/// `Some(None)` when it has this layout but is no valid time.
fn parse_fast(b: &[u8]) -> Option<Option<DateTime<FixedOffset>>> {
    fn num(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    }
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(&b[0..4])?, num(&b[5..7])?, num(&b[8..10])?);
    let (hour, minute, second) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0u32;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(&fraction[..digits])? * 10u32.pow(9 - digits as u32);
        rest = &fraction[digits..];
    }
    let offset = match rest {
        [] => None,
        [b'Z'] | [b'z'] => Some(0),
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let seconds = (num(&[*h1, *h2])? * 60 + num(&[*m1, *m2])?) as i32 * 60;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    let naive = chrono::NaiveDate::from_ymd_opt(year as i32, month, day)
        .and_then(|d| d.and_hms_nano_opt(hour, minute, second, nanos));
    let Some(naive) = naive else {
        return Some(None);
    };
    Some(match offset {
        Some(seconds) => FixedOffset::east_opt(seconds).and_then(|o| naive.and_local_timezone(o).single()),
        None => local(naive),
    })
}

/// A naive local time as an instant. The offset is looked up once per hour
/// of local time and reused (a log holds many events per hour).
fn local(naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    use std::cell::RefCell;
    thread_local! {
        static CACHE: RefCell<Option<(i64, FixedOffset)>> = const { RefCell::new(None) };
    }
    let hour = naive.and_utc().timestamp().div_euclid(3600);
    if let Some(offset) = CACHE.with(|c| c.borrow().filter(|(h, _)| *h == hour).map(|(_, o)| o)) {
        return naive.and_local_timezone(offset).single();
    }
    let at = Local.from_local_datetime(&naive).earliest()?.fixed_offset();
    // Only cache hours with one unambiguous offset (not DST changes).
    if Local.from_local_datetime(&naive).single().is_some() {
        CACHE.with(|c| *c.borrow_mut() = Some((hour, *at.offset())));
    }
    Some(at)
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
    fn the_fast_path_agrees_with_the_general_parser() {
        for text in [
            "2026-11-21T14:03:07.120391+00:00",
            "2026-11-21T14:03:07+02:00",
            "2026-11-21T14:03:07-05:30",
            "2026-11-21T14:03:07Z",
            "2026-11-21 14:03:07.5+00:00",
            "2026-11-21T14:03:07.123456789+01:00",
            "2025-01-15T10:30:00.123456",
            "2025-01-15T10:30:00",
            "2025-01-15 10:30:00.1",
        ] {
            let fast = parse_fast(text.as_bytes()).flatten();
            let slow = DateTime::parse_from_rfc3339(text)
                .or_else(|_| DateTime::parse_from_rfc3339(&text.replacen(' ', "T", 1)))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(&text.replacen(' ', "T", 1), "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .and_then(|n| Local.from_local_datetime(&n).earliest())
                        .map(|t| t.fixed_offset())
                });
            assert_eq!(fast, slow, "{text}");
            assert!(fast.is_some(), "{text}");
        }
        assert_eq!(parse_fast(b"2025-13-15T10:30:00"), Some(None));
        assert_eq!(parse("2025-02-30T10:30:00"), None);
        assert_eq!(
            parse_fast(b"2025-01-15T10:30:00+0100"),
            None,
            "other layouts go to the general parser"
        );
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
