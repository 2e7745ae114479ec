//! `enforce record`: one event in, one whole line out, or a clear error and
//! nothing written.

use std::fs;

use serde_json::{Value, json};

use crate::support::{Sandbox, lines};

fn parse(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn round_trip_in_the_predecessor_line_format() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .test(&repo.root)
        .args(["record", "violation_detected", "--source", "violation_watcher.py"])
        .args([
            "--details",
            r#"{"rule":"web-access-policy","file":"tools/x.py","line":1}"#,
        ])
        .args(["--detail", "line:=42", "--detail", "severity=high"])
        .run();

    let lines = lines(&repo.events_file());
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with(r#"{"timestamp":""#), "{}", lines[0]);
    let event = parse(&lines[0]);
    assert_eq!(event["event_type"], "violation_detected");
    assert_eq!(event["source"], "violation_watcher.py");
    // enforce stamps its version on what it writes.
    assert_eq!(
        event["details"],
        json!({"rule":"web-access-policy","file":"tools/x.py","line":42,"severity":"high",
               "enforce_version": env!("CARGO_PKG_VERSION")})
    );
    // RFC 3339 with microseconds and an offset.
    let ts = event["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 32, "{ts}");
    assert_eq!(&ts[26..], "+00:00", "{ts}");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");

    // The library's reader reads it back.
    let log = enforce::event::EventLog::new(repo.events_file());
    let mut events = Vec::new();
    enforce::event::scan::events(&log, |e| events.push(e)).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["line"], 42);
}

#[test]
fn bad_input_is_a_one_line_error_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let cases: [(&[&str], &str); 7] = [
        (
            &["record", "Bypass-Review", "-s", "x"],
            "enforce: invalid event type `Bypass-Review`: it must start with a lowercase letter and contain only a-z, 0-9 and `_` (at most 64 characters)",
        ),
        (
            &["record", "ok", "-s", "x", "--details", "[1,2]"],
            "enforce: invalid --details: expected a JSON object, got an array",
        ),
        (
            &["record", "ok", "-s", "x", "--details", "{oops"],
            "enforce: invalid --details: not JSON (key must be a string at line 1 column 2)",
        ),
        (
            &["record", "ok", "-s", "x", "--detail", "novalue"],
            "enforce: invalid --detail `novalue`: expected key=value or key:=json",
        ),
        (
            &["record", "ok", "-s", "x", "--detail", "n:=forty"],
            "enforce: invalid --detail `n:=forty`: the value after `:=` is not JSON (expected ident at line 1 column 2)",
        ),
        (
            &["record", "ok", "-s", "x", "--detail", "=v"],
            "enforce: invalid --detail `=v`: the key is empty",
        ),
        (&["record", "ok", "-s", " "], "enforce: the event source is empty"),
    ];
    for (args, message) in cases {
        // The message, then one hint line.
        sandbox
            .test(&repo.root)
            .args(args)
            .status(2)
            .stderr_matches(&format!("{}\nhint: [^\n]+\n", regex::escape(message)))
            .run();
    }
    assert!(
        !repo.events_file().exists(),
        "nothing may be written on bad input"
    );

    // An event too large for readers to hold is refused, not written.
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(8 * 1024 * 1024));
    sandbox
        .test(&repo.root)
        .args(["record", "big", "-s", "x", "--details", "-"])
        .stdin(big)
        .status(2)
        .stderr("enforce: the event is 8388617 bytes; `record` takes at most 8388608 (8 MiB)\nhint: keep large data elsewhere and put its path or URL in the details\n")
        .run();
    assert!(!repo.events_file().exists());

    // A missing --source is a usage error from the argument parser.
    sandbox
        .test(&repo.root)
        .args(["record", "ok"])
        .status(2)
        .stderr(
            "error: the following required arguments were not provided:
  --source <SOURCE>

Usage: enforce record --source <SOURCE> <EVENT_TYPE>

For more information, try '--help'.
",
        )
        .run();
}

#[test]
fn events_file_location_follows_flag_env_config_default() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let record = |extra: &[&str], env: Option<&str>| {
        let mut test =
            sandbox
                .test(&repo.path("sub"))
                .args(extra)
                .args(["record", "import_blocked", "-s", "guards.py"]);
        if let Some(value) = env {
            test = test.env("ENFORCE_EVENTS_FILE", value);
        }
        test.run();
    };
    fs::create_dir_all(repo.path("sub")).unwrap();

    record(&[], None);
    assert_eq!(lines(&repo.events_file()).len(), 1);

    repo.write(
        ".enforce.toml",
        "[telemetry]\nevents_file = \"data/enforcement_events.jsonl\"\n",
    );
    record(&[], None);
    assert_eq!(
        lines(&repo.path("data/enforcement_events.jsonl")).len(),
        1,
        "config path is relative to the root"
    );

    let env_file = sandbox.path().join("env.jsonl");
    record(&[], Some(env_file.to_str().unwrap()));
    assert_eq!(lines(&env_file).len(), 1);

    let flag_file = sandbox.path().join("flag.jsonl");
    record(
        &["--events-file", flag_file.to_str().unwrap()],
        Some(env_file.to_str().unwrap()),
    );
    assert_eq!(lines(&flag_file).len(), 1);
    assert_eq!(lines(&env_file).len(), 1, "the flag beats the environment");
    assert_eq!(lines(&repo.events_file()).len(), 1);

    // Outside any repository: the user state directory.
    let outside = sandbox.path().join("outside");
    fs::create_dir_all(&outside).unwrap();
    sandbox
        .test(&outside)
        .env("GIT_CEILING_DIRECTORIES", sandbox.path())
        .args(["record", "import_allowed", "-s", "guards.py"])
        .run();
    assert_eq!(lines(&sandbox.path().join("state/enforce/events.jsonl")).len(), 1);
}

