//! `enforce backtest` replays a proposed policy over real history: the
//! commits it lists under a new content rule are exactly those whose
//! added lines (as `git log -p` shows them) match the rule's regex in the
//! files it applies to; its near misses are the matches in the files it
//! leaves out; a rule the proposal removes lists what it would let
//! through, each commit judged under the policy committed at its parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;
use serde_json::Value;

use crate::hookrepo::HookRepo;
use crate::support::{Sandbox, TestRepo};

/// The policy committed first: review and the agent trailer off, so only
/// the content rules decide; `no-todo` blocks.
const CURRENT: &str = "[review]\nmode = \"off\"\n\n[agent_trailer]\nmode = \"off\"\n\n[[rules.content]]\nname = \"no-todo\"\npattern = \"TODO\"\n";

/// The proposal: `no-todo` dropped, `no-requests` on Python files outside
/// `vendor/`.
const PROPOSED: &str = "[review]\nmode = \"off\"\n\n[agent_trailer]\nmode = \"off\"\n\n[[rules.content]]\nname = \"no-requests\"\npattern = 'requests\\.(get|post)\\('\npaths = [\"*.py\"]\nexclude = [\"vendor/**\"]\n";

const NEW_RULE: &str = r"requests\.(get|post)\(";

fn commit(sandbox: &Sandbox, repo: &TestRepo, message: &str) -> String {
    sandbox.git(&repo.root, &["add", "-A"]);
    sandbox.git(&repo.root, &["commit", "-q", "-m", message]);
    sandbox.git(&repo.root, &["rev-parse", "HEAD"]).trim().to_string()
}

fn append(repo: &TestRepo, rel: &str, line: &str) {
    let path = repo.path(rel);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    text.push_str(line);
    text.push('\n');
    repo.write(rel, &text);
}

/// About thirty scripted commits after the policy: new rule's matches in
/// Python files (hits), in `vendor/` and in Markdown (near misses), lines
/// with `TODO`, a match removed again, a file with matches deleted, a side
/// branch merged cleanly, and the policy switching `no-todo` to audit
/// halfway. Returns (base, the commit that switches it).
fn history(sandbox: &Sandbox, repo: &TestRepo) -> (String, String) {
    repo.write(".enforce.toml", CURRENT);
    repo.write("src/common.py", "value = 0\n");
    let base = commit(sandbox, repo, "adopt enforce");
    let mut switch = String::new();
    for i in 1..=30 {
        let mut touched = false;
        if i % 3 == 0 {
            repo.write(
                &format!("src/m{i}.py"),
                &format!("import requests\ndata = requests.get(url_{i})\n"),
            );
            touched = true;
        }
        if i % 5 == 0 {
            repo.write(
                &format!("vendor/lib{i}.py"),
                "def fetch(x):\n    y = requests.get(x)\n    return requests.post(y)\n",
            );
            touched = true;
        }
        if i % 7 == 0 {
            append(
                repo,
                "docs/notes.md",
                &format!("call requests.get( from step {i}"),
            );
            touched = true;
        }
        if i % 4 == 0 {
            append(repo, "src/common.py", &format!("# TODO step {i}"));
            touched = true;
        }
        if i == 11 {
            // The match of step 3 removed: removed lines are no hits.
            repo.write("src/m3.py", "import requests\ndata = None\n");
            touched = true;
        }
        if i == 22 {
            std::fs::remove_file(repo.path("vendor/lib5.py")).unwrap();
            touched = true;
        }
        if i == 15 {
            append(repo, ".enforce.toml", "mode = \"audit\"");
            touched = true;
        }
        if !touched {
            append(repo, "src/common.py", &format!("value_{i} = {i}"));
        }
        let made = commit(sandbox, repo, &format!("step {i}"));
        if i == 15 {
            switch = made;
        }
        if i == 18 {
            sandbox.git(&repo.root, &["checkout", "-q", "-b", "side"]);
            repo.write("src/side.py", "r = requests.post(side)  # TODO side\n");
            commit(sandbox, repo, "side work");
            sandbox.git(&repo.root, &["checkout", "-q", "main"]);
            append(repo, "src/common.py", "value_main = 1");
            commit(sandbox, repo, "main work");
            sandbox.git(
                &repo.root,
                &["merge", "-q", "--no-ff", "side", "-m", "merge side"],
            );
        }
    }
    (base, switch)
}

