//! The agent-trailer rule: the commit message names the agent that made it,
//! in a trailer git itself recognises.
//!
//! The trailers that count are the configured `trailers` (`Agent:` by
//! default), then the `presets`: the attribution trailers agent tools and
//! projects already write (the Linux kernel's `Assisted-by:`,
//! `Co-authored-by:` of a known agent, `Generated-by:`). Each is read into
//! a [`NamedAgent`]: which trailer, which agent, and which model when the
//! trailer says.

use serde_json::{Map, Value};

use super::{Enforcement, enforcement};
use crate::config::{AgentTrailer, MergePolicy, Mode, Preset};
use crate::git::trailers::Trailers;

/// What a message names as the agent that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAgent {
    /// The key of the trailer that names it: as configured in `trailers`
    /// (`Agent`), or as the preset spells it (`Assisted-by`).
    pub trailer: String,
    /// The agent: for a configured key the value without a trailing
    /// `<email>`; for a preset what it names (`AGENT` of `AGENT:MODEL`,
    /// the tool of a known co-author identity, e.g. `claude-code`). Empty
    /// when the trailer is.
    pub agent: String,
    /// The model, when the trailer names one.
    pub model: Option<String>,
}

impl NamedAgent {
    /// The fields events carry for it: `trailer`, and `agent` and `model`
    /// when known.
    pub fn fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        if !self.agent.is_empty() {
            fields.insert("agent".into(), Value::from(self.agent.as_str()));
        }
        if let Some(model) = &self.model {
            fields.insert("model".into(), Value::from(model.as_str()));
        }
        fields.insert("trailer".into(), Value::from(self.trailer.as_str()));
        fields
    }
}

/// The rule's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Off,
    MergeExempt,
    /// The agent is named, and allowed.
    Named(NamedAgent),
    /// Something is wrong with the trailer; this is what happens.
    Problem {
        problem: Problem,
        action: Enforcement,
    },
}

/// What is wrong with the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No trailer that counts (configured, matching its pattern, or a
    /// preset's that names an agent) is present.
    Missing,
    /// The trailer is there but empty.
    Empty { key: String },
    /// The agent named is not in the allowed list.
    Unknown { named: NamedAgent },
}

impl Problem {
    /// One line saying what is wrong, for messages and events.
    pub fn reason(&self, config: &AgentTrailer) -> String {
        match self {
            Problem::Missing => format!("the commit message has no {} trailer", keys_phrase(config)),
            Problem::Empty { key } => format!("the `{key}:` trailer is empty"),
            Problem::Unknown { named } => format!(
                "`{}` is not a known agent (known: {})",
                named.agent,
                config.allowed_agents.join(", ")
            ),
        }
    }

    /// What the message names, as far as it does.
    pub fn named(&self) -> Option<NamedAgent> {
        match self {
            Problem::Missing => None,
            Problem::Empty { key } => Some(NamedAgent {
                trailer: key.clone(),
                agent: String::new(),
                model: None,
            }),
            Problem::Unknown { named } => Some(named.clone()),
        }
    }
}

/// "`Agent:`" or "`Agent:` or `Assisted-by: AGENT:MODEL`".
pub fn keys_phrase(config: &AgentTrailer) -> String {
    let keys: Vec<String> = config
        .trailers
        .iter()
        .map(|t| format!("`{}:`", t.key.as_str()))
        .chain(config.presets.iter().map(|p| match p {
            Preset::Assisted => "`Assisted-by: AGENT:MODEL`".to_string(),
            Preset::CoAuthored => "`Co-authored-by:` naming a known agent".to_string(),
            Preset::Generated => "`Generated-by:`".to_string(),
        }))
        .collect();
    keys.join(" or ")
}

/// The trailer a block message suggests: the first configured key, else
/// the first preset, with the first allowed agent as its value.
pub fn example(config: &AgentTrailer) -> (String, String) {
    let agent = config.allowed_agents.first().map(String::as_str);
    if let Some(first) = config.trailers.first() {
        return (
            first.key.as_str().to_string(),
            agent.unwrap_or("<agent name>").to_string(),
        );
    }
    let preset = [Preset::Assisted, Preset::Generated, Preset::CoAuthored]
        .into_iter()
        .find(|p| config.presets.contains(p));
    let value = match preset {
        Some(Preset::Assisted) => format!("{}:<model>", agent.unwrap_or("<agent name>")),
        Some(Preset::CoAuthored) => "<name> <the address your agent writes, see docs/rules.md>".to_string(),
        _ => agent.unwrap_or("<agent name>").to_string(),
    };
    (preset.unwrap_or(Preset::Generated).key().to_string(), value)
}

