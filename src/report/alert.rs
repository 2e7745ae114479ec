//! `alert`: threshold and trend alerts from `[[alerts]]` (the predecessor's
//! by default).

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::bypass::{BypassCount, Bypasses};
use super::labels::{EventId, Judgement, LabelCounts};
use super::{Fold, Split, Stored, Trend, Window};
use crate::config::{AlertRule, Direction, JustifiedBypasses, Level};
use crate::event::Event;

/// One alert that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    pub level: Level,
    pub message: String,
    pub metric: String,
    /// The count in the current window (for the predecessor's shape).
    #[serde(skip)]
    pub count: u64,
    /// The count in the window before.
    #[serde(skip)]
    pub previous: u64,
    /// `above`, for a threshold alert; `None` for a trend.
    #[serde(skip)]
    pub threshold: Option<u64>,
    /// The types it counts.
    #[serde(skip)]
    pub event_types: Vec<String>,
    /// The bypasses it counted in the current window, by label (when it
    /// counted any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<LabelCounts>,
}

/// `critical` if any alert is critical, `warning` if any is, else `ok`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Critical,
}

/// The result of `alert`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alerts {
    pub status: Status,
    pub alerts: Vec<Alert>,
    pub has_critical: bool,
    pub has_warnings: bool,
    pub malformed: u64,
    /// Every bypass of the score's window, by category (what the alerts
    /// above are about, counted as the other reports count it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bypasses: Option<Bypasses>,
}

pub struct AlertFold<'a> {
    rules: Vec<&'a AlertRule>,
    windows: Vec<(Window, Window)>,
    counts: Vec<(u64, u64)>,
    trend_percent: u64,
    bypasses: Option<BypassCount>,
    /// Per rule, the bypasses it counted: their ids, and whether in the
    /// current window (else the previous one). Kept only while counting
    /// bypasses, which brings the labels.
    counted: Vec<Vec<(Option<EventId>, bool)>>,
}

impl<'a> AlertFold<'a> {
    pub fn new(
        now: DateTime<FixedOffset>,
        rules: impl IntoIterator<Item = &'a AlertRule>,
        trend_percent: u64,
    ) -> AlertFold<'a> {
        let rules: Vec<&AlertRule> = rules.into_iter().collect();
        let windows = rules
            .iter()
            .map(|r| {
                let days = r.window_days.get();
                (Window::last_days(now, days), Window::previous_days(now, days))
            })
            .collect();
        let counts = vec![(0, 0); rules.len()];
        let counted = vec![Vec::new(); rules.len()];
        AlertFold {
            rules,
            windows,
            counts,
            trend_percent,
            bypasses: None,
            counted,
        }
    }

    /// Also counts every bypass, by category and label, with `count`, and
    /// treats those labelled justified as it says (`[score]
    /// justified_bypasses`).
    pub fn counting_bypasses(mut self, count: BypassCount) -> AlertFold<'a> {
        self.bypasses = Some(count);
        self
    }

    /// The labels of the bypasses rule `i` counted: in the current window,
    /// and the justified ones of the previous window.
    fn labels_of(&self, i: usize) -> (LabelCounts, u64) {
        let mut current = LabelCounts::default();
        let mut justified_before = 0;
        let Some(bypasses) = &self.bypasses else {
            return (current, 0);
        };
        for (id, in_current) in &self.counted[i] {
            let label = id.and_then(|id| bypasses.label_of(id));
            if *in_current {
                current.add(label);
            } else if label == Some(Judgement::Justified) {
                justified_before += 1;
            }
        }
        (current, justified_before)
    }

    fn fires(&self, rule: &AlertRule, current: u64, previous: u64) -> bool {
        match (rule.above, rule.trend) {
            (Some(threshold), _) => current > threshold,
            (None, Some(direction)) => {
                let trend = Trend::of(current, previous, self.trend_percent);
                matches!(
                    (direction, trend),
                    (Direction::Increasing, Trend::Increasing) | (Direction::Decreasing, Trend::Decreasing)
                )
            }
            (None, None) => false,
        }
    }

    /// The alerts that fired; with `quiet`, only critical ones.
    pub fn finish(self, quiet: bool, malformed: u64) -> Alerts {
        let mut fired: Vec<Alert> = Vec::new();
        let mut decided: BTreeSet<&str> = BTreeSet::new();
        let non_critical = self
            .bypasses
            .as_ref()
            .is_some_and(|b| b.justified() == JustifiedBypasses::NonCritical);
        for (i, (rule, &(current, previous))) in self.rules.iter().zip(&self.counts).enumerate() {
            if decided.contains(rule.metric.as_str()) || !self.fires(rule, current, previous) {
                continue;
            }
            decided.insert(rule.metric.as_str());
            let (labels, justified_before) = self.labels_of(i);
            // Justified bypasses that may not be critical: the alert is
            // critical only if it fires without them; else a warning.
            let level = if rule.level == Level::Critical
                && non_critical
                && !self.fires(
                    rule,
                    current - labels.justified.min(current),
                    previous - justified_before.min(previous),
                ) {
                Level::Warning
            } else {
                rule.level
            };
            let mut message = rule
                .message
                .replace("{count}", &current.to_string())
                .replace("{previous}", &previous.to_string())
                .replace("{threshold}", &rule.above.unwrap_or(0).to_string())
                .replace("{window_days}", &rule.window_days.get().to_string());
            let placeholders = ["{justified}", "{unjustified}", "{unlabelled}"];
            if labels.labelled() > 0 && !placeholders.iter().any(|p| message.contains(p)) {
                message = format!("{message} ({})", labels.describe());
            }
            let message = message
                .replace("{justified}", &labels.justified.to_string())
                .replace("{unjustified}", &labels.unjustified.to_string())
                .replace("{unlabelled}", &labels.unlabelled.to_string());
            let counted_bypasses = labels.labelled() + labels.unlabelled > 0;
            fired.push(Alert {
                level,
                message,
                metric: rule.metric.clone(),
                count: current,
                previous,
                threshold: rule.above,
                event_types: rule.event_types.clone(),
                labels: counted_bypasses.then_some(labels),
            });
        }
        if quiet {
            fired.retain(|a| a.level == Level::Critical);
        }
        let has_critical = fired.iter().any(|a| a.level == Level::Critical);
        let has_warnings = fired.iter().any(|a| a.level == Level::Warning);
        Alerts {
            status: if has_critical {
                Status::Critical
            } else if has_warnings {
                Status::Warning
            } else {
                Status::Ok
            },
            alerts: fired,
            has_critical,
            has_warnings,
            malformed,
            bypasses: self.bypasses.as_ref().map(BypassCount::finish),
        }
    }
}

