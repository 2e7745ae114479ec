//! `enforce audit <range>` judges commits from git objects alone: every
//! way around the hooks is rejected in a fresh clone that fetched the
//! notes (and no events file), naming the commit and what it lacks.

use std::path::PathBuf;

use crate::hookrepo::HookRepo;
use crate::support::Test;

const FIX_RECEIPT: &str = "fix: receipt: install enforce where the commit is made (enforce install), make the commit again through its hooks, and push its receipt (git push <remote> refs/notes/enforce)\n";
const FIX_REVIEW: &str = "fix: review: have exactly this change approved (enforce review approve) and make the commit again through the hooks\n";
const FIX_TRAILER: &str = "fix: agent-trailer: name the agent in a trailer (Agent: <agent name>) and make the commit again through the hooks (git commit --amend)\n";
const NO_RECEIPT: &str = "receipt: made without enforce's hooks (no receipt)";
const NO_APPROVAL: &str = "review: not reviewed: without a receipt there is no approval";
const TYPED: &str = "; its `Reviewed-by:` trailer is typed text, not proof";

/// A repository whose `.enforce.toml` (`config`) is committed, reviewed,
/// through the hooks: the base of the ranges audited.
fn adopted(config: &str) -> HookRepo {
    let repo = HookRepo::new(config);
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.git(&["add", ".enforce.toml"]);
    repo.approve();
    repo.commit("adopt enforce").run();
    repo
}

/// A fresh clone of `repo` named `name`, with the receipts fetched (or not).
fn clone(repo: &HookRepo, name: &str, notes: bool) -> PathBuf {
    let sandbox = &repo.sandbox;
    let root = repo.root().to_str().unwrap();
    sandbox.git(sandbox.path(), &["clone", "-q", root, name]);
    let clone = sandbox.path().join(name);
    if notes {
        sandbox.git(
            &clone,
            &["fetch", "-q", "origin", "refs/notes/enforce:refs/notes/enforce"],
        );
    }
    clone
}

/// `enforce audit <base>..HEAD` in a fresh clone with the notes, with the
/// commits of `named` redacted as `[name]`.
fn audit_in_clone(repo: &HookRepo, base: &str, named: &[(&str, &str)]) -> Test {
    let clone = clone(repo, "clone", true);
    let mut test = repo
        .sandbox
        .test(&clone)
        .args(["audit", &format!("{base}..HEAD")])
        .redact(base, "[base]")
        .redact(&base[..12], "[base]");
    for (sha, name) in named {
        test = test.redact(&sha[..12], &format!("[{name}]"));
    }
    test
}

/// `git -c core.hooksPath=/dev/null commit`: no hook runs.
fn commit_without_hooks(repo: &HookRepo, message: &str) {
    repo.git(&["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", message]);
}

const TYPED_TRAILERS: &str = "sneak\n\nAgent: test-agent\nReviewed-by: git-reviewer";

#[test]
fn a_commit_with_hooks_disabled_and_typed_trailers_is_rejected() {
    let repo = adopted("");
    let base = repo.head();
    repo.stage("a.txt", "a\n");
    commit_without_hooks(&repo, TYPED_TRAILERS);
    let sneak = repo.head();
    audit_in_clone(&repo, &base, &[(&sneak, "sneak")])
        .status(1)
        .stdout(format!(
            "[sneak] sneak: {NO_RECEIPT}; {NO_APPROVAL}{TYPED}\naudit [base]..HEAD: 1 of 1 commit(s) offend\n{FIX_RECEIPT}{FIX_REVIEW}"
        ))
        .run();
}

#[test]
fn commit_tree_and_update_ref_are_rejected() {
    let repo = adopted("");
    let base = repo.head();
    repo.stage("a.txt", "a\n");
    let tree = repo.git(&["write-tree"]);
    let made = repo.git(&["commit-tree", tree.trim(), "-p", "HEAD", "-m", "plumbing"]);
    repo.git(&["update-ref", "refs/heads/main", made.trim()]);
    audit_in_clone(&repo, &base, &[(made.trim(), "made")])
        .status(1)
        .stdout(format!(
            "[made] plumbing: {NO_RECEIPT}; {NO_APPROVAL}; agent-trailer: the commit message has no `Agent:` trailer\naudit [base]..HEAD: 1 of 1 commit(s) offend\n{FIX_RECEIPT}{FIX_REVIEW}{FIX_TRAILER}"
        ))
        .run();
}

