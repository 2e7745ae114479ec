//! Applying a verdict: the one place where the judge's decisions become
//! events, messages and the hook's exit code.
//!
//! pre-commit and commit-msg apply the verdict on a change about to be
//! committed; post-commit applies the verdict on a commit that skipped
//! them, where every failure is recorded as a bypass after the fact.

use serde_json::{Map, Value, json};

use super::HookName;
use super::blocked::Block;
use super::context::{HookContext, skip_reason, with};
use super::summary::Summary;
use crate::config::Detail;
use crate::error::{EXIT_OK, EXIT_POLICY};
use crate::event::{recorded_as, types};
use crate::judge::{Exemption, Failure, Outcome, Rule, RuleVerdict, Verdict};
use crate::notice::{self, Level};
use crate::rules::content;
use crate::rules::{Enforcement, SKIP_AGENT_TRAILER, SKIP_REVIEW};

/// How many `violation_detected` events one rule records per commit; the
/// block message and `commit_blocked` still count every hit.
pub const MAX_RECORDED_HITS: usize = 100;

/// What the events of this verdict carry besides the rule's own fields.
pub struct Target<'a> {
    /// `branch`, `user`, `files`, `file_count` (and `commit_sha` once the
    /// commit exists).
    pub details: Map<String, Value>,
    /// The tree judged.
    pub tree: &'a str,
    /// How many paths the change touches.
    pub paths: usize,
    /// Fields added to every `violation_detected`.
    pub violation_extra: Value,
    /// The commit exists and skipped the checks: only failures are
    /// recorded, as bypasses.
    pub after_the_fact: bool,
}

/// Records and reports `verdict`; returns the exit code git should see.
/// The caller then records the hook's summary and, for a block, publishes
/// the log head (no post-commit will): see [`conclude`].
pub fn apply(ctx: &HookContext, target: &Target, verdict: &Verdict) -> i32 {
    let mut noted_unscanned = false;
    for rule in &verdict.rules {
        if matches!(rule.rule, Rule::Content(_)) && !noted_unscanned {
            noted_unscanned = true;
            if !target.after_the_fact {
                note_unscanned(ctx, verdict);
            }
        }
        record(ctx, target, rule);
    }
    if !verdict.blocks() {
        return EXIT_OK;
    }
    for block in verdict.rules.iter().filter_map(Block::of) {
        notice::raw(&block.render());
    }
    EXIT_POLICY
}

/// Ends a hook that runs before the commit exists: records its summary,
/// then publishes the log head when it blocks (the commit's last hook) or
/// when its events began the log. Returns `code`.
pub fn conclude(ctx: &HookContext, summary: Summary, hook: HookName, code: i32) -> i32 {
    let operation = ctx.git.operation_in_progress();
    summary.record(ctx, hook, operation.name(), code != EXIT_OK);
    if code != EXIT_OK {
        ctx.publish_head();
        crate::export::background::refresh_textfile(&ctx.config.export, ctx.git.repo().root.as_deref());
    } else {
        ctx.publish_head_if_started();
    }
    code
}

/// Whether the rules that pass get their own events (`[telemetry]
/// detail = "full"`), besides the hook's summary.
fn passes_recorded(ctx: &HookContext) -> bool {
    ctx.config.telemetry.detail == Detail::Full
}

fn note_unscanned(ctx: &HookContext, verdict: &Verdict) {
    let oversized = verdict.unscanned.oversized;
    if oversized > 0 {
        notice::emit(
            Level::Note,
            format!(
                "{oversized} file(s) with more than {} bytes of added text were not scanned by the content rules",
                ctx.config.rules.max_file_bytes
            ),
        );
    }
}

