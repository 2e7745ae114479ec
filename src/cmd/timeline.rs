//! `enforce timeline`: the policy's changes from git history and the log.

use std::path::Path;

use crate::cli::TimelineArgs;
use crate::config::{self, Config, diff};
use crate::error::{EXIT_OK, Result};
use crate::event::scan::pass_parallel;
use crate::git::Git;
use crate::output;
use crate::receipt::Receipt;
use crate::report::timeline::{Committed, Timeline, TimelineFold};
use crate::report::{self};
use crate::view::{self, Format};
use crate::workspace::Workspace;

pub fn run(workspace: &Workspace, args: &TimelineArgs) -> Result<i32> {
    let timeline = build(workspace, args.days)?;
    let show_emails = workspace.config.config.reports.show_emails;
    output::print(&match args.output.format() {
        Format::Json => view::versioned(&timeline, Some(workspace.events.path())),
        Format::Text | Format::Csv => {
            super::report::name_the_log(workspace);
            view::timeline::text(&timeline, show_emails)
        }
    })?;
    Ok(EXIT_OK)
}

/// The timeline of the last `days` days: the history of the policy files
/// joined with the log's policy events.
pub fn build(workspace: &Workspace, days: u64) -> Result<Timeline> {
    let now = report::now()?;
    let config = &workspace.config.config;
    let fold = TimelineFold::new(now, days, &config.score.bypass_types);
    let (fold, _) = pass_parallel(&workspace.events, fold)?;
    let since = (now - crate::event::window::days_duration(days)).to_rfc3339();
    let committed = match &workspace.git {
        Some(git) => committed(git, &since, &fold.commits_named(), config)?,
        None => Vec::new(),
    };
    Ok(fold.finish(now, committed))
}

/// The commits since `since` that changed a policy file (and those of
/// `also`, named by the log), with the settings each changed and the
/// approval its receipt names.
fn committed(git: &Git, since: &str, also: &[String], config: &Config) -> Result<Vec<Committed>> {
    let path = Path::new(config::FILE_NAME);
    let files = crate::signing::trust::policy_files(&config.review);
    let mut out = Vec::new();
    for [sha, author, date, subject] in git.log_touching(since, &files, also)? {
        let commit = git.commit(&sha)?;
        let before_tree = commit.parents.first().and_then(|p| git.tree_of(p));
        let blob = |tree: Option<&str>, file: &Path| tree.and_then(|t| git.blob_at(t, file));
        let (before, after) = (blob(before_tree.as_deref(), path), blob(Some(&commit.tree), path));
        let parse = |bytes: &Option<Vec<u8>>| match bytes {
            None => Ok(Config::default()),
            Some(bytes) => config::parse(&String::from_utf8_lossy(bytes), path).map_err(|e| e.to_string()),
        };
        let (changes, invalid) = if before == after {
            (Vec::new(), None)
        } else {
            match parse(&after) {
                Ok(new) => (diff::diff(&parse(&before).unwrap_or_default(), &new), None),
                Err(problem) => (Vec::new(), Some(problem)),
            }
        };
        let changed = files
            .iter()
            .filter(|f| blob(before_tree.as_deref(), f) != blob(Some(&commit.tree), f))
            .map(|f| f.to_string_lossy().into_owned())
            .collect();
        let approval = git
            .note(&sha)
            .and_then(|note| Receipt::parse(&note).ok())
            .and_then(|r| r.approval);
        let at = chrono::DateTime::parse_from_rfc3339(&date).unwrap_or_else(|_| report_now_fallback());
        out.push(Committed {
            commit: sha,
            at,
            author,
            subject,
            files: changed,
            changes,
            invalid,
            approved_by: approval.as_ref().map(|a| a.reviewer.clone()),
            signed_by: approval
                .as_ref()
                .and_then(|a| a.signed.as_ref())
                .map(|s| s.payload.principal.clone()),
        });
    }
    Ok(out)
}

/// git prints `%aI` in strict ISO 8601; a date it cannot parse sorts first.
fn report_now_fallback() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::UNIX_EPOCH.fixed_offset()
}
