//! The server side: `enforce install --server` in a bare repository, and
//! its `pre-receive` judging real `git push`es from clones with the hooks.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::hookrepo::HookRepo;
use crate::support::{Test, enforce_bin, write_script};

/// A clone with enforce's hooks (`HookRepo`, default rules) whose `origin`
/// is a bare repository with `enforce install --server` done.
struct Server {
    client: HookRepo,
    bare: PathBuf,
}

impl Server {
    fn new() -> Server {
        let client = HookRepo::new("");
        let bare = client.sandbox.path().join("server.git");
        fs::create_dir_all(&bare).unwrap();
        client.sandbox.git(&bare, &["init", "-q", "--bare"]);
        client
            .sandbox
            .test(&bare)
            .args(["install", "--server"])
            .stdout_ignored()
            .run();
        client.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
        Server { client, bare }
    }

    /// A [`Test`] of `git push origin args…` from the clone, with the paths
    /// and git's padding of `remote:` lines redacted. Without the client's
    /// pre-push: these tests send the receipts themselves, in the same push
    /// or before it (`plain_push` leaves it to pre-push).
    fn push(&self, args: &[&str]) -> Test {
        self.client
            .git_test(&["push", "--no-verify", "-q", "origin"])
            .args(args)
            .redact(self.client.sandbox.path(), "[SANDBOX]")
            .redact("        \n", "\n")
    }

    /// The full id of `rev` in the clone.
    fn id(&self, rev: &str) -> String {
        self.client.git(&["rev-parse", rev]).trim().to_string()
    }

    /// The short id enforce shows of `rev`.
    fn short(&self, rev: &str) -> String {
        self.id(rev)[..12].to_string()
    }

    /// The id `rev` has in the bare repository, if any.
    fn server_ref(&self, rev: &str) -> Option<String> {
        let out = self
            .client
            .git_in(&self.bare, &["rev-parse", "-q", "--verify", rev]);
        (out.code == 0).then(|| out.stdout.trim().to_string())
    }

    /// The server log's events: (type, details).
    fn events(&self) -> Vec<(String, Value)> {
        let Ok(text) = fs::read_to_string(self.bare.join("enforce/events.jsonl")) else {
            return Vec::new();
        };
        text.lines()
            .map(|line| {
                let mut event: Value = serde_json::from_str(line).unwrap();
                assert_eq!(event["source"], "pre-receive");
                // Every event carries the version that wrote it.
                let details = event["details"].as_object_mut().unwrap();
                assert_eq!(
                    details.remove("enforce_version").unwrap(),
                    env!("CARGO_PKG_VERSION")
                );
                (
                    event["event_type"].as_str().unwrap().to_string(),
                    event["details"].clone(),
                )
            })
            .collect()
    }

    /// A commit made through the hooks: staged, approved, trailered.
    fn commit_reviewed(&self, rel: &str) {
        self.client.commit_reviewed(rel, &format!("{rel}\n"));
    }

    fn git(&self, args: &[&str]) -> String {
        self.client.git(args)
    }
}

/// What git prints after a push pre-receive refused: `refs` as
/// `(local, remote)` names of branches.
fn declined(refs: &[&str]) -> String {
    let mut text = "To [SANDBOX]/server.git\n".to_string();
    for name in refs {
        text.push_str(&format!(
            " ! [remote rejected] {name} -> {name} (pre-receive hook declined)\n"
        ));
    }
    text.push_str("error: failed to push some refs to '[SANDBOX]/server.git'\n");
    text
}

const PUSH_NOTES: &str = "`git push origin refs/notes/enforce` (origin or your remote's name)";

