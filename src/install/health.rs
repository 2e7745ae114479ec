//! The health checks behind `enforce status`: is enforcement actually in
//! force here?
//!
//! Every way enforcement silently stops working gets a check: hooks missing,
//! replaced, pointing at a binary that is gone or another version, not
//! executable; a config that does not validate; an events file that cannot
//! be written; a broken chain; a last commit without a receipt, receipts
//! not pushed, a remote whose receipts `git fetch` does not bring. Each
//! check says OK, WARN or FAIL and, when not OK, the command that fixes it.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Serialize;

use crate::config;
use crate::error::{Error, Result};
use crate::event::chain::HEAD_REF;
use crate::git::notes::{NOTES_REF, remote_notes_ref};
use crate::git::sync::notes_fetch_refspec;
use crate::git::{self, Git, short_id};
use crate::hook::{HookName, KEPT_SUFFIX};
use crate::workspace::Workspace;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
/// How a check came out.
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One check: what was checked, how it came out, and the fix.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub check: String,
    pub status: Level,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Every check; `ok` when none failed.
#[derive(Debug, Serialize)]
pub struct Status {
    pub ok: bool,
    pub checks: Vec<Check>,
}

fn check(name: &str, status: Level, detail: impl Into<String>, fix: Option<&str>) -> Check {
    Check {
        check: name.to_string(),
        status,
        detail: detail.into(),
        fix: fix.map(str::to_string),
    }
}

/// Runs every check for the repository around `cwd`.
pub fn status(cwd: &Path, events_flag: Option<&Path>) -> Result<Status> {
    let mut checks = Vec::new();
    let binary = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .unwrap_or_default();
    checks.push(check(
        "binary",
        Level::Ok,
        format!("enforce {} at {}", env!("CARGO_PKG_VERSION"), binary.display()),
        None,
    ));

    // The config first: the workspace (and so the events file) depends on it.
    let workspace = match Workspace::load(cwd, events_flag) {
        Ok(workspace) => Some(workspace),
        Err(err @ Error::Config { .. }) => {
            checks.push(check(
                "config",
                Level::Fail,
                err.to_string(),
                Some("fix the file; `enforce config check` re-checks it"),
            ));
            None
        }
        Err(err) => return Err(err),
    };
    match workspace.as_ref().and_then(|w| w.git.as_ref()) {
        Some(git) if !git.repo().is_bare() => hook_checks(cwd, git, &binary, &mut checks),
        Some(_) => checks.push(check(
            "hooks",
            Level::Fail,
            "a bare repository runs no commit hooks",
            None,
        )),
        None if workspace.is_some() => checks.push(check(
            "hooks",
            Level::Fail,
            format!("`{}` is not inside a git repository", cwd.display()),
            Some("run `enforce status` inside the repository to check"),
        )),
        None => {}
    }
    if let Some(workspace) = &workspace {
        match &workspace.config.path {
            Some(path) => checks.push(check(
                "config",
                Level::Ok,
                format!("{} is valid", path.display()),
                None,
            )),
            None => checks.push(check(
                "config",
                Level::Ok,
                format!("no {}: the built-in defaults apply", config::FILE_NAME),
                None,
            )),
        }
        if let Some(git) = &workspace.git {
            checks.extend(committed_config_check(git));
        }
        events_checks(workspace, &mut checks);
        if let Some(other) = &workspace.other_events {
            checks.push(check(
                "other events file",
                Level::Warn,
                format!(
                    "{} (the predecessor's log) exists too: enforce neither reads nor writes it here",
                    other.display()
                ),
                Some(
                    "read it with `enforce --events-file data/enforcement_events.jsonl stats`, or make it the log with [telemetry] events_file = \"data/enforcement_events.jsonl\"",
                ),
            ));
        }
        if let Some(git) = workspace.git.as_ref().filter(|g| !g.repo().is_bare()) {
            checks.push(review_check(git, &workspace.config.config.review));
            checks.push(signing_check(git, &workspace.config.config.review));
            receipt_checks(git, &mut checks);
        }
    }

    Ok(Status {
        ok: checks.iter().all(|c| c.status != Level::Fail),
        checks,
    })
}

