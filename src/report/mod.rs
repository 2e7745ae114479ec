//! Reports: pure folds over a stream of events into plain data.
//!
//! Each report has an accumulator that sees every event once and keeps only
//! what its result needs (counts, a bounded list), so memory stays flat
//! however large the log; the dashboard runs several in the same pass.
//! Rendering is elsewhere ([`crate::view`]): text, JSON and CSV are views
//! of these structures.

pub mod alert;
pub mod bypass;
pub mod dashboard;
pub mod events;
pub mod score;
pub mod stats;

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use chrono::{DateTime, Duration, FixedOffset, Local};
use serde::Serialize;

use std::fs::File;

use crate::error::{Error, Result};
use crate::event::chain::CHECKPOINT;
use crate::event::log::{parse_head, parse_line};
use crate::event::{Event, EventLog};

/// The instant reports treat as "now". `ENFORCE_NOW` (RFC 3339) fixes it,
/// so a report can be reproduced later; it affects reports only, never a
/// rule decision.
pub fn now() -> Result<DateTime<FixedOffset>> {
    match std::env::var("ENFORCE_NOW") {
        Ok(text) if !text.trim().is_empty() => DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
            Error::usage(
                format!("ENFORCE_NOW=`{text}` is not an RFC 3339 time"),
                "e.g. ENFORCE_NOW=2026-11-21T12:00:00+00:00, or unset it to report as of now",
            )
        }),
        _ => Ok(Local::now().fixed_offset()),
    }
}

/// A half-open span of time `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
}

impl Window {
    /// The last `days` days up to `now` (events stamped after `now` count
    /// too: a clock that runs ahead must not hide them).
    pub fn last_days(now: DateTime<FixedOffset>, days: u64) -> Window {
        Window {
            start: now - days_duration(days),
            end: DateTime::<FixedOffset>::MAX_UTC.fixed_offset(),
        }
    }

    /// The `days` days before the last `days` days.
    pub fn previous_days(now: DateTime<FixedOffset>, days: u64) -> Window {
        let end = now - days_duration(days);
        Window {
            start: end - days_duration(days),
            end,
        }
    }

    pub fn contains(&self, at: &DateTime<FixedOffset>) -> bool {
        *at >= self.start && *at < self.end
    }
}

/// The longest window a report takes (a thousand years): every window then
/// starts at a date that can be printed. The CLI refuses longer ones.
pub const MAX_DAYS: u64 = 365_000;

pub fn days_duration(days: u64) -> Duration {
    Duration::days(days.min(MAX_DAYS) as i64)
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
/// malformed. The checkpoints `cleanup` leaves are bookkeeping of the log,
/// not enforcement events: only folds that ask see them.
pub fn pass(log: &EventLog, fold: &mut impl Fold) -> Result<u64> {
    let Some(file) = open_regular(log)? else {
        return Ok(0);
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    scan(&file, 0, len, fold).map_err(|e| Error::io("read the events file", log.path(), e))
}

/// The events file for reading: `None` when there is none yet; an error
/// when it is not a regular file (a directory, a device: reading
/// `/dev/zero` as a log would never end).
pub fn open_regular(log: &EventLog) -> Result<Option<File>> {
    let path = log.path();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read the events file", path, e)),
        Ok(meta) if !meta.is_file() => {
            return Err(Error::usage(
                format!("the events file `{}` is not a regular file", path.display()),
                "point --events-file, ENFORCE_EVENTS_FILE or [telemetry] events_file at a file",
            ));
        }
        Ok(_) => {}
    }
    File::open(path)
        .map(Some)
        .map_err(|e| Error::io("read the events file", path, e))
}

/// Logs smaller than this are read in one thread.
const PARALLEL_FROM: u64 = 16 * 1024 * 1024;

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
        let malformed = scan(&file, 0, len, &mut fold).map_err(io)?;
        return Ok((fold, malformed));
    }
    let mut bounds = vec![0];
    for k in 1..parts {
        bounds.push(line_start_after(&file, len * k / parts).map_err(io)?);
    }
    bounds.push(len);
    bounds.dedup();
    let results: Vec<std::io::Result<(F, u64)>> = std::thread::scope(|scope| {
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
                    scan(&file, start, end, &mut part).map(|m| (part, m))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a report thread panicked"))
            .collect()
    });
    let mut merged = fold;
    let mut malformed = 0;
    for result in results {
        let (part, m) = result.map_err(io)?;
        merged.merge(part);
        malformed += m;
    }
    Ok((merged, malformed))
}

