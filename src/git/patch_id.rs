//! Patch ids: what `git diff-tree -p <from> <to> | git patch-id --stable`
//! prints, computed in-process where libgit2's `git_diff_patchid` hashes
//! what git hashes, and by those two git commands where it does not.
//!
//! Both hash each file's patch with its whitespace removed, leave out the
//! `index` lines, the hunk headers and the `\ No newline at end of file`
//! markers, and add up the files' hashes. They part ways on a few inputs,
//! listed in [`Unlike`]; for those the answer comes from git itself.

use memchr::{memchr, memchr2};

use super::{Git, git2_error, process};
use crate::error::Result;

/// Git's `core.bigFileThreshold` when it is not set: larger files are
/// diffed as binary.
const BIG_FILE_THRESHOLD: i64 = 512 * 1024 * 1024;

/// How much of a file git looks at for a NUL byte to call it binary.
const BINARY_PROBE: usize = 8000;

/// Why libgit2's patch id of a diff would not be git's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unlike {
    /// A binary file: git hashes the (abbreviated) blob ids of its `index`
    /// line and skips the next file's `diff --git` line; libgit2 hashes the
    /// `Binary files … differ` line.
    Binary,
    /// A file larger than `core.bigFileThreshold`, which git diffs as
    /// binary and libgit2 as text.
    BigFile,
    /// An empty file added or deleted: git prints no `---`/`+++` lines for
    /// it (there is no hunk) and hashes its header with the next file's;
    /// libgit2 prints and hashes `---`/`+++` lines.
    EmptyFileAddedOrDeleted,
    /// A change of mode alone beside other changes: git hashes its header
    /// together with the next file's patch, libgit2 on its own.
    ModeOnlyAmongOthers,
    /// A form feed or vertical tab in a changed file: libgit2 strips them
    /// as whitespace, git keeps them.
    FormFeedOrVerticalTab,
    /// `core.quotePath=false` and a path with bytes beyond ASCII: git
    /// prints the path as it is, libgit2 always quotes it.
    UnquotedPath,
    /// Attributes read from a tree (`attr.tree`, `GIT_ATTR_SOURCE`), which
    /// libgit2 does not read: git may take a file for binary there.
    AttributeTree,
}

impl Git {
    /// The stable patch id of the diff between two trees: the first field
    /// of `git diff-tree -p <from_tree> <to_tree> | git patch-id --stable`,
    /// or `None` when the trees are equal (git prints nothing). `from_tree`
    /// may be the empty tree ([`Git::empty_tree`]).
    ///
    /// Computed in-process by libgit2 with the diff `git diff-tree -p`
    /// makes: 3 lines of context, no inter-hunk context, the Myers
    /// algorithm (`diff-tree` does not read `diff.algorithm`), the indent
    /// heuristic unless `diff.indentHeuristic` is false, no rename or copy
    /// detection (a rename is a deletion and an addition, as in
    /// `diff-tree` without `-M`), a change of type as a deletion and an
    /// addition, submodules as their `Subproject commit` lines, and no
    /// whitespace options (the patch id itself ignores whitespace).
    ///
    /// Where libgit2 would hash something else, this runs those two git
    /// commands instead: a binary file (a NUL byte in its first 8,000
    /// bytes, or libgit2 taking it for binary through `.gitattributes`), a
    /// file over `core.bigFileThreshold`, an empty file added or deleted, a
    /// change of mode alone when other files change too, a form feed or
    /// vertical tab in a changed file, a non-ASCII path under
    /// `core.quotePath=false`, and attributes read from a tree
    /// (`attr.tree`, `GIT_ATTR_SOURCE`). Both read `.gitattributes` from
    /// the work tree, then the index, and `info/attributes`.
    ///
    /// In a large repository git is asked straight away: libgit2 reads
    /// every tree of both sides, and its attribute lookup loads the whole
    /// index, about 100 ms at 100,000 files, where git skips the subtrees
    /// the commit leaves alone.
    pub fn patch_id(&self, from_tree: &str, to_tree: &str) -> Result<Option<String>> {
        if self.large() {
            return self.git_patch_id(from_tree, to_tree);
        }
        match self.libgit2_patch_id(from_tree, to_tree)? {
            Ok(id) => Ok(id),
            Err(_) => self.git_patch_id(from_tree, to_tree),
        }
    }

