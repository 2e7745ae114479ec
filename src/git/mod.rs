//! The only place that talks to git.
//!
//! Facts come back as plain owned values, so the rest of the program never
//! names `git2` or spawns `git` and can be tested without a repository.
//!
//! Repository discovery, refs, config and commit objects are read with
//! libgit2 in-process: cheap, and no process spawn on the hook path.
//! Anything that must be exactly what git itself computes goes to the `git`
//! program: the tree the index will commit (`write-tree`, honouring
//! `GIT_INDEX_FILE`), tree diffs (`diff-tree`, which skips unchanged subtrees
//! and is far faster than libgit2 on large trees), and the hooks directory.

mod diff;
mod process;
pub mod trailers;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use diff::{AddedFile, Change, Patch};

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
        Ok(Git::discover(cwd)?.map(|git| git.repo))
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

/// What HEAD is: the commit (none before the first commit) and the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub commit: Option<String>,
    pub tree: Option<String>,
    /// The branch name, or `detached HEAD`.
    pub branch: String,
}

/// A commit as enforce needs it.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub message: String,
    /// `Name <email>` of the committer.
    pub committer: String,
}

/// The newest entry of HEAD's reflog: what the last ref update did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReflogEntry {
    /// HEAD before (`None` for the first commit).
    pub old: Option<String>,
    pub new: String,
    /// `commit: …`, `commit (amend): …`, `cherry-pick: …`, `rebase (pick): …`
    pub message: String,
}

/// An open repository.
pub struct Git {
    repo: Repo,
    inner: git2::Repository,
}

