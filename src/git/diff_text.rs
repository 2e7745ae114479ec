//! Parsing `git diff-tree` output into owned values: the path for large
//! repositories, where one `git` process diffs trees faster than libgit2
//! (git skips unchanged subtrees; libgit2 reads them all).
//!
//! Paths come verbatim from `-z` records, or C-quoted in patch headers when
//! they hold special characters; both are decoded here.

use std::ffi::OsString;
use std::io::{BufRead, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::diff::{AddedFile, Change, Patch};

/// The options of a `git diff-tree` or `git log` whose output
/// [`parse_raw_and_patch`] reads: raw records with verbatim paths, then a
/// patch without context, with every setting user config could change
/// given (colour, external diffs, text conversion, renames, prefixes).
pub const RAW_AND_PATCH: &[&str] = &[
    "-r",
    "-z",
    "--raw",
    "-p",
    "-U0",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-renames",
    "--src-prefix=a/",
    "--dst-prefix=b/",
];

/// A reader that can look ahead: whether what comes next starts with some
/// bytes, however the reads fall. Many diffs in one stream are told apart
/// by a marker at the start of a line, which a plain `BufRead` cannot see
/// when it straddles two reads.
pub trait Peek: BufRead {
    fn starts_with(&mut self, prefix: &[u8]) -> bool;
}

impl Peek for &[u8] {
    fn starts_with(&mut self, prefix: &[u8]) -> bool {
        <[u8]>::starts_with(self, prefix)
    }
}

/// A buffered reader that implements [`Peek`].
pub struct Lookahead<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    eof: bool,
}

impl<R: Read> Lookahead<R> {
    pub fn new(inner: R) -> Lookahead<R> {
        Lookahead {
            inner,
            buf: Vec::with_capacity(64 * 1024),
            pos: 0,
            eof: false,
        }
    }

    /// Reads more behind what is buffered; false at the end.
    fn more(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let len = self.buf.len();
        self.buf.resize(len + 64 * 1024, 0);
        loop {
            match self.inner.read(&mut self.buf[len..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Ok(0) | Err(_) => {
                    self.buf.truncate(len);
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    self.buf.truncate(len + n);
                    return true;
                }
            }
        }
    }
}

impl<R: Read> Read for Lookahead<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Lookahead<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            self.more();
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.buf.len());
    }
}

impl<R: Read> Peek for Lookahead<R> {
    fn starts_with(&mut self, prefix: &[u8]) -> bool {
        while self.buf.len() - self.pos < prefix.len() {
            if !self.more() {
                break;
            }
        }
        self.buf[self.pos..].starts_with(prefix)
    }
}

/// Parses `diff-tree -z --raw -p` output: the raw records
/// (`:modes ids STATUS\0path\0`), a NUL, then the patch, up to a line
/// that starts with `stop` (or the end).
pub fn parse_raw_and_patch<R: Peek + ?Sized>(
    reader: &mut R,
    max_bytes: u64,
    stop: Option<&[u8]>,
) -> (Vec<Change>, Patch) {
    let mut changes = Vec::new();
    let mut field = Vec::new();
    loop {
        let starts_record = matches!(reader.fill_buf(), Ok(buf) if buf.first() == Some(&b':'));
        if !starts_record {
            break;
        }
        field.clear();
        if reader.read_until(0, &mut field).unwrap_or(0) == 0 {
            break;
        }
        // `:100644 100644 <id> <id> M`: the status is the last word.
        let status = field
            .strip_suffix(&[0])
            .unwrap_or(&field)
            .rsplit(|b| *b == b' ')
            .next()
            .and_then(|w| w.first().copied())
            .unwrap_or(b'M');
        field.clear();
        if reader.read_until(0, &mut field).unwrap_or(0) == 0 {
            break;
        }
        let path = field.strip_suffix(&[0]).unwrap_or(&field).to_vec();
        changes.push(Change {
            status: status as char,
            path: PathBuf::from(OsString::from_vec(path)),
        });
    }
    // The NUL that ends the raw part.
    if matches!(reader.fill_buf(), Ok(buf) if buf.first() == Some(&0)) {
        reader.consume(1);
    }
    (changes, parse_patch(reader, max_bytes, stop))
}

/// Parses `diff-tree -z --name-status` output: `S\0path\0` records.
pub fn parse_name_status(out: &[u8]) -> Vec<Change> {
    let mut fields = out.split(|b| *b == 0);
    let mut changes = Vec::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        if status.is_empty() {
            break;
        }
        changes.push(Change {
            status: status[0] as char,
            path: PathBuf::from(OsString::from_vec(path.to_vec())),
        });
    }
    changes
}

/// Parses a `-U0` patch, keeping the added lines of each file up to
/// `max_bytes` of added text per file, up to a line that starts with
/// `stop` (or the end). No line of a patch starts with a word other than
/// git's own (`diff`, `index`, `---`, `+`…), so a marker word is safe.
pub fn parse_patch<R: Peek + ?Sized>(reader: &mut R, max_bytes: u64, stop: Option<&[u8]>) -> Patch {
    let mut patch = Patch::default();
    let mut current: Option<(AddedFile, u64)> = None;
    let mut next_line: u32 = 0;
    let mut buf = Vec::new();

    let finish = |patch: &mut Patch, current: &mut Option<(AddedFile, u64)>| {
        if let Some((file, bytes)) = current.take() {
            if bytes > max_bytes {
                patch.oversized.push(file.path);
            } else if !file.lines.is_empty() {
                patch.files.push(file);
            }
        }
    };

    loop {
        if let Some(stop) = stop
            && reader.starts_with(stop)
        {
            break;
        }
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        let line = buf.as_slice();
        if line.starts_with(b"diff --git ") {
            finish(&mut patch, &mut current);
        } else if line.starts_with(b"Binary files ") {
            patch.binary += 1;
        } else if let Some(name) = line.strip_prefix(b"+++ ") {
            if let Some(path) = new_path(name) {
                current = Some((
                    AddedFile {
                        path,
                        lines: Vec::new(),
                    },
                    0,
                ));
            }
        } else if line.starts_with(b"@@ ") {
            next_line = hunk_new_start(line).unwrap_or(0);
        } else if let Some(text) = line.strip_prefix(b"+") {
            if let Some((file, bytes)) = current.as_mut() {
                *bytes += text.len() as u64 + 1;
                if *bytes <= max_bytes {
                    file.lines.push((next_line, text.to_vec()));
                } else {
                    file.lines.clear();
                }
            }
            next_line += 1;
        }
    }
    finish(&mut patch, &mut current);
    patch
}

