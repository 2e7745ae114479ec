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
    /// The repository's own log: the events file without `--events-file`
    /// and `ENFORCE_EVENTS_FILE`, which `refs/enforce/head` anchors.
    pub default_events: PathBuf,
    /// The predecessor's log, when it exists beside the repository's own
    /// log that was chosen by default: reports warn that they skip it.
    pub other_events: Option<PathBuf>,
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
        let own_log_started = |own: &Path| {
            git.as_ref()
                .and_then(|g| g.read_ref_blob(HEAD_REF))
                .and_then(|text| Anchored::from_ref_text(&text))
                .is_some_and(|anchored| Path::new(&anchored.file) == own)
        };
        let settings = Settings {
            flag: events_flag,
            environment: Settings::environment_value(),
            config: config_events.map(|value| (value, root.as_path())),
            common_dir: repo.map(|r| r.common_dir.as_path()),
            root: repo.and_then(|r| r.root.as_deref()),
            own_log_started: Some(&own_log_started),
        };
        let (path, events_origin) = location::resolve(&settings)?;
        let other_events = location::also_present(&settings, events_origin);
        let default_events = match events_origin {
            Origin::Flag | Origin::Environment => {
                location::resolve(&Settings {
                    flag: None,
                    environment: None,
                    ..settings
                })?
                .0
            }
            _ => path.clone(),
        };
        Ok((
            Workspace {
                git,
                config,
                events: EventLog::new(path),
                events_origin,
                default_events,
                other_events,
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
    /// `started_log`: whether these appends began the log (see
    /// [`publish_head`]).
    pub fn publish_head(&self, head: Option<Head>, started_log: bool) {
        if let Some(git) = &self.git {
            publish_head(git, &self.anchor_ref(), self.events.path(), head, started_log);
        }
    }

    /// The ref that anchors this workspace's events file: each log has
    /// its own, so recording into another file (`ENFORCE_EVENTS_FILE`)
    /// never moves the repository log's anchor away.
    pub fn anchor_ref(&self) -> String {
        anchor_ref(self.events.path(), &self.default_events)
    }

    /// Whether the events go somewhere other than the repository's own log.
    pub fn elsewhere(&self) -> bool {
        self.events.path() != self.default_events.as_path()
    }

    /// What the repository's ref records for this workspace's events
    /// file, if anything.
    pub fn anchored(&self) -> Option<Anchored> {
        let git = self.git.as_ref()?;
        let anchored = Anchored::from_ref_text(&git.read_ref_blob(&self.anchor_ref())?)?;
        (anchored.file == self.events.path().display().to_string()).then_some(anchored)
    }

    /// Points the ref at the log as it is now, first line included: for
    /// `cleanup`, which rewrites the start of the log on purpose, and
    /// `verify --reanchor`. Whether the ref was written.
    pub fn reanchor(&self, message: &str) -> bool {
        let (Some(git), Ok(file)) = (&self.git, std::fs::File::open(self.events.path())) else {
            return false;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let Ok(next) = crate::event::chain::next_link(&file, len) else {
            return false;
        };
        // The checkpoints in the log as it is are the ones accepted.
        let checkpoints = crate::event::chain::verify(self.events.path(), Some(&file), None)
            .ok()
            .map(|(verification, _)| {
                verification
                    .checkpoint_hashes
                    .into_iter()
                    .map(|(_, hash)| hash)
                    .collect()
            });
        let anchored = Anchored {
            head: Head {
                seq: next.seq.saturating_sub(1),
                hash: next.prev,
            },
            file: self.events.path().display().to_string(),
            first: first_line_hash(self.events.path()),
            checkpoints,
        };
        let refname = self.anchor_ref();
        match git.update_ref_blob(&refname, message, |_| Some(anchored.to_ref_text().into_bytes())) {
            Ok(()) => true,
            Err(e) => {
                notice::warning(format!("could not update `{refname}`: {e}"));
                false
            }
        }
    }

    /// A recorder into this workspace's log, for `source`.
    pub fn recorder(&self, source: &str) -> Recorder {
        Recorder::new(self.events.clone(), self.timestamp_format(), source)
    }
}

/// Keeps `head` of the events file `file` in `refname`, unless the ref
/// already names a later head of the same file. It never moves to a log
/// whose first line is not the one it recorded (a log deleted and started
/// anew, or cut at the start), and it is never created for a log that
/// had chained events before these appends (`started_log` false: the ref
/// was deleted, or the log predates it): that evidence stays for `enforce verify`, and only
/// `enforce verify --reanchor` anchors such a log, recording that it did.
/// Best effort otherwise: the log itself is the record.
pub fn publish_head(git: &Git, refname: &str, file: &Path, head: Option<Head>, started_log: bool) {
    let Some(head) = head else {
        return;
    };
    let name = file.display().to_string();
    let first = first_line_hash(file);
    let text = |checkpoints: Option<Vec<String>>| {
        Anchored {
            head: head.clone(),
            file: name.clone(),
            first: first.clone(),
            checkpoints,
        }
        .to_ref_text()
        .into_bytes()
    };
    let replaced = std::cell::Cell::new(false);
    let unanchored = std::cell::Cell::new(false);
    let update = || {
        git.update_ref_blob(refname, "enforce: log head", |current| {
            let Some(current) = current else {
                if !started_log {
                    unanchored.set(true);
                    return None;
                }
                // A log that starts now has no checkpoints.
                return Some(text(Some(Vec::new())));
            };
            let Some(known) = Anchored::from_ref_text(current).filter(|k| k.file == name) else {
                return Some(text(None));
            };
            if known.first.is_some() && first.is_some() && known.first != first {
                replaced.set(true);
                return None;
            }
            if known.head.seq >= head.seq {
                return None;
            }
            // Appends write no checkpoint: the ones cleanup wrote stay.
            Some(text(known.checkpoints))
        })
    };
    let mut result = update();
    // A missing ref while another process is about to create it: the one
    // whose append started the log publishes after its lock is released,
    // so a concurrent writer can get here first. Only on that path, give
    // it a moment before calling the log unanchored. A log that long
    // (more than a few commits' events) is in no such race: waiting there
    // made every append to an unanchored large log 500 ms slower.
    let young = head.seq <= 256;
    for _ in 0..50 {
        if !unanchored.get() || !young {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        if git.read_ref_blob(refname).is_some() {
            unanchored.set(false);
            result = update();
        }
    }
    if replaced.get() {
        notice::warning(format!(
            "{name} does not start with the line `{refname}` recorded: the log was replaced or cut at the start"
        ));
        notice::hint(REANCHOR_HINT);
    }
    if unanchored.get() {
        notice::warning(format!(
            "{name} has events but no `{refname}`: nothing outside the log records where it ends, so a cut would not show"
        ));
        notice::hint(REANCHOR_HINT);
    }
    if let Err(e) = result {
        notice::warning(format!("could not update `{refname}`: {e}"));
    }
}

/// How a log whose anchor is gone or disagrees is accepted as it is.
pub const REANCHOR_HINT: &str = "`enforce verify` shows why; if the log is as it should be, `enforce verify --reanchor` anchors it (recorded as `log_reanchored`)";

/// The ref that anchors the events file `file`: `refs/enforce/head` for
/// the repository's own log (`default`), one per file under
/// `refs/enforce/logs/` for any other.
pub fn anchor_ref(file: &Path, default: &Path) -> String {
    if file == default {
        return HEAD_REF.to_string();
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(file.as_os_str().as_encoded_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("refs/enforce/logs/{hex}")
}
