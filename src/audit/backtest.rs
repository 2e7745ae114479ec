//! `enforce backtest`'s engine: a proposed policy replayed over commits
//! that exist, beside the policy that applied to each of them.
//!
//! Each commit is read once, as `enforce audit` reads it (what it changes
//! and the lines it adds, against its first parent or beyond the
//! automatic merge of its parents; its message's trailers; its receipt in
//! `refs/notes/enforce`), and judged twice by the one judge: under the
//! policy committed at its first parent, which is the policy the hooks
//! applied to it ("current"), and under the proposal. Where the two
//! verdicts on a rule differ, the commit is listed under that rule: what
//! the proposal would newly block or flag, and what it would let through
//! that the current policy blocked.
//!
//! A commit whose current verdict blocks it still landed: through an
//! escape hatch its receipt records, or around the hooks. The backtest
//! says what each policy makes of the commit's facts, not what happened
//! to it. Review is proven by the approval its receipt records, so an
//! approval that was never asked for cannot be replayed: a proposal that
//! turns review on finds every commit made without one unreviewed.
//!
//! Near misses are what the proposal sees without acting on it: lines
//! that match a content rule's pattern in files its `paths`/`exclude`
//! leave out, and the commits a rule in `audit` mode would flag.
//!
//! Nothing is decided or recorded: the result is a report.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

use serde::Serialize;

use super::{Auditor, Gathered, Receipts, Unjudged, evidence};
use crate::config::{Config, ContentRule, Mode};
use crate::error::{Error, Result};
use crate::git::{Git, Patch};
use crate::judge::audit as judge;
use crate::judge::{Outcome, Rule, Verdict};
use crate::rules::content;
use crate::rules::{AGENT_TRAILER, Enforcement, REVIEW, REVIEW_TRAILER};

/// At most this many matching lines are listed per commit and rule (all
/// are counted).
const LISTED_LINES: usize = 100;

/// What a backtest found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Backtest {
    /// How many commits the range holds.
    pub commits: usize,
    /// How many of them were judged under both policies.
    pub judged: usize,
    /// Commits blocked, flagged, let through, over all rules.
    pub totals: Totals,
    /// Rule by rule: the proposal's rules in the judge's order (review,
    /// content rules as configured, agent trailer, the review trailer
    /// check), then the rules only the current policies have.
    pub rules: Vec<RuleReport>,
    /// The commits that could not be judged, and why.
    pub unjudged: Vec<Unjudged>,
    /// Files the proposal's content rules could not read.
    pub unscanned: Unscanned,
    /// Whether any receipt could be read: without one, no commit counts
    /// as reviewed.
    pub receipts_found: bool,
}

/// Counts of judged commits over all rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Commits some rule of the current policy blocks.
    pub blocked_now: usize,
    /// Commits some rule of the proposal blocks.
    pub blocked_proposed: usize,
    /// Commits the proposal blocks and the current policy does not.
    pub newly_blocked: usize,
    /// Commits the current policy blocks and the proposal does not.
    pub let_through: usize,
    /// Commits flagged (a rule in audit mode fails) and not blocked.
    pub flagged_now: usize,
    pub flagged_proposed: usize,
}

/// Files a policy's content rules could not read, over the judged commits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unscanned {
    pub binary: u64,
    /// Over `[rules] max_file_bytes` of added text.
    pub oversized: usize,
}

/// What kind of rule a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Review,
    Content,
    AgentTrailer,
    /// The review rule's check that the message names in its review
    /// trailer only whoever approved the commit.
    ReviewTrailer,
}

/// One rule's backtest.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    /// Its stable name.
    pub rule: String,
    pub kind: Kind,
    /// Its mode in the proposal; `absent` when the proposal drops it.
    pub proposed_mode: String,
    /// Its mode in the current policies, with how many judged commits
    /// had each (`absent`: a content rule that policy does not have).
    pub current_modes: BTreeMap<String, usize>,
    /// Commits the proposal blocks and the current policy did not.
    pub newly_blocked: Vec<Listed>,
    /// Commits the proposal flags (audit mode) that passed the current
    /// policy.
    pub newly_flagged: Vec<Listed>,
    /// Commits the current policy blocked and the proposal lets through
    /// (passed, or only flagged).
    pub let_through: Vec<Listed>,
    /// Commits the current policy flagged and the proposal passes.
    pub no_longer_flagged: Vec<Listed>,
    pub unchanged: Unchanged,
    pub near_misses: NearMisses,
}

