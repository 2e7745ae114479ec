//! `commit-msg`: the agent-trailer rule on the message git is about to
//! commit, and the `Reviewed-by` trailer for a commit that uses an approval.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use super::HookName;
use super::apply::{self, Target};
use super::attempt::{Attempt, Attempts, CommitMsgNote};
use super::context::{HookContext, env_flag};
use super::summary::Summary;
use crate::config::Config;
use crate::error::{EXIT_OK, Error, Result};
use crate::event::files_fields;
use crate::git::git_process_id;
use crate::git::trailers::{self, Syntax, Trailers};
use crate::judge::{self, Facts, MessageFacts, ReviewTrailerFacts};
use crate::notice;
use crate::receipt::Decision;
use crate::rules::SKIP_AGENT_TRAILER;

pub fn run(args: &[OsString]) -> Result<i32> {
    let path = message_file(args)?;
    let ctx = HookContext::load(HookName::CommitMsg)?;
    let raw = fs::read(&path).map_err(|e| Error::io("read the commit message", &path, e))?;
    let message = String::from_utf8_lossy(&raw);
    // With `core.commentChar = auto`, the comment character git commit
    // chose for this message.
    let syntax = ctx.git.trailer_syntax().for_message_file(&message);
    let found = trailers::parse(&message, &syntax);

    let attempts = Attempts::new(&ctx.git.repo().git_dir);
    let git_pid = git_process_id();
    let known = ctx.noted.clone().filter(|a| a.head == ctx.head.commit);
    // pre-commit's note gets this hook's line appended; without it, this
    // hook writes the whole note.
    let append = known
        .as_ref()
        .is_some_and(|a| a.pre_commit.is_some() && a.commit_msg.is_none());
    // Without pre-commit's note, what is staged is read here.
    let staged = match known.as_ref().and_then(|a| a.pre_commit.as_ref()) {
        Some(_) => None,
        None => Some(ctx.git.staged(&ctx.head, None)?),
    };
    let mut attempt = known.unwrap_or_else(|| Attempt {
        id: ctx.attempt.clone(),
        git_pid,
        tree: staged.as_ref().map(|s| s.tree.clone()).unwrap_or_default(),
        head: ctx.head.commit.clone(),
        pre_commit: None,
        commit_msg: None,
    });
    let (files, file_count) = match (&attempt.pre_commit, &staged) {
        (Some(note), _) => (note.files.clone(), note.file_count),
        (None, Some(staged)) => files_fields(&staged.paths),
        (None, None) => (Vec::new(), 0),
    };
    let paths = staged.as_ref().map(|s| s.paths.as_slice()).unwrap_or_default();

    let policy = ctx.policy_for(ctx.head.tree.as_deref(), &attempt.tree);
    let approved_by = attempt.pre_commit.as_ref().and_then(|n| n.approved_by.as_deref());
    let carried = carried_review_trailers(&ctx, &attempt.tree, &policy, &syntax);
    let facts = Facts {
        tree: &attempt.tree,
        paths,
        merging: ctx.git.merge_heads(ctx.head.commit.as_deref()).is_some(),
        merge_resolved: false,
        review: None,
        message: Some(MessageFacts {
            trailers: &found,
            skip: env_flag(SKIP_AGENT_TRAILER),
            file: Some(&path),
            review_trailer: carried
                .as_deref()
                .map(|carried| ReviewTrailerFacts { approved_by, carried }),
        }),
        added: None,
        checks_skipped: false,
    };
    let verdict = judge::judge(&facts, &policy);
    let target = Target {
        details: ctx.file_details(&files, file_count),
        tree: &attempt.tree,
        paths: file_count,
        violation_extra: json!({}),
        after_the_fact: false,
    };
    let code = apply::apply(&ctx, &target, &verdict);
    let mut summary = Summary::new();
    summary.add(&verdict, Duration::ZERO);
    if code != EXIT_OK {
        return Ok(apply::conclude(&ctx, summary, HookName::CommitMsg, code));
    }

    if let Some(reviewer) = attempt.pre_commit.as_ref().and_then(|n| n.approved_by.as_deref()) {
        add_review_trailer(&ctx, &path, &raw, &syntax, &found, reviewer)?;
    }
    let note = CommitMsgNote {
        agent: verdict.agent().map(str::to_string),
        rules: verdict.rules.iter().map(Decision::of).collect(),
    };
    let stored = if append {
        attempts.add_commit_msg(git_pid, &note)
    } else {
        attempt.commit_msg = Some(note);
        attempts.put(&attempt)
    };
    if let Err(e) = stored {
        notice::warning(format!(
            "could not note that the checks ran ({e}); post-commit may report this commit as unchecked"
        ));
    }
    Ok(apply::conclude(&ctx, summary, HookName::CommitMsg, EXIT_OK))
}

/// For a `git commit` someone ran (not one the sequencer of a rebase or a
/// cherry-pick makes, whose message is the old commit's), the review
/// trailers the message may carry besides the approving reviewer's: an
/// amend that leaves the tree as it was keeps those of the commit it
/// replaces. `None` when the trailer is not judged here.
fn carried_review_trailers(
    ctx: &HookContext,
    tree: &str,
    policy: &Config,
    syntax: &Syntax,
) -> Option<Vec<String>> {
    let typed_by_hand = match crate::git::operation::git_command() {
        Some(command) => command.name == "commit",
        None => crate::git::operation::sequencer(&ctx.git.repo().git_dir).is_none(),
    };
    if !typed_by_hand {
        return None;
    }
    let key = policy.review.trailer.as_str();
    let unchanged = ctx.head.tree.as_deref() == Some(tree);
    let carried = match ctx
        .head
        .commit
        .as_deref()
        .filter(|_| unchanged && !key.is_empty())
    {
        Some(head) => match ctx.git.commit(head) {
            Ok(commit) => trailers::parse(&commit.message, syntax)
                .items
                .into_iter()
                .filter(|t| t.key.eq_ignore_ascii_case(key))
                .map(|t| t.value)
                .collect(),
            Err(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    Some(carried)
}

/// The message file git passes, made absolute.
fn message_file(args: &[OsString]) -> Result<PathBuf> {
    let path = args.first().map(PathBuf::from).ok_or(Error::HookArgument {
        hook: "commit-msg",
        missing: "the path of the message file",
        example: "enforce hook commit-msg .git/COMMIT_EDITMSG",
    })?;
    Ok(std::path::absolute(&path).unwrap_or(path))
}

/// Makes the review visible on the commit itself: the configured trailer
/// (`Reviewed-by:`) naming the reviewer whose approval the commit uses.
fn add_review_trailer(
    ctx: &HookContext,
    path: &Path,
    raw: &[u8],
    syntax: &Syntax,
    found: &Trailers,
    reviewer: &str,
) -> Result<()> {
    let key = ctx.config.review.trailer.as_str();
    let present = found
        .items
        .iter()
        .any(|t| t.key.eq_ignore_ascii_case(key) && t.value == reviewer);
    if key.is_empty() || present {
        return Ok(());
    }
    // One line, whatever an approval file says: a line break in the name
    // must not start trailers of its own.
    let reviewer: String = reviewer
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let updated = trailers::append_raw(raw, syntax, key, &reviewer);
    fs::write(path, updated).map_err(|e| Error::io("add the review trailer to", path, e))
}
