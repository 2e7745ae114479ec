//! The hash chain that makes the log tamper-evident.
//!
//! Every line enforce appends carries `seq` (one more than the last chained
//! line) and `prev`, the SHA-256 of the previous line's exact stored bytes
//! (without its newline; [`GENESIS`] for the first line of a file). Editing,
//! deleting, inserting or reordering lines breaks a link that
//! [`verify`] finds; truncating the tail is caught by comparing with the
//! head kept in the repository (`refs/enforce/head`).
//!
//! Lines without chain fields (the predecessor's, other tools') are allowed:
//! the next chained line still links to them by hash, so they are covered,
//! and `verify` counts them as unchained. `cleanup` replaces what it removes
//! with a `log_checkpoint` line naming the hash and sequence number of the
//! last removed line, so a cleaned log still verifies.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::log::MAX_LINE_BYTES;
use super::scan;
use crate::error::{Error, Result};

/// `prev` of the first line of a file.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The event type of the line `cleanup` leaves where it removed lines.
pub const CHECKPOINT: &str = "log_checkpoint";

/// The end of the chain: the last chained line's sequence number and the
/// hash of the last line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

/// The git ref that keeps the head of the repository's log.
pub use crate::git::state::HEAD_REF;

/// What [`HEAD_REF`] records of a log: its head, the file, and the hash of
/// its first line, which ties the head to this file and no other: a log
/// deleted and started anew, or cut at the start, no longer has that line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchored {
    pub head: Head,
    pub file: String,
    pub first: Option<String>,
    /// The hashes of the `log_checkpoint` lines `enforce cleanup` wrote
    /// into the file (`None`: not known, an anchor from before they were
    /// kept). A checkpoint names the lines it replaces, so one written by
    /// hand could hide any range; only those listed here are believed.
    pub checkpoints: Option<Vec<String>>,
}

impl Anchored {
    /// The text kept in [`HEAD_REF`]'s blob.
    pub fn to_ref_text(&self) -> String {
        let mut text = format!(
            "enforce log head\nseq {}\nhash {}\nfile {}\n",
            self.head.seq, self.head.hash, self.file
        );
        if let Some(first) = &self.first {
            text.push_str(&format!("first {first}\n"));
        }
        if let Some(checkpoints) = &self.checkpoints {
            text.push_str("checkpoints");
            for hash in checkpoints {
                text.push(' ');
                text.push_str(hash);
            }
            text.push('\n');
        }
        text
    }

    /// Parses [`Anchored::to_ref_text`].
    pub fn from_ref_text(text: &[u8]) -> Option<Anchored> {
        let text = std::str::from_utf8(text).ok()?;
        let mut lines = text.lines();
        if lines.next()? != "enforce log head" {
            return None;
        }
        let seq = lines.next()?.strip_prefix("seq ")?.parse().ok()?;
        let hash = lines.next()?.strip_prefix("hash ")?.to_string();
        let file = lines.next()?.strip_prefix("file ")?.to_string();
        let (mut first, mut checkpoints) = (None, None);
        for line in lines {
            if let Some(hash) = line.strip_prefix("first ") {
                first = Some(hash.to_string());
            } else if let Some(rest) = line.strip_prefix("checkpoints") {
                checkpoints = Some(rest.split_whitespace().map(str::to_string).collect());
            }
        }
        Some(Anchored {
            head: Head { seq, hash },
            file,
            first,
            checkpoints,
        })
    }
}

/// The hash of the first line of the file at `path` (`None` when there is
/// none). Reads only as far as the first newline (at most 1 MiB).
pub fn first_line_hash(path: &std::path::Path) -> Option<String> {
    let file = File::open(path).ok()?;
    let mut start = Vec::new();
    let mut chunk = vec![0u8; 4096];
    while start.len() < 1024 * 1024 {
        let n = file.read_at(&mut chunk, start.len() as u64).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(end) = chunk[..n].iter().position(|b| *b == b'\n') {
            start.extend_from_slice(&chunk[..end]);
            return Some(hash(&start));
        }
        start.extend_from_slice(&chunk[..n]);
    }
    None
}

