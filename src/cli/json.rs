//! The JSON-argument form, `enforce '{"action":"stats","days":14}'`: the
//! predecessor's programmatic API, read as the predecessor read it.
//!
//! Scripts written for the predecessor call enforce this way, so the object
//! is taken as leniently as the predecessor took it: a missing `action` is
//! `stats`, `null` for an option is its default, every option is accepted
//! by every action (and used where it applies), and an action the
//! predecessor does not know is an answer, not a failure. Only what made
//! the predecessor fail is refused: invalid JSON, a key it has no parameter
//! for, a value of a type it could not use.

use std::ffi::OsString;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::report::stats::By;

/// The predecessor's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Stats,
    Events,
    Score,
    Alert,
    Dashboard,
    Cleanup,
}

impl Action {
    fn from_name(name: &str) -> Option<Action> {
        Some(match name {
            "stats" => Action::Stats,
            "events" => Action::Events,
            "score" => Action::Score,
            "alert" => Action::Alert,
            "dashboard" => Action::Dashboard,
            "cleanup" => Action::Cleanup,
            _ => return None,
        })
    }
}

/// The keys the predecessor takes (its function's parameters), then
/// enforce's own (`by` for stats, `type` for `event_type`).
const KEYS: [&str; 10] = [
    "action",
    "days",
    "event_type",
    "source",
    "limit",
    "dry_run",
    "quiet",
    "output",
    "by",
    "type",
];

/// The limit of `events` when none is given.
pub const DEFAULT_LIMIT: usize = 20;

/// One call of the JSON form.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The action; `Err` holds an unknown one as the predecessor printed it.
    pub action: Result<Action, String>,
    /// `None`: the action's default window.
    pub days: Option<u64>,
    pub event_type: Option<String>,
    pub source: Option<String>,
    /// `None`: every matching event (`"limit": null`).
    pub limit: Option<usize>,
    pub dry_run: bool,
    pub quiet: bool,
    pub output: Option<PathBuf>,
    pub by: Option<By>,
}

impl Request {
    /// The window of `stats`, `events`, `dashboard` and `cleanup`, with
    /// the predecessor's defaults.
    pub fn days_or_default(&self, action: Action) -> u64 {
        self.days.unwrap_or(match action {
            Action::Events => 1,
            Action::Cleanup => 30,
            _ => 7,
        })
    }
}

/// Reads the JSON argument, or says what the predecessor would have failed
/// on (a usage error; the form exits 1 on it, as the predecessor did).
pub fn parse(text: &str) -> Result<Request, Error> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::usage("Invalid JSON", e.to_string()))?;
    let Value::Object(object) = value else {
        return Err(Error::usage(
            "the JSON argument must be an object",
            r#"e.g. '{"action": "score"}'"#,
        ));
    };
    if let Some(key) = object.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(Error::usage(
            format!("unknown key `{key}`"),
            format!("the keys are: {}", KEYS.join(", ")),
        ));
    }
    let action = match object.get("action") {
        None => Ok(Action::Stats),
        Some(Value::String(name)) => Action::from_name(name).ok_or_else(|| name.clone()),
        Some(Value::Null) => Err("None".to_string()),
        Some(other) => Err(other.to_string()),
    };
    let event_type = match (text_option(&object, "event_type")?, text_option(&object, "type")?) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::usage(
                "`event_type` and `type` name different types",
                "give one of them",
            ));
        }
        (a, b) => a.or(b),
    };
    let by = match text_option(&object, "by")? {
        None => None,
        Some(text) => {
            use clap::ValueEnum;
            Some(By::from_str(&text, false).map_err(|_| {
                wrong(
                    "by",
                    &object["by"],
                    "one of type, source, rule, user, branch, agent, day",
                )
            })?)
        }
    };
    Ok(Request {
        action,
        days: count(&object, "days", Some(crate::event::window::MAX_DAYS))?,
        event_type,
        source: text_option(&object, "source")?,
        limit: match object.get("limit") {
            None => Some(DEFAULT_LIMIT),
            Some(Value::Null) => None,
            Some(_) => count(&object, "limit", None)?.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
        },
        dry_run: flag(&object, "dry_run")?,
        quiet: flag(&object, "quiet")?,
        output: text_option(&object, "output")?.map(PathBuf::from),
        by,
    })
}

fn wrong(key: &str, value: &Value, expected: &str) -> Error {
    Error::usage(
        format!("`{key}` must be {expected}, not {value}"),
        r#"e.g. {"action": "events", "days": 3, "limit": 10, "event_type": "import_blocked"}"#,
    )
}

/// A whole number (`14`, or `14.0` as Python would take it); `null` or
/// absent is `None`.
fn count(object: &Map<String, Value>, key: &str, max: Option<u64>) -> Result<Option<u64>, Error> {
    let Some(value) = object.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let expected = match max {
        Some(max) => format!("a whole number from 0 to {max}"),
        None => "a whole number from 0".to_string(),
    };
    let n = value
        .as_u64()
        .or_else(|| {
            value
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        })
        .filter(|n| max.is_none_or(|max| *n <= max))
        .ok_or_else(|| wrong(key, value, &expected))?;
    Ok(Some(n))
}

/// A string; `null`, absent or empty is `None` (the predecessor tested
/// these options for truth).
fn text_option(object: &Map<String, Value>, key: &str) -> Result<Option<String>, Error> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok((!text.is_empty()).then(|| text.clone())),
        Some(other) => Err(wrong(key, other, "a string")),
    }
}

