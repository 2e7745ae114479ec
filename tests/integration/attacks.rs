//! Attacks an agent with a shell in the repository makes on the log and on
//! what the hooks and `status` say, each run through real git: every one
//! must now be refused, or recorded, or make `verify` or `status` fail.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::hookrepo::HookRepo;
use crate::support::{lines, unavailable};

/// `status` as a whole: its exit code and its report.
fn status(repo: &HookRepo) -> (i32, String) {
    let ran = repo.test().arg("status").status_ignored().stdout_ignored().run();
    (ran.code, format!("{}{}", ran.stdout, ran.stderr))
}

/// The events file made a symbolic link to a file elsewhere: the hooks
/// appended there while `status` said "OK events file". Now no append goes
/// through the link, the hooks say the event was not recorded, and
/// `status` fails naming the link.
#[test]
fn a_symlinked_events_file_is_not_appended_through() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let elsewhere = repo.sandbox.path().join("elsewhere.jsonl");
    fs::write(&elsewhere, "").unwrap();
    let log = repo.repo.events_file();
    fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &log).unwrap();

    repo.stage("b.txt", "b\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "b", "-m", "Agent: x"])
        .stderr_contains("is a symbolic link: enforce appends only to a regular file")
        .stderr_contains("NOT recorded as `commit_review_bypassed`")
        .run();
    assert_eq!(
        fs::read(&elsewhere).unwrap(),
        b"",
        "nothing went through the link"
    );

    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .status(2)
        .stderr_contains("is a symbolic link")
        .run();
    let (code, report) = status(&repo);
    assert_ne!(code, 0, "{report}");
    assert!(report.contains("is a symbolic link (to "), "{report}");
}

/// A FIFO in place of the events file hung `enforce record` (and so the
/// hook) waiting for a reader; now it is an error at once.
#[test]
fn a_fifo_events_file_is_an_error_not_a_hang() {
    let repo = HookRepo::new("");
    let log = repo.repo.events_file();
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let made = Command::new("mkfifo").arg(&log).status().unwrap();
    assert!(made.success());
    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .status(2)
        .stderr_contains("is a FIFO: enforce appends only to a regular file")
        .run();
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "a", "-m", "Agent: x"])
        .stderr_contains("NOT recorded as `commit_review_bypassed`")
        .run();
}

/// A hand-written line claiming the largest sequence number made the next
/// append wrap to 0 (and a debug build panic). Now appends stop with an
/// error that says why, and `verify` fails.
#[test]
fn a_forged_largest_sequence_number_stops_appends() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let log = repo.repo.events_file();
    let last: serde_json::Value = serde_json::from_str(lines(&log).last().unwrap()).unwrap();
    let mut forged = last.clone();
    forged["seq"] = serde_json::json!(u64::MAX);
    let mut text = fs::read_to_string(&log).unwrap();
    text.push_str(&format!("{forged}\n"));
    fs::write(&log, text).unwrap();

    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .status(2)
        .stderr_contains("its last sequence number is 18446744073709551615, the largest there is")
        .run();
    let ran = repo.test().arg("verify").status_ignored().stdout_ignored().run();
    assert_ne!(ran.code, 0, "{}", ran.stdout);
}

