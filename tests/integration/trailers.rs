//! `enforce::git::trailers::parse` against `git interpret-trailers --parse`
//! on a table of tricky commit messages: with git's defaults, and with
//! other separators and comment strings given as git itself is given
//! them once, `git -c trailer.separators=… -c core.commentChar=…`.

use enforce::git::trailers::{self, Syntax};

use crate::support::Sandbox;

const SCISSORS: &str = "# ------------------------ >8 ------------------------";

/// Commit messages fed verbatim to both parsers.
const CASES: &[&str] = &[
    // A plain trailer block.
    "subject\n\nbody\n\nAgent: claude\n",
    "subject\n\nAgent: claude\nReviewed-by: A U Thor <a@example.com>\n",
    // Title only, empty messages.
    "subject\n",
    "subject",
    "",
    "\n",
    "\n\n\n",
    // A title that looks like a trailer.
    "Agent: claude\n",
    "Agent: claude\n\n",
    "Agent: claude\nReviewed-by: someone\n",
    "Agent: claude\n\nReviewed-by: someone\n",
    "\nAgent: claude\n",
    "# comment\nAgent: claude\n",
    "# comment\n\nAgent: claude\n",
    "# comment\nAgent: claude\nReviewed-by: someone\n",
    "subject\n# comment\n\nAgent: claude\n",
    "\t\nAgent: claude\n",
    "Signed-off-by: A <a@example.com>\n",
    // Trailers without a blank line before them.
    "subject\nAgent: claude\n",
    "subject\n\nbody text\nAgent: claude\n",
    // Mixed paragraphs: the 25 % rule and git-generated trailers.
    "s\n\nbody\nAgent: a\nReviewed-by: b\nTested-by: c\n",
    "s\n\nbody\nSigned-off-by: A <a@example.com>\n",
    "s\n\nline one\nline two\nline three\nSigned-off-by: A <a@example.com>\n",
    "s\n\nline one\nline two\nline three\nline four\nSigned-off-by: A <a@example.com>\n",
    "s\n\nl1\nAgent: x\nl3\nl4\nl5\nl6\nSigned-off-by: A\n",
    "s\n\nl1\nAgent: x\nl3\nl4\nl5\nl6\nl7\nSigned-off-by: A\n",
    "s\n\nSigned-off-by:A\nline\nline\n",
    "s\n\nsigned-off-by: a\nline\n",
    "s\n\nline one\n(cherry picked from commit 0123456789abcdef)\n",
    "s\n\nline one\nAgent: x\n(cherry picked from commit 0123456789abcdef)\n",
    "s\n\nline\n continued\nSigned-off-by: A\n",
    "s\n\nline\n c1\n c2\n c3\nSigned-off-by: A\n",
    "s\n\nSigned-off-by: A\n(cherry picked from commit 1)\nn1\nn2\nn3\nn4\nn5\nn6\n",
    "s\n\nSigned-off-by: A\n(cherry picked from commit 1)\nn1\nn2\nn3\nn4\nn5\nn6\nn7\n",
    // Continuation lines.
    "s\n\nAgent: a\n b\nOther: c\n",
    "s\n\nAgent: a\n\tb\n",
    "s\n\nAgent: a\n b\n  c\n\td\n",
    "s\n\n continued\nAgent: x\n",
    "s\n\nAgent:\n value on the next line\n",
    "s\n\nAgent: a\n \nB: c\n",
    "s\n\nAgent: a\n # not a comment\n",
    "s\n\nAgent: a\n#comment\n continued\n",
    "s\n\n(cherry picked from commit 0123)\n continued\nAgent: a\n",
    // Keys.
    "s\n\nKey : value\n",
    "s\n\nKey\t: value\n",
    "s\n\nKey \t :value\n",
    "s\n\nCo-authored-by: A <a@example.com>\n",
    "s\n\n123: numeric\n",
    "s\n\n-: dash\n",
    "s\n\nKey_x: v\n",
    "s\n\nKey.x: v\n",
    "s\n\nKey x: v\n",
    "s\n\n: value\n",
    "s\n\nAgent: a\n: value\n",
    "s\n\n :value\n",
    "s\n\nKey:value\n",
    "s\n\nKey:: v\n",
    "s\n\nÄgent: x\n",
    // Empty values.
    "s\n\nAgent:\n",
    "s\n\nAgent: \nB:   \n",
    "s\n\nAgent:\t\nB: c\n",
    // Comment lines inside, before and after the trailer block.
    "s\n\nAgent: a\n# comment\nB: c\n",
    "s\n\n# comment\nAgent: a\n",
    "s\n\nAgent: a\n# comment\n",
    "s\n\nAgent: a\n\n# Please enter the commit message.\n# Lines starting with '#' will be ignored.\n",
    "s\n\nbody\n# comment\n# comment\nAgent: a\n",
    "s\n\nbody\n\n# comment\n\nAgent: a\n",
    "s\n\nAgent: a\n# comment\n\n# comment\n\n",
    "# only\n# comments\n",
    "# c\n\n# d\n",
    // Trailing blank and whitespace-only lines.
    "s\n\nAgent: a\n\n\n\n",
    "s\n\nAgent: a\n   \n\t\n",
    "s\n\nbody\n \nAgent: a\n",
    "s\n\nAgent: a\n \n\nbody after\n",
    "s\n\nAgent: a\n\r",
    // A `---` divider and a patch.
    "s\n\nAgent: a\n---\n file | 1 +\n\ndiff --git a/file b/file\n",
    "s\n\nAgent: a\n--- \nB: c\n",
    "s\n\nAgent: a\n---\t\nB: c\n",
    "s\n\nAgent: a\n---x\n",
    "s\n\nAgent: a\n----\n",
    "s\n\nAgent: a\n---",
    "---\nAgent: a\n",
    "s\n---\nAgent: a\n",
    "s\n\nAgent: a\n\n---\nB: c\n",
    // A scissors line.
    "s\n\nAgent: a\n# ------------------------ >8 ------------------------\nB: c\n",
    "# ------------------------ >8 ------------------------\ns\n\nAgent: a\n",
    "s\n\nAgent: a\n\n# ------------------------ >8 ------------------------\n\
     # Do not modify or remove the line above.\ndiff --git a/x b/x\n",
    "s\n\nAgent: a\n#  ------------------------ >8 ------------------------\nB: c\n",
    "s\n\nAgent: a\n# ------------------------ >8 ------------------------",
    "s\n\nAgent: a\n---\nB: c\n# ------------------------ >8 ------------------------\n",
    // An old-style `Conflicts:` block.
    "s\n\nAgent: a\n\nConflicts:\n\tsrc/a.rs\n\tsrc/b.rs\n",
    "s\n\nAgent: a\nConflicts:\n\tsrc/a.rs\n",
    "s\n\nAgent: a\n\nConflicts:\n\tsrc/a.rs\n# comment\n",
    "s\n\nAgent: a\n\nConflicts:\n    src/a.rs\n",
    "s\n\nConflicts:\n\tsrc/a.rs\nmore text\n",
    "s\n\nAgent: a\n\nConflicts:",
    // CRLF line endings.
    "s\r\n\r\nAgent: a\r\n",
    "s\r\n\r\nAgent: a\r\n b\r\n",
    "s\r\n\r\nAgent: a\r\n\r\n",
    "s\r\n\r\nAgent: a\r\n---\r\npatch\r\n",
    "s\r\n\r\nAgent: a\r\nConflicts:\r\n\tsrc/a.rs\r\n",
    "s\r\nAgent: a\r\n",
    // No trailing newline.
    "s\n\nAgent: a",
    "s\n\nAgent: a\n b",
    "s\n\nAgent:",
    // URLs and UTF-8.
    "s\n\nLink: https://x\nLink: https://example.com/a?b=c#d\n",
    "s\n\nhttps://example.com/issue/1\n",
    "s\n\nAgent: Jürgen Müller — 日本語 ✓\n",
    "s\n\nAgent: a\n\u{a0}b\n",
    // Two trailer paragraphs: only the last counts.
    "s\n\nAgent: first\n\nAgent: second\n",
    "s\n\nAgent: first\n\nsome text\n",
    "s\n\nAgent: a\n\nReviewed-by: b\nbody line\n",
    // `Agent:` in any case.
    "s\n\nagent: claude\n",
    "s\n\nAGENT: claude\n",
    "s\n\nAgent : claude\naGeNt: other\n",
    // Control characters that C's isspace counts as space but git's does not.
    "s\n\n\x0c\nAgent: a\n",
    "s\n\nAgent: a\n\x0bb\n",
    "s\n\nAgent: a\n\x0c",
    "s\n\nAgent: a \x0c\n",
    "s\n\nAgent: a\n---\x0c\nx\n",
    // A NUL byte ends the message for git.
    "s\n\nAgent: a\0\n",
];

