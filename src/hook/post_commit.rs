//! `post-commit` and `post-merge`: record the commit, and catch commits
//! whose checks were skipped.
//!
//! git runs post-commit even for `git commit --no-verify`, which skips
//! pre-commit and commit-msg. Those two leave a note for the commit attempt
//! (see [`super::attempt`]); a commit made by `git commit` without the note
//! skipped them, so the judge is asked about it here, after the fact, and
//! every failure is recorded as a bypass. Commits git makes without running
//! those hooks at all (cherry-pick, revert, rebase picks) are recognised by
//! the operation that made them and only recorded. This hook never fails:
//! the commit exists.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use chrono::Local;
use serde_json::{Map, Value, json};

use super::HookName;
use super::apply::{self, Target};
use super::attempt::{Attempt, Attempts};
use super::context::HookContext;
use super::summary::Summary;
use super::{config_change, confirm};
use crate::approval::{Approvals, Requirements};
use crate::config::Config;
use crate::error::{EXIT_OK, Result};
use crate::event::{files_fields, types};
use crate::git::git_process_id;
use crate::git::trailers::{self, Trailers};
use crate::git::{CommitInfo, Operation, Patch};
use crate::judge::{self, Facts, MessageFacts, ReviewFacts};
use crate::notice;
use crate::receipt::{self, ApprovalUsed, Decision, Receipt};
use crate::rules::{AGENT_TRAILER, REVIEW, active_rules, agent_trailer, content};

pub fn run(hook: HookName, args: &[OsString]) -> Result<i32> {
    // `git merge --squash` runs post-merge but makes no commit.
    let squash = hook == HookName::PostMerge && args.first().is_some_and(|a| a == "1");
    if !squash && let Err(err) = load_and_record(hook) {
        notice::warning(format!("{hook} could not record this commit: {err}"));
        if let Some(hint) = err.hint() {
            notice::hint(hint);
        }
    }
    Ok(EXIT_OK)
}

fn load_and_record(hook: HookName) -> Result<()> {
    let ctx = HookContext::load(hook)?;
    let result = Made::read(&ctx, hook).and_then(|made| match made {
        Some(made) => record(&ctx, &made),
        None => Ok(()),
    });
    // The commit's last hook: its head covers the events of all of them.
    ctx.publish_head();
    result
}

/// The commit post-commit found (or post-rewrite was told of), and what is
/// known of how it was made.
struct Made<'c> {
    /// post-commit or post-merge.
    hook: HookName,
    commit: CommitInfo,
    operation: Operation,
    /// The notes pre-commit and commit-msg left for this commit, as far as
    /// the commit bears them out (see [`confirm`]).
    attempt: Option<Attempt>,
    /// Why parts of the note were not believed.
    rejected: Vec<String>,
    /// The policy the commit is judged under.
    policy: Cow<'c, Config>,
    /// The tree the commit is compared with: the commit it amends, else its
    /// first parent (the empty tree for a root commit). Its policy is the
    /// one committed there.
    base: String,
    /// A merge: more than one parent, each bringing history the first
    /// lacks.
    merge: bool,
    /// A merge judged on its own changes rather than exempt (what `merges
    /// = "exempt"`, the default, means now).
    merge_measured: bool,
    /// The paths it changes: from `base`, or for a merge from the
    /// automatic merge of its parents.
    paths: Vec<PathBuf>,
    /// The lines it adds, when the content rules are on (and the lines
    /// could be read).
    added: Option<Patch>,
    /// Why the added lines could not be read, when they could not.
    unread: Option<String>,
    /// The message's trailers, as git parses them.
    trailers: Trailers,
    /// `branch`, `user`, `files`, `file_count`, `commit_sha`.
    details: Map<String, Value>,
    file_count: usize,
}

