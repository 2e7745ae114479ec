//! `enforce advise` on repositories whose history is written by a script:
//! event lines with past timestamps straight into the log (unchained, as
//! the predecessor wrote them and every report reads them), and the
//! `.enforce.toml` whose rules they name.

use std::path::Path;

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Value, json};

use crate::support::{Sandbox, TestRepo};

/// The reports' clock in these tests.
const NOW: &str = "2026-11-21T12:00:00+00:00";

const DEV: &str = "Dev <dev@example.com>";

/// A history of events, written as log lines.
struct History {
    now: DateTime<FixedOffset>,
    lines: Vec<String>,
    attempts: u64,
    /// Who commits.
    user: String,
}

impl History {
    fn new() -> History {
        History {
            now: DateTime::parse_from_rfc3339(NOW).unwrap(),
            lines: Vec::new(),
            attempts: 0,
            user: DEV.to_string(),
        }
    }

    /// `minutes` past the start of the day `days` ago.
    fn at(&self, days: i64, minutes: i64) -> DateTime<FixedOffset> {
        self.now - Duration::days(days) - Duration::hours(3) + Duration::minutes(minutes)
    }

    fn event(&mut self, at: DateTime<FixedOffset>, event_type: &str, source: &str, details: Value) {
        self.lines.push(
            serde_json::to_string(&json!({
                "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
                "event_type": event_type,
                "source": source,
                "details": details,
            }))
            .unwrap(),
        );
    }

    /// A commit attempt's details: its id, the user, the branch and the
    /// agent runtime its environment showed.
    fn base(&mut self) -> Value {
        self.attempts += 1;
        json!({
            "attempt_id": format!("{:016x}", self.attempts),
            "user": self.user,
            "branch": "main",
            "agent_runtime": "claude-code",
            "enforce_version": "0.1.0",
        })
    }

    fn with(base: &Value, extra: Value) -> Value {
        let mut details = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            details[k] = v.clone();
        }
        details
    }

    fn summary(&mut self, at: DateTime<FixedOffset>, base: &Value, hook: &str, rules: &[(&str, &str, &str)]) {
        let rules: Vec<Value> = rules
            .iter()
            .map(|(rule, mode, outcome)| json!({"rule": rule, "mode": mode, "outcome": outcome, "duration_ms": 0.1}))
            .collect();
        let details = History::with(base, json!({"hook": hook, "operation": "commit", "rules": rules}));
        self.event(at, "hook_summary", hook, details);
    }

    /// One attempt as the hooks record it: pre-commit judges review and
    /// the content rules (`content` gives each one's outcome), commit-msg
    /// the agent trailer (`trailer`); the block, bypass and audit events
    /// of those outcomes; `commit_completed` when nothing blocked.
    fn attempt(&mut self, at: DateTime<FixedOffset>, content: [&str; 3], trailer: &str) {
        let base = self.base();
        let names = [
            ("no-print", "enforce"),
            ("no-todo", "enforce"),
            ("no-debugger", "audit"),
        ];
        let mut pre = vec![("review", "enforce", "approved")];
        for ((name, mode), outcome) in names.iter().zip(content) {
            pre.push((name, mode, outcome));
            match outcome {
                "blocked" => self.event(
                    at,
                    "commit_blocked",
                    "pre-commit",
                    History::with(
                        &base,
                        json!({"rule": name, "reason": "1 added line(s) match", "hits": 1, "mode": mode}),
                    ),
                ),
                "audit" => {
                    self.event(
                        at,
                        "violation_detected",
                        "pre-commit",
                        History::with(&base, json!({"rule": name, "file": "web/app.js", "line": 3, "severity": "medium", "mode": mode})),
                    );
                    self.event(
                        at,
                        "audit_would_block",
                        "pre-commit",
                        History::with(
                            &base,
                            json!({"rule": name, "reason": "1 added line(s) match", "hits": 1, "mode": mode}),
                        ),
                    );
                }
                _ => {}
            }
        }
        self.summary(at, &base, "pre-commit", &pre);
        if content.contains(&"blocked") {
            return;
        }
        let at = at + Duration::seconds(2);
        match trailer {
            "blocked" => self.event(
                at,
                "commit_blocked",
                "commit-msg",
                History::with(&base, json!({"rule": "agent-trailer", "reason": "the message has no `Agent:` trailer"})),
            ),
            "bypassed" => self.event(
                at,
                "bypass_agent_trailer",
                "commit-msg",
                History::with(
                    &base,
                    json!({"rule": "agent-trailer", "reason": "in a hurry", "bypass_method": "PILOT_SKIP_AGENT_TRAILER=1"}),
                ),
            ),
            _ => {}
        }
        self.summary(at, &base, "commit-msg", &[("agent-trailer", "enforce", trailer)]);
        if trailer != "blocked" {
            let details = History::with(
                &base,
                json!({"commit_sha": format!("{:040x}", self.attempts), "agent": "claude-code"}),
            );
            self.event(
                at + Duration::seconds(1),
                "commit_completed",
                "post-commit",
                details,
            );
        }
    }

    fn write(&self, path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut text = self.lines.join("\n");
        text.push('\n');
        std::fs::write(path, text).unwrap();
    }
}