/// The hooks judge a merge's own changes and a forged merge like any
/// commit, so these were made with --no-verify, and their receipts say so.
const BEYOND: &str =
    "review: bypassed with git commit --no-verify: the staged changes have not been reviewed";
const FIX_SKIPPED: &str = "fix: review: make the commit again through the hooks without skipping `review`\n";

#[test]
fn a_merge_made_by_writing_merge_head_by_hand_is_rejected() {
    let repo = adopted("");
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    // A "merge" of an ancestor: the hooks see no merge in it, so it is
    // blocked like any unreviewed commit, and made with --no-verify.
    std::fs::write(repo.path(".git/MERGE_HEAD"), format!("{base}\n")).unwrap();
    std::fs::write(repo.path(".git/MERGE_MODE"), "no-ff").unwrap();
    repo.stage("evil.txt", "unreviewed\n");
    repo.commit("merge")
        .status(1)
        .stderr_contains("commit blocked by rule `review`")
        .run();
    repo.git_test(&[
        "commit",
        "-q",
        "--no-verify",
        "-m",
        "merge",
        "-m",
        "Agent: test-agent",
    ])
    .stderr_contains("recorded as `commit_review_bypassed`")
    .run();
    let merge = repo.head();
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-1", "HEAD"])
            .split_whitespace()
            .count(),
        3
    );
    audit_in_clone(&repo, &base, &[(&merge, "merge")])
        .status(1)
        .stdout(format!(
            "[merge] merge: {BEYOND}\naudit [base]..HEAD: 1 of 2 commit(s) offend\n{FIX_SKIPPED}"
        ))
        .run();
}

#[test]
fn merge_no_commit_plus_an_added_file_is_rejected_and_a_clean_merge_passes() {
    let repo = adopted("");
    let base = repo.head();
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_reviewed("side.txt", "side\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_reviewed("main.txt", "main\n");
    let before = repo.head();

    // A clean merge of two reviewed branches, through the hooks.
    repo.git_test(&["merge", "-q", "--no-ff", "side", "-m", "Merge side"])
        .run();
    audit_in_clone(&repo, &base, &[])
        .stdout("audit [base]..HEAD: all 3 commit(s) pass\n")
        .run();

    // The same merge with a file slipped in.
    repo.git(&["reset", "-q", "--hard", &before]);
    repo.git_test(&["merge", "-q", "--no-commit", "--no-ff", "side"])
        .stderr("Automatic merge went well; stopped before committing as requested\n")
        .run();
    repo.stage("evil.txt", "unreviewed\n");
    // The hooks judge what it adds beyond the automatic merge.
    repo.git_test(&["commit", "-q", "-m", "Merge side"])
        .status(1)
        .stderr_contains("commit blocked by rule `review`")
        .run();
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "Merge side"])
        .stderr_contains("recorded as `commit_review_bypassed`")
        .run();
    let merge = repo.head();
    std::fs::remove_dir_all(repo.sandbox.path().join("clone")).unwrap();
    audit_in_clone(&repo, &base, &[(&merge, "merge")])
        .status(1)
        .stdout(format!(
            "[merge] Merge side: {BEYOND}\naudit [base]..HEAD: 1 of 3 commit(s) offend\n{FIX_SKIPPED}"
        ))
        .run();
}

const RULES_OFF: &str = "[review]\nmode = \"off\"\n[agent_trailer]\nmode = \"off\"\n";
const WEAKENS: &str = "policy: weakens `review` (mode: enforce → off) without review; policy: weakens `agent-trailer` (mode: enforce → off) without review";
const FIX_POLICY: &str = "fix: policy: have the change to .enforce.toml reviewed (enforce review approve) and make the commit again through the hooks\n";

