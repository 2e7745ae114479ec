//! `enforce install` / `enforce uninstall` in every kind of repository.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::{Sandbox, Test, TestRepo, enforce_bin, write_script};

const HOOKS: [&str; 7] = [
    "pre-commit",
    "pre-merge-commit",
    "commit-msg",
    "post-commit",
    "post-merge",
    "post-rewrite",
    "pre-push",
];

/// The `receipts` line of an install in a repository without remotes.
const NO_REMOTE: &str = "receipts: no remote yet; run `enforce install` again after `git remote add` to fetch a remote's receipts\n";

fn assert_installed(hooks_dir: &Path) {
    for name in HOOKS {
        let path = hooks_dir.join(name);
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            text.contains("# enforce-managed-hook"),
            "{name} is not ours:\n{text}"
        );
        assert!(
            text.contains(&format!(
                "#!{} hook-script\n",
                enforce_bin().canonicalize().unwrap().display()
            )),
            "{name} does not name the binary by absolute path:\n{text}"
        );
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "{name} is not executable");
    }
}

/// The hooks directory and each hook's state, as install and uninstall
/// list them.
fn hook_table(hooks_dir: &str, states: [&str; 7]) -> String {
    let mut table = format!("hooks directory: {hooks_dir}\n");
    for (name, state) in HOOKS.iter().zip(states) {
        table.push_str(&format!("  {name:<18}{state}\n"));
    }
    table
}

/// What `enforce install` prints: the hook table, the binary the hooks
/// run, the `config` line (or none) and the events file.
/// What install says of approvals in a repository that does not sign them.
const UNSIGNED: &str = "approvals: unsigned; to make only your reviewers' signed approvals count, see docs/review.md ([review] require_signature)\n";

fn install_report(hooks_dir: &str, states: [&str; 7], runs: &str, config: &str, events: &str) -> String {
    format!(
        "{}hooks run: {runs}\n{NO_REMOTE}{config}rules: review, agent-trailer (see `enforce config show`)\nevents: {events}\n{UNSIGNED}",
        hook_table(hooks_dir, states)
    )
}

/// The `config` line of an install that wrote `<root>/.enforce.toml`.
fn wrote(root: &str) -> String {
    format!("config: wrote {root}/.enforce.toml (edit it to set the rules)\n")
}

/// The `config` line of an install that kept `<root>/.enforce.toml`.
fn kept(root: &str) -> String {
    format!("config: kept existing {root}/.enforce.toml\n")
}

/// What a first `enforce install` in `[SANDBOX]/repo` prints, its hooks
/// running `runs`.
fn first_install(runs: &str) -> String {
    install_report(
        "[SANDBOX]/repo/.git/hooks",
        ["installed"; 7],
        runs,
        &wrote("[SANDBOX]/repo"),
        "[SANDBOX]/repo/.git/enforce/events.jsonl",
    )
}

/// A second install in `[SANDBOX]/repo`, with hooks in `state`.
fn reinstall(state: &str, runs: &str) -> String {
    install_report(
        "[SANDBOX]/repo/.git/hooks",
        [state; 7],
        runs,
        &kept("[SANDBOX]/repo"),
        "[SANDBOX]/repo/.git/enforce/events.jsonl",
    )
}

/// What `enforce uninstall` in `[SANDBOX]/repo` prints.
fn uninstall_report(states: [&str; 7]) -> String {
    hook_table("[SANDBOX]/repo/.git/hooks", states) + "config, events file and receipts are left in place\n"
}

/// A [`Test`] that commits `file` through the installed hooks, with the
/// review rule off and an agent trailer, so only what the test is about
/// can fail. Sandbox paths read `[SANDBOX]`.
fn commit(sandbox: &Sandbox, repo: &TestRepo, file: &str) -> Test {
    repo.write(".enforce.toml", "[review]\nmode = \"off\"\n");
    repo.write(file, file);
    sandbox.git(&repo.root, &["add", file]);
    sandbox
        .test_git(&repo.root)
        .args(["commit", "-q", "-m", &format!("add {file}"), "-m", "Agent: test"])
        .redact(sandbox.path(), "[SANDBOX]")
}

