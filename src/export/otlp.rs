//! `enforce export otlp`: events as OpenTelemetry log records, sent to the
//! collector a team already runs (OTLP/HTTP with the JSON encoding,
//! gzip-compressed unless `OTEL_EXPORTER_OTLP_COMPRESSION=none`).
//!
//! The JSON encoding is written here rather than with the OpenTelemetry
//! SDK crates: those bring an async runtime and a protobuf stack into a
//! binary whose hooks must stay lean, for a payload of a few fixed fields.
//! Every payload shape is tested against the official schema
//! (`opentelemetry-proto`'s `ExportLogsServiceRequest`, parsed with
//! protobuf's `json_format`).
//!
//! Each event is shipped once: a cursor file beside the log remembers the
//! last line sent (its offset and hash). A collector that is down only
//! delays the export: the cursor moves after each accepted batch, so the
//! next run sends the rest.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::{Config, OtlpExport};
use crate::error::{Error, Result};
use crate::event::chain::{self, CHECKPOINT};
use crate::event::kind::{BypassCategory, bypass_category};
use crate::event::scan;
use crate::event::{Event, EventLog, types};

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct Settings {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub resource: Vec<(String, String)>,
    pub include_user_email: bool,
    pub batch_size: usize,
    pub timeout: Duration,
    /// Send request bodies gzip-compressed.
    pub gzip: bool,
}

/// What the repository is, for the resource attributes: its `origin`
/// remote and its name.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    pub url: Option<String>,
    pub name: Option<String>,
}

/// Splits `k=v,k2=v2` (the OTEL_* list format; values percent-encoded).
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split(',')
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), percent_decode(v.trim())))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The machine's host name.
fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_default()
}

/// A remote URL without credentials (`https://user:token@host/x` → `https://host/x`).
pub fn strip_credentials(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// Refuses an endpoint that is not an `http(s)://host…` URL up front, so a
/// typo is reported where it was made instead of as a failed send later
/// (or never, when there is nothing to send).
fn check_url(url: &str) -> Result<()> {
    let parsed = url.parse::<ureq::http::Uri>().ok();
    let scheme_ok = parsed
        .as_ref()
        .and_then(|u| u.scheme_str())
        .is_some_and(|s| s == "http" || s == "https");
    let host_ok = parsed
        .as_ref()
        .and_then(|u| u.host())
        .is_some_and(|h| !h.is_empty());
    if scheme_ok && host_ok {
        Ok(())
    } else {
        Err(Error::usage(
            format!("`{url}` is not an OTLP/HTTP endpoint URL"),
            "give an http:// or https:// URL with a host, e.g. --endpoint http://collector:4318",
        ))
    }
}

/// The first of the variables `names` that is set (and not blank), with
/// its name.
fn first_set(names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*name, v.trim().to_string()))
    })
}

/// Refuses a protocol other than OTLP/HTTP with the JSON encoding, the one
/// enforce speaks, before anything is sent: a gRPC endpoint answers an
/// HTTP/1.1 request with bytes no HTTP client can read.
fn check_protocol() -> Result<()> {
    let Some((name, value)) = first_set(&["OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"])
    else {
        return Ok(());
    };
    if value == "http/json" {
        return Ok(());
    }
    let what = match value.as_str() {
        "grpc" => "OTLP/gRPC",
        "http/protobuf" => "OTLP/HTTP with the protobuf encoding",
        _ => "not an OTLP protocol (grpc, http/protobuf or http/json)",
    };
    Err(Error::usage(
        format!(
            "{name}={value} asks for {what}: enforce sends OTLP/HTTP with the JSON encoding only (http/json)"
        ),
        format!(
            "unset {name} or set it to http/json, and point the endpoint at the collector's OTLP/HTTP receiver (port 4318 by default; 4317 is gRPC)"
        ),
    ))
}

