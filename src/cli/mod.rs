//! The command line. The doc comments on these types are the `--help` text.

pub mod json;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Commit rules for AI coding agents, enforced in git hooks, with every
/// decision, block and bypass recorded.
///
/// Run `enforce install` in a repository once; from then on every
/// `git commit` and `git merge` runs enforce's commit hooks (pre-commit,
/// pre-merge-commit, commit-msg, post-commit, post-merge), an amend or a
/// rebase its post-rewrite, and `git push` its pre-push, which sends the
/// commits' receipts along.
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
    /// Install enforce as this repository's seven hooks: pre-commit,
    /// pre-merge-commit, commit-msg, post-commit, post-merge, post-rewrite
    /// and pre-push.
    ///
    /// Hooks go where git runs them (core.hooksPath when set). A hook that is
    /// already there is kept as <name>.pre-enforce and runs first. Writes a
    /// commented .enforce.toml at the repository root when there is none.
    /// Adds to each remote the fetch refspec
    /// +refs/notes/enforce:refs/notes/remotes/<remote>/enforce, so that
    /// `git fetch` brings the remote's receipts beside the local ones.
    Install(InstallArgs),

    /// Remove enforce's hooks and restore the hooks they replaced.
    ///
    /// Removes the notes fetch refspecs install added; in a bare repository,
    /// removes the server's `pre-receive` hook. Leaves .enforce.toml, the
    /// events file and the receipts in place.
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

    /// Event counts in a window, by type or another breakdown.
    Stats(StatsArgs),

    /// The newest events, filtered by type and source.
    Events(EventsArgs),

    /// The effectiveness rating: the current week against the week before.
    Score(OutputArgs),

    /// Threshold and trend alerts. Exits 1 when any alert remains, so
    /// `enforce alert --quiet` in cron fails only on critical ones.
    Alert(AlertArgs),

    /// A Markdown dashboard: rating, trends, alerts, counts, daily chart,
    /// top rules, recent bypasses.
    Dashboard(DashboardArgs),

    /// Remove events older than the retention; unreadable lines and labels
    /// are kept.
    Cleanup(CleanupArgs),

    /// The bypasses nobody has labelled yet: id, when, type (category),
    /// commit, method, reason, user, agent. With --all, every bypass and
    /// its label.
    Bypasses(BypassesArgs),

    /// Label a bypass justified or unjustified: a person's judgement,
    /// recorded as `bypass_labeled` and never rewritten (a later label
    /// replaces it in the counts). Refused under an agent runtime.
    Label(LabelArgs),
    /// Suggestions for the rules, from the log: remove a quiet rule, relax
    /// one that is mostly bypassed, strengthen one that keeps firing or
    /// would block in audit mode, add one for what other tools keep
    /// finding. Each with its evidence and how sure it is; per rule, its
    /// blocks, fixes, bypasses and median time to fix, per agent.
    ///
    /// Nothing is applied: --patch prints the .enforce.toml change as a
    /// diff for a person to review (`enforce advise --patch | git apply`
    /// at the repository's root) and never writes the file.
    Advise(AdviseArgs),

    /// Judge the commits of a range from git objects alone (for CI and
    /// servers): each under the policy committed at its parent, with its
    /// receipt as the only proof of review. Exits 1 on any offence, 2 when a
    /// commit cannot be judged.
    Audit(AuditArgs),

    /// Replay a proposed policy over real history: what it would have
    /// blocked or flagged that the current policy did not, and what it
    /// would have let through.
    ///
    /// Each commit is judged twice by the same judge as the hooks and
    /// `enforce audit`, from its message and the lines it added: under the
    /// policy committed at its parent (what the hooks applied to it) and
    /// under the proposal. Near misses: lines matching a content rule in
    /// files its paths/exclude leave out, and what rules in audit mode
    /// flag. Review is judged from the receipts in refs/notes/enforce.
    /// Decides and records nothing: exits 0 whatever it finds.
    Backtest(BacktestArgs),

    /// Is enforcement in force here? Hooks, binary, config, events file,
    /// chain and approvals, each OK/WARN/FAIL with its fix. Exits 1 on FAIL.
    Status(OutputArgs),

    /// Check the log's hash chain: edited, deleted, inserted, reordered or
    /// truncated lines. Exits 1 when broken.
    Verify(VerifyArgs),

    /// Prometheus metrics (text exposition format): event, bypass and block
    /// counters, the rating, window counts. For node_exporter's textfile
    /// collector or a pushgateway.
    Metrics(MetricsArgs),

    /// Send or write the events elsewhere: an OpenTelemetry collector, CSV
    /// or JSON Lines.
    Export {
        #[command(subcommand)]
        target: ExportTarget,
    },

    /// The trust timeline: every change of the policy (from the history of
    /// .enforce.toml and the signers files, and from the log), who made and
    /// who approved it, what it weakened, and the rule's counts before and
    /// after.
    Timeline(TimelineArgs),

    /// The weekly digest: one Markdown page with the score, the bypasses
    /// and their labels, the advice and the policy's changes, for a lead to
    /// read or a cron job to post. Applies nothing.
    Digest(DigestArgs),

    /// A scripted tour: agent commits in a temporary repository, then the
    /// reports.
    Demo(DemoArgs),

    /// Print the shell completion script for bash, zsh or fish.
    ///
    /// install.sh installs them. By hand: `enforce completions bash >
    /// ~/.local/share/bash-completion/completions/enforce`, `enforce
    /// completions zsh > ~/.zfunc/_enforce` (with ~/.zfunc on fpath), or
    /// `enforce completions fish > ~/.config/fish/completions/enforce.fish`.
    Completions(CompletionsArgs),

    /// Print the man page of enforce, or of one of its commands
    /// (`enforce man review approve`), in roff: `enforce man | man -l -`.
    ///
    /// With --dir, write every page instead (enforce.1, enforce-install.1,
    /// enforce-review-approve.1, …), as install.sh does into
    /// ~/.local/share/man/man1.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `enforce completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print, e.g. `review approve` [default:
    /// enforce itself].
    #[arg(value_name = "COMMAND", conflicts_with = "dir")]
    pub command: Vec<String>,

    /// Write every page into this directory (created if missing) and say
    /// which, instead of printing one.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// A window in days: whole days, at most 365,000 (a thousand years), so
