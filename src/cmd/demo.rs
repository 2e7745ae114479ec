//! `enforce demo`: the product's story in one screen.
//!
//! A temporary repository with enforce installed, a scripted series of
//! commits made the way an agent makes them (approved, blocked, skipped,
//! sneaked past with `--no-verify`), then the reports over what was
//! recorded. Everything runs through the real `git` and the real hooks.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli::DemoArgs;
use crate::error::{EXIT_OK, Error, Result};
use crate::output;

const CONFIG: &str = r#"# The demo's rules: the defaults, plus one content rule.
[[rules.content]]
name = "no-debug-print"
pattern = '\bprint\('
paths = ["*.py"]
severity = "low"
message = "use the logger instead of print()"
"#;

struct Demo {
    repo: PathBuf,
    binary: PathBuf,
    transcript: String,
}

impl Demo {
    /// A command with an environment cut off from the user's git setup and
    /// enforce settings, so the demo neither reads nor touches them.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.repo);
        for (key, _) in std::env::vars_os() {
            let key_text = key.to_string_lossy();
            if key_text.starts_with("GIT_")
                || key_text.starts_with("ENFORCE_")
                || key_text.starts_with("PILOT_")
            {
                cmd.env_remove(&key);
            }
        }
        cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Demo Agent")
            .env("GIT_AUTHOR_EMAIL", "agent@demo.invalid")
            .env("GIT_COMMITTER_NAME", "Demo Agent")
            .env("GIT_COMMITTER_EMAIL", "agent@demo.invalid");
        cmd
    }

    fn run(&self, mut cmd: Command, what: &str) -> Result<Output> {
        cmd.output().map_err(|e| Error::Git {
            action: what.to_string(),
            message: e.to_string(),
        })
    }

    fn git(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Output> {
        let mut cmd = self.command("git");
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.run(cmd, &format!("running git {}", args.join(" ")))
    }

    /// Runs git and fails the demo if it fails.
    fn git_ok(&self, args: &[&str]) -> Result<()> {
        let out = self.git(args, &[])?;
        if !out.status.success() {
            return Err(Error::Git {
                action: format!("running git {}", args.join(" ")),
                message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(())
    }

    fn enforce(&self, args: &[&str]) -> Result<Output> {
        let mut cmd = self.command(&self.binary);
        cmd.args(args);
        self.run(cmd, &format!("running enforce {}", args.join(" ")))
    }

    fn write(&self, rel: &str, content: &str) -> Result<()> {
        let path = self.repo.join(rel);
        fs::write(&path, content).map_err(|e| Error::io("write", path, e))?;
        self.git_ok(&["add", rel])
    }

    fn approve(&self) -> Result<()> {
        let out = self.enforce(&["review", "approve", "--reviewer", "demo-reviewer"])?;
        if !out.status.success() {
            return Err(Error::DemoFailed {
                step: "approve",
                reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(())
    }

    /// One scripted commit: what it tries, and what enforce said.
    fn step(&mut self, title: &str, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
        let mut full = vec!["commit", "-q"];
        full.extend_from_slice(args);
        let out = self.git(&full, env)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let outcome = if out.status.success() {
            "committed"
        } else {
            "BLOCKED"
        };
        let _ = writeln!(self.transcript, "  {outcome:<9} {title}");
        for line in stderr.lines().filter(|l| l.starts_with("enforce: ")) {
            let _ = writeln!(
                self.transcript,
                "            {}",
                line.trim_start_matches("enforce: ")
            );
        }
        Ok(())
    }
}

pub fn run(args: &DemoArgs) -> Result<i32> {
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Error::io("find the enforce binary", "current executable", e))?;
    let base = std::env::temp_dir().join(format!(
        "enforce-demo-{}-{}",
        std::process::id(),
        chrono::Local::now().format("%H%M%S")
    ));
    let repo = base.join("repo");
    fs::create_dir_all(&repo).map_err(|e| Error::io("create the demo directory", &repo, e))?;
    let mut demo = Demo {
        repo,
        binary,
        transcript: String::new(),
    };
    let result = script(&mut demo, &base);
    if !args.keep {
        let _ = fs::remove_dir_all(&demo.repo);
    }
    result?;
    let mut text = demo.transcript;
    if args.keep {
        let _ = writeln!(
            text,
            "\nThe repository is kept for exploring: cd {}",
            demo.repo.display()
        );
    }
    output::print(&text)?;
    Ok(EXIT_OK)
}

fn script(demo: &mut Demo, base: &Path) -> Result<()> {
    demo.git_ok(&["init", "-q", "-b", "main"])?;
    demo.git_ok(&["config", "commit.gpgsign", "false"])?;
    let installed = demo.enforce(&["install", "--no-config"])?;
    if !installed.status.success() {
        return Err(Error::DemoFailed {
            step: "install its hooks",
            reason: String::from_utf8_lossy(&installed.stderr).trim().to_string(),
        });
    }
    let config = demo.repo.join(".enforce.toml");
    fs::write(&config, CONFIG).map_err(|e| Error::io("write", &config, e))?;
    fs::write(demo.repo.join(".git/info/exclude"), ".enforce.toml\n")
        .map_err(|e| Error::io("write", demo.repo.join(".git/info/exclude"), e))?;

    let _ = writeln!(
        demo.transcript,
        "enforce demo: an agent commits in {}\n\nCommits:",
        demo.repo.display()
    );
    let agent = "Agent: demo-agent";

    demo.write("app.py", "def main():\n    return 42\n")?;
    demo.approve()?;
    demo.step(
        "reviewed and approved, with an Agent trailer",
        &["-m", "Add app", "-m", agent],
        &[],
    )?;

    demo.write("app.py", "def main():\n    return 43\n")?;
    demo.step(
        "changed, but nobody reviewed it",
        &["-m", "Tweak app", "-m", agent],
        &[],
    )?;

    demo.approve()?;
    demo.step(
        "reviewed, but the message names no agent",
        &["-m", "Tweak app"],
        &[],
    )?;

    demo.step(
        "reviewed, no agent named, skipped with PILOT_SKIP_AGENT_TRAILER=1",
        &["-m", "Tweak app (manual)"],
        &[
            ("PILOT_SKIP_AGENT_TRAILER", "1"),
            ("PILOT_SKIP_REASON", "manual commit by a person"),
        ],
    )?;

    demo.write("util.py", "def helper():\n    return 1\n")?;
    demo.step(
        "not reviewed, skipped with PILOT_SKIP_REVIEW=1",
        &["-m", "Add util", "-m", agent],
        &[("PILOT_SKIP_REVIEW", "1"), ("PILOT_SKIP_REASON", "hotfix")],
    )?;

    demo.write("debug.py", "print('debugging')\n")?;
    demo.approve()?;
    demo.step(
        "prints to stdout, which a content rule forbids",
        &["-m", "Add debug", "-m", agent],
        &[],
    )?;

    demo.write("debug.py", "print('debugging, unreviewed')\n")?;
    demo.step(
        "the same, changed again without review, sneaked past with --no-verify",
        &["--no-verify", "-m", "Add debug"],
        &[],
    )?;

    demo.write(".gitignore", "*.log\n")?;
    demo.step(
        "only .gitignore changed: no review needed",
        &["-m", "Ignore logs", "-m", agent],
        &[],
    )?;

    let mut reports = String::new();
    for args in [&["stats"][..], &["score"][..], &["alert"][..]] {
        let out = demo.enforce(args)?;
        let _ = writeln!(reports, "\n$ enforce {}", args.join(" "));
        if out.stdout.is_empty() {
            reports.push_str("(nothing to report)\n");
        }
        reports.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let dashboard = base.join("dashboard.md");
    let dashboard_arg = dashboard.to_string_lossy().into_owned();
    demo.enforce(&["dashboard", "--output", &dashboard_arg])?;
    demo.transcript.push_str(&reports);
    let _ = writeln!(demo.transcript, "\nDashboard (Markdown): {}", dashboard.display());
    Ok(())
}
