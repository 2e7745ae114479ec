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
//! and is far faster than libgit2 on large trees), automatic merges
//! (`merge-tree`), and the hooks directory. Patch ids are libgit2's where
//! it hashes what `git patch-id` hashes, and git's elsewhere.

mod command_line;
mod commit_diffs;
mod diff;
mod diff_text;
mod history;
mod loose;
mod merge;
pub mod notes;
pub mod operation;
mod patch_id;
mod process;
mod receive;
pub mod state;
pub mod sync;
#[cfg(test)]
mod test_git;
pub mod trailers;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub use commit_diffs::{CommitDiffs, Listed};
pub use diff::{AddedFile, Change, Patch};
pub use merge::AutoMerge;
pub use operation::Operation;
pub(crate) use operation::git_process_id;
pub use receive::is_zero_id;
pub use state::short_id;

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

/// Up to this index size the commit path stays in-process.
const SMALL_INDEX: u64 = 256 * 1024;

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
    /// The author date, seconds since the epoch: kept by a rebase, so
    /// what a signed approval's expiry is checked against after the fact.
    pub author_time: i64,
}

/// `git log`'s format for [`Git::log_touching`]: fields split by US,
/// records by RS.
const LOG_FORMAT: &str = "--format=%H%x1f%an <%ae>%x1f%aI%x1f%s%x1e";

fn log_records(out: &[u8]) -> Vec<[String; 4]> {
    String::from_utf8_lossy(out)
        .split('\x1e')
        .filter_map(|record| {
            let mut fields = record.trim_start_matches('\n').split('\x1f').map(str::to_string);
            Some([fields.next()?, fields.next()?, fields.next()?, fields.next()?])
        })
        .filter(|[sha, ..]| !sha.is_empty())
        .collect()
}

/// What is staged, as [`Git::staged`] reads it.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The tree the index would commit.
    pub tree: String,
    /// The paths that differ between the two.
    pub paths: Vec<PathBuf>,
    /// The lines added, when asked for.
    pub patch: Option<Patch>,
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
    /// The empty tree's id, once known: asked for per commit by audit,
    /// and reading the config each time costs a `stat` of every file.
    empty_tree: std::cell::OnceCell<&'static str>,
}

impl Git {
    /// Opens the repository around `cwd` (see [`Repo::discover`]).
    pub fn discover(cwd: &Path) -> Result<Option<Git>> {
        let flags = git2::RepositoryOpenFlags::FROM_ENV;
        match git2::Repository::open_ext(cwd, flags, std::iter::empty::<&OsStr>()) {
            Ok(inner) => {
                if HOOK_PROCESS.load(std::sync::atomic::Ordering::Relaxed) {
                    // Without a snapshot, libgit2 reads the files anew.
                    if let Ok(snapshot) = inner.config().and_then(|mut c| c.snapshot()) {
                        let _ = inner.set_config(&snapshot);
                    }
                }
                Ok(Some(Git {
                    repo: Repo {
                        root: inner.workdir().map(clean),
                        git_dir: clean(inner.path()),
                        common_dir: clean(inner.commondir()),
                    },
                    inner,
                    empty_tree: std::cell::OnceCell::new(),
                }))
            }
            Err(e) if e.code() == git2::ErrorCode::NotFound => Ok(None),
            Err(e) if e.code() == git2::ErrorCode::Owner => Err(Error::UnsafeRepository {
                path: owned_path(&e).unwrap_or_else(|| cwd.to_path_buf()),
            }),
            Err(e) => Err(git2_error("opening the repository", e)),
        }
    }

    pub fn repo(&self) -> &Repo {
        &self.repo
    }

    /// The work trees of this repository other than this one: the main
    /// one (when this is a linked worktree and the repository is not bare)
    /// and every linked worktree whose directory still exists.
    pub fn other_worktrees(&self) -> Vec<PathBuf> {
        let here = self.repo.root.as_ref().and_then(|r| r.canonicalize().ok());
        let mut all = Vec::new();
        if let Some(main) = self.repo.common_dir.parent()
            && self.repo.common_dir.file_name().is_some_and(|n| n == ".git")
        {
            all.push(main.to_path_buf());
        }
        if let Ok(names) = self.inner.worktrees() {
            for name in names.iter().flatten().flatten() {
                if let Ok(worktree) = self.inner.find_worktree(name) {
                    all.push(worktree.path().to_path_buf());
                }
            }
        }
        all.into_iter()
            .filter(|p| p.is_dir())
            .filter(|p| p.canonicalize().ok() != here)
            .collect()
    }

