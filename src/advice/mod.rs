//! `enforce advise`: suggestions for the rules, each with its evidence and
//! how sure it is, drawn from the log and the config. Never applied:
//! `--patch` prints the change as a diff for a person to review.
//!
//! The analysis is pure: [`AdviceFold`] reads the events (through the one
//! reader, in parallel), [`advise`] weighs them against the config, and
//! [`patch`] turns the suggested changes into a diff of the config text it
//! is handed. docs/advice.md says what each suggestion means and why it is
//! only one.

mod fold;
mod follow;
pub mod patch;
mod render;
mod stats;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::Serialize;

pub use fold::{AdviceFold, Evidence, QUIET_DAYS};
pub use follow::FOLLOW_UP_HOURS;
pub use render::{markdown, text};
pub use stats::{Level, MIN_COUNT, Rate};

use crate::config::{Config, Mode};
use crate::rules::{AGENT_TRAILER, REVIEW, REVIEW_TRAILER, SKIP_AGENT_TRAILER, SKIP_REVIEW};
use fold::{FollowUps, RuleEvidence, UNKNOWN_AGENT, WatcherEvidence};
use stats::{duration, median, percent};

/// The window `advise` reads by default, in days.
pub const DEFAULT_DAYS: u64 = 30;

/// A bypass share or a block-to-bypass rate at or above this is "often"
/// and "mostly".
const RELAX_THRESHOLD: f64 = 0.5;

/// A quiet rule is surely quiet when the interval puts its firing rate
/// below this.
const QUIET_RATE: f64 = 0.1;

/// A rule in audit mode that would block fewer than this share of the
/// commits it judges is a sure candidate for enforcing; more, and it may
/// be too broad.
const ENFORCE_RATE: f64 = 0.5;

/// What `advise` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// The window, in days, and when it starts and ends.
    pub days: u64,
    pub since: String,
    pub until: String,
    /// The oldest event of the log.
    pub log_since: Option<String>,
    /// Events read in the window; lines that were not events.
    pub events: u64,
    pub malformed: u64,
    /// The rules of the config, as the window saw them.
    pub rules: Vec<RuleReport>,
    /// The suggestions, surest first. None of them is applied.
    pub suggestions: Vec<Suggestion>,
    /// The checks that could not be made: too few observations.
    pub not_enough_data: Vec<Shortfall>,
    /// The settings the suggestions rest on (docs/advice.md).
    pub settings: Settings,
}

/// The thresholds and minimums behind every suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    pub min_count: u64,
    pub quiet_days: u64,
    pub follow_up_hours: i64,
    pub confidence: &'static str,
}

/// One suggestion.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub kind: Kind,
    /// The rule it is about (for `add`, the rule it drafts).
    pub rule: String,
    /// What is suggested and why, in one line.
    pub summary: String,
    /// The numbers behind it.
    pub evidence: Vec<String>,
    pub sureness: Sureness,
    /// What a person would do about it.
    pub action: String,
    /// The change to `.enforce.toml` `--patch` would print, if one can be
    /// written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<Change>,
}

/// What kind of change a suggestion is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Relax,
    Strengthen,
    Remove,
    Add,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Relax => "relax",
            Kind::Strengthen => "strengthen",
            Kind::Remove => "remove",
            Kind::Add => "add",
        }
    }
}

/// How sure a suggestion is: a level, the rate and interval (or count) it
/// rests on, in words and in numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sureness {
    pub level: Level,
    pub basis: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<Rate>,
}

/// A change to `.enforce.toml`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// Set the rule's `mode`.
    SetMode { rule: String, mode: &'static str },
    /// `required = true`: the rule's skip variable stops counting.
    Require { rule: String },
    /// Delete the content rule.
    Remove { rule: String },
    /// A content rule drafted as a comment: its pattern is for a person to
    /// write.
    Draft {
        rule: String,
        paths: Vec<String>,
        severity: String,
        message: String,
        why: String,
    },
}