impl<'c> Made<'c> {
    /// `None` when there is nothing to record (a fast-forward merge).
    fn read(ctx: &'c HookContext, hook: HookName) -> Result<Option<Made<'c>>> {
        let commit = ctx.git.commit("HEAD")?;
        let reflog = ctx.git.head_reflog().filter(|r| r.new == commit.sha);
        let operation = ctx.git.operation_of_head(reflog.as_ref());
        let fast_forward = reflog.as_ref().is_some_and(|r| r.is_fast_forward());
        if hook == HookName::PostMerge
            && (operation != Operation::Merge || commit.parents.len() < 2 || fast_forward)
        {
            return Ok(None);
        }
        let previous_head = match &reflog {
            Some(entry) => entry.old.clone(),
            None => commit.parents.first().cloned(),
        };
        Attempts::new(&ctx.git.repo().git_dir).remove(git_process_id());
        let attempt = ctx
            .noted
            .clone()
            .filter(|a| a.tree == commit.tree && a.head == previous_head);
        let base_commit = match operation {
            Operation::Commit { amend: true } => previous_head,
            _ => commit.parents.first().cloned(),
        };
        let mut made = Made::build(ctx, hook, commit, operation, attempt, base_commit)?;
        made.confirm(ctx);
        Ok(Some(made))
    }

    /// Keeps of the note only what the commit bears out.
    fn confirm(&mut self, ctx: &HookContext) {
        let Some(attempt) = self.attempt.as_mut() else {
            return;
        };
        let commit = confirm::Commit {
            commit: &self.commit,
            paths: &self.paths,
            added: self.added.as_ref(),
            trailers: &self.trailers,
            merging: self.merge,
            merge_resolved: self.merge_measured,
        };
        self.rejected = confirm::confirm(ctx, &self.policy, attempt, commit);
        if !self.rejected.is_empty() {
            self.details
                .insert("note_rejected".into(), Value::from(self.rejected.clone()));
        }
    }

    /// A commit git made without running the checks (a rebase pick that
    /// ran no post-commit, as `git rebase --apply` makes them), compared
    /// with its first parent.
    fn of_commit(
        ctx: &'c HookContext,
        hook: HookName,
        commit: CommitInfo,
        operation: Operation,
    ) -> Result<Made<'c>> {
        let base_commit = commit.parents.first().cloned();
        Made::build(ctx, hook, commit, operation, None, base_commit)
    }

    fn build(
        ctx: &'c HookContext,
        hook: HookName,
        commit: CommitInfo,
        operation: Operation,
        attempt: Option<Attempt>,
        base_commit: Option<String>,
    ) -> Result<Made<'c>> {
        let base = base_commit
            .as_deref()
            .and_then(|sha| ctx.git.tree_of(sha))
            .unwrap_or_else(|| ctx.git.empty_tree().to_string());
        let mut diff_base = base.clone();
        // A merge's own changes are what it adds beyond the automatic
        // merge of its parents, as audit measures them (unless the config
        // says `merges = "check"`: then its whole diff, as before).
        let merge = ctx.git.joins_history(&commit.parents);
        let merge_measured = merge && ctx.config.review.merges == crate::config::MergePolicy::Exempt;
        if merge_measured {
            match ctx.git.auto_merge_base(&commit.parents) {
                Ok(Some(merged)) => diff_base = merged,
                Ok(None) => {}
                Err(err) => notice::warning(format!(
                    "could not work out the automatic merge ({err}); judging this merge against its first parent"
                )),
            }
        }
        let policy = ctx.policy_for(Some(&base), &commit.tree);
        // The lines are read for the content rules only; failing to read
        // them (a blob missing from a partial clone) must not cost the
        // review and trailer verdicts, least of all a critical bypass.
        let (mut added, mut changes, mut unread) = (None, None, None);
        if content::any_active(&policy.rules.content) {
            match ctx
                .git
                .changes_and_added_lines(&diff_base, &commit.tree, policy.rules.max_file_bytes)
            {
                Ok((all, patch)) => {
                    changes = Some(all);
                    added = Some(patch);
                }
                Err(err) => unread = Some(err.to_string()),
            }
        }
        let changes = match changes {
            Some(changes) => changes,
            None => ctx.git.changes(&diff_base, &commit.tree)?,
        };
        let paths: Vec<PathBuf> = changes.into_iter().map(|c| c.path).collect();
        let (files, file_count) = files_fields(&paths);
        let mut details = ctx.file_details(&files, file_count);
        details.insert("commit_sha".into(), Value::from(commit.sha.as_str()));
        let trailers = trailers::parse(&commit.message, &ctx.git.trailer_syntax());
        Ok(Made {
            hook,
            trailers,
            commit,
            operation,
            attempt,
            rejected: Vec::new(),
            policy,
            base,
            merge,
            merge_measured,
            paths,
            added,
            unread,
            details,
            file_count,
        })
    }

    fn pre_commit_ran(&self) -> bool {
        self.attempt.as_ref().is_some_and(|a| a.pre_commit.is_some())
    }

    fn commit_msg_ran(&self) -> bool {
        self.attempt.as_ref().is_some_and(|a| a.commit_msg.is_some())
    }

    /// The checking hooks that should have run for this commit and did not.
    fn hooks_skipped(&self) -> Vec<&'static str> {
        let mut skipped = Vec::new();
        if !self.operation.runs_checks() {
            return skipped;
        }
        if !self.pre_commit_ran() {
            skipped.push(if self.operation == Operation::Merge {
                "pre-merge-commit"
            } else {
                "pre-commit"
            });
        }
        if !self.commit_msg_ran() {
            skipped.push("commit-msg");
        }
        skipped
    }
}