/// that every window names a date the reports can print.
fn days() -> clap::builder::RangedU64ValueParser<u64> {
    clap::value_parser!(u64).range(..=crate::event::window::MAX_DAYS)
}

/// `enforce verify`'s options.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    /// Accept the log as it is now: point its anchor ref at its last line
    /// (after a deleted ref, a log older than the ref, or a cut that was
    /// meant), and record that as `log_reanchored`.
    #[arg(long)]
    pub reanchor: bool,
}

/// How a report is printed. `F` lists the formats the command has, so
/// clap refuses the others and `--help` names only those.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct OutputArgs<F: FormatChoice = TextOrJson> {
    /// Print JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: F,
}

/// A command's choice of output formats.
pub trait FormatChoice:
    clap::ValueEnum + Clone + Copy + Default + Send + Sync + std::fmt::Debug + Into<crate::view::Format> + 'static
{
}

impl<F> FormatChoice for F where
    F: clap::ValueEnum
        + Clone
        + Copy
        + Default
        + Send
        + Sync
        + std::fmt::Debug
        + Into<crate::view::Format>
        + 'static
{
}

/// The formats of a report that is not a table: text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TextOrJson {
    #[default]
    Text,
    Json,
}

impl From<TextOrJson> for crate::view::Format {
    fn from(format: TextOrJson) -> crate::view::Format {
        match format {
            TextOrJson::Text => crate::view::Format::Text,
            TextOrJson::Json => crate::view::Format::Json,
        }
    }
}

impl OutputArgs<TextOrJson> {
    /// The format chosen, `--json` included.
    pub fn chosen(&self) -> TextOrJson {
        if self.json { TextOrJson::Json } else { self.format }
    }
}

impl<F: FormatChoice> OutputArgs<F> {
    pub fn format(&self) -> crate::view::Format {
        if self.json {
            crate::view::Format::Json
        } else {
            self.format.into()
        }
    }
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The window: events of the last N days.
    #[arg(short, long, default_value_t = 7, value_name = "N", value_parser = days())]
    pub days: u64,

    /// Count by this instead of by event type (`day` gives a time series).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub by: Option<crate::report::stats::By>,

    #[command(flatten)]
    pub output: OutputArgs<crate::view::Format>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The window: events of the last N days (default 1).
    #[arg(short, long, value_name = "N", value_parser = days())]
    pub days: Option<u64>,

    /// Only events of this type (any case).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,

    /// Only events whose source contains this (any case).
    #[arg(short, long, value_name = "TEXT")]
    pub source: Option<String>,

    /// Only the events of this commit attempt (the `attempt_id` its hooks'
    /// events share), from the whole log unless --days is given.
    #[arg(long, value_name = "ID")]
    pub attempt: Option<String>,

