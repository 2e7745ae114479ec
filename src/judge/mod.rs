//! The judge: one pure function from the facts of a change and a policy to
//! a verdict per rule.
//!
//! Every caller that decides about a commit goes through [`judge`]: the
//! hooks before a commit exists (pre-commit, commit-msg), post-commit after
//! one that skipped them, and `enforce audit` over history. So a commit is
//! judged the same way wherever it is judged. Nothing here reads a file,
//! runs git or prints: callers gather the facts through `git/` and apply
//! the verdict (events, messages, exit code) themselves.

pub mod audit;
mod fix;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::{Config, ContentRule, Mode};
use crate::git::Patch;
use crate::git::trailers::Trailers;
use crate::rules::agent_trailer::{self, Decision as TrailerDecision, NamedAgent};
use crate::rules::content::{self, Hit};
use crate::rules::review::{self, ApprovalState, Decision as ReviewDecision, Enforced};
use crate::rules::{AGENT_TRAILER, Enforcement, REVIEW, REVIEW_TRAILER};

pub use fix::Escape;

/// What is known about the change being judged. A rule is judged only when
/// the facts it needs are given: pre-commit knows no message yet,
/// commit-msg needs no added lines.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The tree the commit records.
    pub tree: &'a str,
    /// The paths it changes (against HEAD, its first parent, or the commit
    /// it amends).
    pub paths: &'a [PathBuf],
    /// A merge is being concluded (or the commit has several parents).
    pub merging: bool,
    /// For a merge: `paths` and `added` are what it adds beyond the
    /// automatic merge of its parents, not what it brings from them. The
    /// merge exemption of the review rule covers only what git merged by
    /// itself, so it does not apply to these (the agent trailer's still
    /// does).
    pub merge_resolved: bool,
    /// For the review rule.
    pub review: Option<ReviewFacts>,
    /// For the agent-trailer rule.
    pub message: Option<MessageFacts<'a>>,
    /// For the content rules: the lines the change adds.
    pub added: Option<&'a Patch>,
    /// The checks that apply these rules were skipped (`git commit
    /// --no-verify`): whatever fails is a bypass found after the fact.
    pub checks_skipped: bool,
}

/// The review rule's facts.
#[derive(Debug, Clone)]
pub struct ReviewFacts {
    pub approval: ApprovalState,
    /// `PILOT_SKIP_REVIEW=1` is set.
    pub skip: bool,
}

/// The agent-trailer rule's facts.
#[derive(Debug, Clone)]
pub struct MessageFacts<'a> {
    /// The message's trailers, as git parses them.
    pub trailers: &'a Trailers,
    /// `PILOT_SKIP_AGENT_TRAILER=1` is set.
    pub skip: bool,
    /// The file the message is in, when it can still be edited (commit-msg).
    pub file: Option<&'a Path>,
    /// What the review trailer may name, where that is judged (commit-msg
    /// for a `git commit`, audit for a reviewed commit).
    pub review_trailer: Option<ReviewTrailerFacts<'a>>,
}

/// Who a message may name in the review trailer (`Reviewed-by`): whoever
/// approved the commit, and what an amend that changes nothing carries
/// over from the commit it replaces. Anyone else is a review typed into
/// the message, which nobody gave.
#[derive(Debug, Clone, Copy)]
pub struct ReviewTrailerFacts<'a> {
    /// The reviewer whose approval the commit uses.
    pub approved_by: Option<&'a str>,
    /// The review trailers' values of the commit an amend replaces, when
    /// the amend leaves its tree as it was.
    pub carried: &'a [String],
}

/// Which rule a verdict is about.
#[derive(Debug, Clone, Copy)]
pub enum Rule<'p> {
    Review,
    AgentTrailer,
    /// The review rule's check of the message (see [`ReviewTrailerFacts`]).
    ReviewTrailer,
    Content(&'p ContentRule),
}

