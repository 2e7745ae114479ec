//! `enforce export csv|jsonl`: the log as flat rows, for spreadsheets and
//! pandas. Rows stream out as the log is read.

use std::io::Write;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::event::Event;
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
