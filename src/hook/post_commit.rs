//! `post-commit` and `post-merge`: record the commit, and catch commits
//! whose checks were skipped.
//!
//! git runs post-commit even for `git commit --no-verify`, which skips
//! pre-commit and commit-msg. Those two leave a note for the commit attempt
//! (see [`super::attempt`]); a commit made by `git commit` without the note
//! skipped them, so the rules are applied here after the fact and every
//! failure is recorded as a bypass. Commits git makes without running those
//! hooks at all (cherry-pick, revert, rebase picks) are recognised by HEAD's
//! reflog and only recorded. This hook never fails: the commit exists.

use std::ffi::OsString;
use std::path::PathBuf;

use chrono::Local;
use serde_json::{Map, Value, json};

use super::HookName;
use super::attempt::{Attempts, git_process_id};
use super::config_change;
use super::content::{self, mode_name};
use super::context::{HookContext, with};
use crate::approval::Approvals;
use crate::config::Mode;
use crate::error::{EXIT_OK, Result};
use crate::event::{files_fields, types};
use crate::git::{CommitInfo, Git, ReflogEntry, trailers};
use crate::rules::agent_trailer::{self, Decision as TrailerDecision};
use crate::rules::review::{self, Decision as ReviewDecision, Enforced, Facts};
use crate::rules::{AGENT_TRAILER, REVIEW, active_rules};

/// What made the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `git commit`, which runs pre-commit and commit-msg unless told not to.
    Commit { amend: bool },
    /// `git merge` creating a merge commit (pre-merge-commit, commit-msg).
    Merge,
    /// A command that commits without those hooks: cherry-pick, revert,
    /// rebase, am…
    Other(String),
}

impl Operation {
    /// The name recorded in `commit_completed`.
    pub fn name(&self) -> &str {
        match self {
            Operation::Commit { amend: false } => "commit",
            Operation::Commit { amend: true } => "amend",
            Operation::Merge => "merge",
            Operation::Other(name) => name,
        }
    }

    /// Whether git ran the checking hooks for it unless told not to.
    fn runs_checks(&self) -> bool {
        !matches!(self, Operation::Other(_))
    }
}

/// Reads the operation from the reflog message (`commit (amend): …`,
/// `cherry-pick: …`, `rebase (pick): …`, `merge x: …`).
pub fn operation_from_reflog(message: &str) -> Operation {
    let head = message.split(':').next().unwrap_or("").trim();
    let word = head.split([' ', '(']).next().unwrap_or("");
    match word {
        "commit" => Operation::Commit {
            amend: head.contains("(amend)"),
        },
        "merge" | "pull" if !head.contains("rebase") => Operation::Merge,
        other => Operation::Other(other.to_string()),
    }
}

pub fn run(hook: HookName, args: &[OsString]) -> Result<i32> {
    if let Err(err) = record(hook, args) {
        eprintln!("enforce: warning: {hook} could not record this commit: {err}");
        if let Some(hint) = err.hint() {
            eprintln!("hint: {hint}");
        }
    }
    Ok(EXIT_OK)
}