/// A full file system: the hooks said "could not record" and then
/// "recorded as …", and `status` said "OK events file". A small tmpfs over
/// `.git/enforce` needs root to mount.
#[test]
fn a_full_file_system_is_never_reported_as_recorded() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let dir = repo.path(".git/enforce");
    let saved = repo.sandbox.path().join("saved");
    copy_dir(&dir, &saved);
    let Some(_mounted) = Tmpfs::mount(&dir, "64k") else {
        return;
    };
    copy_dir(&saved, &dir);
    // Fill what is left.
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", dir.join("filler").display()))
        .output();

    // An append fits while the file's last page has room: commit until
    // the bypass's own append does not. Every claim on the way must be
    // in the log.
    let mut claimed = 0;
    let failed = (0..20).find_map(|i| {
        repo.stage(&format!("b{i}.txt"), "b\n");
        let ran = repo
            .git_test(&["commit", "-q", "--no-verify", "-m", "b", "-m", "Agent: x"])
            .stderr_ignored()
            .run();
        claimed += ran
            .stderr
            .matches("; recorded as `commit_review_bypassed`")
            .count();
        let logged = repo
            .all_events()
            .iter()
            .filter(|e| e.event_type == "commit_review_bypassed")
            .count();
        assert_eq!(claimed, logged, "a failed record claimed: {}", ran.stderr);
        ran.stderr
            .contains("NOT recorded as `commit_review_bypassed`")
            .then_some(ran)
    });
    let ran = failed.expect("no append failed on a full file system");
    assert!(
        !ran.stderr.contains("; recorded as"),
        "a failed record claimed: {}",
        ran.stderr
    );
    let (code, report) = status(&repo);
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains("byte(s) free: events cannot be recorded"),
        "{report}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

