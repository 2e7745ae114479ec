//! A repository with enforce installed, and helpers to commit and read the
//! events each step recorded.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Ran, Sandbox, Test, TestRepo, run};

/// One recorded event: its type and details.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub event_type: String,
    pub source: String,
    pub details: Value,
}

pub struct HookRepo {
    pub sandbox: Sandbox,
    pub repo: TestRepo,
    /// How many event lines earlier steps already looked at.
    seen: usize,
}

impl HookRepo {
    /// A fresh repository with `enforce install` done and `config` as
    /// `.enforce.toml` (excluded from commits through .git/info/exclude).
    pub fn new(config: &str) -> HookRepo {
        let sandbox = Sandbox::new();
        let repo = sandbox.repo("repo");
        let hook_repo = HookRepo {
            sandbox,
            repo,
            seen: 0,
        };
        hook_repo.install(&hook_repo.repo.root, config);
        hook_repo
    }

    pub fn install(&self, root: &Path, config: &str) {
        self.sandbox
            .test(root)
            .args(["install", "--no-config"])
            .stdout_ignored()
            .run();
        std::fs::write(root.join(".enforce.toml"), config).unwrap();
        let exclude = root.join(".git/info/exclude");
        if exclude.parent().unwrap().exists() {
            std::fs::write(exclude, ".enforce.toml\n").unwrap();
        }
    }

    pub fn root(&self) -> &Path {
        &self.repo.root
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.repo.path(rel)
    }

    pub fn write(&self, rel: &str, content: &str) {
        self.repo.write(rel, content);
    }

    /// `git args…` in the repository, asserting success.
    pub fn git(&self, args: &[&str]) -> String {
        self.sandbox.git(self.root(), args)
    }

    /// `git args…` in `dir`, returning the outcome.
    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Ran {
        run(self.sandbox.command("git", dir).args(args))
    }

    /// A [`Test`] of `git commit -m <subject>` with the Agent trailer.
    pub fn commit(&self, subject: &str) -> Test {
        self.git_test(&["commit", "-q", "-m", subject, "-m", "Agent: test-agent"])
    }

    /// A [`Test`] of `git args…` in the repository.
    pub fn git_test(&self, args: &[&str]) -> Test {
        self.sandbox.test_git(self.root()).args(args)
    }

    /// A [`Test`] of `enforce` in the repository.
    pub fn test(&self) -> Test {
        self.sandbox.test(self.root())
    }

    /// The JSON that `enforce args…` prints, asserting that it succeeds
    /// quietly.
    pub fn json(&self, args: &[&str]) -> Value {
        self.json_exiting(0, args)
    }

    /// The JSON that `enforce args…` prints, asserting that it exits with
    /// `code` and says nothing on stderr.
    pub fn json_exiting(&self, code: i32, args: &[&str]) -> Value {
        let ran = self.test().args(args).status(code).stdout_ignored().run();
        serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", ran.stdout))
    }

    /// `enforce args…` in the repository.
    pub fn enforce(&self, args: &[&str]) -> Ran {
        run(self.sandbox.enforce(self.root()).args(args))
    }

    /// Stages `rel` with `content`.
    pub fn stage(&self, rel: &str, content: &str) {
        self.write(rel, content);
        self.git(&["add", "--", rel]);
    }

    /// Approves what is staged, asserting success.
    pub fn approve(&self) {
        self.test().args(["review", "approve"]).stdout_ignored().run();
    }

    /// Stages `rel`, approves it and commits it as an agent, asserting
    /// that the commit passes.
    pub fn commit_reviewed(&self, rel: &str, content: &str) {
        self.stage(rel, content);
        self.approve();
        self.commit(&format!("add {rel}")).run();
    }

    /// All events recorded so far, but the hooks' `hook_summary` lines
    /// (see [`HookRepo::summaries`]): the tests of a rule look at the
    /// events of its decisions.
    pub fn all_events(&self) -> Vec<Recorded> {
        self.every_event()
            .into_iter()
            .filter(|e| e.event_type != "hook_summary")
            .collect()
    }

    /// The `hook_summary` events recorded so far.
    pub fn summaries(&self) -> Vec<Recorded> {
        self.every_event()
            .into_iter()
            .filter(|e| e.event_type == "hook_summary")
            .collect()
    }

    /// Every event recorded so far, in log order.
    pub fn every_event(&self) -> Vec<Recorded> {
        let path = self.repo.events_file();
        let Ok(text) = std::fs::read_to_string(path) else {
            return Vec::new();
        };
        text.lines()
            .map(|line| {
                let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                Recorded {
                    event_type: value["event_type"].as_str().unwrap().to_string(),
                    source: value["source"].as_str().unwrap().to_string(),
                    details: value["details"].clone(),
                }
            })
            .collect()
    }

    /// The events recorded since the last call.
    pub fn new_events(&mut self) -> Vec<Recorded> {
        let all = self.all_events();
        let new = all[self.seen.min(all.len())..].to_vec();
        self.seen = all.len();
        new
    }

    /// The types of the events recorded since the last call.
    pub fn new_types(&mut self) -> Vec<String> {
        self.new_events().into_iter().map(|e| e.event_type).collect()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn message(&self) -> String {
        self.git(&["log", "-1", "--format=%B"])
    }
}

/// The event of `event_type` among `events`; panics listing them if absent.
pub fn find<'a>(events: &'a [Recorded], event_type: &str) -> &'a Recorded {
    events
        .iter()
        .find(|e| e.event_type == event_type)
        .unwrap_or_else(|| panic!("no `{event_type}` among {:#?}", events))
}

pub fn types(events: &[Recorded]) -> Vec<&str> {
    events.iter().map(|e| e.event_type.as_str()).collect()
}
