//! The agent-trailer rule through real `git commit`s.

use crate::hookrepo::{HookRepo, find, types};

const NO_REVIEW: &str = "[review]\nmode = \"off\"\n";

/// What the rule says when it blocks a commit for `why`, with the
/// `notes` lines after the first; the fix suggests the trailer `agent`.
pub fn blocked(why: &str, notes: &str, agent: &str) -> String {
    format!(
        "enforce: commit blocked by rule `agent-trailer`: {why}
{notes}  fix:
    end the message with a blank line and this trailer: Agent: {agent}
    to reuse the message you wrote: git -c trailer.ifexists=replace commit --cleanup=strip -F [REPO]/.git/COMMIT_EDITMSG --trailer \"Agent: {agent}\"
  escape hatch: PILOT_SKIP_AGENT_TRAILER=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_agent_trailer`)
"
    )
}

pub const NO_TRAILER: &str = "the commit message has no `Agent:` trailer";

#[test]
fn missing_trailer_is_blocked_with_the_line_to_add() {
    let mut repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "no trailer"])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(blocked(NO_TRAILER, "", "<agent name>"))
        .run();
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_blocked"]);
    assert_eq!(events[0].details["rule"], "agent-trailer");
    assert_eq!(events[0].source, "commit-msg");
    assert_eq!(events[0].details["files"], serde_json::json!(["a.txt"]));

    // The suggested command works.
    let msg = repo.path(".git/COMMIT_EDITMSG");
    repo.git_test(&[
        "commit",
        "-q",
        "--cleanup=strip",
        "-F",
        msg.to_str().unwrap(),
        "--trailer",
        "Agent: fixer",
    ])
    .run();
    assert_eq!(repo.message(), "no trailer\n\nAgent: fixer\n\n");
}

#[test]
fn trailer_must_be_a_real_git_trailer() {
    let repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    // In the title, or in a paragraph that is not all trailers: not a trailer for git.
    for message in ["Agent: x", "subject\n\nsome words\nAgent: x"] {
        repo.git_test(&["commit", "-q", "-m", message])
            .status(1)
            .redact(repo.root(), "[REPO]")
            .stderr(blocked(NO_TRAILER, "", "<agent name>"))
            .run();
    }
    // Case-insensitive key, continuation lines.
    repo.git_test(&[
        "commit",
        "-q",
        "-m",
        "subject\n\nagent: claude\n  code\nSigned-off-by: A <a@x>",
    ])
    .run();
}

#[test]
fn empty_value_is_blocked() {
    let repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "s\n\nAgent:"])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(blocked("the `Agent:` trailer is empty", "", "<agent name>"))
        .run();
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
    repo.git_test(&["commit", "-q", "-m", "s\n\nAgent: rogue"])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(blocked(
            "`rogue` is not a known agent (known: claude, codex)",
            "  allowed agents: claude, codex\n",
            "claude",
        ))
        .run();

    // A human co-author does not count; an agent co-author does.
    repo.git_test(&[
        "commit",
        "-q",
        "-m",
        "s\n\nCo-authored-by: Jane <jane@example.com>",
    ])
    .status(1)
    .redact(repo.root(), "[REPO]")
    .stderr(blocked(
        "the commit message has no `Agent:` or `Co-Authored-By:` trailer",
        "",
        "claude",
    ))
    .run();
    repo.new_events();
    repo.git_test(&[
        "commit",
        "-q",
        "-m",
        "s\n\nCo-authored-by: Claude <noreply@example.com>",
    ])
    .run();
    assert_eq!(
        find(&repo.new_events(), "commit_completed").details["agent"],
        "Claude"
    );
}

#[test]
fn skip_variable_lets_a_manual_commit_through_and_records_it() {
    let mut repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "release"])
        .env("PILOT_SKIP_AGENT_TRAILER", "1")
        .env("PILOT_SKIP_REASON", "manual release commit")
        .stderr(
            "enforce: bypass: rule `agent-trailer` skipped with PILOT_SKIP_AGENT_TRAILER=1 (the commit message has no `Agent:` trailer); recorded as `bypass_agent_trailer`\n",
        )
        .run();
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
    repo.git_test(&["commit", "-q", "-m", "x"])
        .env("PILOT_SKIP_AGENT_TRAILER", "1")
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(
            "enforce: commit blocked by rule `agent-trailer`: the commit message has no `Agent:` trailer
  PILOT_SKIP_AGENT_TRAILER=1 was refused: the rule is required (`required = true` in [agent_trailer])
  fix:
    end the message with a blank line and this trailer: Agent: <agent name>
    to reuse the message you wrote: git -c trailer.ifexists=replace commit --cleanup=strip -F [REPO]/.git/COMMIT_EDITMSG --trailer \"Agent: <agent name>\"
  escape hatch: none: `agent-trailer` is required, so PILOT_SKIP_AGENT_TRAILER is ignored
",
        )
        .run();

    let mut audit = HookRepo::new("[review]\nmode = \"off\"\n[agent_trailer]\nmode = \"audit\"\n");
    audit.stage("a.txt", "a\n");
    audit
        .git_test(&["commit", "-q", "-m", "x"])
        .stderr("enforce: audit: rule `agent-trailer` would block this commit: the commit message has no `Agent:` trailer\n")
        .run();
    assert_eq!(audit.new_types(), ["audit_would_block", "commit_completed"]);
}

#[test]
fn comment_lines_are_not_trailers() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    let msg = repo.path("msg.txt");
    std::fs::write(&msg, "subject\n\n# Agent: commented out\n").unwrap();
    // A commented trailer does not count.
    repo.git_test(&["commit", "-q", "--cleanup=strip", "-F", msg.to_str().unwrap()])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(blocked(NO_TRAILER, "", "<agent name>"))
        .run();

    // With another comment character configured.
    repo.git(&["config", "core.commentChar", ";"]);
    std::fs::write(&msg, "subject\n\n; a comment\nAgent: a\n; another\n").unwrap();
    repo.git_test(&["commit", "-q", "--cleanup=strip", "-F", msg.to_str().unwrap()])
        .run();
}

/// `git args…` with `git -c` settings before the subcommand.
fn with_config(settings: &[&str], args: &[&str]) -> Vec<String> {
    settings
        .iter()
        .flat_map(|s| ["-c".to_string(), s.to_string()])
        .chain(args.iter().map(|a| a.to_string()))
        .collect()
}

#[test]
fn one_off_separators_and_comment_strings_reach_the_hooks() {
    let mut repo = HookRepo::new(NO_REVIEW);
    repo.stage("a.txt", "a\n");
    // `Agent= x` is a trailer only where `=` separates.
    repo.git_test(&["commit", "-q", "-m", "s", "-m", "Agent= claude"])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(blocked(NO_TRAILER, "", "<agent name>"))
        .run();
    repo.new_events();
    let args = with_config(
        &["trailer.separators=:="],
        &["commit", "-q", "-m", "s", "-m", "Agent= claude"],
    );
    repo.sandbox.test_git(repo.root()).args(&args).run();
    let completed = find(&repo.new_events(), "commit_completed").details.clone();
    assert_eq!(
        (completed["agent"].as_str(), completed["trailer"].as_str()),
        (Some("claude"), Some("Agent"))
    );

    // git writes its comment lines into the message file with the
    // comment character it was given; the hook reads them as comments.
    for (settings, env) in [
        (vec!["core.commentChar=;"], vec![]),
        (vec!["core.commentString=//"], vec![]),
        (
            vec![],
            vec![
                ("GIT_CONFIG_COUNT", "1"),
                ("GIT_CONFIG_KEY_0", "core.commentChar"),
                ("GIT_CONFIG_VALUE_0", "%"),
            ],
        ),
    ] {
        repo.stage("a.txt", &format!("{settings:?} {env:?}\n"));
        let args = with_config(
            &settings,
            &["commit", "-q", "-e", "-m", "s", "-m", "Agent: claude"],
        );
        let mut test = repo
            .sandbox
            .test_git(repo.root())
            .args(&args)
            .env("GIT_EDITOR", "true");
        for (key, value) in &env {
            test = test.env(key, value);
        }
        test.run();
        assert_eq!(repo.message(), "s\n\nAgent: claude\n\n", "{settings:?} {env:?}");
    }

    // `core.commentChar = auto`: a line of the message starts with `#`,
    // so git commit comments with `;`, and so does the hook.
    repo.stage("a.txt", "auto\n");
    let args = with_config(
        &["core.commentChar=auto"],
        &[
            "commit",
            "-q",
            "-e",
            "-m",
            "s",
            "-m",
            "#42 is fixed",
            "-m",
            "Agent: claude",
        ],
    );
    repo.sandbox
        .test_git(repo.root())
        .args(&args)
        .env("GIT_EDITOR", "true")
        .run();
    assert_eq!(repo.message(), "s\n\n#42 is fixed\n\nAgent: claude\n\n");
}

#[test]
fn the_review_trailer_is_added_with_the_configured_separator() {
    let repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.approve();
    let args = with_config(
        &["trailer.separators=="],
        &["commit", "-q", "-m", "s", "-m", "Agent= claude"],
    );
    repo.sandbox.test_git(repo.root()).args(&args).run();
    let message = repo.message();
    assert_eq!(message, "s\n\nAgent= claude\nReviewed-by= git-reviewer\n\n");
    // git reads both as trailers under the same setting.
    let parsed = repo
        .sandbox
        .test_git(repo.root())
        .args(["-c", "trailer.separators==", "interpret-trailers", "--parse"])
        .stdin(message)
        .stdout_ignored()
        .run()
        .stdout;
    assert_eq!(parsed, "Agent= claude\nReviewed-by= git-reviewer\n");
}

const PRESETS: &str = r#"[review]
mode = "off"

[agent_trailer]
presets = ["assisted-by", "co-authored-by", "generated-by"]
"#;

#[test]
fn each_preset_is_accepted_and_its_agent_and_model_recorded() {
    let mut repo = HookRepo::new(PRESETS);
    for (i, (trailer, agent, model)) in [
        (
            "Assisted-by: Claude:claude-3-opus coccinelle sparse",
            "Claude",
            Some("claude-3-opus"),
        ),
        (
            "Co-authored-by: aider (gpt-4o) <aider@aider.chat>",
            "aider",
            Some("gpt-4o"),
        ),
        (
            "Co-authored-by: Claude Opus 4.7 <noreply@anthropic.com>",
            "claude-code",
            Some("Claude Opus 4.7"),
        ),
        ("Co-authored-by: Codex <noreply@openai.com>", "codex", None),
        (
            "Co-authored-by: Copilot <198982749+Copilot@users.noreply.github.com>",
            "copilot",
            None,
        ),
        (
            "Co-authored-by: Cursor Agent <cursoragent@cursor.com>",
            "cursor",
            None,
        ),
        ("Generated-by: Claude Code", "Claude Code", None),
        (
            "Generated-by: GitHub Copilot (GPT-4o)",
            "GitHub Copilot",
            Some("GPT-4o"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        repo.stage("a.txt", &format!("{i}\n"));
        repo.git_test(&["commit", "-q", "-m", "s", "-m", trailer]).run();
        let completed = find(&repo.new_events(), "commit_completed").details.clone();
        let key = trailer.split(':').next().unwrap();
        assert_eq!(completed["agent"], agent, "{trailer}");
        assert_eq!(completed["model"].as_str(), model, "{trailer}");
        assert_eq!(completed["trailer"], key, "{trailer}");
    }
}

#[test]
fn a_human_co_author_does_not_name_an_agent() {
    let mut repo = HookRepo::new(PRESETS);
    repo.stage("a.txt", "a\n");
    let keys =
        "`Agent:` or `Assisted-by: AGENT:MODEL` or `Co-authored-by:` naming a known agent or `Generated-by:`";
    for human in [
        "Co-authored-by: Jane Doe <jane@example.com>",
        "Assisted-by: Jane Doe <jane@example.com>",
        "Generated-by: Jane Doe <jane@example.com>",
    ] {
        repo.git_test(&["commit", "-q", "-m", "s", "-m", human])
            .status(1)
            .redact(repo.root(), "[REPO]")
            .stderr(blocked(
                &format!("the commit message has no {keys} trailer"),
                "",
                "<agent name>",
            ))
            .run();
    }
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_blocked"; 3]);
    assert!(events[0].details.get("agent").is_none());

    // An agent the allowed list does not name is blocked, and the event
    // says what the trailer named.
    let mut strict = HookRepo::new(&format!("{PRESETS}allowed_agents = [\"claude-code\"]\n"));
    strict.stage("a.txt", "a\n");
    strict
        .git_test(&[
            "commit",
            "-q",
            "-m",
            "s",
            "-m",
            "Co-authored-by: aider (gpt-4o) <aider@aider.chat>",
        ])
        .status(1)
        .redact(strict.root(), "[REPO]")
        .stderr(blocked(
            "`aider` is not a known agent (known: claude-code)",
            "  allowed agents: claude-code\n",
            "claude-code",
        ))
        .run();
    let blocked_event = find(&strict.new_events(), "commit_blocked").details.clone();
    assert_eq!(blocked_event["agent"], "aider");
    assert_eq!(blocked_event["model"], "gpt-4o");
    assert_eq!(blocked_event["trailer"], "Co-authored-by");
}