/// A [`Test`] of `enforce args…` in `dir`, with the sandbox's path as
/// `[SANDBOX]` and the binary's as `[ENFORCE]`.
fn enforce(sandbox: &Sandbox, dir: &Path, args: &[&str]) -> Test {
    sandbox
        .test(dir)
        .args(args)
        .redact(enforce_bin().canonicalize().unwrap(), "[ENFORCE]")
        .redact(sandbox.path(), "[SANDBOX]")
}

#[test]
fn installs_into_the_default_hooks_dir_with_config() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    enforce(&sandbox, &repo.root, &["install"])
        .stdout(first_install("[ENFORCE]"))
        .run();
    assert_installed(&hooks_dir);
    let config = fs::read_to_string(repo.path(".enforce.toml")).unwrap();
    assert_eq!(config, include_str!("../../templates/enforce.toml"));
    enforce(&sandbox, &repo.root, &["config", "check"])
        .stdout("[SANDBOX]/repo/.enforce.toml: ok\n")
        .run();

    // git runs them: a commit goes through.
    commit(&sandbox, &repo, "a.txt").run();
}

#[test]
fn no_config_skips_the_config_file_and_an_existing_one_is_kept() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    enforce(&sandbox, &repo.root, &["install", "--no-config"])
        .stdout(install_report(
            "[SANDBOX]/repo/.git/hooks",
            ["installed"; 7],
            "[ENFORCE]",
            "",
            "[SANDBOX]/repo/.git/enforce/events.jsonl",
        ))
        .run();
    assert!(!repo.path(".enforce.toml").exists());

    repo.write(".enforce.toml", "# ours\n");
    enforce(&sandbox, &repo.root, &["install"])
        .stdout(reinstall("already installed", "[ENFORCE]"))
        .run();
    assert_eq!(
        fs::read_to_string(repo.path(".enforce.toml")).unwrap(),
        "# ours\n"
    );
}

#[test]
fn installs_where_core_hooks_path_points_from_a_subdirectory() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox.git(&repo.root, &["config", "core.hooksPath", ".githooks"]);
    fs::create_dir_all(repo.path("src/deep")).unwrap();
    enforce(&sandbox, &repo.path("src/deep"), &["install"])
        .stdout(install_report(
            "[SANDBOX]/repo/.githooks",
            ["installed"; 7],
            "[ENFORCE]",
            &wrote("[SANDBOX]/repo"),
            "[SANDBOX]/repo/.git/enforce/events.jsonl",
        ))
        .run();
    assert_installed(&repo.path(".githooks"));
    assert!(!repo.path(".git/hooks/pre-commit").exists());
    assert!(
        repo.path(".enforce.toml").exists(),
        "config goes to the root, not the subdirectory"
    );
    commit(&sandbox, &repo, "a.txt").run();
}

#[test]
fn installs_from_a_linked_worktree_into_the_common_hooks_dir() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    commit(&sandbox, &repo, "a.txt").run();
    let wt = sandbox.path().join("wt");
    sandbox.git(
        &repo.root,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );

    enforce(&sandbox, &wt, &["install"])
        .stdout(install_report(
            "[SANDBOX]/repo/.git/hooks",
            ["installed"; 7],
            "[ENFORCE]",
            &wrote("[SANDBOX]/wt"),
            "[SANDBOX]/repo/.git/enforce/events.jsonl",
        ))
        .run();
    assert_installed(&repo.path(".git/hooks"));
    assert!(!repo.path(".git/worktrees/wt/hooks").exists());

    // Events recorded from the worktree land in the shared log.
    sandbox
        .test(&wt)
        .args(["record", "import_blocked", "--source", "wt"])
        .run();
    assert_eq!(crate::support::lines(&repo.events_file()).len(), 1);
}

#[test]
fn installs_from_a_submodule_into_its_own_git_dir() {
    let sandbox = Sandbox::new();
    let lib = sandbox.repo("lib");
    commit(&sandbox, &lib, "lib.txt").run();
    let app = sandbox.repo("app");
    sandbox.git(
        &app.root,
        &[
            "-c",
            "protocol.file.allow=always",
            "submodule",
            "add",
            "-q",
            lib.root.to_str().unwrap(),
            "lib",
        ],
    );
    let sub = app.path("lib");
    enforce(&sandbox, &sub, &["install"])
        .stdout(install_report(
            "[SANDBOX]/app/.git/modules/lib/hooks",
            ["installed"; 7],
            "[ENFORCE]",
            &wrote("[SANDBOX]/app/lib"),
            "[SANDBOX]/app/.git/modules/lib/enforce/events.jsonl",
        )
        // The submodule's clone has a remote: its receipts are fetched.
        .replace(
            NO_REMOTE,
            "receipts: fetched from origin into refs/notes/remotes/origin/enforce (fetch refspec added)\n",
        ))
        .run();
    assert_installed(&app.path(".git/modules/lib/hooks"));
    assert!(!app.path(".git/hooks/pre-commit").exists());
    assert!(sub.join(".enforce.toml").exists());
}

