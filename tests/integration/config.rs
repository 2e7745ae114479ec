//! `enforce config check` and `enforce config show`.

use std::path::Path;

use crate::support::{Sandbox, Test, unavailable};

/// The line after every config error.
pub const HINT: &str =
    "hint: fix the file (removing a key restores its default), then check it with `enforce config check`\n";

/// A [`Test`] of `enforce args…` in `dir`, the sandbox's path as `[SANDBOX]`.
fn enforce(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Test {
    sandbox.test(dir).args(args).redact(sandbox.path(), "[SANDBOX]")
}

#[test]
fn check_reports_errors_with_line_and_column() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let path = repo.path(".enforce.toml");
    let cases = [
        (
            "[telemetry]\ntimestamp_format = \"naive\"\nevnts_file = \"x\"\n",
            "3:1: unknown field `evnts_file`, expected one of `events_file`, `timestamp_format`, `detail`",
        ),
        (
            "# rules\n[telemetri]\n",
            "2:2: unknown field `telemetri`, expected one of `review`, `agent_trailer`, `rules`, `telemetry`, `score`, `alerts`, `export`, `audit`, `reports`",
        ),
        (
            "[telemetry]\ntimestamp_format = \"iso\"\n",
            "2:20: unknown variant `iso`, expected `rfc3339` or `naive`",
        ),
        (
            "[telemetry]\nevents_file = \"\"\n",
            "2:15: `events_file` is empty: name a file, or remove the key to use the default",
        ),
        (
            "# thresholds\n[score]\nconcerning_from = 1\n",
            "2:1: the [score] thresholds must rise: excellent_below (2) ≤ concerning_from (1) ≤ critical_above + 1 (11), or a rating could never be reached",
        ),
        (
            "[score]\nwindow_days = 365001\n",
            "1:1: `window_days` in [score] is at most 365000 (a thousand years), got 365001",
        ),
    ];
    for (text, message) in cases {
        repo.write(".enforce.toml", text);
        sandbox
            .test(&repo.root)
            .args(["config", "check"])
            .status(2)
            .stderr(format!("enforce: {}:{message}\n{HINT}", path.display()))
            .run();
    }

    // Syntax errors too.
    repo.write(".enforce.toml", "[telemetry\n");
    enforce(&sandbox, &repo.root, &["config", "check"])
        .status(2)
        .stderr(format!(
            "enforce: [SANDBOX]/repo/.enforce.toml:1:11: unclosed table, expected `]`\n{HINT}"
        ))
        .run();

    // A broken config stops commands that depend on it, with the same error.
    repo.write(".enforce.toml", "[telemetry]\nevnts_file = \"x\"\n");
    enforce(&sandbox, &repo.root, &["record", "x", "-s", "y"])
        .status(2)
        .stderr(format!(
            "enforce: [SANDBOX]/repo/.enforce.toml:2:1: unknown field `evnts_file`, expected one of `events_file`, `timestamp_format`, `detail`\n{HINT}"
        ))
        .run();
    assert!(!repo.events_file().exists());
}

#[test]
fn check_passes_a_valid_or_missing_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    enforce(&sandbox, &repo.root, &["config", "check"])
        .stdout(
            "no .enforce.toml here: the built-in defaults apply (`enforce install` writes a commented one)\n",
        )
        .run();
    repo.write(".enforce.toml", "[telemetry]\ntimestamp_format = \"naive\"\n");
    enforce(&sandbox, &repo.root, &["config", "check"])
        .stdout("[SANDBOX]/repo/.enforce.toml: ok\n")
        .run();
}

