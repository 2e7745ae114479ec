//! The log as data that must not be lost: torn and garbage lines, the
//! predecessor's naive timestamps, and many writers at once.

use std::fs;
use std::io::Write;

use enforce::event::{EventLog, scan};

use crate::support::{Sandbox, lines};

const PREDECESSOR_LOG: &str = concat!(
    r#"{"timestamp": "2025-01-15T10:30:00.123456", "event_type": "import_blocked", "source": "guards.py", "details": {"module": "requests", "reason": "Direct HTTP requests prohibited"}}"#,
    "\n",
    r#"{"timestamp": "2025-01-15T10:31:00", "event_type": "commit_completed", "source": "post-commit", "details": {"commit_sha": "abc1234", "branch": "main", "files_changed": 5}}"#,
    "\n",
    r#"{"timestamp": "2025-01-15 10:32:00.5", "event_type": "bypass_review", "source": "pre-commit", "details": {}}"#,
    "\n",
);

#[test]
fn malformed_and_torn_lines_are_counted_and_the_next_append_starts_a_new_line() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let path = repo.events_file();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(PREDECESSOR_LOG.as_bytes()).unwrap();
    file.write_all(b"this is not json\n").unwrap();
    // A crash mid-write: no newline at the end.
    file.write_all(br#"{"timestamp":"2026-11-21T10:00:00.000000+00:00","event_type":"commit_comp"#)
        .unwrap();
    drop(file);

    sandbox
        .test(&repo.root)
        .args(["record", "import_blocked", "-s", "guards.py"])
        .run();

    let all = lines(&path);
    assert_eq!(all.len(), 6, "{all:#?}");
    assert!(all[4].ends_with("commit_comp"), "the torn line is kept as it was");
    assert!(
        all[5].starts_with(r#"{"timestamp":""#),
        "the new event is on its own line"
    );

    let mut types = Vec::new();
    let reader = scan::events(&EventLog::new(&path), |e| types.push(e.event_type)).unwrap();
    assert_eq!(
        types,
        [
            "import_blocked",
            "commit_completed",
            "bypass_review",
            "import_blocked"
        ]
    );
    assert_eq!(reader.malformed, 2);
    assert_eq!(reader.first_malformed_line, Some(4));
}

#[test]
fn predecessor_naive_timestamps_are_read() {
    let sandbox = Sandbox::new();
    let path = sandbox.path().join("data/enforcement_events.jsonl");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, PREDECESSOR_LOG).unwrap();
    let mut events = Vec::new();
    let reader = scan::events(&EventLog::new(&path), |e| events.push(e)).unwrap();
    assert_eq!(reader.malformed, 0);
    let stamps: Vec<_> = events
        .iter()
        .map(|e| e.timestamp.naive_local().to_string())
        .collect();
    assert_eq!(
        stamps,
        [
            "2025-01-15 10:30:00.123456",
            "2025-01-15 10:31:00",
            "2025-01-15 10:32:00.500"
        ]
    );
    assert_eq!(events[0].details["module"], "requests");
}

#[test]
#[ignore = "scale tier: .ci/run runs it optimized (--profile scale)"]
fn concurrent_records_never_interleave_or_lose_a_line() {
    const PROCESSES: usize = 8;
    const EACH: usize = 200;
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    std::thread::scope(|scope| {
        for writer in 0..PROCESSES {
            let sandbox = &sandbox;
            let repo = &repo;
            scope.spawn(move || {
                for n in 0..EACH {
                    sandbox
                        .test(&repo.root)
                        .args(["record", "import_blocked", "-s", "stress"])
                        .args([
                            "--detail",
                            &format!("writer:={writer}"),
                            "--detail",
                            &format!("n:={n}"),
                        ])
                        .args(["--detail", &format!("padding={}", "x".repeat(512))])
                        .run();
                }
            });
        }
    });

    let all = lines(&repo.events_file());
    assert_eq!(all.len(), PROCESSES * EACH);
    let mut seen = vec![vec![false; EACH]; PROCESSES];
    for line in &all {
        let event: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let writer = event["details"]["writer"].as_u64().unwrap() as usize;
        let n = event["details"]["n"].as_u64().unwrap() as usize;
        assert!(!seen[writer][n], "duplicate {writer}/{n}");
        seen[writer][n] = true;
    }
    let mut count = 0;
    let reader = scan::events(&EventLog::new(repo.events_file()), |_| count += 1).unwrap();
    assert_eq!(count, PROCESSES * EACH);
    assert_eq!(reader.malformed, 0);
}