/// Each commit of `range` with its added lines, from `git log -p`:
/// commit → [(file, line text)].
fn added_lines(sandbox: &Sandbox, root: &Path, range: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let log = sandbox.git(
        root,
        &["log", "-p", "-U0", "--no-renames", "--format=commit %H", range],
    );
    let mut added: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let (mut commit, mut file, mut in_hunk) = (String::new(), String::new(), false);
    for line in log.lines() {
        if let Some(sha) = line.strip_prefix("commit ") {
            commit = sha.to_string();
            added.entry(commit.clone()).or_default();
            in_hunk = false;
        } else if line.starts_with("diff --git ") {
            in_hunk = false;
        } else if let Some(path) = line.strip_prefix("+++ b/") {
            file = path.to_string();
        } else if line.starts_with("@@ ") {
            in_hunk = true;
        } else if in_hunk && let Some(text) = line.strip_prefix('+') {
            added
                .get_mut(&commit)
                .unwrap()
                .push((file.clone(), text.to_string()));
        }
    }
    added
}

/// The commits listed under `key` of the rule `rule` in a backtest's JSON.
fn listed(report: &Value, rule: &str, key: &str) -> BTreeSet<String> {
    rule_of(report, rule)[key]
        .as_array()
        .unwrap_or_else(|| panic!("{rule}.{key} in {report:#}"))
        .iter()
        .map(|l| l["commit"].as_str().unwrap().to_string())
        .collect()
}

fn rule_of<'a>(report: &'a Value, rule: &str) -> &'a Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == rule)
        .unwrap_or_else(|| panic!("no rule {rule} in {report:#}"))
}