/// The SHA-256 of a stored line, hex.
pub fn hash(line: &[u8]) -> String {
    hex(&Sha256::digest(line))
}

/// The SHA-256 of `[offset, offset + len)` of `file`, read in chunks: the
/// hash of a line too long to hold.
pub fn hash_range(file: &File, offset: u64, len: u64) -> io::Result<String> {
    let mut hasher = Sha256::new();
    scan::for_each_chunk(file, offset, len, |chunk| {
        hasher.update(chunk);
        Ok(())
    })?;
    Ok(hex(&hasher.finalize()))
}

fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// What verify and appends read of a line: only the chain fields.
#[derive(Debug, Default, Deserialize)]
pub struct Links {
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default)]
    pub prev: Option<String>,
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default)]
    pub details: Option<CheckpointDetails>,
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckpointDetails {
    #[serde(default)]
    pub last_removed_hash: Option<String>,
    #[serde(default)]
    pub last_removed_seq: Option<u64>,
}

impl Links {
    pub fn of(line: &[u8]) -> Option<Links> {
        serde_json::from_slice(line.trim_ascii()).ok()
    }

    pub fn is_chained(&self) -> bool {
        self.seq.is_some() && self.prev.is_some()
    }

    /// For a checkpoint: the hash and sequence number the next line links to.
    pub fn checkpoint(&self) -> Option<(String, u64)> {
        if self.event_type.as_deref() != Some(CHECKPOINT) {
            return None;
        }
        let details = self.details.as_ref()?;
        Some((
            details.last_removed_hash.clone()?,
            details.last_removed_seq.unwrap_or(0),
        ))
    }
}

/// What the next appended line links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub seq: u64,
    pub prev: String,
}

/// Reads the tail of `file` (of length `len`) to find what the next line
/// links to: the hash of the last line, and the sequence number after the
/// last chained line. A checkpoint at the end is transparent: the next line
/// links to what it names.
pub fn next_link(file: &File, len: u64) -> io::Result<Next> {
    if len == 0 {
        return Ok(Next {
            seq: 1,
            prev: GENESIS.to_string(),
        });
    }
    let mut end = len;
    if byte_at(file, len - 1)? == b'\n' {
        end -= 1;
    }
    let start = line_start(file, end)?;
    // A last line too long to be an event is hashed in chunks, not held:
    // the sequence then goes on from the last chained line before it.
    let (links, prev) = if end - start > MAX_LINE_BYTES as u64 {
        (Links::default(), hash_range(file, start, end - start)?)
    } else {
        let line = read_range(file, start, end)?;
        (Links::of(&line).unwrap_or_default(), hash(&line))
    };
    if let Some((prev, seq)) = links.checkpoint() {
        return Ok(Next {
            seq: after(seq)?,
            prev,
        });
    }
    if let Some(seq) = links.seq.filter(|_| links.is_chained()) {
        return Ok(Next {
            seq: after(seq)?,
            prev,
        });
    }
    // The last line is not chained (another tool wrote it): the sequence
    // goes on from the last line that is. Found by searching back for the
    // text only such lines hold, so the cost is the bytes others wrote since
    // enforce last appended (once, the whole of a log enforce never wrote).
    let seq = match last_link_before(file, start)? {
        Some(seq) => after(seq)?,
        None => 1,
    };
    Ok(Next { seq, prev })
}

/// The sequence number after `seq`. No log reaches the largest one by
/// appending; a line that claims it was written by hand, and wrapping to
/// 0 would restart the chain where `verify` and the anchor cannot follow.
fn after(seq: u64) -> io::Result<u64> {
    seq.checked_add(1).ok_or_else(|| {
        io::Error::other(format!(
            "its last sequence number is {seq}, the largest there is: the line was not written by enforce (`enforce verify` shows where the chain breaks)"
        ))
    })
}

