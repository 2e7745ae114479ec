//! Content rules through real `git commit`s.

use crate::config::HINT;
use crate::hookrepo::{HookRepo, find, types};

const RULES: &str = r#"[review]
mode = "off"

[[rules.content]]
name = "no-direct-http"
pattern = 'requests\.(get|post)\('
paths = ["*.py"]
exclude = ["tests/**"]
severity = "high"
message = "Use the web_fetch tool instead of requests"

[[rules.content]]
name = "no-todo"
pattern = "TODO"
mode = "audit"
"#;

/// What a content rule says when it blocks a commit: `rule`, the summary
/// after its name, and the `hits` lines (`file:line: rule: message`).
pub fn blocked(rule: &str, summary: &str, hits: &[&str]) -> String {
    let hits: String = hits.iter().map(|hit| format!("  {hit}\n")).collect();
    format!(
        "enforce: commit blocked by rule `{rule}`: {summary}
{hits}  fix:
    change or remove those lines, stage the result with `git add`, and commit again
  escape hatch: none that is silent: `git commit --no-verify` skips every check and is recorded as `bypass_content_rule`
"
    )
}

#[test]
fn a_hit_blocks_and_lists_every_hit() {
    let mut repo = HookRepo::new(RULES);
    repo.stage(
        "tools/scrape.py",
        "import requests\n\nx = requests.get(url)\ny = requests.post(url)\n",
    );
    repo.stage("tests/test_scrape.py", "requests.get(fake)\n");
    repo.commit("scraper")
        .status(1)
        .stderr(blocked(
            "no-direct-http",
            "2 added line(s) match (high severity)",
            &[
                "tools/scrape.py:3: no-direct-http: Use the web_fetch tool instead of requests",
                "tools/scrape.py:4: no-direct-http: Use the web_fetch tool instead of requests",
            ],
        ))
        .run();

    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["violation_detected", "violation_detected", "commit_blocked"]
    );
    let hit = &events[0].details;
    assert_eq!(hit["rule"], "no-direct-http");
    assert_eq!(hit["file"], "tools/scrape.py");
    assert_eq!(hit["line"], 3);
    assert_eq!(hit["severity"], "high");
    assert_eq!(hit["description"], "Use the web_fetch tool instead of requests");
    assert_eq!(events[2].details["rule"], "no-direct-http");
    assert_eq!(events[2].details["hits"], 2);
}

#[test]
fn a_miss_passes_and_only_added_lines_count() {
    let mut repo = HookRepo::new(RULES);
    repo.stage("a.py", "print('hello')\n");
    repo.commit("a").run();
    // Lines already in the file do not count again; only what the commit adds.
    repo.stage("legacy.py", "requests.get(old)\n");
    repo.git(&["commit", "-q", "--no-verify", "-m", "legacy", "-m", "Agent: a"]);
    repo.new_events();
    repo.stage("legacy.py", "requests.get(old)\nprint('new line')\n");
    repo.commit("touch legacy").run();
    assert_eq!(repo.new_types(), ["commit_completed"]);
}

#[test]
fn audit_rule_records_and_warns() {
    let mut repo = HookRepo::new(RULES);
    repo.stage("notes.md", "TODO: write docs\n");
    repo.commit("notes")
        .stderr(
            "enforce: audit: rule `no-todo` would block this commit: 1 added line(s) match (medium severity)\n  notes.md:1: no-todo: matches `TODO`\n",
        )
        .run();
    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["violation_detected", "audit_would_block", "commit_completed"]
    );
    assert_eq!(events[0].details["mode"], "audit");
}

#[test]
fn binary_and_oversized_files_are_skipped_and_counted() {
    let mut repo = HookRepo::new(
        &format!("{RULES}\n[rules]\nmax_file_bytes = 64\n")
            .replace("[review]\nmode = \"off\"\n", "[review]\nmode = \"off\"\n"),
    );
    std::fs::write(repo.path("blob.bin"), b"\x00\x01TODO\x00requests.get(").unwrap();
    repo.git(&["add", "blob.bin"]);
    repo.stage("big.txt", &"TODO padding padding\n".repeat(10));
    repo.commit("binary")
        .stderr("enforce: note: 1 file(s) with more than 64 bytes of added text were not scanned by the content rules\n")
        .run();
    let completed = find(&repo.new_events(), "commit_completed").details.clone();
    assert_eq!(completed["scan_skipped_binary"], 1);
    assert_eq!(completed["scan_skipped_oversized"], 1);
}

#[test]
fn gitattributes_cannot_hide_lines_from_the_rules() {
    // `*.py -diff` makes git call every Python file binary; binary is
    // decided by content here, so the lines are still scanned, whether
    // the attributes are in the work tree, committed, or in info/.
    let repo = HookRepo::new(RULES);
    let hit = ["a.py:1: no-direct-http: Use the web_fetch tool instead of requests"];
    let blocked = blocked("no-direct-http", "1 added line(s) match (high severity)", &hit);
    repo.write(".gitattributes", "*.py -diff\n* binary\n");
    repo.stage("a.py", "requests.get(url)\n");
    repo.commit("hidden").status(1).stderr(&blocked).run();
    repo.git(&["add", ".gitattributes"]);
    repo.commit("hidden").status(1).stderr(&blocked).run();
    repo.git(&["rm", "-q", "--cached", ".gitattributes"]);
    std::fs::rename(repo.path(".gitattributes"), repo.path(".git/info/attributes")).unwrap();
    repo.commit("hidden").status(1).stderr(&blocked).run();
    // A file that is binary by content is still counted as binary.
    repo.git(&["rm", "-q", "--cached", "a.py"]);
    std::fs::write(repo.path("blob.py"), b"\x00requests.get(url)\n").unwrap();
    repo.git(&["add", "blob.py"]);
    repo.commit("binary").run();
}

#[test]
fn invalid_rules_are_config_errors_that_block_with_position() {
    let repo = HookRepo::new("[[rules.content]]\nname = \"bad\"\npattern = \"(unclosed\"\n");
    repo.stage("a.txt", "a\n");
    // A broken config fails closed.
    repo.commit("a")
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(format!(
            "enforce: [REPO]/.enforce.toml:3:11: invalid regular expression `(unclosed`: unclosed group\n{HINT}"
        ))
        .run();
    for (config, message) in [
        (
            "[[rules.content]]\nname = \"x\"\npattern = \"a\"\n[[rules.content]]\nname = \"x\"\npattern = \"b\"\n",
            "5:8: a content rule named `x` is already defined: rule names must be unique",
        ),
        (
            "[[rules.content]]\nname = \"review\"\npattern = \"a\"\n",
            "2:8: the rule name `review` is taken by a built-in rule: choose another",
        ),
    ] {
        let repo = HookRepo::new(config);
        repo.test()
            .args(["config", "check"])
            .redact(repo.root(), "[REPO]")
            .status(2)
            .stderr(format!("enforce: [REPO]/.enforce.toml:{message}\n{HINT}"))
            .run();
    }
}
