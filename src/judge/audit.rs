//! What `enforce audit` finds wrong with a commit that exists: the judge's
//! verdict on it under the policy committed at its first parent, with its
//! receipt as the only evidence of what the hooks decided.
//!
//! Nothing the commit says about itself counts: a typed `Reviewed-by:`
//! trailer is text, not an approval. Review is proven by the approval a
//! valid receipt records, when it is for the commit's tree or its patch
//! id; a commit without a valid receipt was made around the hooks. A rule
//! in audit mode still offends here (as a warning): audit reports what the
//! rules would block, not what the hooks let through.

use std::path::PathBuf;

use serde::Serialize;

use super::{Facts, MessageFacts, Outcome, Pass, ReviewFacts, ReviewTrailerFacts, Rule, RuleVerdict, judge};
use crate::config::diff::Change;
use crate::config::{Config, Mode};
use crate::git::trailers::Trailers;
use crate::git::{Patch, quote_path, short_id};
use crate::receipt::{Decision, Invalid, Receipt};
use crate::rules::content;
use crate::rules::review::ApprovalState;
use crate::rules::{AGENT_TRAILER, REVIEW, REVIEW_TRAILER};

/// The rule name of a commit without a valid receipt.
pub const RECEIPT: &str = "receipt";
/// The rule name of a policy change that weakens the rules unreviewed, or
/// commits a policy that does not validate.
pub const POLICY: &str = "policy";

/// At most this many hits of one content rule are listed per commit.
const LISTED_HITS: usize = 100;

/// How serious an offence is, as SARIF and code-scanning pages show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A rule in `enforce` mode, or a commit made around the hooks.
    Error,
    /// A rule in `audit` mode.
    Warning,
}

/// The receipt found for a commit.
#[derive(Debug, Clone, Copy)]
pub enum Evidence<'a> {
    /// A receipt for exactly this commit.
    Receipt(&'a Receipt),
    /// No note on the commit.
    Missing,
    /// A note that is no receipt, or one for another commit.
    Invalid(&'a Invalid),
}

/// Whether the receipt's approval is for this commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// For its tree, or for its patch id (a rebase that changed nothing).
    Matches { reviewer: String },
    /// For something else: tree `tree`.
    Other { tree: String },
    /// For this commit, but it does not count: its signature is missing
    /// or does not check out where the policy requires one.
    Refused { reviewer: String, reason: String },
    /// The receipt records none (or there is no valid receipt).
    None,
}

/// How the commit's changes were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Against its first parent (the empty tree for a root commit).
    Plain,
    /// A merge of two parents: what it adds beyond their automatic merge.
    Merge,
    /// A merge of more than two parents: against its first parent.
    Octopus,
    /// A merge of two unrelated histories (no merge base, so no automatic
    /// merge): against its first parent.
    Unrelated,
}

/// A commit, as audit judges it.
#[derive(Debug, Clone, Copy)]
pub struct Commit<'a> {
    pub tree: &'a str,
    pub shape: Shape,
    /// The paths it changes (see [`Shape`]).
    pub paths: &'a [PathBuf],
    /// The lines it adds, when a content rule is on.
    pub added: Option<&'a Patch>,
    pub trailers: &'a Trailers,
    pub evidence: Evidence<'a>,
    pub approval: &'a Approval,
    /// What its change of `.enforce.toml` does, when it changes it.
    pub policy_change: Option<&'a PolicyChange>,
}

/// A commit's change of `.enforce.toml`.
#[derive(Debug, Clone)]
pub enum PolicyChange {
    /// Setting by setting, against the policy it is judged under.
    Changes(Vec<Change>),
    /// The file it commits does not validate: why.
    Invalid(String),
}

/// One thing wrong with a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offence {
    pub rule: String,
    pub problem: String,
    pub fix: Option<String>,
    pub file: Option<PathBuf>,
    pub line: Option<u64>,
    pub level: Level,
}

/// What audit says of one commit: its offences, and what is worth knowing
/// that is not one (a reviewed weakening, an allowed bypass, files the
/// content rules could not read).
#[derive(Debug, Clone, Default)]
pub struct Judged {
    pub offences: Vec<Offence>,
    pub info: Vec<String>,
}

