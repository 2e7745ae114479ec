//! The review rule through real `git commit`s.

use crate::hookrepo::{HookRepo, find, types};

const DEFAULTS: &str = "";

#[test]
fn unreviewed_commit_is_blocked_with_fix_and_escape_hatch() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    let ran = repo.commit_as_agent("add a");
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert_eq!(
        lines[0],
        "enforce: commit blocked by rule `review`: the staged changes have not been reviewed"
    );
    assert!(
        lines[1].starts_with("  staged: 1 file(s), tree "),
        "{}",
        ran.stderr
    );
    assert_eq!(lines[2], "  fix:");
    assert_eq!(lines[3], "    review what is staged: git diff --cached");
    assert_eq!(
        lines[4],
        "    approve exactly what is staged: enforce review approve --reviewer git-reviewer"
    );
    assert_eq!(
        lines[6],
        "  escape hatch: PILOT_SKIP_REVIEW=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_review`)"
    );
    assert!(
        repo.git_in(repo.root(), &["rev-parse", "-q", "--verify", "HEAD"])
            .code
            != 0,
        "nothing was committed"
    );

    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_review_required", "commit_blocked"]);
    let required = &events[0].details;
    assert_eq!(required["rule"], "review");
    assert_eq!(required["reviewer"], "git-reviewer");
    assert_eq!(required["files"], serde_json::json!(["a.txt"]));
    assert_eq!(required["file_count"], 1);
    assert_eq!(required["branch"], "main");
    assert_eq!(required["user"], "Test Agent <agent@example.com>");
    assert_eq!(required["tree"].as_str().unwrap().len(), 40);
    let blocked = &events[1].details;
    assert_eq!(blocked["rule"], "review");
    assert_eq!(blocked["reason"], "the staged changes have not been reviewed");
    assert_eq!(events[1].source, "pre-commit");
}

#[test]
fn approved_commit_passes_records_and_uses_up_the_approval() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    let ran = repo.enforce(&["review", "approve", "--reviewer", "alice", "--note", "looks good"]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(ran.stdout.starts_with("approved: tree "), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("(1 file(s)) as alice, valid until "),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("\n  a.txt\n"), "{}", ran.stdout);

    let status = repo.enforce(&["review", "status"]);
    assert_eq!(status.code, 0);
    assert!(
        status.stdout.starts_with("approved: what is staged (tree "),
        "{}",
        status.stdout
    );
    assert!(
        status.stdout.contains("was approved by alice at "),
        "{}",
        status.stdout
    );

    let ran = repo.commit_as_agent("add a");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stderr, "", "a passing commit is quiet");
    assert_eq!(
        repo.message(),
        "add a\n\nAgent: test-agent\nReviewed-by: alice\n\n"
    );

    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["review_approved", "commit_review_required", "commit_completed"]
    );
    let approved = &events[0].details;
    assert_eq!(approved["reviewer"], "alice");
    assert_eq!(approved["note"], "looks good");
    assert_eq!(approved["file_count"], 1);
    assert_eq!(approved["tree"], events[1].details["tree"]);
    let completed = &events[2].details;
    assert_eq!(completed["commit_sha"], repo.head());
    assert_eq!(completed["reviewer"], "alice");
    assert_eq!(completed["agent"], "test-agent");
    assert_eq!(completed["files_changed"], 1);
    assert_eq!(
        completed["rules_checked"],
        serde_json::json!(["review", "agent-trailer"])
    );
    assert_eq!(completed["rules_count"], 2);
    assert_eq!(completed["operation"], "commit");
    assert!(completed.get("hooks_skipped").is_none());

    // Used up: the same content staged again on top needs a new approval.
    let status = repo.enforce(&["review", "status"]);
    assert_eq!(status.stdout, "nothing is staged: no approval needed\n");
    assert!(
        std::fs::read_dir(repo.path(".git/enforce/approvals"))
            .unwrap()
            .next()
            .is_none()
    );
}

#[test]
fn restaging_after_approval_invalidates_it() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "reviewed\n");
    repo.approve();
    repo.stage("a.txt", "changed after review\n");

    let status = repo.enforce(&["review", "status"]);
    assert_eq!(status.code, 1);
    assert!(
        status
            .stdout
            .contains("1 approval(s) exist for other staged content"),
        "{}",
        status.stdout
    );

    let ran = repo.commit_as_agent("add a");
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.starts_with(
            "enforce: commit blocked by rule `review`: the staged changes differ from what was approved"
        ),
        "{}",
        ran.stderr
    );
    let events = repo.new_events();
    assert_eq!(find(&events, "commit_blocked").details["rule"], "review");
}

#[test]
fn expired_approval_blocks() {
    let mut repo = HookRepo::new("[review]\nmax_age_seconds = 1\n");
    repo.stage("a.txt", "a\n");
    repo.approve();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let status = repo.enforce(&["review", "status"]);
    assert_eq!(status.code, 1);
    let ran = repo.commit_as_agent("add a");
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .starts_with("enforce: commit blocked by rule `review`: the approval by git-reviewer for these staged changes has expired"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        find(&repo.new_events(), "commit_blocked").details["rule"],
        "review"
    );
}

