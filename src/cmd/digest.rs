//! `enforce digest`: the weekly page for a lead or a cron job.

use crate::cli::DigestArgs;
use crate::error::{EXIT_OK, Result};
use crate::output;
use crate::view;
use crate::workspace::Workspace;

pub fn run(workspace: &Workspace, args: &DigestArgs) -> Result<i32> {
    let dashboard = super::report::dashboard_data(workspace, args.days)?;
    let timeline = super::timeline::build(workspace, args.days)?;
    let advice = super::advise::advice_of(workspace, args.days)?;
    let text = view::digest::markdown(&view::digest::Digest {
        dashboard: &dashboard,
        timeline: &timeline,
        advice: &advice,
        show_emails: workspace.config.config.reports.show_emails,
        events_file: workspace.events.path().display().to_string(),
    });
    match &args.output {
        None => output::print(&text)?,
        Some(path) => {
            crate::atomic::write(path, text.as_bytes())?;
            crate::notice::info(format_args!("digest written to {}", path.display()));
        }
    }
    Ok(EXIT_OK)
}
