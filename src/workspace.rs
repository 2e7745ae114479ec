//! The repository, its config and its events file, resolved once per run.
//!
//! Every command that records or reads events starts here, so the rules for
//! where the log lives and which config applies exist in one place.

use std::path::{Path, PathBuf};

use crate::config::{self, Loaded};
use crate::error::Result;
use crate::event::location::{self, Origin, Settings};
use crate::event::{EventLog, TimestampFormat};
use crate::git::Repo;

#[derive(Debug)]
pub struct Workspace {
    /// The repository around the working directory, if any.
    pub repo: Option<Repo>,
    /// The config in effect (defaults outside a repository).
    pub config: Loaded,
    /// The events file.
    pub events: EventLog,
    /// Which setting chose the events file.
    pub events_origin: Origin,
}

impl Workspace {
    /// Resolves the workspace for `cwd`; `events_flag` is `--events-file`.
    pub fn load(cwd: &Path, events_flag: Option<&Path>) -> Result<Workspace> {
        let repo = Repo::discover(cwd)?;
        let config = match repo.as_ref().and_then(|r| r.root.as_deref()) {
            Some(root) => config::load(root)?,
            None => Loaded::default(),
        };
        let root = repo
            .as_ref()
            .and_then(|r| r.root.clone())
            .unwrap_or_else(|| PathBuf::from("."));
        let config_events = config
            .config
            .telemetry
            .events_file
            .as_ref()
            .map(|f| f.get_ref().as_path());
        let settings = Settings {
            flag: events_flag,
            environment: Settings::environment_value(),
            config: config_events.map(|value| (value, root.as_path())),
            common_dir: repo.as_ref().map(|r| r.common_dir.as_path()),
        };
        let (path, events_origin) = location::resolve(&settings)?;
        Ok(Workspace {
            repo,
            config,
            events: EventLog::new(path),
            events_origin,
        })
    }

    /// How new events' timestamps are written.
    pub fn timestamp_format(&self) -> TimestampFormat {
        self.config.config.telemetry.timestamp_format
    }
}
