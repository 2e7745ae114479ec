//! `enforce completions` and `enforce man`: the shell completion scripts
//! and man pages, generated from the command line's own definition by
//! clap's generators, so they never fall behind `--help`.

use std::path::Path;

use clap::CommandFactory;

use crate::atomic;
use crate::cli::{Cli, ManArgs, Shell};
use crate::error::{EXIT_OK, Error, Result};
use crate::output;

/// The name the scripts complete and the pages are titled by.
const BIN: &str = "enforce";

/// Prints the completion script for `shell`.
pub fn completions(shell: Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    match shell {
        Shell::Bash => clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, BIN, &mut script),
        Shell::Zsh => clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, BIN, &mut script),
        Shell::Fish => clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, BIN, &mut script),
    }
    output::print(&String::from_utf8_lossy(&script))?;
    Ok(EXIT_OK)
}

/// Prints one man page, or writes them all into `--dir`.
pub fn man(args: &ManArgs) -> Result<i32> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building sets each command's page name (`enforce-review-approve`).
    cmd.build();
    if let Some(dir) = &args.dir {
        let mut written = String::new();
        write_pages(&cmd, dir, &mut written)?;
        output::print(&written)?;
        return Ok(EXIT_OK);
    }
    let mut page = &cmd;
    for (depth, word) in args.command.iter().enumerate() {
        page = page.find_subcommand(word).ok_or_else(|| {
            let parent = std::iter::once(BIN)
                .chain(args.command[..depth].iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" ");
            let names: Vec<&str> = page.get_subcommands().map(|c| c.get_name()).collect();
            let hint = if names.is_empty() {
                format!("its page is `enforce man {}`", args.command[..depth].join(" "))
            } else {
                format!("its commands: {}", names.join(", "))
            };
            Error::usage(format!("`{parent}` has no command `{word}`"), hint)
        })?;
    }
    output::print(&render(page)?)?;
    Ok(EXIT_OK)
}

/// The roff of `cmd`'s page.
fn render(cmd: &clap::Command) -> Result<String> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .source(concat!("enforce ", env!("CARGO_PKG_VERSION")))
        .render(&mut roff)
        .map_err(|e| Error::io("render the man page of", cmd.get_name(), e))?;
    Ok(String::from_utf8_lossy(&roff).into_owned())
}

/// Writes the pages of `cmd` and of every command under it into `dir`,
/// one line per page into `written`.
fn write_pages(cmd: &clap::Command, dir: &Path, written: &mut String) -> Result<()> {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name());
    let path = dir.join(format!("{name}.1"));
    atomic::write(&path, render(cmd)?.as_bytes())?;
    written.push_str(&format!("{}\n", path.display()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}
