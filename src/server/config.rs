//! The server's configuration: `enforce.toml` in the bare repository.
//!
//! Kept beside git's own `config`, in the repository the pushes go to, so
//! nobody who can only push can change it. Only a `[server]` section:
//! which branches are protected. What the rules are comes from history
//! (`.enforce.toml` committed at each commit's parent), never from here.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::config;
use crate::error::{Error, Result};

/// The file name, at the top of the bare repository.
pub const FILE_NAME: &str = "enforce.toml";

/// The commented file `enforce install --server` writes.
pub const TEMPLATE: &str = include_str!("../../templates/server.toml");

/// An error at byte `offset` of the file, with its line and column.
fn error_at(text: &str, path: &Path, offset: usize, message: &str) -> Error {
    match config::error_at(text, path, offset, message) {
        Error::Config {
            path,
            line,
            column,
            message,
        } => Error::ServerConfig {
            path,
            line,
            column,
            message,
        },
        other => other,
    }
}

/// The protected branches when the file names none: all of them.
pub const DEFAULT_BRANCHES: &str = "refs/heads/*";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    server: Section,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    branches: Option<Vec<Spanned<String>>>,
}

/// The configuration in effect.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The protected refs, as full ref globs (`refs/heads/main`).
    pub branches: Vec<String>,
    matcher: globset::GlobSet,
    /// The file read; `None` when the defaults apply.
    pub path: Option<PathBuf>,
}

impl ServerConfig {
    /// Reads `<git_dir>/enforce.toml`; the defaults when there is none.
    pub fn load(git_dir: &Path) -> Result<ServerConfig> {
        let path = git_dir.join(FILE_NAME);
        match fs::read(&path) {
            Ok(bytes) => {
                let mut config = ServerConfig::parse(&String::from_utf8_lossy(&bytes), &path)?;
                config.path = Some(path);
                Ok(config)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => ServerConfig::parse("", &path),
            Err(e) => Err(Error::io("read the server config", path, e)),
        }
    }

    /// Parses the file's text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<ServerConfig> {
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |span| span.start);
            error_at(text, path, at, e.message().trim_end())
        })?;
        let globs = match file.server.branches {
            Some(globs) => globs,
            None => vec![Spanned::new(0..0, DEFAULT_BRANCHES.to_string())],
        };
        let mut branches = Vec::new();
        let mut set = globset::GlobSetBuilder::new();
        for glob in &globs {
            let written = glob.get_ref().trim();
            if written.is_empty() {
                return Err(error_at(text, path, glob.span().start, "a branch glob is empty"));
            }
            let full = full_ref(written);
            let compiled = globset::GlobBuilder::new(&full)
                .literal_separator(false)
                .build()
                .map_err(|e| {
                    error_at(
                        text,
                        path,
                        glob.span().start,
                        &format!("invalid branch glob `{written}`: {}", e.kind()),
                    )
                })?;
            set.add(compiled);
            branches.push(full);
        }
        let matcher = set
            .build()
            .map_err(|e| error_at(text, path, 0, &format!("invalid branch globs: {e}")))?;
        Ok(ServerConfig {
            branches,
            matcher,
            path: None,
        })
    }

    /// Whether pushes to `refname` are audited.
    pub fn protects(&self, refname: &str) -> bool {
        self.matcher.is_match(refname)
    }
}

/// A glob as a full ref name: `main` is `refs/heads/main`.
fn full_ref(glob: &str) -> String {
    if glob.starts_with("refs/") {
        glob.to_string()
    } else {
        format!("refs/heads/{glob}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ServerConfig> {
        ServerConfig::parse(text, Path::new("enforce.toml"))
    }

    #[test]
    fn every_branch_by_default_and_globs_cross_slashes() {
        for text in ["", "[server]\n", TEMPLATE] {
            let config = parse(text).unwrap();
            assert_eq!(config.branches, [DEFAULT_BRANCHES]);
            assert!(config.protects("refs/heads/main"));
            assert!(config.protects("refs/heads/feature/x"));
            assert!(!config.protects("refs/tags/v1"));
            assert!(!config.protects("refs/notes/enforce"));
        }
        let config = parse("[server]\nbranches = [\"main\", \"release/*\", \"refs/tags/v*\"]\n").unwrap();
        assert_eq!(
            config.branches,
            ["refs/heads/main", "refs/heads/release/*", "refs/tags/v*"]
        );
        for (name, protected) in [
            ("refs/heads/main", true),
            ("refs/heads/mainline", false),
            ("refs/heads/release/1.0", true),
            ("refs/heads/release/1.0/fix", true),
            ("refs/heads/feature", false),
            ("refs/tags/v1.2", true),
        ] {
            assert_eq!(config.protects(name), protected, "{name}");
        }
        assert!(
            !parse("[server]\nbranches = []\n")
                .unwrap()
                .protects("refs/heads/main")
        );
    }

    #[test]
    fn mistakes_name_their_place() {
        let message = |text: &str| parse(text).unwrap_err().to_string();
        assert_eq!(
            message("[server]\nbranch = [\"main\"]\n"),
            "enforce.toml:2:1: unknown field `branch`, expected `branches`"
        );
        assert_eq!(
            message("[server]\nbranches = [\"ok\", \"[x\"]\n"),
            "enforce.toml:2:19: invalid branch glob `[x`: unclosed character class; missing ']'"
        );
        assert_eq!(
            message("[server]\nbranches = [\"\"]\n"),
            "enforce.toml:2:13: a branch glob is empty"
        );
        assert!(message("[rules]\n").starts_with("enforce.toml:1:2: unknown field `rules`"));
    }
}