/// A tmpfs mounted over a directory, unmounted when dropped.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ran = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output();
        match ran {
            Ok(out) if out.status.success() => Some(Tmpfs(dir.to_path_buf())),
            _ => {
                unavailable(
                    "mounting a small tmpfs to fill needs root (and CAP_SYS_ADMIN)",
                    "run the tests as root (CI does)",
                );
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A `sh` hook holding the marker and an `enforce_bin=` line but doing
/// `exit 0` was reported "installed" and enforcement "in force". A shell
/// hook must now be the script `enforce install` writes, byte for byte.
#[test]
fn a_fake_shell_hook_with_the_marker_fails_status() {
    let repo = HookRepo::new("");
    let bin = crate::support::enforce_bin();
    for (hook, version) in [("pre-commit", "0.1.0"), ("commit-msg", "0.0.1")] {
        let fake = format!(
            "#!/bin/sh\n# enforce-managed-hook (enforce {version}): `enforce uninstall` removes this file and\nenforce_bin='{}'\nexit 0\n",
            bin.display()
        );
        let path = repo.path(&format!(".git/hooks/{hook}"));
        fs::write(&path, fake).unwrap();
        fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    let (code, report) = status(&repo);
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains("pre-commit was changed: its script is not the one `enforce install` writes, so it may not run enforce"),
        "{report}"
    );
    assert!(
        report.contains(
            "commit-msg was changed: a shell hook written by enforce 0.0.1, which this enforce cannot check"
        ),
        "{report}"
    );
    // What `install --shell` writes passes.
    repo.test().args(["install", "--shell"]).stdout_ignored().run();
    let (code, report) = status(&repo);
    assert!(!report.contains("was changed"), "{report}");
    assert_eq!(code, 0, "{report}");
}

/// A hook kept as `<name>.pre-enforce` runs before enforce's checks with
/// the same powers; `status` listed it as OK. Now it names what it is and
/// warns.
#[test]
fn a_chained_hook_is_described_and_warned_of() {
    let repo = HookRepo::new("");
    let hook = repo.path(".git/hooks/pre-commit.pre-enforce");
    fs::write(&hook, "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (_, report) = status(&repo);
    assert!(
        report.contains("pre-commit.pre-enforce (a `/bin/sh` script, 2 line(s)): each runs before enforce's check with the same powers"),
        "{report}"
    );
}

/// Cuts the last `n` lines off the events file.
fn cut_tail(log: &Path, n: usize) {
    let text = fs::read_to_string(log).unwrap();
    let all: Vec<&str> = text.lines().collect();
    let kept = &all[..all.len() - n];
    fs::write(log, format!("{}\n", kept.join("\n"))).unwrap();
}

/// `ENFORCE_EVENTS_FILE=/tmp/x enforce record …` moved the one anchor to
/// `/tmp/x`, and the repository's own log was then cut undetected. Each
/// log now keeps its own anchor, and a hook that records elsewhere says so
/// in the repository's log.
#[test]
fn recording_elsewhere_does_not_move_the_repository_log_s_anchor() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    repo.stage("b.txt", "b\n");
    repo.commit("b").run();
    let other = repo.sandbox.path().join("x.jsonl");
    repo.test()
        .args(["record", "x", "--source", "y"])
        .env("ENFORCE_EVENTS_FILE", &other)
        .run();
    let log = repo.repo.events_file();
    cut_tail(&log, 1);
    let report = repo.json_exiting(1, &["verify", "--json"]);
    assert_eq!(report["problems"][0]["kind"], "truncated", "{report:#}");
    // The other file has its own anchor.
    let intact = repo
        .test()
        .args(["--events-file"])
        .arg(&other)
        .arg("verify")
        .stdout_ignored()
        .run();
    assert!(intact.stdout.contains("refs/enforce/logs/"), "{}", intact.stdout);

    // A commit whose hooks record elsewhere leaves a trace here.
    repo.test()
        .args(["verify", "--reanchor"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    repo.stage("c.txt", "c\n");
    repo.commit("c").env("ENFORCE_EVENTS_FILE", &other).run();
    let last: serde_json::Value = serde_json::from_str(lines(&log).last().unwrap()).unwrap();
    assert_eq!(last["event_type"], "events_elsewhere", "{last:#}");
    assert_eq!(last["details"]["file"], other.display().to_string());
    assert_eq!(last["details"]["chosen_by"], "ENFORCE_EVENTS_FILE");
    repo.test().arg("verify").stdout_ignored().run();
}

/// `git update-ref -d refs/enforce/head`, then a cut tail: verify said
/// intact and status in force, and the next append anchored the cut log.
/// A log with events and no anchor is now a finding of both, and only
/// `verify --reanchor` (recorded) anchors it again.
#[test]
fn a_deleted_anchor_is_a_finding_and_appends_do_not_restore_it() {
    let repo = HookRepo::new("[review]\nmode = \"off\"\n");
    for name in ["a", "b"] {
        repo.stage(&format!("{name}.txt"), "x\n");
        repo.commit(name).run();
    }
    repo.git(&["update-ref", "-d", "refs/enforce/head"]);
    let log = repo.repo.events_file();
    cut_tail(&log, 1);
    repo.test()
        .args(["record", "import_blocked", "-s", "guards.py"])
        .stderr_contains("has events but no `refs/enforce/head`")
        .run();
    let report = repo.json_exiting(1, &["verify", "--json"]);
    assert_eq!(report["problems"][0]["kind"], "unanchored", "{report:#}");
    let (code, status) = status(&repo);
    assert_ne!(code, 0, "{status}");
    assert!(status.contains("but no refs/enforce/head"), "{status}");

    repo.test()
        .args(["verify", "--reanchor"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    let last: serde_json::Value = serde_json::from_str(lines(&log).last().unwrap()).unwrap();
    assert_eq!(last["event_type"], "log_reanchored");
    assert_eq!(last["source"], "enforce verify");
    repo.test().arg("verify").stdout_ignored().run();
}

/// A message that is not UTF-8 (a Latin-1 `é`) came back with U+FFFD once
/// the hook added its review trailer; the hook now keeps every byte, and
/// git stores what it stores without the hook.
#[test]
fn adding_the_review_trailer_keeps_a_non_utf8_message_byte_for_byte() {
    let repo = HookRepo::new("");
    repo.stage("a.txt", "a\n");
    repo.approve();
    let message = repo.sandbox.path().join("message");
    fs::write(&message, b"subj \xe9\n\nbody \xff\xfe\n\nAgent: x\n").unwrap();
    // git warns that the message is not UTF-8, and stores it as it is.
    repo.git_test(&["commit", "-q", "-F"])
        .arg(&message)
        .stderr_contains("commit message did not conform to UTF-8")
        .run();
    let stored = Command::new("git")
        .args(["cat-file", "commit", "HEAD"])
        .current_dir(repo.root())
        .output()
        .unwrap()
        .stdout;
    let body = &stored[stored.windows(2).position(|w| w == b"\n\n").unwrap() + 2..];
    // git reads bytes that are not UTF-8 as Latin-1 and stores them as
    // UTF-8 (`é`, `ÿþ`), as it does without the hook; a hook that decoded
    // the file lossily first left U+FFFD for git to store instead.
    assert_eq!(
        String::from_utf8_lossy(body),
        "subj é\n\nbody ÿþ\n\nAgent: x\nReviewed-by: git-reviewer\n"
    );
}

/// `GIT_REFLOG_ACTION=cherry-pick git commit --no-verify` made git write
/// `cherry-pick:` into the reflog, and post-commit took the commit for a
/// pick: no checks expected, no bypass recorded. The operation now comes
/// from the command line of the git process running the hook.
#[test]
fn git_reflog_action_does_not_pass_a_commit_off_as_a_pick() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("evil.txt", "evil\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "evil"])
        .env("GIT_REFLOG_ACTION", "cherry-pick")
        .stderr_contains(
            "this commit was not reviewed and skipped the review check; recorded as `commit_review_bypassed`",
        )
        .run();
    let reflog = repo.git(&["reflog", "-1", "--format=%gs"]);
    assert!(
        reflog.starts_with("cherry-pick"),
        "git wrote what the variable said: {reflog}"
    );
    let events = repo.all_events();
    let types = crate::hookrepo::types(&events);
    assert!(types.contains(&"commit_review_bypassed"), "{types:?}");
    assert!(types.contains(&"bypass_agent_trailer"), "{types:?}");
    let completed = events
        .iter()
        .rev()
        .find(|e| e.event_type == "commit_completed")
        .unwrap();
    assert_eq!(
        completed.details["operation"], "commit",
        "{:#?}",
        completed.details
    );
}

/// `MERGE_HEAD` naming `HEAD~1` and `MERGE_MODE` written by hand made a
/// plain `git commit` a "merge" that pre-commit and commit-msg exempted.
/// A merge is now only one when git's merge state holds together, and a
/// real merge's own changes beyond the automatic merge need review.
#[test]
fn a_forged_merge_state_earns_no_exemption() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    let parent = repo.git(&["rev-parse", "HEAD~1"]);
    fs::write(repo.path(".git/MERGE_HEAD"), format!("{}\n", parent.trim())).unwrap();
    fs::write(repo.path(".git/MERGE_MODE"), "no-ff").unwrap();
    repo.stage("evil.txt", "evil\n");
    repo.git_test(&["commit", "-q", "-m", "Merge branch 'x'", "-m", "Agent: x"])
        .status(1)
        .stderr_contains("commit blocked by rule `review`: the staged changes have not been reviewed")
        .run();
    // Approved, the trailer is still required: it is no merge.
    repo.approve();
    repo.git_test(&["commit", "-q", "-m", "Merge branch 'x'"])
        .status(1)
        .stderr_contains("commit blocked by rule `agent-trailer`")
        .run();
    let types = crate::hookrepo::types(&repo.all_events())
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    assert!(!types.iter().any(|t| t == "commit_merge_exempt"), "{types:?}");
}

/// `git merge --no-commit` and a file added before the commit: the merge
/// was exempt. What it adds beyond the automatic merge is now judged.
#[test]
fn a_merge_s_own_changes_need_review() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.commit_reviewed("side.txt", "side\n");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit_reviewed("main.txt", "main\n");
    repo.git_test(&["merge", "-q", "--no-commit", "--no-ff", "side"])
        .stderr_ignored()
        .run();
    repo.stage("evil.txt", "evil\n");
    repo.git_test(&["commit", "-q", "-m", "Merge side", "-m", "Agent: x"])
        .status(1)
        .stderr_contains("commit blocked by rule `review`")
        .stderr_contains("1 file(s)")
        .stderr_contains("evil.txt")
        .run();
    // Without the extra file the merge adds nothing to review.
    repo.git(&["rm", "-q", "--cached", "evil.txt"]);
    repo.git_test(&["commit", "-q", "-m", "Merge side", "-m", "Agent: x"])
        .run();
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-1", "HEAD"])
            .split_whitespace()
            .count(),
        3
    );
}

/// With `extensions.worktreeConfig`, `git config --worktree core.hooksPath
/// /dev/null` switched the hooks off in one linked worktree, and `status`
/// in the main worktree did not see it. It now checks every worktree.
#[test]
fn a_worktree_with_its_hooks_switched_off_fails_status_everywhere() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    let wt = repo.sandbox.path().join("wt");
    repo.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    repo.git(&["config", "extensions.worktreeConfig", "true"]);
    repo.git_in(&wt, &["config", "--worktree", "core.hooksPath", "/dev/null"]);
    let (code, report) = status(&repo);
    assert_ne!(code, 0, "{report}");
    assert!(
        report.contains(
            "wt runs its hooks from /dev/null, which holds no enforce hooks: its commits skip enforce"
        ),
        "{report}"
    );
    repo.git_in(&wt, &["config", "--worktree", "--unset", "core.hooksPath"]);
    let (_, report) = status(&repo);
    assert!(!report.contains("its commits skip enforce"), "{report}");
}

/// `[score] bypass_types = []` and a committed `[[alerts]]` that replaces
/// the defaults hid every bypass from `score` and `alert`, recording no
/// `config_changed`. Report settings that hide bypasses are weakenings.
#[test]
fn report_settings_that_hide_bypasses_are_recorded_as_weakenings() {
    let repo = HookRepo::new("");
    repo.git(&["add", "-f", ".enforce.toml"]);
    repo.approve();
    repo.commit("adopt").run();
    repo.write(
        ".enforce.toml",
        "[score]\nbypass_types = []\ncritical_bypasses_above = 1000000\n\n[[alerts]]\nmetric = \"bypasses\"\nevent_types = [\"commit_review_bypassed\"]\nabove = 1000000\nlevel = \"critical\"\nmessage = \"x\"\n",
    );
    repo.git(&["add", "-f", ".enforce.toml"]);
    repo.approve();
    repo.commit("quieter reports")
        .stderr_contains("this commit weakens `score` (bypass_types:")
        .stderr_contains("this commit weakens `alerts` (rule_weakened (critical):")
        .run();
    let events = repo.all_events();
    let weakened: Vec<String> = events
        .iter()
        .filter(|e| e.event_type == "rule_weakened")
        .map(|e| {
            format!(
                "{}.{}",
                e.details["rule"].as_str().unwrap(),
                e.details["setting"].as_str().unwrap()
            )
        })
        .collect();
    for expected in [
        "score.bypass_types",
        "score.critical_bypasses_above",
        "alerts.bypasses (critical)",
    ] {
        assert!(
            weakened.contains(&expected.to_string()),
            "{expected} in {weakened:?}"
        );
    }
    assert!(events.iter().any(|e| e.event_type == "config_changed"));
}

/// An unstaged `mode = "off"` in the work tree's `.enforce.toml` switched
/// the rules off for the next commits, recording only `review: off`. The
/// committed config now applies, and the edit is recorded as a proposed
/// weakening.
#[test]
fn an_uncommitted_config_edit_switches_nothing_off() {
    let repo = HookRepo::new("");
    repo.git(&["add", "-f", ".enforce.toml"]);
    repo.approve();
    repo.commit("adopt").run();
    repo.write(".enforce.toml", "[review]\nmode = \"off\"\n");
    repo.stage("a.txt", "a\n");
    repo.commit("unreviewed")
        .status(1)
        .stderr_contains("commit blocked by rule `review`")
        .run();
    repo.approve();
    repo.commit("reviewed")
        .stderr_contains("the work tree's .enforce.toml, not committed, weakens `review` (mode: enforce → off); the committed config applied; recorded as `rule_weakened`")
        .run();
    let weakened = repo
        .all_events()
        .into_iter()
        .filter(|e| e.event_type == "rule_weakened")
        .collect::<Vec<_>>();
    assert_eq!(weakened.len(), 1, "{weakened:#?}");
    assert_eq!(weakened[0].details["uncommitted"], true);
    assert_eq!(weakened[0].details["bypass_method"], "uncommitted config edit");
}

/// A hand-written `log_checkpoint` in place of a deleted range, naming the
/// hash and sequence of the last line it replaces, made `verify` say
/// intact. The anchor now lists the checkpoints `enforce cleanup` wrote,
/// and any other is a break.
#[test]
fn a_hand_written_checkpoint_is_a_break() {
    let repo = HookRepo::new("");
    for n in 0..5 {
        repo.test()
            .args([
                "record",
                "import_blocked",
                "-s",
                "guards.py",
                "--detail",
                &format!("n:={n}"),
            ])
            .run();
    }
    let log = repo.repo.events_file();
    let all = lines(&log);
    // Replace lines 2..=4 with a checkpoint that links line 5 on.
    let removed: serde_json::Value = serde_json::from_str(&all[3]).unwrap();
    let checkpoint = serde_json::json!({
        "timestamp": removed["timestamp"],
        "event_type": "log_checkpoint",
        "source": "enforce cleanup",
        "details": {
            "removed": 3,
            "last_removed_hash": enforce::event::chain::hash(all[3].as_bytes()),
            "last_removed_seq": removed["seq"],
            "cutoff": "2026-01-01T00:00:00+00:00",
        },
    });
    let forged = [all[0].clone(), checkpoint.to_string(), all[4].clone()];
    fs::write(&log, format!("{}\n", forged.join("\n"))).unwrap();
    let report = repo.json_exiting(1, &["verify", "--json"]);
    let kinds: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"forged-checkpoint"), "{report:#}");
    let (code, _) = status(&repo);
    assert_ne!(code, 0);
}

