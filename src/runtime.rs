//! The agent runtime a process runs under, read from its environment.
//!
//! Coding agents set variables of their own in the environment of the
//! shell commands they run, and git passes that environment to its hooks:
//! so a hook can tell which agent (if any) ran `git commit`, whatever the
//! commit message says. Every event enforce writes carries what was found
//! (`agent_runtime`), and post-commit compares it with the agent the
//! commit's trailer names (`agent_mismatch`).
//!
//! Only variables an agent sets for its child processes count, never
//! those a user sets to configure one (API keys, config paths): those are
//! in a human's shell too. docs/events.md lists each variable and where
//! its vendor documents it. An agent can unset its variables before
//! committing, so the absence of one proves nothing: this is a telltale,
//! not a guarantee (docs/trust.md).

use std::sync::OnceLock;

/// A known agent runtime and how to recognise it.
#[derive(Debug, PartialEq, Eq)]
pub struct Runtime {
    /// The stable id events carry (`claude-code`).
    pub id: &'static str,
    /// The product's name.
    pub name: &'static str,
    /// Variables it sets for the commands it runs, with the value each
    /// must have (`None`: any non-empty value).
    variables: &'static [(&'static str, Option<&'static str>)],
    /// Words that, in a trailer's agent name, mean this runtime
    /// (compared without case, spaces or punctuation).
    aliases: &'static [&'static str],
}

/// The runtimes enforce recognises, checked in this order: the most
/// specific marker first, since agents inherit each other's (Amp also sets
/// `CLAUDECODE=1`; a session started inside OpenCode inherits
/// `OPENCODE=1`). docs/events.md says where each variable is documented.
pub const KNOWN: &[Runtime] = &[
    Runtime {
        id: "amp",
        name: "Amp",
        variables: &[("AGENT", Some("amp"))],
        aliases: &["amp"],
    },
    Runtime {
        id: "goose",
        name: "goose",
        variables: &[("AGENT", Some("goose")), ("GOOSE_TERMINAL", Some("1"))],
        aliases: &["goose"],
    },
    Runtime {
        id: "claude-code",
        name: "Claude Code",
        variables: &[("CLAUDECODE", Some("1"))],
        aliases: &["claude"],
    },
    Runtime {
        id: "codex",
        name: "OpenAI Codex CLI",
        variables: &[
            ("CODEX_THREAD_ID", None),
            ("CODEX_SANDBOX", None),
            ("CODEX_SANDBOX_NETWORK_DISABLED", Some("1")),
        ],
        aliases: &["codex"],
    },
    Runtime {
        id: "cursor",
        name: "Cursor",
        variables: &[("CURSOR_AGENT", Some("1"))],
        aliases: &["cursor"],
    },
    Runtime {
        id: "copilot",
        name: "GitHub Copilot",
        variables: &[
            ("COPILOT_CLI", Some("1")),
            ("COPILOT_AGENT", Some("1")),
            ("AI_AGENT", Some("github_copilot_vscode_agent")),
        ],
        aliases: &["copilot"],
    },
    Runtime {
        id: "gemini-cli",
        name: "Gemini CLI",
        variables: &[("GEMINI_CLI", Some("1"))],
        aliases: &["gemini"],
    },
    Runtime {
        id: "qwen-code",
        name: "Qwen Code",
        variables: &[("QWEN_CODE", Some("1"))],
        aliases: &["qwen"],
    },
    Runtime {
        id: "cline",
        name: "Cline",
        variables: &[("CLINE_ACTIVE", Some("true"))],
        aliases: &["cline"],
    },
    Runtime {
        id: "augment",
        name: "Augment (Auggie)",
        variables: &[("AUGMENT_AGENT", Some("1"))],
        aliases: &["augment", "auggie"],
    },
    Runtime {
        id: "kiro",
        name: "Kiro",
        variables: &[("KIRO_SESSION_ID", None)],
        aliases: &["kiro"],
    },
    Runtime {
        id: "opencode",
        name: "OpenCode",
        variables: &[("OPENCODE", Some("1"))],
        aliases: &["opencode"],
    },
];

