//! One summary per hook run, the attempt id that ties a commit's events
//! together, and what every event says of who wrote it: enforce's version
//! and the agent runtime the environment shows.

use serde_json::Value;

use crate::hookrepo::{HookRepo, Recorded};

const CONTENT_RULE: &str = r#"
[[rules.content]]
name = "no-todo"
pattern = 'TODO'
mode = "audit"
"#;

fn rules(summary: &Recorded) -> Vec<(String, String, String)> {
    summary.details["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(r["duration_ms"].as_f64().unwrap() >= 0.0, "{r}");
            (
                r["rule"].as_str().unwrap().to_string(),
                r["mode"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rule(name: &str, mode: &str, outcome: &str) -> (String, String, String) {
    (name.into(), mode.into(), outcome.into())
}

fn counts(summary: &Recorded) -> [u64; 4] {
    ["passed", "denied", "skipped", "audit_only"].map(|k| summary.details[k].as_u64().unwrap())
}

#[test]
fn every_hook_of_a_commit_records_one_summary_with_its_rules() {
    let repo = HookRepo::new(CONTENT_RULE);
    repo.stage("a.txt", "TODO: later\n");
    repo.approve();
    repo.commit("a").stderr_ignored().run();

    let summaries = repo.summaries();
    let hooks: Vec<&str> = summaries
        .iter()
        .map(|s| s.details["hook"].as_str().unwrap())
        .collect();
    assert_eq!(hooks, ["pre-commit", "commit-msg", "post-commit"]);
    for s in &summaries {
        assert_eq!(s.source, s.details["hook"].as_str().unwrap());
        assert_eq!(s.details["operation"], "commit");
        assert!(
            s.details["duration_ms"].as_f64().unwrap() > 0.0,
            "{:?}",
            s.details
        );
    }
    let [pre, msg, post] = &summaries[..] else {
        unreachable!()
    };
    assert_eq!(
        rules(pre),
        [
            rule("review", "enforce", "approved"),
            rule("no-todo", "audit", "audit")
        ]
    );
    assert_eq!(pre.details["rules"][1]["hits"], 1);
    assert_eq!(counts(pre), [1, 0, 0, 1]);
    assert_eq!(pre.details["action"], "audited");
    assert_eq!(rules(msg), [rule("agent-trailer", "enforce", "passed")]);
    assert_eq!(counts(msg), [1, 0, 0, 0]);
    assert_eq!(msg.details["action"], "allowed");
    // post-commit judged nothing again: both hooks ran.
    assert_eq!(rules(post), []);
    assert_eq!(post.details["commit_sha"], repo.head());
    assert_eq!(post.details["action"], "allowed");

    // One attempt id across the commit's events and its receipt.
    let attempt = pre.details["attempt_id"].as_str().unwrap().to_string();
    // (The approval came before the attempt.)
    let all: Vec<Recorded> = repo
        .every_event()
        .into_iter()
        .filter(|e| e.event_type != "review_approved")
        .collect();
    assert_eq!(all.len(), 7);
    assert!(
        all.iter().all(|e| e.details["attempt_id"] == attempt.as_str()),
        "{all:?}"
    );
    let receipt: Value =
        serde_json::from_str(&repo.git(&["notes", "--ref=enforce", "show", "HEAD"])).unwrap();
    assert_eq!(receipt["attempt"], attempt.as_str());
}

#[test]
fn a_blocked_commit_summarises_the_denial_before_the_anchor_moves() {
    let repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.commit("a").status(1).stderr_ignored().run();
    let summaries = repo.summaries();
    assert_eq!(summaries.len(), 1, "{summaries:?}");
    let pre = &summaries[0];
    assert_eq!(rules(pre), [rule("review", "enforce", "blocked")]);
    assert_eq!(counts(pre), [0, 1, 0, 0]);
    assert_eq!(pre.details["action"], "blocked");
    // The summary is the log's last line, and the anchor covers it.
    let last = repo.every_event().pop().unwrap();
    assert_eq!(last.event_type, "hook_summary");
    repo.test().args(["verify"]).stdout_ignored().run();
}

#[test]
fn a_skipped_check_and_a_no_verify_commit_are_summarised_as_bypassed() {
    let repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.commit("a")
        .env("PILOT_SKIP_REVIEW", "1")
        .stderr_ignored()
        .run();
    let pre = repo.summaries().remove(0);
    assert_eq!(rules(&pre), [rule("review", "enforce", "bypassed")]);
    assert_eq!(counts(&pre), [0, 0, 1, 0]);
    assert_eq!(pre.details["action"], "bypassed");

    repo.stage("b.txt", "b\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "b"])
        .stderr_ignored()
        .run();
    let post = repo.summaries().pop().unwrap();
    assert_eq!(post.details["hook"], "post-commit");
    assert_eq!(
        rules(&post),
        [
            rule("review", "enforce", "skipped"),
            rule("agent-trailer", "enforce", "skipped")
        ]
    );
    assert_eq!(
        post.details["hooks_skipped"],
        serde_json::json!(["pre-commit", "commit-msg"])
    );
    assert_eq!(post.details["action"], "bypassed");
}

#[test]
fn detail_summary_folds_the_passes_into_the_summary_and_keeps_every_bypass() {
    let repo = HookRepo::new("[telemetry]\ndetail = \"summary\"\n");
    repo.commit_reviewed("a.txt", "a\n");
    let mut repo = repo;
    assert_eq!(
        repo.new_types(),
        ["review_approved", "commit_completed"],
        "no commit_review_required for a pass"
    );
    repo.stage("b.txt", "b\n");
    repo.commit("b")
        .env("PILOT_SKIP_REVIEW", "1")
        .stderr_ignored()
        .run();
    assert_eq!(repo.new_types(), ["bypass_review", "commit_completed"]);
    repo.stage("c.txt", "c\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "c"])
        .stderr_ignored()
        .run();
    assert_eq!(
        repo.new_types(),
        [
            "commit_review_bypassed",
            "bypass_agent_trailer",
            "commit_completed"
        ]
    );
    // The summaries are all there: three a commit, one for the commit
    // that skipped pre-commit and commit-msg.
    assert_eq!(repo.summaries().len(), 7);
}

#[test]
fn events_attempt_lists_one_commit_attempt() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    let summaries = repo.summaries();
    let first = summaries[0].details["attempt_id"].as_str().unwrap();
    let second = summaries.last().unwrap().details["attempt_id"].as_str().unwrap();
    assert_ne!(first, second);

    let listed = repo.json(&["events", "--attempt", first, "--json"]);
    let events = listed["events"].as_array().unwrap();
    let mut types: Vec<&str> = events.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "commit_completed",
            "commit_review_required",
            "hook_summary",
            "hook_summary",
            "hook_summary"
        ]
    );
    assert!(events.iter().all(|e| e["details"]["attempt_id"] == first));

    let text = repo.enforce(&["events", "--attempt", first]);
    assert!(
        text.stdout.starts_with(&format!("Events of attempt {first}\n")),
        "{}",
        text.stdout
    );
    let none = repo.enforce(&["events", "--attempt", "0000"]);
    assert!(none.stdout.contains("No matching events."), "{}", none.stdout);
}

#[test]
fn every_event_names_the_enforce_and_the_agent_runtime_that_wrote_it() {
    let repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.commit("a").env("CLAUDECODE", "1").stderr_ignored().run();
    let events = repo.every_event();
    let version = env!("CARGO_PKG_VERSION");
    for e in &events {
        assert_eq!(e.details["enforce_version"], version, "{e:?}");
    }
    // The approval ran outside the agent's shell; the commit inside it.
    let (outside, inside): (Vec<&Recorded>, Vec<&Recorded>) =
        events.iter().partition(|e| e.event_type == "review_approved");
    assert!(outside.iter().all(|e| e.details.get("agent_runtime").is_none()));
    assert!(
        inside.iter().all(|e| e.details["agent_runtime"] == "claude-code"),
        "{inside:?}"
    );

    // A tool cannot claim a runtime enforce did not see.
    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .args(["--detail", "agent_runtime=codex", "--detail", "enforce_version=9"])
        .run();
    let recorded = repo.every_event().pop().unwrap();
    assert_eq!(recorded.details.get("agent_runtime"), None);
    assert_eq!(recorded.details["enforce_version"], version);
}

#[test]
fn a_trailer_naming_another_agent_than_the_runtime_is_an_agent_mismatch() {
    let mut repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.new_events();
    repo.git_test(&["commit", "-q", "-m", "a", "-m", "Agent: codex"])
        .env("CLAUDECODE", "1")
        .stderr_contains("recorded as `agent_mismatch`")
        .run();
    let mismatch: Vec<Recorded> = repo
        .new_events()
        .into_iter()
        .filter(|e| e.event_type == "agent_mismatch")
        .collect();
    assert_eq!(mismatch.len(), 1);
    let d = &mismatch[0].details;
    assert_eq!(d["runtime"], "claude-code");
    assert_eq!(d["runtime_variable"], "CLAUDECODE=1");
    assert_eq!(d["trailer_agent"], "codex");
    assert_eq!(d["trailer"], "Agent");
    assert_eq!(d["commit_sha"], repo.head());

    // The agent naming itself is no mismatch.
    repo.stage("b.txt", "b\n");
    repo.approve();
    repo.git_test(&["commit", "-q", "-m", "b", "-m", "Agent: Claude Code"])
        .env("CLAUDECODE", "1")
        .run();
    assert!(!repo.new_types().iter().any(|t| t == "agent_mismatch"));

    // Nor is a pick of a commit another agent made: its message is the old one.
    let codex = repo.git(&["rev-parse", "HEAD~1"]).trim().to_string();
    repo.git(&["checkout", "-q", "--orphan", "side"]);
    repo.git(&["rm", "-rqf", "."]);
    repo.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "base",
    ]);
    repo.new_events();
    repo.git_test(&["cherry-pick", &codex])
        .env("CLAUDECODE", "1")
        .stdout_ignored()
        .stderr_ignored()
        .run();
    let types = repo.new_types();
    assert!(types.iter().any(|t| t == "commit_completed"), "{types:?}");
    assert!(!types.iter().any(|t| t == "agent_mismatch"), "{types:?}");
}

#[test]
fn an_agent_skipping_the_trailer_is_an_agent_mismatch() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "a"])
        .env("GEMINI_CLI", "1")
        .env("PILOT_SKIP_AGENT_TRAILER", "1")
        .stderr_ignored()
        .run();
    let types = repo.new_types();
    assert!(types.contains(&"bypass_agent_trailer".to_string()), "{types:?}");
    let mismatch = repo
        .all_events()
        .into_iter()
        .find(|e| e.event_type == "agent_mismatch")
        .expect("agent_mismatch");
    assert_eq!(mismatch.details["runtime"], "gemini-cli");
    assert_eq!(mismatch.details["skipped_by"], "PILOT_SKIP_AGENT_TRAILER");

    // --no-verify the same.
    repo.stage("b.txt", "b\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "b"])
        .env("CURSOR_AGENT", "1")
        .stderr_ignored()
        .run();
    let mismatch = repo
        .new_events()
        .into_iter()
        .find(|e| e.event_type == "agent_mismatch");
    assert_eq!(
        mismatch.expect("agent_mismatch").details["skipped_by"],
        "hooks skipped"
    );

    // A person's commit (no runtime in the environment) is none.
    repo.stage("c.txt", "c\n");
    repo.git_test(&["commit", "-q", "-m", "c"])
        .env("PILOT_SKIP_AGENT_TRAILER", "1")
        .stderr_ignored()
        .run();
    assert!(!repo.new_types().iter().any(|t| t == "agent_mismatch"));
}

