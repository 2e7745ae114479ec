//! What git tells `pre-receive`: one `<old> <new> <ref>` line per ref the
//! push updates.

use crate::error::{Error, Result};
use crate::git::is_zero_id;

/// One ref the push updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The ref's value before the push; `None` when the push creates it.
    pub old: Option<String>,
    /// Its value after; `None` when the push deletes it.
    pub new: Option<String>,
    pub name: String,
}

/// Parses pre-receive's standard input. A line that is not what git
/// writes is an error: the push is then refused, never waved through.
pub fn parse(input: &[u8]) -> Result<Vec<Update>> {
    let text = String::from_utf8_lossy(input);
    let mut updates = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let bad = || Error::PushInput {
            line: line.chars().take(200).collect(),
        };
        let mut words = line.split(' ');
        let (Some(old), Some(new), Some(name), None) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            return Err(bad());
        };
        let is_id = |id: &str| matches!(id.len(), 40 | 64) && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_id(old) || !is_id(new) || !name.starts_with("refs/") {
            return Err(bad());
        }
        let id = |id: &str| (!is_zero_id(id)).then(|| id.to_ascii_lowercase());
        updates.push(Update {
            old: id(old),
            new: id(new),
            name: name.to_string(),
        });
    }
    Ok(updates)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const B: &str = "2222222222222222222222222222222222222222";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn creations_updates_and_deletions() {
        let input = format!("{Z} {A} refs/heads/new\n{A} {B} refs/heads/main\n\n{B} {Z} refs/heads/gone\n");
        assert_eq!(
            parse(input.as_bytes()).unwrap(),
            [
                Update {
                    old: None,
                    new: Some(A.into()),
                    name: "refs/heads/new".into()
                },
                Update {
                    old: Some(A.into()),
                    new: Some(B.into()),
                    name: "refs/heads/main".into()
                },
                Update {
                    old: Some(B.into()),
                    new: None,
                    name: "refs/heads/gone".into()
                },
            ]
        );
        assert_eq!(parse(b"").unwrap(), []);
    }

    #[test]
    fn anything_else_is_refused() {
        for line in [
            format!("{A} {B}"),
            format!("{A} {B} main"),
            format!("{A} {B} refs/heads/main extra"),
            format!("xyz {B} refs/heads/main"),
            format!("{A}{A} {B} refs/heads/main"),
        ] {
            let err = parse(line.as_bytes()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("pre-receive got a line that is not `<old> <new> <ref>`: `{line}`")
            );
        }
    }
}
