//! The one pass over the log that gathers what `advise` weighs: per rule,
//! its evaluations, blocks, audits, bypasses and how each block was
//! followed; the violations other tools report; the labels of bypasses.
//!
//! A [`Split`] fold, so a large log is read on every core and merged in
//! file order, with the same result as one pass.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;

use super::follow::{Followed, Judged, Status, Track, resolve};
use crate::event::kind::{BypassCategory, bypass_category, is_reserved_source};
use crate::event::{Event, types};
use crate::report::{Fold, Split, Stored, Window, detail};

/// A rule with no event for this many days may be suggested for removal.
pub const QUIET_DAYS: u64 = 30;

/// The type `enforce label` records (docs/events.md).
pub const BYPASS_LABELED: &str = "bypass_labeled";

/// How many distinct files a watcher's rule keeps to derive its paths.
const MAX_FILES: usize = 200;

/// What the log says about one rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleEvidence {
    /// The first and last time any event named the rule (the whole log).
    pub first_seen: Option<DateTime<FixedOffset>>,
    /// The last time the rule did something: approved, blocked, audited,
    /// was bypassed, found a violation (the whole log).
    pub last_event: Option<DateTime<FixedOffset>>,
    /// How many times a hook judged it, in the window and in the last
    /// [`QUIET_DAYS`].
    pub evaluated: u64,
    pub evaluated_quiet: u64,
    /// In the window.
    pub blocks: u64,
    pub audits: u64,
    pub bypasses: u64,
    pub violations: u64,
    /// Bypasses by `bypass_method`.
    pub methods: BTreeMap<String, u64>,
    /// Blocks, audits and bypasses per whole week of the window, oldest
    /// first.
    pub weekly: Vec<u64>,
    /// How its blocks were followed (see [`super::follow`]).
    pub follow: FollowUps,
    /// The same per agent.
    pub agents: BTreeMap<String, FollowUps>,
}

/// How a rule's blocks were followed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FollowUps {
    pub blocks: u64,
    pub fixed: u64,
    pub bypassed: u64,
    pub blocked_again: u64,
    pub nothing: u64,
    /// Seconds from the first block of a run to the pass, one per fix.
    pub fix_seconds: Vec<i64>,
}

impl FollowUps {
    fn add(&mut self, followed: &Followed) {
        self.blocks += 1;
        match followed {
            Followed::Fix { seconds } => {
                self.fixed += 1;
                self.fix_seconds.push(*seconds);
            }
            Followed::Bypass => self.bypassed += 1,
            Followed::BlockedAgain => self.blocked_again += 1,
            Followed::Nothing => self.nothing += 1,
        }
    }
}

/// `violation_detected` events another tool recorded under one name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WatcherEvidence {
    pub count: u64,
    pub sources: BTreeMap<String, u64>,
    /// The first [`MAX_FILES`] distinct files in path order; `more_files`
    /// when there were more.
    pub files: BTreeSet<String>,
    pub more_files: bool,
    /// The most serious `severity` recorded.
    pub severity: Option<String>,
    pub description: Option<String>,
    /// Per whole week of the window, oldest first.
    pub weekly: Vec<u64>,
}

/// The newest label of one bypass.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelEvidence {
    pub unjustified: bool,
    pub rule: Option<String>,
    pub files: Vec<String>,
    /// When the labelled bypass happened, as the label names it.
    pub bypass_at: Option<DateTime<FixedOffset>>,
    /// When it was labelled (the newest label wins).
    labelled_at: DateTime<FixedOffset>,
}

/// Everything `advise` weighs.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub now: DateTime<FixedOffset>,
    pub days: u64,
    pub window: Window,
    /// The oldest event of the log.
    pub first_event: Option<DateTime<FixedOffset>>,
    /// Events in the window.
    pub events: u64,
    pub malformed: u64,
    pub rules: BTreeMap<String, RuleEvidence>,
    pub watchers: BTreeMap<String, WatcherEvidence>,
    /// The labels of bypasses of the window, by bypass id.
    pub labels: BTreeMap<String, LabelEvidence>,
}

impl Evidence {
    /// How many whole weeks the window holds.
    pub fn weeks(&self) -> usize {
        whole_weeks(self.days)
    }
}

fn whole_weeks(days: u64) -> usize {
    (days / 7).min(520) as usize
}

