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
//! What separates a key from its value (`trailer.separators`, `:` by
//! default) and what starts a comment line (`core.commentChar`/
//! `core.commentString`) come from the repository's config, as
//! [`Syntax`]; git's `trailer.<key>.*` settings are not read.
//!
//! The integration tests compare this parser with `git interpret-trailers
//! --parse` on a table of tricky messages, under the default syntax and
//! under other separators and comment strings given with `git -c`.

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

/// How git reads trailers here: what starts a comment line, and which
/// characters may end a trailer's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syntax {
    /// What starts a comment line (`core.commentChar`, or its alias
    /// `core.commentString`; `#` by default).
    pub comment: String,
    /// `core.commentChar = auto`: `git commit` picks the comment character
    /// for each message it prepares (see [`Syntax::for_message_file`]);
    /// every other reader, `git interpret-trailers` among them, keeps
    /// [`Syntax::comment`].
    pub auto_comment: bool,
    /// `trailer.separators`: each character may end a key (`:` by default).
    /// Compared byte by byte, as git does.
    pub separators: String,
}

impl Default for Syntax {
    fn default() -> Syntax {
        Syntax {
            comment: "#".into(),
            auto_comment: false,
            separators: ":".into(),
        }
    }
}

/// The characters `git commit` chooses from for `core.commentChar = auto`,
/// in its order (builtin/commit.c).
const AUTO_COMMENT_CANDIDATES: &str = "#;@!$%^&|:";

impl Syntax {
    /// The syntax the config `entries` give, in the order git reads them
    /// (lowest level first, the command line last): the last value of
    /// `core.commentChar`/`core.commentString` wins whichever of the two
    /// it is (they are aliases), `auto` keeps the comment string set
    /// before it, and the last `trailer.separators` wins. Values git
    /// refuses (empty, or with a line break, or no value at all) are
    /// skipped: git stops before any hook runs with them.
    pub fn from_config<'a>(entries: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Syntax {
        let mut syntax = Syntax::default();
        for (key, value) in entries {
            let Some(value) = value else { continue };
            match key {
                "core.commentchar" | "core.commentstring" => {
                    if value.eq_ignore_ascii_case("auto") {
                        syntax.auto_comment = true;
                    } else if !value.is_empty() && !value.contains('\n') {
                        syntax.comment = value.to_string();
                        syntax.auto_comment = false;
                    }
                }
                "trailer.separators" => syntax.separators = value.to_string(),
                _ => {}
            }
        }
        syntax
    }

    /// The syntax of a message file `git commit` prepared for its hooks.
    /// With `core.commentChar = auto`, git chose the first of
    /// `#;@!$%^&|:` that started no line of the message it began with,
    /// and wrote its own comment lines below the message with it. That
    /// is found again here as the first candidate that starts no line of
    /// the message above its trailing comment lines (read with that
    /// candidate); without `auto`, `self` as it is.
    pub fn for_message_file(&self, message: &str) -> Syntax {
        if !self.auto_comment {
            return self.clone();
        }
        let bytes = message.as_bytes();
        let chosen = AUTO_COMMENT_CANDIDATES.chars().find(|&c| {
            let comment = c.to_string();
            let end = bytes.len() - ignored_bytes(bytes, &comment);
            !line_starts(&bytes[..end]).any(|b| b == c as u8)
        });
        Syntax {
            comment: chosen.map_or_else(|| self.comment.clone(), |c| c.to_string()),
            auto_comment: false,
            separators: self.separators.clone(),
        }
    }

    /// The separator [`append`] writes: git writes the first of
    /// `trailer.separators`; the first ASCII one here, so that what is
    /// written is one whole character (`:` when there is none).
    fn written_separator(&self) -> char {
        self.separators.chars().find(char::is_ascii).unwrap_or(':')
    }

    fn is_separator(&self, b: u8) -> bool {
        self.separators.as_bytes().contains(&b)
    }
}

/// The first byte of every line of `s`.
fn line_starts(s: &[u8]) -> impl Iterator<Item = u8> + '_ {
    s.first().copied().into_iter().chain(
        s.windows(2)
            .filter(|w| matches!(w[0], b'\n' | b'\r'))
            .map(|w| w[1]),
    )
}

