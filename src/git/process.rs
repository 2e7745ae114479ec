//! Running the `git` program.
//!
//! Children inherit the environment git gave the hook on purpose: in a hook,
//! `GIT_INDEX_FILE` names the index being committed and `GIT_DIR` the
//! repository, and every child here asks about exactly that repository.
//! The `*_in` variants aim the child at the repository a [`Git`] opened,
//! wherever the current directory is: `GIT_DIR` (and `GIT_WORK_TREE`) name
//! it absolutely, and the rest is inherited, so a pre-receive hook's
//! quarantine (`GIT_OBJECT_DIRECTORY`, `GIT_ALTERNATE_OBJECT_DIRECTORIES`)
//! still holds.
//!
//! [`Git`]: super::Git

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::OnceLock;

use super::Repo;
use super::diff_text::Lookahead;
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

/// [`command`], aimed at `repo` (see the module's doc).
fn command_in<I, S>(repo: &Repo, args: I) -> Result<Command>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = command(args)?;
    cmd.env("GIT_DIR", &repo.git_dir);
    match &repo.root {
        Some(root) => cmd.env("GIT_WORK_TREE", root),
        None => cmd.env_remove("GIT_WORK_TREE"),
    };
    Ok(cmd)
}

/// The error of a git that exited with `status`: its stderr, or the status
/// when it printed nothing.
fn failed(action: &str, status: ExitStatus, stderr: &[u8]) -> Error {
    let stderr = String::from_utf8_lossy(stderr).trim().to_string();
    Error::Git {
        action: action.into(),
        message: if stderr.is_empty() {
            format!("git ended with {status}")
        } else {
            stderr
        },
    }
}

fn spawn_error(action: &str, e: std::io::Error) -> Error {
    Error::Git {
        action: action.into(),
        message: e.to_string(),
    }
}

/// A git that ended with an exit code its caller reads as an answer.
pub struct Ended {
    pub code: i32,
    pub stdout: Vec<u8>,
    status: ExitStatus,
    stderr: Vec<u8>,
}

impl Ended {
    /// This run as an error, with what git said on stderr, for an answer
    /// the caller cannot read.
    pub fn error(&self, action: &str) -> Error {
        failed(action, self.status, &self.stderr)
    }
}

/// Runs `command` to the end, when its exit code is 0 or one of
/// `allowed`; any other code is an error.
fn finish(mut command: Command, action: &str, allowed: &[i32]) -> Result<Ended> {
    let output = command.output().map_err(|e| spawn_error(action, e))?;
    match output.status.code() {
        Some(code) if code == 0 || allowed.contains(&code) => Ok(Ended {
            code,
            stdout: output.stdout,
            status: output.status,
            stderr: output.stderr,
        }),
        _ => Err(failed(action, output.status, &output.stderr)),
    }
}

/// Runs `git args…` and returns its standard output.
pub fn run<I, S>(args: I, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Ok(finish(command(args)?, action, &[])?.stdout)
}

/// Runs `git args…` in `repo`, for commands whose exit code is an answer:
/// codes in `allowed` (besides 0) come back with the output, any other is
/// an error.
pub fn run_in_allowing<I, S>(repo: &Repo, args: I, action: &str, allowed: &[i32]) -> Result<Ended>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    finish(command_in(repo, args)?, action, allowed)
}

/// Runs `git first… | git second…` in `repo` and returns the standard
/// output of `second`; either one failing is an error.
pub fn pipe_in<I, S, J, T>(repo: &Repo, first: I, second: J, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
    J: IntoIterator<Item = T>,
    T: AsRef<OsStr>,
{
    let mut producer = command_in(repo, first)?
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(action, e))?;
    let pipe = producer.stdout.take().expect("stdout is piped");
    // The producer's stderr is drained beside it, so a long one cannot
    // block it while the consumer waits for the end of its output.
    let mut err = producer.stderr.take().expect("stderr is piped");
    let drain = std::thread::spawn(move || {
        let mut stderr = Vec::new();
        let _ = err.read_to_end(&mut stderr);
        stderr
    });
    let consumed = command_in(repo, second)
        .and_then(|mut cmd| cmd.stdin(pipe).output().map_err(|e| spawn_error(action, e)));
    // Reaped even when the consumer could not start (its stdout closed
    // with `cmd`, so it ends).
    let status = producer.wait().map_err(|e| spawn_error(action, e))?;
    let stderr = drain.join().unwrap_or_default();
    let consumed = consumed?;
    if !status.success() {
        return Err(failed(action, status, &stderr));
    }
    if !consumed.status.success() {
        return Err(failed(action, consumed.status, &consumed.stderr));
    }
    Ok(consumed.stdout)
}

