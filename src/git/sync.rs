//! Receipts travel with the push: the git side of it.
//!
//! `pre-push` sends `refs/notes/enforce` to the remote being pushed to, and
//! the log head (`refs/enforce/head`) to `refs/enforce/heads/<clone id>`
//! there. Two clones push receipts to the same notes ref, so a push of
//! the notes can be refused as not a fast-forward; the remote's notes are
//! then fetched into `refs/notes/remotes/<remote>/enforce` (never into
//! `refs/notes/enforce`: a fetch must not overwrite receipts not pushed
//! yet) and merged into the local ones in-process: the union of both, the
//! local note winning on the same commit. The merge is a commit with both
//! notes commits as parents, so the next push is a fast-forward and keeps
//! every receipt either side had.
//!
//! Fetching and pushing go through the `git` program (the user's
//! transports, credentials and config); the merge and every ref read or
//! written here are in-process.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::notes::{NOTES_REF, remote_notes_ref};
use super::{Git, git2_error, process};
use crate::error::{Error, Result};
use crate::git::state::HEAD_REF;

/// The git config key of this clone's random id.
pub const CLONE_ID_KEY: &str = "enforce.cloneId";

/// The git config key that lists the remotes whose notes fetch refspec
/// `enforce install` added (and `enforce uninstall` removes).
pub const ADDED_REFSPECS_KEY: &str = "enforce.notesRefspecAdded";

/// The message of a notes commit that merges a remote's receipts.
pub const MERGE_MESSAGE: &str = "enforce: merge receipts from the remote";

/// Where this clone's log head goes on a remote.
pub fn remote_head_ref(clone_id: &str) -> String {
    format!("refs/enforce/heads/{clone_id}")
}

/// The fetch refspec that brings `remote`'s receipts next to the local
/// ones: `+refs/notes/enforce:refs/notes/remotes/<remote>/enforce`.
pub fn notes_fetch_refspec(remote: &str) -> String {
    format!("+{NOTES_REF}:{}", remote_notes_ref(remote))
}

/// The name the refs that track what a remote holds use for it: the
/// remote's name, or for a push to a URL (no remote name) `url-` and a
/// digest of the URL, which a ref name can always hold.
pub fn remote_key(git: &Git, remote: &str) -> String {
    let named = git.remote_names().iter().any(|r| r == remote);
    if named && git2::Reference::is_valid_name(&remote_notes_ref(remote)) {
        return remote.to_string();
    }
    let digest = Sha256::digest(remote.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("url-{hex}")
}

/// Where the log head last pushed to the remote `key` is remembered.
pub fn pushed_head_ref(key: &str) -> String {
    format!("refs/enforce/remotes/{key}/head")
}

/// What a push did to one ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    /// Updated (or created).
    Pushed,
    /// The remote had it already.
    UpToDate,
    /// Refused as not a fast-forward: the remote has commits this side
    /// lacks (another clone pushed in between).
    NotFastForward,
    /// Refused for another reason (the remote's hooks, its config); the
    /// summary git gave.
    Rejected(String),
}

/// One ref of a push, as `git push --porcelain` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    /// The ref on the remote.
    pub remote_ref: String,
    pub status: PushStatus,
}

/// What merging a remote's notes into `refs/notes/enforce` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotesMerge {
    /// The local notes held the remote's already.
    UpToDate,
    /// The local notes were the remote's, or an ancestor of them: they are
    /// the remote's now.
    FastForward,
    /// A merge commit holds both; this many notes came from the remote.
    Merged { added: usize },
}

