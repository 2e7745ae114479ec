//! Where the events file lives.
//!
//! By default inside the repository's *common* git dir, so recording never
//! dirties the work tree and every worktree of a repository shares one log.
//! Stronger settings override it, strongest first: `--events-file`,
//! `ENFORCE_EVENTS_FILE`, `[telemetry] events_file` in `.enforce.toml`
//! (relative to the repository root). Outside any repository the log goes to
//! the user's state directory.

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that names the events file.
pub const EVENTS_FILE_ENV: &str = "ENFORCE_EVENTS_FILE";

/// Which setting chose the events file; shown by `enforce config show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    Config,
    Repository,
    UserState,
}

impl Origin {
    /// The setting's name, as `Display` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Origin::Flag => "--events-file",
            Origin::Environment => EVENTS_FILE_ENV,
            Origin::Config => "[telemetry] events_file",
            Origin::Repository => "default: the repository's common git dir",
            Origin::UserState => "default outside a repository: the user state directory",
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The settings that can name the events file.
#[derive(Debug, Default)]
pub struct Settings<'a> {
    pub flag: Option<&'a Path>,
    pub environment: Option<PathBuf>,
    /// `[telemetry] events_file` with the repository root it is relative to.
    pub config: Option<(&'a Path, &'a Path)>,
    /// The repository's common git dir.
    pub common_dir: Option<&'a Path>,
}

impl Settings<'_> {
    /// Reads `ENFORCE_EVENTS_FILE` (an empty value counts as unset).
    pub fn environment_value() -> Option<PathBuf> {
        env::var_os(EVENTS_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// Resolves the events file path and which setting chose it.
pub fn resolve(settings: &Settings) -> Result<(PathBuf, Origin)> {
    if let Some(path) = settings.flag {
        return Ok((absolute(path)?, Origin::Flag));
    }
    if let Some(path) = &settings.environment {
        return Ok((absolute(path)?, Origin::Environment));
    }
    if let Some((value, root)) = settings.config {
        return Ok((root.join(value), Origin::Config));
    }
    if let Some(common) = settings.common_dir {
        return Ok((crate::git::state::events_file(common), Origin::Repository));
    }
    Ok((
        crate::git::state::user_events_file(&user_state_dir()?),
        Origin::UserState,
    ))
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io("resolve the path", path, e))
}

/// `$XDG_STATE_HOME`, or `~/.local/state` when it is unset or relative
/// (the XDG spec says relative values are to be ignored).
fn user_state_dir() -> Result<PathBuf> {
    if let Some(dir) = env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    {
        return Ok(dir);
    }
    match env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".local").join("state")),
        None => Err(Error::NoEventsLocation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strongest_setting_wins() {
        let root = Path::new("/repo");
        let common = Path::new("/repo/.git");
        let config_value = Path::new("logs/events.jsonl");
        let mut settings = Settings {
            flag: Some(Path::new("/flag.jsonl")),
            environment: Some(PathBuf::from("/env.jsonl")),
            config: Some((config_value, root)),
            common_dir: Some(common),
        };
        assert_eq!(
            resolve(&settings).unwrap(),
            (PathBuf::from("/flag.jsonl"), Origin::Flag)
        );
        settings.flag = None;
        assert_eq!(
            resolve(&settings).unwrap(),
            (PathBuf::from("/env.jsonl"), Origin::Environment)
        );
        settings.environment = None;
        assert_eq!(
            resolve(&settings).unwrap(),
            (PathBuf::from("/repo/logs/events.jsonl"), Origin::Config)
        );
        settings.config = None;
        assert_eq!(
            resolve(&settings).unwrap(),
            (
                PathBuf::from("/repo/.git/enforce/events.jsonl"),
                Origin::Repository
            )
        );
        settings.common_dir = None;
        assert_eq!(resolve(&settings).unwrap().1, Origin::UserState);
    }
}
