//! Receipts travel with the push: pre-push sends `refs/notes/enforce` and
//! the log head to the remote, merging the remote's notes so that clones
//! pushing receipts never lose each other's. Real `git push` into local
//! bare repositories.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::support::{Sandbox, Test, enforce_bin, run, write_script};

/// A bare repository and clones of it with enforce installed, in one
/// sandbox.
struct Site {
    sandbox: Sandbox,
    bare: PathBuf,
}

impl Site {
    fn new() -> Site {
        let sandbox = Sandbox::new();
        let bare = sandbox.path().join("remote.git");
        std::fs::create_dir_all(&bare).unwrap();
        sandbox.git(&bare, &["init", "-q", "--bare", "-b", "main"]);
        Site { sandbox, bare }
    }

    /// A clone `name` of the bare repository with enforce installed, the
    /// review rule off (so commits need no approval) and a first commit of
    /// its own on branch `name`.
    fn clone(&self, name: &str) -> PathBuf {
        let root = self.sandbox.path().join(name);
        self.sandbox.git(
            self.sandbox.path(),
            &["clone", "-q", self.bare.to_str().unwrap(), name],
        );
        self.sandbox.git(&root, &["config", "user.name", "Test Agent"]);
        self.sandbox
            .git(&root, &["config", "user.email", "agent@example.com"]);
        self.sandbox
            .test(&root)
            .args(["install", "--no-config"])
            .stdout_ignored()
            .run();
        std::fs::write(root.join(".enforce.toml"), "[review]\nmode = \"off\"\n").unwrap();
        std::fs::write(root.join(".git/info/exclude"), ".enforce.toml\n").unwrap();
        self.sandbox.git(&root, &["checkout", "-q", "-b", name]);
        root
    }

    /// Commits a new file `file` in `dir` through the hooks; returns the commit.
    fn commit(&self, dir: &Path, file: &str) -> String {
        std::fs::write(dir.join(file), file).unwrap();
        self.sandbox.git(dir, &["add", file]);
        self.sandbox
            .test_git(dir)
            .args(["commit", "-q", "-m", &format!("add {file}"), "-m", "Agent: test"])
            .run();
        self.sandbox.git(dir, &["rev-parse", "HEAD"]).trim().to_string()
    }

    /// A [`Test`] of `git push -q origin <branch>` in `dir`.
    fn push(&self, dir: &Path, branch: &str) -> Test {
        self.sandbox
            .test_git(dir)
            .args(["push", "-q", "origin", branch])
            .redact(self.sandbox.path(), "[SANDBOX]")
    }

    /// The commits that have a note in the bare repository's
    /// `refs/notes/enforce`.
    fn noted_on_remote(&self) -> BTreeSet<String> {
        noted(&self.sandbox, &self.bare)
    }

    /// A ref's target in `dir`, if it exists.
    fn ref_in(&self, dir: &Path, refname: &str) -> Option<String> {
        let ran = run(self
            .sandbox
            .command("git", dir)
            .args(["rev-parse", "--verify", "-q", refname]));
        (ran.code == 0).then(|| ran.stdout.trim().to_string())
    }

    fn clone_id(&self, dir: &Path) -> String {
        self.sandbox
            .git(dir, &["config", "enforce.cloneId"])
            .trim()
            .to_string()
    }
}

/// The commits with a note in `refs/notes/enforce` of the repository at `dir`.
fn noted(sandbox: &Sandbox, dir: &Path) -> BTreeSet<String> {
    let ran = run(sandbox
        .command("git", dir)
        .args(["notes", "--ref=enforce", "list"]));
    ran.stdout
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .map(str::to_string)
        .collect()
}

