//! Exports checked by the real tools: promtool, node_exporter's textfile
//! collector, a Prometheus server evaluating the documented alert rules,
//! the rotel OpenTelemetry collector, an OTLP receiver that validates every
//! payload against the official schema, a CSV reader, and headless
//! Chromium.
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

/// rotel's collector binary, which its PyPI package bundles.
#[track_caller]
fn rotel_agent() -> Option<PathBuf> {
    let found = Command::new("python3")
        .args([
            "-c",
            "import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), 'rotel-agent'))",
        ])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .filter(|path| path.is_file());
    if found.is_none() {
        unavailable(
            "the rotel collector (PyPI `rotel`) is not installed",
            "install it with `python3 -m pip install rotel` (.ci/run does)",
        );
    }
    found
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

/// `promtool check metrics` on `text`, when promtool is installed.
fn promtool_check(text: &str) {
    let Some(promtool) = tool("promtool", "prometheus") else {
        return;
    };
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

/// The label values of every sample line of `text`.
fn label_values(text: &str) -> Vec<(String, String)> {
    let pair = regex::Regex::new(r#"([a-z_]+)="((?:[^"\\]|\\.)*)""#).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| Some(l[l.find('{')? + 1..l.rfind('}')?].to_string()))
        .flat_map(|labels| {
            pair.captures_iter(&labels)
                .map(|c| (c[1].to_string(), c[2].to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn metrics_pass_promtool_and_never_go_down() {
    let reports = Reports::new(&[]);
    let text = reports.test(&["metrics"]).stdout_ignored().run().stdout;
    for expected in [
        "# TYPE enforce_events_total counter",
        "enforce_events_total{repo=\"\",event_type=\"violation_detected\",source=\"violation_watcher.py\",rule=\"web-access-policy\"} 8",
        "enforce_bypasses_total{repo=\"\",event_type=\"bypass_review\",method=\"PILOT_SKIP_REVIEW_1\"} 1",
        // Known bypasses and the active rules' blocks, at 0 before they happen.
        "enforce_bypasses_total{repo=\"\",event_type=\"commit_review_bypassed\",method=\"git_commit_--no-verify\"} 0",
        "enforce_bypasses_total{repo=\"\",event_type=\"rule_weakened\",method=\"config_change\"} 0",
        "enforce_bypass_categories_total{repo=\"\",category=\"skipped_hooks\"} 0",
        "enforce_commits_blocked_total{repo=\"\",rule=\"review\"} 0",
        "enforce_commits_blocked_total{repo=\"\",rule=\"agent-trailer\"} 0",
        "enforce_effectiveness_rating{repo=\"\",rating=\"good\"} 1",
        "enforce_effectiveness_rating{repo=\"\",rating=\"critical\"} 0",
        "enforce_window_events{repo=\"\",metric=\"violations\",window=\"current\"} 3",
        "enforce_window_events{repo=\"\",metric=\"violations\",window=\"previous\"} 6",
        "enforce_malformed_lines{repo=\"\"} 3",
        "enforce_build_info{repo=\"\",version=\"",
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
    // One label name per concept, and values that need no quoting.
    let labels = label_values(&text);
    assert!(
        labels.iter().all(|(name, _)| name != "type"),
        "`type` is `event_type`"
    );
    for (name, value) in &labels {
        assert!(
            !value.contains(char::is_whitespace) && !value.contains('='),
            "{name}=\"{value}\""
        );
    }
    promtool_check(&text);

    // cleanup removes old events; the counters keep counting them.
    let before = counters(&text);
    reports
        .test(&["cleanup", "--days", "14"])
        .redact(reports.sandbox.path(), "[SANDBOX]")
        .stderr("enforce: events from [SANDBOX]/data/enforcement_events.jsonl\n")
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

/// `[export.prometheus]` writing `textfile`, with `extra` lines after it.
fn textfile_config(head: &str, textfile: &Path, extra: &str) -> String {
    format!(
        "{head}[export.prometheus]\ntextfile = \"{}\"\n{extra}",
        textfile.display()
    )
}

/// node_exporter serving the textfiles of `dir` on 127.0.0.1, its log in
/// `log`.
struct NodeExporter {
    _child: Killed,
    port: u16,
    log: PathBuf,
}

impl NodeExporter {
    fn start(exporter: &Path, dir: &Path, log: PathBuf) -> NodeExporter {
        let port = free_port();
        let child = Command::new(exporter)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!("--collector.textfile.directory={}", dir.display()))
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let exporter = NodeExporter {
            _child: Killed(child),
            port,
            log,
        };
        wait_for("node_exporter to serve /metrics", Duration::from_secs(20), || {
            exporter.scrape().contains("enforce_events_total")
        });
        exporter
    }

    fn scrape(&self) -> String {
        http_get(self.port, "/metrics").unwrap_or_default()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
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
        textfile_config("[review]\nmode = \"off\"\n", &textfile, ""),
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
            "enforce_events_total{repo=\"repo\",event_type=\"commit_completed\",source=\"post-commit\",rule=\"\"} 1"
        ),
        "{first}"
    );
    promtool_check(&first);
    let entries: Vec<String> = std::fs::read_dir(&textdir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        entries.iter().filter(|n| n.ends_with(".prom")).count(),
        1,
        "only the finished file: {entries:?}"
    );
    assert!(
        entries.iter().all(|n| !n.contains(".tmp-")),
        "never a partial one: {entries:?}"
    );

    let node = NodeExporter::start(&exporter, &textdir, repo.sandbox.path().join("node.log"));
    let scraped = node.scrape();
    assert!(
        scraped.contains("enforce_build_info{repo=\"repo\",version=\""),
        "{scraped}"
    );
    assert!(
        scraped.contains("node_textfile_scrape_error 0"),
        "the collector read the file cleanly:\n{scraped}"
    );

    // The next commit refreshes the file, and the exporter serves the new count.
    repo.stage("b.txt", "b\n");
    repo.commit("b").run();
    wait_for("the refreshed count", Duration::from_secs(20), || {
        node.scrape().contains(
            "enforce_events_total{event_type=\"commit_completed\",repo=\"repo\",rule=\"\",source=\"post-commit\"} 2",
        )
    });
}

/// Two repositories write their textfiles into one directory; one
/// node_exporter serves both without a gather error, each series labelled
/// with its repository: the directory name by default, `repo` when set.
#[test]
fn two_repositories_share_one_node_exporter() {
    let Some(exporter) = tool("prometheus-node-exporter", "prometheus-node-exporter") else {
        return;
    };
    let repo = HookRepo::new("");
    let textdir = repo.sandbox.path().join("textfile");
    std::fs::create_dir_all(&textdir).unwrap();
    let head = "[review]\nmode = \"off\"\n";
    std::fs::write(
        repo.path(".enforce.toml"),
        textfile_config(head, &textdir.join("enforce_repo.prom"), ""),
    )
    .unwrap();
    let other = repo.sandbox.repo("other");
    repo.install(
        &other.root,
        &textfile_config(
            head,
            &textdir.join("enforce_other.prom"),
            "repo = \"billing api\"\n",
        ),
    );
    for root in [repo.root(), other.root.as_path()] {
        std::fs::write(root.join("a.txt"), "a\n").unwrap();
        repo.sandbox.git(root, &["add", "a.txt"]);
        repo.sandbox
            .test_git(root)
            .args(["commit", "-q", "-m", "a", "-m", "Agent: test-agent"])
            .run();
    }
    wait_for("both textfiles", Duration::from_secs(20), || {
        textdir.join("enforce_repo.prom").exists() && textdir.join("enforce_other.prom").exists()
    });

    let node = NodeExporter::start(&exporter, &textdir, repo.sandbox.path().join("node.log"));
    let mut scraped = String::new();
    wait_for("both repositories' series", Duration::from_secs(20), || {
        scraped = node.scrape();
        ["repo", "billing_api"].iter().all(|name| {
            scraped.contains(&format!(
                "enforce_events_total{{event_type=\"commit_completed\",repo=\"{name}\",rule=\"\",source=\"post-commit\"}} 1"
            ))
        })
    });
    for name in ["repo", "billing_api"] {
        for series in [
            format!("enforce_build_info{{repo=\"{name}\",version=\""),
            format!("enforce_malformed_lines{{repo=\"{name}\"}} 0"),
            format!("enforce_effectiveness_rating{{rating=\"excellent\",repo=\"{name}\"}}"),
        ] {
            assert!(scraped.contains(&series), "{series} missing:\n{scraped}");
        }
    }
    assert!(scraped.contains("node_textfile_scrape_error 0"), "{scraped}");
    let log = node.log();
    assert!(
        !log.contains("collected before") && !log.contains("level=error"),
        "node_exporter logged a gather error:\n{log}"
    );

    // Another tool's `enforce record` refreshes the textfile too.
    repo.sandbox
        .test(&other.root)
        .args(["record", "import_blocked", "-s", "guards.py"])
        .run();
    wait_for("the recorded event", Duration::from_secs(20), || {
        node.scrape().contains(
            "enforce_events_total{event_type=\"import_blocked\",repo=\"billing_api\",rule=\"\",source=\"guards.py\"} 1",
        )
    });
    let log = node.log();
    assert!(!log.contains("level=error"), "{log}");
}

/// Every command that appends to the log (or cleans it) refreshes the
/// textfile in the background; a log named with `--events-file` is not
/// the repository's and leaves it alone.
#[test]
fn every_appending_command_refreshes_the_textfile() {
    let repo = HookRepo::new("");
    let textfile = repo.sandbox.path().join("textfile/enforce_repo.prom");
    std::fs::write(
        repo.path(".enforce.toml"),
        textfile_config(
            "[[rules.content]]\nname = \"no-keys\"\npattern = \"AKIA[0-9A-Z]{16}\"\nseverity = \"critical\"\n",
            &textfile,
            "",
        ),
    )
    .unwrap();
    // Each step: the textfile removed, the step run, the file back with
    // what the step recorded.
    let step = |what: &str, run: &dyn Fn(), series: &[&str]| {
        let _ = std::fs::remove_file(&textfile);
        run();
        wait_for(what, Duration::from_secs(20), || {
            let text = std::fs::read_to_string(&textfile).unwrap_or_default();
            series.iter().all(|s| text.contains(s))
        });
    };
    step(
        "enforce record",
        &|| {
            repo.test()
                .args(["record", "import_blocked", "-s", "guards.py"])
                .run();
        },
        &[
            "enforce_events_total{repo=\"repo\",event_type=\"import_blocked\",source=\"guards.py\",rule=\"\"} 1",
        ],
    );
    repo.stage("a.txt", "a\n");
    step(
        "enforce review approve",
        &|| repo.approve(),
        &[
            "enforce_events_total{repo=\"repo\",event_type=\"review_approved\",source=\"enforce_review\",rule=\"review\"} 1",
        ],
    );
    step(
        "post-commit",
        &|| {
            repo.commit("a").run();
        },
        &[
            "enforce_events_total{repo=\"repo\",event_type=\"commit_completed\",source=\"post-commit\",rule=\"\"} 1",
        ],
    );
    repo.stage("key.txt", "AKIAABCDEFGHIJKLMNOP\n");
    step(
        "a blocked commit",
        &|| {
            repo.commit("key").status(1).stderr_ignored().run();
        },
        &["enforce_commits_blocked_total{repo=\"repo\",rule=\"no-keys\"} 1"],
    );
    repo.git(&["reset", "-q", "key.txt"]);
    repo.stage("b.txt", "b\n");
    step(
        "a --no-verify commit",
        &|| {
            repo.git_test(&["commit", "-q", "--no-verify", "-m", "b", "-m", "Agent: x"])
                .stderr_ignored()
                .run();
        },
        &[
            "enforce_bypasses_total{repo=\"repo\",event_type=\"commit_review_bypassed\",method=\"git_commit_--no-verify\"} 1",
        ],
    );
    step(
        "enforce audit --record",
        &|| {
            repo.test()
                .args(["audit", "--record", "HEAD~1..HEAD"])
                .status_ignored()
                .stdout_ignored()
                .run();
        },
        &["event_type=\"audit_offence\",source=\"enforce_audit\""],
    );
    step(
        "enforce verify --reanchor",
        &|| {
            repo.test()
                .args(["verify", "--reanchor"])
                .stdout_ignored()
                .stderr_ignored()
                .run();
        },
        &["event_type=\"log_reanchored\",source=\"enforce_verify\",rule=\"\"} 1"],
    );
    step(
        "enforce cleanup",
        &|| {
            repo.test()
                .args(["cleanup", "--days", "0"])
                .stdout_ignored()
                .stderr_ignored()
                .run();
        },
        // The window is empty now; the counters keep what cleanup removed.
        &[
            "enforce_window_events{repo=\"repo\",metric=\"bypasses\",window=\"current\"} 0",
            "enforce_events_total{repo=\"repo\",event_type=\"import_blocked\",source=\"guards.py\",rule=\"\"} 1",
        ],
    );
    promtool_check(&std::fs::read_to_string(&textfile).unwrap());

    let _ = std::fs::remove_file(&textfile);
    repo.test()
        .arg("--events-file")
        .arg(repo.sandbox.path().join("elsewhere.jsonl"))
        .args(["record", "import_blocked", "-s", "guards.py"])
        .run();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !textfile.exists(),
        "another log's event refreshed the repository's textfile"
    );
}

/// The alert rules docs/prometheus.md gives.
fn documented_alert_rules() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/prometheus.md")).unwrap();
    let section = &doc[doc.find("## Alert rules").expect("the alert rules section")..];
    let start = section.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_string()
}

/// `GET` of a Prometheus API path, the JSON body.
fn prometheus_api(port: u16, path: &str) -> Option<Value> {
    let response = http_get(port, path)?;
    let body = &response[response.find("\r\n\r\n")? + 4..];
    serde_json::from_str(body).ok()
}

fn firing(port: u16, alert: &str) -> bool {
    prometheus_api(port, "/api/v1/alerts").is_some_and(|v| {
        v["data"]["alerts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["labels"]["alertname"] == alert && a["state"] == "firing")
    })
}

/// In a fresh repository, the first `--no-verify` commit fires the
/// documented `EnforceReviewBypassed` rule in a real Prometheus server:
/// its series was scraped at 0 before, so the bypass is an increase.
#[test]
fn the_first_bypass_fires_the_documented_alert_in_prometheus() {
    let Some(exporter) = tool("prometheus-node-exporter", "prometheus-node-exporter") else {
        return;
    };
    let Some(prometheus) = tool("prometheus", "prometheus") else {
        return;
    };
    let repo = HookRepo::new("");
    let dir = repo.sandbox.path();
    let textdir = dir.join("textfile");
    std::fs::create_dir_all(&textdir).unwrap();
    let textfile = textdir.join("enforce_repo.prom");
    std::fs::write(repo.path(".enforce.toml"), textfile_config("", &textfile, "")).unwrap();
    let zero = "enforce_bypasses_total{repo=\"repo\",event_type=\"commit_review_bypassed\",method=\"git_commit_--no-verify\"} 0";
    repo.commit_reviewed("a.txt", "a\n");
    wait_for("the first textfile", Duration::from_secs(20), || {
        std::fs::read_to_string(&textfile).is_ok_and(|t| t.contains(zero))
    });

    let rules = dir.join("rules.yml");
    std::fs::write(&rules, format!("{}\n", documented_alert_rules())).unwrap();
    if let Some(promtool) = tool("promtool", "prometheus") {
        let checked = Command::new(promtool)
            .args(["check", "rules"])
            .arg(&rules)
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "promtool check rules: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    let node = NodeExporter::start(&exporter, &textdir, dir.join("node.log"));
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {}\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: [\"127.0.0.1:{}\"]\n",
            rules.display(),
            node.port
        ),
    )
    .unwrap();
    let port = free_port();
    let log = dir.join("prometheus.log");
    let _server = Killed(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let query = "/api/v1/query?query=enforce_bypasses_total%7Bevent_type%3D%22commit_review_bypassed%22%2Cmethod%3D%22git_commit_--no-verify%22%7D";
    wait_for(
        "Prometheus to scrape the bypass series at 0",
        Duration::from_secs(60),
        || prometheus_api(port, query).is_some_and(|v| v["data"]["result"][0]["value"][1] == "0"),
    );
    // A few evaluations at 0: nothing fires.
    std::thread::sleep(Duration::from_secs(3));
    assert!(!firing(port, "EnforceReviewBypassed"), "fired before any bypass");

    repo.stage("b.txt", "b\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "b", "-m", "Agent: x"])
        .stderr_contains("commit_review_bypassed")
        .run();
    let start = Instant::now();
    while !firing(port, "EnforceReviewBypassed") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "EnforceReviewBypassed did not fire on the first bypass; textfile:\n{}\nPrometheus log:\n{}",
            std::fs::read_to_string(&textfile).unwrap_or_default(),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(!firing(port, "EnforceRuleWeakened"));
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
    assert_eq!(requests[0]["headers"]["content-encoding"], "gzip");
    let (packed, inflated) = (
        requests[0]["bytes"].as_u64().unwrap(),
        requests[0]["inflated"].as_u64().unwrap(),
    );
    assert!(packed * 4 < inflated, "gzip: {packed} bytes for {inflated}");

    let records = receiver.records();
    assert_eq!(records.len(), 29);
    let bypass = records
        .iter()
        .find(|r| r["eventName"] == "bypass_review")
        .unwrap();
    assert_eq!(bypass["severityText"], "WARN");
    assert_eq!(bypass["severityNumber"], "SEVERITY_NUMBER_WARN");
    assert_eq!(
        bypass["body"]["stringValue"],
        "bypass (environment variable): rule `review` with PILOT_SKIP_REVIEW=1 on main — PILOT_SKIP_REVIEW environment variable"
    );
    assert_eq!(
        attribute(bypass, "enforce.rule").unwrap()["stringValue"],
        "review"
    );
    assert_eq!(attribute(bypass, "enforce.file_count").unwrap()["intValue"], "1");
    assert_eq!(
        attribute(bypass, "vcs.ref.head.name").unwrap()["stringValue"],
        "main"
    );
    assert!(
        attribute(bypass, "enforce.branch").is_none(),
        "the branch once, by its semantic-convention name"
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
    for record in &records {
        let mut keys: Vec<&str> = record["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["key"].as_str().unwrap())
            .collect();
        let count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), count, "an attribute twice: {record:#}");
        assert_ne!(record["body"]["stringValue"], record["eventName"], "{record:#}");
    }
    let commit = records
        .iter()
        .find(|r| r["eventName"] == "commit_completed" && attribute(r, "vcs.ref.head.revision").is_some())
        .unwrap();
    assert!(attribute(commit, "enforce.commit_sha").is_none());
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

/// A TCP proxy in front of `upstream` that keeps the head of every HTTP
/// request it forwards (one request per connection).
struct Proxy {
    port: u16,
    heads: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proxy {
    fn start(upstream: u16) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = heads.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 65536];
                let head_end = loop {
                    let n = client.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        break None;
                    }
                    request.extend_from_slice(&buf[..n]);
                    if let Some(i) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i + 4);
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while request.len() < head_end + length {
                    let n = client.read(&mut buf).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                kept.lock().unwrap().push(head.clone());
                // One request per connection: the collector closes after
                // its answer, and so does the proxy.
                let forwarded = head.replacen("\r\n", "\r\nConnection: close\r\n", 1);
                let mut server = TcpStream::connect(("127.0.0.1", upstream)).unwrap();
                server.write_all(forwarded.as_bytes()).unwrap();
                server.write_all(&request[head_end..]).unwrap();
                let mut answer = Vec::new();
                let _ = server.read_to_end(&mut answer);
                let _ = client.write_all(&answer);
            }
        });
        Proxy { port, heads }
    }
}

/// The log records rotel's debug log printed, one text block each.
fn rotel_records(stdout: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(stdout).unwrap_or_default();
    text.split("LogRecord #").skip(1).map(str::to_string).collect()
}

/// The export against the rotel collector (PyPI `rotel`): a content-rule
/// hit of severity critical arrives as ERROR with a readable body, each
/// `vcs.*` attribute once, over gzip.
#[test]
fn a_critical_violation_arrives_at_rotel_as_error() {
    let Some(rotel) = rotel_agent() else {
        return;
    };
    let repo = HookRepo::new(
        "[review]\nmode = \"off\"\n[[rules.content]]\nname = \"no-keys\"\npattern = \"AKIA[0-9A-Z]{16}\"\nseverity = \"critical\"\nmessage = \"an AWS access key\"\n",
    );
    repo.stage("key.txt", "AKIAABCDEFGHIJKLMNOP\n");
    repo.commit("key").status(1).stderr_ignored().run();

    let dir = repo.sandbox.path().join("rotel");
    std::fs::create_dir_all(&dir).unwrap();
    let (http, grpc) = (free_port(), free_port());
    let stdout = dir.join("stdout");
    let _collector = Killed(
        Command::new(rotel)
            .arg("start")
            .arg(format!("--otlp-http-endpoint=127.0.0.1:{http}"))
            .arg(format!("--otlp-grpc-endpoint=127.0.0.1:{grpc}"))
            .args([
                "--exporter",
                "blackhole",
                "--debug-log",
                "logs",
                "--debug-log-verbosity",
                "detailed",
            ])
            .arg(format!("--pid-file={}", dir.join("rotel.pid").display()))
            .arg(format!("--log-file={}", dir.join("rotel.log").display()))
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    wait_for("rotel to listen", Duration::from_secs(20), || {
        TcpStream::connect(("127.0.0.1", http)).is_ok()
    });
    let proxy = Proxy::start(http);
    repo.test()
        .args([
            "export",
            "otlp",
            "--endpoint",
            &format!("http://127.0.0.1:{}", proxy.port),
        ])
        .stdout_matches(r"sent [0-9]+ event\(s\) in 1 request\(s\) to http://127\.0\.0\.1:[0-9]+/v1/logs\n")
        .run();
    let heads = proxy.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].to_ascii_lowercase().contains("content-encoding: gzip"),
        "{}",
        heads[0]
    );

    let mut records = Vec::new();
    wait_for("rotel to print the records", Duration::from_secs(20), || {
        records = rotel_records(&stdout);
        records.iter().any(|r| r.contains("EventName: commit_blocked"))
    });
    let violation = records
        .iter()
        .find(|r| r.contains("EventName: violation_detected"))
        .unwrap_or_else(|| panic!("no violation among {records:#?}"));
    for line in [
        "SeverityText: ERROR",
        "SeverityNumber: SEVERITY_NUMBER_ERROR(17)",
        "Body: Str(rule violation: rule `no-keys` (critical) in key.txt:1 on main — an AWS access key)",
        "-> enforce.severity: Str(critical)",
    ] {
        assert!(violation.contains(line), "{line:?} missing from:\n{violation}");
    }
    assert_eq!(
        violation.matches("-> vcs.ref.head.name: Str(main)").count(),
        1,
        "{violation}"
    );
    assert!(!violation.contains("-> enforce.branch:"), "{violation}");
    let blocked = records
        .iter()
        .find(|r| r.contains("EventName: commit_blocked"))
        .unwrap();
    assert!(blocked.contains("SeverityText: WARN"), "{blocked}");
}

/// A protocol enforce does not speak is refused before anything is sent,
/// saying which one it speaks.
#[test]
fn otlp_refuses_protocols_it_does_not_speak() {
    let reports = Reports::new(&[]);
    export(&reports)
        .args(["--endpoint", "http://127.0.0.1:4317"])
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        .status(2)
        .stderr(
            "enforce: OTEL_EXPORTER_OTLP_PROTOCOL=grpc asks for OTLP/gRPC: enforce sends OTLP/HTTP with the JSON encoding only (http/json)
hint: unset OTEL_EXPORTER_OTLP_PROTOCOL or set it to http/json, and point the endpoint at the collector's OTLP/HTTP receiver (port 4318 by default; 4317 is gRPC)
",
        )
        .run();
    export(&reports)
        .args(["--endpoint", "http://127.0.0.1:4318"])
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/protobuf")
        .status(2)
        .stderr_contains(
            "enforce: OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf asks for OTLP/HTTP with the protobuf encoding",
        )
        .run();
    export(&reports)
        .args(["--endpoint", "http://127.0.0.1:4318"])
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")
        .status(2)
        .stderr(
            "enforce: OTEL_EXPORTER_OTLP_COMPRESSION=zstd is not a compression enforce knows
hint: set OTEL_EXPORTER_OTLP_COMPRESSION to gzip (the default) or none
",
        )
        .run();
}

/// An endpoint that answers in HTTP/2 (a collector's gRPC port) is named
/// as such, at once: no retries of what cannot succeed.
#[test]
fn otlp_names_an_endpoint_that_does_not_speak_http_1() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            // An HTTP/2 SETTINGS frame, as a gRPC server opens with.
            let _ = stream.write_all(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x05\x00\x00\x40\x00");
        }
    });
    let reports = Reports::new(&[]);
    let url = format!("http://127.0.0.1:{port}");
    export(&reports)
        .args(["--endpoint", &url])
        .status(2)
        .stderr_contains(format!(
            "enforce: could not send events to {url}/v1/logs: the endpoint did not answer in HTTP/1.1 ("
        ))
        .stderr_contains("is it an OTLP/gRPC port? enforce sends OTLP/HTTP, on port 4318 by default (0 event(s) sent before")
        .run();
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "not retried"
    );
}

/// A long export says how far it got on standard error, at most every
/// two seconds; the summary on standard output stays the same.
#[test]
fn a_long_otlp_export_shows_progress() {
    if !python_otlp() {
        return;
    }
    let reports = Reports::new(&[]);
    // The first two requests take 3 s each.
    let receiver = Receiver::start(&reports.sandbox.path().join("rx"), &["--hang", "2"]);
    let config_repo = reports.sandbox.repo("repo");
    config_repo.write(".enforce.toml", "[export.otlp]\nbatch_size = 10\n");
    export_in(&reports, &config_repo.root)
        .args(["--endpoint", &receiver.url()])
        .stdout(sent(29, 3, &receiver))
        .stderr_contains("enforce: sent 10 event(s) so far (")
        .stderr_contains("enforce: sent 20 event(s) so far (")
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
        .stderr("enforce: events from [SANDBOX]/data/enforcement_events.jsonl\nenforce: dashboard written to [SANDBOX]/dashboard.html\n")
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
