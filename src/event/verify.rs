//! `enforce verify`'s judgement of a log: its hash chain, then what the
//! repository's `refs/enforce/head` says the log must still contain.
//!
//! The chain alone shows edits inside the log; the ref, kept outside it,
//! shows a cut tail or a replaced start. Both are combined here, once, for
//! `verify` and `status` alike.

use serde::Serialize;

use super::chain::{self, Anchor, Anchored, HEAD_REF, Head, Problem, Verification};
use super::{EventLog, scan};
use crate::error::Result;

/// `verify`'s full result: the chain, and the head kept in the repository.
#[derive(Debug, Serialize)]
pub struct Report {
    pub path: String,
    #[serde(flatten)]
    pub chain: Verification,
    /// The head `refs/enforce/head` names, when the repository keeps one
    /// for this file.
    pub anchored_head: Option<Head>,
    /// The ref that anchors this file (`refs/enforce/head` for the
    /// repository's own log), when there is a repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor_ref: Option<String>,
}

/// Verifies the events file `log` against what the repository's ref
/// records of it (`anchor_record`, when it keeps one for this file).
/// `anchor` names that ref when there is a repository to keep it: a log
/// with chained events and no ref is then a problem, since nothing
/// outside the log says where it ends.
pub fn verify(log: &EventLog, anchor_record: Option<&Anchored>, anchor: Option<&str>) -> Result<Report> {
    let path = log.path();
    let anchored = anchor_record.map(|a| a.head.clone());
    let file = scan::open_regular(log)?;
    let anchor_ref = anchor;
    let name = anchor_ref.unwrap_or(HEAD_REF);
    let (mut chain, anchor) = chain::verify(path, file.as_ref(), anchored.as_ref())?;
    if let (Some(refname), None, Some(head)) = (anchor_ref, &anchored, &chain.head) {
        chain.problems.push(Problem {
            line: chain.lines,
            kind: "unanchored".into(),
            message: format!(
                "the log has chained events up to sequence {} but no {refname}: nothing outside it records where it ends, so a cut would not show (the ref was deleted, or the log predates it)",
                head.seq
            ),
            expected: Some(refname.to_string()),
            found: None,
        });
        chain.intact = false;
    }
    if let (Some(head), Some(anchor)) = (&anchored, anchor) {
        match anchor {
            Anchor::Matches | Anchor::CleanedUp => {}
            Anchor::Differs { line, found } => chain.problems.push(Problem {
                line,
                kind: "edited".into(),
                message: format!("line {line} is not the line {name} recorded as sequence {}", head.seq),
                expected: Some(head.hash.clone()),
                found: Some(found),
            }),
            Anchor::Missing => chain.problems.push(Problem {
                line: chain.lines + 1,
                kind: "truncated".into(),
                message: format!(
                    "the log ends at sequence {}, but {name} records sequence {}: lines were removed from the end",
                    chain.head.as_ref().map_or(0, |h| h.seq),
                    head.seq
                ),
                expected: Some(head.seq.to_string()),
                found: Some(chain.head.as_ref().map_or(0, |h| h.seq).to_string()),
            }),
        }
        chain.intact = chain.problems.is_empty();
    }
    // A checkpoint names the lines it replaced; only those enforce cleanup
    // wrote (the anchor lists them) are believed.
    if let Some(written) = anchor_record.and_then(|a| a.checkpoints.as_ref()) {
        for (line, hash) in &chain.checkpoint_hashes {
            if !written.contains(hash) {
                chain.problems.push(Problem {
                    line: *line,
                    kind: "forged-checkpoint".into(),
                    message: format!(
                        "line {line} is a log_checkpoint that enforce cleanup did not write ({name} lists the ones it wrote): it can hide removed lines"
                    ),
                    expected: None,
                    found: Some(hash.clone()),
                });
                chain.intact = false;
            }
        }
    }
    if let Some(expected) = anchor_record.and_then(|a| a.first.clone())
        && chain.lines > 0
        && chain.first_line.as_ref() != Some(&expected)
    {
        chain.problems.insert(
            0,
            Problem {
                line: 1,
                kind: "replaced".into(),
                message: format!(
                    "the log does not start with the line {name} recorded: the file was replaced, or lines were removed from its start"
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
        anchor_ref: anchor_ref.map(str::to_string),
    })
}