#[test]
fn naive_timestamp_format_is_written_when_configured() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".enforce.toml", "[telemetry]\ntimestamp_format = \"naive\"\n");
    sandbox
        .test(&repo.root)
        .args(["record", "import_allowed", "-s", "g"])
        .run();
    let event = parse(&lines(&repo.events_file())[0]);
    let ts = event["timestamp"].as_str().unwrap();
    assert_eq!(ts.len(), 26, "{ts}");
    assert!(
        chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
        "{ts}"
    );
}

#[test]
fn an_unwritable_events_file_is_an_error_naming_the_path() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let blocker = sandbox.path().join("file");
    fs::write(&blocker, "").unwrap();
    let target = blocker.join("events.jsonl");
    sandbox
        .test(&repo.root)
        .args([
            "--events-file",
            target.to_str().unwrap(),
            "record",
            "x",
            "-s",
            "y",
        ])
        .status(2)
        .redact(sandbox.path(), "[SANDBOX]")
        .stderr("enforce: cannot create the events directory `[SANDBOX]/file`: File exists (os error 17)\n")
        .run();
}

/// Another process must not write what enforce's hooks and commands
/// write: a forged `commit_completed` or bypass would be counted by every
/// report, and a forged checkpoint would hide a cut (issue: `enforce
/// record` forges enforce's own events).
#[test]
fn enforce_s_own_types_and_sources_are_reserved() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let own = "hint: record under your tool's own type (e.g. mytool_blocked) or a shared one: import_blocked, import_allowed, violation_detected\n";
    for event_type in [
        "commit_completed",
        "commit_review_bypassed",
        "bypass_review",
        "review_approved",
        "push_accepted",
        "log_checkpoint",
        "hook_summary",
        "agent_mismatch",
    ] {
        sandbox
            .test(&repo.root)
            .args(["record", event_type, "-s", "x", "--details", r#"{"commit_sha":"abc"}"#])
            .status(2)
            .stderr(format!(
                "enforce: `{event_type}` is one of enforce's own event types: only its hooks and commands record it\n{own}"
            ))
            .run();
    }
    for source in [
        "post-commit",
        "pre-receive",
        "enforce",
        "enforce audit",
        " commit-msg ",
    ] {
        sandbox
            .test(&repo.root)
            .args(["record", "import_blocked", "--source", source])
            .status(2)
            .stderr(format!(
                "enforce: `{}` is one of enforce's own sources (its hooks and commands)\nhint: name your tool as the source, e.g. --source guards.py\n",
                source.trim()
            ))
            .run();
    }
    assert!(!repo.events_file().exists());
    // The shared types stay open to every tool.
    for event_type in [
        "import_blocked",
        "import_allowed",
        "violation_detected",
        "mytool_blocked",
    ] {
        sandbox
            .test(&repo.root)
            .args(["record", event_type, "-s", "guards.py"])
            .run();
    }
    assert_eq!(crate::support::lines(&repo.events_file()).len(), 4);
}

/// A rejected value is quoted in part: a 100 kB `--detail` used to come
/// back whole in the error.
#[test]
fn errors_quote_only_the_start_of_a_long_value() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let long = "x".repeat(100_000);
    let ran = sandbox
        .test(&repo.root)
        .args(["record", "ok", "-s", "t", "--detail", &long])
        .status(2)
        .stderr_ignored()
        .run();
    assert!(
        ran.stderr.len() < 400,
        "{} bytes: {}",
        ran.stderr.len(),
        &ran.stderr[..400]
    );
    assert!(
        ran.stderr.starts_with(&format!(
            "enforce: invalid --detail `{}… (99920 more bytes)`: expected key=value or key:=json\n",
            "x".repeat(80)
        )),
        "{}",
        ran.stderr
    );
    let ran = sandbox
        .test(&repo.root)
        .args(["record", &format!("Bad{long}"), "-s", "t"])
        .status(2)
        .stderr_ignored()
        .run();
    assert!(ran.stderr.len() < 500, "{} bytes", ran.stderr.len());
}
