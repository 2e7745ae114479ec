//! What every hook needs: the repository, the config, the recorder, and the
//! facts that go into every event (branch, user).

use std::borrow::Cow;
use std::path::Path;

use serde_json::{Map, Value};

use super::HookName;
use super::attempt::{Attempt, Attempts};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::event::Recorder;
use crate::git::{Git, Head};
use crate::workspace::Workspace;

/// The detail that ties together the events of one commit attempt
/// (pre-commit, commit-msg, post-commit; the receipt's `attempt`).
pub const ATTEMPT_ID: &str = "attempt_id";

/// The state one hook run works with.
pub struct HookContext {
    pub git: Git,
    pub config: Config,
    pub recorder: Recorder,
    pub head: Head,
    /// `Name <email>` of who commits.
    pub user: String,
    /// The id of this commit attempt, shared by its events and receipt.
    pub attempt: String,
    /// The note the attempt's earlier hooks left (read once, here; always
    /// `None` in pre-commit, which starts the attempt).
    pub noted: Option<Attempt>,
    /// The ref that anchors the events file.
    anchor_ref: String,
    /// The work tree's `.enforce.toml` as read, to compare with the
    /// committed one.
    config_text: Option<String>,
    /// The repository's own log, when `--events-file` or
    /// `ENFORCE_EVENTS_FILE` sends this hook's events elsewhere, and which
    /// of them did.
    elsewhere: Option<(std::path::PathBuf, &'static str)>,
}

impl HookContext {
    pub fn load(hook: HookName) -> Result<HookContext> {
        let cwd = std::env::current_dir().map_err(|e| Error::io("read the current directory", ".", e))?;
        // The commit exists by the time post-commit runs: a config that does
        // not validate must not stop it from being recorded (with the
        // defaults), least of all a commit that skipped the checks.
        let after_commit = matches!(
            hook,
            HookName::PostCommit | HookName::PostMerge | HookName::PostRewrite
        );
        let (workspace, problem) = if after_commit {
            Workspace::load_lenient(&cwd, None)?
        } else {
            (Workspace::load(&cwd, None)?, None)
        };
        let recorder = workspace.recorder(hook.as_str());
        if let Some(problem) = &problem {
            crate::notice::warning(format!("{problem}; recording this commit with the default rules"));
            recorder.record(
                crate::event::types::CONFIG_INVALID,
                crate::event::details(serde_json::json!({ "problem": problem.to_string() })),
            );
        }
        let anchor_ref = workspace.anchor_ref();
        let elsewhere = workspace
            .elsewhere()
            .then(|| (workspace.default_events.clone(), workspace.events_origin.name()));
        let config_text = workspace.config.text.clone();
        let Workspace { git, config, .. } = workspace;
        let git = git.ok_or(Error::NotARepository { path: cwd })?;
        let head = git.head()?;
        let user = git.user();
        let git_pid = crate::git::git_process_id();
        // pre-commit starts an attempt; the later hooks of the same `git
        // commit` find its note.
        let noted = match hook {
            HookName::PreCommit | HookName::PreMergeCommit => None,
            _ => Attempts::new(&git.repo().git_dir).get(git_pid),
        };
        let attempt = noted
            .as_ref()
            .map(|a| a.id.clone())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| super::attempt::new_id(git_pid));
        Ok(HookContext {
            attempt,
            noted,
            anchor_ref,
            config_text,
            elsewhere,
            git,
            config: config.config,
            recorder,
            head,
            user,
        })
    }

    /// `branch` and `user`, the fields every commit event carries.
    pub fn base_details(&self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("branch".into(), Value::from(self.head.branch.as_str()));
        map.insert("user".into(), Value::from(self.user.as_str()));
        map.insert(ATTEMPT_ID.into(), Value::from(self.attempt.as_str()));
        map
    }

    /// [`base_details`](Self::base_details) plus `files` and `file_count`.
    pub fn file_details(&self, files: &[String], file_count: usize) -> Map<String, Value> {
        let mut map = self.base_details();
        map.insert("files".into(), Value::from(files.to_vec()));
        map.insert("file_count".into(), Value::from(file_count));
        map
    }
}

