//! `enforce config check` and `enforce config show`.

use assert_cmd::prelude::*;
use predicates::prelude::*;

use crate::support::{Sandbox, unavailable};

#[test]
fn check_reports_errors_with_line_and_column() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let path = repo.path(".enforce.toml");
    let cases = [
        (
            "[telemetry]\ntimestamp_format = \"naive\"\nevnts_file = \"x\"\n",
            "3:1: unknown field `evnts_file`, expected `events_file` or `timestamp_format`",
        ),
        (
            "# rules\n[telemetri]\n",
            "2:2: unknown field `telemetri`, expected one of `review`, `agent_trailer`, `rules`, `telemetry`, `score`, `alerts`, `export`",
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
            .enforce(&repo.root)
            .args(["config", "check"])
            .assert()
            .code(2)
            .stdout("")
            .stderr(format!(
                "enforce: {}:{message}\nhint: fix the file (removing a key restores its default), then check it with `enforce config check`\n",
                path.display()
            ));
    }

    // Syntax errors too.
    repo.write(".enforce.toml", "[telemetry\n");
    sandbox
        .enforce(&repo.root)
        .args(["config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "enforce: {}:1:",
            path.display()
        )));

    // A broken config stops commands that depend on it, with the same error.
    repo.write(".enforce.toml", "[telemetry]\nevnts_file = \"x\"\n");
    sandbox
        .enforce(&repo.root)
        .args(["record", "x", "-s", "y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(":2:1: unknown field `evnts_file`"));
    assert!(!repo.events_file().exists());
}

#[test]
fn check_passes_a_valid_or_missing_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .enforce(&repo.root)
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(predicate::str::contains("the built-in defaults apply"));
    repo.write(".enforce.toml", "[telemetry]\ntimestamp_format = \"naive\"\n");
    sandbox
        .enforce(&repo.root)
        .args(["config", "check"])
        .assert()
        .success()
        .stdout(format!("{}: ok\n", repo.path(".enforce.toml").display()));
}

#[test]
fn show_prints_the_effective_config_and_events_file() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let out = sandbox
        .enforce(&repo.root)
        .args(["config", "show"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let shown = String::from_utf8(out.stdout).unwrap();
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
    sandbox
        .enforce(&repo.root)
        .args(["config", "check"])
        .assert()
        .success();

    repo.write(".enforce.toml", "[telemetry]\nevents_file = \"logs/e.jsonl\"\n");
    sandbox
        .enforce(&repo.root)
        .args(["config", "show"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "# events file: {} ([telemetry] events_file)",
            repo.path("logs/e.jsonl").display()
        )))
        .stdout(predicate::str::contains("events_file = \"logs/e.jsonl\""));
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
            ":2:1: `trailers` in [agent_trailer] needs at least one non-empty key",
        ),
        (
            "[agent_trailer]\ntrailers = [{ key = \"\" }]\n",
            ":2:1: `trailers` in [agent_trailer] needs at least one non-empty key",
        ),
        (
            "[review]\nreviewer = \"a\\nb\"\n",
            ":2:12: this value must not contain line breaks",
        ),
    ] {
        repo.write(".enforce.toml", text);
        let out = sandbox
            .enforce(&repo.root)
            .args(["config", "check"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(message), "{text}: {stderr}");
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
    let hint = format!(
        "hint: if you trust it, run `git config --global --add safe.directory {}`",
        root.display()
    );
    sandbox
        .enforce(&root)
        .arg("status")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is owned by another user").and(predicate::str::contains(hint)));

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
        .enforce(&root)
        .env("GIT_CONFIG_GLOBAL", &global)
        .arg("stats")
        .assert()
        .success()
        .stdout(predicate::str::contains("Enforcement Stats"));
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}