/// Whether to gzip request bodies: yes unless
/// `OTEL_EXPORTER_OTLP_(LOGS_)COMPRESSION` says `none`.
fn compression() -> Result<bool> {
    match first_set(&[
        "OTEL_EXPORTER_OTLP_LOGS_COMPRESSION",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
    ]) {
        None => Ok(true),
        Some((_, value)) if value == "gzip" => Ok(true),
        Some((_, value)) if value == "none" => Ok(false),
        Some((name, value)) => Err(Error::usage(
            format!("{name}={value} is not a compression enforce knows"),
            format!("set {name} to gzip (the default) or none"),
        )),
    }
}

/// Adds `key` to `resource` unless it is there already (given in
/// `OTEL_RESOURCE_ATTRIBUTES`, which wins).
fn default_attribute(resource: &mut Vec<(String, String)>, key: &str, value: String) {
    if !value.is_empty() && !resource.iter().any(|(k, _)| k == key) {
        resource.push((key.to_string(), value));
    }
}

impl Settings {
    /// The settings from `--endpoint`, the `OTEL_EXPORTER_OTLP_*`
    /// variables, and `[export.otlp]`, strongest first.
    pub fn resolve(
        flag: Option<&str>,
        config: Option<&OtlpExport>,
        repository: Repository,
    ) -> Result<Settings> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        check_protocol()?;
        let gzip = compression()?;
        // The URL as given, and whether `/v1/logs` is still to be appended
        // (the signal-specific variable names the full URL already).
        let (given, append) = if let Some(url) = flag {
            (url.to_string(), true)
        } else if let Some(url) = env("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT") {
            (url, false)
        } else if let Some(url) = env("OTEL_EXPORTER_OTLP_ENDPOINT") {
            (url, true)
        } else if let Some(url) = config.and_then(|c| c.endpoint.clone()) {
            (url, true)
        } else {
            return Err(Error::usage(
                "no OTLP endpoint is configured",
                "pass --endpoint http://collector:4318, set OTEL_EXPORTER_OTLP_ENDPOINT, or set endpoint in [export.otlp]",
            ));
        };
        check_url(&given)?;
        let trimmed = given.trim_end_matches('/');
        let url = if append && !trimmed.ends_with("/v1/logs") {
            format!("{trimmed}/v1/logs")
        } else {
            given
        };
        let mut headers = env("OTEL_EXPORTER_OTLP_HEADERS")
            .map(|h| pairs(&h))
            .unwrap_or_default();
        headers.extend(
            env("OTEL_EXPORTER_OTLP_LOGS_HEADERS")
                .map(|h| pairs(&h))
                .unwrap_or_default(),
        );

