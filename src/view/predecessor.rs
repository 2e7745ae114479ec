//! The predecessor's JSON shapes, which the JSON-argument form prints.
//!
//! Scripts that called the predecessor with a JSON argument read these
//! objects: each names its `action`, alert levels are upper case
//! (`CRITICAL`, `WARNING`), the dashboard carries its Markdown, a dry-run
//! cleanup says `would_remove` and `would_keep`. The numbers are enforce's
//! (its windows, thresholds and alerts from `.enforce.toml`); only the
//! shapes are the predecessor's. Subcommands' `--json` keeps enforce's
//! richer shapes ([`super::versioned`]).

use std::path::Path;

use serde_json::{Value, json};

use crate::config::Level;
use crate::event::cleanup::Cleanup;
use crate::event::kind;
use crate::event::kind::BypassCategory;
use crate::report::alert::Alerts;
use crate::report::dashboard::Dashboard;
use crate::report::events::Listing;
use crate::report::score::Score;
use crate::report::stats::Stats;

/// The actions, as the predecessor lists them in its answer to an unknown one.
pub const ACTIONS: &str = "stats, events, cleanup, score, alert, dashboard";

/// The predecessor's spelling of a level.
pub fn level(level: Level) -> &'static str {
    match level {
        Level::Critical => "CRITICAL",
        Level::Warning => "WARNING",
    }
}

/// The event types as the predecessor listed them: the names of its enum
/// members, upper case; its nine first, then enforce's.
pub fn event_type_names() -> Vec<String> {
    kind::all().map(str::to_uppercase).collect()
}

/// `{"action": "stats", "days", "total_events", "by_type", "event_types"}`,
/// with enforce's `by` and `groups` when a breakdown was asked for.
pub fn stats(stats: &Stats) -> Value {
    let mut value = json!({
        "action": "stats",
        "days": stats.days,
        "total_events": stats.total_events,
        "by_type": stats.by_type,
        "event_types": event_type_names(),
    });
    if let (Some(by), Some(groups)) = (stats.by, &stats.groups) {
        value["by"] = json!(by);
        value["groups"] = json!(groups);
    }
    value
}

/// What `events` was asked for, echoed in its answer.
pub struct EventsQuery<'a> {
    pub days: u64,
    pub event_type: Option<&'a str>,
    pub source: Option<&'a str>,
    /// `None`: no limit.
    pub limit: Option<usize>,
}

/// `{"action": "events", "days", "filters", "count", "events": [{"timestamp",
/// "type", "source", "details"}]}`, newest first, timestamps as stored.
pub fn events(listing: &Listing, query: &EventsQuery) -> Value {
    let events: Vec<Value> = listing
        .events
        .iter()
        .zip(&listing.stamps)
        .map(|(event, stamp)| {
            json!({
                "timestamp": stamp,
                "type": event.event_type,
                "source": event.source,
                "details": event.details,
            })
        })
        .collect();
    json!({
        "action": "events",
        "days": query.days,
        "filters": {
            "event_type": query.event_type,
            "source": query.source,
            "limit": query.limit,
        },
        "count": events.len(),
        "events": events,
    })
}

/// The answer to `events` for a type neither enforce nor the log knows.
pub fn unknown_event_type(given: &str, valid: &[String]) -> Value {
    json!({
        "error": format!("Unknown event type: {given}"),
        "valid_types": valid,
    })
}

/// The answer to an action the predecessor does not have.
pub fn unknown_action(given: &str) -> Value {
    json!({
        "error": format!("Unknown action: {given}. Use: {ACTIONS}"),
    })
}

/// `{"action": "score", "rating", "description", "breakdown", "period":
/// {"current_week", "previous_week"}, "total_events_current",
/// "total_events_previous"}`.
pub fn score(score: &Score) -> Value {
    let days = score.window_days;
    json!({
        "action": "score",
        "rating": score.rating,
        "description": score.description,
        "breakdown": score.breakdown,
        "period": {
            "current_week": format!("last {days} days"),
            "previous_week": format!("{}-{} days ago", days + 1, days * 2),
        },
        "total_events_current": score.total_events.current,
        "total_events_previous": score.total_events.previous,
    })
}

