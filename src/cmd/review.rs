//! `enforce review approve|status|clear`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, Local, SecondsFormat, Timelike, Utc};
use serde_json::json;

use crate::approval::{Approval, Approvals, Requirements};
use crate::cli::ReviewAction;
use crate::config::Review;
use crate::error::{EXIT_OK, EXIT_POLICY, Error, Result};
use crate::event::{files_fields, types};
use crate::git::{Git, short_id};
use crate::judge::{self, Exemption, Facts, Outcome, Pass, ReviewFacts};
use crate::rules::REVIEW;
use crate::rules::review::ApprovalState;
use crate::signing::payload::Payload;
use crate::signing::verify::{self, Binding, Signed, Trust};
use crate::signing::{POLICY as POLICY_NAMESPACE, REVIEW as REVIEW_NAMESPACE, keygen, trust};
use crate::workspace::Workspace;
use crate::{notice, output};

pub fn run(cwd: &Path, events_flag: Option<&Path>, action: ReviewAction) -> Result<i32> {
    let workspace = Workspace::load(cwd, events_flag)?;
    let git = workspace.require_git(cwd)?;
    if git.repo().is_bare() {
        return Err(Error::NoWorkTree {
            path: git.repo().git_dir.clone(),
            what: "review",
        });
    }
    match action {
        ReviewAction::Approve {
            reviewer,
            note,
            key,
            signature,
            payload,
            amend,
        } => {
            let staged = staged_as(git, amend)?;
            let policy = judged_under(&workspace, git, &staged);
            let review = &policy.review;
            let key = key.or_else(|| review.require_signature.then(|| default_key(git)).flatten());
            let how = match (key, signature) {
                (Some(key), _) => How::Key(key),
                (None, Some(signature)) => How::Signature { signature, payload },
                (None, None) if review.require_signature => {
                    return Err(Error::usage(
                        "this repository requires signed approvals ([review] require_signature), and no key was given",
                        "pass --key PATH (or set git's user.signingKey with gpg.format = ssh), or sign elsewhere: enforce review payload --reviewer NAME, then --signature FILE",
                    ));
                }
                (None, None) => How::Unsigned,
            };
            approve(&workspace, git, &staged, review, reviewer, note, how)
        }
        ReviewAction::Payload { reviewer, amend } => print_payload(&workspace, git, &reviewer, amend),
        ReviewAction::Status => status(&workspace, git),
        ReviewAction::Clear => {
            let removed = Approvals::new(&git.repo().git_dir).clear()?;
            output::print(&format!("removed {removed} approval(s)\n"))?;
            Ok(EXIT_OK)
        }
    }
}

/// How an approval is made.
enum How {
    Unsigned,
    /// Signed here with this key, through `ssh-keygen -Y sign`.
    Key(PathBuf),
    /// A signature made elsewhere over a payload printed earlier.
    Signature {
        signature: PathBuf,
        payload: Option<PathBuf>,
    },
}

/// git's signing key, when git signs with SSH (`gpg.format = ssh`):
/// `user.signingKey` as a path, or a `key::` literal written to a file.
fn default_key(git: &Git) -> Option<PathBuf> {
    if git.config_string("gpg.format").as_deref() != Some("ssh") {
        return None;
    }
    let key = git.config_string("user.signingkey")?;
    if let Some(literal) = key.strip_prefix("key::") {
        let path = git.repo().git_dir.join("enforce").join("signing-key.pub");
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(&path, format!("{literal}\n")).ok()?;
        return Some(path);
    }
    match key.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(rest)),
        None => Some(PathBuf::from(key)),
    }
}

/// The policy the hook will judge what is staged under: the config in
/// effect, or the one committed at HEAD when the change edits
/// `.enforce.toml` (so turning signing on is approved the old way).
fn judged_under<'a>(
    workspace: &'a Workspace,
    git: &Git,
    staged: &Staged,
) -> std::borrow::Cow<'a, crate::config::Config> {
    crate::hook::policy_for(
        git,
        &workspace.config.config,
        workspace.config.text.as_deref(),
        staged.parent_tree.as_deref(),
        &staged.tree,
    )
}

/// What is staged, as an approval sees it.
struct Staged {
    tree: String,
    paths: Vec<PathBuf>,
    parent: Option<String>,
    parent_tree: Option<String>,
}

