//! The one reader of the events file.
//!
//! Every command that reads the log (the reports, `verify`, `cleanup`, the
//! exports, `status`, `audit`) goes through here, so they all agree on what
//! a line is and all keep memory bounded by a window whatever the file
//! holds. The file is mapped window by window ([`WINDOW`]); lines are
//! slices of the mapping. A line longer than [`MAX_LINE_BYTES`] is never
//! held whole: it is handed over without its bytes (the readers count it as
//! unreadable) and whoever must keep or hash it streams it in chunks
//! ([`for_each_chunk`]).
//!
//! The ways in: [`lines`] walks every line in order with its number (for
//! `verify`, `cleanup`, the OTLP export); [`events`] streams the events
//! with a count of the rest (`status`, tools); [`pass`] and
//! [`pass_parallel`] feed events to a [`Fold`] (the reports), the latter
//! splitting a large log between the cores.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::chain::CHECKPOINT;
use super::log::{MAX_LINE_BYTES, parse_head, parse_line};
use super::{Event, EventLog};
use crate::error::{Error, Result};

/// How much of the file is mapped at a time: the pages of one window are
/// released before the next is mapped, so memory stays flat. A line up to
/// [`MAX_LINE_BYTES`] is mapped whole once, when it does not fit.
const WINDOW: u64 = 8 * 1024 * 1024;

/// Whitespace a line may carry around a full-size event and still be
/// handed over whole ([`MAX_LINE_BYTES`] applies to the trimmed line).
const TRIM_MARGIN: u64 = 64;

/// Logs smaller than this are read in one thread.
const PARALLEL_FROM: u64 = 16 * 1024 * 1024;

/// One line of the file as the scanner hands it over.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// 1-based; only [`lines`] counts them (0 in a [`pass`]).
    pub number: u64,
    /// Where the line starts in the file.
    pub offset: u64,
    /// Its length without the newline.
    pub len: u64,
    /// Whether a newline ends it (only a torn last line has none).
    pub newline: bool,
    /// Its bytes without the newline; `None` when it is longer than
    /// [`MAX_LINE_BYTES`] (read it with [`for_each_chunk`]).
    pub bytes: Option<&'a [u8]>,
}

impl Line<'_> {
    /// Whether the line holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        self.bytes.is_some_and(|b| b.trim_ascii().is_empty())
    }

    /// The line as an event, when it is one.
    pub fn event(&self) -> Option<Event> {
        parse_line(self.bytes?.trim_ascii())
    }
}

/// The events file for reading: `None` when there is none yet; an error
/// when it is not a regular file (a directory, a device: reading
/// `/dev/zero` as a log would never end).
pub fn open_regular(log: &EventLog) -> Result<Option<File>> {
    let path = log.path();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read the events file", path, e)),
        Ok(meta) if !meta.is_file() => {
            return Err(Error::NotARegularFile {
                path: path.to_path_buf(),
            });
        }
        Ok(_) => {}
    }
    File::open(path)
        .map(Some)
        .map_err(|e| Error::io("read the events file", path, e))
}

/// Walks the lines of `file` from `start` (a line start) to its length
/// now, in order and numbered from 1, handing each to `visit`. `path`
/// names the file in errors.
pub fn lines(
    path: &Path,
    file: &File,
    start: u64,
    mut visit: impl FnMut(Line<'_>) -> Result<()>,
) -> Result<()> {
    let end = file
        .metadata()
        .map_err(|e| Error::io("read the events file", path, e))?
        .len();
    let mut number = 0;
    let mut failed = None;
    each_line(file, start, end, &mut |mut line| {
        number += 1;
        line.number = number;
        match visit(line) {
            Ok(()) => Ok(true),
            Err(e) => {
                failed = Some(e);
                Ok(false)
            }
        }
    })
    .map_err(|e| Error::io("read the events file", path, e))?;
    failed.map_or(Ok(()), Err)
}

/// What [`events`] saw besides the events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Lines in the file, blank and malformed ones included.
    pub lines: u64,
    /// Lines that are not events (oversized ones included).
    pub malformed: u64,
    /// The 1-based number of the first of them.
    pub first_malformed_line: Option<u64>,
}