/// `true` or `false`; `null` and absent are `false`, and so is `0` (and
/// `1` is `true`), as the predecessor tested them for truth.
fn flag(object: &Map<String, Value>, key: &str) -> Result<bool, Error> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(n) if n.as_u64() == Some(0) => Ok(false),
        Some(n) if n.as_u64() == Some(1) => Ok(true),
        Some(other) => Err(wrong(key, other, "true or false")),
    }
}

/// Whether `args` is the JSON form: one argument starting with `{`, before
/// or after `--events-file PATH`, and nothing else. Returns that path, if
/// given, and the JSON text.
pub fn detect(args: &[OsString]) -> Option<(Option<PathBuf>, &str)> {
    let mut events_file = None;
    let mut text = None;
    let mut rest = args.get(1..)?.iter();
    while let Some(arg) = rest.next() {
        match arg.to_str() {
            Some("--events-file") if events_file.is_none() => {
                events_file = Some(PathBuf::from(rest.next()?));
            }
            Some(flag) if flag.starts_with("--events-file=") && events_file.is_none() => {
                events_file = Some(PathBuf::from(&flag["--events-file=".len()..]));
            }
            Some(json) if json.trim_start().starts_with('{') && text.is_none() => text = Some(json),
            _ => return None,
        }
    }
    Some((events_file, text?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_takes_the_events_file_on_either_side() {
        let detect_in = |words: &[&str]| {
            let argv: Vec<OsString> = words.iter().map(OsString::from).collect();
            detect(&argv).map(|(file, text)| (file.map(|f| f.display().to_string()), text.to_string()))
        };
        let json = r#"{"action":"stats"}"#;
        assert_eq!(detect_in(&["enforce", json]), Some((None, json.into())));
        assert_eq!(
            detect_in(&["enforce", "--events-file", "x", json]),
            Some((Some("x".into()), json.into()))
        );
        assert_eq!(
            detect_in(&["enforce", json, "--events-file=x"]),
            Some((Some("x".into()), json.into()))
        );
        assert_eq!(
            detect_in(&["enforce", "--events-file", "{x", json]),
            Some((Some("{x".into()), json.into()))
        );
        assert_eq!(detect_in(&["enforce", json, json]), None);
        assert_eq!(detect_in(&["enforce", json, "--days", "3"]), None);
        assert_eq!(detect_in(&["enforce", "--events-file", "x"]), None);
        assert_eq!(detect_in(&["enforce", json, "--events-file"]), None);
        assert_eq!(
            detect_in(&["enforce", "--events-file", "x", "--events-file", "y", json]),
            None
        );
    }

    #[test]
    fn reads_the_predecessor_calls() {
        let stats = parse(r#"{"action": "stats", "days": 14}"#).unwrap();
        assert_eq!(stats.action, Ok(Action::Stats));
        assert_eq!(stats.days, Some(14));
        let alert = parse(r#"{"action": "alert", "quiet": true}"#).unwrap();
        assert!(alert.quiet);
        let events = parse(r#"{"action": "events", "event_type": "import_blocked", "limit": 10}"#).unwrap();
        assert_eq!(events.event_type.as_deref(), Some("import_blocked"));
        assert_eq!(events.limit, Some(10));
        assert_eq!(events.days_or_default(Action::Events), 1);
        let dashboard = parse(r#"{"action": "dashboard", "output": "docs/dashboard.md"}"#).unwrap();
        assert_eq!(dashboard.output, Some(PathBuf::from("docs/dashboard.md")));
    }

    #[test]
    fn lenient_where_the_predecessor_is() {
        let bare = parse("{}").unwrap();
        assert_eq!(bare.action, Ok(Action::Stats), "no action is stats");
        assert_eq!(bare.days_or_default(Action::Stats), 7);
        assert_eq!(bare.limit, Some(DEFAULT_LIMIT));
        let nulls = parse(
            r#"{"action": "events", "days": null, "event_type": null, "source": "", "limit": null, "quiet": null, "output": null}"#,
        )
        .unwrap();
        assert_eq!(nulls.days, None);
        assert_eq!(nulls.event_type, None);
        assert_eq!(nulls.source, None);
        assert_eq!(nulls.limit, None, "null is no limit");
        assert!(!nulls.quiet);
        // Every option goes with every action; a float day count is whole.
        let score = parse(r#"{"action": "score", "days": 14.0, "dry_run": 0}"#).unwrap();
        assert_eq!(score.days, Some(14));
        assert_eq!(
            parse(r#"{"action": "explode"}"#).unwrap().action,
            Err("explode".into())
        );
        assert_eq!(parse(r#"{"action": 5}"#).unwrap().action, Err("5".into()));
        assert_eq!(parse(r#"{"action": null}"#).unwrap().action, Err("None".into()));
    }

    #[test]
    fn refuses_what_the_predecessor_failed_on() {
        for (text, message) in [
            ("{", "Invalid JSON"),
            ("[1]", "the JSON argument must be an object"),
            (r#"{"action": "stats", "dayz": 1}"#, "unknown key `dayz`"),
            (
                r#"{"action": "stats", "days": "x"}"#,
                "`days` must be a whole number from 0 to 365000, not \"x\"",
            ),
            (
                r#"{"days": 1.5}"#,
                "`days` must be a whole number from 0 to 365000, not 1.5",
            ),
            (
                r#"{"action": "cleanup", "days": 365001}"#,
                "`days` must be a whole number from 0 to 365000, not 365001",
            ),
            (
                r#"{"action": "events", "limit": -1}"#,
                "`limit` must be a whole number from 0, not -1",
            ),
            (
                r#"{"action": "alert", "quiet": "yes"}"#,
                "`quiet` must be true or false, not \"yes\"",
            ),
            (
                r#"{"action": "events", "source": 3}"#,
                "`source` must be a string, not 3",
            ),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.starts_with(message), "{text}: {err}");
        }
    }
}
