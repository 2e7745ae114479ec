//! Labels: a person's judgement of a bypass, justified or unjustified.
//!
//! `enforce label` records each judgement as a `bypass_labeled` event that
//! names the bypass by its id ([`EventId`]) and carries what the bypass
//! was ([`LabelledBypass`]). Nothing is rewritten: a later label of the
//! same bypass replaces an earlier one for counting, and both stay in the
//! log. [`Labels`] folds them into the newest label per bypass; the bypass
//! counts of every report use it to count justified and unjustified
//! bypasses apart ([`super::bypass`]), `enforce bypasses` lists bypasses
//! with their labels ([`BypassList`]), and the CSV export writes one row
//! per labelled bypass.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Fold, Split, Stored, Window, detail};
use crate::event::kind::{BypassCategory, bypass_category};
use crate::event::{Event, timestamp, types};

/// The id of an event: the first 16 hex digits of the SHA-256 of its line
/// as stored (without the newline and surrounding white space), which for
/// every line enforce writes is the hash the next line's `prev` links to.
/// Kept as a number: 8 bytes per bypass a report remembers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

impl EventId {
    /// Hex digits in an id.
    pub const LEN: usize = 16;
    /// The fewest hex digits `enforce label` takes as a prefix of one.
    pub const MIN_PREFIX: usize = 7;

    /// The id of the stored line `line`.
    pub fn of(line: &[u8]) -> EventId {
        let digest = Sha256::digest(line);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        EventId(u64::from_be_bytes(first))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for EventId {
    type Err = ();

    /// Exactly [`EventId::LEN`] hex digits, in any case.
    fn from_str(text: &str) -> Result<EventId, ()> {
        if text.len() != EventId::LEN || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(());
        }
        u64::from_str_radix(text, 16).map(EventId).map_err(|_| ())
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// What a person said of a bypass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Judgement {
    /// It had a good reason (a hotfix at night, a broken hook).
    Justified,
    /// It should not have happened.
    Unjustified,
}

impl Judgement {
    /// The word events, the command line and the views use.
    pub fn as_str(self) -> &'static str {
        match self {
            Judgement::Justified => "justified",
            Judgement::Unjustified => "unjustified",
        }
    }

    /// `justified` or `unjustified`, in any case.
    pub fn parse(text: &str) -> Option<Judgement> {
        match text.trim().to_ascii_lowercase().as_str() {
            "justified" => Some(Judgement::Justified),
            "unjustified" => Some(Judgement::Unjustified),
            _ => None,
        }
    }
}

/// The most paths a label keeps of the bypass it names.
pub const MAX_FILES: usize = 100;

/// The labelled bypass as its label names it (the `bypass` object of a
/// `bypass_labeled` event): enough to count, list and export it after
/// `cleanup` has removed the bypass itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LabelledBypass {
    pub id: String,
    pub event_type: String,
    /// As the log stores it (RFC 3339, or the predecessor's naive form).
    pub timestamp: String,
    pub source: String,
    /// The bypass's own `commit_sha`, or that of the commit its attempt
    /// made (a `PILOT_SKIP_REVIEW=1` bypass is recorded before the commit
    /// exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Its `bypass_method`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl LabelledBypass {
    /// Reads the `bypass` object of a label; `None` without a valid `id`.
    pub fn from_json(value: &Value) -> Option<LabelledBypass> {
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
        let id = text("id")?;
        id.parse::<EventId>().ok()?;
        let files = value
            .get("files")
            .and_then(Value::as_array)
            .map(|files| {
                files
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Some(LabelledBypass {
            id: id.to_ascii_lowercase(),
            event_type: text("event_type").unwrap_or_default(),
            timestamp: text("timestamp").unwrap_or_default(),
            source: text("source").unwrap_or_default(),
            commit_sha: text("commit_sha"),
            rule: text("rule"),
            files,
            user: text("user").unwrap_or_default(),
            agent: text("agent"),
            method: text("method"),
            reason: text("reason"),
        })
    }

    /// The `bypass` object a label records.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| json!({}))
    }

    /// Its time, when the stored text reads as one.
    pub fn at(&self) -> Option<DateTime<FixedOffset>> {
        timestamp::parse(&self.timestamp)
    }
}

/// The newest label of one bypass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Label {
    pub label: Judgement,
    /// Why, in the labeller's words (may be empty).
    pub note: String,
    /// `Name <email>` of the git user who labelled it.
    pub labeled_by: String,
    /// When the label was recorded.
    #[serde(serialize_with = "rfc3339")]
    pub labeled_at: DateTime<FixedOffset>,
    /// The bypass as the label names it (left out of JSON: the listing it
    /// appears in shows the bypass beside it).
    #[serde(skip)]
    pub bypass: LabelledBypass,
}

