//! `enforce audit --format sarif`: the report as SARIF 2.1.0, the format
//! code-scanning pages (GitHub, GitLab) read.
//!
//! One result per finding. A content rule's hit points at its file and
//! line. A finding about the commit as a whole (no receipt, no review, no
//! agent trailer, a recorded bypass) names the commit as a logical location
//! and points at `.enforce.toml`, the policy it breaks, because code-scanning
//! pages show only results that have a file. `partialFingerprints` carry the
//! commit, so the same offence is one alert across runs. Commits that could
//! not be judged are tool notifications of an unsuccessful invocation.

use serde_json::{Value, json};

use crate::audit::{Finding, Report};
use crate::config::FILE_NAME;
use crate::git::short_id;
use crate::judge::audit::{Level, POLICY, RECEIPT};
use crate::rules::{AGENT_TRAILER, REVIEW};

/// The schema a SARIF 2.1.0 log names.
const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The report on `range` as a SARIF log.
pub fn audit(report: &Report, range: &str) -> String {
    let mut rules: Vec<&str> = Vec::new();
    for f in &report.findings {
        if !rules.contains(&f.rule.as_str()) {
            rules.push(&f.rule);
        }
    }
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|rule| {
            let fix = report
                .findings
                .iter()
                .find(|f| f.rule == *rule)
                .and_then(|f| f.fix.as_deref())
                .unwrap_or("");
            json!({
                "id": rule,
                "name": rule,
                "shortDescription": { "text": description(rule) },
                "help": { "text": fix },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, rules.iter().position(|r| *r == f.rule).unwrap_or(0)))
        .collect();
    let notifications: Vec<Value> = report
        .unjudged
        .iter()
        .map(|u| {
            json!({
                "level": "error",
                "message": { "text": format!("cannot judge {}: {}", short_id(&u.commit), u.why) },
                "locations": [{ "logicalLocations": [commit_location(&u.commit)] }],
            })
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "enforce",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": descriptors,
                }
            },
            "automationDetails": { "id": format!("enforce audit/{range}") },
            "invocations": [{
                "executionSuccessful": report.unjudged.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    });
    super::json(&log)
}

fn result(f: &Finding, rule_index: usize) -> Value {
    use std::os::unix::ffi::OsStrExt;
    let file = f
        .file
        .as_deref()
        .map_or(FILE_NAME.as_bytes(), |p| p.as_os_str().as_bytes());
    let mut physical = json!({ "artifactLocation": { "uri": uri(file) } });
    if let Some(line) = f.line.filter(|l| *l > 0) {
        physical["region"] = json!({ "startLine": line });
    }
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
        },
        "message": { "text": format!("{} {}: {}", short_id(&f.commit), f.subject, f.problem) },
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [commit_location(&f.commit)],
        }],
        "partialFingerprints": { "commitSha/v1": f.commit },
    })
}

fn commit_location(commit: &str) -> Value {
    json!({
        "name": short_id(commit),
        "fullyQualifiedName": commit,
        "kind": "commit",
    })
}

fn description(rule: &str) -> String {
    match rule {
        RECEIPT => "Commits are made through enforce's hooks, which leave a receipt".into(),
        REVIEW => "Changes are reviewed: a receipt records an approval of exactly them".into(),
        AGENT_TRAILER => "The commit message names the agent in a trailer".into(),
        POLICY => format!("Changes to {FILE_NAME} that weaken the rules are reviewed"),
        other => format!("Content rule `{other}` on the lines a commit adds"),
    }
}

/// A relative path as a URI reference: bytes other than unreserved
/// characters and `/` percent-encoded.
fn uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("src/a b/ü.rs".as_bytes()), "src/a%20b/%C3%BC.rs");
        assert_eq!(uri(b"x?#%.txt"), "x%3F%23%25.txt");
        assert_eq!(uri(b"caf\xe9"), "caf%E9");
    }
}
