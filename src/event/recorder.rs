//! Recording events where telemetry must never decide the outcome.
//!
//! Hooks record as a side effect of a decision already made: a full disk or
//! a read-only events file must not block a commit, and must not let one
//! through either. The recorder warns once on standard error and carries
//! on; the decision alone sets the exit code.

use std::cell::{Cell, RefCell};

use serde_json::{Map, Value};

use super::chain::Head;
use super::{Event, EventLog, TimestampFormat};

pub struct Recorder {
    log: EventLog,
    format: TimestampFormat,
    source: String,
    failures: Cell<u32>,
    head: RefCell<Option<Head>>,
    /// The sequence number of this recorder's first append.
    first: Cell<Option<u64>>,
}

impl Recorder {
    pub fn new(log: EventLog, format: TimestampFormat, source: &str) -> Recorder {
        Recorder {
            log,
            format,
            source: source.to_string(),
            failures: Cell::new(0),
            head: RefCell::new(None),
            first: Cell::new(None),
        }
    }

    /// Appends an event; on failure warns (once) and goes on.
    /// Appends the event; whether it was written. A failure is reported
    /// once per recorder (a warning and a hint) and never stops the hook.
    pub fn record(&self, event_type: &str, mut details: Map<String, Value>) -> bool {
        super::stamp(&mut details);
        let event = Event::now(event_type, self.source.as_str(), details);
        match self.log.append(&event, self.format) {
            Ok(head) => {
                if self.first.get().is_none() {
                    self.first.set(Some(head.seq));
                }
                self.head.replace(Some(head));
                true
            }
            Err(err) => {
                self.failed(event_type, &err);
                false
            }
        }
    }

    fn failed(&self, event_type: &str, err: &crate::error::Error) {
        let failures = self.failures.get() + 1;
        self.failures.set(failures);
        if failures == 1 {
            crate::notice::warning(format_args!("could not record `{event_type}`: {err}"));
            crate::notice::hint(
                "the events are lost but the rules were applied as usual; `enforce config show` says where events go",
            );
        }
    }

    /// Whether this recorder's appends started the log (its first append
    /// was sequence 1): only then may a missing anchor be created.
    pub fn started_log(&self) -> bool {
        self.first.get() == Some(1)
    }

    /// Who this recorder records as.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The head of the log after this recorder's last append.
    pub fn head(&self) -> Option<Head> {
        self.head.borrow().clone()
    }

    pub fn log(&self) -> &EventLog {
        &self.log
    }
}

/// How a notice names the event it recorded: `recorded as `x``, or, when
/// the append failed, that it was not. No output claims a record that
/// failed.
pub fn recorded_as(recorded: bool, event_type: &str) -> String {
    if recorded {
        format!("recorded as `{event_type}`")
    } else {
        format!("NOT recorded as `{event_type}`: the events file could not be written")
    }
}