fn record(ctx: &HookContext, made: &Made) -> Result<()> {
    let mut summary = Summary::new();
    let skipped = made.hooks_skipped();
    let policy = &made.policy;
    let judged_here = if !skipped.is_empty() {
        if made.rejected.is_empty() {
            notice::warning(format!(
                "this commit skipped the {} hook(s) (git commit --no-verify?); checking its rules now and recording any failure as a bypass",
                skipped.join(" and ")
            ));
        } else {
            notice::warning(format!(
                "the note of this commit's checks does not hold: {}; judging it as a commit that skipped the {} hook(s), recording any failure as a bypass",
                made.rejected.join("; "),
                skipped.join(" and ")
            ));
        }
        judge_after(ctx, made, policy, true, &mut summary)
    } else if !made.operation.runs_checks() {
        // A pick runs no checks: its receipt says how its rules stand, and
        // nothing is recorded as a bypass (post-rewrite may carry the
        // approval of the commit it rewrites).
        judge_after(ctx, made, policy, false, &mut summary)
    } else {
        Vec::new()
    };
    config_change::record(ctx, &made.base, &made.commit.tree, &made.details);
    config_change::record_proposal(ctx, &made.base, &made.commit.tree, &made.details);
    record_completed(ctx, made, &skipped);
    record_agent_mismatch(ctx, made, !skipped.is_empty());
    let receipt = write_receipt(ctx, made, policy, judged_here);
    let signed_parent = receipt
        .approval
        .as_ref()
        .and_then(|a| a.signed.as_ref())
        .map(|s| s.payload.parent.as_ref());
    if made.operation == (Operation::Commit { amend: true })
        && signed_parent.is_some_and(|parent| parent != made.commit.parents.first())
    {
        notice::warning(
            "this amend used an approval signed for a new commit on top of the one it replaces: audit and the server will not accept it; have it signed with `enforce review approve --amend` and amend again",
        );
    }
    config_change::record_policy(
        ctx,
        &made.base,
        &made.commit.tree,
        &made.details,
        &policy.review,
        receipt.approval.as_ref(),
    );
    // The approval is used up by the commit that recorded its tree.
    Approvals::new(&ctx.git.repo().git_dir).remove(&made.commit.tree);
    let mut extra = serde_json::Map::new();
    extra.insert("commit_sha".into(), Value::from(made.commit.sha.as_str()));
    if !skipped.is_empty() {
        extra.insert("hooks_skipped".into(), Value::from(skipped.clone()));
    }
    if !made.rejected.is_empty() {
        extra.insert("note_rejected".into(), Value::from(made.rejected.clone()));
    }
    summary.record_with(ctx, made.hook, made.operation.name(), false, extra);
    start_exports(ctx);
    Ok(())
}