impl Judged {
    fn offend(&mut self, rule: &str, problem: String, fix: Option<String>, level: Level) {
        self.offences.push(Offence {
            rule: rule.to_string(),
            problem,
            fix,
            file: None,
            line: None,
            level,
        });
    }
}

/// Judges `commit` under `policy`, the policy committed at its first
/// parent. Offences come in the order: receipt, review, content rules (as
/// configured), agent trailer, recorded bypasses, policy.
pub fn judge_commit(commit: &Commit, policy: &Config) -> Judged {
    let mut judged = Judged::default();
    let receipt = match commit.evidence {
        Evidence::Receipt(receipt) => Some(receipt),
        Evidence::Missing => {
            judged.offend(
                RECEIPT,
                "made without enforce's hooks (no receipt)".into(),
                Some(receipt_fix()),
                Level::Error,
            );
            None
        }
        Evidence::Invalid(invalid) => {
            let problem = match invalid {
                Invalid::Unreadable(_) => invalid.to_string(),
                Invalid::Mismatch(_) => {
                    format!(
                        "made without enforce's hooks (no receipt): the note on it counts as none: {invalid}"
                    )
                }
            };
            judged.offend(RECEIPT, problem, Some(receipt_fix()), Level::Error);
            None
        }
    };

    let verdict = judge(&facts(commit), policy);

    // Bypasses the hooks recorded: each names its rule, method and reason.
    let bypasses: Vec<&Decision> = receipt
        .map(|r| r.rules.iter().filter(|d| d.is_bypass()).collect())
        .unwrap_or_default();
    let allowed = |rule: &str| policy.audit.allow_bypasses && !required(policy, rule);
    let bypassed = |rule: &str| {
        receipt
            .and_then(|r| r.decision(rule))
            .is_some_and(Decision::is_bypass)
    };

    for rule in &verdict.rules {
        let Outcome::Failed(failure) = &rule.outcome else {
            continue;
        };
        let name = rule.rule.name();
        if bypassed(name) && (allowed(name) || !matches!(rule.rule, Rule::Content(_))) {
            // Said once, by the bypass below (content hits keep their lines
            // unless the bypass is allowed).
            continue;
        }
        let level = level(rule.mode);
        match rule.rule {
            Rule::Review => judged.offend(
                REVIEW,
                unreviewed(commit, policy, receipt.is_some(), rule.mode),
                Some(review_fix(policy.review.require_signature)),
                level,
            ),
            Rule::ReviewTrailer => judged.offend(
                REVIEW_TRAILER,
                with_mode(failure.reason.clone(), rule.mode),
                Some(format!(
                    "a commit's `{}:` trailer may name only whoever approved it: reword the message (git commit --amend) and push again",
                    policy.review.trailer.as_str()
                )),
                level,
            ),
            Rule::AgentTrailer => {
                let key = policy
                    .agent_trailer
                    .trailers
                    .first()
                    .map_or("Agent", |t| t.key.as_str());
                judged.offend(
                    AGENT_TRAILER,
                    with_mode(failure.reason.clone(), rule.mode),
                    Some(format!(
                        "name the agent in a trailer ({key}: <agent name>) and make the commit again through the hooks (git commit --amend)"
                    )),
                    level,
                )
            }
            Rule::Content(config) => {
                let description = content::description(config);
                for hit in failure.hits.iter().take(LISTED_HITS) {
                    judged.offences.push(Offence {
                        rule: name.to_string(),
                        problem: with_mode(
                            format!("{}:{}: {description}", quote_path(&hit.file), hit.line),
                            rule.mode,
                        ),
                        fix: Some(
                            "change or remove the line and make the commit again through the hooks".into(),
                        ),
                        file: Some(hit.file.clone()),
                        line: Some(u64::from(hit.line)),
                        level,
                    });
                }
                if failure.hits.len() > LISTED_HITS {
                    judged.offend(
                        name,
                        format!(
                            "… and {} more added line(s) match",
                            failure.hits.len() - LISTED_HITS
                        ),
                        None,
                        level,
                    );
                }
            }
        }
    }

    for decision in &bypasses {
        let how = format!(
            "bypassed with {}{}",
            decision.method.as_deref().unwrap_or("an unnamed method"),
            decision
                .reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        if allowed(&decision.rule) {
            judged.info.push(format!(
                "{}: {how} (allowed by [audit] allow_bypasses)",
                decision.rule
            ));
        } else {
            judged.offend(
                &decision.rule,
                how,
                Some(format!(
                    "make the commit again through the hooks without skipping `{}`",
                    decision.rule
                )),
                Level::Error,
            );
        }
    }

    policy_findings(commit, policy, &verdict.rules, &mut judged);

    let unscanned = verdict.unscanned;
    if unscanned.binary > 0 || unscanned.oversized > 0 {
        judged.info.push(format!(
            "the content rules could not read {} binary file(s) and {} file(s) over [rules] max_file_bytes ({} bytes)",
            unscanned.binary, unscanned.oversized, policy.rules.max_file_bytes
        ));
    }
    judged
}

/// The judge's facts of an existing commit: its receipt's approval as the
/// review rule's, its message's trailers as the agent trailer's, and no
/// skip variable (what the hooks let through on one is a recorded bypass,
/// said from the receipt). `enforce backtest` judges the same facts under
/// two policies.
pub fn facts<'a>(commit: &Commit<'a>) -> Facts<'a> {
    let approval = match commit.approval {
        Approval::Matches { reviewer } => ApprovalState::Approved {
            reviewer: reviewer.clone(),
        },
        Approval::Other { .. } => ApprovalState::Missing { other_trees: 1 },
        Approval::Refused { reviewer, reason } => ApprovalState::Refused {
            reviewer: reviewer.clone(),
            reason: reason.clone(),
        },
        Approval::None => ApprovalState::Missing { other_trees: 0 },
    };
    Facts {
        tree: commit.tree,
        paths: commit.paths,
        merging: commit.shape != Shape::Plain,
        merge_resolved: commit.shape != Shape::Plain,
        review: Some(ReviewFacts {
            approval,
            skip: false,
        }),
        message: Some(MessageFacts {
            trailers: commit.trailers,
            skip: false,
            file: None,
            // A commit its receipt proves reviewed may name only that
            // reviewer; an unreviewed one's trailer is said to be typed
            // text by the review rule already.
            review_trailer: match commit.approval {
                Approval::Matches { reviewer } => Some(ReviewTrailerFacts {
                    approved_by: Some(reviewer),
                    carried: &[],
                }),
                _ => None,
            },
        }),
        added: commit.added,
        checks_skipped: false,
    }
}

