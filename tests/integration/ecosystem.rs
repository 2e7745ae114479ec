//! Exports checked by the real tools: promtool, node_exporter's textfile
//! collector, an OTLP receiver that validates every payload against the
//! official schema, a CSV reader, and headless Chromium.
//!
//! `.ci/run` installs these tools. A test whose tool is missing prints why
//! and returns; under `CI=true` it fails instead. It never passes by
//! pretending.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::hookrepo::HookRepo;
use crate::reports::{NOW, Reports};
use crate::support::{Test, unavailable};

/// The tool on PATH, or `None` with a printed reason; under `CI=true` a
/// missing tool fails the test instead (see [`unavailable`]).
#[track_caller]
pub(crate) fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        unavailable(
            &format!("`{name}` is not installed"),
            &format!("install it with `apt-get install {package}` (.ci/run does)"),
        );
    }
    found
}

#[track_caller]
fn python_otlp() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import opentelemetry.proto.collector.logs.v1.logs_service_pb2, google.protobuf",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        unavailable(
            "python3 with opentelemetry-proto is not installed",
            "install it with `python3 -m pip install opentelemetry-proto` (.ci/run does)",
        );
    }
    ok
}

fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET http://127.0.0.1:{port}{path}` with a plain socket.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn metrics_pass_promtool_and_never_go_down() {
    let reports = Reports::new(&[]);
    let text = reports.test(&["metrics"]).stdout_ignored().run().stdout;
    for expected in [
        "# TYPE enforce_events_total counter",
        "enforce_events_total{event_type=\"violation_detected\",source=\"violation_watcher.py\",rule=\"web-access-policy\"} 8",
        "enforce_bypasses_total{type=\"bypass_review\",method=\"PILOT_SKIP_REVIEW=1\"} 1",
        "enforce_effectiveness_rating{rating=\"good\"} 1",
        "enforce_effectiveness_rating{rating=\"critical\"} 0",
        "enforce_window_events{metric=\"violations\",window=\"current\"} 3",
        "enforce_window_events{metric=\"violations\",window=\"previous\"} 6",
        "enforce_malformed_lines 3",
        "enforce_build_info{version=\"",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // No personal data or unbounded values as labels.
    assert!(
        !text.contains('@'),
        "an email address leaked into a label:\n{text}"
    );
    assert!(!text.contains("abc1234"), "a commit SHA leaked into a label");
    assert!(!text.contains("tools/x.py"), "a path leaked into a label");

    if let Some(promtool) = tool("promtool", "prometheus") {
        let mut child = Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "promtool: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // cleanup removes old events; the counters keep counting them.
    let before = counters(&text);
    reports
        .test(&["cleanup", "--days", "14"])
        .redact(reports.sandbox.path(), "[SANDBOX]")
        .stdout(
            "Removed 5 event(s) older than 14 days (before 2026-11-07T12:00:00+00:00); kept 27 line(s) (3 unreadable, kept verbatim) in [SANDBOX]/data/enforcement_events.jsonl\n",
        )
        .run();
    let after = counters(&reports.test(&["metrics"]).stdout_ignored().run().stdout);
    for (series, value) in &before {
        assert!(
            after.get(series).is_some_and(|v| v >= value),
            "{series} went from {value} to {:?}",
            after.get(series)
        );
    }
    assert!(
        reports
            .log
            .with_file_name("enforcement_events.jsonl.totals.json")
            .exists()
    );
}

fn counters(text: &str) -> std::collections::BTreeMap<String, u64> {
    text.lines()
        .filter(|l| l.starts_with("enforce_") && l.contains("_total{"))
        .filter_map(|l| {
            l.rsplit_once(' ')
                .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        })
        .collect()
}

#[test]
fn node_exporter_serves_the_textfile_and_post_commit_refreshes_it() {
    let Some(exporter) = tool("prometheus-node-exporter", "prometheus-node-exporter") else {
        return;
    };
    let repo = HookRepo::new("");
    let textdir = repo.sandbox.path().join("textfile");
    std::fs::create_dir_all(&textdir).unwrap();
    let textfile = textdir.join("enforce_repo.prom");
    std::fs::write(
        repo.path(".enforce.toml"),
        format!(
            "[review]\nmode = \"off\"\n[export.prometheus]\ntextfile = \"{}\"\n",
            textfile.display()
        ),
    )
    .unwrap();
    repo.stage("a.txt", "a\n");
    repo.commit("a").run();
    wait_for(
        "post-commit to write the textfile",
        Duration::from_secs(20),
        || textfile.exists(),
    );
    let first = std::fs::read_to_string(&textfile).unwrap();
    assert!(
        first.contains(
            "enforce_events_total{event_type=\"commit_completed\",source=\"post-commit\",rule=\"\"} 1"
        ),
        "{first}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&textdir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the finished file, never a partial one");

    let port = free_port();
    let _exporter = Killed(
        Command::new(exporter)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--collector.textfile.directory={}", textdir.display()))
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut scraped = String::new();
    wait_for("node_exporter to serve /metrics", Duration::from_secs(20), || {
        scraped = http_get(port, "/metrics").unwrap_or_default();
        scraped.contains("enforce_events_total")
    });
    assert!(scraped.contains("enforce_build_info{version=\""), "{scraped}");
    assert!(
        scraped.contains("node_textfile_scrape_error 0"),
        "the collector read the file cleanly:\n{scraped}"
    );

    // The next commit refreshes the file, and the exporter serves the new count.
    repo.stage("b.txt", "b\n");
    repo.commit("b").run();
    wait_for("the refreshed count", Duration::from_secs(20), || {
        http_get(port, "/metrics").is_some_and(|m| {
            m.contains(
                "enforce_events_total{event_type=\"commit_completed\",rule=\"\",source=\"post-commit\"} 2",
            ) || m.contains(
                "enforce_events_total{event_type=\"commit_completed\",source=\"post-commit\",rule=\"\"} 2",
            )
        })
    });
}

/// An OTLP receiver in a child process.
struct Receiver {
    _child: Killed,
    dir: PathBuf,
    port: u16,
}

impl Receiver {
    fn start(dir: &Path, args: &[&str]) -> Receiver {
        std::fs::create_dir_all(dir).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/otlp_receiver.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(dir)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let port_file = dir.join("port");
        wait_for("the receiver to listen", Duration::from_secs(20), || {
            port_file.exists()
        });
        let port = std::fs::read_to_string(port_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        Receiver {
            _child: Killed(child),
            dir: dir.to_path_buf(),
            port,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn read(&self, name: &str) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join(name))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn records(&self) -> Vec<Value> {
        self.read("records")
    }

    fn requests(&self) -> Vec<Value> {
        self.read("requests")
    }
}

fn attribute<'a>(record: &'a Value, key: &str) -> Option<&'a Value> {
    record["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

/// A [`Test`] of `enforce --events-file <fixture> export otlp` in `dir`,
/// whose config applies.
fn export_in(reports: &Reports, dir: &Path) -> Test {
    reports
        .sandbox
        .test(dir)
        .arg("--events-file")
        .arg(&reports.log)
        .args(["export", "otlp"])
}

/// The same outside any repository.
fn export(reports: &Reports) -> Test {
    export_in(reports, reports.sandbox.path()).env("GIT_CEILING_DIRECTORIES", reports.sandbox.path())
}

/// What `export otlp` prints when it sent `events` in `requests` to `receiver`.
fn sent(events: usize, requests: usize, receiver: &Receiver) -> String {
    format!(
        "sent {events} event(s) in {requests} request(s) to {}/v1/logs\n",
        receiver.url()
    )
}

#[test]
fn otlp_payloads_validate_against_the_official_schema() {
    if !python_otlp() {
        return;
    }
    let reports = Reports::new(&[]);
    let receiver = Receiver::start(&reports.sandbox.path().join("rx"), &[]);
    export(&reports)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url())
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "x-api-key=secret%20token,x-team=agents",
        )
        .env("OTEL_SERVICE_NAME", "enforce-ci")
        .env("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test")
        .stdout(sent(29, 1, &receiver))
        .run();
    let requests = receiver.requests();
    assert!(
        requests.iter().all(|r| r["status"] == 200),
        "every payload parsed: {requests:#?}"
    );
    assert_eq!(requests[0]["headers"]["x-api-key"], "secret token");
    assert_eq!(requests[0]["headers"]["x-team"], "agents");

    let records = receiver.records();
    assert_eq!(records.len(), 29);
    let bypass = records
        .iter()
        .find(|r| r["eventName"] == "bypass_review")
        .unwrap();
    assert_eq!(bypass["severityText"], "WARN");
    assert_eq!(bypass["severityNumber"], "SEVERITY_NUMBER_WARN");
    assert_eq!(
        attribute(bypass, "enforce.rule").unwrap()["stringValue"],
        "review"
    );
    assert_eq!(attribute(bypass, "enforce.file_count").unwrap()["intValue"], "1");
    assert_eq!(
        attribute(bypass, "vcs.ref.head.name").unwrap()["stringValue"],
        "main"
    );
    assert_eq!(
        attribute(bypass, "enforce.user").unwrap()["stringValue"],
        "Dev",
        "no email unless configured"
    );
    let resource: Vec<(String, String)> = bypass["resource"]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["key"].as_str().unwrap().to_string(),
                a["value"]["stringValue"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        resource.contains(&("service.name".into(), "enforce-ci".into())),
        "{resource:?}"
    );
    assert!(
        resource.contains(&("deployment.environment".into(), "test".into())),
        "{resource:?}"
    );
    assert!(resource.iter().any(|(k, _)| k == "service.version"));
    let commit = records
        .iter()
        .find(|r| r["eventName"] == "commit_completed" && attribute(r, "enforce.commit_sha").is_some())
        .unwrap();
    assert_eq!(
        attribute(commit, "vcs.ref.head.revision").unwrap()["stringValue"],
        "abc1234"
    );
    assert_eq!(commit["severityText"], "INFO");
    // timeUnixNano from the event's own timestamp (2026-11-21T09:00:00Z).
    let newest = records
        .iter()
        .find(|r| r["timeUnixNano"] == "1795251600000000000");
    assert!(newest.is_some(), "no record with the commit's time");

    // Shipped once: a second run sends nothing.
    export(&reports)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url())
        .stdout(sent(0, 0, &receiver))
        .run();
    assert_eq!(receiver.records().len(), 29);
}

#[test]
fn otlp_survives_a_flapping_and_a_missing_collector_without_loss_or_duplicates() {
    if !python_otlp() {
        return;
    }
    let reports = Reports::new(&[]);
    // Nobody listening: the run fails, says so, and keeps everything.
    let closed = format!("http://127.0.0.1:{}", free_port());
    export(&reports)
        .args(["--endpoint", &closed])
        .status(2)
        .stderr(format!(
            "enforce: could not send events to {closed}/v1/logs: the request failed: io: Connection refused (os error 111) (0 event(s) sent before; the rest are kept for the next run)
hint: check that the collector is up and the endpoint is right; `enforce export otlp` again sends what is pending
"
        ))
        .run();

    // A collector that answers 503 twice, then accepts; batches of 10.
    let repo_config = reports.sandbox.path().join("cfg");
    std::fs::create_dir_all(&repo_config).unwrap();
    let receiver = Receiver::start(
        &reports.sandbox.path().join("rx"),
        &["--fail", "2", "--retry-after", "0"],
    );
    let config_repo = reports.sandbox.repo("repo");
    config_repo.write(
        ".enforce.toml",
        "[export.otlp]\nbatch_size = 10\ntimeout_seconds = 2\n",
    );
    export_in(&reports, &config_repo.root)
        .args(["--endpoint", &receiver.url()])
        .stdout(sent(29, 3, &receiver))
        .run();
    let statuses: Vec<i64> = receiver
        .requests()
        .iter()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [503, 503, 200, 200, 200]);
    let records = receiver.records();
    assert_eq!(records.len(), 29, "nothing lost");
    let mut keys: Vec<String> = records
        .iter()
        .map(|r| format!("{}{}", r["timeUnixNano"], r["eventName"]))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), records.len(), "nothing sent twice");

    // New events after the cursor are sent next time, and only they.
    reports
        .sandbox
        .test(reports.sandbox.path())
        .arg("--events-file")
        .arg(&reports.log)
        .args(["record", "import_blocked", "-s", "guards.py"])
        .run();
    export_in(&reports, &config_repo.root)
        .args(["--endpoint", &receiver.url()])
        .stdout(sent(1, 1, &receiver))
        .run();
    assert_eq!(receiver.records().len(), 30);
}