#[test]
fn install_server_in_a_bare_repository_and_uninstall_it() {
    let client = HookRepo::new("");
    let sandbox = &client.sandbox;
    let bare = sandbox.path().join("server.git");
    fs::create_dir_all(&bare).unwrap();
    sandbox.git(&bare, &["init", "-q", "--bare"]);
    let enforce = |dir: &Path, args: &[&str]| {
        sandbox
            .test(dir)
            .args(args)
            .redact(enforce_bin().canonicalize().unwrap(), "[ENFORCE]")
            .redact(sandbox.path(), "[SANDBOX]")
    };
    enforce(&bare, &["install", "--server"])
        .stdout(
            "hooks directory: [SANDBOX]/server.git/hooks\n  pre-receive       installed\nhooks run: [ENFORCE]\nconfig: wrote [SANDBOX]/server.git/enforce.toml (edit [server] to choose the protected branches)\nprotected: refs/heads/*\nevents: [SANDBOX]/server.git/enforce/events.jsonl\n",
        )
        .run();
    let hook = fs::read_to_string(bare.join("hooks/pre-receive")).unwrap();
    assert!(hook.contains("# enforce-managed-hook"), "{hook}");
    // Only the server hook: a bare repository runs no commit hooks.
    assert!(!bare.join("hooks/pre-commit").exists());

    fs::write(
        bare.join("enforce.toml"),
        "[server]\nbranches = [\"main\", \"release/*\"]\n",
    )
    .unwrap();
    enforce(&bare, &["install", "--server"])
        .stdout(
            "hooks directory: [SANDBOX]/server.git/hooks\n  pre-receive       already installed\nhooks run: [ENFORCE]\nconfig: kept existing [SANDBOX]/server.git/enforce.toml\nprotected: refs/heads/main, refs/heads/release/*\nevents: [SANDBOX]/server.git/enforce/events.jsonl\n",
        )
        .run();

    // In a clone: an error that says where it belongs; a plain install
    // there never installs pre-receive.
    enforce(client.root(), &["install", "--server"])
        .status(2)
        .stderr(
            "enforce: `[SANDBOX]/repo` has a work tree: `enforce install --server` is for the bare repository a server receives pushes in\nhint: run it in the server's bare repository (`git init --bare`); in a clone, `enforce install` installs the commit hooks\n",
        )
        .run();
    assert!(!client.path(".git/hooks/pre-receive").exists());

    enforce(&bare, &["uninstall"])
        .stdout(
            "hooks directory: [SANDBOX]/server.git/hooks\n  pre-receive       removed\nserver config and events file are left in place\n",
        )
        .run();
    assert!(!bare.join("hooks/pre-receive").exists());
    assert!(bare.join("enforce.toml").exists());
}

#[test]
fn a_reviewed_commit_pushed_with_its_receipts_is_accepted_and_recorded() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    let head = server.id("HEAD");
    server
        .push(&["main", "refs/notes/enforce"])
        .env("USER", "ana")
        .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
        .run();
    assert_eq!(server.server_ref("refs/heads/main"), Some(head.clone()));
    // The receipts were read inside git's quarantine: the notes ref had not
    // moved yet when the hook ran.
    let notes = server.id("refs/notes/enforce");
    assert_eq!(server.server_ref("refs/notes/enforce"), Some(notes.clone()));
    assert_eq!(
        server.events(),
        [
            (
                "push_accepted".to_string(),
                json!({"ref": "refs/heads/main", "branch": "main", "old": null, "new": head, "check": "commits",
                       "commits": 1, "offending": 0, "forced": false, "user": "ana", "pusher_from": "USER"})
            ),
            (
                "push_accepted".to_string(),
                json!({"ref": "refs/notes/enforce", "old": null, "new": notes, "check": "receipts",
                       "user": "ana", "pusher_from": "USER"})
            ),
        ]
    );
}

#[test]
fn a_plain_push_is_accepted_because_pre_push_sends_the_receipts_first() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    let head = server.id("HEAD");
    server
        .client
        .git_test(&["push", "-q", "origin", "main"])
        .stderr_contains("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit")
        .run();
    assert_eq!(server.server_ref("refs/heads/main"), Some(head));
    assert_eq!(
        server.server_ref("refs/notes/enforce"),
        Some(server.id("refs/notes/enforce"))
    );
}

#[test]
fn a_reviewed_commit_pushed_after_its_receipts_is_accepted() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server.push(&["refs/notes/enforce"]).run();
    server
        .push(&["main"])
        .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
        .run();
    // A second commit on top: only it is judged.
    server.commit_reviewed("b.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
        .run();
}

