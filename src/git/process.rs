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

/// Runs `git args…` with `input` on its standard input and returns its
/// standard output (the input is written from a thread, so a large output
/// cannot block it).
pub fn run_with_input<I, S>(args: I, input: Vec<u8>, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    use std::io::Write;
    let spawn_error = |e: std::io::Error| Error::Git {
        action: action.into(),
        message: e.to_string(),
    };
    let mut child = command(args)?
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_error)?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(spawn_error)?;
    // git stops reading when it fails; its own message says why.
    let _ = writer.join();
    if !output.status.success() {
        return Err(failed(action, &output.stderr));
    }
    Ok(output.stdout)
}