    /// The tree id the index would commit: `git write-tree`, honouring
    /// `GIT_INDEX_FILE` (a temporary index for `commit -a`/`commit <paths>`).
    ///
    /// A small index is written in-process (no `git` process to start); a
    /// large one by `git write-tree`, which reads big indexes several times
    /// faster than libgit2 (and handles every index extension git has).
    pub fn index_tree(&self) -> Result<String> {
        if let Some(tree) = self.small_index_tree() {
            return Ok(tree);
        }
        let out = process::run(["write-tree"], "computing the tree of the staged changes")?;
        Ok(String::from_utf8_lossy(&out).trim().to_string())
    }

    /// The tree of the index through libgit2, when the index is small and
    /// libgit2 can write it; `None` leaves it to `git write-tree`.
    fn small_index_tree(&self) -> Option<String> {
        let path = match std::env::var_os("GIT_INDEX_FILE") {
            Some(file) => {
                let file = PathBuf::from(file);
                if file.is_absolute() {
                    file
                } else {
                    std::env::current_dir().ok()?.join(file)
                }
            }
            None => self.repo.git_dir.join("index"),
        };
        if path.metadata().ok()?.len() > SMALL_INDEX {
            return None;
        }
        // Index features libgit2 does not read the way git does: a split
        // index (`sharedindex.*` beside it), a sparse index (directory
        // entries), intent-to-add entries (git leaves them out of the tree).
        let split = fs::read_dir(&self.repo.git_dir)
            .ok()?
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("sharedindex."));
        if split {
            return None;
        }
        let mut index = git2::Index::open(&path).ok()?;
        const INTENT_TO_ADD: u16 = 1 << 13;
        let unusual = index.has_conflicts()
            || index
                .iter()
                .any(|e| e.mode == 0o040000 || e.flags_extended & INTENT_TO_ADD != 0);
        if unusual {
            return None;
        }
        index.write_tree_to(&self.inner).ok().map(|oid| oid.to_string())
    }

    /// The empty tree's id in this repository's object format.
    pub fn empty_tree(&self) -> &'static str {
        self.empty_tree.get_or_init(|| {
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
        })
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
        Ok(CommitInfo {
            sha: commit.id().to_string(),
            tree: commit.tree_id().to_string(),
            parents: commit.parent_ids().map(|id| id.to_string()).collect(),
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            author_time: commit.author().when().seconds(),
        })
    }

    /// The newest entry of HEAD's reflog, if reflogs are kept.
    ///
    /// Read from the end of `logs/HEAD`, not parsed whole: the file grows
    /// with every commit, and post-commit must cost the same on the first
    /// and the hundred-thousandth.
    pub fn head_reflog(&self) -> Option<ReflogEntry> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = fs::File::open(self.repo.git_dir.join("logs").join("HEAD")).ok()?;
        let len = file.metadata().ok()?.len();
        let from = len.saturating_sub(16 * 1024);
        file.seek(SeekFrom::Start(from)).ok()?;
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).ok()?;
        let tail = tail.strip_suffix(b"\n").unwrap_or(&tail);
        let line = match tail.iter().rposition(|b| *b == b'\n') {
            Some(i) => &tail[i + 1..],
            None if from == 0 => tail,
            None => return None,
        };
        parse_reflog_line(line)
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
            // A loose object written directly, as the receipt's are: this
            // ref moves on every commit.
            let oid = loose::write(
                &loose::objects_dir(&self.repo.common_dir),
                git2::ObjectType::Blob,
                &new,
            )
            .map_err(|e| Error::Git {
                action: "writing the log head".into(),
                message: e.to_string(),
            })?;
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

    /// Who is committing: `GIT_COMMITTER_NAME`/`EMAIL` when set, else
    /// `user.name`/`user.email`, as `Name <email>`.
    pub fn user(&self) -> String {
        let get = |env: &str, key: &str| {
            std::env::var(env)
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| self.config_string(key))
                .unwrap_or_else(|| "unknown".to_string())
        };
        format!(
            "{} <{}>",
            get("GIT_COMMITTER_NAME", "user.name"),
            get("GIT_COMMITTER_EMAIL", "user.email")
        )
    }

    /// How git reads commit message trailers here: the comment string
    /// (`core.commentChar`/`core.commentString`) and `trailer.separators`,
    /// one-off `git -c` settings included.
    pub fn trailer_syntax(&self) -> trailers::Syntax {
        let entries = self.config_entries(&["core.commentchar", "core.commentstring", "trailer.separators"]);
        trailers::Syntax::from_config(entries.iter().map(|(k, v)| (k.as_str(), v.as_deref())))
    }

    /// The commits of a revision range (`origin/main..HEAD`), oldest
    /// first, as git's own `rev-list` reads the range.
    pub fn rev_list(&self, range: &str) -> Result<Vec<String>> {
        if range.starts_with('-') {
            return Err(Error::InvalidRange { range: range.into() });
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

    /// The commits reachable from HEAD since `since` (committer date)
    /// that change any of `paths`, and those of `also` that HEAD reaches
    /// (a change the log recorded whose commit dates are older), newest
    /// first: (sha, `Name <email>` of the author, author date in ISO 8601,
    /// subject). Empty when HEAD is unborn.
    pub fn log_touching(&self, since: &str, paths: &[PathBuf], also: &[String]) -> Result<Vec<[String; 4]>> {
        let Some(head) = self.head()?.commit else {
            return Ok(Vec::new());
        };
        let mut args = vec![
            "log".to_string(),
            format!("--since={since}"),
            LOG_FORMAT.to_string(),
            head.clone(),
        ];
        args.push("--".to_string());
        args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
        let mut found = log_records(&process::run(
            args,
            "listing the commits that changed the policy",
        )?);
        for sha in also {
            let known = found.iter().any(|[s, ..]| s == sha);
            if !known && git2::Oid::from_str(sha).is_ok() && self.is_ancestor(sha, &head).unwrap_or(false) {
                let out = process::run(
                    ["log", "-1", LOG_FORMAT, sha.as_str(), "--"],
                    &format!("reading the commit `{sha}`"),
                )?;
                found.extend(log_records(&out));
            }
        }
        Ok(found)
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

    /// A config value as a string, if set: the last one git reads, the
    /// command line's (`git -c`) over the files'. `None` also when the
    /// last is a bare key without a value.
    pub fn config_string(&self, key: &str) -> Option<String> {
        let key = command_line::canonical_key(key)?;
        self.config_entries(&[key.as_str()]).pop()?.1
    }

    /// Every setting of the keys `names` (canonical: section and name in
    /// lower case), in the order git reads them: the config files from
    /// the lowest level (system) up, each in file order, then the command
    /// line's (`git -c`, which git passes on in the environment and
    /// libgit2 does not read; see [`command_line`]). The last one is in
    /// force. This is where config values are read.
    fn config_entries(&self, names: &[&str]) -> Vec<command_line::Entry> {
        let mut out = Vec::new();
        if let Ok(config) = self.inner.config() {
            let alternatives: Vec<String> = names.iter().map(|n| sync::ere_escape(n)).collect();
            let pattern = format!("^({})$", alternatives.join("|"));
            if let Ok(mut entries) = config.entries(Some(&pattern)) {
                while let Some(Ok(entry)) = entries.next() {
                    if let Ok(name) = entry.name() {
                        out.push((name.to_string(), entry.value().ok().map(str::to_string)));
                    }
                }
            }
        }
        out.extend(
            command_line::entries()
                .into_iter()
                .filter(|(key, _)| names.contains(&key.as_str())),
        );
        out
    }

    /// The operation that made HEAD, given HEAD's newest reflog entry when
    /// it is the entry for HEAD's commit (see [`operation::of_head`]).
    pub fn operation_of_head(&self, reflog: Option<&ReflogEntry>) -> Operation {
        operation::of_head(&self.repo.git_dir, reflog)
    }

    /// The operation a hook that runs before the commit exists is part of
    /// (see [`operation::in_progress`]).
    pub fn operation_in_progress(&self) -> Operation {
        operation::in_progress(&self.repo.git_dir)
    }

    /// What is staged against `head`: the tree the index would commit, the
    /// tree it is compared with, the changed paths, and, with
    /// `lines = Some(max_bytes)`, the lines it adds (from the same diff).
    pub fn staged(&self, head: &Head, lines: Option<u64>) -> Result<Staged> {
        let tree = self.index_tree()?;
        let base = head.tree.clone().unwrap_or_else(|| self.empty_tree().to_string());
        let (changes, patch) = match lines {
            Some(max_bytes) => {
                let (changes, patch) = self.changes_and_added_lines(&base, &tree, max_bytes)?;
                (changes, Some(patch))
            }
            None => (self.changes(&base, &tree)?, None),
        };
        Ok(Staged {
            paths: changes.into_iter().map(|c| c.path).collect(),
            tree,
            patch,
        })
    }

    /// Whether the repository is large: an index over 256 KB (about 3,000
    /// files). Small repositories are diffed in-process (no process to
    /// start); large ones by `git diff-tree`, which skips unchanged
    /// subtrees where libgit2 reads every tree.
    fn large(&self) -> bool {
        let index = match std::env::var_os("GIT_INDEX_FILE") {
            Some(file) => PathBuf::from(file),
            None => self.repo.git_dir.join("index"),
        };
        index.metadata().is_ok_and(|m| m.len() > SMALL_INDEX)
    }

    /// The paths that differ between two trees, with their status.
    pub fn changes(&self, from: &str, to: &str) -> Result<Vec<Change>> {
        if self.large() {
            let out = process::run(
                ["diff-tree", "-r", "-z", "--name-status", "--no-renames", from, to],
                "listing the staged files",
            )?;
            return Ok(diff_text::parse_name_status(&out));
        }
        let diff = self.tree_diff(from, to, false)?;
        Ok(diff.deltas().map(|d| diff::change(&d)).collect())
    }

    /// [`Git::changes`] and the lines added between two trees, per file, in
    /// one diff. Files whose added text exceeds `max_bytes` are marked
    /// oversized, without lines; binary files are counted.
    pub fn changes_and_added_lines(
        &self,
        from: &str,
        to: &str,
        max_bytes: u64,
    ) -> Result<(Vec<Change>, Patch)> {
        if self.large() {
            let args = ["diff-tree"]
                .iter()
                .chain(diff_text::RAW_AND_PATCH)
                .copied()
                .chain([from, to]);
            return process::stream_diff(args, self.empty_tree(), "reading the staged changes", |reader| {
                diff_text::parse_raw_and_patch(reader, max_bytes, None)
            });
        }
        let diff = self.tree_diff(from, to, true)?;
        let changes = diff.deltas().map(|d| diff::change(&d)).collect();
        let patch = diff::added_lines(&self.inner, &diff, max_bytes)
            .map_err(|e| git2_error("reading the added lines", e))?;
        Ok((changes, patch))
    }

    /// The lines added between two trees (see [`Git::changes_and_added_lines`]).
    pub fn added_lines(&self, from: &str, to: &str, max_bytes: u64) -> Result<Patch> {
        Ok(self.changes_and_added_lines(from, to, max_bytes)?.1)
    }

    fn tree_diff(&self, from: &str, to: &str, lines: bool) -> Result<git2::Diff<'_>> {
        let mut options = git2::DiffOptions::new();
        options.context_lines(0).ignore_submodules(false);
        if lines {
            // Binary is decided by content (see `diff::added_lines`).
            options.force_text(true);
        } else {
            options.skip_binary_check(true);
        }
        self.diff_trees(from, to, &mut options, "comparing the trees")
    }

    /// The diff between two trees by id (`from` may be the empty tree,
    /// which need not be stored).
    fn diff_trees(
        &self,
        from: &str,
        to: &str,
        options: &mut git2::DiffOptions,
        action: &str,
    ) -> Result<git2::Diff<'_>> {
        let error = |e| git2_error(action, e);
        let tree = |id: &str| -> Result<Option<git2::Tree<'_>>> {
            if id == self.empty_tree() {
                return Ok(None);
            }
            let oid = git2::Oid::from_str(id).map_err(error)?;
            Ok(Some(self.inner.find_tree(oid).map_err(error)?))
        };
        let (old, new) = (tree(from)?, tree(to)?);
        self.inner
            .diff_tree_to_tree(old.as_ref(), new.as_ref(), Some(options))
            .map_err(error)
    }
}

