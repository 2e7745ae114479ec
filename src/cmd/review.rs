//! `enforce review approve|status|clear`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, Local, SecondsFormat};
use serde_json::json;

use crate::approval::{Approval, Approvals};
use crate::cli::ReviewAction;
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::{files_fields, types};
use crate::git::{Git, short_id};
use crate::judge::{self, Exemption, Facts, Outcome, Pass, ReviewFacts};
use crate::output;
use crate::rules::REVIEW;
use crate::rules::review::ApprovalState;
use crate::workspace::Workspace;

pub fn run(cwd: &Path, events_flag: Option<&Path>, action: ReviewAction) -> Result<i32> {
    let workspace = Workspace::load(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    if git.repo().is_bare() {
        return Err(Error::NoWorkTree {
            path: git.repo().git_dir.clone(),
            what: "review",
        });
    }
    match action {
        ReviewAction::Approve { reviewer, note } => approve(&workspace, git, reviewer, note),
        ReviewAction::Status => status(&workspace, git),
        ReviewAction::Clear => {
            let removed = Approvals::new(&git.repo().git_dir).clear()?;
            output::print(&format!("removed {removed} approval(s)\n"))?;
            Ok(EXIT_OK)
        }
    }
}

/// The staged tree and the paths it changes against HEAD.
fn staged(git: &Git) -> Result<(String, Vec<PathBuf>)> {
    let staged = git.staged(&git.head()?, None)?;
    Ok((staged.tree, staged.paths))
}

fn approve(workspace: &Workspace, git: &Git, reviewer: Option<String>, note: Option<String>) -> Result<i32> {
    let config = &workspace.config.config.review;
    let reviewer = reviewer.unwrap_or_else(|| config.reviewer.as_str().to_string());
    if reviewer.trim().is_empty() {
        return Err(Error::usage(
            "the reviewer name is empty",
            "name the reviewer: --reviewer NAME",
        ));
    }
    if reviewer.chars().any(char::is_control) {
        return Err(Error::usage(
            "the reviewer name contains a line break or another control character",
            "name the reviewer on one line: --reviewer NAME (it becomes a `Reviewed-by:` trailer)",
        ));
    }
    let (tree, paths) = staged(git)?;
    if paths.is_empty() {
        return Err(Error::NothingStaged);
    }
    let now = Local::now().fixed_offset();
    let expires = now
        .checked_add_signed(Duration::seconds(config.max_age_seconds.get() as i64))
        .ok_or(Error::ApprovalLifetime)?;
    let (files, file_count) = files_fields(&paths);
    let approval = Approval {
        tree: tree.clone(),
        reviewer: reviewer.clone(),
        note: note.clone(),
        approved_at: now.to_rfc3339_opts(SecondsFormat::Micros, false),
        expires_at: expires.to_rfc3339_opts(SecondsFormat::Micros, false),
        files: files.clone(),
        file_count,
    };
    Approvals::new(&git.repo().git_dir).save(&approval)?;

    let head = git.head()?;
    let mut details = json!({
        "rule": REVIEW,
        "reviewer": reviewer,
        "tree": tree,
        "files": files,
        "file_count": file_count,
        "branch": head.branch,
        "user": git.user(),
        "expires_at": approval.expires_at,
    });
    if let Some(note) = &note {
        details["note"] = json!(note);
    }
    let recorder = workspace.recorder("enforce review");
    recorder.record(types::REVIEW_APPROVED, crate::event::details(details));
    workspace.publish_head(recorder.head());

    let mut text = format!(
        "approved: tree {} ({file_count} file(s)) as {reviewer}, valid until {} ({})\n",
        short_id(&tree),
        expires.format("%Y-%m-%d %H:%M:%S %:z"),
        remaining(now, expires)
    );
    for path in paths.iter().take(20) {
        let _ = writeln!(text, "  {}", path.to_string_lossy());
    }
    if paths.len() > 20 {
        let _ = writeln!(text, "  … and {} more", paths.len() - 20);
    }
    text.push_str("commit it now; restaging anything needs a new approval\n");
    output::print(&text)?;
    Ok(EXIT_OK)
}

fn status(workspace: &Workspace, git: &Git) -> Result<i32> {
    let (tree, paths) = staged(git)?;
    let approvals = Approvals::new(&git.repo().git_dir);
    let now = Local::now().fixed_offset();
    let approval = approvals.state(&tree, now);
    let other_trees = match approval {
        ApprovalState::Missing { other_trees } => other_trees,
        _ => 0,
    };
    let facts = Facts {
        tree: &tree,
        paths: &paths,
        merging: git.merging(),
        merge_resolved: false,
        review: Some(ReviewFacts {
            approval,
            skip: false,
        }),
        message: None,
        added: None,
        checks_skipped: false,
    };
    let policy = &workspace.config.config;
    let verdict = judge::judge(&facts, policy);
    let Some(review) = verdict.review() else {
        return Ok(EXIT_OK);
    };
    let (text, code) = match &review.outcome {
        Outcome::Off => (
            "the review rule is off: no approval needed\n".to_string(),
            EXIT_OK,
        ),
        Outcome::NotNeeded => ("nothing is staged: no approval needed\n".to_string(), EXIT_OK),
        Outcome::Exempt(Exemption::Merge) => (
            "a merge is being concluded: merges are exempt from review\n".to_string(),
            EXIT_OK,
        ),
        Outcome::Exempt(Exemption::GitignoreOnly) => (
            "only .gitignore files are staged: no approval needed\n".to_string(),
            EXIT_OK,
        ),
        Outcome::Passed(pass) => {
            let reviewer = match pass {
                Pass::Approved { reviewer } => reviewer.as_str(),
                _ => "",
            };
            let approval = approvals.get(&tree);
            let expires = approval.as_ref().and_then(Approval::expires);
            let approved_at = approval.map(|a| a.approved_at).unwrap_or_default();
            let until = expires.map_or(String::new(), |e| {
                format!(
                    "; expires {} ({})",
                    e.format("%Y-%m-%d %H:%M:%S %:z"),
                    remaining(now, e)
                )
            });
            (
                format!(
                    "approved: what is staged (tree {}, {} file(s)) was approved by {reviewer} at {approved_at}{until}\n",
                    short_id(&tree),
                    paths.len()
                ),
                EXIT_OK,
            )
        }
        Outcome::Failed(failure) => {
            let mut text = format!(
                "not approved: {} (tree {}, {} file(s))\n",
                failure.reason,
                short_id(&tree),
                paths.len()
            );
            if other_trees > 0 {
                let _ = writeln!(
                    text,
                    "{other_trees} approval(s) exist for other staged content: the staged files changed after approval"
                );
            }
            text.push_str("review what is staged (git diff --cached), then: enforce review approve\n");
            (text, EXIT_POLICY)
        }
    };
    output::print(&text)?;
    Ok(code)
}

fn remaining(now: DateTime<FixedOffset>, until: DateTime<FixedOffset>) -> String {
    let seconds = (until - now).num_seconds();
    if seconds <= 0 {
        "expired".to_string()
    } else if seconds < 120 {
        format!("in {seconds} s")
    } else if seconds < 7200 {
        format!("in {} min", seconds / 60)
    } else {
        format!("in {} h", seconds / 3600)
    }
}
