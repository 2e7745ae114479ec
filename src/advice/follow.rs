//! What follows a block: the attempts of one person on one branch, per
//! rule, in the order of the log, and how each block was resolved.
//!
//! Each `git commit` run is one attempt (its events share `attempt_id`).
//! A rule's block is *followed* by the next attempt of the same user on
//! the same branch in which the rule was judged, if that attempt comes
//! within [`FOLLOW_UP_HOURS`] of the block: a pass is a fix, a bypass is
//! a bypass, another block is "blocked again" (and the time to fix then
//! runs from the first block of the run). No such attempt: no follow-up.
//!
//! A [`Track`] keeps only what that needs, so memory goes with the blocks
//! and bypasses, not with the passes: a pass is kept only when it may be
//! the first after something else. Two tracks of consecutive parts of the
//! log merge into the track of the whole ([`Track::merge`]), so the log
//! can be read in parallel and give the same answer.

use chrono::{DateTime, Duration, FixedOffset};

/// How long after a block its follow-up attempt may come.
pub const FOLLOW_UP_HOURS: i64 = 24;

/// What an attempt did with a rule, as far as it matters here; when one
/// attempt says several things of a rule the greatest wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Approved or passed.
    Passed,
    /// Let through by a bypass (a skip variable, or the hooks skipped).
    Bypassed,
    /// Blocked.
    Blocked,
}

impl Status {
    /// The status a `hook_summary` outcome stands for; `None` for the
    /// outcomes that judged nothing (`off`, `exempt`, `not-needed`) and for
    /// `audit`, which lets the commit through without a decision to follow.
    pub fn of_outcome(outcome: &str) -> Option<Status> {
        match outcome {
            "approved" | "passed" => Some(Status::Passed),
            "bypassed" | "skipped" => Some(Status::Bypassed),
            "blocked" => Some(Status::Blocked),
            _ => None,
        }
    }
}

/// One attempt's word on a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    /// The attempt id; `None` for events that carry none (each is then an
    /// attempt of its own).
    pub attempt: Option<String>,
    pub at: DateTime<FixedOffset>,
    pub status: Status,
    /// The agent the attempt's events name, if any.
    pub agent: Option<String>,
}

/// The judged attempts of one (user, branch, rule), compressed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Track {
    kept: Vec<Judged>,
    /// The attempt of the last observation added, and whether it is the
    /// last one kept (a pass after a pass is dropped).
    tail: Option<(Option<String>, bool)>,
}

impl Track {
    /// Adds one observation, later in the log than all before it.
    pub fn push(&mut self, judged: Judged) {
        // Most observations are passes after passes: nothing to keep.
        if judged.status == Status::Passed && self.after_pass() {
            match &self.tail {
                Some((attempt, true)) if attempt.is_some() && *attempt == judged.attempt => {
                    if let Some(last) = self.kept.last_mut() {
                        combine(last, judged);
                    }
                }
                _ => self.tail = Some((judged.attempt, false)),
            }
            return;
        }
        self.merge(Track {
            tail: Some((judged.attempt.clone(), true)),
            kept: vec![judged],
        });
    }

    /// Appends `later`, the track of the part of the log right after this
    /// one's.
    pub fn merge(&mut self, later: Track) {
        let Some(later_tail) = later.tail else {
            return;
        };
        let single = later.kept.len() == 1;
        let mut rest = later.kept.into_iter();
        let Some(first) = rest.next() else {
            return;
        };
        let same_attempt = |tail: &Option<(Option<String>, bool)>| {
            first.attempt.is_some()
                && tail
                    .as_ref()
                    .is_some_and(|(attempt, _)| *attempt == first.attempt)
        };
        let first_kept = match &self.tail {
            // The same attempt as the last one kept: one attempt's word.
            tail @ Some((_, true)) if same_attempt(tail) => {
                if let Some(last) = self.kept.last_mut() {
                    combine(last, first);
                }
                true
            }
            // The same attempt as a pass that was dropped: a pass adds
            // nothing, anything else stands on its own.
            tail @ Some((_, false)) if same_attempt(tail) => {
                if first.status == Status::Passed {
                    false
                } else {
                    self.kept.push(first);
                    true
                }
            }
            _ => self.add(first),
        };
        self.kept.extend(rest);
        self.tail = if single {
            Some((later_tail.0, first_kept))
        } else {
            Some(later_tail)
        };
    }

    /// Keeps `judged` unless it is a pass after a pass that cannot be
    /// merged into something else (the first kept of a part may be);
    /// returns whether it was kept.
    fn add(&mut self, judged: Judged) -> bool {
        if judged.status == Status::Passed && self.after_pass() {
            return false;
        }
        self.kept.push(judged);
        true
    }

    /// Whether the last kept is a pass that stays one: not the first kept,
    /// which may yet merge into the end of an earlier part.
    fn after_pass(&self) -> bool {
        self.kept.len() > 1 && self.kept.last().is_some_and(|last| last.status == Status::Passed)
    }

    /// The attempts kept, in order.
    pub fn attempts(&self) -> &[Judged] {
        &self.kept
    }
}

/// Folds a later observation of the same attempt into `into`.
fn combine(into: &mut Judged, other: Judged) {
    if other.status > into.status {
        into.status = other.status;
        into.at = other.at;
        if other.agent.is_some() {
            into.agent = other.agent;
        }
    } else if into.agent.is_none() {
        into.agent = other.agent;
    }
}

