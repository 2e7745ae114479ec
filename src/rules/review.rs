//! The review rule: staged changes need an approval bound to exactly the
//! tree the commit will record.

use std::path::PathBuf;

use super::{Enforcement, enforcement, is_gitignore};
use crate::config::{MergePolicy, Mode, Review};

/// What the pre-commit hook knows when it applies the rule.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The paths the commit changes.
    pub files: &'a [PathBuf],
    /// A merge is being concluded.
    pub merging: bool,
    /// The approval state of the tree being committed.
    pub approval: ApprovalState,
    /// `PILOT_SKIP_REVIEW=1` is set.
    pub skip: bool,
}

/// Whether the tree being committed is approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApprovalState {
    /// A valid approval by this reviewer.
    Approved { reviewer: String },
    /// There was an approval for this tree, but it expired.
    Expired { reviewer: String },
    /// No approval for this tree (there may be ones for other trees).
    Missing { other_trees: usize },
    /// An approval that does not count: a signature that does not check
    /// out, or a file that names another tree.
    Refused { reviewer: String, reason: String },
}

/// The rule's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The rule is off.
    Off,
    /// Nothing is staged: nothing to review.
    NothingStaged,
    /// A merge, and merges are exempt.
    MergeExempt,
    /// Only `.gitignore` files change.
    GitignoreOnly,
    /// Review is needed; this is what happens.
    Required(Enforced),
}

/// What happens to a commit that needs review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enforced {
    Approved { reviewer: String },
    Unapproved { reason: String, action: Enforcement },
}

/// Applies the rule.
pub fn decide(facts: &Facts, config: &Review) -> Decision {
    if config.mode == Mode::Off {
        return Decision::Off;
    }
    if facts.files.is_empty() {
        return Decision::NothingStaged;
    }
    if facts.merging && config.merges == MergePolicy::Exempt {
        return Decision::MergeExempt;
    }
    if facts.files.iter().all(|f| is_gitignore(f)) {
        return Decision::GitignoreOnly;
    }
    let reason = match &facts.approval {
        ApprovalState::Approved { reviewer } => {
            return Decision::Required(Enforced::Approved {
                reviewer: reviewer.clone(),
            });
        }
        ApprovalState::Expired { reviewer } => {
            format!("the approval by {reviewer} for these staged changes has expired")
        }
        ApprovalState::Missing { other_trees: 0 } => "the staged changes have not been reviewed".to_string(),
        ApprovalState::Refused { reviewer, reason } => {
            format!("the approval by {reviewer} does not count: {reason}")
        }
        ApprovalState::Missing { .. } => {
            "the staged changes differ from what was approved (the approval is bound to the exact staged content)"
                .to_string()
        }
    };
    Decision::Required(Enforced::Unapproved {
        reason,
        action: enforcement(config.mode, facts.skip, config.required),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide_with(
        files: &[&str],
        merging: bool,
        approval: ApprovalState,
        skip: bool,
        config: &Review,
    ) -> Decision {
        let files: Vec<PathBuf> = files.iter().map(PathBuf::from).collect();
        decide(
            &Facts {
                files: &files,
                merging,
                approval,
                skip,
            },
            config,
        )
    }

    #[test]
    fn decisions() {
        let config = Review::default();
        let missing = ApprovalState::Missing { other_trees: 0 };
        assert_eq!(
            decide_with(&[], false, missing.clone(), false, &config),
            Decision::NothingStaged
        );
        assert_eq!(
            decide_with(&["a"], true, missing.clone(), false, &config),
            Decision::MergeExempt
        );
        assert_eq!(
            decide_with(
                &[".gitignore", "x/.gitignore"],
                false,
                missing.clone(),
                false,
                &config
            ),
            Decision::GitignoreOnly
        );
        assert_eq!(
            decide_with(
                &["a"],
                false,
                ApprovalState::Approved { reviewer: "r".into() },
                false,
                &config
            ),
            Decision::Required(Enforced::Approved { reviewer: "r".into() })
        );
        match decide_with(&["a", ".gitignore"], false, missing.clone(), false, &config) {
            Decision::Required(Enforced::Unapproved { action, .. }) => assert_eq!(action, Enforcement::Block),
            other => panic!("{other:?}"),
        }
        match decide_with(&["a"], false, missing.clone(), true, &config) {
            Decision::Required(Enforced::Unapproved { action, .. }) => {
                assert_eq!(action, Enforcement::Bypass)
            }
            other => panic!("{other:?}"),
        }
        match decide_with(
            &["a"],
            false,
            ApprovalState::Missing { other_trees: 1 },
            false,
            &config,
        ) {
            Decision::Required(Enforced::Unapproved { reason, .. }) => assert!(reason.contains("differ")),
            other => panic!("{other:?}"),
        }
        let off = Review {
            mode: Mode::Off,
            ..Review::default()
        };
        assert_eq!(
            decide_with(&["a"], false, missing.clone(), false, &off),
            Decision::Off
        );
        let check_merges = Review {
            merges: MergePolicy::Check,
            ..Review::default()
        };
        assert!(matches!(
            decide_with(&["a"], true, missing, false, &check_merges),
            Decision::Required(_)
        ));
    }
}