#[test]
fn switching_the_rules_off_does_not_let_the_switch_or_the_next_commit_pass() {
    // With --no-verify.
    let repo = adopted("");
    let base = repo.head();
    repo.stage(".enforce.toml", RULES_OFF);
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "relax"])
        .stderr_ignored()
        .run();
    let relax = repo.head();
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "unreviewed"]).run();
    audit_in_clone(&repo, &base, &[(&relax, "relax")])
        .status(1)
        .stdout(format!(
            "[relax] relax: review: bypassed with git commit --no-verify: the staged changes have not been reviewed; agent-trailer: bypassed with git commit --no-verify: the commit message has no `Agent:` trailer; {WEAKENS}\naudit [base]..HEAD: 1 of 2 commit(s) offend\nfix: review: make the commit again through the hooks without skipping `review`\nfix: agent-trailer: make the commit again through the hooks without skipping `agent-trailer`\n{FIX_POLICY}"
        ))
        .run();

    // With PILOT_SKIP_REVIEW=1, trailer and all.
    let repo = adopted("");
    let base = repo.head();
    repo.stage(".enforce.toml", RULES_OFF);
    repo.commit("relax")
        .env("PILOT_SKIP_REVIEW", "1")
        .stderr_ignored()
        .run();
    let relax = repo.head();
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "-m", "unreviewed"]).run();
    audit_in_clone(&repo, &base, &[(&relax, "relax")])
        .status(1)
        .stdout(format!(
            "[relax] relax: review: bypassed with PILOT_SKIP_REVIEW=1: the staged changes have not been reviewed; {WEAKENS}\naudit [base]..HEAD: 1 of 2 commit(s) offend\nfix: review: make the commit again through the hooks without skipping `review`\n{FIX_POLICY}"
        ))
        .run();
}

#[test]
fn no_verify_with_typed_trailers_is_rejected() {
    let repo = adopted("");
    let base = repo.head();
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", TYPED_TRAILERS])
        .stderr_ignored()
        .run();
    let sneak = repo.head();
    audit_in_clone(&repo, &base, &[(&sneak, "sneak")])
        .status(1)
        .stdout(
            "[sneak] sneak: review: bypassed with git commit --no-verify: the staged changes have not been reviewed\naudit [base]..HEAD: 1 of 1 commit(s) offend\nfix: review: make the commit again through the hooks without skipping `review`\n"
        )
        .run();
}

#[test]
fn an_added_line_that_breaks_a_content_rule_is_rejected() {
    let repo = adopted("[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\n");
    let base = repo.head();
    repo.stage("notes.md", "fine\nTODO: later\n");
    commit_without_hooks(&repo, TYPED_TRAILERS);
    let sneak = repo.head();
    audit_in_clone(&repo, &base, &[(&sneak, "sneak")])
        .status(1)
        .stdout(format!(
            "[sneak] sneak: {NO_RECEIPT}; {NO_APPROVAL}{TYPED}; no-todo: notes.md:2: matches `TO[D]O`\naudit [base]..HEAD: 1 of 1 commit(s) offend\n{FIX_RECEIPT}{FIX_REVIEW}fix: no-todo: change or remove the line and make the commit again through the hooks\n"
        ))
        .run();
}

#[test]
fn committed_gitattributes_cannot_hide_an_added_line() {
    // The clone checks out `*.py -diff`: git would call a.py binary.
    let repo = adopted("[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\n");
    let base = repo.head();
    repo.stage(".gitattributes", "* -diff\n");
    repo.stage("a.py", "TODO: later\n");
    commit_without_hooks(&repo, TYPED_TRAILERS);
    let sneak = repo.head();
    audit_in_clone(&repo, &base, &[(&sneak, "sneak")])
        .status(1)
        .stdout(format!(
            "[sneak] sneak: {NO_RECEIPT}; {NO_APPROVAL}{TYPED}; no-todo: a.py:1: matches `TO[D]O`\naudit [base]..HEAD: 1 of 1 commit(s) offend\n{FIX_RECEIPT}{FIX_REVIEW}fix: no-todo: change or remove the line and make the commit again through the hooks\n"
        ))
        .run();
}