#[test]
fn a_new_rule_lists_exactly_the_commits_whose_added_lines_match() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let (base, switch) = history(&sandbox, &repo);
    std::fs::write(sandbox.path().join("proposed.toml"), PROPOSED).unwrap();
    let range = format!("{base}..HEAD");
    let ran = sandbox
        .test(&repo.root)
        .args([
            "backtest",
            "--config",
            "../proposed.toml",
            "--range",
            &range,
            "--json",
        ])
        .stdout_ignored()
        .run();
    let report: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(report["schema"], 1);
    let commits = sandbox.git(&repo.root, &["rev-list", &range]).lines().count();
    assert_eq!(commits, 33, "30 steps, a side commit, a main commit, a merge");
    assert_eq!(report["commits"], commits);
    assert_eq!(report["judged"], commits);
    assert_eq!(report["unjudged"], serde_json::json!([]));

    // What a plain regex finds in `git log -p`.
    let added = added_lines(&sandbox, &repo.root, &range);
    assert_eq!(added.len(), commits);
    let new_rule = Regex::new(NEW_RULE).unwrap();
    let todo = Regex::new("TODO").unwrap();
    let applies = |file: &str| file.ends_with(".py") && !file.starts_with("vendor/");
    let matching = |regex: &Regex, files: &dyn Fn(&str) -> bool| -> BTreeSet<String> {
        added
            .iter()
            .filter(|(_, lines)| lines.iter().any(|(f, t)| files(f) && regex.is_match(t)))
            .map(|(c, _)| c.clone())
            .collect()
    };
    let hits = matching(&new_rule, &applies);
    let near = matching(&new_rule, &|f: &str| !applies(f));
    let near_lines = added
        .values()
        .flatten()
        .filter(|(f, t)| !applies(f) && new_rule.is_match(t))
        .count();
    // The history holds each case this test is about.
    assert_eq!(hits.len(), 11, "{hits:?}");
    assert_eq!((near.len(), near_lines), (10, 16), "{near:?}");
    assert!(!hits.is_disjoint(&near), "a commit with a hit and a near miss");

    assert_eq!(listed(&report, "no-requests", "newly_blocked"), hits);
    let rule = rule_of(&report, "no-requests");
    assert_eq!(rule["kind"], "content");
    assert_eq!(rule["proposed_mode"], "enforce");
    assert_eq!(rule["current_modes"], serde_json::json!({"absent": commits}));
    assert_eq!(rule["unchanged"]["passed"], commits - hits.len());
    let misses = &rule["near_misses"];
    let missed: BTreeSet<String> = misses["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["commit"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(missed, near);
    assert_eq!(misses["excluded_lines"], near_lines);
    let files: BTreeSet<String> = misses["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["at"].as_array().unwrap().iter())
        .map(|at| at["file"].as_str().unwrap().to_string())
        .collect();
    assert!(files.iter().all(|f| !applies(f)), "{files:?}");
    assert!(files.contains("docs/notes.md") && files.iter().any(|f| f.starts_with("vendor/")));

    // The rule the proposal drops: what it blocked is let through, what
    // it only flagged (after the switch to audit mode) is no longer
    // flagged. Each commit is judged under the policy at its parent.
    let after_switch: BTreeSet<String> = sandbox
        .git(&repo.root, &["rev-list", &format!("{switch}..HEAD")])
        .lines()
        .map(str::to_string)
        .collect();
    let todos = matching(&todo, &|_: &str| true);
    let blocked: BTreeSet<String> = todos.difference(&after_switch).cloned().collect();
    let flagged: BTreeSet<String> = todos.intersection(&after_switch).cloned().collect();
    assert!(!blocked.is_empty() && !flagged.is_empty());
    assert_eq!(listed(&report, "no-todo", "let_through"), blocked);
    assert_eq!(listed(&report, "no-todo", "no_longer_flagged"), flagged);
    let dropped = rule_of(&report, "no-todo");
    assert_eq!(dropped["proposed_mode"], "absent");
    assert_eq!(
        dropped["current_modes"],
        serde_json::json!({"enforce": commits - after_switch.len(), "audit": after_switch.len()})
    );
    assert_eq!(listed(&report, "no-todo", "newly_blocked"), BTreeSet::new());
    assert_eq!(rule_of(&report, "review")["unchanged"]["passed"], commits);
    assert_eq!(
        report["totals"],
        serde_json::json!({
            "blocked_now": blocked.len(),
            "blocked_proposed": hits.len(),
            "newly_blocked": hits.difference(&blocked).count(),
            "let_through": blocked.difference(&hits).count(),
            "flagged_now": flagged.difference(&blocked).count(),
            "flagged_proposed": 0,
        })
    );

    // --days: the commits of the last N days by committer date; the
    // sandbox commits at 2026-11-20T10:00.
    let json = |days: &str| -> Value {
        let ran = sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", "2026-11-22T09:00:00+00:00")
            .args([
                "backtest",
                "--config",
                "../proposed.toml",
                "--days",
                days,
                "--json",
            ])
            .stdout_ignored()
            .run();
        serde_json::from_str(&ran.stdout).unwrap()
    };
    let all = json("2");
    assert_eq!(all["commits"], commits + 1, "the adopting commit too");
    assert_eq!(all["days"], 2);
    assert_eq!(listed(&all, "no-requests", "newly_blocked"), hits);
}

#[test]
fn days_count_back_from_now_by_committer_date() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".enforce.toml", CURRENT);
    commit(&sandbox, &repo, "adopt");
    repo.write("old.py", "requests.get(old)\n");
    commit(&sandbox, &repo, "old");
    repo.write("new.py", "requests.get(new)\n");
    sandbox.git(&repo.root, &["add", "-A"]);
    sandbox
        .test_git(&repo.root)
        .env("GIT_COMMITTER_DATE", "2026-11-25T10:00:00+00:00")
        .args(["commit", "-q", "-m", "new"])
        .run();
    let new = sandbox.git(&repo.root, &["rev-parse", "HEAD"]).trim().to_string();
    std::fs::write(sandbox.path().join("proposed.toml"), PROPOSED).unwrap();
    let run = |days: &str| {
        sandbox
            .test(&repo.root)
            .env("ENFORCE_NOW", "2026-11-26T10:00:00+00:00")
            .args(["backtest", "--config", "../proposed.toml", "--days", days])
    };
    run("2")
        .redact(&new[..12], "[new]")
        .stdout(
            "backtest of ../proposed.toml over the last 2 day(s): 1 commit(s), each judged under the policy committed at its parent and under the proposal\n\
             review: now off, proposed off: unchanged (1 passed)\n\
             no-requests (content): now absent, proposed enforce\n  \
             would newly block: 1 commit(s)\n    \
             [new] new: 1 added line(s) match (medium severity): new.py:1\n  \
             unchanged: none\n\
             agent-trailer: now off, proposed off: unchanged (1 passed)\n\
             no-todo (content): now enforce, proposed absent: unchanged (1 passed)\n\
             summary: 1 of 1 commit(s) judged; blocked now 0, under the proposal 1 (1 newly blocked, 0 let through); flagged but not blocked now 0, under the proposal 0\n",
        )
        .run();
    // The adopting commit too, judged under the built-in defaults (it has
    // no parent): review and the agent trailer block it.
    run("10")
        .stdout_contains("blocked now 1, under the proposal 2 (2 newly blocked, 1 let through)")
        .run();
    run("0")
        .status(2)
        .stderr(
            "enforce: no commit reachable from HEAD was committed in the last 0 day(s): there is nothing to replay\n\
             hint: give more days (--days N), or a range (--range A..B)\n",
        )
        .run();
}

