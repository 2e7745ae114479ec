//! The diffs of many commits from one `git log --no-walk --stdin`: how
//! `enforce audit` reads a range.
//!
//! One git for the whole range, running beside the audit on the other
//! core, instead of a diff per commit in-process: git skips the subtrees
//! a commit leaves alone, where libgit2 reads every tree of both sides
//! (and `git log` walks a list of commits faster than `git diff-tree
//! --stdin`). Each commit is diffed against its only parent (a root
//! commit against the empty tree), with attributes ignored as in every
//! diff here, and every option that user config could change given.
//!
//! git answers in the order it was asked; every commit's part starts with
//! a marker line that no patch line can start with, even for a commit
//! that changes nothing.
//!
//! `enforce backtest` has git walk the range itself instead
//! ([`Git::walk_diffs`]): one `git log --reverse` lists each commit with
//! its parents and diffs it, so no `git rev-list` runs before it and its
//! diffs start at once. It prints no diff for a merge, which is taken
//! against the automatic merge of its parents elsewhere.

use std::collections::{HashSet, VecDeque};

use super::diff_text::{self, Peek};
use super::process::Streaming;
use super::{Change, Git, Patch};
use crate::error::{Error, Result};

/// A commit as a walk lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub parents: Vec<String>,
}

/// What starts each commit's part of the output: the marker, the id, NUL.
const MARKER: &[u8] = b"enforce-commit ";

/// The diffs of a list of commits, read in the order they were listed.
pub struct CommitDiffs {
    git: Option<Streaming>,
    /// The commits not read yet, in order, and as a set.
    pending: VecDeque<String>,
    waiting: HashSet<String>,
    /// Why the rest cannot be read, once git failed.
    broken: Option<String>,
    /// A walk ([`Git::walk_diffs`]): the commits are learnt from git's
    /// output, and the marker of the one listed last is read already.
    walk: bool,
}

impl Git {
    /// Starts diffing `commits` (full ids of commits with at most one
    /// parent, all in this repository), each against its parent. Read them with
    /// [`CommitDiffs::next`] in the same order.
    pub fn commit_diffs(&self, commits: Vec<String>) -> Result<CommitDiffs> {
        if commits.is_empty() {
            return Ok(CommitDiffs {
                git: None,
                pending: VecDeque::new(),
                waiting: HashSet::new(),
                broken: None,
                walk: false,
            });
        }
        let mut input = commits.join("\n").into_bytes();
        input.push(b'\n');
        let format = format!("--format={}%H", String::from_utf8_lossy(MARKER));
        let git = Streaming::start(
            &self.repo,
            [
                "log",
                "--no-walk=unsorted",
                "--stdin",
                "--root",
                "--no-notes",
                "--no-show-signature",
                "--diff-algorithm=myers",
                &format,
            ]
            .into_iter()
            .chain(diff_text::RAW_AND_PATCH.iter().copied()),
            self.empty_tree(),
            input,
            "reading the diffs of the commits",
        )?;
        Ok(CommitDiffs {
            git: Some(git),
            waiting: commits.iter().cloned().collect(),
            pending: commits.into(),
            broken: None,
            walk: false,
        })
    }

    /// Starts `git log --reverse` over the commits `revs` names (what
    /// `git rev-list` takes: `A..B`, or `--max-age=<time> HEAD`), each
    /// diffed against its only parent (a root commit against the empty
    /// tree, a merge not at all). Learn each commit with
    /// [`CommitDiffs::next_listed`], then read its diff with
    /// [`CommitDiffs::next`] or leave it.
    pub fn walk_diffs(&self, revs: &[&str]) -> Result<CommitDiffs> {
        let format = format!("--format={}%H %P", String::from_utf8_lossy(MARKER));
        let git = Streaming::start(
            &self.repo,
            [
                "log",
                "--reverse",
                "--root",
                "--no-notes",
                "--no-show-signature",
                "--diff-algorithm=myers",
                &format,
            ]
            .into_iter()
            .chain(diff_text::RAW_AND_PATCH.iter().copied())
            .chain(revs.iter().copied())
            .chain(["--"]),
            self.empty_tree(),
            Vec::new(),
            "walking the commits and their diffs",
        )?;
        Ok(CommitDiffs {
            git: Some(git),
            pending: VecDeque::new(),
            waiting: HashSet::new(),
            broken: None,
            walk: true,
        })
    }
}