impl Rule<'_> {
    /// The rule's stable name, as events carry it.
    pub fn name(&self) -> &str {
        match self {
            Rule::Review => REVIEW,
            Rule::AgentTrailer => AGENT_TRAILER,
            Rule::ReviewTrailer => REVIEW_TRAILER,
            Rule::Content(rule) => rule.name.get_ref().as_str(),
        }
    }
}

/// Why a rule did not apply to a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exemption {
    /// A merge, and the rule exempts merges.
    Merge,
    /// Only `.gitignore` files change (review).
    GitignoreOnly,
}

/// What a passed rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// The change is approved by this reviewer.
    Approved { reviewer: String },
    /// The message names this agent (under this trailer, with this model).
    Agent(NamedAgent),
    /// No added line matches.
    Clean,
}

/// What a failed rule found and what happens about it.
#[derive(Debug, Clone)]
pub struct Failure {
    /// One line: what is wrong.
    pub reason: String,
    /// What happens: block, audit, bypass…
    pub action: Enforcement,
    /// The matching lines (content rules).
    pub hits: Vec<Hit>,
    /// Lines that say more (the staged files, the hits).
    pub context: Vec<String>,
    /// What to do, one command or step a line.
    pub fix: Vec<String>,
    /// How the rule can be skipped.
    pub escape: Escape,
    /// What the message names (the agent-trailer rule), as far as it does.
    pub named: Option<NamedAgent>,
}

/// A rule's outcome.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The rule is off.
    Off,
    /// Nothing to judge (nothing staged).
    NotNeeded,
    Exempt(Exemption),
    Passed(Pass),
    Failed(Failure),
}

/// One rule's verdict.
#[derive(Debug, Clone)]
pub struct RuleVerdict<'p> {
    pub rule: Rule<'p>,
    pub mode: Mode,
    pub outcome: Outcome,
    /// How long the judge took over this rule (for a content rule, its
    /// own line matching; the shared prefilter is the verdict's
    /// [`Verdict::scan`]). The hooks report it in `hook_summary`.
    pub elapsed: Duration,
}

impl RuleVerdict<'_> {
    /// The outcome in one word, as attempt notes and `commit_completed`
    /// record it: `off`, `not-needed`, `exempt`, `approved`/`passed`,
    /// `bypassed`, `audit`, `blocked`, `skipped`.
    pub fn outcome_name(&self) -> &'static str {
        match &self.outcome {
            Outcome::Off => "off",
            Outcome::NotNeeded => "not-needed",
            Outcome::Exempt(_) => "exempt",
            Outcome::Passed(Pass::Approved { .. }) => "approved",
            Outcome::Passed(_) => "passed",
            Outcome::Failed(failure) => match failure.action {
                Enforcement::Bypass => "bypassed",
                Enforcement::Audit => "audit",
                Enforcement::Block | Enforcement::BlockRefusingBypass => "blocked",
                Enforcement::Skipped => "skipped",
            },
        }
    }

    /// Whether this verdict stops the commit.
    pub fn blocks(&self) -> bool {
        matches!(
            &self.outcome,
            Outcome::Failed(Failure {
                action: Enforcement::Block | Enforcement::BlockRefusingBypass,
                ..
            })
        )
    }
}

/// Files the content rules could not read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unscanned {
    pub binary: u64,
    pub oversized: usize,
}

/// The verdict on a change: one entry per judged rule, in the order review,
/// content rules (as configured), agent trailer.
#[derive(Debug, Clone)]
pub struct Verdict<'p> {
    pub rules: Vec<RuleVerdict<'p>>,
    pub unscanned: Unscanned,
    /// The whole content scan, the shared prefilter included.
    pub scan: Duration,
}

impl<'p> Verdict<'p> {
    /// Whether any rule stops the commit.
    pub fn blocks(&self) -> bool {
        self.rules.iter().any(RuleVerdict::blocks)
    }

