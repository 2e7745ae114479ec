//! `enforce metrics`: the log as Prometheus metrics.
//!
//! Counters count every event the log has ever held: `cleanup` carries the
//! totals of what it removes in its checkpoint, so removing old events is
//! never a counter reset. No label holds a commit SHA, an email address or
//! a path (unbounded cardinality, personal data); samples carry no
//! timestamps (the scraper stamps them).

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::{DateTime, FixedOffset};

use crate::config::Config;
use crate::event::Event;
use crate::event::chain::CHECKPOINT;
use crate::event::cleanup::Totals;
use crate::event::kind::bypass_category;
use crate::report::score::{Rating, Score, ScoreFold};
use crate::report::{Fold, Split, Trend};

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

/// Escapes a label value: backslash, double quote and newline.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A metric with one sample per bypass category.
fn by_category(out: &mut String, (name, kind): (&str, &str), help: &str, counts: &BTreeMap<&str, u64>) {
    header(out, name, kind, help);
    for (category, count) in counts {
        let _ = writeln!(out, "{name}{{category=\"{category}\"}} {count}");
    }
}

impl Metrics<'_> {
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();

        header(
            &mut out,
            "enforce_events_total",
            "counter",
            "Events recorded, by type, source and rule (cleanup does not reset it).",
        );
        let mut events: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
        let mut bypasses: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        let mut categories: BTreeMap<&str, u64> = crate::event::kind::BypassCategory::ALL
            .iter()
            .map(|c| (c.name(), 0))
            .collect();
        let mut blocked: BTreeMap<&str, u64> = BTreeMap::new();
        for ((event_type, source, rule, method), count) in &self.totals.0 {
            *events.entry((event_type, source, rule)).or_insert(0) += count;
            if let Some(category) = bypass_category(event_type, &self.config.score.bypass_types) {
                *bypasses.entry((event_type, method)).or_insert(0) += count;
                *categories.entry(category.name()).or_insert(0) += count;
            }
            if event_type == crate::event::types::COMMIT_BLOCKED {
                *blocked.entry(rule).or_insert(0) += count;
            }
        }
        for ((event_type, source, rule), count) in &events {
            let _ = writeln!(
                out,
                "enforce_events_total{{event_type=\"{}\",source=\"{}\",rule=\"{}\"}} {count}",
                label(event_type),
                label(source),
                label(rule)
            );
        }

        header(
            &mut out,
            "enforce_bypasses_total",
            "counter",
            "Rules skipped or weakened, by event type and method.",
        );
        for ((kind, method), count) in &bypasses {
            let _ = writeln!(
                out,
                "enforce_bypasses_total{{type=\"{}\",method=\"{}\"}} {count}",
                label(kind),
                label(method)
            );
        }

        by_category(
            &mut out,
            ("enforce_bypass_categories_total", "counter"),
            "Bypasses by category: skipped_hooks, env_skip, content_rule, rule_weakened, other.",
            &categories,
        );

        header(
            &mut out,
            "enforce_commits_blocked_total",
            "counter",
            "Commits blocked, by rule.",
        );
        for (rule, count) in &blocked {
            let _ = writeln!(
                out,
                "enforce_commits_blocked_total{{rule=\"{}\"}} {count}",
                label(rule)
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
            let _ = writeln!(
                out,
                "enforce_effectiveness_rating{{rating=\"{}\"}} {}",
                rating.as_str(),
                u8::from(self.score.rating == rating)
            );
        }

        header(
            &mut out,
            "enforce_window_events",
            "gauge",
            "Events of the score's metrics in the current and the previous window.",
        );
        for (metric, values) in &self.score.breakdown {
            let _ = writeln!(
                out,
                "enforce_window_events{{metric=\"{metric}\",window=\"current\"}} {}",
                values.current_week
            );
            let _ = writeln!(
                out,
                "enforce_window_events{{metric=\"{metric}\",window=\"previous\"}} {}",
                values.previous_week
            );
        }

        by_category(
            &mut out,
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
            let _ = writeln!(out, "enforce_window_trend{{metric=\"{metric}\"}} {trend}");
        }

        header(
            &mut out,
            "enforce_last_event_timestamp_seconds",
            "gauge",
            "When the newest event was recorded, in Unix seconds.",
        );
        if let Some(last) = self.last_event {
            let _ = writeln!(
                out,
                "enforce_last_event_timestamp_seconds {}.{:06}",
                last.timestamp(),
                last.timestamp_subsec_micros()
            );
        }

        header(
            &mut out,
            "enforce_malformed_lines",
            "gauge",
            "Lines of the log that could not be read as events.",
        );
        let _ = writeln!(out, "enforce_malformed_lines {}", self.malformed);

        header(
            &mut out,
            "enforce_build_info",
            "gauge",
            "The enforce version that wrote these metrics.",
        );
        let _ = writeln!(
            out,
            "enforce_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
