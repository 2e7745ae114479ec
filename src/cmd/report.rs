//! The report commands: `stats`, `events`, `score`, `alert`, `dashboard`,
//! `cleanup`. Each streams the log once through its fold and prints a view.
//!
//! Every report names the log it read: a line on standard error beside a
//! text view, `events_file` in a `--json` object, so standard output stays
//! what scripts parse. When the predecessor's log sits beside the one read,
//! a warning says its events are not in the report.

use crate::cli::{
    AlertArgs, CleanupArgs, DashboardArgs, DashboardFormat, EventsArgs, OutputArgs, StatsArgs, TextOrJson,
};
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::cleanup::Cleanup;
use crate::event::location::Origin;
use crate::event::scan::pass_parallel;
use crate::event::{cleanup, kind};
use crate::output;
use crate::report::alert::AlertFold;
use crate::report::bypass::BypassCount;
use crate::report::dashboard::{Dashboard, DashboardFold};
use crate::report::events::{EventsFold, Filter};
use crate::report::score::ScoreFold;
use crate::report::stats::StatsFold;
use crate::report::{self, Window};
use crate::view::{self, Format};
use crate::workspace::Workspace;

/// Says which log a text report read, and warns about the other one.
pub(super) fn name_the_log(workspace: &Workspace) {
    let path = workspace.events.path();
    let mut notes: Vec<&str> = Vec::new();
    match workspace.events_origin {
        Origin::Flag | Origin::Repository => {}
        Origin::Environment => notes.push("from ENFORCE_EVENTS_FILE"),
        Origin::Config => notes.push("from [telemetry] events_file"),
        Origin::Predecessor => notes.push("the predecessor's log: enforce has none of its own here yet"),
        Origin::UserState => notes.push("outside a repository: the user's own log"),
    }
    if std::fs::symlink_metadata(path).is_err() {
        notes.push("no such file yet: no events recorded");
    }
    if notes.is_empty() {
        crate::notice::info(format_args!("events from {}", path.display()));
    } else {
        crate::notice::info(format_args!(
            "events from {} ({})",
            path.display(),
            notes.join("; ")
        ));
    }
    warn_about_the_other_log(workspace);
}

/// Warns that the predecessor's log beside the one read is left out.
pub(super) fn warn_about_the_other_log(workspace: &Workspace) {
    if let Some(other) = &workspace.other_events {
        crate::notice::warning(format_args!(
            "{} (the predecessor's log) exists too: its events are not in this report",
            other.display()
        ));
        crate::notice::hint(format_args!(
            "read it with `--events-file {}`, or make it the log with `[telemetry] events_file = \"{}\"`",
            other.display(),
            crate::event::location::PREDECESSOR_FILE
        ));
    }
}

/// The view for `format`: text views name the log on standard error,
/// JSON carries it.
fn render(
    workspace: &Workspace,
    format: Format,
    text: impl FnOnce() -> String,
    json: impl FnOnce() -> String,
) -> String {
    match format {
        Format::Json => {
            warn_about_the_other_log(workspace);
            json()
        }
        Format::Text | Format::Csv => {
            name_the_log(workspace);
            text()
        }
    }
}

pub fn stats(workspace: &Workspace, args: &StatsArgs) -> Result<i32> {
    let config = &workspace.config.config.score;
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        StatsFold::new(report::now()?, args.days, args.by).counting_score_bypasses(config),
    )?;
    let stats = fold.finish(malformed);
    let format = args.output.format();
    output::print(&render(
        workspace,
        format,
        || match format {
            Format::Csv => view::csv::stats(&stats),
            _ => view::text::stats(&stats),
        },
        || view::versioned(&stats, Some(workspace.events.path())),
    ))?;
    Ok(EXIT_OK)
}

pub fn events(workspace: &Workspace, args: &EventsArgs) -> Result<i32> {
    // An attempt id names a few events anywhere in the log.
    let days = match (args.days, &args.attempt) {
        (Some(days), _) => days,
        (None, Some(_)) => crate::event::window::MAX_DAYS,
        (None, None) => 1,
    };
    let filter = Filter {
        days,
        event_type: args.event_type.clone(),
        source: args.source.clone(),
        attempt: args.attempt.clone(),
        limit: args.limit,
    };
    let (fold, malformed) = pass_parallel(&workspace.events, EventsFold::new(report::now()?, &filter))?;
    let listing = fold.finish();
    if let Some(wanted) = &args.event_type {
        let known = listing
            .types_present
            .iter()
            .any(|t| t.eq_ignore_ascii_case(wanted))
            || kind::lookup_ignore_case(wanted).is_some();
        if !known {
            let present: Vec<&str> = listing.types_present.iter().map(String::as_str).collect();
            return Err(Error::usage(
                format!("unknown event type `{wanted}`"),
                if present.is_empty() {
                    "the log holds no events yet".to_string()
                } else {
                    format!("types in the log: {}", present.join(", "))
                },
            ));
        }
    }
    let format = args.output.format();
    let heading = match (&args.attempt, args.days) {
        (Some(id), None) => format!("Events of attempt {id}"),
        (Some(id), Some(days)) => format!("Events of attempt {id} (last {days} day(s))"),
        (None, _) => format!("Recent Events (last {days} day(s))"),
    };
    output::print(&render(
        workspace,
        format,
        || match format {
            Format::Csv => view::csv::events(&listing),
            _ => view::text::events(&listing, &heading),
        },
        || {
            view::versioned(
                &serde_json::json!({
                    "days": days,
                    "event_type": args.event_type,
                    "source": args.source,
                    "attempt": args.attempt,
                    "limit": args.limit,
                    "matched": listing.matched,
                    "malformed": malformed,
                    "events": listing.events,
                }),
                Some(workspace.events.path()),
            )
        },
    ))?;
    Ok(EXIT_OK)
}

