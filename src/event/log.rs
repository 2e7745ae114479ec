//! The events file: appends that never interleave or glue lines together,
//! and what a stored line must hold to be read as an event.
//!
//! Many processes append at once (parallel agents, worktrees, other tools
//! through `enforce record`), so an append takes an exclusive `flock` on the
//! file and writes the whole line with one `write` on an `O_APPEND`
//! descriptor. A crash mid-write can still leave a torn last line; the next
//! append notices the missing newline and starts a fresh line, so the torn
//! fragment stays one malformed line instead of corrupting a good one.
//!
//! Appending reads only the tail of the file (the last line, at most
//! [`MAX_LINE_BYTES`] of it held), so it costs the same on a one-line and a
//! million-line log. Reading is [`super::scan`]'s; this file says what a
//! stored line must hold to be an event ([`parse_line`], [`parse_head`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::chain::{self, Head};
use super::{Event, TimestampFormat, timestamp};
use crate::error::{Error, Result};

/// The events file at a known path.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: PathBuf,
}

impl EventLog {
    pub fn new(path: impl Into<PathBuf>) -> EventLog {
        EventLog { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event as one line, creating the file and its directory
    /// when missing.
    ///
    /// Reading the tail for the chain link and writing the line are one
    /// critical section under the lock, so concurrent appends form one
    /// linear chain. Returns the new head.
    pub fn append(&self, event: &Event, format: TimestampFormat) -> Result<Head> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| Error::io("create the events directory", dir, e))?;
        }
        let file = self.open_locked(true)?;
        let result = (|| {
            let len = file.metadata()?.len();
            let next = chain::next_link(&file, len)?;
            let line = event.to_chained_line(format, next.seq, &next.prev);
            write_after_last_line(&file, len, line.as_bytes())?;
            Ok(Head {
                seq: next.seq,
                hash: chain::hash(line.as_bytes()),
            })
        })()
        .map_err(|e: io::Error| Error::io("append to the events file", &self.path, e));
        // Dropping the file releases the lock; unlock explicitly anyway so a
        // failed unlock is not mistaken for a failed write.
        let _ = file.unlock();
        result
    }

    /// Opens the file for reading and appending under the exclusive lock.
    ///
    /// `cleanup` replaces the file by renaming a new one over it while
    /// holding the lock; a writer that was waiting for the lock then holds
    /// it on the old, unlinked file. So after locking, the descriptor must
    /// still be the file at the path, or it is reopened.
    pub(crate) fn open_locked(&self, create: bool) -> Result<File> {
        for _ in 0..100 {
            let file = open_regular(&self.path, create)?;
            file.lock()
                .map_err(|e| Error::io("lock the events file", &self.path, e))?;
            if is_current(&file, &self.path) {
                return Ok(file);
            }
        }
        Err(Error::io(
            "lock the events file",
            &self.path,
            io::Error::other("it was replaced 100 times while waiting for the lock"),
        ))
    }
}

/// Opens `path` for reading and appending, refusing anything but a
/// regular file: a symbolic link would send the events (and the lock)
/// somewhere `status` and `verify` do not look, and a FIFO would hang the
/// hook. The last component is not followed (`O_NOFOLLOW`), and the open
/// does not wait for a FIFO's other end (`O_NONBLOCK`, which means nothing
/// for a regular file).
fn open_regular(path: &Path, create: bool) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(create)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let not_regular = |what: &str| Error::EventsFileKind {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    match file {
        Ok(file) => match file.metadata() {
            Ok(m) if m.file_type().is_file() => Ok(file),
            Ok(m) => Err(not_regular(kind_of(&m.file_type()))),
            Err(e) => Err(Error::io("open the events file", path, e)),
        },
        // O_NOFOLLOW on a symbolic link.
        Err(_) if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            Err(not_regular("a symbolic link"))
        }
        Err(e) => Err(Error::io("open the events file", path, e)),
    }
}

