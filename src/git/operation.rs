//! What git is doing: the operation that made (or is making) a commit, read
//! from git's own state (HEAD's reflog, the sequencer and merge files).
//!
//! Hooks need it to tell a `git commit` (which runs pre-commit and
//! commit-msg unless told not to) from commands that commit without those
//! hooks (cherry-pick, revert, rebase picks, am), and a merge being
//! concluded from a plain commit.

use std::fs;
use std::path::Path;

use super::ReflogEntry;

/// What made a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `git commit`, which runs pre-commit and commit-msg unless told not to.
    Commit { amend: bool },
    /// `git merge` creating a merge commit (pre-merge-commit, commit-msg).
    Merge,
    /// A command that commits without those hooks: cherry-pick, revert,
    /// rebase, am…
    Other(String),
}

impl Operation {
    /// The name recorded in `commit_completed`.
    pub fn name(&self) -> &str {
        match self {
            Operation::Commit { amend: false } => "commit",
            Operation::Commit { amend: true } => "amend",
            Operation::Merge => "merge",
            Operation::Other(name) => name,
        }
    }

    /// Whether git runs the checking hooks for it unless told not to.
    pub fn runs_checks(&self) -> bool {
        !matches!(self, Operation::Other(_))
    }

    /// Reads the operation from a reflog message (`commit (amend): …`,
    /// `cherry-pick: …`, `rebase (pick): …`, `merge x: …`).
    pub fn from_reflog(message: &str) -> Operation {
        let head = message.split(':').next().unwrap_or("").trim();
        let word = head.split([' ', '(']).next().unwrap_or("");
        match word {
            "commit" => Operation::Commit {
                amend: head.contains("(amend)"),
            },
            "merge" | "pull" if !head.contains("rebase") => Operation::Merge,
            other => Operation::Other(other.to_string()),
        }
    }
}

/// The operation that made HEAD: from the reflog when it has the entry for
/// it, else from git's state files, else `GIT_REFLOG_ACTION`, else a plain
/// `git commit`.
pub(crate) fn of_head(git_dir: &Path, reflog: Option<&ReflogEntry>) -> Operation {
    if let Some(entry) = reflog {
        return Operation::from_reflog(&entry.message);
    }
    if let Some(op) = sequencer(git_dir) {
        return Operation::Other(op.to_string());
    }
    match std::env::var("GIT_REFLOG_ACTION") {
        Ok(action) if !action.is_empty() => Operation::from_reflog(&action),
        _ => Operation::Commit { amend: false },
    }
}

/// The sequencer operation in progress (cherry-pick, revert, rebase, am),
/// judged by git's state files.
pub(crate) fn sequencer(git_dir: &Path) -> Option<&'static str> {
    [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ]
    .into_iter()
    .find(|(file, _)| git_dir.join(file).exists())
    .map(|(_, op)| op)
}

/// Whether a merge is being concluded (`MERGE_HEAD` exists).
pub(crate) fn merging(git_dir: &Path) -> bool {
    git_dir.join("MERGE_HEAD").exists()
}

/// The process id of the `git` process running this hook: the nearest
/// ancestor named `git` (a hook started through a wrapper script that does
/// not `exec` has the shell as parent), else the parent. Read once per
/// process: a hook asks for it more than once, and it cannot change.
pub(crate) fn git_process_id() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(find_git_process)
}

fn find_git_process() -> u32 {
    let parent = std::os::unix::process::parent_id();
    let mut pid = parent;
    for _ in 0..4 {
        match proc_stat(pid) {
            Some((name, _)) if name == "git" || name.starts_with("git-") => return pid,
            Some((_, ppid)) if ppid > 1 => pid = ppid,
            _ => break,
        }
    }
    parent
}

/// The command name and parent pid of `pid`, from `/proc/<pid>/stat`.
fn proc_stat(pid: u32) -> Option<(String, u32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat[open + 1..close].to_string();
    let ppid = stat[close + 1..].split_whitespace().nth(1)?.parse().ok()?;
    Some((name, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let (_, ppid) = proc_stat(std::process::id()).unwrap();
        assert_eq!(ppid, std::os::unix::process::parent_id());
    }

    #[test]
    fn reflog_messages() {
        let cases = [
            ("commit: add x", Operation::Commit { amend: false }),
            ("commit (initial): first", Operation::Commit { amend: false }),
            ("commit (amend): add x", Operation::Commit { amend: true }),
            (
                "commit (merge): Merge branch 'x'",
                Operation::Commit { amend: false },
            ),
            ("commit (cherry-pick): x", Operation::Commit { amend: false }),
            ("cherry-pick: x", Operation::Other("cherry-pick".into())),
            ("revert: Revert \"x\"", Operation::Other("revert".into())),
            ("rebase (pick): x", Operation::Other("rebase".into())),
            ("rebase -i (pick): x", Operation::Other("rebase".into())),
            ("merge side: Merge made by the 'ort' strategy.", Operation::Merge),
            ("am: subject", Operation::Other("am".into())),
        ];
        for (message, expected) in cases {
            assert_eq!(Operation::from_reflog(message), expected, "{message}");
        }
    }
}