#[test]
fn an_agent_named_by_a_preset_trailer_is_compared_with_the_runtime() {
    let mut repo =
        HookRepo::new("[review]\nmode = \"off\"\n[agent_trailer]\npresets = [\"co-authored-by\"]\n");
    repo.stage("a.txt", "a\n");
    repo.git_test(&[
        "commit",
        "-q",
        "-m",
        "a",
        "-m",
        "Co-authored-by: Claude Opus 4.7 <noreply@anthropic.com>",
    ])
    .env("CLAUDECODE", "1")
    .run();
    let types = repo.new_types();
    assert!(!types.iter().any(|t| t == "agent_mismatch"), "{types:?}");

    repo.stage("b.txt", "b\n");
    repo.git_test(&[
        "commit",
        "-q",
        "-m",
        "b",
        "-m",
        "Co-authored-by: Claude <noreply@anthropic.com>",
    ])
    .env("CODEX_THREAD_ID", "0199a2b1-0000-7000-8000-000000000000")
    .stderr_contains("recorded as `agent_mismatch`")
    .run();
    let mismatch = repo
        .new_events()
        .into_iter()
        .find(|e| e.event_type == "agent_mismatch")
        .expect("agent_mismatch");
    assert_eq!(mismatch.details["runtime"], "codex");
    assert_eq!(mismatch.details["trailer"], "Co-authored-by");
    assert_eq!(mismatch.details["trailer_agent"], "claude-code");
}
