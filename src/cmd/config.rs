//! `enforce config check` and `enforce config show`.

use std::path::Path;

use crate::cli::ConfigAction;
use crate::config::{self, Loaded};
use crate::error::{EXIT_OK, Result};
use crate::git::Repo;
use crate::output;
use crate::workspace::Workspace;

pub fn run(cwd: &Path, events_flag: Option<&Path>, action: ConfigAction) -> Result<i32> {
    match action {
        ConfigAction::Check => check(cwd),
        ConfigAction::Show => show(cwd, events_flag),
    }
}

fn check(cwd: &Path) -> Result<i32> {
    let repo = Repo::require(cwd)?;
    let loaded = match repo.root.as_deref() {
        Some(root) => config::load(root)?,
        None => Loaded::default(),
    };
    match loaded.path {
        Some(path) => output::print(&format!("{}: ok\n", path.display()))?,
        None => output::print(&format!(
            "no {} here: the built-in defaults apply (`enforce install` writes a commented one)\n",
            config::FILE_NAME
        ))?,
    }
    Ok(EXIT_OK)
}

fn show(cwd: &Path, events_flag: Option<&Path>) -> Result<i32> {
    let workspace = Workspace::load(cwd, events_flag)?;
    let source = match &workspace.config.path {
        Some(path) => path.display().to_string(),
        None => "built-in defaults".to_string(),
    };
    let text = format!(
        "# configuration in effect, from: {source}\n# events file: {} ({})\n\n{}",
        workspace.events.path().display(),
        workspace.events_origin,
        workspace.config.config.to_toml(),
    );
    output::print(&text)?;
    Ok(EXIT_OK)
}