/// The path of a `+++ b/path` header; `None` for `/dev/null`.
fn new_path(name: &[u8]) -> Option<PathBuf> {
    let raw = if name.first() == Some(&b'"') {
        unquote(name)?
    } else {
        // Git ends the name with a tab when it contains a space.
        name.strip_suffix(b"\t").unwrap_or(name).to_vec()
    };
    let path = raw.strip_prefix(b"b/")?;
    Some(PathBuf::from(OsString::from_vec(path.to_vec())))
}

/// Decodes git's C-style quoting: `"a\tb\303\251"`.
fn unquote(quoted: &[u8]) -> Option<Vec<u8>> {
    let inner = quoted.strip_prefix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        match inner[i] {
            b'"' => return Some(out),
            b'\\' => {
                let c = *inner.get(i + 1)?;
                i += 2;
                out.push(match c {
                    b'a' => 0x07,
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'v' => 0x0b,
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'0'..=b'3' => {
                        let digits = inner.get(i..i + 2)?;
                        i += 2;
                        let value = u32::from(c - b'0') * 64
                            + u32::from(digits[0].wrapping_sub(b'0')) * 8
                            + u32::from(digits[1].wrapping_sub(b'0'));
                        u8::try_from(value).ok()?
                    }
                    other => other,
                });
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    None
}

/// The new-file start line of a hunk header `@@ -a,b +c,d @@`.
fn hunk_new_start(line: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(line).ok()?;
    let plus = text.split(' ').find(|part| part.starts_with('+'))?;
    plus[1..].split(',').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_status_keeps_odd_names() {
        let out = b"A\0new\nline.txt\0M\0caf\xe9.txt\0D\0sp ace\0";
        let changes = parse_name_status(out);
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].path.as_os_str().as_encoded_bytes(), b"new\nline.txt");
        assert_eq!(changes[1].path.as_os_str().as_encoded_bytes(), b"caf\xe9.txt");
        assert_eq!(changes[2].status, 'D');
    }

    #[test]
    fn unquotes_c_style() {
        assert_eq!(
            unquote(b"\"b/caf\\303\\251.txt\"").unwrap(),
            "b/café.txt".as_bytes()
        );
        assert_eq!(
            unquote(b"\"b/new\\nline\\t\\\"q\\\"\\\\\"").unwrap(),
            b"b/new\nline\t\"q\"\\"
        );
    }

    #[test]
    fn raw_records_then_patch() {
        let text: &[u8] = b":100644 100644 aaa bbb M\0d/a b.py\0:000000 100644 000 ccc A\0new\nline\0\0diff --git a/d/a b.py b/d/a b.py\n--- a/d/a b.py\n+++ b/d/a b.py\t\n@@ -1,0 +2 @@\n+added\n";
        let (changes, patch) = parse_raw_and_patch(&mut &text[..], 1000, None);
        assert_eq!(
            changes,
            vec![
                Change {
                    status: 'M',
                    path: PathBuf::from("d/a b.py")
                },
                Change {
                    status: 'A',
                    path: PathBuf::from("new\nline")
                },
            ]
        );
        assert_eq!(patch.files.len(), 1);
        assert_eq!(patch.files[0].lines, vec![(2, b"added".to_vec())]);
    }

    #[test]
    fn patch_lines_numbers_and_limits() {
        let text: &[u8] = b"diff --git a/a.py b/a.py\n\
index 1..2 100644\n\
--- a/a.py\n\
+++ b/a.py\n\
@@ -3,0 +4,2 @@ def f():\n\
+x = 1\n\
+y = 2\n\
@@ -10 +12 @@\n\
-old\n\
+new\n\
\\ No newline at end of file\n\
diff --git a/bin b/bin\n\
Binary files a/bin and b/bin differ\n\
diff --git a/sp ace b/sp ace\n\
--- /dev/null\n\
+++ b/sp ace\t\n\
@@ -0,0 +1 @@\n\
+0123456789\n\
diff --git a/gone b/gone\n\
--- a/gone\n\
+++ /dev/null\n\
@@ -1 +0,0 @@\n\
-bye\n";
        let patch = parse_patch(&mut &text[..], 1000, None);
        assert_eq!(patch.binary, 1);
        assert_eq!(patch.files.len(), 2);
        assert_eq!(patch.files[0].path, PathBuf::from("a.py"));
        assert_eq!(
            patch.files[0].lines,
            vec![
                (4, b"x = 1".to_vec()),
                (5, b"y = 2".to_vec()),
                (12, b"new".to_vec())
            ]
        );
        assert_eq!(patch.files[1].path, PathBuf::from("sp ace"));

        let small = parse_patch(&mut &text[..], 8, None);
        assert_eq!(
            small.oversized,
            vec![PathBuf::from("a.py"), PathBuf::from("sp ace")]
        );
        assert!(small.files.is_empty());
    }
}