impl Git {
    /// The names of the configured remotes.
    pub fn remote_names(&self) -> Vec<String> {
        self.inner
            .remotes()
            .map(|names| names.iter().flatten().flatten().map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Every value of the multi-valued config key `key` (all levels).
    pub fn config_values(&self, key: &str) -> Vec<String> {
        let mut values = Vec::new();
        if let Ok(config) = self.inner.config()
            && let Ok(entries) = config.multivar(key, None)
        {
            let _ = entries.for_each(|entry| {
                if let Ok(value) = entry.value() {
                    values.push(value.to_string());
                }
            });
        }
        values
    }

    /// The repository's own config (`.git/config`), for writing: opened
    /// as a file, so a hook's read-only snapshot ([`super::for_hooks`])
    /// does not stand in its way.
    fn local_config(&self) -> Result<git2::Config> {
        git2::Config::open(&self.repo.common_dir.join("config"))
            .map_err(|e| git2_error("opening the repository's config", e))
    }

    /// Adds `value` to the multi-valued key `key` in the repository's
    /// config, unless it holds it already. Returns whether it was added.
    pub fn add_config_value(&self, key: &str, value: &str) -> Result<bool> {
        let mut config = self.local_config()?;
        if config_has(&config, key, value) {
            return Ok(false);
        }
        // A pattern no value matches: set_multivar then adds a value.
        config
            .set_multivar(key, "^$a", value)
            .map_err(|e| git2_error(&format!("adding `{value}` to `{key}`"), e))?;
        Ok(true)
    }

    /// Removes exactly `value` from the key `key` in the repository's
    /// config. Returns whether it was there.
    pub fn remove_config_value(&self, key: &str, value: &str) -> Result<bool> {
        let mut config = self.local_config()?;
        if !config_has(&config, key, value) {
            return Ok(false);
        }
        config
            .remove_multivar(key, &format!("^{}$", ere_escape(value)))
            .map_err(|e| git2_error(&format!("removing `{value}` from `{key}`"), e))?;
        Ok(true)
    }

    /// This clone's id (`enforce.cloneId`), created on first use: random,
    /// kept in the repository's config, shared by its worktrees. It names
    /// the ref this clone's log head is pushed to.
    pub fn clone_id(&self) -> Result<String> {
        if let Some(id) = self.config_string(CLONE_ID_KEY).filter(|id| valid_clone_id(id)) {
            return Ok(id);
        }
        // A hook reads a snapshot of the config taken when it started: an
        // id this process wrote since is only in the file.
        let mut local = self.local_config()?;
        if let Some(id) = local
            .get_string(CLONE_ID_KEY)
            .ok()
            .filter(|id| valid_clone_id(id))
        {
            return Ok(id);
        }
        let id = random_id()?;
        local
            .set_str(CLONE_ID_KEY, &id)
            .map_err(|e| git2_error(&format!("setting `{CLONE_ID_KEY}`"), e))?;
        Ok(id)
    }

    /// The object a ref points at, unpeeled (the log head is a blob), if
    /// the ref exists.
    pub fn ref_object(&self, refname: &str) -> Option<String> {
        let reference = self.inner.find_reference(refname).ok()?;
        reference.resolve().ok()?.target().map(|oid| oid.to_string())
    }

    /// Points `refname` at the object `id`, whatever it pointed at.
    pub fn set_ref(&self, refname: &str, id: &str, message: &str) -> Result<()> {
        let error = |e| git2_error(&format!("updating `{refname}`"), e);
        let oid = git2::Oid::from_str(id).map_err(error)?;
        self.inner.reference(refname, oid, true, message).map_err(error)?;
        Ok(())
    }

    /// Deletes `refname` if it exists.
    pub fn delete_ref(&self, refname: &str) -> Result<()> {
        match self.inner.find_reference(refname) {
            Ok(mut reference) => reference
                .delete()
                .map_err(|e| git2_error(&format!("deleting `{refname}`"), e)),
            Err(_) => Ok(()),
        }
    }

    /// Fetches `remote`'s `refs/notes/enforce` into `into` (forced: it
    /// tracks the remote). Returns the notes commit fetched; `None` when
    /// the remote has no receipts (then `into` is deleted).
    pub fn fetch_notes(&self, remote: &str, into: &str) -> Result<Option<String>> {
        let action = format!("fetching the receipts of `{remote}`");
        let refspec = format!("+{NOTES_REF}:{into}");
        let out = process::output_in(
            self.repo(),
            [
                "fetch",
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--no-auto-maintenance",
                "--no-recurse-submodules",
                remote,
                &refspec,
            ],
            &action,
        )?;
        if out.status.success() {
            return Ok(self.ref_target(into));
        }
        // "couldn't find remote ref": ask the remote what it has, rather
        // than read a message that may be translated.
        let listed = process::output_in(self.repo(), ["ls-remote", "--refs", remote, NOTES_REF], &action)?;
        if listed.status.success() && listed.stdout.is_empty() {
            self.delete_ref(into)?;
            return Ok(None);
        }
        Err(Error::Git {
            action,
            message: first_error_line(&out.stderr),
        })
    }

    /// Pushes `refspecs` to `remote` without running the pre-push hook
    /// (this is what it runs), and says what became of each ref. A push
    /// the remote refuses is an answer, not an error; one that cannot
    /// reach the remote is an error.
    pub fn push(&self, remote: &str, refspecs: &[String]) -> Result<Vec<PushedRef>> {
        let action = format!("pushing to `{remote}`");
        let mut args = vec!["push", "--no-verify", "--porcelain", remote];
        args.extend(refspecs.iter().map(String::as_str));
        let out = process::output_in(self.repo(), &args, &action)?;
        let pushed = parse_porcelain(&String::from_utf8_lossy(&out.stdout));
        if pushed.is_empty() && !out.status.success() {
            return Err(Error::Git {
                action,
                message: first_error_line(&out.stderr),
            });
        }
        Ok(pushed)
    }

    /// Merges the notes commit `theirs` (a remote's receipts) into
    /// `refs/notes/enforce`: every note of either side, the local one on a
    /// commit both have a note for. In-process, and a compare-and-swap on
    /// the ref, retried, so a commit noting meanwhile loses nothing.
    pub fn merge_notes(&self, theirs: &str) -> Result<NotesMerge> {
        let error = |e| git2_error("merging the remote's receipts", e);
        let their_oid = git2::Oid::from_str(theirs).map_err(error)?;
        let their_commit = self.inner.find_commit(their_oid).map_err(error)?;
        for attempt in 0..40u64 {
            if attempt > 0 {
                let jitter = u64::from(std::process::id() % 7);
                std::thread::sleep(std::time::Duration::from_millis(1 + (attempt + jitter) % 10));
            }
            let ours = self.ref_target(NOTES_REF);
            let (merge, written) = match ours.as_deref() {
                None => (
                    NotesMerge::FastForward,
                    self.inner.reference(NOTES_REF, their_oid, false, MERGE_MESSAGE),
                ),
                Some(ours) if self.is_ancestor(theirs, ours).unwrap_or(false) => {
                    return Ok(NotesMerge::UpToDate);
                }
                Some(ours) => {
                    let our_oid = git2::Oid::from_str(ours).map_err(error)?;
                    if self.is_ancestor(ours, theirs).unwrap_or(false) {
                        (
                            NotesMerge::FastForward,
                            self.inner
                                .reference_matching(NOTES_REF, their_oid, true, our_oid, MERGE_MESSAGE),
                        )
                    } else {
                        let (merged, added) = self.merged_notes_commit(our_oid, &their_commit)?;
                        (
                            NotesMerge::Merged { added },
                            self.inner
                                .reference_matching(NOTES_REF, merged, true, our_oid, MERGE_MESSAGE),
                        )
                    }
                }
            };
            match written {
                Ok(_) => return Ok(merge),
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::Modified | git2::ErrorCode::Exists | git2::ErrorCode::Locked
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(error(e)),
            }
        }
        Err(Error::Git {
            action: "merging the remote's receipts".into(),
            message: format!("other processes kept changing `{NOTES_REF}`"),
        })
    }

    /// The merge commit of the notes commits `ours` and `theirs`: our tree
    /// with the notes only theirs has added. Returns it and how many notes
    /// came from theirs.
    fn merged_notes_commit(&self, ours: git2::Oid, theirs: &git2::Commit<'_>) -> Result<(git2::Oid, usize)> {
        let error = |e| git2_error("merging the remote's receipts", e);
        let our_commit = self.inner.find_commit(ours).map_err(error)?;
        let our_index = self.notes_index(&ours.to_string())?;
        let their_index = self.notes_index(&theirs.id().to_string())?;
        let mut missing = Vec::new();
        for (commit, blob) in their_index.iter() {
            if our_index.get(commit).is_none() {
                missing.push((commit.to_string(), git2::Oid::from_str(blob).map_err(error)?));
            }
        }
        missing.sort();
        let our_tree = our_commit.tree().map_err(error)?;
        let tree = if missing.is_empty() {
            our_tree.id()
        } else {
            let notes: Vec<(&str, git2::Oid)> = missing.iter().map(|(c, b)| (c.as_str(), *b)).collect();
            self.tree_with_notes(Some(&our_tree), &notes, 0).map_err(error)?
        };
        let tree = self.inner.find_tree(tree).map_err(error)?;
        let signature = self.note_signature().map_err(error)?;
        let merged = self
            .inner
            .commit(
                None,
                &signature,
                &signature,
                MERGE_MESSAGE,
                &tree,
                &[&our_commit, theirs],
            )
            .map_err(error)?;
        Ok((merged, missing.len()))
    }

    /// `tree` with the notes `notes` (remaining hex digits of the commit,
    /// blob) added, following the fanout already there, as
    /// [`Git::write_note`] places one note: a note goes into the fanout
    /// directory of its first two digits when there is one (or at the top,
    /// where a new one is made), flat otherwise. Each directory is written
    /// once, however many notes go into it.
    fn tree_with_notes(
        &self,
        tree: Option<&git2::Tree<'_>>,
        notes: &[(&str, git2::Oid)],
        depth: usize,
    ) -> std::result::Result<git2::Oid, git2::Error> {
        let mut builder = self.inner.treebuilder(tree)?;
        let mut by_fan: BTreeMap<&str, Vec<(&str, git2::Oid)>> = BTreeMap::new();
        for &(rest, blob) in notes {
            if rest.len() <= 2 {
                builder.insert(rest, blob, 0o100644)?;
                continue;
            }
            by_fan.entry(&rest[..2]).or_default().push((&rest[2..], blob));
        }
        for (fan, group) in by_fan {
            let existing = tree
                .and_then(|t| t.get_name(fan))
                .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                .map(|e| e.id());
            if existing.is_none() && depth > 0 {
                for (rest, blob) in group {
                    builder.insert(format!("{fan}{rest}"), blob, 0o100644)?;
                }
                continue;
            }
            let subtree = existing.map(|id| self.inner.find_tree(id)).transpose()?;
            let id = self.tree_with_notes(subtree.as_ref(), &group, depth + 1)?;
            builder.insert(fan, id, 0o040000)?;
        }
        builder.write()
    }

    /// The note on `commit` in the notes ref `notes_ref` (a remote's
    /// fetched receipts, say), if any.
    pub fn note_in(&self, notes_ref: &str, commit: &str) -> Option<Vec<u8>> {
        let oid = git2::Oid::from_str(commit).ok()?;
        let note = self.inner.find_note(Some(notes_ref), oid).ok()?;
        Some(note.message_bytes().to_vec())
    }

    /// The log head blob (`refs/enforce/head`), if the log has one.
    pub fn log_head_object(&self) -> Option<String> {
        self.ref_object(HEAD_REF)
    }
}

fn config_has(config: &git2::Config, key: &str, value: &str) -> bool {
    let mut found = false;
    if let Ok(entries) = config.multivar(key, None) {
        let _ = entries.for_each(|entry| found |= entry.value().ok() == Some(value));
    }
    found
}

/// `text` with every character that means something in a POSIX extended
/// regular expression escaped (libgit2 matches config values and names
/// with one).
pub(super) fn ere_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if ".[]{}()\\*+?^$|".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether `id` looks like a clone id enforce made: 16 lowercase hex digits.
fn valid_clone_id(id: &str) -> bool {
    id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// 16 random hex digits, from the kernel.
fn random_id() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("read random bytes from", "/dev/urandom", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The first line of a git's stderr worth showing (`fatal: …`,
/// `error: …`), else its first line.
fn first_error_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines
        .iter()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or(lines.first())
        .map_or_else(|| "git said nothing".to_string(), |l| l.to_string())
}

/// Whether the remote refused a ref because another push moved it while
/// this one was under way (it checks the old value under a lock): worth
/// fetching and trying again, like a push that is not a fast-forward.
fn lost_a_race(summary: &str) -> bool {
    summary.starts_with("[remote rejected]")
        && ["lock", "failed to update ref", "incorrect old value"]
            .iter()
            .any(|s| summary.contains(s))
}

/// The ref lines of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>`.
fn parse_porcelain(stdout: &str) -> Vec<PushedRef> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let flag = fields.next()?;
            let (_, to) = fields.next()?.rsplit_once(':')?;
            let summary = fields.next().unwrap_or("").trim();
            let status = match flag {
                "=" => PushStatus::UpToDate,
                " " | "+" | "*" | "-" => PushStatus::Pushed,
                "!" if summary.starts_with("[rejected]") || lost_a_race(summary) => {
                    PushStatus::NotFastForward
                }
                "!" => PushStatus::Rejected(summary.to_string()),
                _ => return None,
            };
            Some(PushedRef {
                remote_ref: to.to_string(),
                status,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines() {
        let out = "To ../bare.git\n\
                   *\trefs/notes/enforce:refs/notes/enforce\t[new reference]\n\
                   =\t4b825dc6:refs/enforce/heads/ab\t[up to date]\n\
                   !\trefs/notes/enforce:refs/notes/enforce\t[rejected] (fetch first)\n\
                   !\trefs/notes/enforce:refs/notes/enforce\t[remote rejected] (pre-receive hook declined)\n\
                   Done\n";
        let status: Vec<PushStatus> = parse_porcelain(out).into_iter().map(|p| p.status).collect();
        assert_eq!(
            status,
            [
                PushStatus::Pushed,
                PushStatus::UpToDate,
                PushStatus::NotFastForward,
                PushStatus::Rejected("[remote rejected] (pre-receive hook declined)".into()),
            ]
        );
        assert_eq!(parse_porcelain(out)[1].remote_ref, "refs/enforce/heads/ab");
    }

    #[test]
    fn escapes_regex_characters() {
        assert_eq!(
            ere_escape("+refs/notes/enforce:refs/notes/remotes/a.b/enforce"),
            "\\+refs/notes/enforce:refs/notes/remotes/a\\.b/enforce"
        );
    }

    #[test]
    fn clone_ids() {
        let id = random_id().unwrap();
        assert!(valid_clone_id(&id), "{id}");
        assert!(!valid_clone_id("x"));
    }
}
