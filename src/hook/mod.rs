//! The git hooks enforce runs: `pre-commit`, `commit-msg`, `post-commit`.
//!
//! A hook first runs the hook that was in its place before `enforce
//! install` (kept as `<name>.pre-enforce`), so installing enforce never
//! silently drops a team's existing checks; then it applies enforce's own
//! rules.

mod chain;

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use crate::error::{EXIT_OK, Error, Result};

pub use chain::KEPT_SUFFIX;

/// A hook enforce implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookName {
    PreCommit,
    CommitMsg,
    PostCommit,
}

impl HookName {
    pub const ALL: [HookName; 3] = [HookName::PreCommit, HookName::CommitMsg, HookName::PostCommit];

    /// The file name git looks for in the hooks directory.
    pub fn as_str(self) -> &'static str {
        match self {
            HookName::PreCommit => "pre-commit",
            HookName::CommitMsg => "commit-msg",
            HookName::PostCommit => "post-commit",
        }
    }

    /// The hook with file name `name`, if enforce implements it.
    pub fn from_name(name: &str) -> Option<HookName> {
        HookName::ALL.into_iter().find(|h| h.as_str() == name)
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
    if let Some(dir) = hooks_dir {
        let code = chain::run_kept(dir, name, args)?;
        if code != EXIT_OK {
            return Ok(code);
        }
    }
    // enforce's own rules for this hook run here; until rules are configured
    // a hook lets every commit through.
    Ok(EXIT_OK)
}