fn rfc3339<S: Serializer>(at: &DateTime<FixedOffset>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&at.to_rfc3339_opts(SecondsFormat::Micros, false))
}

/// Whether `event` is a label.
pub fn is_label(event: &Event) -> bool {
    event.event_type == types::BYPASS_LABELED
}

/// The label an event records, with the id of the bypass it names; `None`
/// for any other event and for a label that names no bypass or no
/// judgement.
pub fn label_in(event: &Event) -> Option<(EventId, Label)> {
    if !is_label(event) {
        return None;
    }
    let label = Judgement::parse(detail(event, "label")?)?;
    let bypass = LabelledBypass::from_json(event.details.get("bypass")?)?;
    let id = bypass.id.parse().ok()?;
    Some((
        id,
        Label {
            label,
            note: detail(event, "note").unwrap_or("").to_string(),
            labeled_by: detail(event, "labeled_by").unwrap_or("").to_string(),
            labeled_at: event.timestamp,
            bypass,
        },
    ))
}

/// The details of a `bypass_labeled` event (the recorder stamps the rest).
pub fn label_details(
    bypass: &LabelledBypass,
    label: Judgement,
    note: &str,
    labeled_by: &str,
) -> Map<String, Value> {
    crate::event::details(json!({
        "label": label.as_str(),
        "note": note,
        "labeled_by": labeled_by,
        "bypass": bypass.to_json(),
    }))
}

/// The newest label of each bypass, from every `bypass_labeled` event of
/// the log, whatever its time: a label applies to its bypass in any
/// window. Newest is the later `labeled_at`; of two at the same instant,
/// the later in the log.
#[derive(Debug, Clone, Default)]
pub struct Labels {
    newest: HashMap<EventId, Label>,
}

impl Labels {
    pub fn new() -> Labels {
        Labels::default()
    }

    /// The label of the bypass whose id is `id` (its 16 hex digits).
    pub fn label_of(&self, id: &str) -> Option<&Label> {
        self.newest.get(&id.parse().ok()?)
    }

    /// The label of the bypass `id`.
    pub fn get(&self, id: EventId) -> Option<&Label> {
        self.newest.get(&id)
    }

    /// Every labelled bypass with its newest label, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (EventId, &Label)> {
        self.newest.iter().map(|(id, label)| (*id, label))
    }

    /// Takes in `event` when it is a label.
    pub fn add_event(&mut self, event: &Event) {
        if let Some((id, label)) = label_in(event) {
            self.keep(id, label);
        }
    }

    /// Keeps `label` unless the bypass has a newer one.
    fn keep(&mut self, id: EventId, label: Label) {
        match self.newest.get(&id) {
            Some(known) if known.labeled_at > label.labeled_at => {}
            _ => {
                self.newest.insert(id, label);
            }
        }
    }
}

impl Fold for Labels {
    fn add(&mut self, event: &Event) {
        self.add_event(event);
    }

    fn needs_details(&self, event: &Event) -> bool {
        is_label(event)
    }
}

impl Split for Labels {
    fn empty(&self) -> Labels {
        Labels::new()
    }

    fn merge(&mut self, other: Labels) {
        // `other` read a later part of the log: it wins a tie.
        for (id, label) in other.newest {
            self.keep(id, label);
        }
    }
}

/// Bypasses by their labels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LabelCounts {
    pub justified: u64,
    pub unjustified: u64,
    /// Not labelled yet.
    pub unlabelled: u64,
}

impl LabelCounts {
    /// Counts one bypass with its label, if it has one.
    pub fn add(&mut self, label: Option<Judgement>) {
        match label {
            Some(Judgement::Justified) => self.justified += 1,
            Some(Judgement::Unjustified) => self.unjustified += 1,
            None => self.unlabelled += 1,
        }
    }

    /// How many have a label.
    pub fn labelled(&self) -> u64 {
        self.justified + self.unjustified
    }

    /// `1 unjustified, 2 justified, 0 not labelled`.
    pub fn describe(&self) -> String {
        format!(
            "{} unjustified, {} justified, {} not labelled",
            self.unjustified, self.justified, self.unlabelled
        )
    }
}

