//! Commits that skip the checks (`--no-verify`) are caught by post-commit;
//! commits git makes without those hooks (cherry-pick, revert, rebase,
//! merge) are recorded, not reported as bypasses.

use crate::agent_trailer::{self, NO_TRAILER};
use crate::hookrepo::{HookRepo, find, types};
use crate::review::{self, DIFF, NOT_REVIEWED};

/// What post-commit says first about a commit that skipped the checks.
const SKIPPED_HOOKS: &str = "enforce: warning: this commit skipped the pre-commit and commit-msg hook(s) (git commit --no-verify?); checking its rules now and recording any failure as a bypass\n";
/// … when it was not reviewed.
const NOT_REVIEWED_BYPASS: &str = "enforce: CRITICAL: this commit was not reviewed and skipped the review check; recorded as `commit_review_bypassed`\n";
/// … when it has no agent trailer.
const NO_TRAILER_BYPASS: &str = "enforce: warning: the commit message has no `Agent:` trailer and the check was skipped; recorded as `bypass_agent_trailer`\n";

const CONTENT: &str = r#"
[[rules.content]]
name = "no-secrets"
pattern = "SECRET_KEY ="
severity = "critical"
"#;

#[test]
fn no_verify_is_caught_and_recorded_as_critical() {
    let mut repo = HookRepo::new(CONTENT);
    repo.stage("a.txt", "SECRET_KEY = 1\n");
    // Post-commit never fails the commit.
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "sneak"])
        .stderr(format!(
            "{SKIPPED_HOOKS}{NOT_REVIEWED_BYPASS}enforce: warning: 1 added line(s) break rule `no-secrets` and skipped its check; recorded as `bypass_content_rule`\n{NO_TRAILER_BYPASS}"
        ))
        .run();

    let events = repo.new_events();
    assert_eq!(
        types(&events),
        [
            "commit_review_bypassed",
            "violation_detected",
            "bypass_content_rule",
            "bypass_agent_trailer",
            "commit_completed"
        ]
    );
    let sha = repo.head();
    let bypassed = &events[0].details;
    assert_eq!(events[0].source, "post-commit");
    assert_eq!(bypassed["commit_sha"], sha);
    assert_eq!(bypassed["files_changed"], 1);
    assert_eq!(bypassed["reviewer"], "git-reviewer");
    assert_eq!(bypassed["bypass_method"], "git commit --no-verify");
    assert_eq!(bypassed["rule"], "review");
    assert_eq!(events[1].details["commit_sha"], sha);
    assert_eq!(events[2].details["rule"], "no-secrets");
    assert_eq!(events[3].details["bypass_method"], "git commit --no-verify");
    assert_eq!(
        events[4].details["hooks_skipped"],
        serde_json::json!(["pre-commit", "commit-msg"])
    );
}

#[test]
fn a_no_verify_commit_whose_lines_cannot_be_read_is_still_caught() {
    let mut repo = HookRepo::new(CONTENT);
    repo.commit_reviewed("a.txt", "one\n");
    // The parent's blob is missing (a partial clone, a damaged store): the
    // added lines cannot be read, but the bypass must still be recorded.
    let blob = repo.git(&["rev-parse", "HEAD:a.txt"]);
    let blob = blob.trim();
    std::fs::remove_file(repo.path(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]))).unwrap();
    repo.new_events();
    repo.stage("a.txt", "one\nSECRET_KEY = 2\n");
    let ran = repo
        .git_test(&["commit", "-q", "--no-verify", "-m", "sneak"])
        .stderr_ignored()
        .run();
    assert!(ran.stderr.starts_with(SKIPPED_HOOKS), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("enforce: warning: the content rules were not checked: "),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains(NOT_REVIEWED_BYPASS), "{}", ran.stderr);
    assert_eq!(
        types(&repo.new_events()),
        [
            "commit_review_bypassed",
            "bypass_agent_trailer",
            "commit_completed"
        ]
    );
}

#[test]
fn no_verify_of_an_approved_commit_with_a_trailer_is_no_bypass() {
    let mut repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.approve();
    repo.new_events();
    repo.git_test(&["commit", "-q", "-n", "-m", "a", "-m", "Agent: x"])
        .stderr(SKIPPED_HOOKS)
        .run();
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"]);
    assert_eq!(events[0].details["reviewer"], "git-reviewer");
    repo.test()
        .args(["review", "status"])
        .stdout("nothing is staged: no approval needed\n")
        .run();
}

#[test]
fn blocked_attempt_then_no_verify_of_the_same_content_is_caught() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    // pre-commit passes, commit-msg blocks: a note for this attempt remains.
    repo.git_test(&["commit", "-q", "-m", "no trailer"])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(agent_trailer::blocked(NO_TRAILER, "", "<agent name>"))
        .run();
    repo.new_events();
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "no trailer"])
        .stderr(format!("{SKIPPED_HOOKS}{NO_TRAILER_BYPASS}"))
        .run();
    let events = repo.new_events();
    assert_eq!(
        find(&events, "bypass_agent_trailer").details["bypass_method"],
        "git commit --no-verify"
    );
}

