//! The analysis with plain events: no repository, no file.

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::{Value, json};

use super::*;
use crate::config::Config;
use crate::event::Event;
use crate::report::{Fold, Split};

const NOW: &str = "2026-11-21T12:00:00+00:00";

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(NOW).unwrap()
}

fn event(hours_ago: f64, event_type: &str, source: &str, details: Value) -> Event {
    Event {
        timestamp: now() - Duration::seconds((hours_ago * 3600.0) as i64),
        event_type: event_type.into(),
        source: source.into(),
        details: crate::event::details(details),
    }
}

/// A history builder: attempts with ids, by one user on one branch.
#[derive(Default)]
struct Log {
    events: Vec<Event>,
    attempts: u64,
}

impl Log {
    fn base(&mut self, extra: Value) -> Value {
        self.attempts += 1;
        let mut base = json!({"attempt_id": format!("a{}", self.attempts), "user": "Dev <d@x>", "branch": "main", "agent": "codex"});
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    fn with(base: &Value, extra: Value) -> Value {
        let mut details = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            details[k] = v.clone();
        }
        details
    }

    /// One attempt judging `rule` with `outcome`, and its block or
    /// bypass event.
    fn attempt(&mut self, hours_ago: f64, rule: &str, outcome: &str) {
        let base = self.base(json!({}));
        match outcome {
            "blocked" => self.events.push(event(
                hours_ago,
                "commit_blocked",
                "pre-commit",
                Log::with(&base, json!({"rule": rule})),
            )),
            "bypassed" => self.events.push(event(
                hours_ago,
                "bypass_review",
                "pre-commit",
                Log::with(
                    &base,
                    json!({"rule": rule, "bypass_method": "PILOT_SKIP_REVIEW=1"}),
                ),
            )),
            _ => {}
        }
        let summary = Log::with(
            &base,
            json!({"hook": "pre-commit", "rules": [{"rule": rule, "mode": "enforce", "outcome": outcome}]}),
        );
        self.events
            .push(event(hours_ago, "hook_summary", "pre-commit", summary));
    }

    fn label(&mut self, hours_ago: f64, id: &str, label: &str, rule: &str, files: &[&str]) {
        let bypass = json!({"event_type": "bypass_review", "id": id, "rule": rule, "files": files,
            "timestamp": (now() - Duration::hours(hours_ago as i64 + 1)).to_rfc3339()});
        self.events.push(event(
            hours_ago,
            fold::BYPASS_LABELED,
            "enforce label",
            json!({"label": label, "note": "", "labeled_by": "Lead <l@x>", "bypass": bypass}),
        ));
    }

    fn evidence(&self) -> Evidence {
        let mut fold = AdviceFold::new(now(), 30, &[]);
        for e in &self.events {
            fold.add(e);
        }
        fold.finish(0)
    }
}

fn config(text: &str) -> Config {
    crate::config::parse(text, std::path::Path::new(".enforce.toml")).unwrap()
}

fn kinds(advice: &Advice) -> Vec<(Kind, &str, Option<&Change>)> {
    advice
        .suggestions
        .iter()
        .map(|s| (s.kind, s.rule.as_str(), s.change.as_ref()))
        .collect()
}

/// A mixed history of everything the fold reads.
fn mixed() -> Log {
    let mut log = Log::default();
    for day in 0..35 {
        let h = f64::from(day) * 24.0 + 1.0;
        log.attempt(h + 0.5, "review", "approved");
        if day % 3 == 0 {
            log.attempt(h + 0.3, "review", "blocked");
            log.attempt(h + 0.2, "review", "blocked");
            log.attempt(
                h + 0.1,
                "review",
                if day % 2 == 0 { "approved" } else { "bypassed" },
            );
        }
        if day % 4 == 0 {
            log.events.push(event(
                h,
                "violation_detected",
                "guards.py",
                json!({"rule": "web", "file": format!("src/m{day}.py"), "severity": if day % 8 == 0 { "high" } else { "low" }}),
            ));
            log.label(
                h,
                &format!("id{}", day % 3),
                if day % 8 == 0 { "justified" } else { "unjustified" },
                "review",
                &["src/a.py"],
            );
        }
    }
    // The log is in time order, oldest first.
    log.events.sort_by_key(|e| e.timestamp);
    log
}

#[test]
fn a_log_read_in_parts_gives_the_same_evidence() {
    let log = mixed();
    let whole = log.evidence();
    assert!(whole.rules["review"].follow.blocks > 10, "{whole:?}");
    for parts in [2, 3, 7] {
        for shift in 0..5 {
            let mut folds = Vec::new();
            let n = log.events.len();
            let mut bounds: Vec<usize> = (0..parts).map(|k| (n * k / parts + shift).min(n)).collect();
            bounds[0] = 0;
            bounds.push(n);
            let first = AdviceFold::new(now(), 30, &[]);
            for w in bounds.windows(2) {
                let mut part = first.empty();
                for e in &log.events[w[0]..w[1]] {
                    part.add(e);
                }
                folds.push(part);
            }
            let mut merged = first;
            for part in folds {
                merged.merge(part);
            }
            assert_eq!(merged.finish(0), whole, "{parts} parts, shift {shift}");
        }
    }
}