fn record(ctx: &HookContext, target: &Target, verdict: &RuleVerdict) {
    let name = verdict.rule.name();
    let event = |event_type: &str, fields: Value| {
        ctx.recorder
            .record(event_type, with(target.details.clone(), fields))
    };
    if target.after_the_fact && !matches!(verdict.outcome, Outcome::Failed(_)) {
        return;
    }
    let failure = match &verdict.outcome {
        Outcome::Off | Outcome::NotNeeded => return,
        Outcome::Exempt(_) | Outcome::Passed(_) if !passes_recorded(ctx) => return,
        Outcome::Exempt(exemption) => {
            let event_type = match exemption {
                Exemption::Merge => types::COMMIT_MERGE_EXEMPT,
                Exemption::GitignoreOnly => types::COMMIT_GITIGNORE_ONLY,
            };
            event(event_type, json!({ "rule": name }));
            return;
        }
        Outcome::Passed(_) => {
            if matches!(verdict.rule, Rule::Review) {
                review_required(ctx, target);
            }
            return;
        }
        Outcome::Failed(failure) => failure,
    };
    match verdict.rule {
        Rule::Review => record_review(ctx, target, verdict, failure),
        Rule::AgentTrailer => record_trailer(ctx, target, verdict, failure),
        Rule::ReviewTrailer => {
            let event = |event_type: &str, fields: Value| {
                ctx.recorder
                    .record(event_type, with(target.details.clone(), fields))
            };
            audit_or_block(&event, name, &failure.reason, failure.action, json!({}))
        }
        Rule::Content(rule) => {
            record_violations(ctx, target, rule, failure);
            record_content(ctx, target, verdict, rule, failure);
        }
    }
}

fn review_required(ctx: &HookContext, target: &Target) {
    ctx.recorder.record(
        types::COMMIT_REVIEW_REQUIRED,
        with(
            target.details.clone(),
            json!({ "rule": crate::rules::REVIEW, "reviewer": ctx.config.review.reviewer.as_str(), "tree": target.tree }),
        ),
    );
}

fn record_review(ctx: &HookContext, target: &Target, verdict: &RuleVerdict, failure: &Failure) {
    let reviewer = ctx.config.review.reviewer.as_str();
    let (rule, reason, tree) = (verdict.rule.name(), failure.reason.as_str(), target.tree);
    let event = |event_type: &str, fields: Value| {
        ctx.recorder
            .record(event_type, with(target.details.clone(), fields))
    };
    if failure.action != Enforcement::Skipped && passes_recorded(ctx) {
        review_required(ctx, target);
    }
    match failure.action {
        Enforcement::Bypass => {
            let recorded = event(
                types::BYPASS_REVIEW,
                json!({
                    "rule": rule,
                    "reason": skip_reason("PILOT_SKIP_REVIEW environment variable"),
                    "bypass_method": format!("{SKIP_REVIEW}=1"),
                    "reviewer": reviewer,
                    "tree": tree,
                }),
            );
            notice::emit(
                Level::Bypass,
                format!(
                    "rule `{rule}` skipped with {SKIP_REVIEW}=1 ({reason}); {}",
                    recorded_as(recorded, types::BYPASS_REVIEW)
                ),
            );
        }
        Enforcement::Audit | Enforcement::Block | Enforcement::BlockRefusingBypass => {
            audit_or_block(&event, rule, reason, failure.action, json!({ "tree": tree }))
        }
        Enforcement::Skipped => {
            let recorded = event(
                types::COMMIT_REVIEW_BYPASSED,
                json!({
                    "rule": rule,
                    "reason": reason,
                    "files_changed": target.paths,
                    "reviewer": reviewer,
                    "bypass_method": "git commit --no-verify",
                    "mode": verdict.mode.as_str(),
                }),
            );
            notice::emit(
                Level::Critical,
                format!(
                    "this commit was not reviewed and skipped the review check; {}",
                    recorded_as(recorded, types::COMMIT_REVIEW_BYPASSED)
                ),
            );
        }
    }
}

