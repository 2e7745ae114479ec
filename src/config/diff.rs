//! What a config change does to the rules, and whether it weakens them.
//!
//! An agent that cannot pass a rule may edit `.enforce.toml` instead of its
//! code. Each change of a setting that enforcement depends on is listed;
//! those that let more through (a lower mode, a dropped requirement, a
//! removed or altered content rule, more accepted trailers or agents, a
//! longer approval life, a moved events file, recorded bypasses allowed to
//! land, history exempted from `enforce audit`, signatures no longer
//! required, a moved signers or revocations file, report settings that
//! hide bypasses) are weakenings.

use serde::Serialize;

use super::{Config, ContentRule, MergePolicy, Mode};

/// One changed setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub rule: String,
    pub setting: String,
    pub from: String,
    pub to: String,
    pub weakens: bool,
}

fn rank(mode: Mode) -> u8 {
    match mode {
        Mode::Enforce => 2,
        Mode::Audit => 1,
        Mode::Off => 0,
    }
}

fn merges_name(policy: MergePolicy) -> &'static str {
    match policy {
        MergePolicy::Exempt => "exempt",
        MergePolicy::Check => "check",
    }
}

struct Diff {
    changes: Vec<Change>,
}

impl Diff {
    fn add(&mut self, rule: &str, setting: &str, from: impl ToString, to: impl ToString, weakens: bool) {
        let (from, to) = (from.to_string(), to.to_string());
        if from != to {
            self.changes.push(Change {
                rule: rule.into(),
                setting: setting.into(),
                from,
                to,
                weakens,
            });
        }
    }
}

fn list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

fn globs(globs: &[super::Glob]) -> Vec<String> {
    globs.iter().map(|g| g.as_str().to_string()).collect()
}

