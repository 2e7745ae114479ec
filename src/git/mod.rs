//! The only place that talks to git.
//!
//! Facts come back as plain owned values, so the rest of the program never
//! names `git2` or spawns `git` and can be tested without a repository.
//!
//! Repository discovery uses libgit2 in-process: it honours `GIT_DIR`,
//! `GIT_WORK_TREE` and `GIT_CEILING_DIRECTORIES` like git does and costs no
//! process spawn, which matters on the hook path. Questions whose answer must
//! be exactly what git itself will do (which hooks directory git runs) go to
//! the `git` program.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::{Error, Result};

/// Where a repository lives on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The top of the work tree; `None` for a bare repository.
    pub root: Option<PathBuf>,
    /// This worktree's git dir (`.git`, or `.git/worktrees/<name>`).
    pub git_dir: PathBuf,
    /// The git dir shared by all worktrees (`.git` of the main worktree).
    pub common_dir: PathBuf,
}

impl Repo {
    /// The repository found from `cwd` upwards and the `GIT_*`
    /// environment (which wins, as in git), or `None` when there is none.
    pub fn discover(cwd: &Path) -> Result<Option<Repo>> {
        let flags = git2::RepositoryOpenFlags::FROM_ENV;
        match git2::Repository::open_ext(cwd, flags, std::iter::empty::<&OsStr>()) {
            Ok(repo) => Ok(Some(Repo {
                root: repo.workdir().map(clean),
                git_dir: clean(repo.path()),
                common_dir: clean(repo.commondir()),
            })),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(Error::Git {
                action: "opening the repository".into(),
                message: e.message().to_string(),
            }),
        }
    }

    /// Like [`Repo::discover`], but a missing repository is an error that
    /// names `cwd`.
    pub fn require(cwd: &Path) -> Result<Repo> {
        Repo::discover(cwd)?.ok_or_else(|| Error::NotARepository {
            path: cwd.to_path_buf(),
        })
    }

    pub fn is_bare(&self) -> bool {
        self.root.is_none()
    }
}

/// The directory git runs hooks from, as git itself resolves it
/// (`core.hooksPath` when set, else `<common git dir>/hooks`), absolute.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    let mut out = run(
        cwd,
        ["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        "finding the hooks directory",
    )?;
    if out.last() == Some(&b'\n') {
        out.pop();
    }
    Ok(PathBuf::from(OsString::from_vec(out)))
}

/// Runs `git args…` in `cwd` and returns its standard output.
fn run<I, S>(cwd: &Path, args: I, action: &str) -> Result<Vec<u8>>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let git = which::which("git").map_err(|_| Error::GitMissing)?;
    let output = Command::new(git)
        .args(args)
        .current_dir(cwd)
        .output()
        .map_err(|e| Error::Git {
            action: action.into(),
            message: e.to_string(),
        })?;
    if !output.status.success() {
        return Err(Error::Git {
            action: action.into(),
            message: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// Drops the trailing slash libgit2 puts on directories.
fn clean(path: &Path) -> PathBuf {
    path.components().collect()
}
