//! Receipts of rewritten commits: amend, rebase (both backends) and
//! cherry-pick. A rewrite that keeps the diff keeps the approval and says
//! where it came from; any other is judged afresh.

use serde_json::Value;

use crate::hookrepo::HookRepo;

/// The receipt on `commit`, as JSON; panics when there is none.
fn receipt(repo: &HookRepo, commit: &str) -> Value {
    let note = repo.git(&["notes", "--ref=enforce", "show", commit]);
    serde_json::from_str(&note).unwrap_or_else(|e| panic!("{e}: {note}"))
}

/// The review decision of a receipt.
fn review(receipt: &Value) -> Value {
    receipt["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "review")
        .cloned()
        .unwrap_or_else(|| panic!("no review decision in {receipt:#}"))
}

fn rev(repo: &HookRepo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_string()
}

fn patch_id(repo: &HookRepo, commit: &str) -> String {
    let out = repo
        .sandbox
        .command("git", repo.root())
        .args(["-c", "core.hooksPath=/dev/null"])
        .args(["show", commit])
        .output()
        .unwrap();
    let mut child = repo
        .sandbox
        .command("git", repo.root())
        .args(["patch-id", "--stable"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// [`assert_carried`], and post-rewrite wrote it.
fn assert_rewritten(repo: &HookRepo, old: &str, new: &str) {
    assert_carried(repo, old, new);
    let r = receipt(repo, new);
    assert!(
        r["hooks"].as_array().unwrap().iter().any(|h| h == "post-rewrite"),
        "{r:#}"
    );
}

/// Asserts that `new`'s receipt is valid for it and carries `old`'s
/// approval over an unchanged diff.
fn assert_carried(repo: &HookRepo, old: &str, new: &str) {
    let r = receipt(repo, new);
    assert_eq!(r["tree"], rev(repo, &format!("{new}^{{tree}}")), "{r:#}");
    let parents: Vec<String> = repo
        .git(&["rev-list", "--parents", "-n1", new])
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    assert_eq!(r["parents"], serde_json::json!(parents), "{r:#}");
    let approval = &r["approval"];
    assert_eq!(approval["carried_from"], old, "{r:#}");
    assert_eq!(approval["patch_id"], patch_id(repo, new), "{r:#}");
    assert_eq!(approval["reviewer"], "git-reviewer", "{r:#}");
    assert_eq!(approval["tree"], receipt(repo, old)["approval"]["tree"], "{r:#}");
    assert_eq!(
        review(&r),
        serde_json::json!({
            "rule": "review",
            "mode": "enforce",
            "outcome": "passed",
            "reason": format!("approval carried from {}: the diff is unchanged", &old[..12]),
        })
    );
}

#[test]
fn a_commit_through_the_hooks_records_the_patch_id_of_its_approval() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let head = repo.head();
    let r = receipt(&repo, &head);
    assert_eq!(r["approval"]["patch_id"], patch_id(&repo, &head), "{r:#}");
    assert_eq!(r["approval"].get("carried_from"), None, "{r:#}");
}

/// pre-commit notes the patch id of the staged diff against HEAD; an
/// amend's receipt needs the one against the amended commit's parent.
#[test]
fn an_amend_with_a_new_approval_records_the_patch_id_against_its_parent() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    repo.stage("b.txt", "b, amended\n");
    repo.approve();
    repo.git_test(&["commit", "-q", "--amend", "-m", "b, amended", "-m", "Agent: x"])
        .run();
    let head = repo.head();
    let r = receipt(&repo, &head);
    assert_eq!(r["operation"], "amend", "{r:#}");
    assert_eq!(r["approval"]["patch_id"], patch_id(&repo, &head), "{r:#}");
    // And a plain commit on top uses the one pre-commit noted.
    repo.commit_reviewed("c.txt", "c\n");
    let head = repo.head();
    assert_eq!(
        receipt(&repo, &head)["approval"]["patch_id"],
        patch_id(&repo, &head)
    );
}

#[test]
fn a_reworded_amend_keeps_its_approval() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let old = repo.head();
    repo.git_test(&["commit", "-q", "--amend", "-m", "a, reworded", "-m", "Agent: x"])
        .run();
    let new = repo.head();
    assert_ne!(old, new);
    assert_rewritten(&repo, &old, &new);
    assert_eq!(receipt(&repo, &new)["operation"], "amend");
}

#[test]
fn an_amend_with_new_content_needs_and_records_its_own_approval() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("b.txt", "b\n");
    repo.approve();
    let tree = repo.git(&["write-tree"]).trim().to_string();
    repo.git_test(&["commit", "-q", "--amend", "-m", "a and b", "-m", "Agent: x"])
        .run();
    let r = receipt(&repo, &repo.head());
    assert_eq!(r["approval"]["tree"], tree, "{r:#}");
    assert_eq!(r["approval"].get("carried_from"), None, "{r:#}");
    assert_eq!(review(&r)["outcome"], "passed", "{r:#}");

    // Skipping the checks to amend in unreviewed content is a bypass, and
    // stays one: nothing is carried over a changed diff.
    repo.stage("c.txt", "c\n");
    repo.git_test(&["commit", "-q", "-n", "--amend", "-m", "a, b, c", "-m", "Agent: x"])
        .stderr_ignored()
        .run();
    let r = receipt(&repo, &repo.head());
    assert_eq!(r.get("approval"), None, "{r:#}");
    assert_eq!(review(&r)["outcome"], "bypassed", "{r:#}");
}