/// Streams every event of `log` in file order to `visit` (a missing file
/// has none), checkpoints included; counts what is not an event.
pub fn events(log: &EventLog, mut visit: impl FnMut(Event)) -> Result<Tally> {
    let mut tally = Tally::default();
    let Some(file) = open_regular(log)? else {
        return Ok(tally);
    };
    lines(log.path(), &file, 0, |line| {
        tally.lines = line.number;
        if line.is_blank() {
            return Ok(());
        }
        match line.event() {
            Some(event) => visit(event),
            None => {
                tally.malformed += 1;
                tally.first_malformed_line.get_or_insert(line.number);
            }
        }
        Ok(())
    })?;
    Ok(tally)
}

/// The events in the last `max_bytes` of `log`, in file order: what the
/// hooks of one commit attempt recorded is there, read without scanning
/// the whole log. A line cut by the window's start is left out.
pub fn recent(log: &EventLog, max_bytes: u64) -> Result<Vec<Event>> {
    let Some(file) = open_regular(log)? else {
        return Ok(Vec::new());
    };
    let read = |e| Error::io("read the events file", log.path(), e);
    let len = file.metadata().map_err(read)?.len();
    let start = len.saturating_sub(max_bytes);
    let mut tail = vec![0u8; (len - start) as usize];
    file.read_exact_at(&mut tail, start).map_err(read)?;
    let whole = match start {
        0 => &tail[..],
        _ => match memchr::memchr(b'\n', &tail) {
            Some(i) => &tail[i + 1..],
            None => &[][..],
        },
    };
    Ok(whole
        .split(|b| *b == b'\n')
        .filter_map(|line| parse_line(line.trim_ascii()))
        .collect())
}

/// Calls `chunk` with the bytes `[offset, offset + len)` of `file`, at
/// most 1 MiB at a time: how a line too long to hold is hashed or copied.
pub fn for_each_chunk(
    file: &File,
    offset: u64,
    len: u64,
    mut chunk: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    let mut buf = vec![0u8; 1024 * 1024];
    let mut at = offset;
    let end = offset + len;
    while at < end {
        let n = buf.len().min((end - at) as usize);
        file.read_exact_at(&mut buf[..n], at)?;
        chunk(&buf[..n])?;
        at += n as u64;
    }
    Ok(())
}

/// A stored line and where it starts in the file.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub line: &'a [u8],
    pub offset: u64,
}

/// Something that sees every event of a pass.
pub trait Fold {
    fn add(&mut self, event: &Event);

    /// Like [`Fold::add`], with the stored line, for folds that keep some
    /// lines whole (the newest events) without building every event.
    fn add_stored(&mut self, event: &Event, _stored: Stored<'_>) {
        self.add(event);
    }

    /// Whether the fold reads the details of this event. Building the
    /// details is most of the cost of reading a line; a report that only
    /// counts types skips it.
    fn needs_details(&self, _event: &Event) -> bool {
        true
    }

    /// Whether it also sees `cleanup`'s checkpoints (reports do not).
    fn wants_checkpoints(&self) -> bool {
        false
    }
}

/// A fold that can run on parts of the log in parallel and be merged.
pub trait Split: Fold + Send + Sized {
    /// An empty fold with the same settings.
    fn empty(&self) -> Self;
    /// Adds what `other` saw (a later part of the file) to this one.
    fn merge(&mut self, other: Self);
}

