//! Views: the report structures rendered as text, JSON, CSV, Markdown and
//! SARIF.
//!
//! Text follows the layouts the Python predecessor printed, so people who
//! read those reports find them again. JSON is the report structure itself
//! (`serde`), a stable shape scripts can rely on.

pub mod audit;
pub mod csv;
pub mod html;
pub mod markdown;
pub mod sarif;
pub mod text;

use serde::Serialize;

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Text,
    Json,
    Csv,
}

/// Pretty JSON with a final newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_else(|_| "null".into());
    text.push('\n');
    text
}
