//! Review approvals, bound to the exact tree a commit will record.
//!
//! `enforce review approve` stores one small JSON file per approved tree in
//! the worktree's own git dir (`<git dir>/enforce/approvals/<tree>.json`),
//! so linked worktrees keep separate approvals while sharing one log.
//! Restaging anything changes the tree id, so an approval cannot be carried
//! over to content nobody reviewed. A commit that records the tree uses the
//! approval up.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rules::review::ApprovalState;

/// One approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub tree: String,
    pub reviewer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// RFC 3339.
    pub approved_at: String,
    /// RFC 3339; the approval is not valid at or after this instant.
    pub expires_at: String,
    pub files: Vec<String>,
    pub file_count: usize,
}

impl Approval {
    pub fn expires(&self) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(&self.expires_at).ok()
    }

    pub fn is_valid_at(&self, now: DateTime<FixedOffset>) -> bool {
        self.expires().is_some_and(|e| now < e)
    }
}

/// The approvals of one worktree.
#[derive(Debug, Clone)]
pub struct Approvals {
    dir: PathBuf,
}

impl Approvals {
    /// The approvals stored under `git_dir` (the worktree's own git dir).
    pub fn new(git_dir: &Path) -> Approvals {
        Approvals {
            dir: crate::git::state::approvals_dir(git_dir),
        }
    }

    fn path(&self, tree: &str) -> PathBuf {
        self.dir.join(format!("{tree}.json"))
    }

    /// Stores `approval`, replacing an earlier one for the same tree.
    pub fn save(&self, approval: &Approval) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io("create the approvals directory", &self.dir, e))?;
        let path = self.path(&approval.tree);
        let tmp = self.dir.join(format!(".{}.tmp", approval.tree));
        let text = serde_json::to_string_pretty(approval).unwrap_or_default();
        fs::write(&tmp, text)
            .and_then(|()| fs::rename(&tmp, &path))
            .map_err(|e| Error::io("write the approval", &path, e))
    }

    /// The approval for `tree`, if one is stored and readable.
    pub fn get(&self, tree: &str) -> Option<Approval> {
        let text = fs::read(self.path(tree)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Every stored approval, newest first.
    pub fn all(&self) -> Vec<Approval> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut all: Vec<Approval> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
            .filter_map(|e| serde_json::from_slice(&fs::read(e.path()).ok()?).ok())
            .collect();
        all.sort_by(|a, b| b.approved_at.cmp(&a.approved_at));
        all
    }

    /// Whether `tree` is approved at `now`.
    pub fn state(&self, tree: &str, now: DateTime<FixedOffset>) -> ApprovalState {
        match self.get(tree) {
            Some(a) if a.is_valid_at(now) => ApprovalState::Approved { reviewer: a.reviewer },
            Some(a) => ApprovalState::Expired { reviewer: a.reviewer },
            None => ApprovalState::Missing {
                other_trees: self.all().len(),
            },
        }
    }

    /// Removes the approval for `tree`; whether there was one.
    pub fn remove(&self, tree: &str) -> bool {
        fs::remove_file(self.path(tree)).is_ok()
    }

    /// Removes every approval; how many there were.
    pub fn clear(&self) -> Result<usize> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(Error::io("read the approvals directory", &self.dir, e)),
        };
        let mut removed = 0;
        for entry in entries.filter_map(|e| e.ok()) {
            if entry.file_name().to_string_lossy().ends_with(".json") {
                fs::remove_file(entry.path())
                    .map_err(|e| Error::io("remove the approval", entry.path(), e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_get_state_remove() {
        let dir = std::env::temp_dir().join(format!("enforce-approvals-{}", std::process::id()));
        let store = Approvals::new(&dir);
        let now = DateTime::parse_from_rfc3339("2026-11-21T10:00:00+00:00").unwrap();
        assert_eq!(store.state("t1", now), ApprovalState::Missing { other_trees: 0 });
        let approval = Approval {
            tree: "t1".into(),
            reviewer: "r".into(),
            note: None,
            approved_at: "2026-11-21T09:30:00+00:00".into(),
            expires_at: "2026-11-21T10:30:00+00:00".into(),
            files: vec!["a".into()],
            file_count: 1,
        };
        store.save(&approval).unwrap();
        assert_eq!(store.get("t1"), Some(approval));
        assert_eq!(
            store.state("t1", now),
            ApprovalState::Approved { reviewer: "r".into() }
        );
        let later = DateTime::parse_from_rfc3339("2026-11-21T10:30:00+00:00").unwrap();
        assert_eq!(
            store.state("t1", later),
            ApprovalState::Expired { reviewer: "r".into() }
        );
        assert_eq!(store.state("t2", now), ApprovalState::Missing { other_trees: 1 });
        assert!(store.remove("t1"));
        assert!(!store.remove("t1"));
        assert_eq!(store.clear().unwrap(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
