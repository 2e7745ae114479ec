//! The `pre-receive` hook: judges what a push adds, before any ref moves.
//!
//! git runs it once per push, in the bare repository, with one
//! `<old> <new> <ref>` line per ref on standard input and the pushed
//! objects in its quarantine. Each ref gets the check its name calls for:
//!
//! | ref | check |
//! |---|---|
//! | a protected branch (`[server] branches`) | every commit it adds, by the [audit engine](crate::audit) |
//! | `refs/notes/enforce` | receipts may be added, never dropped: no deletion, no rewind |
//! | `refs/enforce/heads/<clone>` | the log head only moves forward, on the same log ([`super::heads`]) |
//! | anything else | none |
//!
//! A commit is "added" when no protected ref holds it yet: commits pushed
//! first to an unprotected branch or a tag are judged when they reach a
//! protected one. Receipts come from the server's notes and from the notes
//! the same push sends (their new value, read inside the quarantine).
//! One offence refuses the whole push (git moves no ref then); every ref is
//! recorded in the server's log as `push_accepted` or `push_rejected`.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::config::ServerConfig;
use super::heads::{self, HEADS_PREFIX, Pushed};
use super::input::{self, Update};
use super::message;
use super::pusher::{self, Pusher};
use crate::audit::{self, Receipts, Report};
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::types;
use crate::git::Git;
use crate::git::notes::NOTES_REF;
use crate::hook::{HookName, run_kept};
use crate::workspace::Workspace;

/// What a ref of the push is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// A protected branch: the commits it adds.
    Commits,
    /// `refs/notes/enforce`.
    Receipts,
    /// `refs/enforce/heads/<clone>`.
    LogHead,
    /// Not checked.
    Nothing,
}

impl Check {
    fn name(self) -> &'static str {
        match self {
            Check::Commits => "commits",
            Check::Receipts => "receipts",
            Check::LogHead => "log_head",
            Check::Nothing => "none",
        }
    }
}

/// Why one ref is refused on its own, and the fix.
#[derive(Debug, Clone)]
pub struct Offence {
    pub reason: String,
    pub fix: String,
}

/// One ref of the push, judged.
#[derive(Debug)]
pub struct Judged {
    pub update: Update,
    pub check: Check,
    /// The commits the update adds, oldest first (protected refs).
    pub commits: Vec<String>,
    /// The update is not a fast-forward.
    pub forced: bool,
    pub offence: Option<Offence>,
}

/// The whole push, judged.
pub struct Verdict {
    pub refs: Vec<Judged>,
    /// The audit of every commit the push adds to protected refs (`None`
    /// when it adds none).
    pub report: Option<Report>,
    /// The server has no `refs/notes/enforce` and the push sends none.
    pub no_receipts: bool,
}

impl Verdict {
    /// Whether the push is refused.
    pub fn rejected(&self) -> bool {
        self.refs.iter().any(|r| r.offence.is_some()) || self.report.as_ref().is_some_and(|r| !r.passed())
    }

    /// The commits of `judged` that offend or cannot be judged.
    pub fn offending<'a>(&'a self, judged: &'a Judged) -> Vec<&'a str> {
        let Some(report) = &self.report else {
            return Vec::new();
        };
        let bad: HashSet<&str> = report
            .findings
            .iter()
            .map(|f| f.commit.as_str())
            .chain(report.unjudged.iter().map(|u| u.commit.as_str()))
            .collect();
        judged
            .commits
            .iter()
            .map(String::as_str)
            .filter(|c| bad.contains(c))
            .collect()
    }
}

