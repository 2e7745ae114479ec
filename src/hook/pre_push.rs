//! `pre-push`: the receipts travel with the push.
//!
//! git runs it with `<remote> <url>` (the URL twice for a push to a URL
//! with no remote name) before it sends anything. It sends
//! `refs/notes/enforce` to that remote, merging the remote's notes into
//! the local ones when the remote has receipts this clone lacks, and the
//! log head (`refs/enforce/head`) to `refs/enforce/heads/<clone id>`, in a
//! push of its own (`--no-verify`: it does not run this hook again).
//!
//! It never stops the user's push: receipts that cannot be sent are a
//! warning with the command that sends them by hand, and the server
//! decides what a push without them is worth. It costs nothing when the
//! remote already has everything (as far as the last fetch or push saw:
//! `refs/notes/remotes/<remote>/enforce` and
//! `refs/enforce/remotes/<remote>/head`).

use std::ffi::OsString;

use crate::error::{EXIT_OK, Error, Result};
use crate::git::Git;
use crate::git::notes::{NOTES_REF, remote_notes_ref};
use crate::git::state::HEAD_REF;
use crate::git::sync::{self, NotesMerge, PushStatus};
use crate::notice;

/// How many times the notes are pushed when other clones keep pushing
/// theirs in between (each time after fetching and merging them).
const ROUNDS: u64 = 8;

pub fn run(args: &[OsString], input: &[u8]) -> Result<i32> {
    let Some(remote) = args.first().map(|a| a.to_string_lossy().into_owned()) else {
        return Ok(EXIT_OK);
    };
    if dry_run() {
        return Ok(EXIT_OK);
    }
    let git = std::env::current_dir()
        .map_err(|e| Error::io("read the current directory", ".", e))
        .and_then(|cwd| Git::discover(&cwd)?.ok_or(Error::NotARepository { path: cwd }));
    match git {
        Ok(git) => report(&remote, send(&git, &remote, &pushed_refs(input))),
        Err(err) => report(
            &remote,
            vec![Unsent {
                what: Sent::Receipts,
                why: err.to_string(),
            }],
        ),
    }
    Ok(EXIT_OK)
}

/// What pre-push sends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sent {
    /// `refs/notes/enforce`.
    Receipts,
    /// `refs/enforce/head`, to this ref on the remote.
    LogHead(String),
}

/// Something that was not sent, and why.
struct Unsent {
    what: Sent,
    why: String,
}

/// The remote refs the user's push updates, from the hook's input
/// (`<local ref> <local id> <remote ref> <remote id>` per line).
fn pushed_refs(input: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(input)
        .lines()
        .filter_map(|line| line.split(' ').nth(2).map(str::to_string))
        .collect()
}

/// Sends the receipts and the log head to `remote`; returns what could
/// not be sent. A ref the user's own push already updates
/// (`git push origin main refs/notes/enforce`) is left to it: pushing it
/// first from here would make git's push of it fail, since git compares
/// with what the remote held before this hook ran.
fn send(git: &Git, remote: &str, user_pushes: &[String]) -> Vec<Unsent> {
    let user_pushes = |refname: &str| user_pushes.iter().any(|r| r == refname);
    let mut unsent = Vec::new();
    let key = sync::remote_key(git, remote);
    let tracking = remote_notes_ref(&key);
    let pushed_head = sync::pushed_head_ref(&key);
    // The log head, unless the remote has it from the last push.
    let mut head = match git.log_head_object() {
        Some(blob) if git.ref_object(&pushed_head).as_deref() != Some(blob.as_str()) => {
            match git.clone_id() {
                Ok(id) if user_pushes(&sync::remote_head_ref(&id)) => None,
                Ok(id) => Some((blob, sync::remote_head_ref(&id))),
                Err(err) => {
                    unsent.push(Unsent {
                        what: Sent::LogHead(sync::remote_head_ref("<clone id>")),
                        why: err.to_string(),
                    });
                    None
                }
            }
        }
        _ => None,
    };
    let mut notes = !user_pushes(NOTES_REF);
    // What the last fetch or push saw of the remote's notes is merged
    // first, so the push is a fast-forward unless another clone pushed
    // since.
    if notes
        && let (Some(ours), Some(theirs)) = (git.ref_target(NOTES_REF), git.ref_target(&tracking))
        && !git.is_ancestor(&theirs, &ours).unwrap_or(false)
        && let Err(err) = git.merge_notes(&theirs)
    {
        notes = false;
        unsent.push(Unsent {
            what: Sent::Receipts,
            why: err.to_string(),
        });
    }
    for round in 0..ROUNDS {
        // The receipts, unless the remote has them all (as far as the
        // last fetch or push saw).
        let ours = git.ref_target(NOTES_REF);
        notes &= match (&ours, git.ref_target(&tracking)) {
            (None, _) => false,
            (Some(ours), Some(theirs)) => !git.is_ancestor(ours, &theirs).unwrap_or(false),
            (Some(_), None) => true,
        };
        let mut refspecs = Vec::new();
        if notes {
            refspecs.push(format!("{NOTES_REF}:{NOTES_REF}"));
        }
        if let Some((_, to)) = &head {
            refspecs.push(format!("+{HEAD_REF}:{to}"));
        }
        if refspecs.is_empty() {
            break;
        }
        let pushed = match git.push(remote, &refspecs) {
            Ok(pushed) => pushed,
            Err(err) => {
                if notes {
                    unsent.push(Unsent {
                        what: Sent::Receipts,
                        why: err.to_string(),
                    });
                }
                if let Some((_, to)) = head {
                    unsent.push(Unsent {
                        what: Sent::LogHead(to),
                        why: err.to_string(),
                    });
                }
                break;
            }
        };
        let status_of = |refname: &str| {
            pushed
                .iter()
                .find(|p| p.remote_ref == refname)
                .map(|p| p.status.clone())
                .unwrap_or_else(|| PushStatus::Rejected("git did not report it".into()))
        };
        if let Some((blob, to)) = head.take() {
            match status_of(&to) {
                PushStatus::Pushed | PushStatus::UpToDate => {
                    let _ = git.set_ref(&pushed_head, &blob, "enforce: log head pushed");
                }
                PushStatus::NotFastForward => unsent.push(Unsent {
                    what: Sent::LogHead(to),
                    why: "the remote refused it".into(),
                }),
                PushStatus::Rejected(why) => unsent.push(Unsent {
                    what: Sent::LogHead(to),
                    why,
                }),
            }
        }
        if !notes {
            break;
        }
        match status_of(NOTES_REF) {
            PushStatus::Pushed | PushStatus::UpToDate => {
                if let Some(ours) = &ours {
                    let _ = git.set_ref(&tracking, ours, "enforce: receipts pushed");
                }
                break;
            }
            PushStatus::Rejected(why) => {
                unsent.push(Unsent {
                    what: Sent::Receipts,
                    why,
                });
                break;
            }
            PushStatus::NotFastForward if round + 1 == ROUNDS => {
                unsent.push(Unsent {
                    what: Sent::Receipts,
                    why: format!("other pushes kept moving its {NOTES_REF} ({ROUNDS} tries)"),
                });
            }
            PushStatus::NotFastForward => {
                // Another clone pushed receipts in between: take them in
                // and try again, a little later each time so that racing
                // clones stop colliding.
                if round > 0 {
                    let jitter = u64::from(std::process::id() % 13);
                    std::thread::sleep(std::time::Duration::from_millis(5 * round + jitter));
                }
                let merged = git
                    .fetch_notes(remote, &tracking)
                    .and_then(|theirs| match theirs {
                        Some(theirs) => git.merge_notes(&theirs),
                        None => Ok(NotesMerge::UpToDate),
                    });
                if let Err(err) = merged {
                    unsent.push(Unsent {
                        what: Sent::Receipts,
                        why: err.to_string(),
                    });
                    break;
                }
            }
        }
    }
    unsent
}

