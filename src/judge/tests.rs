//! The judge on plain values: one table per rule, no repository.

use std::path::PathBuf;

use super::*;
use crate::git::AddedFile;
use crate::git::trailers::parse;

fn policy(text: &str) -> Config {
    crate::config::parse(text, Path::new("t.toml")).unwrap()
}

fn facts<'a>(paths: &'a [PathBuf], review: Option<ReviewFacts>) -> Facts<'a> {
    Facts {
        tree: "0123456789abcdef",
        paths,
        merging: false,
        merge_resolved: false,
        review,
        message: None,
        added: None,
        checks_skipped: false,
    }
}

fn missing(skip: bool) -> Option<ReviewFacts> {
    Some(ReviewFacts {
        approval: ApprovalState::Missing { other_trees: 0 },
        skip,
    })
}

#[test]
fn review_outcomes() {
    let paths = vec![PathBuf::from("a.rs")];
    let defaults = Config::default();
    let required = policy("[review]\nrequired = true\n");
    let audit = policy("[review]\nmode = \"audit\"\n");
    let off = policy("[review]\nmode = \"off\"\n");
    let approved = Some(ReviewFacts {
        approval: ApprovalState::Approved { reviewer: "r".into() },
        skip: false,
    });
    type Case<'a> = (&'a Config, &'a [PathBuf], Option<ReviewFacts>, bool, &'a str);
    let cases: [Case; 8] = [
        (&defaults, &paths, missing(false), false, "blocked"),
        (&defaults, &paths, missing(true), false, "bypassed"),
        (&required, &paths, missing(true), false, "blocked"),
        (&audit, &paths, missing(false), false, "audit"),
        (&off, &paths, missing(false), false, "off"),
        (&defaults, &[], missing(false), false, "not-needed"),
        (&defaults, &paths, approved, false, "approved"),
        // After the fact, a skip variable no longer counts and audit mode
        // does not excuse it: the failure is a bypass.
        (&audit, &paths, missing(true), true, "skipped"),
    ];
    for (policy, paths, review, skipped, expected) in cases {
        let facts = Facts {
            checks_skipped: skipped,
            ..facts(paths, review)
        };
        let verdict = judge(&facts, policy);
        assert_eq!(verdict.review().unwrap().outcome_name(), expected, "{expected}");
        assert_eq!(verdict.blocks(), expected == "blocked", "{expected}");
    }
}

#[test]
fn a_refused_skip_says_so_and_names_the_fix() {
    let paths = vec![PathBuf::from("a.rs")];
    let policy = policy("[review]\nrequired = true\nreviewer = \"Jane Lead\"\n");
    let verdict = judge(&facts(&paths, missing(true)), &policy);
    let Outcome::Failed(failure) = &verdict.rules[0].outcome else {
        panic!("{verdict:?}");
    };
    assert_eq!(failure.action, Enforcement::BlockRefusingBypass);
    assert_eq!(
        failure.context,
        [
            "staged: 1 file(s), tree 0123456789ab: a.rs",
            "PILOT_SKIP_REVIEW=1 was refused: the rule is required (`required = true` in [review])"
        ]
    );
    assert_eq!(
        failure.fix[1],
        "approve exactly what is staged: enforce review approve --reviewer 'Jane Lead'"
    );
    assert_eq!(
        failure.escape,
        Escape::Required {
            variable: "PILOT_SKIP_REVIEW"
        }
    );
}

#[test]
fn merges_and_gitignore_are_exempt() {
    let paths = vec![PathBuf::from(".gitignore")];
    let defaults = Config::default();
    let verdict = judge(&facts(&paths, missing(false)), &defaults);
    assert!(matches!(
        verdict.rules[0].outcome,
        Outcome::Exempt(Exemption::GitignoreOnly)
    ));
    let paths = vec![PathBuf::from("a")];
    let merge = Facts {
        merging: true,
        ..facts(&paths, missing(false))
    };
    let verdict = judge(&merge, &defaults);
    assert!(matches!(
        verdict.rules[0].outcome,
        Outcome::Exempt(Exemption::Merge)
    ));
}

/// What a merge adds beyond the automatic merge of its parents is judged
/// like any change: the merge exemption covers only what git merged itself.
#[test]
fn merge_exemption_covers_only_the_automatic_merge() {
    let some = vec![PathBuf::from("evil.txt")];
    let none: Vec<PathBuf> = Vec::new();
    let defaults = Config::default();
    let checked = policy("[review]\nmerges = \"check\"\n");
    let approved = || {
        Some(ReviewFacts {
            approval: ApprovalState::Approved { reviewer: "r".into() },
            skip: false,
        })
    };
    type Case<'a> = (&'a Config, &'a [PathBuf], bool, Option<ReviewFacts>, &'a str);
    let cases: [Case; 7] = [
        // A merge as the hooks see it: what it brings, exempt.
        (&defaults, &some, false, missing(false), "exempt"),
        // What it adds beyond the automatic merge: nothing, or reviewed.
        (&defaults, &none, true, missing(false), "not-needed"),
        (&defaults, &some, true, missing(false), "blocked"),
        (&defaults, &some, true, approved(), "approved"),
        (&checked, &some, true, missing(false), "blocked"),
        (&checked, &none, true, missing(false), "not-needed"),
        (&checked, &some, false, missing(false), "blocked"),
    ];
    let trailers = parse("Merge branch 'x'\n", &Default::default());
    for (policy, paths, resolved, review, expected) in cases {
        let facts = Facts {
            merging: true,
            merge_resolved: resolved,
            message: Some(MessageFacts {
                trailers: &trailers,
                skip: false,
                file: None,
                review_trailer: None,
            }),
            ..facts(paths, review)
        };
        let verdict = judge(&facts, policy);
        let names: Vec<&str> = verdict.rules.iter().map(|r| r.outcome_name()).collect();
        // The agent trailer's merge exemption stays.
        assert_eq!(names, [expected, "exempt"], "{expected} {resolved}");
    }
}

