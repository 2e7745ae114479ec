//! Notes on commits: where receipts live (`refs/notes/enforce`).
//!
//! A note is a blob named by the commit it is about, inside a tree that a
//! commit on the notes ref points at. git may spread the names over
//! subdirectories of two hex digits ("fanout") as the notes grow; every
//! reader here follows whatever fanout it finds, and the writer adds new
//! notes one level deep (`ab/cdef…`), so that a note costs the same to
//! write with ten notes as with a hundred thousand.
//!
//! Notes are read from a notes *commit* as well as from a ref, because a
//! server's `pre-receive` sees the pushed notes before the ref moves: only
//! the new commit id, from its input, inside git's quarantine.

use std::collections::HashMap;

use super::{Git, git2_error, loose};
use crate::error::{Error, Result};

/// The notes ref enforce's receipts are kept in.
pub const NOTES_REF: &str = "refs/notes/enforce";

/// Where fetched receipts of a remote are kept, so a fetch never
/// overwrites receipts not pushed yet (`refs/notes/remotes/<remote>/enforce`).
pub fn remote_notes_ref(remote: &str) -> String {
    format!("refs/notes/remotes/{remote}/enforce")
}

/// The notes of one notes commit: commit id → blob id.
#[derive(Debug, Clone, Default)]
pub struct NotesIndex {
    notes: HashMap<String, String>,
}

impl NotesIndex {
    /// The blob id of the note on `commit`, if any.
    pub fn get(&self, commit: &str) -> Option<&str> {
        self.notes.get(commit).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.notes.is_empty()
    }

    /// Every note: commit id, blob id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.notes.iter().map(|(c, b)| (c.as_str(), b.as_str()))
    }

    /// Adds the notes of `other` that this index lacks: the first index
    /// read wins.
    pub fn extend_missing(&mut self, other: NotesIndex) {
        for (commit, blob) in other.notes {
            self.notes.entry(commit).or_insert(blob);
        }
    }
}

impl Git {
    /// The commit a ref points at, if the ref exists.
    pub fn ref_target(&self, refname: &str) -> Option<String> {
        let reference = self.inner.find_reference(refname).ok()?;
        let commit = reference.peel_to_commit().ok()?;
        Some(commit.id().to_string())
    }

    /// The refs whose names match `glob` (`refs/notes/remotes/*/enforce`).
    pub fn refs_matching(&self, glob: &str) -> Vec<String> {
        let Ok(refs) = self.inner.references_glob(glob) else {
            return Vec::new();
        };
        refs.filter_map(|r| r.ok())
            .filter_map(|r| r.name().ok().map(str::to_string))
            .collect()
    }

    /// Every note of the notes commit `notes_commit`, by commit id.
    pub fn notes_index(&self, notes_commit: &str) -> Result<NotesIndex> {
        let error = |e| git2_error(&format!("reading the notes of `{notes_commit}`"), e);
        let oid = git2::Oid::from_str(notes_commit).map_err(error)?;
        let tree = self
            .inner
            .find_commit(oid)
            .and_then(|c| c.tree())
            .map_err(error)?;
        let mut index = NotesIndex::default();
        let hex_len = oid.as_bytes().len() * 2;
        self.collect_notes(&tree, String::new(), hex_len, &mut index)
            .map_err(error)?;
        Ok(index)
    }

