//! `enforce audit <range>`: judge the commits of a range from git objects
//! alone ([`crate::audit`]), the check no client can skip.
//!
//! Exit 0 when every commit passes, 1 when any offends, 2 when a commit
//! cannot be judged and none offends (a shallow clone, a missing object, a
//! policy that does not validate): never a pass for what was not judged.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Receipts, Report};
use crate::cli::{AuditArgs, AuditFormat};
use crate::error::{EXIT_ERROR, EXIT_OK, EXIT_POLICY, Result};
use crate::event::types;
use crate::output;
use crate::workspace::Workspace;

/// The JSON form: the report, with the range and the counts beside it.
#[derive(Serialize)]
struct Json<'a> {
    range: &'a str,
    passed: bool,
    offending_commits: usize,
    receipts_found: bool,
    #[serde(flatten)]
    report: &'a Report,
}

pub fn run(cwd: &Path, events_flag: Option<&Path>, args: &AuditArgs) -> Result<i32> {
    // The work tree's config plays no part in the judgement; a broken one
    // must not stop it (the committed policies are read instead).
    let (workspace, _) = Workspace::load_lenient(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    let commits = git.rev_list(&args.range)?;
    let receipts = Receipts::load(git, &[])?;
    let report = audit::audit(git, &commits, &receipts)?;

    if args.record && !report.findings.is_empty() {
        let recorder = workspace.recorder("enforce audit");
        for finding in &report.findings {
            recorder.record(
                types::AUDIT_OFFENCE,
                crate::event::details(json!({
                    "commit_sha": finding.commit,
                    "rule": finding.rule,
                    "problem": finding.problem,
                    "range": args.range,
                })),
            );
        }
        workspace.publish_head(recorder.head(), recorder.started_log());
        super::export::refresh_textfile(&workspace);
    }

    output::print(&match args.chosen() {
        AuditFormat::Text => crate::view::audit::text(&report, &args.range, receipts.is_empty()),
        AuditFormat::Json => crate::view::versioned(
            &Json {
                range: &args.range,
                passed: report.passed(),
                offending_commits: report.offending_commits(),
                receipts_found: !receipts.is_empty(),
                report: &report,
            },
            None,
        ),
        AuditFormat::Sarif => crate::view::sarif::audit(&report, &args.range),
    })?;
    Ok(if !report.findings.is_empty() {
        EXIT_POLICY
    } else if !report.unjudged.is_empty() {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}
