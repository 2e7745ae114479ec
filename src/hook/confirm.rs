//! Confirming the note a commit attempt's checks left.
//!
//! pre-commit and commit-msg leave a note saying they ran and what they
//! decided (see [`super::attempt`]). The note is a file the agent can
//! write too: one written by hand before `exec git commit --no-verify`
//! would pass a commit that skipped the checks off as checked. So
//! post-commit believes a note only as far as the commit bears it out
//! without the note: it judges the commit again as the hook would have
//! (the same judge, the approval store at the time the note says the
//! check ran, the same skip variables, which git passes to every hook of
//! one commit), and then
//!
//! - every rule the judge finds failing must be in the note with the same
//!   outcome (a bypass by the same variable, an audit), and
//! - every bypass or audit the note claims must be in the log, recorded
//!   under this attempt's id, as the hook that claims it records them.
//!
//! A hook's part of the note that fails either test is dropped: the commit
//! is then judged as one that skipped that hook, every failure recorded as
//! a bypass. What is left to forge is what the judge reads (the approval
//! store, the log), forged no more easily with a note than without one;
//! signed approvals and the server-side audit settle those
//! (docs/trust.md).

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, Local};

use super::attempt::Attempt;
use super::context::{HookContext, env_flag};
use crate::approval::{Approvals, Requirements};
use crate::config::Config;
use crate::event::{Event, scan, types};
use crate::git::trailers::Trailers;
use crate::git::{CommitInfo, Patch};
use crate::judge::{self, Facts, MessageFacts, ReviewFacts};
use crate::receipt::Decision;
use crate::rules::{AGENT_TRAILER, SKIP_AGENT_TRAILER, SKIP_REVIEW};

/// What post-commit knows of the commit, independently of the note.
pub(super) struct Commit<'a> {
    pub commit: &'a CommitInfo,
    /// The paths it changes, measured as pre-commit measured them.
    pub paths: &'a [PathBuf],
    /// The lines it adds, when the content rules are on.
    pub added: Option<&'a Patch>,
    pub trailers: &'a Trailers,
    pub merging: bool,
    pub merge_resolved: bool,
}

/// How much of the log's end is read for the events a note claims: the
/// events of one attempt are the last few (a commit records at most
/// [`super::apply::MAX_RECORDED_HITS`] hits per rule).
const RECENT_BYTES: u64 = 4 << 20;

/// How far back the note's `checked_at` may put the approval check: the
/// time a commit can sit in the editor, not a way to use an approval that
/// expired long ago.
const MAX_CHECK_AGE_SECONDS: i64 = 24 * 3600;

/// Drops each hook's part of `attempt` that `commit` does not bear out,
/// and says why, one line per part dropped.
pub(super) fn confirm(
    ctx: &HookContext,
    policy: &Config,
    attempt: &mut Attempt,
    commit: Commit,
) -> Vec<String> {
    if attempt.pre_commit.is_none() && attempt.commit_msg.is_none() {
        return Vec::new();
    }
    let review = attempt.pre_commit.as_ref().map(|note| ReviewFacts {
        approval: approval_state(
            ctx,
            policy,
            attempt.head.as_deref(),
            &commit,
            checked_at(note.checked_at.as_deref()),
        ),
        skip: env_flag(SKIP_REVIEW),
    });
    let message = attempt.commit_msg.as_ref().map(|_| MessageFacts {
        trailers: commit.trailers,
        skip: env_flag(SKIP_AGENT_TRAILER),
        file: None,
        review_trailer: None,
    });
    let facts = Facts {
        tree: &commit.commit.tree,
        paths: commit.paths,
        merging: commit.merging,
        merge_resolved: commit.merge_resolved,
        added: attempt.pre_commit.as_ref().and(commit.added),
        review,
        message,
        checks_skipped: false,
    };
    let verdict = judge::judge(&facts, policy);
    let judged: Vec<Decision> = verdict.rules.iter().map(Decision::of).collect();
    let (by_msg, by_pre): (Vec<&Decision>, Vec<&Decision>) =
        judged.iter().partition(|d| d.rule == AGENT_TRAILER);

    let id = attempt.id.clone();
    let mut recent: Option<Vec<Event>> = None;
    let mut recorded = |claim: &Decision| {
        let events =
            recent.get_or_insert_with(|| scan::recent(ctx.recorder.log(), RECENT_BYTES).unwrap_or_default());
        was_recorded(events, &id, claim)
    };
    let mut why = Vec::new();
    if let Some(note) = &attempt.pre_commit
        && let Some(problem) = contradiction(&by_pre, &note.rules, &mut recorded)
    {
        why.push(format!("pre-commit's note {problem}"));
        attempt.pre_commit = None;
    }
    if let Some(note) = &attempt.commit_msg
        && let Some(problem) = contradiction(&by_msg, &note.rules, &mut recorded)
    {
        why.push(format!("commit-msg's note {problem}"));
        attempt.commit_msg = None;
    }
    // What the parts left say beyond the rules' outcomes is the judge's:
    // the review's outcome, whose approval, which agent.
    if let Some(note) = attempt.pre_commit.as_mut() {
        note.review = verdict.review().map_or("off", |r| r.outcome_name()).to_string();
        note.approved_by = verdict.approved_by().map(str::to_string);
    }
    if let Some(note) = attempt.commit_msg.as_mut() {
        note.agent = verdict.agent().map(str::to_string);
    }
    why
}

