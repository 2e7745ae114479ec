//! The log heads clones push (`refs/enforce/heads/<clone>`): the anchor a
//! clone's log cannot be rewritten past.
//!
//! Each clone's `pre-push` sends the head of its events log (what
//! `refs/enforce/head` holds: sequence number, hash of the last line, hash
//! of the first line). The server keeps the last one it accepted, so a
//! clone whose log lost events, or was replaced, can no longer push a head
//! that agrees with it: a head may only move forward, on the same log.

use crate::event::chain::Anchored;

/// Where clones push their log heads.
pub const HEADS_PREFIX: &str = "refs/enforce/heads/";

/// What a push sends for a log head.
#[derive(Debug, Clone, Copy)]
pub enum Pushed<'a> {
    /// The push deletes the ref.
    Deleted,
    /// The content of the blob it points at; `None` when it is no blob.
    Blob(Option<&'a [u8]>),
}

/// Why a pushed head is refused, if it is: `held` is the blob the server
/// has now (`None` when the ref is new here).
pub fn offence(held: Option<&[u8]>, pushed: Pushed<'_>) -> Option<String> {
    let bytes = match pushed {
        Pushed::Deleted => {
            return Some(
                "deleting a log head is refused: the server keeps it as the anchor of that clone's log"
                    .into(),
            );
        }
        Pushed::Blob(None) => return Some("not an enforce log head: it names no blob".into()),
        Pushed::Blob(Some(bytes)) => bytes,
    };
    let Some(new) = Anchored::from_ref_text(bytes) else {
        return Some("not an enforce log head: the blob does not read as one".into());
    };
    // A head the server holds but cannot read is replaced by one it can.
    let old = held.and_then(Anchored::from_ref_text)?;
    if old.first.is_some() && old.first != new.first {
        return Some(
            "the log head names another first line than the one the server holds: that clone's log was replaced or cut at the start"
                .into(),
        );
    }
    if new.head.seq < old.head.seq {
        return Some(format!(
            "the log head moves backwards, from event {} to event {}: that clone's log lost events",
            old.head.seq, new.head.seq
        ));
    }
    if new.head.seq == old.head.seq && new.head.hash != old.head.hash {
        return Some(format!(
            "the log head names another event {} than the one the server holds: that clone's log was rewritten",
            new.head.seq
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::chain::Head;

    fn head(seq: u64, hash: &str, first: Option<&str>) -> Vec<u8> {
        Anchored {
            head: Head {
                seq,
                hash: hash.into(),
            },
            file: "/clone/.git/enforce/events.jsonl".into(),
            first: first.map(str::to_string),
            checkpoints: None,
        }
        .to_ref_text()
        .into_bytes()
    }

    #[test]
    fn a_head_moves_forward_on_the_same_log() {
        let held = head(5, "e5", Some("f"));
        let check = |pushed: &[u8]| offence(Some(&held), Pushed::Blob(Some(pushed)));
        assert_eq!(check(&head(9, "e9", Some("f"))), None);
        assert_eq!(check(&head(5, "e5", Some("f"))), None);
        assert_eq!(offence(None, Pushed::Blob(Some(&head(1, "e1", Some("f"))))), None);
        assert_eq!(
            offence(Some(b"junk"), Pushed::Blob(Some(&head(1, "e1", None)))),
            None
        );

        let why = |pushed: &[u8]| check(pushed).unwrap();
        assert_eq!(
            why(&head(3, "e3", Some("f"))),
            "the log head moves backwards, from event 5 to event 3: that clone's log lost events"
        );
        assert!(why(&head(9, "e9", Some("g"))).starts_with("the log head names another first line"));
        assert!(why(&head(9, "e9", None)).starts_with("the log head names another first line"));
        assert!(why(&head(5, "x5", Some("f"))).contains("another event 5"));
        assert!(why(b"hello").starts_with("not an enforce log head"));
        assert!(
            offence(Some(&held), Pushed::Blob(None))
                .unwrap()
                .contains("names no blob")
        );
        assert!(
            offence(Some(&held), Pushed::Deleted)
                .unwrap()
                .starts_with("deleting a log head is refused")
        );
    }
}