const GIT_GENERATED_PREFIXES: [&str; 2] = ["Signed-off-by: ", "(cherry picked from commit "];
const CUT_LINE: &str = "------------------------ >8 ------------------------";

/// git's own `isspace` (its ctype table marks only these four bytes as
/// space, unlike C's, which adds vertical tab and form feed).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses the trailers of `message` as git reads them with `syntax`.
pub fn parse(message: &str, syntax: &Syntax) -> Trailers {
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
    let mut trailers = parse_complete(text, syntax);
    trailers.start = trailers.start.min(message.len());
    trailers.end = trailers.end.min(message.len());
    trailers
}

fn parse_complete(message: &str, syntax: &Syntax) -> Trailers {
    let comment = syntax.comment.as_str();
    let end = end_of_log_message(message, comment);
    let start = trailer_block_start(message, end, syntax);
    let mut items = Vec::new();
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut last_is_trailer = false;
    for line in message.as_bytes()[start..end].split_inclusive(|b| *b == b'\n') {
        if last_is_trailer && line.first().is_some_and(|b| is_space(*b)) {
            if let Some(last) = lines.last_mut() {
                last.extend_from_slice(line);
            }
            continue;
        }
        last_is_trailer = find_separator(line, syntax).is_some_and(|p| p >= 1);
        lines.push(line.to_vec());
    }
    for line in &lines {
        if line.starts_with(comment.as_bytes()) {
            continue;
        }
        if let Some(pos) = find_separator(line, syntax).filter(|p| *p >= 1) {
            // A separator that is not ASCII may end inside a character:
            // the bytes are decoded as they fall.
            items.push(Trailer {
                key: String::from_utf8_lossy(trim(&line[..pos])).into_owned(),
                value: unfold(&line[pos + 1..]),
            });
        }
    }
    Trailers { items, start, end }
}

/// `s` without git's spaces at either end.
fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !is_space(*b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_space(*b)).map_or(start, |i| i + 1);
    &s[start..end]
}

/// Returns `message` with `key: value` added as the last trailer, starting
/// a trailer block (after a blank line) when there is none. The separator
/// is the first of `trailer.separators`, as git writes it.
pub fn append(message: &str, syntax: &Syntax, key: &str, value: &str) -> String {
    let trailers = parse(message, syntax);
    let (head, tail) = message.split_at(trailers.end);
    let line = trailer_line(syntax, key, value);
    let out = append_between(head.as_bytes(), tail.as_bytes(), trailers.has_block(), &line);
    // Valid UTF-8 in, valid UTF-8 added.
    String::from_utf8(out).unwrap_or_default()
}

/// [`append`] on a message as git stores it, which need not be UTF-8:
/// every byte of `raw` is kept as it was (a lossy decoding would turn a
/// Latin-1 `é` into U+FFFD). The trailers are found in the decoded text;
/// the part after them is found again in `raw` by its bytes, and if it
/// cannot be (it holds undecodable bytes itself), the trailer goes at the
/// end.
pub fn append_raw(raw: &[u8], syntax: &Syntax, key: &str, value: &str) -> Vec<u8> {
    let message = String::from_utf8_lossy(raw);
    if let std::borrow::Cow::Borrowed(text) = message {
        return append(text, syntax, key, value).into_bytes();
    }
    let trailers = parse(&message, syntax);
    let tail = message[trailers.end..].as_bytes();
    let (head, tail, has_block) = if raw.ends_with(tail) {
        (&raw[..raw.len() - tail.len()], tail, trailers.has_block())
    } else {
        (raw, &b""[..], false)
    };
    append_between(head, tail, has_block, &trailer_line(syntax, key, value))
}

/// `key: value` with the separator git would write.
fn trailer_line(syntax: &Syntax, key: &str, value: &str) -> String {
    format!("{key}{} {value}", syntax.written_separator())
}