#[test]
fn receipts_and_the_log_head_arrive_with_a_push() {
    let site = Site::new();
    let a = site.clone("a");
    let first = site.commit(&a, "one.txt");
    let second = site.commit(&a, "two.txt");
    site.push(&a, "a").run();

    assert_eq!(
        site.noted_on_remote(),
        BTreeSet::from([first.clone(), second.clone()])
    );
    let note = site
        .sandbox
        .git(&site.bare, &["notes", "--ref=enforce", "show", &second]);
    assert!(note.contains("\"enforce_receipt\": 1"), "{note}");
    // The log head, under this clone's id.
    let id = site.clone_id(&a);
    assert_eq!(id.len(), 16, "{id}");
    assert_eq!(
        site.ref_in(&site.bare, &format!("refs/enforce/heads/{id}")),
        site.ref_in(&a, "refs/enforce/head")
    );
    // The receipts' objects, written by enforce itself, are sound to git.
    site.sandbox.git(&a, &["fsck", "--strict", "--no-dangling"]);
    site.sandbox
        .git(&site.bare, &["fsck", "--strict", "--no-dangling"]);
    // What the remote has is remembered, for the next push and for status.
    assert_eq!(
        site.ref_in(&a, "refs/notes/remotes/origin/enforce"),
        site.ref_in(&a, "refs/notes/enforce")
    );

    // Nothing new: nothing is sent (a remote that now refuses every
    // notes push does not matter).
    write_script(
        &site.bare.join("hooks/pre-receive"),
        "while read old new ref; do case $ref in refs/notes/*|refs/enforce/*) exit 1;; esac; done",
    );
    site.push(&a, "a").run();

    let ran = site.sandbox.test(&a).arg("status").stdout_ignored().run();
    let receipt_lines: Vec<&str> = ran.stdout.lines().filter(|l| l.contains("receipt")).collect();
    assert_eq!(
        receipt_lines,
        [
            format!(
                "OK   last commit receipt    HEAD {} has one (commit, pre-commit, commit-msg, post-commit; review off)",
                &second[..12]
            )
            .as_str(),
            "OK   receipts pushed        origin has every receipt of this clone (as of the last fetch or push)",
            "OK   receipts fetched       `git fetch origin` brings its receipts into refs/notes/remotes/origin/enforce",
        ]
    );
}

#[test]
fn a_push_that_names_the_notes_itself_succeeds() {
    // `git push origin a refs/notes/enforce`, as docs and scripts write
    // it: git's own push of the notes must not collide with pre-push's.
    let site = Site::new();
    let a = site.clone("a");
    let first = site.commit(&a, "one.txt");
    site.sandbox
        .test_git(&a)
        .args(["push", "-q", "origin", "a", "refs/notes/enforce"])
        .run();
    assert_eq!(site.noted_on_remote(), BTreeSet::from([first.clone()]));
    let id = site.clone_id(&a);
    assert!(
        site.ref_in(&site.bare, &format!("refs/enforce/heads/{id}"))
            .is_some(),
        "the log head is still sent"
    );

    // Again with new receipts, and with the log head named as well.
    let second = site.commit(&a, "two.txt");
    site.sandbox
        .test_git(&a)
        .args([
            "push",
            "-q",
            "origin",
            "a",
            "refs/notes/enforce:refs/notes/enforce",
            &format!("+refs/enforce/head:refs/enforce/heads/{id}"),
        ])
        .run();
    assert_eq!(site.noted_on_remote(), BTreeSet::from([first, second]));
    assert_eq!(
        site.ref_in(&site.bare, &format!("refs/enforce/heads/{id}")),
        site.ref_in(&a, "refs/enforce/head")
    );
}

#[test]
fn two_clones_pushing_in_turn_keep_every_receipt() {
    let site = Site::new();
    let a = site.clone("a");
    let mut expected = BTreeSet::new();
    expected.insert(site.commit(&a, "a1.txt"));
    site.push(&a, "a").run();

    // b clones after a pushed, and writes receipts of its own.
    let b = site.clone("b");
    expected.insert(site.commit(&b, "b1.txt"));
    site.push(&b, "b").run();
    assert_eq!(site.noted_on_remote(), expected);

    // a has not fetched b's receipts: its push merges them in first.
    expected.insert(site.commit(&a, "a2.txt"));
    site.push(&a, "a").run();
    assert_eq!(site.noted_on_remote(), expected);
    assert_eq!(noted(&site.sandbox, &a), expected, "a holds b's receipts too");

    // b again, after a fetch (the refspec install added brings a's).
    site.sandbox.git(&b, &["fetch", "-q", "origin"]);
    expected.insert(site.commit(&b, "b2.txt"));
    site.push(&b, "b").run();
    assert_eq!(site.noted_on_remote(), expected);

    // Each clone's log head is there, under its own id.
    for dir in [&a, &b] {
        let id = site.clone_id(dir);
        assert_eq!(
            site.ref_in(&site.bare, &format!("refs/enforce/heads/{id}")),
            site.ref_in(dir, "refs/enforce/head"),
            "{}",
            dir.display()
        );
    }
    assert_ne!(site.clone_id(&a), site.clone_id(&b));
}

