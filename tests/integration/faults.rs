//! Faults: many writers at once, crashes mid-append and mid-cleanup, events
//! files that cannot be written, tampered logs, and hostile input.
//!
//! The crashes are real: a debug build dies at a fault point named by
//! `ENFORCE_FAULT` (see `src/fault.rs`), with SIGABRT, as a killed process
//! would.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::agent_trailer::{self, NO_TRAILER};
use crate::config::HINT;
use crate::content;
use crate::hookrepo::{HookRepo, find, types};
use crate::review::{DIFF, NOT_REVIEWED, approved, blocked};
use crate::support::{Sandbox, Test, TestRepo, enforce_bin};

const REVIEW_OFF: &str = "[review]\nmode = \"off\"\n";
const SIGABRT: i32 = 6;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 hex of a stored line, computed here independently of enforce.
fn sha256(line: &str) -> String {
    Sha256::digest(line.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The lines of the events file, each parsed; panics naming the line that
/// is not JSON.
fn parsed_lines(path: &Path) -> Vec<(String, Value)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("line {} of {} is not JSON ({e}): {line}", i + 1, path.display()));
            (line.to_string(), value)
        })
        .collect()
}

/// `enforce verify --json` in `cwd`: the exit code and the report.
fn verify(sandbox: &Sandbox, cwd: &Path) -> (i32, Value) {
    let ran = sandbox
        .test(cwd)
        .args(["verify", "--json"])
        .status_ignored()
        .stdout_ignored()
        .run();
    let report = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("verify printed no JSON ({e}):\n{}\n{}", ran.stdout, ran.stderr));
    (ran.code, report)
}

/// A process told to die at a fault point.
struct Died {
    status: ExitStatus,
    pid: u32,
    stderr: String,
}

