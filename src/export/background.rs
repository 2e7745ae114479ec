//! Exports started in the background after the log changed: the Prometheus
//! textfile after every hook and command that appends, and the OTLP export
//! after a commit. The process that appended never waits for them: each
//! is a detached `enforce` in its own process group, its output discarded,
//! and a failure to start one is a warning, never a changed outcome.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::config::Export;
use crate::notice;

/// The hidden `enforce metrics` flag of a refresh started here: it leaves
/// the work to a refresh of the same file already waiting to read the log.
pub const REFRESH_FLAG: &str = "--refresh";

/// The textfile `[export.prometheus]` names, resolved against the work
/// tree root `root` when relative.
pub fn textfile(export: &Export, root: Option<&Path>) -> Option<PathBuf> {
    let file = export.prometheus.as_ref()?.textfile.as_ref()?;
    if file.is_absolute() {
        Some(file.clone())
    } else {
        root.map(|root| root.join(file))
    }
}

/// Starts `enforce metrics --output <textfile>` in the background when a
/// textfile is configured; it reads the log the caller's environment
/// names, from `root`.
pub fn refresh_textfile(export: &Export, root: Option<&Path>) {
    let Some(file) = textfile(export, root) else {
        return;
    };
    spawn(
        root,
        &[
            "metrics".as_ref(),
            REFRESH_FLAG.as_ref(),
            "--output".as_ref(),
            file.as_os_str(),
        ],
    );
}

/// What post-commit starts: the textfile refresh, and `enforce export
/// otlp` when `[export.otlp]` asks for it after each commit.
pub fn after_commit(export: &Export, root: Option<&Path>) {
    refresh_textfile(export, root);
    if export.otlp.as_ref().is_some_and(|o| o.after_commit) {
        spawn(root, &["export".as_ref(), "otlp".as_ref()]);
    }
}

fn spawn(root: Option<&Path>, args: &[&OsStr]) {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let binary = match std::env::current_exe() {
        Ok(binary) => binary,
        Err(e) => {
            notice::warning(format!(
                "could not start `enforce {}`: the enforce binary is not found ({e})",
                args[0].to_string_lossy()
            ));
            return;
        }
    };
    let mut command = Command::new(binary);
    command
        .args(args)
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if let Some(root) = root {
        command.current_dir(root);
    }
    if let Err(e) = command.spawn() {
        notice::warning(format!(
            "could not start `enforce {}`: {e}",
            args[0].to_string_lossy()
        ));
    }
}

/// The turn to write a textfile, held until dropped. Writes of one file
/// take turns, each reading the log once its turn comes, so the last write
/// is never of an older log than an earlier one.
pub struct Turn {
    _lock: Option<std::fs::File>,
}

/// Takes the turn to write `output`. `refresh` (a background refresh)
/// gets `None` when another refresh of the file already waits for its
/// turn: that one reads the log after this caller's append, so nothing is
/// left to do. Any other caller waits for its turn. Where the lock files
/// cannot be made (a directory that is not writable), the write goes
/// ahead unlocked and fails or not on its own.
pub fn take_turn(output: &Path, refresh: bool) -> Option<Turn> {
    let dir = output
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = output.file_name().unwrap_or_default().to_string_lossy();
    let _ = std::fs::create_dir_all(dir);
    let open = |suffix: &str| {
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!(".{name}{suffix}")))
            .ok()
    };
    let waiting = if refresh {
        match open(".queue.lock") {
            Some(queue) => match queue.try_lock() {
                Ok(()) => Some(queue),
                Err(std::fs::TryLockError::WouldBlock) => return None,
                Err(std::fs::TryLockError::Error(_)) => None,
            },
            None => None,
        }
    } else {
        None
    };
    let running = open(".lock").filter(|file| file.lock().is_ok());
    // Holding the turn, let the next refresh queue up: it reads the log
    // after this one does.
    drop(waiting);
    Some(Turn { _lock: running })
}
