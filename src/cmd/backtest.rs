//! `enforce backtest --config FILE (--range A..B | --days N)`: replays a
//! proposed policy over the commits of a range ([`crate::audit::backtest`])
//! and prints, rule by rule, what it would have changed.
//!
//! It decides nothing and records nothing: exit 0 whatever it finds, 2
//! when it cannot run (a proposal that does not validate, a range git
//! does not know, no commits to replay).

use std::path::Path;

use serde::Serialize;

use crate::audit::backtest::{self, Backtest, Commits};
use crate::cli::{BacktestArgs, TextOrJson};
use crate::config;
use crate::error::{EXIT_OK, Error, Result};
use crate::git::Git;
use crate::output;
use crate::workspace::Workspace;

/// The JSON form: the report, with what was replayed over beside it.
#[derive(Serialize)]
struct Json<'a> {
    config: String,
    range: Option<&'a str>,
    days: Option<u64>,
    #[serde(flatten)]
    report: &'a Backtest,
}

pub fn run(cwd: &Path, events_flag: Option<&Path>, args: &BacktestArgs) -> Result<i32> {
    // What it reads is not what a verdict rests on: objects are read as
    // git reads them, unhashed.
    crate::git::for_reports();
    // The work tree's config plays no part: the current policy of each
    // commit is the one committed at its parent.
    let (workspace, _) = Workspace::load_lenient(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    let proposed = config::load_file(&args.config).map_err(|e| proposal_error(e, &args.config))?;
    let (commits, scope) = match (&args.range, args.days) {
        (Some(range), _) => (Commits::Range(range), format!("`{range}`")),
        (None, Some(days)) => (since(git, days)?, format!("the last {days} day(s)")),
        // clap requires one of them.
        (None, None) => {
            return Err(Error::usage(
                "name the commits to replay",
                "--range A..B or --days N",
            ));
        }
    };
    let report = backtest::backtest(git, commits, &proposed)?;
    if report.commits == 0 {
        return Err(match (commits, args.days) {
            (Commits::Range(range), _) => Error::usage(
                format!("the range `{range}` holds no commits: there is nothing to replay"),
                "A..B is the commits reachable from B and not from A: put the older commit first (`git log --oneline A..B` lists them)",
            ),
            (_, days) => Error::usage(
                format!(
                    "no commit reachable from HEAD was committed in the last {} day(s): there is nothing to replay",
                    days.unwrap_or_default()
                ),
                "give more days (--days N), or a range (--range A..B)",
            ),
        });
    }
    let shown = args.config.display().to_string();
    output::print(&match args.output.chosen() {
        TextOrJson::Text => crate::view::backtest::text(&report, &shown, &scope),
        TextOrJson::Json => crate::view::versioned(
            &Json {
                config: shown,
                range: args.range.as_deref(),
                days: args.days,
                report: &report,
            },
            None,
        ),
    })?;
    Ok(EXIT_OK)
}

/// A proposal that cannot be read or does not validate, with a hint
/// about the proposal rather than the work tree's `.enforce.toml`.
fn proposal_error(error: Error, path: &Path) -> Error {
    let hint = match &error {
        Error::Io { .. } => format!(
            "name an existing file with --config (`{}` was given): a copy of .enforce.toml with the changes to try",
            path.display()
        ),
        _ => {
            "fix the proposed policy (the format of .enforce.toml, docs/rules.md) and run the backtest again"
                .into()
        }
    };
    Error::Usage {
        message: error.to_string(),
        hint: Some(hint),
    }
}

/// The commits of the last `days` days: those committed since then.
fn since(git: &Git, days: u64) -> Result<Commits<'static>> {
    if git.head()?.commit.is_none() {
        return Err(Error::usage(
            "HEAD has no commits yet: there is no history to replay",
            "commit first, or run the backtest in a clone with history",
        ));
    }
    let now = crate::report::now()?;
    let span = i64::try_from(days.saturating_mul(86_400)).unwrap_or(i64::MAX);
    Ok(Commits::Since(now.timestamp().saturating_sub(span)))
}
