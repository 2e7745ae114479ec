//! Config values that validate themselves while they are read.
//!
//! A value that fails here fails inside the TOML deserializer, which then
//! reports the error at that value's line and column. Patterns and globs are
//! compiled once, here, and reused by the rules.

use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

/// Implements Serialize as the source string and Deserialize through `parse`.
macro_rules! string_value {
    ($name:ident) => {
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                $name::new(&text).map_err(de::Error::custom)
            }
        }
    };
}

/// A regular expression over bytes (added lines need not be UTF-8).
///
/// Its syntax is checked when the config is read; it is compiled the
/// first time a line is matched against it. Compiling is the costly part,
/// and most hooks never match a line (commit-msg, post-commit): compiling
/// every pattern up front cost each of them more than the rest of their
/// config together.
#[derive(Clone)]
pub struct Pattern {
    source: String,
    regex: OnceLock<Option<regex::bytes::Regex>>,
}

impl Pattern {
    pub fn new(source: &str) -> Result<Pattern, String> {
        // The parser the regex crate itself runs first, with the settings
        // of `regex::bytes::Regex::new` (Unicode on, any bytes matched).
        regex_syntax::ParserBuilder::new()
            .utf8(false)
            .build()
            .parse(source)
            .map_err(|e| {
                // The message spans several lines with a caret; its last
                // line says what is wrong.
                let text = e.to_string();
                let reason = text
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
                    .to_string();
                format!("invalid regular expression `{source}`: {reason}")
            })?;
        Ok(Pattern {
            source: source.to_string(),
            regex: OnceLock::new(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled expression. Past the syntax check the only way
    /// compiling fails is the regex crate's size limit; such a pattern is
    /// then compiled without the limit, slowly, rather than not applied.
    /// `None` only if even that fails, which the syntax check leaves to
    /// patterns far larger than a config file: each caller then fails
    /// closed (a content rule flags the line, an agent pattern accepts
    /// nothing).
    pub fn regex(&self) -> Option<&regex::bytes::Regex> {
        self.regex
            .get_or_init(|| {
                regex::bytes::Regex::new(&self.source).ok().or_else(|| {
                    regex::bytes::RegexBuilder::new(&self.source)
                        .size_limit(usize::MAX)
                        .dfa_size_limit(usize::MAX)
                        .build()
                        .ok()
                })
            })
            .as_ref()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.source)
    }
}

string_value!(Pattern);

/// A path glob. `*` stays within one path segment, `**` crosses them, and a
/// glob without `/` matches the file name at any depth (as in .gitignore).
#[derive(Clone)]
pub struct Glob {
    source: String,
    glob: globset::Glob,
    /// Compiled on first use, like [`Pattern`]: only pre-commit matches
    /// paths. A set of one glob rather than a `GlobMatcher`: the set
    /// matches the common shapes (`*.py`, a literal name, `**`) by
    /// extension, suffix or literal without building a regex, which costs
    /// more than the rest of a content scan on a small commit.
    matcher: OnceLock<Option<globset::GlobSet>>,
}

impl Glob {
    pub fn new(source: &str) -> Result<Glob, String> {
        let full = if source.contains('/') {
            source.trim_start_matches('/').to_string()
        } else {
            format!("**/{source}")
        };
        let glob = globset::GlobBuilder::new(&full)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob `{source}`: {}", e.kind()))?;
        Ok(Glob {
            source: source.to_string(),
            glob,
            matcher: OnceLock::new(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled glob, or `None` if it is too large to compile (a glob
    /// that parsed can fail only on the regex size limit); callers fail
    /// closed, as for [`Pattern::regex`].
    pub fn set(&self) -> Option<&globset::GlobSet> {
        self.matcher
            .get_or_init(|| {
                let mut set = globset::GlobSetBuilder::new();
                set.add(self.glob.clone());
                set.build().ok()
            })
            .as_ref()
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.source)
    }
}

string_value!(Glob);

/// A content rule's name: stable, used in every event the rule causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleName(String);

impl RuleName {
    pub fn new(name: &str) -> Result<RuleName, String> {
        let ok = name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(format!(
                "invalid rule name `{name}`: use lowercase letters, digits, `-`, `_` and `.` (at most 64), e.g. `no-debug-print`"
            ));
        }
        if matches!(name, "review" | "agent-trailer") {
            return Err(format!(
                "the rule name `{name}` is taken by a built-in rule: choose another"
            ));
        }
        Ok(RuleName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(RuleName);

/// A git trailer key (`Agent`, `Co-Authored-By`): letters, digits and `-`,
/// as git's trailer parser requires. Empty means "none" where allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailerKey(pub(crate) String);

impl TrailerKey {
    pub fn new(key: &str) -> Result<TrailerKey, String> {
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "invalid trailer key `{key}`: git trailer keys contain only letters, digits and `-`"
            ));
        }
        Ok(TrailerKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

string_value!(TrailerKey);

/// A string that must not be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty(pub(crate) String);

impl NonEmpty {
    pub fn new(text: &str) -> Result<NonEmpty, String> {
        if text.trim().is_empty() {
            return Err("this value must not be empty".into());
        }
        if text.chars().any(char::is_control) {
            return Err("this value must not contain line breaks or other control characters".into());
        }
        Ok(NonEmpty(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(NonEmpty);

/// A path to a file committed in the repository, relative to its root,
/// with `/` between names: read from git's trees, never the work tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPath(pub(crate) String);

impl RepoPath {
    pub fn new(text: &str) -> Result<RepoPath, String> {
        let bad = |why: &str| {
            Err(format!(
                "`{text}` {why}: give a path inside the repository, like `.enforce/allowed_signers`"
            ))
        };
        if text.is_empty() || text.chars().any(char::is_control) {
            return bad("is not a path");
        }
        if text.starts_with('/') || text.contains('\\') {
            return bad("is not relative with `/` between names");
        }
        if text
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return bad("has an empty, `.` or `..` part");
        }
        Ok(RepoPath(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_value!(RepoPath);

/// The largest [`Positive`]: a billion (seconds are 31 years; days,
/// records or batches more than anyone needs).
pub const MAX_POSITIVE: i64 = 1_000_000_000;

/// A whole number greater than zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Positive(pub(crate) u64);

impl Positive {
    pub fn get(self) -> u64 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Positive {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)?;
        if !(1..=MAX_POSITIVE).contains(&value) {
            return Err(de::Error::custom(format!(
                "expected a whole number from 1 to {MAX_POSITIVE}, got {value}"
            )));
        }
        Ok(Positive(value as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pattern_is_refused_when_read() {
        let err = Pattern::new("print(").map(|_| ()).unwrap_err();
        assert!(err.starts_with("invalid regular expression `print(`"), "{err}");
        assert!(Pattern::new(r"\p{NoSuchClass}").is_err());
    }

    #[test]
    fn a_pattern_is_compiled_when_first_matched() {
        let pattern = Pattern::new(r"\bprint\(").unwrap();
        assert!(pattern.regex.get().is_none());
        assert!(pattern.regex().unwrap().is_match(b"  print(x)"));
        assert!(!pattern.regex().unwrap().is_match(b"reprint(x)"));
        // Bytes that are not UTF-8, as `regex::bytes` takes them.
        let bytes = Pattern::new(r"(?-u:\xFF)").unwrap();
        assert!(bytes.regex().unwrap().is_match(b"a\xFFb"));
    }

    #[test]
    fn a_pattern_over_the_size_limit_still_applies() {
        let source = r"\w{400}";
        assert!(regex::bytes::Regex::new(source).is_err());
        let pattern = Pattern::new(source).unwrap();
        assert!(pattern.regex().unwrap().is_match("x".repeat(400).as_bytes()));
    }
}