/// The changes from `old` to `new`.
pub fn diff(old: &Config, new: &Config) -> Vec<Change> {
    let mut d = Diff { changes: Vec::new() };

    let (o, n) = (&old.review, &new.review);
    d.add(
        "review",
        "mode",
        Mode::as_str(o.mode),
        Mode::as_str(n.mode),
        rank(n.mode) < rank(o.mode),
    );
    d.add(
        "review",
        "required",
        o.required,
        n.required,
        o.required && !n.required,
    );
    d.add(
        "review",
        "max_age_seconds",
        o.max_age_seconds.get(),
        n.max_age_seconds.get(),
        n.max_age_seconds.get() > o.max_age_seconds.get(),
    );
    d.add(
        "review",
        "merges",
        merges_name(o.merges),
        merges_name(n.merges),
        o.merges == MergePolicy::Check && n.merges == MergePolicy::Exempt,
    );
    d.add(
        "review",
        "trailer",
        o.trailer.as_str(),
        n.trailer.as_str(),
        !o.trailer.is_empty() && n.trailer.is_empty(),
    );
    d.add(
        "review",
        "require_signature",
        o.require_signature,
        n.require_signature,
        o.require_signature && !n.require_signature,
    );
    let path =
        |p: &Option<super::RepoPath>| p.as_ref().map_or("none".to_string(), |p| p.as_str().to_string());
    d.add(
        "review",
        "signers",
        path(&o.signers),
        path(&n.signers),
        o.signers.is_some(),
    );
    d.add(
        "review",
        "revocations",
        path(&o.revocations),
        path(&n.revocations),
        o.revocations.is_some(),
    );
    d.add(
        "review",
        "reviewer",
        o.reviewer.as_str(),
        n.reviewer.as_str(),
        false,
    );

    let (o, n) = (&old.agent_trailer, &new.agent_trailer);
    d.add(
        "agent-trailer",
        "mode",
        Mode::as_str(o.mode),
        Mode::as_str(n.mode),
        rank(n.mode) < rank(o.mode),
    );
    d.add(
        "agent-trailer",
        "required",
        o.required,
        n.required,
        o.required && !n.required,
    );
    d.add(
        "agent-trailer",
        "merges",
        merges_name(o.merges),
        merges_name(n.merges),
        o.merges == MergePolicy::Check && n.merges == MergePolicy::Exempt,
    );
    let keys = |c: &super::AgentTrailer| -> Vec<String> {
        c.trailers
            .iter()
            .map(|t| match &t.pattern {
                Some(p) => format!("{} ~ {}", t.key.as_str().to_ascii_lowercase(), p.as_str()),
                None => t.key.as_str().to_ascii_lowercase(),
            })
            .collect()
    };
    let (old_keys, new_keys) = (keys(o), keys(n));
    d.add(
        "agent-trailer",
        "trailers",
        list(&old_keys),
        list(&new_keys),
        new_keys.iter().any(|k| !old_keys.contains(k)),
    );
    let presets =
        |c: &super::AgentTrailer| -> Vec<String> { c.presets.iter().map(|p| p.name().to_string()).collect() };
    let (old_presets, new_presets) = (presets(o), presets(n));
    d.add(
        "agent-trailer",
        "presets",
        list(&old_presets),
        list(&new_presets),
        new_presets.iter().any(|p| !old_presets.contains(p)),
    );
    let lower = |v: &[String]| -> Vec<String> { v.iter().map(|a| a.to_ascii_lowercase()).collect() };
    let (old_agents, new_agents) = (lower(&o.allowed_agents), lower(&n.allowed_agents));
    d.add(
        "agent-trailer",
        "allowed_agents",
        list(&o.allowed_agents),
        list(&n.allowed_agents),
        (!old_agents.is_empty() && new_agents.is_empty())
            || (!old_agents.is_empty() && new_agents.iter().any(|a| !old_agents.contains(a))),
    );

    for rule in &old.rules.content {
        let name = rule.name.get_ref().as_str();
        match new
            .rules
            .content
            .iter()
            .find(|r| r.name.get_ref().as_str() == name)
        {
            None => d.add(name, "rule", "defined", "removed", true),
            Some(after) => content_diff(&mut d, name, rule, after),
        }
    }
    for rule in &new.rules.content {
        let name = rule.name.get_ref().as_str();
        if !old
            .rules
            .content
            .iter()
            .any(|r| r.name.get_ref().as_str() == name)
        {
            d.add(name, "rule", "absent", "added", false);
        }
    }
    d.add(
        "content rules",
        "max_file_bytes",
        old.rules.max_file_bytes,
        new.rules.max_file_bytes,
        new.rules.max_file_bytes < old.rules.max_file_bytes,
    );
    let events_file = |c: &Config| {
        c.telemetry
            .events_file
            .as_ref()
            .map_or("(default)".to_string(), |f| f.get_ref().display().to_string())
    };
    d.add(
        "audit",
        "allow_bypasses",
        old.audit.allow_bypasses,
        new.audit.allow_bypasses,
        !old.audit.allow_bypasses && new.audit.allow_bypasses,
    );
    // Whether a moved `since` exempts more depends on history, which a
    // config alone cannot tell: setting or moving it counts as weakening.
    d.add(
        "audit",
        "since",
        old.audit.since().unwrap_or("(none)"),
        new.audit.since().unwrap_or("(none)"),
        new.audit.since().is_some(),
    );
    d.add(
        "telemetry",
        "events_file",
        events_file(old),
        events_file(new),
        true,
    );
    d.add(
        "reports",
        "show_emails",
        old.reports.show_emails,
        new.reports.show_emails,
        false,
    );
    report_diff(&mut d, old, new);
    d.changes
}