/// A reader of the log as the predecessor's scripts read it: each line's
/// `timestamp` through `datetime.fromisoformat` and compared with a naive
/// cutoff. An offset in any line makes that comparison raise (Python does
/// not compare naive and aware times), and the reader dies.
const PREDECESSOR_READER: &str = r#"
import json, sys
from datetime import datetime, timedelta

path, now, days = sys.argv[1], datetime.fromisoformat(sys.argv[2]), int(sys.argv[3])
cutoff = now - timedelta(days=days)
counts = {}
with open(path) as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
            event_time = datetime.fromisoformat(event.get("timestamp", ""))
            if event_time >= cutoff:
                kind = event.get("event_type", "unknown")
                counts[kind] = counts.get(kind, 0) + 1
        except (json.JSONDecodeError, ValueError):
            pass
print(json.dumps(counts, sort_keys=True))
"#;

#[test]
fn the_predecessors_reader_reads_a_cleaned_naive_log() {
    let Some(python) = crate::ecosystem::tool("python3", "python3") else {
        return;
    };
    let now = "2026-11-21T12:00:00+00:00";
    let sandbox = Sandbox::new();
    let reader = sandbox.path().join("reader.py");
    fs::write(&reader, PREDECESSOR_READER).unwrap();
    let read = |log: &std::path::Path| {
        std::process::Command::new(&python)
            .arg(&reader)
            .arg(log)
            .args(["2026-11-21T12:00:00", "7"])
            .output()
            .unwrap()
    };
    let old_and_new = concat!(
        r#"{"timestamp": "2026-09-01T10:00:00.123456", "event_type": "import_blocked", "source": "guards.py", "details": {"module": "requests"}}"#,
        "\n",
        r#"{"timestamp": "2026-09-02T10:00:00", "event_type": "commit_completed", "source": "post-commit"}"#,
        "\n",
        r#"{"timestamp": "2026-11-20T10:00:00", "event_type": "violation_detected", "source": "violation_watcher.py", "details": {"rule": "web-access-policy"}}"#,
        "\n",
        r#"{"timestamp": "2026-11-21T09:30:00.5", "event_type": "import_blocked", "source": "guards.py", "details": {"module": "httpx"}}"#,
        "\n",
    );

    // A team still running the predecessor's scripts: naive timestamps,
    // and the predecessor's log, which is then the repository's log.
    for (format, reader_survives) in [("naive", true), ("rfc3339", false)] {
        let repo = sandbox.repo(format);
        repo.write(
            ".enforce.toml",
            &format!("[telemetry]\ntimestamp_format = \"{format}\"\n"),
        );
        repo.write("data/enforcement_events.jsonl", old_and_new);
        let log = repo.path("data/enforcement_events.jsonl");
        assert!(read(&log).status.success(), "the predecessor reads its own log");

        sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", now)
            .args(["cleanup", "--days", "30"])
            .stdout_ignored()
            .stderr_ignored()
            .run();
        sandbox
            .test(&repo.root)
            .args([
                "record",
                "import_blocked",
                "-s",
                "guards.py",
                "--detail",
                "module=urllib3",
            ])
            .run();
        let text = fs::read_to_string(&log).unwrap();
        assert!(text.contains("\"event_type\":\"log_checkpoint\""), "{text}");
        assert!(!text.contains("2026-09-0"), "the old events are gone: {text}");

        let out = read(&log);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !reader_survives {
            // The offset enforce writes by default is what the predecessor
            // cannot read: the reason for `timestamp_format = "naive"`.
            assert!(!out.status.success(), "{format}: the reader should fail");
            assert!(
                stderr.contains("can't compare offset-naive and offset-aware datetimes"),
                "{stderr}"
            );
            continue;
        }
        assert!(
            out.status.success(),
            "{format}: the predecessor's reader failed:\n{stderr}"
        );
        let mut counted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        // The reader counts the checkpoint as an event when it is recent;
        // enforce's reports leave it out. Everything else agrees.
        counted.as_object_mut().unwrap().remove("log_checkpoint");
        let ran = sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", now)
            .args(["stats", "--json"])
            .stdout_ignored()
            .run();
        let stats: serde_json::Value = serde_json::from_str(&ran.stdout).unwrap();
        assert_eq!(counted, stats["by_type"], "{text}");
        assert_eq!(stats["by_type"]["violation_detected"], 1);
    }
}