/// Warns about what was not sent, with the command that sends it by
/// hand: once when both failed for the same reason. The user's push goes
/// on.
fn report(remote: &str, mut unsent: Vec<Unsent>) {
    unsent.sort_by_key(|u| matches!(u.what, Sent::LogHead(_)));
    let refspec = |what: &Sent| match what {
        Sent::Receipts => format!("{NOTES_REF}:{NOTES_REF}"),
        Sent::LogHead(to) => format!("+{HEAD_REF}:{to}"),
    };
    let name = |what: &Sent| match what {
        Sent::Receipts => "the receipts",
        Sent::LogHead(_) => "the log head",
    };
    let warn = |what: &str, why: &str, refspecs: &[String]| {
        let one = what == "the log head";
        notice::warning(format!(
            "{what} {} not pushed to `{remote}`: {why}",
            if one { "was" } else { "were" }
        ));
        notice::hint(format!(
            "your push goes on; to send {} by hand: git push {} {}",
            if one { "it" } else { "them" },
            shell_word(remote),
            refspecs.join(" ")
        ));
    };
    if let [a, b] = unsent.as_slice()
        && a.why == b.why
    {
        return warn(
            &format!("{} and {}", name(&a.what), name(&b.what)),
            &a.why,
            &[refspec(&a.what), refspec(&b.what)],
        );
    }
    for item in &unsent {
        warn(name(&item.what), &item.why, &[refspec(&item.what)]);
    }
}

/// `word` as a shell reads it back: as it is when it holds nothing the
/// shell treats specially, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@+=,%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Whether the push is `git push --dry-run` (`-n`): git runs pre-push for
/// it too, and a dry run must send nothing. Read from the command line of
/// the `git` process running the hook.
fn dry_run() -> bool {
    let pid = crate::git::git_process_id();
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    is_dry_run(&cmdline)
}

/// [`dry_run`] on a NUL-separated command line.
fn is_dry_run(cmdline: &[u8]) -> bool {
    let mut args = cmdline.split(|b| *b == 0).skip_while(|a| *a != b"push").skip(1);
    args.any(|arg| {
        arg == b"--dry-run"
            || (arg.len() > 1
                && arg[0] == b'-'
                && arg[1] != b'-'
                && arg[1..].iter().all(u8::is_ascii_alphabetic)
                && arg.contains(&b'n'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_runs_are_recognised() {
        assert!(is_dry_run(b"git\0push\0--dry-run\0origin\0"));
        assert!(is_dry_run(b"git\0push\0-fn\0origin\0"));
        assert!(!is_dry_run(b"git\0push\0origin\0main\0"));
        assert!(!is_dry_run(b"git\0-c\0x=-n\0push\0-f\0origin\0"));
    }

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("origin"), "origin");
        assert_eq!(shell_word("/tmp/a b.git"), "'/tmp/a b.git'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }
}