/// Runs `enforce args…` in `cwd` with `ENFORCE_FAULT=fault`. Core dumps are
/// turned off first (`exec` keeps the pid and passes the signal through),
/// so the expected abort leaves no core file in the repository.
fn run_faulted(sandbox: &Sandbox, cwd: &Path, fault: &str, args: &[&str]) -> Died {
    let child = sandbox
        .command("sh", cwd)
        .args(["-c", "ulimit -c 0; exec \"$0\" \"$@\""])
        .arg(enforce_bin())
        .args(args)
        .env("ENFORCE_FAULT", fault)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn enforce");
    let pid = child.id();
    let out = child.wait_with_output().expect("wait for enforce");
    Died {
        status: out.status,
        pid,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn assert_aborted(died: &Died, what: &str) {
    assert_eq!(
        died.status.signal(),
        Some(SIGABRT),
        "{what} should have died of SIGABRT at the fault point, but ended with {:?}; stderr:\n{}",
        died.status,
        died.stderr
    );
}

/// Which sources the events of a log were recorded by, and how often.
fn count_by_source(lines: &[(String, Value)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, value) in lines {
        *counts
            .entry(value["source"].as_str().unwrap_or("<none>").to_string())
            .or_insert(0) += 1;
    }
    counts
}

/// What a writer may say besides nothing: that it lost the race for
/// `refs/enforce/head` (see [`concurrent_commits_and_records_keep_one_chain`]).
const REF_RACE_LOST: &str = "(enforce: warning: could not update `refs/enforce/head`: [^\n]*\n)*";

#[test]
#[ignore = "scale tier: .ci/run runs it optimized (--profile scale)"]
fn concurrent_commits_and_records_keep_one_chain() {
    // 8 processes at once: 4 committers, each in its own worktree of one
    // repository, and 4 recorders. With review off, a commit appends exactly
    // one event (`commit_completed`, from post-commit). A commit costs about
    // 25 ms of CPU in a debug build (git plus three hook processes), a record
    // about 4 ms, so commits are scaled down and records up: 4 x 150 commits
    // and 4 x 500 records, plus the base commit: 2601 appends, about 15 s on
    // 2 cores.
    const COMMITTERS: usize = 4;
    const COMMITS: usize = 150;
    const RECORDERS: usize = 4;
    const RECORDS: usize = 500;
    let started = Instant::now();

    let repo = HookRepo::new(REVIEW_OFF);
    repo.stage("f.txt", "base\n");
    repo.commit("base").run();
    assert_eq!(types(&repo.all_events()), ["commit_completed"]);
    let worktrees: Vec<PathBuf> = (0..COMMITTERS)
        .map(|k| {
            let wt = repo.sandbox.path().join(format!("wt{k}"));
            repo.git(&[
                "worktree",
                "add",
                "-q",
                "-b",
                &format!("side{k}"),
                wt.to_str().unwrap(),
            ]);
            // The config is read from the work tree's root.
            fs::write(wt.join(".enforce.toml"), REVIEW_OFF).unwrap();
            wt
        })
        .collect();

    let start = Barrier::new(COMMITTERS + RECORDERS);
    let stderrs: Vec<String> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (k, wt) in worktrees.iter().enumerate() {
            let (repo, start) = (&repo, &start);
            handles.push(scope.spawn(move || {
                let mut stderr = String::new();
                start.wait();
                for i in 0..COMMITS {
                    fs::write(wt.join("f.txt"), format!("side{k} {i}\n")).unwrap();
                    let message = format!("side{k} commit {i}");
                    let ran = repo
                        .git_test(&["commit", "-q", "-a", "-m", &message, "-m", "Agent: x"])
                        .current_dir(wt)
                        .stderr_matches(REF_RACE_LOST)
                        .run();
                    stderr.push_str(&ran.stderr);
                }
                stderr
            }));
        }
        for k in 0..RECORDERS {
            let (repo, start) = (&repo, &start);
            handles.push(scope.spawn(move || {
                let mut stderr = String::new();
                let source = format!("recorder-{k}");
                start.wait();
                for i in 0..RECORDS {
                    let ran = repo
                        .test()
                        .args(["record", "fault_test", "-s", &source])
                        .args(["--detail", &format!("i:={i}")])
                        .stderr_matches(REF_RACE_LOST)
                        .run();
                    stderr.push_str(&ran.stderr);
                }
                stderr
            }));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Every append succeeded, so nothing warns about one.
    let stderr = stderrs.concat();

    // Every line is one whole event, and there is one per append.
    let expected = 1 + COMMITTERS * COMMITS + RECORDERS * RECORDS;
    let lines = parsed_lines(&repo.repo.events_file());
    assert_eq!(lines.len(), expected, "one line per append");
    let mut want = BTreeMap::from([("post-commit".to_string(), 1 + COMMITTERS * COMMITS)]);
    for k in 0..RECORDERS {
        want.insert(format!("recorder-{k}"), RECORDS);
    }
    assert_eq!(count_by_source(&lines), want, "events by source");
    for k in 0..COMMITTERS {
        let branch = format!("side{k}");
        let commits = lines
            .iter()
            .filter(|(_, v)| v["event_type"] == "commit_completed" && v["details"]["branch"] == *branch)
            .count();
        assert_eq!(commits, COMMITS, "commit_completed events of {branch}");
    }
    // Each recorder's appends are in the order it made them.
    for k in 0..RECORDERS {
        let source = format!("recorder-{k}");
        let order: Vec<u64> = lines
            .iter()
            .filter(|(_, v)| v["source"] == *source)
            .map(|(_, v)| v["details"]["i"].as_u64().unwrap())
            .collect();
        assert_eq!(
            order,
            (0..RECORDS as u64).collect::<Vec<_>>(),
            "order of {source}"
        );
    }

    // The writers really ran at once: each recorder's appends interleave
    // with each committer's.
    let writer = |value: &Value| match value["source"].as_str() {
        Some("post-commit") => value["details"]["branch"].as_str().unwrap().to_string(),
        other => other.unwrap().to_string(),
    };
    let span = |name: &str| {
        let at: Vec<usize> = (0..lines.len())
            .filter(|&n| writer(&lines[n].1) == name)
            .collect();
        (at[0], at[at.len() - 1])
    };
    for r in 0..RECORDERS {
        for c in 0..COMMITTERS {
            let (recorder, committer) = (span(&format!("recorder-{r}")), span(&format!("side{c}")));
            assert!(
                recorder.0 < committer.1 && committer.0 < recorder.1,
                "recorder-{r} (lines {recorder:?}) and side{c} (lines {committer:?}) did not overlap"
            );
        }
    }

    // One linear chain: seq 1..=N in file order, each `prev` the hash of the line before.
    let seqs: Vec<u64> = lines.iter().map(|(_, v)| v["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.iter().copied().eq(1..=expected as u64),
        "seq must be exactly 1..={expected} in file order; first out of place: {:?}",
        seqs.iter().enumerate().find(|(i, s)| **s != *i as u64 + 1)
    );
    let mut prev = GENESIS.to_string();
    for (n, (line, value)) in lines.iter().enumerate() {
        assert_eq!(value["prev"], *prev, "prev of line {}", n + 1);
        prev = sha256(line);
    }

    let (code, report) = verify(&repo.sandbox, repo.root());
    assert_eq!(code, 0, "verify: {report:#}");
    assert_eq!(report["intact"], true);
    assert_eq!(report["lines"], expected);
    assert_eq!(report["chained"], expected);
    assert_eq!(report["unchained"], 0);
    assert_eq!(report["unreadable"], 0);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["head"], json!({"seq": expected, "hash": prev}));
    // The ref keeps the highest head it was offered, best effort: a process
    // that loses the race for it ten times in a row warns and leaves it
    // behind (verify checked that the line it names is intact). The next
    // append brings it up to date.
    let ref_warnings = stderr.matches("could not update `refs/enforce/head`").count();
    let anchored = report["anchored_head"]["seq"]
        .as_u64()
        .expect("refs/enforce/head is kept");
    assert!(anchored <= expected as u64, "{report:#}");
    if ref_warnings == 0 {
        assert_eq!(report["anchored_head"], report["head"]);
    }
    repo.test().args(["record", "fault_test", "-s", "last"]).run();
    let (code, report) = verify(&repo.sandbox, repo.root());
    assert_eq!(code, 0, "verify: {report:#}");
    assert_eq!(report["head"]["seq"], expected + 1);
    assert_eq!(report["anchored_head"], report["head"]);
    eprintln!(
        "{expected} appends by {} processes in {:.1?}; {ref_warnings} warning(s) about the ref",
        COMMITTERS + RECORDERS,
        started.elapsed(),
    );
}

#[test]
fn a_crash_mid_append_leaves_one_torn_line_that_verify_names() {
    const ROUNDS: usize = 5;
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    // Padding in the details puts the middle of each line inside them.
    let pad = format!("pad={}", "p".repeat(200));
    let record = |source: &str, round: usize| -> Vec<String> {
        [
            "record",
            "fault_test",
            "-s",
            source,
            "--detail",
            &format!("round:={round}"),
            "--detail",
            &pad,
        ]
        .map(String::from)
        .to_vec()
    };
    for round in 0..ROUNDS {
        let args = record("normal", round);
        sandbox.test(&repo.root).args(&args).run();
        let args = record("torn", round);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let died = run_faulted(&sandbox, &repo.root, "die-mid-append", &args);
        assert_aborted(&died, &format!("the append of round {round}"));
        let args = record("normal", round);
        sandbox.test(&repo.root).args(&args).run();
    }

    let text = fs::read_to_string(repo.events_file()).unwrap();
    assert!(text.ends_with('\n'), "the last append ended its line");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3 * ROUNDS, "each torn fragment is one line:\n{text}");
    let mut torn_numbers = Vec::new();
    for round in 0..ROUNDS {
        let [before, torn, after] = [lines[3 * round], lines[3 * round + 1], lines[3 * round + 2]];
        for (line, seq) in [(before, 2 * round + 1), (after, 2 * round + 2)] {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("round {round}: a normal line is whole ({e}): {line}"));
            assert_eq!(value["source"], "normal");
            assert_eq!(value["details"]["round"], round);
            assert_eq!(value["seq"], seq);
        }
        // The fragment is the first half of a line, alone on its line, and
        // the next line starts fresh and links to it.
        assert!(
            serde_json::from_str::<Value>(torn).is_err(),
            "round {round}: torn: {torn}"
        );
        assert!(
            torn.starts_with("{\"timestamp\":\"") && torn.contains("\"source\":\"torn\""),
            "round {round}: {torn}"
        );
        let half = before.len() / 2;
        assert!(
            torn.len().abs_diff(half) <= 4,
            "round {round}: the fragment ({} bytes) is half a line ({} bytes)",
            torn.len(),
            before.len()
        );
        let after: Value = serde_json::from_str(after).unwrap();
        assert_eq!(
            after["prev"],
            *sha256(torn),
            "round {round}: the chain covers the torn line"
        );
        torn_numbers.push(3 * round as u64 + 2);
    }

    // The log still reads: the normal events count, the fragments are malformed.
    let ran = sandbox
        .test(&repo.root)
        .args(["stats", "--days", "1", "--json"])
        .stdout_ignored()
        .run();
    let stats: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(stats["total_events"], 2 * ROUNDS, "{stats:#}");
    assert_eq!(stats["by_type"], json!({"fault_test": 2 * ROUNDS}), "{stats:#}");
    assert_eq!(stats["malformed"], ROUNDS, "{stats:#}");

    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["intact"], true);
    assert_eq!(report["problems"], json!([]));
    assert_eq!(report["lines"], 3 * ROUNDS);
    assert_eq!(report["chained"], 2 * ROUNDS);
    assert_eq!(report["unreadable"], ROUNDS);
    assert_eq!(report["unreadable_lines"], json!(torn_numbers));
    assert_eq!(report["head"]["seq"], 2 * ROUNDS);
    assert_eq!(report["anchored_head"], report["head"]);
}

