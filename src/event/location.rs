//! Where the events file lives.
//!
//! By default inside the repository's *common* git dir, so recording never
//! dirties the work tree and every worktree of a repository shares one log.
//! Stronger settings override it, strongest first: `--events-file`,
//! `ENFORCE_EVENTS_FILE`, `[telemetry] events_file` in `.enforce.toml`
//! (relative to the repository root). Outside any repository the log goes to
//! the user's state directory.
//!
//! A repository the Python predecessor recorded into keeps its log at
//! `data/enforcement_events.jsonl` in the work tree. Until enforce has a log
//! of its own there, that file is the repository's log, for every command
//! alike (the hooks append to it, the reports read it), so moving a cron
//! line over from the predecessor changes nothing it sees.

use std::env;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable that names the events file.
pub const EVENTS_FILE_ENV: &str = "ENFORCE_EVENTS_FILE";

/// Where the predecessor kept its log, relative to the work tree root.
pub const PREDECESSOR_FILE: &str = "data/enforcement_events.jsonl";

/// Which setting chose the events file; shown by `enforce config show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Environment,
    Config,
    Repository,
    /// The predecessor's `data/enforcement_events.jsonl`, in a repository
    /// where enforce has no log of its own yet.
    Predecessor,
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
            Origin::Predecessor => "default: the predecessor's log, as enforce has none of its own here yet",
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
#[derive(Default)]
pub struct Settings<'a> {
    pub flag: Option<&'a Path>,
    pub environment: Option<PathBuf>,
    /// `[telemetry] events_file` with the repository root it is relative to.
    pub config: Option<(&'a Path, &'a Path)>,
    /// The repository's common git dir.
    pub common_dir: Option<&'a Path>,
    /// The work tree root, where the predecessor kept its log.
    pub root: Option<&'a Path>,
    /// Whether the repository's anchor (`refs/enforce/head`) names enforce's
    /// own log at this path: asked only when that log is missing. A log
    /// that was started and is gone was deleted; the predecessor's file
    /// must not quietly take its place.
    pub own_log_started: Option<&'a dyn Fn(&Path) -> bool>,
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
        let own = crate::git::state::events_file(common);
        if let Some(old) = predecessor_log(settings)
            && !exists(&own)
            && !settings.own_log_started.is_some_and(|started| started(&own))
        {
            return Ok((old, Origin::Predecessor));
        }
        return Ok((own, Origin::Repository));
    }
    Ok((
        crate::git::state::user_events_file(&user_state_dir()?),
        Origin::UserState,
    ))
}

/// The predecessor's log in the work tree, when there is one.
fn predecessor_log(settings: &Settings) -> Option<PathBuf> {
    let path = settings.root?.join(PREDECESSOR_FILE);
    path.is_file().then_some(path)
}

/// Whether anything is at `path` (a dangling link included).
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The other log a report should warn about: the predecessor's file, when
/// the repository's own log was chosen by default and that file exists
/// too. Its events are in neither report nor hook of enforce's.
pub fn also_present(settings: &Settings, origin: Origin) -> Option<PathBuf> {
    (origin == Origin::Repository)
        .then(|| predecessor_log(settings))
        .flatten()
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
            ..Settings::default()
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

    #[test]
    fn the_predecessors_log_is_the_log_until_enforce_has_one() {
        let dir = std::env::temp_dir().join(format!("enforce-location-{}", std::process::id()));
        let common = dir.join(".git");
        let old = dir.join(PREDECESSOR_FILE);
        std::fs::create_dir_all(old.parent().unwrap()).unwrap();
        std::fs::create_dir_all(&common).unwrap();
        let own = crate::git::state::events_file(&common);
        let never: &dyn Fn(&Path) -> bool = &|_| false;
        let started: &dyn Fn(&Path) -> bool = &|_| true;
        let settings = |anchored| Settings {
            common_dir: Some(&common),
            root: Some(&dir),
            own_log_started: Some(anchored),
            ..Settings::default()
        };

        // No predecessor's file: enforce's own log, even before it exists.
        assert_eq!(
            resolve(&settings(never)).unwrap(),
            (own.clone(), Origin::Repository)
        );
        std::fs::write(&old, "").unwrap();
        assert_eq!(
            resolve(&settings(never)).unwrap(),
            (old.clone(), Origin::Predecessor)
        );
        assert_eq!(also_present(&settings(never), Origin::Predecessor), None);
        // enforce's log was started and is gone: deleted, not replaced.
        assert_eq!(
            resolve(&settings(started)).unwrap(),
            (own.clone(), Origin::Repository)
        );

        // Both: enforce's own, and the other is named.
        std::fs::create_dir_all(own.parent().unwrap()).unwrap();
        std::fs::write(&own, "").unwrap();
        assert_eq!(resolve(&settings(never)).unwrap(), (own, Origin::Repository));
        assert_eq!(
            also_present(&settings(never), Origin::Repository),
            Some(old.clone())
        );
        // A stronger setting is a choice: nothing to warn about.
        assert_eq!(also_present(&settings(never), Origin::Flag), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
