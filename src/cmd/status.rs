//! `enforce status`: is enforcement actually in force here? The checks
//! are [`crate::install::health`]'s; this prints them.

use std::path::Path;

use crate::cli::{OutputArgs, TextOrJson};
use crate::error::{EXIT_OK, EXIT_POLICY, Result};
use crate::install::health;
use crate::output;
use crate::view;

pub fn run(cwd: &Path, events_flag: Option<&Path>, args: &OutputArgs) -> Result<i32> {
    let status = health::status(cwd, events_flag)?;
    output::print(&match args.chosen() {
        TextOrJson::Json => view::versioned(&status, None),
        TextOrJson::Text => view::text::status(&status),
    })?;
    Ok(if status.ok { EXIT_OK } else { EXIT_POLICY })
}