    /// The review rule's verdict, when it was judged.
    pub fn review(&self) -> Option<&RuleVerdict<'p>> {
        self.rules.iter().find(|r| matches!(r.rule, Rule::Review))
    }

    /// The reviewer whose approval the change uses.
    pub fn approved_by(&self) -> Option<&str> {
        match self.review().map(|r| &r.outcome) {
            Some(Outcome::Passed(Pass::Approved { reviewer })) => Some(reviewer),
            _ => None,
        }
    }

    /// The agent the message names, when the trailer rule passed.
    pub fn agent(&self) -> Option<&str> {
        self.named_agent().map(|n| n.agent.as_str())
    }

    /// The agent, model and trailer the message names, when the trailer
    /// rule passed.
    pub fn named_agent(&self) -> Option<&NamedAgent> {
        self.rules.iter().find_map(|r| match &r.outcome {
            Outcome::Passed(Pass::Agent(named)) => Some(named),
            _ => None,
        })
    }
}

/// Judges `facts` under `policy`.
pub fn judge<'p>(facts: &Facts, policy: &'p Config) -> Verdict<'p> {
    let mut rules = Vec::new();
    if let Some(review) = &facts.review {
        rules.push(timed(|| judge_review(facts, review, policy)));
    }
    let mut unscanned = Unscanned::default();
    let mut scan = Duration::ZERO;
    if let Some(patch) = facts.added {
        unscanned = Unscanned {
            binary: patch.binary,
            oversized: patch.oversized.len(),
        };
        let started = Instant::now();
        rules.extend(judge_content(facts, patch, &policy.rules.content));
        scan = started.elapsed();
    }
    if let Some(message) = &facts.message {
        rules.push(timed(|| judge_trailer(facts, message, policy)));
        let started = Instant::now();
        if let Some(claims) = &message.review_trailer
            && let Some(mut verdict) = judge_review_trailer(facts, message.trailers, claims, policy)
        {
            verdict.elapsed = started.elapsed();
            rules.push(verdict);
        }
    }
    Verdict {
        rules,
        unscanned,
        scan,
    }
}

/// Runs a rule's judgement and stamps it with the time it took.
fn timed<'p>(judge: impl FnOnce() -> RuleVerdict<'p>) -> RuleVerdict<'p> {
    let started = Instant::now();
    let mut verdict = judge();
    verdict.elapsed = started.elapsed();
    verdict
}

/// What a failing rule does: as its mode and skip variable say, unless the
/// check was skipped altogether.
fn action(decided: Enforcement, facts: &Facts) -> Enforcement {
    if facts.checks_skipped {
        Enforcement::Skipped
    } else {
        decided
    }
}

fn judge_review<'p>(facts: &Facts, review_facts: &ReviewFacts, policy: &'p Config) -> RuleVerdict<'p> {
    let config = &policy.review;
    let decision = review::decide(
        &review::Facts {
            files: facts.paths,
            merging: facts.merging && !facts.merge_resolved,
            approval: review_facts.approval.clone(),
            skip: review_facts.skip && !facts.checks_skipped,
        },
        config,
    );
    let outcome = match decision {
        ReviewDecision::Off => Outcome::Off,
        ReviewDecision::NothingStaged => Outcome::NotNeeded,
        ReviewDecision::MergeExempt => Outcome::Exempt(Exemption::Merge),
        ReviewDecision::GitignoreOnly => Outcome::Exempt(Exemption::GitignoreOnly),
        ReviewDecision::Required(Enforced::Approved { reviewer }) => {
            Outcome::Passed(Pass::Approved { reviewer })
        }
        ReviewDecision::Required(Enforced::Unapproved {
            reason,
            action: decided,
        }) => {
            let action = action(decided, facts);
            Outcome::Failed(Failure {
                context: fix::review_context(facts, action),
                fix: fix::review(config),
                escape: fix::escape(config.required, crate::rules::SKIP_REVIEW),
                reason,
                action,
                hits: Vec::new(),
                named: None,
            })
        }
    };
    RuleVerdict {
        rule: Rule::Review,
        mode: config.mode,
        outcome,
        elapsed: Duration::ZERO,
    }
}

