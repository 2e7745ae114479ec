//! The one log scanner and the one bypass vocabulary, end to end: a line
//! longer than any reader holds is kept and counted by every command, and
//! every report counts the same bypasses.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Ran, Sandbox, run};

/// Over MAX_LINE_BYTES (16 MiB), small enough to keep the test quick.
const HUGE: usize = 20 * 1024 * 1024;

struct Log {
    sandbox: Sandbox,
    path: PathBuf,
}

impl Log {
    fn new() -> Log {
        let sandbox = Sandbox::new();
        let path = sandbox.path().join("data/events.jsonl");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        Log { sandbox, path }
    }

    fn run(&self, now: &str, args: &[&str]) -> Ran {
        let mut cmd = self.sandbox.enforce(self.sandbox.path());
        cmd.env("ENFORCE_NOW", now)
            .env("GIT_CEILING_DIRECTORIES", self.sandbox.path())
            .arg("--events-file")
            .arg(&self.path)
            .args(args);
        run(&mut cmd)
    }

    fn json(&self, now: &str, args: &[&str]) -> Value {
        let ran = self.run(now, args);
        serde_json::from_str(&ran.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}\n{}", ran.stdout, ran.stderr))
    }

    fn record(&self, n: u32) {
        let ran = self.run(
            NOW,
            &[
                "record",
                "import_blocked",
                "-s",
                "guards.py",
                "--detail",
                &format!("n:={n}"),
            ],
        );
        assert_eq!(ran.code, 0, "{}", ran.stderr);
    }

    fn append_raw(&self, bytes: &[u8]) {
        let mut file = fs::OpenOptions::new().append(true).open(&self.path).unwrap();
        file.write_all(bytes).unwrap();
    }
}

const NOW: &str = "2026-11-21T12:00:00+00:00";

/// A line that looks like an event but is longer than any reader holds.
fn huge_line() -> Vec<u8> {
    let head = br#"{"timestamp":"2020-01-01T00:00:00+00:00","event_type":"import_blocked","source":"x","details":{"blob":""#;
    let mut line = head.to_vec();
    line.resize(HUGE, b'y');
    line.extend_from_slice(b"\"}}");
    line
}

