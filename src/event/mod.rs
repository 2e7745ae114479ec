//! The event model: one enforcement decision, block or bypass, as stored in
//! the JSON Lines log.
//!
//! The line format is the Python predecessor's, so logs stay readable by its
//! tools and theirs by ours: `timestamp`, `event_type`, `source`, `details`,
//! and any extra top-level fields, which readers ignore.

pub mod chain;
pub mod cleanup;
pub mod kind;
pub mod location;
pub mod log;
mod recorder;
pub mod scan;
pub mod timestamp;
pub mod verify;
pub mod window;

use chrono::{DateTime, FixedOffset, Local};
use serde::Serialize;
use serde_json::{Map, Value};

pub use log::EventLog;
pub use recorder::{Recorder, recorded_as};
pub use timestamp::TimestampFormat;

pub use kind::types;

/// One event read from or written to the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub timestamp: DateTime<FixedOffset>,
    pub event_type: String,
    pub source: String,
    pub details: Map<String, Value>,
}

/// JSON output of a whole event, as stored (timestamps normalised to
/// RFC 3339 with offset).
impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Event", 4)?;
        s.serialize_field(
            "timestamp",
            &self
                .timestamp
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, false),
        )?;
        s.serialize_field("event_type", &self.event_type)?;
        s.serialize_field("source", &self.source)?;
        s.serialize_field("details", &self.details)?;
        s.end()
    }
}

impl Event {
    /// A new event stamped with the current time.
    pub fn now(
        event_type: impl Into<String>,
        source: impl Into<String>,
        details: Map<String, Value>,
    ) -> Event {
        Event {
            timestamp: Local::now().fixed_offset(),
            event_type: event_type.into(),
            source: source.into(),
            details,
        }
    }

    /// The event as one log line, without the trailing newline.
    pub fn to_line(&self, format: TimestampFormat) -> String {
        self.line(format, None)
    }

    /// The event as one chained log line: `seq` and `prev` after the
    /// predecessor's four fields (its readers ignore them).
    pub fn to_chained_line(&self, format: TimestampFormat, seq: u64, prev: &str) -> String {
        self.line(format, Some((seq, prev)))
    }

    fn line(&self, format: TimestampFormat, chain: Option<(u64, &str)>) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            timestamp: String,
            event_type: &'a str,
            source: &'a str,
            details: &'a Map<String, Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            seq: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            prev: Option<&'a str>,
        }
        let line = Line {
            timestamp: timestamp::format(&self.timestamp.with_timezone(&Local), format),
            event_type: &self.event_type,
            source: &self.source,
            details: &self.details,
            seq: chain.map(|c| c.0),
            prev: chain.map(|c| c.1),
        };
        // Serializing strings and a JSON map cannot fail.
        serde_json::to_string(&line).unwrap_or_default()
    }
}

/// The details every event enforce writes carries: `enforce_version`,
/// and `agent_runtime` when the environment shows an agent (see
/// [`crate::runtime`]). They replace whatever a caller put under those
/// names: what enforce saw is not the caller's to say.
pub fn stamp(details: &mut Map<String, Value>) {
    details.insert(VERSION_FIELD.into(), Value::from(env!("CARGO_PKG_VERSION")));
    match crate::runtime::detect() {
        Some(found) => details.insert(RUNTIME_FIELD.into(), Value::from(found.runtime.id)),
        None => details.remove(RUNTIME_FIELD),
    };
}

/// The detail naming the enforce that wrote an event.
pub const VERSION_FIELD: &str = "enforce_version";
/// The detail naming the agent runtime the writer ran under.
pub const RUNTIME_FIELD: &str = "agent_runtime";

/// Turns a `json!({...})` object into a details map.
pub fn details(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A `user` detail without its e-mail address: `Dev <dev@example.com>`
/// is `Dev`, a bare `dev@example.com` is `dev`. For views that are shared
/// (dashboards), where a name says who and an address says too much.
pub fn user_name(user: &str) -> &str {
    let user = user.trim();
    if let Some(open) = user.find('<')
        && user.ends_with('>')
    {
        let name = user[..open].trim();
        if !name.is_empty() {
            return name;
        }
        return user_name(&user[open + 1..user.len() - 1]);
    }
    match user.split_once('@') {
        Some((local, _)) if !local.is_empty() && !user.contains(char::is_whitespace) => local,
        _ => user,
    }
}

/// The `files` and `file_count` fields: at most [`MAX_FILES`] paths, so a
/// commit of 100,000 files still writes a bounded line, and the true count.
pub fn files_fields<P: AsRef<std::path::Path>>(paths: &[P]) -> (Vec<String>, usize) {
    let listed = paths
        .iter()
        .take(MAX_FILES)
        .map(|p| p.as_ref().to_string_lossy().into_owned())
        .collect();
    (listed, paths.len())
}

/// How many paths an event lists at most.
pub const MAX_FILES: usize = 100;

/// Whether `name` is acceptable as a recorded event type:
/// `^[a-z][a-z0-9_]{0,63}$`. Keeps the vocabulary greppable and safe to use
/// as a metric label.
pub fn is_valid_event_type(name: &str) -> bool {
    let bytes = name.as_bytes();
    matches!(bytes.first(), Some(b'a'..=b'z'))
        && bytes.len() <= 64
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names() {
        for ok in ["bypass_review", "a", "x9_", &"a".repeat(64)] {
            assert!(is_valid_event_type(ok), "{ok}");
        }
        for bad in [
            "",
            "Bypass",
            "9lives",
            "_x",
            "has-dash",
            "has space",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!is_valid_event_type(bad), "{bad}");
        }
    }

    #[test]
    fn user_names_leave_the_address_out() {
        for (user, name) in [
            ("Dev <dev@example.com>", "Dev"),
            ("  Ada Lovelace   <ada@example.org> ", "Ada Lovelace"),
            ("<bot@example.com>", "bot"),
            ("dev@example.com", "dev"),
            ("Dev", "Dev"),
            ("", ""),
            ("a@b", "a"),
            ("not an @ address", "not an @ address"),
        ] {
            assert_eq!(user_name(user), name, "{user}");
        }
    }

    #[test]
    fn line_has_the_predecessor_field_order() {
        let mut details = Map::new();
        details.insert("module".into(), Value::from("requests"));
        let event = Event::now("import_blocked", "guards.py", details);
        let line = event.to_line(TimestampFormat::Rfc3339);
        assert!(line.starts_with("{\"timestamp\":\""), "{line}");
        assert!(
            line.ends_with("\",\"event_type\":\"import_blocked\",\"source\":\"guards.py\",\"details\":{\"module\":\"requests\"}}"),
            "{line}"
        );
    }
}
