//! Commit message trailers, found exactly the way git finds them.
//!
//! A reimplementation of git's `trailer.c` (the rules `git interpret-trailers
//! --parse` applies), because the agent-trailer rule must agree with git on
//! what a trailer is, and spawning git for it on every commit costs time.
//! libgit2's parser differs (no unfolding, fixed comment character), so it
//! is not used. The rules, in git's order:
//!
//! 1. The message ends before a `---` divider line (a patch) and before
//!    trailing comment lines, blank lines, an old `Conflicts:` block, and
//!    everything below a scissors line.
//! 2. The first paragraph is the title and never holds trailers.
//! 3. The trailer block is the last paragraph, if it consists only of
//!    trailer lines (`Key: value`, key of letters, digits and `-`, optional
//!    spaces before the colon), or of at least 25 % trailers including a
//!    git-generated one (`Signed-off-by: `, `(cherry picked from commit `).
//! 4. Lines starting with whitespace continue the previous trailer; values
//!    are unfolded to one line. Comment lines are ignored throughout.
//!
//! The integration tests compare this parser with `git interpret-trailers
//! --parse` on a table of tricky messages.

/// One trailer: its key as written and its unfolded value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailer {
    pub key: String,
    pub value: String,
}

/// The trailers of a message and where its trailer block is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trailers {
    pub items: Vec<Trailer>,
    /// Byte offset where the trailer block starts (== `end` when there is none).
    pub start: usize,
    /// Byte offset where the message proper ends (trailing comments and
    /// blank lines, a patch or a scissors section follow).
    pub end: usize,
}

impl Trailers {
    /// The first trailer whose key equals `key`, compared case-insensitively.
    pub fn get(&self, key: &str) -> Option<&Trailer> {
        self.items.iter().find(|t| t.key.eq_ignore_ascii_case(key))
    }

    pub fn has_block(&self) -> bool {
        self.start < self.end
    }
}

const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];
const CUT_LINE: &str = "------------------------ >8 ------------------------";

/// git's own `isspace` (its ctype table marks only these four bytes as
/// space, unlike C's, which adds vertical tab and form feed).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses the trailers of `message`; `comment` is what starts a comment line.
pub fn parse(message: &str, comment: &str) -> Trailers {
    // git reads a message up to its first NUL, and (since 2.46.2) completes
    // an unfinished last line before looking for trailers.
    let cut = message.find('\0').map_or(message, |i| &message[..i]);
    let completed;
    let text = if !cut.is_empty() && !cut.ends_with('\n') {
        completed = format!("{cut}\n");
        completed.as_str()
    } else {
        cut
    };
    let mut trailers = parse_complete(text, comment);
    trailers.start = trailers.start.min(message.len());
    trailers.end = trailers.end.min(message.len());
    trailers
}

fn parse_complete(message: &str, comment: &str) -> Trailers {
    let end = end_of_log_message(message, comment);
    let start = trailer_block_start(message, end, comment);
    let mut items = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut last_is_trailer = false;
    for line in message[start..end].split_inclusive('\n') {
        if last_is_trailer && line.as_bytes().first().is_some_and(|b| is_space(*b)) {
            if let Some(last) = lines.last_mut() {
                last.push_str(line);
            }
            continue;
        }
        last_is_trailer = find_separator(line.as_bytes()).is_some_and(|p| p >= 1);
        lines.push(line.to_string());
    }
    for line in &lines {
        if line.starts_with(comment) {
            continue;
        }
        if let Some(pos) = find_separator(line.as_bytes()).filter(|p| *p >= 1) {
            items.push(Trailer {
                key: line[..pos]
                    .trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
                    .to_string(),
                value: unfold(&line[pos + 1..]),
            });
        }
    }
    Trailers { items, start, end }
}

/// Returns `message` with `key: value` added as the last trailer, starting
/// a trailer block (after a blank line) when there is none.
pub fn append(message: &str, comment: &str, key: &str, value: &str) -> String {
    let trailers = parse(message, comment);
    let (head, tail) = message.split_at(trailers.end);
    let out = append_between(head.as_bytes(), tail.as_bytes(), trailers.has_block(), key, value);
    // Valid UTF-8 in, valid UTF-8 added.
    String::from_utf8(out).unwrap_or_default()
}

