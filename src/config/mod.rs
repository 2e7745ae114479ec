//! `.enforce.toml`: the repository's rules and settings.
//!
//! Every key is optional and a missing file means the built-in defaults. Any
//! unknown key is an error rather than a warning: a misspelt key would
//! otherwise leave a rule silently at its default, which for an enforcement
//! tool is the worst failure. Errors carry `file:line:column`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::error::{Error, Result};
use crate::event::TimestampFormat;

/// The config file's name, at the root of the work tree.
pub const FILE_NAME: &str = ".enforce.toml";

/// The commented default that `enforce install` writes.
pub const TEMPLATE: &str = include_str!("../../templates/enforce.toml");

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub telemetry: Telemetry,
}

/// `[telemetry]`: where and how events are recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Telemetry {
    /// The events file, relative to the repository root unless absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_file: Option<Spanned<PathBuf>>,
    /// How timestamps are written.
    pub timestamp_format: TimestampFormat,
}

/// A configuration and the file it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    /// The file that was read; `None` when the built-in defaults apply.
    pub path: Option<PathBuf>,
}

/// Loads `.enforce.toml` from the work tree root `root`, or the defaults
/// when there is no such file.
pub fn load(root: &Path) -> Result<Loaded> {
    let path = root.join(FILE_NAME);
    let text = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(Error::io("read the config file", path, e)),
    };
    let text = String::from_utf8(text).map_err(|e| {
        let (line, column) = line_column(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        Error::Config {
            path: path.clone(),
            line,
            column,
            message: "the file is not valid UTF-8".into(),
        }
    })?;
    let config = parse(&text, &path)?;
    Ok(Loaded {
        config,
        path: Some(path),
    })
}

/// Parses and validates config text; `path` is only used in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |span| span.start);
        error_at(text, path, at, e.message().trim_end())
    })?;
    validate(&config, text, path)?;
    Ok(config)
}

/// Checks what the types alone cannot.
fn validate(config: &Config, text: &str, path: &Path) -> Result<()> {
    if let Some(file) = &config.telemetry.events_file
        && file.get_ref().as_os_str().is_empty()
    {
        return Err(error_at(
            text,
            path,
            file.span().start,
            "`events_file` is empty: name a file, or remove the key to use the default",
        ));
    }
    Ok(())
}

fn error_at(text: &str, path: &Path, offset: usize, message: &str) -> Error {
    let (line, column) = line_column(text, offset);
    Error::Config {
        path: path.to_path_buf(),
        line,
        column,
        message: message.to_string(),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

impl Config {
    /// The configuration as TOML, for `enforce config show`.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> (usize, usize, String) {
        match parse(text, Path::new("x.toml")) {
            Err(Error::Config {
                line,
                column,
                message,
                ..
            }) => (line, column, message),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn template_is_the_default() {
        let parsed = parse(TEMPLATE, Path::new("template")).unwrap();
        assert_eq!(parsed.to_toml(), Config::default().to_toml());
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(
            parse("", Path::new("x")).unwrap().to_toml(),
            Config::default().to_toml()
        );
    }

    #[test]
    fn unknown_keys_are_errors_with_position() {
        let (line, column, message) =
            error("[telemetry]\ntimestamp_format = \"naive\"\nevnts_file = \"x\"\n");
        assert_eq!((line, column), (3, 1));
        assert!(message.contains("unknown field `evnts_file`"), "{message}");

        let (line, column, message) = error("\n[telemtry]\n");
        assert_eq!((line, column), (2, 2));
        assert!(message.contains("telemtry"), "{message}");
    }

    #[test]
    fn bad_values_and_syntax_have_positions() {
        let (line, column, message) = error("[telemetry]\ntimestamp_format = \"iso\"\n");
        assert_eq!((line, column), (2, 20));
        assert!(message.contains("rfc3339"), "{message}");

        let (line, _, _) = error("[telemetry\n");
        assert_eq!(line, 1);

        let (line, column, message) = error("[telemetry]\n  events_file = \"\"\n");
        assert_eq!((line, column), (2, 17));
        assert!(message.contains("empty"), "{message}");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("ab\néé=x", 8), (2, 4));
    }
}