        // A key given twice keeps its last value, as the SDKs do.
        let mut resource: Vec<(String, String)> = Vec::new();
        for (key, value) in env("OTEL_RESOURCE_ATTRIBUTES")
            .map(|r| pairs(&r))
            .unwrap_or_default()
        {
            resource.retain(|(k, _)| *k != key);
            resource.push((key, value));
        }
        let service = env("OTEL_SERVICE_NAME")
            .or_else(|| {
                resource
                    .iter()
                    .find(|(k, _)| k == "service.name")
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_else(|| "enforce".to_string());
        resource.retain(|(k, _)| k != "service.name");
        resource.insert(0, ("service.name".into(), service));
        default_attribute(&mut resource, "service.version", env!("CARGO_PKG_VERSION").into());
        default_attribute(&mut resource, "host.name", host_name());
        if let Some(url) = repository.url {
            default_attribute(&mut resource, "vcs.repository.url.full", strip_credentials(&url));
        }
        if let Some(name) = repository.name {
            default_attribute(&mut resource, "vcs.repository.name", name);
        }
        let defaults = OtlpExport::default();
        let config = config.unwrap_or(&defaults);
        Ok(Settings {
            url,
            headers,
            resource,
            include_user_email: config.include_user_email,
            batch_size: config.batch_size.get().min(10_000) as usize,
            timeout: Duration::from_secs(config.timeout_seconds.get().min(600)),
            gzip,
        })
    }
}

/// An OTLP severity: its number and its text.
pub type Severity = (u8, &'static str);

pub const INFO: Severity = (9, "INFO");
pub const WARN: Severity = (13, "WARN");
pub const ERROR: Severity = (17, "ERROR");

/// The types that say something was stopped or found wrong: WARN.
const WARN_TYPES: [&str; 8] = [
    types::AGENT_MISMATCH,
    types::COMMIT_BLOCKED,
    types::IMPORT_BLOCKED,
    types::PUSH_REJECTED,
    types::AUDIT_WOULD_BLOCK,
    types::AUDIT_OFFENCE,
    types::CONFIG_INVALID,
    types::VIOLATION_DETECTED,
];

/// The severity a `severity` detail states (a content rule's: info, low,
/// medium, high, critical; or a level another tool wrote).
fn stated_severity(value: &str) -> Option<Severity> {
    match value.trim().to_ascii_lowercase().as_str() {
        "info" | "low" => Some(INFO),
        "medium" | "warn" | "warning" => Some(WARN),
        "high" | "critical" | "error" | "fatal" => Some(ERROR),
        _ => None,
    }
}

/// The OTLP severity of an event: ERROR for a critical bypass (the hooks
/// skipped, a rule weakened); WARN for other bypasses, blocks, offences
/// and violations; INFO otherwise. A `severity` detail decides for a
/// violation (a critical content-rule hit is ERROR, an info one INFO) and
/// can only raise any other event's (a skipped critical rule is ERROR).
pub fn severity(event: &Event, config: &Config) -> Severity {
    let event_type = event.event_type.as_str();
    let category = bypass_category(event_type, &config.score.bypass_types);
    let by_type = if category.is_some_and(BypassCategory::is_critical) {
        ERROR
    } else if category.is_some() || WARN_TYPES.contains(&event_type) {
        WARN
    } else {
        INFO
    };
    let stated = event
        .details
        .get("severity")
        .and_then(Value::as_str)
        .and_then(stated_severity);
    match stated {
        Some(stated) if event_type == types::VIOLATION_DETECTED => stated,
        Some(stated) => by_type.max(stated),
        None => by_type,
    }
}

/// A string detail of `event`, when set and not empty.
fn text_detail<'a>(event: &'a Event, key: &str) -> Option<&'a str> {
    event
        .details
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// What the event says, in words a person reads in a log viewer: what
/// happened, to which rule, where, how, and why; e.g. `bypass (hooks
/// skipped): rule `review` with git commit --no-verify on main at
/// 1a2b3c4d5e6f — the staged changes are not approved`.
pub fn body(event: &Event, config: &Config) -> String {
    let event_type = event.event_type.as_str();
    let mut text = match bypass_category(event_type, &config.score.bypass_types) {
        Some(category) => format!("bypass ({})", category.label().trim_start_matches("bypass: ")),
        None => match event_type {
            types::COMMIT_COMPLETED => "commit completed".to_string(),
            types::COMMIT_BLOCKED => "commit blocked".to_string(),
            types::AUDIT_WOULD_BLOCK => "commit would be blocked (audit mode)".to_string(),
            types::VIOLATION_DETECTED => "rule violation".to_string(),
            types::REVIEW_APPROVED => "staged changes approved".to_string(),
            types::AUDIT_OFFENCE => "commit breaks a rule".to_string(),
            types::HOOK_SUMMARY => return hook_summary_body(event),
            other => other.replace('_', " "),
        },
    };
    if let Some(rule) = text_detail(event, "rule") {
        text.push_str(&format!(": rule `{rule}`"));
        if let Some(severity) = text_detail(event, "severity") {
            text.push_str(&format!(" ({severity})"));
        }
    }
    if let (Some(setting), Some(from), Some(to)) = (
        text_detail(event, "setting"),
        event.details.get("from"),
        event.details.get("to"),
    ) {
        let shown = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
        text.push_str(&format!(", {setting} {} → {}", shown(from), shown(to)));
    }
    if let Some(file) = text_detail(event, "file") {
        match event.details.get("line").and_then(Value::as_u64) {
            Some(line) => text.push_str(&format!(" in {file}:{line}")),
            None => text.push_str(&format!(" in {file}")),
        }
    }
    if let Some(method) = text_detail(event, "bypass_method") {
        text.push_str(&format!(" with {method}"));
    }
    if let Some(branch) = text_detail(event, "branch") {
        text.push_str(&format!(" on {branch}"));
    }
    if let Some(sha) = text_detail(event, "commit_sha") {
        text.push_str(&format!(" at {}", sha.get(..12).unwrap_or(sha)));
    }
    if let Some(why) = ["reason", "problem", "description", "message"]
        .iter()
        .find_map(|k| text_detail(event, k))
    {
        text.push_str(&format!(" — {why}"));
    }
    text
}

/// A hook run in a line: `pre-commit allowed the commit: 2 rule(s), 1
/// passed, 0 denied, 0 skipped, 1 audit-only, in 4.1 ms on main`.
fn hook_summary_body(event: &Event) -> String {
    let count = |key: &str| event.details.get(key).and_then(Value::as_u64).unwrap_or(0);
    let rules = event
        .details
        .get("rules")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let mut text = format!(
        "{} {} the {}: {rules} rule(s), {} passed, {} denied, {} skipped, {} audit-only",
        text_detail(event, "hook").unwrap_or("hook"),
        text_detail(event, "action").unwrap_or("ran"),
        text_detail(event, "operation").unwrap_or("commit"),
        count("passed"),
        count("denied"),
        count("skipped"),
        count("audit_only"),
    );
    if let Some(ms) = event.details.get("duration_ms").and_then(Value::as_f64) {
        text.push_str(&format!(", in {ms:.1} ms"));
    }
    if let Some(branch) = text_detail(event, "branch") {
        text.push_str(&format!(" on {branch}"));
    }
    text
}

/// A JSON value as an OTLP `AnyValue`.
fn any_value(value: &Value) -> Value {
    match value {
        Value::Null => json!({}),
        Value::Bool(b) => json!({ "boolValue": b }),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({ "intValue": n.to_string() }),
        Value::Number(n) => json!({ "doubleValue": n.as_f64().unwrap_or(0.0) }),
        Value::String(s) => json!({ "stringValue": s }),
        Value::Array(items) => {
            json!({ "arrayValue": { "values": items.iter().map(any_value).collect::<Vec<_>>() } })
        }
        Value::Object(map) => json!({
            "kvlistValue": { "values": map.iter().map(|(k, v)| json!({ "key": k, "value": any_value(v) })).collect::<Vec<_>>() }
        }),
    }
}

fn attribute(key: &str, value: Value) -> Value {
    json!({ "key": key, "value": any_value(&value) })
}

/// `Name <email>` without the address.
fn without_email(user: &str) -> String {
    match user.find('<') {
        Some(i) if user.trim_end().ends_with('>') => user[..i].trim().to_string(),
        _ => user.to_string(),
    }
}

fn nanos(at: &DateTime<FixedOffset>) -> String {
    let ns = i128::from(at.timestamp()) * 1_000_000_000 + i128::from(at.timestamp_subsec_nanos());
    ns.max(0).to_string()
}

/// One event as an OTLP log record.
pub fn log_record(
    event: &Event,
    settings: &Settings,
    config: &Config,
    observed: &DateTime<FixedOffset>,
) -> Value {
    let (number, text) = severity(event, config);
    let mut attributes = Vec::with_capacity(event.details.len() + 2);
    let mut keys = HashSet::new();
    let mut add = |key: String, value: Value| {
        if keys.insert(key.clone()) {
            attributes.push(attribute(&key, value));
        }
    };
    add("enforce.source".into(), Value::from(event.source.as_str()));
    for (key, value) in &event.details {
        // The branch and the commit go by their semantic-convention names
        // alone: the same value twice under two names is noise.
        match (key.as_str(), value.as_str()) {
            ("branch", Some(branch)) => {
                add("vcs.ref.head.name".into(), Value::from(branch));
                add("vcs.ref.head.type".into(), Value::from("branch"));
                continue;
            }
            ("commit_sha", Some(sha)) => {
                add("vcs.ref.head.revision".into(), Value::from(sha));
                continue;
            }
            _ => {}
        }
        let value = if key == "user" && !settings.include_user_email {
            Value::from(value.as_str().map(without_email).unwrap_or_default())
        } else {
            value.clone()
        };
        add(format!("enforce.{key}"), value);
    }
    json!({
        "timeUnixNano": nanos(&event.timestamp),
        "observedTimeUnixNano": nanos(observed),
        "severityNumber": number,
        "severityText": text,
        "eventName": event.event_type,
        "body": { "stringValue": body(event, config) },
        "attributes": attributes,
    })
}

/// The request body for a batch of records.
pub fn request(records: Vec<Value>, settings: &Settings) -> Value {
    let resource: Vec<Value> = settings
        .resource
        .iter()
        .map(|(k, v)| attribute(k, Value::from(v.as_str())))
        .collect();
    json!({
        "resourceLogs": [{
            "resource": { "attributes": resource },
            "scopeLogs": [{
                "scope": { "name": "enforce", "version": env!("CARGO_PKG_VERSION") },
                "logRecords": records,
            }],
        }],
    })
}

/// The last line shipped: where it ends, its hash and its time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    pub offset: u64,
    pub line_hash: String,
    pub timestamp: Option<String>,
}