#[test]
fn the_text_lists_changes_near_misses_and_audit_mode_per_rule() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".enforce.toml", CURRENT);
    let base = commit(&sandbox, &repo, "adopt");
    repo.write("src/a.py", "x = requests.get(a)  # TODO\n");
    let a = commit(&sandbox, &repo, "fetch a");
    repo.write("vendor/b.py", "requests.post(b)\nrequests.get(c)\n");
    let b = commit(&sandbox, &repo, "vendor b");
    repo.write("src/c.py", "# TODO later\n");
    let c = commit(&sandbox, &repo, "note c");
    // The proposal keeps `no-todo`, in audit mode, and adds `no-requests`.
    let proposal =
        format!("{PROPOSED}\n[[rules.content]]\nname = \"no-todo\"\npattern = \"TODO\"\nmode = \"audit\"\n");
    std::fs::write(sandbox.path().join("proposed.toml"), proposal).unwrap();
    sandbox
        .test(&repo.root)
        .args(["backtest", "--config", "../proposed.toml", "--range", &format!("{base}..HEAD")])
        .redact(&base, "[base]")
        .redact(&a[..12], "[a]")
        .redact(&b[..12], "[b]")
        .redact(&c[..12], "[c]")
        .stdout(
            "backtest of ../proposed.toml over `[base]..HEAD`: 3 commit(s), each judged under the policy committed at its parent and under the proposal\n\
             review: now off, proposed off: unchanged (3 passed)\n\
             no-requests (content): now absent, proposed enforce\n  \
             would newly block: 1 commit(s)\n    \
             [a] fetch a: 1 added line(s) match (medium severity): src/a.py:1\n  \
             near misses: 2 matching line(s) in 1 commit(s), in files its paths/exclude leave out:\n    \
             [b] vendor b: vendor/b.py:1, vendor/b.py:2\n  \
             unchanged: 2 passed\n\
             no-todo (content): now enforce, proposed audit\n  \
             would let through, blocked now: 2 commit(s)\n    \
             [a] fetch a: 1 added line(s) match (medium severity): src/a.py:1\n    \
             [c] note c: 1 added line(s) match (medium severity): src/c.py:1\n  \
             near misses: in audit mode it flags 2 commit(s) without blocking them (listed above)\n  \
             unchanged: 1 passed\n\
             agent-trailer: now off, proposed off: unchanged (3 passed)\n\
             summary: 3 of 3 commit(s) judged; blocked now 2, under the proposal 1 (0 newly blocked, 1 let through); flagged but not blocked now 0, under the proposal 1\n",
        )
        .run();
}

/// Review is judged from the receipts the hooks wrote; the trailer from
/// the message. A commit made around the hooks has neither.
#[test]
fn review_and_trailer_are_replayed_from_receipts_and_messages() {
    let repo = HookRepo::new("");
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.git(&["add", ".enforce.toml"]);
    repo.approve();
    repo.commit("adopt enforce").run();
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    repo.stage("c.txt", "c\n");
    repo.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "around the hooks",
    ]);
    let around = repo.head();
    let proposal = repo.sandbox.path().join("proposed.toml");
    std::fs::write(
        &proposal,
        "[review]\nmode = \"audit\"\n\n[agent_trailer]\nmode = \"off\"\n",
    )
    .unwrap();
    let report = repo.json(&[
        "backtest",
        "--config",
        proposal.to_str().unwrap(),
        "--range",
        &format!("{base}..HEAD"),
        "--json",
    ]);
    assert_eq!(report["receipts_found"], true);
    let only = BTreeSet::from([around.clone()]);
    assert_eq!(listed(&report, "review", "let_through"), only);
    assert_eq!(listed(&report, "review", "newly_flagged"), BTreeSet::new());
    let review = rule_of(&report, "review");
    assert_eq!(
        review["unchanged"],
        serde_json::json!({"blocked": 0, "flagged": 0, "passed": 2})
    );
    assert_eq!(
        review["let_through"][0]["reason"],
        "not reviewed: without a receipt there is no approval"
    );
    assert_eq!(review["near_misses"]["audit_mode"][0]["commit"], around.as_str());
    assert_eq!(listed(&report, "agent-trailer", "let_through"), only);
    assert_eq!(
        rule_of(&report, "agent-trailer")["let_through"][0]["reason"],
        "the commit message has no `Agent:` trailer"
    );
    assert_eq!(rule_of(&report, "agent-trailer")["unchanged"]["passed"], 2);
}

