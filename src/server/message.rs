//! What `pre-receive` tells the pusher (git shows it as `remote: …`).
//!
//! A refused push gets one line per offending commit, naming it and what
//! it lacks, and the fixes as `hint:` lines; an accepted one a line per
//! protected branch it audited.

use super::pre_receive::{Check, Verdict, by_commit};
use crate::git::{Git, short_id};
use crate::notice;

/// One line of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// `enforce: …`
    Notice(String),
    /// `enforce: note: …`
    Note(String),
    /// `  …` under the notice before it.
    Detail(String),
    /// `hint: …`
    Hint(String),
}

/// How many commits a refused ref lists before it counts the rest.
const MAX_COMMITS_SHOWN: usize = 50;

/// How long a subject may be in a line.
const MAX_SUBJECT: usize = 60;

/// The command that sends the receipts; the server cannot know the
/// remote's name on the pusher's side.
const PUSH_NOTES: &str = "`git push origin refs/notes/enforce` (origin or your remote's name)";

/// The message for `verdict`.
pub fn render(git: &Git, verdict: &Verdict) -> Vec<Line> {
    let mut lines = Vec::new();
    let rejected = verdict.rejected();
    let findings = verdict.report.as_ref().map(by_commit).unwrap_or_default();
    let mut fixes: Vec<String> = Vec::new();
    for judged in &verdict.refs {
        let name = &judged.update.name;
        if let Some(offence) = &judged.offence {
            lines.push(Line::Notice(format!(
                "push rejected: `{name}`: {}",
                offence.reason
            )));
            lines.push(Line::Hint(offence.fix.clone()));
            continue;
        }
        match judged.check {
            Check::Commits if !judged.commits.is_empty() => {}
            Check::Nothing if !rejected && name.starts_with("refs/heads/") => {
                lines.push(Line::Notice(format!(
                    "`{name}` is not protected ([server] branches): its commits are not audited"
                )));
                continue;
            }
            _ => continue,
        }
        let offending = verdict.offending(judged);
        let total = judged.commits.len();
        if offending.is_empty() {
            if !rejected {
                lines.push(Line::Notice(format!(
                    "`{name}`: {total} new commit(s) pass the audit"
                )));
            }
            continue;
        }
        lines.push(Line::Notice(format!(
            "push rejected: {} of {total} new commit(s) on `{name}` do not pass the audit",
            offending.len()
        )));
        for commit in offending.iter().take(MAX_COMMITS_SHOWN) {
            let mut problems: Vec<String> = Vec::new();
            for finding in findings.get(commit).into_iter().flatten() {
                problems.push(format!("{}: {}", finding.rule, finding.problem));
                if let Some(text) = &finding.fix {
                    let fix = format!("{}: {text}", finding.rule);
                    if !fixes.contains(&fix) {
                        fixes.push(fix);
                    }
                }
            }
            if let Some(report) = &verdict.report {
                for unjudged in report.unjudged.iter().filter(|u| u.commit == *commit) {
                    problems.push(format!("cannot be judged: {}", unjudged.why));
                }
            }
            lines.push(Line::Detail(format!(
                "{} {}: {}",
                short_id(commit),
                subject(git, commit),
                problems.join("; ")
            )));
        }
        if offending.len() > MAX_COMMITS_SHOWN {
            lines.push(Line::Detail(format!(
                "… and {} more commit(s)",
                offending.len() - MAX_COMMITS_SHOWN
            )));
        }
    }
    lines.extend(fixes.into_iter().map(Line::Hint));
    // What the audit found worth saying that is no offence (a reviewed
    // weakening, a bypass the policy lets land).
    if let Some(report) = &verdict.report {
        for info in &report.info {
            lines.push(Line::Note(format!(
                "{} {}: {}",
                short_id(&info.commit),
                subject(git, &info.commit),
                info.message
            )));
        }
    }
    let commits_refused = rejected && verdict.report.as_ref().is_some_and(|r| !r.passed());
    if commits_refused && verdict.no_receipts {
        lines.push(Line::Notice(format!(
            "no receipts: this repository has no `{}` and the push sends none",
            crate::git::notes::NOTES_REF
        )));
        lines.push(Line::Hint(format!(
            "push the receipts first: {PUSH_NOTES}, then push again"
        )));
    }
    lines
}

/// A commit's subject as a line can show it: control characters replaced,
/// long subjects cut.
fn subject(git: &Git, commit: &str) -> String {
    let message = git.commit(commit).map(|c| c.message).unwrap_or_default();
    let first = message.lines().next().unwrap_or("").trim();
    let mut shown: String = first
        .chars()
        .take(MAX_SUBJECT)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if first.chars().count() > MAX_SUBJECT {
        shown.push('…');
    }
    format!("\"{shown}\"")
}

/// Prints the lines through [`notice`].
pub fn print(lines: &[Line]) {
    for line in lines {
        match line {
            Line::Notice(text) => notice::info(text),
            Line::Note(text) => notice::emit(notice::Level::Note, text),
            Line::Detail(text) => notice::detail(text),
            Line::Hint(text) => notice::hint(text),
        }
    }
}