/// The sequence number of the last chained line (or checkpoint) that ends
/// before `before`, a line start.
///
/// Reads back a chunk at a time and looks only at lines holding a `"seq"`
/// key or the checkpoint type; each candidate is cut from the chunk in
/// memory (read apart only when it crosses the chunk), so the cost is
/// linear in the bytes searched.
fn last_link_before(file: &File, before: u64) -> io::Result<Option<u64>> {
    use memchr::memmem::FinderRev;
    const CHUNK: u64 = 1024 * 1024;
    let seq_key = FinderRev::new(b"\"seq\"");
    let checkpoint = FinderRev::new(CHECKPOINT.as_bytes());
    let overlap = CHECKPOINT.len() as u64;
    let mut hi = before;
    while hi > 0 {
        let lo = hi.saturating_sub(CHUNK);
        let chunk = read_range(file, lo, hi)?;
        // The part of the chunk still to search: shrinks past each candidate.
        let mut end = chunk.len();
        // The last match of each key below `end`. Kept between candidates
        // (a search runs again only once `end` passes its match), so each
        // chunk is searched once per key, not once per candidate.
        let mut seq_at = seq_key.rfind(&chunk);
        let mut checkpoint_at = checkpoint.rfind(&chunk);
        loop {
            let below = |at: Option<usize>, finder: &FinderRev, len: usize| match at {
                Some(i) if i + len > end => finder.rfind(&chunk[..end]),
                other => other,
            };
            seq_at = below(seq_at, &seq_key, 5);
            checkpoint_at = below(checkpoint_at, &checkpoint, CHECKPOINT.len());
            let found = match (seq_at, checkpoint_at) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            let Some(at) = found else {
                // A key may straddle `lo`: the next chunk overlaps this one.
                hi = if lo == 0 {
                    0
                } else {
                    (lo + overlap).min(lo + end as u64)
                };
                break;
            };
            let start = memchr::memrchr(b'\n', &chunk[..at]).map(|i| i + 1);
            let stop = memchr::memchr(b'\n', &chunk[at..]).map(|i| at + i);
            let (line_start_at, links) = match (start, stop) {
                (Some(a), Some(b)) => (lo + a as u64, Links::of(&chunk[a..b])),
                _ => {
                    let a = line_start(file, lo + at as u64)?;
                    let b = line_end(file, lo + at as u64, before)?;
                    // A line too long to be an event holds no link.
                    let links = if b - a > MAX_LINE_BYTES as u64 {
                        None
                    } else {
                        Links::of(&read_range(file, a, b)?)
                    };
                    (a, links)
                }
            };
            if let Some(links) = links {
                if let Some((_, seq)) = links.checkpoint() {
                    return Ok(Some(seq));
                }
                if let Some(seq) = links.seq.filter(|_| links.is_chained()) {
                    return Ok(Some(seq));
                }
            }
            if line_start_at <= lo {
                hi = line_start_at;
                break;
            }
            end = (line_start_at - lo) as usize;
        }
    }
    Ok(None)
}

/// The offset of the newline ending the line that holds `at` (or `limit`).
fn line_end(file: &File, at: u64, limit: u64) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut cursor = at;
    while cursor < limit {
        let to = limit.min(cursor + CHUNK);
        let chunk = read_range(file, cursor, to)?;
        if let Some(i) = memchr::memchr(b'\n', &chunk) {
            return Ok(cursor + i as u64);
        }
        cursor = to;
    }
    Ok(limit)
}

fn byte_at(file: &File, at: u64) -> io::Result<u8> {
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, at)?;
    Ok(byte[0])
}

fn read_range(file: &File, start: u64, end: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; (end - start) as usize];
    file.read_exact_at(&mut buf, start)?;
    Ok(buf)
}

/// The offset where the line ending at `end` (exclusive) starts.
fn line_start(file: &File, end: u64) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut cursor = end;
    while cursor > 0 {
        let from = cursor.saturating_sub(CHUNK);
        let chunk = read_range(file, from, cursor)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return Ok(from + i as u64 + 1);
        }
        cursor = from;
    }
    Ok(0)
}

/// One problem `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line number.
    pub line: u64,
    /// `edited`, `deleted`, `inserted`, `reordered`, `truncated`.
    pub kind: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
}