/// The warning that an event of `event_type` was not recorded, and `why`.
pub fn not_recorded(event_type: &str, why: &str) -> String {
    format!(
        "enforce: warning: could not record `{event_type}`: {why}
hint: the events are lost but the rules were applied as usual; `enforce config show` says where events go
"
    )
}

/// Stages a change and commits it with `events_file`, which cannot be
/// written for `why`: blocked for review as usual, approved, committed,
/// each step warning that its events are lost.
pub fn commit_unrecorded(repo: &HookRepo, events_file: &Path, why: &str) {
    repo.stage("a.txt", &format!("{}\n", events_file.display()));
    let tree = repo.git(&["write-tree"])[..12].to_string();
    let commit = || {
        repo.git_test(&["commit", "-q", "-m", "a", "-m", "Agent: x"])
            .env("ENFORCE_EVENTS_FILE", events_file)
    };

    // Blocked stays blocked…
    let head = || {
        repo.git_in(repo.root(), &["rev-parse", "-q", "--verify", "HEAD"])
            .stdout
    };
    let before = head();
    commit()
        .status(1)
        .stderr(
            not_recorded("commit_review_required", why)
                + &blocked(
                    NOT_REVIEWED,
                    &format!("1 file(s), tree {tree}: a.txt"),
                    DIFF,
                    "git-reviewer",
                ),
        )
        .run();
    assert_eq!(head(), before, "{why}: no commit was made");

    // …and approved goes through.
    repo.test()
        .env("ENFORCE_EVENTS_FILE", events_file)
        .args(["review", "approve"])
        .stdout_matches(&approved(&tree, "git-reviewer", &["a.txt"]))
        .stderr(not_recorded("review_approved", why))
        .run();
    commit()
        .stderr(
            // commit-msg records only its summary when the trailer passes.
            not_recorded("commit_review_required", why)
                + &not_recorded("hook_summary", why)
                + &not_recorded("commit_completed", why),
        )
        .run();
    assert_eq!(
        repo.message().trim_end(),
        "a\n\nAgent: x\nReviewed-by: git-reviewer"
    );
}