fn hook_checks(cwd: &Path, git: &Git, binary: &Path, checks: &mut Vec<Check>) {
    let hooks_path = git.config_string("core.hooksPath");
    checks.push(check(
        "core.hooksPath",
        Level::Ok,
        match &hooks_path {
            Some(path) => format!("set to `{path}`: git runs the hooks there"),
            None => "not set: git runs the hooks in the repository's hooks directory".to_string(),
        },
        None,
    ));
    let dir = match git::hooks_dir(cwd) {
        Ok(dir) => dir,
        Err(e) => {
            checks.push(check("hooks", Level::Fail, e.to_string(), None));
            return;
        }
    };
    if dir.exists() && !dir.is_dir() {
        checks.push(check(
            "hooks",
            Level::Fail,
            format!(
                "git runs hooks from {}, which is not a directory: no hook runs",
                dir.display()
            ),
            Some("git config --unset core.hooksPath, then enforce install"),
        ));
        return;
    }
    for name in HookName::ALL {
        checks.push(hook_check(&dir, name, binary));
    }
    worktree_checks(git, &dir, checks);
    let kept: Vec<(bool, String)> = HookName::ALL
        .iter()
        .map(|h| dir.join(format!("{h}{KEPT_SUFFIX}")))
        .filter(|p| p.exists())
        .map(|p| {
            let runs = p.metadata().is_ok_and(|m| m.permissions().mode() & 0o111 != 0);
            (
                runs,
                format!(
                    "{} ({}{})",
                    p.file_name().unwrap_or_default().to_string_lossy(),
                    describe_hook(&p),
                    if runs { "" } else { ", not executable: not run" }
                ),
            )
        })
        .collect();
    let running = kept.iter().any(|(runs, _)| *runs);
    let listed: Vec<&str> = kept.iter().map(|(_, text)| text.as_str()).collect();
    checks.push(check(
        "chained hooks",
        if running { Level::Warn } else { Level::Ok },
        if kept.is_empty() {
            "none".to_string()
        } else if running {
            format!(
                "{}: each runs before enforce's check with the same powers (it can change what is staged, or write what the checks read); read them",
                listed.join(", ")
            )
        } else {
            listed.join(", ")
        },
        running.then_some("keep only hooks you trust; `enforce uninstall` restores them in place"),
    ));
    let writers = approval_writers(&dir);
    if !writers.is_empty() {
        checks.push(check(
            "approval writer",
            Level::Warn,
            format!(
                "{} runs before the review check and writes approvals: every commit it runs for is approved by it",
                writers.join(", ")
            ),
            Some("remove it, or set [review] require_signature = true so only a signed approval counts"),
        ));
    }
}

/// Every other worktree must run enforce's hooks too: with
/// `extensions.worktreeConfig`, `git config --worktree core.hooksPath
/// /dev/null` in one worktree switches them off there alone, where the
/// `status` of another worktree would not look.
fn worktree_checks(git: &Git, here: &Path, checks: &mut Vec<Check>) {
    let here = here.canonicalize().unwrap_or_else(|_| here.to_path_buf());
    for worktree in git.other_worktrees() {
        let Ok(dir) = git::hooks_dir(&worktree) else {
            continue;
        };
        let dir = dir.canonicalize().unwrap_or(dir);
        if dir == here || super::shim::is_ours(&dir.join(HookName::PreCommit.as_str())) {
            continue;
        }
        checks.push(check(
            "worktree",
            Level::Fail,
            format!(
                "{} runs its hooks from {}, which holds no enforce hooks: its commits skip enforce",
                worktree.display(),
                dir.display()
            ),
            Some("in that worktree: git config --worktree --unset core.hooksPath (or enforce install)"),
        ));
    }
}

