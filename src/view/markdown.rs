//! The Markdown dashboard: readable on GitHub (which renders the Mermaid
//! chart) and in a terminal (the sparkline).

use std::fmt::Write;

use super::text::{METRICS, rating_icon};
use crate::config::Level;
use crate::event::kind::BypassCategory;
use crate::report::alert::Alerts;
use crate::report::dashboard::{CHART_DAYS, Dashboard};
use crate::report::score::Score;

/// Escapes text for a Markdown table cell.
pub(crate) fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// The rows of the trend table (the dashboard's and the digest's): one per
/// metric, this window, the one before, the trend.
pub(crate) fn trend_rows(out: &mut String, score: &Score) {
    for (key, label) in METRICS {
        if let Some(m) = score.breakdown.get(key) {
            let _ = writeln!(
                out,
                "| {label} | {} | {} | {} |",
                m.current_week,
                m.previous_week,
                m.trend.as_str()
            );
        }
    }
}

/// One line per alert, its level in bold.
pub(crate) fn alert_lines(out: &mut String, alerts: &Alerts) {
    for alert in &alerts.alerts {
        let level = match alert.level {
            Level::Critical => "CRITICAL",
            Level::Warning => "WARNING",
        };
        let _ = writeln!(out, "- **{level}** {}", cell(&alert.message));
    }
}

/// `▁▂▃▄▅▆▇█`, scaled to the largest value; zero is a space-like `▁`.
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 {
                BARS[0]
            } else {
                BARS[((v * 7).div_ceil(max)) as usize]
            }
        })
        .collect()
}

pub fn dashboard(d: &Dashboard) -> String {
    let mut out = String::from("# Enforcement Dashboard\n\n");
    let _ = writeln!(
        out,
        "Generated {} · events of the last {} days\n",
        d.generated, d.days
    );

    let _ = writeln!(
        out,
        "## Effectiveness: {}\n",
        d.score.rating.as_str().to_uppercase()
    );
    let _ = writeln!(out, "{} {}\n", rating_icon(d.score.rating), d.score.description);

    let _ = writeln!(out, "## Trends ({})\n", d.score.period);
    out.push_str("| Metric | Current | Previous | Trend |\n|---|---:|---:|---|\n");
    trend_rows(&mut out, &d.score);
    out.push('\n');

    out.push_str("## Alerts\n\n");
    if d.alerts.alerts.is_empty() {
        out.push_str("No active alerts.\n\n");
    } else {
        alert_lines(&mut out, &d.alerts);
        out.push('\n');
    }

    let _ = writeln!(out, "## Events (last {} days)\n", d.days);
    out.push_str("| Event type | Count |\n|---|---:|\n");
    for (event_type, count) in &d.stats.by_type {
        let _ = writeln!(out, "| {} | {count} |", cell(event_type));
    }
    let _ = writeln!(out, "| **Total** | **{}** |\n", d.stats.total_events);
    if d.stats.malformed > 0 {
        let _ = writeln!(
            out,
            "{} malformed line(s) in the log were skipped.\n",
            d.stats.malformed
        );
    }

    let _ = writeln!(out, "## Daily activity (last {CHART_DAYS} days)\n");
    let labels: Vec<String> = d
        .daily
        .iter()
        .map(|(day, _)| format!("\"{}\"", &day[5..]))
        .collect();
    let values: Vec<u64> = d.daily.iter().map(|(_, n)| *n).collect();
    let top = values.iter().copied().max().unwrap_or(0).max(1);
    out.push_str("```mermaid\nxychart-beta\n    title \"Events per day\"\n");
    let _ = writeln!(out, "    x-axis [{}]", labels.join(", "));
    let _ = writeln!(out, "    y-axis \"Events\" 0 --> {top}");
    let _ = writeln!(
        out,
        "    bar [{}]\n```\n",
        values.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    );
    let first = d.daily.first().map_or("", |(day, _)| day.as_str());
    let last = d.daily.last().map_or("", |(day, _)| day.as_str());
    let _ = writeln!(out, "`{}` {first} … {last}\n", sparkline(&values));

    out.push_str("## Top rules by violations\n\n");
    if d.top_rules.is_empty() {
        out.push_str("No violations in this window.\n\n");
    } else {
        out.push_str("| Rule | Violations |\n|---|---:|\n");
        for (rule, count) in &d.top_rules {
            let _ = writeln!(out, "| {} | {count} |", cell(rule));
        }
        out.push('\n');
    }

    let _ = writeln!(out, "## Bypasses (last {} days)\n", d.days);
    out.push_str("| Category | Count |\n|---|---:|\n");
    for category in BypassCategory::ALL {
        let count = d.bypasses.by_category.get(category.name()).copied().unwrap_or(0);
        let _ = writeln!(out, "| {} | {count} |", category.label());
    }
    // Once any bypass of the window is labelled, the labels are counted
    // and shown.
    let labels = d.bypasses.labels();
    let labelled = labels.labelled() > 0;
    if labelled {
        let _ = writeln!(out, "| **Total** | **{}** |", d.bypasses.total);
        let _ = writeln!(out, "| of them unjustified | {} |", labels.unjustified);
        let _ = writeln!(out, "| of them justified | {} |", labels.justified);
        let _ = writeln!(out, "| of them not labelled | {} |\n", labels.unlabelled);
    } else {
        let _ = writeln!(out, "| **Total** | **{}** |\n", d.bypasses.total);
    }

    out.push_str("## Recent bypasses\n\n");
    if d.recent_bypasses.is_empty() {
        out.push_str("No bypasses in this window.\n");
    } else {
        out.push_str("| When | Who | Branch | Category | Type | Method | Reason |");
        out.push_str(if labelled {
            " Label |\n|---|---|---|---|---|---|---|---|\n"
        } else {
            "\n|---|---|---|---|---|---|---|\n"
        });
        for b in &d.recent_bypasses {
            let _ = write!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                b.when,
                cell(&b.user),
                cell(&b.branch),
                b.category.label(),
                cell(&b.event_type),
                cell(&b.method),
                cell(&b.reason)
            );
            if labelled {
                let _ = write!(out, " {} |", b.label.map_or("-", |l| l.as_str()));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales() {
        assert_eq!(sparkline(&[0, 0, 0]), "▁▁▁");
        assert_eq!(sparkline(&[0, 1, 2, 4, 8]), "▁▂▃▅█");
    }
}
