//! `post-rewrite`: receipts for the commits an amend or a rebase made.
//!
//! git runs it after `git commit --amend` (argument `amend`) and at the end
//! of `git rebase` (`rebase`), with a line `<old> <new> [<extra>]` on
//! standard input per rewritten commit. For each, the new commit's receipt:
//! - when the new commit's diff against its first parent is the old one's
//!   (the same `git patch-id --stable`) and the old commit's receipt (valid
//!   for it) used an approval, the new receipt keeps that approval, with
//!   `carried_from` (the old commit) and `patch_id`, and its review
//!   decision is `passed`: "approval carried from <old>: the diff is
//!   unchanged";
//! - otherwise the new commit stands on its own: the receipt post-commit
//!   wrote for it stays (a rebase with the merge backend runs post-commit
//!   for each pick; `git rebase --apply` does not, and its picks get a
//!   receipt here, judged as post-commit judges a pick), and without an
//!   approval of its own, a review that failed says "rewritten with a
//!   changed diff; no approval for the new tree".
//!
//! A cherry-pick made with `-x` names the commit it copies; post-commit
//! carries that commit's approval the same way ([`carry`]).
//!
//! This hook never fails: the commits exist.

use std::ffi::OsString;

use chrono::Local;

use super::HookName;
use super::context::HookContext;
use super::post_commit::{self, patch_id_of};
use crate::error::{EXIT_OK, Result};
use crate::git::{CommitInfo, Git, Operation, short_id};
use crate::notice;
use crate::receipt::{ApprovalUsed, Decision, Receipt};
use crate::rules::REVIEW;

/// The review reason of a rewritten commit whose diff changed, when
/// nothing approved the new one.
pub const CHANGED_DIFF: &str = "rewritten with a changed diff; no approval for the new tree";

pub fn run(args: &[OsString], input: &[u8]) -> Result<i32> {
    let kind = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "rebase".to_string());
    if let Err(err) = rewrite_all(&kind, input) {
        notice::warning(format!(
            "post-rewrite could not write the receipts of the rewritten commits: {err}"
        ));
        if let Some(hint) = err.hint() {
            notice::hint(hint);
        }
    }
    Ok(EXIT_OK)
}

fn rewrite_all(kind: &str, input: &[u8]) -> Result<()> {
    let ctx = HookContext::load(HookName::PostRewrite)?;
    for line in String::from_utf8_lossy(input).lines() {
        let mut words = line.split_whitespace();
        let (Some(old), Some(new)) = (words.next(), words.next()) else {
            continue;
        };
        if old == new {
            continue;
        }
        if let Err(err) = rewrite(&ctx, kind, old, new) {
            notice::warning(format!(
                "could not write the receipt of {}: {err}; `enforce audit` will count it as made without the hooks",
                short_id(new)
            ));
        }
    }
    ctx.publish_head();
    crate::export::background::refresh_textfile(&ctx.config.export, ctx.git.repo().root.as_deref());
    Ok(())
}

/// Writes the receipt of `new`, which rewrote `old` (by `kind`: `amend`,
/// `rebase`).
fn rewrite(ctx: &HookContext, kind: &str, old: &str, new: &str) -> Result<()> {
    let commit = ctx.git.commit(new)?;
    let (mut receipt, fresh) = match valid_receipt(&ctx.git, &commit) {
        Some(receipt) => (receipt, false),
        None => (
            post_commit::fresh_receipt(
                ctx,
                HookName::PostRewrite,
                commit.clone(),
                Operation::Other(kind.to_string()),
            )?,
            true,
        ),
    };
    let before = receipt.clone();
    if !carry(ctx, old, &commit, &mut receipt)
        && mark_unapproved(&ctx.git, old, &commit, &mut receipt)
        && kind != "amend"
    {
        // A rebase pick runs no checks, so nothing recorded that content
        // nobody approved now stands where reviewed content was (an
        // amend's post-commit has judged it already).
        record_changed(ctx, kind, old, &commit);
    }
    if fresh || receipt != before {
        let hook = HookName::PostRewrite.as_str();
        if !receipt.hooks.iter().any(|h| h == hook) {
            receipt.hooks.push(hook.to_string());
        }
        receipt.written_at = Local::now().fixed_offset().to_rfc3339();
        post_commit::write(ctx, new, &receipt);
    }
    Ok(())
}

/// The receipt on `commit` in `refs/notes/enforce`, if it has one that is
/// valid for it.
fn valid_receipt(git: &Git, commit: &CommitInfo) -> Option<Receipt> {
    let receipt = Receipt::parse(&git.note(&commit.sha)?).ok()?;
    receipt.check(&commit.tree, &commit.parents).ok()?;
    Some(receipt)
}

