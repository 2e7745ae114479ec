//! The server side: a `pre-receive` hook in the bare repository a team
//! pushes to, so the verdict that counts is given off the agent's machine.
//!
//! `enforce install --server` puts the hook (the same binary) in place and
//! a commented `enforce.toml` beside git's config. On every push the hook
//! audits the commits the push adds to the protected branches, reading the
//! receipts the push sends along with those the server holds, checks the
//! log heads clones push, and refuses the whole push on any offence, with
//! one line per offending commit and its fix (docs/server.md).

pub mod config;
mod heads;
mod input;
mod install;
mod message;
pub mod pre_receive;
mod pusher;

pub use install::{install, uninstall_if_bare};
