//! Trust: the chained log and its head ref, `enforce status`, `enforce
//! audit`, and rule weakening as an event.

use serde_json::Value;

use crate::hookrepo::{HookRepo, find, types};
use crate::support::Test;

fn lines(repo: &HookRepo) -> Vec<Value> {
    std::fs::read_to_string(repo.repo.events_file())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `enforce verify` on an intact log: `counts` of its lines, the head at
/// `seq` (its hash depends on the times in the log) and what the ref says.
fn verify_intact(repo: &HookRepo, counts: &str, seq: u64, reference: &str) {
    repo.test()
        .arg("verify")
        .redact(repo.sandbox.path(), "[SANDBOX]")
        .stdout_matches(&format!(
            r"\[SANDBOX\]/repo/\.git/enforce/events\.jsonl: {}\nhead: sequence {seq} \([0-9a-f]{{12}}\); {}\nintact: every link holds\n",
            regex::escape(counts),
            regex::escape(reference)
        ))
        .run();
}

/// Records `count` events `x`, numbered in their details.
fn record_numbered(repo: &HookRepo, count: usize) {
    for n in 0..count {
        repo.test()
            .args(["record", "x", "-s", "t", "--detail", &format!("n:={n}")])
            .run();
    }
}

#[test]
fn every_appended_line_is_chained_and_the_head_is_kept_in_a_ref() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .run();
    // The commit: pre-commit's and commit-msg's summaries, post-commit's
    // `commit_completed` and summary; then the recorded event.
    let all = lines(&repo);
    assert_eq!(all.len(), 5);
    assert_eq!(all[4]["event_type"], "import_blocked");
    assert_eq!(all[0]["prev"], "0".repeat(64));
    let text = std::fs::read_to_string(repo.repo.events_file()).unwrap();
    let raw: Vec<&str> = text.lines().collect();
    for (i, line) in all.iter().enumerate() {
        assert_eq!(line["seq"], i + 1);
        if i > 0 {
            assert_eq!(line["prev"], enforce::event::chain::hash(raw[i - 1].as_bytes()));
        }
    }

    let head = repo.git(&["cat-file", "-p", "refs/enforce/head"]);
    let last_hash = enforce::event::chain::hash(raw[4].as_bytes());
    let first_hash = enforce::event::chain::hash(raw[0].as_bytes());
    assert_eq!(
        head,
        format!(
            "enforce log head\nseq 5\nhash {last_hash}\nfile {}\nfirst {first_hash}\ncheckpoints\n",
            repo.repo.events_file().display()
        )
    );

    verify_intact(
        &repo,
        "5 line(s): 5 chained, 0 unchained, 0 unreadable, 0 checkpoint(s)",
        5,
        "refs/enforce/head records sequence 5",
    );
}

/// Another tool writing to the same log between two appends, however much,
/// leaves the chain intact: the sequence goes on from the last chained line.
#[test]
fn lines_other_tools_append_in_between_do_not_break_the_sequence() {
    use std::io::Write;
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.test().args(["record", "first", "-s", "x"]).run();
    let mut foreign = String::new();
    for i in 0..12_000 {
        foreign.push_str(&format!(
            "{{\"timestamp\": \"2026-11-20T10:00:00\", \"event_type\": \"import_blocked\", \"source\": \"guards.py\", \"details\": {{\"n\": {i}, \"seq\": \"not a link\"}}}}\n"
        ));
    }
    foreign.push_str(&format!(
        "{{\"event_type\": \"x\", \"pad\": \"{}\"}}\n",
        "p".repeat(3 << 20)
    ));
    assert!(foreign.len() > 4 << 20);
    std::fs::OpenOptions::new()
        .append(true)
        .open(repo.repo.events_file())
        .unwrap()
        .write_all(foreign.as_bytes())
        .unwrap();
    repo.test().args(["record", "second", "-s", "x"]).run();
    assert_eq!(lines(&repo).last().unwrap()["seq"], 2);
    verify_intact(
        &repo,
        "12003 line(s): 2 chained, 12001 unchained, 0 unreadable, 0 checkpoint(s)",
        2,
        "refs/enforce/head records sequence 2",
    );
}

