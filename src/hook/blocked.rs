//! The message a blocked commit prints: which rule and why, the exact
//! commands that fix it, and the escape hatch with how it is recorded.
//! Written for a person and for an agent reading stderr alike.

use std::fmt::Write;

/// How a blocked rule can be skipped.
#[derive(Debug, Clone)]
pub enum Escape {
    /// An environment variable skips it; the skip is recorded as `event`.
    Variable {
        variable: &'static str,
        event: &'static str,
    },
    /// The rule is required: its variable is ignored.
    Required { variable: &'static str },
    /// Only `git commit --no-verify`, recorded after the fact as `event`.
    NoVerify { event: &'static str },
}

/// One rule's block.
#[derive(Debug, Clone)]
pub struct Block {
    pub rule: String,
    pub reason: String,
    /// Lines that say more (the hits of a content rule, the staged files).
    pub context: Vec<String>,
    /// What to do, one command or step a line.
    pub fix: Vec<String>,
    pub escape: Escape,
}

impl Block {
    pub fn render(&self) -> String {
        let mut out = format!(
            "enforce: commit blocked by rule `{}`: {}\n",
            self.rule, self.reason
        );
        for line in &self.context {
            let _ = writeln!(out, "  {line}");
        }
        out.push_str("  fix:\n");
        for line in &self.fix {
            let _ = writeln!(out, "    {line}");
        }
        let escape = match &self.escape {
            Escape::Variable { variable, event } => {
                format!("{variable}=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `{event}`)")
            }
            Escape::Required { variable } => {
                format!("none: `{}` is required, so {variable} is ignored", self.rule)
            }
            Escape::NoVerify { event } => format!(
                "none that is silent: `git commit --no-verify` skips every check and is recorded as `{event}`"
            ),
        };
        let _ = writeln!(out, "  escape hatch: {escape}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_order() {
        let block = Block {
            rule: "review".into(),
            reason: "the staged changes have not been reviewed".into(),
            context: vec!["staged: 1 file".into()],
            fix: vec!["enforce review approve".into()],
            escape: Escape::Variable {
                variable: "PILOT_SKIP_REVIEW",
                event: "bypass_review",
            },
        };
        assert_eq!(
            block.render(),
            "enforce: commit blocked by rule `review`: the staged changes have not been reviewed\n  staged: 1 file\n  fix:\n    enforce review approve\n  escape hatch: PILOT_SKIP_REVIEW=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_review`)\n"
        );
    }
}