#[test]
fn keeps_chains_and_restores_an_existing_hook() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    let witness = sandbox.path().join("witness");
    let original = format!("echo ran >> '{}'", witness.display());
    write_script(&hooks_dir.join("pre-commit"), &original);
    let original_bytes = fs::read(hooks_dir.join("pre-commit")).unwrap();

    enforce(&sandbox, &repo.root, &["install"])
        .stdout(install_report(
            "[SANDBOX]/repo/.git/hooks",
            [
                "installed; the hook that was there is kept as pre-commit.pre-enforce and runs first",
                "installed",
                "installed",
                "installed",
                "installed",
                "installed",
                "installed",
            ],
            "[ENFORCE]",
            &wrote("[SANDBOX]/repo"),
            "[SANDBOX]/repo/.git/enforce/events.jsonl",
        ))
        .run();
    assert_eq!(
        fs::read(hooks_dir.join("pre-commit.pre-enforce")).unwrap(),
        original_bytes
    );
    assert_installed(&hooks_dir);

    // The kept hook runs on commit.
    commit(&sandbox, &repo, "a.txt").run();
    assert_eq!(fs::read_to_string(&witness).unwrap(), "ran\n");

    // A failing kept hook fails the commit, with its own output.
    write_script(
        &hooks_dir.join("pre-commit.pre-enforce"),
        "echo 'lint failed' >&2; exit 1",
    );
    commit(&sandbox, &repo, "b.txt")
        .status(1)
        .stderr("lint failed\nenforce: the kept `pre-commit` hook `.git/hooks/pre-commit.pre-enforce` failed with exit code 1\n")
        .run();
    write_script(&hooks_dir.join("pre-commit.pre-enforce"), &original);

    enforce(&sandbox, &repo.root, &["uninstall"])
        .stdout(uninstall_report([
            "removed; the earlier hook is restored",
            "removed",
            "removed",
            "removed",
            "removed",
            "removed",
            "removed",
        ]))
        .run();
    assert_eq!(fs::read(hooks_dir.join("pre-commit")).unwrap(), original_bytes);
    for name in [
        "pre-merge-commit",
        "commit-msg",
        "post-commit",
        "post-merge",
        "post-rewrite",
        "pre-push",
        "pre-commit.pre-enforce",
    ] {
        assert!(!hooks_dir.join(name).exists(), "{name} left behind");
    }
    assert!(repo.path(".enforce.toml").exists(), "uninstall keeps the config");
}