fn staged(git: &Git) -> Result<Staged> {
    let head = git.head()?;
    let staged = git.staged(&head, None)?;
    Ok(Staged {
        tree: staged.tree,
        paths: staged.paths,
        parent: head.commit,
        parent_tree: head.tree,
    })
}

/// What is staged, as `git commit --amend` will commit it: on HEAD's
/// first parent, with the changes against it.
fn staged_for_amend(git: &Git) -> Result<Staged> {
    let head = git.head()?;
    let Some(commit) = head.commit.as_deref() else {
        return Err(Error::usage(
            "there is no commit to amend yet",
            "approve without --amend for the first commit",
        ));
    };
    let tree = git.staged(&head, None)?.tree;
    let parent = git.commit(commit)?.parents.first().cloned();
    let parent_tree = parent.as_deref().and_then(|p| git.tree_of(p));
    let base = parent_tree.as_deref().unwrap_or(git.empty_tree());
    let paths = git.changes(base, &tree)?.into_iter().map(|c| c.path).collect();
    Ok(Staged {
        tree,
        paths,
        parent,
        parent_tree,
    })
}

fn staged_as(git: &Git, amend: bool) -> Result<Staged> {
    if amend { staged_for_amend(git) } else { staged(git) }
}

/// The namespace an approval of what is staged is signed for:
/// `enforce-policy` when it changes the policy files, else `enforce-review`.
fn namespace(review: &Review, staged: &Staged) -> &'static str {
    if trust::changes_policy(&staged.paths, review, None) {
        POLICY_NAMESPACE
    } else {
        REVIEW_NAMESPACE
    }
}

/// The payload a reviewer signs for what is staged, given now.
fn payload_for(
    git: &Git,
    review: &Review,
    staged: &Staged,
    principal: &str,
) -> Result<(Payload, DateTime<FixedOffset>)> {
    if principal.is_empty() || principal.contains(|c: char| c.is_whitespace() || c.is_control() || c == ',') {
        return Err(Error::usage(
            format!("`{principal}` cannot be a principal: it is empty or has white space or a comma"),
            "name the reviewer as the signers file does, e.g. --reviewer jane@example.com",
        ));
    }
    let base = staged.parent_tree.as_deref().unwrap_or(git.empty_tree());
    let now = Utc::now().with_nanosecond(0).unwrap_or_else(Utc::now);
    let expires = now
        .checked_add_signed(Duration::seconds(review.max_age_seconds.get() as i64))
        .ok_or(Error::ApprovalLifetime)?;
    let payload = Payload {
        namespace: namespace(review, staged).to_string(),
        tree: staged.tree.clone(),
        patch_id: git.patch_id(base, &staged.tree)?,
        parent: staged.parent.clone(),
        principal: principal.to_string(),
        approved_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        expires_at: expires.to_rfc3339_opts(SecondsFormat::Secs, true),
        policy: git.blob_id_in(base, Path::new(crate::config::FILE_NAME))?,
    };
    Ok((payload, expires.fixed_offset()))
}

/// Who may sign, as committed at HEAD, or the error that says why that
/// cannot be read.
fn trust_at_head(git: &Git, review: &Review, staged: &Staged) -> Result<Trust> {
    let signing_error = |message: String| Error::Signing {
        message,
        hint: "docs/review.md shows how to set up the signers file".into(),
    };
    match trust::load(git, staged.parent_tree.as_deref(), staged.parent.as_deref(), review) {
        Ok(Some(trust)) => Ok(trust),
        Ok(None) => Err(Error::Signing {
            message: "no [review] signers file is configured, so a signature could not be checked".into(),
            hint: "commit a signers file and set [review] signers = \".enforce/allowed_signers\" (docs/review.md)".into(),
        }),
        Err(why) => Err(signing_error(why)),
    }
}

/// Checks a signature just made or attached the way the hook will.
fn check_signed(
    signed: &Signed,
    trust: &Trust,
    review: &Review,
    staged: &Staged,
) -> Result<verify::Verified> {
    let binding = Binding {
        tree: &staged.tree,
        parent: staged.parent.as_deref(),
        changes_policy: trust::changes_policy(&staged.paths, review, None),
        at: verify::now(),
        max_age_seconds: review.max_age_seconds.get(),
    };
    verify::check(signed, trust, &binding, || None).map_err(|why| Error::Signing {
        message: format!("the signature does not count: {why}"),
        hint: "sign exactly the payload of what is staged (enforce review payload) with ssh-keygen -Y sign -n <its namespace>, using a key the signers file committed at HEAD allows (docs/review.md)"
            .into(),
    })
}

