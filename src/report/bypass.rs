//! Bypass counts by category: the one way every report counts bypasses.
//!
//! The categories come from the vocabulary ([`crate::event::kind`]); this
//! fold piece only counts them in a window, so `stats`, `score`, `alert`,
//! `dashboard` and the metrics give the same numbers on the same log. It
//! also counts them by their labels ([`super::labels`]): it remembers the
//! id of each bypass of the window (8 bytes and a category) and takes in
//! every label of the log, so a label recorded after its bypass, in
//! another part of a parallel pass, still counts.

use std::collections::BTreeMap;

use serde::Serialize;

use super::labels::{EventId, Judgement, LabelCounts, Labels};
use super::{Split, Window};
use crate::config::JustifiedBypasses;
use crate::event::Event;
use crate::event::kind::{BypassCategory, bypass_category};

/// Bypasses in a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bypasses {
    pub total: u64,
    /// Of them, the categories where one is already a failure (but those
    /// labelled justified under `[score] justified_bypasses =
    /// "non-critical"`).
    pub critical: u64,
    /// Per category name, every category listed (zeros included).
    pub by_category: BTreeMap<&'static str, u64>,
    /// Of them, labelled justified (`enforce label`).
    pub justified: u64,
    /// Of them, labelled unjustified.
    pub unjustified: u64,
    /// Of them, not labelled yet.
    pub unlabelled: u64,
}

impl Bypasses {
    /// The counts by label.
    pub fn labels(&self) -> LabelCounts {
        LabelCounts {
            justified: self.justified,
            unjustified: self.unjustified,
            unlabelled: self.unlabelled,
        }
    }
}

impl Default for Bypasses {
    /// No bypass, every category listed.
    fn default() -> Bypasses {
        Bypasses {
            total: 0,
            critical: 0,
            by_category: BypassCategory::ALL.iter().map(|c| (c.name(), 0)).collect(),
            justified: 0,
            unjustified: 0,
            unlabelled: 0,
        }
    }
}

/// One bypass counted: its id (when its stored line was seen), its
/// category, and whether `[score] bypass_types` lists its type.
#[derive(Debug, Clone, Copy)]
struct Seen {
    id: Option<EventId>,
    category: BypassCategory,
    listed: bool,
}

/// Counts bypasses in a window by category.
#[derive(Debug, Clone)]
pub struct BypassCount {
    window: Window,
    /// Types counted as bypasses besides the vocabulary's (`[score]
    /// bypass_types`).
    extra: Vec<String>,
    counts: [u64; BypassCategory::ALL.len()],
    seen: Vec<Seen>,
    labels: Labels,
    justified: JustifiedBypasses,
}

impl BypassCount {
    pub fn new(window: Window, extra: &[String]) -> BypassCount {
        BypassCount {
            window,
            extra: extra.to_vec(),
            counts: [0; BypassCategory::ALL.len()],
            seen: Vec::new(),
            labels: Labels::new(),
            justified: JustifiedBypasses::Critical,
        }
    }

    /// Counts bypasses labelled justified as `[score] justified_bypasses`
    /// says.
    pub fn treating_justified(mut self, justified: JustifiedBypasses) -> BypassCount {
        self.justified = justified;
        self
    }

    /// How bypasses labelled justified are treated.
    pub fn justified(&self) -> JustifiedBypasses {
        self.justified
    }

    /// The category of `event_type`, with this count's extra types.
    pub fn category(&self, event_type: &str) -> Option<BypassCategory> {
        bypass_category(event_type, &self.extra)
    }

    /// Counts `event` without its stored line: a bypass is counted, but
    /// has no id, so no label can apply to it.
    pub fn add(&mut self, event: &Event) {
        self.add_line(event, None);
    }

    /// Counts `event`, stored as `line` (which gives its id).
    pub fn add_stored(&mut self, event: &Event, line: &[u8]) {
        self.add_line(event, Some(line));
    }

    fn add_line(&mut self, event: &Event, line: Option<&[u8]>) {
        self.labels.add_event(event);
        if !self.window.contains(&event.timestamp) {
            return;
        }
        if let Some(category) = self.category(&event.event_type) {
            self.counts[index(category)] += 1;
            self.seen.push(Seen {
                id: line.map(EventId::of),
                category,
                listed: self.extra.contains(&event.event_type),
            });
        }
    }

    /// Whether the count reads the details of `event`: a label's.
    pub fn needs_details(&self, event: &Event) -> bool {
        super::labels::is_label(event)
    }