#[test]
fn reinstall_is_idempotent_and_updates_a_moved_binary() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    enforce(&sandbox, &repo.root, &["install"])
        .stdout(first_install("[ENFORCE]"))
        .run();
    let before: Vec<_> = HOOKS
        .iter()
        .map(|h| fs::read(hooks_dir.join(h)).unwrap())
        .collect();

    let ran = enforce(&sandbox, &repo.root, &["install"])
        .stdout(reinstall("already installed", "[ENFORCE]"))
        .run();
    assert_eq!(
        ran.stdout.matches("already installed").count(),
        7,
        "{}",
        ran.stdout
    );
    let after: Vec<_> = HOOKS
        .iter()
        .map(|h| fs::read(hooks_dir.join(h)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert!(fs::read_dir(&hooks_dir).unwrap().all(|e| {
        let name = e.unwrap().file_name();
        !name.to_string_lossy().contains("pre-enforce") && !name.to_string_lossy().contains("tmp")
    }));

    // The same install from another binary path updates ours in place.
    let moved = sandbox.copied_binary();
    let ran = Test::new(sandbox.command(&moved, &repo.root))
        .arg("install")
        .redact(sandbox.path(), "[SANDBOX]")
        .stdout(reinstall("updated", "[SANDBOX]/bin/enforce"))
        .run();
    assert_eq!(ran.stdout.matches("updated").count(), 7, "{}", ran.stdout);
    let text = fs::read_to_string(hooks_dir.join("pre-commit")).unwrap();
    assert!(
        text.starts_with(&format!("#!{} hook-script\n", moved.display())),
        "{text}"
    );
}

#[test]
fn a_missing_binary_fails_the_commit_loudly_in_both_forms() {
    // Direct hooks: git cannot start the hook and fails the commit; the
    // hook file says how to reinstall.
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let moved = sandbox.copied_binary();
    Test::new(sandbox.command(&moved, &repo.root))
        .arg("install")
        .redact(sandbox.path(), "[SANDBOX]")
        .stdout(first_install("[SANDBOX]/bin/enforce"))
        .run();
    fs::remove_file(&moved).unwrap();
    // The commit must not pass silently.
    commit(&sandbox, &repo, "a.txt")
        .status(1)
        .stderr("fatal: cannot exec '.git/hooks/pre-commit': No such file or directory\n")
        .run();
    let hook = fs::read_to_string(repo.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("that binary is gone: reinstall enforce"), "{hook}");

    // Shell hooks say it themselves.
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let moved = sandbox.copied_binary();
    Test::new(sandbox.command(&moved, &repo.root))
        .args(["install", "--shell"])
        .redact(sandbox.path(), "[SANDBOX]")
        .stdout(first_install("[SANDBOX]/bin/enforce"))
        .run();
    let hook = fs::read_to_string(repo.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.starts_with("#!/bin/sh\n"), "{hook}");
    fs::remove_file(&moved).unwrap();
    // The commit must not pass silently.
    commit(&sandbox, &repo, "a.txt")
        .status(1)
        .stderr("enforce: cannot run the pre-commit hook: [SANDBOX]/bin/enforce is missing or not executable\nhint: reinstall enforce (./install.sh in its source checkout), then run 'enforce install' in this repository\n")
        .run();
}

#[test]
fn shell_hooks_work_like_direct_ones() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    enforce(&sandbox, &repo.root, &["install", "--shell"])
        .stdout(first_install("[ENFORCE]"))
        .run();
    let witness = sandbox.path().join("witness");
    write_script(
        &repo.path(".git/hooks/pre-commit.pre-enforce"),
        &format!("echo ran >> '{}'", witness.display()),
    );
    commit(&sandbox, &repo, "a.txt").run();
    assert_eq!(
        fs::read_to_string(&witness).unwrap(),
        "ran\n",
        "the kept hook is chained"
    );
    let events = fs::read_to_string(repo.events_file()).unwrap();
    assert!(events.contains("\"event_type\":\"commit_completed\""), "{events}");
}

#[test]
fn refuses_to_overwrite_when_a_kept_hook_is_already_there() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    write_script(&hooks_dir.join("post-commit"), "echo new");
    write_script(&hooks_dir.join("post-commit.pre-enforce"), "echo old");

    enforce(&sandbox, &repo.root, &["install"])
        .status(2)
        .stderr("enforce: cannot install `[SANDBOX]/repo/.git/hooks/post-commit`: it is not an enforce hook, and `[SANDBOX]/repo/.git/hooks/post-commit.pre-enforce` already holds an earlier kept hook\nhint: merge `[SANDBOX]/repo/.git/hooks/post-commit` into `[SANDBOX]/repo/.git/hooks/post-commit.pre-enforce` (or move one of them away), then run `enforce install` again\n")
        .run();
    // Nothing was changed, not even the hooks that had no conflict.
    assert!(!hooks_dir.join("pre-commit").exists());
    assert!(!repo.path(".enforce.toml").exists());
    assert_eq!(
        fs::read_to_string(hooks_dir.join("post-commit")).unwrap(),
        "#!/bin/sh\necho new\n"
    );
}

#[test]
fn uninstall_leaves_foreign_hooks_alone() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    enforce(&sandbox, &repo.root, &["install"])
        .stdout(first_install("[ENFORCE]"))
        .run();
    write_script(&hooks_dir.join("commit-msg"), "exit 0");
    enforce(&sandbox, &repo.root, &["uninstall"])
        .stdout(uninstall_report([
            "removed",
            "removed",
            "not an enforce hook; left alone",
            "removed",
            "removed",
            "removed",
            "removed",
        ]))
        .run();
    assert!(hooks_dir.join("commit-msg").exists());
    assert!(!hooks_dir.join("pre-commit").exists());
}