impl RuleReport {
    /// Whether the proposal changes anything for this rule.
    pub fn changes(&self) -> bool {
        !(self.newly_blocked.is_empty()
            && self.newly_flagged.is_empty()
            && self.let_through.is_empty()
            && self.no_longer_flagged.is_empty())
    }
}

/// One commit listed under a rule, with what the deciding policy's rule
/// found: the proposal's for what it newly blocks or flags, the current
/// policy's for what it lets through or no longer flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub commit: String,
    pub subject: String,
    pub reason: String,
    /// A content rule's matching lines (at most a hundred).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hits: Vec<Location>,
    /// How many lines match in all.
    #[serde(skip_serializing_if = "is_zero")]
    pub hit_count: usize,
}

/// A line of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
}

/// Judged commits whose verdict on the rule is the same under both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Unchanged {
    pub blocked: usize,
    pub flagged: usize,
    pub passed: usize,
}

/// What the proposal's rule sees without acting on it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NearMisses {
    /// Added lines that match the pattern in files the rule's
    /// `paths`/`exclude` leave out.
    pub excluded_lines: usize,
    /// Those lines, commit by commit.
    pub excluded: Vec<Missed>,
    /// The commits the rule, in audit mode, flags without blocking.
    pub audit_mode: Vec<Listed>,
}

/// A commit's lines that a rule's paths left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missed {
    pub commit: String,
    pub subject: String,
    /// How many lines in all.
    pub lines: usize,
    /// At most a hundred of them.
    pub at: Vec<Location>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// What one policy's rule made of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Blocked,
    Flagged,
    Passed,
}

/// A rule's verdict on a commit, owned.
#[derive(Debug, Clone)]
struct Decided {
    status: Status,
    reason: String,
    hits: Vec<Location>,
    hit_count: usize,
}

/// A rule, by its kind and name.
type Key = (Kind, String);

/// One policy's verdicts on a commit, by rule.
type Verdicts = HashMap<Key, Decided>;

/// The commits a backtest replays.
#[derive(Debug, Clone, Copy)]
pub enum Commits<'a> {
    /// A revision range, as `git rev-list` reads it (`A..B`).
    Range(&'a str),
    /// The commits reachable from HEAD committed at or after this time
    /// (seconds since the epoch), as `git log --since` reads a date.
    Since(i64),
}

/// Replays `proposed` over `commits`, oldest first, each also judged
/// under the policy committed at its first parent, with the receipts of
/// `refs/notes/enforce` (and the fetched remotes') as evidence of review.
/// A range git cannot read is a usage error that says what git said; an
/// empty one, a report of no commits.
pub fn backtest(git: &Git, commits: Commits, proposed: &Config) -> Result<Backtest> {
    // git walks the range and diffs it beside what is read here.
    let since;
    let revs: Vec<&str> = match commits {
        Commits::Range(range) if range.starts_with('-') => {
            return Err(Error::InvalidRange { range: range.into() });
        }
        Commits::Range(range) => vec![range],
        Commits::Since(time) => {
            since = format!("--max-age={time}");
            vec![since.as_str(), "HEAD"]
        }
    };
    let diffs = git.walk_diffs(&revs)?;
    let receipts = Receipts::load(git, &[])?;
    let mut auditor = Auditor::new(git, &receipts)?;
    auditor.diffs = diffs;
    let mut tally = Tally::new(proposed);
    let mut report = Backtest {
        receipts_found: !receipts.is_empty(),
        ..Backtest::default()
    };
    let mut next = auditor.diffs.next_listed().map_err(|e| match (e, commits) {
        (Error::Git { message, .. }, Commits::Range(range)) => Error::usage(
            format!("`{range}` is not a range of commits in this repository: {message}"),
            "name commits git knows, e.g. origin/main~100..origin/main (`git log --oneline A..B` lists what a range holds)",
        ),
        (other, _) => other,
    })?;
    while let Some(listed) = next {
        report.commits += 1;
        match replay(&mut auditor, &listed.id, proposed) {
            Ok(replayed) => {
                report.judged += 1;
                tally.add(&replayed, proposed, &mut report);
            }
            Err(why) => report.unjudged.push(Unjudged {
                commit: listed.id,
                why,
            }),
        }
        next = auditor.diffs.next_listed()?;
    }
    report.rules = tally.finish();
    Ok(report)
}