    fn collect_notes(
        &self,
        tree: &git2::Tree<'_>,
        prefix: String,
        hex_len: usize,
        index: &mut NotesIndex,
    ) -> std::result::Result<(), git2::Error> {
        for entry in tree.iter() {
            let Some(name) = entry
                .name()
                .ok()
                .filter(|n| n.bytes().all(|b| b.is_ascii_hexdigit()))
            else {
                continue;
            };
            let path = format!("{prefix}{}", name.to_ascii_lowercase());
            match entry.kind() {
                Some(git2::ObjectType::Blob) if path.len() == hex_len => {
                    index.notes.insert(path, entry.id().to_string());
                }
                Some(git2::ObjectType::Tree) if name.len() == 2 && path.len() < hex_len => {
                    let subtree = self.inner.find_tree(entry.id())?;
                    self.collect_notes(&subtree, path, hex_len, index)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The content of a blob.
    pub fn blob(&self, id: &str) -> Result<Vec<u8>> {
        let error = |e| git2_error(&format!("reading the blob `{id}`"), e);
        let oid = git2::Oid::from_str(id).map_err(error)?;
        Ok(self.inner.find_blob(oid).map_err(error)?.content().to_vec())
    }

    /// The note on `commit` in `refs/notes/enforce`, if any.
    pub fn note(&self, commit: &str) -> Option<Vec<u8>> {
        let oid = git2::Oid::from_str(commit).ok()?;
        let note = self.inner.find_note(Some(NOTES_REF), oid).ok()?;
        Some(note.message_bytes().to_vec())
    }

    /// Attaches `content` to `commit` in `refs/notes/enforce`, replacing a
    /// note already there. In-process (a blob, two trees and a commit,
    /// written as loose objects by [`super::loose`]), and a
    /// compare-and-swap on the ref, retried, so two commits noting at once
    /// never drop each other's notes.
    pub fn write_note(&self, commit: &str, content: &[u8], message: &str) -> Result<()> {
        let action = format!("writing the note on `{commit}`");
        let error = |e: git2::Error| git2_error(&action, e);
        let io_error = |e: std::io::Error| Error::Git {
            action: action.clone(),
            message: e.to_string(),
        };
        let target = git2::Oid::from_str(commit).map_err(error)?;
        let hex = target.to_string();
        let objects = loose::objects_dir(&self.repo.common_dir);
        let blob = loose::write(&objects, git2::ObjectType::Blob, content).map_err(io_error)?;
        let signature = self.note_signature().map_err(error)?;
        for attempt in 0..40u64 {
            if attempt > 0 {
                let jitter = u64::from(std::process::id() % 7);
                std::thread::sleep(std::time::Duration::from_millis(1 + (attempt + jitter) % 10));
            }
            let parent = self
                .inner
                .find_reference(NOTES_REF)
                .ok()
                .and_then(|r| r.peel_to_commit().ok());
            let old_tree = parent.as_ref().map(|c| c.tree()).transpose().map_err(error)?;
            let tree = self
                .tree_with_note(&objects, old_tree.as_ref(), &hex, blob, 0)
                .map_err(&io_error)?;
            let parents: Vec<git2::Oid> = parent.iter().map(|c| c.id()).collect();
            let bytes = loose::commit_bytes(tree, &parents, &signature, message);
            let new = loose::write(&objects, git2::ObjectType::Commit, &bytes).map_err(io_error)?;
            let written = match &parent {
                Some(old) => self
                    .inner
                    .reference_matching(NOTES_REF, new, true, old.id(), message),
                None => self.inner.reference(NOTES_REF, new, false, message),
            };
            match written {
                Ok(_) => return Ok(()),
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
            action,
            message: format!("other processes kept changing `{NOTES_REF}`"),
        })
    }

    /// `tree` with the note `blob` for the commit whose remaining hex digits
    /// are `rest`, following the fanout already there, written under
    /// `objects`. A new note goes one level deep at the top (`ab/cdef…`)
    /// and flat below.
    fn tree_with_note(
        &self,
        objects: &std::path::Path,
        tree: Option<&git2::Tree<'_>>,
        rest: &str,
        blob: git2::Oid,
        depth: usize,
    ) -> std::io::Result<git2::Oid> {
        let mut entries = tree.map(loose::entries_of).unwrap_or_default();
        let fan = &rest[..2];
        let existing_fan = tree
            .and_then(|t| t.get_name(fan))
            .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
            .map(|e| e.id());
        let flat_exists = tree.and_then(|t| t.get_name(rest)).is_some();
        let (name, entry) = if flat_exists || (existing_fan.is_none() && depth > 0) {
            (rest, (0o100644, blob))
        } else {
            let subtree = existing_fan
                .map(|id| self.inner.find_tree(id))
                .transpose()
                .map_err(std::io::Error::other)?;
            let id = self.tree_with_note(objects, subtree.as_ref(), &rest[2..], blob, depth + 1)?;
            (fan, (0o040000, id))
        };
        entries.retain(|e| e.name != name.as_bytes());
        entries.push(loose::Entry {
            mode: entry.0,
            name: name.as_bytes().to_vec(),
            id: entry.1,
        });
        loose::write(objects, git2::ObjectType::Tree, &loose::tree_bytes(&mut entries))
    }

    /// Who notes commits: the committer identity when git has one, else
    /// `enforce`.
    pub(super) fn note_signature(&self) -> std::result::Result<git2::Signature<'static>, git2::Error> {
        self.inner
            .signature()
            .or_else(|_| git2::Signature::now("enforce", "enforce@localhost"))
    }

    /// The blob id of `.enforce.toml` (or any `path`) at the top of
    /// commit `commit`'s tree, if there is one.
    pub fn blob_id_at(&self, commit: &str, path: &str) -> Option<String> {
        let oid = git2::Oid::from_str(commit).ok()?;
        let tree = self.inner.find_commit(oid).ok()?.tree().ok()?;
        let entry = tree.get_path(std::path::Path::new(path)).ok()?;
        (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id().to_string())
    }
}