/// The report settings: what counts as a bypass, the rating's thresholds,
/// the alerts. A change that lets bypasses or violations go unreported (a
/// type dropped from `bypass_types`, a threshold raised, a window
/// shortened, an alert removed or made harder to trip) hides what the
/// rules record from the people who read the reports: a weakening too.
fn report_diff(d: &mut Diff, old: &Config, new: &Config) {
    let (o, n) = (&old.score, &new.score);
    d.add(
        "score",
        "bypass_types",
        list(&o.bypass_types),
        list(&n.bypass_types),
        o.bypass_types.iter().any(|t| !n.bypass_types.contains(t)),
    );
    for (setting, from, to) in [
        ("excellent_below", o.excellent_below, n.excellent_below),
        ("concerning_from", o.concerning_from, n.concerning_from),
        ("critical_above", o.critical_above, n.critical_above),
        (
            "critical_bypasses_above",
            o.critical_bypasses_above,
            n.critical_bypasses_above,
        ),
        ("trend_percent", o.trend_percent, n.trend_percent),
    ] {
        d.add("score", setting, from, to, to > from);
    }
    // Labelled-justified bypasses made non-critical: a bypass someone
    // called justified no longer makes the rating critical or an alert
    // CRITICAL.
    d.add(
        "score",
        "justified_bypasses",
        o.justified_bypasses.as_str(),
        n.justified_bypasses.as_str(),
        o.justified_bypasses == super::JustifiedBypasses::Critical
            && n.justified_bypasses == super::JustifiedBypasses::NonCritical,
    );
    d.add(
        "score",
        "window_days",
        o.window_days.get(),
        n.window_days.get(),
        n.window_days.get() < o.window_days.get(),
    );
    let describe = |a: &super::AlertRule| {
        let threshold = match (a.above, &a.trend) {
            (Some(above), _) => format!("above {above}"),
            (None, Some(_)) => "trend".to_string(),
            (None, None) => "never".to_string(),
        };
        format!(
            "{} [{}] {threshold} in {} day(s)",
            a.metric,
            a.event_types.join(", "),
            a.window_days.get()
        )
    };
    // An alert is known by its metric and level (the defaults have two
    // `violations` alerts, a warning and a critical one).
    let same = |a: &super::AlertRule, b: &super::AlertRule| {
        a.metric == b.metric && format!("{:?}", a.level) == format!("{:?}", b.level)
    };
    let name = |a: &super::AlertRule| format!("{} ({:?})", a.metric, a.level).to_lowercase();
    for before in old.alerts.iter().map(|a| a.get_ref()) {
        let after = new.alerts.iter().map(|a| a.get_ref()).find(|a| same(a, before));
        let weakens = match after {
            None => true,
            Some(after) => {
                before.event_types.iter().any(|t| !after.event_types.contains(t))
                    || after.window_days.get() < before.window_days.get()
                    || match (before.above, after.above) {
                        (Some(b), Some(a)) => a > b,
                        (None, None) => false,
                        _ => true,
                    }
            }
        };
        d.add(
            "alerts",
            &name(before),
            describe(before),
            after.map_or("removed".to_string(), describe),
            weakens,
        );
    }
    for after in new.alerts.iter().map(|a| a.get_ref()) {
        if !old.alerts.iter().any(|a| same(a.get_ref(), after)) {
            d.add("alerts", &name(after), "absent", describe(after), false);
        }
    }
}

