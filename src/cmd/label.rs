//! `enforce bypasses` and `enforce label`: a person goes through the
//! bypasses and says of each whether it was justified.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use crate::cli::{BypassesArgs, LabelArgs, TextOrJson};
use crate::error::{EXIT_OK, Error, Result};
use crate::event::scan::pass;
use crate::event::window::MAX_DAYS;
use crate::event::{Event, recorded_as, types};
use crate::git::{Git, short_id};
use crate::report::labels::{BypassList, BypassRow, EventId, Judgement, LabelCounts, label_details};
use crate::report::{self, Window};
use crate::workspace::Workspace;
use crate::{output, view};

/// The source of the labels `enforce label` records.
const SOURCE: &str = "enforce label";

/// Every bypass of the last `days` days, newest first, with its label.
fn rows(workspace: &Workspace, days: u64) -> Result<(Vec<BypassRow>, u64)> {
    let window = Window::last_days(report::now()?, days);
    let mut list = BypassList::new(window, &workspace.config.config.score.bypass_types);
    let malformed = pass(&workspace.events, &mut list)?;
    Ok((list.finish(), malformed))
}

pub fn bypasses(workspace: &Workspace, args: &BypassesArgs) -> Result<i32> {
    let (mut rows, malformed) = rows(workspace, args.days)?;
    let mut counts = LabelCounts::default();
    for row in &rows {
        counts.add(row.label.as_ref().map(|l| l.label));
    }
    if !args.all {
        rows.retain(|row| row.label.is_none());
    }
    let text = match args.output.chosen() {
        TextOrJson::Json => {
            super::report::warn_about_the_other_log(workspace);
            view::versioned(
                &json!({
                    "days": args.days,
                    "all": args.all,
                    "counts": counts,
                    "malformed": malformed,
                    "bypasses": rows,
                }),
                Some(workspace.events.path()),
            )
        }
        TextOrJson::Text => {
            super::report::name_the_log(workspace);
            view::text::bypasses(&rows, args.days, args.all)
        }
    };
    output::print(&text)?;
    Ok(EXIT_OK)
}