/// The cursor file of an events file.
pub fn cursor_path(log: &Path) -> PathBuf {
    log.with_file_name(format!(
        "{}.otlp-cursor.json",
        log.file_name().unwrap_or_default().to_string_lossy()
    ))
}

pub fn read_cursor(path: &Path) -> Option<Cursor> {
    serde_json::from_slice(&fs::read(path).ok()?).ok()
}

fn write_cursor(path: &Path, cursor: &Cursor) -> Result<()> {
    crate::atomic::write(path, serde_json::to_string(cursor).unwrap_or_default().as_bytes())
}

/// Where to start reading: after the cursor's line if it is still where
/// the cursor says (else `cleanup` rewrote the file: the first event newer
/// than the cursor's time).
fn start(file: &mut File, cursor: &Cursor) -> (u64, Option<DateTime<FixedOffset>>) {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if cursor.offset == 0 || cursor.offset > len {
        return (0, cursor_time(cursor));
    }
    let from = cursor.offset.saturating_sub(1024 * 1024);
    let mut tail = vec![0u8; (cursor.offset - from) as usize];
    let readable = file.seek(SeekFrom::Start(from)).is_ok() && file.read_exact(&mut tail).is_ok();
    let line = tail.strip_suffix(b"\n").unwrap_or(&tail);
    let line = match line.iter().rposition(|b| *b == b'\n') {
        Some(i) => &line[i + 1..],
        None => line,
    };
    if readable && chain::hash(line) == cursor.line_hash {
        (cursor.offset, None)
    } else {
        (0, cursor_time(cursor))
    }
}

