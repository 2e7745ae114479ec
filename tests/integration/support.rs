//! The test harness: real temporary git repositories, the real `git`, and
//! the built `enforce` binary, in an environment sealed from the machine's
//! own git config and enforce settings.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run command");
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
pub fn unavailable(what: &str, how: &str) {
    assert!(!under_ci(), "{what}; under CI=true this test must run: {how}");
    eprintln!("skipped: {what}; {how}");
}
