//! The JSON-argument form, `enforce '{"action":"stats","days":14}'`, read
//! as the command line it stands for.
//!
//! Scripts written for the predecessor call enforce this way; the object
//! names an action and that action's options, and becomes the equivalent
//! arguments (`--json` included) for the one parser.

use std::ffi::OsString;

use serde_json::Value;

use crate::error::Error;

/// The options each action accepts, and the flag each maps to.
fn options(action: &str) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match action {
        "stats" => &[("days", "--days"), ("by", "--by")],
        "events" => &[
            ("days", "--days"),
            ("event_type", "--type"),
            ("type", "--type"),
            ("source", "--source"),
            ("limit", "--limit"),
        ],
        "score" => &[],
        "alert" => &[("quiet", "--quiet")],
        "dashboard" => &[("days", "--days"), ("output", "--output")],
        "cleanup" => &[("days", "--days"), ("dry_run", "--dry-run")],
        _ => return None,
    })
}

const ACTIONS: &str = "stats, events, score, alert, dashboard, cleanup";

/// Turns the JSON object into the equivalent command line (`--json`
/// included), or says what is wrong with it.
pub fn translate(text: &str) -> Result<Vec<OsString>, Error> {
    let bad = |message: String, hint: &str| Error::usage(message, hint);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        bad(
            format!("the JSON argument is not valid JSON: {e}"),
            r#"pass one object, e.g. '{"action": "stats", "days": 14}'"#,
        )
    })?;
    let Value::Object(object) = value else {
        return Err(bad(
            "the JSON argument must be an object".into(),
            r#"e.g. '{"action": "score"}'"#,
        ));
    };
    let action = match object.get("action") {
        Some(Value::String(action)) => action.as_str(),
        Some(_) => {
            return Err(bad(
                "`action` must be a string".into(),
                &format!("one of: {ACTIONS}"),
            ));
        }
        None => {
            return Err(bad(
                "the JSON argument has no `action`".into(),
                &format!("add \"action\": one of {ACTIONS}"),
            ));
        }
    };
    let Some(allowed) = options(action) else {
        return Err(bad(
            format!("unknown action `{action}`"),
            &format!("actions: {ACTIONS}"),
        ));
    };
    let mut argv: Vec<OsString> = vec!["enforce".into(), action.into()];
    for (key, value) in &object {
        if key == "action" {
            continue;
        }
        let Some((_, flag)) = allowed.iter().find(|(k, _)| k == key) else {
            let keys: Vec<&str> = allowed.iter().map(|(k, _)| *k).collect();
            return Err(bad(
                format!("unknown key `{key}` for action `{action}`"),
                &if keys.is_empty() {
                    format!("`{action}` takes no options")
                } else {
                    format!("`{action}` takes: {}", keys.join(", "))
                },
            ));
        };
        push_option(&mut argv, key, flag, value)?;
    }
    // The dashboard's Markdown goes to the file; everything else prints JSON.
    if !(action == "dashboard" && object.contains_key("output")) {
        argv.push("--json".into());
    }
    Ok(argv)
}

fn push_option(argv: &mut Vec<OsString>, key: &str, flag: &str, value: &Value) -> Result<(), Error> {
    let wrong = |expected: &str| {
        Error::usage(
            format!("`{key}` must be {expected}, not {value}"),
            r#"e.g. {"action": "events", "days": 3, "limit": 10, "quiet": true}"#,
        )
    };
    match key {
        "days" => {
            let n = value
                .as_u64()
                .filter(|n| *n <= crate::event::window::MAX_DAYS)
                .ok_or_else(|| wrong("a whole number of days, at most 365000"))?;
            argv.push(flag.into());
            argv.push(n.to_string().into());
        }
        "limit" => {
            let n = value.as_u64().ok_or_else(|| wrong("a whole number"))?;
            argv.push(flag.into());
            argv.push(n.to_string().into());
        }
        "quiet" | "dry_run" => {
            if value.as_bool().ok_or_else(|| wrong("true or false"))? {
                argv.push(flag.into());
            }
        }
        "by" => {
            use clap::ValueEnum;
            let text = value.as_str().ok_or_else(|| wrong("a string"))?;
            if crate::report::stats::By::from_str(text, false).is_err() {
                return Err(wrong("one of type, source, rule, user, branch, agent, day"));
            }
            argv.push(flag.into());
            argv.push(text.into());
        }
        _ => {
            let text = value.as_str().ok_or_else(|| wrong("a string"))?;
            argv.push(flag.into());
            argv.push(text.into());
        }
    }
    Ok(())
}