#[test]
fn gitignore_only_needs_no_review() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage(".gitignore", "target/\n");
    repo.stage("sub/dir/.gitignore", "*.log\n");
    let ran = repo.commit_as_agent("ignore things");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_gitignore_only", "commit_completed"]);
    assert_eq!(
        events[0].details["files"],
        serde_json::json!([".gitignore", "sub/dir/.gitignore"])
    );
    assert_eq!(events[0].details["rule"], "review");

    // A .gitignore together with anything else needs review.
    repo.stage(".gitignore", "target/\n*.tmp\n");
    repo.stage("a.txt", "a");
    assert_eq!(repo.commit_as_agent("more").code, 1);
}

#[test]
fn skip_variable_passes_and_records_the_bypass_with_its_reason() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(
        &[
            ("PILOT_SKIP_REVIEW", "1"),
            ("PILOT_SKIP_REASON", "production is down"),
        ],
        &["commit", "-q", "-m", "hotfix", "-m", "Agent: test-agent"],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("recorded as `bypass_review`"),
        "{}",
        ran.stderr
    );
    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["commit_review_required", "bypass_review", "commit_completed"]
    );
    let bypass = &events[1].details;
    assert_eq!(bypass["reason"], "production is down");
    assert_eq!(bypass["bypass_method"], "PILOT_SKIP_REVIEW=1");
    assert_eq!(bypass["user"], "Test Agent <agent@example.com>");
    assert_eq!(bypass["branch"], "main");
    assert_eq!(bypass["files"], serde_json::json!(["a.txt"]));
    assert_eq!(bypass["file_count"], 1);

    // Without a reason, the predecessor's wording.
    repo.stage("b.txt", "b\n");
    let ran = repo.git_env(
        &[("PILOT_SKIP_REVIEW", "1")],
        &["commit", "-q", "-m", "b", "-m", "Agent: test-agent"],
    );
    assert_eq!(ran.code, 0);
    assert_eq!(
        find(&repo.new_events(), "bypass_review").details["reason"],
        "PILOT_SKIP_REVIEW environment variable"
    );
}

#[test]
fn required_rule_refuses_the_skip_variable() {
    let mut repo = HookRepo::new("[review]\nrequired = true\n");
    repo.stage("a.txt", "a\n");
    let ran = repo.git_env(
        &[("PILOT_SKIP_REVIEW", "1")],
        &["commit", "-q", "-m", "a", "-m", "Agent: test-agent"],
    );
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .contains("PILOT_SKIP_REVIEW=1 was refused: the rule is required"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("escape hatch: none: `review` is required, so PILOT_SKIP_REVIEW is ignored"),
        "{}",
        ran.stderr
    );
    let events = repo.new_events();
    assert_eq!(find(&events, "commit_blocked").details["bypass_refused"], true);
    assert!(events.iter().all(|e| e.event_type != "bypass_review"));
}

#[test]
fn audit_mode_records_what_it_would_block_and_lets_it_through() {
    let mut repo = HookRepo::new("[review]\nmode = \"audit\"\n");
    repo.stage("a.txt", "a\n");
    let ran = repo.commit_as_agent("a");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(
        ran.stderr,
        "enforce: audit: rule `review` would block this commit: the staged changes have not been reviewed\n"
    );
    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["commit_review_required", "audit_would_block", "commit_completed"]
    );
    assert_eq!(events[1].details["rule"], "review");
}

#[test]
fn off_mode_checks_nothing() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    assert_eq!(repo.commit_as_agent("a").code, 0);
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"]);
    assert_eq!(
        events[0].details["rules_checked"],
        serde_json::json!(["agent-trailer"])
    );
}

#[test]
fn nothing_staged_needs_no_review() {
    let mut repo = HookRepo::new(DEFAULTS);
    let ran = repo.git_env(
        &[],
        &["commit", "-q", "--allow-empty", "-m", "empty", "-m", "Agent: a"],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(repo.new_types(), ["commit_completed"]);
    let approve = repo.enforce(&["review", "approve"]);
    assert_eq!(approve.code, 2);
    assert!(
        approve
            .stderr
            .starts_with("enforce: nothing is staged, so there is nothing to approve\n")
    );
}

#[test]
fn review_clear_removes_approvals() {
    let repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    repo.approve();
    let ran = repo.enforce(&["review", "clear"]);
    assert_eq!(ran.stdout, "removed 1 approval(s)\n");
    assert_eq!(repo.enforce(&["review", "status"]).code, 1);
}

#[test]
fn configured_reviewer_command_and_trailer() {
    let repo = HookRepo::new(
        "[review]\nreviewer = \"code-bot\"\ncommand = \"code-bot review --staged\"\ntrailer = \"Approved-by\"\n",
    );
    repo.stage("a.txt", "a\n");
    let ran = repo.commit_as_agent("a");
    assert!(
        ran.stderr
            .contains("    run the reviewer: code-bot review --staged\n"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("enforce review approve --reviewer code-bot\n"),
        "{}",
        ran.stderr
    );
    repo.approve();
    assert_eq!(repo.commit_as_agent("a").code, 0);
    assert_eq!(
        repo.message(),
        "a\n\nAgent: test-agent\nApproved-by: code-bot\n\n"
    );
}

#[test]
fn a_reviewer_name_cannot_inject_trailers() {
    let repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    let ran = repo.enforce(&["review", "approve", "--reviewer", "evil\n\nAgent: forged"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .starts_with("enforce: the reviewer name contains a line break"),
        "{}",
        ran.stderr
    );
}