/// `rebase -i` with `edit`, a file added, `rebase --continue`: the picked
/// commit took new content without pre-commit or commit-msg, kept its old
/// `Reviewed-by`, and the log said its approval was carried. It is now
/// recorded as a commit whose review was bypassed.
#[test]
fn a_rebase_that_changes_a_commit_s_content_is_recorded_as_a_bypass() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    repo.commit_reviewed("c.txt", "c\n");
    repo.git_test(&["rebase", "-q", "-i", "HEAD~2"])
        .env("GIT_SEQUENCE_EDITOR", "sed -i '1s/^pick/edit/'")
        .stderr_ignored()
        .run();
    repo.stage("evil.txt", "evil\n");
    repo.git_test(&["rebase", "--continue"])
        .env("GIT_EDITOR", "true")
        .stdout_ignored()
        .stderr_contains("rebase rewrote")
        .stderr_contains("with a changed diff that nobody approved; recorded as `commit_review_bypassed`")
        .run();
    let events = repo.all_events();
    let bypass = events
        .iter()
        .rev()
        .find(|e| e.event_type == "commit_review_bypassed")
        .expect("a bypass recorded");
    assert_eq!(
        bypass.details["bypass_method"], "rebase with a changed diff",
        "{:#?}",
        bypass.details
    );
    assert_eq!(bypass.source, "post-rewrite");
}