const CONFIG: &str = r#"# The team's rules.
[review]
mode = "enforce"

[agent_trailer]
mode = "enforce"   # agents name themselves

# Print calls belong in the logger.
[[rules.content]]
name = "no-print"
pattern = 'print\('
paths = ["*.py"]

# Nobody writes these any more.
[[rules.content]]
name = "no-todo"
pattern = 'TODO'

[[rules.content]]
name = "no-debugger"
pattern = 'debugger'
paths = ["*.js"]
mode = "audit"
"#;

/// Forty days of commits: two a day that pass everything; `agent-trailer`
/// blocked 10 times in the window, 8 of them followed by a bypass and 2
/// by a fix five minutes later; `no-print` blocked 3 times and fixed;
/// `no-debugger` (audit) hit 7 times; `no-todo` never fires; a watcher
/// reports `web-access-policy` 6 times.
fn history() -> History {
    let mut h = History::new();
    for day in (1..=40).rev() {
        for slot in 0..2 {
            let at = h.at(day, slot * 240);
            h.attempt(at, ["passed"; 3], "passed");
        }
    }
    for (i, day) in [25, 23, 20, 18, 15, 12, 10, 8, 5, 3].into_iter().enumerate() {
        let at = h.at(day, 60);
        h.attempt(at, ["passed"; 3], "blocked");
        let outcome = if i % 5 == 4 { "passed" } else { "bypassed" };
        h.attempt(at + Duration::minutes(5), ["passed"; 3], outcome);
    }
    for day in [22, 14, 6] {
        let at = h.at(day, 120);
        h.attempt(at, ["blocked", "passed", "passed"], "passed");
        h.attempt(at + Duration::minutes(20), ["passed"; 3], "passed");
    }
    for day in [27, 24, 19, 16, 11, 7, 2] {
        let at = h.at(day, 180);
        h.attempt(at, ["passed", "passed", "audit"], "passed");
    }
    for day in [20, 17, 13, 9, 4, 2] {
        let at = h.at(day, 200);
        h.event(
            at,
            "violation_detected",
            "guards.py",
            json!({"rule": "web-access-policy", "file": "src/api/client.py", "line": 12, "severity": "high", "description": "Use the web_fetch tool instead of requests"}),
        );
    }
    h
}

fn repo_with(sandbox: &Sandbox, config: Option<&str>, history: &History) -> TestRepo {
    let repo = sandbox.repo("repo");
    if let Some(config) = config {
        repo.write(".enforce.toml", config);
        sandbox.git(&repo.root, &["add", ".enforce.toml"]);
        sandbox.git(&repo.root, &["commit", "-q", "-m", "rules"]);
    }
    history.write(&repo.events_file());
    repo
}