/// `head`, the trailer `line` (after a blank line when `head` has no
/// trailer block to join), then `tail`.
fn append_between(head: &[u8], tail: &[u8], has_block: bool, line: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + tail.len() + line.len() + 3);
    out.extend_from_slice(head);
    if !head.is_empty() && !head.ends_with(b"\n") {
        out.push(b'\n');
    }
    if !has_block && !head.iter().all(u8::is_ascii_whitespace) {
        out.push(b'\n');
    }
    out.extend_from_slice(line.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(tail);
    out
}

/// git's `find_separator`: the position of the separator after a key of
/// alphanumerics and `-` and optional blanks (or at the very start).
fn find_separator(line: &[u8], syntax: &Syntax) -> Option<usize> {
    let mut whitespace_found = false;
    for (i, &c) in line.iter().enumerate() {
        if syntax.is_separator(c) {
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
fn unfold(bytes: &[u8]) -> String {
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
fn trailer_block_start(message: &str, len: usize, syntax: &Syntax) -> usize {
    let s = message.as_bytes();
    let comment = syntax.comment.as_bytes();

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
        let separator = find_separator(bol, syntax);
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

    /// The default syntax: `#` comments, `:` separators.
    fn hash() -> Syntax {
        Syntax::default()
    }

    #[test]
    fn append_raw_keeps_bytes_that_are_not_utf8() {
        assert_eq!(
            append_raw(b"subj \xe9\n\nAgent: x\n", &hash(), "Reviewed-by", "r"),
            b"subj \xe9\n\nAgent: x\nReviewed-by: r\n".to_vec()
        );
        // No trailer block yet: one is started after a blank line.
        assert_eq!(
            append_raw(b"subj \xe9\n", &hash(), "Reviewed-by", "r"),
            b"subj \xe9\n\nReviewed-by: r\n".to_vec()
        );
        // UTF-8 messages go the way `append` takes them.
        assert_eq!(
            append_raw(
                "subj é\n\nAgent: x\n# comment\n".as_bytes(),
                &hash(),
                "Reviewed-by",
                "r"
            ),
            append("subj é\n\nAgent: x\n# comment\n", &hash(), "Reviewed-by", "r").into_bytes()
        );
    }

    fn keys(message: &str) -> Vec<(String, String)> {
        parse(message, &hash())
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
        assert_eq!(
            append("s\n", &hash(), "Reviewed-by", "r"),
            "s\n\nReviewed-by: r\n"
        );
        assert_eq!(append("s", &hash(), "Reviewed-by", "r"), "s\n\nReviewed-by: r\n");
        assert_eq!(
            append("s\n\nAgent: a\n", &hash(), "Reviewed-by", "r"),
            "s\n\nAgent: a\nReviewed-by: r\n"
        );
        assert_eq!(
            append(
                "s\n\nAgent: a\n\n# Please enter\n# lines\n",
                &hash(),
                "Reviewed-by",
                "r"
            ),
            "s\n\nAgent: a\nReviewed-by: r\n\n# Please enter\n# lines\n"
        );
    }

    fn with(comment: &str, separators: &str) -> Syntax {
        Syntax {
            comment: comment.into(),
            auto_comment: false,
            separators: separators.into(),
        }
    }

    fn pairs(message: &str, syntax: &Syntax) -> Vec<(String, String)> {
        parse(message, syntax)
            .items
            .into_iter()
            .map(|t| (t.key, t.value))
            .collect()
    }

    #[test]
    fn configured_separators() {
        let eq = with("#", ":=");
        assert_eq!(
            pairs("s\n\nAgent= claude\n", &eq),
            [("Agent".into(), "claude".into())]
        );
        assert!(pairs("s\n\nAgent= claude\n", &hash()).is_empty());
        // `#` as a separator (`Bug #42`), and a separator git never
        // matches without it.
        let bug = with(";", ":#");
        assert_eq!(
            pairs("s\n\nBug #42\nAgent: a\n", &bug),
            [("Bug".into(), "42".into()), ("Agent".into(), "a".into())]
        );
        assert!(pairs("s\n\nAgent: a\n", &with("#", "=")).is_empty());
        // No separator at all: nothing is a trailer.
        assert!(pairs("s\n\nAgent: a\n", &with("#", "")).is_empty());
        // A separator byte inside a character decodes lossily, never panics.
        let wide = with("#", "\u{ff1d}");
        assert_eq!(
            pairs("s\n\nAgent\u{ff1d} x\n", &wide),
            [("Agent".into(), "\u{fffd}\u{fffd} x".into())]
        );
    }

    #[test]
    fn configured_comment_strings() {
        let semi = with(";", ":");
        assert_eq!(
            pairs("s\n\nAgent: a\n\n; Please enter\n; lines\n", &semi),
            [("Agent".into(), "a".into())]
        );
        assert!(pairs("s\n\nAgent: a\n\n; Please enter\n", &hash()).is_empty());
        let slashes = with("//", ":");
        assert_eq!(
            pairs("s\n\nAgent: a\n// note\nB: c\n", &slashes),
            [("Agent".into(), "a".into()), ("B".into(), "c".into())]
        );
    }

    #[test]
    fn append_writes_the_first_separator() {
        let eq = with("#", "=:");
        assert_eq!(
            append("s\n\nAgent= a\n", &eq, "Reviewed-by", "r"),
            "s\n\nAgent= a\nReviewed-by= r\n"
        );
        assert_eq!(
            append("s\n", &with("#", "\u{ff1d}#"), "Reviewed-by", "r"),
            "s\n\nReviewed-by# r\n"
        );
        assert_eq!(
            append("s\n", &with("#", ""), "Reviewed-by", "r"),
            "s\n\nReviewed-by: r\n"
        );
    }

    #[test]
    fn syntax_from_config_in_git_order() {
        let syntax = |entries: &[(&str, Option<&str>)]| Syntax::from_config(entries.iter().copied());
        assert_eq!(syntax(&[]), hash());
        // Aliases: the last of either wins.
        let s = syntax(&[
            ("core.commentstring", Some("//")),
            ("core.commentchar", Some(";")),
        ]);
        assert_eq!(s.comment, ";");
        let s = syntax(&[
            ("core.commentchar", Some(";")),
            ("core.commentstring", Some("//")),
        ]);
        assert_eq!(s.comment, "//");
        // `auto` keeps what was set before it; a later value ends it.
        let s = syntax(&[
            ("core.commentchar", Some("%")),
            ("core.commentchar", Some("AUTO")),
        ]);
        assert_eq!((s.comment.as_str(), s.auto_comment), ("%", true));
        let s = syntax(&[
            ("core.commentchar", Some("auto")),
            ("core.commentstring", Some("!")),
        ]);
        assert_eq!((s.comment.as_str(), s.auto_comment), ("!", false));
        // What git refuses is skipped.
        let s = syntax(&[
            ("core.commentchar", Some(";")),
            ("core.commentchar", Some("")),
            ("core.commentchar", Some("a\nb")),
            ("core.commentchar", None),
        ]);
        assert_eq!(s.comment, ";");
        let s = syntax(&[
            ("trailer.separators", Some(":=")),
            ("trailer.separators", Some("=#")),
        ]);
        assert_eq!(s.separators, "=#");
    }

    #[test]
    fn auto_comment_is_found_as_git_commit_chose_it() {
        let auto = Syntax {
            auto_comment: true,
            ..hash()
        };
        let chosen = |message: &str| auto.for_message_file(message).comment;
        assert_eq!(chosen("s\n\nAgent: a\n\n# Please enter\n# lines\n"), "#");
        // `#` starts a line of the message: git wrote its comments with `;`.
        assert_eq!(
            chosen("s\n\n#42 is fixed\n\nAgent: a\n\n; Please enter\n; lines\n"),
            ";"
        );
        // `#` and `;` start lines of the message: `@`.
        assert_eq!(chosen("#1\n\n;2\n\nAgent: a\n\n@ Please enter\n@ lines\n"), "@");
        assert_eq!(chosen("s\n\nAgent: a\n"), "#");
        let message = "s\n\n#42\n\nAgent: a\n\n; Please enter\n";
        assert_eq!(
            pairs(message, &auto.for_message_file(message)),
            [("Agent".into(), "a".into())]
        );
        // Without `auto`, the configured string stays.
        assert_eq!(with("%", ":").for_message_file("#x\n").comment, "%");
    }
}
