//! The binary runs a hook when started under a hook's name, and the CLI
//! otherwise.

use std::os::unix::fs::symlink;

use assert_cmd::prelude::*;
use predicates::prelude::*;

use crate::support::{Sandbox, enforce_bin, run, write_script};

#[test]
fn symlink_named_after_a_hook_runs_that_hook() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = sandbox.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    for name in ["pre-commit", "commit-msg", "post-commit"] {
        symlink(enforce_bin(), hooks.join(name)).unwrap();
    }
    repo.write("msg", "subject\n\nAgent: test\n");
    sandbox.git(&repo.root, &["commit", "-q", "--allow-empty", "-m", "first"]);

    // A hook run prints nothing: it is not the CLI's usage text.
    sandbox
        .command(hooks.join("pre-commit"), &repo.root)
        .assert()
        .success()
        .stdout("")
        .stderr("");
    sandbox
        .command(hooks.join("commit-msg"), &repo.root)
        .arg(repo.path("msg"))
        .assert()
        .success()
        .stdout("");
    sandbox
        .command(hooks.join("post-commit"), &repo.root)
        .assert()
        .success()
        .stdout("");

    // Under its own name the binary is the CLI.
    sandbox
        .enforce(&repo.root)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage: enforce"));
}

#[test]
fn hook_started_by_name_chains_the_kept_hook_beside_it() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = sandbox.path().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    symlink(enforce_bin(), hooks.join("commit-msg")).unwrap();
    write_script(
        &hooks.join("commit-msg.pre-enforce"),
        "echo \"kept hook saw $1\"; echo 'kept hook complains' >&2; exit 3",
    );

    let ran = run(sandbox
        .command(hooks.join("commit-msg"), &repo.root)
        .arg("MSGFILE"));
    assert_eq!(ran.code, 3, "the kept hook's exit code passes through");
    assert_eq!(ran.stdout, "kept hook saw MSGFILE\n");
    assert!(ran.stderr.starts_with("kept hook complains\n"), "{}", ran.stderr);
    assert!(ran.stderr.contains("failed with exit code 3"), "{}", ran.stderr);
}

#[test]
fn hook_subcommand_runs_hooks_and_rejects_unknown_names() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .enforce(&repo.root)
        .args(["hook", "post-commit"])
        .assert()
        .success()
        .stdout("");
    sandbox
        .enforce(&repo.root)
        .args(["hook", "pre-push", "origin"])
        .assert()
        .code(2)
        .stderr(
            "enforce: unknown hook `pre-push`: enforce runs `pre-commit`, `pre-merge-commit`, `commit-msg`, `post-commit` and `post-merge`\n",
        );
}