/// Judges the rules the hooks did not judge for this commit: those of the
/// hooks it skipped (`skipped`: every failure is recorded as a bypass), or
/// all of them for a commit git made without running checks (recorded in
/// its receipt only). Returns the decisions for the receipt.
fn judge_after(
    ctx: &HookContext,
    made: &Made,
    policy: &Config,
    skipped: bool,
    summary: &mut Summary,
) -> Vec<Decision> {
    let commit = &made.commit;
    let paths = &made.paths;
    let looked_up = std::time::Instant::now();
    let review = (!made.pre_commit_ran()).then(|| ReviewFacts {
        approval: Approvals::new(&ctx.git.repo().git_dir).state(
            &commit.tree,
            Local::now().fixed_offset(),
            &Requirements::of(
                &ctx.git,
                commit.parents.first().map(String::as_str),
                &policy.review,
                paths,
            ),
        ),
        skip: false,
    });
    let approval_time = looked_up.elapsed();
    if let (Some(err), Some(_)) = (&made.unread, &review) {
        notice::warning(format!("the content rules were not checked: {err}"));
    }
    let added = made
        .added
        .as_ref()
        .filter(|_| review.is_some() && !paths.is_empty());
    let message = (!made.commit_msg_ran()).then_some(MessageFacts {
        trailers: &made.trailers,
        skip: false,
        file: None,
        review_trailer: None,
    });
    let facts = Facts {
        tree: &commit.tree,
        paths,
        merging: made.merge,
        merge_resolved: made.merge_measured,
        review,
        message,
        added,
        checks_skipped: skipped,
    };
    let verdict = judge::judge(&facts, policy);
    summary.add(&verdict, approval_time);
    if skipped {
        let target = Target {
            details: made.details.clone(),
            tree: &commit.tree,
            paths: paths.len(),
            violation_extra: json!({ "commit_sha": commit.sha }),
            after_the_fact: true,
        };
        apply::apply(ctx, &target, &verdict);
    }
    verdict.rules.iter().map(Decision::of).collect()
}

/// Writes the commit's receipt to `refs/notes/enforce`. A cherry-pick
/// with `-x` of a commit whose approved diff it keeps carries that
/// approval (see [`super::post_rewrite`]).
fn write_receipt(ctx: &HookContext, made: &Made, policy: &Config, judged_here: Vec<Decision>) -> Receipt {
    let mut receipt = build_receipt(ctx, made, policy, judged_here);
    if made.operation.name() == "cherry-pick"
        && let Some(source) = super::post_rewrite::cherry_picked_from(&made.commit.message)
    {
        super::post_rewrite::carry(ctx, &source, &made.commit, &mut receipt);
    }
    write(ctx, &made.commit.sha, &receipt);
    receipt
}

/// Writes `receipt` on `commit`. A receipt that cannot be written is
/// reported: the commit exists, and `enforce audit` will count it as made
/// around the hooks until it gets one.
pub(super) fn write(ctx: &HookContext, commit: &str, receipt: &Receipt) {
    if let Err(err) = ctx
        .git
        .write_note(commit, &receipt.to_json(), receipt::NOTE_MESSAGE)
    {
        notice::warning(format!(
            "could not write the receipt of {} ({err}); `enforce audit` will count it as made without the hooks",
            crate::git::short_id(commit)
        ));
    }
}

