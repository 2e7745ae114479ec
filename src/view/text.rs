//! Plain-text views for the terminal.

use std::fmt::Write;

use crate::event::Event;
use crate::event::cleanup::Cleanup;
use crate::report::Trend;
use crate::report::alert::Alerts;
use crate::report::events::{Listing, summary};
use crate::report::score::{Rating, Score};
use crate::report::stats::{By, Stats};

const RULE_45: &str = "=============================================";
const RULE_55: &str = "=======================================================";
const DASH_55: &str = "-------------------------------------------------------";

pub fn stats(stats: &Stats) -> String {
    let mut out = format!("Enforcement Stats (last {} days)\n{RULE_45}\n\n", stats.days);
    let (heading, rows): (&str, Vec<(&String, &u64)>) = match (&stats.by, &stats.groups) {
        (Some(by), Some(groups)) => (by.heading(), groups.iter().collect()),
        _ => (By::Type.heading(), stats.by_type.iter().collect()),
    };
    // The predecessor's layout: a 30-column key and a 5-column count,
    // widened only when a key or a count does not fit.
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .max(30);
    let count_width = (stats.total_events.to_string().len() + 1).max(5);
    let dashes = "-".repeat(width + count_width + 2);
    let _ = writeln!(out, "{heading:<width$}{:>count_width$}", "Count");
    let _ = writeln!(out, "{dashes}");
    if stats.by != Some(By::Day) && rows.is_empty() {
        let _ = writeln!(out, "(no events)");
    }
    for (key, count) in rows {
        let _ = writeln!(out, "{key:<width$}{count:>count_width$}");
    }
    let _ = writeln!(out, "{dashes}");
    let _ = writeln!(out, "{:<width$}{:>count_width$}", "TOTAL", stats.total_events);
    if stats.malformed > 0 {
        let _ = writeln!(out, "\n{} malformed line(s) skipped", stats.malformed);
    }
    out
}

pub fn events(listing: &Listing, days: u64) -> String {
    let mut out = format!("Recent Events (last {days} day(s))\n{RULE_45}\n\n");
    if listing.events.is_empty() {
        if listing.matched > 0 {
            let _ = writeln!(
                out,
                "{} matching event(s), none shown (--limit 0)",
                listing.matched
            );
        } else {
            out.push_str("No matching events.\n");
        }
        return out;
    }
    let type_width = listing
        .events
        .iter()
        .map(|e| e.event_type.len())
        .max()
        .unwrap_or(0)
        .max(10);
    let source_width = listing
        .events
        .iter()
        .map(|e| e.source.chars().count())
        .max()
        .unwrap_or(0)
        .max(6);
    for event in &listing.events {
        let _ = writeln!(out, "{}", event_row(event, type_width, source_width));
    }
    if listing.matched > listing.events.len() as u64 {
        let _ = writeln!(
            out,
            "\nshowing the newest {} of {} matching events (--limit)",
            listing.events.len(),
            listing.matched
        );
    }
    out
}

fn event_row(event: &Event, type_width: usize, source_width: usize) -> String {
    format!(
        "{}  {:<type_width$}  {:<source_width$}  {}",
        event.timestamp.format("%Y-%m-%d %H:%M:%S"),
        event.event_type,
        event.source,
        summary(event, 100)
    )
    .trim_end()
    .to_string()
}

pub fn rating_icon(rating: Rating) -> &'static str {
    match rating {
        Rating::Excellent => "[+]",
        Rating::Good => "[~]",
        Rating::Concerning => "[!]",
        Rating::Critical => "[X]",
    }
}

pub fn trend_arrow(trend: Trend) -> &'static str {
    match trend {
        Trend::Increasing => "[^]",
        Trend::Decreasing => "[v]",
        Trend::Stable => "[-]",
    }
}

/// The breakdown's metrics in the predecessor's order, with their labels.
pub const METRICS: [(&str, &str); 3] = [
    ("violations", "Violations"),
    ("import_blocked", "Import Blocked"),
    ("bypasses", "Bypasses"),
];

pub fn score(score: &Score) -> String {
    let mut out = format!("Enforcement Effectiveness Score\n{RULE_55}\n\n");
    let _ = writeln!(
        out,
        "  {} Overall Rating: {}\n      {}\n",
        rating_icon(score.rating),
        score.rating.as_str().to_uppercase(),
        score.description
    );
    let _ = writeln!(out, "Score Breakdown\n{DASH_55}\n");
    for (key, label) in METRICS {
        let Some(metric) = score.breakdown.get(key) else {
            continue;
        };
        let _ = writeln!(out, "  {label}:");
        let _ = writeln!(
            out,
            "    {:<14}{:>5}  {} {}",
            "Current week:",
            metric.current_week,
            trend_arrow(metric.trend),
            metric.trend.as_str()
        );
        let _ = writeln!(out, "    {:<14}{:>5}", "Previous week:", metric.previous_week);
        let _ = writeln!(out, "    {:<15}{}\n", "Threshold:", metric.threshold);
    }
    let _ = writeln!(out, "{DASH_55}");
    let _ = writeln!(out, "Period: {}", score.period);
    let _ = writeln!(
        out,
        "Total events: {} (current) / {} (previous)",
        score.total_events.current, score.total_events.previous
    );
    if score.malformed > 0 {
        let _ = writeln!(out, "{} malformed line(s) skipped", score.malformed);
    }
    out
}

pub fn alerts(alerts: &Alerts) -> String {
    let mut out = String::new();
    for alert in &alerts.alerts {
        let level = match alert.level {
            crate::config::Level::Critical => "CRITICAL",
            crate::config::Level::Warning => "WARNING",
        };
        let _ = writeln!(out, "[{level}] {}", alert.message);
    }
    out
}

pub fn cleanup(result: &Cleanup) -> String {
    let unreadable = if result.malformed_kept > 0 {
        format!(" ({} unreadable, kept verbatim)", result.malformed_kept)
    } else {
        String::new()
    };
    if result.dry_run {
        format!(
            "Dry run: would remove {} event(s) older than {} days (before {}), would keep {} line(s){unreadable}; nothing was written\n",
            result.removed, result.days, result.cutoff, result.kept
        )
    } else {
        format!(
            "Removed {} event(s) older than {} days (before {}); kept {} line(s){unreadable} in {}\n",
            result.removed,
            result.days,
            result.cutoff,
            result.kept,
            result.path.display()
        )
    }
}
