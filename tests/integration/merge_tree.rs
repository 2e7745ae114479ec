//! `enforce::git::Git::merge_tree` against `git merge`, in a work tree, a
//! bare repository and a pre-receive hook's quarantine.

use std::fs;
use std::path::Path;

use enforce::git::{AutoMerge, Git};

use crate::support::{Sandbox, TestRepo, write_script};

/// A repository whose `main` and `topic` changed `shared.txt` from one
/// base: in different places (`conflict: false`) or the same line.
fn diverged(sandbox: &Sandbox, conflict: bool) -> TestRepo {
    let repo = sandbox.repo("work");
    let lines: String = (1..=20).map(|i| format!("line {i}\n")).collect();
    repo.write("shared.txt", &lines);
    repo.write("base.txt", "base\n");
    commit(sandbox, &repo, "base");
    sandbox.git(&repo.root, &["checkout", "-q", "-b", "topic"]);
    repo.write("shared.txt", &lines.replace("line 18\n", "topic 18\n"));
    repo.write("topic.txt", "from topic\n");
    commit(sandbox, &repo, "topic");
    sandbox.git(&repo.root, &["checkout", "-q", "main"]);
    let ours = if conflict { "main 18\n" } else { "main 2\n" };
    let line = if conflict { "line 18\n" } else { "line 2\n" };
    repo.write("shared.txt", &lines.replace(line, ours));
    fs::remove_file(repo.path("base.txt")).unwrap();
    commit(sandbox, &repo, "main");
    repo
}

fn commit(sandbox: &Sandbox, repo: &TestRepo, subject: &str) {
    sandbox.git(&repo.root, &["add", "-A"]);
    sandbox.git(&repo.root, &["commit", "-q", "--no-verify", "-m", subject]);
}

fn open(path: &Path) -> Git {
    Git::discover(path).unwrap().expect("a repository")
}

#[test]
fn a_clean_merge_is_the_tree_git_merge_commits() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox, false);
    let merged = open(&repo.root).merge_tree("main", "topic").unwrap();
    sandbox.git(&repo.root, &["merge", "-q", "--no-edit", "--no-verify", "topic"]);
    let expected = sandbox.git(&repo.root, &["rev-parse", "HEAD^{tree}"]);
    assert_eq!(
        merged,
        AutoMerge {
            tree: expected.trim().to_string(),
            clean: true
        }
    );
}

#[test]
fn a_conflicting_merge_is_not_clean_and_its_tree_holds_the_markers() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox, true);
    // Merged as `HEAD`, so the markers name the sides as `git merge` does.
    let merged = open(&repo.root).merge_tree("HEAD", "topic").unwrap();
    assert!(!merged.clean, "{merged:?}");
    let shared = sandbox.git(&repo.root, &["show", &format!("{}:shared.txt", merged.tree)]);
    assert!(
        shared.contains("<<<<<<< HEAD\nmain 18\n=======\ntopic 18\n>>>>>>> topic\n"),
        "{shared}"
    );
    // The same conflicted content `git merge` leaves in the work tree.
    let out = sandbox
        .command("git", &repo.root)
        .args(["merge", "-q", "--no-edit", "--no-verify", "topic"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(fs::read_to_string(repo.path("shared.txt")).unwrap(), shared);
}

#[test]
fn merges_are_made_in_a_bare_repository() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox, false);
    let bare = sandbox.path().join("bare.git");
    sandbox.git(sandbox.path(), &["clone", "-q", "--bare", "work", "bare.git"]);
    let git = open(&bare);
    assert!(git.repo().is_bare());
    let merged = git.merge_tree("main", "topic").unwrap();
    let expected = sandbox.git(&repo.root, &["merge-tree", "--write-tree", "main", "topic"]);
    assert_eq!(merged.tree, expected.trim());
    assert!(merged.clean);
    let kind = sandbox.git(&bare, &["cat-file", "-t", &merged.tree]);
    assert_eq!(kind.trim(), "tree");
}

#[test]
fn what_cannot_be_merged_is_an_error_naming_it() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox, false);
    let git = open(&repo.root);
    let error = git.merge_tree("main", "no-such-branch").unwrap_err().to_string();
    assert_eq!(
        error,
        "git failed while merging `main` and `no-such-branch`: merge-tree: no-such-branch - not something we can merge"
    );
    // A revision is never taken for an option.
    let error = git.merge_tree("main", "--help").unwrap_err().to_string();
    assert!(
        error.starts_with("git failed while merging `main` and `--help`: "),
        "{error}"
    );
}

/// Set to a file by [`merges_and_patch_ids_work_in_a_pre_receive_quarantine`]
/// for the hook that runs [`quarantine_probe`].
const PROBE: &str = "ENFORCE_TEST_QUARANTINE_PROBE";

/// Runs inside a pre-receive hook: this test binary is the hook (see
/// [`merges_and_patch_ids_work_in_a_pre_receive_quarantine`]). Without
/// [`PROBE`] in the environment it has nothing to do.
#[test]
fn quarantine_probe() {
    let Some(out) = std::env::var_os(PROBE) else {
        return;
    };
    assert!(
        std::env::var_os("GIT_QUARANTINE_PATH").is_some(),
        "not in a quarantine"
    );
    let mut stdin = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut stdin).unwrap();
    let pushed = stdin.split_whitespace().nth(1).expect("<old> <new> <ref>");
    let git = open(&std::env::current_dir().unwrap());
    let merged = git.merge_tree("main", pushed).unwrap();
    let commit = git.commit(pushed).unwrap();
    let parent = git.tree_of(&commit.parents[0]).unwrap();
    let patch_id = git.patch_id(&parent, &commit.tree).unwrap().unwrap();
    fs::write(out, format!("{} {} {patch_id}\n", merged.tree, merged.clean)).unwrap();
}

#[test]
fn merges_and_patch_ids_work_in_a_pre_receive_quarantine() {
    let sandbox = Sandbox::new();
    let repo = diverged(&sandbox, false);
    sandbox.git(sandbox.path(), &["init", "-q", "--bare", "server.git"]);
    let server = sandbox.path().join("server.git");
    sandbox.git(&repo.root, &["push", "-q", &server.to_string_lossy(), "main"]);

    let exe = std::env::current_exe().unwrap();
    write_script(
        &server.join("hooks/pre-receive"),
        &format!(
            "exec '{}' merge_tree::quarantine_probe --exact --nocapture --test-threads=1",
            exe.display()
        ),
    );
    let out = sandbox.path().join("probe.out");
    let push = sandbox
        .command("git", &repo.root)
        .args(["push", "-q"])
        .arg(&server)
        .arg("topic")
        .env(PROBE, &out)
        .output()
        .unwrap();
    assert!(
        push.status.success(),
        "push: {}",
        String::from_utf8_lossy(&push.stderr)
    );
    let probed = fs::read_to_string(&out).expect("the hook ran the probe");

    // After the push the quarantine's objects are in the repository: what
    // git computes there now is what the hook saw.
    let tree = sandbox.git(&server, &["merge-tree", "--write-tree", "main", "topic"]);
    let patch_id = sandbox.git(&server, &["diff-tree", "-p", "topic~1", "topic"]);
    let patch_id = sandbox
        .test_git(&server)
        .args(["patch-id", "--stable"])
        .stdin(patch_id)
        .stdout_ignored()
        .run()
        .stdout;
    let patch_id = patch_id.split_whitespace().next().unwrap();
    assert_eq!(probed, format!("{} true {patch_id}\n", tree.trim()));
}