#[test]
fn trailer_outcomes() {
    let paths = vec![PathBuf::from("a")];
    let cases = [
        ("s\n\nAgent: claude-code\n", false, false, "passed"),
        ("s\n", false, false, "blocked"),
        ("s\n", true, false, "bypassed"),
        ("s\n", true, true, "skipped"),
    ];
    for (message, skip, skipped, expected) in cases {
        let trailers = parse(message, &Default::default());
        let facts = Facts {
            message: Some(MessageFacts {
                trailers: &trailers,
                skip,
                file: None,
                review_trailer: None,
            }),
            checks_skipped: skipped,
            ..facts(&paths, None)
        };
        let defaults = Config::default();
        let verdict = judge(&facts, &defaults);
        assert_eq!(verdict.rules.len(), 1);
        assert_eq!(verdict.rules[0].outcome_name(), expected, "{message:?}");
    }
    let trailers = parse("s\n\nAgent: claude-code\n", &Default::default());
    let facts = Facts {
        message: Some(MessageFacts {
            trailers: &trailers,
            skip: false,
            file: None,
            review_trailer: None,
        }),
        ..facts(&paths, None)
    };
    assert_eq!(judge(&facts, &Config::default()).agent(), Some("claude-code"));
}

#[test]
fn a_review_trailer_may_name_only_the_approving_reviewer() {
    let paths = vec![PathBuf::from("a")];
    let carried = ["carol".to_string()];
    let audit = policy("[review]\nmode = \"audit\"\n");
    let off = policy("[review]\nmode = \"off\"\n");
    let defaults = Config::default();
    let cases: [(&str, Option<&str>, &Config, Option<&str>); 7] = [
        ("s\n\nAgent: a\n", None, &defaults, None),
        ("s\n\nAgent: a\nReviewed-by: bob\n", Some("bob"), &defaults, None),
        ("s\n\nAgent: a\nreviewed-by: carol\n", None, &defaults, None),
        (
            "s\n\nAgent: a\nReviewed-by: mallory\n",
            None,
            &defaults,
            Some("blocked"),
        ),
        (
            "s\n\nAgent: a\nReviewed-by: bob\nReviewed-by: mallory\n",
            Some("bob"),
            &defaults,
            Some("blocked"),
        ),
        (
            "s\n\nAgent: a\nReviewed-by: mallory\n",
            None,
            &audit,
            Some("audit"),
        ),
        ("s\n\nAgent: a\nReviewed-by: mallory\n", None, &off, None),
    ];
    for (message, approved_by, policy, expected) in cases {
        let trailers = parse(message, &Default::default());
        let facts = Facts {
            message: Some(MessageFacts {
                trailers: &trailers,
                // A skip variable does not license the claim.
                skip: true,
                file: None,
                review_trailer: Some(ReviewTrailerFacts {
                    approved_by,
                    carried: &carried,
                }),
            }),
            ..facts(&paths, None)
        };
        let verdict = judge(&facts, policy);
        let found = verdict
            .rules
            .iter()
            .find(|r| matches!(r.rule, Rule::ReviewTrailer))
            .map(|r| r.outcome_name());
        assert_eq!(found, expected, "{message:?} {approved_by:?}");
    }
}

#[test]
fn content_rules_judge_added_lines_in_order() {
    let rules = [
        ("no-todo", "TODO", "audit"),
        ("no-secret", "SECRET", "enforce"),
        ("never", ".", "off"),
    ];
    let text: String = rules
        .iter()
        .map(|(name, pattern, mode)| {
            format!("[[rules.content]]\nname = \"{name}\"\npattern = \"{pattern}\"\nmode = \"{mode}\"\n")
        })
        .collect();
    let policy = policy(&text);
    let paths = vec![PathBuf::from("a.txt")];
    let patch = Patch {
        files: vec![AddedFile {
            path: "a.txt".into(),
            lines: vec![(1, b"TODO".to_vec()), (2, b"SECRET".to_vec())],
        }],
        binary: 2,
        ..Patch::default()
    };
    let facts = Facts {
        added: Some(&patch),
        ..facts(&paths, None)
    };
    let verdict = judge(&facts, &policy);
    let names: Vec<(&str, &str)> = verdict
        .rules
        .iter()
        .map(|r| (r.rule.name(), r.outcome_name()))
        .collect();
    assert_eq!(names, [("no-todo", "audit"), ("no-secret", "blocked")]);
    assert_eq!(verdict.unscanned.binary, 2);
    let Outcome::Failed(failure) = &verdict.rules[1].outcome else {
        panic!()
    };
    assert_eq!(failure.reason, "1 added line(s) match (medium severity)");
    assert_eq!(failure.context, ["a.txt:2: no-secret: matches `SECRET`"]);
    assert_eq!(failure.escape, Escape::NoVerify);
}