/// One commit judged under both policies.
struct Replayed {
    sha: String,
    subject: String,
    current: Rc<Config>,
    now: Verdicts,
    then: Verdicts,
    /// The proposal's content rules' lines in the files they leave out.
    missed: Vec<NearMiss>,
    unscanned: Unscanned,
}

fn replay(auditor: &mut Auditor, sha: &str, proposed: &Config) -> std::result::Result<Replayed, String> {
    let gathered = auditor.gather(sha, Some(proposed))?;
    let current = gathered.policy.clone();
    let (now, _) = judge_under(auditor, &gathered, &current)?;
    let (then, unscanned) = judge_under(auditor, &gathered, proposed)?;
    let missed = match limited(&gathered, proposed) {
        Some(patch) => near_misses(&patch, &proposed.rules.content),
        None => Vec::new(),
    };
    Ok(Replayed {
        sha: gathered.commit.sha.clone(),
        subject: gathered.subject.clone(),
        current,
        now,
        then,
        missed,
        unscanned,
    })
}

/// The added lines of `gathered` as `policy` reads them: none when it has
/// no content rule on, files over its `max_file_bytes` set aside.
fn limited<'g>(gathered: &'g Gathered, policy: &Config) -> Option<Cow<'g, Patch>> {
    if !content::any_active(&policy.rules.content) {
        return None;
    }
    let patch = gathered.patch.as_ref()?;
    let max = policy.rules.max_file_bytes;
    let size = |lines: &[(u32, Vec<u8>)]| lines.iter().map(|(_, l)| l.len() as u64 + 1).sum::<u64>();
    if patch.files.iter().all(|f| size(&f.lines) <= max) {
        return Some(Cow::Borrowed(patch));
    }
    let mut smaller = Patch {
        files: Vec::new(),
        binary: patch.binary,
        oversized: patch.oversized.clone(),
    };
    for file in &patch.files {
        if size(&file.lines) > max {
            smaller.oversized.push(file.path.clone());
        } else {
            smaller.files.push(file.clone());
        }
    }
    Some(Cow::Owned(smaller))
}

/// The judge's verdict on `gathered` under `policy`, owned.
fn judge_under(
    auditor: &Auditor,
    gathered: &Gathered,
    policy: &Config,
) -> std::result::Result<(Verdicts, Unscanned), String> {
    let approval = auditor.approval(gathered, policy)?;
    let patch = limited(gathered, policy);
    let commit = judge::Commit {
        tree: &gathered.commit.tree,
        shape: gathered.shape,
        paths: &gathered.paths,
        added: patch.as_deref(),
        trailers: &gathered.trailers,
        evidence: evidence(&gathered.receipt),
        approval: &approval,
        policy_change: None,
    };
    let verdict = crate::judge::judge(&judge::facts(&commit), policy);
    let has_receipt = matches!(gathered.receipt, Some(Ok(_)));
    Ok((
        owned(&verdict, &commit, policy, has_receipt),
        Unscanned {
            binary: verdict.unscanned.binary,
            oversized: verdict.unscanned.oversized,
        },
    ))
}

fn owned(verdict: &Verdict, commit: &judge::Commit, policy: &Config, has_receipt: bool) -> Verdicts {
    let mut verdicts = Verdicts::new();
    for rule in &verdict.rules {
        let Outcome::Failed(failure) = &rule.outcome else {
            continue;
        };
        let status = if rule.blocks() {
            Status::Blocked
        } else if failure.action == Enforcement::Audit {
            Status::Flagged
        } else {
            continue;
        };
        let kind = kind(&rule.rule);
        let reason = match rule.rule {
            Rule::Review => judge::unreviewed(commit, policy, has_receipt, Mode::Enforce),
            _ => failure.reason.clone(),
        };
        let hits = failure
            .hits
            .iter()
            .take(LISTED_LINES)
            .map(|h| Location {
                file: h.file.clone(),
                line: h.line,
            })
            .collect();
        verdicts.insert(
            (kind, rule.rule.name().to_string()),
            Decided {
                status,
                reason,
                hits,
                hit_count: failure.hits.len(),
            },
        );
    }
    verdicts
}