#[test]
fn telemetry_failures_never_decide_a_commit() {
    let repo = HookRepo::new("");
    repo.commit_reviewed("base.txt", "base\n");
    let events_before = repo.all_events().len();

    // A directory where the events file should be.
    let dir_as_file = repo.sandbox.path().join("taken/events.jsonl");
    fs::create_dir_all(&dir_as_file).unwrap();
    // A directory that cannot be created. Root may write into a 0555
    // directory, so then use /sys, where nobody may create one.
    let read_only = repo.sandbox.path().join("read-only");
    fs::create_dir_all(&read_only).unwrap();
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o555)).unwrap();
    let probe = read_only.join("probe");
    let (uncreatable_dir, refused) = if fs::write(&probe, "").is_ok() {
        fs::remove_file(&probe).unwrap();
        (
            PathBuf::from("/sys/enforce-test"),
            "Operation not permitted (os error 1)",
        )
    } else {
        (read_only.join("logs"), "Permission denied (os error 13)")
    };
    assert!(!uncreatable_dir.exists(), "{}", uncreatable_dir.display());
    let uncreatable = uncreatable_dir.join("events.jsonl");

    // Each events file, and why it cannot be written.
    let cases = [
        (
            PathBuf::from("/dev/full"),
            "the events file /dev/full is a device: enforce appends only to a regular file".to_string(),
        ),
        (
            dir_as_file.clone(),
            format!(
                "cannot open the events file `{}`: Is a directory (os error 21)",
                dir_as_file.display()
            ),
        ),
        (
            uncreatable,
            format!(
                "cannot create the events directory `{}`: {refused}",
                uncreatable_dir.display()
            ),
        ),
    ];
    for (events_file, why) in &cases {
        commit_unrecorded(&repo, events_file, why);
    }
    assert!(!uncreatable_dir.exists(), "{}", uncreatable_dir.display());
    let new: Vec<String> = repo.all_events()[events_before..]
        .iter()
        .map(|e| e.event_type.clone())
        .collect();
    assert!(
        new.iter().all(|t| t == "events_elsewhere"),
        "the default log only says where the events were sent: {new:?}"
    );
    fs::set_permissions(&read_only, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_crash_mid_cleanup_leaves_the_old_log_whole() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let log = repo.events_file();
    fs::create_dir_all(log.parent().unwrap()).unwrap();
    let old: Vec<String> = (0..3)
        .map(|i| {
            format!(
                r#"{{"timestamp":"2020-01-0{}T00:00:00+00:00","event_type":"x","source":"s","details":{{}}}}"#,
                i + 1
            )
        })
        .collect();
    fs::write(&log, format!("{}\n", old.join("\n"))).unwrap();
    for i in 0..4 {
        sandbox
            .test(&repo.root)
            .args(["record", "recent", "-s", "t", "--detail", &format!("i:={i}")])
            .run();
    }
    let before = fs::read(&log).unwrap();
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");

    let died = run_faulted(
        &sandbox,
        &repo.root,
        "die-mid-cleanup",
        &["cleanup", "--days", "30"],
    );
    assert_aborted(&died, "cleanup");
    // The old file, byte for byte: not the new one, not a mix.
    assert!(
        fs::read(&log).unwrap() == before,
        "the log changed in a crashed cleanup:\n{}",
        String::from_utf8_lossy(&fs::read(&log).unwrap())
    );
    // At most the crashed run's temporary file is left beside it.
    let tmp_name = format!(".events.jsonl.cleanup-{}", died.pid);
    let mut names: Vec<String> = fs::read_dir(log.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(
        names == ["events.jsonl"] || names == [tmp_name.as_str(), "events.jsonl"],
        "{names:?}"
    );
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");

    // A later cleanup works.
    let ran = sandbox
        .test(&repo.root)
        .args(["cleanup", "--days", "30", "--json"])
        .stdout_ignored()
        .run();
    let done: Value = serde_json::from_str(&ran.stdout).unwrap();
    assert_eq!(
        (&done["removed"], &done["kept"], &done["checkpoints"]),
        (&json!(3), &json!(4), &json!(1)),
        "{done:#}"
    );
    let after = fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    let checkpoint: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(checkpoint["event_type"], "log_checkpoint");
    assert_eq!(checkpoint["details"]["removed"], 3);
    assert_eq!(checkpoint["details"]["last_removed_hash"], *sha256(&old[2]));
    let recent: Vec<&str> = std::str::from_utf8(&before).unwrap().lines().skip(3).collect();
    assert_eq!(lines[1..], recent[..], "the recent lines are kept byte for byte");
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        (&report["chained"], &report["checkpoints"], &report["problems"]),
        (&json!(4), &json!(1), &json!([])),
        "{report:#}"
    );

    // And the chain goes on after the checkpoint.
    sandbox
        .test(&repo.root)
        .args(["record", "later", "-s", "t"])
        .run();
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["head"]["seq"], 5);
}

