//! `enforce verify`: check the log's hash chain and its head.

use crate::cli::{OutputArgs, TextOrJson};
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::event::verify;
use crate::output;
use crate::view;
use crate::workspace::Workspace;

pub fn run(workspace: &Workspace, args: &OutputArgs) -> Result<i32> {
    let report = verify::verify(&workspace.events, workspace.anchored().as_ref())?;
    output::print(&match args.chosen() {
        TextOrJson::Json => view::json(&report),
        TextOrJson::Text => view::text::verify(&report),
    })?;
    Ok(if report.chain.intact { EXIT_OK } else { EXIT_POLICY })
}
