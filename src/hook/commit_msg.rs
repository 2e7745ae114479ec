//! `commit-msg`: the agent-trailer rule on the message git is about to
//! commit, and the `Reviewed-by` trailer for a commit that uses an approval.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::HookName;
use super::attempt::{Attempt, Attempts, CommitMsgNote, git_process_id};
use super::blocked::{Block, Escape};
use super::context::{HookContext, env_flag, skip_reason, with};
use crate::config::AgentTrailer;
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::{files_fields, types};
use crate::git::trailers;
use crate::rules::agent_trailer::{self, Decision, Problem};
use crate::rules::{AGENT_TRAILER, Enforcement};

/// The variable that skips the agent-trailer rule.
pub const SKIP_AGENT_TRAILER: &str = "PILOT_SKIP_AGENT_TRAILER";

pub fn run(args: &[OsString]) -> Result<i32> {
    let Some(path) = args
        .first()
        .map(PathBuf::from)
        .map(|p| std::path::absolute(&p).unwrap_or(p))
    else {
        return Err(Error::usage(
            "the commit-msg hook needs the path of the message file",
            "git passes it; to run the hook by hand: enforce hook commit-msg .git/COMMIT_EDITMSG",
        ));
    };
    let ctx = HookContext::load(HookName::CommitMsg)?;
    let raw = fs::read(&path).map_err(|e| Error::io("read the commit message", &path, e))?;
    let message = String::from_utf8_lossy(&raw);
    let comment = ctx.git.comment_string();
    let found = trailers::parse(&message, &comment);
    let merging = ctx.git.merging();

    let attempts = Attempts::new(&ctx.git.repo().git_dir);
    let git_pid = git_process_id();
    let mut attempt = match attempts.get(git_pid).filter(|a| a.head == ctx.head.commit) {
        Some(attempt) => attempt,
        None => Attempt {
            git_pid,
            tree: ctx.git.index_tree()?,
            head: ctx.head.commit.clone(),
            pre_commit: None,
            commit_msg: None,
        },
    };
    let (files, file_count) = match &attempt.pre_commit {
        Some(note) => (note.files.clone(), note.file_count),
        None => {
            let base = ctx
                .head
                .tree
                .clone()
                .unwrap_or_else(|| ctx.git.empty_tree().to_string());
            let paths: Vec<PathBuf> = ctx
                .git
                .changes(&base, &attempt.tree)?
                .into_iter()
                .map(|c| c.path)
                .collect();
            files_fields(&paths)
        }
    };
    let file_details = ctx.file_details(&files, file_count);
    let config = &ctx.config.agent_trailer;

    let mut agent = None;
    match agent_trailer::decide(&found, merging, env_flag(SKIP_AGENT_TRAILER), config) {
        Decision::Off => {}
        Decision::MergeExempt => ctx.recorder.record(
            types::COMMIT_MERGE_EXEMPT,
            with(file_details, json!({ "rule": AGENT_TRAILER })),
        ),
        Decision::Named { agent: name, .. } => agent = Some(name),
        Decision::Problem { problem, action } => {
            let reason = problem.reason(config);
            match action {
                Enforcement::Bypass => {
                    ctx.recorder.record(
                        types::BYPASS_AGENT_TRAILER,
                        with(
                            file_details,
                            json!({
                                "rule": AGENT_TRAILER,
                                "reason": skip_reason("PILOT_SKIP_AGENT_TRAILER environment variable"),
                                "problem": reason,
                                "bypass_method": "PILOT_SKIP_AGENT_TRAILER=1",
                            }),
                        ),
                    );
                    eprintln!(
                        "enforce: rule `agent-trailer` skipped with {SKIP_AGENT_TRAILER}=1 ({reason}); recorded as `bypass_agent_trailer`"
                    );
                }
                Enforcement::Audit => {
                    ctx.recorder.record(
                        types::AUDIT_WOULD_BLOCK,
                        with(file_details, json!({ "rule": AGENT_TRAILER, "reason": reason })),
                    );
                    eprintln!("enforce: audit: rule `agent-trailer` would block this commit: {reason}");
                }
                Enforcement::Block | Enforcement::BlockRefusingBypass => {
                    let refused = action == Enforcement::BlockRefusingBypass;
                    ctx.recorder.record(
                        types::COMMIT_BLOCKED,
                        with(
                            file_details,
                            json!({ "rule": AGENT_TRAILER, "reason": reason, "bypass_refused": refused }),
                        ),
                    );
                    eprint!(
                        "{}",
                        trailer_block(&problem, &reason, config, refused, &path).render()
                    );
                    return Ok(EXIT_POLICY);
                }
            }
        }
    }

    // Make the review visible on the commit itself.
    let review_trailer = ctx.config.review.trailer.as_str();
    if let Some(reviewer) = attempt.pre_commit.as_ref().and_then(|n| n.approved_by.as_deref())
        && !review_trailer.is_empty()
        && !found
            .items
            .iter()
            .any(|t| t.key.eq_ignore_ascii_case(review_trailer) && t.value == reviewer)
    {
        // One line, whatever an approval file says: a line break in the
        // name must not start trailers of its own.
        let reviewer: String = reviewer
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let updated = trailers::append(&message, &comment, review_trailer, &reviewer);
        fs::write(&path, updated).map_err(|e| Error::io("add the review trailer to", &path, e))?;
    }

    attempt.commit_msg = Some(CommitMsgNote { agent });
    if let Err(e) = attempts.put(&attempt) {
        eprintln!(
            "enforce: warning: could not note that the checks ran ({e}); post-commit may report this commit as unchecked"
        );
    }
    Ok(EXIT_OK)
}

fn trailer_block(
    problem: &Problem,
    reason: &str,
    config: &AgentTrailer,
    refused: bool,
    path: &Path,
) -> Block {
    let key = config
        .trailers
        .first()
        .map_or("Agent", |t| t.key.as_str())
        .to_string();
    let value = if config.allowed_agents.is_empty() {
        "<agent name>".to_string()
    } else {
        config.allowed_agents.first().cloned().unwrap_or_default()
    };
    let mut context = Vec::new();
    if let Problem::Unknown { .. } = problem {
        context.push(format!("allowed agents: {}", config.allowed_agents.join(", ")));
    }
    if refused {
        context.push(format!(
            "{SKIP_AGENT_TRAILER}=1 was refused: the rule is required (`required = true` in [agent_trailer])"
        ));
    }
    Block {
        rule: AGENT_TRAILER.to_string(),
        reason: reason.to_string(),
        context,
        fix: vec![
            format!("end the message with a blank line and this trailer: {key}: {value}"),
            format!(
                "to reuse the message you wrote: git -c trailer.ifexists=replace commit --cleanup=strip -F {} --trailer \"{key}: {value}\"",
                super::pre_commit::sh_word(&path.to_string_lossy())
            ),
        ],
        escape: if config.required {
            Escape::Required {
                variable: SKIP_AGENT_TRAILER,
            }
        } else {
            Escape::Variable {
                variable: SKIP_AGENT_TRAILER,
                event: types::BYPASS_AGENT_TRAILER,
            }
        },
    }
}