#[test]
fn no_receipts_anywhere_says_how_to_push_them() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    // Receipts that were never pushed, whatever pre-push would send.
    server.git(&["update-ref", "-d", "refs/notes/enforce"]);
    let short = server.short("HEAD");
    server
        .push(&["main"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 1 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {short} \"add a.txt\": {NO_RECEIPT_TYPED}\n{FIX_NO_RECEIPT}remote: enforce: no receipts: this repository has no `refs/notes/enforce` and the push sends none\nremote: hint: push the receipts first: {PUSH_NOTES}, then push again\n{}",
            declined(&["main"])
        ))
        .run();
    assert_eq!(server.server_ref("refs/heads/main"), None);
    let events = server.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "push_rejected");
    assert_eq!(events[0].1["offending"], 1);
    assert_eq!(events[0].1["reason"], "1 commit(s) do not pass the audit");
    assert_eq!(events[0].1["findings"][0]["commit"], server.id("HEAD"));
}

/// What the audit engine says of a commit made around the hooks with
/// typed trailers, as the commit's line shows it.
const NO_RECEIPT_TYPED: &str = "receipt: made without enforce's hooks (no receipt); review: not reviewed: without a receipt there is no approval; its `Reviewed-by:` trailer is typed text, not proof";

/// The fixes of such a commit, as `hint:` lines.
const FIX_NO_RECEIPT: &str = "remote: hint: receipt: install enforce where the commit is made (enforce install), make the commit again through its hooks, and push its receipt (git push <remote> refs/notes/enforce)\nremote: hint: review: have exactly this change approved (enforce review approve) and make the commit again through the hooks\n";

/// Pushes the receipts of a first reviewed commit, then `bad`'s commit
/// with them: rejected, naming the commit and what it lacks.
fn rejected_on_top_of_a_reviewed_commit(
    make: impl FnOnce(&Server),
    finding: &str,
    fixes: &str,
    refused: &[&str],
) {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    make(&server);
    let short = server.short("HEAD");
    let subject = server.git(&["log", "-1", "--format=%s"]);
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 1 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {short} \"{}\": {finding}\n{fixes}{}",
            subject.trim(),
            declined(refused)
        ))
        .run();
    assert_ne!(server.server_ref("refs/heads/main"), Some(server.id("HEAD")));
    let events = server.events();
    let (event, details) = events
        .iter()
        .rev()
        .find(|(_, d)| d["ref"] == "refs/heads/main")
        .unwrap();
    assert_eq!(event, "push_rejected");
    assert_eq!(details["offending"], 1);
}

#[test]
fn a_commit_with_hooks_off_and_typed_trailers_is_rejected() {
    rejected_on_top_of_a_reviewed_commit(
        |server| {
            server.client.stage("b.txt", "b\n");
            server.git(&[
                "-c",
                "core.hooksPath=/dev/null",
                "commit",
                "-q",
                "-m",
                "add b.txt",
                "-m",
                "Agent: test-agent\nReviewed-by: git-reviewer",
            ]);
        },
        NO_RECEIPT_TYPED,
        FIX_NO_RECEIPT,
        &["main"],
    );
}

#[test]
fn a_commit_made_with_commit_tree_and_update_ref_is_rejected() {
    rejected_on_top_of_a_reviewed_commit(
        |server| {
            server.client.stage("b.txt", "b\n");
            let tree = server.git(&["write-tree"]);
            let commit = server.git(&[
                "commit-tree",
                tree.trim(),
                "-p",
                "HEAD",
                "-m",
                "add b.txt\n\nAgent: test-agent\nReviewed-by: git-reviewer",
            ]);
            server.git(&["update-ref", "refs/heads/main", commit.trim()]);
        },
        NO_RECEIPT_TYPED,
        FIX_NO_RECEIPT,
        &["main"],
    );
}

#[test]
fn a_no_verify_commit_with_typed_trailers_is_rejected() {
    rejected_on_top_of_a_reviewed_commit(
        |server| {
            server.client.stage("b.txt", "b\n");
            server
                .client
                .git_test(&[
                    "commit",
                    "-q",
                    "--no-verify",
                    "-m",
                    "add b.txt",
                    "-m",
                    "Agent: test-agent\nReviewed-by: git-reviewer",
                ])
                .stderr_ignored()
                .run();
        },
        "review: bypassed with git commit --no-verify: the staged changes have not been reviewed",
        "remote: hint: review: make the commit again through the hooks without skipping `review`\n",
        // Its receipt came with it, and is refused with the rest.
        &["main", "refs/notes/enforce"],
    );
}

