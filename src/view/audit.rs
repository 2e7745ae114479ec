//! `enforce audit`'s text: one line per offending commit naming it, its
//! subject and what it lacks; the commits that could not be judged; notes;
//! a summary line; then how to fix what was found.

use std::fmt::Write;

use crate::audit::Report;
use crate::git::short_id;

/// The report on `range` as text. `no_receipts`: not one receipt could be
/// read, which is worth a hint of its own.
pub fn text(report: &Report, range: &str, no_receipts: bool) -> String {
    let mut out = String::new();
    let mut lines: Vec<(&str, &str, Vec<String>)> = Vec::new();
    for f in &report.findings {
        let what = format!("{}: {}", f.rule, f.problem);
        match lines.last_mut() {
            Some((commit, _, problems)) if *commit == f.commit => problems.push(what),
            _ => lines.push((&f.commit, &f.subject, vec![what])),
        }
    }
    for (commit, subject, problems) in &lines {
        let _ = writeln!(out, "{} {subject}: {}", short_id(commit), problems.join("; "));
    }
    for u in &report.unjudged {
        let _ = writeln!(out, "cannot judge {}: {}", short_id(&u.commit), u.why);
    }
    for i in &report.info {
        let _ = writeln!(out, "note: {} {}: {}", short_id(&i.commit), i.subject, i.message);
    }

    let mut summary = if lines.is_empty() && report.unjudged.is_empty() {
        format!("audit {range}: all {} commit(s) pass", report.commits)
    } else {
        format!(
            "audit {range}: {} of {} commit(s) offend",
            lines.len(),
            report.commits
        )
    };
    if !report.unjudged.is_empty() {
        let _ = write!(summary, ", {} cannot be judged", report.unjudged.len());
    }
    if report.exempt > 0 {
        let _ = write!(summary, " ({} exempt by [audit] since)", report.exempt);
    }
    let _ = writeln!(out, "{summary}");

    let mut fixes: Vec<(&str, &str)> = Vec::new();
    for f in &report.findings {
        if let Some(fix) = &f.fix
            && !fixes.iter().any(|(rule, known)| *rule == f.rule && *known == fix)
        {
            fixes.push((&f.rule, fix));
        }
    }
    for (rule, fix) in fixes {
        let _ = writeln!(out, "fix: {rule}: {fix}");
    }
    if no_receipts && report.commits > report.exempt {
        let _ = writeln!(
            out,
            "hint: no receipts could be read here: where the commits were made, push them with `git push <remote> refs/notes/enforce`; to read them in a clone, `git fetch <remote> refs/notes/enforce:refs/notes/enforce`"
        );
    }
    out
}
