//! What writing a receipt costs in-process (the target is at most 1 ms on
//! a small commit): `Git::write_note`, the call post-commit makes, timed
//! on new commits of a repository that already holds receipts. Results,
//! never asserts.
//!
//!     cargo bench --bench receipt                  # 1,000 notes, 300 timed
//!     NOTES=100000 cargo bench --bench receipt
//!
//! The repository is made under bench/work/receipt/ (git-ignored) with
//! plumbing (`git commit-tree`), its notes with `write_note` itself.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use enforce::git::Git;

/// A receipt's size: a real one is about 1 KB of JSON.
const RECEIPT: &[u8] = &[b'x'; 1100];

fn git(dir: &Path, args: &[&str], input: Option<&str>) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Bench")
        .env("GIT_AUTHOR_EMAIL", "bench@example.com")
        .env("GIT_COMMITTER_NAME", "Bench")
        .env("GIT_COMMITTER_EMAIL", "bench@example.com")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run git");
    if let Some(input) = input {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `count` new commits on top of each other, by plumbing: their ids.
fn commits(dir: &Path, count: usize, tag: &str) -> Vec<String> {
    let tree = git(dir, &["mktree"], Some(""));
    let mut parent: Option<String> = None;
    let mut ids = Vec::with_capacity(count);
    for n in 0..count {
        let message = format!("{tag} {n}");
        let mut args = vec!["commit-tree", tree.as_str(), "-m", message.as_str()];
        if let Some(p) = &parent {
            args.extend(["-p", p.as_str()]);
        }
        let id = git(dir, &args, None);
        parent = Some(id.clone());
        ids.push(id);
    }
    ids
}

fn main() {
    let notes: usize = std::env::var("NOTES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let timed: usize = std::env::var("TIMED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("bench/work/receipt").join(format!("repo-{notes}"));
    if !dir.join(".done").exists() {
        eprintln!("bench: making a repository with {notes} receipts (once)");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        git(&dir, &["init", "-q", "-b", "main"], None);
        let repo = Git::discover(&dir).unwrap().unwrap();
        for id in commits(&dir, notes, "noted") {
            repo.write_note(&id, RECEIPT, "enforce: receipt").unwrap();
        }
        git(&dir, &["gc", "-q"], None);
        std::fs::write(dir.join(".done"), "").unwrap();
    }
    let fresh = commits(&dir, timed, &format!("timed {}", std::process::id()));
    let repo = Git::discover(&dir).unwrap().unwrap();
    let mut took: Vec<f64> = fresh
        .iter()
        .map(|id| {
            let start = Instant::now();
            repo.write_note(id, RECEIPT, "enforce: receipt").unwrap();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    took.sort_by(f64::total_cmp);
    let at = |q: f64| took[((took.len() - 1) as f64 * q) as usize];
    println!(
        "write_note on a repository with {notes} receipts, {timed} writes: median {:.3} ms, p90 {:.3} ms, min {:.3} ms (target: at most 1 ms)",
        at(0.5),
        at(0.9),
        at(0.0)
    );
}
