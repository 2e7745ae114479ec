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

/// The operation that made HEAD. A `git commit` is known by the command
/// line of the git process running the hook: `git commit` writes whatever
/// `GIT_REFLOG_ACTION` says into the reflog, so a caller who sets it to
/// `cherry-pick` would pass a commit that skipped its checks off as a pick.
/// Otherwise from the reflog when it has the entry for it, else from
/// git's state files, else `GIT_REFLOG_ACTION`, else a plain `git commit`.
pub(crate) fn of_head(git_dir: &Path, reflog: Option<&ReflogEntry>) -> Operation {
    if let Some(command) = git_command().filter(|c| c.name == "commit") {
        return Operation::Commit {
            amend: command.args.iter().any(|a| a == "--amend"),
        };
    }
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

/// The operation a hook run before the commit exists belongs to (for
/// `hook_summary`): the git command running the hook, else git's
/// sequencer state, else a plain `git commit`.
pub(crate) fn in_progress(git_dir: &Path) -> Operation {
    if let Some(command) = git_command() {
        return match command.name.as_str() {
            "commit" => Operation::Commit {
                amend: command.args.iter().any(|a| a == "--amend"),
            },
            "merge" | "pull" => Operation::Merge,
            other => Operation::Other(other.to_string()),
        };
    }
    match sequencer(git_dir) {
        Some(op) => Operation::Other(op.to_string()),
        None => Operation::Commit { amend: false },
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

/// A git command line: the subcommand and the arguments after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GitCommand {
    pub name: String,
    pub args: Vec<String>,
}

/// The git command running this hook, read from the process table once:
/// that of [`git_process_id`], or, when that is a `git commit` started by
/// git itself (the sequencer of a rebase, a cherry-pick or `merge
/// --continue` commits through a child `git commit`), that of its parent.
/// `None` without `/proc`.
pub(crate) fn git_command() -> Option<&'static GitCommand> {
    static COMMAND: std::sync::OnceLock<Option<GitCommand>> = std::sync::OnceLock::new();
    COMMAND
        .get_or_init(|| {
            let pid = git_process_id();
            let command = subcommand(&cmdline(pid)?)?;
            if command.name == "commit"
                && let Some((_, ppid)) = proc_stat(pid)
                && proc_stat(ppid).is_some_and(|(name, _)| is_git(&name))
                && let Some(parent) = cmdline(ppid).and_then(|args| subcommand(&args))
            {
                return Some(parent);
            }
            Some(command)
        })
        .as_ref()
}

fn is_git(name: &str) -> bool {
    name == "git" || name.starts_with("git-")
}

/// The arguments of `pid`, from `/proc/<pid>/cmdline`.
fn cmdline(pid: u32) -> Option<Vec<String>> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(
        raw.split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect(),
    )
}

/// The subcommand of a git command line, after git's own options
/// (`git -C dir -c k=v commit …`), or from a dashed name (`git-commit`).
fn subcommand(args: &[String]) -> Option<GitCommand> {
    let program = args.first()?;
    let base = program.rsplit('/').next().unwrap_or(program);
    if let Some(name) = base.strip_prefix("git-") {
        return Some(GitCommand {
            name: name.to_string(),
            args: args[1..].to_vec(),
        });
    }
    let mut i = 1;
    while let Some(arg) = args.get(i) {
        if !arg.starts_with('-') {
            return Some(GitCommand {
                name: arg.clone(),
                args: args[i + 1..].to_vec(),
            });
        }
        // The options that take their value as the next argument.
        let takes_value = matches!(
            arg.as_str(),
            "-c" | "-C" | "--git-dir" | "--work-tree" | "--namespace" | "--config-env" | "--super-prefix"
        );
        i += if takes_value { 2 } else { 1 };
    }
    None
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
    fn subcommands_after_git_s_own_options() {
        let args = |line: &str| line.split(' ').map(str::to_string).collect::<Vec<_>>();
        let name = |line: &str| subcommand(&args(line)).map(|c| (c.name, c.args.join(" ")));
        assert_eq!(name("git commit -m x"), Some(("commit".into(), "-m x".into())));
        assert_eq!(
            name("/usr/bin/git -C /r -c core.hooksPath=h --no-pager commit --amend"),
            Some(("commit".into(), "--amend".into()))
        );
        assert_eq!(
            name("/usr/lib/git-core/git-commit -n"),
            Some(("commit".into(), "-n".into()))
        );
        assert_eq!(name("git --version"), None);
    }

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
