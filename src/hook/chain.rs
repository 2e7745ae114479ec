//! Chaining to the hook that was installed before enforce.
//!
//! `enforce install` never overwrites a hook it did not write: it renames it
//! to `<name>.pre-enforce`, and enforce's hook runs it first with the same
//! arguments, standard streams and working directory. Its exit code passes
//! through, so if it fails, the commit fails exactly as before.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};

use super::HookName;
use crate::error::{EXIT_OK, Error, Result};

/// The suffix of a kept earlier hook.
pub const KEPT_SUFFIX: &str = ".pre-enforce";

/// Runs `<dir>/<name>.pre-enforce` if it exists and is executable, and
/// returns its exit code (0 when there is none). Like git, a kept hook that
/// is not executable is not run.
pub fn run_kept(dir: &Path, name: HookName, args: &[OsString]) -> Result<i32> {
    run_kept_with(dir, name, args, None)
}

/// Like [`run_kept`], for a hook that reads its standard input (pre-receive):
/// the kept hook reads `input`, which the caller has already read.
pub fn run_kept_with_input(dir: &Path, name: HookName, args: &[OsString], input: &[u8]) -> Result<i32> {
    run_kept_with(dir, name, args, Some(input))
}

fn run_kept_with(dir: &Path, name: HookName, args: &[OsString], input: Option<&[u8]>) -> Result<i32> {
    let path = dir.join(format!("{name}{KEPT_SUFFIX}"));
    let Ok(meta) = path.metadata() else {
        return Ok(EXIT_OK);
    };
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Ok(EXIT_OK);
    }
    let error = |e| Error::io("run the kept hook", &path, e);
    let mut command = Command::new(&path);
    command.args(args);
    let status = match input {
        None => command.status().map_err(error)?,
        Some(input) => {
            let mut child = command.stdin(Stdio::piped()).spawn().map_err(error)?;
            // A hook that exits without reading all of its input is no error.
            if let Some(mut stdin) = child.stdin.take() {
                match stdin.write_all(input) {
                    Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(error(e)),
                    _ => {}
                }
            }
            child.wait().map_err(error)?
        }
    };
    match status.code() {
        Some(code) => {
            if code != EXIT_OK {
                crate::notice::info(format!(
                    "the kept `{name}` hook `{}` failed with exit code {code}",
                    path.display()
                ));
            }
            Ok(code)
        }
        None => {
            let signal = status.signal().unwrap_or(0);
            crate::notice::info(format!(
                "the kept `{name}` hook `{}` was killed by signal {signal}",
                path.display()
            ));
            Ok(128 + signal)
        }
    }
}
