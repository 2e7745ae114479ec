//! `enforce audit <range>`: judge commits themselves, the check no client
//! can skip.
//!
//! Client-side hooks can be avoided in ways no hook sees: never installed,
//! `core.hooksPath=/dev/null`, a GUI client, a clone without enforce. In CI
//! or a server-side hook, audit reads each commit of a range and asks the
//! judge about it ([`crate::judge::audit`]), with the commit's
//! `commit_completed` record as evidence when the events file is there.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::cli::{AuditArgs, TextOrJson};
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::event::scan::pass;
use crate::event::types;
use crate::git::trailers;
use crate::judge::audit::{self, Record};
use crate::output;
use crate::report::{Fold, detail};
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
        let paths = git.commit_files(sha)?;
        let subject = commit.message.lines().next().unwrap_or("").to_string();
        let trailers = trailers::parse(&commit.message, &comment);
        let judged = audit::Commit {
            tree: &commit.tree,
            parents: commit.parents.len(),
            paths: &paths,
            trailers: &trailers,
        };
        for (rule, problem) in audit::offences(&judged, config, records.found.get(sha), log_checked) {
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

    output::print(&match args.output.chosen() {
        TextOrJson::Json => crate::view::json(&audit),
        TextOrJson::Text => text(&audit),
    })?;
    Ok(if audit.offences.is_empty() {
        EXIT_OK
    } else {
        EXIT_POLICY
    })
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
            crate::git::short_id(commit),
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
