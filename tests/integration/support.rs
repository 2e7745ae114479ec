//! The test harness: real temporary git repositories, the real `git`, and
//! the built `enforce` binary, in an environment sealed from the machine's
//! own git config and enforce settings.
//!
//! Tests run commands through [`Test`], which asserts the exit status,
//! stdout and stderr of a run together, exactly unless told otherwise.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use assert_fs::TempDir;

/// The enforce binary under test.
pub fn enforce_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_enforce"))
}

/// A temporary directory holding a home, a state dir and repositories.
pub struct Sandbox {
    pub dir: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = TempDir::new().expect("temp dir");
        fs::create_dir_all(dir.path().join("home")).unwrap();
        Sandbox { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command with a clean environment: no inherited `GIT_*` or
    /// `ENFORCE_*` variables, no system or global git config, `HOME` and
    /// `XDG_STATE_HOME` inside the sandbox, fixed commit dates.
    pub fn command(&self, program: impl AsRef<OsStr>, cwd: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(cwd).env_clear();
        for key in ["PATH", "LANG", "TMPDIR"] {
            if let Some(value) = std::env::var_os(key) {
                cmd.env(key, value);
            }
        }
        cmd.env("HOME", self.path().join("home"))
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_DATE", "2026-11-20T10:00:00+00:00")
            .env("GIT_COMMITTER_DATE", "2026-11-20T10:00:00+00:00")
            .env("TZ", "UTC");
        cmd
    }

    /// `enforce args…` in `cwd`.
    pub fn enforce(&self, cwd: &Path) -> Command {
        self.command(enforce_bin(), cwd)
    }

    /// A [`Test`] of `enforce` in `cwd`, in this sandbox's environment.
    pub fn test(&self, cwd: &Path) -> Test {
        Test::new(self.enforce(cwd))
    }

    /// A [`Test`] of `git` in `cwd` (which runs the installed hooks).
    pub fn test_git(&self, cwd: &Path) -> Test {
        Test::new(self.command("git", cwd))
    }

    /// Runs `git args…` in `cwd`, asserting success; returns stdout.
    pub fn git(&self, cwd: &Path, args: &[&str]) -> String {
        let out = self.command("git", cwd).args(args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A new repository `name` with a local identity.
    pub fn repo(&self, name: &str) -> TestRepo {
        let root = self.path().join(name);
        fs::create_dir_all(&root).unwrap();
        self.git(&root, &["init", "-q", "-b", "main"]);
        self.git(&root, &["config", "user.name", "Test Agent"]);
        self.git(&root, &["config", "user.email", "agent@example.com"]);
        self.git(&root, &["config", "commit.gpgsign", "false"]);
        TestRepo { root }
    }
}

/// A repository inside a sandbox.
pub struct TestRepo {
    pub root: PathBuf,
}

impl TestRepo {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    /// The default events file of this repository.
    pub fn events_file(&self) -> PathBuf {
        self.path(".git/enforce/events.jsonl")
    }
}

impl Sandbox {
    /// A copy of the enforce binary at `<sandbox>/bin/enforce`, to move or
    /// delete. Copied by `cp` so no file descriptor open for writing leaks
    /// into processes other tests spawn meanwhile (that makes exec fail with
    /// "Text file busy").
    pub fn copied_binary(&self) -> PathBuf {
        let dest = self.path().join("bin/enforce");
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let status = Command::new("cp").arg(enforce_bin()).arg(&dest).status().unwrap();
        assert!(status.success());
        dest
    }
}

/// Writes an executable shell script. Written by a child process, like
/// [`Sandbox::copied_binary`], so that git can exec it at once.
pub fn write_script(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("sh")
        .args([
            "-c",
            "printf '#!/bin/sh\\n%s\\n' \"$1\" > \"$2\" && chmod 755 \"$2\"",
            "sh",
        ])
        .arg(body)
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Stdout and stderr of a finished command, for assertions.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Ran {
    ran_of(cmd.output().expect("run command"))
}

fn ran_of(output: Output) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = output;
    Ran {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The lines of a file.
pub fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Whether the tests run under CI: `CI=true` in this test process's own
/// environment (the sandboxed commands clear theirs).
pub fn under_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

/// A test that cannot run here because `what` is missing: outside CI it
/// prints `skipped: {what}; {how}` and the caller returns; under `CI=true`
/// it fails with the same words: `how` says how to provide what is missing.
#[track_caller]
pub fn unavailable(what: &str, how: &str) {
    assert!(!under_ci(), "{what}; under CI=true this test must run: {how}");
    eprintln!("skipped: {what}; {how}");
}

/// What a [`Test`] expects of one output stream.
enum Expect {
    /// Exactly this text (the default: empty).
    Exact(String),
    /// Each of these pieces, in any order.
    Contains(Vec<String>),
    /// A whole-text match of this regex.
    Matches(regex::Regex),
    /// Anything: the caller checks what [`Test::run`] returns itself.
    Ignored,
}

impl Expect {
    fn contains(&mut self, piece: &str) {
        match self {
            Expect::Contains(pieces) => pieces.push(piece.to_string()),
            _ => *self = Expect::Contains(vec![piece.to_string()]),
        }
    }

    /// Why `actual` does not meet the expectation, if it does not.
    fn mismatch(&self, actual: &str) -> Option<String> {
        match self {
            Expect::Exact(expected) if expected != actual => Some(format!("expected exactly:\n{expected}")),
            Expect::Contains(pieces) => {
                let missing: Vec<&String> = pieces.iter().filter(|p| !actual.contains(p.as_str())).collect();
                (!missing.is_empty()).then(|| format!("expected to contain: {missing:?}"))
            }
            Expect::Matches(re) if !re.is_match(actual) => Some(format!("expected to match: {re}")),
            _ => None,
        }
    }
}

/// One run of a command with everything it should do: its exit status,
/// stdout and stderr, asserted together by [`Test::run`]. Exact by default
/// (status 0, empty stdout, empty stderr); `*_contains`, `*_matches` and
/// `*_ignored` loosen one stream where it holds times or paths, and
/// [`Test::redact`] replaces such text before comparing.
#[must_use]
pub struct Test {
    command: Command,
    stdin: Option<Vec<u8>>,
    status: Option<i32>,
    stdout: Expect,
    stderr: Expect,
    redactions: Vec<(String, String)>,
}

impl Test {
    /// A test of `command`, usually from [`Sandbox::command`] so that it
    /// runs in the sealed environment.
    pub fn new(command: Command) -> Test {
        Test {
            command,
            stdin: None,
            status: Some(0),
            stdout: Expect::Exact(String::new()),
            stderr: Expect::Exact(String::new()),
            redactions: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Test {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Test {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Test {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(input.into());
        self
    }

    /// The expected exit status (default 0).
    pub fn status(mut self, code: i32) -> Test {
        self.status = Some(code);
        self
    }

    /// Any exit status; the caller checks what `run` returns.
    pub fn status_ignored(mut self) -> Test {
        self.status = None;
        self
    }

    /// Exactly this stdout (default: empty).
    pub fn stdout(mut self, text: impl Into<String>) -> Test {
        self.stdout = Expect::Exact(text.into());
        self
    }

    /// Exactly this stderr (default: empty).
    pub fn stderr(mut self, text: impl Into<String>) -> Test {
        self.stderr = Expect::Exact(text.into());
        self
    }

    /// Stdout contains `piece` (repeatable: all of them).
    pub fn stdout_contains(mut self, piece: impl AsRef<str>) -> Test {
        self.stdout.contains(piece.as_ref());
        self
    }

    /// Stderr contains `piece` (repeatable: all of them).
    pub fn stderr_contains(mut self, piece: impl AsRef<str>) -> Test {
        self.stderr.contains(piece.as_ref());
        self
    }

    /// Stdout matches `pattern`, anchored at both ends.
    pub fn stdout_matches(mut self, pattern: &str) -> Test {
        self.stdout = Expect::Matches(anchored(pattern));
        self
    }

    /// Stderr matches `pattern`, anchored at both ends.
    pub fn stderr_matches(mut self, pattern: &str) -> Test {
        self.stderr = Expect::Matches(anchored(pattern));
        self
    }

    /// Stdout is not checked here; the caller checks what `run` returns.
    pub fn stdout_ignored(mut self) -> Test {
        self.stdout = Expect::Ignored;
        self
    }

    /// Stderr is not checked here; the caller checks what `run` returns.
    pub fn stderr_ignored(mut self) -> Test {
        self.stderr = Expect::Ignored;
        self
    }

    /// Replaces `text` by `with` in both outputs before they are compared
    /// (and in what `run` returns), e.g. a sandbox path by `[SANDBOX]`.
    pub fn redact(mut self, text: impl AsRef<OsStr>, with: &str) -> Test {
        let text = text.as_ref().to_string_lossy().into_owned();
        self.redactions.push((text, with.to_string()));
        self
    }

    /// Runs the command and asserts status, stdout and stderr together,
    /// reporting all three on any mismatch. Returns the (redacted) outcome.
    #[track_caller]
    pub fn run(mut self) -> Ran {
        let mut ran = match self.stdin.take() {
            None => run(&mut self.command),
            Some(input) => {
                let mut child = self
                    .command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn command");
                // Written from a thread, so that a child that writes before
                // it has read all its input cannot block on a full pipe; one
                // that exits without reading it all is no error here.
                let mut stdin = child.stdin.take().unwrap();
                let writer = std::thread::spawn(move || stdin.write_all(&input));
                let output = child.wait_with_output().expect("wait for command");
                match writer.join().unwrap() {
                    Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                    written => written.expect("write stdin"),
                }
                ran_of(output)
            }
        };
        for (text, with) in &self.redactions {
            ran.stdout = ran.stdout.replace(text.as_str(), with);
            ran.stderr = ran.stderr.replace(text.as_str(), with);
        }
        let mut problems = String::new();
        if let Some(status) = self.status.filter(|&s| s != ran.code) {
            let _ = writeln!(problems, "status: expected {status}, got {}", ran.code);
        }
        for (name, expect, actual) in [
            ("stdout", &self.stdout, &ran.stdout),
            ("stderr", &self.stderr, &ran.stderr),
        ] {
            if let Some(why) = expect.mismatch(actual) {
                let _ = writeln!(problems, "{name}: {why}");
            }
        }
        assert!(
            problems.is_empty(),
            "{:?}\n{problems}--- status: {}\n--- stdout:\n{}--- stderr:\n{}",
            self.command,
            ran.code,
            ran.stdout,
            ran.stderr
        );
        ran
    }
}

fn anchored(pattern: &str) -> regex::Regex {
    regex::Regex::new(&format!("^(?s:{pattern})$")).unwrap_or_else(|e| panic!("bad pattern {pattern:?}: {e}"))
}
