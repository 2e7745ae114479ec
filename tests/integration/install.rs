//! `enforce install` / `enforce uninstall` in every kind of repository.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use assert_cmd::prelude::*;
use predicates::prelude::*;

use crate::support::{Sandbox, TestRepo, enforce_bin, run, write_script};

const HOOKS: [&str; 5] = [
    "pre-commit",
    "pre-merge-commit",
    "commit-msg",
    "post-commit",
    "post-merge",
];

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

/// Commits `file` through the installed hooks, with the review rule off
/// and an agent trailer, so only what the test is about can fail.
fn commit(sandbox: &Sandbox, repo: &TestRepo, file: &str) -> crate::support::Ran {
    repo.write(".enforce.toml", "[review]\nmode = \"off\"\n");
    repo.write(file, file);
    sandbox.git(&repo.root, &["add", file]);
    run(sandbox.command("git", &repo.root).args([
        "commit",
        "-q",
        "-m",
        &format!("add {file}"),
        "-m",
        "Agent: test",
    ]))
}

#[test]
fn installs_into_the_default_hooks_dir_with_config() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let hooks_dir = repo.path(".git/hooks");
    sandbox
        .enforce(&repo.root)
        .arg("install")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "hooks directory: {}",
            hooks_dir.display()
        )))
        .stdout(predicate::str::contains("pre-commit        installed"))
        .stdout(predicate::str::contains(format!(
            "events: {}",
            repo.events_file().display()
        )));
    assert_installed(&hooks_dir);
    let config = fs::read_to_string(repo.path(".enforce.toml")).unwrap();
    assert_eq!(config, include_str!("../../templates/enforce.toml"));
    sandbox
        .enforce(&repo.root)
        .args(["config", "check"])
        .assert()
        .success();

    // git runs them: a commit goes through.
    let ran = commit(&sandbox, &repo, "a.txt");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn no_config_skips_the_config_file_and_an_existing_one_is_kept() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .enforce(&repo.root)
        .args(["install", "--no-config"])
        .assert()
        .success();
    assert!(!repo.path(".enforce.toml").exists());

    repo.write(".enforce.toml", "# ours\n");
    sandbox
        .enforce(&repo.root)
        .arg("install")
        .assert()
        .success()
        .stdout(predicate::str::contains("config: kept existing"));
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
    sandbox
        .enforce(&repo.path("src/deep"))
        .arg("install")
        .assert()
        .success();
    assert_installed(&repo.path(".githooks"));
    assert!(!repo.path(".git/hooks/pre-commit").exists());
    assert!(
        repo.path(".enforce.toml").exists(),
        "config goes to the root, not the subdirectory"
    );
    let ran = commit(&sandbox, &repo, "a.txt");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
}

#[test]
fn installs_from_a_linked_worktree_into_the_common_hooks_dir() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    assert_eq!(commit(&sandbox, &repo, "a.txt").code, 0);
    let wt = sandbox.path().join("wt");
    sandbox.git(
        &repo.root,
        &["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()],
    );

    sandbox
        .enforce(&wt)
        .arg("install")
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "events: {}",
            repo.events_file().display()
        )));
    assert_installed(&repo.path(".git/hooks"));
    assert!(!repo.path(".git/worktrees/wt/hooks").exists());

    // Events recorded from the worktree land in the shared log.
    sandbox
        .enforce(&wt)
        .args(["record", "bypass_review", "--source", "wt"])
        .assert()
        .success();
    assert_eq!(crate::support::lines(&repo.events_file()).len(), 1);
}