impl CommitDiffs {
    /// In a walk: the next commit git lists and its parents, `None` after
    /// the last, or why git could not walk (a range it does not know). The
    /// diffs of commits listed before and not read are passed over.
    pub fn next_listed(&mut self) -> Result<Option<Listed>> {
        while let Some(listed) = self.pending.pop_front() {
            self.waiting.remove(&listed);
            if let Err(why) = self.read_one(&listed, 0) {
                return Err(Error::Git {
                    action: "walking the commits and their diffs".into(),
                    message: why,
                });
            }
        }
        if let Some(why) = &self.broken {
            return Err(Error::Git {
                action: "walking the commits and their diffs".into(),
                message: why.clone(),
            });
        }
        let Some(git) = self.git.as_mut() else {
            return Ok(None);
        };
        let out = &mut git.out;
        if !out.starts_with(MARKER) {
            // The end, or git failed.
            let mut git = self.git.take().expect("checked above");
            return git.finish().map(|()| None);
        }
        let mut header = Vec::new();
        {
            use std::io::BufRead;
            let _ = out.read_until(0, &mut header);
        }
        let text = String::from_utf8_lossy(header.strip_prefix(MARKER).unwrap_or(&header));
        let mut ids = text.trim_end_matches('\0').split_whitespace().map(str::to_string);
        let Some(id) = ids.next() else {
            return Err(Error::Git {
                action: "walking the commits and their diffs".into(),
                message: format!("git log printed `{text}` where a commit was expected"),
            });
        };
        self.pending.push_back(id.clone());
        self.waiting.insert(id.clone());
        Ok(Some(Listed {
            id,
            parents: ids.collect(),
        }))
    }

    /// The changes and added lines of `commit` (up to `max_bytes` of added
    /// text per file), or why they cannot be read. Commits listed before
    /// it and not read are skipped.
    pub fn next(
        &mut self,
        commit: &str,
        max_bytes: u64,
    ) -> std::result::Result<(Vec<Change>, Patch), String> {
        if !self.waiting.remove(commit) {
            return Err(format!("its diff was not asked of git (commit {commit})"));
        }
        while let Some(listed) = self.pending.pop_front() {
            self.waiting.remove(&listed);
            let wanted = listed == commit;
            let read = self.read_one(&listed, if wanted { max_bytes } else { 0 });
            if wanted {
                return read;
            }
            read?;
        }
        unreachable!("the commit was pending")
    }

    /// Reads the next part of the output, which must be `commit`'s.
    fn read_one(
        &mut self,
        commit: &str,
        max_bytes: u64,
    ) -> std::result::Result<(Vec<Change>, Patch), String> {
        if let Some(why) = &self.broken {
            return Err(why.clone());
        }
        let Some(git) = self.git.as_mut() else {
            return Err("git was not started".into());
        };
        let out = &mut git.out;
        if self.walk {
            // Its marker was read when it was listed.
            return Ok(after_marker(out, max_bytes));
        }
        let mut header = Vec::new();
        if out.starts_with(MARKER) {
            use std::io::BufRead;
            let _ = out.read_until(0, &mut header);
        }
        let named = header
            .strip_prefix(MARKER)
            .and_then(|h| h.strip_suffix(&[0]))
            .map(|h| String::from_utf8_lossy(h).into_owned());
        if named.as_deref() != Some(commit) {
            let why = match git.finish() {
                Err(Error::Git { message, .. }) => format!("git log failed: {message}"),
                Err(other) => other.to_string(),
                Ok(()) => format!(
                    "git log answered {} where {commit} was expected",
                    named.as_deref().unwrap_or("nothing")
                ),
            };
            self.broken = Some(why.clone());
            self.git = None;
            return Err(why);
        }
        Ok(after_marker(out, max_bytes))
    }

    /// Waits for git once every commit was read: an error when it failed.
    pub fn finish(mut self) -> Result<()> {
        if let Some(why) = self.broken.take() {
            return Err(Error::Git {
                action: "reading the diffs of the commits".into(),
                message: why,
            });
        }
        match self.git.take() {
            Some(mut git) => git.finish(),
            None => Ok(()),
        }
    }
}

