//! The git hooks enforce runs.
//!
//! | hook | what it does |
//! |---|---|
//! | `pre-commit` | review rule and content rules on the staged tree |
//! | `pre-merge-commit` | the same, for merge commits `git merge` makes |
//! | `commit-msg` | agent-trailer rule; adds `Reviewed-by` |
//! | `post-commit` | records the commit; catches skipped checks |
//! | `post-merge` | records merge commits (git runs no post-commit for them) |
//! | `pre-receive` | on a server (`enforce install --server`): judges what a push adds ([`crate::server`]) |
//! | `post-rewrite` | receipts for the commits an amend or a rebase made; carries an approval over an unchanged diff |
//! | `pre-push` | sends the receipts (`refs/notes/enforce`) and the log head to the remote |
//!
//! A hook first runs the hook that was in its place before `enforce
//! install` (kept as `<name>.pre-enforce`), so installing enforce never
//! silently drops a team's existing checks; then it gathers the facts
//! through `git/`, asks the [judge](crate::judge), and applies the verdict
//! (events, messages, exit code) in one place, [`apply`].

mod apply;
pub mod attempt;
mod blocked;
mod chain;
mod commit_msg;
mod config_change;
mod confirm;
mod context;
mod post_commit;
mod post_rewrite;
mod pre_commit;
mod pre_push;
mod summary;

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use crate::error::{EXIT_OK, Error, Result};

pub use chain::{KEPT_SUFFIX, run_kept};
pub use context::policy_for;

/// A hook enforce implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookName {
    PreCommit,
    PreMergeCommit,
    CommitMsg,
    PostCommit,
    PostMerge,
    PostRewrite,
    PrePush,
    /// Installed only by `enforce install --server`, in a bare repository.
    PreReceive,
}

impl HookName {
    pub const ALL: [HookName; 7] = [
        HookName::PreCommit,
        HookName::PreMergeCommit,
        HookName::CommitMsg,
        HookName::PostCommit,
        HookName::PostMerge,
        HookName::PostRewrite,
        HookName::PrePush,
    ];

    /// The hooks a server runs: `enforce install --server` installs these,
    /// and a plain `enforce install` never does.
    pub const SERVER: [HookName; 1] = [HookName::PreReceive];

    /// The file name git looks for in the hooks directory.
    pub fn as_str(self) -> &'static str {
        match self {
            HookName::PreCommit => "pre-commit",
            HookName::PreMergeCommit => "pre-merge-commit",
            HookName::CommitMsg => "commit-msg",
            HookName::PostCommit => "post-commit",
            HookName::PostMerge => "post-merge",
            HookName::PreReceive => "pre-receive",
            HookName::PostRewrite => "post-rewrite",
            HookName::PrePush => "pre-push",
        }
    }

    /// Whether git gives the hook input on standard input (the rewritten
    /// commits, the refs being pushed).
    pub fn reads_stdin(self) -> bool {
        matches!(self, HookName::PostRewrite | HookName::PrePush)
    }

    /// The hook with file name `name`, if enforce implements it.
    pub fn from_name(name: &str) -> Option<HookName> {
        HookName::ALL
            .into_iter()
            .chain(HookName::SERVER)
            .find(|h| h.as_str() == name)
    }

    /// Like [`HookName::from_name`], but an unknown name is an error.
    pub fn parse(name: &str) -> Result<HookName> {
        HookName::from_name(name).ok_or_else(|| Error::UnknownHook { name: name.into() })
    }
}

impl fmt::Display for HookName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Runs hook `name` with git's arguments. `hooks_dir` is the directory the
/// hook was started from, where a kept earlier hook may wait to be chained.
/// Returns the exit code git should see.
pub fn run(name: HookName, args: &[OsString], hooks_dir: Option<&Path>) -> Result<i32> {
    // Read before a kept hook runs, which gets the same input.
    let input = if name.reads_stdin() {
        let mut input = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut input)
            .map_err(|e| Error::io("read the hook's input from", "standard input", e))?;
        Some(input)
    } else {
        None
    };
    // pre-receive chains itself: it reads its input first, and the kept
    // hook gets a copy.
    if let Some(dir) = hooks_dir.filter(|_| name != HookName::PreReceive) {
        let code = chain::run_kept(dir, name, args, input.as_deref())?;
        if code != EXIT_OK {
            return Ok(code);
        }
    }
    let input = input.unwrap_or_default();
    summary::start();
    if name != HookName::PreReceive {
        crate::git::for_hooks();
    }
    match name {
        HookName::PreCommit | HookName::PreMergeCommit => pre_commit::run(name),
        HookName::CommitMsg => commit_msg::run(args),
        HookName::PostCommit | HookName::PostMerge => post_commit::run(name, args),
        HookName::PreReceive => crate::server::pre_receive::run(hooks_dir),
        HookName::PostRewrite => post_rewrite::run(args, &input),
        HookName::PrePush => pre_push::run(args, &input),
    }
}
