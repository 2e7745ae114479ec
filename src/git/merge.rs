//! The merge git would make of two commits, without a work tree or an
//! index: `git merge-tree --write-tree` (git 2.38 or later). It works in a
//! bare repository and, in a pre-receive hook, inside the push's quarantine:
//! the child inherits `GIT_OBJECT_DIRECTORY` and
//! `GIT_ALTERNATE_OBJECT_DIRECTORIES`, so it reads the pushed objects and
//! writes the merged trees where git says.

use super::{Git, process};
use crate::error::{Error, Result};

/// What merging two commits automatically gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMerge {
    /// The merged tree. With conflicts, the conflicted files in it hold
    /// conflict markers, as `git merge` leaves them in the work tree.
    pub tree: String,
    /// Whether the merge had no conflicts.
    pub clean: bool,
}

/// `git merge-tree --write-tree`'s exit code for a merge with conflicts
/// (its tree is still written). Git also ends with it, printing no tree,
/// for a revision that names no commit.
const CONFLICTS: i32 = 1;

impl Git {
    /// Merges the commits `ours` and `theirs` (any revisions naming
    /// commits) as `git merge` would, from their merge base, and writes the
    /// result as a tree: `git merge-tree --write-tree --no-messages`.
    /// Conflicts are a result (`clean: false`); a revision that is not a
    /// commit, unrelated histories or a git older than 2.38 are errors.
    pub fn merge_tree(&self, ours: &str, theirs: &str) -> Result<AutoMerge> {
        let action = format!("merging `{ours}` and `{theirs}`");
        let ended = process::run_in_allowing(
            &self.repo,
            [
                "merge-tree",
                "--write-tree",
                "--no-messages",
                "--end-of-options",
                ours,
                theirs,
            ],
            &action,
            &[CONFLICTS],
        )?;
        let text = String::from_utf8_lossy(&ended.stdout);
        let tree = text.lines().next().unwrap_or("").trim();
        if tree.len() < 40 || !tree.bytes().all(|b| b.is_ascii_hexdigit()) {
            if ended.code != 0 {
                return Err(ended.error(&action));
            }
            return Err(Error::Git {
                action,
                message: format!("`git merge-tree` printed no tree id: {:?}", text.trim()),
            });
        }
        Ok(AutoMerge {
            tree: tree.to_string(),
            clean: ended.code != CONFLICTS,
        })
    }
}

impl Git {
    /// The tree a commit with `parents` is measured from when it is a merge
    /// of two related commits: their automatic merge, so its own changes
    /// are what it adds beyond that (a clean merge adds nothing, and a
    /// "merge" with one of its own ancestors adds everything it changes).
    /// `None` for any other shape (one parent, three or more, unrelated
    /// histories): the first parent's tree is the base then.
    pub fn auto_merge_base(&self, parents: &[String]) -> Result<Option<String>> {
        let [ours, theirs] = parents else {
            return Ok(None);
        };
        match self.merge_base(ours, theirs)? {
            Some(_) => Ok(Some(self.merge_tree(ours, theirs)?.tree)),
            None => Ok(None),
        }
    }

    /// The commits a merge being concluded joins to `head`, from
    /// `MERGE_HEAD`, when git's merge state holds together: every line a
    /// commit that `head` does not already contain. `None` when there is
    /// no merge in progress, or the state could only have been written by
    /// hand (a line that names no commit, or one `head` already has), so a
    /// plain commit cannot claim a merge's exemptions.
    pub fn merge_heads(&self, head: Option<&str>) -> Option<Vec<String>> {
        let text = std::fs::read_to_string(self.repo.git_dir.join("MERGE_HEAD")).ok()?;
        let mut parents = vec![head?.to_string()];
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let oid = git2::Oid::from_str(line).ok()?;
            self.inner.find_commit(oid).ok()?;
            parents.push(oid.to_string());
        }
        self.joins_history(&parents).then(|| parents.split_off(1))
    }

    /// A merge being concluded onto `head` (see [`Git::merge_heads`]), as
    /// the checks judge it: `None` when there is none; else the tree its
    /// own changes are measured from ([`Git::auto_merge_base`]; `None`
    /// inside: the first parent's), or why that could not be worked out.
    pub fn concluding_merge(&self, head: Option<&str>) -> Option<Result<Option<String>>> {
        let heads = self.merge_heads(head)?;
        let mut parents = vec![head?.to_string()];
        parents.extend(heads);
        Some(self.auto_merge_base(&parents))
    }

    /// Whether `parents` (a commit's, first parent first) make a merge:
    /// more than one, and each after the first brings history the first
    /// does not contain.
    pub fn joins_history(&self, parents: &[String]) -> bool {
        let Some((first, others)) = parents.split_first() else {
            return false;
        };
        let Ok(first) = git2::Oid::from_str(first) else {
            return false;
        };
        !others.is_empty()
            && others.iter().all(|other| {
                git2::Oid::from_str(other).is_ok_and(|oid| {
                    oid != first && !self.inner.graph_descendant_of(first, oid).unwrap_or(true)
                })
            })
    }
}