/// The receipt of the commit `made`: the decisions its hooks left in the
/// attempt notes plus `judged_here` (what was judged after the fact), the
/// approval it used (with the patch id of its diff against its first
/// parent), the policy, the hooks that ran.
fn build_receipt(ctx: &HookContext, made: &Made, policy: &Config, judged_here: Vec<Decision>) -> Receipt {
    let commit = &made.commit;
    let pre = made.attempt.as_ref().and_then(|a| a.pre_commit.as_ref());
    let msg = made.attempt.as_ref().and_then(|a| a.commit_msg.as_ref());
    let mut rules: Vec<Decision> = pre.map(|n| n.rules.clone()).unwrap_or_default();
    rules.extend(msg.map(|n| n.rules.clone()).unwrap_or_default());
    rules.extend(judged_here);
    // The judge's order: review, content rules, agent trailer.
    rules.sort_by_key(|d| match d.rule.as_str() {
        REVIEW => 0,
        AGENT_TRAILER => 2,
        _ => 1,
    });
    let review_passed = rules.iter().any(|d| d.rule == REVIEW && d.outcome == "passed");
    // The approval the judge accepted for the commit's tree (pre-commit's,
    // when its note holds): still in the store until this hook removes it.
    let mut approval = review_passed
        .then(|| Approvals::new(&ctx.git.repo().git_dir).get(&commit.tree))
        .flatten()
        .map(ApprovalUsed::of);
    if let Some(approval) = approval.as_mut().filter(|a| a.patch_id.is_none()) {
        // pre-commit's, when it diffed from this commit's first parent
        // (the attempt's tree is the commit's).
        approval.patch_id = match pre.and_then(|n| n.patch_id.as_ref()) {
            Some(noted) if noted.from == first_parent_tree(&ctx.git, commit) => noted.id.clone(),
            _ => patch_id_of(&ctx.git, commit),
        };
    }
    let mut hooks = Vec::new();
    if made.pre_commit_ran() {
        hooks.push(if made.operation == Operation::Merge {
            "pre-merge-commit"
        } else {
            "pre-commit"
        });
    }
    if made.commit_msg_ran() {
        hooks.push("commit-msg");
    }
    hooks.push(made.hook.as_str());
    let agent = msg
        .and_then(|n| n.agent.clone())
        .or_else(|| agent_trailer::named_agent(&made.trailers, &policy.agent_trailer).map(|n| n.agent))
        .filter(|a| !a.is_empty());
    Receipt {
        enforce_receipt: receipt::VERSION,
        tree: commit.tree.clone(),
        parents: commit.parents.clone(),
        policy: receipt::Policy {
            config_blob: commit
                .parents
                .first()
                .and_then(|p| ctx.git.blob_id_at(p, crate::config::FILE_NAME)),
            digest: receipt::policy_digest(policy),
        },
        rules,
        approval,
        agent,
        hooks: hooks.into_iter().map(str::to_string).collect(),
        operation: made.operation.name().to_string(),
        attempt: ctx.attempt.clone(),
        enforce_version: env!("CARGO_PKG_VERSION").to_string(),
        written_at: Local::now().fixed_offset().to_rfc3339(),
    }
}

/// The receipt of a commit git made without any of enforce's hooks
/// (`git rebase --apply` runs no post-commit for its picks), written by
/// `hook`: its rules judged after the fact like a pick's, nothing recorded
/// as a bypass. An approval it uses is used up.
pub(super) fn fresh_receipt(
    ctx: &HookContext,
    hook: HookName,
    commit: CommitInfo,
    operation: Operation,
) -> Result<Receipt> {
    let made = Made::of_commit(ctx, hook, commit, operation)?;
    let judged = judge_after(ctx, &made, &made.policy, false, &mut Summary::new());
    let receipt = build_receipt(ctx, &made, &made.policy, judged);
    if receipt.approval.is_some() {
        Approvals::new(&ctx.git.repo().git_dir).remove(&made.commit.tree);
    }
    Ok(receipt)
}

/// `git patch-id --stable` of `commit`'s diff against its first parent
/// (the empty tree for a root commit); `None` for an empty diff, or when
/// it cannot be computed (the receipt is written without it).
pub(super) fn patch_id_of(git: &crate::git::Git, commit: &CommitInfo) -> Option<String> {
    git.patch_id(&first_parent_tree(git, commit), &commit.tree)
        .ok()
        .flatten()
}

/// The tree of `commit`'s first parent, the empty tree for a root commit.
fn first_parent_tree(git: &crate::git::Git, commit: &CommitInfo) -> String {
    commit
        .parents
        .first()
        .and_then(|p| git.tree_of(p))
        .unwrap_or_else(|| git.empty_tree().to_string())
}

