//! Where enforce keeps its own state in a repository: one place, so the
//! layout can be read (and changed) at a glance.
//!
//! | what | where | shared by worktrees |
//! |---|---|---|
//! | the events log | `<common git dir>/enforce/events.jsonl` (default) | yes |
//! | review approvals | `<git dir>/enforce/approvals/<tree>.json` | no |
//! | attempt notes | `<git dir>/enforce/attempts/<git pid>.json` | no |
//! | the log head | `refs/enforce/head` | yes |
//! | commit receipts | `refs/notes/enforce` | yes |
//! | receipts fetched from a remote | `refs/notes/remotes/<remote>/enforce` | yes |
//! | the log head last pushed to a remote | `refs/enforce/remotes/<remote>/head` | yes |
//! | this clone's id (its log head's name on remotes) | git config `enforce.cloneId` | yes |
//! | the remotes install added the notes refspec to | git config `enforce.notesRefspecAdded` | yes |
//! | on a server: each clone's pushed log head | `refs/enforce/heads/<clone id>` | (bare) |
//!
//! The log is shared so that every worktree reports into one history;
//! approvals and attempts are per worktree because each has its own index.

use std::path::{Path, PathBuf};

/// How many hex digits of an object id enforce shows.
const SHORT_ID: usize = 12;

/// An object id as enforce shows it: its first twelve hex digits.
pub fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID).unwrap_or(id)
}

/// The directory enforce owns inside a git dir.
const DIR: &str = "enforce";

/// The ref that anchors the log's head (see `event::chain`).
pub const HEAD_REF: &str = "refs/enforce/head";

/// The default events file of a repository whose common git dir is `common_dir`.
pub fn events_file(common_dir: &Path) -> PathBuf {
    common_dir.join(DIR).join("events.jsonl")
}

/// The default events file outside a repository, under a user state dir.
pub fn user_events_file(state_dir: &Path) -> PathBuf {
    state_dir.join(DIR).join("events.jsonl")
}

/// Where a worktree whose git dir is `git_dir` keeps its approvals.
pub fn approvals_dir(git_dir: &Path) -> PathBuf {
    git_dir.join(DIR).join("approvals")
}

/// Where a worktree whose git dir is `git_dir` keeps its attempt notes.
pub fn attempts_dir(git_dir: &Path) -> PathBuf {
    git_dir.join(DIR).join("attempts")
}