/// Accumulates [`Evidence`].
#[derive(Debug, Clone)]
pub struct AdviceFold {
    now: DateTime<FixedOffset>,
    days: u64,
    window: Window,
    quiet: Window,
    /// `[score] bypass_types`.
    extra: Vec<String>,
    first_event: Option<DateTime<FixedOffset>>,
    events: u64,
    rules: BTreeMap<String, RuleEvidence>,
    /// Keyed by user, branch and rule.
    tracks: Tracks,
    watchers: BTreeMap<String, WatcherEvidence>,
    labels: BTreeMap<String, LabelEvidence>,
}

impl AdviceFold {
    /// The evidence of the last `days` days before `now`; `extra` are the
    /// types `[score] bypass_types` counts as bypasses.
    pub fn new(now: DateTime<FixedOffset>, days: u64, extra: &[String]) -> AdviceFold {
        AdviceFold {
            now,
            days,
            window: Window::last_days(now, days),
            quiet: Window::last_days(now, QUIET_DAYS),
            extra: extra.to_vec(),
            first_event: None,
            events: 0,
            rules: BTreeMap::new(),
            tracks: Tracks::new(),
            watchers: BTreeMap::new(),
            labels: BTreeMap::new(),
        }
    }

    pub fn finish(self, malformed: u64) -> Evidence {
        let mut rules = self.rules;
        for (rule, track) in self
            .tracks
            .into_values()
            .flat_map(BTreeMap::into_values)
            .flatten()
        {
            let evidence = rules.entry(rule).or_default();
            for (agent, followed) in resolve(track.attempts()) {
                evidence.follow.add(&followed);
                evidence
                    .agents
                    .entry(agent.unwrap_or_else(|| UNKNOWN_AGENT.to_string()))
                    .or_default()
                    .add(&followed);
            }
        }
        let window = self.window;
        let labels = self
            .labels
            .into_iter()
            .filter(|(_, l)| l.bypass_at.is_none_or(|at| window.contains(&at)))
            .collect();
        Evidence {
            now: self.now,
            days: self.days,
            window,
            first_event: self.first_event,
            events: self.events,
            malformed,
            rules,
            watchers: self.watchers,
            labels,
        }
    }

    fn rule(&mut self, name: &str) -> &mut RuleEvidence {
        let weeks = whole_weeks(self.days);
        entry(&mut self.rules, name, || RuleEvidence {
            weekly: vec![0; weeks],
            ..RuleEvidence::default()
        })
    }

    /// The rule was named at `at`; `acted` when it did something.
    fn seen(&mut self, name: &str, at: DateTime<FixedOffset>, acted: bool) {
        self.rule(name).seen(at, acted);
    }

    /// Counts a block, audit or bypass of the window in its week.
    fn fired(&mut self, name: &str, at: DateTime<FixedOffset>) {
        let week = week_of(self.now, self.days, at);
        if let Some(slot) = week.and_then(|w| self.rule(name).weekly.get_mut(w)) {
            *slot += 1;
        }
    }

    fn judged(&mut self, rule: &str, who: &Who<'_>, at: DateTime<FixedOffset>, status: Status) {
        let user = entry(&mut self.tracks, who.user, BTreeMap::new);
        let branch = entry(user, who.branch, BTreeMap::new);
        entry(branch, rule, Track::default).push(Judged {
            attempt: who.attempt.map(str::to_string),
            at,
            status,
            agent: who.agent.map(str::to_string),
        });
    }