/// Generated messages too long to write out.
fn long_cases() -> Vec<String> {
    let body: String = (0..5000).map(|i| format!("body line {i}\n")).collect();
    let many_trailers: String = (0..1000).map(|i| format!("Key-{i}: value {i}\n")).collect();
    let paragraphs: String = (0..300).map(|i| format!("Agent: p{i}\nline {i}\n\n")).collect();
    vec![
        format!("s\n\n{body}\nAgent: a\nSigned-off-by: x\n"),
        format!("s\n\n{many_trailers}"),
        format!("s\n\n{body}{many_trailers}"),
        format!("s\n\nAgent: {}\n", "x".repeat(200_000)),
        format!("s\n\nAgent: a\n{}", " wrapped\n".repeat(2000)),
        format!("s\n\n{paragraphs}Agent: last\n"),
        format!("s\n\n{body}Agent: a\n{SCISSORS}\n{many_trailers}"),
    ]
}

/// Messages for other separators and comment strings.
const SYNTAX_CASES: &[&str] = &[
    "s\n\nAgent= claude\n",
    "s\n\nAgent = claude\nReviewed-by: r\n",
    "s\n\nAgent=\n",
    "s\n\n=value\n",
    "s\n\nBug #42\nAgent: a\n",
    "s\n\nBug#42\n",
    "s\n\nKey%value\n",
    "s\n\nAgent: a\n; comment\nB= c\n",
    "s\n\nAgent: a\n\n; Please enter the commit message.\n; Lines starting with ';' will be ignored.\n",
    "s\n\nAgent: a\n; ------------------------ >8 ------------------------\nB: c\n",
    "s\n\nAgent: a\n\n;\n;\n",
    "; comment\nAgent: a\n",
    "s\n\nAgent: a\n// note\nB: c\n",
    "s\n\nAgent: a\n\n// Please enter\n",
    "s\n\nAgent: a\n// ------------------------ >8 ------------------------\nB: c\n",
    "s\n\nAgent: a\n\nConflicts:\n\tsrc/a.rs\n; c\n",
    "s\n\nAgent: a\n%comment\n",
    "s\n\nAgent: a\n\n% Please enter\n",
    "s\n\nAgent: a\n  b\n; c\n  d\n",
    "s\n\nAgent= a\n  continued\nB: c\n",
    "s\n\nAgent: a:b=c\n",
    "s\n\nAgent:= a\n",
];