/// An endpoint named by host name goes through the C library's resolver,
/// which the static build (`install.sh` on Linux with glibc) links in.
#[test]
fn otlp_reaches_a_collector_named_by_host_name() {
    if !python_otlp() {
        return;
    }
    let reports = Reports::new(&[]);
    let receiver = Receiver::start(&reports.sandbox.path().join("rx"), &[]);
    let url = format!("http://localhost:{}", receiver.port);
    export(&reports)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &url)
        .stdout(format!("sent 29 event(s) in 1 request(s) to {url}/v1/logs\n"))
        .run();
    assert_eq!(receiver.records().len(), 29);
}

#[test]
fn otlp_retries_a_collector_that_times_out() {
    if !python_otlp() {
        return;
    }
    let reports = Reports::new(&[]);
    let receiver = Receiver::start(&reports.sandbox.path().join("rx"), &["--hang", "1"]);
    let config_repo = reports.sandbox.repo("repo");
    config_repo.write(".enforce.toml", "[export.otlp]\ntimeout_seconds = 1\n");
    export_in(&reports, &config_repo.root)
        .args(["--endpoint", &receiver.url()])
        .stdout(sent(29, 1, &receiver))
        .run();
    // The first request timed out on our side; the retry was accepted. The
    // receiver may still have processed the slow one: OTLP is at-least-once
    // across a timeout, so only count what the retry delivered.
    assert!(receiver.records().len() >= 29);
}