impl HookContext {
    /// The policy a change from tree `base` (`None`: the first commit) to
    /// `tree` is judged under: the config in effect, unless the change
    /// edits `.enforce.toml` itself, which is judged under the policy
    /// committed in `base`. A commit cannot switch off the rules that
    /// judge it.
    pub fn policy_for(&self, base: Option<&str>, tree: &str) -> Cow<'_, Config> {
        policy_for(&self.git, &self.config, self.config_text.as_deref(), base, tree)
    }

    /// The work tree's `.enforce.toml` text, if there is one.
    pub fn config_text(&self) -> Option<&str> {
        self.config_text.as_deref()
    }

    /// For a hook that passes before the commit's last hook: publishes the
    /// head only if this hook's events began the log, since the anchor is
    /// created only by the appends that start a log (see
    /// [`crate::workspace::publish_head`]); otherwise the last hook does.
    pub fn publish_head_if_started(&self) {
        if self.recorder.started_log() {
            self.publish_head();
        }
    }

    /// Publishes the log's new head to `refs/enforce/head`: once per
    /// commit, by the commit's last hook (post-commit, or a hook that
    /// blocks it). Moving the ref costs a blob and a ref write; the last
    /// hook's head covers the events of the earlier ones.
    ///
    /// When the events went elsewhere, the repository's own log says so
    /// (`events_elsewhere`), so a commit recorded in a file nobody reads
    /// still leaves a trace where the team looks.
    pub fn publish_head(&self) {
        let log = self.recorder.log().path();
        crate::workspace::publish_head(
            &self.git,
            &self.anchor_ref,
            log,
            self.recorder.head(),
            self.recorder.started_log(),
        );
        if let Some((default, origin)) = &self.elsewhere {
            let recorder = crate::event::Recorder::new(
                crate::event::EventLog::new(default.clone()),
                self.config.telemetry.timestamp_format,
                self.recorder.source(),
            );
            let mut details = self.base_details();
            details.insert("file".into(), Value::from(log.display().to_string()));
            details.insert("chosen_by".into(), Value::from(*origin));
            recorder.record(crate::event::types::EVENTS_ELSEWHERE, details);
            crate::workspace::publish_head(
                &self.git,
                crate::event::chain::HEAD_REF,
                default,
                recorder.head(),
                recorder.started_log(),
            );
        }
    }
}

/// The policy a change from tree `base` to `tree` is judged under, given
/// `config`, the config in effect, read from the work tree as
/// `worktree_text`: see [`HookContext::policy_for`]. Also what `enforce
/// review` asks, so an approval is made for the policy the hook will apply.
///
/// A change that leaves `.enforce.toml` alone is judged under the config
/// committed in `base`: an edit nobody committed (`mode = "off"` in the
/// work tree) does not switch the rules off; post-commit records it as a
/// proposal, and a weakening one as `rule_weakened`. Only where no config
/// is committed does the work tree's apply. A change that edits
/// `.enforce.toml` is judged under the policy committed in `base` too: a
/// commit cannot switch off the rules that judge it.
pub fn policy_for<'a>(
    git: &Git,
    config: &'a Config,
    worktree_text: Option<&str>,
    base: Option<&str>,
    tree: &str,
) -> Cow<'a, Config> {
    let path = Path::new(crate::config::FILE_NAME);
    let committed = base.and_then(|t| git.blob_at(t, path));
    let unchanged = git.blob_at(tree, path) == committed;
    let same_as_worktree = match (&committed, worktree_text) {
        (None, _) => true,
        (Some(bytes), Some(text)) => bytes.as_slice() == text.as_bytes(),
        (Some(_), None) => false,
    };
    if unchanged && same_as_worktree {
        return Cow::Borrowed(config);
    }
    match crate::config::committed(committed.as_deref()) {
        Ok(config) => Cow::Owned(config),
        Err(err) => {
            crate::notice::warning(format!(
                "the .enforce.toml committed before this change does not validate ({err}); judging this change under the built-in defaults"
            ));
            Cow::Owned(Config::default())
        }
    }
}

/// Whether an escape-hatch variable is set to a true value
/// (`1`, `true`, `yes`, any case).
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// The reason given for a skip in `PILOT_SKIP_REASON`, or `default`.
pub fn skip_reason(default: &str) -> String {
    std::env::var("PILOT_SKIP_REASON")
        .ok()
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Merges `extra` into `base`.
pub fn with(mut base: Map<String, Value>, extra: Value) -> Map<String, Value> {
    if let Value::Object(extra) = extra {
        base.extend(extra);
    }
    base
}
