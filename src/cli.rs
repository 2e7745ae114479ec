//! The command line. The doc comments on these types are the `--help` text.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Commit rules for AI coding agents, enforced in git hooks, with every
/// decision, block and bypass recorded.
///
/// Run `enforce install` in a repository once; from then on every
/// `git commit` runs enforce's pre-commit, commit-msg and post-commit hooks.
#[derive(Debug, Parser)]
#[command(name = "enforce", version, max_term_width = 100)]
pub struct Cli {
    /// The events file to read and write [overrides ENFORCE_EVENTS_FILE and
    /// `[telemetry] events_file`].
    #[arg(long, global = true, value_name = "PATH")]
    pub events_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install enforce as this repository's pre-commit, commit-msg and
    /// post-commit hooks.
    ///
    /// Hooks go where git runs them (core.hooksPath when set). A hook that is
    /// already there is kept as <name>.pre-enforce and runs first. Writes a
    /// commented .enforce.toml at the repository root when there is none.
    Install(InstallArgs),

    /// Remove enforce's hooks and restore the hooks they replaced.
    ///
    /// Leaves .enforce.toml and the events file in place.
    Uninstall,

    /// Run a hook explicitly, as the installed hooks and the scripts in
    /// `hooks/` do.
    Hook(HookArgs),

    /// Append one event to the events file.
    ///
    /// For other enforcement tools (import guards, violation watchers, agent
    /// runtimes) to record into the same log. Prints nothing on success.
    Record(RecordArgs),

    /// Approve what is staged, or see whether it is approved.
    ///
    /// An approval is bound to exactly the staged content (the tree the
    /// commit will record): restaging anything needs a new approval.
    Review {
        #[command(subcommand)]
        action: ReviewAction,
    },

    /// Check or show the configuration (.enforce.toml).
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Approve exactly what is staged now; the next commit of it passes the
    /// review rule.
    Approve {
        /// Who reviewed [default: `reviewer` in [review], `git-reviewer`].
        #[arg(long, value_name = "NAME")]
        reviewer: Option<String>,
        /// A note kept with the approval and recorded in the event.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
    },
    /// Say whether what is staged now is approved, by whom and until when.
    /// Exits 0 when it may be committed, 1 when it needs an approval.
    Status,
    /// Remove every approval of this worktree.
    Clear,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Do not write .enforce.toml.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The directory the hook runs from; a kept earlier hook
    /// (<name>.pre-enforce) there runs first.
    #[arg(long, value_name = "DIR")]
    pub hooks_dir: Option<PathBuf>,

    /// The hook: pre-commit, commit-msg or post-commit.
    pub name: String,

    /// The arguments git passed to the hook.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<OsString>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The event type, e.g. import_blocked or violation_detected.
    pub event_type: String,

    /// Who records the event, e.g. guards.py.
    #[arg(long, short)]
    pub source: String,

    /// The details, as one JSON object.
    #[arg(long, value_name = "JSON")]
    pub details: Option<String>,

    /// One detail: `key=value` stores a string, `key:=json` any JSON value
    /// (`line:=42`). Repeatable; wins over the same key in --details.
    #[arg(long = "detail", value_name = "KEY=VALUE")]
    pub detail: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Validate .enforce.toml; errors are reported as file:line:column.
    Check,
    /// Print the configuration in effect and where the events file is.
    Show,
}