/// The result of verifying a log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub intact: bool,
    pub lines: u64,
    pub chained: u64,
    /// Events without chain fields (other writers).
    pub unchained: u64,
    /// Lines that are not events at all (torn writes, garbage); kept.
    pub unreadable: u64,
    /// The first few unreadable lines' numbers.
    pub unreadable_lines: Vec<u64>,
    pub checkpoints: u64,
    /// The checkpoint lines, in order: line number and hash.
    #[serde(skip)]
    pub checkpoint_hashes: Vec<(u64, String)>,
    pub problems: Vec<Problem>,
    /// The hash of the first line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_line: Option<String>,
    /// The last chained line: its sequence number and hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Head>,
}

/// What the log says about a head recorded elsewhere (the git ref).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// The line with that sequence number has that hash.
    Matches,
    /// The line with that sequence number has another hash.
    Differs { line: u64, found: String },
    /// Removed by `cleanup` (a checkpoint covers it).
    CleanedUp,
    /// No such line: the log ends before it.
    Missing,
}

/// A recent line, to recognise inserted lines.
struct Seen {
    line: u64,
    hash: String,
}

/// Streams a log (`None`: there is none yet) through the scanner and
/// checks every link; with `anchor`, also what the log holds at that head.
/// A line too long to read as an event is hashed in chunks, never held.
pub fn verify(
    path: &Path,
    file: Option<&File>,
    anchor: Option<&Head>,
) -> Result<(Verification, Option<Anchor>)> {
    let mut anchor_state = anchor.map(|_| Anchor::Missing);
    let mut result = Verification {
        intact: true,
        lines: 0,
        chained: 0,
        unchained: 0,
        unreadable: 0,
        unreadable_lines: Vec::new(),
        checkpoints: 0,
        checkpoint_hashes: Vec::new(),
        problems: Vec::new(),
        first_line: None,
        head: None,
    };
    let mut expected_prev = GENESIS.to_string();
    let mut last_seq: Option<u64> = None;
    let mut recent: Vec<Seen> = Vec::new();
    let Some(file) = file else {
        return Ok((result, anchor_state));
    };
    scan::lines(path, file, 0, |stored| {
        result.lines += 1;
        let n = result.lines;
        let line_hash = match stored.bytes {
            Some(bytes) => hash(bytes),
            None => hash_range(file, stored.offset, stored.len)
                .map_err(|e| Error::io("read the events file", path, e))?,
        };
        if n == 1 && stored.newline {
            result.first_line = Some(line_hash.clone());
        }
        let links = stored.bytes.and_then(Links::of);
        match &links {
            Some(links) if links.is_chained() => {
                result.chained += 1;
                let seq = links.seq.unwrap_or(0);
                let prev = links.prev.clone().unwrap_or_default();
                if prev != expected_prev {
                    result
                        .problems
                        .push(link_problem(n, seq, last_seq, &prev, &expected_prev, &recent));
                } else if let Some(last) = last_seq
                    && seq != last + 1
                {
                    result.problems.push(seq_problem(n, seq, last));
                }
                last_seq = Some(seq);
                result.head = Some(Head {
                    seq,
                    hash: line_hash.clone(),
                });
                if let Some(anchor) = anchor.filter(|a| a.seq == seq) {
                    anchor_state = Some(if anchor.hash == line_hash {
                        Anchor::Matches
                    } else {
                        Anchor::Differs {
                            line: n,
                            found: line_hash.clone(),
                        }
                    });
                }
            }
            Some(links) if links.checkpoint().is_some() => {
                result.checkpoints += 1;
                result.checkpoint_hashes.push((n, line_hash.clone()));
                let (hash_named, seq) = links.checkpoint().unwrap_or_default();
                if let Some(anchor) = anchor.filter(|a| a.seq <= seq) {
                    anchor_state = Some(if anchor.seq < seq || anchor.hash == hash_named {
                        Anchor::CleanedUp
                    } else {
                        Anchor::Differs {
                            line: n,
                            found: hash_named.clone(),
                        }
                    });
                }
                last_seq = Some(seq);
                recent.push(Seen {
                    line: n,
                    hash: line_hash.clone(),
                });
                expected_prev = hash_named;
                return Ok(());
            }
            Some(links) if links.event_type.is_some() => result.unchained += 1,
            _ => {
                if !stored.is_blank() {
                    result.unreadable += 1;
                    if result.unreadable_lines.len() < 10 {
                        result.unreadable_lines.push(n);
                    }
                }
            }
        }
        recent.push(Seen {
            line: n,
            hash: line_hash.clone(),
        });
        if recent.len() > 16 {
            recent.remove(0);
        }
        expected_prev = line_hash;
        Ok(())
    })?;
    result.intact = result.problems.is_empty();
    Ok((result, anchor_state))
}

