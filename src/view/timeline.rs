//! The trust timeline as text and as Markdown (for the digest).

use std::fmt::Write;

use crate::report::timeline::{Counts, Effect, Entry, Timeline};

/// Who is shown for a `Name <email>`: the name unless e-mail addresses are
/// asked for (`[reports] show_emails`).
fn person(who: &str, show_emails: bool) -> String {
    if show_emails {
        who.to_string()
    } else {
        crate::event::user_name(who).to_string()
    }
}

fn counts(c: &Counts) -> String {
    format!(
        "{} blocked, {} bypassed, {} violation(s), {} audit",
        c.blocked, c.bypassed, c.violations, c.audited
    )
}

fn effect(e: &Effect) -> String {
    format!(
        "`{}`: 7 days before: {}; {} day(s) after: {}",
        e.rule,
        counts(&e.before),
        e.after_days,
        counts(&e.after)
    )
}

fn what(entry: &Entry) -> Vec<String> {
    let mut lines: Vec<String> = entry
        .changes
        .iter()
        .map(|c| {
            format!(
                "{} `{}` {}: {} → {}",
                if c.weakens {
                    "weakens"
                } else {
                    "strengthens or keeps"
                },
                c.rule,
                c.setting,
                c.from,
                c.to
            )
        })
        .collect();
    if let Some(problem) = &entry.invalid {
        lines.push(format!("leaves .enforce.toml invalid: {problem}"));
    }
    if entry.changes.is_empty() && entry.invalid.is_none() {
        let approvers: Vec<&str> = entry
            .files
            .iter()
            .map(String::as_str)
            .filter(|f| *f != crate::config::FILE_NAME)
            .collect();
        if approvers.is_empty() {
            lines.push(format!(
                "changes {} without changing a setting",
                crate::config::FILE_NAME
            ));
        } else {
            lines.push(format!("changes {} (who may approve)", approvers.join(", ")));
        }
    }
    lines
}

fn heading(entry: &Entry, show_emails: bool) -> String {
    let when = entry.when.format("%Y-%m-%d %H:%M");
    let commit = match &entry.commit {
        Some(sha) => format!(" {}", crate::git::short_id(sha)),
        None => String::new(),
    };
    let how = match entry.seen_in {
        "uncommitted" => " (uncommitted work-tree edit)",
        "log" => " (not on this branch; from the log)",
        _ => "",
    };
    let subject = entry
        .subject
        .as_deref()
        .map(|s| format!(" \"{s}\""))
        .unwrap_or_default();
    let by = entry
        .by
        .as_deref()
        .map(|b| format!(" by {}", person(b, show_emails)))
        .unwrap_or_default();
    format!("{when}{commit}{subject}{by}{how}")
}

fn approval(entry: &Entry, show_emails: bool) -> String {
    match (&entry.approved_by, &entry.signed_by) {
        (_, Some(signer)) => format!("approved by {} (signed)", person(signer, show_emails)),
        (Some(reviewer), None) => format!("approved by {} (unsigned)", person(reviewer, show_emails)),
        (None, None) => "no approval on record".to_string(),
    }
}

/// `enforce timeline` in the terminal.
pub fn text(timeline: &Timeline, show_emails: bool) -> String {
    let mut out = format!(
        "Trust Timeline (last {} days)\n=============================================\n\n",
        timeline.days
    );
    if timeline.entries.is_empty() {
        out.push_str("No change of the policy in this window.\n");
        return out;
    }
    for entry in &timeline.entries {
        let mark = if entry.weakens { "!" } else { "-" };
        let _ = writeln!(out, "{mark} {}", heading(entry, show_emails));
        let _ = writeln!(out, "    {}", approval(entry, show_emails));
        for line in what(entry) {
            let _ = writeln!(out, "    {line}");
        }
        for e in &entry.effects {
            let _ = writeln!(out, "    {}", effect(e));
        }
        out.push('\n');
    }
    let weakening = timeline.entries.iter().filter(|e| e.weakens).count();
    let _ = writeln!(
        out,
        "{} change(s), {weakening} weakening (marked !)",
        timeline.entries.len()
    );
    out
}
/// The timeline as a Markdown section (the digest's).
pub fn markdown(timeline: &Timeline, show_emails: bool) -> String {
    let mut out = String::new();
    if timeline.entries.is_empty() {
        out.push_str("No change of the policy in this window.\n");
        return out;
    }
    for entry in &timeline.entries {
        let mark = if entry.weakens { "**weakens** · " } else { "" };
        let _ = writeln!(
            out,
            "- {mark}{} · {}",
            crate::view::markdown::cell(&heading(entry, show_emails)),
            approval(entry, show_emails)
        );
        for line in what(entry)
            .iter()
            .chain(entry.effects.iter().map(effect).collect::<Vec<_>>().iter())
        {
            let _ = writeln!(out, "  - {}", crate::view::markdown::cell(line));
        }
    }
    out
}

/// The timeline as an HTML list (the dashboard's section).
pub fn html(timeline: &Timeline, show_emails: bool) -> String {
    use crate::view::html::esc;
    if timeline.entries.is_empty() {
        return "<p>No change of the policy in this window.</p>\n".to_string();
    }
    let mut out = String::from("<ul class=\"timeline\">\n");
    for entry in &timeline.entries {
        let mark = if entry.weakens {
            "<strong>weakens</strong> · "
        } else {
            ""
        };
        let _ = write!(
            out,
            "<li>{mark}{} · {}<ul>",
            esc(&heading(entry, show_emails)),
            esc(&approval(entry, show_emails))
        );
        for line in what(entry).into_iter().chain(entry.effects.iter().map(effect)) {
            let _ = write!(out, "<li>{}</li>", esc(&line));
        }
        out.push_str("</ul></li>\n");
    }
    out.push_str("</ul>\n");
    out
}
