//! `timeline`: the trust timeline, every change of the policy with who made
//! it, who approved it, what it weakened or strengthened, and what the
//! rule's counts did afterwards.
//!
//! Two sources, joined by commit: the history of the policy files (what
//! was committed, read by `cmd/`) and the log's `config_changed`,
//! `rule_weakened` and `policy_changed` events (which also hold what never
//! reached this branch: an uncommitted edit, a commit on another branch).
//! This module is pure: it folds the log and merges what it is given.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;
use serde_json::Value;

use super::{Fold, Split, Window};
use crate::config::diff::Change;
use crate::event::kind::bypass_category;
use crate::event::{Event, types};

/// How long before and after a change its rule's counts are compared.
pub const EFFECT_DAYS: i64 = 7;

/// One change of the policy, as the history of the policy files shows it
/// (gathered by the caller).
#[derive(Debug, Clone)]
pub struct Committed {
    pub commit: String,
    pub at: DateTime<FixedOffset>,
    pub author: String,
    pub subject: String,
    /// The policy files the commit changed.
    pub files: Vec<String>,
    /// The setting changes of `.enforce.toml` (empty when only the
    /// signers or revocations changed).
    pub changes: Vec<Change>,
    /// `.enforce.toml` did not validate after the commit.
    pub invalid: Option<String>,
    /// Who approved it, from its receipt.
    pub approved_by: Option<String>,
    /// Who signed that approval.
    pub signed_by: Option<String>,
}

/// One entry of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub at: String,
    #[serde(skip)]
    pub when: DateTime<FixedOffset>,
    /// The commit, when the change was committed.
    pub commit: Option<String>,
    pub subject: Option<String>,
    /// Who made it: the commit's author, or the user of the event.
    pub by: Option<String>,
    pub approved_by: Option<String>,
    pub signed_by: Option<String>,
    pub files: Vec<String>,
    pub changes: Vec<Change>,
    /// `history` (the commit is on this branch), `log` (only the events
    /// know it), `uncommitted` (a work-tree edit the hooks recorded).
    pub seen_in: &'static str,
    pub invalid: Option<String>,
    /// Whether any change lets more through.
    pub weakens: bool,
    /// Per rule the change touched: its counts before and after.
    pub effects: Vec<Effect>,
    #[serde(skip)]
    dated_by_log: bool,
}

/// What a rule's counts did around a change.
#[derive(Debug, Clone, Serialize)]
pub struct Effect {
    /// The rule, or `all rules` for settings that are no rule's
    /// (`[score]`, `[reports]`, …).
    pub rule: String,
    pub before: Counts,
    pub after: Counts,
    /// Days of the "after" side observed so far, rounded up (at most
    /// [`EFFECT_DAYS`]).
    pub after_days: i64,
}

/// A rule's events in a span.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub blocked: u64,
    pub bypassed: u64,
    pub violations: u64,
    pub audited: u64,
}

/// The timeline of a window, newest change first.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub days: u64,
    pub entries: Vec<Entry>,
}

/// The log's part: policy events in the window, and every rule's counts
/// per day (from [`EFFECT_DAYS`] before the window on).
pub struct TimelineFold {
    window: Window,
    days: u64,
    counting_from: DateTime<FixedOffset>,
    bypass_types: Vec<String>,
    events: Vec<Event>,
    /// Per rule (and [`ALL_RULES`]): when each of its events happened, in
    /// microseconds, and what it was.
    seen: HashMap<String, Vec<(i64, Kind)>>,
}

/// What a counted event was.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Blocked,
    Bypassed,
    Violation,
    Audited,
}

/// The counts of all rules together.
pub const ALL_RULES: &str = "all rules";

/// The names the config diff gives settings that belong to no rule (what
/// the reports count, how they alert): a change of one is compared with
/// the counts of all rules.
const SECTIONS: [&str; 6] = ["score", "alerts", "reports", "telemetry", "export", "audit"];

