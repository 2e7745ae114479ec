//! Running the JSON-argument form ([`crate::cli::json`]), the predecessor's
//! programmatic API: its shapes ([`crate::view::predecessor`]) and its exit
//! codes.
//!
//! The answer is JSON on standard output and the exit status is 0 whatever
//! it says: alerts or none, and an unknown action or event type, which are
//! answers (`{"error": …}`), as they were the predecessor's. Exit 1 when the
//! argument cannot be used (invalid JSON, a key the predecessor has no
//! parameter for, a value of a type it could not use), where the
//! predecessor failed too; exit 2 when enforce cannot run the report (a
//! config that does not validate, a log it cannot read). Both print
//! `{"error", "details"}`, so a caller never has to parse text.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::cli::json::{self, Action, Request};
use crate::error::{EXIT_OK, Error, Result};
use crate::event::kind;
use crate::event::scan::pass_parallel;
use crate::report::dashboard::DashboardFold;
use crate::report::events::{EventsFold, Filter};
use crate::report::score::ScoreFold;
use crate::report::stats::StatsFold;
use crate::report::{self, Both};
use crate::view::{self, predecessor};
use crate::workspace::Workspace;

/// The exit status of an argument the predecessor failed on.
const REFUSED: i32 = 1;

/// The JSON printed for an error: `error`, and `details` (for invalid
/// JSON the parser's message, otherwise what to do about it).
pub fn error_object(err: &Error) -> String {
    let mut object = Map::new();
    object.insert("error".into(), json!(err.to_string()));
    if let Some(hint) = err.hint() {
        object.insert("details".into(), json!(hint));
    }
    view::json(&Value::Object(object))
}

/// Runs the JSON form with `--events-file` `events_file`; returns the exit
/// status.
pub fn run(events_file: Option<PathBuf>, text: &str) -> i32 {
    let request = match json::parse(text) {
        Ok(request) => request,
        Err(err) => {
            let _ = crate::output::print(&error_object(&err));
            return REFUSED;
        }
    };
    let printed =
        answer(events_file.as_deref(), &request).and_then(|value| crate::output::print(&view::json(&value)));
    match printed {
        Ok(()) | Err(Error::ClosedPipe) => EXIT_OK,
        Err(err) => {
            let _ = crate::output::print(&error_object(&err));
            err.exit_code()
        }
    }
}

/// The predecessor's answer to `request`.
fn answer(events_file: Option<&Path>, request: &Request) -> Result<Value> {
    let action = match &request.action {
        Ok(action) => *action,
        Err(unknown) => return Ok(predecessor::unknown_action(unknown)),
    };
    let cwd = std::env::current_dir().map_err(|e| Error::io("read the current directory", ".", e))?;
    let workspace = Workspace::load(&cwd, events_file)?;
    super::report::warn_about_the_other_log(&workspace);
    let config = &workspace.config.config;
    let now = report::now()?;
    let days = request.days_or_default(action);
    Ok(match action {
        Action::Stats => {
            let fold = StatsFold::new(now, days, request.by).counting_score_bypasses(&config.score);
            let (fold, malformed) = pass_parallel(&workspace.events, fold)?;
            predecessor::stats(&fold.finish(malformed))
        }
        Action::Events => {
            let filter = Filter {
                days,
                event_type: request.event_type.clone(),
                source: request.source.clone(),
                attempt: None,
                limit: request.limit.unwrap_or(usize::MAX),
            };
            let (fold, _) = pass_parallel(&workspace.events, EventsFold::new(now, &filter))?;
            let listing = fold.finish();
            if let Some(wanted) = &request.event_type {
                let known = kind::lookup_ignore_case(wanted).is_some()
                    || listing
                        .types_present
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(wanted));
                if !known {
                    let mut valid: Vec<String> = kind::all().map(str::to_string).collect();
                    valid.extend(
                        listing
                            .types_present
                            .iter()
                            .filter(|t| kind::origin(t).is_none())
                            .cloned(),
                    );
                    return Ok(predecessor::unknown_event_type(wanted, &valid));
                }
            }
            predecessor::events(
                &listing,
                &predecessor::EventsQuery {
                    days,
                    event_type: request.event_type.as_deref(),
                    source: request.source.as_deref(),
                    limit: request.limit,
                },
            )
        }
        Action::Score => {
            let (fold, malformed) = pass_parallel(&workspace.events, ScoreFold::new(now, &config.score))?;
            predecessor::score(&fold.finish(malformed))
        }
        Action::Alert => {
            let fold = Both(
                super::report::alert_fold(&workspace, now),
                ScoreFold::new(now, &config.score),
            );
            let (Both(alerts, score), malformed) = pass_parallel(&workspace.events, fold)?;
            predecessor::alert(
                &alerts.finish(request.quiet, malformed),
                &score.finish(malformed),
                request.quiet,
            )
        }
        Action::Dashboard => {
            let (fold, malformed) = pass_parallel(&workspace.events, DashboardFold::new(now, days, config))?;
            let dashboard = fold.finish(malformed);
            let markdown = view::markdown::dashboard(&dashboard);
            if let Some(path) = &request.output {
                crate::atomic::write(path, markdown.as_bytes())?;
            }
            predecessor::dashboard(&dashboard, &markdown, request.output.as_deref())
        }
        Action::Cleanup => predecessor::cleanup(&super::report::clean(&workspace, days, request.dry_run)?),
    })
}