fn record(hook: HookName, args: &[OsString]) -> Result<()> {
    // `git merge --squash` runs post-merge but makes no commit.
    if hook == HookName::PostMerge && args.first().is_some_and(|a| a == "1") {
        return Ok(());
    }
    let ctx = HookContext::load(hook)?;
    let commit = ctx.git.commit("HEAD")?;
    let reflog = ctx.git.head_reflog().filter(|r| r.new == commit.sha);
    let operation = detect_operation(&ctx.git, reflog.as_ref());
    let fast_forward = reflog
        .as_ref()
        .is_some_and(|r| r.message.contains("Fast-forward"));
    if hook == HookName::PostMerge
        && (operation != Operation::Merge || commit.parents.len() < 2 || fast_forward)
    {
        // A fast-forward: no new commit was made.
        return Ok(());
    }
    let previous_head = match &reflog {
        Some(entry) => entry.old.clone(),
        None => commit.parents.first().cloned(),
    };

    let attempts = Attempts::new(&ctx.git.repo().git_dir);
    let attempt = attempts
        .take(git_process_id())
        .filter(|a| a.tree == commit.tree && a.head == previous_head);

    // What this commit changes: against the commit it amends, else its first parent.
    let base_commit = match operation {
        Operation::Commit { amend: true } => previous_head.clone(),
        _ => commit.parents.first().cloned(),
    };
    let base = base_commit
        .as_deref()
        .and_then(|sha| ctx.git.tree_of(sha))
        .unwrap_or_else(|| ctx.git.empty_tree().to_string());
    let (paths, files, file_count) = match attempt.as_ref().and_then(|a| a.pre_commit.as_ref()) {
        Some(note) => (None, note.files.clone(), note.file_count),
        None => {
            let paths: Vec<PathBuf> = ctx
                .git
                .changes(&base, &commit.tree)?
                .into_iter()
                .map(|c| c.path)
                .collect();
            let (files, count) = files_fields(&paths);
            (Some(paths), files, count)
        }
    };
    let mut file_details = ctx.file_details(&files, file_count);
    file_details.insert("commit_sha".into(), Value::from(commit.sha.as_str()));

    let approvals = Approvals::new(&ctx.git.repo().git_dir);
    let merging = commit.parents.len() > 1;
    let mut skipped = Vec::new();
    if operation.runs_checks() {
        let pre_commit_ran = attempt.as_ref().is_some_and(|a| a.pre_commit.is_some());
        let commit_msg_ran = attempt.as_ref().is_some_and(|a| a.commit_msg.is_some());
        if !pre_commit_ran {
            skipped.push(if operation == Operation::Merge {
                "pre-merge-commit"
            } else {
                "pre-commit"
            });
        }
        if !commit_msg_ran {
            skipped.push("commit-msg");
        }
        if !skipped.is_empty() {
            eprintln!(
                "enforce: warning: this commit skipped the {} hook(s) (git commit --no-verify?); checking its rules now and recording any failure as a bypass",
                skipped.join(" and ")
            );
        }
        if !pre_commit_ran {
            let paths = paths.clone().unwrap_or_default();
            check_skipped_review(&ctx, &commit, &paths, merging, &approvals, &file_details);
            if content::any_active(&ctx) && !paths.is_empty() {
                check_skipped_content(&ctx, &base, &commit, &file_details)?;
            }
        }
        if !commit_msg_ran {
            check_skipped_trailer(&ctx, &commit, merging, &file_details);
        }
    }

    config_change::record(&ctx, &base, &commit.tree, &file_details);

    let comment = ctx.git.comment_string();
    let agent = agent_trailer::named_agent(
        &trailers::parse(&commit.message, &comment),
        &ctx.config.agent_trailer,
    )
    .map(|(_, agent)| agent)
    .filter(|a| !a.is_empty());
    let reviewer = attempt
        .as_ref()
        .and_then(|a| a.pre_commit.as_ref())
        .and_then(|n| n.approved_by.clone())
        .or_else(|| {
            approvals
                .get(&commit.tree)
                .filter(|a| a.is_valid_at(Local::now().fixed_offset()))
                .map(|a| a.reviewer)
        });
    let rules = active_rules(&ctx.config);
    let mut details = with(
        file_details,
        json!({
            "files_changed": file_count,
            "rules_checked": rules,
            "rules_count": rules.len(),
            "operation": operation.name(),
        }),
    );
    insert_some(&mut details, "agent", agent);
    let review = match attempt.as_ref().and_then(|a| a.pre_commit.as_ref()) {
        Some(note) if !note.review.is_empty() => Some(note.review.clone()),
        _ if !operation.runs_checks() => Some("carried".to_string()),
        _ if reviewer.is_some() => Some("approved".to_string()),
        _ => Some("skipped".to_string()),
    };
    insert_some(&mut details, "review", review);
    insert_some(&mut details, "reviewer", reviewer);
    if let Some(note) = attempt.as_ref().and_then(|a| a.pre_commit.as_ref())
        && (note.scan_skipped_binary > 0 || note.scan_skipped_oversized > 0)
    {
        details.insert(
            "scan_skipped_binary".into(),
            Value::from(note.scan_skipped_binary),
        );
        details.insert(
            "scan_skipped_oversized".into(),
            Value::from(note.scan_skipped_oversized),
        );
    }
    if !skipped.is_empty() {
        details.insert("hooks_skipped".into(), Value::from(skipped));
    }
    ctx.recorder.record(types::COMMIT_COMPLETED, details);

    // The approval is used up by the commit that recorded its tree.
    approvals.remove(&commit.tree);
    start_exports(&ctx);
    Ok(())
}

/// Starts the configured exports in the background: the commit never waits
/// for a metrics file or a collector.
fn start_exports(ctx: &HookContext) {
    let export = &ctx.config.export;
    if export.prometheus.is_none() && !export.otlp.as_ref().is_some_and(|o| o.after_commit) {
        return;
    }
    let Ok(binary) = std::env::current_exe() else {
        return;
    };
    let root = ctx.git.repo().root.clone().unwrap_or_default();
    if let Some(prometheus) = &export.prometheus {
        let textfile = root.join(&prometheus.textfile);
        spawn_detached(
            &binary,
            &["metrics".as_ref(), "--output".as_ref(), textfile.as_os_str()],
        );
    }
    if export.otlp.as_ref().is_some_and(|o| o.after_commit) {
        spawn_detached(&binary, &["export".as_ref(), "otlp".as_ref()]);
    }
}

