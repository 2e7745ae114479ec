//! Labelled bypasses: `enforce bypasses` lists what nobody has judged yet,
//! `enforce label` records a person's judgement as `bypass_labeled`, the
//! reports count unjustified bypasses apart (and, when configured, do not
//! let justified ones be critical), cleanup never removes a label, and the
//! labels export as CSV. Every bypass here is made by real commits through
//! the installed hooks.

use serde_json::{Value, json};

use crate::hookrepo::HookRepo;

/// One line of the log: its id (what `enforce bypasses` prints) and the
/// event.
struct Line {
    id: String,
    event: Value,
}

/// Every line of the repository's log, with its id.
fn lines(repo: &HookRepo) -> Vec<Line> {
    std::fs::read_to_string(repo.repo.events_file())
        .unwrap()
        .lines()
        .map(|line| Line {
            id: enforce::event::chain::hash(line.as_bytes())[..16].to_string(),
            event: serde_json::from_str(line).unwrap(),
        })
        .collect()
}

/// The lines of type `event_type`, in log order.
fn of_type(repo: &HookRepo, event_type: &str) -> Vec<Line> {
    lines(repo)
        .into_iter()
        .filter(|l| l.event["event_type"] == event_type)
        .collect()
}

/// A commit that skips the hooks: post-commit records it as
/// `commit_review_bypassed` (its message has the agent trailer).
fn no_verify(repo: &HookRepo, file: &str) {
    repo.stage(file, "x\n");
    repo.git_test(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        file,
        "-m",
        "Agent: test-agent",
    ])
    .stderr_ignored()
    .run();
}

/// A commit through `PILOT_SKIP_REVIEW=1`: pre-commit records
/// `bypass_review`, before the commit exists.
fn skip_review(repo: &HookRepo, file: &str) {
    repo.stage(file, "x\n");
    repo.commit(file)
        .env("PILOT_SKIP_REVIEW", "1")
        .stderr_ignored()
        .run();
}

/// What a text report says on stderr about the log it read.
fn named(repo: &HookRepo) -> String {
    format!("enforce: events from {}\n", repo.repo.events_file().display())
}

