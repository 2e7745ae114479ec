//! `cleanup`: drop events older than the retention, keep everything else.
//!
//! The log is rewritten to a temporary file beside it and renamed over it,
//! under the same exclusive lock appends take, so a crash at any point
//! leaves either the old file or the new one, and no append is lost (see
//! [`EventLog::open_locked`]). Lines that cannot be read as events are kept
//! verbatim: nothing that cannot be parsed is ever deleted. Neither is a
//! label (`bypass_labeled`), however old: it is a person's judgement, an
//! audit trail, and carries what its bypass was, so it still counts and
//! exports after its bypass is gone.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use super::scan::{self, Line};
use super::{Event, EventLog, TimestampFormat, chain};
use crate::error::{Error, Result};

/// What cleanup did, or would do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cleanup {
    pub days: u64,
    /// Events older than this were removed.
    pub cutoff: String,
    pub removed: u64,
    /// Lines kept: recent events and unreadable lines.
    pub kept: u64,
    /// Of the kept lines, those that could not be read as events.
    pub malformed_kept: u64,
    /// Of the kept lines, labels older than the cutoff (labels are never
    /// removed).
    pub labels_kept: u64,
    /// Blank lines dropped.
    pub blank_removed: u64,
    /// Checkpoint lines written where lines were removed.
    pub checkpoints: u64,
    pub dry_run: bool,
    pub path: PathBuf,
}

/// How one line fares: removed only if readers read it as an event (the
/// same test) older than the cutoff, and not a label; kept byte for byte
/// otherwise. A line too long to be an event is kept, unread.
fn fate(line: &Line<'_>, cutoff: &DateTime<FixedOffset>) -> Step {
    if line.is_blank() {
        return Step::Blank;
    }
    let keep = |malformed, old_label| Step::Keep { malformed, old_label };
    match line.event() {
        Some(event) if event.timestamp < *cutoff && event.event_type == super::types::BYPASS_LABELED => {
            keep(false, true)
        }
        Some(event) if event.timestamp < *cutoff => Step::Remove {
            hash: String::new(),
            seq: 0,
        },
        Some(_) => keep(false, false),
        None => keep(true, false),
    }
}

/// A run of removed lines.
struct Cut {
    /// The hash the next kept line links to: the last removed line's.
    hash: String,
    /// The last sequence number seen up to there.
    seq: u64,
    removed: u64,
}

/// What `(event_type, source, rule, bypass_method)` counted, cumulatively,
/// for the events cleanup removed: Prometheus counters must never go down.
pub type TotalsKey = (String, String, String, String);

/// Cumulative counts of removed events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals(pub std::collections::BTreeMap<TotalsKey, u64>);

