//! `enforce metrics`: the log as Prometheus metrics.
//!
//! Counters count every event the log has ever held: `cleanup` carries the
//! totals of what it removes in its checkpoint, so removing old events is
//! never a counter reset. Every series carries `repo`, so the textfiles of
//! many repositories share one node_exporter; the bypasses enforce knows
//! and the blocks of every active rule are written at 0 before they first
//! happen, so the first one is an increase. No label holds a commit SHA,
//! an email address or a path (unbounded cardinality, personal data);
//! label values hold no whitespace or `=`; samples carry no timestamps
//! (the scraper stamps them).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::event::Event;
use crate::event::chain::CHECKPOINT;
use crate::event::cleanup::Totals;
use crate::event::kind::{BypassCategory, bypass_category, types};
use crate::report::score::{Rating, Score, ScoreFold};
use crate::report::{Fold, Split, Stored, Trend};

pub struct MetricsFold<'a> {
    config: &'a Config,
    totals: Totals,
    score: ScoreFold<'a>,
    last_event: Option<DateTime<FixedOffset>>,
}

impl<'a> MetricsFold<'a> {
    pub fn new(now: DateTime<FixedOffset>, config: &'a Config) -> MetricsFold<'a> {
        MetricsFold {
            config,
            totals: Totals::default(),
            score: ScoreFold::new(now, &config.score),
            last_event: None,
        }
    }

    pub fn finish(self, malformed: u64) -> Metrics<'a> {
        Metrics {
            config: self.config,
            totals: self.totals,
            score: self.score.finish(malformed),
            last_event: self.last_event,
            malformed,
        }
    }
}

impl<'a> Split for MetricsFold<'a> {
    fn empty(&self) -> MetricsFold<'a> {
        MetricsFold {
            config: self.config,
            totals: Totals::default(),
            score: self.score.empty(),
            last_event: None,
        }
    }

    fn merge(&mut self, other: MetricsFold<'a>) {
        for (key, count) in other.totals.0 {
            self.totals.add(key, count);
        }
        self.score.merge(other.score);
        self.last_event = self.last_event.max(other.last_event);
    }
}

impl Fold for MetricsFold<'_> {
    fn wants_checkpoints(&self) -> bool {
        true
    }

    fn add(&mut self, event: &Event) {
        if event.event_type == CHECKPOINT {
            if let Some(totals) = event.details.get("totals") {
                for (key, count) in Totals::from_json(totals).0 {
                    self.totals.add(key, count);
                }
            }
            return;
        }
        self.totals.add(Totals::key(event), 1);
        self.score.add(event);
        self.seen(event);
    }

    /// With the stored line, so the rating sees the bypasses' labels.
    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        if event.event_type == CHECKPOINT {
            return self.add(event);
        }
        self.totals.add(Totals::key(event), 1);
        self.score.add_stored(event, stored);
        self.seen(event);
    }
}

impl MetricsFold<'_> {
    fn seen(&mut self, event: &Event) {
        if self.last_event.is_none_or(|last| event.timestamp > last) {
            self.last_event = Some(event.timestamp);
        }
    }
}

pub struct Metrics<'a> {
    config: &'a Config,
    totals: Totals,
    score: Score,
    last_event: Option<DateTime<FixedOffset>>,
    malformed: u64,
}

/// The bypasses enforce's hooks record, by the method each records them
/// with. Their series are written at 0 from the first textfile on, so the
/// first bypass is an increase an alert rule sees (a series that appears
/// at 1 has no increase to Prometheus).
const KNOWN_BYPASSES: [(&str, &str); 8] = [
    (types::COMMIT_REVIEW_BYPASSED, "git commit --no-verify"),
    (types::COMMIT_REVIEW_BYPASSED, "rebase with a changed diff"),
    (types::BYPASS_REVIEW, "PILOT_SKIP_REVIEW=1"),
    (types::BYPASS_AGENT_TRAILER, "PILOT_SKIP_AGENT_TRAILER=1"),
    (types::BYPASS_AGENT_TRAILER, "git commit --no-verify"),
    (types::BYPASS_CONTENT_RULE, "git commit --no-verify"),
    (types::RULE_WEAKENED, "config change"),
    (types::RULE_WEAKENED, "uncommitted config edit"),
];

/// A label value as written: whitespace and `=` become `_`, so a value
/// reads the same in a selector typed by hand and never looks like
/// another label; backslash and double quote are escaped.
pub fn label(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_whitespace() || c == '=' { '_' } else { c })
        .collect::<String>()
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

