//! Review approvals, bound to the exact tree a commit will record.
//!
//! `enforce review approve` stores one small JSON file per approved tree in
//! the worktree's own git dir (`<git dir>/enforce/approvals/<tree>.json`),
//! so linked worktrees keep separate approvals while sharing one log.
//! Restaging anything changes the tree id, so an approval cannot be carried
//! over to content nobody reviewed. A commit that records the tree uses the
//! approval up.
//!
//! The file is something anyone with a shell can write, so nothing in it
//! is taken on its word: the tree it names must be the one it is used for,
//! its life is recomputed from the policy's `max_age_seconds`, and with
//! `[review] require_signature` only a signature by a key the committed
//! signers file allows makes it count ([`assess`]).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::config::Review;
use crate::error::{Error, Result};
use crate::git::{Git, short_id};
use crate::rules::review::ApprovalState;
use crate::signing::trust;
use crate::signing::verify::{self, Binding, Signed, Trust};

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
    /// The reviewer's signature over what this approval binds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Signed>,
}

/// How far in the future an approval may say it was given (clock skew).
const SKEW_SECONDS: i64 = 60;

impl Approval {
    /// When it stops being valid: the earlier of what it says and
    /// `approved_at` plus `max_age_seconds`, so a file that claims a
    /// longer life does not get it.
    pub fn expires(&self, max_age_seconds: u64) -> Option<DateTime<FixedOffset>> {
        let said = DateTime::parse_from_rfc3339(&self.expires_at).ok()?;
        let approved = DateTime::parse_from_rfc3339(&self.approved_at).ok()?;
        let allowed = approved.checked_add_signed(chrono::Duration::seconds(
            i64::try_from(max_age_seconds).unwrap_or(i64::MAX / 2),
        ))?;
        Some(said.min(allowed))
    }

    /// Whether it is valid at `now` by its times alone.
    pub fn is_valid_at(&self, now: DateTime<FixedOffset>, max_age_seconds: u64) -> bool {
        let given = DateTime::parse_from_rfc3339(&self.approved_at).ok();
        given.is_some_and(|g| (g - now).num_seconds() <= SKEW_SECONDS)
            && self.expires(max_age_seconds).is_some_and(|e| now < e)
    }
}

/// What an approval must satisfy under the policy a commit is judged by.
#[derive(Debug)]
pub struct Requirements {
    pub max_age_seconds: u64,
    /// Set when `[review] require_signature` is on.
    pub signature: Option<SignatureRequirement>,
}

/// The signature an approval needs, and what it is checked against.
#[derive(Debug)]
pub struct SignatureRequirement {
    /// Who may sign, as committed at the first parent, or why that cannot
    /// be read (a broken setup, not the agent's fault alone).
    pub trust: std::result::Result<Trust, String>,
    pub parent: Option<String>,
    /// The parent of `parent`: an approval made for an amend
    /// (`enforce review approve --amend`) names it, since the amended
    /// commit will have it as its first parent. Set in pre-commit only,
    /// which cannot tell an amend from a commit.
    pub amend_parent: Option<String>,
    /// The commit changes `.enforce.toml`, the signers or revocations file.
    pub changes_policy: bool,
}

impl Requirements {
    /// The requirements of `review` for a commit on `parent` (HEAD, or
    /// none for a first commit) that changes `paths`.
    pub fn of(
        git: &Git,
        parent: Option<&str>,
        review: &Review,
        paths: &[std::path::PathBuf],
    ) -> Requirements {
        let signature = review.require_signature.then(|| {
            let parent_tree = parent.and_then(|p| git.tree_of(p));
            let trust = trust::load(git, parent_tree.as_deref(), parent, review).and_then(|t| {
                t.ok_or_else(|| "require_signature is on but [review] signers names no file".to_string())
            });
            SignatureRequirement {
                trust,
                parent: parent.map(str::to_string),
                amend_parent: None,
                changes_policy: trust::changes_policy(paths, review, None),
            }
        });
        Requirements {
            max_age_seconds: review.max_age_seconds.get(),
            signature,
        }
    }

    /// Why the setup cannot check signatures, when it cannot.
    pub fn broken_setup(&self) -> Option<&str> {
        self.signature
            .as_ref()
            .and_then(|s| s.trust.as_ref().err())
            .map(String::as_str)
    }
}

