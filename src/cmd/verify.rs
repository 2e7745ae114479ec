//! `enforce verify`: check the log's hash chain and its head.

use serde_json::json;

use crate::cli::{TextOrJson, VerifyArgs};
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::event::{types, verify};
use crate::output;
use crate::view;
use crate::workspace::Workspace;

pub fn run(workspace: &Workspace, args: &VerifyArgs) -> Result<i32> {
    let refname = workspace.git.as_ref().map(|_| workspace.anchor_ref());
    if args.reanchor {
        reanchor(workspace, refname.as_deref())?;
    }
    let report = verify::verify(
        &workspace.events,
        workspace.anchored().as_ref(),
        refname.as_deref(),
    )?;
    output::print(&match args.output.chosen() {
        TextOrJson::Json => view::versioned(&report, None),
        TextOrJson::Text => view::text::verify(&report),
    })?;
    Ok(if report.chain.intact { EXIT_OK } else { EXIT_POLICY })
}

/// Records `log_reanchored` (what the anchor said before, if anything)
/// and points the anchor at the log's new last line: accepting the log is
/// itself in the log.
fn reanchor(workspace: &Workspace, refname: Option<&str>) -> Result<()> {
    let Some(refname) = refname else {
        return Err(crate::error::Error::usage(
            "there is no repository here to keep the log's anchor in",
            "run it inside the repository whose log it is",
        ));
    };
    let before = workspace.anchored().map(|a| a.head.seq);
    let recorder = workspace.recorder("enforce verify");
    let recorded = recorder.record(
        types::LOG_REANCHORED,
        crate::event::details(json!({ "ref": refname, "previous_seq": before })),
    );
    if !recorded {
        return Err(crate::error::Error::usage(
            format!(
                "could not record `{}`, so {refname} was not moved",
                types::LOG_REANCHORED
            ),
            "make the events file writable (`enforce status` says why it is not), then run this again",
        ));
    }
    super::export::refresh_textfile(workspace);
    if workspace.reanchor("enforce: log accepted as it is") {
        crate::notice::info(format!(
            "{refname} now anchors the log as it is (recorded as `{}`)",
            types::LOG_REANCHORED
        ));
    }
    Ok(())
}
