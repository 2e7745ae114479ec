//! `enforce record <event_type> --source <src> [--details JSON] [--detail k=v]…`

use std::path::Path;

use serde_json::{Map, Value};

use crate::cli::RecordArgs;
use crate::error::{EXIT_OK, Error, Result};
use crate::event::{Event, is_valid_event_type, kind};
use crate::workspace::Workspace;

/// The largest event `record` writes. Readers skip (and count) lines over
/// [`crate::event::MAX_LINE_BYTES`]; the margin keeps every recorded event
/// readable.
const MAX_RECORD_BYTES: usize = 8 * 1024 * 1024;

pub fn run(cwd: &Path, events_flag: Option<&Path>, args: RecordArgs) -> Result<i32> {
    // Validate everything before resolving the workspace: bad input must
    // never half-write anything.
    if !is_valid_event_type(&args.event_type) {
        return Err(Error::InvalidEventType {
            value: quoted(&args.event_type),
        });
    }
    if kind::is_reserved(&args.event_type) {
        return Err(Error::usage(
            format!(
                "`{}` is one of enforce's own event types: only its hooks and commands record it",
                args.event_type
            ),
            format!(
                "record under your tool's own type (e.g. mytool_blocked) or a shared one: {}",
                kind::SHARED.join(", ")
            ),
        ));
    }
    if args.source.trim().is_empty() {
        return Err(Error::usage(
            "the event source is empty",
            "name who records the event, e.g. --source guards.py",
        ));
    }
    if kind::is_reserved_source(&args.source) {
        return Err(Error::usage(
            format!(
                "`{}` is one of enforce's own sources (its hooks and commands)",
                quoted(args.source.trim())
            ),
            "name your tool as the source, e.g. --source guards.py",
        ));
    }
    let stdin_details;
    let json = match args.details.as_deref() {
        Some("-") => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                .map_err(|e| Error::io("read the details from", "standard input", e))?;
            stdin_details = text;
            Some(stdin_details.as_str())
        }
        other => other,
    };
    let details = details(json, &args.detail)?;
    let workspace = Workspace::load(cwd, events_flag)?;
    let event = Event::now(args.event_type, args.source, details);
    let size = serde_json::to_vec(&event.details).map_or(0, |d| d.len()) + event.source.len();
    if size > MAX_RECORD_BYTES {
        return Err(Error::usage(
            format!("the event is {size} bytes; `record` takes at most {MAX_RECORD_BYTES} (8 MiB)"),
            "keep large data elsewhere and put its path or URL in the details",
        ));
    }
    let mut event = event;
    crate::event::stamp(&mut event.details);
    let head = workspace.events.append(&event, workspace.timestamp_format())?;
    let started = head.seq == 1;
    workspace.publish_head(Some(head), started);
    super::export::refresh_textfile(&workspace);
    Ok(EXIT_OK)
}

/// Builds the details object from `--details` and the `--detail` pairs.
fn details(json: Option<&str>, pairs: &[String]) -> Result<Map<String, Value>> {
    let mut details = match json {
        None => Map::new(),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(Error::InvalidDetails {
                    what: "--details".into(),
                    reason: format!("expected a JSON object, got {}", json_kind(&other)),
                });
            }
            Err(e) => {
                return Err(Error::InvalidDetails {
                    what: "--details".into(),
                    reason: format!("not JSON ({e})"),
                });
            }
        },
    };
    for pair in pairs {
        let (key, value) = parse_pair(pair)?;
        details.insert(key, value);
    }
    Ok(details)
}

/// `key=value` (a string) or `key:=json` (any JSON value).
/// The most of a rejected value an error quotes: enough to recognise it,
/// not a megabyte echoed back.
const QUOTED_CHARS: usize = 80;

/// `text`, cut to [`QUOTED_CHARS`] characters with what was left out
/// counted.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        None => text.to_string(),
        Some((at, _)) => format!("{}… ({} more bytes)", &text[..at], text.len() - at),
    }
}

fn parse_pair(pair: &str) -> Result<(String, Value)> {
    let invalid = |reason: String| Error::InvalidDetails {
        what: format!("--detail `{}`", quoted(pair)),
        reason,
    };
    let Some((key, value)) = pair.split_once('=') else {
        return Err(invalid("expected key=value or key:=json".into()));
    };
    let (key, value) = match key.strip_suffix(':') {
        Some(key) => (
            key,
            serde_json::from_str(value)
                .map_err(|e| invalid(format!("the value after `:=` is not JSON ({e})")))?,
        ),
        None => (key, Value::from(value)),
    };
    if key.is_empty() {
        return Err(invalid("the key is empty".into()));
    }
    Ok((key.to_string(), value))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        assert_eq!(
            parse_pair("rule=web").unwrap(),
            ("rule".into(), Value::from("web"))
        );
        assert_eq!(parse_pair("line:=42").unwrap(), ("line".into(), Value::from(42)));
        assert_eq!(
            parse_pair("expr=a=b").unwrap(),
            ("expr".into(), Value::from("a=b"))
        );
        assert_eq!(parse_pair("empty=").unwrap(), ("empty".into(), Value::from("")));
        assert!(parse_pair("novalue").is_err());
        assert!(parse_pair("=x").is_err());
        assert!(parse_pair("n:=forty").is_err());
    }

    #[test]
    fn pairs_win_over_json() {
        let d = details(Some(r#"{"a":1,"b":2}"#), &["b:=3".into()]).unwrap();
        assert_eq!(Value::Object(d), serde_json::json!({"a":1,"b":3}));
        assert!(details(Some("[1]"), &[]).is_err());
        assert!(details(Some("{"), &[]).is_err());
    }
}
