//! The agent-trailer rule: the commit message names the agent that made it,
//! in a trailer git itself recognises.

use super::{Enforcement, enforcement};
use crate::config::{AgentTrailer, MergePolicy, Mode};
use crate::git::trailers::Trailers;

/// The rule's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Off,
    MergeExempt,
    /// The agent is named: the trailer key as configured and the agent.
    Named {
        key: String,
        agent: String,
    },
    /// Something is wrong with the trailer; this is what happens.
    Problem {
        problem: Problem,
        action: Enforcement,
    },
}

/// What is wrong with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No configured trailer (matching its pattern) is present.
    Missing,
    /// The trailer is there but empty.
    Empty { key: String },
    /// The agent named is not in the allowed list.
    Unknown { agent: String },
}

impl Problem {
    /// One line saying what is wrong, for messages and events.
    pub fn reason(&self, config: &AgentTrailer) -> String {
        match self {
            Problem::Missing => format!("the commit message has no {} trailer", keys_phrase(config)),
            Problem::Empty { key } => format!("the `{key}:` trailer is empty"),
            Problem::Unknown { agent } => format!(
                "`{agent}` is not a known agent (known: {})",
                config.allowed_agents.join(", ")
            ),
        }
    }
}

/// "`Agent:`" or "`Agent:` or `Co-Authored-By:`".
pub fn keys_phrase(config: &AgentTrailer) -> String {
    let keys: Vec<String> = config
        .trailers
        .iter()
        .map(|t| format!("`{}:`", t.key.as_str()))
        .collect();
    keys.join(" or ")
}

/// The agent a message names, by the configured keys in order: the first
/// trailer whose key matches (case-insensitively) and whose value matches
/// the key's pattern. `None` when there is none; `Some` with an empty agent
/// when the trailer is empty.
pub fn named_agent(trailers: &Trailers, config: &AgentTrailer) -> Option<(String, String)> {
    for accepted in &config.trailers {
        for trailer in trailers
            .items
            .iter()
            .filter(|t| t.key.eq_ignore_ascii_case(accepted.key.as_str()))
        {
            let value = trailer.value.trim();
            let matches = accepted
                .pattern
                .as_ref()
                .is_none_or(|p| p.regex().is_some_and(|r| r.is_match(value.as_bytes())));
            if matches || value.is_empty() {
                return Some((accepted.key.as_str().to_string(), agent_name(value)));
            }
        }
    }
    None
}

/// The agent's name from a trailer value: `Claude <noreply@x>` → `Claude`.
fn agent_name(value: &str) -> String {
    match value.rfind('<') {
        Some(i) if value.ends_with('>') && i > 0 => value[..i].trim().to_string(),
        _ => value.trim().to_string(),
    }
}

/// Applies the rule to a message's trailers.
pub fn decide(trailers: &Trailers, merging: bool, skip: bool, config: &AgentTrailer) -> Decision {
    if config.mode == Mode::Off {
        return Decision::Off;
    }
    if merging && config.merges == MergePolicy::Exempt {
        return Decision::MergeExempt;
    }
    let problem = match named_agent(trailers, config) {
        None => Problem::Missing,
        Some((key, agent)) if agent.is_empty() => Problem::Empty { key },
        Some((key, agent)) => {
            let allowed = config.allowed_agents.is_empty()
                || config
                    .allowed_agents
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&agent));
            if allowed {
                return Decision::Named { key, agent };
            }
            Problem::Unknown { agent }
        }
    };
    Decision::Problem {
        problem,
        action: enforcement(config.mode, skip, config.required),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AgentKey, Pattern, TrailerKey};
    use crate::git::trailers::parse;

    fn run(message: &str, config: &AgentTrailer) -> Decision {
        decide(&parse(message, &Default::default()), false, false, config)
    }

    #[test]
    fn default_needs_an_agent_trailer() {
        let config = AgentTrailer::default();
        assert_eq!(
            run("s\n\nAgent: claude-code\n", &config),
            Decision::Named {
                key: "Agent".into(),
                agent: "claude-code".into()
            }
        );
        assert_eq!(
            run("s\n\nagent: x\n", &config),
            Decision::Named {
                key: "Agent".into(),
                agent: "x".into()
            },
            "keys compare case-insensitively"
        );
        assert!(matches!(
            run("s\n\nAgent: claude\nmore text\n", &config),
            Decision::Problem {
                problem: Problem::Missing,
                ..
            }
        ));
        assert!(matches!(
            run("s\n\nAgent:\n", &config),
            Decision::Problem {
                problem: Problem::Empty { .. },
                ..
            }
        ));
        assert_eq!(
            decide(
                &parse("Merge branch 'x'\n", &Default::default()),
                true,
                false,
                &config
            ),
            Decision::MergeExempt
        );
    }

    #[test]
    fn other_keys_patterns_and_allowed_agents() {
        let config = AgentTrailer {
            trailers: vec![
                AgentKey {
                    key: TrailerKey::new("Agent").unwrap(),
                    pattern: None,
                },
                AgentKey {
                    key: TrailerKey::new("Co-Authored-By").unwrap(),
                    pattern: Some(Pattern::new("(?i)claude|codex").unwrap()),
                },
            ],
            allowed_agents: vec!["Claude".into(), "codex".into()],
            ..AgentTrailer::default()
        };
        assert_eq!(
            run("s\n\nCo-authored-by: Claude <noreply@example.com>\n", &config),
            Decision::Named {
                key: "Co-Authored-By".into(),
                agent: "Claude".into()
            }
        );
        assert!(matches!(
            run("s\n\nCo-authored-by: Jane Doe <jane@example.com>\n", &config),
            Decision::Problem {
                problem: Problem::Missing,
                ..
            }
        ));
        match run("s\n\nAgent: rogue-bot\n", &config) {
            Decision::Problem {
                problem: Problem::Unknown { agent },
                action,
            } => {
                assert_eq!(agent, "rogue-bot");
                assert_eq!(action, Enforcement::Block);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Problem::Unknown { agent: "x".into() }.reason(&config),
            "`x` is not a known agent (known: Claude, codex)"
        );
        assert_eq!(
            Problem::Missing.reason(&config),
            "the commit message has no `Agent:` or `Co-Authored-By:` trailer"
        );
    }
}
