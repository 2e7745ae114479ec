//! Reports: pure folds over a stream of events into plain data.
//!
//! Each report has an accumulator that sees every event once and keeps only
//! what its result needs (counts, a bounded list), so memory stays flat
//! however large the log; the dashboard runs several in the same pass.
//! Rendering is elsewhere ([`crate::view`]): text, JSON and CSV are views
//! of these structures.

pub mod alert;
pub mod dashboard;
pub mod events;
pub mod score;
pub mod stats;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, FixedOffset, Local};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::event::chain::CHECKPOINT;
use crate::event::{Event, EventLog};

/// The instant reports treat as "now". `ENFORCE_NOW` (RFC 3339) fixes it,
/// so a report can be reproduced later; it affects reports only, never a
/// rule decision.
pub fn now() -> DateTime<FixedOffset> {
    std::env::var("ENFORCE_NOW")
        .ok()
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .unwrap_or_else(|| Local::now().fixed_offset())
}

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

fn days_duration(days: u64) -> Duration {
    Duration::days(days.min(365_000) as i64)
}

/// Something that sees every event of a pass.
pub trait Fold {
    fn add(&mut self, event: &Event);

    /// Whether it also sees `cleanup`'s checkpoints (reports do not).
    fn wants_checkpoints(&self) -> bool {
        false
    }
}

/// Streams `log` through `fold`; returns how many lines were malformed.
/// The checkpoints `cleanup` leaves are bookkeeping of the log, not
/// enforcement events: reports skip them.
pub fn pass(log: &EventLog, fold: &mut impl Fold) -> Result<u64> {
    let mut reader = log.read()?;
    for event in reader.by_ref() {
        let event = event.map_err(|e| Error::io("read the events file", log.path(), e))?;
        if event.event_type != CHECKPOINT || fold.wants_checkpoints() {
            fold.add(&event);
        }
    }
    Ok(reader.malformed())
}

/// The newest `limit` events offered, by timestamp and then by order of
/// arrival, in a bounded heap: memory is `limit` events, however many are
/// offered.
pub struct Newest {
    limit: usize,
    arrivals: u64,
    heap: BinaryHeap<Reverse<Ranked>>,
}

struct Ranked(DateTime<FixedOffset>, u64, Event);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

impl Newest {
    pub fn new(limit: usize) -> Newest {
        Newest {
            limit,
            arrivals: 0,
            heap: BinaryHeap::new(),
        }
    }

    pub fn offer(&mut self, event: &Event) {
        self.arrivals += 1;
        if self.limit == 0 {
            return;
        }
        if self.heap.len() == self.limit {
            let newer = self
                .heap
                .peek()
                .is_some_and(|Reverse(oldest)| (event.timestamp, self.arrivals) > (oldest.0, oldest.1));
            if !newer {
                return;
            }
            self.heap.pop();
        }
        self.heap
            .push(Reverse(Ranked(event.timestamp, self.arrivals, event.clone())));
    }

    /// The kept events, newest first.
    pub fn finish(self) -> Vec<Event> {
        let mut ranked: Vec<Ranked> = self.heap.into_iter().map(|Reverse(r)| r).collect();
        ranked.sort_by(|a, b| b.cmp(a));
        ranked.into_iter().map(|r| r.2).collect()
    }
}

/// Which way a count moved between two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Increasing,
    Decreasing,
    Stable,
}

impl Trend {
    /// The predecessor's rule: from zero, any count is an increase; else a
    /// change beyond `percent` either way is a trend.
    pub fn of(current: u64, previous: u64, percent: u64) -> Trend {
        if previous == 0 {
            return if current == 0 {
                Trend::Stable
            } else {
                Trend::Increasing
            };
        }
        // Integer arithmetic: a change of exactly `percent` is not a trend.
        let change = (i128::from(current) - i128::from(previous)) * 100;
        let limit = i128::from(percent) * i128::from(previous);
        if change > limit {
            Trend::Increasing
        } else if change < -limit {
            Trend::Decreasing
        } else {
            Trend::Stable
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Increasing => "increasing",
            Trend::Decreasing => "decreasing",
            Trend::Stable => "stable",
        }
    }
}

/// A string detail of an event, if present.
pub fn detail<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event.details.get(key).and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_boundaries() {
        let cases = [
            (0, 0, Trend::Stable),
            (1, 0, Trend::Increasing),
            (12, 10, Trend::Stable),
            (13, 10, Trend::Increasing),
            (8, 10, Trend::Stable),
            (7, 10, Trend::Decreasing),
            (0, 5, Trend::Decreasing),
            (6, 5, Trend::Stable),
        ];
        for (current, previous, expected) in cases {
            assert_eq!(
                Trend::of(current, previous, 20),
                expected,
                "{current} vs {previous}"
            );
        }
    }

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