impl TimelineFold {
    pub fn new(now: DateTime<FixedOffset>, days: u64, bypass_types: &[String]) -> TimelineFold {
        let window = Window::last_days(now, days);
        TimelineFold {
            counting_from: window.start - Duration::days(EFFECT_DAYS),
            window,
            days,
            bypass_types: bypass_types.to_vec(),
            events: Vec::new(),
            seen: HashMap::new(),
        }
    }

    fn is_policy(event_type: &str) -> bool {
        matches!(
            event_type,
            types::CONFIG_CHANGED | types::RULE_WEAKENED | types::POLICY_CHANGED
        )
    }

    fn count(&mut self, event: &Event) {
        let event_type = event.event_type.as_str();
        let kind = if event_type == types::COMMIT_BLOCKED {
            Kind::Blocked
        } else if event_type == types::VIOLATION_DETECTED {
            Kind::Violation
        } else if event_type == types::AUDIT_WOULD_BLOCK {
            Kind::Audited
        } else if bypass_category(event_type, &self.bypass_types).is_some() {
            Kind::Bypassed
        } else {
            return;
        };
        let at = event.timestamp.timestamp_micros();
        if let Some(rule) = event.details.get("rule").and_then(Value::as_str) {
            self.seen.entry(rule.to_string()).or_default().push((at, kind));
        }
        self.seen
            .entry(ALL_RULES.to_string())
            .or_default()
            .push((at, kind));
    }

    /// The commits the log's policy events name (some may be older than
    /// the window by their own dates).
    pub fn commits_named(&self) -> Vec<String> {
        let mut shas: Vec<String> = self
            .events
            .iter()
            .filter(|e| e.details.get("uncommitted").and_then(Value::as_bool) != Some(true))
            .filter_map(|e| {
                e.details
                    .get("commit_sha")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        shas.sort();
        shas.dedup();
        shas
    }

    /// The timeline from the log and the committed changes.
    pub fn finish(self, now: DateTime<FixedOffset>, committed: Vec<Committed>) -> Timeline {
        let mut entries: Vec<Entry> = committed.into_iter().map(Entry::committed).collect();
        let mut by_commit: BTreeMap<String, usize> = entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.commit.clone().map(|c| (c, i)))
            .collect();
        for event in &self.events {
            let sha = event.details.get("commit_sha").and_then(Value::as_str);
            let uncommitted = event.details.get("uncommitted").and_then(Value::as_bool) == Some(true);
            let index = match sha.filter(|_| !uncommitted).and_then(|s| by_commit.get(s)) {
                Some(&i) => i,
                None => {
                    entries.push(Entry::from_event(event, uncommitted));
                    let i = entries.len() - 1;
                    if let Some(sha) = sha.filter(|_| !uncommitted) {
                        by_commit.insert(sha.to_string(), i);
                    }
                    i
                }
            };
            entries[index].absorb(event);
        }
        let days = self.days;
        for entry in &mut entries {
            entry.weakens = entry.changes.iter().any(|c| c.weakens);
            entry.effects = self.effects(entry, now);
        }
        entries.sort_by_key(|e| std::cmp::Reverse(e.when));
        Timeline { days, entries }
    }

    fn effects(&self, entry: &Entry, now: DateTime<FixedOffset>) -> Vec<Effect> {
        let mut touched: Vec<String> = entry
            .changes
            .iter()
            .map(|c| {
                if SECTIONS.contains(&c.rule.as_str()) {
                    ALL_RULES.to_string()
                } else {
                    c.rule.clone()
                }
            })
            .collect();
        if touched.is_empty() {
            // A change of the signers or revocations: who may approve.
            touched.push(crate::rules::REVIEW.to_string());
        }
        touched.sort();
        touched.dedup();
        const DAY: i64 = 86_400_000_000;
        let at = entry.when.timestamp_micros();
        let span = EFFECT_DAYS * DAY;
        let observed = (now.timestamp_micros() - at).clamp(0, span);
        touched
            .into_iter()
            .map(|rule| {
                let sum = |from: i64, to: i64| {
                    let mut counts = Counts::default();
                    for &(t, kind) in self.seen.get(&rule).into_iter().flatten() {
                        if (from..to).contains(&t) {
                            match kind {
                                Kind::Blocked => counts.blocked += 1,
                                Kind::Bypassed => counts.bypassed += 1,
                                Kind::Violation => counts.violations += 1,
                                Kind::Audited => counts.audited += 1,
                            }
                        }
                    }
                    counts
                };
                Effect {
                    before: sum(at - span, at),
                    after: sum(at, at + observed.max(1)),
                    after_days: (observed + DAY - 1) / DAY,
                    rule,
                }
            })
            .collect()
    }
}

impl Entry {
    fn committed(c: Committed) -> Entry {
        Entry {
            at: c.at.to_rfc3339(),
            when: c.at,
            commit: Some(c.commit),
            subject: Some(c.subject),
            by: Some(c.author),
            approved_by: c.approved_by,
            signed_by: c.signed_by,
            files: c.files,
            changes: c.changes,
            seen_in: "history",
            invalid: c.invalid,
            weakens: false,
            effects: Vec::new(),
            dated_by_log: false,
        }
    }