/// How one block was followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Followed {
    /// The next attempt passed; the time runs from the first block of the
    /// run to the pass, in seconds.
    Fix {
        seconds: i64,
    },
    Bypass,
    BlockedAgain,
    /// No attempt judged the rule within the follow-up time (or yet).
    Nothing,
}

/// Every block of a track with the agent of its attempt and how it was
/// followed, in order.
pub fn resolve(attempts: &[Judged]) -> Vec<(Option<String>, Followed)> {
    struct Pending {
        last: DateTime<FixedOffset>,
        run_start: DateTime<FixedOffset>,
        agent: Option<String>,
    }
    let limit = Duration::hours(FOLLOW_UP_HOURS);
    let mut out = Vec::new();
    let mut pending: Option<Pending> = None;
    for judged in attempts {
        if let Some(p) = pending.take_if(|p| judged.at - p.last > limit) {
            out.push((p.agent, Followed::Nothing));
        }
        match judged.status {
            Status::Blocked => {
                let run_start = match pending.take() {
                    Some(p) => {
                        out.push((p.agent, Followed::BlockedAgain));
                        p.run_start
                    }
                    None => judged.at,
                };
                pending = Some(Pending {
                    last: judged.at,
                    run_start,
                    agent: judged.agent.clone(),
                });
            }
            Status::Passed => {
                if let Some(p) = pending.take() {
                    let seconds = (judged.at - p.run_start).num_seconds().max(0);
                    out.push((p.agent, Followed::Fix { seconds }));
                }
            }
            Status::Bypassed => {
                if let Some(p) = pending.take() {
                    out.push((p.agent, Followed::Bypass));
                }
            }
        }
    }
    if let Some(p) = pending {
        out.push((p.agent, Followed::Nothing));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-01T00:00:00+00:00").unwrap() + Duration::minutes(minutes)
    }

    fn j(attempt: &str, minutes: i64, status: Status) -> Judged {
        Judged {
            attempt: Some(attempt.to_string()),
            at: at(minutes),
            status,
            agent: Some(format!("agent-{attempt}")),
        }
    }

    use Status::*;

    fn followed(observations: &[Judged]) -> Vec<Followed> {
        let mut track = Track::default();
        for o in observations {
            track.push(o.clone());
        }
        resolve(track.attempts()).into_iter().map(|(_, f)| f).collect()
    }

    #[test]
    fn blocks_are_followed_by_the_next_attempt() {
        assert_eq!(
            followed(&[j("a", 0, Blocked), j("b", 10, Passed)]),
            [Followed::Fix { seconds: 600 }]
        );
        assert_eq!(
            followed(&[j("a", 0, Blocked), j("b", 5, Bypassed), j("c", 9, Passed)]),
            [Followed::Bypass]
        );
        // A run of blocks: the time to fix runs from its first block.
        assert_eq!(
            followed(&[j("a", 0, Blocked), j("b", 5, Blocked), j("c", 20, Passed)]),
            [Followed::BlockedAgain, Followed::Fix { seconds: 1200 }]
        );
        // Too late, or never.
        assert_eq!(
            followed(&[
                j("a", 0, Blocked),
                j("b", 25 * 60, Passed),
                j("c", 26 * 60, Blocked)
            ]),
            [Followed::Nothing, Followed::Nothing]
        );
        // The summary and the block event of one attempt are one word.
        assert_eq!(
            followed(&[
                j("a", 0, Blocked),
                j("a", 0, Blocked),
                j("b", 3, Passed),
                j("b", 3, Passed)
            ]),
            [Followed::Fix { seconds: 180 }]
        );
        // Passes before a block say nothing.
        assert_eq!(
            followed(&[
                j("a", 0, Passed),
                j("b", 1, Passed),
                j("c", 2, Passed),
                j("d", 3, Blocked)
            ]),
            [Followed::Nothing]
        );
    }

    #[test]
    fn passes_after_passes_are_not_kept() {
        let mut track = Track::default();
        for (i, status) in [Passed, Passed, Passed, Blocked, Passed, Passed, Passed]
            .into_iter()
            .enumerate()
        {
            track.push(j(&i.to_string(), i as i64, status));
        }
        let kept: Vec<Status> = track.attempts().iter().map(|a| a.status).collect();
        assert_eq!(kept, [Passed, Passed, Blocked, Passed]);
    }

    /// Every way of cutting a sequence of observations in two, folded in
    /// two tracks and merged, gives the track of the whole.
    #[test]
    fn merged_parts_resolve_as_the_whole() {
        let observations = [
            j("a", 0, Passed),
            j("b", 1, Passed),
            j("c", 2, Blocked),
            j("c", 2, Blocked),
            j("d", 3, Passed),
            j("d", 3, Passed),
            j("e", 4, Passed),
            j("f", 5, Blocked),
            j("g", 6, Blocked),
            j("h", 7, Bypassed),
            j("h", 7, Bypassed),
            j("i", 8, Passed),
            j("j", 9, Passed),
            j("k", 10, Blocked),
            j("l", 30 * 60, Passed),
        ];
        let whole = {
            let mut t = Track::default();
            observations.iter().for_each(|o| t.push(o.clone()));
            resolve(t.attempts())
        };
        for cut in 0..=observations.len() {
            for second in cut..=observations.len() {
                let mut parts = [Track::default(), Track::default(), Track::default()];
                for (i, o) in observations.iter().enumerate() {
                    let part = usize::from(i >= cut) + usize::from(i >= second);
                    parts[part].push(o.clone());
                }
                let [mut a, b, c] = parts;
                a.merge(b);
                a.merge(c);
                assert_eq!(resolve(a.attempts()), whole, "cut at {cut} and {second}");
            }
        }
    }
}
