//! `pre-commit` (and `pre-merge-commit`, which git runs instead for a merge
//! commit `git merge` makes itself): the review rule and the content rules,
//! on exactly the tree the commit will record.

use std::path::PathBuf;

use chrono::Local;
use serde_json::json;

use super::HookName;
use super::attempt::{Attempt, Attempts, PreCommitNote, git_process_id};
use super::blocked::{Block, Escape};
use super::content::{self, mode_name};
use super::context::{HookContext, env_flag, skip_reason, with};
use crate::approval::Approvals;
use crate::config::Mode;
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::event::{files_fields, types};
use crate::rules::review::{self, ApprovalState, Decision, Enforced, Facts};
use crate::rules::{Enforcement, REVIEW};

/// The variable that skips the review rule.
pub const SKIP_REVIEW: &str = "PILOT_SKIP_REVIEW";

pub fn run(hook: HookName) -> Result<i32> {
    let ctx = HookContext::load(hook)?;
    let tree = ctx.git.index_tree()?;
    let base = ctx
        .head
        .tree
        .clone()
        .unwrap_or_else(|| ctx.git.empty_tree().to_string());
    // With content rules, the names and the added lines come from one git
    // process; without, only the names are asked for.
    let (changes, patch) = if content::any_active(&ctx) {
        let (changes, patch) =
            ctx.git
                .changes_and_added_lines(&base, &tree, ctx.config.rules.max_file_bytes)?;
        (changes, Some(patch))
    } else {
        (ctx.git.changes(&base, &tree)?, None)
    };
    let paths: Vec<PathBuf> = changes.into_iter().map(|c| c.path).collect();
    let (files, file_count) = files_fields(&paths);
    let file_details = ctx.file_details(&files, file_count);
    let merging = hook == HookName::PreMergeCommit || ctx.git.merging();
    let config = &ctx.config.review;

    let approvals = Approvals::new(&ctx.git.repo().git_dir);
    let approval = if config.mode != Mode::Off && !paths.is_empty() {
        approvals.state(&tree, Local::now().fixed_offset())
    } else {
        ApprovalState::Missing { other_trees: 0 }
    };
    let decision = review::decide(
        &Facts {
            files: &paths,
            merging,
            approval,
            skip: env_flag(SKIP_REVIEW),
        },
        config,
    );

    let mut blocks = Vec::new();
    let mut approved_by = None;
    let review_outcome = match &decision {
        Decision::Off => "off",
        Decision::NothingStaged => "not-needed",
        Decision::MergeExempt | Decision::GitignoreOnly => "exempt",
        Decision::Required(Enforced::Approved { .. }) => "approved",
        Decision::Required(Enforced::Unapproved { action, .. }) => match action {
            Enforcement::Bypass => "bypassed",
            Enforcement::Audit => "audit",
            Enforcement::Block | Enforcement::BlockRefusingBypass => "blocked",
        },
    };
    let rule = json!({ "rule": REVIEW });
    match decision {
        Decision::Off | Decision::NothingStaged => {}
        Decision::MergeExempt => ctx.recorder.record(
            types::COMMIT_MERGE_EXEMPT,
            with(file_details.clone(), rule.clone()),
        ),
        Decision::GitignoreOnly => ctx.recorder.record(
            types::COMMIT_GITIGNORE_ONLY,
            with(file_details.clone(), rule.clone()),
        ),
        Decision::Required(enforced) => {
            let reviewer = config.reviewer.as_str();
            ctx.recorder.record(
                types::COMMIT_REVIEW_REQUIRED,
                with(
                    file_details.clone(),
                    json!({ "rule": REVIEW, "reviewer": reviewer, "tree": tree }),
                ),
            );
            match enforced {
                Enforced::Approved { reviewer } => approved_by = Some(reviewer),
                Enforced::Unapproved { reason, action } => match action {
                    Enforcement::Bypass => {
                        ctx.recorder.record(
                            types::BYPASS_REVIEW,
                            with(
                                file_details.clone(),
                                json!({
                                    "rule": REVIEW,
                                    "reason": skip_reason("PILOT_SKIP_REVIEW environment variable"),
                                    "bypass_method": "PILOT_SKIP_REVIEW=1",
                                    "reviewer": reviewer,
                                    "tree": tree,
                                }),
                            ),
                        );
                        eprintln!(
                            "enforce: rule `review` skipped with {SKIP_REVIEW}=1 ({reason}); recorded as `bypass_review`"
                        );
                    }
                    Enforcement::Audit => {
                        ctx.recorder.record(
                            types::AUDIT_WOULD_BLOCK,
                            with(
                                file_details.clone(),
                                json!({ "rule": REVIEW, "reason": reason, "tree": tree }),
                            ),
                        );
                        eprintln!("enforce: audit: rule `review` would block this commit: {reason}");
                    }
                    Enforcement::Block | Enforcement::BlockRefusingBypass => {
                        let refused = action == Enforcement::BlockRefusingBypass;
                        ctx.recorder.record(
                            types::COMMIT_BLOCKED,
                            with(
                                file_details.clone(),
                                json!({ "rule": REVIEW, "reason": reason, "tree": tree, "bypass_refused": refused }),
                            ),
                        );
                        blocks.push(review_block(&ctx, &reason, &tree, &files, file_count, refused));
                    }
                },
            }
        }
    }

    let mut skipped = (0, 0);
    if let Some(patch) = patch.as_ref().filter(|_| !paths.is_empty()) {
        let scan = content::scan_patch(&ctx, patch);
        skipped = (scan.binary, scan.oversized);
        if scan.oversized > 0 {
            eprintln!(
                "enforce: note: {} file(s) with more than {} bytes of added text were not scanned by the content rules",
                scan.oversized, ctx.config.rules.max_file_bytes
            );
        }
        for found in &scan.by_rule {
            let name = found.rule.name.get_ref().as_str();
            content::record_violations(&ctx, found, &json!({}));
            let reason = format!(
                "{} added line(s) match ({} severity)",
                found.hits.len(),
                found.rule.severity.as_str()
            );
            let fields = json!({ "rule": name, "reason": reason, "hits": found.hits.len(), "mode": mode_name(found.rule.mode) });
            if found.rule.mode == Mode::Audit {
                ctx.recorder
                    .record(types::AUDIT_WOULD_BLOCK, with(file_details.clone(), fields));
                eprintln!("enforce: audit: rule `{name}` would block this commit: {reason}");
                for line in content::hit_lines(found) {
                    eprintln!("  {line}");
                }
                continue;
            }
            ctx.recorder
                .record(types::COMMIT_BLOCKED, with(file_details.clone(), fields));
            blocks.push(Block {
                rule: name.to_string(),
                reason,
                context: content::hit_lines(found),
                fix: vec![
                    "change or remove those lines, stage the result with `git add`, and commit again".into(),
                ],
                escape: Escape::NoVerify {
                    event: types::BYPASS_CONTENT_RULE,
                },
            });
        }
    }

    if !blocks.is_empty() {
        for block in &blocks {
            eprint!("{}", block.render());
        }
        ctx.publish_head_on_exit();
        return Ok(EXIT_POLICY);
    }

    let attempts = Attempts::new(&ctx.git.repo().git_dir);
    let note = Attempt {
        git_pid: git_process_id(),
        tree,
        head: ctx.head.commit.clone(),
        pre_commit: Some(PreCommitNote {
            review: review_outcome.to_string(),
            approved_by,
            files,
            file_count,
            scan_skipped_binary: skipped.0,
            scan_skipped_oversized: skipped.1,
        }),
        commit_msg: None,
    };
    if let Err(e) = attempts.put(&note) {
        eprintln!(
            "enforce: warning: could not note that the checks ran ({e}); post-commit may report this commit as unchecked"
        );
    }
    Ok(EXIT_OK)
}