/// Whether `args` is the JSON form: one argument starting with `{`, before
/// or after global options (`--events-file PATH`) and nothing else.
/// Returns those options and the JSON text.
pub fn detect(args: &[OsString]) -> Option<(Vec<OsString>, &str)> {
    let mut globals = Vec::new();
    let mut text = None;
    let mut rest = args.get(1..)?.iter();
    while let Some(arg) = rest.next() {
        match arg.to_str() {
            Some("--events-file") => {
                globals.push(arg.clone());
                globals.push(rest.next()?.clone());
            }
            Some(flag) if flag.starts_with("--events-file=") => globals.push(arg.clone()),
            Some(json) if json.trim_start().starts_with('{') && text.is_none() => text = Some(json),
            _ => return None,
        }
    }
    Some((globals, text?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_form_takes_global_options_on_either_side() {
        let detect_in = |words: &[&str]| {
            let argv: Vec<OsString> = words.iter().map(OsString::from).collect();
            detect(&argv).map(|(globals, text)| (globals.len(), text.to_string()))
        };
        let json = r#"{"action":"stats"}"#;
        assert_eq!(detect_in(&["enforce", json]), Some((0, json.into())));
        assert_eq!(
            detect_in(&["enforce", "--events-file", "x", json]),
            Some((2, json.into()))
        );
        assert_eq!(
            detect_in(&["enforce", json, "--events-file=x"]),
            Some((1, json.into()))
        );
        assert_eq!(
            detect_in(&["enforce", "--events-file", "{x", json]),
            Some((2, json.into()))
        );
        assert_eq!(detect_in(&["enforce", json, json]), None);
        assert_eq!(detect_in(&["enforce", json, "--days", "3"]), None);
        assert_eq!(detect_in(&["enforce", "--events-file", "x"]), None);
        assert_eq!(detect_in(&["enforce", json, "--events-file"]), None);
    }

    fn args(text: &str) -> Vec<String> {
        translate(text)
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn translates_the_predecessor_calls() {
        assert_eq!(
            args(r#"{"action": "stats", "days": 14}"#),
            ["enforce", "stats", "--days", "14", "--json"]
        );
        assert_eq!(args(r#"{"action": "score"}"#), ["enforce", "score", "--json"]);
        assert_eq!(
            args(r#"{"action": "alert", "quiet": true}"#),
            ["enforce", "alert", "--quiet", "--json"]
        );
        assert_eq!(
            args(r#"{"action": "events", "event_type": "import_blocked", "limit": 10}"#),
            [
                "enforce",
                "events",
                "--type",
                "import_blocked",
                "--limit",
                "10",
                "--json"
            ]
        );
        assert_eq!(
            args(r#"{"action": "dashboard", "output": "docs/dashboard.md"}"#),
            ["enforce", "dashboard", "--output", "docs/dashboard.md"]
        );
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        for (text, message) in [
            ("{", "the JSON argument is not valid JSON"),
            ("[1]", "the JSON argument must be an object"),
            ("{}", "the JSON argument has no `action`"),
            (r#"{"action": "explode"}"#, "unknown action `explode`"),
            (
                r#"{"action": "stats", "dayz": 1}"#,
                "unknown key `dayz` for action `stats`",
            ),
            (
                r#"{"action": "stats", "days": "x"}"#,
                "`days` must be a whole number of days, at most 365000, not \"x\"",
            ),
            (
                r#"{"action": "cleanup", "days": 365001}"#,
                "`days` must be a whole number of days, at most 365000, not 365001",
            ),
            (
                r#"{"action": "alert", "quiet": 1}"#,
                "`quiet` must be true or false, not 1",
            ),
        ] {
            let err = translate(text).unwrap_err().to_string();
            assert!(err.starts_with(message), "{text}: {err}");
        }
    }
}
