//! The report commands against fixture logs: one in the predecessor's exact
//! format mixed with this tool's, with malformed lines and a torn last line.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::config::HINT;
use crate::support::{Ran, Sandbox, Test, run};

/// The reports' clock in these tests.
pub const NOW: &str = "2026-11-21T12:00:00+00:00";

/// A line the predecessor wrote: naive local time (the tests run in UTC),
/// Python's `", "` separators.
fn old(at: &str, event_type: &str, source: &str, details: Value) -> String {
    let details = serde_json::to_string(&details)
        .unwrap()
        .replace("\":", "\": ")
        .replace(",\"", ", \"");
    format!(
        r#"{{"timestamp": "{at}", "event_type": "{event_type}", "source": "{source}", "details": {details}}}"#
    )
}

/// A line this tool writes.
fn new(at: &str, event_type: &str, source: &str, details: Value) -> String {
    serde_json::to_string(&json!({"timestamp": format!("{at}.000000+00:00"), "event_type": event_type, "source": source, "details": details})).unwrap()
}

/// The fixture: a month of events in both formats.
///
/// Current week (since 2026-11-14 12:00): 3 violations (2 web-access-policy,
/// 1 task-tool), 2 import_blocked, 4 commit_completed, 1 bypass_review, 1
/// import_allowed without details: 11 events. Previous week: 6 violations,
/// 5 import_blocked, 2 commit_completed: 13. Older: 5 more.
/// Malformed: 2 lines and a torn last line.
pub fn fixture(extra: &[String]) -> String {
    let mut lines = vec![
        old(
            "2026-10-25T09:00:00.123456",
            "import_allowed",
            "guards.py",
            json!({"module": "json"}),
        ),
        old(
            "2026-10-26T09:00:00",
            "import_allowed",
            "guards.py",
            json!({"module": "os"}),
        ),
        old(
            "2026-10-27 09:00:00",
            "import_allowed",
            "guards.py",
            json!({"module": "re"}),
        ),
        new(
            "2026-10-28T10:00:00",
            "commit_completed",
            "post-commit",
            json!({"branch": "main"}),
        ),
        new(
            "2026-11-01T10:00:00",
            "commit_completed",
            "post-commit",
            json!({"branch": "main"}),
        ),
    ];
    for day in 8..14 {
        lines.push(old(
            &format!("2026-11-{day:02}T10:00:00.5"),
            "violation_detected",
            "violation_watcher.py",
            json!({"rule": "web-access-policy", "file": "tools/x.py", "line": day, "severity": "high"}),
        ));
    }
    for day in 8..13 {
        lines.push(old(
            &format!("2026-11-{day:02}T11:00:00"),
            "import_blocked",
            "guards.py",
            json!({"module": "requests"}),
        ));
    }
    lines.push(new(
        "2026-11-09T10:00:00",
        "commit_completed",
        "post-commit",
        json!({"branch": "main"}),
    ));
    lines.push(new(
        "2026-11-10T10:00:00",
        "commit_completed",
        "post-commit",
        json!({"branch": "dev"}),
    ));
    lines.push("this is not json".to_string());
    lines.push(r#"{"event_type": "import_blocked", "source": "guards.py"}"#.to_string());
    lines.push(old(
        "2026-11-15T08:00:00",
        "violation_detected",
        "violation_watcher.py",
        json!({"rule": "web-access-policy", "file": "a.py", "line": 1, "severity": "high"}),
    ));
    lines.push(old(
        "2026-11-16T08:00:00",
        "violation_detected",
        "violation_watcher.py",
        json!({"rule": "web-access-policy", "file": "b.py", "line": 2, "severity": "high"}),
    ));
    lines.push(new(
        "2026-11-17T08:00:00",
        "violation_detected",
        "pre-commit",
        json!({"rule": "task-tool", "file": "c.py", "line": 3, "severity": "medium"}),
    ));
    lines.push(old(
        "2026-11-18T08:00:00",
        "import_blocked",
        "guards.py",
        json!({"module": "httpx"}),
    ));
    lines.push(old(
        "2026-11-19T08:00:00",
        "import_blocked",
        "guards.py",
        json!({"module": "requests"}),
    ));
    for (day, branch) in [(17, "main"), (18, "main"), (20, "dev"), (21, "main")] {
        lines.push(new(
            &format!("2026-11-{day:02}T09:00:00"),
            "commit_completed",
            "post-commit",
            json!({"branch": branch, "user": "Dev <dev@example.com>", "agent": "claude-code", "commit_sha": "abc1234"}),
        ));
    }
    lines.push(new(
        "2026-11-20T15:30:00",
        "bypass_review",
        "pre-commit",
        json!({"reason": "PILOT_SKIP_REVIEW environment variable", "user": "Dev <dev@example.com>", "branch": "main", "files": ["lib/telemetry.py"], "file_count": 1, "bypass_method": "PILOT_SKIP_REVIEW=1", "rule": "review"}),
    ));
    lines.push(
        r#"{"timestamp": "2026-11-20T09:00:00", "event_type": "import_allowed", "source": "guards.py"}"#
            .to_string(),
    );
    lines.extend(extra.iter().cloned());
    let mut text = lines.join("\n");
    text.push('\n');
    text.push_str(r#"{"timestamp":"2026-11-21T11:00:00.000000+00:00","event_type":"commit_comp"#);
    text
}

pub struct Reports {
    pub sandbox: Sandbox,
    pub log: PathBuf,
}

impl Reports {
    pub fn new(extra: &[String]) -> Reports {
        let sandbox = Sandbox::new();
        let log = sandbox.path().join("data/enforcement_events.jsonl");
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, fixture(extra)).unwrap();
        Reports { sandbox, log }
    }

    /// A [`Test`] of `enforce --events-file <fixture> args…` at the
    /// reports' clock, outside any repository.
    pub fn test(&self, args: &[&str]) -> Test {
        self.test_in(self.sandbox.path(), args)
            .env("GIT_CEILING_DIRECTORIES", self.sandbox.path())
    }

    /// The same in `dir`, whose config applies.
    pub fn test_in(&self, dir: &Path, args: &[&str]) -> Test {
        self.sandbox
            .test(dir)
            .env("ENFORCE_NOW", NOW)
            .arg("--events-file")
            .arg(&self.log)
            .args(args)
    }

    /// `enforce args…` as [`Reports::test`] runs it, checking nothing.
    pub fn run(&self, args: &[&str]) -> Ran {
        self.test(args)
            .status_ignored()
            .stdout_ignored()
            .stderr_ignored()
            .run()
    }

    /// What a text report says on standard error: the log it read.
    pub fn named(&self) -> String {
        format!("enforce: events from {}\n", self.log.display())
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let ran = self.run(args);
        serde_json::from_str(&ran.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}\n{}", ran.stdout, ran.stderr))
    }
}

fn bypass_line(at: &str) -> String {
    new(
        at,
        "commit_review_bypassed",
        "post-commit",
        json!({"commit_sha": "def5678", "files_changed": 2, "reviewer": "git-reviewer", "bypass_method": "git commit --no-verify", "reason": "the staged changes were not reviewed | skipped", "user": "Sneaky <s@example.com>", "branch": "main"}),
    )
}

#[test]
fn stats_text_json_and_csv() {
    let reports = Reports::new(&[]);
    reports
        .test(&["stats"])
        .stderr(reports.named())
        .stdout(
            "Enforcement Stats (last 7 days)
=============================================

Event Type                    Count
-------------------------------------
bypass_review                     1
commit_completed                  4
import_allowed                    1
import_blocked                    2
violation_detected                3
-------------------------------------
TOTAL                            11

3 malformed line(s) skipped
",
        )
        .run();
    let json = reports.json(&["stats", "--days", "30", "--json"]);
    assert_eq!(json["days"], 30);
    assert_eq!(json["total_events"], 29);
    assert_eq!(json["by_type"]["violation_detected"], 9);
    assert_eq!(json["by_type"]["import_allowed"], 4);
    assert_eq!(json["malformed"], 3);

    let by_rule = reports.json(&["stats", "-d", "14", "--by", "rule", "--json"]);
    assert_eq!(by_rule["by"], "rule");
    assert_eq!(by_rule["groups"]["web-access-policy"], 8);
    assert_eq!(by_rule["groups"]["task-tool"], 1);

    reports
        .test(&["stats", "--by", "branch", "--format", "csv"])
        .stderr(reports.named())
        .stdout("branch,count\n(none),6\ndev,1\nmain,4\n")
        .run();

    // Usage errors, not silent choices: two formats at once, and a window
    // longer than a thousand years.
    let refused: [(&[&str], &str); 2] = [
        (
            &["stats", "--json", "--format", "csv"],
            "error: the argument '--json' cannot be used with '--format <FORMAT>'\n\nUsage: enforce stats --json\n\nFor more information, try '--help'.\n",
        ),
        (
            &["cleanup", "--days", "365001", "--dry-run"],
            "error: invalid value '365001' for '--days <N>': 365001 is not in 0..=365000\n\nFor more information, try '--help'.\n",
        ),
    ];
    for (args, message) in refused {
        reports.test(args).status(2).stderr(message).run();
    }
}

#[test]
fn stats_by_day_is_a_time_series_with_zero_days() {
    let reports = Reports::new(&[]);
    let json = reports.json(&["stats", "--days", "3", "--by", "day", "--json"]);
    assert_eq!(
        json["groups"],
        json!({"2026-11-18": 0, "2026-11-19": 1, "2026-11-20": 3, "2026-11-21": 1}),
        "the window starts at 2026-11-18 12:00, after that day's event"
    );
    let zero = reports.json(&["stats", "--days", "30", "--by", "day", "--json"]);
    let groups = zero["groups"].as_object().unwrap();
    assert_eq!(groups.len(), 31, "one row per day of the window, today included");
    assert_eq!(groups["2026-11-02"], 0);
}

#[test]
fn events_newest_first_with_filters() {
    let reports = Reports::new(&[]);
    reports
        .test(&["events", "--days", "2"])
        .stderr(reports.named())
        .stdout(
            "Recent Events (last 2 day(s))
=============================================

2026-11-21 09:00:00  commit_completed  post-commit  commit_sha=abc1234 agent=claude-code
2026-11-20 15:30:00  bypass_review     pre-commit   rule=review reason=PILOT_SKIP_REVIEW environment variable bypass_method=PILOT_SKIP_REVIEW=1 file_co…
2026-11-20 09:00:00  import_allowed    guards.py
2026-11-20 09:00:00  commit_completed  post-commit  commit_sha=abc1234 agent=claude-code
",
        )
        .run();

    let json = reports.json(&[
        "events",
        "-d",
        "30",
        "--type",
        "VIOLATION_DETECTED",
        "--limit",
        "2",
        "--json",
    ]);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(json["matched"], 9);
    assert_eq!(events[0]["timestamp"], "2026-11-17T08:00:00.000000+00:00");
    assert_eq!(events[0]["details"]["rule"], "task-tool");
    assert_eq!(events[1]["source"], "violation_watcher.py");

    let by_source = reports.json(&[
        "events", "-d", "30", "--source", "GUARDS", "--limit", "100", "--json",
    ]);
    assert_eq!(by_source["matched"], 11);

    reports
        .test(&["events", "--type", "import_blokced"])
        .status(2)
        .stderr(
            "enforce: unknown event type `import_blokced`\nhint: types in the log: bypass_review, commit_completed, import_allowed, import_blocked, violation_detected\n",
        )
        .run();
    // A known type that is not in the log is no error.
    reports
        .test(&["events", "--type", "commit_gitignore_only"])
        .stderr(reports.named())
        .stdout("Recent Events (last 1 day(s))\n=============================================\n\nNo matching events.\n")
        .run();

    reports
        .test(&["events", "--type", "bypass_review", "--format", "csv"])
        .stderr(reports.named())
        .stdout(
            "timestamp,event_type,source,details\n2026-11-20T15:30:00+00:00,bypass_review,pre-commit,\"{\"\"branch\"\":\"\"main\"\",\"\"bypass_method\"\":\"\"PILOT_SKIP_REVIEW=1\"\",\"\"file_count\"\":1,\"\"files\"\":[\"\"lib/telemetry.py\"\"],\"\"reason\"\":\"\"PILOT_SKIP_REVIEW environment variable\"\",\"\"rule\"\":\"\"review\"\",\"\"user\"\":\"\"Dev <dev@example.com>\"\"}\"\n",
        )
        .run();
}

#[test]
fn score_good_with_the_predecessor_layout() {
    let reports = Reports::new(&[]);
    reports
        .test(&["score"])
        .stderr(reports.named())
        .stdout(
            "Enforcement Effectiveness Score
=======================================================

  [~] Overall Rating: GOOD
      Enforcement is working with minor issues

Score Breakdown
-------------------------------------------------------

  Violations:
    Current week:     3  [v] decreasing
    Previous week:    6
    Threshold:     <5/week for good, <2/week for excellent

  Import Blocked:
    Current week:     2  [v] decreasing
    Previous week:    5
    Threshold:     decreasing is good

  Bypasses:
    Current week:     0  [-] stable
    Previous week:    0
    Threshold:     0 is required for good/excellent

-------------------------------------------------------
Period: last 7 days vs 8-14 days ago
Total events: 11 (current) / 13 (previous)
3 malformed line(s) skipped
",
        )
        .run();
    let json = reports.json(&["score", "--json"]);
    assert_eq!(json["rating"], "good");
    assert_eq!(json["description"], "Enforcement is working with minor issues");
    assert_eq!(
        json["breakdown"]["violations"],
        json!({"current_week": 3, "previous_week": 6, "trend": "decreasing", "threshold": "<5/week for good, <2/week for excellent"})
    );
    assert_eq!(json["breakdown"]["import_blocked"]["trend"], "decreasing");
    assert_eq!(json["total_events"], json!({"current": 11, "previous": 13}));
}

#[test]
fn score_follows_the_config_thresholds() {
    let reports = Reports::new(&[]);
    let repo = reports.sandbox.repo("repo");
    repo.write(".enforce.toml", "[score]\nconcerning_from = 3\n");
    let ran = reports
        .test_in(&repo.root, &["score", "--json"])
        .stdout_ignored()
        .run();
    let json: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(json["rating"], "concerning");
}

#[test]
fn alert_exit_codes_quiet_and_json() {
    let quiet_log = Reports::new(&[]);
    // No alerts: no output, exit 0.
    quiet_log.test(&["alert"]).run();
    assert_eq!(quiet_log.json(&["alert", "--json"])["status"], "ok");

    let mut extra = vec![bypass_line("2026-11-21T08:00:00")];
    for n in 0..4 {
        extra.push(old(
            &format!("2026-11-21T0{n}:30:00"),
            "violation_detected",
            "w",
            json!({"rule": "r"}),
        ));
    }
    let noisy = Reports::new(&extra);
    noisy
        .test(&["alert"])
        .status(1)
        .stderr(noisy.named())
        .stdout("[CRITICAL] Review bypassed 1 time(s) this week\n[WARNING] 7 violations this week (more than 5)\n")
        .run();
    noisy
        .test(&["alert", "--quiet"])
        .status(1)
        .stderr(noisy.named())
        .stdout("[CRITICAL] Review bypassed 1 time(s) this week\n")
        .run();
    let json = noisy.json(&["alert", "--json"]);
    assert_eq!(json["status"], "critical");
    assert_eq!(json["has_critical"], true);
    assert_eq!(json["has_warnings"], true);
    assert_eq!(
        json["alerts"][1],
        json!({"level": "warning", "message": "7 violations this week (more than 5)", "metric": "violations"})
    );
    // The exit status is the same in every mode.
    noisy.test(&["alert", "--json"]).status(1).stdout_ignored().run();

    // Only warnings: --quiet has nothing left and exits 0.
    let warn = Reports::new(&extra[1..]);
    warn.test(&["alert", "--quiet"]).run();
}

#[test]
fn configured_alerts_replace_the_defaults() {
    let reports = Reports::new(&[]);
    let repo = reports.sandbox.repo("repo");
    repo.write(
        ".enforce.toml",
        "[[alerts]]\nmetric = \"commits\"\nevent_types = [\"commit_completed\"]\nabove = 3\nlevel = \"warning\"\nmessage = \"{count} commits in {window_days} days\"\n",
    );
    reports
        .test_in(&repo.root, &["alert"])
        .status(1)
        .stderr(reports.named())
        .stdout("[WARNING] 4 commits in 7 days\n")
        .run();

    repo.write("x.toml", "");
    repo.write(
        ".enforce.toml",
        "[[alerts]]\nmetric = \"x\"\nevent_types = [\"a\"]\nlevel = \"warning\"\nmessage = \"m\"\n",
    );
    reports
        .sandbox
        .test(&repo.root)
        .args(["config", "check"])
        .redact(&repo.root, "[REPO]")
        .status(2)
        .stderr(format!(
            "enforce: [REPO]/.enforce.toml:1:1: an alert needs `above = N` (a count) or `trend = \"increasing\"`\n{HINT}"
        ))
        .run();
}

#[test]
fn dashboard_matches_the_golden_file() {
    let reports = Reports::new(&[bypass_line("2026-11-21T08:00:00")]);
    let ran = reports
        .test(&["dashboard"])
        .stderr(reports.named())
        .stdout_ignored()
        .run();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/dashboard.md");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &ran.stdout).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert_eq!(
        ran.stdout, expected,
        "run with UPDATE_GOLDEN=1 to accept a deliberate change"
    );
    for section in [
        "# Enforcement Dashboard",
        "## Effectiveness: CONCERNING",
        "## Trends",
        "## Alerts",
        "## Events (last 7 days)",
        "## Daily activity (last 14 days)",
        "```mermaid\nxychart-beta",
        "## Top rules by violations",
        "## Bypasses (last 7 days)",
        "## Recent bypasses",
    ] {
        assert!(expected.contains(section), "{section}");
    }
}