impl Totals {
    /// The key an event is counted under.
    pub fn key(event: &Event) -> TotalsKey {
        let get = |k: &str| {
            event
                .details
                .get(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        (
            event.event_type.clone(),
            event.source.clone(),
            get("rule"),
            get("bypass_method"),
        )
    }

    pub fn add(&mut self, key: TotalsKey, count: u64) {
        *self.0.entry(key).or_insert(0) += count;
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.0
                .iter()
                .map(|((event_type, source, rule, method), count)| {
                    serde_json::json!({"event_type": event_type, "source": source, "rule": rule, "method": method, "count": count})
                })
                .collect(),
        )
    }

    /// Reads the `totals` of a checkpoint's details.
    pub fn from_json(value: &serde_json::Value) -> Totals {
        let mut totals = Totals::default();
        for item in value.as_array().into_iter().flatten() {
            let get = |k: &str| item.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            let count = item.get("count").and_then(|v| v.as_u64()).unwrap_or(0);
            totals.add(
                (get("event_type"), get("source"), get("rule"), get("method")),
                count,
            );
        }
        totals
    }
}

/// The line that stands where a run of lines was removed; the first one a
/// cleanup writes also carries the cumulative totals of all removed events.
/// Stamped in the log's `format`, like every other line enforce writes: a
/// reader of naive timestamps (the predecessor's) must read it too.
fn checkpoint(cut: &Cut, cutoff: &str, totals: Option<&Totals>, format: TimestampFormat) -> String {
    let mut details = serde_json::json!({
        "removed": cut.removed,
        "last_removed_hash": cut.hash,
        "last_removed_seq": cut.seq,
        "cutoff": cutoff,
    });
    if let Some(totals) = totals {
        details["totals"] = totals.to_json();
    }
    Event::now(
        chain::CHECKPOINT,
        "enforce cleanup",
        crate::event::details(details),
    )
    .to_line(format)
}

/// What happens to one line.
enum Step {
    Remove {
        hash: String,
        seq: u64,
    },
    /// An earlier checkpoint: dropped, its totals and its link carried over.
    Checkpoint {
        hash: String,
        seq: u64,
        totals: Totals,
    },
    Keep {
        malformed: bool,
        /// A label older than the cutoff.
        old_label: bool,
    },
    Blank,
}

/// Walks every line of `file` with its step, through the scanner.
fn walk(
    file: &File,
    path: &Path,
    cutoff: &DateTime<FixedOffset>,
    mut visit: impl FnMut(&Line<'_>, Step) -> Result<()>,
) -> Result<()> {
    let mut last_seq = 0;
    scan::lines(path, file, 0, |line| {
        let links = line.bytes.and_then(chain::Links::of);
        if let Some((hash, seq)) = links.as_ref().and_then(|l| l.checkpoint()) {
            last_seq = last_seq.max(seq);
            let totals = line
                .bytes
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                .map(|v| Totals::from_json(&v["details"]["totals"]))
                .unwrap_or_default();
            return visit(&line, Step::Checkpoint { hash, seq, totals });
        }
        if let Some(seq) = links.as_ref().filter(|l| l.is_chained()).and_then(|l| l.seq) {
            last_seq = last_seq.max(seq);
        }
        let step = match fate(&line, cutoff) {
            Step::Remove { .. } => Step::Remove {
                hash: line.bytes.map(chain::hash).unwrap_or_default(),
                seq: last_seq,
            },
            other => other,
        };
        visit(&line, step)
    })
}

/// Removes events stamped before `cutoff` from `log`; with `dry_run`,
/// only counts. Checkpoints are stamped in `format`.
///
/// Two passes under the lock: the first counts what goes and adds it to
/// the totals, the second writes the new file, so the first checkpoint can
/// carry the complete totals.
pub fn cleanup(
    log: &EventLog,
    days: u64,
    cutoff: DateTime<FixedOffset>,
    dry_run: bool,
    format: TimestampFormat,
) -> Result<Cleanup> {
    let path = log.path().to_path_buf();
    let mut result = Cleanup {
        days,
        cutoff: cutoff.to_rfc3339(),
        removed: 0,
        kept: 0,
        malformed_kept: 0,
        labels_kept: 0,
        blank_removed: 0,
        checkpoints: 0,
        dry_run,
        path: path.clone(),
    };
    match fs::metadata(&path) {
        Err(_) => return Ok(result),
        Ok(meta) if !meta.is_file() => {
            return Err(Error::NotARegularFile { path: path.clone() });
        }
        Ok(_) => {}
    }
    let file = if dry_run {
        File::open(&path).map_err(|e| Error::io("read the events file", &path, e))?
    } else {
        log.open_locked(false)?
    };

    let mut totals = Totals::default();
    let mut rewrite_needed = false;
    walk(&file, &path, &cutoff, |line, step| {
        match step {
            Step::Remove { .. } => {
                result.removed += 1;
                rewrite_needed = true;
                if let Some(event) = line.event() {
                    totals.add(Totals::key(&event), 1);
                }
            }
            Step::Checkpoint { totals: earlier, .. } => {
                for (key, count) in earlier.0 {
                    totals.add(key, count);
                }
            }
            Step::Keep { malformed, old_label } => {
                result.kept += 1;
                result.malformed_kept += u64::from(malformed);
                result.labels_kept += u64::from(old_label);
            }
            Step::Blank => {
                result.blank_removed += 1;
                rewrite_needed = true;
            }
        }
        Ok(())
    })?;
    if dry_run || !rewrite_needed {
        return Ok(result);
    }

    let mut writer = Rewrite::new(&path)?;
    // Where lines were removed the chain is cut: a checkpoint names the hash
    // the next kept line links to and the last sequence number, so the
    // cleaned log still verifies.
    let mut cut: Option<Cut> = None;
    let mut pending_totals = Some(totals.clone());
    let mut kept = 0u64;
    walk(&file, &path, &cutoff, |line, step| {
        let counts = u64::from(matches!(step, Step::Remove { .. }));
        match step {
            Step::Remove { hash, seq } | Step::Checkpoint { hash, seq, .. } => {
                let removed = cut.take().map_or(0, |c| c.removed) + counts;
                cut = Some(Cut { hash, seq, removed });
            }
            Step::Blank => {}
            Step::Keep { .. } => {
                if let Some(cut) = cut.take() {
                    writer.line(
                        checkpoint(&cut, &result.cutoff, pending_totals.take().as_ref(), format).as_bytes(),
                    )?;
                    result.checkpoints += 1;
                }
                writer.copy(&file, line)?;
                kept += 1;
                if kept == 2 && crate::fault::requested("die-mid-cleanup") {
                    let _ = writer.out.flush();
                    crate::fault::die();
                }
            }
        }
        Ok(())
    })?;
    if let Some(cut) = cut.take() {
        writer.line(checkpoint(&cut, &result.cutoff, pending_totals.take().as_ref(), format).as_bytes())?;
        result.checkpoints += 1;
    }
    writer.commit(&file)?;
    // A copy of the totals beside the log, for other tools; the log's own
    // checkpoint is the record, renamed into place with it.
    let mirror = path.with_file_name(format!(
        "{}.totals.json",
        path.file_name().unwrap_or_default().to_string_lossy()
    ));
    let mut mirrored = serde_json::to_string_pretty(&totals.to_json()).unwrap_or_default();
    mirrored.push('\n');
    let _ = std::fs::write(&mirror, mirrored);
    // `file` (and with it the lock) is released here, after the rename.
    drop(file);
    Ok(result)
}

/// The new file being written beside the log.
struct Rewrite {
    target: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
}

impl Rewrite {
    fn new(target: &Path) -> Result<Rewrite> {
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let tmp = target.with_file_name(format!(".{name}.cleanup-{}", std::process::id()));
        let file = File::create(&tmp).map_err(|e| Error::io("create the temporary file", &tmp, e))?;
        Ok(Rewrite {
            target: target.to_path_buf(),
            tmp,
            out: BufWriter::with_capacity(64 * 1024, file),
        })
    }

    fn line(&mut self, body: &[u8]) -> Result<()> {
        self.out
            .write_all(body)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| self.fail(e))
    }

    /// Copies a kept line of `file`: from memory, or in chunks when it is
    /// too long to have been read.
    fn copy(&mut self, file: &File, line: &Line<'_>) -> Result<()> {
        if let Some(bytes) = line.bytes {
            return self.line(bytes);
        }
        let out = &mut self.out;
        let copied = scan::for_each_chunk(file, line.offset, line.len, |chunk| out.write_all(chunk))
            .and_then(|()| out.write_all(b"\n"));
        copied.map_err(|e| self.fail(e))
    }

    /// Makes the new file durable and renames it over the old one.
    fn commit(mut self, old: &File) -> Result<()> {
        let done = (|| -> io::Result<()> {
            self.out.flush()?;
            let file = self.out.get_ref();
            if let Ok(meta) = old.metadata() {
                file.set_permissions(meta.permissions())?;
            }
            file.sync_all()?;
            fs::rename(&self.tmp, &self.target)?;
            if let Some(dir) = self.target.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        done.map_err(|e| self.fail(e))
    }

    fn fail(&self, e: io::Error) -> Error {
        let _ = fs::remove_file(&self.tmp);
        Error::io("rewrite the events file", &self.target, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_recent_and_unreadable_lines_verbatim() {
        let dir = std::env::temp_dir().join(format!("enforce-cleanup-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        let text = concat!(
            "{\"timestamp\": \"2025-01-15T10:30:00\", \"event_type\": \"old\", \"source\": \"s\", \"details\": {}}\n",
            "garbage line\n",
            "\n",
            "{\"timestamp\":\"2026-11-20T10:00:00+00:00\",\"event_type\":\"new\",\"source\":\"s\",\"details\":{\"x\":1}}\n",
            "{\"timestamp\":\"2026-11-20T10:00:00+00:00\",\"event_type\":\"torn"
        );
        fs::write(&path, text).unwrap();
        let log = EventLog::new(&path);
        let cutoff = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+00:00").unwrap();

        let dry = cleanup(&log, 30, cutoff, true, TimestampFormat::Rfc3339).unwrap();
        assert_eq!(
            (dry.removed, dry.kept, dry.malformed_kept, dry.blank_removed),
            (1, 3, 2, 1)
        );
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            text,
            "a dry run writes nothing"
        );

        let done = cleanup(&log, 30, cutoff, false, TimestampFormat::Naive).unwrap();
        assert_eq!((done.removed, done.kept), (1, 3));
        let after = fs::read_to_string(&path).unwrap();
        let (first, rest) = after.split_once('\n').unwrap();
        let checkpoint: serde_json::Value = serde_json::from_str(first).unwrap();
        assert_eq!(checkpoint["event_type"], "log_checkpoint");
        let stamp = checkpoint["timestamp"].as_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%dT%H:%M:%S%.6f").is_ok(),
            "a naive log gets a naive checkpoint: {stamp}"
        );
        assert_eq!(
            checkpoint["details"]["last_removed_hash"],
            chain::hash(
                br#"{"timestamp": "2025-01-15T10:30:00", "event_type": "old", "source": "s", "details": {}}"#
            )
        );
        assert_eq!(done.checkpoints, 1);
        assert_eq!(
            rest,
            concat!(
                "garbage line\n",
                "{\"timestamp\":\"2026-11-20T10:00:00+00:00\",\"event_type\":\"new\",\"source\":\"s\",\"details\":{\"x\":1}}\n",
                "{\"timestamp\":\"2026-11-20T10:00:00+00:00\",\"event_type\":\"torn\n"
            )
        );
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            names.iter().all(|n| !n.contains(".cleanup-")),
            "no temporary file left: {names:?}"
        );
        let totals: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("events.jsonl.totals.json")).unwrap()).unwrap();
        assert_eq!(
            totals,
            serde_json::json!([{"event_type": "old", "source": "s", "rule": "", "method": "", "count": 1}])
        );
        assert_eq!(checkpoint["details"]["totals"], totals);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn labels_are_never_removed() {
        let dir = std::env::temp_dir().join(format!("enforce-cleanup-labels-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.jsonl");
        let bypass = r#"{"timestamp":"2025-01-15T10:30:00+00:00","event_type":"commit_review_bypassed","source":"post-commit","details":{}}"#;
        let label = r#"{"timestamp":"2025-01-16T10:30:00+00:00","event_type":"bypass_labeled","source":"enforce label","details":{"label":"justified"}}"#;
        let other = r#"{"timestamp":"2025-01-17T10:30:00+00:00","event_type":"commit_completed","source":"post-commit","details":{}}"#;
        let new = r#"{"timestamp":"2026-11-20T10:00:00+00:00","event_type":"bypass_labeled","source":"enforce label","details":{}}"#;
        fs::write(&path, [bypass, label, other, new].join("\n") + "\n").unwrap();
        let log = EventLog::new(&path);
        let cutoff = DateTime::parse_from_rfc3339("2026-01-01T00:00:00+00:00").unwrap();
        let done = cleanup(&log, 30, cutoff, false, TimestampFormat::Rfc3339).unwrap();
        assert_eq!(
            (done.removed, done.kept, done.labels_kept, done.checkpoints),
            (2, 2, 1, 2)
        );
        let after = fs::read_to_string(&path).unwrap();
        let kept: Vec<&str> = after.lines().filter(|l| !l.contains("log_checkpoint")).collect();
        assert_eq!(kept, [label, new], "labels stay byte for byte, however old");
        fs::remove_dir_all(&dir).unwrap();
    }
}