/// The 10-event chained log of [`verify_detects_each_kind_of_tampering`].
fn chained_log(sandbox: &Sandbox) -> (TestRepo, Vec<String>) {
    let repo = sandbox.repo("repo");
    for n in 1..=10 {
        sandbox
            .test(&repo.root)
            .args(["record", "fault_test", "-s", "t", "--detail", &format!("n={n}")])
            .run();
    }
    let lines = crate::support::lines(&repo.events_file());
    assert_eq!(lines.len(), 10);
    (repo, lines)
}

#[test]
fn verify_detects_each_kind_of_tampering() {
    let sandbox = Sandbox::new();
    let (repo, original) = chained_log(&sandbox);
    let log = repo.events_file();
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "the untouched log: {report:#}");
    assert_eq!(report["anchored_head"]["seq"], 10, "{report:#}");

    let unchained = r#"{"timestamp": "2025-01-15T10:30:00", "event_type": "import_blocked", "source": "guards.py", "details": {}}"#;
    let edited = original[4].replace(r#""n":"5""#, r#""n":"50""#);
    assert_ne!(edited, original[4]);
    let mut swapped = original.clone();
    swapped.swap(4, 5);
    let with = |change: &dyn Fn(&mut Vec<String>)| {
        let mut lines = original.clone();
        change(&mut lines);
        lines
    };
    // Each tampering of a copy of the log, and the (line, kind) verify must report.
    let cases: [(&str, Vec<String>, (u64, &str)); 5] = [
        ("edit line 5", with(&|l| l[4] = edited.clone()), (6, "edited")),
        (
            "delete line 5",
            with(&|l| {
                l.remove(4);
            }),
            (5, "deleted"),
        ),
        (
            "insert a line after line 5",
            with(&|l| l.insert(5, unchained.into())),
            (7, "inserted"),
        ),
        ("swap lines 5 and 6", swapped, (6, "reordered")),
        (
            "truncate the last two lines",
            with(&|l| l.truncate(8)),
            (9, "truncated"),
        ),
    ];
    for (what, lines, (line, kind)) in cases {
        // The copy is tried at the log's own path, where refs/enforce/head
        // applies (it names that file), then the original is put back.
        fs::write(&log, format!("{}\n", lines.join("\n"))).unwrap();
        let (code, report) = verify(&sandbox, &repo.root);
        assert_eq!(code, 1, "{what}: verify must fail: {report:#}");
        assert_eq!(report["intact"], false, "{what}");
        let problems: Vec<(u64, &str)> = report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["line"].as_u64().unwrap(), p["kind"].as_str().unwrap()))
            .collect();
        if kind == "reordered" {
            // The swapped-forward line also looks like a gap before it.
            assert!(problems.contains(&(line, kind)), "{what}: {report:#}");
        } else {
            assert_eq!(problems, [(line, kind)], "{what}: {report:#}");
        }
        fs::write(&log, format!("{}\n", original.join("\n"))).unwrap();
    }
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "the untouched log still verifies: {report:#}");

    // Lines without chain fields, as the predecessor writes them, then more records.
    let mut file = fs::OpenOptions::new().append(true).open(&log).unwrap();
    writeln!(file, "{unchained}").unwrap();
    writeln!(
        file,
        r#"{{"timestamp": "2025-01-15T10:31:00", "event_type": "import_allowed", "source": "guards.py", "details": {{"module": "json"}}}}"#
    )
    .unwrap();
    drop(file);
    for _ in 0..3 {
        sandbox
            .test(&repo.root)
            .args(["record", "fault_test", "-s", "t"])
            .run();
    }
    let lines = parsed_lines(&log);
    assert_eq!(lines.len(), 15);
    assert_eq!(lines[12].1["seq"], 11);
    assert_eq!(
        lines[12].1["prev"],
        *sha256(&lines[11].0),
        "links to the unchained line"
    );
    let (code, report) = verify(&sandbox, &repo.root);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        (
            &report["lines"],
            &report["chained"],
            &report["unchained"],
            &report["problems"]
        ),
        (&json!(15), &json!(13), &json!(2), &json!([])),
        "{report:#}"
    );
    assert_eq!(report["head"]["seq"], 13);
}

