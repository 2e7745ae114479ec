//! The config git was given on its command line.
//!
//! `git -c key=value …` and `git --config-env key=VAR …` put their
//! settings into the environment, where every process git starts (hooks
//! included) finds them: `GIT_CONFIG_PARAMETERS`, and the
//! `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` triplets a
//! user or a script can set. libgit2 reads neither, so a one-off
//! `git -c core.commentChar=';' commit` would reach enforce's hooks
//! without its setting. This module reads both the way git's `config.c`
//! does; [`super::Git`] layers them over the files, last, as git does.

use std::env;

/// One setting: the key in git's canonical form (section and name in
/// lower case, a subsection as written) and its value (`None` for a bare
/// `-c key`, which git reads as boolean true).
pub type Entry = (String, Option<String>);

/// The command line's settings, in the order git applies them: the
/// `GIT_CONFIG_COUNT` triplets, then `GIT_CONFIG_PARAMETERS`. Where git
/// would stop with "bogus format", the settings before that point are
/// kept and the rest ignored (git itself refuses to run with such an
/// environment, so a hook never sees one from git).
pub fn entries() -> Vec<Entry> {
    let mut all = counted(|name| env::var(name).ok());
    if let Ok(parameters) = env::var("GIT_CONFIG_PARAMETERS") {
        all.extend(parse_parameters(&parameters));
    }
    all
}

/// The `GIT_CONFIG_COUNT` settings, read through `var`.
fn counted(var: impl Fn(&str) -> Option<String>) -> Vec<Entry> {
    let Some(count) = var("GIT_CONFIG_COUNT").and_then(|c| c.parse::<u32>().ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..count.min(10_000) {
        let (Some(key), Some(value)) = (
            var(&format!("GIT_CONFIG_KEY_{i}")),
            var(&format!("GIT_CONFIG_VALUE_{i}")),
        ) else {
            break;
        };
        match canonical_key(&key) {
            Some(key) => out.push((key, Some(value))),
            None => break,
        }
    }
    out
}

/// `GIT_CONFIG_PARAMETERS`: single-quoted items separated by spaces, each
/// `'key'='value'`, `'key'` (a bare key) or the older `'key=value'`.
pub fn parse_parameters(text: &str) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut rest = text.trim_start_matches(is_space);
    while !rest.is_empty() {
        let Some((first, after)) = dequote(rest) else {
            break;
        };
        let (entry, after) = match after.strip_prefix('=') {
            // New style: 'key'='value', or 'key'= for a bare key.
            Some(value) => {
                if value.starts_with('\'') {
                    let Some((value, after)) = dequote(value) else {
                        break;
                    };
                    if !after.is_empty() && !after.starts_with(is_space) {
                        break;
                    }
                    (canonical_key(&first).map(|k| (k, Some(value))), after)
                } else if value.is_empty() || value.starts_with(is_space) {
                    (canonical_key(&first).map(|k| (k, None)), value)
                } else {
                    break;
                }
            }
            None if after.is_empty() || after.starts_with(is_space) => {
                // Old style: 'key=value' or 'key'.
                let entry = match first.split_once('=') {
                    Some((key, value)) => {
                        canonical_key(key.trim_matches(is_space)).map(|k| (k, Some(value.to_string())))
                    }
                    None => canonical_key(first.trim_matches(is_space)).map(|k| (k, None)),
                };
                (entry, after)
            }
            None => break,
        };
        match entry {
            Some(entry) => out.push(entry),
            None => break,
        }
        rest = after.trim_start_matches(is_space);
    }
    out
}