pub fn label(cwd: &Path, events_flag: Option<&Path>, args: &LabelArgs) -> Result<i32> {
    // An agent with a shell could label its own bypasses justified.
    if let Some(found) = crate::runtime::detect() {
        return Err(Error::AgentLabel {
            runtime: found.runtime.name,
            variable: found.variable.clone(),
        });
    }
    let judgement = Judgement::parse(&args.label).ok_or_else(|| Error::InvalidLabel {
        value: args.label.clone(),
    })?;
    let workspace = Workspace::load(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    let labeled_by = git.user();
    if labeled_by == "unknown <unknown>" {
        return Err(Error::NoLabeller);
    }
    let (rows, _) = rows(&workspace, MAX_DAYS)?;
    let (chosen, commit) = resolve(git, &args.target, &rows, workspace.events.path())?;
    let note = args.note.as_deref().unwrap_or("").trim();

    // Oldest first, as the bypasses are in the log.
    let mut recorded: Vec<&BypassRow> = Vec::new();
    let mut first_head = None;
    let mut last_head = None;
    let mut failure = None;
    for row in chosen.iter().rev() {
        let mut details = label_details(&row.bypass, judgement, note, &labeled_by);
        crate::event::stamp(&mut details);
        let event = Event::now(types::BYPASS_LABELED, SOURCE, details);
        match workspace.events.append(&event, workspace.timestamp_format()) {
            Ok(head) => {
                first_head.get_or_insert(head.seq);
                last_head = Some(head);
                recorded.push(row);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    if last_head.is_some() {
        workspace.publish_head(last_head, first_head == Some(1));
        super::export::refresh_textfile(&workspace);
    }
    let mut text = String::new();
    if !recorded.is_empty() {
        let which = match commit {
            Some(sha) => format!(" of commit {}", short_id(&sha)),
            None => String::new(),
        };
        let of = if recorded.len() < chosen.len() {
            format!("{} of {}", recorded.len(), chosen.len())
        } else {
            recorded.len().to_string()
        };
        let noun = if chosen.len() == 1 { "bypass" } else { "bypasses" };
        text.push_str(&format!(
            "labelled {of} {noun}{which} as {}; {}\n",
            judgement.as_str(),
            recorded_as(true, types::BYPASS_LABELED)
        ));
        for row in &recorded {
            let was = match &row.label {
                Some(old) => format!("  (was {} by {})", old.label.as_str(), old.labeled_by),
                None => String::new(),
            };
            text.push_str(&format!(
                "  {}  {}  {} ({}){}\n",
                row.bypass.id,
                row.at.format("%Y-%m-%d %H:%M"),
                row.bypass.event_type,
                row.category.name(),
                was
            ));
        }
    }
    if failure.is_some() {
        text.push_str(&format!(
            "{} of {} not labelled: {}\n",
            chosen.len() - recorded.len(),
            chosen.len(),
            recorded_as(false, types::BYPASS_LABELED)
        ));
    }
    output::print(&text)?;
    match failure {
        Some(e) => Err(e),
        None => Ok(EXIT_OK),
    }
}

/// The bypasses `target` names, newest first, and the commit when it
/// named one: a prefix of one bypass's id, or a commit (a revision git
/// resolves, or a prefix of a commit id the log records) and every bypass
/// recorded for it. Anything else, or both at once, is refused.
fn resolve<'r>(
    git: &Git,
    target: &str,
    rows: &'r [BypassRow],
    log: &Path,
) -> Result<(Vec<&'r BypassRow>, Option<String>)> {
    let target = target.trim();
    let hex = !target.is_empty() && target.bytes().all(|b| b.is_ascii_hexdigit());
    let lower = target.to_ascii_lowercase();
    let by_id: Vec<&BypassRow> = if hex && target.len() >= EventId::MIN_PREFIX && target.len() <= EventId::LEN
    {
        rows.iter().filter(|r| r.bypass.id.starts_with(&lower)).collect()
    } else {
        Vec::new()
    };
    let resolved = git.commit(target).ok().map(|c| c.sha);
    let commit_of = |row: &BypassRow| -> Option<String> {
        let sha = row.bypass.commit_sha.as_deref()?;
        let named = resolved.as_deref() == Some(sha)
            || (hex && target.len() >= EventId::MIN_PREFIX && sha.to_ascii_lowercase().starts_with(&lower));
        named.then(|| sha.to_string())
    };
    let by_commit: Vec<&BypassRow> = rows.iter().filter(|r| commit_of(r).is_some()).collect();
    let commits: BTreeSet<String> = by_commit.iter().filter_map(|r| commit_of(r)).collect();
    let ids = |rows: &[&BypassRow]| -> Vec<String> {
        let mut ids: Vec<String> = rows
            .iter()
            .take(5)
            .map(|r| format!("bypass {}", r.bypass.id))
            .collect();
        if rows.len() > 5 {
            ids.push(format!("and {} more", rows.len() - 5));
        }
        ids
    };
    match (by_id.len(), commits.len()) {
        (1, 0) => Ok((by_id, None)),
        (0, 1) => Ok((by_commit, commits.into_iter().next())),
        (0, 0) => Err(Error::NoSuchBypass {
            target: target.to_string(),
            why: match &resolved {
                Some(sha) => format!("no bypass was recorded for commit {}", short_id(sha)),
                None if hex && target.len() < EventId::MIN_PREFIX => format!(
                    "it is no commit git knows, and an id needs at least {} hex digits",
                    EventId::MIN_PREFIX
                ),
                None if hex => {
                    "no bypass has an id that starts with it, and it is no commit git knows".into()
                }
                None => "it is neither a bypass id nor a commit git knows".into(),
            },
            log: log.to_path_buf(),
        }),
        (_, 0) => Err(Error::AmbiguousBypass {
            target: target.to_string(),
            candidates: ids(&by_id),
        }),
        (0, _) => Err(Error::AmbiguousBypass {
            target: target.to_string(),
            candidates: commits
                .iter()
                .map(|sha| format!("commit {}", short_id(sha)))
                .collect(),
        }),
        _ => {
            let mut candidates = ids(&by_id);
            candidates.extend(
                commits
                    .iter()
                    .map(|sha| format!("the bypasses of commit {}", short_id(sha))),
            );
            Err(Error::AmbiguousBypass {
                target: target.to_string(),
                candidates,
            })
        }
    }
}
