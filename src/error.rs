//! The one error type of enforce.
//!
//! Every failure a user can meet is a variant here. Each variant renders its
//! own one-line message (identifiers in backticks), knows its exit code, and
//! may carry a `hint:` with the exact next step. `main` is the only place that
//! prints them, so the wording stays consistent and testable.
//!
//! A blocked commit is *not* an error: it is a policy outcome that hooks
//! return as exit code [`EXIT_POLICY`]. Errors always exit with
//! [`EXIT_ERROR`], so scripts can tell "the rules said no" from "the tool
//! could not run".

use std::io;
use std::path::PathBuf;

/// Everything went fine.
pub const EXIT_OK: i32 = 0;
/// A policy outcome: a commit was blocked, alerts are present, a check failed.
pub const EXIT_POLICY: i32 = 1;
/// enforce could not do what was asked: bad usage, bad config, git or I/O trouble.
pub const EXIT_ERROR: i32 = 2;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line or an argument value is wrong.
    #[error("{message}")]
    Usage { message: String, hint: Option<String> },

    /// `enforce record` was given an event type that is not a plain name.
    #[error(
        "invalid event type `{value}`: it must start with a lowercase letter and contain only a-z, 0-9 and `_` (at most 64 characters)"
    )]
    InvalidEventType { value: String },

    /// The events file is there but is not a regular file.
    #[error("the events file {} is {what}: enforce appends only to a regular file", path.display())]
    EventsFileKind { path: PathBuf, what: String },

    /// `enforce record` was given details that are not a JSON object.
    #[error("invalid {what}: {reason}")]
    InvalidDetails { what: String, reason: String },

    /// The config file does not parse or does not validate.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// The server's `enforce.toml` does not parse or does not validate.
    #[error("{}:{line}:{column}: {message}", path.display())]
    ServerConfig {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// A file or directory could not be read or written.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    /// The command needs a git repository and there is none here.
    #[error("`{}` is not inside a git repository", path.display())]
    NotARepository { path: PathBuf },

    /// Hooks cannot be installed into a repository without a work tree.
    #[error("`{}` is a bare repository: commits are not made there, so there is nothing for hooks to check", path.display())]
    BareRepository { path: PathBuf },

    /// `enforce install --server` in a repository with a work tree.
    #[error("`{}` has a work tree: `enforce install --server` is for the bare repository a server receives pushes in", path.display())]
    ServerNeedsBare { path: PathBuf },

    /// pre-receive was given a line that is not `<old> <new> <ref>`.
    #[error("pre-receive got a line that is not `<old> <new> <ref>`: `{line}`")]
    PushInput { line: String },

    /// Git's `safe.directory` protection: the repository belongs to another
    /// user, and git (like libgit2) will not read its config or hooks.
    #[error("git refuses to open `{}`: it is owned by another user", path.display())]
    UnsafeRepository { path: PathBuf },

    /// libgit2 or the git program failed.
    #[error("git failed while {action}: {message}")]
    Git { action: String, message: String },

    /// The git program is not on PATH.
    #[error("the `git` program was not found on PATH")]
    GitMissing,

    /// A hook name that enforce does not implement.
    #[error(
        "unknown hook `{name}`: enforce runs `pre-commit`, `pre-merge-commit`, `commit-msg`, `post-commit`, `post-merge`, `post-rewrite` and `pre-push`, and `pre-receive` on a server"
    )]
    UnknownHook { name: String },

    /// Outside a repository, with no home or state directory to hold the log.
    #[error(
        "no place for the events file: not in a git repository, and neither HOME nor XDG_STATE_HOME is set"
    )]
    NoEventsLocation,

    /// A command that works on a work tree was run in a bare repository.
    #[error("`{}` is a bare repository: it has no index, so nothing is staged to {what}", path.display())]
    NoWorkTree { path: PathBuf, what: &'static str },

    /// `enforce review approve` with nothing staged.
    #[error("nothing is staged, so there is nothing to approve")]
    NothingStaged,

    /// An approval's lifetime that no calendar can hold.
    #[error("`max_age_seconds` in [review] reaches past the end of the calendar")]
    ApprovalLifetime,

    /// A revision range that git would read as an option.
    #[error("`{range}` is not a revision range")]
    InvalidRange { range: String },

    /// The hooks directory git uses is something other than a directory.
    #[error("git runs hooks from `{}`, which is not a directory (core.hooksPath): no hook can run there", path.display())]
    HooksDirNotADirectory { path: PathBuf },

    /// A hook was started without an argument git always passes it.
    #[error("the `{hook}` hook needs {missing}")]
    HookArgument {
        hook: &'static str,
        missing: &'static str,
        example: &'static str,
    },

    /// Standard output was closed by the reader (`enforce … | head`).
    #[error("standard output was closed")]
    ClosedPipe,

    /// Install would have to overwrite a hook it did not write.
    #[error(
        "cannot install `{}`: it is not an enforce hook, and `{}` already holds an earlier kept hook",
        hook.display(),
        kept.display()
    )]
    HookConflict { hook: PathBuf, kept: PathBuf },

    /// `ENFORCE_NOW` holds something that is not a time.
    #[error("ENFORCE_NOW=`{value}` is not an RFC 3339 time")]
    InvalidNow { value: String },

    /// The events file is a directory, a device or another non-file.
    #[error("the events file `{}` is not a regular file", path.display())]
    NotARegularFile { path: PathBuf },

    /// The OTLP collector was unreachable or kept answering with an error.
    #[error(
        "could not send events to {url}: {problem} ({sent} event(s) sent before; the rest are kept for the next run)"
    )]
    ExportFailed { url: String, problem: String, sent: u64 },

    /// Signing an approval, or the setup signed approvals need, failed.
    #[error("{message}")]
    Signing { message: String, hint: String },

    /// `enforce label` was given a label other than the two there are.
    #[error("`{value}` is not a label: a bypass is labelled `justified` or `unjustified`")]
    InvalidLabel { value: String },

    /// `enforce label` names nothing the log records as a bypass.
    #[error("`{target}` names no bypass in {}: {why}", log.display())]
    NoSuchBypass {
        target: String,
        why: String,
        log: PathBuf,
    },

    /// `enforce label` was given a prefix several bypasses (or commits)
    /// start with.
    #[error("`{target}` is ambiguous: it names {}", candidates.join(", "))]
    AmbiguousBypass { target: String, candidates: Vec<String> },

    /// `enforce label` under an agent runtime: an agent labelling its own
    /// bypasses.
    #[error(
        "`enforce label` refuses to run under an agent: the environment shows {runtime} ({variable}), and a label is a person's judgement, never an agent's of its own bypasses"
    )]
    AgentLabel { runtime: &'static str, variable: String },

    /// `enforce label` cannot say who labels: git has no user.
    #[error("git names no user to record as the one who labels (user.name and user.email are not set)")]
    NoLabeller,

    /// A step of `enforce demo` failed in its scratch repository.
    #[error("the demo could not {step}: {reason}")]
    DemoFailed { step: &'static str, reason: String },
}

impl Error {
    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Error {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::ClosedPipe => EXIT_OK,
            _ => EXIT_ERROR,
        }
    }

    /// The next step the user can take, printed as `hint: …` under the message.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Usage { hint, .. } => hint.clone(),
            Error::Signing { hint, .. } => Some(hint.clone()),
            Error::InvalidEventType { .. } => {
                Some("use a lowercase name like `import_blocked` or `mytool_blocked`".into())
            }
            Error::InvalidDetails { .. } => Some(
                "pass a JSON object, e.g. --details '{\"rule\":\"web-access\",\"line\":42}', or --detail key=value"
                    .into(),
            ),
            Error::Config { .. } => Some(
                "fix the file (removing a key restores its default), then check it with `enforce config check`"
                    .into(),
            ),
            Error::ServerConfig { .. } => Some(
                "fix the file (removing a key restores its default); until then every push is refused".into(),
            ),
            Error::Io { .. } => None,
            Error::EventsFileKind { .. } => Some(
                "put a regular file there (or name one with --events-file, ENFORCE_EVENTS_FILE or [telemetry] events_file)"
                    .into(),
            ),
            Error::NotARepository { .. } => {
                Some("run it inside a git work tree, or create one with `git init`".into())
            }
            Error::BareRepository { .. } => {
                Some("run `enforce install` inside a clone that has a work tree".into())
            }
            Error::ServerNeedsBare { .. } => Some(
                "run it in the server's bare repository (`git init --bare`); in a clone, `enforce install` installs the commit hooks"
                    .into(),
            ),
            Error::PushInput { .. } => Some(
                "git passes these lines; to run the hook by hand: echo \"<old> <new> refs/heads/main\" | enforce hook pre-receive"
                    .into(),
            ),
            Error::UnsafeRepository { path } => Some(format!(
                "if you trust it, run `git config --global --add safe.directory {}`",
                path.display()
            )),
            Error::Git { .. } => None,
            Error::GitMissing => Some("install git (e.g. `apt-get install git`) and try again".into()),
            Error::NoEventsLocation => Some(
                "run inside a repository, or name the file with `--events-file PATH` or ENFORCE_EVENTS_FILE".into(),
            ),
            Error::NoWorkTree { .. } => Some("run this in a work tree (a clone with checked-out files)".into()),
            Error::NothingStaged => Some(
                "stage the changes with `git add`, review them, then run `enforce review approve`".into(),
            ),
            Error::ApprovalLifetime => Some("use a lifetime of at most a few years".into()),
            Error::InvalidRange { .. } => Some("give a range such as origin/main..HEAD".into()),
            Error::HooksDirNotADirectory { .. } => Some(
                "git config --unset core.hooksPath (or point it at a directory), then run `enforce install` again".into(),
            ),
            Error::HookArgument { example, .. } => {
                Some(format!("git passes it; to run the hook by hand: {example}"))
            }
            Error::UnknownHook { .. } | Error::ClosedPipe => None,
            Error::HookConflict { hook, kept } => Some(format!(
                "merge `{}` into `{}` (or move one of them away), then run `enforce install` again",
                hook.display(),
                kept.display()
            )),
            Error::InvalidNow { .. } => Some(
                "e.g. ENFORCE_NOW=2026-11-21T12:00:00+00:00, or unset it to report as of now".into(),
            ),
            Error::NotARegularFile { .. } => Some(
                "point --events-file, ENFORCE_EVENTS_FILE or [telemetry] events_file at a file".into(),
            ),
            Error::ExportFailed { .. } => Some(
                "check that the collector is up and the endpoint is right; `enforce export otlp` again sends what is pending"
                    .into(),
            ),
            Error::InvalidLabel { .. } => Some(
                "e.g. enforce label <ID|COMMIT> justified --note \"hotfix approved by the on-call\"".into(),
            ),
            Error::NoSuchBypass { .. } => Some(
                "`enforce bypasses --all` lists the bypasses with their ids; give an id (at least 7 of its hex digits) or a commit that has bypasses"
                    .into(),
            ),
            Error::AmbiguousBypass { .. } => {
                Some("give more of the id's digits, or the full commit id; `enforce bypasses --all` lists them".into())
            }
            Error::AgentLabel { variable, .. } => Some(format!(
                "a person labels bypasses from a shell without {}; docs/trust.md says what a label is worth",
                variable.split('=').next().unwrap_or(variable)
            )),
            Error::NoLabeller => Some(
                "git config user.name \"Your Name\" && git config user.email you@example.com, then label again".into(),
            ),
            Error::DemoFailed { step, .. } => Some(if *step == "install its hooks" {
                "run `enforce install` in a scratch repository to see what fails".into()
            } else {
                "run `enforce demo --keep` and look at the repository".into()
            }),
        }
    }
}
