//! The message a blocked commit prints: which rule and why, the exact
//! commands that fix it, and the escape hatch with how it is recorded.
//! Written for a person and for an agent reading stderr alike.

use std::fmt::Write;

use crate::event::types;
use crate::judge::{Escape, Failure, Outcome, Rule, RuleVerdict};

/// One rule's block: its failure, and the event a skip is recorded as.
#[derive(Debug, Clone)]
pub struct Block<'a> {
    pub rule: &'a str,
    pub failure: &'a Failure,
    pub bypass_event: &'static str,
}

impl<'a> Block<'a> {
    /// The block of a verdict that stops the commit.
    pub fn of(verdict: &'a RuleVerdict) -> Option<Block<'a>> {
        let Outcome::Failed(failure) = &verdict.outcome else {
            return None;
        };
        verdict.blocks().then(|| Block {
            rule: verdict.rule.name(),
            failure,
            bypass_event: bypass_event(&verdict.rule),
        })
    }

    pub fn render(&self) -> String {
        let failure = self.failure;
        let mut out = format!(
            "enforce: commit blocked by rule `{}`: {}\n",
            self.rule, failure.reason
        );
        for line in &failure.context {
            let _ = writeln!(out, "  {line}");
        }
        out.push_str("  fix:\n");
        for line in &failure.fix {
            let _ = writeln!(out, "    {line}");
        }
        let event = self.bypass_event;
        let escape = match &failure.escape {
            Escape::Variable { variable } => {
                format!("{variable}=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `{event}`)")
            }
            Escape::Required { variable } => {
                format!("none: `{}` is required, so {variable} is ignored", self.rule)
            }
            Escape::NoVerify => format!(
                "none that is silent: `git commit --no-verify` skips every check and is recorded as `{event}`"
            ),
            Escape::Refused => {
                "none: no variable lets a message name a reviewer who did not approve it".to_string()
            }
        };
        let _ = writeln!(out, "  escape hatch: {escape}");
        out
    }
}

/// The event a skip of `rule` is recorded as.
fn bypass_event(rule: &Rule) -> &'static str {
    match rule {
        Rule::Review | Rule::ReviewTrailer => types::BYPASS_REVIEW,
        Rule::AgentTrailer => types::BYPASS_AGENT_TRAILER,
        Rule::Content(_) => types::BYPASS_CONTENT_RULE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_order() {
        let failure = Failure {
            reason: "the staged changes have not been reviewed".into(),
            action: crate::rules::Enforcement::Block,
            hits: Vec::new(),
            context: vec!["staged: 1 file".into()],
            fix: vec!["enforce review approve".into()],
            escape: Escape::Variable {
                variable: "PILOT_SKIP_REVIEW",
            },
            named: None,
        };
        let block = Block {
            rule: "review",
            failure: &failure,
            bypass_event: "bypass_review",
        };
        assert_eq!(
            block.render(),
            "enforce: commit blocked by rule `review`: the staged changes have not been reviewed\n  staged: 1 file\n  fix:\n    enforce review approve\n  escape hatch: PILOT_SKIP_REVIEW=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_review`)\n"
        );
    }
}