/// The `repo` label of a repository whose shared git directory is
/// `common_dir`: the name of the directory it lives in (`app` for
/// `/src/app/.git`, `app` for a bare `/srv/app.git`), the same from every
/// worktree. `None` when there is no name to take.
pub fn repository_name(common_dir: &Path) -> Option<String> {
    let dir = std::fs::canonicalize(common_dir).unwrap_or_else(|_| common_dir.to_path_buf());
    let name = if dir.file_name().is_some_and(|n| n == ".git") {
        dir.parent()?.file_name()?
    } else {
        dir.file_name()?
    };
    let name = name.to_string_lossy();
    let name = name.strip_suffix(".git").unwrap_or(&name);
    (!name.is_empty()).then(|| name.to_string())
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample: `name{repo="…",labels} value`; the label values are
/// already [`label`]ed.
fn sample(out: &mut String, name: &str, repo: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    let _ = write!(out, "{name}{{repo=\"{repo}\"");
    for (key, value) in labels {
        let _ = write!(out, ",{key}=\"{value}\"");
    }
    let _ = writeln!(out, "}} {value}");
}

/// A metric with one sample per bypass category.
fn by_category(
    out: &mut String,
    repo: &str,
    (name, kind): (&str, &str),
    help: &str,
    counts: &BTreeMap<&str, u64>,
) {
    header(out, name, kind, help);
    for (category, count) in counts {
        sample(out, name, repo, &[("category", category)], count);
    }
}

impl Metrics<'_> {
    /// The text exposition format, every series labelled `repo` (the
    /// value is [`label`]ed here).
    pub fn render(&self, repo: &str) -> String {
        let repo = &label(repo);
        let mut out = String::new();
        let bypass_types = &self.config.score.bypass_types;

        // Keyed by the label values as written: two raw values that
        // write the same (`a b`, `a_b`) are one series, never two samples
        // with the same labels.
        let mut events: BTreeMap<(String, String, String), u64> = BTreeMap::new();
        let mut bypasses: BTreeMap<(String, String), u64> = KNOWN_BYPASSES
            .iter()
            .map(|(kind, method)| ((label(kind), label(method)), 0))
            .chain(
                bypass_types
                    .iter()
                    .filter(|kind| bypass_category(kind, bypass_types).is_some())
                    .map(|kind| ((label(kind), String::new()), 0)),
            )
            .collect();
        let mut categories: BTreeMap<&str, u64> = BypassCategory::ALL.iter().map(|c| (c.name(), 0)).collect();
        let mut blocked: BTreeMap<String, u64> = crate::rules::active_rules(self.config)
            .iter()
            .map(|rule| (label(rule), 0))
            .collect();
        if self.config.review.mode != crate::config::Mode::Off {
            blocked.insert(label(crate::rules::REVIEW_TRAILER), 0);
        }
        for ((event_type, source, rule, method), count) in &self.totals.0 {
            *events
                .entry((label(event_type), label(source), label(rule)))
                .or_insert(0) += count;
            if let Some(category) = bypass_category(event_type, bypass_types) {
                *bypasses.entry((label(event_type), label(method))).or_insert(0) += count;
                *categories.entry(category.name()).or_insert(0) += count;
            }
            if event_type == types::COMMIT_BLOCKED {
                *blocked.entry(label(rule)).or_insert(0) += count;
            }
        }

        header(
            &mut out,
            "enforce_events_total",
            "counter",
            "Events recorded, by type, source and rule (cleanup does not reset it).",
        );
        for ((event_type, source, rule), count) in &events {
            sample(
                &mut out,
                "enforce_events_total",
                repo,
                &[("event_type", event_type), ("source", source), ("rule", rule)],
                count,
            );
        }

        header(
            &mut out,
            "enforce_bypasses_total",
            "counter",
            "Rules skipped or weakened, by event type and method (every known one from 0).",
        );
        for ((event_type, method), count) in &bypasses {
            sample(
                &mut out,
                "enforce_bypasses_total",
                repo,
                &[("event_type", event_type), ("method", method)],
                count,
            );
        }

        by_category(
            &mut out,
            repo,
            ("enforce_bypass_categories_total", "counter"),
            "Bypasses by category: skipped_hooks, env_skip, content_rule, rule_weakened, other.",
            &categories,
        );

        header(
            &mut out,
            "enforce_commits_blocked_total",
            "counter",
            "Commits blocked, by rule (every active rule from 0).",
        );
        for (rule, count) in &blocked {
            sample(
                &mut out,
                "enforce_commits_blocked_total",
                repo,
                &[("rule", rule)],
                count,
            );
        }

        header(
            &mut out,
            "enforce_effectiveness_rating",
            "gauge",
            "The effectiveness rating: 1 for the current one.",
        );
        for rating in [
            Rating::Excellent,
            Rating::Good,
            Rating::Concerning,
            Rating::Critical,
        ] {
            sample(
                &mut out,
                "enforce_effectiveness_rating",
                repo,
                &[("rating", rating.as_str())],
                u8::from(self.score.rating == rating),
            );
        }

        header(
            &mut out,
            "enforce_window_events",
            "gauge",
            "Events of the score's metrics in the current and the previous window.",
        );
        for (metric, values) in &self.score.breakdown {
            for (window, value) in [
                ("current", values.current_week),
                ("previous", values.previous_week),
            ] {
                sample(
                    &mut out,
                    "enforce_window_events",
                    repo,
                    &[("metric", metric), ("window", window)],
                    value,
                );
            }
        }

        by_category(
            &mut out,
            repo,
            ("enforce_window_bypasses", "gauge"),
            "Bypasses in the score's current window, by category (as every report counts them).",
            &self.score.bypasses.by_category,
        );

        header(
            &mut out,
            "enforce_window_trend",
            "gauge",
            "The trend of each score metric: 1 increasing, 0 stable, -1 decreasing.",
        );
        for (metric, values) in &self.score.breakdown {
            let trend = match values.trend {
                Trend::Increasing => 1,
                Trend::Stable => 0,
                Trend::Decreasing => -1,
            };
            sample(
                &mut out,
                "enforce_window_trend",
                repo,
                &[("metric", metric)],
                trend,
            );
        }

        header(
            &mut out,
            "enforce_last_event_timestamp_seconds",
            "gauge",
            "When the newest event was recorded, in Unix seconds.",
        );
        if let Some(last) = self.last_event {
            sample(
                &mut out,
                "enforce_last_event_timestamp_seconds",
                repo,
                &[],
                format_args!("{}.{:06}", last.timestamp(), last.timestamp_subsec_micros()),
            );
        }

        header(
            &mut out,
            "enforce_malformed_lines",
            "gauge",
            "Lines of the log that could not be read as events.",
        );
        sample(&mut out, "enforce_malformed_lines", repo, &[], self.malformed);

        header(
            &mut out,
            "enforce_build_info",
            "gauge",
            "The enforce version that wrote these metrics.",
        );
        sample(
            &mut out,
            "enforce_build_info",
            repo,
            &[("version", &label(env!("CARGO_PKG_VERSION")))],
            1,
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_have_no_spaces_or_equals_signs() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c_d");
        assert_eq!(label("PILOT_SKIP_REVIEW=1"), "PILOT_SKIP_REVIEW_1");
        assert_eq!(label("git commit --no-verify"), "git_commit_--no-verify");
        assert_eq!(label("enforce review"), "enforce_review");
    }

    #[test]
    fn repository_names() {
        assert_eq!(
            repository_name(Path::new("/src/app/.git")).as_deref(),
            Some("app")
        );
        assert_eq!(repository_name(Path::new("/srv/app.git")).as_deref(), Some("app"));
        assert_eq!(repository_name(Path::new("/srv/plain")).as_deref(), Some("plain"));
        assert_eq!(repository_name(Path::new("/.git")), None);
    }

    /// Every bypass method written as a literal where events are recorded
    /// is one whose series starts at 0.
    #[test]
    fn every_literal_bypass_method_is_known() {
        fn sources(dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut texts = Vec::new();
        sources(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/hook"),
            &mut texts,
        );
        let needle = "\"bypass_method\": \"";
        let mut found = 0;
        for text in &texts {
            for (at, _) in text.match_indices(needle) {
                let rest = &text[at + needle.len()..];
                let method = &rest[..rest.find('"').unwrap()];
                found += 1;
                assert!(
                    KNOWN_BYPASSES.iter().any(|(_, m)| *m == method),
                    "`{method}` is recorded as a bypass method but not in KNOWN_BYPASSES"
                );
            }
        }
        assert!(found >= 3, "the hooks' bypass methods were not found");
    }
}
