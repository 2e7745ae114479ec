//! `stats`: event counts in a window, by type and by any breakdown.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::Serialize;

use super::bypass::{BypassCount, Bypasses};
use super::{Fold, Split, Stored, Window, detail};
use crate::event::Event;

/// What to group counts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Type,
    Source,
    Rule,
    User,
    Branch,
    Agent,
    Day,
}

impl By {
    pub fn as_str(self) -> &'static str {
        match self {
            By::Type => "type",
            By::Source => "source",
            By::Rule => "rule",
            By::User => "user",
            By::Branch => "branch",
            By::Agent => "agent",
            By::Day => "day",
        }
    }

    /// The column heading in text and CSV views.
    pub fn heading(self) -> &'static str {
        match self {
            By::Type => "Event Type",
            By::Source => "Source",
            By::Rule => "Rule",
            By::User => "User",
            By::Branch => "Branch",
            By::Agent => "Agent",
            By::Day => "Day",
        }
    }
}

/// The key an event has for a breakdown other than by day; events without
/// the detail are grouped under `(none)`.
pub fn key(event: &Event, by: By) -> &str {
    let value = match by {
        By::Type => Some(event.event_type.as_str()),
        By::Source => Some(event.source.as_str()),
        By::Rule => detail(event, "rule"),
        By::User => detail(event, "user"),
        By::Branch => detail(event, "branch"),
        By::Agent => detail(event, "agent"),
        By::Day => None,
    };
    value.filter(|v| !v.is_empty()).unwrap_or(NONE)
}

/// The group of events that lack the detail a breakdown is by.
pub const NONE: &str = "(none)";

/// The result of `stats`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub days: u64,
    pub total_events: u64,
    pub by_type: BTreeMap<String, u64>,
    /// Lines of the log that could not be read as events.
    pub malformed: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<By>,
    /// With `by`: the counts per group. By day: one entry per day of the
    /// window, zero days included, keyed `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<BTreeMap<String, u64>>,
    /// The bypasses of the window, by category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypasses: Option<Bypasses>,
}

/// Accumulates [`Stats`].
pub struct StatsFold {
    window: Window,
    days: u64,
    by: Option<By>,
    first_day: NaiveDate,
    last_day: NaiveDate,
    total: u64,
    by_type: BTreeMap<String, u64>,
    groups: BTreeMap<String, u64>,
    bypasses: Option<BypassCount>,
}

impl StatsFold {
    pub fn new(now: DateTime<FixedOffset>, days: u64, by: Option<By>) -> StatsFold {
        let window = Window::last_days(now, days);
        StatsFold {
            window,
            days,
            by,
            first_day: window.start.date_naive(),
            last_day: now.date_naive(),
            total: 0,
            by_type: BTreeMap::new(),
            groups: BTreeMap::new(),
            bypasses: None,
        }
    }

    /// Also counts the bypasses of the window as `[score]` says: its
    /// `bypass_types`, and how those labelled justified count.
    pub fn counting_score_bypasses(self, score: &crate::config::Score) -> StatsFold {
        let count =
            BypassCount::new(self.window, &score.bypass_types).treating_justified(score.justified_bypasses);
        self.counting(count)
    }

    /// Also counts the bypasses of the window with `count` (whose window
    /// is replaced by this report's), by category and by label.
    pub fn counting(mut self, count: BypassCount) -> StatsFold {
        self.bypasses = Some(count.empty_in(self.window));
        self
    }

    /// Counts by local calendar day for the last `days` days, today
    /// included, each day counted whole (for charts).
    pub fn calendar_days(now: DateTime<FixedOffset>, days: u64) -> StatsFold {
        let mut fold = StatsFold::new(now, days.saturating_sub(1), Some(By::Day));
        let midnight = fold
            .first_day
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(now.timezone()).single());
        if let Some(midnight) = midnight {
            fold.window.start = midnight;
        }
        fold
    }

    pub fn finish(mut self, malformed: u64) -> Stats {
        if self.by == Some(By::Day) {
            let mut day = self.first_day;
            while day <= self.last_day {
                self.groups.entry(day.to_string()).or_insert(0);
                day += Duration::days(1);
            }
        }
        Stats {
            days: self.days,
            total_events: self.total,
            by_type: self.by_type,
            malformed,
            by: self.by,
            groups: self.by.map(|_| self.groups),
            bypasses: self.bypasses.as_ref().map(BypassCount::finish),
        }
    }
}