fn approve(
    workspace: &Workspace,
    git: &Git,
    staged: &Staged,
    review: &Review,
    reviewer: Option<String>,
    note: Option<String>,
    how: How,
) -> Result<i32> {
    if staged.paths.is_empty() {
        return Err(Error::NothingStaged);
    }
    let approvals = Approvals::new(&git.repo().git_dir);
    let (reviewer, approved_at, expires, signed, fingerprint) = match how {
        How::Unsigned => {
            let reviewer = reviewer.unwrap_or_else(|| review.reviewer.as_str().to_string());
            check_name(&reviewer)?;
            let now = Local::now().fixed_offset();
            let expires = now
                .checked_add_signed(Duration::seconds(review.max_age_seconds.get() as i64))
                .ok_or(Error::ApprovalLifetime)?;
            (
                reviewer,
                now.to_rfc3339_opts(SecondsFormat::Micros, false),
                expires,
                None,
                None,
            )
        }
        How::Key(key) => {
            let trust = trust_at_head(git, review, staged)?;
            let public = keygen::public_key(&key)?;
            let fingerprint = keygen::fingerprint(&public);
            let namespace = namespace(review, staged);
            let principal = match reviewer {
                Some(name) => name,
                None => {
                    let names = trust.signers.principals_of(&public, namespace);
                    match names.as_slice() {
                        [one] => one.clone(),
                        [] => {
                            return Err(Error::Signing {
                                message: format!(
                                    "key {fingerprint} may not sign for `{namespace}` in {}",
                                    trust.source
                                ),
                                hint: format!(
                                    "add `<principal> namespaces=\"{namespace}\" <public key>` to the signers file in a commit of its own, or use a key it lists"
                                ),
                            });
                        }
                        _ => {
                            return Err(Error::usage(
                                format!("key {fingerprint} may sign as {}", names.join(", ")),
                                "say which: --reviewer PRINCIPAL",
                            ));
                        }
                    }
                }
            };
            let (payload, expires) = payload_for(git, review, staged, &principal)?;
            let signature = keygen::sign(&key, &payload.namespace, &payload.to_bytes())?;
            let signed = Signed { payload, signature };
            check_signed(&signed, &trust, review, staged)?;
            let approved_at = signed.payload.approved_at.clone();
            (principal, approved_at, expires, Some(signed), Some(fingerprint))
        }
        How::Signature { signature, payload } => {
            let trust = trust_at_head(git, review, staged)?;
            let payload_path = payload.unwrap_or_else(|| approvals.payload_path(&staged.tree));
            let bytes = std::fs::read(&payload_path).map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    Error::usage(
                        format!("there is no payload at `{}` for what is staged", payload_path.display()),
                        "print one first: enforce review payload --reviewer NAME (or pass the signed file with --payload FILE)",
                    )
                } else {
                    Error::io("read the payload", &payload_path, e)
                }
            })?;
            let payload = Payload::parse(&bytes).map_err(|why| {
                Error::usage(
                    format!("`{}` is not an approval payload: {why}", payload_path.display()),
                    "pass the exact file `enforce review payload` printed and the reviewer signed",
                )
            })?;
            if payload.tree != staged.tree {
                return Err(Error::usage(
                    format!(
                        "the payload approves tree {}, but what is staged is tree {}",
                        short_id(&payload.tree),
                        short_id(&staged.tree)
                    ),
                    "stage exactly what was reviewed, or print a new payload for a new signature",
                ));
            }
            let text = std::fs::read_to_string(&signature)
                .map_err(|e| Error::io("read the signature", &signature, e))?;
            let principal = payload.principal.clone();
            let expires = DateTime::parse_from_rfc3339(&payload.expires_at)
                .map_err(|_| Error::usage("the payload's expires-at is not a time", "print a new payload"))?;
            let signed = Signed {
                payload,
                signature: text,
            };
            let verified = check_signed(&signed, &trust, review, staged)?;
            let approved_at = signed.payload.approved_at.clone();
            (
                principal,
                approved_at,
                expires,
                Some(signed),
                Some(verified.fingerprint),
            )
        }
    };
    let (files, file_count) = files_fields(&staged.paths);
    let approval = Approval {
        tree: staged.tree.clone(),
        reviewer: reviewer.clone(),
        note: note.clone(),
        approved_at,
        expires_at: expires.to_rfc3339_opts(SecondsFormat::Micros, false),
        files: files.clone(),
        file_count,
        signed,
    };
    approvals.save(&approval)?;

    let head = git.head()?;
    let mut details = json!({
        "rule": REVIEW,
        "reviewer": reviewer,
        "tree": staged.tree,
        "files": files,
        "file_count": file_count,
        "branch": head.branch,
        "user": git.user(),
        "expires_at": approval.expires_at,
    });
    if let Some(note) = &note {
        details["note"] = json!(note);
    }
    if let (Some(signed), Some(fingerprint)) = (&approval.signed, &fingerprint) {
        details["signed_by"] = json!(signed.payload.principal);
        details["key"] = json!(fingerprint);
        details["namespace"] = json!(signed.payload.namespace);
    }
    let recorder = workspace.recorder("enforce review");
    recorder.record(types::REVIEW_APPROVED, crate::event::details(details));
    workspace.publish_head(recorder.head(), recorder.started_log());
    super::export::refresh_textfile(workspace);

    let now = Local::now().fixed_offset();
    let how = match (&approval.signed, &fingerprint) {
        (Some(signed), Some(fingerprint)) => format!(
            "signed by {reviewer} ({fingerprint}, namespace {})",
            signed.payload.namespace
        ),
        _ => format!("as {reviewer}"),
    };
    let mut text = format!(
        "approved: tree {} ({file_count} file(s)) {how}, valid until {} ({})\n",
        short_id(&staged.tree),
        expires.format("%Y-%m-%d %H:%M:%S %:z"),
        remaining(now, expires)
    );
    for path in staged.paths.iter().take(20) {
        let _ = writeln!(text, "  {}", path.to_string_lossy());
    }
    if staged.paths.len() > 20 {
        let _ = writeln!(text, "  … and {} more", staged.paths.len() - 20);
    }
    text.push_str("commit it now; restaging anything needs a new approval\n");
    output::print(&text)?;
    Ok(EXIT_OK)
}