    /// At most this many events, newest first.
    #[arg(short = 'n', long, default_value_t = 20, value_name = "N")]
    pub limit: usize,

    #[command(flatten)]
    pub output: OutputArgs<crate::view::Format>,
}

#[derive(Debug, Args)]
pub struct AlertArgs {
    /// Only critical alerts.
    #[arg(short, long)]
    pub quiet: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The window: the last N days.
    #[arg(short, long, default_value_t = 7, value_name = "N", value_parser = days())]
    pub days: u64,

    /// Write the page to this file (atomically) instead of printing it.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// The window: changes of the last N days.
    #[arg(short, long, default_value_t = 90, value_name = "N", value_parser = days())]
    pub days: u64,

    #[command(flatten)]
    pub output: OutputArgs<crate::view::Format>,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// Write the dashboard to this file (atomically) instead of printing it.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The window for event counts, top rules and bypasses.
    #[arg(short, long, default_value_t = 7, value_name = "N", value_parser = days())]
    pub days: u64,

    /// Print the dashboard's data as JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Markdown (for GitHub and terminals), a self-contained HTML page with
    /// SVG charts, or the data as JSON.
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: DashboardFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DashboardFormat {
    Markdown,
    Html,
    Json,
}

#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Keep the events of the last N days.
    #[arg(short, long, default_value_t = 30, value_name = "N", value_parser = days())]
    pub days: u64,

    /// Say what would be removed and kept; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct BypassesArgs {
    /// The window: bypasses of the last N days.
    #[arg(short, long, default_value_t = 30, value_name = "N", value_parser = days())]
    pub days: u64,

    /// List the labelled bypasses too, with their label.
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct LabelArgs {
    /// The bypass: its id (at least 7 of the hex digits `enforce
    /// bypasses` shows), or a commit (every bypass recorded for it).
    #[arg(value_name = "ID|COMMIT")]
    pub target: String,

    /// `justified` or `unjustified`.
    #[arg(value_name = "LABEL")]
    pub label: String,

    /// Why, kept with the label.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct AdviseArgs {
    /// The window: events of the last N days (a rule is called quiet after
    /// 30 days without an event, whatever the window).
    #[arg(short, long, default_value_t = crate::advice::DEFAULT_DAYS, value_name = "N", value_parser = days())]
    pub days: u64,

    /// Print the suggested .enforce.toml changes as a unified diff instead
    /// of the advice; writes nothing.
    #[arg(long, conflicts_with_all = ["json", "format"])]
    pub patch: bool,

    /// Print JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format: text, JSON, or Markdown (for an issue or a digest).
    #[arg(long, value_enum, default_value = "text")]
    pub format: AdviseFormat,
}

/// The formats of `enforce advise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AdviseFormat {
    #[default]
    Text,
    Json,
    Markdown,
}

impl AdviseArgs {
    /// The format chosen, `--json` included.
    pub fn chosen(&self) -> AdviseFormat {
        if self.json {
            AdviseFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The commits to judge, e.g. origin/main..HEAD.
    pub range: String,

    /// Record each finding as an `audit_offence` event.
    #[arg(long)]
    pub record: bool,

    /// No effect, kept for older CI scripts: audit never reads the events
    /// log (receipts in git notes are its evidence).
    #[arg(long)]
    pub no_log: bool,

    /// Print JSON (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Output format: text, JSON, or SARIF 2.1.0 for code-scanning pages.
    #[arg(long, value_enum, default_value = "text")]
    pub format: AuditFormat,
}

/// The formats of `enforce audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AuditFormat {
    #[default]
    Text,
    Json,
    Sarif,
}

impl AuditArgs {
    /// The format chosen, `--json` included.
    pub fn chosen(&self) -> AuditFormat {
        if self.json { AuditFormat::Json } else { self.format }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("commits").required(true).args(["range", "days"])))]
pub struct BacktestArgs {
    /// The proposed policy: a file in the format of .enforce.toml.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// The commits to replay, e.g. origin/main~500..origin/main.
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,

