//! Integration tests: the built binary against real git repositories.

mod agent_trailer;
mod audit;
mod ci_templates;
mod config;
mod content;
mod dispatch;
mod ecosystem;
mod edges;
mod events;
mod faults;
mod hookrepo;
mod install;
mod merge_tree;
mod push;
mod record;
mod reports;
mod review;
mod rewrite;
mod sarif_schema;
mod scanner;
mod server;
mod signed;
mod skipped;
mod support;
mod trailers;
mod trust;