/// Streams `log` through `fold` in one thread; returns how many lines were
/// malformed (oversized ones included). The checkpoints `cleanup` leaves
/// are bookkeeping of the log, not enforcement events: only folds that ask
/// see them.
pub fn pass(log: &EventLog, fold: &mut impl Fold) -> Result<u64> {
    let Some(file) = open_regular(log)? else {
        return Ok(0);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    fold_range(&file, 0, len, fold).map_err(|e| Error::io("read the events file", log.path(), e))
}

/// Like [`pass`], splitting a large log between the machine's cores; the
/// parts are merged in file order, so the result is the same.
pub fn pass_parallel<F: Split>(log: &EventLog, fold: F) -> Result<(F, u64)> {
    let Some(file) = open_regular(log)? else {
        return Ok((fold, 0));
    };
    let io = |e| Error::io("read the events file", log.path(), e);
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    // ENFORCE_REPORT_THREADS caps the threads (1: one thread).
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cap = std::env::var("ENFORCE_REPORT_THREADS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(8);
    let parts = cores.min(cap) as u64;
    if len < PARALLEL_FROM || parts < 2 {
        let mut fold = fold;
        let malformed = fold_range(&file, 0, len, &mut fold).map_err(io)?;
        return Ok((fold, malformed));
    }
    let mut bounds = vec![0];
    for k in 1..parts {
        bounds.push(line_start_after(&file, len * k / parts, len).map_err(io)?);
    }
    bounds.push(len);
    bounds.sort_unstable();
    bounds.dedup();
    let results: Vec<std::thread::Result<io::Result<(F, u64)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (start, end) = (w[0], w[1]);
                let mut part = fold.empty();
                let path = log.path();
                // Each part opens the file anew: a cloned descriptor would
                // share one read position between the threads.
                scope.spawn(move || {
                    let file = File::open(path)?;
                    fold_range(&file, start, end, &mut part).map(|m| (part, m))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut merged = fold;
    let mut malformed = 0;
    for result in results {
        let (part, m) = result
            .map_err(|_| io(io::Error::other("a report thread stopped")))?
            .map_err(io)?;
        merged.merge(part);
        malformed += m;
    }
    Ok((merged, malformed))
}

/// The offset of the first line starting at or after `at` (`len` when
/// none does), found without holding a line.
fn line_start_after(file: &File, at: u64, len: u64) -> io::Result<u64> {
    if at == 0 {
        return Ok(0);
    }
    Ok(find_newline(file, at - 1, len)?.map_or(len, |nl| nl + 1))
}

/// Feeds the lines of `[start, end)` to `fold`; returns how many were
/// malformed.
fn fold_range(file: &File, start: u64, end: u64, fold: &mut impl Fold) -> io::Result<u64> {
    let mut malformed = 0;
    each_line(file, start, end, &mut |line| {
        malformed += u64::from(!visit(line, fold));
        Ok(true)
    })?;
    Ok(malformed)
}

/// Hands one line to `fold`; false when it is malformed.
fn visit(line: Line<'_>, fold: &mut impl Fold) -> bool {
    let Some(bytes) = line.bytes else {
        return false;
    };
    let bytes = bytes.trim_ascii();
    if bytes.is_empty() {
        return true;
    }
    let Some(head) = parse_head(bytes) else {
        return false;
    };
    if head.event_type == CHECKPOINT && !fold.wants_checkpoints() {
        return true;
    }
    let stored = Stored {
        line: bytes,
        offset: line.offset,
    };
    if fold.needs_details(&head) {
        match parse_line(bytes) {
            Some(event) => fold.add_stored(&event, stored),
            None => return false,
        }
    } else {
        fold.add_stored(&head, stored);
    }
    true
}

/// Part of the file in memory: mapped, or read when it cannot be mapped.
enum Chunk {
    Map(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Chunk {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Chunk::Map(map) => map,
            Chunk::Read(buf) => buf,
        }
    }
}

/// `[from, to)` of `file`, `to > from`.
fn load(file: &File, from: u64, to: u64) -> io::Result<Chunk> {
    // SAFETY: the mapping is only read. Appends grow the file past the
    // length read at the start (never read here); cleanup replaces the file
    // by rename, leaving this mapping on the old one. A file truncated in
    // place by another program while it is read could fault, a risk every
    // mmap reader shares.
    let mapped = unsafe {
        memmap2::MmapOptions::new()
            .offset(from)
            .len((to - from) as usize)
            .map(file)
    };
    match mapped {
        Ok(map) => Ok(Chunk::Map(map)),
        Err(_) => {
            let mut buf = vec![0u8; (to - from) as usize];
            file.read_exact_at(&mut buf, from)?;
            Ok(Chunk::Read(buf))
        }
    }
}

/// The offset of the first newline at or after `from` and before `end`,
/// looked for one window at a time.
fn find_newline(file: &File, from: u64, end: u64) -> io::Result<Option<u64>> {
    let mut at = from;
    while at < end {
        let stop = end.min(at + WINDOW);
        let chunk = load(file, at, stop)?;
        if let Some(i) = memchr::memchr(b'\n', &chunk) {
            return Ok(Some(at + i as u64));
        }
        at = stop;
    }
    Ok(None)
}

/// The engine: every line of `[start, end)` (`start` a line start) in
/// order, until `visit` says stop (false). Memory: one window, or one line
/// up to [`MAX_LINE_BYTES`].
fn each_line(
    file: &File,
    start: u64,
    end: u64,
    visit: &mut dyn FnMut(Line<'_>) -> io::Result<bool>,
) -> io::Result<()> {
    let mut pos = start;
    while pos < end {
        let stop = end.min(pos + WINDOW);
        let chunk = load(file, pos, stop)?;
        let bytes: &[u8] = &chunk;
        let mut at = 0usize;
        while let Some(i) = memchr::memchr(b'\n', &bytes[at..]) {
            let line = Line {
                number: 0,
                offset: pos + at as u64,
                len: i as u64,
                newline: true,
                bytes: Some(&bytes[at..at + i]),
            };
            if !visit(line)? {
                return Ok(());
            }
            at += i + 1;
        }
        if at == bytes.len() {
            pos = stop;
            continue;
        }
        let line_start = pos + at as u64;
        if stop == end {
            // The last line, without a newline (a torn write).
            visit(Line {
                number: 0,
                offset: line_start,
                len: end - line_start,
                newline: false,
                bytes: Some(&bytes[at..]),
            })?;
            return Ok(());
        }
        if at > 0 {
            // The line goes on past the window: the next window starts it.
            pos = line_start;
            continue;
        }
        // A line longer than the window: where does it end?
        drop(chunk);
        let newline = find_newline(file, stop, end)?;
        let line_end = newline.unwrap_or(end);
        let len = line_end - line_start;
        let whole;
        // The limit applies to the line without its surrounding whitespace
        // (as `parse_line` sees it): a full-size event ending in `\r` or
        // spaces is still read.
        let bytes = if len <= MAX_LINE_BYTES as u64 + TRIM_MARGIN {
            whole = load(file, line_start, line_end)?;
            Some(&whole[..])
        } else {
            None
        };
        let more = visit(Line {
            number: 0,
            offset: line_start,
            len,
            newline: newline.is_some(),
            bytes,
        })?;
        if !more {
            return Ok(());
        }
        pos = newline.map_or(end, |nl| nl + 1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(text: &[u8]) -> Vec<(u64, u64, bool, Option<Vec<u8>>)> {
        let dir = assert_fs::TempDir::new().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        let mut seen = Vec::new();
        lines(&path, &file, 0, |line| {
            seen.push((
                line.offset,
                line.len,
                line.newline,
                line.bytes.map(<[u8]>::to_vec),
            ));
            Ok(())
        })
        .unwrap();
        seen
    }

    #[test]
    fn lines_across_windows_and_a_torn_end() {
        let long = vec![b'x'; WINDOW as usize + 10];
        let mut text = b"a\n\nbc\n".to_vec();
        text.extend_from_slice(&long);
        text.extend_from_slice(b"\nend");
        let seen = walk(&text);
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[0], (0, 1, true, Some(b"a".to_vec())));
        assert_eq!(seen[1], (2, 0, true, Some(Vec::new())));
        assert_eq!(seen[3].1, long.len() as u64);
        assert_eq!(seen[3].3.as_deref(), Some(&long[..]));
        assert_eq!(seen[4], (text.len() as u64 - 3, 3, false, Some(b"end".to_vec())));
    }

    #[test]
    fn an_oversized_line_comes_without_its_bytes() {
        let mut text = b"{}\n".to_vec();
        let over = MAX_LINE_BYTES + TRIM_MARGIN as usize + 1;
        text.extend(std::iter::repeat_n(b'y', over));
        // A full-size line with a carriage return still comes whole.
        text.extend_from_slice(b"\n");
        text.extend(std::iter::repeat_n(b'z', MAX_LINE_BYTES));
        text.extend_from_slice(b"\r\nlast\n");
        let seen = walk(&text);
        assert_eq!(seen.len(), 4);
        assert_eq!(
            (seen[1].0, seen[1].1, seen[1].3.is_none()),
            (3, over as u64, true)
        );
        assert_eq!(seen[2].1, MAX_LINE_BYTES as u64 + 1);
        assert!(seen[2].3.is_some());
        assert_eq!(seen[3].3.as_deref(), Some(&b"last"[..]));
    }
}