#[test]
fn a_range_of_every_shape_is_read_in_order() {
    // Root, empty, binary, odd names, merges and plain commits in one
    // range: each commit gets its own diff from the one git that reads
    // them all, so a hit is named at the commit that added it.
    let repo = HookRepo::new(
        "[review]\nmode = \"off\"\n[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\n",
    );
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    let hooks_off = |args: &[&str]| {
        let mut all = vec!["-c", "core.hooksPath=/dev/null"];
        all.extend_from_slice(args);
        repo.git(&all);
    };
    repo.git(&["add", ".enforce.toml"]);
    hooks_off(&["commit", "-q", "-m", "root"]);
    hooks_off(&["commit", "-q", "--allow-empty", "-m", "empty"]);
    std::fs::write(repo.path("bin.dat"), b"\x00TODO\n").unwrap();
    repo.git(&["add", "bin.dat"]);
    hooks_off(&["commit", "-q", "-m", "binary"]);
    repo.stage("new\nline.md", "TODO one\n");
    hooks_off(&["commit", "-q", "-m", "odd name"]);
    let odd = repo.head();
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    repo.stage("side.md", "fine\nTODO two\n");
    hooks_off(&["commit", "-q", "-m", "side"]);
    let side = repo.head();
    repo.git(&["checkout", "-q", "main"]);
    hooks_off(&["merge", "-q", "--no-ff", "-m", "merge", "side"]);
    repo.stage("last.md", "TODO three\n");
    hooks_off(&["commit", "-q", "-m", "last"]);
    let last = repo.head();

    let ran = repo.json_exiting(1, &["audit", "--json", "HEAD"]);
    let mut hits: Vec<(String, String)> = ran["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "no-todo")
        .map(|f| {
            (
                f["commit"].as_str().unwrap().to_string(),
                f["problem"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    hits.sort();
    let mut want = vec![
        (odd, "\"new\\nline.md\":1: matches `TO[D]O`".to_string()),
        (side, "side.md:2: matches `TO[D]O`".to_string()),
        (last, "last.md:1: matches `TO[D]O`".to_string()),
    ];
    want.sort();
    assert_eq!(hits, want);
    assert_eq!(ran["commits"], 7, "{ran}");
    let info = ran["info"].to_string();
    assert!(info.contains("could not read 1 binary file(s)"), "{info}");
}

#[test]
fn a_receipt_copied_from_another_commit_or_written_by_hand_counts_as_none() {
    let repo = adopted("");
    let base = repo.head();
    let receipt = repo.git(&["notes", "--ref=enforce", "list", &base]);
    repo.stage("a.txt", "a\n");
    commit_without_hooks(&repo, TYPED_TRAILERS);
    let copied = repo.head();
    repo.git(&[
        "notes",
        "--ref=enforce",
        "add",
        "-f",
        "-C",
        receipt.trim(),
        &copied,
    ]);
    repo.stage("b.txt", "b\n");
    commit_without_hooks(&repo, "forged\n\nAgent: test-agent");
    let forged = repo.head();
    repo.git(&[
        "notes",
        "--ref=enforce",
        "add",
        "-f",
        "-m",
        "reviewed, trust me",
        &forged,
    ]);
    let tree = |sha: &str| repo.git(&["rev-parse", &format!("{sha}^{{tree}}")])[..12].to_string();
    audit_in_clone(&repo, &base, &[(&copied, "copied"), (&forged, "forged")])
        .redact(tree(&base), "[base tree]")
        .redact(tree(&copied), "[copied tree]")
        .status(1)
        .stdout(format!(
            "[copied] sneak: receipt: made without enforce's hooks (no receipt): the note on it counts as none: receipt is for another commit: it names tree [base tree], the commit has [copied tree]; {NO_APPROVAL}{TYPED}
[forged] forged: receipt: receipt unreadable: not JSON (expected value at line 1 column 1); {NO_APPROVAL}
audit [base]..HEAD: 2 of 2 commit(s) offend
{FIX_RECEIPT}{FIX_REVIEW}"
        ))
        .run();
}

#[test]
fn a_reviewed_trailered_commit_made_through_the_hooks_passes() {
    let repo = adopted("");
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    assert!(repo.message().contains("Reviewed-by: git-reviewer"));
    audit_in_clone(&repo, &base, &[])
        .stdout("audit [base]..HEAD: all 1 commit(s) pass\n")
        .run();
    // The same commit, judged where it was made, from the same receipt.
    repo.test()
        .args(["audit", &format!("{base}..HEAD")])
        .redact(&base, "[base]")
        .stdout("audit [base]..HEAD: all 1 commit(s) pass\n")
        .run();
}

/// A reviewed commit reworded around the hooks to name another
/// reviewer: its receipt carries the approval to the unchanged content,
/// and audit holds the trailer to it.
#[test]
fn a_review_trailer_naming_someone_else_than_the_approver_is_rejected() {
    let repo = adopted("");
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    repo.git(&[
        "commit",
        "-q",
        "--amend",
        "--no-verify",
        "-m",
        "add a",
        "-m",
        "Agent: test-agent\nReviewed-by: the-security-team",
    ]);
    let sha = repo.head();
    audit_in_clone(&repo, &base, &[(&sha, "a")])
        .status(1)
        .stdout(
            "[a] add a: review-trailer: the message names `the-security-team` in a `Reviewed-by:` trailer, but the approval it uses is git-reviewer's
audit [base]..HEAD: 1 of 1 commit(s) offend
fix: review-trailer: a commit's `Reviewed-by:` trailer may name only whoever approved it: reword the message (git commit --amend) and push again
",
        )
        .run();
}

#[test]
fn a_clone_without_the_notes_says_how_to_push_them() {
    let repo = adopted("");
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    let reviewed = repo.head();
    let clone = clone(&repo, "bare-of-notes", false);
    repo.sandbox
        .test(&clone)
        .args(["audit", &format!("{base}..HEAD")])
        .redact(&base, "[base]")
        .redact(&reviewed[..12], "[reviewed]")
        .status(1)
        .stdout(format!(
            "[reviewed] add a.txt: {NO_RECEIPT}; {NO_APPROVAL}{TYPED}
audit [base]..HEAD: 1 of 1 commit(s) offend
{FIX_RECEIPT}{FIX_REVIEW}hint: no receipts could be read here: where the commits were made, push them with `git push <remote> refs/notes/enforce`; to read them in a clone, `git fetch <remote> refs/notes/enforce:refs/notes/enforce`
"
        ))
        .run();
}

#[test]
fn audit_since_exempts_the_history_before_adoption() {
    let repo = HookRepo::new("");
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.stage("old.txt", "old\n");
    commit_without_hooks(&repo, "before enforce");
    repo.stage("old.txt", "older\n");
    commit_without_hooks(&repo, "still before");
    let last = repo.head();
    repo.stage(".enforce.toml", &format!("[audit]\nsince = \"{last}\"\n"));
    repo.approve();
    repo.commit("adopt enforce")
        .stderr(format!("enforce: warning: this commit weakens `audit` (since: (none) → {last}); recorded as `rule_weakened`\n"))
        .run();
    let adopt = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    let clone = clone(&repo, "clone", true);
    repo.sandbox
        .test(&clone)
        .args(["audit", "HEAD"])
        .redact(&last, "[last]")
        .redact(&adopt[..12], "[adopt]")
        .stdout(
            "note: [adopt] adopt enforce: weakens `audit` (since: (none) → [last]); reviewed by git-reviewer
audit HEAD: all 4 commit(s) pass (2 exempt by [audit] since)
",
        )
        .run();
}

#[test]
fn a_shallow_clone_cannot_judge_its_boundary() {
    let repo = adopted("");
    repo.commit_reviewed("a.txt", "a\n");
    let reviewed = repo.head();
    let sandbox = &repo.sandbox;
    let url = format!("file://{}", repo.root().display());
    sandbox.git(sandbox.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = sandbox.path().join("shallow");
    sandbox.git(
        &shallow,
        &["fetch", "-q", "origin", "refs/notes/enforce:refs/notes/enforce"],
    );
    sandbox
        .test(&shallow)
        .args(["audit", "HEAD"])
        .redact(&reviewed[..12], "[reviewed]")
        .status(2)
        .stdout(
            "cannot judge [reviewed]: the parent of [reviewed] is not in this clone (shallow): fetch with --unshallow or fetch-depth: 0
audit HEAD: 0 of 1 commit(s) offend, 1 cannot be judged
",
        )
        .run();
}

#[test]
fn a_parent_policy_that_does_not_validate_makes_the_commit_unjudgeable() {
    let repo = adopted("");
    let base = repo.head();
    repo.stage(".enforce.toml", "[review]\nmood = \"off\"\n");
    commit_without_hooks(&repo, "break the policy\n\nAgent: test-agent");
    let broken = repo.head();
    repo.stage("a.txt", "a\n");
    commit_without_hooks(&repo, "on a broken policy\n\nAgent: test-agent");
    let after = repo.head();
    audit_in_clone(&repo, &base, &[(&broken, "broken"), (&after, "after")])
        .status(1)
        .stdout(format!(
            "[broken] break the policy: {NO_RECEIPT}; {NO_APPROVAL}; policy: the .enforce.toml it commits does not validate (.enforce.toml:2:1: unknown field `mood`, expected one of `mode`, `reviewer`, `max_age_seconds`, `trailer`, `merges`, `required`, `command`, `require_signature`, `signers`, `revocations`): commits made on it cannot be judged
cannot judge [after]: the .enforce.toml committed at its parent [broken] does not validate: .enforce.toml:2:1: unknown field `mood`, expected one of `mode`, `reviewer`, `max_age_seconds`, `trailer`, `merges`, `required`, `command`, `require_signature`, `signers`, `revocations`
audit [base]..HEAD: 1 of 2 commit(s) offend, 1 cannot be judged
{FIX_RECEIPT}{FIX_REVIEW}fix: policy: fix .enforce.toml (enforce config check) and make the commit again through the hooks
"
        ))
        .run();
}

#[test]
fn json_and_sarif_carry_every_finding_and_record_writes_them_as_events() {
    let repo = adopted("[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\nmode = \"audit\"\n");
    let base = repo.head();
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("my notes.md", "TODO\n");
    commit_without_hooks(&repo, TYPED_TRAILERS);
    let sneak = repo.head();
    let clone = clone(&repo, "clone", true);
    let range = format!("{base}..HEAD");
    let run = |args: &[&str], code: i32| {
        repo.sandbox
            .test(&clone)
            .arg("audit")
            .arg(&range)
            .args(args)
            .status(code)
            .stdout_ignored()
            .run()
            .stdout
    };

    let report: serde_json::Value = serde_json::from_str(&run(&["--json"], 1)).unwrap();
    assert_eq!(report["range"], range.as_str());
    assert_eq!(
        (
            &report["commits"],
            &report["offending_commits"],
            &report["exempt"]
        ),
        (&2.into(), &1.into(), &0.into())
    );
    assert_eq!(
        (&report["passed"], &report["receipts_found"]),
        (&false.into(), &true.into())
    );
    assert_eq!(report["unjudged"], serde_json::json!([]));
    let findings = report["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["receipt", "review", "no-todo"]);
    assert!(
        findings
            .iter()
            .all(|f| f["commit"] == sneak.as_str() && f["subject"] == "sneak")
    );
    assert_eq!(findings[0]["level"], "error");
    assert_eq!(findings[0]["file"], serde_json::Value::Null);
    assert_eq!(
        findings[2],
        serde_json::json!({
            "commit": sneak,
            "subject": "sneak",
            "rule": "no-todo",
            "problem": "my notes.md:1: matches `TO[D]O` (the rule is in audit mode)",
            "fix": "change or remove the line and make the commit again through the hooks",
            "file": "my notes.md",
            "line": 1,
            "level": "warning",
        })
    );

    let sarif = run(&["--format", "sarif"], 1);
    crate::sarif_schema::assert_valid_sarif(&sarif);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &sarif["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "enforce");
    let ids: Vec<&str> = run0["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["receipt", "review", "no-todo"]);
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let hit = &results[2];
    assert_eq!(
        (&hit["ruleId"], &hit["ruleIndex"], &hit["level"]),
        (&"no-todo".into(), &2.into(), &"warning".into())
    );
    assert_eq!(
        hit["locations"][0]["physicalLocation"],
        serde_json::json!({ "artifactLocation": { "uri": "my%20notes.md" }, "region": { "startLine": 1 } })
    );
    let whole = &results[0];
    assert_eq!(
        whole["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        ".enforce.toml"
    );
    assert_eq!(
        whole["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        sneak.as_str()
    );
    assert_eq!(whole["partialFingerprints"]["commitSha/v1"], sneak.as_str());
    assert_eq!(run0["invocations"][0]["executionSuccessful"], true);

    // --no-log is still accepted, and changes nothing.
    assert_eq!(run(&["--no-log"], 1), run(&[], 1));
    // --record: one `audit_offence` per finding, in the clone's own log.
    run(&["--record"], 1);
    let log = std::fs::read_to_string(clone.join(".git/enforce/events.jsonl")).unwrap();
    let recorded: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(recorded.len(), 3);
    assert!(recorded.iter().all(|e| e["event_type"] == "audit_offence"));
    assert_eq!(recorded[2]["details"]["rule"], "no-todo");
    assert_eq!(recorded[2]["details"]["commit_sha"], sneak.as_str());
}

#[test]
fn an_unjudged_commit_is_a_failed_invocation_in_sarif() {
    let repo = adopted("");
    repo.commit_reviewed("a.txt", "a\n");
    let sandbox = &repo.sandbox;
    let url = format!("file://{}", repo.root().display());
    sandbox.git(sandbox.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let sarif = sandbox
        .test(&sandbox.path().join("shallow"))
        .args(["audit", "HEAD", "--format", "sarif"])
        .status(2)
        .stdout_ignored()
        .run()
        .stdout;
    crate::sarif_schema::assert_valid_sarif(&sarif);
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let text = invocation["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("is not in this clone (shallow)"), "{text}");
    assert_eq!(sarif["runs"][0]["results"], serde_json::json!([]));
}
