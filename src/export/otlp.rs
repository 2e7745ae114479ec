//! `enforce export otlp`: events as OpenTelemetry log records, sent to the
//! collector a team already runs (OTLP/HTTP with the JSON encoding).
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

use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

impl Settings {
    /// The settings from `--endpoint`, the `OTEL_EXPORTER_OTLP_*`
    /// variables, and `[export.otlp]`, strongest first.
    pub fn resolve(
        flag: Option<&str>,
        config: Option<&OtlpExport>,
        repository_url: Option<String>,
    ) -> Result<Settings> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
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

        let mut resource = env("OTEL_RESOURCE_ATTRIBUTES")
            .map(|r| pairs(&r))
            .unwrap_or_default();
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
        resource.push(("service.version".into(), env!("CARGO_PKG_VERSION").into()));
        let host = host_name();
        if !host.is_empty() && !resource.iter().any(|(k, _)| k == "host.name") {
            resource.push(("host.name".into(), host));
        }
        if let Some(url) = repository_url {
            resource.push(("vcs.repository.url.full".into(), strip_credentials(&url)));
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
        })
    }
}

/// The OTLP severity of an event: ERROR for a review skipped past the hooks
/// and a weakened rule, WARN for other bypasses and blocks, INFO otherwise.
pub fn severity(event_type: &str, config: &Config) -> (u8, &'static str) {
    let category = bypass_category(event_type, &config.score.bypass_types);
    if category.is_some_and(BypassCategory::is_critical) {
        (17, "ERROR")
    } else if category.is_some() || event_type == types::COMMIT_BLOCKED {
        (13, "WARN")
    } else {
        (9, "INFO")
    }
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
    let (number, text) = severity(&event.event_type, config);
    let mut attributes = vec![attribute("enforce.source", Value::from(event.source.as_str()))];
    for (key, value) in &event.details {
        let value = if key == "user" && !settings.include_user_email {
            Value::from(value.as_str().map(without_email).unwrap_or_default())
        } else {
            value.clone()
        };
        attributes.push(attribute(&format!("enforce.{key}"), value));
    }
    if let Some(branch) = event.details.get("branch").and_then(Value::as_str) {
        attributes.push(attribute("vcs.ref.head.name", Value::from(branch)));
    }
    if let Some(sha) = event.details.get("commit_sha").and_then(Value::as_str) {
        attributes.push(attribute("vcs.ref.head.revision", Value::from(sha)));
    }
    json!({
        "timeUnixNano": nanos(&event.timestamp),
        "observedTimeUnixNano": nanos(observed),
        "severityNumber": number,
        "severityText": text,
        "eventName": event.event_type,
        "body": { "stringValue": event.event_type },
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
        let text = serde_json::to_vec(body).unwrap_or_default();
        let mut wait = Duration::from_millis(250);
        let mut last_problem = String::new();
        for attempt in 1..=ATTEMPTS {
            let mut request = self
                .agent
                .post(&self.settings.url)
                .header("Content-Type", "application/json");
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
                Err(e) => last_problem = format!("the request failed: {e}"),
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
        let url = |flag: &str| Settings::resolve(Some(flag), None, None).map(|s| s.url);
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
}