/// `commit_completed`: the commit, the rules in force, who reviewed it,
/// which agent made it, and which checks it skipped.
fn record_completed(ctx: &HookContext, made: &Made, skipped: &[&str]) {
    let note = made.attempt.as_ref().and_then(|a| a.pre_commit.as_ref());
    let agent = agent_trailer::named_agent(&made.trailers, &ctx.config.agent_trailer)
        .filter(|named| !named.agent.is_empty());
    let reviewer = note.and_then(|n| n.approved_by.clone()).or_else(|| {
        Approvals::new(&ctx.git.repo().git_dir)
            .get(&made.commit.tree)
            .filter(|a| {
                a.is_valid_at(
                    Local::now().fixed_offset(),
                    ctx.config.review.max_age_seconds.get(),
                )
            })
            .map(|a| a.reviewer)
    });
    let review = match note {
        Some(note) if !note.review.is_empty() => note.review.clone(),
        _ if !made.operation.runs_checks() => "carried".to_string(),
        _ if reviewer.is_some() => "approved".to_string(),
        _ => "skipped".to_string(),
    };
    let rules = active_rules(&ctx.config);
    let mut details = made.details.clone();
    details.extend(
        json!({
            "files_changed": made.file_count,
            "rules_checked": rules,
            "rules_count": rules.len(),
            "operation": made.operation.name(),
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    if let Some(agent) = agent {
        details.extend(agent.fields());
    }
    details.insert("review".into(), Value::from(review));
    if let Some(reviewer) = reviewer {
        details.insert("reviewer".into(), Value::from(reviewer));
    }
    if let Some(patch) = made
        .added
        .as_ref()
        .filter(|p| p.binary > 0 || !p.oversized.is_empty())
    {
        details.insert("scan_skipped_binary".into(), Value::from(patch.binary));
        details.insert(
            "scan_skipped_oversized".into(),
            Value::from(patch.oversized.len()),
        );
    }
    if !skipped.is_empty() {
        details.insert("hooks_skipped".into(), Value::from(skipped.to_vec()));
    }
    ctx.recorder.record(types::COMMIT_COMPLETED, details);
}

/// `agent_mismatch`, when the environment shows an agent runtime (see
/// [`crate::runtime`]) and the commit's agent trailer names another, or
/// names none though the commit got past the rule by a skip (the
/// variable, or hooks skipped), for a commit made by `git commit` or `git
/// merge` (a pick keeps its old message). The commit exists: this only
/// records it.
fn record_agent_mismatch(ctx: &HookContext, made: &Made, hooks_skipped: bool) {
    // A pick, a revert or a rebase keeps the message someone else wrote.
    if !made.operation.runs_checks() {
        return;
    }
    let Some(found) = crate::runtime::detect() else {
        return;
    };
    let config = &made.policy.agent_trailer;
    if config.mode == crate::config::Mode::Off {
        return;
    }
    let named = agent_trailer::named_agent(&made.trailers, config).filter(|n| !n.agent.is_empty());
    let fields = match named {
        Some(named) if found.runtime.is_named_by(&named.agent) => return,
        Some(named) => json!({
            "reason": format!(
                "the `{}` trailer names `{}`, but the commit was made under {}",
                named.trailer, named.agent, found.runtime.name
            ),
            "trailer": named.trailer,
            "trailer_agent": named.agent,
        }),
        None => {
            let skipped_by = if hooks_skipped {
                "hooks skipped"
            } else if super::context::env_flag(crate::rules::SKIP_AGENT_TRAILER) {
                crate::rules::SKIP_AGENT_TRAILER
            } else {
                return;
            };
            json!({
                "reason": format!("made under {} with no agent trailer ({skipped_by})", found.runtime.name),
                "skipped_by": skipped_by,
            })
        }
    };
    let mut details = super::context::with(made.details.clone(), fields);
    details.insert("runtime".into(), Value::from(found.runtime.id));
    details.insert("runtime_variable".into(), Value::from(found.variable.as_str()));
    let recorded = ctx.recorder.record(types::AGENT_MISMATCH, details);
    notice::warning(format!(
        "the agent trailer does not match the agent running this commit ({}); {}",
        found.runtime.name,
        crate::event::recorded_as(recorded, types::AGENT_MISMATCH)
    ));
}

/// Starts the configured exports in the background: the commit never waits
/// for a metrics file or a collector.
fn start_exports(ctx: &HookContext) {
    crate::export::background::after_commit(&ctx.config.export, ctx.git.repo().root.as_deref());
}
