//! What `enforce audit` finds wrong with a commit that already exists: the
//! judge's verdict on it, with what the log says about it as evidence.
//!
//! Audit sees no staged index and no environment, only the commit and,
//! when it is there, the log: a review counts as done when the commit
//! carries the review trailer or the log records a reviewer for it. A rule
//! in audit mode still offends here: audit reports what the rules would
//! block, not what the hooks let through.

use std::path::PathBuf;

use super::{Facts, MessageFacts, Outcome, ReviewFacts, Rule, judge};
use crate::config::Config;
use crate::git::trailers::Trailers;
use crate::rules::review::ApprovalState;
use crate::rules::{AGENT_TRAILER, Enforcement, REVIEW};

/// What the log says of a commit.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub reviewer: Option<String>,
    /// `review` of `commit_completed`: approved, bypassed, skipped, …
    pub review: Option<String>,
    pub hooks_skipped: bool,
    pub bypassed_review: bool,
}

/// A commit, as audit judges it.
pub struct Commit<'a> {
    pub tree: &'a str,
    pub parents: usize,
    pub paths: &'a [PathBuf],
    pub trailers: &'a Trailers,
}

/// The rules `commit` breaks, as (rule, what is wrong), agent trailer
/// first. `record` is the log's evidence; `log_checked` whether the log
/// was read at all (then a commit it has no record of offends too).
pub fn offences(
    commit: &Commit,
    policy: &Config,
    record: Option<&Record>,
    log_checked: bool,
) -> Vec<(String, String)> {
    let trailer = policy.review.trailer.as_str();
    let by_trailer = (!trailer.is_empty())
        .then(|| commit.trailers.get(trailer))
        .flatten()
        .map(|t| t.value.clone())
        .filter(|v| !v.is_empty());
    let approval = match by_trailer.or_else(|| record.and_then(|r| r.reviewer.clone())) {
        Some(reviewer) => ApprovalState::Approved { reviewer },
        None => ApprovalState::Missing { other_trees: 0 },
    };
    let facts = Facts {
        tree: commit.tree,
        paths: commit.paths,
        merging: commit.parents > 1,
        merge_resolved: false,
        review: Some(ReviewFacts {
            approval,
            skip: false,
        }),
        message: Some(MessageFacts {
            trailers: commit.trailers,
            skip: false,
            file: None,
        }),
        added: None,
        checks_skipped: false,
    };
    let verdict = judge(&facts, policy);
    let mut found: Vec<(String, String)> = verdict
        .rules
        .iter()
        .filter_map(|rule| {
            let Outcome::Failed(failure) = &rule.outcome else {
                return None;
            };
            if failure.action == Enforcement::Bypass || failure.action == Enforcement::Skipped {
                return None;
            }
            let problem = match rule.rule {
                Rule::Review => unreviewed(trailer, record),
                _ => failure.reason.clone(),
            };
            Some((rule.rule.name().to_string(), problem))
        })
        .collect();
    found.sort_by_key(|(rule, _)| match rule.as_str() {
        AGENT_TRAILER => 0,
        REVIEW => 1,
        _ => 2,
    });
    if log_checked && record.is_none() {
        found.push((
            "record".to_string(),
            "the log has no commit_completed for it: its hooks did not run here".to_string(),
        ));
    }
    found
}

/// Why an unreviewed commit is unreviewed, from the log's evidence.
fn unreviewed(trailer: &str, record: Option<&Record>) -> String {
    let why = match record {
        Some(r) if r.review.as_deref() == Some("bypassed") => {
            "the log records that review was skipped with PILOT_SKIP_REVIEW=1"
        }
        Some(r) if r.bypassed_review || r.hooks_skipped => {
            "the log records that its checks were skipped (--no-verify)"
        }
        Some(r) if r.review.as_deref() == Some("audit") => "the review rule was in audit mode",
        _ if trailer.is_empty() => "the log holds no approval for it",
        _ => "it has no approval",
    };
    if trailer.is_empty() {
        format!("not reviewed: {why}")
    } else {
        format!("no `{trailer}:` trailer: {why}")
    }
}