fn spawn_detached(binary: &std::path::Path, args: &[&std::ffi::OsStr]) {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let started = Command::new(binary)
        .args(args)
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    if let Err(e) = started {
        eprintln!(
            "enforce: warning: could not start `enforce {}`: {e}",
            args[0].to_string_lossy()
        );
    }
}

fn insert_some(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::from(value));
    }
}

/// The operation that made HEAD: from the reflog when it has the entry,
/// else from git's state files, else assumed to be `git commit`.
fn detect_operation(git: &Git, reflog: Option<&ReflogEntry>) -> Operation {
    if let Some(entry) = reflog {
        return operation_from_reflog(&entry.message);
    }
    if let Some(op) = git.sequencer_state() {
        return Operation::Other(op.to_string());
    }
    match std::env::var("GIT_REFLOG_ACTION") {
        Ok(action) if !action.is_empty() => operation_from_reflog(&action),
        _ => Operation::Commit { amend: false },
    }
}

fn check_skipped_review(
    ctx: &HookContext,
    commit: &CommitInfo,
    paths: &[PathBuf],
    merging: bool,
    approvals: &Approvals,
    file_details: &Map<String, Value>,
) {
    let facts = Facts {
        files: paths,
        merging,
        approval: approvals.state(&commit.tree, Local::now().fixed_offset()),
        skip: false,
    };
    if let ReviewDecision::Required(Enforced::Unapproved { reason, .. }) =
        review::decide(&facts, &ctx.config.review)
    {
        ctx.recorder.record(
            types::COMMIT_REVIEW_BYPASSED,
            with(
                file_details.clone(),
                json!({
                    "rule": REVIEW,
                    "reason": reason,
                    "files_changed": paths.len(),
                    "reviewer": ctx.config.review.reviewer.as_str(),
                    "bypass_method": "git commit --no-verify",
                    "mode": mode_name(ctx.config.review.mode),
                }),
            ),
        );
        eprintln!(
            "enforce: CRITICAL: this commit was not reviewed and skipped the review check; recorded as `commit_review_bypassed`"
        );
    }
}

fn check_skipped_content(
    ctx: &HookContext,
    base: &str,
    commit: &CommitInfo,
    file_details: &Map<String, Value>,
) -> Result<()> {
    let scan = content::scan(ctx, base, &commit.tree)?;
    for found in &scan.by_rule {
        let name = found.rule.name.get_ref().as_str();
        content::record_violations(ctx, found, &json!({ "commit_sha": commit.sha }));
        ctx.recorder.record(
            types::BYPASS_CONTENT_RULE,
            with(
                file_details.clone(),
                json!({
                    "rule": name,
                    "hits": found.hits.len(),
                    "severity": found.rule.severity.as_str(),
                    "bypass_method": "git commit --no-verify",
                    "mode": mode_name(found.rule.mode),
                }),
            ),
        );
        eprintln!(
            "enforce: warning: {} added line(s) break rule `{name}` and skipped its check; recorded as `bypass_content_rule`",
            found.hits.len()
        );
    }
    Ok(())
}

fn check_skipped_trailer(
    ctx: &HookContext,
    commit: &CommitInfo,
    merging: bool,
    file_details: &Map<String, Value>,
) {
    let config = &ctx.config.agent_trailer;
    if config.mode == Mode::Off {
        return;
    }
    let found = trailers::parse(&commit.message, &ctx.git.comment_string());
    if let TrailerDecision::Problem { problem, .. } = agent_trailer::decide(&found, merging, false, config) {
        let reason = problem.reason(config);
        ctx.recorder.record(
            types::BYPASS_AGENT_TRAILER,
            with(
                file_details.clone(),
                json!({
                    "rule": AGENT_TRAILER,
                    "reason": "the commit-msg hook did not run",
                    "problem": reason,
                    "bypass_method": "git commit --no-verify",
                    "mode": mode_name(config.mode),
                }),
            ),
        );
        eprintln!("enforce: warning: {reason} and the check was skipped; recorded as `bypass_agent_trailer`");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflog_messages() {
        let cases = [
            ("commit: add x", Operation::Commit { amend: false }),
            ("commit (initial): first", Operation::Commit { amend: false }),
            ("commit (amend): add x", Operation::Commit { amend: true }),
            (
                "commit (merge): Merge branch 'x'",
                Operation::Commit { amend: false },
            ),
            ("commit (cherry-pick): x", Operation::Commit { amend: false }),
            ("cherry-pick: x", Operation::Other("cherry-pick".into())),
            ("revert: Revert \"x\"", Operation::Other("revert".into())),
            ("rebase (pick): x", Operation::Other("rebase".into())),
            ("rebase -i (pick): x", Operation::Other("rebase".into())),
            ("merge side: Merge made by the 'ort' strategy.", Operation::Merge),
            ("am: subject", Operation::Other("am".into())),
        ];
        for (message, expected) in cases {
            assert_eq!(operation_from_reflog(message), expected, "{message}");
        }
    }
}
