//! `enforce backtest`'s text: a heading, then rule by rule what the
//! proposal would newly block or flag, what it would let through, its
//! near misses and what stays the same; then the commits that could not
//! be judged, notes and a summary.

use std::fmt::Write;

use crate::audit::backtest::{Backtest, Kind, Listed, Location, RuleReport};
use crate::git::{quote_path, short_id};

/// At most this many commits are listed per rule and kind of change
/// (`--json` lists all).
const LISTED: usize = 20;
/// At most this many lines are named per listed commit.
const LINES: usize = 5;

/// The report of replaying `config` over `scope` (a range or a number of
/// days, as the heading says it).
pub fn text(report: &Backtest, config: &str, scope: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "backtest of {config} over {scope}: {} commit(s), each judged under the policy committed at its parent and under the proposal",
        report.commits
    );
    for rule in &report.rules {
        rule_text(&mut out, rule);
    }
    for u in &report.unjudged {
        let _ = writeln!(out, "cannot judge {}: {}", short_id(&u.commit), u.why);
    }
    let unscanned = report.unscanned;
    if unscanned.binary > 0 || unscanned.oversized > 0 {
        let _ = writeln!(
            out,
            "note: the proposal's content rules could not read {} binary file(s) and {} file(s) over its [rules] max_file_bytes",
            unscanned.binary, unscanned.oversized
        );
    }
    let review_on = report.rules.iter().any(|r| {
        r.kind == Kind::Review && (r.proposed_mode != "off" || r.current_modes.keys().any(|m| m != "off"))
    });
    if !report.receipts_found && review_on && report.judged > 0 {
        let _ = writeln!(
            out,
            "note: no receipts could be read (refs/notes/enforce), so no commit counts as reviewed under either policy; to read them in a clone: git fetch <remote> refs/notes/enforce:refs/notes/enforce"
        );
    }
    let t = &report.totals;
    let mut summary = format!(
        "summary: {} of {} commit(s) judged; blocked now {}, under the proposal {} ({} newly blocked, {} let through); flagged but not blocked now {}, under the proposal {}",
        report.judged,
        report.commits,
        t.blocked_now,
        t.blocked_proposed,
        t.newly_blocked,
        t.let_through,
        t.flagged_now,
        t.flagged_proposed
    );
    if !report.unjudged.is_empty() {
        let _ = write!(summary, "; {} cannot be judged", report.unjudged.len());
    }
    let _ = writeln!(out, "{summary}");
    out
}

fn rule_text(out: &mut String, rule: &RuleReport) {
    let kind = if rule.kind == Kind::Content {
        " (content)"
    } else {
        ""
    };
    let _ = write!(
        out,
        "{}{kind}: now {}, proposed {}",
        rule.rule,
        current_modes(rule),
        rule.proposed_mode
    );
    let unchanged = unchanged(rule);
    let misses = &rule.near_misses;
    let audit_only: Vec<&Listed> = misses
        .audit_mode
        .iter()
        .filter(|l| {
            !rule
                .newly_flagged
                .iter()
                .chain(&rule.let_through)
                .any(|n| n.commit == l.commit)
        })
        .collect();
    if !rule.changes() && misses.excluded.is_empty() && misses.audit_mode.is_empty() {
        let _ = writeln!(out, ": unchanged ({unchanged})");
        return;
    }
    let _ = writeln!(out);
    list(out, "would newly block", &rule.newly_blocked);
    list(out, "would newly flag (audit mode)", &rule.newly_flagged);
    list(out, "would let through, blocked now", &rule.let_through);
    list(out, "would no longer flag", &rule.no_longer_flagged);
    if !misses.excluded.is_empty() {
        let _ = writeln!(
            out,
            "  near misses: {} matching line(s) in {} commit(s), in files its paths/exclude leave out:",
            misses.excluded_lines,
            misses.excluded.len()
        );
        for missed in misses.excluded.iter().take(LISTED) {
            let _ = writeln!(
                out,
                "    {} {}: {}",
                short_id(&missed.commit),
                missed.subject,
                locations(&missed.at, missed.lines)
            );
        }
        more(out, misses.excluded.len());
    }
    if !misses.audit_mode.is_empty() {
        let _ = write!(
            out,
            "  near misses: in audit mode it flags {} commit(s) without blocking them",
            misses.audit_mode.len()
        );
        if audit_only.is_empty() {
            let _ = writeln!(out, " (listed above)");
        } else {
            let _ = writeln!(out, "; besides those listed above:");
            for listed in audit_only.iter().take(LISTED) {
                line(out, listed);
            }
            more(out, audit_only.len());
        }
    }
    let _ = writeln!(out, "  unchanged: {unchanged}");
}

/// The rule's modes over the judged commits: one word when it had one.
fn current_modes(rule: &RuleReport) -> String {
    let mut modes: Vec<(&String, &usize)> = rule.current_modes.iter().collect();
    match modes.as_slice() {
        [] => "not judged".into(),
        [(mode, _)] => (*mode).clone(),
        _ => {
            modes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            modes
                .iter()
                .map(|(mode, n)| format!("{mode} in {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

fn unchanged(rule: &RuleReport) -> String {
    let u = rule.unchanged;
    let mut parts = Vec::new();
    for (n, what) in [
        (u.blocked, "blocked"),
        (u.flagged, "flagged"),
        (u.passed, "passed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

fn list(out: &mut String, what: &str, listed: &[Listed]) {
    if listed.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {what}: {} commit(s)", listed.len());
    for l in listed.iter().take(LISTED) {
        line(out, l);
    }
    more(out, listed.len());
}

fn line(out: &mut String, listed: &Listed) {
    let _ = write!(
        out,
        "    {} {}: {}",
        short_id(&listed.commit),
        listed.subject,
        listed.reason
    );
    if !listed.hits.is_empty() {
        let _ = write!(out, ": {}", locations(&listed.hits, listed.hit_count));
    }
    let _ = writeln!(out);
}

fn more(out: &mut String, listed: usize) {
    if listed > LISTED {
        let _ = writeln!(out, "    … and {} more (--json lists them all)", listed - LISTED);
    }
}

/// `a.py:3, b.py:7` for the first few of `count` lines.
fn locations(at: &[Location], count: usize) -> String {
    let mut text = at
        .iter()
        .take(LINES)
        .map(|l| format!("{}:{}", quote_path(&l.file), l.line))
        .collect::<Vec<_>>()
        .join(", ");
    let shown = at.len().min(LINES);
    if count > shown {
        let _ = write!(text, " (and {} more)", count - shown);
    }
    text
}
