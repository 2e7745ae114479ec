//! Which content rules can match a file's added lines, found in one pass.
//!
//! Matching every rule against every added line costs rules × lines
//! searches, and compiling every rule's expression costs more than the
//! searches: 200 rules on a 1,000-line change took 17 ms a hook. So the
//! rules' patterns are compiled once together as a `RegexSet`, run once
//! over each file's added lines joined by newlines, and only the rules it
//! reports are compiled and matched line by line as before. The set is a
//! filter, never the verdict: a line hits a rule only if the rule's own
//! expression matches that line.
//!
//! Run over the joined lines, the set can report a rule that matches no
//! single line (`a\sb` across a newline): that costs a line-by-line check,
//! nothing more. It must never miss one: `^` and `$` are compiled as line
//! anchors for that, and a pattern anchored to the whole text (`\A`,
//! `\z`, or `^` with multi-line matching turned off) is left out of the
//! set and always checked line by line.

use std::cell::RefCell;
use std::rc::Rc;

use regex_syntax::hir::Look;

use crate::config::{ContentRule, Mode};
use crate::git::AddedFile;

/// How many lists of rules keep their compiled set ([`Candidates::of_rules`]).
const KEPT: usize = 8;

/// What a set is compiled from: each rule's being on, and its pattern.
type Key = Vec<(bool, String)>;

thread_local! {
    /// The sets compiled so far, with what each was compiled from.
    static COMPILED: RefCell<Vec<(Key, Rc<Candidates>)>> = const { RefCell::new(Vec::new()) };
}

/// The content rules' patterns as one set.
pub struct Candidates {
    /// `None` when no pattern could go in, or the set would not compile:
    /// then every rule is a candidate for every file.
    set: Option<regex::bytes::RegexSet>,
    /// For each rule, its index in the set, or `None` (always checked).
    slot: Vec<Option<usize>>,
}

impl Candidates {
    /// The set of `rules`, compiled once for each list of rules a process
    /// meets: `enforce audit` and `enforce backtest` judge every commit
    /// of a range under the same few policies, and compiling the set cost
    /// more than running it. The set depends only on each rule's pattern
    /// and whether it is on, which is what a kept set is found by.
    pub fn of_rules(rules: &[ContentRule]) -> Rc<Candidates> {
        let same = |key: &[(bool, String)]| {
            key.len() == rules.len()
                && key.iter().zip(rules).all(|((on, source), rule)| {
                    *on == (rule.mode != Mode::Off) && source == rule.pattern.as_str()
                })
        };
        COMPILED.with(|compiled| {
            let mut compiled = compiled.borrow_mut();
            if let Some((_, set)) = compiled.iter().find(|(key, _)| same(key)) {
                return set.clone();
            }
            let set = Rc::new(Candidates::new(rules));
            if compiled.len() >= KEPT {
                compiled.remove(0);
            }
            let key = rules
                .iter()
                .map(|r| (r.mode != Mode::Off, r.pattern.as_str().to_string()))
                .collect();
            compiled.push((key, set.clone()));
            set
        })
    }

    pub fn new(rules: &[ContentRule]) -> Candidates {
        let mut slot = vec![None; rules.len()];
        let mut sources = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.mode != Mode::Off && line_safe(rule.pattern.as_str()) {
                slot[i] = Some(sources.len());
                sources.push(rule.pattern.as_str());
            }
        }
        let set = (!sources.is_empty())
            .then(|| {
                regex::bytes::RegexSetBuilder::new(&sources)
                    .multi_line(true)
                    .build()
                    .ok()
            })
            .flatten();
        Candidates { set, slot }
    }

    /// The rules of `active` (indexes into the rules, in order) that may
    /// match a line of `file`.
    pub fn of(&self, file: &AddedFile, active: &[usize]) -> Vec<usize> {
        let Some(set) = &self.set else {
            return active.to_vec();
        };
        let mut joined = Vec::with_capacity(file.lines.iter().map(|(_, l)| l.len() + 1).sum());
        for (_, line) in &file.lines {
            joined.extend_from_slice(line);
            joined.push(b'\n');
        }
        let matched = set.matches(&joined);
        active
            .iter()
            .copied()
            .filter(|&i| self.slot[i].is_none_or(|s| matched.matched(s)))
            .collect()
    }
}

/// Whether a pattern can be searched for in lines joined by newlines
/// without missing a line it matches alone: it holds no assertion about
/// the start or end of the whole text once `^` and `$` mean a line's.
fn line_safe(source: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .multi_line(true)
        .build()
        .parse(source)
        .is_ok_and(|hir| {
            let looks = hir.properties().look_set();
            !looks.contains(Look::Start) && !looks.contains(Look::End)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<ContentRule> {
        crate::config::parse(text, std::path::Path::new("t.toml"))
            .unwrap()
            .rules
            .content
    }

    #[test]
    fn a_set_is_kept_for_the_same_patterns_and_modes_only() {
        let one = rules("[[rules.content]]\nname = \"a\"\npattern = 'kept_\\d+'\n");
        let again = rules("[[rules.content]]\nname = \"b\"\npattern = 'kept_\\d+'\n");
        let other = rules("[[rules.content]]\nname = \"a\"\npattern = 'kept_\\w+'\n");
        let off = rules("[[rules.content]]\nname = \"a\"\npattern = 'kept_\\d+'\nmode = \"off\"\n");
        let set = Candidates::of_rules(&one);
        assert!(Rc::ptr_eq(&set, &Candidates::of_rules(&again)));
        assert!(!Rc::ptr_eq(&set, &Candidates::of_rules(&other)));
        let unset = Candidates::of_rules(&off);
        assert!(!Rc::ptr_eq(&set, &unset));
        assert!(unset.set.is_none());
    }

    #[test]
    fn whole_text_anchors_stay_out_of_the_set() {
        assert!(line_safe(r"^TODO"));
        assert!(line_safe(r"secret\s*=\s*\S+$"));
        assert!(line_safe(r"(?i)\bpassword\b"));
        assert!(!line_safe(r"\ATODO"));
        assert!(!line_safe(r"TODO\z"));
        assert!(!line_safe(r"(?-m)^TODO"));
    }
}
