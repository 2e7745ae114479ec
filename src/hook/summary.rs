//! `hook_summary`: one event per hook run with every rule it evaluated.
//!
//! A lead who wants to know what the hooks did, and what they cost, reads
//! one line per hook instead of piecing it together from the events of the
//! rules that failed: the hook, the operation, each rule with its mode,
//! outcome and time, the counts, the hook's own time and what it decided.
//! With `[telemetry] detail = "summary"` it is also the only record of the
//! rules that passed (see [`crate::config::Detail`]).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::HookName;
use super::context::HookContext;
use crate::event::types;
use crate::judge::{Outcome, RuleVerdict, Verdict};

/// When enforce's part of the hook began (after any chained hook).
static STARTED: OnceLock<Instant> = OnceLock::new();

/// Marks the start of enforce's own work in this hook run.
pub fn start() {
    STARTED.get_or_init(Instant::now);
}

/// What a hook run evaluated, gathered as it goes.
#[derive(Debug, Default)]
pub struct Summary {
    rules: Vec<Value>,
    counts: Counts,
    /// Whether a rule was skipped with its escape hatch or after the fact.
    bypassed: bool,
    audited: bool,
    scan: Duration,
}

#[derive(Debug, Default)]
struct Counts {
    passed: u64,
    denied: u64,
    skipped: u64,
    audit_only: u64,
}

impl Summary {
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Adds every rule of `verdict`; `extra` is time spent gathering the
    /// review rule's facts (the approval and its signature), which belongs
    /// to that rule.
    pub fn add(&mut self, verdict: &Verdict, review_facts: Duration) {
        self.scan += verdict.scan;
        for rule in &verdict.rules {
            let mut elapsed = rule.elapsed;
            if matches!(rule.rule, crate::judge::Rule::Review) {
                elapsed += review_facts;
            }
            self.add_rule(rule, elapsed);
        }
    }

    fn add_rule(&mut self, rule: &RuleVerdict, elapsed: Duration) {
        let outcome = rule.outcome_name();
        match outcome {
            "approved" | "passed" => self.counts.passed += 1,
            "blocked" => self.counts.denied += 1,
            "audit" => {
                self.counts.audit_only += 1;
                self.audited = true;
            }
            "bypassed" | "skipped" => {
                self.counts.skipped += 1;
                self.bypassed = true;
            }
            _ => self.counts.skipped += 1,
        }
        let mut entry = json!({
            "rule": rule.rule.name(),
            "mode": rule.mode.as_str(),
            "outcome": outcome,
            "duration_ms": millis(elapsed),
        });
        if let Outcome::Failed(failure) = &rule.outcome
            && !failure.hits.is_empty()
        {
            entry["hits"] = Value::from(failure.hits.len());
        }
        self.rules.push(entry);
    }

    /// The final action: `blocked` when the hook stops the commit, else
    /// `bypassed` when a rule was skipped, `audited` when one in audit
    /// mode failed, `allowed` otherwise.
    fn action(&self, blocked: bool) -> &'static str {
        if blocked {
            "blocked"
        } else if self.bypassed {
            "bypassed"
        } else if self.audited {
            "audited"
        } else {
            "allowed"
        }
    }

    /// Records the summary of hook `hook` doing `operation`. Called once,
    /// at the end of the hook, before the log head is published, so the
    /// anchor covers it.
    pub fn record(self, ctx: &HookContext, hook: HookName, operation: &str, blocked: bool) {
        self.record_with(ctx, hook, operation, blocked, Map::new());
    }

    /// [`Summary::record`] with `extra` fields (post-commit's commit, the
    /// hooks it found skipped).
    pub fn record_with(
        self,
        ctx: &HookContext,
        hook: HookName,
        operation: &str,
        blocked: bool,
        extra: Map<String, Value>,
    ) {
        let elapsed = STARTED.get().map(Instant::elapsed).unwrap_or_default();
        let action = self.action(blocked);
        let mut details = ctx.base_details();
        details.extend(extra);
        details.extend(
            json!({
                "hook": hook.as_str(),
                "operation": operation,
                "rules": self.rules,
                "passed": self.counts.passed,
                "denied": self.counts.denied,
                "skipped": self.counts.skipped,
                "audit_only": self.counts.audit_only,
                "scan_ms": millis(self.scan),
                "duration_ms": millis(elapsed),
                "action": action,
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        ctx.recorder.record(types::HOOK_SUMMARY, details);
    }
}

/// A duration in milliseconds, to the microsecond.
fn millis(d: Duration) -> f64 {
    (d.as_micros() as f64) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(millis(Duration::from_micros(1234)), 1.234);
        assert_eq!(millis(Duration::ZERO), 0.0);
    }

    #[test]
    fn the_action_names_the_strongest_outcome() {
        let mut summary = Summary::new();
        assert_eq!(summary.action(false), "allowed");
        summary.audited = true;
        assert_eq!(summary.action(false), "audited");
        summary.bypassed = true;
        assert_eq!(summary.action(false), "bypassed");
        assert_eq!(summary.action(true), "blocked");
    }
}