/// What a change of `.enforce.toml` weakens is an offence when the commit
/// lacks review, and worth knowing when it was reviewed or review is off.
fn policy_findings(commit: &Commit, policy: &Config, rules: &[RuleVerdict], judged: &mut Judged) {
    let changes = match commit.policy_change {
        None => return,
        Some(PolicyChange::Invalid(why)) => {
            judged.offend(
                POLICY,
                format!(
                    "the {} it commits does not validate ({why}): commits made on it cannot be judged",
                    crate::config::FILE_NAME
                ),
                Some(format!(
                    "fix {} (enforce config check) and make the commit again through the hooks",
                    crate::config::FILE_NAME
                )),
                Level::Error,
            );
            push_policy_file(judged);
            return;
        }
        Some(PolicyChange::Changes(changes)) => changes,
    };
    let reviewer = rules.iter().find_map(|r| match &r.outcome {
        Outcome::Passed(Pass::Approved { reviewer }) => Some(reviewer.as_str()),
        _ => None,
    });
    for change in changes.iter().filter(|c| c.weakens) {
        let what = format!(
            "weakens `{}` ({}: {} → {})",
            change.rule, change.setting, change.from, change.to
        );
        match reviewer {
            Some(reviewer) => judged.info.push(format!("{what}; reviewed by {reviewer}")),
            None if policy.review.mode == Mode::Off => judged.info.push(format!("{what}; review is off")),
            None => {
                judged.offend(
                    POLICY,
                    format!("{what} without review"),
                    Some(format!(
                        "have the change to {} reviewed (enforce review approve) and make the commit again through the hooks",
                        crate::config::FILE_NAME
                    )),
                    Level::Error,
                );
                push_policy_file(judged);
            }
        }
    }
}

