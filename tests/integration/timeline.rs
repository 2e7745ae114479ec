//! `enforce timeline`: the policy's changes, from git history and the log,
//! through real commits.

use serde_json::Value;

use crate::hookrepo::HookRepo;

const ENFORCED: &str = "[[rules.content]]\nname = \"no-todo\"\npattern = 'TODO'\n";
const AUDITED: &str = "[[rules.content]]\nname = \"no-todo\"\npattern = 'TODO'\nmode = \"audit\"\n";

/// A repository whose `.enforce.toml` is committed (HookRepo keeps it out
/// of commits by default).
fn committed_policy(config: &str) -> HookRepo {
    let repo = HookRepo::new(config);
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.commit_reviewed(".enforce.toml", config);
    repo
}

#[test]
fn a_weakening_commit_shows_who_made_and_approved_it_and_what_followed() {
    let repo = committed_policy(ENFORCED);
    // Blocked twice, then the rule is relaxed to audit with an approval.
    for i in 0..2 {
        repo.stage(&format!("t{i}.txt"), "TODO later\n");
        repo.approve();
        repo.commit("todo").status(1).stderr_ignored().run();
        repo.git(&["reset", "-q"]);
    }
    repo.stage(".enforce.toml", AUDITED);
    repo.approve();
    repo.commit("relax no-todo").stderr_ignored().run();
    let relaxed = repo.head();
    repo.stage("t.txt", "TODO later\n");
    repo.approve();
    repo.commit("todo, audited").stderr_ignored().run();

    let timeline = repo.json(&["timeline", "--json"]);
    assert_eq!(timeline["schema"], 1);
    let entries = timeline["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{timeline:#}");
    let newest = &entries[0];
    assert_eq!(newest["commit"], relaxed.as_str());
    assert_eq!(newest["subject"], "relax no-todo");
    assert_eq!(newest["seen_in"], "history");
    assert_eq!(newest["by"], "Test Agent <agent@example.com>");
    assert_eq!(newest["approved_by"], "git-reviewer");
    assert_eq!(newest["weakens"], true);
    assert_eq!(
        newest["changes"],
        serde_json::json!([{"rule": "no-todo", "setting": "mode", "from": "enforce", "to": "audit", "weakens": true}])
    );
    let effect = &newest["effects"][0];
    assert_eq!(effect["rule"], "no-todo");
    assert_eq!(effect["before"]["blocked"], 2);
    assert_eq!(effect["after"]["audited"], 1);
    // The first commit added the rule: a strengthening.
    assert_eq!(entries[1]["weakens"], false);
    assert_eq!(entries[1]["changes"][0]["to"], "added");

    let text = repo.enforce(&["timeline"]);
    assert!(
        text.stdout.starts_with("Trust Timeline (last 90 days)\n"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("weakens `no-todo` mode: enforce → audit"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("approved by git-reviewer (unsigned)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("by Test Agent \"") || text.stdout.contains("by Test Agent"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains("agent@example.com"),
        "no e-mail by default: {}",
        text.stdout
    );
    assert!(
        text.stdout.ends_with("2 change(s), 1 weakening (marked !)\n"),
        "{}",
        text.stdout
    );
}

#[test]
fn an_uncommitted_weakening_is_on_the_timeline() {
    let repo = committed_policy(ENFORCED);
    std::fs::write(repo.path(".enforce.toml"), AUDITED).unwrap();
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.commit("a")
        .stderr_contains("the work tree's .enforce.toml, not committed, weakens `no-todo`")
        .run();
    let timeline = repo.json(&["timeline", "--json"]);
    let entries = timeline["entries"].as_array().unwrap();
    let uncommitted: Vec<&Value> = entries.iter().filter(|e| e["seen_in"] == "uncommitted").collect();
    assert_eq!(uncommitted.len(), 1, "{timeline:#}");
    assert_eq!(uncommitted[0]["commit"], Value::Null);
    assert_eq!(uncommitted[0]["changes"][0]["setting"], "mode");
    assert_eq!(uncommitted[0]["weakens"], true);
}

#[test]
fn an_empty_window_says_so() {
    let repo = HookRepo::new("");
    let text = repo.enforce(&["timeline", "--days", "3"]);
    assert!(
        text.stdout.contains("No change of the policy in this window."),
        "{}",
        text.stdout
    );
}

#[test]
fn a_commit_that_changes_the_config_file_but_no_setting_says_so() {
    let repo = committed_policy(ENFORCED);
    repo.stage(".enforce.toml", &format!("# the team's rules\n{ENFORCED}"));
    repo.approve();
    repo.commit("comment the policy").stderr_ignored().run();
    let text = repo.enforce(&["timeline"]);
    assert!(
        text.stdout
            .contains("changes .enforce.toml without changing a setting"),
        "{}",
        text.stdout
    );
    assert!(!text.stdout.contains("who may approve"), "{}", text.stdout);
}