#[test]
fn blocks_mostly_bypassed_are_relaxed_unless_the_labels_say_otherwise() {
    let mut log = Log::default();
    for i in 0..10 {
        let h = 200.0 - f64::from(i) * 10.0;
        log.attempt(h, "review", "blocked");
        log.attempt(h - 0.1, "review", if i < 7 { "bypassed" } else { "approved" });
    }
    let plain = advise(&log.evidence(), &Config::default());
    assert_eq!(
        kinds(&plain),
        [(
            Kind::Relax,
            "review",
            Some(&Change::SetMode {
                rule: "review".into(),
                mode: "audit"
            })
        )]
    );
    let rate = plain.suggestions[0].sureness.rate.unwrap();
    assert_eq!((rate.count, rate.of), (7, 10));

    // Five or more labels, most of them unjustified: make the skip
    // variable stop counting instead.
    let mut labelled = Log {
        events: log.events.clone(),
        attempts: log.attempts,
    };
    for i in 0..6 {
        labelled.label(
            10.0,
            &format!("b{i}"),
            if i == 0 { "justified" } else { "unjustified" },
            "review",
            &[],
        );
    }
    // A later label replaces an earlier one.
    labelled.label(5.0, "b0", "unjustified", "review", &[]);
    let advice = advise(&labelled.evidence(), &Config::default());
    assert_eq!(
        kinds(&advice),
        [(
            Kind::Strengthen,
            "review",
            Some(&Change::Require {
                rule: "review".into()
            })
        )]
    );
    assert!(
        advice.suggestions[0]
            .summary
            .ends_with("and 6 of 6 labelled bypasses were unjustified"),
        "{}",
        advice.suggestions[0].summary
    );

    // Few labels do not turn it, but lower how sure it is.
    let mut few = Log {
        events: log.events.clone(),
        attempts: log.attempts,
    };
    few.label(10.0, "c1", "unjustified", "review", &[]);
    let advice = advise(&few.evidence(), &Config::default());
    assert_eq!(advice.suggestions[0].kind, Kind::Relax);
    assert_eq!(advice.suggestions[0].sureness.level, Level::Low);
}

#[test]
fn a_rule_that_keeps_firing_is_strengthened() {
    let mut log = Log::default();
    for week in 0..4 {
        for i in 0..3 {
            let h = f64::from(week) * 168.0 + f64::from(i) * 30.0 + 5.0;
            log.attempt(h, "review", "blocked");
            log.attempt(h - 0.5, "review", "approved");
        }
        log.attempt(f64::from(week) * 168.0 + 100.0, "review", "bypassed");
    }
    log.events.sort_by_key(|e| e.timestamp);
    let advice = advise(&log.evidence(), &Config::default());
    assert_eq!(
        kinds(&advice),
        [(
            Kind::Strengthen,
            "review",
            Some(&Change::Require {
                rule: "review".into()
            })
        )]
    );
    let report = &advice.rules[0];
    assert_eq!(report.weekly, [4, 4, 4, 4]);
    assert_eq!(report.follow_up.fixed, 12);
    assert_eq!(report.follow_up.median_seconds_to_fix, Some(1800));
    // Required already: the advice is about the agents, not the config.
    let advice = advise(&log.evidence(), &config("[review]\nrequired = true\n"));
    assert_eq!(kinds(&advice), [(Kind::Strengthen, "review", None)]);
}

#[test]
fn unjustified_bypasses_on_one_directory_draft_a_rule() {
    let mut log = Log::default();
    for i in 0..6 {
        let file = format!("db/migrations/{i:03}_change.sql");
        log.label(
            20.0,
            &format!("m{i}"),
            "unjustified",
            "review",
            &[&file, "db/schema.rb"],
        );
    }
    log.label(20.0, "x", "unjustified", "review", &["README.md"]);
    let advice = advise(&log.evidence(), &Config::default());
    let [suggestion] = &advice.suggestions[..] else {
        panic!("{advice:?}");
    };
    assert_eq!(suggestion.kind, Kind::Add);
    assert_eq!(suggestion.rule, "guard-db-migrations");
    match &suggestion.change {
        Some(Change::Draft { paths, severity, .. }) => {
            assert_eq!(paths, &["db/migrations/**"]);
            assert_eq!(severity, "high");
        }
        other => panic!("{other:?}"),
    }
    let rate = suggestion.sureness.rate.unwrap();
    assert_eq!((rate.count, rate.of), (6, 7));
}

#[test]
fn globs_cover_what_they_were_drawn_from() {
    let cases: [(&[&str], &str); 5] = [
        (&["src/api/a.py", "src/api/b/c.py"], "src/api/**/*.py"),
        (&["src/a.py", "lib/b.py"], "*.py"),
        (&["src/a.py", "src/b.rs"], "src/**"),
        (&["a", "b.txt"], "**"),
        (&["we[ird]/x.c"], "we\\[ird\\]/**/*.c"),
    ];
    for (files, glob) in cases {
        let paths = paths_for(files.iter().copied());
        assert_eq!(paths, [glob], "{files:?}");
        let compiled = crate::config::Glob::new(glob).unwrap();
        for file in files {
            assert!(compiled.set().unwrap().is_match(file), "{glob} {file}");
        }
    }
    let mut taken = BTreeSet::from(["web".to_string()]);
    assert_eq!(draft_name("Web", &mut taken), "web-2");
    assert_eq!(draft_name("--Import Guard!", &mut taken), "import-guard");
    assert_eq!(draft_name("review", &mut taken), "watch-review");
}