fn kind(rule: &Rule) -> Kind {
    match rule {
        Rule::Review => Kind::Review,
        Rule::AgentTrailer => Kind::AgentTrailer,
        Rule::ReviewTrailer => Kind::ReviewTrailer,
        Rule::Content(_) => Kind::Content,
    }
}

/// A content rule's matching lines in the files of a change its
/// `paths`/`exclude` leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearMiss {
    /// The rule's index in the policy's content rules.
    pub rule: usize,
    /// The first of the lines (at most a hundred).
    pub at: Vec<Location>,
    /// How many lines in all.
    pub lines: usize,
}

/// Each active rule's matching lines in the files of `patch` its
/// `paths`/`exclude` leave out.
pub fn near_misses(patch: &Patch, rules: &[ContentRule]) -> Vec<NearMiss> {
    let mut found = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        // A rule on every path leaves no file out.
        if rule.mode == Mode::Off
            || (rule.exclude.is_empty() && rule.paths.iter().any(|g| g.as_str() == "**"))
        {
            continue;
        }
        let Some(regex) = rule.pattern.regex() else {
            continue;
        };
        let mut at = Vec::new();
        let mut count = 0;
        for file in patch.files.iter().filter(|f| !content::applies(rule, &f.path)) {
            for (line, text) in &file.lines {
                if regex.is_match(text) {
                    count += 1;
                    if at.len() < LISTED_LINES {
                        at.push(Location {
                            file: file.path.clone(),
                            line: *line,
                        });
                    }
                }
            }
        }
        if count > 0 {
            found.push(NearMiss {
                rule: i,
                at,
                lines: count,
            });
        }
    }
    found
}

/// The rules' reports as the commits come in.
struct Tally {
    order: Vec<Key>,
    reports: HashMap<Key, RuleReport>,
    /// The rules to tally under the current policy seen last (the
    /// proposal's, then that policy's own), with it: the policy changes
    /// rarely along a range.
    keys: Option<(Rc<Config>, Vec<Key>)>,
}

/// A rule's mode in a policy, or `absent`.
fn mode_in(policy: &Config, kind: Kind, name: &str) -> &'static str {
    match kind {
        Kind::Review => policy.review.mode.as_str(),
        Kind::AgentTrailer => policy.agent_trailer.mode.as_str(),
        Kind::ReviewTrailer if policy.review.trailer.is_empty() => Mode::Off.as_str(),
        Kind::ReviewTrailer => policy.review.mode.as_str(),
        Kind::Content => policy
            .rules
            .content
            .iter()
            .find(|r| r.name.get_ref().as_str() == name)
            .map_or("absent", |r| r.mode.as_str()),
    }
}

/// The rules a policy names: review, content rules, agent trailer, the
/// review trailer check.
fn named(policy: &Config) -> Vec<Key> {
    let mut names = vec![(Kind::Review, REVIEW.to_string())];
    names.extend(
        policy
            .rules
            .content
            .iter()
            .map(|r| (Kind::Content, r.name.get_ref().as_str().to_string())),
    );
    names.push((Kind::AgentTrailer, AGENT_TRAILER.to_string()));
    names.push((Kind::ReviewTrailer, REVIEW_TRAILER.to_string()));
    names
}

impl Tally {
    fn new(proposed: &Config) -> Tally {
        let mut tally = Tally {
            order: Vec::new(),
            reports: HashMap::new(),
            keys: None,
        };
        for key in named(proposed) {
            tally.entry(&key, proposed);
        }
        tally
    }

    fn entry(&mut self, key: &Key, proposed: &Config) -> &mut RuleReport {
        if !self.reports.contains_key(key) {
            self.order.push(key.clone());
            self.reports.insert(
                key.clone(),
                RuleReport {
                    rule: key.1.clone(),
                    kind: key.0,
                    proposed_mode: mode_in(proposed, key.0, &key.1).to_string(),
                    current_modes: BTreeMap::new(),
                    newly_blocked: Vec::new(),
                    newly_flagged: Vec::new(),
                    let_through: Vec::new(),
                    no_longer_flagged: Vec::new(),
                    unchanged: Unchanged::default(),
                    near_misses: NearMisses::default(),
                },
            );
        }
        self.reports.get_mut(key).expect("inserted above")
    }

