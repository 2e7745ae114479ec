//! `enforce verify`: check the log's hash chain and its head.

use std::fmt::Write;

use serde::Serialize;

use crate::cli::{OutputArgs, TextOrJson};
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::event::chain::{self, Anchor, HEAD_REF, Head, Problem, Verification};
use crate::event::scan;
use crate::output;
use crate::workspace::Workspace;

/// `verify`'s full result: the chain, and the head kept in the repository.
#[derive(Debug, Serialize)]
pub struct Report {
    pub path: String,
    #[serde(flatten)]
    pub chain: Verification,
    /// The head `refs/enforce/head` names, when the repository keeps one
    /// for this file.
    pub anchored_head: Option<Head>,
}

/// Verifies the workspace's events file.
pub fn verify(workspace: &Workspace) -> Result<Report> {
    let path = workspace.events.path();
    let anchor_record = workspace.anchored();
    let anchored = anchor_record.as_ref().map(|a| a.head.clone());
    let file = scan::open_regular(&workspace.events)?;
    let (mut chain, anchor) = chain::verify(path, file.as_ref(), anchored.as_ref())?;
    if let (Some(head), Some(anchor)) = (&anchored, anchor) {
        match anchor {
            Anchor::Matches | Anchor::CleanedUp => {}
            Anchor::Differs { line, found } => chain.problems.push(Problem {
                line,
                kind: "edited".into(),
                message: format!("line {line} is not the line {HEAD_REF} recorded as sequence {}", head.seq),
                expected: Some(head.hash.clone()),
                found: Some(found),
            }),
            Anchor::Missing => chain.problems.push(Problem {
                line: chain.lines + 1,
                kind: "truncated".into(),
                message: format!(
                    "the log ends at sequence {}, but {HEAD_REF} records sequence {}: lines were removed from the end",
                    chain.head.as_ref().map_or(0, |h| h.seq),
                    head.seq
                ),
                expected: Some(head.seq.to_string()),
                found: Some(chain.head.as_ref().map_or(0, |h| h.seq).to_string()),
            }),
        }
        chain.intact = chain.problems.is_empty();
    }
    if let Some(expected) = anchor_record.as_ref().and_then(|a| a.first.clone())
        && chain.lines > 0
        && chain.first_line.as_ref() != Some(&expected)
    {
        chain.problems.insert(
            0,
            Problem {
                line: 1,
                kind: "replaced".into(),
                message: format!(
                    "the log does not start with the line {HEAD_REF} recorded: the file was replaced, or lines were removed from its start"
                ),
                expected: Some(expected),
                found: chain.first_line.clone(),
            },
        );
        chain.intact = false;
    }
    Ok(Report {
        path: path.display().to_string(),
        chain,
        anchored_head: anchored,
    })
}

pub fn run(workspace: &Workspace, args: &OutputArgs) -> Result<i32> {
    let report = verify(workspace)?;
    output::print(&match args.chosen() {
        TextOrJson::Json => crate::view::json(&report),
        TextOrJson::Text => text(&report),
    })?;
    Ok(if report.chain.intact { EXIT_OK } else { EXIT_POLICY })
}

fn text(report: &Report) -> String {
    let c = &report.chain;
    if c.lines == 0 && report.anchored_head.is_none() {
        return format!("{}: no events recorded yet: nothing to verify\n", report.path);
    }
    let mut out = format!(
        "{}: {} line(s): {} chained, {} unchained, {} unreadable, {} checkpoint(s)\n",
        report.path, c.lines, c.chained, c.unchained, c.unreadable, c.checkpoints
    );
    if !c.unreadable_lines.is_empty() {
        let lines: Vec<String> = c.unreadable_lines.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "unreadable line(s) {} (torn writes or garbage; kept, and covered by the chain)",
            lines.join(", ")
        );
    }
    match (&c.head, &report.anchored_head) {
        (Some(head), Some(anchor)) => {
            let _ = writeln!(
                out,
                "head: sequence {} ({}); {HEAD_REF} records sequence {}",
                head.seq,
                &head.hash[..12],
                anchor.seq
            );
        }
        (Some(head), None) => {
            let _ = writeln!(
                out,
                "head: sequence {} ({}); no {HEAD_REF} for this file",
                head.seq,
                &head.hash[..12]
            );
        }
        _ => {}
    }
    if c.intact {
        out.push_str("intact: every link holds\n");
    } else {
        let _ = writeln!(out, "BROKEN: {} problem(s)", c.problems.len());
        for problem in &c.problems {
            let _ = writeln!(
                out,
                "  line {}: {}: {}",
                problem.line, problem.kind, problem.message
            );
            if let (Some(expected), Some(found)) = (&problem.expected, &problem.found) {
                let _ = writeln!(out, "    expected {expected}, found {found}");
            }
        }
    }
    out
}