/// Points the last offence at `.enforce.toml`.
fn push_policy_file(judged: &mut Judged) {
    if let Some(last) = judged.offences.last_mut() {
        last.file = Some(PathBuf::from(crate::config::FILE_NAME));
    }
}

/// Why a commit that needs review is unreviewed.
pub(crate) fn unreviewed(commit: &Commit, policy: &Config, has_receipt: bool, mode: Mode) -> String {
    let mut problem = String::new();
    match commit.shape {
        Shape::Plain => {}
        Shape::Merge => {
            let shown: Vec<String> = commit.paths.iter().take(3).map(|p| quote_path(p)).collect();
            let more = if commit.paths.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            problem.push_str(&format!(
                "the merge adds changes beyond the automatic merge of its parents ({} file(s): {}{more}): ",
                commit.paths.len(),
                shown.join(", ")
            ));
        }
        Shape::Octopus => problem.push_str("an octopus merge, judged against its first parent: "),
        Shape::Unrelated => problem
            .push_str("a merge of unrelated histories (no merge base), judged against its first parent: "),
    }
    problem.push_str("not reviewed: ");
    problem.push_str(&match (has_receipt, commit.approval) {
        (false, _) => "without a receipt there is no approval".to_string(),
        (true, Approval::Other { tree }) => format!(
            "its receipt's approval is for tree {}, and neither its tree nor its patch id matches",
            short_id(tree)
        ),
        (true, Approval::Refused { reviewer, reason }) => {
            format!("its receipt's approval by {reviewer} does not count: {reason}")
        }
        (true, _) => "its receipt records no approval".to_string(),
    });
    let trailer = policy.review.trailer.as_str();
    if !trailer.is_empty() && commit.trailers.get(trailer).is_some() {
        problem.push_str(&format!("; its `{trailer}:` trailer is typed text, not proof"));
    }
    with_mode(problem, mode)
}

fn with_mode(problem: String, mode: Mode) -> String {
    if mode == Mode::Audit {
        format!("{problem} (the rule is in audit mode)")
    } else {
        problem
    }
}

fn level(mode: Mode) -> Level {
    if mode == Mode::Audit {
        Level::Warning
    } else {
        Level::Error
    }
}

/// Whether `rule` cannot be skipped under `policy` (`required = true`).
fn required(policy: &Config, rule: &str) -> bool {
    match rule {
        REVIEW => policy.review.required,
        AGENT_TRAILER => policy.agent_trailer.required,
        _ => false,
    }
}

fn receipt_fix() -> String {
    "install enforce where the commit is made (enforce install), make the commit again through its hooks, and push its receipt (git push <remote> refs/notes/enforce)".into()
}