#[test]
fn bypasses_lists_the_unlabelled_and_label_records_who_when_and_why() {
    let mut repo = HookRepo::new("");
    skip_review(&repo, "a.txt");
    let skipped_commit = repo.head();
    no_verify(&repo, "b.txt");
    let sneaked = repo.head();
    repo.new_events();
    let skip = &of_type(&repo, "bypass_review")[0];
    let bypassed = &of_type(&repo, "commit_review_bypassed")[0];

    // Both are listed, newest first, with the commit each belongs to: the
    // skip variable's bypass through its attempt.
    let listed = repo.json(&["bypasses", "--json"]);
    assert_eq!(listed["schema"], 1);
    assert_eq!(
        listed["counts"],
        json!({"justified": 0, "unjustified": 0, "unlabelled": 2})
    );
    let rows = listed["bypasses"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [bypassed.id.as_str(), skip.id.as_str()]);
    assert_eq!(rows[0]["commit_sha"], sneaked.as_str());
    assert_eq!(rows[0]["category"], "skipped_hooks");
    assert_eq!(rows[0]["method"], "git commit --no-verify");
    assert_eq!(rows[0]["user"], "Test Agent <agent@example.com>");
    assert_eq!(rows[0]["agent"], "test-agent", "from its commit's trailer");
    assert_eq!(rows[0]["label"], Value::Null);
    assert_eq!(
        rows[1]["commit_sha"],
        skipped_commit.as_str(),
        "through the attempt"
    );
    assert_eq!(rows[1]["method"], "PILOT_SKIP_REVIEW=1");
    assert_eq!(rows[1]["category"], "env_skip");

    let text = repo
        .test()
        .args(["bypasses"])
        .stderr(named(&repo))
        .stdout_contains("Bypasses not labelled yet (last 30 days)\n")
        .stdout_contains(format!(
            "{}  {}  commit_review_bypassed (skipped_hooks)  {}  git commit --no-verify",
            bypassed.id,
            &bypassed.event["timestamp"].as_str().unwrap()[..16].replace('T', " "),
            &sneaked[..12]
        ))
        .stdout_contains("\n2 bypass(es), 2 not labelled yet; label one with `enforce label <ID|COMMIT> justified|unjustified --note TEXT`\n")
        .run()
        .stdout;
    assert!(text.contains("PILOT_SKIP_REVIEW=1"), "{text}");

    // Labelled by its commit: every bypass recorded for it.
    repo.test()
        .args(["label", "HEAD", "unjustified", "--note", "no reason given"])
        .stdout(format!(
            "labelled 1 bypass of commit {} as unjustified; recorded as `bypass_labeled`\n  {}  {}  commit_review_bypassed (skipped_hooks)\n",
            &sneaked[..12],
            bypassed.id,
            &bypassed.event["timestamp"].as_str().unwrap()[..16].replace('T', " "),
        ))
        .run();
    let recorded = repo.new_events();
    assert_eq!(recorded.len(), 1, "{recorded:#?}");
    let label = &recorded[0];
    assert_eq!(
        (label.event_type.as_str(), label.source.as_str()),
        ("bypass_labeled", "enforce label")
    );
    let details = &label.details;
    assert_eq!(details["label"], "unjustified");
    assert_eq!(details["note"], "no reason given");
    assert_eq!(details["labeled_by"], "Test Agent <agent@example.com>");
    assert_eq!(details["enforce_version"], env!("CARGO_PKG_VERSION"));
    assert!(details.get("agent_runtime").is_none());
    assert_eq!(
        details["bypass"],
        json!({
            "id": bypassed.id,
            "event_type": "commit_review_bypassed",
            "timestamp": bypassed.event["timestamp"],
            "source": "post-commit",
            "commit_sha": sneaked,
            "rule": "review",
            "files": ["b.txt"],
            "user": "Test Agent <agent@example.com>",
            "agent": "test-agent",
            "method": "git commit --no-verify",
            "reason": bypassed.event["details"]["reason"],
        })
    );

    // By a prefix of its id, in any case.
    repo.test()
        .args(["label", &skip.id[..7].to_uppercase(), "justified"])
        .stdout_contains("labelled 1 bypass as justified; recorded as `bypass_labeled`\n")
        .run();

    // Nothing is left unlabelled; --all shows both with their labels.
    repo.test()
        .args(["bypasses"])
        .stderr(named(&repo))
        .stdout("Bypasses not labelled yet (last 30 days)\n=======================================================\n\nNo bypass without a label in this window.\n")
        .run();
    let all = repo.json(&["bypasses", "--all", "--json"]);
    assert_eq!(
        all["counts"],
        json!({"justified": 1, "unjustified": 1, "unlabelled": 0})
    );
    let newest = &all["bypasses"][0]["label"];
    assert_eq!(newest["label"], "unjustified");
    assert_eq!(newest["note"], "no reason given");
    assert_eq!(newest["labeled_by"], "Test Agent <agent@example.com>");
    assert_eq!(all["bypasses"][1]["label"]["label"], "justified");
    assert_eq!(all["bypasses"][1]["in_log"], true);

    // A later label replaces the earlier one in the counts; both stay.
    repo.test()
        .args([
            "label",
            &bypassed.id,
            "justified",
            "--note",
            "the hook was broken",
        ])
        .stdout_contains("  (was unjustified by Test Agent <agent@example.com>)\n")
        .run();
    assert_eq!(of_type(&repo, "bypass_labeled").len(), 3, "never rewritten");
    assert_eq!(
        repo.json(&["bypasses", "--all", "--json"])["counts"],
        json!({"justified": 2, "unjustified": 0, "unlabelled": 0})
    );
}