fn review_block(
    ctx: &HookContext,
    reason: &str,
    tree: &str,
    files: &[String],
    file_count: usize,
    refused: bool,
) -> Block {
    let config = &ctx.config.review;
    let reviewer = config.reviewer.as_str();
    let shown: Vec<&str> = files.iter().take(5).map(String::as_str).collect();
    let more = if file_count > shown.len() {
        format!(", … ({} more)", file_count - shown.len())
    } else {
        String::new()
    };
    let mut context = vec![format!(
        "staged: {file_count} file(s), tree {}: {}{more}",
        &tree[..tree.len().min(12)],
        shown.join(", ")
    )];
    if refused {
        context.push(format!(
            "{SKIP_REVIEW}=1 was refused: the rule is required (`required = true` in [review])"
        ));
    }
    let mut fix = Vec::new();
    match &config.command {
        Some(command) => fix.push(format!("run the reviewer: {command}")),
        None => fix.push("review what is staged: git diff --cached".to_string()),
    }
    fix.push(format!(
        "approve exactly what is staged: enforce review approve --reviewer {}",
        sh_word(reviewer)
    ));
    fix.push("commit again (restaging anything after approval needs a new approval)".into());
    Block {
        rule: REVIEW.to_string(),
        reason: reason.to_string(),
        context,
        fix,
        escape: if config.required {
            Escape::Required {
                variable: SKIP_REVIEW,
            }
        } else {
            Escape::Variable {
                variable: SKIP_REVIEW,
                event: types::BYPASS_REVIEW,
            }
        },
    }
}

/// Quotes a word for a shell command line when it needs it.
pub fn sh_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':' | '+' | ','))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