/// What a chained hook file is, for `status`: its interpreter and size, a
/// binary, or where a link points.
fn describe_hook(path: &Path) -> String {
    if let Ok(target) = fs::read_link(path) {
        return format!("a link to {}", target.display());
    }
    let bytes = fs::read(path).unwrap_or_default();
    if bytes.starts_with(b"\x7fELF") {
        return format!("a binary, {} bytes", bytes.len());
    }
    let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let lines = bytes.iter().filter(|b| **b == b'\n').count();
    match first.strip_prefix(b"#!") {
        Some(interpreter) => format!(
            "a `{}` script, {lines} line(s)",
            String::from_utf8_lossy(interpreter).trim()
        ),
        None => format!("{} bytes, no `#!` line", bytes.len()),
    }
}

/// The chained hooks that run before enforce's review check and mention
/// writing approvals (`enforce review approve`, or the approvals
/// directory): an agent's way to approve its own commits.
fn approval_writers(dir: &Path) -> Vec<String> {
    [HookName::PreCommit, HookName::PreMergeCommit]
        .iter()
        .map(|h| dir.join(format!("{h}{KEPT_SUFFIX}")))
        .filter(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                let text = String::from_utf8_lossy(&bytes);
                text.contains("review approve") || text.contains("enforce/approvals")
            })
        })
        .map(|p| p.file_name().unwrap_or_default().to_string_lossy().into_owned())
        .collect()
}

fn hook_check(dir: &Path, name: HookName, binary: &Path) -> Check {
    let label = format!("hook {name}");
    let path = dir.join(name.as_str());
    let reinstall = Some("enforce install");
    let Ok(meta) = path.symlink_metadata() else {
        return check(
            &label,
            Level::Fail,
            format!("{} is missing: git runs nothing", path.display()),
            reinstall,
        );
    };
    if !super::shim::is_ours(&path) {
        return check(
            &label,
            Level::Fail,
            format!("{} is not an enforce hook", path.display()),
            Some("enforce install (keeps the current hook as <name>.pre-enforce and runs it first)"),
        );
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return check(
            &label,
            Level::Fail,
            format!("{} is not executable: git skips it", path.display()),
            reinstall,
        );
    }
    let super::shim::Installed {
        binary: target,
        version,
    } = super::shim::read(&path);
    let Some(target) = target else {
        return check(&label, Level::Fail, "the hook names no binary", reinstall);
    };
    let target_runs = target
        .metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if !target_runs {
        return check(
            &label,
            Level::Fail,
            format!("runs {}, which is missing: commits fail", target.display()),
            Some("reinstall enforce, then run `enforce install`"),
        );
    }
    if let Some(why) = super::shim::tampered(&path, name, &target, version.as_deref()) {
        return check(
            &label,
            Level::Fail,
            format!("{} was changed: {why}, so it may not run enforce", path.display()),
            Some("enforce install (rewrites it)"),
        );
    }
    let ours = env!("CARGO_PKG_VERSION");
    if version.as_deref() != Some(ours) || target != binary {
        return check(
            &label,
            Level::Warn,
            format!(
                "runs {} (enforce {}), not this enforce {ours} at {}",
                target.display(),
                version.unwrap_or_else(|| "?".into()),
                binary.display()
            ),
            Some("enforce install (points the hooks at this binary)"),
        );
    }
    check(
        &label,
        Level::Ok,
        format!("installed, runs {}", target.display()),
        None,
    )
}

/// Less room than this for the events file is a full file system: a
/// commit's events take a few kilobytes.
const MIN_FREE_BYTES: u64 = 64 * 1024;

