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
    /// A commit changed the policy files (`.enforce.toml`, the signers or
    /// revocations file); names who signed the approval.
    pub const POLICY_CHANGED: &str = "policy_changed";
    /// post-commit found `.enforce.toml` invalid and applied the defaults.
    pub const CONFIG_INVALID: &str = "config_invalid";
    /// A server's pre-receive accepted a ref of a push.
    pub const PUSH_ACCEPTED: &str = "push_accepted";
    /// A server's pre-receive refused a push; one per ref.
    pub const PUSH_REJECTED: &str = "push_rejected";
    /// A hook recorded into another file (`ENFORCE_EVENTS_FILE`,
    /// `--events-file`): written to the repository's own log.
    pub const EVENTS_ELSEWHERE: &str = "events_elsewhere";
    /// `enforce verify --reanchor` accepted the log as it is.
    pub const LOG_REANCHORED: &str = "log_reanchored";
    /// One per hook run: every rule it evaluated, with times and the
    /// action it took.
    pub const HOOK_SUMMARY: &str = "hook_summary";
    /// The agent the environment shows differs from the one the commit's
    /// trailer names, or an agent committed without naming itself.
    pub const AGENT_MISMATCH: &str = "agent_mismatch";
    /// `enforce label` recorded a person's judgement of a bypass:
    /// justified or unjustified. Never a bypass itself, and never removed
    /// by `enforce cleanup`.
    pub const BYPASS_LABELED: &str = "bypass_labeled";
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

/// The predecessor's nine types, in its order.
pub const PREDECESSOR: [&str; 9] = [
    IMPORT_BLOCKED,
    IMPORT_ALLOWED,
    VIOLATION_DETECTED,
    COMMIT_REVIEW_REQUIRED,
    COMMIT_REVIEW_BYPASSED,
    COMMIT_GITIGNORE_ONLY,
    BYPASS_REVIEW,
    BYPASS_AGENT_TRAILER,
    COMMIT_COMPLETED,
];

/// The types enforce added.
pub const ENFORCE: [&str; 17] = [
    COMMIT_BLOCKED,
    AUDIT_WOULD_BLOCK,
    COMMIT_MERGE_EXEMPT,
    BYPASS_CONTENT_RULE,
    REVIEW_APPROVED,
    AUDIT_OFFENCE,
    CONFIG_CHANGED,
    RULE_WEAKENED,
    POLICY_CHANGED,
    CONFIG_INVALID,
    PUSH_ACCEPTED,
    PUSH_REJECTED,
    EVENTS_ELSEWHERE,
    LOG_REANCHORED,
    HOOK_SUMMARY,
    AGENT_MISMATCH,
    BYPASS_LABELED,
];

/// The types any tool may record with `enforce record`: the predecessor's
/// import guards and violation watchers wrote them, and enforce's content
/// rules write `violation_detected` too. Every other known type, and
/// [`super::chain::CHECKPOINT`], is enforce's alone: a log in which
/// another process could write `commit_completed` or a bypass would count
/// what nobody did.
pub const SHARED: [&str; 3] = [IMPORT_BLOCKED, IMPORT_ALLOWED, VIOLATION_DETECTED];

/// Whether only enforce itself records events of type `name`.
pub fn is_reserved(name: &str) -> bool {
    name == super::chain::CHECKPOINT || (origin(name).is_some() && !SHARED.contains(&name))
}

/// Whether `source` names one of enforce's own recorders: a hook, or
/// `enforce` and its commands (`enforce audit`, `enforce review`).
pub fn is_reserved_source(source: &str) -> bool {
    let source = source.trim();
    crate::hook::HookName::from_name(source).is_some()
        || source == "enforce"
        || source.starts_with("enforce ")
}

/// Every type enforce knows: the predecessor's nine first.
pub fn all() -> impl Iterator<Item = &'static str> {
    PREDECESSOR.into_iter().chain(ENFORCE)
}

/// Who defined `name`, when it is a known type.
pub fn origin(name: &str) -> Option<Origin> {
    if PREDECESSOR.contains(&name) {
        Some(Origin::Predecessor)
    } else if ENFORCE.contains(&name) {
        Some(Origin::Enforce)
    } else {
        None
    }
}

/// The known type spelled `name` in any case (`--type VIOLATION_DETECTED`).
pub fn lookup_ignore_case(name: &str) -> Option<&'static str> {
    all().find(|k| k.eq_ignore_ascii_case(name))
}

/// The category of bypass a known type records, if it records one.
fn known_bypass(name: &str) -> Option<BypassCategory> {
    match name {
        COMMIT_REVIEW_BYPASSED => Some(BypassCategory::SkippedHooks),
        BYPASS_REVIEW | BYPASS_AGENT_TRAILER => Some(BypassCategory::EnvSkip),
        BYPASS_CONTENT_RULE => Some(BypassCategory::ContentRule),
        RULE_WEAKENED => Some(BypassCategory::RuleWeakened),
        _ => None,
    }
}

/// The bypass category of an event type, if it records one: the
/// vocabulary's category for a known type; for any other type, `Other` when
/// it is named `bypass_*` or listed in `extra` (`[score] bypass_types`).
pub fn bypass_category(event_type: &str, extra: &[String]) -> Option<BypassCategory> {
    let listed = extra.iter().any(|t| t == event_type);
    match (known_bypass(event_type), origin(event_type)) {
        (Some(category), _) => Some(category),
        (None, Some(_)) => listed.then_some(BypassCategory::Other),
        (None, None) => (listed || event_type.starts_with("bypass_")).then_some(BypassCategory::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_well_formed() {
        let names: Vec<&str> = all().collect();
        for (i, name) in names.iter().enumerate() {
            assert!(super::super::is_valid_event_type(name), "{name}");
            assert!(!names[..i].contains(name), "{name} twice");
        }
        // Every category but `Other` has a type.
        for category in BypassCategory::ALL {
            assert_eq!(
                names.iter().any(|n| known_bypass(n) == Some(category)),
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
            ("bypass_labeled", None),
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