    /// A `hook_summary`: each rule it lists with its outcome.
    fn summary<'a>(
        &mut self,
        at: DateTime<FixedOffset>,
        who: &Who<'_>,
        rules: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        let in_window = self.window.contains(&at);
        let quiet = self.quiet.contains(&at);
        for (name, outcome) in rules {
            let status = Status::of_outcome(outcome);
            let judged = status.is_some() || outcome == "audit";
            let rule = self.rule(name);
            rule.seen(at, judged && outcome != "passed");
            if judged {
                rule.evaluated += u64::from(in_window);
                rule.evaluated_quiet += u64::from(quiet);
            }
            if let (Some(status), true) = (status, in_window) {
                self.judged(name, who, at, status);
            }
        }
    }

    /// The same from a whole event.
    fn summary_event(&mut self, event: &Event) {
        let Some(Value::Array(entries)) = event.details.get("rules") else {
            return;
        };
        let rules = entries.iter().filter_map(|entry| {
            Some((
                entry.get("rule").and_then(Value::as_str)?,
                entry.get("outcome").and_then(Value::as_str)?,
            ))
        });
        self.summary(event.timestamp, &Who::of(event), rules);
    }

    /// Every event but a summary.
    fn other(&mut self, event: &Event) {
        let at = event.timestamp;
        let in_window = self.window.contains(&at);
        let rule = detail(event, "rule")
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        match event.event_type.as_str() {
            BYPASS_LABELED => return self.label(event),
            // One per commit the review rule applies to: always that rule.
            types::COMMIT_REVIEW_REQUIRED => return self.seen(crate::rules::REVIEW, at, true),
            types::REVIEW_APPROVED => {
                let name = rule.as_deref().unwrap_or(crate::rules::REVIEW);
                return self.seen(name, at, true);
            }
            types::VIOLATION_DETECTED if !is_reserved_source(&event.source) => {
                if in_window {
                    self.watcher(event);
                }
                return;
            }
            _ => {}
        }
        let Some(rule) = rule else {
            return;
        };
        let exemption = matches!(
            event.event_type.as_str(),
            types::COMMIT_MERGE_EXEMPT | types::COMMIT_GITIGNORE_ONLY
        );
        self.seen(&rule, at, !exemption);
        if !in_window {
            return;
        }
        let category = bypass_category(&event.event_type, &self.extra);
        match event.event_type.as_str() {
            types::COMMIT_BLOCKED => {
                self.rule(&rule).blocks += 1;
                self.fired(&rule, at);
                self.judged(&rule, &Who::of(event), at, Status::Blocked);
            }
            types::AUDIT_WOULD_BLOCK => {
                self.rule(&rule).audits += 1;
                self.fired(&rule, at);
            }
            types::VIOLATION_DETECTED => self.rule(&rule).violations += 1,
            _ if category.is_some_and(|c| c != BypassCategory::RuleWeakened) => {
                let method = detail(event, "bypass_method")
                    .unwrap_or("(not named)")
                    .to_string();
                let evidence = self.rule(&rule);
                evidence.bypasses += 1;
                *evidence.methods.entry(method).or_insert(0) += 1;
                self.fired(&rule, at);
                self.judged(&rule, &Who::of(event), at, Status::Bypassed);
            }
            _ => {}
        }
    }

    fn watcher(&mut self, event: &Event) {
        let name = detail(event, "rule")
            .or_else(|| detail(event, "description"))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("(unnamed)");
        let weeks = whole_weeks(self.days);
        let week = week_of(self.now, self.days, event.timestamp);
        let watcher = self
            .watchers
            .entry(name.to_string())
            .or_insert_with(|| WatcherEvidence {
                weekly: vec![0; weeks],
                ..WatcherEvidence::default()
            });
        watcher.count += 1;
        *watcher.sources.entry(event.source.clone()).or_insert(0) += 1;
        if let Some(file) = detail(event, "file").filter(|f| !f.is_empty()) {
            add_file(watcher, file);
        }
        if let Some(severity) = detail(event, "severity") {
            let severity = severity.to_ascii_lowercase();
            if watcher
                .severity
                .as_deref()
                .is_none_or(|s| rank(&severity) > rank(s))
            {
                watcher.severity = Some(severity);
            }
        }
        if watcher.description.is_none() {
            watcher.description = detail(event, "description")
                .or_else(|| detail(event, "message"))
                .filter(|d| !d.trim().is_empty())
                .map(str::to_string);
        }
        if let Some(slot) = week.and_then(|w| watcher.weekly.get_mut(w)) {
            *slot += 1;
        }
    }

    fn label(&mut self, event: &Event) {
        let Some(bypass) = event.details.get("bypass").and_then(Value::as_object) else {
            return;
        };
        let Some(id) = bypass
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty())
        else {
            return;
        };
        let unjustified = match detail(event, "label") {
            Some("unjustified") => true,
            Some("justified") => false,
            _ => return,
        };
        let label = LabelEvidence {
            unjustified,
            rule: bypass.get("rule").and_then(Value::as_str).map(str::to_string),
            files: bypass
                .get("files")
                .and_then(Value::as_array)
                .map(|files| {
                    files
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            bypass_at: bypass
                .get("timestamp")
                .and_then(Value::as_str)
                .and_then(crate::event::timestamp::parse),
            labelled_at: event.timestamp,
        };
        offer_label(&mut self.labels, id.to_string(), label);
    }
}

/// Who made an attempt, as its events say.
struct Who<'a> {
    user: &'a str,
    branch: &'a str,
    attempt: Option<&'a str>,
    agent: Option<&'a str>,
}