/// The bytes an unprivileged writer can still use on the file system that
/// holds `path` (or, if it does not exist yet, its directory).
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = std::iter::successors(Some(path), |p| p.parent()).find(|p| p.exists())?;
    let c_path = std::ffi::CString::new(existing.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a NUL-terminated path and `stat` a valid,
    // writable statvfs that the call fills in.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return None;
    }
    Some((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

fn events_checks(workspace: &Workspace, checks: &mut Vec<Check>) {
    let path = workspace.events.path();
    let origin = workspace.events_origin;
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        let target = fs::read_link(path).map_or_else(|_| "?".into(), |t| t.display().to_string());
        checks.push(check(
            "events file",
            Level::Fail,
            format!(
                "{} is a symbolic link (to {target}): enforce does not append through it, so events are lost",
                path.display()
            ),
            Some("replace the link with the file itself, or point [telemetry] events_file at the real file"),
        ));
        return;
    }
    if let Some(free) = free_bytes(path)
        && free < MIN_FREE_BYTES
    {
        {
            checks.push(check(
                "events file",
                Level::Fail,
                format!(
                    "the file system holding {} has {free} byte(s) free: events cannot be recorded",
                    path.display()
                ),
                Some("free some space there, or point [telemetry] events_file elsewhere"),
            ));
            return;
        }
    }
    match fs::metadata(path) {
        Err(_) if workspace.anchored().is_some() => {
            let seq = workspace.anchored().map_or(0, |a| a.head.seq);
            checks.push(check(
                "events file",
                Level::Fail,
                format!(
                    "{} is gone, but {HEAD_REF} records a log of {seq} chained event(s): it was deleted",
                    path.display()
                ),
                Some(
                    "restore it from a backup; `enforce verify --reanchor` accepts starting anew (recorded)",
                ),
            ));
        }
        Err(_) => {
            let dir_ok = path.parent().is_some_and(|d| !d.exists() || d.is_dir());
            checks.push(check(
                "events file",
                if dir_ok { Level::Warn } else { Level::Fail },
                format!(
                    "{} ({origin}) does not exist yet: no events recorded",
                    path.display()
                ),
                Some("commit, or `enforce record`, to record the first event"),
            ));
        }
        Ok(meta) if !meta.is_file() => checks.push(check(
            "events file",
            Level::Fail,
            format!(
                "{} is not a regular file: events cannot be recorded",
                path.display()
            ),
            Some("move it away, or point [telemetry] events_file elsewhere"),
        )),
        Ok(meta) => {
            let writable = OpenOptions::new().append(true).open(path).is_ok();
            let (lines, last) = count_lines(path);
            checks.push(check(
                "events file",
                if writable { Level::Ok } else { Level::Fail },
                format!(
                    "{} ({origin}): {} bytes, {lines} line(s), last event {}{}",
                    path.display(),
                    meta.len(),
                    last.unwrap_or_else(|| "none".into()),
                    if writable {
                        ""
                    } else {
                        "; NOT WRITABLE: events are lost"
                    }
                ),
                (!writable).then_some("make it writable, or point [telemetry] events_file elsewhere"),
            ));
            let refname = workspace.git.as_ref().map(|_| workspace.anchor_ref());
            match crate::event::verify::verify(
                &workspace.events,
                workspace.anchored().as_ref(),
                refname.as_deref(),
            ) {
                Ok(report) if report.chain.intact => checks.push(check(
                    "chain",
                    Level::Ok,
                    format!(
                        "intact: {} chained, {} unchained, {} unreadable line(s)",
                        report.chain.chained, report.chain.unchained, report.chain.unreadable
                    ),
                    None,
                )),
                Ok(report) => checks.push(check(
                    "chain",
                    Level::Fail,
                    format!(
                        "BROKEN: {}",
                        report
                            .chain
                            .problems
                            .first()
                            .map_or(String::new(), |p| format!("line {}: {}", p.line, p.message))
                    ),
                    Some("`enforce verify` lists every problem; the log may have been edited"),
                )),
                Err(e) => checks.push(check("chain", Level::Fail, e.to_string(), None)),
            }
        }
    }
}

/// Lines in the file and the timestamp of the last event.
fn count_lines(path: &Path) -> (u64, Option<String>) {
    let mut last = None;
    let tally = crate::event::scan::events(&crate::event::EventLog::new(path), |event| {
        last = Some(event.timestamp);
    })
    .unwrap_or_default();
    (tally.lines, last.map(|t| t.to_rfc3339()))
}

/// Whether the config in effect (the file in the work tree) is the one
/// committed: an uncommitted edit changes the rules without a record.
fn committed_config_check(git: &Git) -> Option<Check> {
    let root = git.repo().root.clone()?;
    let head_tree = git.head().ok()?.tree?;
    let on_disk = fs::read(root.join(config::FILE_NAME)).ok();
    let committed = git.blob_at(&head_tree, Path::new(config::FILE_NAME));
    if on_disk == committed {
        return None;
    }
    let detail = match (&on_disk, &committed) {
        (Some(_), None) => format!(
            "{} is not committed: the rules in effect are nowhere on record",
            config::FILE_NAME
        ),
        (None, Some(_)) => format!(
            "{} is committed but missing from the work tree: the defaults apply",
            config::FILE_NAME
        ),
        _ => format!(
            "{} differs from the committed one: the rules in effect are not the recorded ones",
            config::FILE_NAME
        ),
    };
    Some(check(
        "committed config",
        Level::Warn,
        detail,
        Some("commit the change (it is recorded as config_changed), or `git checkout -- .enforce.toml`"),
    ))
}

fn review_check(git: &Git, review: &config::Review) -> Check {
    let approvals = crate::approval::Approvals::new(&git.repo().git_dir);
    let count = approvals.all().len();
    let now = chrono::Local::now().fixed_offset();
    let max_age = review.max_age_seconds.get();
    let valid = approvals
        .all()
        .iter()
        .filter(|a| a.is_valid_at(now, max_age))
        .count();
    check(
        "review approvals",
        Level::Ok,
        format!(
            "{valid} valid, {} expired in this worktree; `enforce review status` checks what is staged",
            count - valid
        ),
        None,
    )
}

/// Whether approvals must be signed, and whether the signers committed at
/// HEAD can be read; how to turn signing on when it is off.
fn signing_check(git: &Git, review: &config::Review) -> Check {
    if !review.require_signature {
        return check(
            "signed approvals",
            Level::Warn,
            "not required: an approval is a file anyone with a shell here can write",
            Some(
                "commit a signers file, then set [review] require_signature = true and signers = \".enforce/allowed_signers\" (docs/review.md)",
            ),
        );
    }
    let head = git.head().ok().and_then(|h| h.commit);
    let tree = head.as_deref().and_then(|c| git.tree_of(c));
    match crate::signing::trust::load(git, tree.as_deref(), head.as_deref(), review) {
        Ok(Some(trust)) => check(
            "signed approvals",
            Level::Ok,
            format!(
                "required; {} key(s) may sign, from {}",
                trust.signers.signers.len(),
                trust.source
            ),
            None,
        ),
        Ok(None) => check(
            "signed approvals",
            Level::Fail,
            "required, but [review] signers names no file",
            Some("set [review] signers = \".enforce/allowed_signers\" and commit that file"),
        ),
        Err(why) => check(
            "signed approvals",
            Level::Fail,
            format!("required, but {why}"),
            Some("until this is fixed every commit that needs review is refused (docs/review.md)"),
        ),
    }
}

/// Whether the last commit has a receipt, and for each remote whether it
/// has this clone's receipts and whether `git fetch` brings its own.
fn receipt_checks(git: &Git, checks: &mut Vec<Check>) {
    if let Some(check) = last_receipt_check(git) {
        checks.push(check);
    }
    let remotes = git.remote_names();
    if remotes.is_empty() {
        checks.push(check(
            "receipts pushed",
            Level::Ok,
            "no remote: the receipts stay in this clone",
            None,
        ));
        return;
    }
    let ours = git.ref_target(NOTES_REF);
    for remote in &remotes {
        checks.push(pushed_check(git, remote, ours.as_deref()));
    }
    for remote in &remotes {
        checks.push(fetch_check(git, remote));
    }
}

fn last_receipt_check(git: &Git) -> Option<Check> {
    let head = git.head().ok()?.commit?;
    let commit = git.commit(&head).ok()?;
    let name = "last commit receipt";
    let short = short_id(&head);
    // Here, else fetched from a remote (what `enforce audit` reads too).
    let mut found = git.note(&head).map(|n| (n, None));
    if found.is_none() {
        found = git
            .refs_matching("refs/notes/remotes/*/enforce")
            .into_iter()
            .find_map(|r| git.note_in(&r, &head).map(|n| (n, Some(r))));
    }
    let Some((note, from)) = found else {
        return Some(check(
            name,
            Level::Warn,
            format!("HEAD {short} has no receipt in {NOTES_REF}: it was made without enforce's hooks"),
            Some("commits made through the hooks get one; `enforce audit` counts the others as offences"),
        ));
    };
    let valid = crate::receipt::Receipt::parse(&note).and_then(|r| {
        r.check(&commit.tree, &commit.parents)?;
        Ok(r)
    });
    Some(match valid {
        Ok(receipt) => {
            let bypassed: Vec<&str> = receipt
                .rules
                .iter()
                .filter(|d| d.is_bypass())
                .map(|d| d.rule.as_str())
                .collect();
            check(
                name,
                Level::Ok,
                format!(
                    "HEAD {short} has one ({}, {}{}){}{}",
                    receipt.operation,
                    receipt.hooks.join(", "),
                    receipt
                        .decision(crate::rules::REVIEW)
                        .map(|d| format!("; review {}", d.outcome))
                        .unwrap_or_default(),
                    if bypassed.is_empty() {
                        String::new()
                    } else {
                        format!("; it records a bypass of {}", bypassed.join(", "))
                    },
                    from.map(|r| format!("; fetched into {r}")).unwrap_or_default()
                ),
                None,
            )
        }
        Err(why) => check(
            name,
            Level::Warn,
            format!("HEAD {short} has a note that counts as none: {why}"),
            Some("`enforce audit` counts it as made without enforce's hooks"),
        ),
    })
}

fn pushed_check(git: &Git, remote: &str, ours: Option<&str>) -> Check {
    let name = "receipts pushed";
    let tracking = remote_notes_ref(remote);
    let fix = format!("git push {remote} {NOTES_REF}:{NOTES_REF} (pre-push sends them with every push)");
    match (ours, git.ref_target(&tracking)) {
        (None, _) => check(name, Level::Ok, "no receipt written in this clone yet", None),
        (Some(ours), Some(theirs)) if git.is_ancestor(ours, &theirs).unwrap_or(false) => check(
            name,
            Level::Ok,
            format!("{remote} has every receipt of this clone (as of the last fetch or push)"),
            None,
        ),
        (Some(_), Some(_)) => check(
            name,
            Level::Warn,
            format!("{remote} lacks receipts written here since the last push (as of the last fetch)"),
            Some(&fix),
        ),
        (Some(_), None) => check(
            name,
            Level::Warn,
            format!("{remote} has none of this clone's receipts: none pushed (or fetched) yet"),
            Some(&fix),
        ),
    }
}

fn fetch_check(git: &Git, remote: &str) -> Check {
    let name = "receipts fetched";
    let key = format!("remote.{remote}.fetch");
    let refspecs = git.config_values(&key);
    let wanted = notes_fetch_refspec(remote);
    let overwrites = refspecs
        .iter()
        .find(|r| r.rsplit_once(':').is_some_and(|(_, to)| to == NOTES_REF));
    if let Some(refspec) = overwrites {
        return check(
            name,
            Level::Warn,
            format!(
                "`{refspec}` fetches into {NOTES_REF} itself: a fetch can overwrite receipts not pushed yet"
            ),
            Some(&format!(
                "git config --unset {key} '^{}$' && git config --add {key} '{wanted}'",
                refspec.replace('+', "\\+")
            )),
        );
    }
    if refspecs.contains(&wanted) {
        return check(
            name,
            Level::Ok,
            format!(
                "`git fetch {remote}` brings its receipts into {}",
                remote_notes_ref(remote)
            ),
            None,
        );
    }
    check(
        name,
        Level::Warn,
        format!("`git fetch {remote}` does not bring its receipts"),
        Some(&format!(
            "git config --add {key} '{wanted}' (or `enforce install`)"
        )),
    )
}