    /// The commits of the last N days reachable from HEAD, by committer
    /// date (as `git log --since`).
    #[arg(long, value_name = "N", value_parser = days())]
    pub days: Option<u64>,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Write to this file (through a temporary file and a rename, so a
    /// collector never reads half of it) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A refresh started in the background after an append: leaves the
    /// write to a refresh of the same file already waiting.
    #[arg(long, hide = true, requires = "output")]
    pub refresh: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportTarget {
    /// Send the events not sent yet as OTLP/HTTP JSON log records.
    Otlp(OtlpArgs),
    /// Write events as CSV: timestamp, event_type, source, rule, user,
    /// branch, commit_sha, file_count, details (JSON); with --labelled, the
    /// labelled bypasses.
    Csv(FlatArgs),
    /// Write events as JSON Lines, one whole event per line; with
    /// --labelled, one object per labelled bypass.
    Jsonl(FlatArgs),
}

#[derive(Debug, Args)]
pub struct OtlpArgs {
    /// The collector's OTLP/HTTP URL (`/v1/logs` is appended unless
    /// present) [default: OTEL_EXPORTER_OTLP_LOGS_ENDPOINT,
    /// OTEL_EXPORTER_OTLP_ENDPOINT, then `endpoint` in [export.otlp]].
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Send from here instead of after the cursor: `all`, or an RFC 3339
    /// time (events after it).
    #[arg(long, value_name = "all|TIME")]
    pub since: Option<String>,
}

#[derive(Debug, Args)]
pub struct FlatArgs {
    /// Only events of the last N days [default: all].
    #[arg(short, long, value_name = "N", value_parser = days())]
    pub days: Option<u64>,

    /// Only events of this type (any case).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub event_type: Option<String>,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// One row per labelled bypass (its newest label), for training a
    /// classifier: id, timestamp, event_type, category, commit, rule,
    /// method, reason, user, agent, files, label, note, labeled_by,
    /// labeled_at. --days and --type then select by the bypass.
    #[arg(long)]
    pub labelled: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the demo repository (its path is printed) instead of removing it.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReviewAction {
    /// Approve exactly what is staged now; the next commit of it passes the
    /// review rule.
    Approve {
        /// Who reviewed [default: `reviewer` in [review], `git-reviewer`;
        /// signed: the principal the signers file gives the key].
        #[arg(long, value_name = "NAME")]
        reviewer: Option<String>,
        /// A note kept with the approval and recorded in the event.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        /// Sign the approval with this SSH key: a private key file, or a
        /// public key whose private half is in ssh-agent [default: git's
        /// user.signingKey when gpg.format = ssh, if signatures are required].
        #[arg(long, value_name = "PATH", conflicts_with = "signature")]
        key: Option<PathBuf>,
        /// Attach a signature made elsewhere with `ssh-keygen -Y sign` over
        /// the bytes `enforce review payload` printed.
        #[arg(long, value_name = "FILE")]
        signature: Option<PathBuf>,
        /// The payload that was signed [default: the one `enforce review
        /// payload` last printed for what is staged].
        #[arg(long, value_name = "FILE", requires = "signature")]
        payload: Option<PathBuf>,
        /// Sign for `git commit --amend`: bound to HEAD's parent, which the
        /// amended commit will have, and the change against it.
        #[arg(long)]
        amend: bool,
    },
    /// Print the bytes a reviewer signs to approve what is staged
    /// (sign them with `ssh-keygen -Y sign -n <namespace>`, docs/review.md).
    Payload {
        /// The reviewer's principal, as the signers file names it.
        #[arg(long, value_name = "PRINCIPAL")]
        reviewer: String,
        /// The payload for `git commit --amend` (see `approve --amend`).
        #[arg(long)]
        amend: bool,
    },
    /// Say whether what is staged now is approved, by whom and until when,
    /// and whose signature it carries. Exits 0 when it may be committed, 1
    /// when it needs an approval.
    Status,
    /// Remove every approval of this worktree.
    Clear,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Do not write .enforce.toml.
    #[arg(long)]
    pub no_config: bool,

    /// Write the hooks as `sh` scripts that check for the binary and print
    /// how to reinstall it when it is gone, at the cost of starting a shell
    /// for every hook (the default starts enforce directly).
    #[arg(long)]
    pub shell: bool,

    /// In the bare repository a server receives pushes in: install the
    /// `pre-receive` hook that audits what each push adds to the protected
    /// branches, and write a commented enforce.toml there ([server]).
    #[arg(long)]
    pub server: bool,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    /// The directory the hook runs from; a kept earlier hook
    /// (<name>.pre-enforce) there runs first.
    #[arg(long, value_name = "DIR")]
    pub hooks_dir: Option<PathBuf>,

    /// The hook: pre-commit, pre-merge-commit, commit-msg, post-commit,
    /// post-merge, post-rewrite, pre-push, or pre-receive (on a server).
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

    /// The details, as one JSON object; `-` reads it from standard input
    /// (for details larger than a command-line argument may be).
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
