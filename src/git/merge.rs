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
