//! Reports: pure folds over a stream of events into plain data.
//!
//! Each report has an accumulator that sees every event once and keeps only
//! what its result needs (counts, a bounded list), so memory stays flat
//! however large the log; the dashboard runs several in the same pass.
//! Rendering is elsewhere ([`crate::view`]): text, JSON and CSV are views
//! of these structures. Reading the log is too ([`crate::event::scan`]):
//! nothing here touches a file.

pub mod alert;
pub mod bypass;
pub mod dashboard;
pub mod events;
pub mod labels;
pub mod score;
pub mod stats;
pub mod timeline;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, FixedOffset, Local};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::event::Event;
pub use crate::event::scan::{Fold, Split, Stored};
pub use crate::event::window::{Window, days_duration};

/// The instant reports treat as "now". `ENFORCE_NOW` (RFC 3339) fixes it,
/// so a report can be reproduced later; it affects reports only, never a
/// rule decision.
pub fn now() -> Result<DateTime<FixedOffset>> {
    match std::env::var("ENFORCE_NOW") {
        Ok(text) if !text.trim().is_empty() => {
            DateTime::parse_from_rfc3339(text.trim()).map_err(|_| Error::InvalidNow { value: text })
        }
        _ => Ok(Local::now().fixed_offset()),
    }
}

/// The newest `limit` items offered, by timestamp and then by position in
/// the file, in a bounded heap: memory is `limit` items, however many are
/// offered.
pub struct Newest<T> {
    limit: usize,
    heap: BinaryHeap<Reverse<Ranked<T>>>,
}

struct Ranked<T>(DateTime<FixedOffset>, u64, T);

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl<T> Eq for Ranked<T> {}
impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

impl<T> Newest<T> {
    pub fn new(limit: usize) -> Newest<T> {
        Newest {
            limit,
            heap: BinaryHeap::new(),
        }
    }

    /// Whether an item at `(at, position)` would be kept now.
    pub fn wants(&self, at: DateTime<FixedOffset>, position: u64) -> bool {
        self.limit > 0
            && (self.heap.len() < self.limit
                || self
                    .heap
                    .peek()
                    .is_some_and(|Reverse(oldest)| (at, position) > (oldest.0, oldest.1)))
    }

    /// Offers an item stamped `at`, found at `position` in the file.
    pub fn offer(&mut self, at: DateTime<FixedOffset>, position: u64, item: impl FnOnce() -> T) {
        if !self.wants(at, position) {
            return;
        }
        if self.heap.len() == self.limit {
            self.heap.pop();
        }
        self.heap.push(Reverse(Ranked(at, position, item())));
    }

    /// Keeps the newest of both.
    pub fn merge(&mut self, other: Newest<T>) {
        for Reverse(Ranked(at, position, item)) in other.heap {
            self.offer(at, position, || item);
        }
    }

    /// The kept items, newest first.
    pub fn finish(self) -> Vec<T> {
        let mut ranked: Vec<Ranked<T>> = self.heap.into_iter().map(|Reverse(r)| r).collect();
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

/// Two folds in one pass over the log.
pub struct Both<A, B>(pub A, pub B);

impl<A: Fold, B: Fold> Fold for Both<A, B> {
    fn add(&mut self, event: &Event) {
        self.0.add(event);
        self.1.add(event);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        self.0.add_stored(event, stored);
        self.1.add_stored(event, stored);
    }

    fn needs_details(&self, event: &Event) -> bool {
        self.0.needs_details(event) || self.1.needs_details(event)
    }

    fn wants_checkpoints(&self) -> bool {
        self.0.wants_checkpoints() || self.1.wants_checkpoints()
    }
}

impl<A: Split, B: Split> Split for Both<A, B> {
    fn empty(&self) -> Both<A, B> {
        Both(self.0.empty(), self.1.empty())
    }

    fn merge(&mut self, other: Both<A, B>) {
        self.0.merge(other.0);
        self.1.merge(other.1);
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
}