#[test]
fn a_bad_proposal_range_or_empty_range_is_a_clear_error() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".enforce.toml", CURRENT);
    commit(&sandbox, &repo, "adopt");
    repo.write("a.py", "a = requests.get(1)\n");
    commit(&sandbox, &repo, "a");
    let proposal = sandbox.path().join("proposed.toml");
    let backtest = |args: &[&str]| {
        sandbox
            .test(&repo.root)
            .args(["backtest", "--config", "../proposed.toml"])
            .args(args)
            .status(2)
    };

    backtest(&["--range", "HEAD~1..HEAD"])
        .stderr(
            "enforce: cannot read the config file `../proposed.toml`: No such file or directory (os error 2)\n\
             hint: name an existing file with --config (`../proposed.toml` was given): a copy of .enforce.toml with the changes to try\n",
        )
        .run();

    std::fs::write(
        &proposal,
        "[[rules.content]]\nname = \"x\"\npattern = \"(unclosed\"\n",
    )
    .unwrap();
    backtest(&["--range", "HEAD~1..HEAD"])
        .stderr_matches(
            "enforce: \\.\\./proposed\\.toml:3:11: [^\n]*\nhint: fix the proposed policy \\(the format of \\.enforce\\.toml, docs/rules\\.md\\) and run the backtest again\n",
        )
        .run();

    std::fs::write(&proposal, PROPOSED).unwrap();
    backtest(&["--range", "nope..HEAD"])
        .stderr(
            "enforce: `nope..HEAD` is not a range of commits in this repository: fatal: bad revision 'nope..HEAD'\n\
             hint: name commits git knows, e.g. origin/main~100..origin/main (`git log --oneline A..B` lists what a range holds)\n",
        )
        .run();
    backtest(&["--range", "HEAD..HEAD~1"])
        .stderr(
            "enforce: the range `HEAD..HEAD~1` holds no commits: there is nothing to replay\n\
             hint: A..B is the commits reachable from B and not from A: put the older commit first (`git log --oneline A..B` lists them)\n",
        )
        .run();
    backtest(&[])
        .stderr_contains("the following required arguments were not provided")
        .stderr_contains("<--range <A..B>|--days <N>>")
        .run();

    // Whatever it finds, it decides nothing.
    sandbox
        .test(&repo.root)
        .args([
            "backtest",
            "--config",
            "../proposed.toml",
            "--range",
            "HEAD~1..HEAD",
        ])
        .stdout_contains("would newly block: 1 commit(s)")
        .run();

    let empty = sandbox.repo("empty");
    sandbox
        .test(&empty.root)
        .args(["backtest", "--config", "../proposed.toml", "--days", "3"])
        .status(2)
        .stderr(
            "enforce: HEAD has no commits yet: there is no history to replay\n\
             hint: commit first, or run the backtest in a clone with history\n",
        )
        .run();
}

/// A commit whose parent commits a policy that does not validate has no
/// current verdict to compare with: it is listed, and the rest judged.
#[test]
fn a_commit_under_a_broken_policy_is_listed_as_not_judged() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    repo.write(".enforce.toml", CURRENT);
    let base = commit(&sandbox, &repo, "adopt");
    repo.write(".enforce.toml", "[review]\nmode = \"sometimes\"\n");
    let broken = commit(&sandbox, &repo, "break the policy");
    repo.write("a.py", "requests.get(a)\n");
    let after = commit(&sandbox, &repo, "after");
    std::fs::write(sandbox.path().join("proposed.toml"), PROPOSED).unwrap();
    let ran = sandbox
        .test(&repo.root)
        .args([
            "backtest",
            "--config",
            "../proposed.toml",
            "--range",
            &format!("{base}..HEAD"),
            "--json",
        ])
        .stdout_ignored()
        .run();
    let report: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        (report["commits"].clone(), report["judged"].clone()),
        (2.into(), 1.into())
    );
    assert_eq!(report["unjudged"][0]["commit"], after.as_str());
    let why = report["unjudged"][0]["why"].as_str().unwrap();
    assert!(
        why.starts_with(&format!(
            "the .enforce.toml committed at its parent {} does not validate: .enforce.toml:2:8: unknown variant `sometimes`",
            &broken[..12]
        )),
        "{why}"
    );
    sandbox
        .test(&repo.root)
        .args([
            "backtest",
            "--config",
            "../proposed.toml",
            "--range",
            &format!("{base}..HEAD"),
        ])
        .stdout_contains(format!(
            "cannot judge {}: the .enforce.toml committed at its parent",
            &after[..12]
        ))
        .stdout_contains("summary: 1 of 2 commit(s) judged;")
        .stdout_contains("; 1 cannot be judged\n")
        .run();
}