    fn add(&mut self, replayed: &Replayed, proposed: &Config, report: &mut Backtest) {
        let keys = match self.keys.take() {
            Some((policy, keys)) if Rc::ptr_eq(&policy, &replayed.current) => (policy, keys),
            _ => {
                let mut keys = named(proposed);
                for key in named(&replayed.current) {
                    if !keys.contains(&key) {
                        keys.push(key);
                    }
                }
                (replayed.current.clone(), keys)
            }
        };
        let status = |verdicts: &Verdicts, key: &Key| verdicts.get(key).map_or(Status::Passed, |d| d.status);
        let listed = |decided: &Decided| Listed {
            commit: replayed.sha.clone(),
            subject: replayed.subject.clone(),
            reason: decided.reason.clone(),
            hits: decided.hits.clone(),
            hit_count: decided.hit_count,
        };
        for key in &keys.1 {
            let now = status(&replayed.now, key);
            let then = status(&replayed.then, key);
            let current_mode = mode_in(&replayed.current, key.0, &key.1);
            // A rule neither policy has on is not worth a report.
            if !self.reports.contains_key(key) && current_mode == "off" && now == Status::Passed {
                continue;
            }
            let entry = self.entry(key, proposed);
            match entry.current_modes.get_mut(current_mode) {
                Some(count) => *count += 1,
                None => {
                    entry.current_modes.insert(current_mode.to_string(), 1);
                }
            }
            match (now, then) {
                (Status::Blocked, Status::Blocked) => entry.unchanged.blocked += 1,
                (Status::Flagged, Status::Flagged) => entry.unchanged.flagged += 1,
                (Status::Passed, Status::Passed) => entry.unchanged.passed += 1,
                (_, Status::Blocked) => entry.newly_blocked.push(listed(&replayed.then[key])),
                (Status::Passed, Status::Flagged) => entry.newly_flagged.push(listed(&replayed.then[key])),
                (Status::Blocked, _) => entry.let_through.push(listed(&replayed.now[key])),
                (Status::Flagged, Status::Passed) => entry.no_longer_flagged.push(listed(&replayed.now[key])),
            }
            if then == Status::Flagged {
                entry.near_misses.audit_mode.push(listed(&replayed.then[key]));
            }
        }
        self.keys = Some(keys);
        for NearMiss { rule, at, lines } in &replayed.missed {
            let rule = &proposed.rules.content[*rule];
            let key = (Kind::Content, rule.name.get_ref().as_str().to_string());
            let entry = self.entry(&key, proposed);
            entry.near_misses.excluded_lines += lines;
            entry.near_misses.excluded.push(Missed {
                commit: replayed.sha.clone(),
                subject: replayed.subject.clone(),
                lines: *lines,
                at: at.clone(),
            });
        }

        let blocks = |verdicts: &Verdicts| verdicts.values().any(|d| d.status == Status::Blocked);
        let flags = |verdicts: &Verdicts| verdicts.values().any(|d| d.status == Status::Flagged);
        let (now, then) = (blocks(&replayed.now), blocks(&replayed.then));
        let totals = &mut report.totals;
        totals.blocked_now += usize::from(now);
        totals.blocked_proposed += usize::from(then);
        totals.newly_blocked += usize::from(then && !now);
        totals.let_through += usize::from(now && !then);
        totals.flagged_now += usize::from(!now && flags(&replayed.now));
        totals.flagged_proposed += usize::from(!then && flags(&replayed.then));
        report.unscanned.binary += replayed.unscanned.binary;
        report.unscanned.oversized += replayed.unscanned.oversized;
    }