/// A check that needs more observations than the window holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortfall {
    pub rule: String,
    pub check: Kind,
    pub have: u64,
    pub need: u64,
    pub what: String,
}

/// One rule of the config over the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleReport {
    pub rule: String,
    pub mode: &'static str,
    /// Times a hook judged it.
    pub evaluated: u64,
    pub blocked: u64,
    pub audited: u64,
    pub bypassed: u64,
    pub violations: u64,
    /// How its blocks were followed (docs/advice.md, "Fixes").
    pub follow_up: FollowUp,
    pub by_agent: Vec<AgentReport>,
    /// Blocks, audits and bypasses per whole week, oldest first.
    pub weekly: Vec<u64>,
    /// The last time it did anything, in the whole log.
    pub last_event: Option<String>,
}

/// How blocks were followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUp {
    pub blocks: u64,
    pub fixed: u64,
    pub bypassed: u64,
    pub blocked_again: u64,
    pub no_follow_up: u64,
    pub median_seconds_to_fix: Option<i64>,
}

impl FollowUp {
    fn of(f: &FollowUps) -> FollowUp {
        FollowUp {
            blocks: f.blocks,
            fixed: f.fixed,
            bypassed: f.bypassed,
            blocked_again: f.blocked_again,
            no_follow_up: f.nothing,
            median_seconds_to_fix: median(&f.fix_seconds),
        }
    }
}

/// One agent's blocks of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentReport {
    pub agent: String,
    #[serde(flatten)]
    pub follow_up: FollowUp,
}

/// A rule as the config has it.
struct Configured {
    name: String,
    mode: Mode,
    kind: RuleKind,
}

#[derive(Clone, Copy)]
enum RuleKind {
    Review { required: bool },
    ReviewTrailer,
    AgentTrailer { required: bool },
    Content,
}

impl RuleKind {
    /// Its skip variable, for the rules that have one.
    fn skip_variable(self) -> Option<&'static str> {
        match self {
            RuleKind::Review { .. } => Some(SKIP_REVIEW),
            RuleKind::AgentTrailer { .. } => Some(SKIP_AGENT_TRAILER),
            _ => None,
        }
    }

    fn required(self) -> bool {
        matches!(
            self,
            RuleKind::Review { required: true } | RuleKind::AgentTrailer { required: true }
        )
    }

    /// Where its `mode` is set, for the words of a suggestion.
    fn table(self) -> &'static str {
        match self {
            RuleKind::Review { .. } | RuleKind::ReviewTrailer => "[review]",
            RuleKind::AgentTrailer { .. } => "[agent_trailer]",
            RuleKind::Content => "its [[rules.content]]",
        }
    }
}

/// The rules of `config` that are not off, in the order they run.
fn configured(config: &Config) -> Vec<Configured> {
    let mut rules = Vec::new();
    let review = &config.review;
    if review.mode != Mode::Off {
        rules.push(Configured {
            name: REVIEW.into(),
            mode: review.mode,
            kind: RuleKind::Review {
                required: review.required,
            },
        });
        if !review.trailer.is_empty() {
            rules.push(Configured {
                name: REVIEW_TRAILER.into(),
                mode: review.mode,
                kind: RuleKind::ReviewTrailer,
            });
        }
    }
    for rule in config.rules.content.iter().filter(|r| r.mode != Mode::Off) {
        rules.push(Configured {
            name: rule.name.get_ref().as_str().to_string(),
            mode: rule.mode,
            kind: RuleKind::Content,
        });
    }
    let trailer = &config.agent_trailer;
    if trailer.mode != Mode::Off {
        rules.push(Configured {
            name: AGENT_TRAILER.into(),
            mode: trailer.mode,
            kind: RuleKind::AgentTrailer {
                required: trailer.required,
            },
        });
    }
    rules
}

