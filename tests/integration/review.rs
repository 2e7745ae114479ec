//! The review rule through real `git commit`s.

use crate::hookrepo::{HookRepo, find, types};

const DEFAULTS: &str = "";

/// The tree of `a.txt` holding "a\n", as the review messages name it.
const TREE_A: &str = "1 file(s), tree 08585692ce06: a.txt";

/// What the review rule says when it blocks a commit for `why`: `staged`
/// names the staged tree and files, `review` is the fix's first step and
/// `reviewer` the one to approve.
pub fn blocked(why: &str, staged: &str, review: &str, reviewer: &str) -> String {
    format!(
        "enforce: commit blocked by rule `review`: {why}
  staged: {staged}
  fix:
    {review}
    approve exactly what is staged: enforce review approve --reviewer {reviewer}
    commit again (restaging anything after approval needs a new approval)
  escape hatch: PILOT_SKIP_REVIEW=1 PILOT_SKIP_REASON=\"<why>\" git commit … (recorded as `bypass_review`)
"
    )
}

pub const NOT_REVIEWED: &str = "the staged changes have not been reviewed";
pub const DIFF: &str = "review what is staged: git diff --cached";

/// A pattern for what `enforce review approve` prints when `reviewer`
/// approves the staged `files` as `tree`; the expiry is a time of day.
pub fn approved(tree: &str, reviewer: &str, files: &[&str]) -> String {
    let listed: String = files
        .iter()
        .map(|f| format!("  {}\n", regex::escape(f)))
        .collect();
    format!(
        r"approved: tree {tree} \({} file\(s\)\) as {reviewer}, valid until \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00 \(in \d+ min\)
{listed}commit it now; restaging anything needs a new approval
",
        files.len()
    )
}

/// What a commit says when PILOT_SKIP_REVIEW=1 lets it through.
const SKIPPED: &str = "enforce: bypass: rule `review` skipped with PILOT_SKIP_REVIEW=1 (the staged changes have not been reviewed); recorded as `bypass_review`\n";

#[test]
fn unreviewed_commit_is_blocked_with_fix_and_escape_hatch() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    repo.commit("add a")
        .status(1)
        .stderr(blocked(NOT_REVIEWED, TREE_A, DIFF, "git-reviewer"))
        .run();
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
    repo.test()
        .args(["review", "approve", "--reviewer", "alice", "--note", "looks good"])
        .stdout_matches(&approved("08585692ce06", "alice", &["a.txt"]))
        .run();

    repo.test()
        .args(["review", "status"])
        .stdout_matches(
            r"approved: what is staged \(tree 08585692ce06, 1 file\(s\)\) was approved by alice at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00; expires \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00 \(in \d+ min\)
",
        )
        .run();

    // A passing commit is quiet.
    repo.commit("add a").run();
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
    repo.test()
        .args(["review", "status"])
        .stdout("nothing is staged: no approval needed\n")
        .run();
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

    repo.test()
        .args(["review", "status"])
        .status(1)
        .stdout(
            "not approved: the staged changes differ from what was approved (the approval is bound to the exact staged content) (tree 7a7785908913, 1 file(s))
1 approval(s) exist for other staged content: the staged files changed after approval
review what is staged (git diff --cached), then: enforce review approve
",
        )
        .run();

    repo.commit("add a")
        .status(1)
        .stderr(blocked(
            "the staged changes differ from what was approved (the approval is bound to the exact staged content)",
            "1 file(s), tree 7a7785908913: a.txt",
            DIFF,
            "git-reviewer",
        ))
        .run();
    let events = repo.new_events();
    assert_eq!(find(&events, "commit_blocked").details["rule"], "review");
}

#[test]
fn expired_approval_blocks() {
    let mut repo = HookRepo::new("[review]\nmax_age_seconds = 1\n");
    repo.stage("a.txt", "a\n");
    repo.approve();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    repo.test()
        .args(["review", "status"])
        .status(1)
        .stdout(
            "not approved: the approval by git-reviewer for these staged changes has expired (tree 08585692ce06, 1 file(s))
review what is staged (git diff --cached), then: enforce review approve
",
        )
        .run();
    repo.commit("add a")
        .status(1)
        .stderr(blocked(
            "the approval by git-reviewer for these staged changes has expired",
            TREE_A,
            DIFF,
            "git-reviewer",
        ))
        .run();
    assert_eq!(
        find(&repo.new_events(), "commit_blocked").details["rule"],
        "review"
    );
}

/// An approval that expires while the commit message is being written
/// counted when pre-commit checked it: post-commit, judging the commit
/// again to confirm pre-commit's note, judges it as of then.
#[test]
fn an_approval_expiring_in_the_editor_still_counts() {
    let mut repo = HookRepo::new("[review]\nmax_age_seconds = 1\n");
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.git_test(&["commit", "-q", "-e", "-m", "add a", "-m", "Agent: test-agent"])
        .env("GIT_EDITOR", "sleep 1.5 && true")
        .run();
    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["review_approved", "commit_review_required", "commit_completed"]
    );
    assert_eq!(events[2].details["review"], "approved");
    assert!(events[2].details.get("note_rejected").is_none());
}

#[test]
fn gitignore_only_needs_no_review() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage(".gitignore", "target/\n");
    repo.stage("sub/dir/.gitignore", "*.log\n");
    repo.commit("ignore things").run();
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
    repo.commit("more")
        .status(1)
        .stderr(blocked(
            NOT_REVIEWED,
            "2 file(s), tree 669b287e450f: .gitignore, a.txt",
            DIFF,
            "git-reviewer",
        ))
        .run();
}

