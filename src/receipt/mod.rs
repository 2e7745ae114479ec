//! Receipts: what the hooks decided about a commit, kept with the commit.
//!
//! The log stays on the machine that made the commit; a receipt travels
//! with it. Every commit made through enforce's hooks gets one, a JSON note
//! in `refs/notes/enforce` ([`crate::git::notes`]), and `pre-push` sends
//! the notes along, so CI and a server's `pre-receive` can tell a commit
//! made through the hooks from one made around them, and see the approval
//! it used and every bypass it took.
//!
//! A receipt names the tree and parents of its commit: copied onto another
//! commit it counts as none. What a receipt cannot prove (it is written on
//! the machine of whoever commits) is in docs/trust.md.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::judge::{Exemption, Outcome, RuleVerdict};
use crate::rules::Enforcement;
use crate::signing::verify::Signed;

/// The receipt format this enforce writes and reads.
pub const VERSION: u32 = 1;

/// The message of the notes commits enforce writes.
pub const NOTE_MESSAGE: &str = "enforce: commit receipt";

/// One commit's receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The format version ([`VERSION`]); also what marks a note as a
    /// receipt.
    pub enforce_receipt: u32,
    /// The commit's tree and parents: a receipt is valid only on the
    /// commit that has exactly these.
    pub tree: String,
    pub parents: Vec<String>,
    /// The policy the commit was judged under.
    pub policy: Policy,
    /// Each rule's decision, in the judge's order.
    pub rules: Vec<Decision>,
    /// The approval the commit used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalUsed>,
    /// The agent the message names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// The hooks that ran for the commit.
    pub hooks: Vec<String>,
    /// How it was made: `commit`, `amend`, `merge`, `cherry-pick`, `rebase`…
    pub operation: String,
    /// The attempt id its events in the log carry (`attempt`).
    pub attempt: String,
    pub enforce_version: String,
    /// RFC 3339.
    pub written_at: String,
}

/// The policy a commit was judged under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The blob id of `.enforce.toml` at the first parent; `None` when
    /// there was none (the built-in defaults).
    pub config_blob: Option<String>,
    /// SHA-256 of the settings in effect (as `enforce config show` prints
    /// them): differs from the committed policy when the work tree's
    /// config was edited.
    pub digest: String,
}

/// One rule's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub rule: String,
    /// `enforce`, `audit` or `off`.
    pub mode: String,
    /// `passed`, `bypassed`, `audit`, `exempt`, `off`, `not-needed` or
    /// `failed` (judged after the fact, with nothing to stop the commit).
    pub outcome: String,
    /// How a bypass was made: `PILOT_SKIP_REVIEW=1`, `git commit --no-verify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// What was wrong, for a bypass, audit or failure; why, for an exemption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The approval a commit used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalUsed {
    pub reviewer: String,
    /// RFC 3339, when it was given.
    pub approved_at: String,
    /// The tree it approved.
    pub tree: String,
    /// `git patch-id --stable` of the approved change against the first
    /// parent: what lets a rebase that changes nothing keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_id: Option<String>,
    /// The commit whose receipt it was carried from (amend, rebase,
    /// cherry-pick of an unchanged diff).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carried_from: Option<String>,
    /// The reviewer's signature, for CI and the server to verify without
    /// the machine the commit was made on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Signed>,
}

impl ApprovalUsed {
    /// The receipt's form of a stored approval (its patch id is filled in
    /// by post-commit).
    pub fn of(approval: crate::approval::Approval) -> ApprovalUsed {
        ApprovalUsed {
            reviewer: approval.reviewer,
            approved_at: approval.approved_at,
            tree: approval.tree,
            patch_id: None,
            carried_from: None,
            signed: approval.signed,
        }
    }
}

impl Decision {
    /// The receipt's form of a rule's verdict. `skip_method` names how the
    /// checks were skipped when the verdict was reached after the fact.
    pub fn of(verdict: &RuleVerdict) -> Decision {
        let (outcome, method, reason) = match &verdict.outcome {
            Outcome::Off => ("off", None, None),
            Outcome::NotNeeded => ("not-needed", None, None),
            Outcome::Exempt(why) => (
                "exempt",
                None,
                Some(
                    match why {
                        Exemption::Merge => "merge",
                        Exemption::GitignoreOnly => "only .gitignore files change",
                    }
                    .to_string(),
                ),
            ),
            Outcome::Passed(_) => ("passed", None, None),
            Outcome::Failed(failure) => {
                let (outcome, method) = match failure.action {
                    Enforcement::Bypass => ("bypassed", Some(skip_variable(verdict))),
                    Enforcement::Skipped => ("bypassed", Some("git commit --no-verify".to_string())),
                    Enforcement::Audit => ("audit", None),
                    Enforcement::Block | Enforcement::BlockRefusingBypass => ("failed", None),
                };
                (outcome, method, Some(failure.reason.clone()))
            }
        };
        Decision {
            rule: verdict.rule.name().to_string(),
            mode: verdict.mode.as_str().to_string(),
            outcome: outcome.to_string(),
            method,
            reason,
        }
    }