#[test]
fn a_deleted_log_started_anew_is_caught_through_the_ref() {
    let repo = HookRepo::new("");
    record_numbered(&repo, 5);
    std::fs::remove_file(repo.repo.events_file()).unwrap();
    repo.test()
        .arg("status")
        .status(1)
        .stdout_contains("is gone, but refs/enforce/head records a log of 5 chained event(s)")
        .run();
    // More events than before: the ref does not follow the new log.
    for _ in 0..7 {
        repo.test()
            .args(["record", "y", "-s", "t"])
            .redact(repo.sandbox.path(), "[SANDBOX]")
            .stderr(
                "enforce: warning: [SANDBOX]/repo/.git/enforce/events.jsonl does not start with the line `refs/enforce/head` recorded: the log was replaced or cut at the start
hint: `enforce verify` shows why; if the log is as it should be, `enforce verify --reanchor` anchors it (recorded as `log_reanchored`)
",
            )
            .run();
    }
    let report = repo.json_exiting(1, &["verify", "--json"]);
    assert_eq!(report["problems"][0]["kind"], "replaced");
    // Deleting the ref does not accept it: the log has events and no
    // anchor, and appends do not create one.
    repo.git(&["update-ref", "-d", "refs/enforce/head"]);
    repo.test()
        .args(["record", "z", "-s", "t"])
        .stderr_contains("has events but no `refs/enforce/head`")
        .run();
    let report = repo.json_exiting(1, &["verify", "--json"]);
    assert_eq!(report["problems"][0]["kind"], "unanchored", "{report:#}");
    // Accepting the new log on purpose is recorded.
    repo.test()
        .args(["verify", "--reanchor"])
        .stdout_ignored()
        .stderr("enforce: refs/enforce/head now anchors the log as it is (recorded as `log_reanchored`)\n")
        .run();
    verify_intact(
        &repo,
        "9 line(s): 9 chained, 0 unchained, 0 unreadable, 0 checkpoint(s)",
        9,
        "refs/enforce/head records sequence 9",
    );
}

#[test]
fn truncating_the_tail_is_caught_through_the_ref() {
    let repo = HookRepo::new("");
    record_numbered(&repo, 4);
    let path = repo.repo.events_file();
    let text = std::fs::read_to_string(&path).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&path, format!("{}\n", kept.join("\n"))).unwrap();
    let report = repo.json_exiting(1, &["verify", "--json"]);
    assert_eq!(report["problems"][0]["kind"], "truncated");
    assert_eq!(
        report["problems"][0]["message"],
        "the log ends at sequence 2, but refs/enforce/head records sequence 4: lines were removed from the end"
    );
}