/// Asserts that `took` stays under `limit`: these bounds catch hangs and
/// blow-ups, not slowness (a debug build on a loaded machine).
fn assert_bounded(what: &str, took: Duration, limit: Duration) {
    assert!(took < limit, "{what} took {took:.1?}, more than {limit:?}");
}

#[test]
#[ignore = "scale tier: .ci/run runs it optimized (--profile scale)"]
fn hostile_input_gets_clear_errors_or_correct_results_fast() {
    huge_commit_message();
    undecodable_commit_message();
    huge_details();
    ten_thousand_content_rules();
    pathological_patterns();
}

/// A 10 MB commit message: the agent-trailer rule decides it.
fn huge_commit_message() {
    let mut repo = HookRepo::new(REVIEW_OFF);
    let body = format!("{}\n", "x".repeat(99)).repeat(100_000);
    let without = repo.sandbox.path().join("without.txt");
    let with = repo.sandbox.path().join("with.txt");
    fs::write(&without, format!("huge\n\n{body}")).unwrap();
    fs::write(&with, format!("huge\n\n{body}\nAgent: x\n")).unwrap();
    assert!(fs::metadata(&with).unwrap().len() > 10_000_000);
    repo.stage("a.txt", "a\n");

    let started = Instant::now();
    repo.git_test(&["commit", "-q", "-F", without.to_str().unwrap()])
        .status(1)
        .redact(repo.root(), "[REPO]")
        .stderr(agent_trailer::blocked(NO_TRAILER, "", "<agent name>"))
        .run();
    assert_bounded(
        "a blocked 10 MB message",
        started.elapsed(),
        Duration::from_secs(20),
    );
    assert_eq!(types(&repo.new_events()), ["commit_blocked"]);

    let started = Instant::now();
    repo.git_test(&["commit", "-q", "-F", with.to_str().unwrap()])
        .run();
    assert_bounded(
        "a passing 10 MB message",
        started.elapsed(),
        Duration::from_secs(20),
    );
    let events = repo.new_events();
    assert_eq!(types(&events), ["commit_completed"]);
    assert_eq!(find(&events, "commit_completed").details["agent"], "x");
    assert!(repo.message().trim_end().ends_with("\n\nAgent: x"));
}

