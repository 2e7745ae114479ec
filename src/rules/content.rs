//! Content rules: named patterns on the lines a commit adds.

use std::path::{Path, PathBuf};

use crate::config::{ContentRule, Mode};
use crate::git::Patch;

/// One added line that matches a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index of the rule in the configured list.
    pub rule: usize,
    pub file: PathBuf,
    pub line: u32,
}

/// Whether any of `rules` is on (only then are added lines read).
pub fn any_active(rules: &[ContentRule]) -> bool {
    rules.iter().any(|r| r.mode != Mode::Off)
}

/// Whether `rule` applies to `path`.
pub fn applies(rule: &ContentRule, path: &Path) -> bool {
    // A glob too large to compile applies the rule: as an include it
    // matches, as an exclude it does not.
    rule.paths
        .iter()
        .any(|g| g.set().is_none_or(|s| s.is_match(path)))
        && !rule
            .exclude
            .iter()
            .any(|g| g.set().is_some_and(|s| s.is_match(path)))
}

/// The hits of a scan, and how long each rule's own line matching took
/// (indexed like `rules`; the shared prefilter is not in them).
pub struct Scan {
    pub hits: Vec<Hit>,
    pub elapsed: Vec<std::time::Duration>,
}

/// Every hit of every active rule on the added lines of `patch`, in file,
/// rule and line order, timing each rule: the hooks report the times in
/// `hook_summary`. Each file's lines are matched rule by rule, so a rule
/// costs one clock reading per file it is a candidate for.
pub fn scan_timed(patch: &Patch, rules: &[ContentRule]) -> Scan {
    let mut hits = Vec::new();
    let mut elapsed = vec![std::time::Duration::ZERO; rules.len()];
    let mut candidates = None;
    for file in &patch.files {
        let active: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.mode != Mode::Off && applies(r, &file.path))
            .map(|(i, _)| i)
            .collect();
        if active.is_empty() {
            continue;
        }
        let active = candidates
            .get_or_insert_with(|| super::candidates::Candidates::of_rules(rules))
            .of(file, &active);
        for &i in &active {
            let started = std::time::Instant::now();
            let regex = rules[i].pattern.regex();
            for (line, text) in &file.lines {
                if regex.is_none_or(|r| r.is_match(text)) {
                    hits.push(Hit {
                        rule: i,
                        file: file.path.clone(),
                        line: *line,
                    });
                }
            }
            elapsed[i] += started.elapsed();
        }
    }
    Scan { hits, elapsed }
}

/// The rule's description of a hit: its message, or the pattern it matched.
pub fn description(rule: &ContentRule) -> String {
    if rule.message.is_empty() {
        format!("matches `{}`", rule.pattern.as_str())
    } else {
        rule.message.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::AddedFile;

    fn rules(text: &str) -> Vec<ContentRule> {
        crate::config::parse(text, Path::new("t.toml"))
            .unwrap()
            .rules
            .content
    }

    #[test]
    fn scans_only_matching_paths() {
        let rules = rules(
            r#"
[[rules.content]]
name = "no-requests"
pattern = 'requests\.get\('
paths = ["*.py"]
exclude = ["tests/**"]

[[rules.content]]
name = "no-todo"
pattern = "TODO"
mode = "audit"

[[rules.content]]
name = "disabled"
pattern = "."
mode = "off"
"#,
        );
        let patch = Patch {
            files: vec![
                AddedFile {
                    path: "src/a.py".into(),
                    lines: vec![(3, b"requests.get(url)  # TODO".to_vec()), (4, b"ok".to_vec())],
                },
                AddedFile {
                    path: "tests/t.py".into(),
                    lines: vec![(1, b"requests.get(x)".to_vec())],
                },
                AddedFile {
                    path: "README.md".into(),
                    lines: vec![(9, b"requests.get( TODO".to_vec())],
                },
            ],
            ..Patch::default()
        };
        let hits: Vec<_> = scan_timed(&patch, &rules)
            .hits
            .into_iter()
            .map(|h| (h.rule, h.file.display().to_string(), h.line))
            .collect();
        assert_eq!(
            hits,
            [
                (0, "src/a.py".to_string(), 3),
                (1, "src/a.py".to_string(), 3),
                (1, "README.md".to_string(), 9),
            ]
        );
        assert_eq!(description(&rules[1]), "matches `TODO`");
    }

    /// The set that picks the candidate rules never changes a verdict:
    /// every hit is the one matching each rule on each line alone finds.
    #[test]
    fn the_candidate_set_finds_what_line_by_line_matching_finds() {
        let patterns = [
            r"^TODO",
            r"TODO$",
            r"\ATODO",
            r"(?-m)^x",
            r"done\z",
            r"a\sb",
            r"[^=]*=\s*1",
            r"(?i)secret",
            r"\bkey\b",
            r"\B-\B",
            r"x*",
            r"\n",
            r"^$",
        ];
        let text: String = patterns
            .iter()
            .enumerate()
            .map(|(i, p)| format!("[[rules.content]]\nname = \"r{i}\"\npattern = '{p}'\n"))
            .collect();
        let rules = rules(&text);
        let lines: [&[u8]; 10] = [
            b"last TODO",
            b"TODO first",
            b"a",
            b"b",
            b"x = 1",
            b"SECRET key",
            b"",
            b"- -",
            b"not done",
            b"done",
        ];
        let patch = Patch {
            files: vec![AddedFile {
                path: "f".into(),
                lines: lines
                    .iter()
                    .enumerate()
                    .map(|(n, l)| (n as u32 + 1, l.to_vec()))
                    .collect(),
            }],
            ..Patch::default()
        };
        let found: Vec<(usize, u32)> = scan_timed(&patch, &rules)
            .hits
            .into_iter()
            .map(|h| (h.rule, h.line))
            .collect();
        let mut expected = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for (n, line) in lines.iter().enumerate() {
                if rule.pattern.regex().unwrap().is_match(line) {
                    expected.push((i, n as u32 + 1));
                }
            }
        }
        assert_eq!(found, expected);
        assert!(expected.contains(&(2, 2)), "\\A matches each line's start");
        assert!(expected.contains(&(4, 10)), "\\z matches each line's end");
    }
}