#[test]
fn label_refuses_what_names_no_bypass_or_is_no_label() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("ok.txt", "ok\n");
    no_verify(&repo, "b.txt");
    let bypass = &of_type(&repo, "commit_review_bypassed")[0];
    let log = repo.repo.events_file();
    let refused = |args: &[&str], stderr: String| {
        repo.test().args(args).status(2).stderr(stderr).run();
    };
    const NO_SUCH_HINT: &str = "hint: `enforce bypasses --all` lists the bypasses with their ids; give an id (at least 7 of its hex digits) or a commit that has bypasses\n";
    refused(
        &["label", "HEAD~1", "justified"],
        format!(
            "enforce: `HEAD~1` names no bypass in {}: no bypass was recorded for commit {}\n{NO_SUCH_HINT}",
            log.display(),
            &repo.git(&["rev-parse", "HEAD~1"])[..12]
        ),
    );
    refused(
        &["label", "0000000", "justified"],
        format!(
            "enforce: `0000000` names no bypass in {}: no bypass has an id that starts with it, and it is no commit git knows\n{NO_SUCH_HINT}",
            log.display()
        ),
    );
    refused(
        &["label", "nonsense", "justified"],
        format!(
            "enforce: `nonsense` names no bypass in {}: it is neither a bypass id nor a commit git knows\n{NO_SUCH_HINT}",
            log.display()
        ),
    );
    refused(
        &["label", &bypass.id[..6], "justified"],
        format!(
            "enforce: `{}` names no bypass in {}: it is no commit git knows, and an id needs at least 7 hex digits\n{NO_SUCH_HINT}",
            &bypass.id[..6],
            log.display()
        ),
    );
    refused(
        &["label", &bypass.id, "maybe"],
        "enforce: `maybe` is not a label: a bypass is labelled `justified` or `unjustified`\nhint: e.g. enforce label <ID|COMMIT> justified --note \"hotfix approved by the on-call\"\n".to_string(),
    );
    // A commit event is no bypass, even named by its id.
    let completed = of_type(&repo, "commit_completed").pop().unwrap();
    repo.test()
        .args(["label", &completed.id, "justified"])
        .status(2)
        .stderr_contains(format!("enforce: `{}` names no bypass in ", completed.id))
        .run();
    assert!(of_type(&repo, "bypass_labeled").is_empty(), "nothing recorded");
}

#[test]
fn an_ambiguous_prefix_is_refused() {
    // Bypasses recorded into a log of their own until two ids share their
    // first seven digits (about 16,000 lines by the birthday bound).
    let repo = HookRepo::new("");
    let log = repo.sandbox.path().join("many.jsonl");
    let mut text = String::new();
    let mut seen = std::collections::HashMap::new();
    let (first, second) = (0u64..)
        .find_map(|n| {
            let line = format!(
                r#"{{"timestamp":"2026-11-20T10:00:00+00:00","event_type":"bypass_review","source":"pre-commit","details":{{"n":{n}}}}}"#
            );
            text.push_str(&line);
            text.push('\n');
            let id = enforce::event::chain::hash(line.as_bytes())[..16].to_string();
            seen.insert(id[..7].to_string(), id.clone())
                .map(|earlier| (earlier, id))
        })
        .unwrap();
    std::fs::write(&log, text).unwrap();
    let ran = repo
        .test()
        .env("ENFORCE_NOW", "2026-11-21T12:00:00+00:00")
        .args([
            "--events-file",
            log.to_str().unwrap(),
            "label",
            &first[..7],
            "justified",
        ])
        .status(2)
        .stderr_ignored()
        .run();
    let (a, b) = if first < second {
        (&first, &second)
    } else {
        (&second, &first)
    };
    let listed = [
        format!("bypass {a}, bypass {b}"),
        format!("bypass {b}, bypass {a}"),
    ];
    assert!(
        listed.iter().any(|l| ran.stderr
            == format!(
                "enforce: `{}` is ambiguous: it names {l}\nhint: give more of the id's digits, or the full commit id; `enforce bypasses --all` lists them\n",
                &first[..7]
            )),
        "{}",
        ran.stderr
    );
    // The whole id is not.
    repo.test()
        .env("ENFORCE_NOW", "2026-11-21T12:00:00+00:00")
        .args([
            "--events-file",
            log.to_str().unwrap(),
            "label",
            &first,
            "justified",
        ])
        .stdout_contains(format!(
            "labelled 1 bypass as justified; recorded as `bypass_labeled`\n  {first}  "
        ))
        .run();
}

#[test]
fn an_agent_cannot_label_its_own_bypass() {
    // An agent with a shell tries to call its --no-verify commit justified.
    let repo = HookRepo::new("[score]\njustified_bypasses = \"non-critical\"\n");
    no_verify(&repo, "b.txt");
    repo.test()
        .env("CLAUDECODE", "1")
        .args(["label", "HEAD", "justified", "--note", "it was fine"])
        .status(2)
        .stderr("enforce: `enforce label` refuses to run under an agent: the environment shows Claude Code (CLAUDECODE=1), and a label is a person's judgement, never an agent's of its own bypasses\nhint: a person labels bypasses from a shell without CLAUDECODE; docs/trust.md says what a label is worth\n")
        .run();
    repo.test()
        .env("CODEX_SANDBOX", "seatbelt")
        .args(["label", "HEAD", "justified"])
        .status(2)
        .stderr_contains("(CODEX_SANDBOX=seatbelt)")
        .run();
    assert!(of_type(&repo, "bypass_labeled").is_empty(), "nothing recorded");
    // `enforce record` cannot write one either.
    repo.test()
        .args([
            "record",
            "bypass_labeled",
            "--source",
            "me",
            "--detail",
            "label=justified",
        ])
        .status(2)
        .stderr_contains("`bypass_labeled` is one of enforce's own event types")
        .run();
}