fn check_name(reviewer: &str) -> Result<()> {
    if reviewer.trim().is_empty() {
        return Err(Error::usage(
            "the reviewer name is empty",
            "name the reviewer: --reviewer NAME",
        ));
    }
    if reviewer.chars().any(char::is_control) {
        return Err(Error::usage(
            "the reviewer name contains a line break or another control character",
            "name the reviewer on one line: --reviewer NAME (it becomes a `Reviewed-by:` trailer)",
        ));
    }
    Ok(())
}

/// `enforce review payload`: the bytes to sign, on standard output; kept
/// for `approve --signature`.
fn print_payload(workspace: &Workspace, git: &Git, principal: &str, amend: bool) -> Result<i32> {
    let staged = staged_as(git, amend)?;
    let policy = judged_under(workspace, git, &staged);
    let review = &policy.review;
    if staged.paths.is_empty() {
        return Err(Error::NothingStaged);
    }
    let (payload, _) = payload_for(git, review, &staged, principal)?;
    let bytes = payload.to_bytes();
    Approvals::new(&git.repo().git_dir).save_payload(&staged.tree, &bytes)?;
    notice::hint(format!(
        "save this to a file and sign it: ssh-keygen -Y sign -n {} -f KEY FILE; then: enforce review approve --signature FILE.sig",
        payload.namespace
    ));
    output::print(&String::from_utf8_lossy(&bytes))?;
    Ok(EXIT_OK)
}