fn cursor_time(cursor: &Cursor) -> Option<DateTime<FixedOffset>> {
    cursor
        .timestamp
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
}

/// The outcome of an export run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Shipped {
    /// Another export of the same log was running; this one sent nothing.
    pub busy: bool,
    pub sent: u64,
    pub batches: u64,
    pub url: String,
    pub cursor: PathBuf,
}

/// Sends the events after `cursor` (or after `since`), batch by batch,
/// moving the cursor after each accepted batch.
pub fn export(log: &EventLog, config: &Config, settings: &Settings, since: Option<Since>) -> Result<Shipped> {
    let cursor_file = cursor_path(log.path());
    let mut shipped = Shipped {
        url: settings.url.clone(),
        cursor: cursor_file.clone(),
        ..Shipped::default()
    };
    // One export at a time per log: two would read the same cursor and send
    // the same events twice. A run that finds another one going leaves the
    // work to it (what it misses, the next run sends).
    let lock_path = cursor_file.with_extension("lock");
    if let Some(dir) = lock_path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let lock = File::create(&lock_path).map_err(|e| Error::io("create the export lock", &lock_path, e))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            shipped.busy = true;
            return Ok(shipped);
        }
        Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, e)),
    }
    let Some(mut file) = scan::open_regular(log)? else {
        return Ok(shipped);
    };
    let (offset, newer_than) = match since {
        Some(Since::All) => (0, None),
        Some(Since::Time(at)) => (0, Some(at)),
        None => match read_cursor(&cursor_file) {
            Some(cursor) => start(&mut file, &cursor),
            None => (0, None),
        },
    };
    let client = Client::new(settings);
    let observed = chrono::Local::now().fixed_offset();
    let mut progress = Progress::new(offset, file.metadata().map(|m| m.len()).unwrap_or(0));

    let mut batch: Vec<Value> = Vec::new();
    let mut last: Option<Cursor> = None;
    scan::lines(log.path(), &file, offset, |line| {
        if !line.newline {
            // A line still being written: the next run sends it.
            return Ok(());
        }
        let position = line.offset + line.len + 1;
        if let Some(event) = line.event()
            && event.event_type != CHECKPOINT
            && newer_than.is_none_or(|t| event.timestamp > t)
        {
            batch.push(log_record(&event, settings, config, &observed));
            last = Some(Cursor {
                offset: position,
                line_hash: line.bytes.map(chain::hash).unwrap_or_default(),
                timestamp: Some(event.timestamp.to_rfc3339()),
            });
        }
        if batch.len() >= settings.batch_size {
            client.send(&request(std::mem::take(&mut batch), settings), shipped.sent)?;
            shipped.batches += 1;
            shipped.sent += settings.batch_size as u64;
            if let Some(cursor) = &last {
                write_cursor(&cursor_file, cursor)?;
            }
            progress.batch_sent(shipped.sent, position);
        }
        Ok(())
    })?;
    if !batch.is_empty() {
        let count = batch.len() as u64;
        client.send(&request(batch, settings), shipped.sent)?;
        shipped.batches += 1;
        shipped.sent += count;
    }
    if let Some(cursor) = &last {
        write_cursor(&cursor_file, cursor)?;
    }
    Ok(shipped)
}

