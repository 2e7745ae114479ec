//! The report commands: `stats`, `events`, `score`, `alert`, `dashboard`,
//! `cleanup`. Each streams the log once through its fold and prints a view.

use crate::cli::{
    AlertArgs, CleanupArgs, DashboardArgs, DashboardFormat, EventsArgs, OutputArgs, StatsArgs, TextOrJson,
};
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::scan::pass_parallel;
use crate::event::{cleanup, kind};
use crate::output;
use crate::report::alert::AlertFold;
use crate::report::bypass::BypassCount;
use crate::report::dashboard::DashboardFold;
use crate::report::events::{EventsFold, Filter};
use crate::report::score::ScoreFold;
use crate::report::stats::StatsFold;
use crate::report::{self, Window};
use crate::view::{self, Format};
use crate::workspace::Workspace;

pub fn stats(workspace: &Workspace, args: &StatsArgs) -> Result<i32> {
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        StatsFold::new(report::now()?, args.days, args.by)
            .counting_bypasses(&workspace.config.config.score.bypass_types),
    )?;
    let stats = fold.finish(malformed);
    output::print(&match args.output.format() {
        Format::Text => view::text::stats(&stats),
        Format::Json => view::json(&stats),
        Format::Csv => view::csv::stats(&stats),
    })?;
    Ok(EXIT_OK)
}

pub fn events(workspace: &Workspace, args: &EventsArgs) -> Result<i32> {
    let filter = Filter {
        days: args.days,
        event_type: args.event_type.clone(),
        source: args.source.clone(),
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
    output::print(&match args.output.format() {
        Format::Text => view::text::events(&listing, args.days),
        Format::Json => view::json(&serde_json::json!({
            "days": args.days,
            "event_type": args.event_type,
            "source": args.source,
            "limit": args.limit,
            "matched": listing.matched,
            "malformed": malformed,
            "events": listing.events,
        })),
        Format::Csv => view::csv::events(&listing),
    })?;
    Ok(EXIT_OK)
}

pub fn score(workspace: &Workspace, args: &OutputArgs) -> Result<i32> {
    let config = &workspace.config.config;
    let (fold, malformed) = pass_parallel(&workspace.events, ScoreFold::new(report::now()?, &config.score))?;
    let score = fold.finish(malformed);
    output::print(&match args.chosen() {
        TextOrJson::Text => view::text::score(&score),
        TextOrJson::Json => view::json(&score),
    })?;
    Ok(EXIT_OK)
}

pub fn alert(workspace: &Workspace, args: &AlertArgs) -> Result<i32> {
    let config = &workspace.config.config;
    let now = report::now()?;
    let fold = AlertFold::new(
        now,
        config.alerts.iter().map(|a| a.get_ref()),
        config.score.trend_percent,
    )
    .counting_bypasses(BypassCount::new(
        Window::last_days(now, config.score.window_days.get()),
        &config.score.bypass_types,
    ));
    let (fold, malformed) = pass_parallel(&workspace.events, fold)?;
    let alerts = fold.finish(args.quiet, malformed);
    output::print(&match args.output.chosen() {
        TextOrJson::Text => view::text::alerts(&alerts),
        TextOrJson::Json => view::json(&alerts),
    })?;
    Ok(if alerts.alerts.is_empty() {
        EXIT_OK
    } else {
        EXIT_POLICY
    })
}

pub fn dashboard(workspace: &Workspace, args: &DashboardArgs) -> Result<i32> {
    let config = &workspace.config.config;
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        DashboardFold::new(report::now()?, args.days, config),
    )?;
    let dashboard = fold.finish(malformed);
    let text = match (args.json, args.format) {
        (true, _) | (_, DashboardFormat::Json) => view::json(&dashboard),
        (_, DashboardFormat::Html) => view::html::dashboard(&dashboard),
        (_, DashboardFormat::Markdown) => view::markdown::dashboard(&dashboard),
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

pub fn cleanup(workspace: &Workspace, args: &CleanupArgs) -> Result<i32> {
    let cutoff = report::now()? - report::days_duration(args.days);
    let result = cleanup::cleanup(&workspace.events, args.days, cutoff, args.dry_run)?;
    if !result.dry_run && (result.removed > 0 || result.blank_removed > 0) {
        workspace.reanchor("enforce: log cleaned up");
        super::export::refresh_textfile(workspace);
    }
    output::print(&match args.output.chosen() {
        TextOrJson::Text => view::text::cleanup(&result),
        TextOrJson::Json => view::json(&result),
    })?;
    Ok(EXIT_OK)
}