fn content_diff(d: &mut Diff, name: &str, old: &ContentRule, new: &ContentRule) {
    d.add(
        name,
        "mode",
        Mode::as_str(old.mode),
        Mode::as_str(new.mode),
        rank(new.mode) < rank(old.mode),
    );
    // Whether a new pattern matches less cannot be known in general: any
    // change of what is matched counts as a possible loosening.
    d.add(name, "pattern", old.pattern.as_str(), new.pattern.as_str(), true);
    let (old_paths, new_paths) = (globs(&old.paths), globs(&new.paths));
    d.add(
        name,
        "paths",
        list(&old_paths),
        list(&new_paths),
        old_paths.iter().any(|p| !new_paths.contains(p)),
    );
    let (old_ex, new_ex) = (globs(&old.exclude), globs(&new.exclude));
    d.add(
        name,
        "exclude",
        list(&old_ex),
        list(&new_ex),
        new_ex.iter().any(|p| !old_ex.contains(p)),
    );
    d.add(
        name,
        "severity",
        old.severity.as_str(),
        new.severity.as_str(),
        false,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> Config {
        super::super::parse(text, Path::new("t")).unwrap()
    }

    fn weakened(old: &str, new: &str) -> Vec<(String, String, String, String)> {
        diff(&parse(old), &parse(new))
            .into_iter()
            .filter(|c| c.weakens)
            .map(|c| (c.rule, c.setting, c.from, c.to))
            .collect()
    }

    #[test]
    fn report_settings_that_hide_bypasses_are_weakenings() {
        let weakened_settings = |new: &str| -> Vec<String> {
            weakened("", new)
                .into_iter()
                .map(|(r, s, _, _)| format!("{r}.{s}"))
                .collect()
        };
        assert_eq!(
            weakened_settings("[score]\nbypass_types = []\n"),
            ["score.bypass_types"]
        );
        assert_eq!(
            weakened_settings("[score]\ncritical_bypasses_above = 100\n"),
            ["score.critical_bypasses_above"]
        );
        assert_eq!(
            weakened_settings("[score]\njustified_bypasses = \"non-critical\"\n"),
            ["score.justified_bypasses"]
        );
        assert!(
            weakened("[score]\njustified_bypasses = \"non-critical\"\n", "").is_empty(),
            "making justified bypasses critical again hides nothing"
        );
        // One committed alert replaces the defaults: each default dropped
        // is a weakening.
        let dropped = weakened_settings(
            "[[alerts]]\nmetric = \"bypasses\"\nevent_types = [\"commit_review_bypassed\"]\nabove = 1000000\nlevel = \"critical\"\nmessage = \"x\"\n",
        );
        assert!(
            dropped.contains(&"alerts.bypasses (critical)".to_string()),
            "{dropped:?}"
        );
        assert!(
            dropped.contains(&"alerts.rule_weakened (critical)".to_string()),
            "{dropped:?}"
        );
        // Stricter reports are not.
        assert!(weakened_settings("[score]\ncritical_above = 8\n").is_empty());
    }

    #[test]
    fn weakenings() {
        let s =
            |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
        assert_eq!(
            weakened("", "[review]\nmode = \"audit\"\n"),
            [s("review", "mode", "enforce", "audit")]
        );
        assert!(
            weakened("[review]\nmode = \"off\"\n", "").is_empty(),
            "back to enforce is stronger"
        );
        assert_eq!(
            weakened("[review]\nrequired = true\n", ""),
            [s("review", "required", "true", "false")]
        );
        assert_eq!(
            weakened(
                "",
                "[agent_trailer]\ntrailers = [{ key = \"Agent\" }, { key = \"Co-Authored-By\" }]\n"
            ),
            [s(
                "agent-trailer",
                "trailers",
                "[agent]",
                "[agent, co-authored-by]"
            )]
        );
        // A preset is one more way to name the agent: a weakening.
        assert_eq!(
            weakened("", "[agent_trailer]\npresets = [\"assisted-by\"]\n"),
            [s("agent-trailer", "presets", "[]", "[assisted-by]")]
        );
        assert!(weakened("[agent_trailer]\npresets = [\"assisted-by\"]\n", "").is_empty());
        let rule = "[[rules.content]]\nname = \"x\"\npattern = \"a\"\n";
        assert_eq!(weakened(rule, ""), [s("x", "rule", "defined", "removed")]);
        assert_eq!(
            weakened(rule, "[[rules.content]]\nname = \"x\"\npattern = \"b\"\n"),
            [s("x", "pattern", "a", "b")]
        );
        assert_eq!(
            weakened(
                rule,
                "[[rules.content]]\nname = \"x\"\npattern = \"a\"\nmode = \"off\"\nexclude = [\"t/**\"]\n"
            ),
            [
                s("x", "mode", "enforce", "off"),
                s("x", "exclude", "[]", "[t/**]")
            ]
        );
        assert!(weakened("", rule).is_empty(), "adding a rule is stronger");
        let since = |id: char| format!("[audit]\nsince = \"{}\"\n", id.to_string().repeat(40));
        assert_eq!(
            weakened("", &since('a')),
            [s("audit", "since", "(none)", &"a".repeat(40))]
        );
        assert_eq!(
            weakened(&since('a'), &since('b')),
            [s("audit", "since", &"a".repeat(40), &"b".repeat(40))]
        );
        assert!(
            weakened(&since('a'), "").is_empty(),
            "judging all history is stronger"
        );
        assert_eq!(
            weakened("", "[audit]\nallow_bypasses = true\n"),
            [s("audit", "allow_bypasses", "false", "true")]
        );
        assert!(weakened("[audit]\nallow_bypasses = true\n", "").is_empty());
        let changes = diff(&parse(""), &parse("[review]\nreviewer = \"bob\"\n"));
        assert_eq!(changes.len(), 1);
        assert!(!changes[0].weakens);
    }
}
