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

/// Every hit of every active rule on the added lines of `patch`, in file,
/// line and rule order.
pub fn scan(patch: &Patch, rules: &[ContentRule]) -> Vec<Hit> {
    let mut hits = Vec::new();
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
        for (line, text) in &file.lines {
            for &i in &active {
                if rules[i].pattern.regex().is_none_or(|r| r.is_match(text)) {
                    hits.push(Hit {
                        rule: i,
                        file: file.path.clone(),
                        line: *line,
                    });
                }
            }
        }
    }
    hits
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
        let hits: Vec<_> = scan(&patch, &rules)
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
}