impl Split for StatsFold {
    fn empty(&self) -> StatsFold {
        StatsFold {
            window: self.window,
            days: self.days,
            by: self.by,
            first_day: self.first_day,
            last_day: self.last_day,
            total: 0,
            by_type: BTreeMap::new(),
            groups: BTreeMap::new(),
            bypasses: self.bypasses.as_ref().map(BypassCount::empty),
        }
    }

    fn merge(&mut self, other: StatsFold) {
        if let (Some(mine), Some(theirs)) = (&mut self.bypasses, other.bypasses) {
            mine.merge(theirs);
        }
        self.total += other.total;
        for (k, v) in other.by_type {
            *self.by_type.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.groups {
            *self.groups.entry(k).or_insert(0) += v;
        }
    }
}

impl Fold for StatsFold {
    fn needs_details(&self, event: &Event) -> bool {
        matches!(self.by, Some(By::Rule | By::User | By::Branch | By::Agent))
            || self.bypasses.as_ref().is_some_and(|b| b.needs_details(event))
    }

    fn add(&mut self, event: &Event) {
        self.add_line(event, None);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        self.add_line(event, Some(stored.line));
    }
}

impl StatsFold {
    fn add_line(&mut self, event: &Event, line: Option<&[u8]>) {
        // Labels count whenever they were recorded.
        if let Some(bypasses) = &mut self.bypasses {
            match line {
                Some(line) => bypasses.add_stored(event, line),
                None => bypasses.add(event),
            }
        }
        if !self.window.contains(&event.timestamp) {
            return;
        }
        self.total += 1;
        *self.by_type.entry(event.event_type.clone()).or_insert(0) += 1;
        match self.by {
            None => {}
            Some(By::Day) => {
                // Local dates of the reporting clock's offset.
                let day = event
                    .timestamp
                    .with_timezone(&self.window.start.timezone())
                    .date_naive();
                *self.groups.entry(day.to_string()).or_insert(0) += 1;
            }
            Some(by) => *self.groups.entry(key(event, by).to_string()).or_insert(0) += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(at: &str, event_type: &str, details: serde_json::Value) -> Event {
        Event {
            timestamp: DateTime::parse_from_rfc3339(at).unwrap(),
            event_type: event_type.into(),
            source: "test".into(),
            details: crate::event::details(details),
        }
    }

    #[test]
    fn counts_in_window_with_breakdowns() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let events = [
            event(
                "2026-11-21T10:00:00+00:00",
                "violation_detected",
                json!({"rule": "a"}),
            ),
            event(
                "2026-11-20T10:00:00+00:00",
                "violation_detected",
                json!({"rule": "b"}),
            ),
            event("2026-11-19T10:00:00+00:00", "commit_completed", json!({})),
            event(
                "2026-11-10T10:00:00+00:00",
                "violation_detected",
                json!({"rule": "a"}),
            ),
        ];
        let mut fold = StatsFold::new(now, 7, Some(By::Rule));
        events.iter().for_each(|e| fold.add(e));
        let stats = fold.finish(2);
        assert_eq!(stats.total_events, 3);
        assert_eq!(stats.by_type["violation_detected"], 2);
        assert_eq!(stats.malformed, 2);
        let groups = stats.groups.unwrap();
        assert_eq!(groups["a"], 1);
        assert_eq!(groups["(none)"], 1);

        let mut fold = StatsFold::new(now, 3, Some(By::Day));
        events.iter().for_each(|e| fold.add(e));
        let days: Vec<_> = fold.finish(0).groups.unwrap().into_iter().collect();
        assert_eq!(
            days,
            [
                ("2026-11-18".to_string(), 0),
                ("2026-11-19".to_string(), 1),
                ("2026-11-20".to_string(), 1),
                ("2026-11-21".to_string(), 1)
            ]
        );
    }
}