/// The receipt of `commit` valid for it, here or among the receipts
/// fetched from remotes (`refs/notes/remotes/*/enforce`): a commit being
/// rebased may be a teammate's, fetched with its receipt.
fn receipt_anywhere(git: &Git, commit: &CommitInfo) -> Option<Receipt> {
    valid_receipt(git, commit).or_else(|| {
        git.refs_matching("refs/notes/remotes/*/enforce")
            .iter()
            .filter_map(|r| Receipt::parse(&git.note_in(r, &commit.sha)?).ok())
            .find(|r| r.check(&commit.tree, &commit.parents).is_ok())
    })
}

/// Carries the approval of `source` (the commit `commit` rewrites or
/// copies) into `commit`'s receipt when `source`'s receipt, valid for it
/// (here or fetched from a remote), used one and `commit`'s diff against its first parent is `source`'s
/// (the same patch id). Returns whether `commit` is approved: carried, or
/// by an approval of its own tree it already had.
pub(super) fn carry(ctx: &HookContext, source: &str, commit: &CommitInfo, receipt: &mut Receipt) -> bool {
    if receipt.approval.as_ref().is_some_and(|a| a.tree == commit.tree) {
        return true;
    }
    let Ok(old) = ctx.git.commit(source) else {
        return false;
    };
    let Some(approval) = receipt_anywhere(&ctx.git, &old).and_then(|r| r.approval) else {
        return false;
    };
    let Some(patch_id) = patch_id_of(&ctx.git, commit) else {
        return false;
    };
    if patch_id_of(&ctx.git, &old).as_deref() != Some(patch_id.as_str()) {
        return false;
    }
    receipt.approval = Some(ApprovalUsed {
        carried_from: Some(old.sha.clone()),
        patch_id: Some(patch_id),
        ..approval
    });
    let reason = format!(
        "approval carried from {}: the diff is unchanged",
        short_id(&old.sha)
    );
    match receipt.rules.iter_mut().find(|d| d.rule == REVIEW) {
        Some(review) if review.outcome == "off" => {}
        Some(review) => {
            review.outcome = "passed".to_string();
            review.method = None;
            review.reason = Some(reason);
        }
        None => receipt.rules.insert(
            0,
            Decision {
                rule: REVIEW.to_string(),
                mode: ctx.config.review.mode.as_str().to_string(),
                outcome: "passed".to_string(),
                method: None,
                reason: Some(reason),
            },
        ),
    }
    true
}

/// Says in a rewritten commit's receipt that its review failed because
/// the rewrite changed the diff and nothing approved the new one: when it
/// has no approval, its review failed (or would have, in audit mode), and
/// its patch id differs from `old`'s.
/// Whether it did.
fn mark_unapproved(git: &Git, old: &str, commit: &CommitInfo, receipt: &mut Receipt) -> bool {
    if receipt.approval.is_some() {
        return false;
    }
    let Some(review) = receipt
        .rules
        .iter_mut()
        .find(|d| d.rule == REVIEW && matches!(d.outcome.as_str(), "failed" | "audit"))
    else {
        return false;
    };
    let old_patch_id = git.commit(old).ok().and_then(|c| patch_id_of(git, &c));
    if old_patch_id.is_some() && old_patch_id == patch_id_of(git, commit) {
        return false;
    }
    review.reason = Some(CHANGED_DIFF.to_string());
    true
}

/// `commit_review_bypassed` for a commit a rebase rewrote with a changed
/// diff and no approval: content nobody approved, under a message that
/// may still carry the old commit's `Reviewed-by`.
fn record_changed(ctx: &HookContext, kind: &str, old: &str, commit: &CommitInfo) {
    let mut details = ctx.base_details();
    details.insert("rule".into(), REVIEW.into());
    details.insert("reason".into(), CHANGED_DIFF.into());
    details.insert(
        "bypass_method".into(),
        format!("{kind} with a changed diff").into(),
    );
    details.insert("commit_sha".into(), commit.sha.as_str().into());
    details.insert("rewritten_from".into(), old.into());
    let recorded = ctx
        .recorder
        .record(crate::event::types::COMMIT_REVIEW_BYPASSED, details);
    notice::emit(
        notice::Level::Critical,
        format!(
            "{} rewrote {} with a changed diff that nobody approved; {}",
            kind,
            short_id(old),
            crate::event::recorded_as(recorded, crate::event::types::COMMIT_REVIEW_BYPASSED)
        ),
    );
}

/// The commit a cherry-pick made with `-x` copies: the last
/// `(cherry picked from commit <id>)` line of its message.
pub(super) fn cherry_picked_from(message: &str) -> Option<String> {
    message.lines().rev().find_map(|line| {
        let id = line
            .trim()
            .strip_prefix("(cherry picked from commit ")?
            .strip_suffix(')')?;
        (matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit())).then(|| id.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cherry_pick_lines() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            cherry_picked_from(&format!("fix\n\nAgent: x\n(cherry picked from commit {id})\n")),
            Some(id.to_string())
        );
        assert_eq!(
            cherry_picked_from("fix\n\n(cherry picked from commit abc)\n"),
            None
        );
        assert_eq!(cherry_picked_from("fix\n"), None);
    }
}