/// The same through an autosquashed fixup made with `--no-verify`, and
/// through `commit --amend --no-verify` adding a file: each rewritten
/// commit whose content changed is recorded as unreviewed, and its receipt
/// carries no approval for the new content.
#[test]
fn a_fixup_or_amend_around_the_hooks_is_recorded_as_a_bypass() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.commit_reviewed("b.txt", "b\n");
    repo.stage("evil.txt", "evil\n");
    repo.git_test(&["commit", "-q", "--no-verify", "--fixup", "HEAD"])
        .stderr_ignored()
        .run();
    repo.new_events();
    repo.git_test(&["rebase", "-q", "-i", "--autosquash", "HEAD~2"])
        .env("GIT_SEQUENCE_EDITOR", "true")
        .stderr_contains("with a changed diff that nobody approved; recorded as `commit_review_bypassed`")
        .run();
    let events = repo.new_events();
    let bypass = crate::hookrepo::find(&events, "commit_review_bypassed");
    assert_eq!(bypass.details["bypass_method"], "rebase with a changed diff");
    let receipt: serde_json::Value =
        serde_json::from_str(&repo.git(&["notes", "--ref=enforce", "show", "HEAD"])).unwrap();
    assert!(receipt["approval"].is_null(), "{receipt:#}");
    assert!(repo.git(&["show", "--stat", "HEAD"]).contains("evil.txt"));

    repo.stage("worse.txt", "worse\n");
    repo.git_test(&["commit", "-q", "--amend", "--no-verify", "--no-edit"])
        .stderr_contains(
            "this commit was not reviewed and skipped the review check; recorded as `commit_review_bypassed`",
        )
        .run();
    let receipt: serde_json::Value =
        serde_json::from_str(&repo.git(&["notes", "--ref=enforce", "show", "HEAD"])).unwrap();
    assert!(receipt["approval"].is_null(), "{receipt:#}");
}