/// `{"action": "alert", "alerts": [{"level", "metric", "message", "value",
/// "threshold" | "previous"}], "has_critical", "has_warnings",
/// "quiet_mode", "status", "metrics"}`. An alert on one event type is
/// named by that type, as the predecessor named its metrics; `metrics`
/// holds the current window's counts of the score (`score`).
pub fn alert(alerts: &Alerts, score: &Score, quiet: bool) -> Value {
    let list: Vec<Value> = alerts
        .alerts
        .iter()
        .map(|a| {
            let metric = match a.event_types.as_slice() {
                [only] => only.clone(),
                _ => a.metric.clone(),
            };
            let mut value = json!({
                "level": level(a.level),
                "metric": metric,
                "message": a.message,
                "value": a.count,
            });
            match a.threshold {
                Some(threshold) => value["threshold"] = json!(threshold),
                None => value["previous"] = json!(a.previous),
            }
            value
        })
        .collect();
    let current = |key: &str| score.breakdown.get(key).map_or(0, |m| m.current_week);
    json!({
        "action": "alert",
        "alerts": list,
        "has_critical": alerts.has_critical,
        "has_warnings": alerts.has_warnings,
        "quiet_mode": quiet,
        "status": alerts.status,
        "metrics": {
            "violation_detected": current("violations"),
            "commit_review_bypassed": score
                .bypasses
                .by_category
                .get(BypassCategory::SkippedHooks.name())
                .copied()
                .unwrap_or(0),
            "import_blocked": current("import_blocked"),
            "import_blocked_trend": score.breakdown.get("import_blocked").map(|m| m.trend),
        },
    })
}

/// `{"action": "dashboard", "markdown", "output_file", "stats_days",
/// "rating", "has_alerts", "total_events"}`.
pub fn dashboard(d: &Dashboard, markdown: &str, output: Option<&Path>) -> Value {
    json!({
        "action": "dashboard",
        "markdown": markdown,
        "output_file": output.map(|p| p.display().to_string()),
        "stats_days": d.days,
        "rating": d.score.rating,
        "has_alerts": !d.alerts.alerts.is_empty(),
        "total_events": d.stats.total_events,
    })
}

/// `{"action": "cleanup", "dry_run", "retention_days", "would_remove",
/// "would_keep", "message"}` for a dry run, `"removed"` for a real one.
/// Everything that stays is kept, unreadable lines included.
pub fn cleanup(c: &Cleanup) -> Value {
    if c.dry_run {
        json!({
            "action": "cleanup",
            "dry_run": true,
            "retention_days": c.days,
            "would_remove": c.removed,
            "would_keep": c.kept,
            "message": format!("Would remove {} events older than {} days", c.removed, c.days),
        })
    } else {
        json!({
            "action": "cleanup",
            "dry_run": false,
            "retention_days": c.days,
            "removed": c.removed,
            "message": format!("Removed {} events older than {} days", c.removed, c.days),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_predecessors_names_first_in_its_spelling() {
        let names = event_type_names();
        assert_eq!(names[0], "IMPORT_BLOCKED");
        assert_eq!(names[8], "COMMIT_COMPLETED");
        assert!(names.iter().all(|n| n.chars().all(|c| !c.is_ascii_lowercase())));
        assert_eq!(
            (level(Level::Critical), level(Level::Warning)),
            ("CRITICAL", "WARNING")
        );
    }

    #[test]
    fn cleanup_says_would_remove_on_a_dry_run() {
        let mut c = Cleanup {
            days: 30,
            cutoff: String::new(),
            removed: 4,
            kept: 9,
            malformed_kept: 1,
            labels_kept: 0,
            blank_removed: 0,
            checkpoints: 0,
            dry_run: true,
            path: "x".into(),
        };
        assert_eq!(
            cleanup(&c),
            json!({"action": "cleanup", "dry_run": true, "retention_days": 30, "would_remove": 4, "would_keep": 9, "message": "Would remove 4 events older than 30 days"})
        );
        c.dry_run = false;
        assert_eq!(
            cleanup(&c),
            json!({"action": "cleanup", "dry_run": false, "retention_days": 30, "removed": 4, "message": "Removed 4 events older than 30 days"})
        );
    }
}