fn judge_trailer<'p>(facts: &Facts, message: &MessageFacts, policy: &'p Config) -> RuleVerdict<'p> {
    let config = &policy.agent_trailer;
    let skip = message.skip && !facts.checks_skipped;
    let outcome = match agent_trailer::decide(message.trailers, facts.merging, skip, config) {
        TrailerDecision::Off => Outcome::Off,
        TrailerDecision::MergeExempt => Outcome::Exempt(Exemption::Merge),
        TrailerDecision::Named(named) => Outcome::Passed(Pass::Agent(named)),
        TrailerDecision::Problem {
            problem,
            action: decided,
        } => {
            let action = action(decided, facts);
            Outcome::Failed(Failure {
                reason: problem.reason(config),
                context: fix::trailer_context(&problem, config, action),
                fix: fix::trailer(config, message.file),
                escape: fix::escape(config.required, crate::rules::SKIP_AGENT_TRAILER),
                action,
                hits: Vec::new(),
                named: problem.named(),
            })
        }
    };
    RuleVerdict {
        rule: Rule::AgentTrailer,
        mode: config.mode,
        outcome,
        elapsed: Duration::ZERO,
    }
}

/// A verdict only when the message names someone in the review trailer
/// who did not approve the commit: no variable licenses that claim.
fn judge_review_trailer<'p>(
    facts: &Facts,
    trailers: &Trailers,
    claims: &ReviewTrailerFacts,
    policy: &'p Config,
) -> Option<RuleVerdict<'p>> {
    let config = &policy.review;
    let key = config.trailer.as_str();
    if key.is_empty() || config.mode == Mode::Off {
        return None;
    }
    let typed = trailers
        .items
        .iter()
        .filter(|t| t.key.eq_ignore_ascii_case(key))
        .map(|t| t.value.as_str())
        .find(|v| Some(*v) != claims.approved_by && !claims.carried.iter().any(|c| c == v))?;
    let decided = match config.mode {
        Mode::Audit => Enforcement::Audit,
        _ => Enforcement::BlockRefusingBypass,
    };
    let uses = match claims.approved_by {
        Some(reviewer) => format!("the approval it uses is {reviewer}'s"),
        None => "it uses no approval".to_string(),
    };
    Some(RuleVerdict {
        rule: Rule::ReviewTrailer,
        mode: config.mode,
        outcome: Outcome::Failed(Failure {
            reason: format!("the message names `{typed}` in a `{key}:` trailer, but {uses}"),
            action: action(decided, facts),
            hits: Vec::new(),
            context: Vec::new(),
            fix: vec![
                format!(
                    "remove the `{key}: {typed}` line from the message: enforce adds `{key}:` itself, naming whoever approved what is staged"
                ),
                "commit again".to_string(),
            ],
            escape: Escape::Refused,
            named: None,
        }),
        elapsed: Duration::ZERO,
    })
}

fn judge_content<'p>(facts: &Facts, patch: &Patch, rules: &'p [ContentRule]) -> Vec<RuleVerdict<'p>> {
    let mut hits: Vec<Vec<Hit>> = vec![Vec::new(); rules.len()];
    let mut elapsed = vec![Duration::ZERO; rules.len()];
    if !facts.paths.is_empty() {
        let scan = content::scan_timed(patch, rules);
        for hit in scan.hits {
            hits[hit.rule].push(hit);
        }
        elapsed = scan.elapsed;
    }
    rules
        .iter()
        .zip(hits)
        .zip(elapsed)
        .filter(|((rule, _), _)| rule.mode != Mode::Off)
        .map(|((rule, hits), elapsed)| {
            let outcome = if hits.is_empty() {
                Outcome::Passed(Pass::Clean)
            } else {
                let decided = crate::rules::enforcement(rule.mode, false, false);
                Outcome::Failed(Failure {
                    reason: format!(
                        "{} added line(s) match ({} severity)",
                        hits.len(),
                        rule.severity.as_str()
                    ),
                    action: action(decided, facts),
                    context: fix::hit_lines(rule, &hits),
                    fix: fix::content(),
                    escape: Escape::NoVerify,
                    hits,
                    named: None,
                })
            };
            RuleVerdict {
                rule: Rule::Content(rule),
                mode: rule.mode,
                outcome,
                elapsed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