fn link_problem(
    n: u64,
    seq: u64,
    last_seq: Option<u64>,
    prev: &str,
    expected: &str,
    recent: &[Seen],
) -> Problem {
    let (kind, message) = if let Some(last) = last_seq.filter(|last| seq <= *last) {
        (
            "reordered",
            format!("line {n} is out of order: sequence {seq} comes after {last}"),
        )
    } else if let Some(found) = recent.iter().rev().skip(1).find(|s| s.hash == prev) {
        let inserted = if found.line + 1 == n - 1 {
            format!("line {} was inserted", n - 1)
        } else {
            format!("lines {}-{} were inserted", found.line + 1, n - 1)
        };
        (
            "inserted",
            format!("{inserted}: line {n} was written right after line {}", found.line),
        )
    } else if let Some(last) = last_seq.filter(|last| seq > last + 1) {
        (
            "deleted",
            format!(
                "{} line(s) deleted before line {n}: the sequence jumps from {last} to {seq}",
                seq - last - 1
            ),
        )
    } else if n == 1 {
        (
            "deleted",
            "the log does not start where its chain starts: lines before line 1 were removed".to_string(),
        )
    } else {
        (
            "edited",
            format!("line {} was changed after line {n} was written", n - 1),
        )
    };
    Problem {
        line: n,
        kind: kind.to_string(),
        message,
        expected: Some(expected.to_string()),
        found: Some(prev.to_string()),
    }
}

fn seq_problem(n: u64, seq: u64, last: u64) -> Problem {
    let (kind, message) = if seq <= last {
        (
            "reordered",
            format!("line {n} is out of order: sequence {seq} comes after {last}"),
        )
    } else {
        (
            "deleted",
            format!(
                "{} line(s) missing before line {n}: the sequence jumps from {last} to {seq}",
                seq - last - 1
            ),
        )
    };
    Problem {
        line: n,
        kind: kind.to_string(),
        message,
        expected: Some((last + 1).to_string()),
        found: Some(seq.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS.len(), 64);
    }

    /// The search back over other tools' lines: past decoys holding a
    /// `"seq"` key, across chunk boundaries, and stopping at a checkpoint.
    #[test]
    fn the_sequence_goes_on_from_the_last_link_however_far_back() {
        use std::fs;
        use std::io::Write;
        let dir = assert_fs::TempDir::new().unwrap();
        let path = dir.path().join("events.jsonl");
        let chained = format!(r#"{{"event_type":"a","seq":7,"prev":"{GENESIS}"}}"#);
        let decoy = r#"{"event_type":"b","details":{"seq":99}}"#;
        let checkpoint = format!(
            r#"{{"event_type":"{CHECKPOINT}","details":{{"last_removed_hash":"{GENESIS}","last_removed_seq":41}}}}"#
        );
        let write = |lines: &[&str], repeat: usize| {
            let mut file = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap();
            for _ in 0..repeat {
                for line in lines {
                    writeln!(file, "{line}").unwrap();
                }
            }
        };
        let next = || {
            let file = File::open(&path).unwrap();
            next_link(&file, file.metadata().unwrap().len()).unwrap().seq
        };
        write(&[&chained], 1);
        write(&[decoy], 70_000); // 2.7 MiB: three chunks
        assert_eq!(next(), 8);
        write(&[&checkpoint], 1);
        write(&[decoy], 40_000);
        assert_eq!(next(), 42);
        fs::write(&path, format!("{decoy}\n").repeat(30_000)).unwrap();
        assert_eq!(next(), 1);
    }
}