/// A process that `exec`s git knows the git process id that keys the
/// attempt note, so it wrote one claiming clean checks before `exec git
/// commit --no-verify`, and post-commit recorded `review=approved`. The
/// note is now believed only as far as the commit bears it out.
fn forge_note_and_commit(repo: &HookRepo, pre_commit: &str, env: &[(&str, &str)]) -> crate::support::Ran {
    let script = format!(
        r#"tree=$(git write-tree) && head=$(git rev-parse HEAD) && mkdir -p .git/enforce/attempts &&
printf '{{"id":"forged","git_pid":%s,"tree":"%s","head":"%s","pre_commit":{pre_commit}}}\n{{"agent":"x","rules":[{{"rule":"agent-trailer","mode":"enforce","outcome":"passed"}}]}}\n' $$ "$tree" "$head" > .git/enforce/attempts/$$.json &&
exec git commit -q --no-verify -m sneak -m "Agent: x""#
    );
    let mut command = repo.sandbox.command("sh", repo.root());
    command.args(["-c", &script]);
    for (key, value) in env {
        command.env(key, value);
    }
    crate::support::run(&mut command)
}

const CLAIM_APPROVED: &str = r#"{"review":"approved","approved_by":"git-reviewer","files":["evil.txt"],"file_count":1,"rules":[{"rule":"review","mode":"enforce","outcome":"passed"}]}"#;