    fn from_event(event: &Event, uncommitted: bool) -> Entry {
        let text = |k: &str| event.details.get(k).and_then(Value::as_str).map(str::to_string);
        Entry {
            at: event.timestamp.to_rfc3339(),
            when: event.timestamp,
            commit: text("commit_sha").filter(|_| !uncommitted),
            subject: None,
            by: text("user"),
            approved_by: None,
            signed_by: None,
            files: Vec::new(),
            changes: Vec::new(),
            seen_in: if uncommitted { "uncommitted" } else { "log" },
            invalid: None,
            weakens: false,
            effects: Vec::new(),
            dated_by_log: false,
        }
    }

    /// Adds what an event knows that the history does not. The time of
    /// the change becomes the time post-commit recorded it: when the
    /// change reached this repository, which a commit's own dates (kept
    /// by a rebase, set by whoever commits) may not say.
    fn absorb(&mut self, event: &Event) {
        if self.seen_in == "history" && !self.dated_by_log {
            self.when = event.timestamp;
            self.at = event.timestamp.to_rfc3339();
            self.dated_by_log = true;
        }
        let text = |k: &str| event.details.get(k).and_then(Value::as_str).map(str::to_string);
        match event.event_type.as_str() {
            types::POLICY_CHANGED => {
                if self.approved_by.is_none() {
                    self.approved_by = text("reviewer");
                }
                if self.signed_by.is_none() {
                    self.signed_by = text("signed_by");
                }
                if let Some(files) = event.details.get("policy_files").and_then(Value::as_array) {
                    for f in files.iter().filter_map(Value::as_str) {
                        if !self.files.iter().any(|x| x == f) {
                            self.files.push(f.to_string());
                        }
                    }
                }
            }
            types::CONFIG_CHANGED if self.seen_in != "history" => {
                if let Some(changes) = event.details.get("changes").and_then(Value::as_array) {
                    for c in changes {
                        self.push_change(change_of(c));
                    }
                }
                if self.invalid.is_none() {
                    self.invalid = text("invalid");
                }
            }
            types::RULE_WEAKENED if self.seen_in != "history" => {
                self.push_change(change_of(&Value::Object(event.details.clone())))
            }
            _ => {}
        }
        if self.by.is_none() {
            self.by = text("user");
        }
    }