#[test]
fn turning_the_rules_off_then_committing_unreviewed_is_rejected() {
    let server = Server::new();
    fs::write(server.client.path(".git/info/exclude"), "").unwrap();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.client.stage(
        ".enforce.toml",
        "[review]\nmode = \"off\"\n[agent_trailer]\nmode = \"off\"\n",
    );
    server
        .client
        .git_test(&["commit", "-q", "--no-verify", "-m", "relax"])
        .stderr_ignored()
        .run();
    let relax = server.short("HEAD");
    server.client.stage("b.txt", "b\n");
    server.git(&["commit", "-q", "-m", "add b.txt"]);
    // The switch is judged under the rules before it; the commit after it
    // passes under the rules it set, but the push is refused whole.
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 2 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {relax} \"relax\": review: bypassed with git commit --no-verify: the staged changes have not been reviewed; agent-trailer: bypassed with git commit --no-verify: the commit message has no `Agent:` trailer; policy: weakens `review` (mode: enforce → off) without review; policy: weakens `agent-trailer` (mode: enforce → off) without review\nremote: hint: review: make the commit again through the hooks without skipping `review`\nremote: hint: agent-trailer: make the commit again through the hooks without skipping `agent-trailer`\nremote: hint: policy: have the change to .enforce.toml reviewed (enforce review approve) and make the commit again through the hooks\n{}",
            declined(&["main", "refs/notes/enforce"])
        ))
        .run();
    assert_eq!(server.server_ref("refs/heads/main"), Some(server.id("HEAD~2")));
}

/// What the audit says of a merge that adds a file beyond the automatic
/// merge of its parents, and its fix.
/// The hooks judge a merge's own changes and a forged merge like any
/// commit, so these were made with --no-verify, and their receipts say so.
const BEYOND: &str =
    "review: bypassed with git commit --no-verify: the staged changes have not been reviewed";
const FIX_SKIPPED: &str =
    "remote: hint: review: make the commit again through the hooks without skipping `review`\n";

#[test]
fn a_merge_made_by_writing_merge_head_by_hand_is_rejected() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    let base = server.id("HEAD");
    server.commit_reviewed("b.txt");
    // A "merge" of an ancestor: blocked by the hooks like any unreviewed
    // commit, so made with --no-verify.
    fs::write(server.client.path(".git/MERGE_HEAD"), format!("{base}\n")).unwrap();
    fs::write(server.client.path(".git/MERGE_MODE"), "no-ff").unwrap();
    server.client.stage("evil.txt", "unreviewed\n");
    server
        .client
        .git_test(&[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "merge",
            "-m",
            "Agent: test-agent",
        ])
        .stderr_ignored()
        .run();
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 2 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {} \"merge\": {BEYOND}\n{FIX_SKIPPED}{}",
            server.short("HEAD"),
            declined(&["main", "refs/notes/enforce"])
        ))
        .run();
}

#[test]
fn merge_no_commit_plus_an_added_file_is_rejected_and_a_clean_merge_passes() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.git(&["checkout", "-q", "-b", "side"]);
    server.commit_reviewed("side.txt");
    server.git(&["checkout", "-q", "main"]);
    server.commit_reviewed("main.txt");
    let before = server.id("HEAD");

    server
        .client
        .git_test(&["merge", "-q", "--no-commit", "--no-ff", "side"])
        .stderr("Automatic merge went well; stopped before committing as requested\n")
        .run();
    server.client.stage("evil.txt", "unreviewed\n");
    server
        .client
        .git_test(&["commit", "-q", "--no-verify", "-m", "Merge side"])
        .stderr_ignored()
        .run();
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 3 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {} \"Merge side\": {BEYOND}\n{FIX_SKIPPED}{}",
            server.short("HEAD"),
            declined(&["main", "refs/notes/enforce"])
        ))
        .run();

    // The same merge, clean, through the hooks.
    server.git(&["reset", "-q", "--hard", &before]);
    server
        .client
        .git_test(&["merge", "-q", "--no-ff", "side", "-m", "Merge side"])
        .run();
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr("remote: enforce: `refs/heads/main`: 3 new commit(s) pass the audit\n")
        .run();
}