#[test]
fn amend_with_the_checks_needs_review_only_for_new_content() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.new_events();

    // Rewording needs no review.
    repo.git_test(&["commit", "-q", "--amend", "-m", "a, reworded", "-m", "Agent: x"])
        .run();
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"]);
    assert_eq!(events[0].details["operation"], "amend");
    assert_eq!(events[0].details["files_changed"], 0);

    // Amending in new content does.
    repo.stage("b.txt", "b\n");
    repo.git_test(&["commit", "-q", "--amend", "-m", "a and b", "-m", "Agent: x"])
        .status(1)
        .stderr(review::blocked(
            NOT_REVIEWED,
            "1 file(s), tree f4b354863caa: b.txt",
            DIFF,
            "git-reviewer",
        ))
        .run();

    // And skipping the checks on an amend is caught too.
    repo.git_test(&[
        "commit",
        "-q",
        "--amend",
        "--no-verify",
        "-m",
        "a and b",
        "-m",
        "Agent: x",
    ])
    .stderr(format!("{SKIPPED_HOOKS}{NOT_REVIEWED_BYPASS}"))
    .run();
    let events = repo.new_events();
    let bypassed = find(&events, "commit_review_bypassed");
    assert_eq!(bypassed.details["files"], serde_json::json!(["b.txt"]));
    assert_eq!(find(&events, "commit_completed").details["operation"], "amend");
}

#[test]
fn cherry_pick_revert_and_rebase_are_recorded_not_reported() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.stage("s.txt", "s\n");
    repo.commit("s").run();
    let side = repo.head();
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("m.txt", "m\n");
    repo.commit("m").run();
    repo.new_events();

    repo.git(&["cherry-pick", &side]);
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"], "{events:#?}");
    assert_eq!(events[0].details["operation"], "cherry-pick");
    assert_eq!(events[0].details["agent"], "test-agent");

    repo.git(&["revert", "--no-edit", "HEAD"]);
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"], "{events:#?}");
    assert_eq!(events[0].details["operation"], "revert");

    repo.git(&["checkout", "-q", "side"]);
    repo.stage("s2.txt", "s2\n");
    repo.commit("s2").run();
    repo.new_events();
    repo.git(&["rebase", "-q", "main"]);
    let events = repo.new_events();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e.event_type == "commit_completed"),
        "{events:#?}"
    );
    assert_eq!(events[0].details["operation"], "rebase");
}

#[test]
fn merges_are_exempt_and_recorded_by_post_merge() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_reviewed("s.txt", "s\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_reviewed("m.txt", "m\n");
    repo.new_events();

    repo.git_test(&["merge", "-q", "--no-ff", "side", "-m", "Merge side"])
        .run();
    let events = repo.new_events();
    assert_eq!(
        types(&events),
        ["commit_merge_exempt", "commit_merge_exempt", "commit_completed"]
    );
    assert_eq!(events[0].details["rule"], "review");
    assert_eq!(events[0].source, "pre-merge-commit");
    assert_eq!(events[1].details["rule"], "agent-trailer");
    assert_eq!(events[2].source, "post-merge");
    assert_eq!(events[2].details["operation"], "merge");
    assert_eq!(events[2].details["commit_sha"], repo.head());

    // A fast-forward makes no commit and records nothing.
    repo.git(&["checkout", "-q", "-b", "ff", "HEAD~1"]);
    repo.new_events();
    repo.git(&["merge", "-q", "--ff-only", "main"]);
    assert!(repo.new_events().is_empty());
}

#[test]
fn merges_can_be_checked() {
    let mut repo = HookRepo::new("[review]\nmerges = \"check\"\n[agent_trailer]\nmode = \"off\"\n");
    repo.commit_reviewed("a.txt", "a\n");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_reviewed("s.txt", "s\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.new_events();
    // The merge needs review.
    repo.git_test(&["merge", "-q", "--no-ff", "side", "-m", "Merge side"])
        .status(1)
        .stderr(
            review::blocked(
                NOT_REVIEWED,
                "1 file(s), tree be8a65ddf40a: s.txt",
                DIFF,
                "git-reviewer",
            ) + "Not committing merge; use 'git commit' to complete the merge.\n",
        )
        .run();
    assert_eq!(
        find(&repo.new_events(), "commit_blocked").source,
        "pre-merge-commit"
    );
}

#[test]
fn reword_during_interactive_rebase_runs_the_checks() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    repo.stage("b.txt", "b\n");
    repo.commit("b").run();
    repo.new_events();
    // The rebase spawns `git commit --amend` for the reword: all commit hooks run.
    repo.git_test(&["rebase", "-q", "-i", "HEAD~1"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i 's/^pick/reword/'")
        .env("GIT_EDITOR", "sed -i 's/^b$/b, reworded/'")
        .stdout_ignored()
        .run();
    assert!(repo.message().starts_with("b, reworded\n"), "{}", repo.message());
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"], "{events:#?}");
    assert!(events[0].details.get("hooks_skipped").is_none());
}

#[test]
fn am_runs_no_commit_hooks_and_is_not_reported() {
    let mut repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    repo.stage("b.txt", "b\n");
    repo.commit("b").run();
    let patches = repo.sandbox.path().join("patches");
    repo.git(&[
        "format-patch",
        "-q",
        "-1",
        "-o",
        patches.to_str().unwrap(),
        "HEAD",
    ]);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.new_events();
    let patch = std::fs::read_dir(&patches)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    repo.git_test(&["am", "-q", patch.to_str().unwrap()]).run();
    assert!(
        repo.new_events().is_empty(),
        "git am runs none of the hooks enforce installs"
    );
}