/// The syntaxes compared: the `git -c` settings, in the order given, and
/// what enforce makes of them.
const SYNTAXES: &[&[(&str, &str)]] = &[
    &[],
    &[("trailer.separators", ":=")],
    &[("trailer.separators", "=")],
    &[("trailer.separators", "#:")],
    &[("trailer.separators", "=%:")],
    &[("core.commentChar", ";")],
    &[("core.commentChar", "%")],
    &[("core.commentString", "//")],
    &[("core.commentChar", "auto")],
    &[("core.commentChar", ";"), ("core.commentChar", "auto")],
    &[("core.commentString", "//"), ("core.commentChar", ";")],
    &[("core.commentChar", ";"), ("trailer.separators", "=:")],
];

/// The `-c key=value` arguments of `settings`.
fn dash_c(settings: &[(&str, &str)]) -> Vec<String> {
    settings
        .iter()
        .flat_map(|(key, value)| ["-c".to_string(), format!("{key}={value}")])
        .collect()
}

/// What enforce reads from `settings` (keys as git canonicalises them).
fn syntax_of(settings: &[(&str, &str)]) -> Syntax {
    let lowered: Vec<(String, &str)> = settings
        .iter()
        .map(|(key, value)| (key.to_ascii_lowercase(), *value))
        .collect();
    Syntax::from_config(lowered.iter().map(|(key, value)| (key.as_str(), Some(*value))))
}