#[test]
fn reports_count_unjustified_bypasses_apart_and_justified_ones_can_be_non_critical() {
    let repo = HookRepo::new("");
    no_verify(&repo, "a.txt");
    no_verify(&repo, "b.txt");
    let bypasses = of_type(&repo, "commit_review_bypassed");
    assert_eq!(bypasses.len(), 2);

    // Unlabelled, two skipped-hook bypasses: critical, as before labels.
    let score = repo.json(&["score", "--json"]);
    assert_eq!(score["rating"], "critical");
    assert_eq!(
        score["bypass_labels"],
        json!({"justified": 0, "unjustified": 0, "unlabelled": 2})
    );
    assert_eq!(score["justified_bypasses"], "critical");
    repo.test()
        .args(["alert"])
        .status(1)
        .stderr(named(&repo))
        .stdout("[CRITICAL] Review bypassed 2 time(s) this week\n")
        .run();

    repo.test()
        .args(["label", &bypasses[0].id, "justified", "--note", "release night"])
        .stdout_ignored()
        .run();
    repo.test()
        .args(["label", &bypasses[1].id, "unjustified"])
        .stdout_ignored()
        .run();

    // Counted apart everywhere; still critical by default.
    let stats = repo.json(&["stats", "--json"]);
    assert_eq!(
        (
            &stats["bypasses"]["total"],
            &stats["bypasses"]["justified"],
            &stats["bypasses"]["unjustified"],
            &stats["bypasses"]["unlabelled"],
            &stats["bypasses"]["critical"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(0), &json!(2))
    );
    repo.test()
        .args(["stats"])
        .stderr(named(&repo))
        .stdout_contains("\nBypasses: 2 (1 unjustified, 1 justified, 0 not labelled)\n")
        .run();
    repo.test()
        .args(["score"])
        .stderr(named(&repo))
        .stdout_contains("  [X] Overall Rating: CRITICAL\n")
        .stdout_contains("    Unjustified:      1  (1 justified, 0 not labelled)\n")
        .run();
    repo.test()
        .args(["alert"])
        .status(1)
        .stderr(named(&repo))
        .stdout(
            "[CRITICAL] Review bypassed 2 time(s) this week (1 unjustified, 1 justified, 0 not labelled)\n",
        )
        .run();
    let alert = repo.json_exiting(1, &["alert", "--json"]);
    assert_eq!(
        alert["alerts"][0]["labels"],
        json!({"justified": 1, "unjustified": 1, "unlabelled": 0})
    );
    let dashboard = repo
        .test()
        .args(["dashboard"])
        .stderr(named(&repo))
        .stdout_ignored()
        .run()
        .stdout;
    assert!(
        dashboard.contains("| **Total** | **2** |\n| of them unjustified | 1 |\n| of them justified | 1 |\n| of them not labelled | 0 |\n"),
        "{dashboard}"
    );
    assert!(dashboard.contains("| When | Who | Branch | Category | Type | Method | Reason | Label |\n"));
    assert!(
        dashboard
            .contains("| git commit --no-verify | the staged changes have not been reviewed | justified |\n")
    );
    let json = repo.json(&["dashboard", "--json"]);
    assert_eq!(json["recent_bypasses"][0]["id"], bypasses[1].id.as_str());
    assert_eq!(json["recent_bypasses"][0]["label"], "unjustified");
    let html = repo
        .test()
        .args(["dashboard", "--format", "html"])
        .stderr(named(&repo))
        .stdout_ignored()
        .run()
        .stdout;
    assert!(html.contains("<tr><td>of them unjustified</td><td class=\"n\">1</td></tr>"));

    // Non-critical: the justified one is still a bypass, but one
    // unjustified is not more than `critical_bypasses_above`.
    repo.write(
        ".enforce.toml",
        "[score]\njustified_bypasses = \"non-critical\"\n",
    );
    let score = repo.json(&["score", "--json"]);
    assert_eq!(score["rating"], "concerning");
    assert_eq!(score["breakdown"]["bypasses"]["current_week"], 2);
    assert_eq!(score["bypasses"]["critical"], 1);
    repo.test()
        .args(["score"])
        .stderr(named(&repo))
        .stdout_contains(
            "    Unjustified:      1  (1 justified, 0 not labelled; justified ones are not critical)\n",
        )
        .run();
    // The alert still fires: one unjustified skipped-hooks bypass is CRITICAL.
    repo.test()
        .args(["alert", "--quiet"])
        .status(1)
        .stderr(named(&repo))
        .stdout(
            "[CRITICAL] Review bypassed 2 time(s) this week (1 unjustified, 1 justified, 0 not labelled)\n",
        )
        .run();
    // Both justified: a WARNING, which --quiet leaves out.
    repo.test()
        .args(["label", &bypasses[1].id, "justified"])
        .stdout_ignored()
        .run();
    repo.test()
        .args(["alert"])
        .status(1)
        .stderr(named(&repo))
        .stdout(
            "[WARNING] Review bypassed 2 time(s) this week (0 unjustified, 2 justified, 0 not labelled)\n",
        )
        .run();
    repo.test().args(["alert", "--quiet"]).run();
    assert_eq!(repo.json(&["score", "--json"])["rating"], "concerning");
    let metrics = repo.test().args(["metrics"]).stdout_ignored().run().stdout;
    assert!(
        metrics.contains("enforce_effectiveness_rating{repo=\"repo\",rating=\"concerning\"} 1"),
        "the metrics rate as `score` does:\n{metrics}"
    );
    // Critical again by default.
    repo.write(".enforce.toml", "");
    assert_eq!(repo.json(&["score", "--json"])["rating"], "critical");
}

#[test]
fn cleanup_never_removes_labels_and_the_counts_survive() {
    let repo = HookRepo::new("");
    no_verify(&repo, "old.txt");
    let old = of_type(&repo, "commit_review_bypassed").remove(0);
    repo.test()
        .args(["label", &old.id, "justified", "--note", "long ago"])
        .stdout_ignored()
        .run();
    let old_label = of_type(&repo, "bypass_labeled").remove(0);
    // Every later event is stamped after the old label.
    std::thread::sleep(std::time::Duration::from_millis(20));
    no_verify(&repo, "new.txt");
    let new = of_type(&repo, "commit_review_bypassed").remove(1);
    repo.test()
        .args(["label", &new.id, "unjustified"])
        .stdout_ignored()
        .run();

    // A day after the old label, keeping one day: everything up to the old
    // label is older than the cutoff.
    let stamp = old_label.event["timestamp"].as_str().unwrap();
    let cutoff = chrono::DateTime::parse_from_rfc3339(stamp).unwrap() + chrono::Duration::milliseconds(5);
    let now = (cutoff + chrono::Duration::days(1)).to_rfc3339();
    let before = lines(&repo).len();
    let ran = repo
        .test()
        .env("ENFORCE_NOW", &now)
        .args(["cleanup", "--days", "1", "--json"])
        .stdout_ignored()
        .run();
    let cleaned: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(cleaned["labels_kept"], 1, "{cleaned:#}");
    assert!(cleaned["removed"].as_u64().unwrap() >= 3, "{cleaned:#}");
    let after = lines(&repo);
    assert!(after.len() < before);
    assert!(
        after.iter().any(|l| l.id == old_label.id),
        "the old label is kept byte for byte"
    );
    assert!(!after.iter().any(|l| l.id == old.id), "its bypass is gone");
    repo.test()
        .args(["verify"])
        .stdout_contains("intact: every link holds\n")
        .run();

    // Both labels still count: the listing names the removed bypass from
    // its label, the export has both rows.
    let listed = repo.json(&["bypasses", "--all", "--json"]);
    assert_eq!(
        listed["counts"],
        json!({"justified": 1, "unjustified": 1, "unlabelled": 0})
    );
    let rows = listed["bypasses"].as_array().unwrap();
    let gone = rows.iter().find(|r| r["id"] == old.id.as_str()).unwrap();
    assert_eq!(gone["in_log"], false);
    assert_eq!(gone["label"]["note"], "long ago");
    assert_eq!(gone["category"], "skipped_hooks");
    let csv = repo
        .test()
        .args(["export", "csv", "--labelled"])
        .stdout_ignored()
        .run()
        .stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let labels: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[11].to_string())
        })
        .collect();
    assert_eq!(
        labels,
        [
            (old.id.clone(), "justified".to_string()),
            (new.id.clone(), "unjustified".to_string())
        ]
    );
    // The reports count the bypass that is left, with its label.
    let stats = repo.json(&["stats", "--json"]);
    assert_eq!(
        (&stats["bypasses"]["total"], &stats["bypasses"]["unjustified"]),
        (&json!(1), &json!(1))
    );
    // A second cleanup keeps them again.
    repo.test()
        .env("ENFORCE_NOW", &now)
        .args(["cleanup", "--days", "1"])
        .stderr_ignored()
        .stdout_contains("labels are never removed")
        .run();
    assert_eq!(of_type(&repo, "bypass_labeled").len(), 2);
}