#[test]
fn post_commit_starts_the_otlp_export_in_the_background() {
    if !python_otlp() {
        return;
    }
    let repo = HookRepo::new("");
    let receiver = Receiver::start(&repo.sandbox.path().join("rx"), &[]);
    std::fs::write(
        repo.path(".enforce.toml"),
        format!(
            "[review]\nmode = \"off\"\n[export.otlp]\nendpoint = \"{}\"\n",
            receiver.url()
        ),
    )
    .unwrap();
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://user:token@git.example.com/team/repo.git",
    ]);
    repo.stage("a.txt", "a\n");
    let started = Instant::now();
    repo.commit("a").run();
    assert!(started.elapsed() < Duration::from_secs(10));
    wait_for("the background export", Duration::from_secs(30), || {
        receiver
            .records()
            .iter()
            .any(|r| r["eventName"] == "commit_completed")
    });
    let record = receiver
        .records()
        .into_iter()
        .find(|r| r["eventName"] == "commit_completed")
        .unwrap();
    let resource = record["resource"]["attributes"].as_array().unwrap().clone();
    let url = resource
        .iter()
        .find(|a| a["key"] == "vcs.repository.url.full")
        .unwrap();
    assert_eq!(
        url["value"]["stringValue"], "https://git.example.com/team/repo.git",
        "credentials stripped"
    );
}