#[test]
fn a_cleaned_log_still_verifies_and_appends_continue_the_chain() {
    let repo = HookRepo::new("");
    let path = repo.repo.events_file();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    record_numbered(&repo, 3);
    // Age the first two events by rewriting their timestamps through the
    // chain's own rules: rebuild the log with old stamps.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rebuilt = String::new();
    let mut prev = "0".repeat(64);
    for (i, line) in text.lines().enumerate() {
        let mut value: Value = serde_json::from_str(line).unwrap();
        if i < 2 {
            value["timestamp"] = Value::from("2020-01-01T00:00:00.000000+00:00");
        }
        value["prev"] = Value::from(prev.clone());
        let line = serde_json::to_string(&value).unwrap();
        prev = enforce::event::chain::hash(line.as_bytes());
        rebuilt.push_str(&line);
        rebuilt.push('\n');
    }
    std::fs::write(&path, rebuilt).unwrap();
    // The rebuilt start is accepted on purpose (and that is recorded).
    repo.test()
        .args(["verify", "--reanchor"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    verify_intact(
        &repo,
        "4 line(s): 4 chained, 0 unchained, 0 unreadable, 0 checkpoint(s)",
        4,
        "refs/enforce/head records sequence 4",
    );

    let report = repo.json(&["cleanup", "--json"]);
    assert_eq!(
        (report["removed"].as_u64(), report["checkpoints"].as_u64()),
        (Some(2), Some(1))
    );
    let verified = repo.json(&["verify", "--json"]);
    assert_eq!(verified["checkpoints"], 1);
    assert_eq!(verified["chained"], 2);

    repo.test().args(["record", "x", "-s", "t"]).run();
    let last: Value =
        serde_json::from_str(std::fs::read_to_string(&path).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["seq"], 5);
    verify_intact(
        &repo,
        "4 line(s): 3 chained, 0 unchained, 0 unreadable, 1 checkpoint(s)",
        5,
        "refs/enforce/head records sequence 5",
    );
    // Reports do not count the checkpoint.
    let stats = repo.json(&["stats", "--json"]);
    assert!(stats["by_type"].get("log_checkpoint").is_none(), "{stats}");
}

#[test]
fn status_says_what_is_in_force_and_how_to_fix_what_is_not() {
    let repo = HookRepo::new("");
    repo.git(&["add", "-f", ".enforce.toml"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", "config", "-m", "Agent: x"]);
    let ran = repo.test().arg("status").stdout_ignored().run();
    for expected in [
        "OK   binary",
        "OK   hook pre-commit        installed, runs ",
        "OK   hook post-merge        installed",
        "OK   config",
        "OK   events file",
        "OK   chain                  intact",
        "enforcement is in force",
    ] {
        assert!(
            ran.stdout.contains(expected),
            "missing {expected:?}:\n{}",
            ran.stdout
        );
    }

    // Break things one at a time.
    std::fs::remove_file(repo.path(".git/hooks/commit-msg")).unwrap();
    crate::support::write_script(&repo.path(".git/hooks/post-commit"), "exit 0");
    std::fs::write(repo.path(".enforce.toml"), "[review]\nmode = \"audit\"\n").unwrap();
    let status = repo.json_exiting(1, &["status", "--json"]);
    assert_eq!(status["ok"], false);
    let by_name = |name: &str| {
        status["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check in {status}"))
            .clone()
    };
    assert_eq!(by_name("hook commit-msg")["status"], "fail");
    assert_eq!(by_name("hook commit-msg")["fix"], "enforce install");
    assert_eq!(by_name("hook post-commit")["status"], "fail");
    assert!(
        by_name("hook post-commit")["detail"]
            .as_str()
            .unwrap()
            .contains("is not an enforce hook")
    );
    assert_eq!(by_name("committed config")["status"], "warn");

    // A binary that moved away: commits would fail, status says so.
    let fresh = HookRepo::new("");
    let moved = fresh.sandbox.copied_binary();
    Test::new(fresh.sandbox.command(&moved, fresh.root()))
        .arg("install")
        .stdout_ignored()
        .run();
    std::fs::remove_file(&moved).unwrap();
    fresh
        .test()
        .arg("status")
        .status(1)
        .stdout_contains("which is missing: commits fail")
        .run();

    // A broken config and a broken chain are failures too.
    std::fs::write(fresh.path(".enforce.toml"), "[review]\nmood = 1\n").unwrap();
    fresh
        .test()
        .arg("status")
        .status(1)
        .stdout_contains("FAIL config")
        .stdout_contains(".enforce.toml:2:1: unknown field `mood`")
        .run();
}

#[test]
fn rule_weakening_is_recorded_and_counted_like_a_bypass() {
    let mut repo = HookRepo::new("");
    // The config is tracked for this test.
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.write(
        ".enforce.toml",
        "[review]\nrequired = true\n[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\n",
    );
    repo.git(&["add", ".enforce.toml"]);
    repo.approve();
    repo.commit("rules").run();
    let events = repo.new_events();
    let changed = find(&events, "config_changed");
    assert!(
        changed.details["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["weakens"] == false),
        "{events:#?}"
    );
    assert!(
        events.iter().all(|e| e.event_type != "rule_weakened"),
        "{events:#?}"
    );

    repo.write(".enforce.toml", "[review]\nmode = \"audit\"\n");
    repo.git(&["add", ".enforce.toml"]);
    repo.approve();
    repo.commit("relax the rules")
        .stderr(
            "enforce: warning: this commit weakens `review` (mode: enforce → audit); recorded as `rule_weakened`
enforce: warning: this commit weakens `review` (required: true → false); recorded as `rule_weakened`
enforce: warning: this commit weakens `no-todo` (rule: defined → removed); recorded as `rule_weakened`
",
        )
        .run();
    let events = repo.new_events();
    let weakened: Vec<(String, String)> = events
        .iter()
        .filter(|e| e.event_type == "rule_weakened")
        .map(|e| {
            (
                e.details["rule"].as_str().unwrap().to_string(),
                e.details["setting"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        weakened,
        [
            ("review".to_string(), "mode".to_string()),
            ("review".to_string(), "required".to_string()),
            ("no-todo".to_string(), "rule".to_string()),
        ]
    );
    assert_eq!(
        find(&events, "rule_weakened").details["bypass_method"],
        "config change"
    );
    assert!(types(&events).contains(&"config_changed"));

    let score = repo.json(&["score", "--json"]);
    assert_eq!(score["breakdown"]["bypasses"]["current_week"], 3);
    assert_eq!(score["rating"], "critical");
    let named = "enforce: events from [REPO]/.git/enforce/events.jsonl\n";
    repo.test()
        .arg("alert")
        .redact(repo.root(), "[REPO]")
        .status(1)
        .stdout("[CRITICAL] Rules weakened 3 time(s) this week\n")
        .stderr(named)
        .run();
    let dashboard = repo
        .test()
        .arg("dashboard")
        .redact(repo.root(), "[REPO]")
        .stdout_ignored()
        .stderr(named)
        .run()
        .stdout;
    assert!(
        dashboard.contains("| bypass: rule weakened | rule_weakened | config change |"),
        "{dashboard}"
    );
}

/// The log is no evidence for audit: a commit the log records as reviewed
/// still offends when its receipt holds no approval, and deleting the log
/// changes nothing. (tests/integration/audit.rs has the rest.)
#[test]
fn audit_takes_nothing_from_the_log() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let base = repo.head();
    repo.commit_reviewed("b.txt", "b\n");
    repo.stage("c.txt", "c\n");
    repo.git(&["commit", "-q", "--no-verify", "-m", "sneak", "-m", "Agent: x"]);
    repo.stage("d.txt", "d\n");
    repo.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "no hooks",
        "-m",
        "Agent: x",
    ]);
    // Only a .gitignore: no review needed, but still a receipt.
    repo.stage(".gitignore", "*.log\n");
    repo.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "ignore",
        "-m",
        "Agent: x",
    ]);
    let range = format!("{base}..HEAD");
    let ran = repo
        .test()
        .args(["audit", &range])
        .status(1)
        .stdout_ignored()
        .run();
    let rows: Vec<&str> = ran.stdout.lines().collect();
    assert!(
        rows[0].ends_with(
            " sneak: review: bypassed with git commit --no-verify: the staged changes have not been reviewed"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        rows[1].ends_with(" no hooks: receipt: made without enforce's hooks (no receipt); review: not reviewed: without a receipt there is no approval"),
        "{}",
        ran.stdout
    );
    assert!(
        rows[2].ends_with(" ignore: receipt: made without enforce's hooks (no receipt)"),
        "{}",
        ran.stdout
    );
    assert_eq!(rows[3], format!("audit {range}: 3 of 4 commit(s) offend"));

    // Without the log, and with the old --no-log: the same.
    std::fs::remove_file(repo.repo.events_file()).unwrap();
    repo.test()
        .args(["audit", "--no-log", &range])
        .status(1)
        .stdout(ran.stdout.clone())
        .run();

    // Records nothing unless asked.
    assert!(!repo.repo.events_file().exists());
    repo.enforce(&["audit", "--record", &range]);
    let recorded = repo.all_events();
    assert_eq!(recorded.len(), 4);
    assert!(recorded.iter().all(|e| e.event_type == "audit_offence"));

    repo.test()
        .args(["audit", &format!("{base}..{base}")])
        .stdout(format!("audit {base}..{base}: all 0 commit(s) pass\n"))
        .run();
    repo.test()
        .args(["audit", "nosuchref..HEAD"])
        .status(2)
        .stderr("enforce: git failed while listing the commits of `nosuchref..HEAD`: fatal: bad revision 'nosuchref..HEAD'\n")
        .run();
}