impl<'a> Who<'a> {
    fn of(event: &'a Event) -> Who<'a> {
        Who {
            user: detail(event, "user").unwrap_or_default(),
            branch: detail(event, "branch").unwrap_or_default(),
            attempt: attempt_of(event),
            agent: agent_of(event),
        }
    }
}

/// What `advise` reads of a `hook_summary` line; every other field is
/// skipped unread.
#[derive(Deserialize)]
struct SummaryLine<'a> {
    #[serde(borrow)]
    details: SummaryDetails<'a>,
}

#[derive(Deserialize)]
struct SummaryDetails<'a> {
    #[serde(borrow, default)]
    rules: Vec<SummaryRule<'a>>,
    #[serde(borrow, default)]
    user: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    branch: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attempt_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attempt: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    agent: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    agent_runtime: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SummaryRule<'a> {
    #[serde(borrow, default)]
    rule: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    outcome: Option<Cow<'a, str>>,
}

/// The tracks of each user, branch and rule.
type Tracks = BTreeMap<String, BTreeMap<String, BTreeMap<String, Track>>>;

/// The value of `key`, made by `new` when missing; the key is copied only
/// then (this runs for every rule of every hook summary).
fn entry<'m, V>(map: &'m mut BTreeMap<String, V>, key: &str, new: impl FnOnce() -> V) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), new());
    }
    map.get_mut(key).expect("the key was inserted above")
}

impl RuleEvidence {
    fn seen(&mut self, at: DateTime<FixedOffset>, acted: bool) {
        self.first_seen = Some(self.first_seen.map_or(at, |t| t.min(at)));
        if acted {
            self.last_event = Some(self.last_event.map_or(at, |t| t.max(at)));
        }
    }
}

/// Keeps the newer label of a bypass (a later one at the same time wins).
fn offer_label(labels: &mut BTreeMap<String, LabelEvidence>, id: String, label: LabelEvidence) {
    match labels.get(&id) {
        Some(kept) if kept.labelled_at > label.labelled_at => {}
        _ => {
            labels.insert(id, label);
        }
    }
}

fn add_file(watcher: &mut WatcherEvidence, file: &str) {
    // The first files in path order, whatever order they came in, so a
    // log read in parts keeps the same ones.
    if watcher.files.insert(file.to_string()) && watcher.files.len() > MAX_FILES {
        watcher.files.pop_last();
        watcher.more_files = true;
    }
}

/// The agent of a group of events none of which names one.
pub const UNKNOWN_AGENT: &str = "(unknown)";

/// The agent an event names: the trailer's, else the runtime the
/// environment showed.
fn agent_of(event: &Event) -> Option<&str> {
    detail(event, "agent")
        .or_else(|| detail(event, crate::event::RUNTIME_FIELD))
        .filter(|a| !a.trim().is_empty())
}

/// The attempt an event belongs to (`attempt` before the field was named
/// `attempt_id`).
fn attempt_of(event: &Event) -> Option<&str> {
    detail(event, "attempt_id")
        .or_else(|| detail(event, "attempt"))
        .filter(|a| !a.is_empty())
}

/// How serious a severity is, for keeping the most serious.
fn rank(severity: &str) -> u8 {
    match severity {
        "info" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => 0,
    }
}

/// The index (oldest first) of the whole week of the window `at` falls
/// in; events stamped after `now` count in the newest.
fn week_of(now: DateTime<FixedOffset>, days: u64, at: DateTime<FixedOffset>) -> Option<usize> {
    let weeks = whole_weeks(days);
    let age = (now - at).num_seconds().max(0);
    let back = (age / (7 * 86_400)) as usize;
    (back < weeks).then(|| weeks - 1 - back)
}

impl Fold for AdviceFold {
    /// Details are not built for the types that never name a rule, nor
    /// for `commit_review_required` (always the review rule) and
    /// `hook_summary` (read from its line, [`Fold::add_stored`]).
    fn needs_details(&self, event: &Event) -> bool {
        !matches!(
            event.event_type.as_str(),
            types::COMMIT_COMPLETED
                | types::IMPORT_ALLOWED
                | types::IMPORT_BLOCKED
                | types::PUSH_ACCEPTED
                | types::PUSH_REJECTED
                | types::EVENTS_ELSEWHERE
                | types::LOG_REANCHORED
                | types::POLICY_CHANGED
                | types::CONFIG_CHANGED
                | types::CONFIG_INVALID
                | types::AGENT_MISMATCH
                | types::HOOK_SUMMARY
                | types::COMMIT_REVIEW_REQUIRED
        )
    }

