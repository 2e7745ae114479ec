//! What a failed rule tells the committer: the lines that say more, the
//! exact steps that fix it, and how it can be skipped. Pure text, so the
//! same words reach a person and an agent wherever the rule is judged.

use std::path::Path;

use super::Facts;
use crate::config::{AgentTrailer, ContentRule, Review};
use crate::git::quote_path;
use crate::rules::agent_trailer::Problem;
use crate::rules::content::{self, Hit};
use crate::rules::{Enforcement, SKIP_AGENT_TRAILER, SKIP_REVIEW};

/// How many hit lines a message shows.
const SHOWN_HITS: usize = 50;
/// How many staged paths a message names.
const SHOWN_FILES: usize = 5;

/// How a failed rule can be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// This environment variable skips it; the skip is recorded.
    Variable { variable: &'static str },
    /// The rule is required: its variable is ignored.
    Required { variable: &'static str },
    /// Only `git commit --no-verify`, recorded after the fact.
    NoVerify,
    /// None: no variable licenses what the rule refuses.
    Refused,
}

/// The escape of a rule with skip variable `variable`.
pub fn escape(required: bool, variable: &'static str) -> Escape {
    if required {
        Escape::Required { variable }
    } else {
        Escape::Variable { variable }
    }
}

/// The staged files, and why a skip was refused.
pub fn review_context(facts: &Facts, action: Enforcement) -> Vec<String> {
    let shown: Vec<String> = facts
        .paths
        .iter()
        .take(SHOWN_FILES)
        .map(|p| quote_path(p))
        .collect();
    let count = facts.paths.len();
    let more = if count > shown.len() {
        format!(", … ({} more)", count - shown.len())
    } else {
        String::new()
    };
    let mut context = vec![format!(
        "staged: {count} file(s), tree {}: {}{more}",
        crate::git::short_id(facts.tree),
        shown.join(", ")
    )];
    if action == Enforcement::BlockRefusingBypass {
        context.push(format!(
            "{SKIP_REVIEW}=1 was refused: the rule is required (`required = true` in [review])"
        ));
    }
    context
}

/// How to get an approval for what is staged.
pub fn review(config: &Review) -> Vec<String> {
    let mut fix = Vec::new();
    match &config.command {
        Some(command) => fix.push(format!("run the reviewer: {command}")),
        None => fix.push("review what is staged: git diff --cached".to_string()),
    }
    if config.require_signature {
        fix.push(
            "have a reviewer sign exactly what is staged: enforce review approve --key PATH, or enforce review payload --reviewer NAME and approve --signature FILE (docs/review.md)"
                .to_string(),
        );
    } else {
        fix.push(format!(
            "approve exactly what is staged: enforce review approve --reviewer {}",
            sh_word(config.reviewer.as_str())
        ));
    }
    fix.push("commit again (restaging anything after approval needs a new approval)".into());
    fix
}

/// The allowed agents, and why a skip was refused.
pub fn trailer_context(problem: &Problem, config: &AgentTrailer, action: Enforcement) -> Vec<String> {
    let mut context = Vec::new();
    if let Problem::Unknown { .. } = problem {
        context.push(format!("allowed agents: {}", config.allowed_agents.join(", ")));
    }
    if action == Enforcement::BlockRefusingBypass {
        context.push(format!(
            "{SKIP_AGENT_TRAILER}=1 was refused: the rule is required (`required = true` in [agent_trailer])"
        ));
    }
    context
}

/// How to name the agent; with the message file, how to reuse the message.
pub fn trailer(config: &AgentTrailer, file: Option<&Path>) -> Vec<String> {
    let (key, value) = crate::rules::agent_trailer::example(config);
    let mut fix = vec![format!(
        "end the message with a blank line and this trailer: {key}: {value}"
    )];
    if let Some(file) = file {
        fix.push(format!(
            "to reuse the message you wrote: git -c trailer.ifexists=replace commit --cleanup=strip -F {} --trailer \"{key}: {value}\"",
            sh_word(&file.to_string_lossy())
        ));
    }
    fix
}

/// The fix of a content rule.
pub fn content() -> Vec<String> {
    vec!["change or remove those lines, stage the result with `git add`, and commit again".into()]
}

/// `file:line: rule: message` lines (at most [`SHOWN_HITS`]).
pub fn hit_lines(rule: &ContentRule, hits: &[Hit]) -> Vec<String> {
    let description = content::description(rule);
    let name = rule.name.get_ref().as_str();
    let mut lines: Vec<String> = hits
        .iter()
        .take(SHOWN_HITS)
        .map(|h| format!("{}:{}: {name}: {description}", quote_path(&h.file), h.line))
        .collect();
    if hits.len() > SHOWN_HITS {
        lines.push(format!("… and {} more", hits.len() - SHOWN_HITS));
    }
    lines
}

/// Quotes a word for a shell command line when it needs it.
pub fn sh_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@' | ':' | '+' | ','))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
