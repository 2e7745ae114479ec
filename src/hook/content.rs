//! Running the content rules over a diff and recording their hits; shared
//! by pre-commit (which blocks) and post-commit (which catches commits that
//! skipped pre-commit).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::context::{HookContext, with};
use crate::config::{ContentRule, Mode};
use crate::error::Result;
use crate::event::types;
use crate::rules::content::{self, Hit};

/// How many `violation_detected` events one rule records per commit; the
/// block message and `commit_blocked` still count every hit.
pub const MAX_RECORDED_HITS: usize = 100;

/// The hits of one content rule in one commit.
pub struct RuleHits<'a> {
    pub rule: &'a ContentRule,
    pub hits: Vec<Hit>,
}

/// What the content rules found between two trees.
pub struct Scan<'a> {
    pub by_rule: Vec<RuleHits<'a>>,
    pub binary: u64,
    pub oversized: usize,
}

/// Whether any content rule is on.
pub fn any_active(ctx: &HookContext) -> bool {
    ctx.config.rules.content.iter().any(|r| r.mode != Mode::Off)
}

/// Scans the lines added between `base` and `tree`.
pub fn scan<'a>(ctx: &'a HookContext, base: &str, tree: &str) -> Result<Scan<'a>> {
    let patch = ctx.git.added_lines(base, tree, ctx.config.rules.max_file_bytes)?;
    Ok(scan_patch(ctx, &patch))
}

/// Scans the added lines of `patch`.
pub fn scan_patch<'a>(ctx: &'a HookContext, patch: &crate::git::Patch) -> Scan<'a> {
    let rules = &ctx.config.rules.content;
    let mut grouped: BTreeMap<usize, Vec<Hit>> = BTreeMap::new();
    for hit in content::scan(patch, rules) {
        grouped.entry(hit.rule).or_default().push(hit);
    }
    Scan {
        by_rule: grouped
            .into_iter()
            .map(|(i, hits)| RuleHits {
                rule: &rules[i],
                hits,
            })
            .collect(),
        binary: patch.binary,
        oversized: patch.oversized.len(),
    }
}

/// Records `violation_detected` for the hits of one rule (at most
/// [`MAX_RECORDED_HITS`]), with `extra` fields merged in.
pub fn record_violations(ctx: &HookContext, found: &RuleHits, extra: &Value) {
    let rule = found.rule;
    for hit in found.hits.iter().take(MAX_RECORDED_HITS) {
        let details = with(
            ctx.base_details(),
            json!({
                "rule": rule.name.get_ref().as_str(),
                "file": hit.file.to_string_lossy(),
                "line": hit.line,
                "severity": rule.severity.as_str(),
                "description": content::description(rule),
                "mode": mode_name(rule.mode),
            }),
        );
        ctx.recorder
            .record(types::VIOLATION_DETECTED, with(details, extra.clone()));
    }
}

/// `file:line: rule: message` lines for a block message (at most 50).
pub fn hit_lines(found: &RuleHits) -> Vec<String> {
    let description = content::description(found.rule);
    let mut lines: Vec<String> = found
        .hits
        .iter()
        .take(50)
        .map(|h| {
            format!(
                "{}:{}: {}: {}",
                h.file.to_string_lossy(),
                h.line,
                found.rule.name.get_ref().as_str(),
                description
            )
        })
        .collect();
    if found.hits.len() > 50 {
        lines.push(format!("… and {} more", found.hits.len() - 50));
    }
    lines
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Enforce => "enforce",
        Mode::Audit => "audit",
        Mode::Off => "off",
    }
}
