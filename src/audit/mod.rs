//! `enforce audit`'s engine: judges commits that exist from git objects
//! alone, the same in a fresh clone, in CI and in a server's `pre-receive`.
//!
//! Each commit is judged by the one judge ([`crate::judge::audit`]) under
//! the policy committed at its first parent: the `.enforce.toml` blob in
//! that parent's tree, or the built-in defaults when there is none (and for
//! a root commit, which has no parent). What it changes is taken against
//! that parent; a merge of two parents is taken against the automatic merge
//! of them (`git merge-tree`), so a clean merge adds nothing and what an
//! "evil" merge slips in is judged like any change. A merge of more than
//! two parents, or of unrelated histories, has no automatic merge to
//! compare with: it is taken against its first parent.
//!
//! The only evidence of what the hooks decided is the commit's receipt (a
//! note in `refs/notes/enforce`, read once for the whole range). Nothing is
//! read from a work tree, the index or the events log. What cannot be
//! judged (a shallow clone's boundary, a missing object, a policy that does
//! not validate) is [`Unjudged`], never a pass.

pub mod backtest;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use crate::config::{self, Config, FILE_NAME};
use crate::error::Result;
use crate::git::notes::{NOTES_REF, NotesIndex};
use crate::git::{CommitDiffs, CommitInfo, Git, Patch, short_id, trailers};
use crate::judge::audit::{self as judge, Approval, Evidence, Level, PolicyChange, Shape};
use crate::receipt::{Invalid, Receipt};
use crate::rules::content;
use crate::signing::{
    self,
    verify::{self, Binding},
};

/// The receipts readable for a range: which blob holds the note on each
/// commit, from every notes commit enforce reads.
#[derive(Debug, Default)]
pub struct Receipts {
    index: NotesIndex,
}

impl Receipts {
    /// Reads the notes of `extra` notes commits, then of
    /// `refs/notes/enforce`, then of each `refs/notes/remotes/*/enforce`
    /// (where fetched receipts are kept). The first source that has a note
    /// on a commit is the one read: pre-receive passes the pushed new value
    /// of `refs/notes/enforce` as the first of `extra`, so it wins.
    pub fn load(git: &Git, extra: &[String]) -> Result<Receipts> {
        let mut index = NotesIndex::default();
        for commit in extra {
            index.extend_missing(git.notes_index(commit)?);
        }
        let mut refs = vec![NOTES_REF.to_string()];
        let mut remotes = git.refs_matching("refs/notes/remotes/*/enforce");
        remotes.sort();
        refs.extend(remotes);
        for name in refs {
            if let Some(commit) = git.ref_target(&name) {
                index.extend_missing(git.notes_index(&commit)?);
            }
        }
        Ok(Receipts { index })
    }

    /// Whether no receipt at all could be read (the notes were not
    /// fetched, or never pushed).
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The blob holding the note on `commit`.
    fn get(&self, commit: &str) -> Option<&str> {
        self.index.get(commit)
    }
}

/// What an audit found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// How many commits were given.
    pub commits: usize,
    /// How many of them `[audit] since` exempts (history from before
    /// enforce was adopted).
    pub exempt: usize,
    /// Everything wrong, commit by commit in the order given.
    pub findings: Vec<Finding>,
    /// The commits that could not be judged, and why.
    pub unjudged: Vec<Unjudged>,
    /// What is worth knowing that is no offence.
    pub info: Vec<Info>,
}

/// One thing a commit lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub commit: String,
    pub subject: String,
    /// A rule's name, `receipt` (made around the hooks) or `policy` (a
    /// weakening without review).
    pub rule: String,
    pub problem: String,
    pub fix: Option<String>,
    /// Where, for a content rule's hit (or `.enforce.toml` for `policy`).
    pub file: Option<PathBuf>,
    pub line: Option<u64>,
    pub level: Level,
}

/// A commit audit could not judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unjudged {
    pub commit: String,
    pub why: String,
}

/// Something about a commit that is no offence: a reviewed weakening, an
/// allowed bypass, files the content rules could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Info {
    pub commit: String,
    pub subject: String,
    pub message: String,
}

impl Report {
    /// How many commits have at least one finding.
    pub fn offending_commits(&self) -> usize {
        let mut seen: HashSet<&str> = HashSet::new();
        self.findings.iter().filter(|f| seen.insert(&f.commit)).count()
    }

