//! `enforce install --server` and `enforce uninstall` in a bare repository:
//! the `pre-receive` hook and the server's config file.
//!
//! The hook file is the one `enforce install` writes ([`shim`]), with the
//! same rules: a foreign hook is kept as `pre-receive.pre-enforce` and runs
//! first, and uninstall puts it back.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::config::{self, ServerConfig};
use crate::cli::InstallArgs;
use crate::error::{EXIT_OK, Error, Result};
use crate::git::{self, Repo};
use crate::hook::{HookName, KEPT_SUFFIX};
use crate::install::shim::{self, Form};
use crate::install::{Installed, Uninstalled};
use crate::output;
use crate::workspace::Workspace;

/// Installs the server hooks in the bare repository around `cwd` and says
/// what it did.
pub fn install(cwd: &Path, events_flag: Option<&Path>, args: &InstallArgs) -> Result<i32> {
    let repo = Repo::require(cwd)?;
    if let Some(root) = &repo.root {
        return Err(Error::ServerNeedsBare { path: root.clone() });
    }
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::io("find the enforce binary", "current executable", e))?;
    let form = if args.shell { Form::Shell } else { Form::Direct };
    let hooks_dir = hooks_dir(cwd)?;

    // Plan every hook before touching any, so a conflict changes nothing.
    let mut plan = Vec::new();
    for name in HookName::SERVER {
        let path = hooks_dir.join(name.as_str());
        let kept = kept_path(&hooks_dir, name);
        let script = shim::render(name, &binary, form);
        let action = if !exists(&path) {
            Installed::New
        } else if shim::is_ours(&path) {
            if fs::read(&path).is_ok_and(|current| current == script) {
                Installed::Unchanged
            } else {
                Installed::Updated
            }
        } else if exists(&kept) {
            return Err(Error::HookConflict { hook: path, kept });
        } else {
            Installed::Kept(kept)
        };
        plan.push((name, path, script, action));
    }
    fs::create_dir_all(&hooks_dir).map_err(|e| Error::io("create the hooks directory", &hooks_dir, e))?;
    let mut text = format!("hooks directory: {}\n", hooks_dir.display());
    for (name, path, script, action) in plan {
        if let Installed::Kept(kept) = &action {
            fs::rename(&path, kept).map_err(|e| Error::io("keep the existing hook", &path, e))?;
        }
        if action != Installed::Unchanged {
            write_executable(&path, &script)?;
        }
        let what = match &action {
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

    let config_path = repo.common_dir.join(config::FILE_NAME);
    if !args.no_config && exists(&config_path) {
        let _ = writeln!(text, "config: kept existing {}", config_path.display());
    } else if !args.no_config {
        write_new(&config_path, config::TEMPLATE.as_bytes())?;
        let _ = writeln!(
            text,
            "config: wrote {} (edit [server] to choose the protected branches)",
            config_path.display()
        );
    }
    // A broken config is reported, not fatal here: the hook is in place,
    // and it refuses every push until the file is fixed.
    match ServerConfig::load(&repo.common_dir) {
        Ok(config) => {
            let _ = writeln!(text, "protected: {}", protected(&config));
        }
        Err(e) => {
            let _ = writeln!(text, "warning: {e}");
        }
    }
    match Workspace::load(cwd, events_flag) {
        Ok(workspace) => {
            let _ = writeln!(text, "events: {}", workspace.events.path().display());
        }
        Err(e) => {
            let _ = writeln!(text, "warning: {e}");
        }
    }
    output::print(&text)?;
    Ok(EXIT_OK)
}

/// The protected refs as install prints them.
fn protected(config: &ServerConfig) -> String {
    if config.branches.is_empty() {
        "nothing (`branches = []` in [server]): every push is accepted".to_string()
    } else {
        config.branches.join(", ")
    }
}

/// In a bare repository, removes the server hooks (restoring the hooks they
/// kept) and says so; `None` in any other repository, whose uninstall is
/// the client's.
pub fn uninstall_if_bare(cwd: &Path) -> Result<Option<i32>> {
    let repo = Repo::require(cwd)?;
    if !repo.is_bare() {
        return Ok(None);
    }
    let hooks_dir = hooks_dir(cwd)?;
    let mut text = format!("hooks directory: {}\n", hooks_dir.display());
    for name in HookName::SERVER {
        let path = hooks_dir.join(name.as_str());
        let kept = kept_path(&hooks_dir, name);
        let ours = shim::is_ours(&path);
        let action = if exists(&path) && !ours {
            Uninstalled::NotOurs
        } else {
            if ours {
                fs::remove_file(&path).map_err(|e| Error::io("remove the hook", &path, e))?;
            }
            if exists(&kept) {
                fs::rename(&kept, &path).map_err(|e| Error::io("restore the kept hook", &kept, e))?;
                Uninstalled::Restored
            } else if ours {
                Uninstalled::Removed
            } else {
                Uninstalled::Absent
            }
        };
        let what = match action {
            Uninstalled::Removed => "removed",
            Uninstalled::Restored => "removed; the earlier hook is restored",
            Uninstalled::NotOurs => "not an enforce hook; left alone",
            Uninstalled::Absent => "not installed",
        };
        let _ = writeln!(text, "  {name:<17} {what}");
    }
    text.push_str("server config and events file are left in place\n");
    output::print(&text)?;
    Ok(Some(EXIT_OK))
}

/// The hooks directory git uses here; an error when it is not a directory.
fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    let dir = git::hooks_dir(cwd)?;
    if dir.exists() && !dir.is_dir() {
        return Err(Error::HooksDirNotADirectory { path: dir });
    }
    Ok(dir)
}

fn kept_path(hooks_dir: &Path, name: HookName) -> PathBuf {
    hooks_dir.join(format!("{name}{KEPT_SUFFIX}"))
}

/// Whether anything (a file, a directory, a dangling symlink) is at `path`.
fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Writes `bytes` to `path` with mode 0755 through a temporary file and a
/// rename, so git never runs a half-written hook.
fn write_executable(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.enforce-tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let write = || -> std::io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.set_permissions(fs::Permissions::from_mode(0o755))?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("write the hook", path, e)
    })
}

/// Creates `path` with `bytes`; never overwrites.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| Error::io("write the server config", path, e))
}
