//! Views: the report structures rendered as text, JSON, CSV, Markdown and
//! SARIF.
//!
//! Text follows the layouts the Python predecessor printed, so people who
//! read those reports find them again. JSON is the report structure itself
//! (`serde`), a stable shape scripts can rely on: every `--json` object
//! carries `schema`, the version of that shape ([`SCHEMA`]). The
//! JSON-argument form prints the predecessor's own shapes instead
//! ([`predecessor`]).

pub mod audit;
pub mod backtest;
pub mod csv;
pub mod digest;
pub mod html;
pub mod markdown;
pub mod predecessor;
pub mod sarif;
pub mod text;
pub mod timeline;

use std::path::Path;

use serde::Serialize;
use serde_json::Value;

/// The version of the shape of the objects `--json` prints. It goes up
/// when a key is removed or changes meaning; new keys do not change it.
pub const SCHEMA: u64 = 1;

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

/// A command's `--json` object: its structure with `schema` and, for the
/// reports of a log, `events_file`, the log they read.
pub fn versioned<T: Serialize + ?Sized>(value: &T, events_file: Option<&Path>) -> String {
    let mut value = serde_json::to_value(value).unwrap_or(Value::Null);
    if let Value::Object(object) = &mut value {
        object.insert("schema".into(), SCHEMA.into());
        if let Some(path) = events_file {
            object.insert("events_file".into(), path.display().to_string().into());
        }
    }
    json(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_objects_name_their_schema_and_log() {
        let text = versioned(
            &serde_json::json!({"total": 1}),
            Some(Path::new("/x/events.jsonl")),
        );
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"total": 1, "schema": SCHEMA, "events_file": "/x/events.jsonl"})
        );
        let bare: Value = serde_json::from_str(&versioned(&serde_json::json!({}), None)).unwrap();
        assert_eq!(bare, serde_json::json!({"schema": SCHEMA}));
    }
}