/// Invalid UTF-8 and NUL bytes in a commit message: decided, never a panic.
fn undecodable_commit_message() {
    let mut repo = HookRepo::new(REVIEW_OFF);
    // What git itself says of such a message.
    const NOT_UTF8: &str = "Warning: commit message did not conform to UTF-8.
You may want to amend it after fixing the message, or set the config
variable i18n.commitEncoding to the encoding your project uses.
";
    // Stages a file `name` and commits it with `message` from a file.
    fn commit(repo: &HookRepo, name: &str, message: &[u8]) -> Test {
        let path = repo.sandbox.path().join(name);
        fs::write(&path, message).unwrap();
        repo.stage(name, name);
        repo.git_test(&["commit", "-q", "-F", path.to_str().unwrap()])
            .redact(repo.root(), "[REPO]")
    }

    let no_trailer = agent_trailer::blocked(NO_TRAILER, "", "<agent name>");

    // Invalid UTF-8 with the trailer: passes, and the agent is recorded.
    commit(
        &repo,
        "latin1.txt",
        b"caf\xe9 \xff\xfe\n\nbody \xc3\x28\n\nAgent: x\n",
    )
    .stderr(NOT_UTF8)
    .run();
    let events = repo.new_events();
    assert_eq!(find(&events, "commit_completed").details["agent"], "x");
    // Without it: blocked with the rule's message.
    commit(&repo, "latin1-bare.txt", b"caf\xe9 \xff\xfe\n\nbody \xc3\x28\n")
        .status(1)
        .stderr(no_trailer.clone())
        .run();
    // A NUL: git reads a message only up to it (and refuses to store one),
    // so a trailer after it does not count.
    commit(&repo, "nul.txt", b"subject\0hidden\n\nAgent: x\n")
        .status(1)
        .stderr(no_trailer.clone())
        .run();
    assert_eq!(types(&repo.new_events()), ["commit_blocked", "commit_blocked"]);

    // The hook itself, given such files directly.
    for (message, code) in [
        (&b"\xff\xfe\xfd\n\nAgent: x\n"[..], 0),
        (b"subject\n\nAgent: x\n\0\xff", 0),
        (b"\0\0\0", 1),
        (b"\xc3", 1),
    ] {
        let path = repo.sandbox.path().join("message");
        fs::write(&path, message).unwrap();
        // The fix reuses the message file the hook was given.
        let said = match code {
            0 => String::new(),
            _ => no_trailer.replace("[REPO]/.git/COMMIT_EDITMSG", "[SANDBOX]/message"),
        };
        repo.test()
            .arg("hook")
            .arg("commit-msg")
            .arg(&path)
            .redact(repo.sandbox.path(), "[SANDBOX]")
            .status(code)
            .stderr(said)
            .run();
    }
}

/// A 1 MB details object on standard input: recorded whole.
fn huge_details() {
    let sandbox = Sandbox::new();
    let repo = sandbox.repo("repo");
    let blob = "ä\"\\\n\t<x>".repeat(100_000);
    let details = json!({"blob": blob, "n": 1, "nested": {"list": [1, 2, 3]}});
    let text = serde_json::to_string(&details).unwrap();
    assert!(text.len() > 1_000_000);

    let started = Instant::now();
    sandbox
        .test(&repo.root)
        .args(["record", "x", "-s", "y", "--details", "-"])
        .stdin(text)
        .run();
    assert_bounded(
        "recording 1 MB of details",
        started.elapsed(),
        Duration::from_secs(20),
    );

    let lines = parsed_lines(&repo.events_file());
    assert_eq!(lines.len(), 1, "one line");
    assert_eq!(lines[0].1["details"], details);
    let ran = sandbox
        .test(&repo.root)
        .args(["events", "--days", "1", "--json"])
        .stdout_ignored()
        .run();
    let listing: Value = serde_json::from_str(&ran.stdout).unwrap();
    let events = listing["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", &ran.stdout[..ran.stdout.len().min(500)]);
    assert!(events[0]["details"] == details, "the details read back whole");
    assert_eq!(
        (events[0]["event_type"].as_str(), events[0]["source"].as_str()),
        (Some("x"), Some("y"))
    );
}