/// Whether this process runs a hook on the committer's machine: see
/// [`for_hooks`].
static HOOK_PROCESS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Tunes libgit2 for one short hook run on the committer's machine, where
/// nothing changes the repository's config or objects underneath it:
///
/// - objects are read without hashing each one again to check its id, as
///   git itself reads them (only `git fsck` checks). That machine is not
///   where a verdict is trusted (docs/trust.md); `audit` and
///   `pre-receive`, which are, keep the check;
/// - the git config is read once, into a snapshot: libgit2 otherwise
///   checks every config file for changes (a `stat` each) on every value
///   it looks up, a hundred times in one post-commit.
///
/// Both were among the largest costs of a commit's hooks.
pub fn for_hooks() {
    git2::opts::strict_hash_verification(false);
    HOOK_PROCESS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Tunes libgit2 for a report over history that decides nothing
/// (`enforce backtest`): objects are read without hashing each one again,
/// as git itself reads them. A third of the cost of reading a commit or
/// a receipt was that hash; the verdicts that count (`audit`,
/// `pre-receive`) keep it.
pub fn for_reports() {
    git2::opts::strict_hash_verification(false);
}

/// The directory git runs hooks from, as git itself resolves it
/// (`core.hooksPath` when set, else `<common git dir>/hooks`), absolute.
pub fn hooks_dir(cwd: &Path) -> Result<PathBuf> {
    process::hooks_dir(cwd)
}

/// The path in libgit2's "repository path '…' is not owned by current user".
fn owned_path(e: &git2::Error) -> Option<PathBuf> {
    let message = e.message();
    let start = message.find('\'')? + 1;
    let end = start + message[start..].find('\'')?;
    Some(PathBuf::from(&message[start..end]))
}

fn git2_error(action: &str, e: git2::Error) -> Error {
    Error::Git {
        action: action.into(),
        message: e.message().to_string(),
    }
}

/// `<old> <new> <name> <<email>> <time> <tz>\t<message>`.
fn parse_reflog_line(line: &[u8]) -> Option<ReflogEntry> {
    let text = String::from_utf8_lossy(line);
    let (head, message) = text.split_once('\t').unwrap_or((&text, ""));
    let mut words = head.split(' ');
    let old = words.next()?;
    let new = words.next()?;
    if old.len() < 40 || new.len() < 40 {
        return None;
    }
    Some(ReflogEntry {
        old: (!old.bytes().all(|b| b == b'0')).then(|| old.to_string()),
        new: new.to_string(),
        message: message.to_string(),
    })
}

impl ReflogEntry {
    /// Whether the update was a fast-forward (`merge x: Fast-forward`): no
    /// commit was made.
    pub fn is_fast_forward(&self) -> bool {
        self.message.contains("Fast-forward")
    }
}

/// A path as git prints it (`core.quotePath`, on by default): as it is when
/// every byte is printable ASCII other than `"` and `\\`, else in double
/// quotes with C escapes and octal for other bytes. A name with a line
/// break then cannot pass for another line of a message.
pub fn quote_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let plain = |b: u8| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\';
    if bytes.iter().all(|&b| plain(b)) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0b => out.push_str("\\v"),
            0x0c => out.push_str("\\f"),
            b if plain(b) => out.push(b as char),
            b => out.push_str(&format!("\\{b:03o}")),
        }
    }
    out.push('"');
    out
}

/// Drops the trailing slash libgit2 puts on directories.
fn clean(path: &Path) -> PathBuf {
    path.components().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_quoted_as_git_quotes_them() {
        use std::os::unix::ffi::OsStrExt;
        let quote = |bytes: &[u8]| quote_path(Path::new(std::ffi::OsStr::from_bytes(bytes)));
        assert_eq!(quote(b"with space.txt"), "with space.txt");
        assert_eq!(quote(b"new\nline.txt"), "\"new\\nline.txt\"");
        assert_eq!(quote(b"tab\there"), "\"tab\\there\"");
        assert_eq!(quote(b"caf\xe9.txt"), "\"caf\\351.txt\"");
        assert_eq!(quote("日本".as_bytes()), "\"\\346\\227\\245\\346\\234\\254\"");
        assert_eq!(quote(b"a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn reflog_lines() {
        let line = b"0000000000000000000000000000000000000000 1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c A U <a@x> 1795300000 +0000\tcommit (initial): first";
        assert_eq!(
            parse_reflog_line(line),
            Some(ReflogEntry {
                old: None,
                new: "1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c".into(),
                message: "commit (initial): first".into(),
            })
        );
        assert_eq!(parse_reflog_line(b"garbage"), None);
    }
}