/// What kind of file `kind` is, for the error.
fn kind_of(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// Whether `file` is still the file at `path` (same device and inode).
fn is_current(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Writes `line` plus a newline at the end of `file`, first ending a torn
/// last line if the file does not end in a newline.
fn write_after_last_line(file: &File, len: u64, line: &[u8]) -> io::Result<()> {
    let mut buf = Vec::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8];
        file.read_exact_at(&mut last, len - 1)?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    buf.extend_from_slice(line);
    buf.push(b'\n');
    if crate::fault::requested("die-mid-append") {
        (&*file).write_all(&buf[..buf.len() / 2])?;
        crate::fault::die();
    }
    // One write of the whole buffer: O_APPEND makes it land at the end even
    // if a writer that does not lock (the predecessor) appends meanwhile.
    let mut written = 0;
    while written < buf.len() {
        match (&*file).write(&buf[written..]) {
            Ok(0) => return torn(file, len, written, io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return torn(file, len, written, e),
        }
    }
    Ok(())
}

/// A write that failed part way (a full disk): the part written is cut off
/// again, so the log does not end in half a line, unless something else
/// appended meanwhile (a writer that does not lock), whose line must not be
/// cut. Returns `err`.
fn torn(file: &File, len: u64, written: usize, err: io::Error) -> io::Result<()> {
    if written > 0 && file.metadata().is_ok_and(|m| m.len() == len + written as u64) {
        let _ = file.set_len(len);
    }
    Err(err)
}

/// What a stored line must hold to be an event. Unknown fields are ignored.
#[derive(Deserialize)]
struct StoredEvent {
    timestamp: String,
    event_type: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    details: Option<Value>,
}

impl StoredEvent {
    fn into_event(self) -> Option<Event> {
        let details = match self.details {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map,
            Some(_) => return None,
        };
        if self.event_type.is_empty() {
            return None;
        }
        Some(Event {
            timestamp: timestamp::parse(&self.timestamp)?,
            event_type: self.event_type,
            source: self.source,
            details,
        })
    }
}

/// A line read for what most reports need: the details are checked to be
/// an object (or absent, or null) but not built, which is most of the cost
/// of reading an event.
#[derive(Deserialize)]
struct StoredHead<'a> {
    #[serde(borrow)]
    timestamp: Cow<'a, str>,
    #[serde(borrow)]
    event_type: Cow<'a, str>,
    #[serde(default, borrow)]
    source: Cow<'a, str>,
    #[serde(default)]
    #[allow(dead_code)]
    details: DetailsShape,
}

/// `details` as readers accept it: an object or null, contents skipped.
#[derive(Default)]
struct DetailsShape;

impl<'de> Deserialize<'de> for DetailsShape {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Shape;
        impl<'de> serde::de::Visitor<'de> for Shape {
            type Value = DetailsShape;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object or null")
            }
            fn visit_unit<E>(self) -> std::result::Result<DetailsShape, E> {
                Ok(DetailsShape)
            }
            fn visit_none<E>(self) -> std::result::Result<DetailsShape, E> {
                Ok(DetailsShape)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DetailsShape, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(DetailsShape)
            }
        }
        deserializer.deserialize_any(Shape)
    }
}

/// Reads a stored line as an event without its details (left empty);
/// `None` exactly when [`parse_line`] would say it is not an event.
pub fn parse_head(line: &[u8]) -> Option<Event> {
    if line.len() > MAX_LINE_BYTES {
        return None;
    }
    if let Some(event) = fast_head(line) {
        return event;
    }
    let head = serde_json::from_slice::<StoredHead>(line).ok()?;
    if head.event_type.is_empty() {
        return None;
    }
    Some(Event {
        timestamp: timestamp::parse(&head.timestamp)?,
        event_type: head.event_type.into_owned(),
        source: head.source.into_owned(),
        details: Map::new(),
    })
}

/// The layouts enforce and the predecessor write, read without serde's
/// field matching: `{"timestamp": "…", "event_type": "…", "source": "…",
/// "details": {` with or without the spaces. The whole line is still
/// checked to be JSON. `None` when the line has another layout (the general
/// reader decides); `Some(None)` when it is not an event.
fn fast_head(line: &[u8]) -> Option<Option<Event>> {
    fn ws(b: &[u8]) -> &[u8] {
        let n = b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count();
        &b[n..]
    }
    /// The raw bytes of a string without escapes, and what follows it.
    fn raw_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
        let b = b.strip_prefix(b"\"")?;
        let end = memchr::memchr2(b'"', b'\\', b)?;
        if b[end] != b'"' {
            return None;
        }
        Some((&b[..end], &b[end + 1..]))
    }
    fn string(b: &[u8]) -> Option<(&str, &[u8])> {
        let (raw, rest) = raw_string(b)?;
        Some((std::str::from_utf8(raw).ok()?, rest))
    }
    fn field<'a>(b: &'a [u8], key: &str) -> Option<&'a [u8]> {
        let (name, rest) = raw_string(ws(b))?;
        if name != key.as_bytes() {
            return None;
        }
        Some(ws(ws(rest).strip_prefix(b":")?))
    }
    let rest = line.strip_prefix(b"{")?;
    let (timestamp, rest) = string(field(rest, "timestamp")?)?;
    let (event_type, rest) = string(field(ws(rest).strip_prefix(b",")?, "event_type")?)?;
    let (source, rest) = string(field(ws(rest).strip_prefix(b",")?, "source")?)?;
    let details = field(ws(rest).strip_prefix(b",")?, "details")?;
    if !details.starts_with(b"{") {
        return None;
    }
    // The layout is known; the line must still be one JSON value.
    if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() || event_type.is_empty() {
        return Some(None);
    }
    Some(timestamp::parse(timestamp).map(|at| Event {
        timestamp: at,
        event_type: event_type.to_string(),
        source: source.to_string(),
        details: Map::new(),
    }))
}

