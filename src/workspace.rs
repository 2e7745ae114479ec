//! The repository, its config and its events file, resolved once per run.
//!
//! Every command that records or reads events starts here, so the rules for
//! where the log lives and which config applies exist in one place.

use std::path::{Path, PathBuf};

use crate::config::{self, Loaded};
use crate::error::{Error, Result};
use crate::event::chain::{Anchored, HEAD_REF, Head, first_line_hash};
use crate::event::location::{self, Origin, Settings};
use crate::event::{EventLog, Recorder, TimestampFormat};
use crate::git::Git;
use crate::notice;

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
        Workspace::load_with(cwd, events_flag, false).map(|(w, _)| w)
    }

    /// Like [`Workspace::load`], but a config that does not validate gives
    /// the defaults (and the error): for hooks that must record a commit
    /// that already exists, whatever state the config is in.
    pub fn load_lenient(cwd: &Path, events_flag: Option<&Path>) -> Result<(Workspace, Option<Error>)> {
        Workspace::load_with(cwd, events_flag, true)
    }

    fn load_with(
        cwd: &Path,
        events_flag: Option<&Path>,
        lenient: bool,
    ) -> Result<(Workspace, Option<Error>)> {
        let git = Git::discover(cwd)?;
        let repo = git.as_ref().map(Git::repo);
        let mut problem = None;
        let config = match repo.and_then(|r| r.root.as_deref()) {
            Some(root) => match config::load(root) {
                Ok(config) => config,
                Err(err @ Error::Config { .. }) if lenient => {
                    problem = Some(err);
                    Loaded::default()
                }
                Err(err) => return Err(err),
            },
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
        Ok((
            Workspace {
                git,
                config,
                events: EventLog::new(path),
                events_origin,
            },
            problem,
        ))
    }

    /// The repository; an error naming `cwd` when there is none.
    pub fn require_git(&self, cwd: &Path) -> Result<&Git> {
        self.git.as_ref().ok_or_else(|| Error::NotARepository {
            path: cwd.to_path_buf(),
        })
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

    /// What the repository's ref records for this workspace's events
    /// file, if anything.
    pub fn anchored(&self) -> Option<Anchored> {
        let git = self.git.as_ref()?;
        let anchored = Anchored::from_ref_text(&git.read_ref_blob(HEAD_REF)?)?;
        (anchored.file == self.events.path().display().to_string()).then_some(anchored)
    }

    /// Points the ref at the log as it is now, first line included: for
    /// `cleanup`, which rewrites the start of the log on purpose.
    pub fn reanchor(&self) {
        let (Some(git), Ok(file)) = (&self.git, std::fs::File::open(self.events.path())) else {
            return;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let Ok(next) = crate::event::chain::next_link(&file, len) else {
            return;
        };
        let anchored = Anchored {
            head: Head {
                seq: next.seq.saturating_sub(1),
                hash: next.prev,
            },
            file: self.events.path().display().to_string(),
            first: first_line_hash(self.events.path()),
        };
        if let Err(e) = git.update_ref_blob(HEAD_REF, "enforce: log cleaned up", |_| {
            Some(anchored.to_ref_text().into_bytes())
        }) {
            notice::warning(format!("could not update `{HEAD_REF}`: {e}"));
        }
    }

    /// A recorder into this workspace's log, for `source`.
    pub fn recorder(&self, source: &str) -> Recorder {
        Recorder::new(self.events.clone(), self.timestamp_format(), source)
    }
}

/// Keeps `head` of the events file `file` in the repository's
/// `refs/enforce/head`, unless the ref already names a later head of the
/// same file. It never moves to a log whose first line is not the one it
/// recorded (a log deleted and started anew, or cut at the start): that
/// evidence stays for `enforce verify`. Best effort otherwise: the log
/// itself is the record.
pub fn publish_head(git: &Git, file: &Path, head: Option<Head>) {
    let Some(head) = head else {
        return;
    };
    let name = file.display().to_string();
    let first = first_line_hash(file);
    let anchored = Anchored {
        head: head.clone(),
        file: name.clone(),
        first: first.clone(),
    };
    let replaced = std::cell::Cell::new(false);
    let result = git.update_ref_blob(HEAD_REF, "enforce: log head", |current| {
        if let Some(known) = current
            .and_then(Anchored::from_ref_text)
            .filter(|k| k.file == name)
        {
            if known.first.is_some() && first.is_some() && known.first != first {
                replaced.set(true);
                return None;
            }
            if known.head.seq >= head.seq {
                return None;
            }
        }
        Some(anchored.to_ref_text().into_bytes())
    });
    if replaced.get() {
        notice::warning(format!(
            "{name} does not start with the line `{HEAD_REF}` recorded: the log was replaced or cut at the start"
        ));
        notice::hint(format!(
            "`enforce verify` shows it; if that was meant, `git update-ref -d {HEAD_REF}` accepts the log as it is"
        ));
    }
    if let Err(e) = result {
        notice::warning(format!("could not update `{HEAD_REF}`: {e}"));
    }
}
