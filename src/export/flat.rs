//! `enforce export csv|jsonl`: the log as flat rows, for spreadsheets and
//! pandas. Rows stream out as the log is read. With `--labelled`, one row
//! per labelled bypass instead, for an external trainer: the newest label
//! of each, with what the bypass was, from the labels alone (so a bypass
//! `cleanup` removed is still exported).

use std::io::Write;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::Serialize;

use crate::event::Event;
use crate::event::kind::{BypassCategory, bypass_category};
use crate::report::labels::Labels;
use crate::report::{Fold, Window, detail};

/// The CSV columns, in order.
pub const COLUMNS: [&str; 9] = [
    "timestamp",
    "event_type",
    "source",
    "rule",
    "user",
    "branch",
    "commit_sha",
    "file_count",
    "details",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Flat {
    Csv,
    Jsonl,
}

/// Writes matching events as rows.
pub struct FlatFold<'w> {
    format: Flat,
    window: Window,
    event_type: Option<String>,
    csv: Option<csv::Writer<&'w mut dyn Write>>,
    raw: Option<&'w mut dyn Write>,
    pub rows: u64,
    pub error: Option<std::io::Error>,
}

impl<'w> FlatFold<'w> {
    pub fn new(
        out: &'w mut dyn Write,
        format: Flat,
        now: DateTime<FixedOffset>,
        days: u64,
        event_type: Option<String>,
    ) -> FlatFold<'w> {
        let (csv, raw) = match format {
            Flat::Csv => {
                let mut writer = csv::Writer::from_writer(out);
                let _ = writer.write_record(COLUMNS);
                (Some(writer), None)
            }
            Flat::Jsonl => (None, Some(out)),
        };
        FlatFold {
            format,
            window: Window::last_days(now, days),
            event_type: event_type.map(|t| t.to_lowercase()),
            csv,
            raw,
            rows: 0,
            error: None,
        }
    }

    /// Flushes; the first write error, if any.
    pub fn finish(mut self) -> Result<u64, std::io::Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if let Some(mut writer) = self.csv.take() {
            writer.flush()?;
        }
        if let Some(raw) = self.raw.take() {
            raw.flush()?;
        }
        Ok(self.rows)
    }

    fn write(&mut self, event: &Event) -> std::io::Result<()> {
        match self.format {
            Flat::Csv => {
                let details = serde_json::to_string(&event.details).unwrap_or_default();
                let file_count = event
                    .details
                    .get("file_count")
                    .map(|v| v.to_string())
                    .unwrap_or_default();
                let timestamp = event
                    .timestamp
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
                let record = [
                    timestamp.as_str(),
                    &event.event_type,
                    &event.source,
                    detail(event, "rule").unwrap_or(""),
                    detail(event, "user").unwrap_or(""),
                    detail(event, "branch").unwrap_or(""),
                    detail(event, "commit_sha").unwrap_or(""),
                    &file_count,
                    &details,
                ];
                if let Some(writer) = self.csv.as_mut() {
                    writer.write_record(record).map_err(std::io::Error::other)?;
                }
            }
            Flat::Jsonl => {
                if let Some(raw) = self.raw.as_mut() {
                    serde_json::to_writer(&mut **raw, event).map_err(std::io::Error::other)?;
                    raw.write_all(b"\n")?;
                }
            }
        }
        Ok(())
    }
}

impl Fold for FlatFold<'_> {
    fn add(&mut self, event: &Event) {
        if self.error.is_some()
            || !self.window.contains(&event.timestamp)
            || self
                .event_type
                .as_ref()
                .is_some_and(|t| !event.event_type.eq_ignore_ascii_case(t))
        {
            return;
        }
        match self.write(event) {
            Ok(()) => self.rows += 1,
            Err(e) => self.error = Some(e),
        }
    }
}

/// The columns of `--labelled`, in order.
pub const LABELLED_COLUMNS: [&str; 15] = [
    "id",
    "timestamp",
    "event_type",
    "category",
    "commit",
    "rule",
    "method",
    "reason",
    "user",
    "agent",
    "files",
    "label",
    "note",
    "labeled_by",
    "labeled_at",
];

/// One labelled bypass, as `--labelled` writes it (the JSON Lines object
/// has the CSV's columns as keys).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LabelledRow {
    pub id: String,
    /// The bypass's time, as stored.
    pub timestamp: String,
    pub event_type: String,
    pub category: &'static str,
    pub commit: String,
    pub rule: String,
    pub method: String,
    pub reason: String,
    pub user: String,
    pub agent: String,
    pub files: Vec<String>,
    pub label: &'static str,
    pub note: String,
    pub labeled_by: String,
    pub labeled_at: String,
    #[serde(skip)]
    at: DateTime<FixedOffset>,
}

/// The labelled bypasses of `window` (by the bypass's time; the label's
/// when the stored time does not read), of `event_type` when given (any
/// case), oldest bypass first. `extra` is `[score] bypass_types`, for the
/// category.
pub fn labelled_rows(
    labels: &Labels,
    extra: &[String],
    window: Window,
    event_type: Option<&str>,
) -> Vec<LabelledRow> {
    let mut rows: Vec<LabelledRow> = labels
        .iter()
        .filter_map(|(id, label)| {
            let b = &label.bypass;
            let at = b.at().unwrap_or(label.labeled_at);
            if !window.contains(&at) || event_type.is_some_and(|t| !b.event_type.eq_ignore_ascii_case(t)) {
                return None;
            }
            let category = bypass_category(&b.event_type, extra).unwrap_or(BypassCategory::Other);
            let text = |value: &Option<String>| value.clone().unwrap_or_default();
            Some(LabelledRow {
                id: id.to_string(),
                timestamp: b.timestamp.clone(),
                event_type: b.event_type.clone(),
                category: category.name(),
                commit: text(&b.commit_sha),
                rule: text(&b.rule),
                method: text(&b.method),
                reason: text(&b.reason),
                user: b.user.clone(),
                agent: text(&b.agent),
                files: b.files.clone(),
                label: label.label.as_str(),
                note: label.note.clone(),
                labeled_by: label.labeled_by.clone(),
                labeled_at: label.labeled_at.to_rfc3339_opts(SecondsFormat::Micros, false),
                at,
            })
        })
        .collect();
    rows.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    rows
}

/// Writes `rows` as CSV (a header first; `files` as a JSON array) or JSON
/// Lines; how many were written.
pub fn write_labelled(out: &mut dyn Write, format: Flat, rows: &[LabelledRow]) -> std::io::Result<u64> {
    match format {
        Flat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer
                .write_record(LABELLED_COLUMNS)
                .map_err(std::io::Error::other)?;
            for row in rows {
                let files = serde_json::to_string(&row.files).unwrap_or_default();
                writer
                    .write_record([
                        row.id.as_str(),
                        &row.timestamp,
                        &row.event_type,
                        row.category,
                        &row.commit,
                        &row.rule,
                        &row.method,
                        &row.reason,
                        &row.user,
                        &row.agent,
                        &files,
                        row.label,
                        &row.note,
                        &row.labeled_by,
                        &row.labeled_at,
                    ])
                    .map_err(std::io::Error::other)?;
            }
            writer.flush()?;
        }
        Flat::Jsonl => {
            for row in rows {
                serde_json::to_writer(&mut *out, row).map_err(std::io::Error::other)?;
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
    }
    Ok(rows.len() as u64)
}