#[test]
fn show_prints_the_effective_config_and_events_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let shown = sandbox
        .test(&repo.root)
        .args(["config", "show"])
        .stdout_ignored()
        .run()
        .stdout;
    let header = format!(
        "# configuration in effect, from: built-in defaults\n# events file: {} (default: the repository's common git dir)\n\n",
        repo.events_file().display()
    );
    assert!(shown.starts_with(&header), "{shown}");
    for section in [
        "[review]\nmode = \"enforce\"\nreviewer = \"git-reviewer\"\nmax_age_seconds = 3600\n",
        "[agent_trailer]\n",
        "[[agent_trailer.trailers]]\nkey = \"Agent\"\n",
        "[telemetry]\ntimestamp_format = \"rfc3339\"\n",
    ] {
        assert!(shown.contains(section), "{section} missing from:\n{shown}");
    }
    // What it shows is itself a valid config.
    repo.write(".enforce.toml", &shown);
    enforce(&sandbox, &repo.root, &["config", "check"])
        .stdout("[SANDBOX]/repo/.enforce.toml: ok\n")
        .run();

    repo.write(".enforce.toml", "[telemetry]\nevents_file = \"logs/e.jsonl\"\n");
    enforce(&sandbox, &repo.root, &["config", "show"])
        .stdout_contains("# events file: [SANDBOX]/repo/logs/e.jsonl ([telemetry] events_file)")
        .stdout_contains("events_file = \"logs/e.jsonl\"")
        .run();
}

#[test]
fn values_that_cannot_work_are_rejected_with_position() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    for (text, message) in [
        (
            "[review]\nmax_age_seconds = 9999999999999\n",
            ":2:19: expected a whole number from 1 to 1000000000, got 9999999999999",
        ),
        (
            "[agent_trailer]\ntrailers = []\n",
            ":2:1: `trailers` in [agent_trailer] needs at least one non-empty key, e.g. [{ key = \"Agent\" }] (or `presets`, e.g. presets = [\"assisted-by\"], or set mode = \"off\")",
        ),
        (
            "[agent_trailer]\ntrailers = [{ key = \"\" }]\n",
            ":2:1: `trailers` in [agent_trailer] needs at least one non-empty key, e.g. [{ key = \"Agent\" }] (or `presets`, e.g. presets = [\"assisted-by\"], or set mode = \"off\")",
        ),
        (
            "[review]\nreviewer = \"a\\nb\"\n",
            ":2:12: this value must not contain line breaks or other control characters",
        ),
    ] {
        repo.write(".enforce.toml", text);
        enforce(&sandbox, &repo.root, &["config", "check"])
            .status(2)
            .stderr(format!("enforce: [SANDBOX]/repo/.enforce.toml{message}\n{HINT}"))
            .run();
    }
}

/// A repository owned by another user is refused the way git refuses it,
/// with the `safe.directory` line that lets the user opt in. Changing a
/// file's owner needs root; elsewhere there is no way to build the case.
#[test]
fn a_repository_owned_by_another_user_names_safe_directory() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("theirs");
    if !nix_is_root() {
        unavailable(
            "changing a repository's owner needs root",
            "run the tests as root (CI does)",
        );
        return;
    }
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534"])
        .arg(&repo.root)
        .output()
        .unwrap();
    assert!(
        chown.status.success(),
        "chown as root failed: {}",
        String::from_utf8_lossy(&chown.stderr)
    );
    let root = repo.root.canonicalize().unwrap();
    sandbox
        .test(&root)
        .arg("status")
        .redact(&root, "[REPO]")
        .status(2)
        .stderr("enforce: git refuses to open `[REPO]`: it is owned by another user\nhint: if you trust it, run `git config --global --add safe.directory [REPO]`\n")
        .run();

    // Following the hint, with git's own command, works.
    let global = sandbox.path().join("home/.gitconfig");
    std::fs::create_dir_all(global.parent().unwrap()).unwrap();
    let set = sandbox
        .command("git", sandbox.path())
        .env("GIT_CONFIG_GLOBAL", &global)
        .args(["config", "--global", "--add", "safe.directory"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(set.success());
    sandbox
        .test(&root)
        .env("GIT_CONFIG_GLOBAL", &global)
        .arg("stats")
        .redact(&root, "[REPO]")
        .stderr(
            "enforce: events from [REPO]/.git/enforce/events.jsonl (no such file yet: no events recorded)\n",
        )
        .stdout(
            "Enforcement Stats (last 7 days)
=============================================

Event Type                    Count
-------------------------------------
(no events)
-------------------------------------
TOTAL                             0
",
        )
        .run();
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