    /// No findings, and every commit judged.
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.unjudged.is_empty()
    }
}

/// Judges `commits` (oldest first) from git objects alone, each under the
/// policy committed at its first parent.
pub fn audit(git: &Git, commits: &[String], receipts: &Receipts) -> Result<Report> {
    let mut auditor = Auditor::new(git, receipts)?;
    let mut report = Report {
        commits: commits.len(),
        ..Report::default()
    };
    let exempt = auditor.exempt(commits, &mut report)?;
    let plain = auditor.plain(commits, &exempt);
    auditor.diffs = git.commit_diffs(plain)?;
    for sha in commits {
        if exempt.contains(sha) {
            report.exempt += 1;
            continue;
        }
        match auditor.judge(sha) {
            Ok((subject, judged)) => {
                report
                    .findings
                    .extend(judged.offences.into_iter().map(|o| Finding {
                        commit: sha.clone(),
                        subject: subject.clone(),
                        rule: o.rule,
                        problem: o.problem,
                        fix: o.fix,
                        file: o.file,
                        line: o.line,
                        level: o.level,
                    }));
                report.info.extend(judged.info.into_iter().map(|message| Info {
                    commit: sha.clone(),
                    subject: subject.clone(),
                    message,
                }));
            }
            Err(why) => report.unjudged.push(Unjudged {
                commit: sha.clone(),
                why,
            }),
        }
    }
    // A git that failed has left its commits unjudged already.
    let _ = auditor.diffs.finish();
    Ok(report)
}

/// A policy as a tree's `.enforce.toml` blob says it, or why it does not
/// validate.
type Policy = std::result::Result<Rc<Config>, String>;

struct Auditor<'a> {
    git: &'a Git,
    receipts: &'a Receipts,
    /// How git reads trailers here (comment string, separators).
    syntax: trailers::Syntax,
    /// The boundary commits of a shallow clone.
    shallow: HashSet<String>,
    /// Parsed policies by blob id (`None`: no file, the defaults).
    policies: HashMap<Option<String>, Policy>,
    /// The diffs of the commits [`Auditor::plain`] lists, read in order.
    diffs: CommitDiffs,
    /// The commits read and not judged yet: a range is read before it is
    /// judged, and reading an object costs more than the rest of a
    /// commit's judgement.
    read: HashMap<String, CommitInfo>,
    /// The tree of each commit read.
    trees: HashMap<String, String>,
    /// The `.enforce.toml` blob of trees known without reading them: the
    /// tree of a commit whose diff leaves `.enforce.toml` alone has the
    /// blob of its parent's.
    known: HashMap<String, Option<String>>,
}