fn lines_of(path: &Path) -> Vec<Vec<u8>> {
    fs::read(path)
        .unwrap()
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn a_line_over_the_limit_is_counted_and_never_lost() {
    let log = Log::new();
    for n in 0..3 {
        log.record(n);
    }
    let huge = huge_line();
    log.append_raw(&huge);
    log.append_raw(b"\n");
    // The next append reads past the huge line to continue the chain.
    log.record(3);
    log.record(4);

    let stats = log.json(NOW, &["stats", "--json"]);
    assert_eq!(
        (stats["total_events"].clone(), stats["malformed"].clone()),
        (json!(5), json!(1)),
        "{stats:#}"
    );

    let verify = log.run(NOW, &["verify", "--json"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    let verify: Value = serde_json::from_str(&verify.stdout).unwrap();
    assert_eq!(
        (
            &verify["lines"],
            &verify["chained"],
            &verify["unreadable"],
            &verify["problems"]
        ),
        (&json!(6), &json!(5), &json!(1), &json!([])),
        "{verify:#}"
    );
    assert_eq!(verify["unreadable_lines"], json!([4]));
    assert_eq!(verify["head"]["seq"], 5);

    let dry = log.json("2100-01-01T00:00:00+00:00", &["cleanup", "--dry-run", "--json"]);
    assert_eq!(
        (&dry["removed"], &dry["kept"], &dry["malformed_kept"]),
        (&json!(5), &json!(1), &json!(1)),
        "{dry:#}"
    );
    assert_eq!(lines_of(&log.path).len(), 6, "a dry run writes nothing");

    let done = log.json("2100-01-01T00:00:00+00:00", &["cleanup", "--json"]);
    assert_eq!(
        (&done["removed"], &done["kept"]),
        (&json!(5), &json!(1)),
        "{done:#}"
    );
    let after = lines_of(&log.path);
    assert_eq!(after.len(), 3, "checkpoint, the huge line, checkpoint");
    assert!(after[1] == huge, "the huge line is kept byte for byte");

    let verify = log.json(NOW, &["verify", "--json"]);
    assert_eq!(
        (&verify["unreadable"], &verify["problems"]),
        (&json!(1), &json!([])),
        "{verify:#}"
    );
    log.record(5);
    let verify = log.json(NOW, &["verify", "--json"]);
    assert_eq!(
        (&verify["problems"], &verify["head"]["seq"]),
        (&json!([]), &json!(6)),
        "{verify:#}"
    );
    let stats = log.json(NOW, &["stats", "--json"]);
    assert_eq!(
        (stats["total_events"].clone(), stats["malformed"].clone()),
        (json!(1), json!(1))
    );
}

/// One event line stamped `at`.
fn event(at: &str, event_type: &str, details: Value) -> String {
    serde_json::to_string(
        &json!({"timestamp": at, "event_type": event_type, "source": "test", "details": details}),
    )
    .unwrap()
}

#[test]
fn every_report_counts_the_same_bypasses() {
    let log = Log::new();
    let at = "2026-11-21T10:00:00+00:00";
    let events = [
        (
            "commit_review_bypassed",
            json!({"bypass_method": "git commit --no-verify"}),
        ),
        ("bypass_review", json!({"bypass_method": "PILOT_SKIP_REVIEW=1"})),
        ("bypass_review", json!({"bypass_method": "PILOT_SKIP_REVIEW=1"})),
        (
            "bypass_agent_trailer",
            json!({"bypass_method": "PILOT_SKIP_AGENT_TRAILER=1"}),
        ),
        ("bypass_content_rule", json!({"rule": "no-secrets"})),
        (
            "rule_weakened",
            json!({"rule": "review", "bypass_method": "config change"}),
        ),
        ("bypass_import_guard", json!({})),
        ("violation_detected", json!({"rule": "no-secrets"})),
        ("commit_completed", json!({})),
    ];
    let lines: Vec<String> = events
        .into_iter()
        .map(|(event_type, details)| event(at, event_type, details))
        .collect();
    fs::write(&log.path, lines.join("\n") + "\n").unwrap();
    let expected = json!({
        "total": 7,
        "critical": 2,
        "by_category": {"skipped_hooks": 1, "env_skip": 3, "content_rule": 1, "rule_weakened": 1, "other": 1},
        "justified": 0,
        "unjustified": 0,
        "unlabelled": 7
    });

    let dashboard = log.json(NOW, &["dashboard", "--json"]);
    assert_eq!(dashboard["bypasses"], expected, "{dashboard:#}");
    assert_eq!(dashboard["stats"]["bypasses"], expected);
    assert_eq!(dashboard["alerts"]["bypasses"], expected);
    assert_eq!(dashboard["score"]["bypasses"], expected);
    assert_eq!(dashboard["recent_bypasses"].as_array().unwrap().len(), 7);
    let weekly: u64 = dashboard["weekly_bypasses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w[1].as_u64().unwrap())
        .sum();
    assert_eq!(weekly, 7, "the weekly chart counts the same bypasses");
    let today = dashboard["daily_by_type"].as_array().unwrap().last().unwrap()[1].clone();
    assert_eq!(today["bypass: environment variable"], 3, "{today:#}");
    assert_eq!(today["violation_detected"], 1);

    assert_eq!(log.json(NOW, &["score", "--json"])["bypasses"], expected);
    assert_eq!(log.json(NOW, &["alert", "--json"])["bypasses"], expected);
    assert_eq!(log.json(NOW, &["stats", "--json"])["bypasses"], expected);

    let metrics = log.run(NOW, &["metrics"]);
    assert_eq!(metrics.code, 0, "{}", metrics.stderr);
    for (category, count) in expected["by_category"].as_object().unwrap() {
        for metric in ["enforce_window_bypasses", "enforce_bypass_categories_total"] {
            let sample = format!("{metric}{{repo=\"\",category=\"{category}\"}} {count}\n");
            assert!(
                metrics.stdout.contains(&sample),
                "missing {sample:?} in:\n{}",
                metrics.stdout
            );
        }
    }

    let html = log.run(NOW, &["dashboard", "--format", "html"]);
    assert!(
        html.stdout.contains("bypass: environment variable"),
        "the daily chart names bypasses"
    );
    assert!(
        html.stdout
            .contains("<tr><th>Total</th><th class=\"n\">7</th></tr>")
    );
}

#[test]
fn every_type_of_the_vocabulary_is_a_known_type() {
    let log = Log::new();
    fs::write(
        &log.path,
        event("2026-11-21T10:00:00+00:00", "commit_completed", json!({})) + "\n",
    )
    .unwrap();
    for known in [
        "rule_weakened",
        "config_changed",
        "audit_offence",
        "config_invalid",
        "bypass_content_rule",
        "IMPORT_BLOCKED",
    ] {
        let ran = log.run(NOW, &["events", "--type", known]);
        assert_eq!(ran.code, 0, "{known}: {}", ran.stderr);
    }
    let unknown = log.run(NOW, &["events", "--type", "rule_weakend"]);
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        "enforce: unknown event type `rule_weakend`\nhint: types in the log: commit_completed\n"
    );
}

#[test]
fn commands_refuse_formats_they_do_not_have() {
    let log = Log::new();
    for command in ["score", "alert", "cleanup", "verify", "status", "audit"] {
        let mut args = vec![command, "--format", "csv"];
        if command == "audit" {
            args.insert(1, "HEAD");
        }
        let (refused, help) = (log.run(NOW, &args), log.run(NOW, &[command, "--help"]));
        let refusal = "error: invalid value 'csv' for '--format <FORMAT>'";
        assert_eq!(
            (refused.code, refused.stderr.starts_with(refusal)),
            (2, true),
            "{command}: {}",
            refused.stderr
        );
        let formats = if command == "audit" {
            "[possible values: text, json, sarif]"
        } else {
            "[possible values: text, json]"
        };
        let listed = help.stdout.contains(formats);
        assert!(listed, "{command}: {}", help.stdout);
    }
    for command in ["stats", "events"] {
        assert_eq!(log.run(NOW, &[command, "--format", "csv"]).code, 0, "{command}");
    }
}