    /// The newest label of the bypass `id`, from the labels seen so far.
    pub fn label_of(&self, id: EventId) -> Option<Judgement> {
        self.labels.get(id).map(|l| l.label)
    }

    /// Whether a bypass labelled `label` counts towards what is critical.
    pub fn counts_as_critical(&self, label: Option<Judgement>) -> bool {
        !(self.justified == JustifiedBypasses::NonCritical && label == Some(Judgement::Justified))
    }

    /// The bypasses counted of the types `[score] bypass_types` lists (the
    /// rating's), by label.
    pub fn listed_labels(&self) -> LabelCounts {
        let mut counts = LabelCounts::default();
        for seen in self.seen.iter().filter(|s| s.listed) {
            counts.add(seen.id.and_then(|id| self.label_of(id)));
        }
        counts
    }

    /// An empty count with the same types and treatment, in `window`.
    pub fn empty_in(&self, window: Window) -> BypassCount {
        BypassCount::new(window, &self.extra).treating_justified(self.justified)
    }

    /// An empty count with the same window, types and treatment.
    pub fn empty(&self) -> BypassCount {
        BypassCount::new(self.window, &self.extra).treating_justified(self.justified)
    }

    /// Adds what `other` saw (a later part of the file).
    pub fn merge(&mut self, other: BypassCount) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.seen.extend(other.seen);
        self.labels.merge(other.labels);
    }

    pub fn finish(&self) -> Bypasses {
        let mut by_category = BTreeMap::new();
        let mut total = 0;
        for category in BypassCategory::ALL {
            let n = self.counts[index(category)];
            by_category.insert(category.name(), n);
            total += n;
        }
        let mut labels = LabelCounts::default();
        let mut critical = 0;
        for seen in &self.seen {
            let label = seen.id.and_then(|id| self.label_of(id));
            labels.add(label);
            if seen.category.is_critical() && self.counts_as_critical(label) {
                critical += 1;
            }
        }
        Bypasses {
            total,
            critical,
            by_category,
            justified: labels.justified,
            unjustified: labels.unjustified,
            unlabelled: labels.unlabelled,
        }
    }
}

fn index(category: BypassCategory) -> usize {
    BypassCategory::ALL
        .iter()
        .position(|c| *c == category)
        .unwrap_or(BypassCategory::ALL.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn stored(at: &str, event_type: &str) -> (Event, String) {
        let line = format!(
            r#"{{"timestamp":"{at}","event_type":"{event_type}","source":"post-commit","details":{{}}}}"#
        );
        (crate::event::log::parse_line(line.as_bytes()).unwrap(), line)
    }

    fn label(id: &str, judgement: &str) -> Event {
        let line = format!(
            r#"{{"timestamp":"2026-11-21T11:00:00+00:00","event_type":"bypass_labeled","source":"enforce label","details":{{"label":"{judgement}","note":"","labeled_by":"A <a@x>","bypass":{{"id":"{id}"}}}}}}"#
        );
        crate::event::log::parse_line(line.as_bytes()).unwrap()
    }

    #[test]
    fn counts_by_label_and_justified_ones_as_configured() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let extra = vec!["commit_review_bypassed".to_string()];
        let events = [
            stored("2026-11-21T10:00:00+00:00", "commit_review_bypassed"),
            stored("2026-11-21T10:00:01+00:00", "commit_review_bypassed"),
            stored("2026-11-21T10:00:02+00:00", "bypass_review"),
            stored("2026-11-21T10:00:03+00:00", "rule_weakened"),
        ];
        let id = |i: usize| EventId::of(events[i].1.as_bytes()).to_string();
        for (justified, critical) in [
            (JustifiedBypasses::Critical, 3),
            (JustifiedBypasses::NonCritical, 2),
        ] {
            // Two parts of a parallel pass: the labels are in the second.
            let mut first = BypassCount::new(Window::last_days(now, 7), &extra).treating_justified(justified);
            for (event, line) in &events {
                first.add_stored(event, line.as_bytes());
            }
            let mut second = first.empty();
            second.add(&label(&id(0), "justified"));
            second.add(&label(&id(2), "unjustified"));
            first.merge(second);
            let counted = first.finish();
            assert_eq!((counted.total, counted.critical), (4, critical), "{justified:?}");
            assert_eq!(
                counted.labels(),
                LabelCounts {
                    justified: 1,
                    unjustified: 1,
                    unlabelled: 2
                }
            );
            assert_eq!(
                first.listed_labels(),
                LabelCounts {
                    justified: 1,
                    unjustified: 0,
                    unlabelled: 1
                }
            );
        }
    }
}