impl<'a> Auditor<'a> {
    /// An auditor with no diffs asked of git yet.
    fn new(git: &'a Git, receipts: &'a Receipts) -> Result<Auditor<'a>> {
        Ok(Auditor {
            git,
            receipts,
            syntax: git.trailer_syntax(),
            shallow: git.shallow_commits(),
            policies: HashMap::new(),
            diffs: git.commit_diffs(Vec::new())?,
            read: HashMap::new(),
            trees: HashMap::new(),
            known: HashMap::new(),
        })
    }

    /// The commit `sha`, read once.
    fn commit(&mut self, sha: &str) -> Result<&CommitInfo> {
        if !self.read.contains_key(sha) {
            let commit = self.git.commit(sha)?;
            self.trees.insert(commit.sha.clone(), commit.tree.clone());
            self.read.insert(sha.to_string(), commit);
        }
        Ok(&self.read[sha])
    }

    /// The commit `sha`, to judge: not kept once taken.
    fn take(&mut self, sha: &str) -> Result<CommitInfo> {
        self.commit(sha)?;
        Ok(self.read.remove(sha).expect("read above"))
    }

    /// The tree of the commit `sha`, or `None` if this clone lacks it.
    fn tree_of(&mut self, sha: &str) -> Option<String> {
        if let Some(tree) = self.trees.get(sha) {
            return Some(tree.clone());
        }
        let tree = self.git.tree_of(sha)?;
        self.trees.insert(sha.to_string(), tree.clone());
        Some(tree)
    }

    /// The policy `.enforce.toml` blob `blob` holds.
    fn policy(&mut self, blob: Option<&str>) -> Policy {
        let key = blob.map(str::to_string);
        if let Some(policy) = self.policies.get(&key) {
            return policy.clone();
        }
        let policy = match blob {
            None => Ok(Rc::new(Config::default())),
            Some(id) => self
                .git
                .blob(id)
                .and_then(|bytes| config::committed(Some(&bytes)))
                .map(Rc::new)
                .map_err(|e| e.to_string()),
        };
        self.policies.insert(key, policy.clone());
        policy
    }

    /// The policy committed in `tree`.
    fn policy_in(&mut self, tree: &str) -> std::result::Result<(Option<String>, Policy), String> {
        let blob = match self.known.get(tree) {
            Some(blob) => blob.clone(),
            None => self
                .git
                .blob_id_in(tree, Path::new(FILE_NAME))
                .map_err(|e| e.to_string())?,
        };
        let policy = self.policy(blob.as_deref());
        Ok((blob, policy))
    }

    /// Whether the signed approval a receipt carries counts for `commit`,
    /// checked against the signers committed at its first parent.
    fn signed(
        &self,
        commit: &CommitInfo,
        parent_tree: &str,
        paths: &[PathBuf],
        review: &config::Review,
        approval: &crate::receipt::ApprovalUsed,
    ) -> Approval {
        let refused = |reason: String| Approval::Refused {
            reviewer: approval.reviewer.clone(),
            reason,
        };
        let Some(signed) = &approval.signed else {
            return refused(
                "it is not signed, and the policy at its parent requires signed approvals ([review] require_signature)"
                    .into(),
            );
        };
        let parent = commit.parents.first().map(String::as_str);
        let trust = match signing::trust::load(self.git, parent.map(|_| parent_tree), parent, review) {
            Ok(Some(trust)) => trust,
            Ok(None) => {
                return refused(
                    "the policy at its parent requires signatures but names no signers file".into(),
                );
            }
            Err(why) => return refused(why),
        };
        let at = chrono::DateTime::from_timestamp(commit.author_time, 0)
            .unwrap_or_default()
            .fixed_offset();
        let binding = Binding {
            tree: &commit.tree,
            parent,
            changes_policy: signing::trust::changes_policy(paths, review, None),
            at,
            max_age_seconds: review.max_age_seconds.get(),
        };
        let patch_id = || self.git.patch_id(parent_tree, &commit.tree).ok().flatten();
        match verify::check(signed, &trust, &binding, patch_id) {
            Ok(verified) => Approval::Matches {
                reviewer: verified.principal,
            },
            Err(why) => refused(why),
        }
    }

    /// The commits `[audit] since` exempts: the `since` commit and its
    /// ancestors, as the policy committed at each tip of the range (a
    /// commit no other commit of the range has as a parent) names it.
    ///
    /// Read at the tips, not at each commit: the commits before adoption
    /// are judged under policies that predate `since`, so a per-commit
    /// reading could never exempt them. A tip cannot set `since` without
    /// being judged for it: setting or moving it is a weakening, an
    /// offence without review.
    fn exempt(&mut self, commits: &[String], report: &mut Report) -> Result<HashSet<String>> {
        let listed: HashSet<&str> = commits.iter().map(String::as_str).collect();
        let mut parents: HashSet<String> = HashSet::new();
        let mut read: Vec<CommitInfo> = Vec::new();
        for sha in commits {
            // A commit that cannot be read is reported when it is judged.
            if let Ok(commit) = self.commit(sha) {
                parents.extend(commit.parents.iter().cloned());
                read.push(commit.clone());
            }
        }
        let mut exempt = HashSet::new();
        let mut done: HashSet<String> = HashSet::new();
        for tip in read.iter().filter(|c| !parents.contains(&c.sha)) {
            let Ok((_, Ok(policy))) = self.policy_in(&tip.tree) else {
                continue;
            };
            let Some(since) = policy.audit.since().map(str::to_ascii_lowercase) else {
                continue;
            };
            if !done.insert(since.clone()) {
                continue;
            }
            if !self.git.has_commit(&since) {
                report.info.push(Info {
                    commit: tip.sha.clone(),
                    subject: subject(&tip.message),
                    message: format!(
                        "[audit] since names {since}, which is not in this clone: no commit is exempted"
                    ),
                });
                continue;
            }
            exempt.extend(
                self.git
                    .ancestors(&since)?
                    .into_iter()
                    .filter(|c| listed.contains(c.as_str())),
            );
        }
        Ok(exempt)
    }

    /// The commits of `commits` to be judged against their first parent
    /// (or the empty tree) whose diffs git can make: not merges, not at a
    /// shallow boundary, with their parent in this clone. Their diffs are
    /// read from one git for the whole range; the rest are judged (or
    /// found unjudgeable) one by one.
    fn plain(&mut self, commits: &[String], exempt: &HashSet<String>) -> Vec<String> {
        let mut plain = Vec::new();
        for sha in commits.iter().filter(|sha| !exempt.contains(*sha)) {
            let Ok(commit) = self.commit(sha) else {
                continue;
            };
            if commit.parents.len() > 1 {
                continue;
            }
            let (id, parent) = (commit.sha.clone(), commit.parents.first().cloned());
            if self.shallow.contains(&id) {
                continue;
            }
            if parent.is_none_or(|p| self.tree_of(&p).is_some()) {
                plain.push(id);
            }
        }
        plain
    }

    /// Judges one commit: its subject and what audit says of it, or why it
    /// cannot be judged.
    fn judge(&mut self, sha: &str) -> std::result::Result<(String, judge::Judged), String> {
        let gathered = self.gather(sha, None)?;
        let approval = self.approval(&gathered, &gathered.policy)?;
        let Gathered {
            commit,
            subject,
            policy,
            policy_blob,
            shape,
            base,
            paths,
            patch,
            receipt,
            trailers,
            ..
        } = &gathered;
        let git = self.git;

        // Its change of the policy, if it makes one beyond what it merges.
        let before = if *shape == Shape::Merge {
            git.blob_id_in(base, Path::new(FILE_NAME))
                .map_err(|e| e.to_string())?
        } else {
            policy_blob.clone()
        };
        let (after, after_policy) = self.policy_in(&commit.tree)?;
        let policy_change = (after != before).then(|| match after_policy {
            Ok(after) => PolicyChange::Changes(config::diff::diff(policy, &after)),
            Err(why) => PolicyChange::Invalid(why),
        });

        let judged = judge::judge_commit(
            &judge::Commit {
                tree: &commit.tree,
                shape: *shape,
                paths,
                added: patch.as_ref(),
                trailers,
                evidence: evidence(receipt),
                approval: &approval,
                policy_change: policy_change.as_ref(),
            },
            policy,
        );
        Ok((subject.clone(), judged))
    }

    /// Reads what one commit is judged on, or why it cannot be judged:
    /// the commit, the policy committed at its first parent, what it
    /// changes and adds (see [`Shape`]), its trailers and its receipt.
    /// The added lines are read when the parent's policy, or `also`, has
    /// a content rule on, up to the larger of their `max_file_bytes`.
    fn gather(&mut self, sha: &str, also: Option<&Config>) -> std::result::Result<Gathered, String> {
        let git = self.git;
        let failed = |e: crate::error::Error| e.to_string();
        let commit = self.take(sha).map_err(failed)?;
        let subject = subject(&commit.message);
        if self.shallow.contains(&commit.sha) {
            return Err(format!(
                "the parent of {} is not in this clone (shallow): fetch with --unshallow or fetch-depth: 0",
                short_id(&commit.sha)
            ));
        }
        let mut parent_trees = Vec::new();
        for parent in &commit.parents {
            parent_trees.push(self.tree_of(parent).ok_or_else(|| {
                format!(
                    "its parent {} is not in this clone: fetch it (git fetch --unshallow, or fetch-depth: 0)",
                    short_id(parent)
                )
            })?);
        }
        let parent_tree = match parent_trees.into_iter().next() {
            Some(tree) => tree,
            None => git.empty_tree().to_string(),
        };
        let (policy_blob, policy) = self.policy_in(&parent_tree)?;
        let policy = policy.map_err(|why| {
            format!(
                "the {FILE_NAME} committed at its parent {} does not validate: {why}",
                commit.parents.first().map_or("", |p| short_id(p))
            )
        })?;

        // What the commit changes: against its first parent, or beyond the
        // automatic merge of its two parents.
        let (shape, base) = match commit.parents.as_slice() {
            [_, _] if !self.shallow.is_empty() => {
                return Err(format!(
                    "the automatic merge of the parents of {} needs their history, which this shallow clone lacks: fetch with --unshallow or fetch-depth: 0",
                    short_id(&commit.sha)
                ));
            }
            [_, _] => match git.auto_merge_base(&commit.parents).map_err(failed)? {
                Some(tree) => (Shape::Merge, tree),
                None => (Shape::Unrelated, parent_tree.clone()),
            },
            [_, _, _, ..] => (Shape::Octopus, parent_tree.clone()),
            _ => (Shape::Plain, parent_tree.clone()),
        };
        let scan = content::any_active(&policy.rules.content)
            || also.is_some_and(|p| content::any_active(&p.rules.content));
        let max_bytes = also.map_or(policy.rules.max_file_bytes, |p| {
            p.rules.max_file_bytes.max(policy.rules.max_file_bytes)
        });
        let (changes, patch) = if shape == Shape::Plain {
            let (changes, patch) = self.diffs.next(&commit.sha, max_bytes)?;
            (changes, scan.then_some(patch))
        } else if scan {
            let (changes, patch) = git
                .changes_and_added_lines(&base, &commit.tree, max_bytes)
                .map_err(failed)?;
            (changes, Some(patch))
        } else {
            (git.changes(&base, &commit.tree).map_err(failed)?, None)
        };
        let paths: Vec<PathBuf> = changes.into_iter().map(|c| c.path).collect();
        if shape == Shape::Plain && !paths.iter().any(|p| p == Path::new(FILE_NAME)) {
            self.known.insert(commit.tree.clone(), policy_blob.clone());
        }

        // The receipt.
        let note = match self.receipts.get(&commit.sha) {
            None => None,
            Some(blob) => Some(
                git.blob(blob)
                    .map_err(|e| format!("its receipt cannot be read: {e}"))?,
            ),
        };
        let receipt = note.map(|bytes| {
            Receipt::parse(&bytes).and_then(|r| r.check(&commit.tree, &commit.parents).map(|()| r))
        });
        let trailers = trailers::parse(&commit.message, &self.syntax);
        Ok(Gathered {
            commit,
            subject,
            parent_tree,
            policy_blob,
            policy,
            shape,
            base,
            paths,
            patch,
            receipt,
            trailers,
        })
    }

    /// Whether the approval the receipt of `gathered` records is for its
    /// commit, under `policy`'s review settings (a signature is checked
    /// when `policy` requires one, against the signers file it names as
    /// committed at the commit's first parent).
    fn approval(&self, gathered: &Gathered, policy: &Config) -> std::result::Result<Approval, String> {
        let Some(Ok(Receipt {
            approval: Some(approval),
            ..
        })) = &gathered.receipt
        else {
            return Ok(Approval::None);
        };
        let commit = &gathered.commit;
        if policy.review.require_signature {
            return Ok(self.signed(
                commit,
                &gathered.parent_tree,
                &gathered.paths,
                &policy.review,
                approval,
            ));
        }
        let matches = approval.tree == commit.tree
            || match &approval.patch_id {
                Some(id) => {
                    self.git
                        .patch_id(&gathered.parent_tree, &commit.tree)
                        .map_err(|e| e.to_string())?
                        .as_deref()
                        == Some(id.as_str())
                }
                None => false,
            };
        Ok(if matches {
            Approval::Matches {
                reviewer: approval.reviewer.clone(),
            }
        } else {
            Approval::Other {
                tree: approval.tree.clone(),
            }
        })
    }
}

/// What [`Auditor::gather`] read of one commit.
struct Gathered {
    commit: CommitInfo,
    subject: String,
    parent_tree: String,
    /// The `.enforce.toml` blob at its first parent (`None`: the defaults).
    policy_blob: Option<String>,
    /// The policy committed at its first parent.
    policy: Rc<Config>,
    shape: Shape,
    /// The tree its changes are taken against.
    base: String,
    paths: Vec<PathBuf>,
    /// The lines it adds, when a content rule is on.
    patch: Option<Patch>,
    /// The note on it: a receipt for exactly this commit, or why not.
    receipt: Option<std::result::Result<Receipt, Invalid>>,
    trailers: trailers::Trailers,
}

/// The receipt found for a commit, as the judge takes it.
fn evidence(receipt: &Option<std::result::Result<Receipt, Invalid>>) -> Evidence<'_> {
    match receipt {
        None => Evidence::Missing,
        Some(Ok(receipt)) => Evidence::Receipt(receipt),
        Some(Err(invalid)) => Evidence::Invalid(invalid),
    }
}

/// The first line of a commit message.
fn subject(message: &str) -> String {
    message.lines().next().unwrap_or("").to_string()
}
