//! The weekly digest: one Markdown page for a lead to read or a cron job
//! to post: the score, the week's bypasses with their labels, the advice,
//! and the changes of the policy.

use std::fmt::Write;

use super::markdown::{alert_lines, cell, trend_rows};
use super::text::rating_icon;
use crate::advice::Advice;
use crate::report::dashboard::Dashboard;
use crate::report::timeline::Timeline;

/// The sections besides the dashboard's data.
pub struct Digest<'a> {
    pub dashboard: &'a Dashboard,
    pub timeline: &'a Timeline,
    pub advice: &'a Advice,
    pub show_emails: bool,
    /// The log read.
    pub events_file: String,
}

pub fn markdown(d: &Digest) -> String {
    let dash = d.dashboard;
    let mut out = format!(
        "# Enforcement digest: the last {} days\n\n_Generated {} from `{}`. Suggestions are for a person to weigh; nothing here was applied._\n\n",
        dash.days,
        dash.generated,
        cell(&d.events_file)
    );
    let _ = writeln!(
        out,
        "## Score: {}\n\n{} {}\n",
        dash.score.rating.as_str().to_uppercase(),
        rating_icon(dash.score.rating),
        dash.score.description
    );
    out.push_str("| Metric | This period | The one before | Trend |\n|---|---:|---:|---|\n");
    trend_rows(&mut out, &dash.score);
    out.push('\n');
    if !dash.alerts.alerts.is_empty() {
        alert_lines(&mut out, &dash.alerts);
        out.push('\n');
    }

    let b = &dash.bypasses;
    let _ = writeln!(
        out,
        "## Bypasses: {} ({} unjustified, {} justified, {} not labelled yet)\n",
        b.total, b.unjustified, b.justified, b.unlabelled
    );
    if dash.recent_bypasses.is_empty() {
        out.push_str("No bypasses in this window.\n\n");
    } else {
        out.push_str(
            "| When | Who | Category | Method | Reason | Label | Id |\n|---|---|---|---|---|---|---|\n",
        );
        for bypass in &dash.recent_bypasses {
            let label = bypass.label.map_or("not labelled", |l| l.as_str());
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {label} | `{}` |",
                bypass.when,
                cell(&bypass.user),
                bypass.category.label(),
                cell(&bypass.method),
                cell(&bypass.reason),
                bypass.id
            );
        }
        if b.unlabelled > 0 {
            out.push_str("\nLabel them with `enforce label <id> justified|unjustified --note \"…\"` (`enforce bypasses` lists them).\n");
        }
        out.push('\n');
    }

    out.push_str(&crate::advice::markdown(d.advice));

    let _ = writeln!(out, "## Policy changes (last {} days)\n", d.timeline.days);
    out.push_str(&super::timeline::markdown(d.timeline, d.show_emails));
    out
}