    fn add(&mut self, event: &Event) {
        self.count(event);
        match event.event_type.as_str() {
            types::HOOK_SUMMARY => self.summary_event(event),
            _ => self.other(event),
        }
    }

    /// A summary is read from its line into borrowed strings, not built
    /// into a map: it is the most frequent event, with the largest details.
    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        if event.event_type != types::HOOK_SUMMARY {
            return self.add(event);
        }
        match serde_json::from_slice::<SummaryLine<'_>>(stored.line) {
            Ok(line) => {
                self.count(event);
                let d = &line.details;
                let who = Who {
                    user: d.user.as_deref().unwrap_or_default(),
                    branch: d.branch.as_deref().unwrap_or_default(),
                    attempt: d
                        .attempt_id
                        .as_deref()
                        .or(d.attempt.as_deref())
                        .filter(|a| !a.is_empty()),
                    agent: d
                        .agent
                        .as_deref()
                        .or(d.agent_runtime.as_deref())
                        .filter(|a| !a.trim().is_empty()),
                };
                let rules = d
                    .rules
                    .iter()
                    .filter_map(|r| Some((r.rule.as_deref()?, r.outcome.as_deref()?)));
                self.summary(event.timestamp, &who, rules);
            }
            // Details of another shape: read as any event.
            Err(_) => {
                if let Some(full) = crate::event::log::parse_line(stored.line) {
                    self.add(&full);
                }
            }
        }
    }
}

impl AdviceFold {
    /// Every event counts towards the log's age and the window's size.
    fn count(&mut self, event: &Event) {
        let at = event.timestamp;
        self.first_event = Some(self.first_event.map_or(at, |t| t.min(at)));
        self.events += u64::from(self.window.contains(&at));
    }
}

impl Split for AdviceFold {
    fn empty(&self) -> AdviceFold {
        AdviceFold::new(self.now, self.days, &self.extra)
    }

    fn merge(&mut self, other: AdviceFold) {
        self.first_event = match (self.first_event, other.first_event) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.events += other.events;
        for (name, theirs) in other.rules {
            let mine = self.rule(&name);
            mine.first_seen = min_of(mine.first_seen, theirs.first_seen);
            mine.last_event = max_of(mine.last_event, theirs.last_event);
            mine.evaluated += theirs.evaluated;
            mine.evaluated_quiet += theirs.evaluated_quiet;
            mine.blocks += theirs.blocks;
            mine.audits += theirs.audits;
            mine.bypasses += theirs.bypasses;
            mine.violations += theirs.violations;
            for (method, n) in theirs.methods {
                *mine.methods.entry(method).or_insert(0) += n;
            }
            for (slot, n) in mine.weekly.iter_mut().zip(theirs.weekly) {
                *slot += n;
            }
        }
        for (user, branches) in other.tracks {
            let mine = self.tracks.entry(user).or_default();
            for (branch, rules) in branches {
                let mine = mine.entry(branch).or_default();
                for (rule, track) in rules {
                    mine.entry(rule).or_default().merge(track);
                }
            }
        }
        let weeks = whole_weeks(self.days);
        for (name, theirs) in other.watchers {
            let mine = self.watchers.entry(name).or_insert_with(|| WatcherEvidence {
                weekly: vec![0; weeks],
                ..WatcherEvidence::default()
            });
            mine.count += theirs.count;
            for (source, n) in theirs.sources {
                *mine.sources.entry(source).or_insert(0) += n;
            }
            for file in &theirs.files {
                add_file(mine, file);
            }
            mine.more_files |= theirs.more_files;
            if let Some(severity) = theirs.severity
                && mine.severity.as_deref().is_none_or(|s| rank(&severity) > rank(s))
            {
                mine.severity = Some(severity);
            }
            if mine.description.is_none() {
                mine.description = theirs.description;
            }
            for (slot, n) in mine.weekly.iter_mut().zip(theirs.weekly) {
                *slot += n;
            }
        }
        for (id, label) in other.labels {
            offer_label(&mut self.labels, id, label);
        }
    }
}

fn min_of(
    a: Option<DateTime<FixedOffset>>,
    b: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_of(
    a: Option<DateTime<FixedOffset>>,
    b: Option<DateTime<FixedOffset>>,
) -> Option<DateTime<FixedOffset>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