/// main: base, then m.txt; side (from base): s1.txt, s2.txt; all reviewed.
fn two_branches() -> HookRepo {
    let repo = HookRepo::new("");
    repo.commit_reviewed("base.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_reviewed("s1.txt", "s1\n");
    repo.commit_reviewed("s2.txt", "s2\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_reviewed("m.txt", "m\n");
    repo.git(&["checkout", "-q", "side"]);
    repo
}

#[test]
fn a_rebase_that_keeps_the_diffs_keeps_the_approvals_with_either_backend() {
    for backend in ["--merge", "--apply"] {
        let repo = two_branches();
        let old = [rev(&repo, "side~1"), rev(&repo, "side")];
        repo.git_test(&["rebase", "-q", backend, "main"])
            .stderr_ignored()
            .run();
        let new = [rev(&repo, "side~1"), rev(&repo, "side")];
        assert_eq!(rev(&repo, "side~2"), rev(&repo, "main"), "{backend}");
        for (old, new) in old.iter().zip(&new) {
            assert_ne!(old, new, "{backend}");
            assert_rewritten(&repo, old, new);
            assert_eq!(receipt(&repo, new)["operation"], "rebase", "{backend}");
            // The merge backend runs post-commit for each pick; the apply
            // backend does not, and post-rewrite writes the whole receipt.
            let hooks = match backend {
                "--merge" => serde_json::json!(["post-commit", "post-rewrite"]),
                _ => serde_json::json!(["post-rewrite"]),
            };
            assert_eq!(receipt(&repo, new)["hooks"], hooks, "{backend}");
        }
    }
}

#[test]
fn a_rebase_that_changes_a_diff_is_judged_afresh() {
    for backend in ["--merge", "--apply"] {
        let repo = HookRepo::new("");
        repo.commit_reviewed("f.txt", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
        repo.git(&["checkout", "-q", "-b", "side"]);
        repo.commit_reviewed("f.txt", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n");
        let old = repo.head();
        repo.git(&["checkout", "-q", "main"]);
        // A change next to side's: side's diff gets other context lines.
        repo.commit_reviewed("f.txt", "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n");
        repo.git(&["checkout", "-q", "side"]);
        repo.git_test(&["rebase", "-q", backend, "main"])
            .stderr_ignored()
            .run();
        let new = repo.head();
        assert_ne!(patch_id(&repo, &old), patch_id(&repo, &new), "{backend}");
        let r = receipt(&repo, &new);
        assert_eq!(r["tree"], rev(&repo, "HEAD^{tree}"), "{backend}: {r:#}");
        assert_eq!(r.get("approval"), None, "{backend}: {r:#}");
        assert_eq!(
            review(&r),
            serde_json::json!({
                "rule": "review",
                "mode": "enforce",
                "outcome": "failed",
                "reason": "rewritten with a changed diff; no approval for the new tree",
            }),
            "{backend}"
        );
    }
}

#[test]
fn cherry_pick_x_carries_the_approval_and_a_plain_one_does_not() {
    let repo = two_branches();
    let source = rev(&repo, "side");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["cherry-pick", "-x", &source]);
    let picked = repo.head();
    assert_carried(&repo, &source, &picked);
    assert_eq!(receipt(&repo, &picked)["operation"], "cherry-pick");

    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.git(&["cherry-pick", &source]);
    let r = receipt(&repo, &repo.head());
    assert_eq!(r.get("approval"), None, "{r:#}");
    assert_eq!(review(&r)["outcome"], "failed", "{r:#}");
}

#[test]
fn a_kept_post_rewrite_hook_gets_git_s_input() {
    let repo = HookRepo::new("");
    let seen = repo.sandbox.path().join("seen");
    crate::support::write_script(
        &repo.path(".git/hooks/post-rewrite.pre-enforce"),
        &format!("echo \"$1\" > '{0}'; cat >> '{0}'", seen.display()),
    );
    repo.commit_reviewed("a.txt", "a\n");
    let old = repo.head();
    repo.git_test(&["commit", "-q", "--amend", "-m", "reworded", "-m", "Agent: x"])
        .run();
    let new = repo.head();
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        format!("amend\n{old} {new}\n")
    );
    assert_rewritten(&repo, &old, &new);
}
