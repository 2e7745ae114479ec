//! Chaining to the hook that was installed before enforce.
//!
//! `enforce install` never overwrites a hook it did not write: it renames it
//! to `<name>.pre-enforce`, and enforce's hook runs it first with the same
//! arguments, standard streams and working directory (a hook git gives
//! input on standard input gets a copy of it). Its exit code passes
//! through, so if it fails, the commit fails exactly as before.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;

use super::HookName;
use crate::error::{EXIT_OK, Error, Result};

/// The suffix of a kept earlier hook.
pub const KEPT_SUFFIX: &str = ".pre-enforce";

/// Runs `<dir>/<name>.pre-enforce` if it exists and is executable, and
/// returns its exit code (0 when there is none). Like git, a kept hook that
/// is not executable is not run. `input`, when given, is written to its
/// standard input.
pub fn run_kept(dir: &Path, name: HookName, args: &[OsString], input: Option<&[u8]>) -> Result<i32> {
    let path = dir.join(format!("{name}{KEPT_SUFFIX}"));
    let Ok(meta) = path.metadata() else {
        return Ok(EXIT_OK);
    };
    if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
        return Ok(EXIT_OK);
    }
    let status = match input {
        None => Command::new(&path).args(args).status(),
        Some(input) => run_with_input(&path, args, input),
    }
    .map_err(|e| Error::io("run the kept hook", &path, e))?;
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

/// Runs `path` with `input` on its standard input. A hook that exits
/// without reading all of it is no error (git ignores that too).
fn run_with_input(path: &Path, args: &[OsString], input: &[u8]) -> std::io::Result<std::process::ExitStatus> {
    use std::io::Write;
    let mut child = Command::new(path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        match stdin.write_all(input) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                let _ = child.wait();
                return Err(e);
            }
            _ => {}
        }
    }
    child.wait()
}