fn stamp(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn day(at: DateTime<FixedOffset>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// Weighs `evidence` against `config`: the suggestions, the checks that
/// lacked data, and each rule's numbers.
pub fn advise(evidence: &Evidence, config: &Config) -> Advice {
    let mut out = Out::default();
    let empty = RuleEvidence {
        weekly: vec![0; evidence.weeks()],
        ..RuleEvidence::default()
    };
    let mut reports = Vec::new();
    for rule in configured(config) {
        let ev = evidence.rules.get(&rule.name).unwrap_or(&empty);
        reports.push(report(&rule, ev));
        quiet(&mut out, evidence, &rule, ev);
        let steered = bypassed(&mut out, evidence, &rule, ev);
        if !steered {
            not_falling(&mut out, evidence, &rule, ev);
        }
        audited(&mut out, evidence, &rule, ev);
    }
    let mut taken: BTreeSet<String> = config
        .rules
        .content
        .iter()
        .map(|r| r.name.get_ref().as_str().to_string())
        .collect();
    watchers(&mut out, evidence, &mut taken);
    clusters(&mut out, evidence, &mut taken);
    out.suggestions
        .sort_by(|a, b| (b.sureness.level, a.kind, &a.rule).cmp(&(a.sureness.level, b.kind, &b.rule)));
    Advice {
        days: evidence.days,
        since: stamp(evidence.window.start),
        until: stamp(evidence.now),
        log_since: evidence.first_event.map(stamp),
        events: evidence.events,
        malformed: evidence.malformed,
        rules: reports,
        suggestions: out.suggestions,
        not_enough_data: out.shortfalls,
        settings: Settings {
            min_count: MIN_COUNT,
            quiet_days: QUIET_DAYS,
            follow_up_hours: FOLLOW_UP_HOURS,
            confidence: "95 % Wilson score interval",
        },
    }
}

#[derive(Default)]
struct Out {
    suggestions: Vec<Suggestion>,
    shortfalls: Vec<Shortfall>,
}

impl Out {
    fn short(&mut self, rule: &str, check: Kind, have: u64, what: String) {
        self.shortfalls.push(Shortfall {
            rule: rule.to_string(),
            check,
            have,
            need: MIN_COUNT,
            what,
        });
    }
}

fn report(rule: &Configured, ev: &RuleEvidence) -> RuleReport {
    let mut by_agent: Vec<AgentReport> = ev
        .agents
        .iter()
        .map(|(agent, f)| AgentReport {
            agent: agent.clone(),
            follow_up: FollowUp::of(f),
        })
        .collect();
    // The most blocked first; the unknown last among equals.
    by_agent.sort_by(|a, b| {
        (b.follow_up.blocks, a.agent == UNKNOWN_AGENT, &a.agent).cmp(&(
            a.follow_up.blocks,
            b.agent == UNKNOWN_AGENT,
            &b.agent,
        ))
    });
    RuleReport {
        rule: rule.name.clone(),
        mode: rule.mode.as_str(),
        evaluated: ev.evaluated,
        blocked: ev.blocks,
        audited: ev.audits,
        bypassed: ev.bypasses,
        violations: ev.violations,
        follow_up: FollowUp::of(&ev.follow),
        by_agent,
        weekly: ev.weekly.clone(),
        last_event: ev.last_event.map(stamp),
    }
}

/// Remove or review: no event for [`QUIET_DAYS`] days.
fn quiet(out: &mut Out, evidence: &Evidence, rule: &Configured, ev: &RuleEvidence) {
    // It guards against a false claim of review: quiet is what it should be.
    if matches!(rule.kind, RuleKind::ReviewTrailer) {
        return;
    }
    let quiet_for = chrono::Duration::days(QUIET_DAYS as i64);
    if ev.last_event.is_some_and(|t| evidence.now - t < quiet_for) {
        return;
    }
    let name = &rule.name;
    let known_for = ev
        .first_seen
        .map_or(0, |t| (evidence.now - t).num_days().max(0) as u64);
    if known_for < QUIET_DAYS {
        let what = match ev.first_seen {
            None => format!(
                "no hook has judged it yet; a rule is called quiet after {QUIET_DAYS} days of being judged"
            ),
            Some(t) => format!(
                "judged since {} ({known_for} days); a rule is called quiet after {QUIET_DAYS}",
                day(t)
            ),
        };
        out.shortfalls.push(Shortfall {
            rule: name.clone(),
            check: Kind::Remove,
            have: known_for,
            need: QUIET_DAYS,
            what,
        });
        return;
    }
    let n = ev.evaluated_quiet;
    let Some(rate) = Rate::of(0, n).filter(|_| n >= MIN_COUNT) else {
        out.short(
            name,
            Kind::Remove,
            n,
            format!("judged {n} time(s) in the last {QUIET_DAYS} days"),
        );
        return;
    };
    let since = match ev.last_event {
        Some(t) => format!(
            "its last event was on {} ({} days ago)",
            day(t),
            (evidence.now - t).num_days()
        ),
        None => format!(
            "it has had none since the log first names it, on {}",
            ev.first_seen.map(day).unwrap_or_default()
        ),
    };
    let level = if rate.high <= QUIET_RATE {
        Level::High
    } else {
        Level::Medium
    };
    let (action, change) = match rule.kind {
        RuleKind::Content => (
            "remove it (the patch deletes its [[rules.content]]), or check that its pattern and paths still match what they should: a rule that never fires is obeyed, or matches nothing".to_string(),
            Some(Change::Remove { rule: name.clone() }),
        ),
        _ => (
            format!(
                "review it: a quiet `{name}` is usually obeyed; turn it off (`mode = \"off\"` in {}) only if it is no longer wanted",
                rule.kind.table()
            ),
            None,
        ),
    };
    out.suggestions.push(Suggestion {
        kind: Kind::Remove,
        rule: name.clone(),
        summary: format!("no event of `{name}` in the last {QUIET_DAYS} days"),
        evidence: vec![
            format!(
                "judged {n} times in the last {QUIET_DAYS} days: never blocked, audited, bypassed or approved, no violation"
            ),
            since,
        ],
        sureness: Sureness {
            level,
            basis: format!(
                "0 of {n} judgements fired: at most {} of commits (95 % upper bound)",
                percent(rate.high)
            ),
            rate: Some(rate),
        },
        action,
        change,
    });
}

/// Relax (or, when the labels say the bypasses were unjustified,
/// strengthen) a rule that is bypassed often or whose blocks are mostly
/// followed by a bypass. Returns whether it suggested either.
fn bypassed(out: &mut Out, evidence: &Evidence, rule: &Configured, ev: &RuleEvidence) -> bool {
    if rule.mode != Mode::Enforce {
        return false;
    }
    let name = &rule.name;
    let f = &ev.follow;
    let after_block = Rate::of(f.bypassed, f.fixed + f.bypassed).filter(|r| r.of >= MIN_COUNT);
    let share = Rate::of(ev.bypasses, ev.blocks + ev.bypasses).filter(|r| r.of >= MIN_COUNT);
    let (rate, basis, headline) = match (after_block, share) {
        (Some(r), _) if r.rate >= RELAX_THRESHOLD => (
            r,
            format!(
                "{} of {} blocks followed by a fix or a bypass were bypassed",
                r.count, r.of
            ),
            format!(
                "{} of {} blocks of `{name}` were followed by a bypass, not a fix",
                r.count, r.of
            ),
        ),
        (_, Some(r)) if r.rate >= RELAX_THRESHOLD => (
            r,
            format!("{} of its {} blocks and bypasses were bypasses", r.count, r.of),
            format!(
                "`{name}` was bypassed {} times and blocked {} times",
                ev.bypasses, ev.blocks
            ),
        ),
        (a, s) => {
            let have = f.fixed + f.bypassed;
            if a.is_none() && s.is_none() && (have > 0 || ev.bypasses > 0) {
                out.short(
                    name,
                    Kind::Relax,
                    have.max(ev.blocks + ev.bypasses),
                    format!(
                        "{have} block(s) followed by a fix or a bypass, {} block(s) and bypass(es)",
                        ev.blocks + ev.bypasses
                    ),
                );
            }
            return false;
        }
    };
    let mut evidence_lines = vec![
        format!(
            "{} blocks: {} followed by a fix, {} by a bypass, {} blocked again, {} with no follow-up within {FOLLOW_UP_HOURS} h",
            f.blocks, f.fixed, f.bypassed, f.blocked_again, f.nothing
        ),
        format!(
            "{} bypasses in the last {} days{}",
            ev.bypasses,
            evidence.days,
            methods(ev)
        ),
    ];
    if let Some(m) = median(&f.fix_seconds) {
        evidence_lines.push(format!("median time to fix: {}", duration(m)));
    }
    let (justified, unjustified) = labels_of(evidence, name);
    let labelled = justified + unjustified;
    if labelled > 0 {
        evidence_lines.push(format!(
            "labelled bypasses: {justified} justified, {unjustified} unjustified"
        ));
    }
    let mut level = rate.level_above(RELAX_THRESHOLD);
    let basis = format!("{basis}: {}", rate.describe());
    if unjustified > justified && labelled < MIN_COUNT {
        // Too few labels to turn the advice, enough to doubt it.
        level = Level::Low;
        evidence_lines.push(format!(
            "the few labelled bypasses were mostly unjustified; {MIN_COUNT} labels would turn this into strengthening"
        ));
    }
    if unjustified > justified && labelled >= MIN_COUNT {
        let (action, change) = match rule.kind.skip_variable() {
            Some(variable) if !rule.kind.required() => (
                format!(
                    "make {variable} stop counting (`required = true` in {}): the unjustified bypasses become blocks",
                    rule.kind.table()
                ),
                Some(Change::Require { rule: name.clone() }),
            ),
            _ => (
                "the bypasses skip the hooks: have `enforce audit` in CI or the server's pre-receive refuse unreviewed commits (docs/ci.md, docs/server.md)".to_string(),
                None,
            ),
        };
        out.suggestions.push(Suggestion {
            kind: Kind::Strengthen,
            rule: name.clone(),
            summary: format!(
                "{headline}, and {unjustified} of {labelled} labelled bypasses were unjustified"
            ),
            evidence: evidence_lines,
            sureness: Sureness {
                level,
                basis,
                rate: Some(rate),
            },
            action,
            change,
        });
        return true;
    }
    let (action, change) = match rule.kind {
        RuleKind::ReviewTrailer => (
            "it follows the mode of [review]; look at why the claims of review it blocks are made"
                .to_string(),
            None,
        ),
        kind => (
            format!(
                "relax it: `mode = \"audit\"` in {} records what it would block without blocking; or narrow it so it blocks only what it should",
                kind.table()
            ),
            Some(Change::SetMode {
                rule: name.clone(),
                mode: Mode::Audit.as_str(),
            }),
        ),
    };
    out.suggestions.push(Suggestion {
        kind: Kind::Relax,
        rule: name.clone(),
        summary: headline,
        evidence: evidence_lines,
        sureness: Sureness {
            level,
            basis,
            rate: Some(rate),
        },
        action,
        change,
    });
    true
}

/// `" (PILOT_SKIP_REVIEW=1: 3, git commit --no-verify: 1)"`.
fn methods(ev: &RuleEvidence) -> String {
    if ev.methods.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = ev.methods.iter().map(|(m, n)| format!("{m}: {n}")).collect();
    format!(" ({})", parts.join(", "))
}

/// The newest labels of the window's bypasses of `rule`: (justified,
/// unjustified).
fn labels_of(evidence: &Evidence, rule: &str) -> (u64, u64) {
    evidence
        .labels
        .values()
        .filter(|l| l.rule.as_deref() == Some(rule))
        .fold(
            (0, 0),
            |(j, u), l| {
                if l.unjustified { (j, u + 1) } else { (j + 1, u) }
            },
        )
}

/// Strengthen a rule in enforce mode that fires every week without
/// falling.
fn not_falling(out: &mut Out, evidence: &Evidence, rule: &Configured, ev: &RuleEvidence) {
    if rule.mode != Mode::Enforce {
        return;
    }
    let name = &rule.name;
    let weeks = ev.weekly.len();
    let fires: u64 = ev.weekly.iter().sum();
    if fires == 0 {
        return;
    }
    if weeks < 2 || fires < MIN_COUNT {
        out.short(
            name,
            Kind::Strengthen,
            fires,
            if weeks < 2 {
                format!(
                    "{fires} block(s), audit(s) and bypass(es) in {weeks} whole week(s); a trend needs at least 2 (--days 14 or more)"
                )
            } else {
                format!("{fires} block(s), audit(s) and bypass(es) in {weeks} whole weeks")
            },
        );
        return;
    }
    let (oldest, newest) = (ev.weekly[0], ev.weekly[weeks - 1]);
    if ev.weekly.contains(&0) || newest < oldest {
        return;
    }
    let Some(rate) = Rate::of(newest, oldest + newest) else {
        return;
    };
    let per_week: Vec<String> = ev.weekly.iter().map(u64::to_string).collect();
    let skips = rule.kind.skip_variable().map_or(0, |v| {
        ev.methods
            .iter()
            .filter(|(m, _)| m.starts_with(v))
            .map(|(_, n)| n)
            .sum::<u64>()
    });
    let (action, change) = match rule.kind.skip_variable() {
        Some(variable) if !rule.kind.required() && skips > 0 => (
            format!(
                "make {variable} stop counting (`required = true` in {}): its {skips} skips become blocks",
                rule.kind.table()
            ),
            Some(Change::Require { rule: name.clone() }),
        ),
        _ => (
            "the agents are not learning it: say in the block message what to do instead, and put the rule in the agents' instructions".to_string(),
            None,
        ),
    };
    out.suggestions.push(Suggestion {
        kind: Kind::Strengthen,
        rule: name.clone(),
        summary: format!("`{name}` fired every week of the last {weeks} and is not falling"),
        evidence: vec![
            format!(
                "blocks, audits and bypasses per week, oldest first: {}",
                per_week.join(", ")
            ),
            format!(
                "{} blocks, {} bypasses, {} violations in the last {} days",
                ev.blocks, ev.bypasses, ev.violations, evidence.days
            ),
        ],
        sureness: Sureness {
            level: rate.level_above(RELAX_THRESHOLD),
            basis: format!(
                "the newest week holds {} of the {} of the oldest and newest together: {}",
                newest,
                oldest + newest,
                rate.describe()
            ),
            rate: Some(rate),
        },
        action,
        change,
    });
}

/// Enforce a rule in audit mode with repeated hits.
fn audited(out: &mut Out, evidence: &Evidence, rule: &Configured, ev: &RuleEvidence) {
    if rule.mode != Mode::Audit || matches!(rule.kind, RuleKind::ReviewTrailer) {
        return;
    }
    let name = &rule.name;
    let hits = ev.audits;
    if hits == 0 {
        return;
    }
    if hits < MIN_COUNT {
        out.short(
            name,
            Kind::Strengthen,
            hits,
            format!("{hits} audit hit(s) in the last {} days", evidence.days),
        );
        return;
    }
    let judged = ev.evaluated.max(hits);
    let rate = Rate::of(hits, judged).filter(|_| ev.evaluated > 0);
    let (level, basis) = match rate {
        Some(r) => (
            if r.high < ENFORCE_RATE {
                Level::High
            } else {
                Level::Medium
            },
            format!(
                "it would have blocked {hits} of the {judged} commits it judged: {}",
                r.describe()
            ),
        ),
        None => (
            Level::Medium,
            format!("{hits} hits; no hook summary says how many commits it judged"),
        ),
    };
    out.suggestions.push(Suggestion {
        kind: Kind::Strengthen,
        rule: name.clone(),
        summary: format!(
            "`{name}` is in audit mode and would have blocked {hits} commits in the last {} days",
            evidence.days
        ),
        evidence: vec![
            format!("{hits} `audit_would_block` in the last {} days", evidence.days),
            format!("judged {} times", ev.evaluated),
        ],
        sureness: Sureness { level, basis, rate },
        action: format!(
            "enforce it: `mode = \"enforce\"` in {}; each of these commits would then have been blocked",
            rule.kind.table()
        ),
        change: Some(Change::SetMode {
            rule: name.clone(),
            mode: Mode::Enforce.as_str(),
        }),
    });
}

/// Add a content rule for what other tools keep reporting.
fn watchers(out: &mut Out, evidence: &Evidence, taken: &mut BTreeSet<String>) {
    for (name, w) in &evidence.watchers {
        if taken.contains(name) {
            continue;
        }
        let sources: Vec<&str> = w.sources.keys().map(String::as_str).collect();
        if w.count < MIN_COUNT {
            out.short(
                name,
                Kind::Add,
                w.count,
                format!(
                    "{} violation(s) from {} with no content rule of that name",
                    w.count,
                    sources.join(", ")
                ),
            );
            continue;
        }
        let draft = draft_name(name, taken);
        let weeks_seen = w.weekly.iter().filter(|n| **n > 0).count();
        let level = if weeks_seen >= 2 {
            Level::High
        } else {
            Level::Medium
        };
        let paths = paths_for(w.files.iter().map(String::as_str));
        let why = format!(
            "{} `{name}` violations from {} in the last {} days",
            w.count,
            sources.join(", "),
            evidence.days
        );
        out.suggestions.push(Suggestion {
            kind: Kind::Add,
            rule: draft.clone(),
            summary: format!(
                "{} reported `{name}` {} times and no content rule checks it at commit time",
                sources.join(", "),
                w.count
            ),
            evidence: vec![
                why.clone(),
                format!(
                    "in {} distinct file(s){}, most serious: {}",
                    w.files.len(),
                    if w.more_files { " and more" } else { "" },
                    w.severity.as_deref().unwrap_or("not given")
                ),
            ],
            sureness: Sureness {
                level,
                basis: format!(
                    "{} violations, in {weeks_seen} of the {} whole weeks",
                    w.count,
                    w.weekly.len()
                ),
                rate: None,
            },
            action: format!(
                "write a content rule for it (the patch drafts one as a comment, paths {}): only a person can write its pattern",
                paths.join(", ")
            ),
            change: Some(Change::Draft {
                rule: draft,
                paths,
                severity: severity(w),
                message: w
                    .description
                    .clone()
                    .unwrap_or_else(|| format!("reported as `{name}` by {}", sources.join(", "))),
                why,
            }),
        });
    }
}

fn severity(w: &WatcherEvidence) -> String {
    match w.severity.as_deref() {
        Some(s @ ("info" | "low" | "medium" | "high" | "critical")) => s.to_string(),
        _ => "medium".to_string(),
    }
}

/// Add a content rule where unjustified bypasses cluster on a directory.
fn clusters(out: &mut Out, evidence: &Evidence, taken: &mut BTreeSet<String>) {
    let unjustified: Vec<&fold::LabelEvidence> = evidence
        .labels
        .values()
        .filter(|l| l.unjustified && !l.files.is_empty())
        .collect();
    let total = unjustified.len() as u64;
    if total == 0 {
        return;
    }
    // Per directory, how many of the bypasses touched a file under it.
    let mut under: BTreeMap<String, u64> = BTreeMap::new();
    for label in &unjustified {
        let mut dirs = BTreeSet::new();
        for file in &label.files {
            let mut parts: Vec<&str> = file.split('/').collect();
            parts.pop();
            for depth in 1..=parts.len() {
                dirs.insert(parts[..depth].join("/"));
            }
        }
        for dir in dirs {
            *under.entry(dir).or_insert(0) += 1;
        }
    }
    // The deepest directory most of them touched.
    let best = under
        .iter()
        .filter(|(_, n)| **n * 2 >= total)
        .max_by_key(|(dir, n)| (**n, dir.matches('/').count()));
    let Some((dir, &count)) = best.filter(|(_, n)| **n >= MIN_COUNT) else {
        out.short(
            "(unjustified bypasses)",
            Kind::Add,
            best.map_or(0, |(_, n)| *n),
            format!("{total} unjustified bypass(es) with files; {MIN_COUNT} under one directory are needed"),
        );
        return;
    };
    let Some(rate) = Rate::of(count, total) else {
        return;
    };
    let draft = draft_name(&format!("guard-{dir}"), taken);
    let rules: BTreeSet<&str> = unjustified.iter().filter_map(|l| l.rule.as_deref()).collect();
    let why = format!("{count} of {total} unjustified bypasses touched files under {dir}/");
    let paths = vec![format!("{}/**", glob_escape(dir))];
    out.suggestions.push(Suggestion {
        kind: Kind::Add,
        rule: draft.clone(),
        summary: format!("unjustified bypasses cluster on {dir}/"),
        evidence: vec![
            why.clone(),
            format!("bypassed rules: {}", rules.into_iter().collect::<Vec<_>>().join(", ")),
        ],
        sureness: Sureness {
            level: rate.level_above(RELAX_THRESHOLD),
            basis: format!("{why}: {}", rate.describe()),
            rate: Some(rate),
        },
        action: format!(
            "a content rule on {} has no skip variable: write the pattern of what must not be added there (the patch drafts it as a comment)",
            paths[0]
        ),
        change: Some(Change::Draft {
            rule: draft,
            paths,
            severity: "high".into(),
            message: format!("{dir}/ is guarded: {why} in the last {} days", evidence.days),
            why,
        }),
    });
}

/// A content rule name for `wanted` that no rule has yet.
fn draft_name(wanted: &str, taken: &mut BTreeSet<String>) -> String {
    let mut name: String = wanted
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string();
    name.truncate(56);
    if name.is_empty() || matches!(name.as_str(), "review" | "agent-trailer") {
        name = format!("watch-{name}").trim_end_matches('-').to_string();
    }
    let mut candidate = name.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// Escapes the glob characters of a literal path part.
fn glob_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The narrowest glob covering `files`: their common directory and, when
/// they share it, their extension.
fn paths_for<'a>(files: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut common: Option<Vec<&str>> = None;
    let mut extension: Option<Option<&str>> = None;
    for file in files {
        let mut parts: Vec<&str> = file.split('/').filter(|p| !p.is_empty()).collect();
        let Some(name) = parts.pop() else {
            continue;
        };
        let ext = name
            .rsplit_once('.')
            .filter(|(stem, _)| !stem.is_empty())
            .map(|(_, e)| e);
        extension = match extension {
            None => Some(ext),
            Some(seen) if seen == ext => Some(seen),
            Some(_) => Some(None),
        };
        common = Some(match common {
            None => parts,
            Some(c) => c
                .iter()
                .zip(&parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    let dir: Vec<String> = common
        .unwrap_or_default()
        .iter()
        .map(|p| glob_escape(p))
        .collect();
    let ext = extension.flatten().map(glob_escape);
    let glob = match (dir.is_empty(), ext) {
        (true, Some(ext)) => format!("*.{ext}"),
        (true, None) => "**".to_string(),
        (false, Some(ext)) => format!("{}/**/*.{ext}", dir.join("/")),
        (false, None) => format!("{}/**", dir.join("/")),
    };
    vec![glob]
}

#[cfg(test)]
mod tests;
