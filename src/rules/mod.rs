//! The commit rules, as pure functions from facts and config to decisions.
//!
//! Nothing here reads files, runs git or prints: the hooks gather the facts,
//! call these functions, then record and report what they decided. That
//! keeps every decision testable with plain values.

pub mod agent_trailer;
mod candidates;
pub mod content;
pub mod review;

use crate::config::{Config, Mode};

/// The review rule's stable name.
pub const REVIEW: &str = "review";
/// The agent-trailer rule's stable name.
pub const AGENT_TRAILER: &str = "agent-trailer";
/// The stable name of the review rule's check of the message: it may
/// name in the review trailer (`Reviewed-by`) only whoever approved the
/// commit.
pub const REVIEW_TRAILER: &str = "review-trailer";

/// The variable that skips the review rule (the skip is recorded).
pub const SKIP_REVIEW: &str = "PILOT_SKIP_REVIEW";
/// The variable that skips the agent-trailer rule (the skip is recorded).
pub const SKIP_AGENT_TRAILER: &str = "PILOT_SKIP_AGENT_TRAILER";

/// The names of the rules that are not off, in the order they run:
/// review, agent-trailer, then the content rules as configured.
pub fn active_rules(config: &Config) -> Vec<String> {
    let mut names = Vec::new();
    if config.review.mode != Mode::Off {
        names.push(REVIEW.to_string());
    }
    if config.agent_trailer.mode != Mode::Off {
        names.push(AGENT_TRAILER.to_string());
    }
    names.extend(
        config
            .rules
            .content
            .iter()
            .filter(|r| r.mode != Mode::Off)
            .map(|r| r.name.get_ref().as_str().to_string()),
    );
    names
}

/// What a rule that found a problem does about it, given its mode and
/// whether the user asked to skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enforcement {
    /// Block the commit.
    Block,
    /// Record that it would have blocked; let the commit through.
    Audit,
    /// The skip variable was set and the rule allows skipping: let it
    /// through and record the bypass.
    Bypass,
    /// The skip variable was set but the rule is required: block, and say
    /// the skip was refused.
    BlockRefusingBypass,
    /// The check that applies the rule did not run (`git commit
    /// --no-verify`): the commit exists, and the failure is recorded as a
    /// bypass after the fact.
    Skipped,
}

/// Decides what happens to a problem a rule in `mode` found. `skip` is
/// whether the rule's skip variable is set; `required` forbids skipping.
pub fn enforcement(mode: Mode, skip: bool, required: bool) -> Enforcement {
    match (mode, skip, required) {
        (Mode::Audit, _, _) => Enforcement::Audit,
        (_, true, false) => Enforcement::Bypass,
        (_, true, true) => Enforcement::BlockRefusingBypass,
        _ => Enforcement::Block,
    }
}

/// Whether a path is a `.gitignore` file (at any depth).
pub fn is_gitignore(path: &std::path::Path) -> bool {
    path.file_name().is_some_and(|n| n == ".gitignore")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforcement_table() {
        use Enforcement::*;
        let cases = [
            (Mode::Enforce, false, false, Block),
            (Mode::Enforce, true, false, Bypass),
            (Mode::Enforce, true, true, BlockRefusingBypass),
            (Mode::Enforce, false, true, Block),
            (Mode::Audit, false, false, Audit),
            (Mode::Audit, true, true, Audit),
        ];
        for (mode, skip, required, expected) in cases {
            assert_eq!(
                enforcement(mode, skip, required),
                expected,
                "{mode:?} {skip} {required}"
            );
        }
    }

    #[test]
    fn gitignore_at_any_depth() {
        assert!(is_gitignore("a/b/.gitignore".as_ref()));
        assert!(is_gitignore(".gitignore".as_ref()));
        assert!(!is_gitignore("a.gitignore".as_ref()));
        assert!(!is_gitignore(".gitignore/x".as_ref()));
    }
}