fn record_trailer(ctx: &HookContext, target: &Target, verdict: &RuleVerdict, failure: &Failure) {
    let (rule, reason) = (verdict.rule.name(), failure.reason.as_str());
    // What the message names (trailer, agent, model), on every event.
    let named = failure.named.as_ref().map(|n| n.fields()).unwrap_or_default();
    let event = |event_type: &str, fields: Value| {
        let mut details = with(target.details.clone(), fields);
        details.extend(named.clone());
        ctx.recorder.record(event_type, details)
    };
    match failure.action {
        Enforcement::Bypass => {
            let recorded = event(
                types::BYPASS_AGENT_TRAILER,
                json!({
                    "rule": rule,
                    "reason": skip_reason("PILOT_SKIP_AGENT_TRAILER environment variable"),
                    "problem": reason,
                    "bypass_method": format!("{SKIP_AGENT_TRAILER}=1"),
                }),
            );
            notice::emit(
                Level::Bypass,
                format!(
                    "rule `{rule}` skipped with {SKIP_AGENT_TRAILER}=1 ({reason}); {}",
                    recorded_as(recorded, types::BYPASS_AGENT_TRAILER)
                ),
            );
        }
        Enforcement::Audit | Enforcement::Block | Enforcement::BlockRefusingBypass => {
            audit_or_block(&event, rule, reason, failure.action, json!({}))
        }
        Enforcement::Skipped => {
            let recorded = event(
                types::BYPASS_AGENT_TRAILER,
                json!({
                    "rule": rule,
                    "reason": "the commit-msg hook did not run",
                    "problem": reason,
                    "bypass_method": "git commit --no-verify",
                    "mode": verdict.mode.as_str(),
                }),
            );
            notice::warning(format!(
                "{reason} and the check was skipped; {}",
                recorded_as(recorded, types::BYPASS_AGENT_TRAILER)
            ));
        }
    }
}

/// `audit_would_block` (and its notice) or `commit_blocked` for the review
/// and agent-trailer rules; the block message is printed by [`apply`].
fn audit_or_block(
    event: &impl Fn(&str, Value) -> bool,
    rule: &str,
    reason: &str,
    action: Enforcement,
    extra: Value,
) {
    let mut fields = json!({ "rule": rule, "reason": reason });
    if let (Some(fields), Value::Object(extra)) = (fields.as_object_mut(), extra) {
        fields.extend(extra);
    }
    if action == Enforcement::Audit {
        event(types::AUDIT_WOULD_BLOCK, fields);
        notice::emit(
            Level::Audit,
            format!("rule `{rule}` would block this commit: {reason}"),
        );
    } else {
        fields["bypass_refused"] = Value::from(action == Enforcement::BlockRefusingBypass);
        event(types::COMMIT_BLOCKED, fields);
    }
}

/// `violation_detected` for the hits of one rule (at most [`MAX_RECORDED_HITS`]).
fn record_violations(
    ctx: &HookContext,
    target: &Target,
    rule: &crate::config::ContentRule,
    failure: &Failure,
) {
    for hit in failure.hits.iter().take(MAX_RECORDED_HITS) {
        let details = with(
            ctx.base_details(),
            json!({
                "rule": rule.name.get_ref().as_str(),
                "file": hit.file.to_string_lossy(),
                "line": hit.line,
                "severity": rule.severity.as_str(),
                "description": content::description(rule),
                "mode": rule.mode.as_str(),
            }),
        );
        ctx.recorder.record(
            types::VIOLATION_DETECTED,
            with(details, target.violation_extra.clone()),
        );
    }
}

fn record_content(
    ctx: &HookContext,
    target: &Target,
    verdict: &RuleVerdict,
    rule: &crate::config::ContentRule,
    failure: &Failure,
) {
    let name = verdict.rule.name();
    let hits = failure.hits.len();
    let fields =
        json!({ "rule": name, "reason": failure.reason, "hits": hits, "mode": verdict.mode.as_str() });
    let event = |event_type: &str, fields: Value| {
        ctx.recorder
            .record(event_type, with(target.details.clone(), fields))
    };
    match failure.action {
        Enforcement::Audit => {
            event(types::AUDIT_WOULD_BLOCK, fields);
            notice::emit(
                Level::Audit,
                format!("rule `{name}` would block this commit: {}", failure.reason),
            );
            for line in &failure.context {
                notice::detail(line);
            }
        }
        Enforcement::Skipped => {
            let recorded = event(
                types::BYPASS_CONTENT_RULE,
                json!({
                    "rule": name,
                    "hits": hits,
                    "severity": rule.severity.as_str(),
                    "bypass_method": "git commit --no-verify",
                    "mode": verdict.mode.as_str(),
                }),
            );
            notice::warning(format!(
                "{hits} added line(s) break rule `{name}` and skipped its check; {}",
                recorded_as(recorded, types::BYPASS_CONTENT_RULE)
            ));
        }
        Enforcement::Block | Enforcement::BlockRefusingBypass | Enforcement::Bypass => {
            event(types::COMMIT_BLOCKED, fields);
        }
    }
}
