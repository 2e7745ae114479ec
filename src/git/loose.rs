//! Writing loose objects directly: the receipt's path on every commit.
//!
//! libgit2 writes an object by first trying to "freshen" a copy that may
//! exist (a `utime`, then a rescan of `objects/pack`), then a temporary
//! file, a link, an unlink, and it reads back each object a later one
//! names; and a deflate stream costs more to set up (a few hundred KB of
//! tables) than a receipt takes to compress. A note is four objects on
//! every commit. Here an object is one new file renamed into place, as git
//! itself does, a tree is serialized in memory, and the object is stored
//! in zlib's "stored" blocks: a valid zlib stream git reads like any
//! other, barely larger (a notes tree is mostly binary ids, which do not
//! compress), and packed with compression by the next `git gc`. An
//! object that already exists is simply written again: the same id is the
//! same content.
//!
//! SHA-1 repositories only (libgit2 opens no other); ids are computed by
//! libgit2's hasher, so they are exactly git's.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// One entry of a tree: its mode as git writes it (`100644`, `40000`…),
/// name and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub mode: u32,
    pub name: Vec<u8>,
    pub id: git2::Oid,
}

impl Entry {
    fn is_tree(&self) -> bool {
        self.mode == 0o040000
    }
}

/// A tree's bytes, its entries in git's order: by name, a tree's name
/// compared as if it ended in `/`.
pub fn tree_bytes(entries: &mut [Entry]) -> Vec<u8> {
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            let mut name = e.name.clone();
            if e.is_tree() {
                name.push(b'/');
            }
            name
        };
        key(a).cmp(&key(b))
    });
    let mut out = Vec::with_capacity(entries.len() * 60);
    for entry in entries.iter() {
        out.extend_from_slice(format!("{:o} ", entry.mode).as_bytes());
        out.extend_from_slice(&entry.name);
        out.push(0);
        out.extend_from_slice(entry.id.as_bytes());
    }
    out
}

/// The entries of a libgit2 tree.
pub fn entries_of(tree: &git2::Tree<'_>) -> Vec<Entry> {
    tree.iter()
        .map(|e| Entry {
            mode: e.filemode() as u32,
            name: e.name_bytes().to_vec(),
            id: e.id(),
        })
        .collect()
}

/// A commit's bytes.
pub fn commit_bytes(
    tree: git2::Oid,
    parents: &[git2::Oid],
    who: &git2::Signature<'_>,
    message: &str,
) -> Vec<u8> {
    let when = who.when();
    let offset = when.offset_minutes();
    let sign = if offset < 0 { '-' } else { '+' };
    let ident = format!(
        "{} <{}> {} {sign}{:02}{:02}",
        String::from_utf8_lossy(who.name_bytes()),
        String::from_utf8_lossy(who.email_bytes()),
        when.seconds(),
        offset.abs() / 60,
        offset.abs() % 60
    );
    let mut out = format!("tree {tree}\n");
    for parent in parents {
        out.push_str(&format!("parent {parent}\n"));
    }
    out.push_str(&format!("author {ident}\ncommitter {ident}\n\n{message}"));
    if !message.ends_with('\n') {
        out.push('\n');
    }
    out.into_bytes()
}

/// Where objects are written: `GIT_OBJECT_DIRECTORY` when git set it (a
/// hook inside a quarantine), else `<common dir>/objects`.
pub fn objects_dir(common_dir: &Path) -> PathBuf {
    match std::env::var_os("GIT_OBJECT_DIRECTORY") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir().map(|cwd| cwd.join(&dir)).unwrap_or(dir)
            }
        }
        _ => common_dir.join("objects"),
    }
}