/// 10,000 content rules are a config error at the first rule over the
/// limit; the most allowed (500) are checked, and a commit decided, in
/// bounded time.
fn ten_thousand_content_rules() {
    let rules = |count: usize| {
        let mut config = String::from(REVIEW_OFF);
        for i in 0..count {
            config.push_str(&format!(
                "\n[[rules.content]]\nname = \"r{i}\"\npattern = \"forbidden-{i}-token\"\n"
            ));
        }
        config
    };
    let too_many = HookRepo::new(&rules(10_000));
    too_many
        .test()
        .args(["config", "check"])
        .redact(too_many.root(), "[REPO]")
        .status(2)
        .stderr_matches(r"enforce: \[REPO\]/\.enforce\.toml:[0-9]+:8: 10000 content rules: a config may have at most 500 \(each added line is matched against each of them on every commit\); merge rules into one pattern with `\|`\nhint: [^\n]+\n")
        .run();

    let mut repo = HookRepo::new(&rules(500));
    let started = Instant::now();
    repo.test()
        .args(["config", "check"])
        .redact(repo.root(), "[REPO]")
        .stdout("[REPO]/.enforce.toml: ok\n")
        .run();
    assert_bounded(
        "config check of 500 rules",
        started.elapsed(),
        Duration::from_secs(30),
    );

    repo.stage(
        "a.txt",
        "fine\nsee forbidden-377-token here\nforbidden-500-token is no rule\n",
    );
    let started = Instant::now();
    repo.commit("one hit")
        .status(1)
        .stderr(content::blocked(
            "r377",
            "1 added line(s) match (medium severity)",
            &["a.txt:2: r377: matches `forbidden-377-token`"],
        ))
        .run();
    assert_bounded(
        "a commit against 500 rules",
        started.elapsed(),
        Duration::from_secs(60),
    );
    let events = repo.new_events();
    assert_eq!(types(&events), ["violation_detected", "commit_blocked"]);
    assert_eq!(events[0].details["rule"], "r377");
    assert_eq!(events[0].details["line"], 2);
}

/// Patterns that hang backtracking engines run in linear time; patterns
/// this engine cannot run are config errors at their line and column.
fn pathological_patterns() {
    let config = "[review]\nmode = \"off\"\n\n[[rules.content]]\nname = \"nested\"\npattern = '(a+)+$'\n";
    let mut repo = HookRepo::new(config);
    for (name, line, blocked) in [
        ("ab.txt", format!("{}b\n", "a".repeat(50_000)), false),
        ("aa.txt", format!("{}\n", "a".repeat(50_000)), true),
    ] {
        repo.stage(name, &line);
        let started = Instant::now();
        let commit = repo.commit(name);
        if blocked {
            commit
                .status(1)
                .stderr(content::blocked(
                    "nested",
                    "1 added line(s) match (medium severity)",
                    &["aa.txt:1: nested: matches `(a+)+$`"],
                ))
                .run();
        } else {
            commit.run();
        }
        assert_bounded(
            &format!("`(a+)+$` on {name}"),
            started.elapsed(),
            Duration::from_secs(20),
        );
        if blocked {
            assert_eq!(
                types(&repo.new_events()),
                ["violation_detected", "commit_blocked"]
            );
        } else {
            assert_eq!(types(&repo.new_events()), ["commit_completed"]);
        }
    }

    let path = repo.path(".enforce.toml");
    for (pattern, reason) in [
        (r"(a)\1", "backreferences are not supported"),
        (
            "(?=a)",
            "look-around, including look-ahead and look-behind, is not supported",
        ),
        (
            "a(?<=a)",
            "look-around, including look-ahead and look-behind, is not supported",
        ),
    ] {
        // The pattern's value starts on line 6, column 11.
        fs::write(&path, config.replace("(a+)+$", pattern)).unwrap();
        repo.test()
            .args(["config", "check"])
            .redact(repo.root(), "[REPO]")
            .status(2)
            .stderr(format!(
                "enforce: [REPO]/.enforce.toml:6:11: invalid regular expression `{pattern}`: {reason}\n{HINT}"
            ))
            .run();
    }
}
