//! What a server's `pre-receive` asks git: the commits a ref update adds,
//! whether an update fast-forwards, and what the pushed objects are.
//!
//! Inside `pre-receive` the pushed objects sit in git's quarantine (a
//! directory that `GIT_OBJECT_DIRECTORY` names, with the repository's own
//! objects as an alternate) until the hook accepts the push. libgit2 reads
//! that environment when the repository is opened ([`Git::discover`]), and
//! the `git` children inherit it, so everything here sees the pushed objects.

use super::{Git, git2_error, process};
use crate::error::Result;

/// The id git writes for "no object": a ref created (as old) or deleted
/// (as new). Any length, so that SHA-256 repositories read the same.
pub fn is_zero_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b == b'0')
}

impl Git {
    /// The commits reachable from `new` and from none of `known`, oldest
    /// first (parents before children): what a ref moving to `new` adds to
    /// the history that `known` already holds.
    pub fn commits_added(&self, new: &str, known: &[String]) -> Result<Vec<String>> {
        let mut input = format!("{new}\n");
        for id in known {
            input.push('^');
            input.push_str(id);
            input.push('\n');
        }
        let out = process::run_with_input_in(
            &self.repo,
            ["rev-list", "--reverse", "--topo-order", "--stdin"],
            input.into_bytes(),
            &format!("listing the commits `{new}` adds"),
        )?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// Whether `descendant` is `ancestor` or has it in its history.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool> {
        let error = |e| git2_error(&format!("comparing `{ancestor}` with `{descendant}`"), e);
        let a = git2::Oid::from_str(ancestor).map_err(error)?;
        let d = git2::Oid::from_str(descendant).map_err(error)?;
        Ok(a == d || self.inner.graph_descendant_of(d, a).map_err(error)?)
    }

    /// Every ref that names a commit (tags peeled), with that commit.
    pub fn refs_to_commits(&self) -> Result<Vec<(String, String)>> {
        let refs = self
            .inner
            .references()
            .map_err(|e| git2_error("listing the refs", e))?;
        Ok(refs
            .filter_map(|r| r.ok())
            .filter_map(|r| {
                let name = r.name().ok()?.to_string();
                let commit = r.peel_to_commit().ok()?;
                Some((name, commit.id().to_string()))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_ids() {
        assert!(is_zero_id("0000000000000000000000000000000000000000"));
        assert!(is_zero_id(&"0".repeat(64)));
        assert!(!is_zero_id(""));
        assert!(!is_zero_id("0000000000000000000000000000000000000001"));
    }
}