/// One bypass of the log, with its label when it has one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BypassRow {
    #[serde(flatten)]
    pub bypass: LabelledBypass,
    pub category: BypassCategory,
    /// The `attempt_id` of the commit attempt it was recorded in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<String>,
    /// Its newest label; `null` when it has none.
    pub label: Option<Label>,
    /// Whether the bypass itself is in the log: false when `cleanup`
    /// removed it and only its label, which is never removed, names it.
    pub in_log: bool,
    #[serde(skip)]
    pub at: DateTime<FixedOffset>,
    #[serde(skip)]
    position: u64,
}

/// Every bypass in a window, for `enforce bypasses` and `enforce label`:
/// each with its id, its commit (its own, or the one its attempt made),
/// its agent, and its newest label. Reads the log in one thread, in order:
/// a bypass comes before the commit it belongs to and before its labels.
/// Memory is one row per bypass of the window.
pub struct BypassList {
    window: Window,
    extra: Vec<String>,
    rows: Vec<BypassRow>,
    /// Rows without a commit or an agent, by the attempt that may name them.
    wanted: HashMap<String, Vec<usize>>,
    labels: Labels,
}

impl BypassList {
    /// The bypasses of `window`, `extra` being the types `[score]
    /// bypass_types` adds to the vocabulary's.
    pub fn new(window: Window, extra: &[String]) -> BypassList {
        BypassList {
            window,
            extra: extra.to_vec(),
            rows: Vec::new(),
            wanted: HashMap::new(),
            labels: Labels::new(),
        }
    }

    /// The rows, newest first, each with its newest label; a labelled
    /// bypass of the window that is no longer in the log (`cleanup`
    /// removed it) is a row too, as its label names it.
    pub fn finish(self) -> Vec<BypassRow> {
        let labels = self.labels;
        let mut rows = self.rows;
        let mut listed = std::collections::HashSet::new();
        for row in &mut rows {
            row.label = labels.label_of(&row.bypass.id).cloned();
            listed.insert(row.bypass.id.clone());
        }
        for (id, label) in labels.iter() {
            let at = label.bypass.at().unwrap_or(label.labeled_at);
            if listed.contains(&id.to_string()) || !self.window.contains(&at) {
                continue;
            }
            rows.push(BypassRow {
                bypass: label.bypass.clone(),
                category: bypass_category(&label.bypass.event_type, &self.extra)
                    .unwrap_or(BypassCategory::Other),
                attempt_id: None,
                label: Some(label.clone()),
                in_log: false,
                at,
                position: 0,
            });
        }
        rows.sort_by(|a, b| (b.at, b.position, &b.bypass.id).cmp(&(a.at, a.position, &a.bypass.id)));
        rows
    }

    fn fill_from_commit(&mut self, event: &Event) {
        let Some(attempt) = attempt_of(event) else {
            return;
        };
        let Some(indices) = self.wanted.remove(attempt) else {
            return;
        };
        let sha = detail(event, "commit_sha");
        let agent = detail(event, "agent").or_else(|| detail(event, crate::event::RUNTIME_FIELD));
        for index in indices {
            let bypass = &mut self.rows[index].bypass;
            if bypass.commit_sha.is_none() {
                bypass.commit_sha = sha.map(str::to_string);
            }
            if bypass.agent.is_none() {
                bypass.agent = agent.map(str::to_string);
            }
        }
    }
}

/// The attempt an event was recorded in (`attempt` in older logs).
fn attempt_of(event: &Event) -> Option<&str> {
    detail(event, "attempt_id").or_else(|| detail(event, "attempt"))
}

/// The timestamp text of a stored line, as it is stored.
fn stored_timestamp(line: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        timestamp: Value,
    }
    match serde_json::from_slice::<Head>(line).ok()?.timestamp {
        Value::String(text) => Some(text),
        _ => None,
    }
}