    fn push_change(&mut self, change: Option<Change>) {
        if let Some(change) = change
            && !self
                .changes
                .iter()
                .any(|c| c.rule == change.rule && c.setting == change.setting)
        {
            self.changes.push(change);
        }
    }
}

/// A change as an event states it: {rule, setting, from, to, weakens}
/// (`rule_weakened` weakens by its type).
fn change_of(value: &Value) -> Option<Change> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    Some(Change {
        rule: text("rule")?,
        setting: text("setting")?,
        from: text("from").unwrap_or_default(),
        to: text("to").unwrap_or_default(),
        weakens: value.get("weakens").and_then(Value::as_bool).unwrap_or(true),
    })
}

impl Fold for TimelineFold {
    fn add(&mut self, event: &Event) {
        if event.timestamp >= self.counting_from {
            self.count(event);
        }
        if Self::is_policy(&event.event_type) && self.window.contains(&event.timestamp) {
            self.events.push(event.clone());
        }
    }

    fn needs_details(&self, event: &Event) -> bool {
        event.timestamp >= self.counting_from
    }
}

impl Split for TimelineFold {
    fn empty(&self) -> TimelineFold {
        TimelineFold {
            window: self.window,
            days: self.days,
            counting_from: self.counting_from,
            bypass_types: self.bypass_types.clone(),
            events: Vec::new(),
            seen: HashMap::new(),
        }
    }

    fn merge(&mut self, other: TimelineFold) {
        self.events.extend(other.events);
        for (rule, seen) in other.seen {
            self.seen.entry(rule).or_default().extend(seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn event(when: &str, event_type: &str, details: Value) -> Event {
        Event {
            timestamp: at(when),
            event_type: event_type.into(),
            source: "post-commit".into(),
            details: crate::event::details(details),
        }
    }

    fn weakening(rule: &str) -> Change {
        Change {
            rule: rule.into(),
            setting: "mode".into(),
            from: "enforce".into(),
            to: "audit".into(),
            weakens: true,
        }
    }

    #[test]
    fn a_committed_change_gets_its_events_and_the_counts_around_it() {
        let now = at("2026-11-21T12:00:00+00:00");
        let mut fold = TimelineFold::new(now, 30, &[]);
        for (when, t) in [
            ("2026-11-10T10:00:00+00:00", "commit_blocked"),
            ("2026-11-11T10:00:00+00:00", "commit_blocked"),
            ("2026-11-16T10:00:00+00:00", "audit_would_block"),
        ] {
            fold.add(&event(when, t, json!({"rule": "no-todo"})));
        }
        fold.add(&event(
            "2026-11-15T09:00:00+00:00",
            "policy_changed",
            json!({"commit_sha": "abc", "reviewer": "lead", "policy_files": [".enforce.toml"]}),
        ));
        // An uncommitted edit, known only to the log.
        fold.add(&event(
            "2026-11-20T09:00:00+00:00",
            "rule_weakened",
            json!({"rule": "review", "setting": "mode", "from": "enforce", "to": "off", "uncommitted": true, "user": "dev"}),
        ));
        let committed = Committed {
            commit: "abc".into(),
            at: at("2026-11-15T08:59:00+00:00"),
            author: "Ana".into(),
            subject: "relax no-todo".into(),
            files: vec![".enforce.toml".into()],
            changes: vec![weakening("no-todo")],
            invalid: None,
            approved_by: None,
            signed_by: None,
        };
        let timeline = fold.finish(now, vec![committed]);
        assert_eq!(timeline.entries.len(), 2);
        let [newest, relaxed] = &timeline.entries[..] else {
            unreachable!()
        };
        assert_eq!(newest.seen_in, "uncommitted");
        assert_eq!(newest.by.as_deref(), Some("dev"));
        assert!(newest.weakens);
        assert_eq!(relaxed.approved_by.as_deref(), Some("lead"));
        assert_eq!(relaxed.effects.len(), 1);
        let effect = &relaxed.effects[0];
        assert_eq!(effect.rule, "no-todo");
        assert_eq!(effect.before.blocked, 2);
        assert_eq!(effect.after.blocked, 0);
        assert_eq!(effect.after.audited, 1);
        assert_eq!(effect.after_days, 7);
    }
}