/// A commit's part after its marker: for a commit that changes
/// something, a newline, then its raw records and its patch.
fn after_marker<R: Peek>(out: &mut R, max_bytes: u64) -> (Vec<Change>, Patch) {
    if matches!(out.fill_buf(), Ok(buf) if buf.first() == Some(&b'\n')) {
        out.consume(1);
    }
    diff_text::parse_raw_and_patch(out, max_bytes, Some(MARKER))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::git::test_git::git;

    /// Three commits adding `a`, nothing, and `b`: their ids.
    fn three(dir: &Path) -> Vec<String> {
        git(dir, &["init", "-q", "-b", "main"]);
        let mut ids = Vec::new();
        for (file, text) in [("a", Some("one\n")), ("", None), ("b", Some("two\nthree\n"))] {
            match text {
                Some(text) => {
                    std::fs::write(dir.join(file), text).unwrap();
                    git(dir, &["add", file]);
                    git(dir, &["commit", "-q", "-m", file]);
                }
                None => {
                    git(dir, &["commit", "-q", "--allow-empty", "-m", "empty"]);
                }
            }
            ids.push(git(dir, &["rev-parse", "HEAD"]));
        }
        ids
    }

    #[test]
    fn each_commit_gets_its_own_diff_and_skipped_ones_are_passed_over() {
        let dir = assert_fs::TempDir::new().unwrap();
        let ids = three(dir.path());
        let repo = Git::discover(dir.path()).unwrap().unwrap();

        let mut diffs = repo.commit_diffs(ids.clone()).unwrap();
        let (changes, patch) = diffs.next(&ids[0], 1000).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(patch.files[0].lines, vec![(1, b"one".to_vec())]);
        // The empty commit is passed over unread.
        let (changes, patch) = diffs.next(&ids[2], 1000).unwrap();
        assert_eq!(changes[0].path, Path::new("b"));
        assert_eq!(patch.files[0].lines.len(), 2);
        assert!(diffs.next(&ids[1], 1000).unwrap_err().contains("not asked"));
        diffs.finish().unwrap();

        // The empty commit alone, and a limit that makes `b` oversized.
        let mut diffs = repo.commit_diffs(vec![ids[1].clone(), ids[2].clone()]).unwrap();
        let (changes, patch) = diffs.next(&ids[1], 1000).unwrap();
        assert!(changes.is_empty() && patch.files.is_empty());
        let (_, patch) = diffs.next(&ids[2], 4).unwrap();
        assert_eq!(patch.oversized, vec![Path::new("b").to_path_buf()]);
        diffs.finish().unwrap();
    }

    #[test]
    fn a_walk_lists_each_commit_with_its_parents_and_diffs_the_plain_ones() {
        let dir = assert_fs::TempDir::new().unwrap();
        let ids = three(dir.path());
        let d = dir.path();
        git(d, &["checkout", "-q", "-b", "side", &ids[0]]);
        std::fs::write(d.join("c"), "side\n").unwrap();
        git(d, &["add", "c"]);
        git(d, &["commit", "-q", "-m", "side"]);
        let side = git(d, &["rev-parse", "HEAD"]);
        git(d, &["checkout", "-q", "main"]);
        git(d, &["merge", "-q", "--no-ff", "side", "-m", "merge"]);
        let merge = git(d, &["rev-parse", "HEAD"]);
        let repo = Git::discover(d).unwrap().unwrap();

        let range = format!("{}..HEAD", ids[0]);
        let mut walk = repo.walk_diffs(&[&range]).unwrap();
        let mut listed = Vec::new();
        while let Some(commit) = walk.next_listed().unwrap() {
            if commit.parents.len() == 1 && commit.id != ids[1] {
                let (changes, patch) = walk.next(&commit.id, 1000).unwrap();
                assert_eq!(changes.len(), 1, "{commit:?}");
                assert_eq!(patch.files.len(), 1);
            }
            // The empty commit and the merge are left unread.
            listed.push(commit);
        }
        let order: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
        let expected: Vec<String> = git(d, &["rev-list", "--reverse", &range])
            .lines()
            .map(str::to_string)
            .collect();
        assert_eq!(order, expected);
        let merged = listed.iter().find(|c| c.id == merge).unwrap();
        assert_eq!(merged.parents, [ids[2].clone(), side]);
        walk.finish().unwrap();

        // A range that holds nothing, and one git does not know.
        let mut empty = repo.walk_diffs(&["HEAD..HEAD"]).unwrap();
        assert_eq!(empty.next_listed().unwrap(), None);
        let mut unknown = repo.walk_diffs(&["nope..HEAD"]).unwrap();
        let why = unknown.next_listed().unwrap_err().to_string();
        assert!(why.contains("bad revision 'nope..HEAD'"), "{why}");
    }

    #[test]
    fn what_git_cannot_diff_is_an_error_for_it_and_every_commit_after() {
        let dir = assert_fs::TempDir::new().unwrap();
        let ids = three(dir.path());
        let repo = Git::discover(dir.path()).unwrap().unwrap();
        let missing = "0123456789012345678901234567890123456789".to_string();
        let mut diffs = repo
            .commit_diffs(vec![ids[0].clone(), missing.clone(), ids[2].clone()])
            .unwrap();
        // git reads every id before it answers: none is answered, and each
        // says why.
        let why = diffs.next(&ids[0], 1000).unwrap_err();
        assert!(
            why.starts_with("git log failed: ") && why.contains(&missing),
            "{why}"
        );
        assert_eq!(diffs.next(&missing, 1000).unwrap_err(), why);
        assert_eq!(diffs.next(&ids[2], 1000).unwrap_err(), why);
        assert!(diffs.finish().is_err());
        // Dropped unread: nothing hangs.
        let diffs = repo.commit_diffs(ids).unwrap();
        drop(diffs);
    }
}
