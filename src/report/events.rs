//! `events`: the newest events of a window, filtered by type and source.
//!
//! The log is mostly in time order, but several writers and clocks can
//! interleave, so the newest `limit` are kept in a bounded heap rather than
//! taken from the end of the file: memory is `limit` events, whatever the
//! size of the log.

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};

use super::{Fold, Newest, Split, Stored, Window};
use crate::event::Event;
use crate::event::log::parse_line;

/// The filter of `events`.
#[derive(Debug, Clone)]
pub struct Filter {
    pub days: u64,
    /// Matched case-insensitively and exactly.
    pub event_type: Option<String>,
    /// Matched case-insensitively as a substring.
    pub source: Option<String>,
    /// The commit attempt: its `attempt_id` (or `attempt`, as the hooks
    /// named it before), matched exactly.
    pub attempt: Option<String>,
    pub limit: usize,
}

/// The result of `events`: newest first.
#[derive(Debug, Clone)]
pub struct Listing {
    pub events: Vec<Event>,
    /// Each listed event's timestamp as the log holds it (the
    /// predecessor's shape gives it back unchanged).
    pub stamps: Vec<String>,
    /// How many events matched in all (the listing holds at most `limit`).
    pub matched: u64,
    /// Every event type seen anywhere in the log.
    pub types_present: BTreeSet<String>,
}

pub struct EventsFold {
    window: Window,
    event_type: Option<String>,
    source: Option<String>,
    attempt: Option<String>,
    limit: usize,
    matched: u64,
    /// The newest matching lines, kept as stored: only they are read whole.
    newest: Newest<Vec<u8>>,
    types_present: BTreeSet<String>,
}

impl EventsFold {
    pub fn new(now: DateTime<FixedOffset>, filter: &Filter) -> EventsFold {
        EventsFold {
            window: Window::last_days(now, filter.days),
            event_type: filter.event_type.as_ref().map(|t| t.to_lowercase()),
            source: filter.source.as_ref().map(|s| s.to_lowercase()),
            attempt: filter.attempt.clone(),
            limit: filter.limit,
            matched: 0,
            newest: Newest::new(filter.limit),
            types_present: BTreeSet::new(),
        }
    }

    pub fn finish(self) -> Listing {
        let (events, stamps) = self
            .newest
            .finish()
            .iter()
            .filter_map(|line| {
                let event = parse_line(line)?;
                let stamp = serde_json::from_slice::<serde_json::Value>(line)
                    .ok()
                    .and_then(|v| v.get("timestamp")?.as_str().map(str::to_string))
                    .unwrap_or_else(|| {
                        event
                            .timestamp
                            .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
                    });
                Some((event, stamp))
            })
            .unzip();
        Listing {
            events,
            stamps,
            matched: self.matched,
            types_present: self.types_present,
        }
    }
}

impl EventsFold {
    /// Whether `event` passes the window and the filters (and counts it).
    fn matches(&mut self, event: &Event) -> bool {
        if !self.types_present.contains(&event.event_type) {
            self.types_present.insert(event.event_type.clone());
        }
        if !self.window.contains(&event.timestamp)
            || self
                .event_type
                .as_ref()
                .is_some_and(|t| !event.event_type.eq_ignore_ascii_case(t))
            || self
                .source
                .as_ref()
                .is_some_and(|s| !event.source.to_lowercase().contains(s.as_str()))
            || self.attempt.as_ref().is_some_and(|id| !of_attempt(event, id))
        {
            return false;
        }
        self.matched += 1;
        true
    }
}

impl Fold for EventsFold {
    fn add(&mut self, event: &Event) {
        let position = self.matched;
        if self.matches(event) {
            self.newest.offer(event.timestamp, position, || {
                event.to_line(crate::event::TimestampFormat::Rfc3339).into_bytes()
            });
        }
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        if self.matches(event) {
            self.newest
                .offer(event.timestamp, stored.offset, || stored.line.to_vec());
        }
    }

    fn needs_details(&self, _event: &Event) -> bool {
        self.attempt.is_some()
    }
}

impl Split for EventsFold {
    fn empty(&self) -> EventsFold {
        EventsFold {
            window: self.window,
            event_type: self.event_type.clone(),
            source: self.source.clone(),
            attempt: self.attempt.clone(),
            limit: self.limit,
            matched: 0,
            newest: Newest::new(self.limit),
            types_present: BTreeSet::new(),
        }
    }

    fn merge(&mut self, other: EventsFold) {
        self.matched += other.matched;
        self.types_present.extend(other.types_present);
        self.newest.merge(other.newest);
    }
}

/// Whether `event` belongs to commit attempt `id`.
fn of_attempt(event: &Event, id: &str) -> bool {
    ["attempt_id", "attempt"]
        .iter()
        .any(|key| event.details.get(*key).and_then(|v| v.as_str()) == Some(id))
}

/// A one-line summary of an event's details for the text view: the most
/// telling fields first, then the rest, cut to `width` characters.
pub fn summary(event: &Event, width: usize) -> String {
    const FIRST: [&str; 8] = [
        "rule",
        "reason",
        "module",
        "file",
        "line",
        "commit_sha",
        "reviewer",
        "bypass_method",
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut push = |key: &str, value: &serde_json::Value| {
        let text = match value {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(items) => format!("[{} item(s)]", items.len()),
            other => other.to_string(),
        };
        let text = if key == "commit_sha" || key == "tree" {
            text.chars().take(12).collect()
        } else {
            text
        };
        parts.push(format!("{key}={text}"));
    };
    for key in FIRST {
        if let Some(value) = event.details.get(key) {
            push(key, value);
        }
    }
    for (key, value) in &event.details {
        if !FIRST.contains(&key.as_str()) && !matches!(key.as_str(), "files" | "user" | "branch") {
            push(key, value);
        }
    }
    let line = parts.join(" ").replace(['\n', '\r', '\t'], " ");
    if line.chars().count() > width {
        let mut cut: String = line.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: &str, event_type: &str, source: &str) -> Event {
        Event {
            timestamp: DateTime::parse_from_rfc3339(at).unwrap(),
            event_type: event_type.into(),
            source: source.into(),
            details: Default::default(),
        }
    }

    #[test]
    fn newest_first_bounded_and_filtered() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let filter = Filter {
            days: 1,
            event_type: Some("Import_Blocked".into()),
            source: Some("GUARD".into()),
            attempt: None,
            limit: 2,
        };
        let mut fold = EventsFold::new(now, &filter);
        for e in [
            event("2026-11-21T09:00:00+00:00", "import_blocked", "guards.py"),
            event("2026-11-21T11:00:00+00:00", "import_blocked", "guards.py"),
            event("2026-11-21T10:00:00+00:00", "import_blocked", "guards.py"),
            event("2026-11-21T11:30:00+00:00", "import_blocked", "other"),
            event("2026-11-21T11:45:00+00:00", "bypass_review", "guards.py"),
            event("2026-11-19T11:00:00+00:00", "import_blocked", "guards.py"),
        ] {
            fold.add(&e);
        }
        let listing = fold.finish();
        let times: Vec<_> = listing
            .events
            .iter()
            .map(|e| e.timestamp.format("%H").to_string())
            .collect();
        assert_eq!(times, ["11", "10"]);
        for (event, stamp) in listing.events.iter().zip(&listing.stamps) {
            assert_eq!(crate::event::timestamp::parse(stamp), Some(event.timestamp));
        }
        assert_eq!(listing.matched, 3);
        assert_eq!(listing.types_present.len(), 2);
    }
}
