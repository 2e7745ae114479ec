//! History as `enforce audit` reads it: which commits a clone holds, which
//! it holds only up to a shallow boundary, ancestry, and the entries of
//! trees that no commit names (an automatic merge's).

use std::collections::HashSet;
use std::path::Path;

use super::{Git, git2_error};
use crate::error::Result;

impl Git {
    /// The commits at the boundary of a shallow clone (`<git dir>/shallow`):
    /// git shows them without parents, though they have some. Empty in a
    /// complete clone.
    pub fn shallow_commits(&self) -> HashSet<String> {
        let Ok(text) = std::fs::read_to_string(self.repo.common_dir.join("shallow")) else {
            return HashSet::new();
        };
        text.lines()
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Whether the commit `id` (a full id) is in this repository.
    pub fn has_commit(&self, id: &str) -> bool {
        git2::Oid::from_str(id)
            .ok()
            .and_then(|oid| self.inner.find_commit(oid).ok())
            .is_some()
    }

    /// `commit` and every commit it descends from that this clone holds.
    pub fn ancestors(&self, commit: &str) -> Result<HashSet<String>> {
        let error = |e| git2_error(&format!("listing the ancestors of `{commit}`"), e);
        let oid = git2::Oid::from_str(commit).map_err(error)?;
        let mut walk = self.inner.revwalk().map_err(error)?;
        walk.push(oid).map_err(error)?;
        let mut seen = HashSet::new();
        for id in walk {
            seen.insert(id.map_err(error)?.to_string());
        }
        Ok(seen)
    }

    /// The id of the blob at `path` in the tree `tree`, if there is one
    /// (a tree or submodule there is none).
    pub fn blob_id_in(&self, tree: &str, path: &Path) -> Result<Option<String>> {
        let error = |e| git2_error(&format!("reading the tree `{tree}`"), e);
        if tree == self.empty_tree() {
            return Ok(None);
        }
        let oid = git2::Oid::from_str(tree).map_err(error)?;
        let tree = self.inner.find_tree(oid).map_err(error)?;
        let entry = match tree.get_path(path) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(error(e)),
        };
        Ok((entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id().to_string()))
    }

    /// The best common ancestor of two commits, `None` when their
    /// histories are unrelated.
    pub fn merge_base(&self, a: &str, b: &str) -> Result<Option<String>> {
        let error = |e| git2_error(&format!("finding the merge base of `{a}` and `{b}`"), e);
        let (a, b) = (
            git2::Oid::from_str(a).map_err(error)?,
            git2::Oid::from_str(b).map_err(error)?,
        );
        match self.inner.merge_base(a, b) {
            Ok(base) => Ok(Some(base.to_string())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(error(e)),
        }
    }
}