/// Runs the hook; `hooks_dir` is where a kept earlier hook may wait.
pub fn run(hooks_dir: Option<&Path>) -> Result<i32> {
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Error::io("read the pushed refs from", "standard input", e))?;
    if let Some(dir) = hooks_dir {
        let code = run_kept(dir, HookName::PreReceive, &[], Some(&input))?;
        if code != EXIT_OK {
            return Ok(code);
        }
    }
    let updates = input::parse(&input)?;
    let cwd = std::env::current_dir().map_err(|e| Error::io("read the current directory", ".", e))?;
    let workspace = Workspace::load(&cwd, None)?;
    let git = workspace.require_git(&cwd)?;
    let recorder = workspace.recorder(HookName::PreReceive.as_str());
    let pusher = pusher::from_env();
    let verdict =
        ServerConfig::load(&git.repo().common_dir).and_then(|config| judge(git, &config, updates.clone()));
    let verdict = match verdict {
        Ok(verdict) => verdict,
        Err(err) => {
            // Nothing can be said of the commits: the push is refused.
            for update in &updates {
                let mut details = base_details(update, Check::Nothing, pusher.as_ref());
                details.insert(
                    "reason".into(),
                    Value::from(format!("enforce could not judge the push: {err}")),
                );
                recorder.record(types::PUSH_REJECTED, details);
            }
            return Err(err);
        }
    };
    message::print(&message::render(git, &verdict));
    for judged in &verdict.refs {
        let (event, details) = event_of(&verdict, judged, pusher.as_ref());
        recorder.record(event, details);
    }
    Ok(if verdict.rejected() { EXIT_POLICY } else { EXIT_OK })
}

/// Judges every ref of the push.
pub fn judge(git: &Git, config: &ServerConfig, updates: Vec<Update>) -> Result<Verdict> {
    // What the protected refs hold before the push: commits already judged
    // (or there before enforce), which no update adds again.
    let known: Vec<String> = {
        let mut tips: Vec<String> = git
            .refs_to_commits()?
            .into_iter()
            .filter(|(name, _)| config.protects(name))
            .map(|(_, commit)| commit)
            .collect();
        tips.sort_unstable();
        tips.dedup();
        tips
    };
    let mut refs = Vec::new();
    for update in updates {
        let check = if update.name == NOTES_REF {
            Check::Receipts
        } else if update.name.starts_with(HEADS_PREFIX) {
            Check::LogHead
        } else if config.protects(&update.name) {
            Check::Commits
        } else {
            Check::Nothing
        };
        let forced = match (&update.old, &update.new) {
            (Some(old), Some(new)) if matches!(check, Check::Commits | Check::Receipts) => {
                !git.is_ancestor(old, new)?
            }
            _ => false,
        };
        let mut judged = Judged {
            check,
            commits: Vec::new(),
            forced,
            offence: None,
            update,
        };
        match check {
            Check::Commits => {
                if let Some(new) = &judged.update.new {
                    judged.commits = git.commits_added(new, &known)?;
                }
            }
            Check::Receipts => judged.offence = receipts_offence(&judged),
            Check::LogHead => judged.offence = log_head_offence(git, &judged.update),
            Check::Nothing => {}
        }
        refs.push(judged);
    }

    let pushed_notes: Vec<String> = refs
        .iter()
        .filter(|r| r.check == Check::Receipts)
        .filter_map(|r| r.update.new.clone())
        .collect();
    let mut seen = HashSet::new();
    let commits: Vec<String> = refs
        .iter()
        .flat_map(|r| r.commits.iter())
        .filter(|c| seen.insert(c.as_str()))
        .cloned()
        .collect();
    let report = if commits.is_empty() {
        None
    } else {
        let receipts = Receipts::load(git, &pushed_notes)?;
        Some(audit::audit(git, &commits, &receipts)?)
    };
    Ok(Verdict {
        no_receipts: pushed_notes.is_empty() && git.ref_target(NOTES_REF).is_none(),
        refs,
        report,
    })
}

/// The receipts may grow, never shrink: deleting or rewinding the notes
/// ref would drop receipts of commits the server holds.
fn receipts_offence(judged: &Judged) -> Option<Offence> {
    if judged.update.new.is_none() {
        return Some(Offence {
            reason: format!("deleting `{NOTES_REF}` is refused: it holds the receipts of the commits here"),
            fix: "receipts are only ever added; nothing needs deleting".into(),
        });
    }
    judged.forced.then(|| Offence {
        reason: format!(
            "this `{NOTES_REF}` does not contain the server's: pushing it would drop receipts the server holds"
        ),
        fix: format!(
            "fetch the server's receipts and merge them into yours (`git fetch origin {NOTES_REF}:refs/notes/remotes/origin/enforce`, then `git notes --ref=enforce merge refs/notes/remotes/origin/enforce`), then push again"
        ),
    })
}

