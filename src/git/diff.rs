//! Tree diffs as owned values: the changed paths and the lines a change
//! adds.
//!
//! Paths are kept as raw bytes (git allows newlines and non-UTF-8 in file
//! names), straight from libgit2, so nothing is quoted or unquoted.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

/// One changed path between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `A`dded, `M`odified, `D`eleted, `T`ype changed…
    pub status: char,
    pub path: PathBuf,
}

/// The lines one file gains.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddedFile {
    pub path: PathBuf,
    /// 1-based line number in the new file, and the line without its newline.
    pub lines: Vec<(u32, Vec<u8>)>,
}

/// The added lines of a diff, per file, and what was not scanned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    pub files: Vec<AddedFile>,
    /// Binary files in the diff (no lines to scan).
    pub binary: u64,
    /// Files whose added text was over the size limit.
    pub oversized: Vec<PathBuf>,
}

fn path_of(file: &git2::DiffFile<'_>) -> Option<PathBuf> {
    file.path_bytes()
        .map(|p| PathBuf::from(OsString::from_vec(p.to_vec())))
}

/// The change a delta describes.
pub fn change(delta: &git2::DiffDelta<'_>) -> Change {
    let status = match delta.status() {
        git2::Delta::Added => 'A',
        git2::Delta::Deleted => 'D',
        git2::Delta::Typechange => 'T',
        git2::Delta::Renamed => 'R',
        git2::Delta::Copied => 'C',
        _ => 'M',
    };
    Change {
        status,
        path: path_of(&delta.new_file())
            .or_else(|| path_of(&delta.old_file()))
            .unwrap_or_default(),
    }
}

/// How far into a file git looks for a NUL to call it binary.
const BINARY_PROBE: usize = 8000;

/// Whether the blob `id` is binary as git decides by content: a NUL in its
/// first 8,000 bytes. An id that is no blob (a submodule's commit, the
/// zero id of a missing side) is not.
fn is_binary(repo: &git2::Repository, id: git2::Oid) -> bool {
    if id.is_zero() {
        return false;
    }
    repo.find_blob(id).is_ok_and(|blob| {
        let content = blob.content();
        content[..content.len().min(BINARY_PROBE)].contains(&0)
    })
}

/// The added lines of every file of `diff`, keeping at most `max_bytes` of
/// added text per file.
///
/// `diff` is made with `force_text` and binary is decided here, by
/// content: libgit2 would otherwise take `.gitattributes` from the work
/// tree, and a `*.py -diff` line there would hide every Python line from
/// the content rules.
pub fn added_lines(
    repo: &git2::Repository,
    diff: &git2::Diff<'_>,
    max_bytes: u64,
) -> Result<Patch, git2::Error> {
    let mut result = Patch::default();
    for (index, delta) in diff.deltas().enumerate() {
        if delta.status() == git2::Delta::Deleted {
            continue;
        }
        if is_binary(repo, delta.old_file().id()) || is_binary(repo, delta.new_file().id()) {
            result.binary += 1;
            continue;
        }
        let Some(patch) = git2::Patch::from_diff(diff, index)? else {
            continue;
        };
        let delta = patch.delta();
        let path = path_of(&delta.new_file()).unwrap_or_default();
        let mut file = AddedFile {
            path,
            lines: Vec::new(),
        };
        let mut bytes = 0u64;
        'hunks: for hunk in 0..patch.num_hunks() {
            for line in 0..patch.num_lines_in_hunk(hunk)? {
                let line = patch.line_in_hunk(hunk, line)?;
                if line.origin() != '+' {
                    continue;
                }
                let content = line.content();
                let content = content.strip_suffix(b"\n").unwrap_or(content);
                bytes += content.len() as u64 + 1;
                if bytes > max_bytes {
                    break 'hunks;
                }
                file.lines
                    .push((line.new_lineno().unwrap_or(0), content.to_vec()));
            }
        }
        if bytes > max_bytes {
            result.oversized.push(file.path);
        } else if !file.lines.is_empty() {
            result.files.push(file);
        }
    }
    Ok(result)
}