#[test]
fn a_forged_attempt_note_is_not_believed() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.new_events();
    repo.stage("evil.txt", "evil\n");
    let ran = forge_note_and_commit(&repo, CLAIM_APPROVED, &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "the note of this commit's checks does not hold: pre-commit's note says rule `review` passed, but the commit fails it: "
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains(
            "this commit was not reviewed and skipped the review check; recorded as `commit_review_bypassed`"
        ),
        "{}",
        ran.stderr
    );
    let events = repo.new_events();
    assert_eq!(
        crate::hookrepo::types(&events),
        ["commit_review_bypassed", "commit_completed"],
        "the trailer part of the note holds: the message has its trailer"
    );
    let completed = &events[1].details;
    assert_eq!(completed["review"], "skipped", "{completed:#}");
    assert_eq!(completed["hooks_skipped"], serde_json::json!(["pre-commit"]));
    assert!(
        completed["note_rejected"][0]
            .as_str()
            .unwrap()
            .starts_with("pre-commit's note says rule `review` passed")
    );
    assert!(events[0].details["note_rejected"].is_array());
    let receipt = repo.git(&["notes", "--ref=enforce", "show", "HEAD"]);
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["hooks"], serde_json::json!(["commit-msg", "post-commit"]));
    assert!(receipt["approval"].is_null(), "{receipt:#}");
}

/// The same note with the approval the commit really has is what the
/// hooks would have written: nothing to reject, whoever wrote it.
#[test]
fn an_attempt_note_the_commit_bears_out_stands() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("b.txt", "b\n");
    repo.approve();
    repo.new_events();
    let ran = forge_note_and_commit(&repo, CLAIM_APPROVED.replace("evil.txt", "b.txt").as_str(), &[]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(ran.stderr, "");
    let events = repo.new_events();
    assert_eq!(crate::hookrepo::types(&events), ["commit_completed"]);
    assert_eq!(events[0].details["review"], "approved");
    assert_eq!(events[0].details["reviewer"], "git-reviewer");
}

