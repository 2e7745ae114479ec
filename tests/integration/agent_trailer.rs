//! The agent-trailer rule through real `git commit`s.

use crate::hookrepo::{HookRepo, find, types};

const NO_REVIEW: &str = "[review]\nmode = \"off\"\n";

#[test]
fn missing_trailer_is_blocked_with_the_line_to_add() {
    let mut repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(&[], &["commit", "-q", "-m", "no trailer"]);
    assert_eq!(ran.code, 1);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "enforce: commit blocked by rule `agent-trailer`: the commit message has no `Agent:` trailer"
    );
    assert_eq!(lines[1], "  fix:");
    assert_eq!(
        lines[2],
        "    end the message with a blank line and this trailer: Agent: <agent name>"
    );
    assert!(
        lines[3].contains("git -c trailer.ifexists=replace commit --cleanup=strip -F "),
        "{}",
        ran.stderr
    );
    assert!(
        lines[3].ends_with("COMMIT_EDITMSG --trailer \"Agent: <agent name>\""),
        "{}",
        ran.stderr
    );
    assert_eq!(
        lines[4],
        "  escape hatch: PILOT_SKIP_AGENT_TRAILER=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_agent_trailer`)"
    );
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_blocked"]);
    assert_eq!(events[0].details["rule"], "agent-trailer");
    assert_eq!(events[0].source, "commit-msg");
    assert_eq!(events[0].details["files"], serde_json::json!(["a.txt"]));

    // The suggested command works.
    let msg = repo.path(".git/COMMIT_EDITMSG");
    let ran = repo.git_env(
        &[],
        &[
            "commit",
            "-q",
            "--cleanup=strip",
            "-F",
            msg.to_str().unwrap(),
            "--trailer",
            "Agent: fixer",
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(repo.message(), "no trailer\n\nAgent: fixer\n\n");
}

#[test]
fn trailer_must_be_a_real_git_trailer() {
    let repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    // In the title, or in a paragraph that is not all trailers: not a trailer for git.
    for message in ["Agent: x", "subject\n\nsome words\nAgent: x"] {
        let ran = repo.git_env(&[], &["commit", "-q", "-m", message]);
        assert_eq!(ran.code, 1, "{message:?} must not count");
    }
    // Case-insensitive key, continuation lines.
    let ran = repo.git_env(
        &[],
        &[
            "commit",
            "-q",
            "-m",
            "subject\n\nagent: claude\n  code\nSigned-off-by: A <a@x>",
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn empty_value_is_blocked() {
    let repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(&[], &["commit", "-q", "-m", "s\n\nAgent:"]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .starts_with("enforce: commit blocked by rule `agent-trailer`: the `Agent:` trailer is empty")
    );
}

#[test]
fn allowed_agents_and_other_keys_with_patterns() {
    let mut repo = HookRepo::new(
        r#"[review]
mode = "off"

[agent_trailer]
trailers = [{ key = "Agent" }, { key = "Co-Authored-By", pattern = "(?i)claude|codex" }]
allowed_agents = ["claude", "codex"]
"#,
    );
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(&[], &["commit", "-q", "-m", "s\n\nAgent: rogue"]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .starts_with("enforce: commit blocked by rule `agent-trailer`: `rogue` is not a known agent (known: claude, codex)"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("  allowed agents: claude, codex\n"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("this trailer: Agent: claude\n"),
        "{}",
        ran.stderr
    );

    // A human co-author does not count; an agent co-author does.
    let ran = repo.git_env(
        &[],
        &[
            "commit",
            "-q",
            "-m",
            "s\n\nCo-authored-by: Jane <jane@example.com>",
        ],
    );
    assert_eq!(ran.code, 1);
    repo.new_events();
    let ran = repo.git_env(
        &[],
        &[
            "commit",
            "-q",
            "-m",
            "s\n\nCo-authored-by: Claude <noreply@example.com>",
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        find(&repo.new_events(), "commit_completed").details["agent"],
        "Claude"
    );
}

#[test]
fn skip_variable_lets_a_manual_commit_through_and_records_it() {
    let mut repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(
        &[
            ("PILOT_SKIP_AGENT_TRAILER", "1"),
            ("PILOT_SKIP_REASON", "manual release commit"),
        ],
        &["commit", "-q", "-m", "release"],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let events = repo.new_events();
    assert_eq!(types(&events), ["bypass_agent_trailer", "commit_completed"]);
    let bypass = &events[0].details;
    assert_eq!(bypass["reason"], "manual release commit");
    assert_eq!(bypass["bypass_method"], "PILOT_SKIP_AGENT_TRAILER=1");
    assert_eq!(bypass["user"], "Test Agent <agent@example.com>");
    assert_eq!(bypass["branch"], "main");
    assert_eq!(bypass["files"], serde_json::json!(["a.txt"]));
    assert_eq!(bypass["file_count"], 1);
    assert!(events[1].details.get("agent").is_none());
}

#[test]
fn required_and_audit_modes() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n[agent_trailer]\nrequired = true\n");
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(&[("PILOT_SKIP_AGENT_TRAILER", "1")], &["commit", "-q", "-m", "x"]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.contains("PILOT_SKIP_AGENT_TRAILER=1 was refused"),
        "{}",
        ran.stderr
    );

    let mut audit = HookRepo::new("[review]\nmode = \"off\"\n[agent_trailer]\nmode = \"audit\"\n");
    audit.stage("a.txt", "a\n");
    let ran = audit.git_env(&[], &["commit", "-q", "-m", "x"]);
    assert_eq!(ran.code, 0);
    assert_eq!(
        ran.stderr,
        "enforce: audit: rule `agent-trailer` would block this commit: the commit message has no `Agent:` trailer\n"
    );
    assert_eq!(audit.new_types(), ["audit_would_block", "commit_completed"]);
}

#[test]
fn comment_lines_are_not_trailers() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    let msg = repo.path("msg.txt");
    std::fs::write(&msg, "subject\n\n# Agent: commented out\n").unwrap();
    let ran = repo.git_env(
        &[],
        &["commit", "-q", "--cleanup=strip", "-F", msg.to_str().unwrap()],
    );
    assert_eq!(ran.code, 1, "a commented trailer does not count");

    // With another comment character configured.
    repo.git(&["config", "core.commentChar", ";"]);
    std::fs::write(&msg, "subject\n\n; a comment\nAgent: a\n; another\n").unwrap();
    let ran = repo.git_env(
        &[],
        &["commit", "-q", "--cleanup=strip", "-F", msg.to_str().unwrap()],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}