fn advise(sandbox: &Sandbox, repo: &TestRepo, args: &[&str]) -> crate::support::Test {
    sandbox
        .test(&repo.root)
        .env("ENFORCE_NOW", NOW)
        .arg("advise")
        .args(args)
        .redact(repo.events_file(), "[LOG]")
}

#[test]
fn a_scripted_history_gets_each_kind_of_suggestion() {
    let sandbox = Sandbox::new();
    let repo = repo_with(&sandbox, Some(CONFIG), &history());

    let ran = advise(&sandbox, &repo, &[])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    let text = ran.stdout;
    for piece in [
        "Advice from the last 30 days (2026-10-22 to 2026-11-21)\nNothing here is applied",
        "RELAX `agent-trailer`: 8 of 10 blocks of `agent-trailer` were followed by a bypass, not a fix\n     sureness: medium: 8 of 10 blocks followed by a fix or a bypass were bypassed: 80 % (95 % interval 49–94 %)\n",
        "     - 10 blocks: 2 followed by a fix, 8 by a bypass, 0 blocked again, 0 with no follow-up within 24 h\n",
        "     - 8 bypasses in the last 30 days (PILOT_SKIP_AGENT_TRAILER=1: 8)\n     - median time to fix: 5 min\n",
        "     do: relax it: `mode = \"audit\"` in [agent_trailer] records what it would block without blocking",
        "REMOVE `no-todo`: no event of `no-todo` in the last 30 days\n",
        "     - it has had none since the log first names it, on 2026-10-12\n",
        "STRENGTHEN `no-debugger`: `no-debugger` is in audit mode and would have blocked 7 commits in the last 30 days\n     sureness: high: it would have blocked 7 of the ",
        "ADD `web-access-policy`: guards.py reported `web-access-policy` 6 times and no content rule checks it at commit time\n",
        "write a content rule for it (the patch drafts one as a comment, paths src/api/**/*.py)",
        "  - relax `no-print`: not enough data: 3 block(s) followed by a fix or a bypass, 3 block(s) and bypass(es)\n",
        "  - strengthen `no-print`: not enough data: 3 block(s), audit(s) and bypass(es) in 4 whole weeks\n",
        "  agent-trailer / claude-code: 10 blocked, 2 fixed, 8 bypassed, median fix 5 min\n",
        "  no-print / claude-code: 3 blocked, 3 fixed, 0 bypassed, median fix 20 min\n",
    ] {
        assert!(text.contains(piece), "missing {piece:?} in:\n{text}");
    }
    // review is approved on every commit: nothing to say about it.
    assert!(!text.contains("`review`:"), "{text}");

    // The same as JSON.
    let ran = advise(&sandbox, &repo, &["--json"]).stdout_ignored().run();
    let advice: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(advice["schema"], 1);
    assert_eq!(advice["events_file"], "[LOG]");
    let kinds: Vec<(String, String, String)> = advice["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["rule"].as_str().unwrap().to_string(),
                s["sureness"]["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String, String)> = [
        ("strengthen", "no-debugger", "high"),
        ("remove", "no-todo", "high"),
        ("add", "web-access-policy", "high"),
        ("relax", "agent-trailer", "medium"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(kinds, expected);
    let relax = &advice["suggestions"][3];
    assert_eq!(
        relax["change"],
        json!({"change": "set_mode", "rule": "agent-trailer", "mode": "audit"})
    );
    let rate = &relax["sureness"]["rate"];
    assert_eq!((rate["count"].as_u64(), rate["of"].as_u64()), (Some(8), Some(10)));
    assert!((rate["low"].as_f64().unwrap() - 0.4902).abs() < 1e-3, "{rate}");
    let trailer = advice["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "agent-trailer")
        .unwrap();
    assert_eq!(
        trailer["follow_up"],
        json!({"blocks": 10, "fixed": 2, "bypassed": 8, "blocked_again": 0, "no_follow_up": 0, "median_seconds_to_fix": 300})
    );
    assert_eq!(trailer["blocked"], 10);
    assert_eq!(trailer["by_agent"][0]["agent"], "claude-code");
    assert_eq!(advice["settings"]["min_count"], 5);

    // Markdown, for an issue or the digest.
    let ran = advise(&sandbox, &repo, &["--format", "markdown"])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    assert!(
        ran.stdout.starts_with("## Advice from the last 30 days"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("| `agent-trailer` | enforce |"),
        "{}",
        ran.stdout
    );

    // The patch applies with git and leaves a config that checks.
    let ran = advise(&sandbox, &repo, &["--patch"])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    let patch = ran.stdout;
    assert!(
        patch.starts_with(
            "# .enforce.toml as `enforce advise` suggests it (30 days to 2026-11-21); nothing was written.\n"
        ),
        "{patch}"
    );
    assert!(
        patch.contains("\n--- a/.enforce.toml\n+++ b/.enforce.toml\n@@ "),
        "{patch}"
    );
    // Nothing was written.
    assert_eq!(
        std::fs::read_to_string(repo.path(".enforce.toml")).unwrap(),
        CONFIG
    );
    sandbox
        .test_git(&repo.root)
        .args(["apply", "--check"])
        .stdin(patch.clone())
        .run();
    sandbox.test_git(&repo.root).arg("apply").stdin(patch).run();
    sandbox
        .test(&repo.root)
        .args(["config", "check"])
        .stdout(format!("{}: ok\n", repo.path(".enforce.toml").display()))
        .run();
    let config = std::fs::read_to_string(repo.path(".enforce.toml")).unwrap();
    let expected = r##"# The team's rules.
[review]
mode = "enforce"

[agent_trailer]
mode = "audit"   # agents name themselves

# Print calls belong in the logger.
[[rules.content]]
name = "no-print"
pattern = 'print\('
paths = ["*.py"]

[[rules.content]]
name = "no-debugger"
pattern = 'debugger'
paths = ["*.js"]
mode = "enforce"

# Drafted by `enforce advise` on 2026-11-21: 6 `web-access-policy` violations from guards.py in the last 30 days.
# Write its pattern, then remove the "# " before each line of it:
# [[rules.content]]
# name = "web-access-policy"
# pattern = ''   # write it: as it is, it matches every line
# paths = ["src/api/**/*.py"]
# severity = "high"
# message = "Use the web_fetch tool instead of requests"
# mode = "audit"
"##;
    assert_eq!(config, expected);

    // Applied, the advice has no change left to suggest for those rules.
    let ran = advise(&sandbox, &repo, &["--json"]).stdout_ignored().run();
    let advice: Value = serde_json::from_str(&ran.stdout).unwrap();
    let rules: Vec<&str> = advice["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "review",
            "review-trailer",
            "no-print",
            "no-debugger",
            "agent-trailer"
        ]
    );
}

#[test]
fn without_a_config_the_patch_creates_one() {
    let sandbox = Sandbox::new();
    let mut h = History::new();
    for day in (1..=20).rev() {
        let at = h.at(day, 0);
        h.attempt(at, ["passed"; 3], "blocked");
        h.attempt(at + Duration::minutes(1), ["passed"; 3], "bypassed");
    }
    let repo = repo_with(&sandbox, None, &h);
    sandbox.git(&repo.root, &["commit", "-q", "--allow-empty", "-m", "start"]);
    let ran = advise(&sandbox, &repo, &["--patch"])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    assert!(
        ran.stdout.contains(
            "--- /dev/null\n+++ b/.enforce.toml\n@@ -0,0 +1,2 @@\n+[agent_trailer]\n+mode = \"audit\"\n"
        ),
        "{}",
        ran.stdout
    );
    sandbox.test_git(&repo.root).arg("apply").stdin(ran.stdout).run();
    assert_eq!(
        std::fs::read_to_string(repo.path(".enforce.toml")).unwrap(),
        "[agent_trailer]\nmode = \"audit\"\n"
    );
    sandbox
        .test(&repo.root)
        .args(["config", "check"])
        .stdout(format!("{}: ok\n", repo.path(".enforce.toml").display()))
        .run();
    sandbox.git(&repo.root, &["add", ".enforce.toml"]);
    sandbox.git(&repo.root, &["commit", "-q", "-m", "relax agent-trailer"]);

    // Undo it: a lead labels the bypasses (`enforce label`), most of them
    // unjustified, so the advice turns to making the skip variable stop
    // counting.
    sandbox.git(&repo.root, &["checkout", "-q", "HEAD~1"]);
    for i in 0..6 {
        let label = if i == 0 { "justified" } else { "unjustified" };
        let bypass = json!({"event_type": "bypass_agent_trailer", "id": format!("{i:016x}"), "rule": "agent-trailer",
            "timestamp": h.at(20 - i, 1).to_rfc3339(), "source": "commit-msg", "user": DEV, "method": "PILOT_SKIP_AGENT_TRAILER=1"});
        let at = h.at(1, i);
        h.event(
            at,
            "bypass_labeled",
            "enforce label",
            json!({"label": label, "note": "", "labeled_by": "Lead <lead@example.com>", "bypass": bypass}),
        );
    }
    h.write(&repo.events_file());
    let ran = advise(&sandbox, &repo, &[])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    assert!(
        ran.stdout.contains("STRENGTHEN `agent-trailer`: 20 of 20 blocks of `agent-trailer` were followed by a bypass, not a fix, and 5 of 6 labelled bypasses were unjustified\n"),
        "{}",
        ran.stdout
    );
    let ran = advise(&sandbox, &repo, &["--patch"])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    sandbox.test_git(&repo.root).arg("apply").stdin(ran.stdout).run();
    assert_eq!(
        std::fs::read_to_string(repo.path(".enforce.toml")).unwrap(),
        "[agent_trailer]\nrequired = true\n"
    );
}

#[test]
fn a_small_log_has_not_enough_data() {
    let sandbox = Sandbox::new();
    let mut h = History::new();
    let at = h.at(3, 0);
    h.attempt(at, ["passed"; 3], "blocked");
    h.attempt(at + Duration::minutes(2), ["passed"; 3], "bypassed");
    let at = h.at(2, 0);
    h.attempt(at, ["passed"; 3], "blocked");
    h.attempt(at + Duration::minutes(2), ["passed"; 3], "passed");
    h.attempt(h.at(1, 0), ["passed", "passed", "audit"], "passed");
    let repo = repo_with(&sandbox, Some(CONFIG), &h);
    let ran = advise(&sandbox, &repo, &[])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    let text = ran.stdout;
    assert!(text.contains("\n\nNo suggestions.\n\nNot enough data (no suggestion made; at least 5 observations are needed, 30 days for a quiet rule)\n"), "{text}");
    for piece in [
        "  - remove `no-todo`: not enough data: judged since 2026-11-18 (3 days); a rule is called quiet after 30\n",
        "  - relax `agent-trailer`: not enough data: 2 block(s) followed by a fix or a bypass, 3 block(s) and bypass(es)\n",
        "  - strengthen `no-debugger`: not enough data: 1 audit hit(s) in the last 30 days\n",
    ] {
        assert!(text.contains(piece), "missing {piece:?} in:\n{text}");
    }
    advise(&sandbox, &repo, &["--patch"])
        .stderr("enforce: events from [LOG]\nenforce: no change to suggest to .enforce.toml (0 suggestion(s), none of them a config change)\n")
        .run();
    // The window is the user's to choose; a patch needs a repository.
    advise(&sandbox, &repo, &["--days", "0"])
        .stderr("enforce: events from [LOG]\n")
        .stdout_ignored()
        .run();
    sandbox
        .test(sandbox.path())
        .env("ENFORCE_NOW", NOW)
        .env("GIT_CEILING_DIRECTORIES", sandbox.path())
        .args(["advise", "--patch"])
        .status(2)
        .stderr_contains("is not inside a git repository")
        .run();
}

#[test]
fn a_large_log_read_in_parallel_gives_the_same_advice() {
    // Over the size from which reports split the log between threads.
    let sandbox = Sandbox::new();
    let mut h = History::new();
    let (mut n, mut bytes, mut counted) = (0i64, 0, 0);
    while bytes < 18 * 1024 * 1024 {
        h.user = format!("Dev {} <dev{}@example.com>", n % 7, n % 7);
        let at = h.at(35 - (n % 35), n % 600);
        let trailer = ["passed", "blocked", "passed", "passed"][(n % 4) as usize];
        let content = match n % 11 {
            0 => ["blocked", "passed", "passed"],
            5 => ["passed", "passed", "audit"],
            _ => ["passed"; 3],
        };
        h.attempt(at, content, trailer);
        if trailer == "blocked" {
            let next = if n % 3 == 0 { "bypassed" } else { "passed" };
            h.attempt(at + Duration::minutes(3), ["passed"; 3], next);
        }
        n += 1;
        bytes += h.lines[counted..].iter().map(|l| l.len() + 1).sum::<usize>();
        counted = h.lines.len();
    }
    let repo = repo_with(&sandbox, Some(CONFIG), &h);
    let advice = |threads: &str| {
        advise(&sandbox, &repo, &["--json"])
            .env("ENFORCE_REPORT_THREADS", threads)
            .stdout_ignored()
            .run()
            .stdout
    };
    let one = advice("1");
    assert_eq!(one, advice("2"), "one and two threads differ");
    let value: Value = serde_json::from_str(&one).unwrap();
    let trailer = value["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "agent-trailer")
        .unwrap();
    let follow = &trailer["follow_up"];
    assert!(follow["blocks"].as_u64().unwrap() > 1000, "{trailer}");
    assert_eq!(
        follow["blocks"].as_u64().unwrap(),
        ["fixed", "bypassed", "blocked_again", "no_follow_up"]
            .iter()
            .map(|k| follow[k].as_u64().unwrap())
            .sum::<u64>()
    );
    assert_eq!(follow["median_seconds_to_fix"], 180);
}

#[test]
fn the_hooks_own_events_are_followed_and_the_template_patched() {
    // Real commits through the installed hooks, under the commented
    // template `enforce install` writes: five commits blocked for want of
    // an agent trailer, each then made with PILOT_SKIP_AGENT_TRAILER=1.
    let template = include_str!("../../templates/enforce.toml");
    let hooks = crate::hookrepo::HookRepo::new(template);
    for i in 0..5 {
        hooks.stage(&format!("f{i}.txt"), "x\n");
        hooks.approve();
        hooks
            .git_test(&["commit", "-q", "-m", "no trailer"])
            .status(1)
            .stderr_ignored()
            .run();
        hooks
            .git_test(&["commit", "-q", "-m", "skipped"])
            .env("PILOT_SKIP_AGENT_TRAILER", "1")
            .stderr_ignored()
            .run();
    }
    let advice = hooks.json(&["advise", "--json"]);
    let trailer = advice["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "agent-trailer")
        .unwrap();
    assert_eq!(trailer["blocked"], 5, "{trailer}");
    assert_eq!(trailer["bypassed"], 5, "{trailer}");
    assert_eq!(trailer["follow_up"]["bypassed"], 5, "{trailer}");
    assert_eq!(trailer["evaluated"], 10, "{trailer}");
    let suggestion = &advice["suggestions"][0];
    assert_eq!(
        (&suggestion["kind"], &suggestion["rule"]),
        (&json!("relax"), &json!("agent-trailer")),
        "{advice}"
    );

    let ran = hooks
        .test()
        .args(["advise", "--patch"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    hooks.git_test(&["apply"]).stdin(ran.stdout).run();
    let at = template.find("[agent_trailer]").unwrap();
    let expected = format!(
        "{}{}",
        &template[..at],
        template[at..].replacen("mode = \"enforce\"", "mode = \"audit\"", 1)
    );
    assert_eq!(
        std::fs::read_to_string(hooks.path(".enforce.toml")).unwrap(),
        expected
    );
    hooks
        .test()
        .args(["config", "check"])
        .stdout(format!("{}: ok\n", hooks.path(".enforce.toml").display()))
        .run();
}