/// [`append`] on a message as git stores it, which need not be UTF-8:
/// every byte of `raw` is kept as it was (a lossy decoding would turn a
/// Latin-1 `é` into U+FFFD). The trailers are found in the decoded text;
/// the part after them is found again in `raw` by its bytes, and if it
/// cannot be (it holds undecodable bytes itself), the trailer goes at the
/// end.
pub fn append_raw(raw: &[u8], comment: &str, key: &str, value: &str) -> Vec<u8> {
    let message = String::from_utf8_lossy(raw);
    if let std::borrow::Cow::Borrowed(text) = message {
        return append(text, comment, key, value).into_bytes();
    }
    let trailers = parse(&message, comment);
    let tail = message[trailers.end..].as_bytes();
    let (head, tail, has_block) = if raw.ends_with(tail) {
        (&raw[..raw.len() - tail.len()], tail, trailers.has_block())
    } else {
        (raw, &b""[..], false)
    };
    append_between(head, tail, has_block, key, value)
}

/// `head`, the trailer `key: value` (after a blank line when `head` has no
/// trailer block to join), then `tail`.
fn append_between(head: &[u8], tail: &[u8], has_block: bool, key: &str, value: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + tail.len() + key.len() + value.len() + 4);
    out.extend_from_slice(head);
    if !head.is_empty() && !head.ends_with(b"\n") {
        out.push(b'\n');
    }
    if !has_block && !head.iter().all(u8::is_ascii_whitespace) {
        out.push(b'\n');
    }
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(tail);
    out
}

/// git's `find_separator` with `:` as the only separator: the position of
/// the `:` after a key of alphanumerics and `-` and optional blanks.
fn find_separator(line: &[u8]) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if c == b':' {
            return Some(i);
        }
        if !whitespace_found && (c.is_ascii_alphanumeric() || c == b'-') {
            continue;
        }
        if i != 0 && (c == b' ' || c == b'\t') {
            whitespace_found = true;
            continue;
        }
        break;
    }
    None
}