/// How often a long export says how far it got.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The progress line of a long export, on standard error: at most one
/// every [`PROGRESS_EVERY`], so a short export prints none.
struct Progress {
    from: u64,
    end: u64,
    last: Instant,
}

impl Progress {
    fn new(from: u64, end: u64) -> Progress {
        Progress {
            from,
            end,
            last: Instant::now(),
        }
    }

    /// After a batch was accepted: `sent` events so far, the log read up
    /// to `position`.
    fn batch_sent(&mut self, sent: u64, position: u64) {
        if self.last.elapsed() < PROGRESS_EVERY {
            return;
        }
        self.last = Instant::now();
        let span = self.end.saturating_sub(self.from).max(1);
        let read = position.saturating_sub(self.from).min(span);
        crate::notice::info(format_args!(
            "sent {sent} event(s) so far ({}% of the log read)",
            read * 100 / span
        ));
    }
}

/// Where `--since` starts.
#[derive(Debug, Clone, Copy)]
pub enum Since {
    All,
    Time(DateTime<FixedOffset>),
}

/// The HTTP side: POST with retries on 429/502/503/504 and on timeouts,
/// exponential backoff, `Retry-After` honoured.
struct Client<'a> {
    settings: &'a Settings,
    agent: ureq::Agent,
}

const ATTEMPTS: u32 = 5;

