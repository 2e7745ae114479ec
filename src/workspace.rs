//! The repository, its config and its events file, resolved once per run.
//!
//! Every command that records or reads events starts here, so the rules for
//! where the log lives and which config applies exist in one place.

use std::path::{Path, PathBuf};

use crate::config::{self, Loaded};
use crate::error::{Error, Result};
use crate::event::chain::{HEAD_REF, Head};
use crate::event::location::{self, Origin, Settings};
use crate::event::{EventLog, Recorder, TimestampFormat};
use crate::git::{Git, Repo};

pub struct Workspace {
    /// The repository around the working directory, if any.
    pub git: Option<Git>,
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
        let git = Git::discover(cwd)?;
        let repo = git.as_ref().map(Git::repo);
        let config = match repo.and_then(|r| r.root.as_deref()) {
            Some(root) => config::load(root)?,
            None => Loaded::default(),
        };
        let root = repo
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
            common_dir: repo.map(|r| r.common_dir.as_path()),
        };
        let (path, events_origin) = location::resolve(&settings)?;
        Ok(Workspace {
            git,
            config,
            events: EventLog::new(path),
            events_origin,
        })
    }

    /// The repository; an error naming `cwd` when there is none.
    pub fn require_git(&self, cwd: &Path) -> Result<&Git> {
        self.git.as_ref().ok_or_else(|| Error::NotARepository {
            path: cwd.to_path_buf(),
        })
    }

    pub fn repo(&self) -> Option<&Repo> {
        self.git.as_ref().map(Git::repo)
    }

    /// How new events' timestamps are written.
    pub fn timestamp_format(&self) -> TimestampFormat {
        self.config.config.telemetry.timestamp_format
    }

    /// Keeps `head` in the repository's `refs/enforce/head`, unless the ref
    /// already names a later head of the same file. Best effort: the log
    /// itself is the record, the ref only lets a truncated tail be noticed.
    pub fn publish_head(&self, head: Option<Head>) {
        if let Some(git) = &self.git {
            publish_head(git, self.events.path(), head);
        }
    }

    /// The head the repository's ref names for this workspace's events
    /// file, if any.
    pub fn anchored_head(&self) -> Option<Head> {
        let git = self.git.as_ref()?;
        let (head, file) = Head::from_ref_text(&git.read_ref_blob(HEAD_REF)?)?;
        (file == self.events.path().display().to_string()).then_some(head)
    }

    /// A recorder into this workspace's log, for `source`.
    pub fn recorder(&self, source: &str) -> Recorder {
        Recorder::new(self.events.clone(), self.timestamp_format(), source)
    }
}

/// Keeps `head` of the events file `file` in the repository's
/// `refs/enforce/head`, unless the ref already names a later head of the
/// same file. Best effort: the log itself is the record; the ref only lets
/// a truncated tail be noticed, and can be pushed and compared elsewhere.
pub fn publish_head(git: &Git, file: &Path, head: Option<Head>) {
    let Some(head) = head else {
        return;
    };
    let name = file.display().to_string();
    let text = head.to_ref_text(file);
    let result = git.update_ref_blob(HEAD_REF, "enforce: log head", |current| {
        let newer = current
            .and_then(Head::from_ref_text)
            .is_some_and(|(known, known_file)| known_file == name && known.seq >= head.seq);
        (!newer).then(|| text.clone().into_bytes())
    });
    if let Err(e) = result {
        eprintln!("enforce: warning: could not update `{HEAD_REF}`: {e}");
    }
}
