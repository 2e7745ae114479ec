//! The advice as text for a terminal and as Markdown (for the digest and
//! for pasting into an issue). JSON is the [`Advice`] structure itself.

use std::fmt::Write;

use super::stats::duration;
use super::{Advice, FollowUp, Suggestion};

/// The first line under the heading: what advice is and is not.
const NOT_APPLIED: &str = "Nothing here is applied: each suggestion is for a person to weigh. `enforce advise --patch` prints the config changes as a diff to review.";

fn median(f: &FollowUp) -> String {
    f.median_seconds_to_fix.map_or("-".into(), duration)
}

fn heading(advice: &Advice) -> String {
    format!(
        "Advice from the last {} days ({} to {})",
        advice.days,
        &advice.since[..advice.since.len().min(10)],
        &advice.until[..advice.until.len().min(10)]
    )
}

/// The terminal view.
pub fn text(advice: &Advice) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n{NOT_APPLIED}\n", heading(advice));
    if advice.suggestions.is_empty() {
        out.push_str("No suggestions.\n");
    } else {
        out.push_str("Suggestions\n");
        for (i, s) in advice.suggestions.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {}. {} `{}`: {}",
                i + 1,
                s.kind.as_str().to_uppercase(),
                s.rule,
                s.summary
            );
            let _ = writeln!(
                out,
                "     sureness: {}: {}",
                s.sureness.level.as_str(),
                s.sureness.basis
            );
            for line in &s.evidence {
                let _ = writeln!(out, "     - {line}");
            }
            let _ = writeln!(out, "     do: {}", s.action);
        }
    }
    if !advice.not_enough_data.is_empty() {
        let _ = writeln!(
            out,
            "\nNot enough data (no suggestion made; at least {} observations are needed, {} days for a quiet rule)",
            advice.settings.min_count, advice.settings.quiet_days
        );
        for s in &advice.not_enough_data {
            let _ = writeln!(
                out,
                "  - {} `{}`: not enough data: {}",
                s.check.as_str(),
                s.rule,
                s.what
            );
        }
    }
    out.push_str(&rules_table(advice));
    out
}

fn rules_table(advice: &Advice) -> String {
    let mut out = String::new();
    if advice.rules.is_empty() {
        out.push_str("\nNo rule is on.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "\nRules (last {} days; a block is followed by the user's next attempt on the branch within {} h)",
        advice.days, advice.settings.follow_up_hours
    );
    let header = [
        "Rule",
        "Mode",
        "Judged",
        "Blocked",
        "Fixed",
        "Bypassed",
        "Again",
        "No follow-up",
        "Median fix",
        "Audit",
        "Bypasses",
    ];
    let mut rows: Vec<[String; 11]> = Vec::new();
    for r in &advice.rules {
        let f = &r.follow_up;
        rows.push([
            r.rule.clone(),
            r.mode.to_string(),
            r.evaluated.to_string(),
            r.blocked.to_string(),
            f.fixed.to_string(),
            f.bypassed.to_string(),
            f.blocked_again.to_string(),
            f.no_follow_up.to_string(),
            median(f),
            r.audited.to_string(),
            r.bypassed.to_string(),
        ]);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let mut text = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i < 2 {
                let _ = write!(text, " {cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(text, " {}{cell}", " ".repeat(pad));
            }
        }
        text.trim_end().to_string() + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    let mut agents = String::new();
    for r in &advice.rules {
        for a in r.by_agent.iter().filter(|a| a.follow_up.blocks > 0) {
            let f = &a.follow_up;
            let _ = writeln!(
                agents,
                "  {} / {}: {} blocked, {} fixed, {} bypassed, median fix {}",
                r.rule,
                a.agent,
                f.blocks,
                f.fixed,
                f.bypassed,
                median(f)
            );
        }
    }
    if !agents.is_empty() {
        out.push_str("\nBlocks per agent\n");
        out.push_str(&agents);
    }
    out
}

/// Escapes text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

fn md_suggestion(out: &mut String, i: usize, s: &Suggestion) {
    let _ = writeln!(
        out,
        "{}. **{}** `{}`: {}  \n   *Sureness: {}* ({})",
        i + 1,
        s.kind.as_str(),
        s.rule,
        cell(&s.summary),
        s.sureness.level.as_str(),
        cell(&s.sureness.basis)
    );
    for line in &s.evidence {
        let _ = writeln!(out, "   - {}", cell(line));
    }
    let _ = writeln!(out, "   - **Do:** {}", cell(&s.action));
}

/// The Markdown view (the digest's section on the rules).
pub fn markdown(advice: &Advice) -> String {
    let mut out = format!("## {}\n\n{NOT_APPLIED}\n\n", heading(advice));
    if advice.suggestions.is_empty() {
        out.push_str("No suggestions.\n\n");
    } else {
        out.push_str("### Suggestions\n\n");
        for (i, s) in advice.suggestions.iter().enumerate() {
            md_suggestion(&mut out, i, s);
        }
        out.push('\n');
    }
    if !advice.not_enough_data.is_empty() {
        let _ = writeln!(
            out,
            "### Not enough data\n\nNo suggestion is made below {} observations ({} days for a quiet rule).\n",
            advice.settings.min_count, advice.settings.quiet_days
        );
        for s in &advice.not_enough_data {
            let _ = writeln!(out, "- {} `{}`: {}", s.check.as_str(), s.rule, cell(&s.what));
        }
        out.push('\n');
    }
    if !advice.rules.is_empty() {
        out.push_str("### Rules\n\n| Rule | Mode | Judged | Blocked | Fixed | Bypassed | Blocked again | No follow-up | Median fix | Audit | Bypasses |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for r in &advice.rules {
            let f = &r.follow_up;
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.rule,
                r.mode,
                r.evaluated,
                r.blocked,
                f.fixed,
                f.bypassed,
                f.blocked_again,
                f.no_follow_up,
                median(f),
                r.audited,
                r.bypassed
            );
        }
        let agents: Vec<String> = advice
            .rules
            .iter()
            .flat_map(|r| {
                r.by_agent
                    .iter()
                    .filter(|a| a.follow_up.blocks > 0)
                    .map(move |a| {
                        let f = &a.follow_up;
                        format!(
                            "| `{}` | {} | {} | {} | {} | {} |",
                            r.rule,
                            cell(&a.agent),
                            f.blocks,
                            f.fixed,
                            f.bypassed,
                            median(f)
                        )
                    })
            })
            .collect();
        if !agents.is_empty() {
            out.push_str("\n| Rule | Agent | Blocked | Fixed | Bypassed | Median fix |\n|---|---|---:|---:|---:|---:|\n");
            for row in agents {
                out.push_str(&row);
                out.push('\n');
            }
        }
    }
    out
}