/// The longest line read as an event. Events enforce writes are a few
/// kilobytes (file lists are capped); a longer line is counted as malformed
/// without being parsed or held in memory whole, so one runaway line cannot
/// make every report slow or large. Cleanup still keeps it verbatim.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// Reads one stored line as an event; `None` when it is not one.
pub fn parse_line(line: &[u8]) -> Option<Event> {
    if line.len() > MAX_LINE_BYTES {
        return None;
    }
    serde_json::from_slice::<StoredEvent>(line)
        .ok()
        .and_then(StoredEvent::into_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::event::scan::{Fold, pass};

    struct All(Vec<Event>);

    impl Fold for All {
        fn add(&mut self, event: &Event) {
            self.0.push(event.clone());
        }
    }

    fn read_log(log: &EventLog) -> (Vec<Event>, u64) {
        let mut all = All(Vec::new());
        let malformed = pass(log, &mut all).unwrap();
        (all.0, malformed)
    }

    fn read_all(text: &str) -> (Vec<Event>, u64) {
        let dir = assert_fs::TempDir::new().unwrap();
        let log = EventLog::new(dir.path().join("events.jsonl"));
        fs::write(log.path(), text).unwrap();
        read_log(&log)
    }

    #[test]
    fn an_overlong_line_is_counted_not_held() {
        let event = r#"{"timestamp":"2026-11-21T14:03:07+00:00","event_type":"a","source":"s","details":{}}"#;
        let long = format!("{{\"x\":\"{}\"}}", "y".repeat(MAX_LINE_BYTES + 1));
        let text = format!("{event}\n{long}\n{event}\n");
        let (events, malformed) = read_all(&text);
        assert_eq!((events.len(), malformed), (2, 1));
        assert!(parse_head(long.as_bytes()).is_none());
    }

    #[test]
    fn skips_and_counts_what_is_not_an_event() {
        let text = concat!(
            r#"{"timestamp":"2026-11-21T14:03:07.120391+00:00","event_type":"bypass_review","source":"pre-commit","details":{"user":"a"}}"#,
            "\n",
            "not json\n",
            "\n",
            r#"{"timestamp":"2025-01-15T10:30:00.123456","event_type":"import_blocked","source":"guards.py","details":{}}"#,
            "\n",
            r#"{"timestamp":"soon","event_type":"x","source":"s","details":{}}"#,
            "\n",
            r#"{"event_type":"x","source":"s","details":{}}"#,
            "\n",
            r#"{"timestamp":"2025-01-15T10:30:00","event_type":"x","source":"s","details":[1]}"#,
            "\n",
            r#"[1,2,3]"#,
            "\n",
            r#"{"timestamp":"2025-01-15T10:30:00","event_type":"some_tool_event","extra":1}"#,
            "\n",
            r#"{"timestamp":"2026-11-21T14:03:07.120391+00:00","event_type":"commit_compl"#,
        );
        let (events, malformed) = read_all(text);
        let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["bypass_review", "import_blocked", "some_tool_event"]);
        assert_eq!(events[0].details["user"], "a");
        assert_eq!(events[2].source, "");
        assert_eq!(malformed, 6);
    }

    #[test]
    fn reading_the_head_only_agrees_with_reading_the_whole_line() {
        let lines: [&[u8]; 12] = [
            br#"{"timestamp":"2026-11-21T14:03:07.120391+00:00","event_type":"a","source":"s","details":{"x":[1,{"y":2}]}}"#,
            br#"{"timestamp": "2025-01-15T10:30:00", "event_type": "a", "source": "s"}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"a","details":null}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"a","details":[1]}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"a","details":"x"}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"","details":{}}"#,
            br#"{"timestamp":"soon","event_type":"a"}"#,
            br#"{"event_type":"a"}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"a","details":{"x":}}"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"a\u00e9","source":"\"q\""}"#,
            br#"[1]"#,
            br#"{"timestamp":"2025-01-15T10:30:00","event_type":"commit_comp"#,
        ];
        for line in lines {
            let full = parse_line(line);
            let head = parse_head(line);
            assert_eq!(
                full.is_some(),
                head.is_some(),
                "{}",
                String::from_utf8_lossy(line)
            );
            if let (Some(full), Some(head)) = (full, head) {
                assert_eq!(
                    (full.timestamp, full.event_type, full.source),
                    (head.timestamp, head.event_type, head.source)
                );
            }
        }
    }

    #[test]
    fn append_after_a_torn_line_starts_a_new_line() {
        let dir = std::env::temp_dir().join(format!("enforce-log-test-{}", std::process::id()));
        let log = EventLog::new(dir.join("nested/events.jsonl"));
        let event = Event::now("bypass_review", "test", Map::new());
        log.append(&event, TimestampFormat::Rfc3339).unwrap();
        fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap()
            .write_all(b"{\"timestamp\":\"2026")
            .unwrap();
        log.append(&event, TimestampFormat::Naive).unwrap();
        let (events, malformed) = read_log(&log);
        assert_eq!((events.len(), malformed), (2, 1));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_reads_as_empty() {
        let log = EventLog::new("/nonexistent/enforce/events.jsonl");
        assert_eq!(read_log(&log), (Vec::new(), 0));
    }
}