fn log_head_offence(git: &Git, update: &Update) -> Option<Offence> {
    let held = update.old.as_deref().and_then(|id| git.blob(id).ok());
    let pushed = update.new.as_deref().map(|id| git.blob(id).ok());
    let reason = match &pushed {
        None => heads::offence(held.as_deref(), Pushed::Deleted),
        Some(blob) => heads::offence(held.as_deref(), Pushed::Blob(blob.as_deref())),
    }?;
    Some(Offence {
        reason,
        fix: format!(
            "`enforce verify` in that clone shows what changed; if it was meant (`enforce cleanup`, a new clone), an administrator of this repository accepts it with `git update-ref -d {}`",
            update.name
        ),
    })
}

/// The event for one ref, and its details.
fn event_of(
    verdict: &Verdict,
    judged: &Judged,
    pusher: Option<&Pusher>,
) -> (&'static str, Map<String, Value>) {
    let mut details = base_details(&judged.update, judged.check, pusher);
    let offending = verdict.offending(judged);
    if judged.check == Check::Commits {
        details.insert("commits".into(), Value::from(judged.commits.len()));
        details.insert("offending".into(), Value::from(offending.len()));
        details.insert("forced".into(), Value::from(judged.forced));
        if let Some(report) = &verdict.report {
            let mine: HashSet<&str> = offending.iter().copied().collect();
            let findings: Vec<Value> = report
                .findings
                .iter()
                .filter(|f| mine.contains(f.commit.as_str()))
                .map(|f| json!({"commit": f.commit, "rule": f.rule, "problem": f.problem}))
                .chain(
                    report
                        .unjudged
                        .iter()
                        .filter(|u| mine.contains(u.commit.as_str()))
                        .map(|u| json!({"commit": u.commit, "rule": null, "problem": u.why})),
                )
                .take(MAX_FINDINGS_RECORDED)
                .collect();
            if !findings.is_empty() {
                details.insert("findings".into(), Value::Array(findings));
            }
        }
    }
    if !verdict.rejected() {
        return (types::PUSH_ACCEPTED, details);
    }
    let reason = match &judged.offence {
        Some(offence) => offence.reason.clone(),
        None if !offending.is_empty() => format!("{} commit(s) do not pass the audit", offending.len()),
        None => "refused with the rest of the push".to_string(),
    };
    details.insert("reason".into(), Value::from(reason));
    (types::PUSH_REJECTED, details)
}

/// How many findings one event keeps (the log's lines stay small).
const MAX_FINDINGS_RECORDED: usize = 20;

fn base_details(update: &Update, check: Check, pusher: Option<&Pusher>) -> Map<String, Value> {
    let mut details = Map::new();
    details.insert("ref".into(), Value::from(update.name.as_str()));
    if let Some(branch) = update.name.strip_prefix("refs/heads/") {
        details.insert("branch".into(), Value::from(branch));
    }
    details.insert(
        "old".into(),
        update.old.as_deref().map_or(Value::Null, Value::from),
    );
    details.insert(
        "new".into(),
        update.new.as_deref().map_or(Value::Null, Value::from),
    );
    details.insert("check".into(), Value::from(check.name()));
    if let Some(pusher) = pusher {
        details.insert("user".into(), Value::from(pusher.name.as_str()));
        details.insert("pusher_from".into(), Value::from(pusher.from));
    }
    details
}

/// The commits of `report` with findings, each with its findings, for the
/// message.
pub fn by_commit(report: &Report) -> HashMap<&str, Vec<&audit::Finding>> {
    let mut map: HashMap<&str, Vec<&audit::Finding>> = HashMap::new();
    for finding in &report.findings {
        map.entry(finding.commit.as_str()).or_default().push(finding);
    }
    map
}
