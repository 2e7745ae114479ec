//! The event vocabulary: every event type enforce knows, once.
//!
//! Each type says whose it is (the Python predecessor's nine, or enforce's
//! own) and whether it records a bypass, and of which category. Reports,
//! views, exports and the CLI all ask this table, so a bypass is counted and
//! named the same way in `stats`, `score`, `alert`, `dashboard` and the
//! metrics. Types other tools record are not listed and stay welcome: any
//! well-formed name (see [`super::is_valid_event_type`]) is kept and
//! reported.

use serde::Serialize;

/// The names of the types enforce records, as constants for the code that
/// records them.
pub mod types {
    pub const IMPORT_BLOCKED: &str = "import_blocked";
    pub const IMPORT_ALLOWED: &str = "import_allowed";
    pub const VIOLATION_DETECTED: &str = "violation_detected";
    pub const COMMIT_REVIEW_REQUIRED: &str = "commit_review_required";
    pub const COMMIT_REVIEW_BYPASSED: &str = "commit_review_bypassed";
    pub const COMMIT_GITIGNORE_ONLY: &str = "commit_gitignore_only";
    pub const BYPASS_REVIEW: &str = "bypass_review";
    pub const BYPASS_AGENT_TRAILER: &str = "bypass_agent_trailer";
    pub const COMMIT_COMPLETED: &str = "commit_completed";
    /// A rule blocked a commit.
    pub const COMMIT_BLOCKED: &str = "commit_blocked";
    /// A rule in audit mode would have blocked a commit.
    pub const AUDIT_WOULD_BLOCK: &str = "audit_would_block";
    /// A merge commit was exempt from a rule.
    pub const COMMIT_MERGE_EXEMPT: &str = "commit_merge_exempt";
    /// A commit that skipped the checks added lines a content rule forbids.
    pub const BYPASS_CONTENT_RULE: &str = "bypass_content_rule";
    /// `enforce review approve` approved a staged tree.
    pub const REVIEW_APPROVED: &str = "review_approved";
    /// `enforce audit --record` found a commit that breaks a rule.
    pub const AUDIT_OFFENCE: &str = "audit_offence";
    /// A commit changed `.enforce.toml`.
    pub const CONFIG_CHANGED: &str = "config_changed";
    /// A commit made a rule weaker.
    pub const RULE_WEAKENED: &str = "rule_weakened";
    /// post-commit found `.enforce.toml` invalid and applied the defaults.
    pub const CONFIG_INVALID: &str = "config_invalid";
}

use types::*;

/// Who defined a type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// One of the Python predecessor's nine types.
    Predecessor,
    /// A type enforce added.
    Enforce,
}

/// What kind of bypass an event records. Defined here only: every report
/// and export counts and names bypasses by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BypassCategory {
    /// The hooks were skipped (`git commit --no-verify`): the commit was
    /// never checked. Critical.
    SkippedHooks,
    /// A rule was skipped with its escape hatch (`PILOT_SKIP_REVIEW=1`,
    /// `PILOT_SKIP_AGENT_TRAILER=1`): recorded, allowed.
    EnvSkip,
    /// A commit that skipped the checks added lines a content rule forbids.
    ContentRule,
    /// A commit made a rule weaker. Critical.
    RuleWeakened,
    /// A type the vocabulary does not list, counted as a bypass because it
    /// is named `bypass_*` or listed in `[score] bypass_types`.
    Other,
}

impl BypassCategory {
    /// Every category, in the order reports list them.
    pub const ALL: [BypassCategory; 5] = [
        BypassCategory::SkippedHooks,
        BypassCategory::EnvSkip,
        BypassCategory::ContentRule,
        BypassCategory::RuleWeakened,
        BypassCategory::Other,
    ];

    /// The stable name (JSON keys, metric labels).
    pub fn name(self) -> &'static str {
        match self {
            BypassCategory::SkippedHooks => "skipped_hooks",
            BypassCategory::EnvSkip => "env_skip",
            BypassCategory::ContentRule => "content_rule",
            BypassCategory::RuleWeakened => "rule_weakened",
            BypassCategory::Other => "other",
        }
    }

    /// The name people read (chart legends, tables).
    pub fn label(self) -> &'static str {
        match self {
            BypassCategory::SkippedHooks => "bypass: hooks skipped",
            BypassCategory::EnvSkip => "bypass: environment variable",
            BypassCategory::ContentRule => "bypass: content rule",
            BypassCategory::RuleWeakened => "bypass: rule weakened",
            BypassCategory::Other => "bypass: other",
        }
    }

    /// Whether one such bypass is already a failure of enforcement.
    pub fn is_critical(self) -> bool {
        matches!(self, BypassCategory::SkippedHooks | BypassCategory::RuleWeakened)
    }
}

