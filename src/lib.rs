//! enforce: commit rules for AI coding agents, enforced in git hooks, with
//! every decision, block and bypass recorded as an event.
//!
//! Data flows one way: git facts → judge → verdict → events → log →
//! reports → views (docs/architecture.md).
//! [`run`] is the whole program; `main` only hands it the arguments.

mod advice;
mod approval;
mod atomic;
mod audit;
mod cli;
mod cmd;
mod config;
mod error;
pub mod event;
mod export;
mod fault;
pub mod git;
mod hook;
mod install;
mod judge;
mod notice;
mod output;
mod receipt;
mod report;
mod rules;
mod runtime;
mod server;
mod signing;
mod view;
mod workspace;

use std::ffi::OsString;
use std::path::Path;

use error::Error;
use hook::HookName;

/// Runs enforce with `args` (argv[0] first) and returns the exit code.
///
/// The binary is multiplexed: started under the name of a hook it
/// implements (a symlink called `pre-commit`, say), it runs that hook with
/// git's arguments; under any other name it is the command line tool.
pub fn run(args: Vec<OsString>) -> i32 {
    let argv0 = args.first().map(Path::new);
    if argv0.and_then(invoked_hook).is_none()
        && let Some((events_file, text)) = cli::json::detect(&args)
    {
        return cmd::json_arg::run(events_file, text);
    }
    // A direct hook file: `#!/…/enforce hook-script` makes the kernel run
    // `enforce hook-script <hook file> <git's arguments>`.
    if let Some((script, rest)) = args
        .get(1)
        .filter(|a| *a == install::shim::SCRIPT_VERB)
        .and_then(|_| args.get(2).map(|s| (Path::new(s), &args[3..])))
    {
        let outcome = match invoked_hook(script) {
            Some(name) => hook::run(name, rest, script.parent().filter(|d| !d.as_os_str().is_empty())),
            None => Err(Error::UnknownHook {
                name: script
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
            }),
        };
        return finish(outcome);
    }
    let outcome = match argv0.and_then(invoked_hook) {
        Some(name) => {
            let hooks_dir = argv0
                .and_then(Path::parent)
                .filter(|dir| !dir.as_os_str().is_empty());
            hook::run(name, &args[1..], hooks_dir)
        }
        None => cmd::dispatch(args),
    };
    finish(outcome)
}

fn finish(outcome: error::Result<i32>) -> i32 {
    match outcome {
        Ok(code) => code,
        Err(err) => {
            report(&err);
            err.exit_code()
        }
    }
}

/// The hook named by the file name of argv[0], if any.
fn invoked_hook(argv0: &Path) -> Option<HookName> {
    HookName::from_name(argv0.file_name()?.to_str()?)
}

/// Prints an error and its hint to standard error.
fn report(err: &Error) {
    if matches!(err, Error::ClosedPipe) {
        return;
    }
    notice::error(err);
}