    /// Whether this decision let a failing rule through by a bypass.
    pub fn is_bypass(&self) -> bool {
        self.outcome == "bypassed"
    }
}

fn skip_variable(verdict: &RuleVerdict) -> String {
    match verdict.rule {
        crate::judge::Rule::Review | crate::judge::Rule::ReviewTrailer => {
            format!("{}=1", crate::rules::SKIP_REVIEW)
        }
        crate::judge::Rule::AgentTrailer => format!("{}=1", crate::rules::SKIP_AGENT_TRAILER),
        crate::judge::Rule::Content(_) => "git commit --no-verify".to_string(),
    }
}

/// The digest of the settings in effect.
pub fn policy_digest(config: &Config) -> String {
    let digest = Sha256::digest(config.to_toml().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a note is not a receipt enforce can use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// It does not parse, is not a receipt, or is of a newer format.
    Unreadable(String),
    /// It was written for another commit.
    Mismatch(String),
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Invalid::Unreadable(why) => write!(f, "receipt unreadable: {why}"),
            Invalid::Mismatch(why) => write!(f, "receipt is for another commit: {why}"),
        }
    }
}

impl Receipt {
    /// Reads a note as a receipt.
    pub fn parse(bytes: &[u8]) -> Result<Receipt, Invalid> {
        // A receipt of this format is read straight into its fields: going
        // through a JSON value first cost a fifth of a backtest. Anything
        // else takes the long way, which says what is wrong.
        if bytes.trim_ascii_start().starts_with(b"{")
            && let Ok(receipt) = serde_json::from_slice::<Receipt>(bytes)
            && receipt.enforce_receipt == VERSION
        {
            return Ok(receipt);
        }
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Invalid::Unreadable(format!("not JSON ({e})")))?;
        let version = value.get("enforce_receipt").ok_or_else(|| {
            Invalid::Unreadable("not an enforce receipt (no `enforce_receipt` field)".into())
        })?;
        match version.as_u64() {
            Some(v) if v == u64::from(VERSION) => {}
            Some(v) if v > u64::from(VERSION) => {
                return Err(Invalid::Unreadable(format!(
                    "format {v} is newer than this enforce reads ({VERSION}): upgrade enforce"
                )));
            }
            _ => return Err(Invalid::Unreadable(format!("unknown format `{version}`"))),
        }
        serde_json::from_value(value).map_err(|e| Invalid::Unreadable(e.to_string()))
    }

    /// Checks that this receipt was written for a commit with `tree` and
    /// `parents`.
    pub fn check(&self, tree: &str, parents: &[String]) -> Result<(), Invalid> {
        if self.tree != tree {
            return Err(Invalid::Mismatch(format!(
                "it names tree {}, the commit has {}",
                crate::git::short_id(&self.tree),
                crate::git::short_id(tree)
            )));
        }
        if self.parents != parents {
            let show = |p: &[String]| {
                if p.is_empty() {
                    "none".to_string()
                } else {
                    p.iter()
                        .map(|s| crate::git::short_id(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            return Err(Invalid::Mismatch(format!(
                "it names parents {}, the commit has {}",
                show(&self.parents),
                show(parents)
            )));
        }
        Ok(())
    }

    /// The decision on `rule`, if the receipt has one.
    pub fn decision(&self, rule: &str) -> Option<&Decision> {
        self.rules.iter().find(|d| d.rule == rule)
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            enforce_receipt: VERSION,
            tree: "t".into(),
            parents: vec!["p".into()],
            policy: Policy {
                config_blob: None,
                digest: "d".into(),
            },
            rules: vec![],
            approval: None,
            agent: Some("claude".into()),
            hooks: vec!["post-commit".into()],
            operation: "commit".into(),
            attempt: "a".into(),
            enforce_version: "0.1.0".into(),
            written_at: "2026-12-01T00:00:00+00:00".into(),
        }
    }

    #[test]
    fn round_trip_and_checks() {
        let r = receipt();
        assert_eq!(Receipt::parse(&r.to_json()), Ok(r.clone()));
        assert_eq!(r.check("t", &["p".into()]), Ok(()));
        assert!(matches!(r.check("u", &["p".into()]), Err(Invalid::Mismatch(_))));
        assert!(matches!(r.check("t", &[]), Err(Invalid::Mismatch(_))));
    }

    #[test]
    fn unreadable_notes_say_why() {
        let why = |bytes: &[u8]| Receipt::parse(bytes).unwrap_err().to_string();
        assert!(why(b"hello").starts_with("receipt unreadable: not JSON"));
        assert!(why(b"{}").contains("not an enforce receipt"));
        assert!(why(br#"{"enforce_receipt": 9}"#).contains("newer than this enforce reads"));
        assert!(why(br#"{"enforce_receipt": "x"}"#).contains("unknown format"));
        assert!(why(br#"{"enforce_receipt": 1}"#).starts_with("receipt unreadable: missing field"));
    }
}