impl<'a> Client<'a> {
    fn new(settings: &'a Settings) -> Client<'a> {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Client { settings, agent }
    }

    fn send(&self, body: &Value, already_sent: u64) -> Result<()> {
        let mut text = serde_json::to_vec(body).unwrap_or_default();
        if self.settings.gzip {
            text = gzip(&text);
        }
        let mut wait = Duration::from_millis(250);
        let mut last_problem = String::new();
        for attempt in 1..=ATTEMPTS {
            let mut request = self
                .agent
                .post(&self.settings.url)
                .header("Content-Type", "application/json");
            if self.settings.gzip {
                request = request.header("Content-Encoding", "gzip");
            }
            for (k, v) in &self.settings.headers {
                request = request.header(k.as_str(), v.as_str());
            }
            match request.send(&text[..]) {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if (200..300).contains(&status) {
                        return Ok(());
                    }
                    let retry_after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    last_problem = format!("the collector answered HTTP {status}");
                    if !matches!(status, 429 | 502 | 503 | 504) {
                        break;
                    }
                    if let Some(seconds) = retry_after {
                        wait = Duration::from_secs(seconds.min(30));
                    }
                }
                Err(e) => {
                    last_problem = failed_request(&e, &self.settings.url);
                    // An answer that is not HTTP/1.x will not become one.
                    if matches!(e, ureq::Error::Protocol(_)) {
                        break;
                    }
                }
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(8));
            }
        }
        Err(Error::ExportFailed {
            url: self.settings.url.clone(),
            problem: last_problem,
            sent: already_sent,
        })
    }
}

/// `bytes` gzip-compressed. Fast compression: OTLP batches are
/// repetitive JSON, which the fastest level already shrinks tenfold or more.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 8), flate2::Compression::fast());
    // Writing into memory cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Why a request to `url` got no HTTP answer. An answer that is not
