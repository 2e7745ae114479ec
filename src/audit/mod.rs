//! Temporary stand-in for the audit engine: the contract's types, and an
//! `audit` that finds only commits without a valid receipt, or whose
//! receipt records a bypass. The real engine (every rule, each commit
//! under its parent's policy) replaces it.
#![allow(dead_code)]

use std::path::PathBuf;

use crate::error::Result;
use crate::git::Git;
use crate::git::notes::{NOTES_REF, NotesIndex};
use crate::receipt::Receipt;

/// The receipts readable for a range.
pub struct Receipts {
    index: NotesIndex,
}

impl Receipts {
    /// `extra` notes commits first (they win), then `refs/notes/enforce`,
    /// then `refs/notes/remotes/*/enforce`.
    pub fn load(git: &Git, extra: &[String]) -> Result<Receipts> {
        let mut index = NotesIndex::default();
        for commit in extra {
            index.extend_missing(git.notes_index(commit)?);
        }
        let refs =
            std::iter::once(NOTES_REF.to_string()).chain(git.refs_matching("refs/notes/remotes/*/enforce"));
        for name in refs {
            if let Some(commit) = git.ref_target(&name) {
                index.extend_missing(git.notes_index(&commit)?);
            }
        }
        Ok(Receipts { index })
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

pub struct Report {
    pub commits: usize,
    pub findings: Vec<Finding>,
    pub unjudged: Vec<Unjudged>,
}

pub struct Finding {
    pub commit: String,
    pub subject: String,
    pub rule: String,
    pub problem: String,
    pub fix: Option<String>,
    pub file: Option<PathBuf>,
    pub line: Option<u64>,
}

pub struct Unjudged {
    pub commit: String,
    pub why: String,
}

/// Judges `commits` (oldest first): here, only whether each has a valid
/// receipt that records no bypass.
pub fn audit(git: &Git, commits: &[String], receipts: &Receipts) -> Result<Report> {
    let mut findings = Vec::new();
    for sha in commits {
        let commit = git.commit(sha)?;
        let problem = match receipts.index.get(&commit.sha) {
            None => Some("made without enforce's hooks: it has no receipt".to_string()),
            Some(blob) => match Receipt::parse(&git.blob(blob)?) {
                Err(invalid) => Some(invalid.to_string()),
                Ok(receipt) => match receipt.check(&commit.tree, &commit.parents) {
                    Err(invalid) => Some(invalid.to_string()),
                    Ok(()) => ["review", "agent-trailer"].into_iter().find_map(|rule| {
                        let decision = receipt.decision(rule).filter(|d| d.is_bypass())?;
                        Some(format!(
                            "its receipt records that `{rule}` was bypassed with {}",
                            decision.method.as_deref().unwrap_or("an unknown method")
                        ))
                    }),
                },
            },
        };
        if let Some(problem) = problem {
            findings.push(Finding {
                commit: commit.sha.clone(),
                subject: commit.message.lines().next().unwrap_or("").to_string(),
                rule: "receipt".to_string(),
                problem,
                fix: Some("make the commit again through enforce's hooks (`enforce install` in the clone), then push it with `refs/notes/enforce`".to_string()),
                file: None,
                line: None,
            });
        }
    }
    Ok(Report {
        commits: commits.len(),
        findings,
        unjudged: Vec::new(),
    })
}

impl Report {
    /// How many commits have at least one finding.
    pub fn offending_commits(&self) -> usize {
        let mut commits: Vec<&str> = self.findings.iter().map(|f| f.commit.as_str()).collect();
        commits.sort_unstable();
        commits.dedup();
        commits.len()
    }

    /// No findings and nothing unjudged.
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.unjudged.is_empty()
    }
}
