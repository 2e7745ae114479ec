//! `enforce audit <range>`: judge commits themselves, the check no client
//! can skip.
//!
//! Client-side hooks can be avoided in ways no hook sees: never installed,
//! `core.hooksPath=/dev/null`, a GUI client, a clone without enforce. In CI
//! or a server-side hook, audit reads each commit of a range and checks what
//! the commit must carry: the agent trailer (git's trailer rules), the
//! `Reviewed-by` trailer an approval adds, and, when the events file is
//! there, the commit's `commit_completed` record.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::cli::AuditArgs;
use crate::config::Config;
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::scan::pass;
use crate::event::types;
use crate::git::trailers;
use crate::output;
use crate::report::{Fold, detail};
use crate::rules::agent_trailer::{self, Decision};
use crate::rules::review;
use crate::rules::{AGENT_TRAILER, REVIEW};
use crate::view::Format;
use crate::workspace::Workspace;

/// One thing a commit lacks.
#[derive(Debug, Clone, Serialize)]
pub struct Offence {
    pub commit: String,
    pub subject: String,
    pub rule: String,
    pub problem: String,
}

#[derive(Debug, Serialize)]
pub struct Audit {
    pub range: String,
    pub commits: usize,
    pub offending_commits: usize,
    pub log_checked: bool,
    pub offences: Vec<Offence>,
}

/// What the log says of a commit.
#[derive(Debug, Clone, Default)]
struct Record {
    reviewer: Option<String>,
    /// `review` of `commit_completed`: approved, bypassed, skipped, …
    review: Option<String>,
    hooks_skipped: bool,
    bypassed_review: bool,
}

/// Collects the `commit_completed` records (and review bypasses) of the
/// commits in question.
struct Records<'a> {
    wanted: &'a HashSet<String>,
    found: HashMap<String, Record>,
}

impl Fold for Records<'_> {
    fn needs_details(&self, event: &crate::event::Event) -> bool {
        matches!(
            event.event_type.as_str(),
            types::COMMIT_COMPLETED | types::COMMIT_REVIEW_BYPASSED
        )
    }

    fn add(&mut self, event: &crate::event::Event) {
        let Some(sha) = detail(event, "commit_sha").filter(|s| self.wanted.contains(*s)) else {
            return;
        };
        let record = self.found.entry(sha.to_string()).or_default();
        match event.event_type.as_str() {
            types::COMMIT_COMPLETED => {
                record.reviewer = detail(event, "reviewer").map(str::to_string);
                record.review = detail(event, "review").map(str::to_string);
                record.hooks_skipped = event.details.contains_key("hooks_skipped");
            }
            types::COMMIT_REVIEW_BYPASSED => record.bypassed_review = true,
            _ => {}
        }
    }
}

pub fn run(cwd: &Path, events_flag: Option<&Path>, args: &AuditArgs) -> Result<i32> {
    let workspace = Workspace::load(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    let config = &workspace.config.config;
    let commits = git.rev_list(&args.range)?;

    let log_checked = !args.no_log && workspace.events.path().exists();
    let wanted: HashSet<String> = commits.iter().cloned().collect();
    let mut records = Records {
        wanted: &wanted,
        found: HashMap::new(),
    };
    if log_checked {
        pass(&workspace.events, &mut records)?;
    }

    let comment = git.comment_string();
    let mut offences = Vec::new();
    for sha in &commits {
        let commit = git.commit(sha)?;
        let files = git.commit_files(sha)?;
        let subject = commit.message.lines().next().unwrap_or("").to_string();
        let record = records.found.get(sha);
        for (rule, problem) in judge(
            config,
            &commit.message,
            &comment,
            commit.parents.len() > 1,
            &files,
            log_checked,
            record,
        ) {
            offences.push(Offence {
                commit: sha.clone(),
                subject: subject.clone(),
                rule,
                problem,
            });
        }
    }
    let offending: HashSet<&str> = offences.iter().map(|o| o.commit.as_str()).collect();
    let audit = Audit {
        range: args.range.clone(),
        commits: commits.len(),
        offending_commits: offending.len(),
        log_checked,
        offences,
    };

    if args.record && !audit.offences.is_empty() {
        let recorder = workspace.recorder("enforce audit");
        for offence in &audit.offences {
            recorder.record(
                types::AUDIT_OFFENCE,
                crate::event::details(json!({
                    "commit_sha": offence.commit,
                    "rule": offence.rule,
                    "problem": offence.problem,
                    "range": audit.range,
                })),
            );
        }
        workspace.publish_head(recorder.head());
    }

    output::print(&match args.output.format() {
        Format::Json => crate::view::json(&audit),
        Format::Text => text(&audit),
        Format::Csv => return Err(Error::usage("`audit` has no CSV view", "use --json")),
    })?;
    Ok(if audit.offences.is_empty() {
        EXIT_OK
    } else {
        EXIT_POLICY
    })
}

/// The rules a commit breaks: (rule, what is missing).
fn judge(
    config: &Config,
    message: &str,
    comment: &str,
    merge: bool,
    files: &[PathBuf],
    log_checked: bool,
    record: Option<&Record>,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let parsed = trailers::parse(message, comment);
    if let Decision::Problem { problem, .. } =
        agent_trailer::decide(&parsed, merge, false, &config.agent_trailer)
    {
        found.push((AGENT_TRAILER.to_string(), problem.reason(&config.agent_trailer)));
    }

    let review = &config.review;
    let facts = review::Facts {
        files,
        merging: merge,
        approval: review::ApprovalState::Missing { other_trees: 0 },
        skip: false,
    };
    if matches!(review::decide(&facts, review), review::Decision::Required(_)) {
        let trailer = review.trailer.as_str();
        let by_trailer = !trailer.is_empty() && parsed.get(trailer).is_some_and(|t| !t.value.is_empty());
        let by_log = record.is_some_and(|r| r.reviewer.is_some());
        if !by_trailer && !by_log {
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
            let what = if trailer.is_empty() {
                format!("not reviewed: {why}")
            } else {
                format!("no `{trailer}:` trailer: {why}")
            };
            found.push((REVIEW.to_string(), what));
        }
    }

    if log_checked && record.is_none() {
        found.push((
            "record".to_string(),
            "the log has no commit_completed for it: its hooks did not run here".to_string(),
        ));
    }
    found
}

fn text(audit: &Audit) -> String {
    let mut out = String::new();
    let mut by_commit: Vec<(&str, &str, Vec<String>)> = Vec::new();
    for o in &audit.offences {
        match by_commit.last_mut() {
            Some((commit, _, problems)) if *commit == o.commit => {
                problems.push(format!("{}: {}", o.rule, o.problem))
            }
            _ => by_commit.push((&o.commit, &o.subject, vec![format!("{}: {}", o.rule, o.problem)])),
        }
    }
    for (commit, subject, problems) in by_commit {
        let _ = writeln!(
            out,
            "{} {}: {}",
            &commit[..commit.len().min(12)],
            subject,
            problems.join("; ")
        );
    }
    let log = if audit.log_checked {
        ""
    } else {
        " (no events file: trailers only)"
    };
    if audit.offences.is_empty() {
        let _ = writeln!(
            out,
            "audit {}: all {} commit(s) pass{log}",
            audit.range, audit.commits
        );
    } else {
        let _ = writeln!(
            out,
            "audit {}: {} of {} commit(s) offend{log}",
            audit.range, audit.offending_commits, audit.commits
        );
    }
    out
}