#[test]
fn an_added_line_that_breaks_a_content_rule_with_hooks_disabled_is_rejected() {
    let server = Server::new();
    fs::write(server.client.path(".git/info/exclude"), "").unwrap();
    server.client.write(
        ".enforce.toml",
        "[[rules.content]]\nname = \"no-todo\"\npattern = \"TO[D]O\"\n",
    );
    server.git(&["add", ".enforce.toml"]);
    server.client.approve();
    server.client.commit("adopt enforce").run();
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.client.stage("notes.md", "fine\nTODO: later\n");
    server.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "sneak",
        "-m",
        "Agent: test-agent\nReviewed-by: git-reviewer",
    ]);
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 1 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {} \"sneak\": {NO_RECEIPT_TYPED}; no-todo: notes.md:2: matches `TO[D]O`\n{FIX_NO_RECEIPT}remote: hint: no-todo: change or remove the line and make the commit again through the hooks\n{}",
            server.short("HEAD"),
            declined(&["main"])
        ))
        .run();
}

#[test]
fn a_branch_outside_server_branches_is_not_checked_until_it_reaches_one() {
    let server = Server::new();
    fs::write(
        server.bare.join("enforce.toml"),
        "[server]\nbranches = [\"main\"]\n",
    )
    .unwrap();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.git(&["checkout", "-q", "-b", "wip"]);
    server.client.stage("b.txt", "b\n");
    server.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "add b.txt",
    ]);
    server
        .push(&["wip"])
        .stderr("remote: enforce: `refs/heads/wip` is not protected ([server] branches): its commits are not audited\n")
        .run();
    assert_eq!(server.server_ref("refs/heads/wip"), Some(server.id("HEAD")));
    let (event, details) = server.events().pop().unwrap();
    assert_eq!(
        (event.as_str(), &details["check"]),
        ("push_accepted", &json!("none"))
    );

    // The commit is judged when it reaches a protected branch, although
    // the server already holds it.
    let short = server.short("HEAD");
    server
        .push(&["wip:main"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: 1 of 1 new commit(s) on `refs/heads/main` do not pass the audit\nremote:   {short} \"add b.txt\": receipt: made without enforce's hooks (no receipt); review: not reviewed: without a receipt there is no approval; agent-trailer: the commit message has no `Agent:` trailer\n{FIX_NO_RECEIPT}remote: hint: agent-trailer: name the agent in a trailer (Agent: <agent name>) and make the commit again through the hooks (git commit --amend)\nTo [SANDBOX]/server.git\n ! [remote rejected] wip -> main (pre-receive hook declined)\nerror: failed to push some refs to '[SANDBOX]/server.git'\n",
        ))
        .run();
}

#[test]
fn a_force_push_is_judged_by_the_commits_it_adds() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server.commit_reviewed("b.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    // Rewritten past the hooks: the new commit has no receipt.
    server.git(&["reset", "-q", "--hard", "HEAD~1"]);
    server.client.stage("c.txt", "c\n");
    server.git(&[
        "-c",
        "core.hooksPath=/dev/null",
        "commit",
        "-q",
        "-m",
        "add c.txt",
    ]);
    server
        .push(&["+main"])
        .status(1)
        .stderr_contains(format!("remote:   {} \"add c.txt\": ", server.short("HEAD")))
        .stderr_ignored()
        .run();
    let (_, details) = server.events().pop().unwrap();
    assert_eq!(
        (&details["forced"], &details["commits"]),
        (&json!(true), &json!(1))
    );

    // Back to a reviewed commit the server already holds: nothing new.
    server.git(&["reset", "-q", "--hard", "HEAD~1"]);
    server.push(&["+main"]).run();
}