#[test]
fn refuses_a_bare_repository_and_a_plain_directory() {
    let sandbox = Sandbox::new();
    let bare = sandbox.path().join("bare.git");
    fs::create_dir_all(&bare).unwrap();
    sandbox.git(&bare, &["init", "-q", "--bare"]);
    enforce(&sandbox, &bare, &["install"])
        .status(2)
        .stderr(
            "enforce: `[SANDBOX]/bare.git` is a bare repository: commits are not made there, so there is nothing for hooks to check\nhint: run `enforce install` inside a clone that has a work tree\n",
        )
        .run();
    assert!(!bare.join("hooks/pre-commit").exists());

    let plain = sandbox.path().join("plain");
    fs::create_dir_all(&plain).unwrap();
    enforce(&sandbox, &plain, &["install"])
        .env("GIT_CEILING_DIRECTORIES", sandbox.path())
        .status(2)
        .stderr("enforce: `[SANDBOX]/plain` is not inside a git repository\nhint: run it inside a git work tree, or create one with `git init`\n")
        .run();
}

#[test]
fn committed_hook_scripts_run_enforce_from_path_and_fail_loudly_without_it() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks = repo.path("hooks");
    fs::create_dir_all(&hooks).unwrap();
    for name in HOOKS {
        let status = std::process::Command::new("cp")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("hooks").join(name))
            .arg(hooks.join(name))
            .status()
            .unwrap();
        assert!(status.success());
    }
    sandbox.git(&repo.root, &["config", "core.hooksPath", "hooks"]);
    repo.write(".enforce.toml", "[review]\nmode = \"off\"\n");

    // enforce on PATH: the scripts run it and the commit goes through.
    let bin_dir = sandbox.path().join("path-bin");
    fs::create_dir_all(&bin_dir).unwrap();
    std::os::unix::fs::symlink(enforce_bin(), bin_dir.join("enforce")).unwrap();
    repo.write("a.txt", "a");
    sandbox.git(&repo.root, &["add", "a.txt"]);
    sandbox
        .test_git(&repo.root)
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .args(["commit", "-q", "-m", "a", "-m", "Agent: test"])
        .run();

    // Not on PATH: the commit fails and says why.
    repo.write("b.txt", "b");
    sandbox.git(&repo.root, &["add", "b.txt"]);
    Test::new(sandbox.command("/usr/bin/git", &repo.root))
        .env("PATH", "/usr/bin:/bin")
        .args(["commit", "-q", "-m", "b"])
        .status(1)
        .stderr("enforce: cannot run the pre-commit hook: `enforce` is not on PATH\nhint: install it with ./install.sh (or cargo install --path .) from the enforce source checkout\n")
        .run();
}

#[test]
fn a_hooks_path_that_is_not_a_directory_is_named() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox.git(&repo.root, &["config", "core.hooksPath", "/dev/null"]);
    enforce(&sandbox, &repo.root, &["install"])
        .status(2)
        .stderr(
            "enforce: git runs hooks from `/dev/null`, which is not a directory (core.hooksPath): no hook can run there
hint: git config --unset core.hooksPath (or point it at a directory), then run `enforce install` again
",
        )
        .run();
    enforce(&sandbox, &repo.root, &["status"])
        .status(1)
        .stdout(
            "OK   binary                 enforce 0.1.0 at [ENFORCE]
OK   core.hooksPath         set to `/dev/null`: git runs the hooks there
FAIL hooks                  git runs hooks from /dev/null, which is not a directory: no hook runs
                            fix: git config --unset core.hooksPath, then enforce install
OK   config                 no .enforce.toml: the built-in defaults apply
WARN events file            [SANDBOX]/repo/.git/enforce/events.jsonl (default: the repository's common git dir) does not exist yet: no events recorded
                            fix: commit, or `enforce record`, to record the first event
OK   review approvals       0 valid, 0 expired in this worktree; `enforce review status` checks what is staged
WARN signed approvals       not required: an approval is a file anyone with a shell here can write
                            fix: commit a signers file, then set [review] require_signature = true and signers = \".enforce/allowed_signers\" (docs/review.md)
OK   receipts pushed        no remote: the receipts stay in this clone
enforcement is NOT fully in force: see FAIL above
",
        )
        .run();
}