/// The bypass `event`, stored as `line`, as a label names it.
pub fn labelled_bypass(event: &Event, line: &[u8]) -> LabelledBypass {
    let text = |key: &str| detail(event, key).map(str::to_string);
    let files = event
        .details
        .get("files")
        .and_then(Value::as_array)
        .map(|files| {
            files
                .iter()
                .filter_map(Value::as_str)
                .take(MAX_FILES)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    LabelledBypass {
        id: EventId::of(line).to_string(),
        event_type: event.event_type.clone(),
        timestamp: stored_timestamp(line)
            .unwrap_or_else(|| event.timestamp.to_rfc3339_opts(SecondsFormat::Micros, false)),
        source: event.source.clone(),
        commit_sha: text("commit_sha"),
        rule: text("rule"),
        files,
        user: text("user").unwrap_or_default(),
        agent: text("agent").or_else(|| text(crate::event::RUNTIME_FIELD)),
        method: text("bypass_method"),
        reason: text("reason"),
    }
}

impl Fold for BypassList {
    /// Without its stored line a bypass has no id, and cannot be listed.
    fn add(&mut self, event: &Event) {
        self.labels.add_event(event);
    }

    fn add_stored(&mut self, event: &Event, stored: Stored<'_>) {
        if is_label(event) {
            self.labels.add_event(event);
            return;
        }
        if event.event_type == types::COMMIT_COMPLETED {
            self.fill_from_commit(event);
            return;
        }
        if !self.window.contains(&event.timestamp) {
            return;
        }
        let Some(category) = bypass_category(&event.event_type, &self.extra) else {
            return;
        };
        let bypass = labelled_bypass(event, stored.line);
        let attempt_id = attempt_of(event).map(str::to_string);
        if let Some(attempt) = &attempt_id
            && (bypass.commit_sha.is_none() || bypass.agent.is_none())
        {
            self.wanted
                .entry(attempt.clone())
                .or_default()
                .push(self.rows.len());
        }
        self.rows.push(BypassRow {
            bypass,
            category,
            attempt_id,
            label: None,
            in_log: true,
            at: event.timestamp,
            position: stored.offset,
        });
    }

    fn needs_details(&self, event: &Event) -> bool {
        is_label(event)
            || bypass_category(&event.event_type, &self.extra).is_some()
            || (event.event_type == types::COMMIT_COMPLETED && !self.wanted.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn event(at: &str, event_type: &str, details: Value) -> Event {
        Event {
            timestamp: DateTime::parse_from_rfc3339(at).unwrap(),
            event_type: event_type.into(),
            source: "test".into(),
            details: crate::event::details(details),
        }
    }

    /// A label of the bypass `id` stamped `at`.
    pub(crate) fn label(at: &str, id: &str, judgement: &str) -> Event {
        event(
            at,
            types::BYPASS_LABELED,
            json!({"label": judgement, "note": "n", "labeled_by": "Ann <ann@example.com>",
                   "bypass": {"id": id, "event_type": "commit_review_bypassed", "timestamp": at,
                              "source": "post-commit", "user": "Bob"}}),
        )
    }

    #[test]
    fn ids_are_the_start_of_the_lines_hash() {
        let line = br#"{"timestamp":"2026-11-21T10:00:00+00:00","event_type":"bypass_review"}"#;
        let id = EventId::of(line);
        assert_eq!(id.to_string(), crate::event::chain::hash(line)[..16]);
        assert_eq!(id.to_string().parse::<EventId>(), Ok(id));
        assert_eq!(id.to_string().to_uppercase().parse::<EventId>(), Ok(id));
        for bad in ["", "abc", "0123456789abcdeg", "0123456789abcdef0"] {
            assert!(bad.parse::<EventId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_newest_label_wins_and_a_tie_goes_to_the_later() {
        let id = "00000000000000aa";
        let mut labels = Labels::new();
        labels.add(&label("2026-11-21T10:00:00+00:00", id, "unjustified"));
        labels.add(&label("2026-11-21T09:00:00+00:00", id, "justified"));
        assert_eq!(
            labels.label_of(id).unwrap().label,
            Judgement::Unjustified,
            "older is ignored"
        );
        labels.add(&label("2026-11-21T10:00:00+00:00", id, "justified"));
        assert_eq!(
            labels.label_of(id).unwrap().label,
            Judgement::Justified,
            "a tie: the later"
        );

        // Split in two parts, the later part wins a tie, never an older label.
        let mut first = Labels::new();
        first.add(&label("2026-11-21T10:00:00+00:00", id, "justified"));
        let mut second = first.empty();
        second.add(&label("2026-11-21T10:00:00+00:00", id, "unjustified"));
        first.merge(second);
        assert_eq!(first.label_of(id).unwrap().label, Judgement::Unjustified);
        let mut old = Labels::new();
        old.add(&label("2026-11-20T10:00:00+00:00", id, "justified"));
        first.merge(old);
        assert_eq!(first.label_of(id).unwrap().label, Judgement::Unjustified);
        assert_eq!(first.iter().count(), 1);
    }

    #[test]
    fn labels_that_name_nothing_are_ignored() {
        let mut labels = Labels::new();
        labels.add(&label("2026-11-21T10:00:00+00:00", "not-an-id", "justified"));
        labels.add(&label("2026-11-21T10:00:00+00:00", "00000000000000aa", "maybe"));
        labels.add(&event(
            "2026-11-21T10:00:00+00:00",
            types::BYPASS_LABELED,
            json!({"label": "justified"}),
        ));
        // The right shape under another type is no label.
        let mut other = label("2026-11-21T10:00:00+00:00", "00000000000000aa", "justified");
        other.event_type = "bypass_review".into();
        labels.add(&other);
        assert_eq!(labels.iter().count(), 0);
    }

    #[test]
    fn a_list_names_each_bypass_with_its_commit_agent_and_label() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let lines = [
            r#"{"timestamp":"2026-11-21T10:00:00+00:00","event_type":"bypass_review","source":"pre-commit","details":{"attempt_id":"a1","user":"Dev <d@x>","bypass_method":"PILOT_SKIP_REVIEW=1","reason":"hotfix","files":["a.txt"]}}"#,
            r#"{"timestamp":"2026-11-21T10:00:01+00:00","event_type":"commit_completed","source":"post-commit","details":{"attempt_id":"a1","commit_sha":"c0ffee","agent":"claude-code"}}"#,
            r#"{"timestamp":"2026-11-21T11:00:00","event_type":"commit_review_bypassed","source":"post-commit","details":{"commit_sha":"beef","agent_runtime":"codex"}}"#,
            r#"{"timestamp":"2026-11-01T11:00:00+00:00","event_type":"commit_review_bypassed","source":"post-commit","details":{}}"#,
            r#"{"timestamp":"2026-11-21T11:30:00+00:00","event_type":"violation_detected","source":"post-commit","details":{}}"#,
        ];
        let mut list = BypassList::new(Window::last_days(now, 7), &[]);
        let mut offset = 0;
        for line in lines {
            let event = crate::event::log::parse_line(line.as_bytes()).unwrap();
            list.add_stored(
                &event,
                Stored {
                    line: line.as_bytes(),
                    offset,
                },
            );
            offset += line.len() as u64 + 1;
        }
        let first_id = EventId::of(lines[0].as_bytes()).to_string();
        list.add(&label("2026-11-21T11:45:00+00:00", &first_id, "justified"));
        let rows = list.finish();
        assert_eq!(rows.len(), 2, "the old one and the violation are left out");
        let (newest, skip) = (&rows[0], &rows[1]);
        assert_eq!(newest.bypass.timestamp, "2026-11-21T11:00:00", "as stored");
        assert_eq!(newest.bypass.commit_sha.as_deref(), Some("beef"));
        assert_eq!(newest.bypass.agent.as_deref(), Some("codex"));
        assert_eq!(newest.category, BypassCategory::SkippedHooks);
        assert_eq!(newest.label, None);
        assert_eq!(skip.bypass.id, first_id);
        assert_eq!(
            skip.bypass.commit_sha.as_deref(),
            Some("c0ffee"),
            "from its attempt"
        );
        assert_eq!(skip.bypass.agent.as_deref(), Some("claude-code"));
        assert_eq!(skip.bypass.method.as_deref(), Some("PILOT_SKIP_REVIEW=1"));
        assert_eq!(skip.bypass.files, ["a.txt"]);
        assert_eq!(skip.label.as_ref().map(|l| l.label), Some(Judgement::Justified));
        assert_eq!(skip.category, BypassCategory::EnvSkip);
        assert!(rows.iter().all(|r| r.in_log));
    }

    #[test]
    fn a_labelled_bypass_cleanup_removed_is_listed_from_its_label() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00+00:00").unwrap();
        let mut list = BypassList::new(Window::last_days(now, 7), &[]);
        list.add(&label(
            "2026-11-20T10:00:00+00:00",
            "00000000000000aa",
            "unjustified",
        ));
        list.add(&label(
            "2026-10-01T10:00:00+00:00",
            "00000000000000bb",
            "unjustified",
        ));
        let rows = list.finish();
        assert_eq!(rows.len(), 1, "only the window's");
        assert_eq!(rows[0].bypass.id, "00000000000000aa");
        assert!(!rows[0].in_log);
        assert_eq!(rows[0].category, BypassCategory::SkippedHooks);
        assert_eq!(rows[0].bypass.user, "Bob");
    }
}