/// The offset of the first line starting at or after `at`.
fn line_start_after(file: &File, at: u64) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    if at == 0 {
        return Ok(0);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut pos = at - 1;
    loop {
        let n = file.read_at(&mut buf, pos)?;
        if n == 0 {
            return Ok(pos);
        }
        if let Some(i) = buf[..n].iter().position(|b| *b == b'\n') {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
}

/// How much of the file is mapped at a time: the pages of one window are
/// released before the next is mapped, so memory stays flat.
const WINDOW: u64 = 8 * 1024 * 1024;

/// Reads the lines in `[start, end)` of `file` into `fold`.
///
/// The file is mapped into memory window by window rather than read: lines
/// are slices of the mapping and nothing is copied. A file that cannot be
/// mapped is read.
fn scan(file: &File, start: u64, end: u64, fold: &mut impl Fold) -> std::io::Result<u64> {
    let mut malformed = 0;
    let mut pos = start;
    let mut window = WINDOW;
    while pos < end {
        let stop = end.min(pos + window);
        // SAFETY: the mapping is only read. Appends grow the file past
        // `end` (never read here); cleanup replaces the file by rename,
        // leaving this mapping on the old one. A file truncated in place by
        // another program while it is read could fault, a risk every mmap
        // reader shares.
        let map = match unsafe {
            memmap2::MmapOptions::new()
                .offset(pos)
                .len((stop - pos) as usize)
                .map(file)
        } {
            Ok(map) => map,
            Err(_) => return scan_read(file, pos, end, fold).map(|m| m + malformed),
        };
        let bytes: &[u8] = &map;
        // Only whole lines: the last one may go on in the next window.
        let whole = if stop == end {
            bytes.len()
        } else {
            match memchr::memrchr(b'\n', bytes) {
                Some(i) => i + 1,
                None => {
                    // A line longer than the window: map more at once.
                    window *= 2;
                    continue;
                }
            }
        };
        let mut at = 0usize;
        while at < whole {
            let next = memchr::memchr(b'\n', &bytes[at..whole]).map_or(whole, |i| at + i + 1);
            malformed += u64::from(!visit(&bytes[at..next], pos + at as u64, fold));
            at = next;
        }
        pos += whole as u64;
        window = WINDOW;
    }
    Ok(malformed)
}

/// [`scan`] by reading, for files that cannot be mapped.
fn scan_read(file: &File, start: u64, end: u64, fold: &mut impl Fold) -> std::io::Result<u64> {
    use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
    let mut handle = file;
    handle.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(256 * 1024, handle.take(end - start));
    let mut buf = Vec::with_capacity(1024);
    let mut offset = start;
    let mut malformed = 0;
    loop {
        buf.clear();
        let read = reader.read_until(b'\n', &mut buf)?;
        if read == 0 {
            return Ok(malformed);
        }
        malformed += u64::from(!visit(&buf, offset, fold));
        offset += read as u64;
    }
}

/// Hands one stored line to `fold`; false when it is malformed.
fn visit(raw: &[u8], offset: u64, fold: &mut impl Fold) -> bool {
    let line = raw.trim_ascii();
    if line.is_empty() {
        return true;
    }
    let Some(head) = parse_head(line) else {
        return false;
    };
    if head.event_type == CHECKPOINT && !fold.wants_checkpoints() {
        return true;
    }
    let stored = Stored { line, offset };
    if fold.needs_details(&head) {
        match parse_line(line) {
            Some(event) => fold.add_stored(&event, stored),
            None => return false,
        }
    } else {
        fold.add_stored(&head, stored);
    }
    true
}

/// The newest `limit` items offered, by timestamp and then by position in
/// the file, in a bounded heap: memory is `limit` items, however many are
/// offered.
pub struct Newest<T> {
    limit: usize,
    heap: BinaryHeap<Reverse<Ranked<T>>>,
}

struct Ranked<T>(DateTime<FixedOffset>, u64, T);

impl<T> PartialEq for Ranked<T> {
    fn eq(&self, other: &Self) -> bool {
        (self.0, self.1) == (other.0, other.1)
    }
}
impl<T> Eq for Ranked<T> {}
impl<T> PartialOrd for Ranked<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<T> Ord for Ranked<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.0, self.1).cmp(&(other.0, other.1))
    }
}