/// git's `isspace`: space, tab, line feed, carriage return.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// git's `sq_dequote_step`: the single-quoted word at the start of `text`
/// (`'it'\''s'` is `it's`; `\!` may be escaped the same way) and what
/// follows it.
fn dequote(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices();
    let body = &text[1..];
    let mut out = String::new();
    loop {
        let (i, c) = chars.next()?;
        if c != '\'' {
            out.push(c);
            continue;
        }
        // Out of the quotes: an escaped quote or `!` resumes them.
        let after = &body[i + 1..];
        let mut ahead = after.chars();
        if ahead.next() == Some('\\')
            && let Some(escaped @ ('\'' | '!')) = ahead.next()
            && ahead.next() == Some('\'')
        {
            out.push(escaped);
            // Skip the backslash, the character and the opening quote.
            for _ in 0..3 {
                chars.next();
            }
            continue;
        }
        return Some((out, after));
    }
}

/// git's `git_config_parse_key`: `section[.subsection].name`, section and
/// name lower-cased (they are case-insensitive), the subsection kept;
/// `None` for a key git rejects.
pub fn canonical_key(key: &str) -> Option<String> {
    let first = key.find('.')?;
    let last = key.rfind('.')?;
    let (section, name) = (&key[..first], &key[last + 1..]);
    let valid_name = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let valid_section = !section.is_empty() && section.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid_section || !valid_name(name) || key[first..=last].contains('\n') {
        return None;
    }
    Some(format!(
        "{}{}{}",
        section.to_ascii_lowercase(),
        &key[first..last + 1],
        name.to_ascii_lowercase()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &str, value: Option<&str>) -> Entry {
        (key.to_string(), value.map(str::to_string))
    }

    #[test]
    fn parameters_as_git_writes_them() {
        // `git -c core.commentChar=';' -c Trailer.Separators='=:' -c a.b`
        assert_eq!(
            parse_parameters("'core.commentChar'=';' 'Trailer.Separators'='=:' 'a.b'"),
            [
                entry("core.commentchar", Some(";")),
                entry("trailer.separators", Some("=:")),
                entry("a.b", None),
            ]
        );
        // The older single-quoted `key=value`, quotes inside values, and
        // a subsection, whose case is kept.
        assert_eq!(
            parse_parameters(" 'user.name=A B'  'x.Sub.Key'='it'\\''s' 'c.d'= "),
            [
                entry("user.name", Some("A B")),
                entry("x.Sub.key", Some("it's")),
                entry("c.d", None),
            ]
        );
        assert_eq!(parse_parameters("'a.b'='x'\\!'y'"), [entry("a.b", Some("x!y"))]);
        // What git would refuse ends the list there.
        assert_eq!(
            parse_parameters("'a.b'='1' garbage 'c.d'='2'"),
            [entry("a.b", Some("1"))]
        );
        assert_eq!(parse_parameters("'a.b'='unterminated"), []);
        assert_eq!(parse_parameters("'nodot'='1'"), []);
        assert_eq!(parse_parameters(""), []);
    }

    #[test]
    fn counted_settings() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(
            counted(vars(&[
                ("GIT_CONFIG_COUNT", "2"),
                ("GIT_CONFIG_KEY_0", "Core.CommentChar"),
                ("GIT_CONFIG_VALUE_0", "%"),
                ("GIT_CONFIG_KEY_1", "trailer.separators"),
                ("GIT_CONFIG_VALUE_1", ":#"),
            ])),
            [
                entry("core.commentchar", Some("%")),
                entry("trailer.separators", Some(":#")),
            ]
        );
        // A missing key or value ends the list, as git's error does.
        assert_eq!(
            counted(vars(&[("GIT_CONFIG_COUNT", "1"), ("GIT_CONFIG_KEY_0", "a.b")])),
            []
        );
        assert_eq!(counted(vars(&[("GIT_CONFIG_COUNT", "x")])), []);
    }

    #[test]
    fn keys_are_canonical() {
        assert_eq!(
            canonical_key("Core.CommentChar").as_deref(),
            Some("core.commentchar")
        );
        assert_eq!(
            canonical_key("Remote.Origin.URL").as_deref(),
            Some("remote.Origin.url")
        );
        assert_eq!(canonical_key("noname"), None);
        assert_eq!(canonical_key("a.1b"), None);
        assert_eq!(canonical_key(".b"), None);
    }
}
