//! Running the `git` program.
//!
//! Children inherit the environment git gave the hook on purpose: in a hook,
//! `GIT_INDEX_FILE` names the index being committed and `GIT_DIR` the
//! repository, and every child here asks about exactly that repository.

use std::ffi::{OsStr, OsString};
use std::io::{BufReader, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The git program, looked up on PATH once.
fn git_program() -> Result<&'static Path> {
    static GIT: OnceLock<Option<PathBuf>> = OnceLock::new();
    GIT.get_or_init(|| which::which("git").ok())
        .as_deref()
        .ok_or(Error::GitMissing)
}

fn command<I, S>(args: I) -> Result<Command>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(git_program()?);
    cmd.args(args);
    Ok(cmd)
}

fn failed(action: &str, stderr: &[u8]) -> Error {
    Error::Git {
        action: action.into(),
        message: String::from_utf8_lossy(stderr).trim().to_string(),
    }
}

/// Runs `git args…` and returns its standard output.
pub fn run<I, S>(args: I, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = command(args)?.output().map_err(|e| Error::Git {
        action: action.into(),
        message: e.to_string(),
    })?;
    if !output.status.success() {
        return Err(failed(action, &output.stderr));
    }
    Ok(output.stdout)
}

/// Runs `git args…` and hands its standard output to `read` as a stream,
/// so large outputs (a diff of 100,000 files) are never held whole.
pub fn stream<I, S, T>(args: I, action: &str, read: impl FnOnce(&mut dyn std::io::BufRead) -> T) -> Result<T>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut child = command(args)?
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Git {
            action: action.into(),
            message: e.to_string(),
        })?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let value = read(&mut BufReader::with_capacity(64 * 1024, stdout));
    let mut stderr = Vec::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_end(&mut stderr);
    }
    let status = child.wait().map_err(|e| Error::Git {
        action: action.into(),
        message: e.to_string(),
    })?;
    if !status.success() {
        return Err(failed(action, &stderr));
    }
    Ok(value)
}

/// `git rev-parse --path-format=absolute --git-path hooks`, run in `cwd`.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    let action = "finding the hooks directory";
    let output = command(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])?
        .current_dir(cwd)
        .output()
        .map_err(|e| Error::Git {
            action: action.into(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(failed(action, &output.stderr));
    }
    let mut out = output.stdout;
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    Ok(PathBuf::from(OsString::from_vec(out)))
}

/// Runs `git args…` in `repo` (named by `GIT_DIR`, whatever the current
/// directory) and returns its whole output, whatever its exit code: for
/// commands whose failure is an answer to read (a push the remote
/// refuses). Only a git that cannot be started is an error.
pub fn output_in<I, S>(repo: &super::Repo, args: I, action: &str) -> Result<std::process::Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = command(args)?;
    cmd.env("GIT_DIR", &repo.git_dir).stdin(Stdio::null());
    match &repo.root {
        Some(root) => cmd.env("GIT_WORK_TREE", root),
        None => cmd.env_remove("GIT_WORK_TREE"),
    };
    cmd.output().map_err(|e| Error::Git {
        action: action.into(),
        message: e.to_string(),
    })
}