#[test]
fn dashboards_show_why_and_how_and_names_not_addresses() {
    let reports = Reports::new(&[bypass_line("2026-11-21T08:00:00")]);
    let markdown = reports
        .test(&["dashboard"])
        .stderr(reports.named())
        .stdout_ignored()
        .run()
        .stdout;
    assert!(
        markdown.contains("| 2026-11-20 15:30 | Dev | main | bypass: environment variable | bypass_review | PILOT_SKIP_REVIEW=1 | PILOT_SKIP_REVIEW environment variable |\n"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("example.com"),
        "no e-mail address by default:\n{markdown}"
    );

    let html = reports
        .test(&["dashboard", "--format", "html"])
        .stderr(reports.named())
        .stdout_ignored()
        .run()
        .stdout;
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(html.contains("<th>Category</th><th>Type</th><th>Method</th><th>Reason</th>"));
    assert!(html.contains(
        "<td>Sneaky</td><td>main</td><td>bypass: hooks skipped</td><td>commit_review_bypassed</td><td>git commit --no-verify</td><td>the staged changes were not reviewed | skipped</td>"
    ));
    assert!(!html.contains("example.com"), "no e-mail address by default");

    let json = reports.json(&["dashboard", "--json"]);
    let mut newest = json["recent_bypasses"][0].clone();
    let id = newest.as_object_mut().unwrap().remove("id").unwrap();
    assert_eq!(id.as_str().map(str::len), Some(16), "what `enforce label` takes");
    assert_eq!(
        newest,
        json!({"when": "2026-11-21 08:00", "user": "Sneaky", "branch": "main", "event_type": "commit_review_bypassed", "category": "skipped_hooks", "method": "git commit --no-verify", "reason": "the staged changes were not reviewed | skipped"})
    );

    // A team that wants the addresses says so.
    let repo = reports.sandbox.repo("repo");
    repo.write(".enforce.toml", "[reports]\nshow_emails = true\n");
    let shown = reports
        .test_in(&repo.root, &["dashboard"])
        .stderr(reports.named())
        .stdout_ignored()
        .run()
        .stdout;
    assert!(
        shown.contains("| Sneaky &lt;s@example.com&gt; | main |"),
        "{shown}"
    );
}

#[test]
fn dashboard_output_is_written_atomically_and_announced() {
    let reports = Reports::new(&[]);
    let out = reports.sandbox.path().join("docs/dashboard.md");
    reports
        .test(&["dashboard", "--output", out.to_str().unwrap()])
        .stderr(format!(
            "{}enforce: dashboard written to {}\n",
            reports.named(),
            out.display()
        ))
        .run();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("# Enforcement Dashboard\n"));
    assert!(text.contains("No active alerts."));
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

#[test]
fn cleanup_removes_old_events_and_keeps_everything_unreadable() {
    let reports = Reports::new(&[]);
    let before = std::fs::read_to_string(&reports.log).unwrap();
    let dry = reports.json(&["cleanup", "--days", "14", "--dry-run", "--json"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["removed"], 5);
    assert_eq!(dry["kept"], 27);
    assert_eq!(dry["malformed_kept"], 3);
    assert_eq!(
        std::fs::read_to_string(&reports.log).unwrap(),
        before,
        "a dry run writes nothing"
    );

    reports
        .test(&["cleanup", "--days", "14"])
        .redact(reports.sandbox.path(), "[SANDBOX]")
        .stderr("enforce: events from [SANDBOX]/data/enforcement_events.jsonl\n")
        .stdout("Removed 5 event(s) older than 14 days (before 2026-11-07T12:00:00+00:00); kept 27 line(s) (3 unreadable, kept verbatim) in [SANDBOX]/data/enforcement_events.jsonl\n")
        .run();
    let after = std::fs::read_to_string(&reports.log).unwrap();
    assert!(after.contains("this is not json\n"));
    assert!(after.contains("{\"event_type\": \"import_blocked\", \"source\": \"guards.py\"}\n"));
    assert!(
        after.ends_with("\"event_type\":\"commit_comp\n"),
        "the torn line is kept"
    );
    assert!(
        after.contains("\"timestamp\": \"2026-11-15T08:00:00\""),
        "kept lines are byte for byte"
    );
    assert_eq!(
        reports.json(&["stats", "--json"])["total_events"],
        11,
        "recent events are all still there"
    );
    assert_eq!(reports.json(&["cleanup", "--json"])["removed"], 0);
}

#[test]
fn cleanup_during_concurrent_appends_loses_nothing() {
    let reports = Reports::new(&[]);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            for n in 0..150 {
                reports
                    .test(&[
                        "record",
                        "import_allowed",
                        "-s",
                        "race",
                        "--detail",
                        &format!("n:={n}"),
                    ])
                    .run();
            }
        });
        for _ in 0..15 {
            reports
                .test(&["cleanup", "--days", "14"])
                .stderr(reports.named())
                .stdout_ignored()
                .run();
        }
        writer.join().unwrap();
    });
    // `record` stamps the real time while ENFORCE_NOW is fixed: search wide.
    let all = reports.json(&[
        "events", "--days", "100000", "--source", "race", "--limit", "0", "--json",
    ]);
    assert_eq!(all["matched"], 150, "every append survived the rewrites");
    // The 11 events of the fixture's week, and the 150 stamped after the clock.
    assert_eq!(reports.json(&["stats", "--json"])["total_events"], 161);
}