impl<T> Newest<T> {
    pub fn new(limit: usize) -> Newest<T> {
        Newest {
            limit,
            heap: BinaryHeap::new(),
        }
    }

    /// Whether an item at `(at, position)` would be kept now.
    pub fn wants(&self, at: DateTime<FixedOffset>, position: u64) -> bool {
        self.limit > 0
            && (self.heap.len() < self.limit
                || self
                    .heap
                    .peek()
                    .is_some_and(|Reverse(oldest)| (at, position) > (oldest.0, oldest.1)))
    }

    /// Offers an item stamped `at`, found at `position` in the file.
    pub fn offer(&mut self, at: DateTime<FixedOffset>, position: u64, item: impl FnOnce() -> T) {
        if !self.wants(at, position) {
            return;
        }
        if self.heap.len() == self.limit {
            self.heap.pop();
        }
        self.heap.push(Reverse(Ranked(at, position, item())));
    }

    /// Keeps the newest of both.
    pub fn merge(&mut self, other: Newest<T>) {
        for Reverse(Ranked(at, position, item)) in other.heap {
            self.offer(at, position, || item);
        }
    }

    /// The kept items, newest first.
    pub fn finish(self) -> Vec<T> {
        let mut ranked: Vec<Ranked<T>> = self.heap.into_iter().map(|Reverse(r)| r).collect();
        ranked.sort_by(|a, b| b.cmp(a));
        ranked.into_iter().map(|r| r.2).collect()
    }
}

/// Which way a count moved between two windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    Increasing,
    Decreasing,
    Stable,
}

impl Trend {
    /// The predecessor's rule: from zero, any count is an increase; else a
    /// change beyond `percent` either way is a trend.
    pub fn of(current: u64, previous: u64, percent: u64) -> Trend {
        if previous == 0 {
            return if current == 0 {
                Trend::Stable
            } else {
                Trend::Increasing
            };
        }
        // Integer arithmetic: a change of exactly `percent` is not a trend.
        let change = (i128::from(current) - i128::from(previous)) * 100;
        let limit = i128::from(percent) * i128::from(previous);
        if change > limit {
            Trend::Increasing
        } else if change < -limit {
            Trend::Decreasing
        } else {
            Trend::Stable
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Trend::Increasing => "increasing",
            Trend::Decreasing => "decreasing",
            Trend::Stable => "stable",
        }
    }
}

/// A string detail of an event, if present.
pub fn detail<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event.details.get(key).and_then(|v| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_boundaries() {
        let cases = [
            (0, 0, Trend::Stable),
            (1, 0, Trend::Increasing),
            (12, 10, Trend::Stable),
            (13, 10, Trend::Increasing),
            (8, 10, Trend::Stable),
            (7, 10, Trend::Decreasing),
            (0, 5, Trend::Decreasing),
            (6, 5, Trend::Stable),
        ];
        for (current, previous, expected) in cases {
            assert_eq!(
                Trend::of(current, previous, 20),
                expected,
                "{current} vs {previous}"
            );
        }
    }

    #[test]
    fn windows_are_half_open() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let current = Window::last_days(now, 7);
        let previous = Window::previous_days(now, 7);
        let boundary = DateTime::parse_from_rfc3339("2026-11-14T12:00:00+00:00").unwrap();
        assert!(current.contains(&boundary));
        assert!(!previous.contains(&boundary));
        let just_before = boundary - Duration::microseconds(1);
        assert!(previous.contains(&just_before));
        assert!(!current.contains(&just_before));
        let future = DateTime::parse_from_rfc3339("2027-01-01T00:00:00+00:00").unwrap();
        assert!(current.contains(&future));
        assert!(!previous.contains(&DateTime::parse_from_rfc3339("2026-11-07T11:59:59+00:00").unwrap()));
    }
}