fn with_changes(changes: Vec<Change>) -> Advice {
    let mut advice = advise(&AdviceFold::new(now(), 30, &[]).finish(0), &Config::default());
    for change in changes {
        advice.suggestions.push(Suggestion {
            kind: Kind::Relax,
            rule: "r".into(),
            summary: "why".into(),
            evidence: Vec::new(),
            sureness: Sureness {
                level: Level::High,
                basis: String::new(),
                rate: None,
            },
            action: String::new(),
            change: Some(change),
        });
    }
    advice
}

/// Applies a patch's changes to `text` the way `git apply` would read
/// them: the lines after the header, without their markers.
fn patched(text: &str, changes: Vec<Change>) -> Option<String> {
    let diff = patch::diff(&with_changes(changes), Some(text)).unwrap()?;
    let new: String = diff
        .lines()
        .skip_while(|l| !l.starts_with("@@"))
        .filter(|l| !l.starts_with("@@") && !l.starts_with('-') && !l.starts_with('\\'))
        .map(|l| format!("{}\n", &l[1..]))
        .collect();
    Some(new)
}

#[test]
fn patches_keep_the_layout_and_change_only_what_they_name() {
    let text = "review.mode = \"enforce\" # dotted\n\n[rules]\ncontent = [{ name = \"a\", pattern = \"x\" }, { name = \"b\", pattern = \"y\", mode = \"audit\" }]\n";
    let new = patched(
        text,
        vec![
            Change::SetMode {
                rule: "review".into(),
                mode: "audit",
            },
            Change::Remove { rule: "a".into() },
            Change::SetMode {
                rule: "b".into(),
                mode: "enforce",
            },
        ],
    )
    .unwrap();
    assert_eq!(
        new,
        "review.mode = \"audit\" # dotted\n\n[rules]\ncontent = [{ name = \"b\", pattern = \"y\", mode = \"enforce\" }]\n"
    );
    config(&new);

    // What is already so, or names a rule the text lacks, is no change.
    let same = "[review]\nmode = \"audit\"\n";
    assert_eq!(
        patched(
            same,
            vec![
                Change::SetMode {
                    rule: "review".into(),
                    mode: "audit"
                },
                Change::Remove { rule: "gone".into() }
            ]
        ),
        None
    );
    assert_eq!(patch::diff(&with_changes(Vec::new()), Some(same)).unwrap(), None);

    // A required rule gets its key in its table, created when missing.
    let new = patched(
        "# rules\n",
        vec![Change::Require {
            rule: "agent-trailer".into(),
        }],
    )
    .unwrap();
    assert_eq!(new, "# rules\n\n[agent_trailer]\nrequired = true\n");
    config(&new);
}

#[test]
fn a_config_the_patch_cannot_read_is_an_error_with_its_position() {
    let err = patch::diff(
        &with_changes(vec![Change::Remove { rule: "a".into() }]),
        Some("[rules\n"),
    )
    .unwrap_err();
    assert!(
        matches!(err, crate::error::Error::Config { line: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn a_file_without_a_final_newline_is_patched_whole() {
    let new = patched(
        "[review]\nmode = \"enforce\"",
        vec![
            Change::Require {
                rule: "agent-trailer".into(),
            },
            Change::SetMode {
                rule: "review".into(),
                mode: "audit",
            },
        ],
    )
    .unwrap();
    let parsed = config(&new);
    assert!(parsed.agent_trailer.required);
    assert_eq!(parsed.review.mode, crate::config::Mode::Audit);
}

#[test]
fn summaries_read_from_their_lines_count_as_whole_events() {
    use crate::event::TimestampFormat;
    use crate::event::log::{parse_head, parse_line};
    use crate::report::Stored;
    let mut log = mixed();
    // Details of another shape are read as any event.
    log.events.push(event(
        1.0,
        "hook_summary",
        "pre-commit",
        json!({"rules": [{"rule": 3}], "user": "x"}),
    ));
    log.events
        .push(event(1.0, "hook_summary", "pre-commit", json!({"rules": "none"})));
    let whole = log.evidence();
    let mut fold = AdviceFold::new(now(), 30, &[]);
    for (offset, e) in log.events.iter().enumerate() {
        let line = e.to_line(TimestampFormat::Rfc3339);
        let stored = Stored {
            line: line.as_bytes(),
            offset: offset as u64,
        };
        let event = if fold.needs_details(e) {
            parse_line(line.as_bytes()).unwrap()
        } else {
            parse_head(line.as_bytes()).unwrap()
        };
        fold.add_stored(&event, stored);
    }
    assert_eq!(fold.finish(0), whole);
}