#[test]
fn installs_from_a_submodule_into_its_own_git_dir() {
    let sandbox = Sandbox::new();
    let lib = sandbox.repo("lib");
    assert_eq!(commit(&sandbox, &lib, "lib.txt").code, 0);
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
    sandbox.enforce(&sub).arg("install").assert().success();
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

    sandbox
        .enforce(&repo.root)
        .arg("install")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "kept as pre-commit.pre-enforce and runs first",
        ));
    assert_eq!(
        fs::read(hooks_dir.join("pre-commit.pre-enforce")).unwrap(),
        original_bytes
    );
    assert_installed(&hooks_dir);

    // The kept hook runs on commit.
    assert_eq!(commit(&sandbox, &repo, "a.txt").code, 0);
    assert_eq!(fs::read_to_string(&witness).unwrap(), "ran\n");

    // A failing kept hook fails the commit, with its own output.
    write_script(
        &hooks_dir.join("pre-commit.pre-enforce"),
        "echo 'lint failed' >&2; exit 1",
    );
    let ran = commit(&sandbox, &repo, "b.txt");
    assert_eq!(ran.code, 1);
    assert!(ran.stderr.contains("lint failed"), "{}", ran.stderr);
    write_script(&hooks_dir.join("pre-commit.pre-enforce"), &original);

    sandbox
        .enforce(&repo.root)
        .arg("uninstall")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "pre-commit        removed; the earlier hook is restored",
        ))
        .stdout(predicate::str::contains("commit-msg        removed"));
    assert_eq!(fs::read(hooks_dir.join("pre-commit")).unwrap(), original_bytes);
    for name in [
        "pre-merge-commit",
        "commit-msg",
        "post-commit",
        "post-merge",
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
    sandbox.enforce(&repo.root).arg("install").assert().success();
    let before: Vec<_> = HOOKS
        .iter()
        .map(|h| fs::read(hooks_dir.join(h)).unwrap())
        .collect();

    let ran = run(sandbox.enforce(&repo.root).arg("install"));
    assert_eq!(ran.code, 0);
    assert_eq!(
        ran.stdout.matches("already installed").count(),
        5,
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
    let ran = run(sandbox.command(&moved, &repo.root).arg("install"));
    assert_eq!(ran.stdout.matches("updated").count(), 5, "{}", ran.stdout);
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
    sandbox
        .command(&moved, &repo.root)
        .arg("install")
        .assert()
        .success();
    fs::remove_file(&moved).unwrap();
    let ran = commit(&sandbox, &repo, "a.txt");
    assert_eq!(ran.code, 1, "the commit must not pass silently: {}", ran.stderr);
    assert!(ran.stderr.contains("cannot exec"), "{}", ran.stderr);
    let hook = fs::read_to_string(repo.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("that binary is gone: reinstall enforce"), "{hook}");

    // Shell hooks say it themselves.
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let moved = sandbox.copied_binary();
    sandbox
        .command(&moved, &repo.root)
        .args(["install", "--shell"])
        .assert()
        .success();
    let hook = fs::read_to_string(repo.path(".git/hooks/pre-commit")).unwrap();
    assert!(hook.starts_with("#!/bin/sh\n"), "{hook}");
    fs::remove_file(&moved).unwrap();
    let ran = commit(&sandbox, &repo, "a.txt");
    assert_eq!(ran.code, 1, "the commit must not pass silently");
    assert!(
        ran.stderr.contains(&format!(
            "enforce: cannot run the pre-commit hook: {} is missing or not executable",
            moved.display()
        )),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("hint: reinstall enforce"), "{}", ran.stderr);
}

#[test]
fn shell_hooks_work_like_direct_ones() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox
        .enforce(&repo.root)
        .args(["install", "--shell"])
        .assert()
        .success();
    let witness = sandbox.path().join("witness");
    write_script(
        &repo.path(".git/hooks/pre-commit.pre-enforce"),
        &format!("echo ran >> '{}'", witness.display()),
    );
    let ran = commit(&sandbox, &repo, "a.txt");
    assert_eq!(ran.code, 0, "{}", ran.stderr);
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

    sandbox
        .enforce(&repo.root)
        .arg("install")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "enforce: cannot install `{}`: it is not an enforce hook, and `{}` already holds an earlier kept hook",
            hooks_dir.join("post-commit").display(),
            hooks_dir.join("post-commit.pre-enforce").display()
        )))
        .stderr(predicate::str::contains("hint: merge"));
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
    sandbox.enforce(&repo.root).arg("install").assert().success();
    write_script(&hooks_dir.join("commit-msg"), "exit 0");
    sandbox
        .enforce(&repo.root)
        .arg("uninstall")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "commit-msg        not an enforce hook; left alone",
        ));
    assert!(hooks_dir.join("commit-msg").exists());
    assert!(!hooks_dir.join("pre-commit").exists());
}

#[test]
fn refuses_a_bare_repository_and_a_plain_directory() {
    let sandbox = Sandbox::new();
    let bare = sandbox.path().join("bare.git");
    fs::create_dir_all(&bare).unwrap();
    sandbox.git(&bare, &["init", "-q", "--bare"]);
    sandbox
        .enforce(&bare)
        .arg("install")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is a bare repository"))
        .stderr(predicate::str::contains(
            "hint: run `enforce install` inside a clone",
        ));
    assert!(!bare.join("hooks/pre-commit").exists());

    let plain = sandbox.path().join("plain");
    fs::create_dir_all(&plain).unwrap();
    sandbox
        .enforce(&plain)
        .env("GIT_CEILING_DIRECTORIES", sandbox.path())
        .arg("install")
        .assert()
        .code(2)
        .stderr(format!(
            "enforce: `{}` is not inside a git repository\nhint: run it inside a git work tree, or create one with `git init`\n",
            plain.display()
        ));
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
    let ran = run(sandbox
        .command("git", &repo.root)
        .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
        .args(["commit", "-q", "-m", "a", "-m", "Agent: test"]));
    assert_eq!(ran.code, 0, "{}", ran.stderr);

    // Not on PATH: the commit fails and says why.
    repo.write("b.txt", "b");
    sandbox.git(&repo.root, &["add", "b.txt"]);
    let ran = run(sandbox
        .command("/usr/bin/git", &repo.root)
        .env("PATH", "/usr/bin:/bin")
        .args(["commit", "-q", "-m", "b"]));
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr
            .contains("enforce: cannot run the pre-commit hook: `enforce` is not on PATH"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_hooks_path_that_is_not_a_directory_is_named() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    sandbox.git(&repo.root, &["config", "core.hooksPath", "/dev/null"]);
    let ran = run(sandbox.enforce(&repo.root).arg("install"));
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("`/dev/null`, which is not a directory"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("hint: git config --unset core.hooksPath"),
        "{}",
        ran.stderr
    );
    let status = run(sandbox.enforce(&repo.root).arg("status"));
    assert_eq!(status.code, 1);
    assert!(
        status.stdout.contains("which is not a directory: no hook runs"),
        "{}",
        status.stdout
    );
}