/// A note claiming a bypass by the skip variable, with the variable set,
/// matches what the judge says; but pre-commit records such a bypass and
/// the log has none for this attempt, so the note is not believed.
#[test]
fn a_forged_note_claiming_a_recorded_bypass_needs_the_record() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.new_events();
    repo.stage("evil.txt", "evil\n");
    let claim = r#"{"review":"bypassed","files":["evil.txt"],"file_count":1,"rules":[{"rule":"review","mode":"enforce","outcome":"bypassed","method":"PILOT_SKIP_REVIEW=1","reason":"x"}]}"#;
    let ran = forge_note_and_commit(&repo, claim, &[("PILOT_SKIP_REVIEW", "1")]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stderr.contains(
            "pre-commit's note says rule `review` was bypassed, but no such event of this attempt is in the log"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(
        crate::hookrepo::types(&repo.new_events()),
        ["commit_review_bypassed", "commit_completed"]
    );
}

/// A note that leaves out a content rule the added lines break.
#[test]
fn a_forged_note_cannot_hide_a_content_rule_hit() {
    let mut repo = HookRepo::new(
        "[[rules.content]]\nname = \"no-secrets\"\npattern = \"SECRET_KEY =\"\nseverity = \"critical\"\n",
    );
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("b.txt", "SECRET_KEY = 1\n");
    repo.approve();
    repo.new_events();
    let ran = forge_note_and_commit(&repo, CLAIM_APPROVED.replace("evil.txt", "b.txt").as_str(), &[]);
    assert!(
        ran.stderr
            .contains("pre-commit's note leaves out rule `no-secrets`, which the commit fails: "),
        "{}",
        ran.stderr
    );
    let types = crate::hookrepo::types(&repo.new_events()).join(" ");
    assert!(types.contains("bypass_content_rule"), "{types}");
}

/// A `Reviewed-by:` typed into the message made a commit look reviewed by
/// someone who never saw it. commit-msg now refuses a review trailer that
/// names anyone but the approving reviewer, and no skip variable lets it
/// through.
#[test]
fn a_typed_review_trailer_is_refused() {
    let mut repo = HookRepo::new("");
    repo.commit_reviewed("a.txt", "a\n");
    repo.stage("b.txt", "b\n");
    repo.approve();
    repo.new_events();
    let refused = "enforce: commit blocked by rule `review-trailer`: the message names `alice` in a `Reviewed-by:` trailer, but the approval it uses is git-reviewer's
  fix:
    remove the `Reviewed-by: alice` line from the message: enforce adds `Reviewed-by:` itself, naming whoever approved what is staged
    commit again
  escape hatch: none: no variable lets a message name a reviewer who did not approve it
";
    repo.git_test(&["commit", "-q", "-m", "b", "-m", "Agent: x\nReviewed-by: alice"])
        .status(1)
        .stderr(refused)
        .run();
    let events = repo.new_events();
    let blocked = crate::hookrepo::find(&events, "commit_blocked");
    assert_eq!(blocked.details["rule"], "review-trailer");
    assert_eq!(blocked.details["bypass_refused"], true);

    // Bypassing review does not license claiming one.
    repo.stage("c.txt", "c\n");
    repo.git_test(&["commit", "-q", "-m", "c", "-m", "Agent: x\nReviewed-by: git-reviewer"])
        .env("PILOT_SKIP_REVIEW", "1")
        .status(1)
        .stderr_contains("rule `review` skipped with PILOT_SKIP_REVIEW=1")
        .stderr_contains(
            "commit blocked by rule `review-trailer`: the message names `git-reviewer` in a `Reviewed-by:` trailer, but it uses no approval",
        )
        .run();
    assert!(!repo.git(&["log", "--format=%s"]).contains('c'));
}