impl<'a> Split for AlertFold<'a> {
    fn empty(&self) -> AlertFold<'a> {
        AlertFold {
            rules: self.rules.clone(),
            windows: self.windows.clone(),
            counts: vec![(0, 0); self.rules.len()],
            trend_percent: self.trend_percent,
            bypasses: self.bypasses.as_ref().map(BypassCount::empty),
            counted: vec![Vec::new(); self.rules.len()],
        }
    }

    fn merge(&mut self, other: AlertFold<'a>) {
        if let (Some(mine), Some(theirs)) = (&mut self.bypasses, other.bypasses) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.counted.iter_mut().zip(other.counted) {
            mine.extend(theirs);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
    }
}

impl Fold for AlertFold<'_> {
    /// Only labels' (the rest is counted by type).
    fn needs_details(&self, event: &Event) -> bool {
        self.bypasses.as_ref().is_some_and(|b| b.needs_details(event))
    }

    fn add(&mut self, event: &Event) {
        self.add_line(event, None);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        self.add_line(event, Some(stored.line));
    }
}

impl AlertFold<'_> {
    fn add_line(&mut self, event: &Event, line: Option<&[u8]>) {
        if let Some(bypasses) = &mut self.bypasses {
            match line {
                Some(line) => bypasses.add_stored(event, line),
                None => bypasses.add(event),
            }
        }
        // Asked only of the events a rule counts.
        let mut category = None;
        let mut id = None;
        for (i, rule) in self.rules.iter().enumerate() {
            if !rule.event_types.contains(&event.event_type) {
                continue;
            }
            let (current, previous) = &self.windows[i];
            let in_current = current.contains(&event.timestamp);
            if in_current {
                self.counts[i].0 += 1;
            } else if previous.contains(&event.timestamp) {
                self.counts[i].1 += 1;
            } else {
                continue;
            }
            let bypass = *category.get_or_insert_with(|| {
                self.bypasses
                    .as_ref()
                    .and_then(|b| b.category(&event.event_type))
                    .is_some()
            });
            if bypass {
                let id = *id.get_or_insert_with(|| line.map(EventId::of));
                self.counted[i].push((id, in_current));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::default_alerts;

    fn alerts(events: &[(&str, u32, bool)], quiet: bool) -> Alerts {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let rules = default_alerts();
        let mut fold = AlertFold::new(now, rules.iter().map(|r| r.get_ref()), 20);
        for &(event_type, count, current) in events {
            let at = if current {
                "2026-11-21T10:00:00+00:00"
            } else {
                "2026-11-10T10:00:00+00:00"
            };
            for _ in 0..count {
                fold.add(&Event {
                    timestamp: DateTime::parse_from_rfc3339(at).unwrap(),
                    event_type: event_type.into(),
                    source: "t".into(),
                    details: Default::default(),
                });
            }
        }
        fold.finish(quiet, 0)
    }

    fn summary(a: &Alerts) -> Vec<(Level, String)> {
        a.alerts.iter().map(|a| (a.level, a.message.clone())).collect()
    }

    #[test]
    fn default_alerts_in_order() {
        let none = alerts(&[("violation_detected", 5, true)], false);
        assert_eq!(none.status, Status::Ok, "5 is not more than 5");
        assert!(none.alerts.is_empty());

        let warn = alerts(&[("violation_detected", 6, true)], false);
        assert_eq!(
            summary(&warn),
            [(Level::Warning, "6 violations this week (more than 5)".to_string())]
        );
        assert_eq!(warn.status, Status::Warning);

        let crit = alerts(
            &[
                ("violation_detected", 11, true),
                ("commit_review_bypassed", 1, true),
            ],
            false,
        );
        assert_eq!(
            summary(&crit),
            [
                (Level::Critical, "Review bypassed 1 time(s) this week".to_string()),
                (
                    Level::Critical,
                    "11 violations this week (more than 10)".to_string()
                ),
            ]
        );
        assert!(crit.has_critical && !crit.has_warnings);

        let imports = alerts(
            &[("import_blocked", 4, true), ("import_blocked", 2, false)],
            false,
        );
        assert_eq!(
            summary(&imports),
            [(
                Level::Warning,
                "Blocked imports increasing: 4 this week, 2 the week before".to_string()
            )]
        );
        let quiet = alerts(&[("import_blocked", 4, true), ("import_blocked", 2, false)], true);
        assert_eq!(quiet.status, Status::Ok);
        assert!(quiet.alerts.is_empty());
    }

    #[test]
    fn justified_bypasses_are_counted_apart_and_can_be_non_critical() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let bypass = r#"{"timestamp":"2026-11-21T10:00:00+00:00","event_type":"commit_review_bypassed","source":"post-commit","details":{}}"#;
        let id = EventId::of(bypass.as_bytes());
        let label = format!(
            r#"{{"timestamp":"2026-11-21T11:00:00+00:00","event_type":"bypass_labeled","source":"enforce label","details":{{"label":"justified","bypass":{{"id":"{id}"}}}}}}"#
        );
        let rules = default_alerts();
        let run = |justified: JustifiedBypasses, with_label: bool| {
            let count = BypassCount::new(Window::last_days(now, 7), &[]).treating_justified(justified);
            let mut fold =
                AlertFold::new(now, rules.iter().map(|r| r.get_ref()), 20).counting_bypasses(count);
            let mut lines = vec![bypass.to_string()];
            if with_label {
                lines.push(label.clone());
            }
            for (offset, line) in lines.iter().enumerate() {
                let event = crate::event::log::parse_line(line.as_bytes()).unwrap();
                fold.add_stored(
                    &event,
                    Stored {
                        line: line.as_bytes(),
                        offset: offset as u64,
                    },
                );
            }
            let alerts = fold.finish(false, 0);
            let first = &alerts.alerts[0];
            (first.level, first.message.clone(), first.labels)
        };
        // Without labels, as before.
        let (level, message, labels) = run(JustifiedBypasses::NonCritical, false);
        assert_eq!(
            (level, message.as_str()),
            (Level::Critical, "Review bypassed 1 time(s) this week")
        );
        assert_eq!(labels.map(|l| l.unlabelled), Some(1));
        // Labelled: counted apart; critical unless configured otherwise.
        let (level, message, _) = run(JustifiedBypasses::Critical, true);
        assert_eq!(
            (level, message.as_str()),
            (
                Level::Critical,
                "Review bypassed 1 time(s) this week (0 unjustified, 1 justified, 0 not labelled)"
            )
        );
        let (level, _, labels) = run(JustifiedBypasses::NonCritical, true);
        assert_eq!(level, Level::Warning, "a justified bypass alone is no CRITICAL");
        assert_eq!(labels.map(|l| l.justified), Some(1));
    }
}
