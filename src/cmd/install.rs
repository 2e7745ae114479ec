//! `enforce install` and `enforce uninstall`: run them and say what they did.

use std::fmt::Write;
use std::path::Path;

use crate::cli::InstallArgs;
use crate::error::{EXIT_OK, Error, Result};
use crate::git::notes::remote_notes_ref;
use crate::install::{self, ConfigFile, Fetching, Installed, Uninstalled};
use crate::output;
use crate::workspace::Workspace;

pub fn install(cwd: &Path, events_flag: Option<&Path>, args: &InstallArgs) -> Result<i32> {
    if args.server {
        return crate::server::install(cwd, events_flag, args);
    }
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::io("find the enforce binary", "current executable", e))?;
    let form = if args.shell {
        install::shim::Form::Shell
    } else {
        install::shim::Form::Direct
    };
    let report = install::install(cwd, &binary, !args.no_config, form)?;

    let mut text = format!("hooks directory: {}\n", report.hooks_dir.display());
    for (name, action) in &report.hooks {
        let what = match action {
            Installed::New => "installed".to_string(),
            Installed::Unchanged => "already installed".to_string(),
            Installed::Updated => "updated".to_string(),
            Installed::Kept(kept) => format!(
                "installed; the hook that was there is kept as {} and runs first",
                kept.file_name().unwrap_or_default().to_string_lossy()
            ),
        };
        let _ = writeln!(text, "  {name:<17} {what}");
    }
    let _ = writeln!(text, "hooks run: {}", binary.display());
    if report.remotes.is_empty() {
        text.push_str(
            "receipts: no remote yet; run `enforce install` again after `git remote add` to fetch a remote's receipts\n",
        );
    }
    for (remote, fetching) in &report.remotes {
        let _ = writeln!(
            text,
            "receipts: fetched from {remote} into {} ({})",
            remote_notes_ref(remote),
            match fetching {
                Fetching::Added => "fetch refspec added",
                Fetching::AlreadySet => "fetch refspec already set",
            }
        );
    }
    match &report.config {
        ConfigFile::Written(path) => {
            let _ = writeln!(
                text,
                "config: wrote {} (edit it to set the rules)",
                path.display()
            );
        }
        ConfigFile::Existing(path) => {
            let _ = writeln!(text, "config: kept existing {}", path.display());
        }
        ConfigFile::Skipped => {}
    }
    // Where events will land; a broken config is reported, not fatal here:
    // the hooks are in place and `enforce config check` says what to fix.
    match Workspace::load(cwd, events_flag) {
        Ok(workspace) => {
            let rules = crate::rules::active_rules(&workspace.config.config);
            let rules = if rules.is_empty() {
                "none".to_string()
            } else {
                rules.join(", ")
            };
            let _ = writeln!(text, "rules: {rules} (see `enforce config show`)");
            let _ = writeln!(text, "events: {}", workspace.events.path().display());
            if workspace.config.config.review.require_signature {
                text.push_str("approvals: only signed approvals count ([review] require_signature)\n");
            } else {
                text.push_str(
                    "approvals: unsigned; to make only your reviewers' signed approvals count, see docs/review.md ([review] require_signature)\n",
                );
            }
        }
        Err(e) => {
            let _ = writeln!(text, "warning: {e}");
        }
    }
    output::print(&text)?;
    Ok(EXIT_OK)
}

pub fn uninstall(cwd: &Path) -> Result<i32> {
    if let Some(code) = crate::server::uninstall_if_bare(cwd)? {
        return Ok(code);
    }
    let report = install::uninstall(cwd)?;
    let mut text = format!("hooks directory: {}\n", report.hooks_dir.display());
    for (name, action) in &report.hooks {
        let what = match action {
            Uninstalled::Removed => "removed",
            Uninstalled::Restored => "removed; the earlier hook is restored",
            Uninstalled::NotOurs => "not an enforce hook; left alone",
            Uninstalled::Absent => "not installed",
        };
        let _ = writeln!(text, "  {name:<17} {what}");
    }
    for remote in &report.remotes {
        let _ = writeln!(
            text,
            "receipts: no longer fetched from {remote} (fetch refspec removed)"
        );
    }
    text.push_str("config, events file and receipts are left in place\n");
    output::print(&text)?;
    Ok(EXIT_OK)
}