pub fn score(workspace: &Workspace, args: &OutputArgs) -> Result<i32> {
    let config = &workspace.config.config;
    let (fold, malformed) = pass_parallel(&workspace.events, ScoreFold::new(report::now()?, &config.score))?;
    let score = fold.finish(malformed);
    output::print(&render(
        workspace,
        args.chosen().into(),
        || view::text::score(&score),
        || view::versioned(&score, Some(workspace.events.path())),
    ))?;
    Ok(EXIT_OK)
}

/// The alert fold of `workspace`'s config, counting bypasses in the
/// score's window.
pub(super) fn alert_fold(workspace: &Workspace, now: chrono::DateTime<chrono::FixedOffset>) -> AlertFold<'_> {
    let config = &workspace.config.config;
    AlertFold::new(
        now,
        config.alerts.iter().map(|a| a.get_ref()),
        config.score.trend_percent,
    )
    .counting_bypasses(
        BypassCount::new(
            Window::last_days(now, config.score.window_days.get()),
            &config.score.bypass_types,
        )
        .treating_justified(config.score.justified_bypasses),
    )
}

pub fn alert(workspace: &Workspace, args: &AlertArgs) -> Result<i32> {
    let (fold, malformed) = pass_parallel(&workspace.events, alert_fold(workspace, report::now()?))?;
    let alerts = fold.finish(args.quiet, malformed);
    let text = match args.output.chosen() {
        TextOrJson::Json => {
            warn_about_the_other_log(workspace);
            view::versioned(&alerts, Some(workspace.events.path()))
        }
        // Silent when there is nothing to say, so cron stays quiet.
        TextOrJson::Text if alerts.alerts.is_empty() => {
            warn_about_the_other_log(workspace);
            String::new()
        }
        TextOrJson::Text => {
            name_the_log(workspace);
            view::text::alerts(&alerts)
        }
    };
    output::print(&text)?;
    Ok(if alerts.alerts.is_empty() {
        EXIT_OK
    } else {
        EXIT_POLICY
    })
}

/// The sections the HTML dashboard shares with the digest: the advice and
/// the policy's changes of the window.
fn sections(workspace: &Workspace, days: u64) -> Result<Vec<view::html::Section>> {
    let show_emails = workspace.config.config.reports.show_emails;
    let timeline = super::timeline::build(workspace, days)?;
    Ok(vec![
        view::html::Section {
            id: "advice",
            title: "Advice".into(),
            html: view::html::advice(&super::advise::advice_of(workspace, days)?),
        },
        view::html::Section {
            id: "timeline",
            title: format!("Policy changes (last {days} days)"),
            html: view::timeline::html(&timeline, show_emails),
        },
    ])
}

/// The dashboard's data for the last `days` days.
pub(super) fn dashboard_data(workspace: &Workspace, days: u64) -> Result<Dashboard> {
    let config = &workspace.config.config;
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        DashboardFold::new(report::now()?, days, config),
    )?;
    Ok(fold.finish(malformed))
}

pub fn dashboard(workspace: &Workspace, args: &DashboardArgs) -> Result<i32> {
    let dashboard = dashboard_data(workspace, args.days)?;
    let text = match (args.json, args.format) {
        (true, _) | (_, DashboardFormat::Json) => {
            warn_about_the_other_log(workspace);
            view::versioned(&dashboard, Some(workspace.events.path()))
        }
        (_, DashboardFormat::Html) => {
            name_the_log(workspace);
            view::html::dashboard(&dashboard, &sections(workspace, args.days)?)
        }
        (_, DashboardFormat::Markdown) => {
            name_the_log(workspace);
            view::markdown::dashboard(&dashboard)
        }
    };
    match &args.output {
        None => output::print(&text)?,
        Some(path) => {
            crate::atomic::write(path, text.as_bytes())?;
            crate::notice::info(format_args!("dashboard written to {}", path.display()));
        }
    }
    Ok(EXIT_OK)
}

/// Removes the events older than `days` (or counts them, `dry_run`) and
/// re-anchors the rewritten log.
pub(super) fn clean(workspace: &Workspace, days: u64, dry_run: bool) -> Result<Cleanup> {
    let cutoff = report::now()? - report::days_duration(days);
    let result = cleanup::cleanup(
        &workspace.events,
        days,
        cutoff,
        dry_run,
        workspace.timestamp_format(),
    )?;
    if !result.dry_run && (result.removed > 0 || result.blank_removed > 0) {
        workspace.reanchor("enforce: log cleaned up");
        super::export::refresh_textfile(workspace);
    }
    Ok(result)
}

pub fn cleanup(workspace: &Workspace, args: &CleanupArgs) -> Result<i32> {
    let result = clean(workspace, args.days, args.dry_run)?;
    output::print(&render(
        workspace,
        args.output.chosen().into(),
        || view::text::cleanup(&result),
        || view::versioned(&result, Some(workspace.events.path())),
    ))?;
    Ok(EXIT_OK)
}
