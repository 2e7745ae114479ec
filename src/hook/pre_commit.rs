//! `pre-commit` (and `pre-merge-commit`, which git runs instead for a merge
//! commit `git merge` makes itself): the review rule and the content rules,
//! on exactly the tree the commit will record.

use std::time::Instant;

use chrono::Local;
use serde_json::json;

use super::HookName;
use super::apply::{self, Target};
use super::attempt::{Attempt, Attempts, NotedPatchId, PreCommitNote};
use super::context::{HookContext, env_flag};
use super::summary::Summary;
use crate::approval::{Approvals, Requirements};
use crate::config::Mode;
use crate::error::{EXIT_OK, Result};
use crate::event::files_fields;
use crate::git::git_process_id;
use crate::judge::{self, Facts, ReviewFacts};
use crate::notice;
use crate::receipt::Decision;
use crate::rules::review::ApprovalState;
use crate::rules::{SKIP_REVIEW, content};

pub fn run(hook: HookName) -> Result<i32> {
    let ctx = HookContext::load(hook)?;
    // With content rules, the names and the added lines come from one diff;
    // without, only the names are asked for.
    let lines = content::any_active(&ctx.config.rules.content).then_some(ctx.config.rules.max_file_bytes);
    let mut staged = ctx.git.staged(&ctx.head, lines)?;
    let policy = ctx.policy_for(ctx.head.tree.as_deref(), &staged.tree);
    // A merge being concluded is judged, as audit judges it, by what it
    // adds beyond the automatic merge of its parents; MERGE_HEAD written
    // by hand (naming a commit HEAD already has) is no merge at all.
    // With `merges = "check"` a merge is judged on its whole diff.
    let concluding = ctx.git.concluding_merge(ctx.head.commit.as_deref());
    let measured = concluding.is_some() && policy.review.merges == crate::config::MergePolicy::Exempt;
    let concludes_merge = concluding.is_some();
    let merge_base = match concluding.filter(|_| measured) {
        Some(Ok(base)) => base,
        Some(Err(err)) => {
            notice::warning(format!(
                "could not work out the automatic merge ({err}); judging everything this merge changes against HEAD"
            ));
            None
        }
        None => None,
    };
    if let Some(base) = &merge_base {
        staged.paths = ctx
            .git
            .changes(base, &staged.tree)?
            .into_iter()
            .map(|c| c.path)
            .collect();
        staged.patch = None;
    }
    if staged.patch.is_none() && content::any_active(&policy.rules.content) {
        let base = merge_base
            .as_deref()
            .or(ctx.head.tree.as_deref())
            .unwrap_or(ctx.git.empty_tree());
        staged.patch = Some(
            ctx.git
                .added_lines(base, &staged.tree, policy.rules.max_file_bytes)?,
        );
    }
    let review = &policy.review;
    let needs_approval = review.mode != Mode::Off && !staged.paths.is_empty();
    let mut requirements = Requirements::of(&ctx.git, ctx.head.commit.as_deref(), review, &staged.paths);
    if let (Some(need), Some(head)) = (requirements.signature.as_mut(), ctx.head.commit.as_deref()) {
        need.amend_parent = ctx.git.commit(head).ok().and_then(|c| c.parents.first().cloned());
    }
    let skip = env_flag(SKIP_REVIEW);
    if needs_approval
        && !skip
        && let Some(why) = requirements.broken_setup()
    {
        // Signatures cannot be checked at all: a setup to fix, not a
        // verdict on this commit (a recorded bypass still gets through).
        return Err(crate::error::Error::Signing {
            message: format!("cannot check signed approvals: {why}"),
            hint: "fix [review] signers (docs/review.md), or bypass with PILOT_SKIP_REVIEW=1 PILOT_SKIP_REASON=\"<why>\" (recorded)".into(),
        });
    }
    // A signers or revocations file committed broken would stop every
    // commit after this one.
    for review in [review, &ctx.config.review] {
        if let Err(why) = crate::signing::trust::check_staged(&ctx.git, &staged.tree, &staged.paths, review) {
            return Err(crate::error::Error::Signing {
                message: format!("this commit would break signed approvals: {why}"),
                hint: "fix the file (the format is git's allowed-signers, docs/review.md), stage it, and commit again"
                    .into(),
            });
        }
    }
    let now = Local::now().fixed_offset();
    let approvals = Approvals::new(&ctx.git.repo().git_dir);
    let looked_up = Instant::now();
    let approval = if needs_approval {
        approvals.state(&staged.tree, now, &requirements)
    } else {
        ApprovalState::Missing { other_trees: 0 }
    };
    let approval_time = looked_up.elapsed();
    let facts = Facts {
        tree: &staged.tree,
        paths: &staged.paths,
        merging: concludes_merge || hook == HookName::PreMergeCommit,
        merge_resolved: measured,
        review: Some(ReviewFacts { approval, skip }),
        message: None,
        added: staged.patch.as_ref(),
        checks_skipped: false,
    };
    let verdict = judge::judge(&facts, &policy);

    let (files, file_count) = files_fields(&staged.paths);
    let target = Target {
        details: ctx.file_details(&files, file_count),
        tree: &staged.tree,
        paths: staged.paths.len(),
        violation_extra: json!({}),
        after_the_fact: false,
    };
    let code = apply::apply(&ctx, &target, &verdict);
    let mut summary = Summary::new();
    summary.add(&verdict, approval_time);
    if code != EXIT_OK {
        return Ok(apply::conclude(&ctx, summary, hook, code));
    }

    // Leave the note that tells post-commit these checks ran.
    let base = ctx.head.tree.as_deref().unwrap_or(ctx.git.empty_tree());
    let patch_id = verdict.approved_by().and_then(|_| {
        Some(NotedPatchId {
            from: base.to_string(),
            id: ctx.git.patch_id(base, &staged.tree).ok()?,
        })
    });
    let note = Attempt {
        id: ctx.attempt.clone(),
        git_pid: git_process_id(),
        tree: staged.tree.clone(),
        head: ctx.head.commit.clone(),
        pre_commit: Some(PreCommitNote {
            review: verdict.review().map_or("off", |r| r.outcome_name()).to_string(),
            approved_by: verdict.approved_by().map(str::to_string),
            files,
            file_count,
            scan_skipped_binary: verdict.unscanned.binary,
            scan_skipped_oversized: verdict.unscanned.oversized,
            rules: verdict.rules.iter().map(Decision::of).collect(),
            patch_id,
            checked_at: Some(now.to_rfc3339()),
        }),
        commit_msg: None,
    };
    if let Err(e) = Attempts::new(&ctx.git.repo().git_dir).put(&note) {
        notice::warning(format!(
            "could not note that the checks ran ({e}); post-commit may report this commit as unchecked"
        ));
    }
    Ok(apply::conclude(&ctx, summary, hook, EXIT_OK))
}