/// Tells a diffing git to read no `.gitattributes`: not the work tree's,
/// the index's, the system's or the user's (`$GIT_DIR/info/attributes`
/// is the one source git cannot be told to skip). An attribute such as
/// `*.py -diff` would make git call every Python file binary, and the
/// content rules would never see its lines; binary is decided by content
/// alone (a NUL in the first 8,000 bytes), as the in-process diff does.
fn without_attributes<I, S>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<OsString> = vec!["-c".into(), "core.attributesFile=/dev/null".into()];
    all.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
    all
}

/// [`without_attributes`]' environment half: attributes from the empty
/// tree instead of the work tree or index (`GIT_ATTR_SOURCE`, read by git
/// 2.40 and later, ignored by older ones), none from the system.
fn no_tree_attributes<'c>(cmd: &'c mut Command, empty_tree: &str) -> &'c mut Command {
    cmd.env("GIT_ATTR_SOURCE", empty_tree)
        .env("GIT_ATTR_NOSYSTEM", "1")
}

/// Runs the diffing `git args…` (see [`without_attributes`]) and hands its
/// standard output to `read` as a stream, so large outputs (a diff of
/// 100,000 files) are never held whole.
pub fn stream_diff<I, S, T>(
    args: I,
    empty_tree: &str,
    action: &str,
    read: impl FnOnce(&mut Lookahead<ChildStdout>) -> T,
) -> Result<T>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = command(without_attributes(args))?;
    let mut child = no_tree_attributes(&mut cmd, empty_tree)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(action, e))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let drain = drain_stderr(&mut child);
    let value = read(&mut Lookahead::new(stdout));
    let status = child.wait().map_err(|e| spawn_error(action, e))?;
    let stderr = drain.join().unwrap_or_default();
    if !status.success() {
        return Err(failed(action, status, &stderr));
    }
    Ok(value)
}

/// Reads a child's stderr beside it, so a long one cannot block it while
/// its stdout is read.
fn drain_stderr(child: &mut Child) -> std::thread::JoinHandle<Vec<u8>> {
    let pipe = child.stderr.take();
    std::thread::spawn(move || {
        let mut stderr = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut stderr);
        }
        stderr
    })
}

/// A diffing git (see [`without_attributes`]) running in `repo` that
/// reads `input` on its standard input (written beside it) and is read
/// from as it goes.
pub struct Streaming {
    child: Child,
    pub out: Lookahead<ChildStdout>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    writer: Option<std::thread::JoinHandle<()>>,
    action: String,
}

impl Streaming {
    pub fn start<I, S>(
        repo: &Repo,
        args: I,
        empty_tree: &str,
        input: Vec<u8>,
        action: &str,
    ) -> Result<Streaming>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        use std::io::Write;
        let mut cmd = command_in(repo, without_attributes(args))?;
        let mut child = no_tree_attributes(&mut cmd, empty_tree)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(action, e))?;
        let mut stdin = child.stdin.take().expect("stdin is piped");
        // git stops reading when it fails; its own message says why.
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
        let stderr = drain_stderr(&mut child);
        let out = Lookahead::new(child.stdout.take().expect("stdout is piped"));
        Ok(Streaming {
            child,
            out,
            stderr: Some(stderr),
            writer: Some(writer),
            action: action.to_string(),
        })
    }

    /// Waits for the end (what was not read is read and dropped): an
    /// error with what git said when it failed.
    pub fn finish(&mut self) -> Result<()> {
        let _ = std::io::copy(&mut self.out, &mut std::io::sink());
        let status = self.child.wait().map_err(|e| spawn_error(&self.action, e))?;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
        let stderr = self.stderr.take().and_then(|t| t.join().ok()).unwrap_or_default();
        if !status.success() {
            return Err(failed(&self.action, status, &stderr));
        }
        Ok(())
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        // Not read to the end: stop it rather than wait for it.
        if self.writer.is_some() {
            let _ = self.child.kill();
            let _ = self.finish();
        }
    }
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
        return Err(failed(action, output.status, &output.stderr));
    }
    let mut out = output.stdout;
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    Ok(PathBuf::from(OsString::from_vec(out)))
}

/// Runs `git args…` in `repo` with `input` on its standard input and
/// returns its standard output (the input is written from a thread, so a
/// large output cannot block it).
pub fn run_with_input_in<I, S>(repo: &Repo, args: I, input: Vec<u8>, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    use std::io::Write;
    let mut child = command_in(repo, args)?
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(action, e))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(|e| spawn_error(action, e))?;
    // git stops reading when it fails; its own message says why.
    let _ = writer.join();
    if !output.status.success() {
        return Err(failed(action, output.status, &output.stderr));
    }
    Ok(output.stdout)
}

/// Runs `git args…` in `repo` (named by `GIT_DIR`, whatever the current
/// directory) and returns its whole output, whatever its exit code: for
/// commands whose failure is an answer to read (a push the remote
/// refuses). Only a git that cannot be started is an error.
pub fn output_in<I, S>(repo: &Repo, args: I, action: &str) -> Result<std::process::Output>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    command_in(repo, args)?
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error(action, e))
}
