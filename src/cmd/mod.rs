//! One file per subcommand: glue between the command line and the library.

mod advise;
mod audit;
mod backtest;
mod config;
mod demo;
mod digest;
mod docs;
mod export;
mod hook;
mod install;
pub mod json_arg;
mod label;
mod record;
mod report;
mod review;
mod status;
mod timeline;
mod verify;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Parses `args` (argv[0] first) and runs the command; returns the exit code.
pub fn dispatch(args: Vec<OsString>) -> Result<i32> {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap renders usage errors, --help and --version itself.
            let _ = e.print();
            return Ok(e.exit_code());
        }
    };
    let cwd = current_dir()?;
    let events_flag = cli.events_file.as_deref();
    match cli.command {
        Command::Install(args) => install::install(&cwd, events_flag, &args),
        Command::Uninstall => install::uninstall(&cwd),
        Command::Hook(args) => hook::run(args),
        Command::Record(args) => record::run(&cwd, events_flag, args),
        Command::Review { action } => review::run(&cwd, events_flag, action),
        Command::Config { action } => config::run(&cwd, events_flag, action),
        Command::Stats(args) => report::stats(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Events(args) => report::events(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Score(args) => report::score(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Alert(args) => report::alert(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Dashboard(args) => report::dashboard(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Cleanup(args) => report::cleanup(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Bypasses(args) => label::bypasses(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Label(args) => label::label(&cwd, events_flag, &args),
        Command::Advise(args) => advise::run(&cwd, &Workspace::load(&cwd, events_flag)?, &args),
        Command::Audit(args) => audit::run(&cwd, events_flag, &args),
        Command::Backtest(args) => backtest::run(&cwd, events_flag, &args),
        Command::Status(args) => status::run(&cwd, events_flag, &args),
        Command::Verify(args) => verify::run(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Metrics(args) => export::metrics(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Export { target } => export::run(&Workspace::load(&cwd, events_flag)?, &target),
        Command::Timeline(args) => timeline::run(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Digest(args) => digest::run(&Workspace::load(&cwd, events_flag)?, &args),
        Command::Demo(args) => demo::run(&args),
        Command::Completions(args) => docs::completions(args.shell),
        Command::Man(args) => docs::man(&args),
    }
}

fn current_dir() -> Result<PathBuf> {
    std::env::current_dir().map_err(|e| Error::io("read the current directory", ".", e))
}
