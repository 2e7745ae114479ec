//! `enforce advise`: reads the log once, weighs it against the config and
//! prints the advice, or with `--patch` the config change as a diff.

use std::path::Path;

use super::report::{name_the_log, warn_about_the_other_log};
use crate::advice::{self, AdviceFold};
use crate::cli::{AdviseArgs, AdviseFormat};
use crate::error::{EXIT_OK, Result};
use crate::event::scan::pass_parallel;
use crate::workspace::Workspace;
use crate::{notice, output, report, view};

/// The advice of the last `days` days (the digest's and the HTML
/// dashboard's section).
pub(super) fn advice_of(workspace: &Workspace, days: u64) -> Result<advice::Advice> {
    let config = &workspace.config.config;
    let (fold, malformed) = pass_parallel(
        &workspace.events,
        AdviceFold::new(report::now()?, days, &config.score.bypass_types),
    )?;
    Ok(advice::advise(&fold.finish(malformed), config))
}

pub fn run(cwd: &Path, workspace: &Workspace, args: &AdviseArgs) -> Result<i32> {
    if args.patch {
        // The diff is of the repository's .enforce.toml.
        workspace.require_git(cwd)?;
    }
    let advice = advice_of(workspace, args.days)?;
    if args.patch {
        name_the_log(workspace);
        match advice::patch::diff(&advice, workspace.config.text.as_deref())? {
            Some(diff) => output::print(&diff)?,
            None => notice::info(format_args!(
                "no change to suggest to {} ({} suggestion(s), none of them a config change)",
                crate::config::FILE_NAME,
                advice.suggestions.len()
            )),
        }
        return Ok(EXIT_OK);
    }
    let text = match args.chosen() {
        AdviseFormat::Json => {
            warn_about_the_other_log(workspace);
            view::versioned(&advice, Some(workspace.events.path()))
        }
        AdviseFormat::Text => {
            name_the_log(workspace);
            advice::text(&advice)
        }
        AdviseFormat::Markdown => {
            name_the_log(workspace);
            advice::markdown(&advice)
        }
    };
    output::print(&text)?;
    Ok(EXIT_OK)
}