#[test]
fn labelled_bypasses_export_as_csv_and_json_lines() {
    let repo = HookRepo::new("");
    skip_review(&repo, "a.txt");
    let commit = repo.head();
    let skip = of_type(&repo, "bypass_review").remove(0);
    repo.test()
        .args(["label", &skip.id, "justified", "--note", "hotfix, \"approved\""])
        .stdout_ignored()
        .run();
    let label = of_type(&repo, "bypass_labeled").remove(0);
    let csv = repo
        .test()
        .args(["export", "csv", "--labelled"])
        .stdout_ignored()
        .run()
        .stdout;
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "id",
            "timestamp",
            "event_type",
            "category",
            "commit",
            "rule",
            "method",
            "reason",
            "user",
            "agent",
            "files",
            "label",
            "note",
            "labeled_by",
            "labeled_at"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let labeled_at = chrono::DateTime::parse_from_rfc3339(label.event["timestamp"].as_str().unwrap())
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            skip.id.as_str(),
            skip.event["timestamp"].as_str().unwrap(),
            "bypass_review",
            "env_skip",
            commit.as_str(),
            "review",
            "PILOT_SKIP_REVIEW=1",
            "PILOT_SKIP_REVIEW environment variable",
            "Test Agent <agent@example.com>",
            "test-agent",
            "[\"a.txt\"]",
            "justified",
            "hotfix, \"approved\"",
            "Test Agent <agent@example.com>",
            labeled_at.as_str(),
        ]
    );
    let jsonl = repo
        .test()
        .args(["export", "jsonl", "--labelled"])
        .stdout_ignored()
        .run()
        .stdout;
    let row: Value = serde_json::from_str(jsonl.trim()).unwrap();
    assert_eq!(row["files"], json!(["a.txt"]));
    assert_eq!(row["label"], "justified");
    // --type selects by the bypass.
    let none = repo
        .test()
        .args(["export", "csv", "--labelled", "--type", "commit_review_bypassed"])
        .stdout_ignored()
        .run()
        .stdout;
    assert_eq!(none.lines().count(), 1, "the header alone: {none}");
}

#[test]
fn committing_non_critical_justified_bypasses_is_a_weakening() {
    let mut repo = HookRepo::new("");
    // The config is tracked for this test.
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.commit_reviewed(".enforce.toml", "");
    repo.new_events();
    repo.stage(
        ".enforce.toml",
        "[score]\njustified_bypasses = \"non-critical\"\n",
    );
    repo.approve();
    repo.commit("justified bypasses are fine")
        .stderr("enforce: warning: this commit weakens `score` (justified_bypasses: critical → non-critical); recorded as `rule_weakened`\n")
        .run();
    let weakened: Vec<Value> = repo
        .new_events()
        .into_iter()
        .filter(|e| e.event_type == "rule_weakened")
        .map(|e| e.details)
        .collect();
    assert_eq!(weakened.len(), 1);
    assert_eq!(
        (&weakened[0]["setting"], &weakened[0]["from"], &weakened[0]["to"]),
        (
            &json!("justified_bypasses"),
            &json!("critical"),
            &json!("non-critical")
        )
    );
    // Setting it back hides nothing.
    repo.stage(".enforce.toml", "");
    repo.approve();
    repo.commit("justified bypasses are critical again").run();
    assert!(repo.new_events().iter().all(|e| e.event_type != "rule_weakened"));
}