fn status(workspace: &Workspace, git: &Git) -> Result<i32> {
    let staged = staged(git)?;
    // A merge being concluded needs review for what it adds beyond the
    // automatic merge, as pre-commit judges it.
    let concluding = git.concluding_merge(staged.parent.as_deref());
    let merging = concluding.is_some();
    let merge_paths = match concluding {
        Some(Ok(Some(base))) => Some(
            git.changes(&base, &staged.tree)?
                .into_iter()
                .map(|c| c.path)
                .collect(),
        ),
        _ => None,
    };
    let (tree, paths): (&String, &Vec<std::path::PathBuf>) =
        (&staged.tree, merge_paths.as_ref().unwrap_or(&staged.paths));
    let approvals = Approvals::new(&git.repo().git_dir);
    let now = Local::now().fixed_offset();
    let judged = judged_under(workspace, git, &staged);
    let review_config = &judged.review;
    let requirements = Requirements::of(git, staged.parent.as_deref(), review_config, paths);
    let approval = approvals.state(tree, now, &requirements);
    let other_trees = match approval {
        ApprovalState::Missing { other_trees } => other_trees,
        _ => 0,
    };
    let facts = Facts {
        tree,
        paths,
        merging,
        merge_resolved: merging,
        review: Some(ReviewFacts {
            approval,
            skip: false,
        }),
        message: None,
        added: None,
        checks_skipped: false,
    };
    let verdict = judge::judge(&facts, &judged);
    let Some(review) = verdict.review() else {
        return Ok(EXIT_OK);
    };
    let (text, code) = match &review.outcome {
        Outcome::Off => (
            "the review rule is off: no approval needed\n".to_string(),
            EXIT_OK,
        ),
        Outcome::NotNeeded => ("nothing is staged: no approval needed\n".to_string(), EXIT_OK),
        Outcome::Exempt(Exemption::Merge) => (
            "a merge is being concluded: merges are exempt from review\n".to_string(),
            EXIT_OK,
        ),
        Outcome::Exempt(Exemption::GitignoreOnly) => (
            "only .gitignore files are staged: no approval needed\n".to_string(),
            EXIT_OK,
        ),
        Outcome::Passed(pass) => {
            let reviewer = match pass {
                Pass::Approved { reviewer } => reviewer.as_str(),
                _ => "",
            };
            let approval = approvals.get(tree);
            let expires = approval
                .as_ref()
                .and_then(|a| a.expires(review_config.max_age_seconds.get()));
            let signature =
                approval
                    .as_ref()
                    .and_then(|a| a.signed.as_ref())
                    .map_or(String::new(), |signed| {
                        let key = verify::signer_fingerprint(&signed.signature).unwrap_or_default();
                        let checked = if requirements.signature.is_some() {
                            "valid"
                        } else {
                            "not checked: [review] require_signature is off"
                        };
                        format!(
                            "; signed by {} ({key}, namespace {}): {checked}",
                            signed.payload.principal, signed.payload.namespace
                        )
                    });
            let approved_at = approval.map(|a| a.approved_at).unwrap_or_default();
            let until = expires.map_or(String::new(), |e| {
                format!(
                    "; expires {} ({})",
                    e.format("%Y-%m-%d %H:%M:%S %:z"),
                    remaining(now, e)
                )
            });
            (
                format!(
                    "approved: what is staged (tree {}, {} file(s)) was approved by {reviewer} at {approved_at}{until}{signature}\n",
                    short_id(tree),
                    paths.len()
                ),
                EXIT_OK,
            )
        }
        Outcome::Failed(failure) => {
            let mut text = format!(
                "not approved: {} (tree {}, {} file(s))\n",
                failure.reason,
                short_id(tree),
                paths.len()
            );
            if other_trees > 0 {
                let _ = writeln!(
                    text,
                    "{other_trees} approval(s) exist for other staged content: the staged files changed after approval"
                );
            }
            text.push_str(if requirements.signature.is_some() {
                "review what is staged (git diff --cached), then: enforce review approve --key PATH (signed approvals are required)\n"
            } else {
                "review what is staged (git diff --cached), then: enforce review approve\n"
            });
            (text, EXIT_POLICY)
        }
    };
    output::print(&text)?;
    Ok(code)
}

fn remaining(now: DateTime<FixedOffset>, until: DateTime<FixedOffset>) -> String {
    let seconds = (until - now).num_seconds();
    if seconds <= 0 {
        "expired".to_string()
    } else if seconds < 120 {
        format!("in {seconds} s")
    } else if seconds < 7200 {
        format!("in {} min", seconds / 60)
    } else {
        format!("in {} h", seconds / 3600)
    }
}