    fn finish(mut self) -> Vec<RuleReport> {
        self.order
            .iter()
            .filter_map(|key| self.reports.remove(key))
            // The review trailer check is reported only where it found
            // something: most policies never meet it.
            .filter(|r| {
                r.kind != Kind::ReviewTrailer || r.changes() || r.unchanged.blocked + r.unchanged.flagged > 0
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::AddedFile;
    use std::path::Path;

    fn policy(text: &str) -> Config {
        crate::config::parse(text, Path::new("t.toml")).unwrap()
    }

    #[test]
    fn near_misses_are_matches_in_the_files_a_rule_leaves_out() {
        let config = policy(
            r#"
[[rules.content]]
name = "py-only"
pattern = "secret"
paths = ["*.py"]
exclude = ["vendor/**"]

[[rules.content]]
name = "everywhere"
pattern = "secret"

[[rules.content]]
name = "off"
pattern = "secret"
paths = ["*.py"]
mode = "off"
"#,
        );
        let file = |path: &str, lines: &[&str]| AddedFile {
            path: path.into(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(n, l)| (n as u32 + 1, l.as_bytes().to_vec()))
                .collect(),
        };
        let patch = Patch {
            files: vec![
                file("src/a.py", &["secret = 1"]),
                file("vendor/b.py", &["x", "secret", "secret again"]),
                file("README.md", &["no", "a secret"]),
            ],
            ..Patch::default()
        };
        let at = |file: &str, line: u32| Location {
            file: file.into(),
            line,
        };
        assert_eq!(
            near_misses(&patch, &config.rules.content),
            [NearMiss {
                rule: 0,
                at: vec![at("vendor/b.py", 2), at("vendor/b.py", 3), at("README.md", 2)],
                lines: 3,
            }]
        );
    }

    fn decided(status: Status) -> Decided {
        Decided {
            status,
            reason: format!("{status:?}"),
            hits: Vec::new(),
            hit_count: 0,
        }
    }

    #[test]
    fn each_pair_of_verdicts_lands_in_one_place() {
        use Status::*;
        let proposed = policy("[[rules.content]]\nname = \"r\"\npattern = \"x\"\n");
        let current = Rc::new(policy(
            "[[rules.content]]\nname = \"r\"\npattern = \"x\"\nmode = \"audit\"\n",
        ));
        let key = (Kind::Content, "r".to_string());
        let mut tally = Tally::new(&proposed);
        let mut report = Backtest::default();
        let cases = [
            (Blocked, Blocked),
            (Flagged, Flagged),
            (Passed, Passed),
            (Passed, Blocked),
            (Flagged, Blocked),
            (Passed, Flagged),
            (Blocked, Passed),
            (Blocked, Flagged),
            (Flagged, Passed),
        ];
        for (n, (now, then)) in cases.into_iter().enumerate() {
            let verdicts = |status: Status| match status {
                Passed => Verdicts::new(),
                _ => Verdicts::from([(key.clone(), decided(status))]),
            };
            let replayed = Replayed {
                sha: format!("c{n}"),
                subject: String::new(),
                current: current.clone(),
                now: verdicts(now),
                then: verdicts(then),
                missed: Vec::new(),
                unscanned: Unscanned::default(),
            };
            tally.add(&replayed, &proposed, &mut report);
        }
        let rules = tally.finish();
        let rule = rules.iter().find(|r| r.rule == "r").unwrap();
        let commits = |listed: &[Listed]| listed.iter().map(|l| l.commit.clone()).collect::<Vec<_>>();
        assert_eq!(
            rule.unchanged,
            Unchanged {
                blocked: 1,
                flagged: 1,
                passed: 1
            }
        );
        assert_eq!(commits(&rule.newly_blocked), ["c3", "c4"]);
        assert_eq!(commits(&rule.newly_flagged), ["c5"]);
        assert_eq!(commits(&rule.let_through), ["c6", "c7"]);
        assert_eq!(commits(&rule.no_longer_flagged), ["c8"]);
        assert_eq!(commits(&rule.near_misses.audit_mode), ["c1", "c5", "c7"]);
        // What lets a commit through is said as the current policy said it.
        assert_eq!(rule.let_through[1].reason, "Blocked");
        assert_eq!(rule.newly_blocked[1].reason, "Blocked");
        assert_eq!(rule.current_modes, BTreeMap::from([("audit".to_string(), 9)]));
        assert_eq!(
            report.totals,
            Totals {
                blocked_now: 3,
                blocked_proposed: 3,
                newly_blocked: 2,
                let_through: 2,
                flagged_now: 3,
                flagged_proposed: 3,
            }
        );
        // Review and the agent trailer (on by default in both) are listed
        // though they never fail here; the review trailer check is not.
        let names: Vec<&str> = rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(names, ["review", "r", "agent-trailer"]);
    }
}