/// One known event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub name: &'static str,
    pub origin: Origin,
    /// `Some` when the event records a bypass.
    pub bypass: Option<BypassCategory>,
}

const fn kind(name: &'static str, origin: Origin, bypass: Option<BypassCategory>) -> Kind {
    Kind { name, origin, bypass }
}

/// Every type enforce knows: the predecessor's nine first, in its order.
pub const KINDS: [Kind; 18] = [
    kind(IMPORT_BLOCKED, Origin::Predecessor, None),
    kind(IMPORT_ALLOWED, Origin::Predecessor, None),
    kind(VIOLATION_DETECTED, Origin::Predecessor, None),
    kind(COMMIT_REVIEW_REQUIRED, Origin::Predecessor, None),
    kind(
        COMMIT_REVIEW_BYPASSED,
        Origin::Predecessor,
        Some(BypassCategory::SkippedHooks),
    ),
    kind(COMMIT_GITIGNORE_ONLY, Origin::Predecessor, None),
    kind(BYPASS_REVIEW, Origin::Predecessor, Some(BypassCategory::EnvSkip)),
    kind(
        BYPASS_AGENT_TRAILER,
        Origin::Predecessor,
        Some(BypassCategory::EnvSkip),
    ),
    kind(COMMIT_COMPLETED, Origin::Predecessor, None),
    kind(COMMIT_BLOCKED, Origin::Enforce, None),
    kind(AUDIT_WOULD_BLOCK, Origin::Enforce, None),
    kind(COMMIT_MERGE_EXEMPT, Origin::Enforce, None),
    kind(
        BYPASS_CONTENT_RULE,
        Origin::Enforce,
        Some(BypassCategory::ContentRule),
    ),
    kind(REVIEW_APPROVED, Origin::Enforce, None),
    kind(AUDIT_OFFENCE, Origin::Enforce, None),
    kind(CONFIG_CHANGED, Origin::Enforce, None),
    kind(RULE_WEAKENED, Origin::Enforce, Some(BypassCategory::RuleWeakened)),
    kind(CONFIG_INVALID, Origin::Enforce, None),
];

/// The known type called `name` (exact spelling).
pub fn lookup(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == name)
}

/// The known type called `name` in any case (`--type VIOLATION_DETECTED`).
pub fn lookup_ignore_case(name: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name.eq_ignore_ascii_case(name))
}

/// The predecessor's nine types, in its order.
pub fn predecessor_types() -> impl Iterator<Item = &'static str> {
    KINDS
        .iter()
        .filter(|k| k.origin == Origin::Predecessor)
        .map(|k| k.name)
}

/// The bypass category of an event type, if it records one: the
/// vocabulary's category for a known type; for any other type, `Other` when
/// it is named `bypass_*` or listed in `extra` (`[score] bypass_types`).
pub fn bypass_category(event_type: &str, extra: &[String]) -> Option<BypassCategory> {
    match lookup(event_type) {
        Some(Kind {
            bypass: Some(category),
            ..
        }) => Some(*category),
        Some(_) if extra.iter().any(|t| t == event_type) => Some(BypassCategory::Other),
        Some(_) => None,
        None if event_type.starts_with("bypass_") || extra.iter().any(|t| t == event_type) => {
            Some(BypassCategory::Other)
        }
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_well_formed() {
        assert_eq!(predecessor_types().count(), 9);
        for (i, k) in KINDS.iter().enumerate() {
            assert!(super::super::is_valid_event_type(k.name), "{}", k.name);
            assert!(KINDS[..i].iter().all(|o| o.name != k.name), "{} twice", k.name);
        }
        // Every category but `Other` has a type.
        for category in BypassCategory::ALL {
            assert_eq!(
                KINDS.iter().any(|k| k.bypass == Some(category)),
                category != BypassCategory::Other,
                "{category:?}"
            );
        }
    }

    #[test]
    fn bypass_categories() {
        let extra = vec!["guard_override".to_string(), "commit_blocked".to_string()];
        let cases = [
            ("commit_review_bypassed", Some(BypassCategory::SkippedHooks)),
            ("bypass_review", Some(BypassCategory::EnvSkip)),
            ("bypass_agent_trailer", Some(BypassCategory::EnvSkip)),
            ("bypass_content_rule", Some(BypassCategory::ContentRule)),
            ("rule_weakened", Some(BypassCategory::RuleWeakened)),
            ("bypass_import_guard", Some(BypassCategory::Other)),
            ("guard_override", Some(BypassCategory::Other)),
            ("commit_blocked", Some(BypassCategory::Other)),
            ("violation_detected", None),
            ("someone_elses", None),
        ];
        for (name, expected) in cases {
            assert_eq!(bypass_category(name, &extra), expected, "{name}");
        }
        assert_eq!(bypass_category("commit_blocked", &[]), None);
    }
}