impl Runtime {
    /// Whether `agent`, as a trailer names it (`Claude Code`,
    /// `claude-opus-4`, `codex/gpt-5`), means this runtime.
    pub fn is_named_by(&self, agent: &str) -> bool {
        let agent = normalise(agent);
        self.aliases.iter().any(|alias| agent.contains(alias)) || agent.contains(&normalise(self.id))
    }

    /// The variable that gave it away, as `NAME=value`.
    fn found_in(&self, env: &impl Fn(&str) -> Option<String>) -> Option<String> {
        self.variables.iter().find_map(|(name, wanted)| {
            let value = env(name).filter(|v| !v.is_empty())?;
            match wanted {
                Some(wanted) if value.trim() != *wanted => None,
                _ => Some(format!("{name}={value}")),
            }
        })
    }
}

/// Lower case, letters and digits only.
fn normalise(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The runtime found, and the variable that showed it.
#[derive(Debug, PartialEq, Eq)]
pub struct Detected {
    pub runtime: &'static Runtime,
    pub variable: String,
}

/// The runtime this process runs under, read once.
pub fn detect() -> Option<&'static Detected> {
    static DETECTED: OnceLock<Option<Detected>> = OnceLock::new();
    DETECTED
        .get_or_init(|| detect_in(&|name| std::env::var(name).ok()))
        .as_ref()
}

/// The first known runtime `env` shows.
pub fn detect_in(env: &impl Fn(&str) -> Option<String>) -> Option<Detected> {
    KNOWN.iter().find_map(|runtime| {
        runtime
            .found_in(env)
            .map(|variable| Detected { runtime, variable })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }

    fn by_id(id: &str) -> &'static Runtime {
        KNOWN.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn the_most_specific_marker_wins() {
        // Amp sets CLAUDECODE=1 too; OpenCode's marker is inherited.
        let amp = detect_in(&env(&[("CLAUDECODE", "1"), ("AGENT", "amp")])).unwrap();
        assert_eq!(amp.runtime.id, "amp");
        let claude = detect_in(&env(&[("OPENCODE", "1"), ("CLAUDECODE", "1")])).unwrap();
        assert_eq!(claude.runtime.id, "claude-code");
    }

    #[test]
    fn finds_the_runtime_by_its_own_variable() {
        let found = detect_in(&env(&[("PATH", "/bin"), ("CLAUDECODE", "1")])).unwrap();
        assert_eq!(found.runtime.id, "claude-code");
        assert_eq!(found.variable, "CLAUDECODE=1");
        assert_eq!(
            detect_in(&env(&[("GEMINI_CLI", "1")])).unwrap().runtime.id,
            "gemini-cli"
        );
        assert_eq!(
            detect_in(&env(&[("CODEX_SANDBOX", "seatbelt")]))
                .unwrap()
                .runtime
                .id,
            "codex"
        );
    }

    #[test]
    fn a_wrong_or_empty_value_is_no_runtime() {
        assert_eq!(detect_in(&env(&[("CLAUDECODE", "0")])), None);
        assert_eq!(detect_in(&env(&[("CODEX_SANDBOX", "")])), None);
        assert_eq!(detect_in(&env(&[])), None);
    }

    #[test]
    fn trailer_names_are_matched_loosely() {
        let claude = by_id("claude-code");
        for named in ["Claude Code", "claude-opus-4", "CLAUDE", "claude-code/1.0"] {
            assert!(claude.is_named_by(named), "{named}");
        }
        for other in ["Codex", "gpt-5", "cursor", ""] {
            assert!(!claude.is_named_by(other), "{other}");
        }
        assert!(by_id("codex").is_named_by("codex-cli"));
        assert!(by_id("gemini-cli").is_named_by("Gemini CLI"));
    }
}