fn review_fix(signed: bool) -> String {
    if signed {
        "have exactly this change approved with a signature the signers file at its parent allows (enforce review approve --key PATH, docs/review.md) and make the commit again through the hooks".into()
    } else {
        "have exactly this change approved (enforce review approve) and make the commit again through the hooks"
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::AddedFile;
    use crate::git::trailers::parse;
    use crate::receipt::{ApprovalUsed, Policy, VERSION};
    use std::path::Path;

    fn policy(text: &str) -> Config {
        crate::config::parse(text, Path::new("t.toml")).unwrap()
    }

    fn receipt(rules: Vec<Decision>) -> Receipt {
        Receipt {
            enforce_receipt: VERSION,
            tree: "t".into(),
            parents: vec!["p".into()],
            policy: Policy {
                config_blob: None,
                digest: "d".into(),
            },
            rules,
            approval: Some(ApprovalUsed {
                reviewer: "r".into(),
                approved_at: "2026-11-20T10:00:00+00:00".into(),
                tree: "t".into(),
                patch_id: None,
                carried_from: None,
                signed: None,
            }),
            agent: None,
            hooks: vec![],
            operation: "commit".into(),
            attempt: "a".into(),
            enforce_version: "0".into(),
            written_at: "2026-11-20T10:00:00+00:00".into(),
        }
    }

    fn bypass(rule: &str, method: &str) -> Decision {
        Decision {
            rule: rule.into(),
            mode: "enforce".into(),
            outcome: "bypassed".into(),
            method: Some(method.into()),
            reason: Some("why".into()),
        }
    }

    /// (rule, problem) of each offence of a one-file commit.
    fn offences(
        message: &str,
        evidence: Evidence,
        approval: Approval,
        config: &Config,
    ) -> Vec<(String, String)> {
        let paths = vec![PathBuf::from("a.txt")];
        let trailers = parse(message, &Default::default());
        let commit = Commit {
            tree: "t",
            shape: Shape::Plain,
            paths: &paths,
            added: None,
            trailers: &trailers,
            evidence,
            approval: &approval,
            policy_change: None,
        };
        judge_commit(&commit, config)
            .offences
            .into_iter()
            .map(|o| (o.rule, o.problem))
            .collect()
    }

    fn s(rule: &str, problem: &str) -> (String, String) {
        (rule.to_string(), problem.to_string())
    }

    #[test]
    fn a_typed_trailer_is_no_proof() {
        let defaults = Config::default();
        let typed = "s\n\nAgent: a\nReviewed-by: git-reviewer\n";
        assert_eq!(
            offences(typed, Evidence::Missing, Approval::None, &defaults),
            [
                s(RECEIPT, "made without enforce's hooks (no receipt)"),
                s(
                    REVIEW,
                    "not reviewed: without a receipt there is no approval; its `Reviewed-by:` trailer is typed text, not proof"
                ),
            ]
        );
        let valid = receipt(vec![]);
        let approved = |reviewer: &str| Approval::Matches {
            reviewer: reviewer.into(),
        };
        assert!(
            offences(
                typed,
                Evidence::Receipt(&valid),
                approved("git-reviewer"),
                &defaults
            )
            .is_empty()
        );
        // Reviewed, but the trailer names someone else.
        assert_eq!(
            offences(typed, Evidence::Receipt(&valid), approved("r"), &defaults),
            [s(
                REVIEW_TRAILER,
                "the message names `git-reviewer` in a `Reviewed-by:` trailer, but the approval it uses is r's"
            )]
        );
        assert_eq!(
            offences(
                "s\n",
                Evidence::Receipt(&valid),
                Approval::Other {
                    tree: "0123456789abcdef".into()
                },
                &policy("[review]\nmode = \"audit\"\n")
            ),
            [
                s(
                    REVIEW,
                    "not reviewed: its receipt's approval is for tree 0123456789ab, and neither its tree nor its patch id matches (the rule is in audit mode)"
                ),
                s(AGENT_TRAILER, "the commit message has no `Agent:` trailer"),
            ]
        );
    }

    #[test]
    fn invalid_receipts_count_as_none() {
        let defaults = Config::default();
        let unreadable = Invalid::Unreadable("not JSON (x)".into());
        let mismatch = Invalid::Mismatch("it names tree a, the commit has b".into());
        let message = "s\n\nAgent: a\n";
        assert_eq!(
            offences(message, Evidence::Invalid(&unreadable), Approval::None, &defaults)[0],
            s(RECEIPT, "receipt unreadable: not JSON (x)")
        );
        assert_eq!(
            offences(message, Evidence::Invalid(&mismatch), Approval::None, &defaults)[0],
            s(
                RECEIPT,
                "made without enforce's hooks (no receipt): the note on it counts as none: receipt is for another commit: it names tree a, the commit has b"
            )
        );
    }

    #[test]
    fn recorded_bypasses_offend_unless_the_policy_lets_them_land() {
        let with = receipt(vec![bypass(REVIEW, "PILOT_SKIP_REVIEW=1")]);
        let message = "s\n\nAgent: a\n";
        let expected = [s(REVIEW, "bypassed with PILOT_SKIP_REVIEW=1: why")];
        assert_eq!(
            offences(
                message,
                Evidence::Receipt(&with),
                Approval::None,
                &Config::default()
            ),
            expected
        );
        let allowing = policy("[audit]\nallow_bypasses = true\n");
        assert!(offences(message, Evidence::Receipt(&with), Approval::None, &allowing).is_empty());
        // A required rule cannot be bypassed, whatever the policy allows.
        let required = policy("[audit]\nallow_bypasses = true\n[review]\nrequired = true\n");
        assert_eq!(
            offences(message, Evidence::Receipt(&with), Approval::None, &required),
            expected
        );
    }

    #[test]
    fn content_hits_name_file_and_line_and_merges_only_what_they_add() {
        let config = policy("[[rules.content]]\nname = \"no-todo\"\npattern = \"TODO\"\n");
        let paths = vec![PathBuf::from("n.md")];
        let patch = Patch {
            files: vec![AddedFile {
                path: "n.md".into(),
                lines: vec![(3, b"TODO".to_vec())],
            }],
            binary: 1,
            ..Patch::default()
        };
        let trailers = parse("Merge\n", &Default::default());
        let valid = receipt(vec![]);
        let commit = Commit {
            tree: "t",
            shape: Shape::Merge,
            paths: &paths,
            added: Some(&patch),
            trailers: &trailers,
            evidence: Evidence::Receipt(&valid),
            approval: &Approval::None,
            policy_change: None,
        };
        let judged = judge_commit(&commit, &config);
        let found: Vec<_> = judged
            .offences
            .iter()
            .map(|o| (o.rule.as_str(), o.problem.as_str(), o.line))
            .collect();
        assert_eq!(
            found,
            [
                (
                    REVIEW,
                    "the merge adds changes beyond the automatic merge of its parents (1 file(s): n.md): not reviewed: its receipt records no approval",
                    None
                ),
                ("no-todo", "n.md:3: matches `TODO`", Some(3)),
            ]
        );
        assert_eq!(
            judged.info,
            [
                "the content rules could not read 1 binary file(s) and 0 file(s) over [rules] max_file_bytes (1048576 bytes)"
            ]
        );
        // A clean merge adds nothing: nothing to review, nothing to scan.
        let clean = Commit {
            paths: &[],
            added: Some(&Patch::default()),
            ..commit
        };
        assert!(judge_commit(&clean, &config).offences.is_empty());
    }

    #[test]
    fn a_weakening_offends_only_without_review() {
        let old = Config::default();
        let new = policy("[review]\nmode = \"off\"\n");
        let change = PolicyChange::Changes(crate::config::diff::diff(&old, &new));
        let paths = vec![PathBuf::from(".enforce.toml")];
        let trailers = parse("s\n\nAgent: a\n", &Default::default());
        let valid = receipt(vec![]);
        let commit = |approval| Commit {
            tree: "t",
            shape: Shape::Plain,
            paths: &paths,
            added: None,
            trailers: &trailers,
            evidence: Evidence::Receipt(&valid),
            approval,
            policy_change: Some(&change),
        };
        let unreviewed = judge_commit(&commit(&Approval::None), &old);
        let rules: Vec<&str> = unreviewed.offences.iter().map(|o| o.rule.as_str()).collect();
        assert_eq!(rules, [REVIEW, POLICY]);
        assert_eq!(
            unreviewed.offences[1].problem,
            "weakens `review` (mode: enforce → off) without review"
        );
        assert_eq!(
            unreviewed.offences[1].file.as_deref(),
            Some(Path::new(".enforce.toml"))
        );
        let reviewed = judge_commit(&commit(&Approval::Matches { reviewer: "r".into() }), &old);
        assert!(reviewed.offences.is_empty());
        assert_eq!(
            reviewed.info,
            ["weakens `review` (mode: enforce → off); reviewed by r"]
        );
    }
}