/// A log the predecessor wrote itself, in its layout: naive local times,
/// Python's separators, `details` only when there are some.
///
/// The current week (since 2026-11-14 12:00) holds 2 review bypasses, 11
/// violations, 3 blocked imports and 2 commits; the week before, 2
/// violations and 1 blocked import; two events are older than 30 days.
fn predecessor_log() -> String {
    let mut lines = vec![
        old(
            "2026-10-01T09:00:00.250000",
            "import_allowed",
            "guards.py",
            json!({"module": "os"}),
        ),
        r#"{"timestamp": "2026-10-02T09:00:00", "event_type": "commit_completed", "source": "post-commit"}"#
            .to_string(),
        old(
            "2026-11-09T09:00:00",
            "import_blocked",
            "guards.py",
            json!({"module": "requests"}),
        ),
    ];
    for day in 9..11 {
        lines.push(old(
            &format!("2026-11-{day:02}T10:00:00.5"),
            "violation_detected",
            "violation_watcher.py",
            json!({"rule": "web-access-policy", "file": "tools/x.py", "line": day, "severity": "high"}),
        ));
    }
    for n in 0..11 {
        lines.push(old(
            &format!("2026-11-{:02}T08:{n:02}:00.123456", 15 + n % 6),
            "violation_detected",
            "violation_watcher.py",
            json!({"rule": "web-access-policy", "file": "tools/scraper.py", "line": n, "severity": "high"}),
        ));
    }
    for day in [16, 18, 20] {
        lines.push(old(
            &format!("2026-11-{day}T11:00:00"),
            "import_blocked",
            "guards.py",
            json!({"module": "httpx", "reason": "Use web_fetch tool instead"}),
        ));
    }
    for (day, sha) in [(19, "abc1234"), (20, "def5678")] {
        lines.push(old(
            &format!("2026-11-{day}T12:00:00"),
            "commit_review_bypassed",
            "precommit.py",
            json!({"commit_sha": sha, "files_changed": 5, "reviewer": "git-reviewer", "bypass_method": "git commit --no-verify"}),
        ));
        lines.push(old(
            &format!("2026-11-{day}T12:00:01"),
            "commit_completed",
            "post-commit",
            json!({"commit_sha": sha, "branch": "main", "files_changed": 5, "rules_checked": ["git-reviewer"], "rules_count": 1, "user": "Developer <dev@example.com>"}),
        ));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// A repository in the predecessor's layout: its log at
/// `data/enforcement_events.jsonl`, enforce's own log not started.
fn predecessor_repo(sandbox: &Sandbox) -> crate::support::TestRepo {
    let repo = sandbox.repo("legacy");
    repo.write("data/enforcement_events.jsonl", &predecessor_log());
    repo
}

/// The keys of a JSON object, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

fn sorted(mut keys: Vec<&str>) -> Vec<&str> {
    keys.sort_unstable();
    keys
}

#[test]
fn alert_quiet_in_the_predecessors_layout_exits_1() {
    let sandbox = Sandbox::new();
    let repo = predecessor_repo(&sandbox);
    let log = repo.path("data/enforcement_events.jsonl");
    let named = "enforce: events from [REPO]/data/enforcement_events.jsonl (the predecessor's log: enforce has none of its own here yet)\n";
    // No --events-file: the predecessor's file is the repository's log.
    sandbox
        .test(&repo.root)
        .env("ENFORCE_NOW", NOW)
        .args(["alert", "--quiet"])
        .redact(&repo.root, "[REPO]")
        .status(1)
        .stdout("[CRITICAL] Review bypassed 2 time(s) this week\n[CRITICAL] 11 violations this week (more than 10)\n")
        .stderr(named)
        .run();
    sandbox
        .test(&repo.root)
        .env("ENFORCE_NOW", NOW)
        .arg("stats")
        .redact(&repo.root, "[REPO]")
        .stdout_contains("commit_review_bypassed            2\n")
        .stdout_contains("TOTAL                            18\n")
        .stderr(named)
        .run();
    let json = sandbox
        .test(&repo.root)
        .env("ENFORCE_NOW", NOW)
        .args(["alert", "--json"])
        .status(1)
        .stdout_ignored()
        .run();
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["events_file"], log.to_str().unwrap());
    assert_eq!(json["schema"], 1);

    // status says which file it is and why.
    sandbox
        .test(&repo.root)
        .arg("status")
        .redact(&repo.root, "[REPO]")
        .status_ignored()
        .stdout_contains("events file            [REPO]/data/enforcement_events.jsonl (default: the predecessor's log, as enforce has none of its own here yet): ")
        .run();

    // The hooks append to it too: one log for every command.
    sandbox
        .test(&repo.root)
        .args(["install", "--no-config"])
        .redact(&repo.root, "[REPO]")
        .stdout_contains("events: [REPO]/data/enforcement_events.jsonl\n")
        .run();
    repo.write("a.txt", "a\n");
    sandbox.git(&repo.root, &["add", "a.txt"]);
    sandbox
        .test_git(&repo.root)
        .env("PILOT_SKIP_REVIEW", "1")
        .args(["commit", "-q", "-m", "add a", "-m", "Agent: test-agent"])
        .stderr_contains("recorded as `bypass_review`")
        .run();
    let after = std::fs::read_to_string(&log).unwrap();
    assert!(
        after.starts_with(&predecessor_log()),
        "appended, nothing rewritten"
    );
    let added: Vec<&str> = after[predecessor_log().len()..].lines().collect();
    assert!(
        added
            .iter()
            .any(|l| l.contains("\"event_type\":\"bypass_review\""))
            && added
                .iter()
                .any(|l| l.contains("\"event_type\":\"commit_completed\"")),
        "{added:#?}"
    );
    assert!(
        !repo.events_file().exists(),
        "enforce's own log was not started beside it"
    );
}

#[test]
fn every_report_names_its_log_and_warns_about_the_other() {
    let sandbox = Sandbox::new();
    let repo = predecessor_repo(&sandbox);
    let own = repo.events_file();
    std::fs::create_dir_all(own.parent().unwrap()).unwrap();
    std::fs::write(
        &own,
        new("2026-11-21T09:00:00", "import_allowed", "guards.py", json!({})),
    )
    .unwrap();
    let warning = "enforce: warning: [REPO]/data/enforcement_events.jsonl (the predecessor's log) exists too: its events are not in this report\nhint: read it with `--events-file [REPO]/data/enforcement_events.jsonl`, or make it the log with `[telemetry] events_file = \"data/enforcement_events.jsonl\"`\n";
    let test = |args: &[&str]| {
        sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", NOW)
            .args(args)
            .redact(&repo.root, "[REPO]")
    };
    for args in [
        &["stats"][..],
        &["events"],
        &["score"],
        &["dashboard"],
        &["dashboard", "--format", "html"],
        &["cleanup", "--dry-run"],
        &["stats", "--format", "csv"],
    ] {
        test(args)
            .stdout_ignored()
            .stderr(format!(
                "enforce: events from [REPO]/.git/enforce/events.jsonl\n{warning}"
            ))
            .run();
    }
    // JSON stays parseable: the log is named inside, the warning on stderr.
    for args in [
        &["stats", "--json"][..],
        &["events", "--json"],
        &["score", "--json"],
        &["alert", "--json"],
        &["dashboard", "--json"],
        &["cleanup", "--dry-run", "--json"],
    ] {
        let ran = test(args).stdout_ignored().stderr(warning).run();
        let value: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(value["schema"], 1, "{args:?}");
        assert_eq!(
            value["events_file"], "[REPO]/.git/enforce/events.jsonl",
            "{args:?}"
        );
    }
    // The other commands' --json objects carry their schema too.
    for args in [&["status", "--json"][..], &["verify", "--json"]] {
        let ran = test(args)
            .status_ignored()
            .stdout_ignored()
            .stderr_ignored()
            .run();
        let value: Value = serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(value["schema"], 1, "{args:?}");
    }
    // The JSON-argument form only warns.
    test(&[r#"{"action": "stats"}"#])
        .stdout_ignored()
        .stderr(warning)
        .run();
    // status too, as a warning that keeps enforcement in force.
    test(&["status"])
        .status_ignored()
        .stdout_contains("WARN other events file      [REPO]/data/enforcement_events.jsonl (the predecessor's log) exists too: enforce neither reads nor writes it here\n")
        .run();
    // Choosing a file is no cause for a warning.
    test(&["--events-file", "data/enforcement_events.jsonl", "stats"])
        .stdout_contains("TOTAL                            18\n")
        .stderr("enforce: events from [REPO]/data/enforcement_events.jsonl\n")
        .run();
}

#[test]
fn a_report_outside_a_repository_names_the_file_it_read() {
    let sandbox = Sandbox::new();
    sandbox
        .test(sandbox.path())
        .env("GIT_CEILING_DIRECTORIES", sandbox.path())
        .arg("stats")
        .redact(sandbox.path(), "[SANDBOX]")
        .stdout_contains("(no events)\n")
        .stderr("enforce: events from [SANDBOX]/state/enforce/events.jsonl (outside a repository: the user's own log; no such file yet: no events recorded)\n")
        .run();
}

#[test]
fn the_json_argument_form_answers_in_the_predecessors_shapes() {
    let sandbox = Sandbox::new();
    let repo = predecessor_repo(&sandbox);
    // The predecessor's API: an answer on stdout, nothing on stderr.
    let call = |arg: &str, code: i32| -> Value {
        let ran = sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", NOW)
            .arg(arg)
            .status(code)
            .stdout_ignored()
            .run();
        serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{arg}: {e}\n{}", ran.stdout))
    };

    // stats: an omitted action is stats, `days: null` the default window.
    for arg in [
        r#"{}"#,
        r#"{"action": "stats", "days": null}"#,
        r#"{"action": "stats", "days": 7}"#,
    ] {
        let stats = call(arg, 0);
        assert_eq!(
            keys(&stats),
            sorted(vec!["action", "days", "total_events", "by_type", "event_types"]),
            "{arg}"
        );
        assert_eq!(stats["action"], "stats");
        assert_eq!(stats["days"], 7);
        assert_eq!(stats["total_events"], 18);
        assert_eq!(
            stats["by_type"],
            json!({"commit_completed": 2, "commit_review_bypassed": 2, "import_blocked": 3, "violation_detected": 11})
        );
        let names = stats["event_types"].as_array().unwrap();
        assert_eq!(
            names[..9],
            [
                "IMPORT_BLOCKED",
                "IMPORT_ALLOWED",
                "VIOLATION_DETECTED",
                "COMMIT_REVIEW_REQUIRED",
                "COMMIT_REVIEW_BYPASSED",
                "COMMIT_GITIGNORE_ONLY",
                "BYPASS_REVIEW",
                "BYPASS_AGENT_TRAILER",
                "COMMIT_COMPLETED"
            ]
        );
    }
    assert_eq!(call(r#"{"action": "stats", "days": 14}"#, 0)["total_events"], 21);

    // events: the predecessor's entry shape, timestamps as it wrote them.
    let events = call(
        r#"{"action": "events", "event_type": "IMPORT_BLOCKED", "days": 30, "limit": 2}"#,
        0,
    );
    assert_eq!(
        keys(&events),
        sorted(vec!["action", "days", "filters", "count", "events"])
    );
    assert_eq!(
        events["filters"],
        json!({"event_type": "IMPORT_BLOCKED", "source": null, "limit": 2})
    );
    assert_eq!(events["count"], 2);
    assert_eq!(
        events["events"][0],
        json!({"timestamp": "2026-11-20T11:00:00", "type": "import_blocked", "source": "guards.py", "details": {"module": "httpx", "reason": "Use web_fetch tool instead"}})
    );
    let all = call(
        r#"{"action": "events", "days": 30, "limit": null, "source": "PRECOMMIT"}"#,
        0,
    );
    assert_eq!(all["count"], 2, "no limit, source matched in any case");
    assert_eq!(all["events"][1]["details"]["commit_sha"], "abc1234");
    let no_details = call(
        r#"{"action": "events", "days": 60, "event_type": "commit_completed", "limit": 5}"#,
        0,
    );
    assert_eq!(
        no_details["events"][2]["details"],
        json!({}),
        "a line without details has {{}}"
    );
    let unknown = call(r#"{"action": "events", "event_type": "import_blokced"}"#, 0);
    assert_eq!(keys(&unknown), ["error", "valid_types"]);
    assert_eq!(unknown["error"], "Unknown event type: import_blokced");
    assert!(
        unknown["valid_types"]
            .as_array()
            .unwrap()
            .contains(&json!("import_blocked"))
    );

    // score
    let score = call(r#"{"action": "score"}"#, 0);
    assert_eq!(
        keys(&score),
        sorted(vec![
            "action",
            "rating",
            "description",
            "breakdown",
            "period",
            "total_events_current",
            "total_events_previous"
        ])
    );
    assert_eq!(score["rating"], "critical");
    assert_eq!(
        keys(&score["breakdown"]),
        ["bypasses", "import_blocked", "violations"]
    );
    for metric in ["bypasses", "import_blocked", "violations"] {
        assert_eq!(
            keys(&score["breakdown"][metric]),
            ["current_week", "previous_week", "threshold", "trend"]
        );
    }
    assert_eq!(score["breakdown"]["violations"]["current_week"], 11);
    assert_eq!(score["breakdown"]["import_blocked"]["trend"], "increasing");
    assert_eq!(
        score["period"],
        json!({"current_week": "last 7 days", "previous_week": "8-14 days ago"})
    );
    assert_eq!(
        (
            score["total_events_current"].as_u64(),
            score["total_events_previous"].as_u64()
        ),
        (Some(18), Some(3))
    );

    // alert: upper-case levels, and exit 0 whatever it found.
    let alert = call(r#"{"action": "alert"}"#, 0);
    assert_eq!(
        keys(&alert),
        sorted(vec![
            "action",
            "alerts",
            "has_critical",
            "has_warnings",
            "quiet_mode",
            "status",
            "metrics"
        ])
    );
    assert_eq!(
        alert["alerts"],
        json!([
            {"level": "CRITICAL", "metric": "commit_review_bypassed", "message": "Review bypassed 2 time(s) this week", "value": 2, "threshold": 0},
            {"level": "CRITICAL", "metric": "violation_detected", "message": "11 violations this week (more than 10)", "value": 11, "threshold": 10},
            {"level": "WARNING", "metric": "import_blocked", "message": "Blocked imports increasing: 3 this week, 1 the week before", "value": 3, "previous": 1},
        ])
    );
    assert_eq!(
        (alert["has_critical"].as_bool(), alert["has_warnings"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(alert["status"], "critical");
    assert_eq!(alert["quiet_mode"], false);
    assert_eq!(
        alert["metrics"],
        json!({"violation_detected": 11, "commit_review_bypassed": 2, "import_blocked": 3, "import_blocked_trend": "increasing"})
    );
    let quiet = call(r#"{"action": "alert", "quiet": true}"#, 0);
    assert_eq!(quiet["alerts"].as_array().unwrap().len(), 2);
    assert!(
        quiet["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["level"] == "CRITICAL")
    );
    assert_eq!(
        (quiet["quiet_mode"].as_bool(), quiet["has_warnings"].as_bool()),
        (Some(true), Some(false))
    );

    // dashboard: its Markdown inside, and in the file when asked.
    let out = repo.path("docs/dashboard.md");
    let dashboard = call(r#"{"action": "dashboard", "output": "docs/dashboard.md"}"#, 0);
    assert_eq!(
        keys(&dashboard),
        sorted(vec![
            "action",
            "markdown",
            "output_file",
            "stats_days",
            "rating",
            "has_alerts",
            "total_events"
        ])
    );
    assert_eq!(dashboard["output_file"], "docs/dashboard.md");
    assert_eq!(
        (
            dashboard["stats_days"].as_u64(),
            dashboard["total_events"].as_u64()
        ),
        (Some(7), Some(18))
    );
    assert_eq!(
        (dashboard["rating"].as_str(), dashboard["has_alerts"].as_bool()),
        (Some("critical"), Some(true))
    );
    let markdown = dashboard["markdown"].as_str().unwrap();
    assert!(markdown.starts_with("# Enforcement Dashboard\n"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), markdown);
    assert_eq!(call(r#"{"action": "dashboard"}"#, 0)["output_file"], Value::Null);

    // cleanup: would_remove on a dry run, removed after.
    let log = repo.path("data/enforcement_events.jsonl");
    let before = std::fs::read_to_string(&log).unwrap();
    let dry = call(r#"{"action": "cleanup", "dry_run": true}"#, 0);
    assert_eq!(
        dry,
        json!({"action": "cleanup", "dry_run": true, "retention_days": 30, "would_remove": 2, "would_keep": 21, "message": "Would remove 2 events older than 30 days"})
    );
    assert_eq!(std::fs::read_to_string(&log).unwrap(), before);
    let done = call(r#"{"action": "cleanup", "days": null}"#, 0);
    assert_eq!(
        done,
        json!({"action": "cleanup", "dry_run": false, "retention_days": 30, "removed": 2, "message": "Removed 2 events older than 30 days"})
    );

    // An unknown action is an answer (exit 0); an argument the predecessor
    // failed on is exit 1, with the reason in the same shape.
    assert_eq!(
        call(r#"{"action": "nuke"}"#, 0),
        json!({"error": "Unknown action: nuke. Use: stats, events, cleanup, score, alert, dashboard"})
    );
    for (arg, error) in [
        ("{not json", "Invalid JSON"),
        (r#"{"action": "stats", "dayz": 3}"#, "unknown key `dayz`"),
        (
            r#"{"action": "stats", "days": "3"}"#,
            "`days` must be a whole number from 0 to 365000, not \"3\"",
        ),
    ] {
        let value = call(arg, 1);
        assert_eq!(keys(&value), ["details", "error"], "{arg}");
        assert_eq!(value["error"], error, "{arg}");
    }
    // An error of enforce's own is exit 2, in the same shape.
    let broken = sandbox
        .test(&repo.root)
        .env("ENFORCE_NOW", "yesterday")
        .arg(r#"{"action": "score"}"#)
        .status(2)
        .stdout_ignored()
        .run();
    let broken: Value = serde_json::from_str(&broken.stdout).unwrap();
    assert_eq!(broken["error"], "ENFORCE_NOW=`yesterday` is not an RFC 3339 time");
}

#[test]
fn demo_tells_the_story() {
    let sandbox = Sandbox::new();
    let ran = sandbox
        .test(sandbox.path())
        .env("TMPDIR", sandbox.path())
        .args(["demo", "--keep"])
        .stdout_ignored()
        .run();
    for expected in [
        "committed reviewed and approved, with an Agent trailer",
        "BLOCKED   changed, but nobody reviewed it",
        "commit blocked by rule `review`",
        "BLOCKED   reviewed, but the message names no agent",
        "recorded as `bypass_agent_trailer`",
        "recorded as `bypass_review`",
        "commit blocked by rule `no-debug-print`",
        "recorded as `commit_review_bypassed`",
        "committed only .gitignore changed",
        "$ enforce stats",
        "Overall Rating: CONCERNING",
        "[CRITICAL] Review bypassed 1 time(s) this week",
        "Dashboard (Markdown): ",
        "The repository is kept for exploring",
    ] {
        assert!(
            ran.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            ran.stdout
        );
    }
    let dashboard = ran
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("Dashboard (Markdown): "))
        .unwrap();
    assert!(
        std::fs::read_to_string(dashboard)
            .unwrap()
            .starts_with("# Enforcement Dashboard")
    );
}

#[test]
#[ignore = "scale tier: .ci/run runs it optimized (--profile scale)"]
fn large_logs_read_in_parallel_give_the_same_reports() {
    // Over the size from which reports split the log between threads.
    let sandbox = Sandbox::new();
    let log = sandbox.path().join("big.jsonl");
    let mut text = String::with_capacity(20 * 1024 * 1024);
    let types = [
        "commit_completed",
        "violation_detected",
        "import_blocked",
        "bypass_review",
        "commit_blocked",
    ];
    let mut n = 0u64;
    let mut labels = Vec::new();
    let mut labelled = std::collections::HashSet::new();
    let mut bypass_ids = Vec::new();
    while text.len() < 18 * 1024 * 1024 {
        let event_type = types[(n % 5) as usize];
        let day = 1 + n % 20;
        let details = json!({"rule": format!("rule-{}", n % 7), "user": "U <u@example.com>", "branch": "main", "bypass_method": "PILOT_SKIP_REVIEW=1", "padding": "x".repeat(150)});
        let line = if n.is_multiple_of(3) {
            old(
                &format!("2026-11-{day:02}T{:02}:00:00", n % 24),
                event_type,
                "guards.py",
                details,
            )
        } else {
            new(
                &format!("2026-11-{day:02}T{:02}:30:00", n % 24),
                event_type,
                "pre-commit",
                details,
            )
        };
        text.push_str(&line);
        text.push('\n');
        if n.is_multiple_of(1000) {
            text.push_str("garbage\n");
        }
        // Some bypasses get a label, all at the end of the log: a part
        // read by another thread than its bypass's.
        if event_type == "bypass_review" {
            let id = enforce::event::chain::hash(line.as_bytes())[..16].to_string();
            if n % 50 == 3 {
                let judgement = if n % 100 == 3 { "justified" } else { "unjustified" };
                labels.push(new(
                    "2026-11-21T11:00:00",
                    "bypass_labeled",
                    "enforce label",
                    json!({"label": judgement, "bypass": {"id": id}}),
                ));
                labelled.insert(id.clone());
            }
            bypass_ids.push(id);
        }
        n += 1;
    }
    for label in &labels {
        text.push_str(label);
        text.push('\n');
    }
    std::fs::write(&log, text).unwrap();
    let report = |threads: &str, args: &[&str]| {
        let mut cmd = sandbox.enforce(sandbox.path());
        cmd.env("ENFORCE_NOW", NOW)
            .env("ENFORCE_REPORT_THREADS", threads)
            .env("GIT_CEILING_DIRECTORIES", sandbox.path())
            .arg("--events-file")
            .arg(&log)
            .args(args);
        let ran = run(&mut cmd);
        assert!(ran.code == 0 || ran.code == 1, "{}", ran.stderr);
        ran.stdout
    };
    for args in [
        &["stats", "--days", "30", "--json"][..],
        &["stats", "--days", "30", "--by", "rule", "--json"],
        &["events", "--days", "30", "--limit", "50", "--json"],
        &["score", "--json"],
        &["alert", "--json"],
        &["dashboard", "--json"],
        &["metrics"],
    ] {
        let one = report("1", args);
        let two = report("2", args);
        assert_eq!(one, two, "{args:?} differs between one and two threads");
    }
    let stats: Value = serde_json::from_str(&report("2", &["stats", "--days", "30", "--json"])).unwrap();
    assert_eq!(stats["malformed"].as_u64().unwrap(), n.div_ceil(1000));
    let bypasses = &stats["bypasses"];
    assert_eq!(
        bypasses["justified"].as_u64().unwrap() + bypasses["unjustified"].as_u64().unwrap(),
        bypass_ids.iter().filter(|id| labelled.contains(*id)).count() as u64,
        "every label counts, in whichever part its bypass was (a line repeated byte for byte is the same bypass): {bypasses}"
    );
}

#[test]
fn a_bad_clock_or_a_non_file_log_is_a_clear_error() {
    let reports = Reports::new(&[]);
    reports
        .test(&["stats"])
        .env("ENFORCE_NOW", "yesterday")
        .status(2)
        .stderr("enforce: ENFORCE_NOW=`yesterday` is not an RFC 3339 time\nhint: e.g. ENFORCE_NOW=2026-11-21T12:00:00+00:00, or unset it to report as of now\n")
        .run();

    for args in [&["stats"][..], &["verify"], &["cleanup"]] {
        reports
            .sandbox
            .test(reports.sandbox.path())
            .arg("--events-file")
            .arg("/dev/zero")
            .args(args)
            .status(2)
            .stderr("enforce: the events file `/dev/zero` is not a regular file\nhint: point --events-file, ENFORCE_EVENTS_FILE or [telemetry] events_file at a file\n")
            .run();
    }
}
