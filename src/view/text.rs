//! Plain-text views for the terminal.

use std::fmt::Write;

use crate::config::JustifiedBypasses;
use crate::event::chain::HEAD_REF;
use crate::event::cleanup::Cleanup;
use crate::event::verify::Report;
use crate::event::{Event, user_name};
use crate::install::health::{Level, Status};
use crate::report::Trend;
use crate::report::alert::Alerts;
use crate::report::events::{Listing, summary};
use crate::report::labels::BypassRow;
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
    // Once any bypass of the window is labelled, the labels are counted.
    if let Some(bypasses) = stats.bypasses.as_ref().filter(|b| b.labels().labelled() > 0) {
        let _ = writeln!(
            out,
            "\nBypasses: {} ({})",
            bypasses.total,
            bypasses.labels().describe()
        );
    }
    if stats.malformed > 0 {
        let _ = writeln!(out, "\n{} malformed line(s) skipped", stats.malformed);
    }
    out
}

pub fn events(listing: &Listing, heading: &str) -> String {
    let mut out = format!("{heading}\n{RULE_45}\n\n");
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
        let labels = score.bypass_labels;
        if key == "bypasses" && labels.labelled() > 0 {
            let treated = match score.justified_bypasses {
                JustifiedBypasses::NonCritical if labels.justified > 0 => "; justified ones are not critical",
                _ => "",
            };
            let _ = writeln!(
                out,
                "    {:<14}{:>5}  ({} justified, {} not labelled{treated})",
                "Unjustified:", labels.unjustified, labels.justified, labels.unlabelled
            );
        }
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
    let mut unreadable = if result.malformed_kept > 0 {
        format!(" ({} unreadable, kept verbatim)", result.malformed_kept)
    } else {
        String::new()
    };
    if result.labels_kept > 0 {
        let _ = write!(
            unreadable,
            " (of them {} label(s) older than that: labels are never removed)",
            result.labels_kept
        );
    }
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

/// The most characters of a reason `enforce bypasses` shows.
const REASON_CHARS: usize = 48;

/// `enforce bypasses`: one row per bypass, newest first; with `all`, the
/// labelled ones too, with their label.
pub fn bypasses(rows: &[BypassRow], days: u64, all: bool) -> String {
    let heading = if all {
        format!("Bypasses (last {days} days)")
    } else {
        format!("Bypasses not labelled yet (last {days} days)")
    };
    let mut out = format!("{heading}\n{RULE_55}\n\n");
    if rows.is_empty() {
        let none = if all {
            "No bypasses in this window.\n"
        } else {
            "No bypass without a label in this window.\n"
        };
        out.push_str(none);
        return out;
    }
    let mut table: Vec<Vec<String>> = vec![
        [
            "ID",
            "WHEN",
            "TYPE (CATEGORY)",
            "COMMIT",
            "METHOD",
            "REASON",
            "USER",
            "AGENT",
            "LABEL",
        ]
        .iter()
        .map(|h| h.to_string())
        .collect(),
    ];
    for row in rows {
        let b = &row.bypass;
        let dash = || "-".to_string();
        table.push(vec![
            b.id.clone(),
            row.at.format("%Y-%m-%d %H:%M").to_string(),
            format!("{} ({})", b.event_type, row.category.name()),
            b.commit_sha
                .as_deref()
                .map_or_else(dash, |sha| crate::git::short_id(sha).to_string()),
            b.method.clone().unwrap_or_else(dash),
            b.reason.as_deref().map_or_else(dash, |r| cut(r, REASON_CHARS)),
            if b.user.is_empty() { dash() } else { b.user.clone() },
            b.agent.clone().unwrap_or_else(dash),
            row.label.as_ref().map_or_else(dash, |l| {
                let gone = if row.in_log {
                    ""
                } else {
                    " (bypass removed by cleanup)"
                };
                format!("{} by {}{gone}", l.label.as_str(), user_name(&l.labeled_by))
            }),
        ]);
    }
    if !all {
        for line in &mut table {
            line.pop();
        }
    }
    let widths: Vec<usize> = (0..table[0].len())
        .map(|c| table.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for line in &table {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let unlabelled = rows.iter().filter(|r| r.label.is_none()).count();
    let _ = writeln!(
        out,
        "\n{} bypass(es), {unlabelled} not labelled yet; label one with `enforce label <ID|COMMIT> justified|unjustified --note TEXT`",
        rows.len()
    );
    out
}

/// `text` cut to `max` characters, with `…` where it was cut.
fn cut(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((at, _)) => format!("{}…", &text[..at]),
    }
}

/// `enforce verify`.
pub fn verify(report: &Report) -> String {
    let c = &report.chain;
    if c.lines == 0 && report.anchored_head.is_none() {
        return format!("{}: no events recorded yet: nothing to verify\n", report.path);
    }
    let mut out = format!(
        "{}: {} line(s): {} chained, {} unchained, {} unreadable, {} checkpoint(s)\n",
        report.path, c.lines, c.chained, c.unchained, c.unreadable, c.checkpoints
    );
    if !c.unreadable_lines.is_empty() {
        let lines: Vec<String> = c.unreadable_lines.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "unreadable line(s) {} (torn writes or garbage; kept, and covered by the chain)",
            lines.join(", ")
        );
    }
    let refname = report.anchor_ref.as_deref().unwrap_or(HEAD_REF);
    match (&c.head, &report.anchored_head) {
        (Some(head), Some(anchor)) => {
            let _ = writeln!(
                out,
                "head: sequence {} ({}); {refname} records sequence {}",
                head.seq,
                head.hash.get(..12).unwrap_or(&head.hash),
                anchor.seq
            );
        }
        (Some(head), None) => {
            let _ = writeln!(
                out,
                "head: sequence {} ({}); no {refname} for this file",
                head.seq,
                head.hash.get(..12).unwrap_or(&head.hash)
            );
        }
        _ => {}
    }
    if c.intact {
        out.push_str("intact: every link holds\n");
    } else {
        let _ = writeln!(out, "BROKEN: {} problem(s)", c.problems.len());
        for problem in &c.problems {
            let _ = writeln!(
                out,
                "  line {}: {}: {}",
                problem.line, problem.kind, problem.message
            );
            if let (Some(expected), Some(found)) = (&problem.expected, &problem.found) {
                let _ = writeln!(out, "    expected {expected}, found {found}");
            }
        }
    }
    out
}

/// `enforce status`.
pub fn status(status: &Status) -> String {
    let mut out = String::new();
    for c in &status.checks {
        let level = match c.status {
            Level::Ok => "OK  ",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        };
        let _ = writeln!(out, "{level} {:<22} {}", c.check, c.detail);
        if let Some(fix) = &c.fix
            && c.status != Level::Ok
        {
            let _ = writeln!(out, "     {:<22} fix: {fix}", "");
        }
    }
    let _ = writeln!(
        out,
        "{}",
        if status.ok {
            "enforcement is in force"
        } else {
            "enforcement is NOT fully in force: see FAIL above"
        }
    );
    out
}