#[test]
fn two_clones_pushing_at_the_same_time_keep_every_receipt() {
    let site = Site::new();
    let a = site.clone("a");
    let b = site.clone("b");
    let mut expected = BTreeSet::new();
    for round in 0..5 {
        for (dir, name) in [(&a, "a"), (&b, "b")] {
            expected.insert(site.commit(dir, &format!("{name}{round}.txt")));
        }
        let pushes: Vec<_> = [(&a, "a"), (&b, "b")]
            .into_iter()
            .map(|(dir, branch)| {
                site.sandbox
                    .command("git", dir)
                    .args(["push", "-q", "origin", branch])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for push in pushes {
            let out = push.wait_with_output().unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_eq!(site.noted_on_remote(), expected, "round {round}");
    }
    for dir in [&a, &b] {
        let id = site.clone_id(dir);
        assert_eq!(
            site.ref_in(&site.bare, &format!("refs/enforce/heads/{id}")),
            site.ref_in(dir, "refs/enforce/head")
        );
    }
}

#[test]
fn a_push_goes_on_when_the_remote_refuses_the_receipts() {
    let site = Site::new();
    // The server takes branches and nothing under refs/notes/ or refs/enforce/.
    write_script(
        &site.bare.join("hooks/pre-receive"),
        "while read old new ref; do case $ref in refs/notes/*|refs/enforce/*) echo \"no notes here\" >&2; exit 1;; esac; done",
    );
    let a = site.clone("a");
    site.commit(&a, "one.txt");
    let id = site.clone_id(&a);
    site.push(&a, "a")
        .stderr(format!(
            "enforce: warning: the receipts and the log head were not pushed to `origin`: [remote rejected] (pre-receive hook declined)
hint: your push goes on; to send them by hand: git push origin refs/notes/enforce:refs/notes/enforce +refs/enforce/head:refs/enforce/heads/{id}
"
        ))
        .run();
    // The branch arrived; the receipts did not.
    assert_eq!(site.ref_in(&site.bare, "refs/heads/a"), site.ref_in(&a, "HEAD"));
    assert!(site.noted_on_remote().is_empty());
    // Status says so, with the command.
    let ran = site.sandbox.test(&a).arg("status").stdout_ignored().run();
    assert!(
        ran.stdout.contains(
            "WARN receipts pushed        origin has none of this clone's receipts: none pushed (or fetched) yet
                            fix: git push origin refs/notes/enforce:refs/notes/enforce (pre-push sends them with every push)
"
        ),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_push_to_a_url_sends_the_receipts_there() {
    let site = Site::new();
    let a = site.clone("a");
    let commit = site.commit(&a, "one.txt");
    let url = site.bare.to_str().unwrap().to_string();
    site.sandbox.test_git(&a).args(["push", "-q", &url, "a"]).run();
    assert_eq!(site.noted_on_remote(), BTreeSet::from([commit]));
    // What the URL holds is tracked under a name made of it.
    let tracked = site.sandbox.git(
        &a,
        &["for-each-ref", "--format=%(refname)", "refs/notes/remotes/"],
    );
    assert!(
        regex::Regex::new(r"^refs/notes/remotes/url-[0-9a-f]{16}/enforce\n$")
            .unwrap()
            .is_match(&tracked),
        "{tracked}"
    );
}

#[test]
fn a_dry_run_sends_nothing() {
    let site = Site::new();
    let a = site.clone("a");
    site.commit(&a, "one.txt");
    site.sandbox
        .test_git(&a)
        .args(["push", "-q", "--dry-run", "origin", "a"])
        .run();
    site.sandbox
        .test_git(&a)
        .args(["push", "-qn", "origin", "a"])
        .run();
    assert!(site.noted_on_remote().is_empty());
    assert_eq!(site.ref_in(&site.bare, "refs/heads/a"), None);
}

#[test]
fn a_kept_pre_push_hook_gets_git_s_input_and_can_stop_the_push() {
    let site = Site::new();
    let a = site.clone("a");
    let commit = site.commit(&a, "one.txt");
    let seen = site.sandbox.path().join("seen");
    write_script(
        &a.join(".git/hooks/pre-push.pre-enforce"),
        &format!("echo \"$1 $2\" > '{0}'; cat >> '{0}'", seen.display()),
    );
    site.push(&a, "a").run();
    let url = site.bare.display().to_string();
    assert_eq!(
        std::fs::read_to_string(&seen).unwrap(),
        format!(
            "origin {url}\nrefs/heads/a {commit} refs/heads/a 0000000000000000000000000000000000000000\n"
        )
    );
    assert_eq!(site.noted_on_remote(), BTreeSet::from([commit]));

    // One that fails stops the push, as it did before enforce.
    write_script(
        &a.join(".git/hooks/pre-push.pre-enforce"),
        "echo 'tests failed' >&2; exit 1",
    );
    site.commit(&a, "two.txt");
    site.push(&a, "a")
        .status(1)
        .stderr(
            "tests failed
enforce: the kept `pre-push` hook `.git/hooks/pre-push.pre-enforce` failed with exit code 1
error: failed to push some refs to '[SANDBOX]/remote.git'
",
        )
        .run();
}

#[test]
fn install_fetches_receipts_from_every_remote_and_uninstall_stops_exactly_that() {
    let site = Site::new();
    let a = site.clone("a");
    site.sandbox
        .git(&a, &["remote", "add", "mirror", site.bare.to_str().unwrap()]);
    // A refspec the user set themselves is theirs: install leaves it, and
    // so does uninstall.
    site.sandbox.git(
        &a,
        &[
            "config",
            "--add",
            "remote.mirror.fetch",
            "+refs/notes/enforce:refs/notes/remotes/mirror/enforce",
        ],
    );
    let enforce = |args: &[&str]| {
        site.sandbox
            .test(&a)
            .args(args)
            .redact(site.sandbox.path(), "[SANDBOX]")
            .redact(enforce_bin().canonicalize().unwrap(), "[ENFORCE]")
    };
    let ran = enforce(&["install", "--no-config"]).stdout_ignored().run();
    assert!(
        ran.stdout.contains(
            "hooks run: [ENFORCE]
receipts: fetched from mirror into refs/notes/remotes/mirror/enforce (fetch refspec already set)
receipts: fetched from origin into refs/notes/remotes/origin/enforce (fetch refspec already set)
rules:"
        ),
        "{}",
        ran.stdout
    );
    let fetch = |remote: &str| {
        site.sandbox
            .git(&a, &["config", "--get-all", &format!("remote.{remote}.fetch")])
    };
    assert_eq!(
        fetch("origin"),
        "+refs/heads/*:refs/remotes/origin/*\n+refs/notes/enforce:refs/notes/remotes/origin/enforce\n"
    );

    // A fetch brings the remote's receipts beside the local ones.
    let b = site.clone("b");
    let commit = site.commit(&b, "b.txt");
    site.push(&b, "b").run();
    site.sandbox.git(&a, &["fetch", "-q", "origin"]);
    assert_eq!(
        site.ref_in(&a, "refs/notes/remotes/origin/enforce"),
        site.ref_in(&site.bare, "refs/notes/enforce")
    );
    assert!(
        noted(&site.sandbox, &a).is_empty(),
        "{commit}: fetched, not merged into refs/notes/enforce"
    );

    let ran = enforce(&["uninstall"]).stdout_ignored().run();
    assert!(
        ran.stdout.ends_with(
            "receipts: no longer fetched from origin (fetch refspec removed)
config, events file and receipts are left in place
"
        ),
        "{}",
        ran.stdout
    );
    assert_eq!(fetch("origin"), "+refs/heads/*:refs/remotes/origin/*\n");
    assert_eq!(
        fetch("mirror"),
        "+refs/heads/*:refs/remotes/mirror/*\n+refs/notes/enforce:refs/notes/remotes/mirror/enforce\n"
    );
    let ran = run(site
        .sandbox
        .command("git", &a)
        .args(["config", "--get-all", "enforce.notesRefspecAdded"]));
    assert_eq!(ran.stdout, "");
}

#[test]
fn a_rewrite_in_another_clone_carries_the_approval_of_a_fetched_receipt() {
    let site = Site::new();
    let a = site.clone("a");
    std::fs::write(a.join(".enforce.toml"), "").unwrap();
    std::fs::write(a.join("one.txt"), "one.txt").unwrap();
    site.sandbox.git(&a, &["add", "one.txt"]);
    site.sandbox
        .test(&a)
        .args(["review", "approve"])
        .stdout_ignored()
        .run();
    let old = site.commit(&a, "one.txt");
    site.push(&a, "a").run();

    // b has a's receipt only as fetched (refs/notes/remotes/origin/enforce).
    let b = site.clone("b");
    std::fs::write(b.join(".enforce.toml"), "").unwrap();
    site.sandbox.git(&b, &["fetch", "-q", "origin"]);
    site.sandbox
        .git(&b, &["checkout", "-q", "-b", "mine", "origin/a"]);
    assert!(noted(&site.sandbox, &b).is_empty());
    site.sandbox
        .test_git(&b)
        .args([
            "commit",
            "-q",
            "--amend",
            "-m",
            "one, reworded",
            "-m",
            "Agent: test",
        ])
        .run();
    let new = site.sandbox.git(&b, &["rev-parse", "HEAD"]).trim().to_string();
    let note = site.sandbox.git(&b, &["notes", "--ref=enforce", "show", &new]);
    let receipt: serde_json::Value = serde_json::from_str(&note).unwrap();
    assert_eq!(receipt["approval"]["carried_from"], old, "{receipt:#}");
    assert_eq!(receipt["approval"]["reviewer"], "git-reviewer", "{receipt:#}");
}

#[test]
fn status_names_a_commit_without_a_receipt_and_a_remote_that_fetches_none() {
    let site = Site::new();
    let a = site.clone("a");
    site.commit(&a, "one.txt");
    // A commit made around the hooks, and a remote added after install.
    std::fs::write(a.join("two.txt"), "two").unwrap();
    site.sandbox.git(&a, &["add", "two.txt"]);
    site.sandbox.git(
        &a,
        &["-c", "core.hooksPath=/dev/null", "commit", "-q", "-m", "around"],
    );
    let head = site.sandbox.git(&a, &["rev-parse", "HEAD"]);
    site.sandbox
        .git(&a, &["remote", "add", "backup", site.bare.to_str().unwrap()]);
    let ran = site.sandbox.test(&a).arg("status").stdout_ignored().run();
    let lines: Vec<&str> = ran
        .stdout
        .lines()
        .skip_while(|l| !l.contains("last commit receipt"))
        .take_while(|l| !l.starts_with("enforcement"))
        .collect();
    assert_eq!(
        lines,
        [
            format!(
                "WARN last commit receipt    HEAD {} has no receipt in refs/notes/enforce: it was made without enforce's hooks",
                &head[..12]
            )
            .as_str(),
            "                            fix: commits made through the hooks get one; `enforce audit` counts the others as offences",
            "WARN receipts pushed        backup has none of this clone's receipts: none pushed (or fetched) yet",
            "                            fix: git push backup refs/notes/enforce:refs/notes/enforce (pre-push sends them with every push)",
            "WARN receipts pushed        origin has none of this clone's receipts: none pushed (or fetched) yet",
            "                            fix: git push origin refs/notes/enforce:refs/notes/enforce (pre-push sends them with every push)",
            "WARN receipts fetched       `git fetch backup` does not bring its receipts",
            "                            fix: git config --add remote.backup.fetch '+refs/notes/enforce:refs/notes/remotes/backup/enforce' (or `enforce install`)",
            "OK   receipts fetched       `git fetch origin` brings its receipts into refs/notes/remotes/origin/enforce",
        ]
    );
    assert!(
        ran.stdout.ends_with("enforcement is in force\n"),
        "{}",
        ran.stdout
    );
}