#[test]
fn log_heads_only_move_forward_on_the_same_log() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    let first = server.id("refs/enforce/head");
    server
        .push(&["+refs/enforce/head:refs/enforce/heads/laptop"])
        .run();
    server.commit_reviewed("b.txt");
    let second = server.id("refs/enforce/head");
    server
        .push(&["+refs/enforce/head:refs/enforce/heads/laptop"])
        .run();
    assert_eq!(
        server.server_ref("refs/enforce/heads/laptop"),
        Some(second.clone())
    );

    let refused = |reason: &str| {
        format!(
            "remote: enforce: push rejected: `refs/enforce/heads/laptop`: {reason}\nremote: hint: `enforce verify` in that clone shows what changed; if it was meant (`enforce cleanup`, a new clone), an administrator of this repository accepts it with `git update-ref -d refs/enforce/heads/laptop`\n"
        )
    };
    let seq = |blob: &str| {
        let text = server.git(&["cat-file", "blob", blob]);
        text.lines()
            .nth(1)
            .unwrap()
            .strip_prefix("seq ")
            .unwrap()
            .to_string()
    };
    server
        .push(&[&format!("+{first}:refs/enforce/heads/laptop")])
        .status(1)
        .stderr(format!(
            "{}To [SANDBOX]/server.git\n ! [remote rejected] {first} -> refs/enforce/heads/laptop (pre-receive hook declined)\nerror: failed to push some refs to '[SANDBOX]/server.git'\n",
            refused(&format!(
                "the log head moves backwards, from event {} to event {}: that clone's log lost events",
                seq(&second),
                seq(&first)
            ))
        ))
        .run();
    let (event, details) = server.events().pop().unwrap();
    assert_eq!(event, "push_rejected");
    assert_eq!(details["check"], "log_head");
    assert!(
        details["reason"]
            .as_str()
            .unwrap()
            .starts_with("the log head moves backwards")
    );

    // Another log (deleted and started anew) names another first line.
    let text = server.git(&["cat-file", "blob", &second]);
    let other: String = text
        .lines()
        .map(|l| {
            if l.starts_with("first ") {
                "first 0000\n".to_string()
            } else if let Some(seq) = l.strip_prefix("seq ") {
                format!("seq {}\n", seq.parse::<u64>().unwrap() + 5)
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs::write(server.client.path("other-head"), other).unwrap();
    let blob = server.git(&["hash-object", "-w", "other-head"]);
    let blob = blob.trim();
    server
        .push(&[&format!("+{blob}:refs/enforce/heads/laptop")])
        .status(1)
        .stderr_contains(refused(
            "the log head names another first line than the one the server holds: that clone's log was replaced or cut at the start",
        ))
        .run();

    server
        .push(&[":refs/enforce/heads/laptop"])
        .status(1)
        .stderr(format!(
            "{}To [SANDBOX]/server.git\n ! [remote rejected] refs/enforce/heads/laptop (pre-receive hook declined)\nerror: failed to push some refs to '[SANDBOX]/server.git'\n",
            refused("deleting a log head is refused: the server keeps it as the anchor of that clone's log")
        ))
        .run();
    assert_eq!(server.server_ref("refs/enforce/heads/laptop"), Some(second));
}

#[test]
fn receipts_may_be_added_never_dropped() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    let declined_notes = |from: &str| {
        format!(
            "To [SANDBOX]/server.git\n ! [remote rejected] {from}refs/notes/enforce (pre-receive hook declined)\nerror: failed to push some refs to '[SANDBOX]/server.git'\n"
        )
    };
    server
        .push(&[":refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: `refs/notes/enforce`: deleting `refs/notes/enforce` is refused: it holds the receipts of the commits here\nremote: hint: receipts are only ever added; nothing needs deleting\n{}",
            declined_notes("")
        ))
        .run();
    // Notes that do not contain the server's would drop its receipts.
    server.git(&["update-ref", "-d", "refs/notes/enforce"]);
    server.git(&["notes", "--ref=enforce", "add", "-m", "{}", "HEAD"]);
    server
        .push(&["+refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: push rejected: `refs/notes/enforce`: this `refs/notes/enforce` does not contain the server's: pushing it would drop receipts the server holds\nremote: hint: fetch the server's receipts and merge them into yours (`git fetch origin refs/notes/enforce:refs/notes/remotes/origin/enforce`, then `git notes --ref=enforce merge refs/notes/remotes/origin/enforce`), then push again\n{}",
            declined_notes("refs/notes/enforce -> ")
        ))
        .run();
}

#[test]
fn a_kept_pre_receive_hook_reads_the_same_input_and_runs_first() {
    let server = Server::new();
    let hooks = server.bare.join("hooks");
    server
        .client
        .sandbox
        .test(&server.bare)
        .args(["uninstall"])
        .stdout_ignored()
        .run();
    write_script(
        &hooks.join("pre-receive"),
        "cat > \"$GIT_DIR/seen-by-kept-hook\"\n[ ! -e \"$GIT_DIR/refuse\" ]",
    );
    server
        .client
        .sandbox
        .test(&server.bare)
        .args(["install", "--server"])
        .stdout_contains("  pre-receive       installed; the hook that was there is kept as pre-receive.pre-enforce and runs first\n")
        .run();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
        .run();
    let seen = fs::read_to_string(server.bare.join("seen-by-kept-hook")).unwrap();
    let zero = "0".repeat(40);
    assert_eq!(
        seen,
        format!(
            "{zero} {} refs/heads/main\n{zero} {} refs/notes/enforce\n",
            server.id("HEAD"),
            server.id("refs/notes/enforce")
        )
    );

    // Its refusal stands, and enforce records nothing of a push it did not judge.
    fs::write(server.bare.join("refuse"), "").unwrap();
    server.commit_reviewed("b.txt");
    let before = server.events().len();
    server
        .push(&["main"])
        .status(1)
        .stderr(format!(
            "remote: enforce: the kept `pre-receive` hook `{}/pre-receive.pre-enforce` failed with exit code 1\n{}",
            "hooks",
            declined(&["main"])
        ))
        .run();
    assert_eq!(server.events().len(), before);
}

#[test]
fn a_broken_server_config_refuses_every_push_and_says_where() {
    let server = Server::new();
    fs::write(
        server.bare.join("enforce.toml"),
        "[server]\nbranch = [\"main\"]\n",
    )
    .unwrap();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .status(1)
        .stderr(format!(
            "remote: enforce: [SANDBOX]/server.git/enforce.toml:2:1: unknown field `branch`, expected `branches`\nremote: hint: fix the file (removing a key restores its default); until then every push is refused\n{}",
            "To [SANDBOX]/server.git\n ! [remote rejected] main -> main (pre-receive hook declined)\n ! [remote rejected] refs/notes/enforce -> refs/notes/enforce (pre-receive hook declined)\nerror: failed to push some refs to '[SANDBOX]/server.git'\n"
        ))
        .run();
    let events = server.events();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|(t, d)| {
        t == "push_rejected"
            && d["reason"]
                .as_str()
                .unwrap()
                .starts_with("enforce could not judge the push: ")
    }));
}