/// What `git [-c …] interpret-trailers --parse` prints for `message`.
fn git_parse(sandbox: &Sandbox, settings: &[(&str, &str)], message: &str) -> String {
    sandbox
        .test_git(sandbox.path())
        .args(dash_c(settings))
        .args(["interpret-trailers", "--parse"])
        .stdin(message)
        .stdout_ignored()
        .run()
        .stdout
}

/// Our trailers, printed the way `--parse` prints them: the key, then
/// the first separator and a space unless the key ends in a separator.
fn our_parse(message: &str, syntax: &Syntax) -> String {
    let first = syntax.separators.chars().next().unwrap_or(':');
    trailers::parse(message, syntax)
        .items
        .iter()
        .map(|t| match t.key.chars().last() {
            Some(c) if syntax.separators.contains(c) => format!("{}{}\n", t.key, t.value),
            _ => format!("{}{first} {}\n", t.key, t.value),
        })
        .collect()
}

/// `message` escaped, cut short when it is long.
fn shown(message: &str) -> String {
    match message.char_indices().nth(300) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &message[..cut], message.len()),
        None => format!("{message:?}"),
    }
}

/// The messages on which `settings` parse differently, described.
fn mismatches(sandbox: &Sandbox, settings: &[(&str, &str)], messages: &[String]) -> Vec<String> {
    let syntax = syntax_of(settings);
    let mut found = Vec::new();
    for message in messages {
        let git = git_parse(sandbox, settings, message);
        let ours = our_parse(message, &syntax);
        if git != ours {
            found.push(format!(
                "git {}: message: {}\n    git:  {git:?}\n    ours: {ours:?}",
                dash_c(settings).join(" "),
                shown(message)
            ));
        }
    }
    found
}

fn assert_agrees(found: Vec<String>, compared: usize) {
    assert!(
        found.is_empty(),
        "{} of {compared} messages parse differently from `git interpret-trailers --parse`:\n\n{}\n",
        found.len(),
        found.join("\n\n")
    );
}

#[test]
fn parse_agrees_with_git_interpret_trailers() {
    let sandbox = Sandbox::new();
    let messages: Vec<String> = CASES.iter().map(|m| m.to_string()).chain(long_cases()).collect();
    assert_agrees(mismatches(&sandbox, &[], &messages), messages.len());
}

#[test]
fn parse_agrees_with_git_under_other_separators_and_comment_strings() {
    let sandbox = Sandbox::new();
    let messages: Vec<String> = CASES.iter().chain(SYNTAX_CASES).map(|m| m.to_string()).collect();
    let mut found = Vec::new();
    for settings in SYNTAXES {
        found.extend(mismatches(&sandbox, settings, &messages));
    }
    assert_agrees(found, messages.len() * SYNTAXES.len());
    // The table is not vacuous: each setting but `auto` alone (which
    // `interpret-trailers` reads as `#`) changes what some message holds.
    let defaults: Vec<String> = messages
        .iter()
        .map(|m| our_parse(m, &Syntax::default()))
        .collect();
    for settings in &SYNTAXES[1..] {
        let syntax = syntax_of(settings);
        let differs = messages
            .iter()
            .zip(&defaults)
            .any(|(m, d)| &our_parse(m, &syntax) != d);
        let auto_alone = *settings == [("core.commentChar", "auto")];
        assert!(
            differs != auto_alone,
            "{settings:?} changes {}",
            if differs { "something" } else { "nothing" }
        );
    }
}
