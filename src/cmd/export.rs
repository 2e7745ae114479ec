//! `enforce metrics` and `enforce export otlp|csv|jsonl`.

use std::io::Write;
use std::path::Path;

use chrono::DateTime;

use crate::cli::{ExportTarget, FlatArgs, MetricsArgs, OtlpArgs};
use crate::error::{EXIT_OK, Error, Result};
use crate::event::scan::{pass, pass_parallel};
use crate::export::background;
use crate::export::flat::{self, Flat, FlatFold};
use crate::export::otlp::{self, Repository, Settings, Since};
use crate::export::prometheus::{self, MetricsFold};
use crate::output;
use crate::report;
use crate::report::labels::Labels;
use crate::workspace::Workspace;

pub fn metrics(workspace: &Workspace, args: &MetricsArgs) -> Result<i32> {
    // Writes of one file take turns, and each reads the log in its turn.
    let _turn = match &args.output {
        Some(path) => match background::take_turn(path, args.refresh) {
            Some(turn) => Some(turn),
            None => return Ok(EXIT_OK),
        },
        None => None,
    };
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        MetricsFold::new(report::now()?, &workspace.config.config),
    )?;
    let text = fold.finish(malformed).render(&repository_label(workspace));
    match &args.output {
        Some(path) => crate::atomic::write(path, text.as_bytes())?,
        None => output::print(&text)?,
    }
    Ok(EXIT_OK)
}

/// The `repo` label: `repo` in `[export.prometheus]`, else the
/// repository's directory name; empty (no label, to Prometheus) outside a
/// repository.
fn repository_label(workspace: &Workspace) -> String {
    let configured = workspace
        .config
        .config
        .export
        .prometheus
        .as_ref()
        .and_then(|p| p.repo.as_ref())
        .map(|r| r.get_ref().trim().to_string());
    configured
        .or_else(|| repository_name(workspace))
        .unwrap_or_default()
}

fn repository_name(workspace: &Workspace) -> Option<String> {
    prometheus::repository_name(&workspace.git.as_ref()?.repo().common_dir)
}

/// Starts the textfile refresh after a command appended to (or cleaned)
/// the log, when `[export.prometheus]` names a textfile. Not for a log
/// named with `--events-file`: the textfile shows the repository's log.
pub fn refresh_textfile(workspace: &Workspace) {
    if workspace.events_origin == crate::event::location::Origin::Flag {
        return;
    }
    let root = workspace.git.as_ref().and_then(|g| g.repo().root.as_deref());
    background::refresh_textfile(&workspace.config.config.export, root);
}

pub fn run(workspace: &Workspace, target: &ExportTarget) -> Result<i32> {
    match target {
        ExportTarget::Otlp(args) => otlp_export(workspace, args),
        ExportTarget::Csv(args) => flat(workspace, args, Flat::Csv),
        ExportTarget::Jsonl(args) => flat(workspace, args, Flat::Jsonl),
    }
}

fn otlp_export(workspace: &Workspace, args: &OtlpArgs) -> Result<i32> {
    let config = &workspace.config.config;
    let repository = Repository {
        url: workspace
            .git
            .as_ref()
            .and_then(|g| g.config_string("remote.origin.url")),
        name: repository_name(workspace),
    };
    let settings = Settings::resolve(args.endpoint.as_deref(), config.export.otlp.as_ref(), repository)?;
    let since = match args.since.as_deref() {
        None => None,
        Some("all") => Some(Since::All),
        Some(text) => Some(Since::Time(DateTime::parse_from_rfc3339(text).map_err(|_| {
            Error::usage(
                format!("`--since {text}` is neither `all` nor an RFC 3339 time"),
                "e.g. --since all, or --since 2026-11-21T00:00:00+00:00",
            )
        })?)),
    };
    let shipped = otlp::export(&workspace.events, config, &settings, since)?;
    if shipped.busy {
        output::print("another export of this log is running; it sends the pending events\n")?;
        return Ok(EXIT_OK);
    }
    output::print(&format!(
        "sent {} event(s) in {} request(s) to {}\n",
        shipped.sent, shipped.batches, shipped.url
    ))?;
    Ok(EXIT_OK)
}

fn flat(workspace: &Workspace, args: &FlatArgs, format: Flat) -> Result<i32> {
    let days = args.days.unwrap_or(365_000);
    match &args.output {
        Some(path) => {
            let mut buffer: Vec<u8> = Vec::new();
            write_rows(workspace, &mut buffer, format, days, args)?;
            crate::atomic::write(path, &buffer)?;
            crate::notice::info(format_args!("wrote {}", path.display()));
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            write_rows(workspace, &mut out, format, days, args)?;
        }
    }
    Ok(EXIT_OK)
}

fn write_rows(
    workspace: &Workspace,
    out: &mut dyn Write,
    format: Flat,
    days: u64,
    args: &FlatArgs,
) -> Result<u64> {
    let written = if args.labelled {
        let (labels, _) = pass_parallel(&workspace.events, Labels::new())?;
        let window = report::Window::last_days(report::now()?, days);
        let rows = flat::labelled_rows(
            &labels,
            &workspace.config.config.score.bypass_types,
            window,
            args.event_type.as_deref(),
        );
        flat::write_labelled(out, format, &rows)
    } else {
        let mut fold = FlatFold::new(out, format, report::now()?, days, args.event_type.clone());
        pass(&workspace.events, &mut fold)?;
        fold.finish()
    };
    written.map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Error::ClosedPipe,
        _ => Error::io("write", Path::new("standard output"), e),
    })
}