/// HTTP/1.x, or a closed connection on port 4317, is most likely a
/// collector's OTLP/gRPC receiver.
fn failed_request(error: &ureq::Error, url: &str) -> String {
    let grpc_port = url.parse::<ureq::http::Uri>().ok().and_then(|u| u.port_u16()) == Some(4317);
    if matches!(error, ureq::Error::Protocol(_)) {
        format!(
            "the endpoint did not answer in HTTP/1.1 ({error}): is it an OTLP/gRPC port? enforce sends OTLP/HTTP, on port 4318 by default"
        )
    } else if grpc_port {
        format!(
            "the request failed: {error} (port 4317 is OTLP/gRPC's; enforce sends OTLP/HTTP, on port 4318 by default)"
        )
    } else {
        format!("the request failed: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_credentials() {
        assert_eq!(
            pairs("api-key=a%20b, x=1,=bad,novalue"),
            [
                ("api-key".to_string(), "a b".to_string()),
                ("x".to_string(), "1".to_string())
            ]
        );
        assert_eq!(
            strip_credentials("https://u:t@git.example.com/o/r.git"),
            "https://git.example.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
        assert_eq!(without_email("Dev <dev@example.com>"), "Dev");
    }

    #[test]
    fn endpoints_are_checked_and_completed() {
        let url = |flag: &str| Settings::resolve(Some(flag), None, Repository::default()).map(|s| s.url);
        assert_eq!(url("http://c:4318").unwrap(), "http://c:4318/v1/logs");
        assert_eq!(url("https://c/v1/logs/").unwrap(), "https://c/v1/logs/");
        for bad in ["c:4318", "http://", "ftp://c", "localhost"] {
            let err = url(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn values_follow_the_json_mapping() {
        assert_eq!(any_value(&json!(42)), json!({"intValue": "42"}));
        assert_eq!(any_value(&json!(1.5)), json!({"doubleValue": 1.5}));
        assert_eq!(
            any_value(&json!(["a"])),
            json!({"arrayValue": {"values": [{"stringValue": "a"}]}})
        );
        assert_eq!(
            any_value(&json!({"k": true})),
            json!({"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": true}}]}})
        );
    }

    fn event(event_type: &str, details: Value) -> Event {
        Event::now(event_type, "pre-commit", crate::event::details(details))
    }

    #[test]
    fn a_hook_summary_reads_as_a_sentence() {
        let event = Event {
            timestamp: chrono::DateTime::parse_from_rfc3339("2026-11-21T10:00:00+00:00").unwrap(),
            event_type: types::HOOK_SUMMARY.into(),
            source: "pre-commit".into(),
            details: crate::event::details(json!({
                "hook": "pre-commit", "action": "audited", "operation": "commit",
                "rules": [{}, {}], "passed": 1, "denied": 0, "skipped": 0, "audit_only": 1,
                "duration_ms": 4.126, "branch": "main"
            })),
        };
        assert_eq!(
            body(&event, &Config::default()),
            "pre-commit audited the commit: 2 rule(s), 1 passed, 0 denied, 0 skipped, 1 audit-only, in 4.1 ms on main"
        );
        assert_eq!(severity(&event, &Config::default()), INFO);
    }

    #[test]
    fn severity_follows_the_event() {
        let config = Config::default();
        let cases = [
            ("agent_mismatch", json!({}), WARN),
            ("violation_detected", json!({"severity": "critical"}), ERROR),
            ("violation_detected", json!({"severity": "high"}), ERROR),
            ("violation_detected", json!({"severity": "medium"}), WARN),
            ("violation_detected", json!({"severity": "info"}), INFO),
            ("violation_detected", json!({}), WARN),
            ("commit_review_bypassed", json!({}), ERROR),
            ("rule_weakened", json!({}), ERROR),
            ("bypass_review", json!({}), WARN),
            ("bypass_content_rule", json!({"severity": "low"}), WARN),
            ("bypass_content_rule", json!({"severity": "critical"}), ERROR),
            ("commit_blocked", json!({}), WARN),
            ("commit_completed", json!({}), INFO),
            ("commit_completed", json!({"severity": "bogus"}), INFO),
            ("someone_elses", json!({"severity": "error"}), ERROR),
        ];
        for (event_type, details, expected) in cases {
            assert_eq!(
                severity(&event(event_type, details.clone()), &config),
                expected,
                "{event_type} {details}"
            );
        }
    }

    #[test]
    fn bodies_read_as_sentences() {
        let config = Config::default();
        let body = |t: &str, d: Value| body(&event(t, d), &config);
        assert_eq!(
            body(
                "commit_review_bypassed",
                json!({"rule": "review", "bypass_method": "git commit --no-verify", "branch": "main",
                       "commit_sha": "1a2b3c4d5e6f7a8b9c0d", "reason": "no approval for the staged tree"})
            ),
            "bypass (hooks skipped): rule `review` with git commit --no-verify on main at 1a2b3c4d5e6f — no approval for the staged tree"
        );
        assert_eq!(
            body(
                "violation_detected",
                json!({"rule": "no-keys", "severity": "critical", "file": "src/a.py", "line": 3, "description": "AWS key"})
            ),
            "rule violation: rule `no-keys` (critical) in src/a.py:3 — AWS key"
        );
        assert_eq!(
            body(
                "rule_weakened",
                json!({"rule": "review", "setting": "mode", "from": "block", "to": "off"})
            ),
            "bypass (rule weakened): rule `review`, mode block → off"
        );
        assert_eq!(body("guard_tripped", json!({})), "guard tripped");
    }

    #[test]
    fn attributes_are_unique_and_vcs_named() {
        let config = Config::default();
        let settings = Settings::resolve(Some("http://c:4318"), None, Repository::default()).unwrap();
        let record = log_record(
            &event(
                "commit_completed",
                json!({"branch": "main", "commit_sha": "abc", "source": "x", "user": "Dev <d@example.com>"}),
            ),
            &settings,
            &config,
            &chrono::Local::now().fixed_offset(),
        );
        let keys: Vec<&str> = record["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "enforce.source",
                "vcs.ref.head.name",
                "vcs.ref.head.type",
                "vcs.ref.head.revision",
                "enforce.user"
            ],
            "the detail `source` does not repeat enforce.source"
        );
        assert_eq!(record["attributes"][4]["value"]["stringValue"], "Dev");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let text = "{\"resourceLogs\":[]}".repeat(100);
        let packed = gzip(text.as_bytes());
        assert!(packed.len() < text.len() / 5);
        let mut unpacked = String::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_string(&mut unpacked)
            .unwrap();
        assert_eq!(unpacked, text);
    }
}