/// Collapses continuation lines into one, as `--unfold` does.
fn unfold(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        i += 1;
        if c == b'\n' {
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            out.push(b' ');
        } else {
            out.push(c);
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    text.trim_matches(|c: char| c.is_ascii() && is_space(c as u8))
        .to_string()
}

fn is_blank_line(s: &[u8]) -> bool {
    s.iter().take_while(|b| **b != b'\n').all(|b| is_space(*b))
}

/// Start of the line after position `i`, or the end of `s`.
fn next_line(s: &[u8], i: usize) -> usize {
    match s[i..].iter().position(|b| *b == b'\n') {
        Some(n) => i + n + 1,
        None => s.len(),
    }
}

/// Start of the last line of `s[..len]`, or `None` when `len` is 0.
fn last_line(s: &[u8], len: usize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    if len == 1 {
        return Some(0);
    }
    Some((0..=len - 2).rev().find(|&i| s[i] == b'\n').map_or(0, |i| i + 1))
}

/// Where the log message ends: before a `---` divider and before the
/// ignorable tail (trailing comments, blank lines, a `Conflicts:` block,
/// a scissors section).
fn end_of_log_message(message: &str, comment: &str) -> usize {
    let s = message.as_bytes();
    let mut end = s.len();
    let mut i = 0;
    while i < s.len() {
        if s[i..].starts_with(b"---") && s.get(i + 3).is_some_and(|b| is_space(*b)) {
            end = i;
            break;
        }
        i = next_line(s, i);
    }
    end - ignored_bytes(&s[..end], comment)
}

/// git's `ignored_log_message_bytes`.
fn ignored_bytes(s: &[u8], comment: &str) -> usize {
    let len = s.len();
    let cutoff = scissors_position(s, comment);
    let mut boc = 0;
    let mut bol = 0;
    let mut in_conflicts = false;
    while bol < cutoff {
        let next = next_line(s, bol);
        let line = &s[bol..];
        if s[bol..cutoff].starts_with(comment.as_bytes()) || s[bol] == b'\n' {
            if boc == 0 {
                boc = bol;
            }
        } else if line.starts_with(b"Conflicts:\n") {
            in_conflicts = true;
            if boc == 0 {
                boc = bol;
            }
        } else if in_conflicts && s[bol] == b'\t' {
            // a path in the conflicts block
        } else if boc != 0 {
            boc = 0;
            in_conflicts = false;
        }
        bol = next;
    }
    if boc != 0 { len - boc } else { len - cutoff }
}

/// Position of the scissors line (`# ---- >8 ----`), or the length.
fn scissors_position(s: &[u8], comment: &str) -> usize {
    let pattern = format!("{comment} {CUT_LINE}\n");
    let pattern = pattern.as_bytes();
    if s.starts_with(pattern) {
        return 0;
    }
    let mut with_newline = Vec::with_capacity(pattern.len() + 1);
    with_newline.push(b'\n');
    with_newline.extend_from_slice(pattern);
    s.windows(with_newline.len())
        .position(|w| w == with_newline.as_slice())
        .map_or(s.len(), |p| p + 1)
}

/// git's `find_trailer_block_start`.
fn trailer_block_start(message: &str, len: usize, comment: &str) -> usize {
    let s = message.as_bytes();
    let comment = comment.as_bytes();

    // The first paragraph is the title and cannot hold trailers.
    let mut pos = 0;
    while pos < len {
        if s[pos..len].starts_with(comment) {
            pos = next_line(s, pos);
            continue;
        }
        if is_blank_line(&s[pos..]) {
            break;
        }
        pos = next_line(s, pos);
    }
    let end_of_title = pos;

    let mut only_spaces = true;
    let mut recognized_prefix = false;
    let mut trailer_lines = 0usize;
    let mut non_trailer_lines = 0usize;
    let mut possible_continuation_lines = 0usize;

    let mut cursor = last_line(s, len);
    while let Some(l) = cursor.filter(|l| *l >= end_of_title) {
        cursor = last_line(s, l);
        let bol = &s[l..];
        if bol.starts_with(comment) {
            non_trailer_lines += possible_continuation_lines;
            possible_continuation_lines = 0;
            continue;
        }
        if is_blank_line(bol) {
            if only_spaces {
                continue;
            }
            non_trailer_lines += possible_continuation_lines;
            if (recognized_prefix && trailer_lines * 3 >= non_trailer_lines)
                || (trailer_lines > 0 && non_trailer_lines == 0)
            {
                return next_line(s, l);
            }
            return len;
        }
        only_spaces = false;

        if GIT_GENERATED_PREFIXES
            .iter()
            .any(|p| bol.starts_with(p.as_bytes()))
        {
            trailer_lines += 1;
            possible_continuation_lines = 0;
            recognized_prefix = true;
            continue;
        }
        let separator = find_separator(bol);
        if separator.is_some_and(|p| p >= 1) && !is_space(bol[0]) {
            trailer_lines += 1;
            possible_continuation_lines = 0;
        } else if is_space(bol[0]) {
            possible_continuation_lines += 1;
        } else {
            non_trailer_lines += 1 + possible_continuation_lines;
            possible_continuation_lines = 0;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_raw_keeps_bytes_that_are_not_utf8() {
        assert_eq!(
            append_raw(b"subj \xe9\n\nAgent: x\n", "#", "Reviewed-by", "r"),
            b"subj \xe9\n\nAgent: x\nReviewed-by: r\n".to_vec()
        );
        // No trailer block yet: one is started after a blank line.
        assert_eq!(
            append_raw(b"subj \xe9\n", "#", "Reviewed-by", "r"),
            b"subj \xe9\n\nReviewed-by: r\n".to_vec()
        );
        // UTF-8 messages go the way `append` takes them.
        assert_eq!(
            append_raw(
                "subj é\n\nAgent: x\n# comment\n".as_bytes(),
                "#",
                "Reviewed-by",
                "r"
            ),
            append("subj é\n\nAgent: x\n# comment\n", "#", "Reviewed-by", "r").into_bytes()
        );
    }

    fn keys(message: &str) -> Vec<(String, String)> {
        parse(message, "#")
            .items
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()
    }

    #[test]
    fn simple_trailer_block() {
        assert_eq!(
            keys("subject\n\nbody\n\nAgent: claude\n"),
            [("Agent".into(), "claude".into())]
        );
        assert!(keys("Agent: claude\n").is_empty(), "the title is never a trailer");
        assert!(
            keys("subject\nAgent: claude\n").is_empty(),
            "still the title paragraph"
        );
        assert!(
            keys("subject\n\nsome text\nAgent: x\n").is_empty(),
            "mixed paragraph"
        );
    }

    #[test]
    fn continuation_and_comments() {
        assert_eq!(
            keys("s\n\nAgent: a\n  b\n# comment\n"),
            [("Agent".into(), "a b".into())]
        );
    }

    #[test]
    fn append_adds_or_extends_the_block() {
        assert_eq!(append("s\n", "#", "Reviewed-by", "r"), "s\n\nReviewed-by: r\n");
        assert_eq!(append("s", "#", "Reviewed-by", "r"), "s\n\nReviewed-by: r\n");
        assert_eq!(
            append("s\n\nAgent: a\n", "#", "Reviewed-by", "r"),
            "s\n\nAgent: a\nReviewed-by: r\n"
        );
        assert_eq!(
            append(
                "s\n\nAgent: a\n\n# Please enter\n# lines\n",
                "#",
                "Reviewed-by",
                "r"
            ),
            "s\n\nAgent: a\nReviewed-by: r\n\n# Please enter\n# lines\n"
        );
    }
}