    /// libgit2's patch id of the diff between two trees, or why it would
    /// not be git's.
    fn libgit2_patch_id(&self, from: &str, to: &str) -> Result<std::result::Result<Option<String>, Unlike>> {
        let diff = self.patch_diff(from, to)?;
        if diff.deltas().len() == 0 {
            return Ok(Ok(None));
        }
        if let Some(unlike) = self.unlike_git(&diff)? {
            return Ok(Err(unlike));
        }
        let id = diff
            .patchid(None)
            .map_err(|e| git2_error("computing a patch id", e))?;
        // Hashing loaded the files, and with them what the attributes say.
        if diff.deltas().any(|d| d.flags().is_binary()) {
            return Ok(Err(Unlike::Binary));
        }
        Ok(Ok(Some(id.to_string())))
    }

    /// The diff `git diff-tree -p` makes (see [`Git::patch_id`]).
    fn patch_diff(&self, from: &str, to: &str) -> Result<git2::Diff<'_>> {
        let config = self.inner.config().ok();
        let indent_heuristic = config
            .as_ref()
            .and_then(|c| c.get_bool("diff.indentHeuristic").ok())
            .unwrap_or(true);
        let mut options = git2::DiffOptions::new();
        options
            .context_lines(3)
            .interhunk_lines(0)
            .indent_heuristic(indent_heuristic)
            .ignore_submodules(false);
        self.diff_trees(from, to, &mut options, "comparing the trees for a patch id")
    }

    /// Why libgit2's patch id of `diff` would not be git's, as far as the
    /// paths, modes and file contents tell.
    fn unlike_git(&self, diff: &git2::Diff<'_>) -> Result<Option<Unlike>> {
        let config = self.inner.config().ok();
        let quote_path = config
            .as_ref()
            .and_then(|c| c.get_bool("core.quotePath").ok())
            .unwrap_or(true);
        let big = config
            .as_ref()
            .and_then(|c| c.get_i64("core.bigFileThreshold").ok())
            .unwrap_or(BIG_FILE_THRESHOLD);
        let attr_tree = config
            .as_ref()
            .and_then(|c| c.get_string("attr.tree").ok())
            .is_some_and(|tree| !tree.is_empty());
        let attr_source = std::env::var_os("GIT_ATTR_SOURCE").is_some_and(|tree| !tree.is_empty());
        if attr_tree || attr_source {
            return Ok(Some(Unlike::AttributeTree));
        }
        let several = diff.deltas().len() > 1;
        for delta in diff.deltas() {
            let (old, new) = (delta.old_file(), delta.new_file());
            if !quote_path {
                let ascii = |f: &git2::DiffFile<'_>| f.path_bytes().is_none_or(|p| p.is_ascii());
                if !ascii(&old) || !ascii(&new) {
                    return Ok(Some(Unlike::UnquotedPath));
                }
            }
            if old.id() == new.id() {
                // A change of mode alone: a header and no patch.
                if several {
                    return Ok(Some(Unlike::ModeOnlyAmongOthers));
                }
                continue;
            }
            let added_or_deleted = matches!(delta.status(), git2::Delta::Added | git2::Delta::Deleted);
            for file in [old, new] {
                let blob_like = matches!(
                    file.mode(),
                    git2::FileMode::Blob | git2::FileMode::BlobExecutable | git2::FileMode::Link
                );
                if file.id().is_zero() || !blob_like {
                    continue;
                }
                let blob = self
                    .inner
                    .find_blob(file.id())
                    .map_err(|e| git2_error("reading a file for a patch id", e))?;
                let content = blob.content();
                if i64::try_from(content.len()).unwrap_or(i64::MAX) > big {
                    return Ok(Some(Unlike::BigFile));
                }
                if memchr(0, &content[..content.len().min(BINARY_PROBE)]).is_some() {
                    return Ok(Some(Unlike::Binary));
                }
                if added_or_deleted && content.is_empty() {
                    return Ok(Some(Unlike::EmptyFileAddedOrDeleted));
                }
                if memchr2(b'\x0b', b'\x0c', content).is_some() {
                    return Ok(Some(Unlike::FormFeedOrVerticalTab));
                }
            }
        }
        Ok(None)
    }

    /// `git diff-tree -p <from> <to> | git patch-id --stable`, first field.
    fn git_patch_id(&self, from: &str, to: &str) -> Result<Option<String>> {
        let out = process::pipe_in(
            &self.repo,
            ["diff-tree", "-p", from, to],
            ["patch-id", "--stable"],
            &format!("computing the patch id of `{from}`..`{to}`"),
        )?;
        Ok(String::from_utf8_lossy(&out)
            .split_whitespace()
            .next()
            .map(str::to_string))
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use crate::git::test_git::git;

    /// The first field of git's own `diff-tree -p | patch-id --stable`.
    fn git_says(dir: &Path, from: &str, to: &str) -> Option<String> {
        let out = Command::new("sh")
            .args([
                "-c",
                "git diff-tree -p \"$1\" \"$2\" | git patch-id --stable",
                "sh",
                from,
                to,
            ])
            .current_dir(dir)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .expect("run git");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .map(str::to_string)
    }

    fn write(dir: &Path, rel: &str, content: &[u8]) {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn chmod(dir: &Path, rel: &str, mode: u32) {
        fs::set_permissions(dir.join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    /// The tree of everything in the work tree.
    fn tree(dir: &Path) -> String {
        git(dir, &["add", "-A"]);
        git(dir, &["write-tree"])
    }

    const TEXT: &[u8] = b"one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

    /// A case: what to do to a repository, from which tree to which.
    type Make = fn(&Path) -> (String, String);

    /// `(name, make the trees, why git's id is needed or None)`.
    const CASES: &[(&str, Make, Option<Unlike>)] = &[
        (
            "modified file",
            |d| {
                write(d, "f.txt", TEXT);
                let a = tree(d);
                write(
                    d,
                    "f.txt",
                    b"one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\nnine\nten\n",
                );
                (a, tree(d))
            },
            None,
        ),
        (
            "added file",
            |d| {
                write(d, "keep", b"k\n");
                let a = tree(d);
                write(d, "new/f.txt", TEXT);
                (a, tree(d))
            },
            None,
        ),
        (
            "deleted file",
            |d| {
                write(d, "keep", b"k\n");
                write(d, "f.txt", TEXT);
                let a = tree(d);
                fs::remove_file(d.join("f.txt")).unwrap();
                (a, tree(d))
            },
            None,
        ),
        (
            "everything from the empty tree",
            |d| {
                write(d, "a", TEXT);
                write(d, "dir/b", b"b\n");
                ("4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(), tree(d))
            },
            None,
        ),
        (
            "several files added, modified and deleted",
            |d| {
                write(d, "a.txt", TEXT);
                write(d, "dir/b.txt", b"b\n");
                write(d, "dir/sub/c.txt", b"c\nc\n");
                write(d, "z.txt", b"z\n");
                let a = tree(d);
                write(d, "a.txt", b"one\ntwo\n");
                fs::remove_file(d.join("dir/b.txt")).unwrap();
                write(d, "dir/sub/c.txt", b"c\nC\nc\n");
                write(d, "dir/new.txt", b"new\n");
                write(d, "m.txt", b"m\n");
                (a, tree(d))
            },
            None,
        ),
        (
            "two hunks, and context that joins two changes into one",
            |d| {
                let lines: Vec<String> = (1..=40).map(|i| format!("line {i}\n")).collect();
                write(d, "f", lines.concat().as_bytes());
                let a = tree(d);
                let mut changed = lines.clone();
                for i in [2, 8, 30] {
                    changed[i] = format!("changed {i}\n");
                }
                write(d, "f", changed.concat().as_bytes());
                (a, tree(d))
            },
            None,
        ),
        (
            "no newline at the end of the file",
            |d| {
                write(d, "f", b"a\nb\nc");
                write(d, "g", b"x\ny\n");
                let a = tree(d);
                write(d, "f", b"a\nb\nC");
                write(d, "g", b"x\ny");
                write(d, "h", b"no end");
                (a, tree(d))
            },
            None,
        ),
        (
            "a change of whitespace only",
            |d| {
                write(d, "f.py", b"def f():\n    return 1\n\nx = 1\n");
                let a = tree(d);
                write(d, "f.py", b"def f():\n\treturn 1\n\nx  =  1 \n");
                (a, tree(d))
            },
            None,
        ),
        (
            "line endings changed to CRLF",
            |d| {
                write(d, "f", b"a\nb\nc\n");
                let a = tree(d);
                write(d, "f", b"a\r\nb\r\nc\r\n");
                (a, tree(d))
            },
            None,
        ),
        (
            "a rename",
            |d| {
                write(d, "old.txt", TEXT);
                let a = tree(d);
                fs::rename(d.join("old.txt"), d.join("new.txt")).unwrap();
                (a, tree(d))
            },
            None,
        ),
        (
            "a rename with an edit",
            |d| {
                write(d, "old.txt", TEXT);
                let a = tree(d);
                fs::remove_file(d.join("old.txt")).unwrap();
                write(
                    d,
                    "new.txt",
                    b"one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nTEN\n",
                );
                (a, tree(d))
            },
            None,
        ),
        (
            "a change of mode alone",
            |d| {
                write(d, "run.sh", b"echo hi\n");
                let a = tree(d);
                chmod(d, "run.sh", 0o755);
                (a, tree(d))
            },
            None,
        ),
        (
            "a change of mode and content",
            |d| {
                write(d, "run.sh", b"echo hi\n");
                write(d, "other", b"o\n");
                let a = tree(d);
                write(d, "run.sh", b"echo hello\n");
                chmod(d, "run.sh", 0o755);
                write(d, "other", b"O\n");
                (a, tree(d))
            },
            None,
        ),
        (
            "a change of mode alone beside other changes",
            |d| {
                write(d, "a.sh", b"echo a\n");
                write(d, "b.txt", b"b\n");
                let a = tree(d);
                chmod(d, "a.sh", 0o755);
                write(d, "b.txt", b"B\n");
                (a, tree(d))
            },
            Some(Unlike::ModeOnlyAmongOthers),
        ),
        (
            "a binary file added",
            |d| {
                write(d, "keep", b"k\n");
                let a = tree(d);
                write(d, "img.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
                (a, tree(d))
            },
            Some(Unlike::Binary),
        ),
        (
            "a binary file modified beside a text file",
            |d| {
                write(d, "img.bin", b"\0\x01\x02");
                write(d, "t.txt", b"t\n");
                let a = tree(d);
                write(d, "img.bin", b"\0\x01\x03");
                write(d, "t.txt", b"T\n");
                (a, tree(d))
            },
            Some(Unlike::Binary),
        ),
        (
            "a file taken for binary through .gitattributes",
            |d| {
                write(d, ".gitattributes", b"*.dat -diff\n");
                write(d, "x.dat", b"plain text\n");
                let a = tree(d);
                write(d, "x.dat", b"other text\n");
                (a, tree(d))
            },
            Some(Unlike::Binary),
        ),
        (
            "a file taken for binary through attr.tree",
            |d| {
                write(d, ".gitattributes", b"*.dat -diff\n");
                let attributes = tree(d);
                git(d, &["config", "attr.tree", &attributes]);
                fs::remove_file(d.join(".gitattributes")).unwrap();
                write(d, "x.dat", b"plain text\n");
                let a = tree(d);
                write(d, "x.dat", b"other text\n");
                (a, tree(d))
            },
            Some(Unlike::AttributeTree),
        ),
        (
            "a file over core.bigFileThreshold",
            |d| {
                git(d, &["config", "core.bigFileThreshold", "16"]);
                write(d, "f", TEXT);
                let a = tree(d);
                write(d, "f", b"one\ntwo\n");
                (a, tree(d))
            },
            Some(Unlike::BigFile),
        ),
        (
            "an empty file added",
            |d| {
                write(d, "keep", b"k\n");
                let a = tree(d);
                write(d, "empty", b"");
                (a, tree(d))
            },
            Some(Unlike::EmptyFileAddedOrDeleted),
        ),
        (
            "an empty file deleted",
            |d| {
                write(d, "keep", b"k\n");
                write(d, "empty", b"");
                let a = tree(d);
                fs::remove_file(d.join("empty")).unwrap();
                (a, tree(d))
            },
            Some(Unlike::EmptyFileAddedOrDeleted),
        ),
        (
            "a file emptied",
            |d| {
                write(d, "f", b"gone\n");
                let a = tree(d);
                write(d, "f", b"");
                (a, tree(d))
            },
            None,
        ),
        (
            "a form feed in a changed line",
            |d| {
                write(d, "f.c", b"int a;\n\x0c\nint b;\n");
                let a = tree(d);
                write(d, "f.c", b"int a;\n\x0c\x0c\nint b;\n");
                (a, tree(d))
            },
            Some(Unlike::FormFeedOrVerticalTab),
        ),
        (
            "a symbolic link added, and a file turned into one",
            |d| {
                write(d, "target", b"t\n");
                write(d, "was-file", b"w\n");
                let a = tree(d);
                std::os::unix::fs::symlink("target", d.join("link")).unwrap();
                fs::remove_file(d.join("was-file")).unwrap();
                std::os::unix::fs::symlink("target", d.join("was-file")).unwrap();
                (a, tree(d))
            },
            None,
        ),
        (
            "a directory turned into a file",
            |d| {
                write(d, "d/x", b"x\n");
                let a = tree(d);
                fs::remove_dir_all(d.join("d")).unwrap();
                write(d, "d", b"now a file\n");
                (a, tree(d))
            },
            None,
        ),
        (
            "a submodule added and moved",
            |d| {
                let c1 = "1111111111111111111111111111111111111111";
                let c2 = "2222222222222222222222222222222222222222";
                write(d, "keep", b"k\n");
                git(d, &["add", "-A"]);
                git(
                    d,
                    &[
                        "update-index",
                        "--add",
                        "--cacheinfo",
                        &format!("160000,{c1},sub"),
                    ],
                );
                let a = git(d, &["write-tree"]);
                git(d, &["update-index", "--cacheinfo", &format!("160000,{c2},sub")]);
                git(
                    d,
                    &[
                        "update-index",
                        "--add",
                        "--cacheinfo",
                        &format!("160000,{c1},sub2"),
                    ],
                );
                (a, git(d, &["write-tree"]))
            },
            None,
        ),
        (
            "paths with spaces, quotes, tabs and non-ASCII letters",
            |d| {
                write(d, "keep", b"k\n");
                let a = tree(d);
                write(d, "with space.txt", b"s\n");
                write(d, "with \"quote\".txt", b"q\n");
                write(d, "with\ttab.txt", b"t\n");
                write(d, "caf\u{e9}/na\u{ef}ve.txt", b"n\n");
                (a, tree(d))
            },
            None,
        ),
        (
            "a non-ASCII path under core.quotePath=false",
            |d| {
                git(d, &["config", "core.quotePath", "false"]);
                write(d, "keep", b"k\n");
                let a = tree(d);
                write(d, "caf\u{e9}.txt", b"c\n");
                (a, tree(d))
            },
            Some(Unlike::UnquotedPath),
        ),
        (
            "a block the indent heuristic slides",
            |d| {
                write(d, "b.c", b"start\n  {\n    a\n  }\n  {\n    b\n  }\nend\n");
                let a = tree(d);
                write(
                    d,
                    "b.c",
                    b"start\n  {\n    a\n  }\n  {\n    n\n  }\n  {\n    b\n  }\nend\n",
                );
                (a, tree(d))
            },
            None,
        ),
        (
            "the same block under diff.indentHeuristic=false",
            |d| {
                git(d, &["config", "diff.indentHeuristic", "false"]);
                write(d, "b.c", b"start\n  {\n    a\n  }\n  {\n    b\n  }\nend\n");
                let a = tree(d);
                write(
                    d,
                    "b.c",
                    b"start\n  {\n    a\n  }\n  {\n    n\n  }\n  {\n    b\n  }\nend\n",
                );
                (a, tree(d))
            },
            None,
        ),
        (
            "equal trees",
            |d| {
                write(d, "f", TEXT);
                let a = tree(d);
                (a.clone(), a)
            },
            None,
        ),
    ];

    #[test]
    fn patch_ids_are_gits() {
        let mut failures = Vec::new();
        for (name, make, expected) in CASES {
            let dir = assert_fs::TempDir::new().unwrap();
            git(dir.path(), &["init", "-q", "-b", "main"]);
            let (from, to) = make(dir.path());
            let want = git_says(dir.path(), &from, &to);
            let repo = Git::discover(dir.path()).unwrap().unwrap();

            let got = repo.patch_id(&from, &to).unwrap();
            if got != want {
                failures.push(format!("{name}: patch_id {got:?}, git {want:?}"));
            }
            let verdict = repo.libgit2_patch_id(&from, &to).unwrap();
            match (verdict, expected) {
                (Ok(id), None) if id == want => {}
                (Ok(id), None) => failures.push(format!("{name}: libgit2 {id:?}, git {want:?}")),
                (Err(unlike), Some(expected)) if unlike == *expected => {
                    // The fallback is needed: libgit2 alone would differ.
                    let diff = repo.patch_diff(&from, &to).unwrap();
                    let alone = diff.patchid(None).unwrap().to_string();
                    if Some(&alone) == want.as_ref() {
                        failures.push(format!(
                            "{name}: libgit2 alone agrees with git, {unlike:?} is not needed"
                        ));
                    }
                }
                (verdict, expected) => {
                    failures.push(format!("{name}: verdict {verdict:?}, expected {expected:?}"))
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn equal_trees_have_no_patch_id() {
        let dir = assert_fs::TempDir::new().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        let repo = Git::discover(dir.path()).unwrap().unwrap();
        let empty = repo.empty_tree();
        assert_eq!(repo.patch_id(empty, empty).unwrap(), None);
    }
}
