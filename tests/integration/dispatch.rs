//! The binary runs a hook when started under a hook's name, and the CLI
//! otherwise.

use std::os::unix::fs::symlink;

use crate::support::{Sandbox, Test, enforce_bin, write_script};

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
    Test::new(sandbox.command(hooks.join("pre-commit"), &repo.root)).run();
    Test::new(sandbox.command(hooks.join("commit-msg"), &repo.root))
        .arg(repo.path("msg"))
        .run();
    Test::new(sandbox.command(hooks.join("post-commit"), &repo.root))
        .stderr(
            "enforce: warning: this commit skipped the pre-commit and commit-msg hook(s) (git commit --no-verify?); checking its rules now and recording any failure as a bypass
enforce: warning: the commit message has no `Agent:` trailer and the check was skipped; recorded as `bypass_agent_trailer`
",
        )
        .run();

    // Under its own name the binary is the CLI.
    sandbox
        .test(&repo.root)
        .status(2)
        .stderr_contains("Usage: enforce")
        .run();
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

    // The kept hook's exit code passes through.
    Test::new(sandbox.command(hooks.join("commit-msg"), &repo.root))
        .arg("MSGFILE")
        .status(3)
        .stdout("kept hook saw MSGFILE\n")
        .redact(sandbox.path(), "[SANDBOX]")
        .stderr(
            "kept hook complains\nenforce: the kept `commit-msg` hook `[SANDBOX]/hooks/commit-msg.pre-enforce` failed with exit code 3\n",
        )
        .run();
}

#[test]
fn hook_subcommand_runs_hooks_and_rejects_unknown_names() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .test(&repo.root)
        .args(["hook", "post-commit"])
        .stderr(
            "enforce: warning: post-commit could not record this commit: git failed while reading commit `HEAD`: revspec 'HEAD' not found\n",
        )
        .run();
    // Nothing to send: pre-push says nothing.
    sandbox
        .test(&repo.root)
        .args(["hook", "pre-push", "origin", "/nowhere"])
        .run();
    sandbox
        .test(&repo.root)
        .args(["hook", "pre-rebase", "main"])
        .status(2)
        .stderr(
            "enforce: unknown hook `pre-rebase`: enforce runs `pre-commit`, `pre-merge-commit`, `commit-msg`, `post-commit`, `post-merge`, `post-rewrite` and `pre-push`, and `pre-receive` on a server\n",
        )
        .run();
}