#[test]
fn csv_and_jsonl_exports() {
    let reports = Reports::new(&[]);
    let ran = reports
        .test(&["export", "csv", "--days", "7", "--type", "bypass_review"])
        .stdout_ignored()
        .run();
    let mut reader = csv::Reader::from_reader(ran.stdout.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "timestamp",
            "event_type",
            "source",
            "rule",
            "user",
            "branch",
            "commit_sha",
            "file_count",
            "details"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][1], "bypass_review");
    assert_eq!(&rows[0][3], "review");
    assert_eq!(&rows[0][4], "Dev <dev@example.com>");
    assert_eq!(&rows[0][7], "1");
    let details: Value = serde_json::from_str(&rows[0][8]).unwrap();
    assert_eq!(details["files"][0], "lib/telemetry.py");
    assert!(
        ran.stdout.contains(",\"{\"\"branch\"\":\"\"main\"\","),
        "RFC 4180 quoting of quotes: {}",
        ran.stdout
    );

    let out = reports.sandbox.path().join("out/events.jsonl");
    reports
        .test(&["export", "jsonl", "--output", out.to_str().unwrap()])
        .redact(reports.sandbox.path(), "[SANDBOX]")
        .stderr("enforce: wrote [SANDBOX]/out/events.jsonl\n")
        .run();
    let lines: Vec<Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        29,
        "every readable event, none of the malformed lines"
    );
    assert!(
        lines
            .iter()
            .all(|e| e["timestamp"].is_string() && e["details"].is_object())
    );
}

#[test]
fn html_dashboard_renders_in_chromium() {
    let reports = Reports::new(&[]);
    let page = reports.sandbox.path().join("dashboard.html");
    reports
        .test(&[
            "dashboard",
            "--format",
            "html",
            "--output",
            page.to_str().unwrap(),
        ])
        .redact(reports.sandbox.path(), "[SANDBOX]")
        .stderr("enforce: dashboard written to [SANDBOX]/dashboard.html\n")
        .run();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
        "self-contained, no network"
    );
    let Some(chromium) = tool("chromium", "chromium") else {
        return;
    };
    let profile = reports.sandbox.path().join("chromium-profile");
    let common = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];
    let dom = Command::new(&chromium)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    for id in [
        "chart-daily",
        "chart-bypasses",
        "chart-rules",
        "rating",
        "trends",
        "counts",
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} missing from the rendered page"
        );
    }
    assert!(dom.matches("class=\"bar\"").count() > 20, "the charts have bars");
    let shot = reports.sandbox.path().join("dashboard.png");
    let status = Command::new(&chromium)
        .args(common)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--window-size=1000,2400")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a screenshot was rendered");
    assert!(png.len() > 20_000, "the screenshot has content");
    let _ = NOW;
}
