//! Integration tests: the built binary against real git repositories.

mod config;
mod dispatch;
mod events;
mod install;
mod record;
mod support;