/// Whether `approval`, found for `tree`, approves it at `now`.
pub fn assess(
    approval: &Approval,
    tree: &str,
    now: DateTime<FixedOffset>,
    req: &Requirements,
) -> ApprovalState {
    let reviewer = approval.reviewer.clone();
    let refused = |reason: String| ApprovalState::Refused {
        reviewer: reviewer.clone(),
        reason,
    };
    if approval.tree != tree {
        return refused(format!(
            "the approval stored for tree {} names tree {}",
            short_id(tree),
            short_id(&approval.tree)
        ));
    }
    let Some(need) = &req.signature else {
        return if approval.is_valid_at(now, req.max_age_seconds) {
            ApprovalState::Approved { reviewer }
        } else {
            ApprovalState::Expired { reviewer }
        };
    };
    let Some(signed) = &approval.signed else {
        return refused(
            "it is not signed, and this repository requires signed approvals ([review] require_signature)"
                .into(),
        );
    };
    let trust = match &need.trust {
        Ok(trust) => trust,
        Err(why) => return refused(why.clone()),
    };
    // An approval made for an amend names the parent the amended commit
    // will have; audit holds the commit to it.
    let parent = match (&need.amend_parent, &signed.payload.parent) {
        (Some(amend), Some(named)) if amend == named => Some(named.as_str()),
        _ => need.parent.as_deref(),
    };
    let binding = Binding {
        tree,
        parent,
        changes_policy: need.changes_policy,
        at: now,
        max_age_seconds: req.max_age_seconds,
    };
    match verify::check(signed, trust, &binding, || None) {
        Ok(verified) => ApprovalState::Approved {
            reviewer: verified.principal,
        },
        Err(why) => refused(why),
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

    /// The approval stored for `tree`, if one is stored and readable (what
    /// it says is checked by [`assess`]).
    pub fn get(&self, tree: &str) -> Option<Approval> {
        let text = fs::read(self.path(tree)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Where `enforce review payload` keeps the bytes to sign for `tree`,
    /// for `enforce review approve --signature` to pick up.
    pub fn payload_path(&self, tree: &str) -> PathBuf {
        self.dir.join(format!("{tree}.payload"))
    }

    /// Stores the payload printed for `tree`.
    pub fn save_payload(&self, tree: &str, bytes: &[u8]) -> Result<()> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io("create the approvals directory", &self.dir, e))?;
        let path = self.payload_path(tree);
        fs::write(&path, bytes).map_err(|e| Error::io("write the payload", &path, e))
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

    /// Whether `tree` is approved at `now` under `req`.
    pub fn state(&self, tree: &str, now: DateTime<FixedOffset>, req: &Requirements) -> ApprovalState {
        match self.get(tree) {
            Some(approval) => assess(&approval, tree, now, req),
            None => ApprovalState::Missing {
                other_trees: self.all().len(),
            },
        }
    }

    /// Removes the approval for `tree` (and its payload); whether there
    /// was one.
    pub fn remove(&self, tree: &str) -> bool {
        let _ = fs::remove_file(self.payload_path(tree));
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
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".payload") {
                let _ = fs::remove_file(entry.path());
            } else if name.ends_with(".json") {
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

    fn at(text: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(text).unwrap()
    }

    fn approval(tree: &str, approved_at: &str, expires_at: &str) -> Approval {
        Approval {
            tree: tree.into(),
            reviewer: "r".into(),
            note: None,
            approved_at: approved_at.into(),
            expires_at: expires_at.into(),
            files: vec!["a".into()],
            file_count: 1,
            signed: None,
        }
    }

    const UNSIGNED: Requirements = Requirements {
        max_age_seconds: 3600,
        signature: None,
    };

    #[test]
    fn save_get_state_remove() {
        let dir = std::env::temp_dir().join(format!("enforce-approvals-{}", std::process::id()));
        let store = Approvals::new(&dir);
        let now = at("2026-11-21T10:00:00+00:00");
        assert_eq!(
            store.state("t1", now, &UNSIGNED),
            ApprovalState::Missing { other_trees: 0 }
        );
        let given = approval("t1", "2026-11-21T09:30:00+00:00", "2026-11-21T10:30:00+00:00");
        store.save(&given).unwrap();
        assert_eq!(store.get("t1"), Some(given));
        assert_eq!(
            store.state("t1", now, &UNSIGNED),
            ApprovalState::Approved { reviewer: "r".into() }
        );
        assert_eq!(
            store.state("t1", at("2026-11-21T10:30:00+00:00"), &UNSIGNED),
            ApprovalState::Expired { reviewer: "r".into() }
        );
        assert_eq!(
            store.state("t2", now, &UNSIGNED),
            ApprovalState::Missing { other_trees: 1 }
        );
        assert!(store.remove("t1"));
        assert!(!store.remove("t1"));
        assert_eq!(store.clear().unwrap(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn what_a_file_says_is_not_taken_on_its_word() {
        let now = at("2026-11-21T10:00:00+00:00");
        // Copied from another tree and renamed.
        let copied = approval("t1", "2026-11-21T09:30:00+00:00", "2026-11-21T10:30:00+00:00");
        assert!(matches!(
            assess(&copied, "t2", now, &UNSIGNED),
            ApprovalState::Refused { reason, .. } if reason.contains("names tree t1")
        ));
        // A life longer than max_age_seconds is cut to it.
        let forever = approval("t1", "2026-11-21T08:00:00+00:00", "2099-01-01T00:00:00+00:00");
        assert_eq!(
            assess(&forever, "t1", now, &UNSIGNED),
            ApprovalState::Expired { reviewer: "r".into() }
        );
        // Given in the future, to outlive max_age_seconds.
        let future = approval("t1", "2099-01-01T00:00:00+00:00", "2099-01-01T01:00:00+00:00");
        assert_eq!(
            assess(&future, "t1", now, &UNSIGNED),
            ApprovalState::Expired { reviewer: "r".into() }
        );
        // Unsigned where signatures are required.
        let signed_only = Requirements {
            max_age_seconds: 3600,
            signature: Some(SignatureRequirement {
                trust: Err("no signers".into()),
                parent: None,
                amend_parent: None,
                changes_policy: false,
            }),
        };
        assert!(matches!(
            assess(&copied, "t1", now, &signed_only),
            ApprovalState::Refused { reason, .. } if reason.contains("not signed")
        ));
    }
}