/// Writes an object of `kind` with `content` as a loose object under
/// `objects`; its id.
pub fn write(objects: &Path, kind: git2::ObjectType, content: &[u8]) -> std::io::Result<git2::Oid> {
    let id = git2::Oid::hash_object(kind, content).map_err(std::io::Error::other)?;
    let hex = id.to_string();
    let mut object = format!("{} {}\0", kind.str(), content.len()).into_bytes();
    object.extend_from_slice(content);
    let stored = zlib_stored(&object);

    // Written beside its final name, so the rename stays in one
    // directory; named by this process and object: a name left by a
    // process that died with this one's id is removed and taken.
    let fan = objects.join(&hex[..2]);
    let temp = fan.join(format!("tmp_obj_enforce_{}_{}", std::process::id(), &hex[2..]));
    let create = || {
        // Read-only from the start, as git leaves objects.
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o444)
            .open(&temp)
    };
    let mut file = match create() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(&fan)?;
            create()?
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            fs::remove_file(&temp)?;
            create()?
        }
        other => other?,
    };
    let written = file.write_all(&stored).and_then(|()| {
        drop(file);
        fs::rename(&temp, fan.join(&hex[2..]))
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    Ok(id)
}

/// `data` as a zlib stream of stored (uncompressed) blocks (RFC 1950 and
/// RFC 1951, section 3.2.4): the header, blocks of at most 65,535 bytes
/// each with its length and the length's complement, the Adler-32 of the
/// data.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 65_535 * 5 + 11);
    // Deflate with a 32 KB window, no preset dictionary, fastest level:
    // 0x7801, whose value is a multiple of 31 as the header requires.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        let len = block.len() as u16;
        out.push(u8::from(last));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::test_git::git;

    #[test]
    fn stored_streams_inflate_to_what_was_stored() {
        use std::io::Read;
        for size in [0usize, 1, 1100, 65_535, 65_536, 200_000] {
            let data: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&zlib_stored(&data)[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "{size} bytes");
        }
    }

    #[test]
    fn objects_written_here_are_the_ones_git_writes() {
        let dir = assert_fs::TempDir::new().unwrap();
        git(dir.path(), &["init", "-q"]);
        let objects = dir.path().join(".git/objects");
        let blob = write(&objects, git2::ObjectType::Blob, b"note\n").unwrap();
        std::fs::write(dir.path().join("note"), "note\n").unwrap();
        assert_eq!(blob.to_string(), git(dir.path(), &["hash-object", "note"]));
        assert_eq!(git(dir.path(), &["cat-file", "-p", &blob.to_string()]), "note");

        // A tree whose entries need git's order ("ab" the tree sorts after
        // "ab.txt", as "ab/").
        let sub = write(
            &objects,
            git2::ObjectType::Tree,
            &tree_bytes(&mut [Entry {
                mode: 0o100644,
                name: b"x".to_vec(),
                id: blob,
            }]),
        )
        .unwrap();
        let mut entries = vec![
            Entry {
                mode: 0o040000,
                name: b"ab".to_vec(),
                id: sub,
            },
            Entry {
                mode: 0o100644,
                name: b"ab.txt".to_vec(),
                id: blob,
            },
            Entry {
                mode: 0o100644,
                name: b"a".to_vec(),
                id: blob,
            },
        ];
        let tree = write(&objects, git2::ObjectType::Tree, &tree_bytes(&mut entries)).unwrap();
        let listed = git(dir.path(), &["ls-tree", &tree.to_string()]);
        let names: Vec<&str> = listed.lines().map(|l| l.split('\t').nth(1).unwrap()).collect();
        assert_eq!(names, ["a", "ab.txt", "ab"]);
        git(dir.path(), &["fsck", "--strict", "--no-dangling"]);

        let repo = git2::Repository::open(dir.path()).unwrap();
        let who =
            git2::Signature::new("A U Thor", "a@example.com", &git2::Time::new(1_700_000_000, -90)).unwrap();
        let commit = write(
            &objects,
            git2::ObjectType::Commit,
            &commit_bytes(tree, &[], &who, "enforce: receipt"),
        )
        .unwrap();
        let found = repo.find_commit(commit).unwrap();
        assert_eq!(found.tree_id(), tree);
        assert_eq!(found.author().when().offset_minutes(), -90);
        assert_eq!(found.message().unwrap(), "enforce: receipt\n");
        git(dir.path(), &["fsck", "--strict", "--no-dangling"]);
    }
}
