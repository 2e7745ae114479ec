//! The HTML dashboard: one self-contained file (inline CSS and SVG, no
//! script, nothing fetched), with the Markdown dashboard's content and three
//! charts: events per day stacked by type, bypasses per week, violations by
//! rule.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::text::{METRICS, rating_icon};
use crate::config::Level;
use crate::event::kind::BypassCategory;
use crate::report::dashboard::{BYPASS_WEEKS, Dashboard, STACKED_DAYS};
use crate::report::score::Rating;

/// Escapes text for HTML content and attributes.
pub(crate) fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Colours for the stacked chart's series (readable for most colour
/// vision; the legend and tooltips carry the names too).
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f",
];

fn rating_colour(rating: Rating) -> &'static str {
    match rating {
        Rating::Excellent => "#2e7d32",
        Rating::Good => "#558b2f",
        Rating::Concerning => "#ef6c00",
        Rating::Critical => "#c62828",
    }
}

/// Events per day, stacked: bypasses by category, then the most frequent
/// other types, then "other".
fn stacked_chart(d: &Dashboard) -> String {
    let mut totals: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, types) in &d.daily_by_type {
        for (t, n) in types {
            *totals.entry(t).or_insert(0) += n;
        }
    }
    let mut series: Vec<(&str, u64)> = totals.into_iter().collect();
    // Bypasses first, by category, so they never fold into "other".
    let is_bypass = |t: &str| BypassCategory::ALL.iter().any(|c| c.label() == t);
    series.sort_by(|a, b| {
        is_bypass(b.0)
            .cmp(&is_bypass(a.0))
            .then(b.1.cmp(&a.1))
            .then(a.0.cmp(b.0))
    });
    let shown: Vec<&str> = series.iter().take(PALETTE.len() - 1).map(|(t, _)| *t).collect();
    let has_other = series.len() > shown.len();

    let (width, height, left, bottom, top) = (900.0, 300.0, 40.0, 40.0, 10.0);
    let days = d.daily_by_type.len().max(1) as f64;
    let max = d
        .daily_by_type
        .iter()
        .map(|(_, t)| t.values().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let slot = (width - left) / days;
    let scale = (height - bottom - top) / max;
    let mut svg = format!(
        "<svg id=\"chart-daily\" role=\"img\" aria-label=\"Events per day by type, last {STACKED_DAYS} days\" viewBox=\"0 0 {width} {}\" width=\"100%\">\n",
        height + 24.0 * ((series.len().min(PALETTE.len()) as f64 / 4.0).ceil())
    );
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{width}\" y2=\"{0}\" stroke=\"#999\"/>",
        height - bottom
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        left - 4.0,
        top + 10.0,
        max as u64
    );
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>",
        left - 4.0,
        height - bottom
    );
    for (i, (day, types)) in d.daily_by_type.iter().enumerate() {
        let x = left + i as f64 * slot + slot * 0.1;
        let mut y = height - bottom;
        let mut stack: Vec<(usize, u64)> = Vec::new();
        let mut other = 0;
        for (t, n) in types {
            match shown.iter().position(|s| s == t) {
                Some(k) => stack.push((k, *n)),
                None => other += n,
            }
        }
        stack.sort();
        if other > 0 {
            stack.push((PALETTE.len() - 1, other));
        }
        for (k, n) in stack {
            let h = n as f64 * scale;
            y -= h;
            let name = if k < shown.len() { shown[k] } else { "other" };
            let _ = writeln!(
                svg,
                "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{day}: {n} {}</title></rect>",
                slot * 0.8,
                PALETTE[k],
                esc(name)
            );
        }
        if i % 5 == 0 || i + 1 == d.daily_by_type.len() {
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.4,
                height - bottom + 16.0,
                &day[5..]
            );
        }
    }
    let mut legend: Vec<(&str, &str)> = shown.iter().enumerate().map(|(k, t)| (*t, PALETTE[k])).collect();
    if has_other {
        legend.push(("other", PALETTE[PALETTE.len() - 1]));
    }
    for (i, (name, colour)) in legend.iter().enumerate() {
        let x = left + (i % 4) as f64 * 215.0;
        let y = height + 4.0 + (i / 4) as f64 * 22.0;
        let _ = writeln!(
            svg,
            "<rect class=\"legend\" x=\"{x}\" y=\"{y}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            x + 16.0,
            y + 11.0,
            esc(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Bars, vertical (`horizontal = false`) or horizontal, with labels.
fn bar_chart(id: &str, label: &str, rows: &[(String, u64)], horizontal: bool, colour: &str) -> String {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    if horizontal {
        let row = 26.0;
        let height = (rows.len().max(1) as f64) * row + 10.0;
        let mut svg = format!(
            "<svg id=\"{id}\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 900 {height}\" width=\"100%\">\n"
        );
        if rows.is_empty() {
            svg.push_str("<text x=\"10\" y=\"20\" font-size=\"13\">none in this window</text>\n");
        }
        for (i, (name, n)) in rows.iter().enumerate() {
            let y = 5.0 + i as f64 * row;
            let w = *n as f64 / max * 560.0;
            let _ = writeln!(
                svg,
                "<text x=\"230\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"end\">{}</text><rect class=\"bar\" x=\"240\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"18\" fill=\"{colour}\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\">{n}</text>",
                y + 13.0,
                esc(name),
                esc(name),
                246.0 + w,
                y + 13.0
            );
        }
        svg.push_str("</svg>\n");
        return svg;
    }
    let (width, height, bottom) = (900.0, 200.0, 30.0);
    let slot = width / rows.len().max(1) as f64;
    let mut svg = format!(
        "<svg id=\"{id}\" role=\"img\" aria-label=\"{label}\" viewBox=\"0 0 {width} {height}\" width=\"100%\">\n"
    );
    for (i, (name, n)) in rows.iter().enumerate() {
        let h = *n as f64 / max * (height - bottom - 20.0);
        let x = i as f64 * slot + slot * 0.15;
        let y = height - bottom - h;
        let _ = writeln!(
            svg,
            "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{n}</text><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            slot * 0.7,
            esc(name),
            x + slot * 0.35,
            y - 4.0,
            x + slot * 0.35,
            height - 10.0,
            esc(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A section the dashboard shows after its own (the advice, the policy's
/// changes): its element id, heading and HTML body.
pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub html: String,
}

/// The advice's suggestions as a list (the dashboard's section; `enforce
/// advise` has the per-rule numbers).
pub fn advice(advice: &crate::advice::Advice) -> String {
    let mut out = String::from(
        "<p>Nothing here is applied: each suggestion is for a person to weigh (<code>enforce advise --patch</code> prints the config changes as a diff).</p>\n",
    );
    if advice.suggestions.is_empty() {
        out.push_str("<p>No suggestions.</p>\n");
    } else {
        out.push_str("<ol class=\"advice\">\n");
        for s in &advice.suggestions {
            let _ = write!(
                out,
                "<li><strong>{}</strong> <code>{}</code>: {} <em>(sureness: {}, {})</em><ul>",
                s.kind.as_str(),
                esc(&s.rule),
                esc(&s.summary),
                s.sureness.level.as_str(),
                esc(&s.sureness.basis)
            );
            for line in &s.evidence {
                let _ = write!(out, "<li>{}</li>", esc(line));
            }
            let _ = writeln!(out, "<li>Do: {}</li></ul></li>", esc(&s.action));
        }
        out.push_str("</ol>\n");
    }
    if !advice.not_enough_data.is_empty() {
        let _ = writeln!(
            out,
            "<p>Not enough data for {} check(s) (fewer than {} observations).</p>",
            advice.not_enough_data.len(),
            advice.settings.min_count
        );
    }
    out
}

pub fn dashboard(d: &Dashboard, sections: &[Section]) -> String {
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Enforcement Dashboard</title>\n<style>\n\
         body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#222;padding:0 1rem}\n\
         @media (max-width:600px){body{margin:1rem auto;padding:0 .5rem;font-size:15px}td,th{padding:.25rem .4rem}}\n\
         .wide{overflow-x:auto;-webkit-overflow-scrolling:touch}.wide table{min-width:100%}\n\
         table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}\n\
         td.n,th.n{text-align:right}.rating{display:inline-block;color:#fff;padding:.3rem .8rem;border-radius:4px;font-weight:bold}\n\
         .critical{color:#c62828;font-weight:bold}.warning{color:#ef6c00;font-weight:bold}svg{margin:.5rem 0 1.5rem}\n\
         </style>\n</head>\n<body>\n",
    );
    let _ = writeln!(
        out,
        "<h1>Enforcement Dashboard</h1>\n<p>Generated {} · events of the last {} days</p>",
        esc(&d.generated),
        d.days
    );
    let _ = writeln!(
        out,
        "<h2>Effectiveness</h2>\n<p><span id=\"rating\" class=\"rating\" style=\"background:{}\">{} {}</span> {}</p>",
        rating_colour(d.score.rating),
        rating_icon(d.score.rating),
        d.score.rating.as_str().to_uppercase(),
        esc(&d.score.description)
    );
    let _ = writeln!(
        out,
        "<h2>Trends ({})</h2>\n<table id=\"trends\"><tr><th>Metric</th><th class=\"n\">Current</th><th class=\"n\">Previous</th><th>Trend</th></tr>",
        esc(&d.score.period)
    );
    for (key, label) in METRICS {
        if let Some(m) = d.score.breakdown.get(key) {
            let _ = writeln!(
                out,
                "<tr><td>{label}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                m.current_week,
                m.previous_week,
                m.trend.as_str()
            );
        }
    }
    out.push_str("</table>\n<h2>Alerts</h2>\n");
    if d.alerts.alerts.is_empty() {
        out.push_str("<p id=\"alerts\">No active alerts.</p>\n");
    } else {
        out.push_str("<ul id=\"alerts\">\n");
        for alert in &d.alerts.alerts {
            let (class, level) = match alert.level {
                Level::Critical => ("critical", "CRITICAL"),
                Level::Warning => ("warning", "WARNING"),
            };
            let _ = writeln!(
                out,
                "<li><span class=\"{class}\">{level}</span> {}</li>",
                esc(&alert.message)
            );
        }
        out.push_str("</ul>\n");
    }
    let _ = writeln!(
        out,
        "<h2>Events (last {} days)</h2>\n<table id=\"counts\"><tr><th>Event type</th><th class=\"n\">Count</th></tr>",
        d.days
    );
    for (event_type, count) in &d.stats.by_type {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{count}</td></tr>",
            esc(event_type)
        );
    }
    let _ = writeln!(
        out,
        "<tr><th>Total</th><th class=\"n\">{}</th></tr>\n</table>",
        d.stats.total_events
    );
    if d.stats.malformed > 0 {
        let _ = writeln!(
            out,
            "<p>{} malformed line(s) in the log were skipped.</p>",
            d.stats.malformed
        );
    }
    let _ = writeln!(out, "<h2>Events per day by type (last {STACKED_DAYS} days)</h2>");
    out.push_str(&stacked_chart(d));
    let _ = writeln!(out, "<h2>Bypasses per week (last {BYPASS_WEEKS} weeks)</h2>");
    let weeks: Vec<(String, u64)> = d
        .weekly_bypasses
        .iter()
        .map(|(w, n)| (w[5..].to_string(), *n))
        .collect();
    out.push_str(&bar_chart(
        "chart-bypasses",
        "Bypasses per week",
        &weeks,
        false,
        "#c62828",
    ));
    out.push_str("<h2>Violations by rule</h2>\n");
    out.push_str(&bar_chart(
        "chart-rules",
        "Violations by rule",
        &d.top_rules,
        true,
        "#4e79a7",
    ));
    let _ = writeln!(
        out,
        "<h2>Bypasses (last {} days)</h2>\n<table id=\"bypass-categories\"><tr><th>Category</th><th class=\"n\">Count</th></tr>",
        d.days
    );
    for category in BypassCategory::ALL {
        let count = d.bypasses.by_category.get(category.name()).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{count}</td></tr>",
            esc(category.label())
        );
    }
    let _ = writeln!(
        out,
        "<tr><th>Total</th><th class=\"n\">{}</th></tr>",
        d.bypasses.total
    );
    // Once any bypass of the window is labelled, the labels are counted
    // and shown.
    let labels = d.bypasses.labels();
    let labelled = labels.labelled() > 0;
    if labelled {
        for (name, count) in [
            ("of them unjustified", labels.unjustified),
            ("of them justified", labels.justified),
            ("of them not labelled", labels.unlabelled),
        ] {
            let _ = writeln!(out, "<tr><td>{name}</td><td class=\"n\">{count}</td></tr>");
        }
    }
    out.push_str("</table>\n");
    out.push_str("<h2>Recent bypasses</h2>\n");
    if d.recent_bypasses.is_empty() {
        out.push_str("<p id=\"bypasses\">No bypasses in this window.</p>\n");
    } else {
        out.push_str("<div class=\"wide\"><table id=\"bypasses\"><tr><th>When</th><th>Who</th><th>Branch</th><th>Category</th><th>Type</th><th>Method</th><th>Reason</th>");
        out.push_str(if labelled {
            "<th>Label</th></tr>\n"
        } else {
            "</tr>\n"
        });
        for b in &d.recent_bypasses {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
                esc(&b.when),
                esc(&b.user),
                esc(&b.branch),
                esc(b.category.label()),
                esc(&b.event_type),
                esc(&b.method),
                esc(&b.reason)
            );
            if labelled {
                let _ = write!(out, "<td>{}</td>", b.label.map_or("-", |l| l.as_str()));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table></div>\n");
    }
    for section in sections {
        let _ = writeln!(
            out,
            "<h2>{}</h2>\n<div id=\"{}\">\n{}</div>",
            esc(&section.title),
            section.id,
            section.html
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}