/// What is wrong with a hook's `noted` decisions, given the `judged` ones
/// for the same rules; `None` when the commit bears them out.
fn contradiction(
    judged: &[&Decision],
    noted: &[Decision],
    recorded: &mut impl FnMut(&Decision) -> bool,
) -> Option<String> {
    for decision in judged.iter().filter(|d| fails(d)) {
        let reason = decision.reason.as_deref().unwrap_or("it fails");
        match noted.iter().find(|n| n.rule == decision.rule) {
            Some(n)
                if decision.outcome != "failed"
                    && n.outcome == decision.outcome
                    && n.method == decision.method => {}
            Some(n) => {
                return Some(format!(
                    "says rule `{}` {}, but the commit fails it: {reason}",
                    decision.rule, n.outcome
                ));
            }
            None => {
                return Some(format!(
                    "leaves out rule `{}`, which the commit fails: {reason}",
                    decision.rule
                ));
            }
        }
    }
    noted
        .iter()
        .filter(|n| matches!(n.outcome.as_str(), "bypassed" | "audit"))
        .find(|n| !recorded(n))
        .map(|n| {
            format!(
                "says rule `{}` was {}, but no such event of this attempt is in the log",
                n.rule,
                if n.outcome == "audit" {
                    "audited"
                } else {
                    "bypassed"
                }
            )
        })
}

/// A verdict that lets something through that the rule does not pass.
fn fails(decision: &Decision) -> bool {
    matches!(decision.outcome.as_str(), "bypassed" | "audit" | "failed")
}

/// Whether `events` hold the event the hook records for `claim` (a bypass
/// or an audit) in attempt `attempt`.
fn was_recorded(events: &[Event], attempt: &str, claim: &Decision) -> bool {
    let wanted: &[&str] = match claim.outcome.as_str() {
        "audit" => &[types::AUDIT_WOULD_BLOCK],
        _ => &[types::BYPASS_REVIEW, types::BYPASS_AGENT_TRAILER],
    };
    events.iter().rev().any(|e| {
        wanted.contains(&e.event_type.as_str())
            && e.details.get(super::context::ATTEMPT_ID).and_then(|v| v.as_str()) == Some(attempt)
            && e.details.get("rule").and_then(|v| v.as_str()) == Some(claim.rule.as_str())
    })
}

/// When pre-commit checked the approval, by its note: within the last day,
/// else now.
fn checked_at(noted: Option<&str>) -> DateTime<FixedOffset> {
    let now = Local::now().fixed_offset();
    noted
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .filter(|t| *t <= now && (now - *t).num_seconds() <= MAX_CHECK_AGE_SECONDS)
        .unwrap_or(now)
}

/// The approval's state for the commit's tree, with the requirements
/// pre-commit applied: a commit on `head` (an approval signed for an
/// amend of `head` counts too), at `at`.
fn approval_state(
    ctx: &HookContext,
    policy: &Config,
    head: Option<&str>,
    commit: &Commit,
    at: DateTime<FixedOffset>,
) -> crate::rules::review::ApprovalState {
    let mut requirements = Requirements::of(&ctx.git, head, &policy.review, commit.paths);
    if let (Some(need), Some(head)) = (requirements.signature.as_mut(), head) {
        need.amend_parent = ctx.git.commit(head).ok().and_then(|c| c.parents.first().cloned());
    }
    Approvals::new(&ctx.git.repo().git_dir).state(&commit.commit.tree, at, &requirements)
}