impl Git {
    /// Opens the repository around `cwd` (see [`Repo::discover`]).
    pub fn discover(cwd: &Path) -> Result<Option<Git>> {
        let flags = git2::RepositoryOpenFlags::FROM_ENV;
        match git2::Repository::open_ext(cwd, flags, std::iter::empty::<&OsStr>()) {
            Ok(inner) => Ok(Some(Git {
                repo: Repo {
                    root: inner.workdir().map(clean),
                    git_dir: clean(inner.path()),
                    common_dir: clean(inner.commondir()),
                },
                inner,
            })),
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) => Err(git2_error("opening the repository", e)),
        }
    }

    /// Opens the repository around `cwd`; none is an error.
    pub fn open(cwd: &Path) -> Result<Git> {
        Git::discover(cwd)?.ok_or_else(|| Error::NotARepository {
            path: cwd.to_path_buf(),
        })
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The tree id the index would commit: `git write-tree`, honouring
    /// `GIT_INDEX_FILE` (a temporary index for `commit -a`/`commit <paths>`).
    pub fn index_tree(&self) -> Result<String> {
        let out = process::run(["write-tree"], "computing the tree of the staged changes")?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The empty tree's id in this repository's object format.
    pub fn empty_tree(&self) -> &'static str {
        let sha256 = self
            .inner
            .config()
            .and_then(|c| c.get_string("extensions.objectformat"))
            .is_ok_and(|f| f.eq_ignore_ascii_case("sha256"));
        if sha256 {
            "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
        } else {
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        }
    }

    /// HEAD's commit, tree and branch.
    pub fn head(&self) -> Result<Head> {
        match self.inner.head() {
            Ok(reference) => {
                let commit = reference
                    .peel_to_commit()
                    .map_err(|e| git2_error("reading HEAD", e))?;
                let branch = if reference.is_branch() {
                    String::from_utf8_lossy(reference.shorthand_bytes()).into_owned()
                } else {
                    "detached HEAD".to_string()
                };
                Ok(Head {
                    commit: Some(commit.id().to_string()),
                    tree: Some(commit.tree_id().to_string()),
                    branch,
                })
            }
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch || e.code() == git2::ErrorCode::NotFound => {
                let branch = self
                    .inner
                    .find_reference("HEAD")
                    .ok()
                    .and_then(|r| String::from_utf8(r.symbolic_target_bytes()?.to_vec()).ok())
                    .map(|t| t.trim_start_matches("refs/heads/").to_string())
                    .unwrap_or_else(|| "HEAD".to_string());
                Ok(Head {
                    commit: None,
                    tree: None,
                    branch,
                })
            }
            Err(e) => Err(git2_error("reading HEAD", e)),
        }
    }

    /// A commit by revision (`HEAD`, a sha, …).
    pub fn commit(&self, rev: &str) -> Result<CommitInfo> {
        let commit = self
            .inner
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|e| git2_error(&format!("reading commit `{rev}`"), e))?;
        let committer = commit.committer();
        Ok(CommitInfo {
            sha: commit.id().to_string(),
            tree: commit.tree_id().to_string(),
            parents: commit.parent_ids().map(|id| id.to_string()).collect(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            committer: format!(
                "{} <{}>",
                String::from_utf8_lossy(committer.name_bytes()),
                String::from_utf8_lossy(committer.email_bytes())
            ),
        })
    }

    /// The newest entry of HEAD's reflog, if reflogs are kept.
    pub fn head_reflog(&self) -> Option<ReflogEntry> {
        let log = self.inner.reflog("HEAD").ok()?;
        let entry = log.get(0)?;
        let old = entry.id_old();
        Some(ReflogEntry {
            old: (!old.is_zero()).then(|| old.to_string()),
            new: entry.id_new().to_string(),
            message: String::from_utf8_lossy(entry.message_bytes().unwrap_or_default()).into_owned(),
        })
    }

    /// The tree of a commit, or `None` if it does not exist.
    pub fn tree_of(&self, sha: &str) -> Option<String> {
        let oid = git2::Oid::from_str(sha).ok()?;
        Some(self.inner.find_commit(oid).ok()?.tree_id().to_string())
    }

    /// The text of the blob `refname` points at, if any.
    pub fn read_ref_blob(&self, refname: &str) -> Option<Vec<u8>> {
        let reference = self.inner.find_reference(refname).ok()?;
        let blob = reference.peel_to_blob().ok()?;
        Some(blob.content().to_vec())
    }

    /// Points `refname` at a blob of what `update` makes of the current
    /// blob's content (`None`: leave the ref as it is). The update is a
    /// compare-and-swap, retried when another process moved the ref in
    /// between, so concurrent writers never move it backwards.
    pub fn update_ref_blob(
        &self,
        refname: &str,
        message: &str,
        update: impl Fn(Option<&[u8]>) -> Option<Vec<u8>>,
    ) -> Result<()> {
        for attempt in 0..40u64 {
            if attempt > 0 {
                // Back off a little, differently per process, so racing
                // hooks stop colliding.
                let jitter = u64::from(std::process::id() % 7);
                std::thread::sleep(std::time::Duration::from_millis(1 + (attempt + jitter) % 10));
            }
            let current = self.inner.find_reference(refname).ok();
            let current_oid = current.as_ref().and_then(|r| r.target());
            let content = current
                .as_ref()
                .and_then(|r| r.peel_to_blob().ok())
                .map(|b| b.content().to_vec());
            let Some(new) = update(content.as_deref()) else {
                return Ok(());
            };
            let oid = self
                .inner
                .blob(&new)
                .map_err(|e| git2_error("writing the log head", e))?;
            let written = match current_oid {
                Some(old) => self.inner.reference_matching(refname, oid, true, old, message),
                None => self.inner.reference(refname, oid, false, message),
            };
            match written {
                Ok(_) => return Ok(()),
                Err(e)
                    if matches!(
                        e.code(),
                        git2::ErrorCode::Modified | git2::ErrorCode::Exists | git2::ErrorCode::Locked
                    ) =>
                {
                    continue;
                }
                Err(e) => return Err(git2_error(&format!("updating `{refname}`"), e)),
            }
        }
        Err(Error::Git {
            action: format!("updating `{refname}`"),
            message: "other processes kept changing it".into(),
        })
    }

    /// The parents of a commit, or `None` if it does not exist.
    pub fn parents_of(&self, sha: &str) -> Option<Vec<String>> {
        let oid = git2::Oid::from_str(sha).ok()?;
        let commit = self.inner.find_commit(oid).ok()?;
        Some(commit.parent_ids().map(|id| id.to_string()).collect())
    }

    /// Who is committing: `GIT_COMMITTER_NAME`/`EMAIL` when set, else
    /// `user.name`/`user.email`, as `Name <email>`.
    pub fn user(&self) -> String {
        let config = self.inner.config().ok();
        let get = |env: &str, key: &str| {
            std::env::var(env)
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| config.as_ref().and_then(|c| c.get_string(key).ok()))
                .unwrap_or_else(|| "unknown".to_string())
        };
        format!(
            "{} <{}>",
            get("GIT_COMMITTER_NAME", "user.name"),
            get("GIT_COMMITTER_EMAIL", "user.email")
        )
    }

    /// What starts a comment line in commit messages (`core.commentString`,
    /// `core.commentChar`; `#` by default and for `auto`).
    pub fn comment_string(&self) -> String {
        let config = self.inner.config().ok();
        let value = config.as_ref().and_then(|c| {
            c.get_string("core.commentString")
                .or_else(|_| c.get_string("core.commentChar"))
                .ok()
        });
        match value {
            Some(v) if !v.is_empty() && v != "auto" => v,
            _ => "#".to_string(),
        }
    }

    /// The commits of a revision range (`origin/main..HEAD`), oldest
    /// first, as git's own `rev-list` reads the range.
    pub fn rev_list(&self, range: &str) -> Result<Vec<String>> {
        if range.starts_with('-') {
            return Err(Error::usage(
                format!("`{range}` is not a revision range"),
                "give a range such as origin/main..HEAD",
            ));
        }
        let out = process::run(
            ["rev-list", "--reverse", range, "--"],
            &format!("listing the commits of `{range}`"),
        )?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// The paths a commit changes against its first parent (all of its
    /// files for a root commit).
    pub fn commit_files(&self, sha: &str) -> Result<Vec<PathBuf>> {
        let error = |e| git2_error(&format!("reading the files of `{sha}`"), e);
        let oid = git2::Oid::from_str(sha).map_err(error)?;
        let commit = self.inner.find_commit(oid).map_err(error)?;
        let tree = commit.tree().map_err(error)?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().map_err(error)?),
            Err(_) => None,
        };
        let diff = self
            .inner
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .map_err(error)?;
        Ok(diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or_else(|| d.old_file().path())
                    .map(Path::to_path_buf)
            })
            .collect())
    }

    /// The content of the file at `path` in tree `tree`, if there is one.
    pub fn blob_at(&self, tree: &str, path: &Path) -> Option<Vec<u8>> {
        let tree = self.inner.find_tree(git2::Oid::from_str(tree).ok()?).ok()?;
        let entry = tree.get_path(path).ok()?;
        let blob = entry.to_object(&self.inner).ok()?.peel_to_blob().ok()?;
        Some(blob.content().to_vec())
    }

    /// A config value as a string, if set.
    pub fn config_string(&self, key: &str) -> Option<String> {
        self.inner.config().ok()?.get_string(key).ok()
    }

    /// Whether a merge is being concluded (`MERGE_HEAD` exists).
    pub fn merging(&self) -> bool {
        self.repo.git_dir.join("MERGE_HEAD").exists()
    }

    /// The sequencer operation in progress (cherry-pick, revert, rebase,
    /// am), judged by git's state files.
    pub fn sequencer_state(&self) -> Option<&'static str> {
        let dir = &self.repo.git_dir;
        [
            ("rebase-merge", "rebase"),
            ("rebase-apply", "rebase"),
            ("CHERRY_PICK_HEAD", "cherry-pick"),
            ("REVERT_HEAD", "revert"),
        ]
        .into_iter()
        .find(|(file, _)| dir.join(file).exists())
        .map(|(_, op)| op)
    }

    /// The paths that differ between two trees, with their status.
    pub fn changes(&self, from: &str, to: &str) -> Result<Vec<Change>> {
        let out = process::run(
            ["diff-tree", "-r", "-z", "--name-status", "--no-renames", from, to],
            "listing the staged files",
        )?;
        Ok(diff::parse_name_status(&out))
    }

    /// The lines added between two trees, per file. Files whose added text
    /// exceeds `max_bytes` are returned marked oversized, without lines.
    pub fn added_lines(&self, from: &str, to: &str, max_bytes: u64) -> Result<Patch> {
        process::stream(
            [
                "diff-tree",
                "-r",
                "-p",
                "-U0",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "--no-renames",
                from,
                to,
            ],
            "reading the added lines",
            |reader| diff::parse_patch(reader, max_bytes),
        )
    }
}

/// The directory git runs hooks from, as git itself resolves it
/// (`core.hooksPath` when set, else `<common git dir>/hooks`), absolute.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    process::hooks_dir(cwd)
}

fn git2_error(action: &str, e: git2::Error) -> Error {
    Error::Git {
        action: action.into(),
        message: e.message().to_string(),
    }
}

/// Drops the trailing slash libgit2 puts on directories.
fn clean(path: &Path) -> PathBuf {
    path.components().collect()
}