#[test]
fn a_rebase_that_kept_the_diff_is_accepted_in_ci_and_on_the_server() {
    let server = Server::new();
    server.commit_reviewed("a.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.git(&["switch", "-q", "-c", "topic"]);
    server.commit_reviewed("b.txt");
    server.git(&["switch", "-q", "main"]);
    server.commit_reviewed("c.txt");
    server
        .push(&["main", "refs/notes/enforce"])
        .stderr_ignored()
        .run();
    server.git(&["switch", "-q", "topic"]);
    let before = server.id("HEAD");
    server.git(&["rebase", "-q", "main"]);
    let after = server.id("HEAD");
    assert_ne!(before, after, "the rebase made a new commit");
    // The rebased commit was never approved itself: its receipt carries the
    // approval of the commit it rewrote, whose diff it keeps.
    server
        .push(&["topic", "refs/notes/enforce"])
        .stderr("remote: enforce: `refs/heads/topic`: 1 new commit(s) pass the audit\n")
        .run();
    let clone = server.client.sandbox.path().join("fresh");
    server.git(&[
        "clone",
        "-q",
        server.bare.to_str().unwrap(),
        clone.to_str().unwrap(),
    ]);
    server.client.git_in(
        &clone,
        &["fetch", "-q", "origin", "+refs/notes/enforce:refs/notes/enforce"],
    );
    server
        .client
        .sandbox
        .test(&clone)
        .args(["audit", "origin/main..origin/topic"])
        .stdout("audit origin/main..origin/topic: all 1 commit(s) pass\n")
        .run();
}
