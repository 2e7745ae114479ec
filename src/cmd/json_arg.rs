//! Running the JSON-argument form ([`crate::cli::json`]): the result is
//! printed as JSON, and so is any error (`{"error": …, "hint": …}`, exit 2),
//! so a caller parsing the output never has to handle text.

use std::ffi::OsString;

use serde_json::{Map, Value, json};

use crate::cli::json::translate;
use crate::error::{EXIT_ERROR, Error};

/// The JSON printed for an error.
pub fn error_object(err: &Error) -> String {
    let mut object = Map::new();
    object.insert("error".into(), json!(err.to_string()));
    if let Some(hint) = err.hint() {
        object.insert("hint".into(), json!(hint));
    }
    object.insert("exit_code".into(), json!(err.exit_code()));
    crate::view::json(&Value::Object(object))
}

/// Runs the JSON form; errors are printed as JSON on stdout.
pub fn run(globals: Vec<OsString>, text: &str) -> i32 {
    let outcome = translate(text).and_then(|mut argv| {
        argv.splice(1..1, globals);
        let is_dashboard_file = argv.iter().any(|a| a == "dashboard") && !argv.iter().any(|a| a == "--json");
        let code = super::dispatch(argv.clone())?;
        if is_dashboard_file {
            let path = argv
                .iter()
                .skip_while(|a| *a != "--output")
                .nth(1)
                .map(|p| p.to_string_lossy().into_owned());
            crate::output::print(&crate::view::json(
                &json!({ "action": "dashboard", "output": path }),
            ))?;
        }
        Ok(code)
    });
    match outcome {
        Ok(code) => code,
        Err(Error::ClosedPipe) => 0,
        Err(err) => {
            let _ = crate::output::print(&error_object(&err));
            if err.exit_code() == 0 {
                EXIT_ERROR
            } else {
                err.exit_code()
            }
        }
    }
}