#[test]
fn skip_variable_passes_and_records_the_bypass_with_its_reason() {
    let mut repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    repo.commit("hotfix")
        .env("PILOT_SKIP_REVIEW", "1")
        .env("PILOT_SKIP_REASON", "production is down")
        .stderr(SKIPPED)
        .run();
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
    repo.commit("b")
        .env("PILOT_SKIP_REVIEW", "1")
        .stderr(SKIPPED)
        .run();
    assert_eq!(
        find(&repo.new_events(), "bypass_review").details["reason"],
        "PILOT_SKIP_REVIEW environment variable"
    );
}

#[test]
fn required_rule_refuses_the_skip_variable() {
    let mut repo = HookRepo::new("[review]\nrequired = true\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a")
        .env("PILOT_SKIP_REVIEW", "1")
        .status(1)
        .stderr(
            "enforce: commit blocked by rule `review`: the staged changes have not been reviewed
  staged: 1 file(s), tree 08585692ce06: a.txt
  PILOT_SKIP_REVIEW=1 was refused: the rule is required (`required = true` in [review])
  fix:
    review what is staged: git diff --cached
    approve exactly what is staged: enforce review approve --reviewer git-reviewer
    commit again (restaging anything after approval needs a new approval)
  escape hatch: none: `review` is required, so PILOT_SKIP_REVIEW is ignored
",
        )
        .run();
    let events = repo.new_events();
    assert_eq!(find(&events, "commit_blocked").details["bypass_refused"], true);
    assert!(events.iter().all(|e| e.event_type != "bypass_review"));
}

#[test]
fn audit_mode_records_what_it_would_block_and_lets_it_through() {
    let mut repo = HookRepo::new("[review]\nmode = \"audit\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a")
        .stderr("enforce: audit: rule `review` would block this commit: the staged changes have not been reviewed\n")
        .run();
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
    repo.commit("a").run();
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
    repo.git_test(&["commit", "-q", "--allow-empty", "-m", "empty", "-m", "Agent: a"])
        .run();
    assert_eq!(repo.new_types(), ["commit_completed"]);
    repo.test()
        .args(["review", "approve"])
        .status(2)
        .stderr("enforce: nothing is staged, so there is nothing to approve\nhint: stage the changes with `git add`, review them, then run `enforce review approve`\n")
        .run();
}

#[test]
fn review_clear_removes_approvals() {
    let repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.test()
        .args(["review", "clear"])
        .stdout("removed 1 approval(s)\n")
        .run();
    repo.test()
        .args(["review", "status"])
        .status(1)
        .stdout(
            "not approved: the staged changes have not been reviewed (tree 08585692ce06, 1 file(s))
review what is staged (git diff --cached), then: enforce review approve
",
        )
        .run();
}

#[test]
fn configured_reviewer_command_and_trailer() {
    let repo = HookRepo::new(
        "[review]\nreviewer = \"code-bot\"\ncommand = \"code-bot review --staged\"\ntrailer = \"Approved-by\"\n",
    );
    repo.stage("a.txt", "a\n");
    repo.commit("a")
        .status(1)
        .stderr(blocked(
            NOT_REVIEWED,
            TREE_A,
            "run the reviewer: code-bot review --staged",
            "code-bot",
        ))
        .run();
    repo.approve();
    repo.commit("a").run();
    assert_eq!(
        repo.message(),
        "a\n\nAgent: test-agent\nApproved-by: code-bot\n\n"
    );
}

#[test]
fn a_reviewer_name_cannot_inject_trailers() {
    let repo = HookRepo::new(DEFAULTS);
    repo.stage("a.txt", "a\n");
    repo.test()
        .args(["review", "approve", "--reviewer", "evil\n\nAgent: forged"])
        .status(2)
        .stderr(
            "enforce: the reviewer name contains a line break or another control character\nhint: name the reviewer on one line: --reviewer NAME (it becomes a `Reviewed-by:` trailer)\n",
        )
        .run();
}

/// The review trailer enforce added stays valid on an amend that changes
/// nothing but the message; an amend that changes the content under a
/// new reviewer's approval must drop the old reviewer's trailer, which
/// would otherwise claim a review of content that reviewer never saw.
#[test]
fn an_amend_keeps_the_review_trailer_only_for_the_content_it_reviewed() {
    let repo = HookRepo::new(DEFAULTS);
    repo.commit_reviewed("a.txt", "a\n");
    assert!(repo.message().contains("Reviewed-by: git-reviewer\n"));
    repo.git_test(&["commit", "-q", "--amend", "--no-edit"]).run();
    repo.git_test(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "add a, reworded",
        "-m",
        "Agent: test-agent\nReviewed-by: git-reviewer",
    ])
    .run();
    assert!(repo.message().starts_with("add a, reworded\n"));

    repo.stage("a.txt", "a, changed\n");
    repo.test()
        .args(["review", "approve", "--reviewer", "bob"])
        .stdout_ignored()
        .run();
    repo.git_test(&["commit", "-q", "--amend", "--no-edit"])
        .status(1)
        .stderr_contains(
            "commit blocked by rule `review-trailer`: the message names `git-reviewer` in a `Reviewed-by:` trailer, but the approval it uses is bob's",
        )
        .run();
    repo.git_test(&[
        "commit",
        "-q",
        "--amend",
        "-m",
        "add a, changed",
        "-m",
        "Agent: test-agent",
    ])
    .run();
    let message = repo.message();
    assert!(message.contains("Reviewed-by: bob\n"), "{message}");
    assert!(!message.contains("git-reviewer"), "{message}");
}