/// The agent a message names, by the configured keys in order, then the
/// presets in order: the first trailer whose key matches
/// (case-insensitively) and whose value counts (matches the key's
/// pattern; names an agent the way the preset reads it). `None` when
/// there is none; `Some` with an empty agent when the trailer is empty.
/// `allowed_agents` is not applied here.
pub fn named_agent(trailers: &Trailers, config: &AgentTrailer) -> Option<NamedAgent> {
    fn with_key<'t>(trailers: &'t Trailers, key: &'t str) -> impl Iterator<Item = &'t str> {
        trailers
            .items
            .iter()
            .filter(move |t| t.key.eq_ignore_ascii_case(key))
            .map(|t| t.value.trim())
    }
    let empty = |key: &str| NamedAgent {
        trailer: key.to_string(),
        agent: String::new(),
        model: None,
    };
    for accepted in &config.trailers {
        let key = accepted.key.as_str();
        for value in with_key(trailers, key) {
            if value.is_empty() {
                return Some(empty(key));
            }
            let matches = accepted
                .pattern
                .as_ref()
                .is_none_or(|p| p.regex().is_some_and(|r| r.is_match(value.as_bytes())));
            if matches {
                return Some(NamedAgent {
                    trailer: key.to_string(),
                    agent: agent_name(value),
                    model: None,
                });
            }
        }
    }
    for preset in &config.presets {
        let key = preset.key();
        for value in with_key(trailers, key) {
            if value.is_empty() {
                return Some(empty(key));
            }
            if let Some((agent, model)) = read_preset(*preset, value) {
                return Some(NamedAgent {
                    trailer: key.to_string(),
                    agent,
                    model,
                });
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

/// The agent and model a preset's trailer value names, or `None` when it
/// names no agent (a person, another form).
fn read_preset(preset: Preset, value: &str) -> Option<(String, Option<String>)> {
    match preset {
        Preset::Assisted => {
            if value.contains(['<', '>']) {
                return None;
            }
            let (agent, model) = agent_and_model(value)?;
            Some((agent, Some(model?)))
        }
        Preset::CoAuthored => known_identity(value),
        Preset::Generated => {
            if value.contains(['<', '>']) {
                return known_identity(value);
            }
            if let Some((agent, model)) = agent_and_model(value) {
                return Some((agent, model));
            }
            // `AGENT (MODEL)`, or the agent alone.
            match value.strip_suffix(')').and_then(|v| v.rsplit_once(" (")) {
                Some((agent, model)) if !agent.trim().is_empty() && !model.trim().is_empty() => {
                    Some((agent.trim().to_string(), Some(model.trim().to_string())))
                }
                _ => Some((value.to_string(), None)),
            }
        }
    }
}

/// The kernel's `AGENT:MODEL [tool1] [tool2]`: the agent before the first
/// `:`, the model the first word after it (tools follow, unrecorded).
/// `None` without a `:` or without an agent; a model only when one is
/// written.
fn agent_and_model(value: &str) -> Option<(String, Option<String>)> {
    let (agent, rest) = value.split_once(':')?;
    let agent = agent.trim();
    if agent.is_empty() {
        return None;
    }
    let model = rest.split_whitespace().next().map(str::to_string);
    Some((agent.to_string(), model))
}

/// The `Name <email>` identities agent tools write as co-author, and the
/// tool each is (docs/rules.md lists where each comes from). Compared by
/// address, case-insensitively; the name gives the model where the tool
/// puts it there.
fn known_identity(value: &str) -> Option<(String, Option<String>)> {
    let open = value.rfind('<')?;
    let email = value
        .strip_suffix('>')?
        .get(open + 1..)?
        .trim()
        .to_ascii_lowercase();
    let name = value[..open].trim();
    let known = |agent: &str, model: Option<String>| Some((agent.to_string(), model));
    match email.as_str() {
        // Claude Code: `Claude <…>`, or the model's name (`Claude Opus 4.7`).
        "noreply@anthropic.com" => {
            let model = (!name.is_empty()
                && !name.eq_ignore_ascii_case("claude")
                && !name.eq_ignore_ascii_case("claude code"))
            .then(|| name.to_string());
            known("claude-code", model)
        }
        // Aider: `aider (<model>)`.
        "aider@aider.chat" | "noreply@aider.chat" => {
            let model = name
                .strip_suffix(')')
                .and_then(|n| n.split_once('('))
                .map(|(_, model)| model.trim().to_string())
                .filter(|m| !m.is_empty());
            known("aider", model)
        }
        "noreply@openai.com" => known("codex", None),
        "cursoragent@cursor.com" => known("cursor", None),
        _ => {
            // GitHub's address for its Copilot account: `<id>+Copilot@users.noreply.github.com`.
            let (id, account) = email.split_once('+')?;
            (!id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && account == "copilot@users.noreply.github.com")
                .then(|| ("copilot".to_string(), None))
        }
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
        Some(named) if named.agent.is_empty() => Problem::Empty { key: named.trailer },
        Some(named) => {
            let allowed = config.allowed_agents.is_empty()
                || config
                    .allowed_agents
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&named.agent));
            if allowed {
                return Decision::Named(named);
            }
            Problem::Unknown { named }
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

    fn named(trailer: &str, agent: &str, model: Option<&str>) -> NamedAgent {
        NamedAgent {
            trailer: trailer.into(),
            agent: agent.into(),
            model: model.map(str::to_string),
        }
    }

    #[test]
    fn default_needs_an_agent_trailer() {
        let config = AgentTrailer::default();
        assert_eq!(
            run("s\n\nAgent: claude-code\n", &config),
            Decision::Named(named("Agent", "claude-code", None))
        );
        assert_eq!(
            run("s\n\nagent: x\n", &config),
            Decision::Named(named("Agent", "x", None)),
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
        // Presets are off by default.
        assert!(matches!(
            run("s\n\nAssisted-by: Claude:claude-3-opus\n", &config),
            Decision::Problem {
                problem: Problem::Missing,
                ..
            }
        ));
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
            Decision::Named(named("Co-Authored-By", "Claude", None))
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
                problem: Problem::Unknown { named },
                action,
            } => {
                assert_eq!(named.agent, "rogue-bot");
                assert_eq!(action, Enforcement::Block);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Problem::Unknown {
                named: named("Agent", "x", None)
            }
            .reason(&config),
            "`x` is not a known agent (known: Claude, codex)"
        );
        assert_eq!(
            Problem::Missing.reason(&config),
            "the commit message has no `Agent:` or `Co-Authored-By:` trailer"
        );
    }

    fn presets_only() -> AgentTrailer {
        AgentTrailer {
            trailers: Vec::new(),
            presets: vec![Preset::Assisted, Preset::CoAuthored, Preset::Generated],
            ..AgentTrailer::default()
        }
    }

    /// What [`named_agent`] reads from `message` under every preset.
    fn read(message: &str) -> Option<NamedAgent> {
        named_agent(&parse(message, &Default::default()), &presets_only())
    }

    #[test]
    fn assisted_by_is_the_kernels_agent_and_model() {
        for (value, agent, model) in [
            (
                "Claude:claude-3-opus coccinelle sparse",
                "Claude",
                "claude-3-opus",
            ),
            (
                "Claude Code:claude-opus-4-7 [sparse] [smatch]",
                "Claude Code",
                "claude-opus-4-7",
            ),
            ("Cursor:cursor-grok-4.5", "Cursor", "cursor-grok-4.5"),
            ("aider : gpt-4o", "aider", "gpt-4o"),
        ] {
            assert_eq!(
                read(&format!("s\n\nAssisted-by: {value}\n")),
                Some(named("Assisted-by", agent, Some(model))),
                "{value}"
            );
        }
        // A person, or no model: not the kernel's form, so not an agent.
        for value in ["Jane Doe <jane@example.com>", "Jane Doe", "Claude:", ":gpt-4o"] {
            assert_eq!(read(&format!("s\n\nAssisted-by: {value}\n")), None, "{value}");
        }
    }

    #[test]
    fn co_authored_by_counts_only_known_agents() {
        for (value, agent, model) in [
            ("Claude <noreply@anthropic.com>", "claude-code", None),
            (
                "Claude Opus 4.7 (1M context) <noreply@anthropic.com>",
                "claude-code",
                Some("Claude Opus 4.7 (1M context)"),
            ),
            ("aider (gpt-4o) <aider@aider.chat>", "aider", Some("gpt-4o")),
            (
                "aider (claude-3.5-sonnet) <noreply@aider.chat>",
                "aider",
                Some("claude-3.5-sonnet"),
            ),
            ("Codex <noreply@openai.com>", "codex", None),
            (
                "Copilot <198982749+Copilot@users.noreply.github.com>",
                "copilot",
                None,
            ),
            ("Cursor Agent <cursoragent@cursor.com>", "cursor", None),
        ] {
            assert_eq!(
                read(&format!("s\n\nCo-authored-by: {value}\n")),
                Some(named("Co-authored-by", agent, model)),
                "{value}"
            );
        }
        for human in [
            "Jane Doe <jane@example.com>",
            "Claude Monet <claude@example.com>",
            "Paul <paul@aider.chat>",
            "Copilot Jones <copilot@example.com>",
            "Bob <x+Copilot@users.noreply.github.com>",
            "Claude",
        ] {
            assert_eq!(read(&format!("s\n\nCo-authored-by: {human}\n")), None, "{human}");
        }
        // A human co-author beside an agent one: the agent counts.
        assert_eq!(
            read(
                "s\n\nCo-authored-by: Jane <jane@example.com>\nCo-authored-by: Codex <noreply@openai.com>\n"
            ),
            Some(named("Co-authored-by", "codex", None))
        );
    }

    #[test]
    fn generated_by_names_the_tool() {
        for (value, agent, model) in [
            ("Claude Code", "Claude Code", None),
            (
                "Claude Code:claude-opus-4-7",
                "Claude Code",
                Some("claude-opus-4-7"),
            ),
            ("GitHub Copilot (GPT-4o)", "GitHub Copilot", Some("GPT-4o")),
            ("aider (gpt-4o) <aider@aider.chat>", "aider", Some("gpt-4o")),
        ] {
            assert_eq!(
                read(&format!("s\n\nGenerated-by: {value}\n")),
                Some(named("Generated-by", agent, model)),
                "{value}"
            );
        }
        assert_eq!(read("s\n\nGenerated-by: Jane <jane@example.com>\n"), None);
        assert_eq!(
            read("s\n\nGenerated-by:\n"),
            Some(named("Generated-by", "", None))
        );
    }

    #[test]
    fn configured_keys_come_before_presets() {
        let config = AgentTrailer {
            presets: vec![Preset::CoAuthored],
            ..AgentTrailer::default()
        };
        assert_eq!(
            run(
                "s\n\nCo-authored-by: Codex <noreply@openai.com>\nAgent: claude-code\n",
                &config
            ),
            Decision::Named(named("Agent", "claude-code", None))
        );
        assert_eq!(
            run("s\n\nCo-authored-by: Codex <noreply@openai.com>\n", &config),
            Decision::Named(named("Co-authored-by", "codex", None))
        );
        assert_eq!(
            Problem::Missing.reason(&config),
            "the commit message has no `Agent:` or `Co-authored-by:` naming a known agent trailer"
        );
        // allowed_agents applies to what presets name.
        let strict = AgentTrailer {
            allowed_agents: vec!["aider".into()],
            ..config
        };
        assert!(matches!(
            run("s\n\nCo-authored-by: Codex <noreply@openai.com>\n", &strict),
            Decision::Problem {
                problem: Problem::Unknown { .. },
                ..
            }
        ));
    }

    #[test]
    fn examples_for_the_block_message() {
        assert_eq!(
            example(&AgentTrailer::default()),
            ("Agent".to_string(), "<agent name>".to_string())
        );
        assert_eq!(
            example(&presets_only()),
            ("Assisted-by".to_string(), "<agent name>:<model>".to_string())
        );
    }
}
