//! `enforce install` and `enforce uninstall`: put the hooks where git will
//! run them, without ever losing a hook enforce did not write.
//!
//! The hooks directory is the one git itself resolves (`core.hooksPath` when
//! set, else the common git dir's `hooks`), so linked worktrees and
//! submodules get the right one. A hook already in place that is not ours is
//! kept as `<name>.pre-enforce` and chained; `uninstall` puts it back. Every
//! conflict is found before anything is written, so a refused install
//! changes nothing.
//!
//! Receipts travel with pushes (pre-push) and come back with fetches: for
//! each remote, install adds the fetch refspec
//! `+refs/notes/enforce:refs/notes/remotes/<remote>/enforce` (never into
//! `refs/notes/enforce` itself, which holds receipts not pushed yet), and
//! notes in `enforce.notesRefspecAdded` which remotes it added it to, so
//! that `uninstall` removes exactly those.

pub mod health;
pub mod shim;

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::config;
use crate::error::{Error, Result};
use crate::git::sync::{ADDED_REFSPECS_KEY, notes_fetch_refspec};
use crate::git::{self, Git, Repo};
use crate::hook::{HookName, KEPT_SUFFIX};

/// What install did to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installed {
    /// There was no hook; ours is in place now.
    New,
    /// Ours was already there and identical.
    Unchanged,
    /// Ours was there for another binary path or version; rewritten.
    Updated,
    /// A foreign hook was there; it is kept at this path and runs first.
    Kept(PathBuf),
}

/// What uninstall did to one hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uninstalled {
    /// Ours was removed (and no earlier hook was kept).
    Removed,
    /// Ours was removed and the kept earlier hook is back in place.
    Restored,
    /// The hook there is not ours; left alone.
    NotOurs,
    /// Nothing was installed.
    Absent,
}

/// What happened to `.enforce.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigFile {
    Written(PathBuf),
    Existing(PathBuf),
    Skipped,
}

/// What install did about fetching one remote's receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetching {
    /// The fetch refspec was added.
    Added,
    /// It was there already (this install did not add it, so uninstall
    /// leaves it).
    AlreadySet,
}

#[derive(Debug)]
pub struct InstallReport {
    pub hooks_dir: PathBuf,
    pub hooks: Vec<(HookName, Installed)>,
    pub config: ConfigFile,
    /// Each remote and its notes fetch refspec.
    pub remotes: Vec<(String, Fetching)>,
}

#[derive(Debug)]
pub struct UninstallReport {
    pub hooks_dir: PathBuf,
    pub hooks: Vec<(HookName, Uninstalled)>,
    /// The remotes whose notes fetch refspec (added by install) was removed.
    pub remotes: Vec<String>,
}

/// Installs enforce's hooks for the repository around `cwd`, running
/// `binary`. Writes `.enforce.toml` from the template when `write_config`
/// and none exists.
pub fn install(cwd: &Path, binary: &Path, write_config: bool, form: shim::Form) -> Result<InstallReport> {
    let (root, hooks_dir) = locate(cwd)?;

    // Plan every hook before touching any, so a conflict changes nothing.
    let mut plan = Vec::new();
    for name in HookName::ALL {
        let path = hooks_dir.join(name.as_str());
        let kept = kept_path(&hooks_dir, name);
        let script = shim::render(name, binary, form);
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
    let mut hooks = Vec::new();
    for (name, path, script, action) in plan {
        if let Installed::Kept(kept) = &action {
            fs::rename(&path, kept).map_err(|e| Error::io("keep the existing hook", &path, e))?;
        }
        if action != Installed::Unchanged {
            write_executable(&path, &script)?;
        }
        hooks.push((name, action));
    }

    let remotes = fetch_receipts(cwd)?;

    let config_path = root.join(config::FILE_NAME);
    let config = if !write_config {
        ConfigFile::Skipped
    } else if exists(&config_path) {
        ConfigFile::Existing(config_path)
    } else {
        write_new(&config_path, config::TEMPLATE.as_bytes())?;
        ConfigFile::Written(config_path)
    };

    Ok(InstallReport {
        hooks_dir,
        hooks,
        config,
        remotes,
    })
}

/// The repository around `cwd` (there is one: [`locate`] found it).
fn open(cwd: &Path) -> Result<Git> {
    Git::discover(cwd)?.ok_or_else(|| Error::NotARepository {
        path: cwd.to_path_buf(),
    })
}

/// Gives this clone its id (which names its log head on remotes) and
/// adds the notes fetch refspec to every remote that lacks it.
fn fetch_receipts(cwd: &Path) -> Result<Vec<(String, Fetching)>> {
    let git = open(cwd)?;
    git.clone_id()?;
    let mut remotes = Vec::new();
    for remote in git.remote_names() {
        let key = format!("remote.{remote}.fetch");
        let fetching = if git.add_config_value(&key, &notes_fetch_refspec(&remote))? {
            git.add_config_value(ADDED_REFSPECS_KEY, &remote)?;
            Fetching::Added
        } else {
            Fetching::AlreadySet
        };
        remotes.push((remote, fetching));
    }
    Ok(remotes)
}

/// Removes the notes fetch refspecs install added; returns the remotes
/// they were removed from.
fn stop_fetching_receipts(cwd: &Path) -> Result<Vec<String>> {
    let git = open(cwd)?;
    let mut removed = Vec::new();
    for remote in git.config_values(ADDED_REFSPECS_KEY) {
        let key = format!("remote.{remote}.fetch");
        if git.remove_config_value(&key, &notes_fetch_refspec(&remote))? {
            removed.push(remote.clone());
        }
        git.remove_config_value(ADDED_REFSPECS_KEY, &remote)?;
    }
    Ok(removed)
}

/// Removes enforce's hooks for the repository around `cwd` and restores the
/// hooks they had kept. Leaves the config and the events file alone.
pub fn uninstall(cwd: &Path) -> Result<UninstallReport> {
    let (_, hooks_dir) = locate(cwd)?;
    let mut hooks = Vec::new();
    for name in HookName::ALL {
        let path = hooks_dir.join(name.as_str());
        let kept = kept_path(&hooks_dir, name);
        let ours = shim::is_ours(&path);
        if exists(&path) && !ours {
            hooks.push((name, Uninstalled::NotOurs));
            continue;
        }
        if ours {
            fs::remove_file(&path).map_err(|e| Error::io("remove the hook", &path, e))?;
        }
        let action = if exists(&kept) {
            fs::rename(&kept, &path).map_err(|e| Error::io("restore the kept hook", &kept, e))?;
            Uninstalled::Restored
        } else if ours {
            Uninstalled::Removed
        } else {
            Uninstalled::Absent
        };
        hooks.push((name, action));
    }
    let remotes = stop_fetching_receipts(cwd)?;
    Ok(UninstallReport {
        hooks_dir,
        hooks,
        remotes,
    })
}

/// The repository, its work tree root and its hooks directory; refuses a
/// bare repository.
fn locate(cwd: &Path) -> Result<(PathBuf, PathBuf)> {
    let repo = Repo::require(cwd)?;
    let Some(root) = repo.root.clone() else {
        return Err(Error::BareRepository {
            path: repo.git_dir.clone(),
        });
    };
    let hooks_dir = git::hooks_dir(cwd)?;
    if hooks_dir.exists() && !hooks_dir.is_dir() {
        return Err(Error::HooksDirNotADirectory { path: hooks_dir });
    }
    Ok((root, hooks_dir))
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
    let write = || -> io::Result<()> {
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
        .map_err(|e| Error::io("write the config file", path, e))
}
