//! The token that proves the checks ran for a commit.
//!
//! `git commit --no-verify` skips `pre-commit` and `commit-msg` but still
//! runs `post-commit`. So each check leaves a note for this commit attempt,
//! and post-commit, finding none, knows the checks were skipped.
//!
//! A note is bound to the attempt three ways: it is keyed by the process id
//! of the `git` process running the hooks (all hooks of one `git commit`
//! share it; another attempt, even of the same content, has another), and
//! it records the tree being committed and HEAD at the time, which
//! post-commit checks against the commit it finds. Notes of attempts that
//! never reached post-commit (a blocked commit-msg, a killed editor) are
//! pruned after a day.
//!
//! A note is a claim, not proof: anyone who can run `git` can write one.
//! post-commit believes it only as far as the commit bears it out (see
//! [`super::confirm`]).
//!
//! The note is one file per attempt: pre-commit's line, then commit-msg's
//! line appended to it. Appending rather than replacing the file matters
//! on the commit path: replacing a file makes the file system flush the
//! new one and free the old one, which costs more than the note's JSON.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::receipt::Decision;

/// What pre-commit (or pre-merge-commit) decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreCommitNote {
    /// What the review rule decided: `approved`, `bypassed`, `audit`,
    /// `exempt`, `not-needed` or `off`.
    #[serde(default)]
    pub review: String,
    /// The reviewer whose approval this commit uses, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    pub files: Vec<String>,
    pub file_count: usize,
    /// Binary files the content rules could not scan.
    #[serde(default)]
    pub scan_skipped_binary: u64,
    /// Files over the content rules' size limit.
    #[serde(default)]
    pub scan_skipped_oversized: usize,
    /// The review and content rules' decisions, for the receipt.
    #[serde(default)]
    pub rules: Vec<Decision>,
    /// The patch id of the diff from HEAD's tree to the staged tree, when
    /// an approval is used: the receipt names it, and here the trees are
    /// already read. Valid for the commit only if its first parent's tree
    /// is `from` (not for an amend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_id: Option<NotedPatchId>,
    /// When the approval was checked (RFC 3339): post-commit checks it
    /// again as of then, so one that expired while the editor was open
    /// still counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
}

/// A patch id pre-commit computed: of the diff from tree `from` to the
/// attempt's tree (`None`: they are equal).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotedPatchId {
    pub from: String,
    pub id: Option<String>,
}

/// What commit-msg decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitMsgNote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The agent-trailer rule's decision, for the receipt.
    #[serde(default)]
    pub rules: Vec<Decision>,
}

/// The note for one commit attempt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The attempt id every event of this attempt and the commit's receipt
    /// carry.
    #[serde(default)]
    pub id: String,
    pub git_pid: u32,
    /// The tree being committed, as the index wrote it.
    pub tree: String,
    /// HEAD when the checks ran (`None` before the first commit).
    pub head: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_commit: Option<PreCommitNote>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_msg: Option<CommitMsgNote>,
}

/// The attempt notes of one worktree.
pub struct Attempts {
    dir: PathBuf,
}

const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// A new attempt id: unique per attempt on this machine (the git process,
/// the time), short enough to read in an event.
pub fn new_id(git_pid: u32) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let seed = format!("{git_pid}:{}:{nanos}", std::process::id());
    let digest = <sha2::Sha256 as sha2::Digest>::digest(seed.as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

impl Attempts {
    pub fn new(git_dir: &Path) -> Attempts {
        Attempts {
            dir: crate::git::state::attempts_dir(git_dir),
        }
    }

    fn path(&self, git_pid: u32) -> PathBuf {
        self.dir.join(format!("{git_pid}.json"))
    }

    /// The note of the attempt run by `git_pid`, if any. A commit-msg line
    /// that does not parse (a write cut short) counts as commit-msg not
    /// having run: post-commit then judges the message itself.
    pub fn get(&self, git_pid: u32) -> Option<Attempt> {
        let bytes = fs::read(self.path(git_pid)).ok()?;
        let mut lines = bytes.split(|b| *b == b'\n');
        let mut attempt: Attempt = serde_json::from_slice(lines.next()?).ok()?;
        if let Some(note) = lines
            .next()
            .filter(|l| !l.is_empty())
            .and_then(|l| serde_json::from_slice::<CommitMsgNote>(l).ok())
        {
            attempt.commit_msg = Some(note);
        }
        Some(attempt)
    }

    /// Stores `attempt`, replacing any note of its git process. Failing to
    /// store is reported, not fatal: the commit's decision is already made.
    pub fn put(&self, attempt: &Attempt) -> std::io::Result<()> {
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".{}.tmp", attempt.git_pid));
        let mut line = serde_json::to_vec(attempt).map_err(std::io::Error::other)?;
        line.push(b'\n');
        fs::write(&tmp, line)?;
        fs::rename(&tmp, self.path(attempt.git_pid))
    }

    /// Adds commit-msg's decision to the note pre-commit left for
    /// `git_pid` (which [`Attempts::get`] returned).
    pub fn add_commit_msg(&self, git_pid: u32, note: &CommitMsgNote) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(note).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = fs::OpenOptions::new().append(true).open(self.path(git_pid))?;
        file.write_all(&line)
    }

    /// Removes the note of `git_pid` (post-commit has read it), and prunes
    /// stale notes.
    pub fn remove(&self, git_pid: u32) {
        let _ = fs::remove_file(self.path(git_pid));
        self.prune();
    }

    fn prune(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.filter_map(|e| e.ok()) {
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| now.duration_since(t).unwrap_or_default() > STALE_AFTER);
            if old {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_append_get_remove() {
        let dir = std::env::temp_dir().join(format!("enforce-attempts-{}", std::process::id()));
        let store = Attempts::new(&dir);
        let attempt = Attempt {
            id: "a".into(),
            git_pid: 42,
            tree: "t".into(),
            head: None,
            pre_commit: Some(PreCommitNote::default()),
            commit_msg: None,
        };
        store.put(&attempt).unwrap();
        assert_eq!(store.get(42), Some(attempt.clone()));
        let msg = CommitMsgNote {
            agent: Some("bench".into()),
            rules: Vec::new(),
        };
        store.add_commit_msg(42, &msg).unwrap();
        let both = Attempt {
            commit_msg: Some(msg),
            ..attempt.clone()
        };
        assert_eq!(store.get(42), Some(both.clone()));
        // A commit-msg line cut short is commit-msg not having run.
        let path = store.path(42);
        let full = fs::read(&path).unwrap();
        fs::write(&path, &full[..full.len() - 5]).unwrap();
        assert_eq!(store.get(42), Some(attempt.clone()));
        // A note written whole by commit-msg (no pre-commit) reads back.
        store.put(&both).unwrap();
        assert_eq!(store.get(42), Some(both));
        store.remove(42);
        assert_eq!(store.get(42), None);
        fs::remove_dir_all(&dir).unwrap();
    }
}
