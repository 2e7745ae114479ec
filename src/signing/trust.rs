//! Who may sign, read from a commit's tree.

use std::path::{Path, PathBuf};

use super::signers::{AllowedSigners, Revoked};
use super::verify::Trust;
use crate::config::{FILE_NAME, Review};
use crate::git::{Git, short_id};

/// The signers (and revocations) committed in `tree`, the tree of the
/// commit `commit` (for messages); `Ok(None)` when no signers file is
/// configured. A configured file that is missing or broken is an error,
/// one line saying which and what to do.
pub fn load(
    git: &Git,
    tree: Option<&str>,
    commit: Option<&str>,
    review: &Review,
) -> Result<Option<Trust>, String> {
    let Some(signers_path) = &review.signers else {
        return Ok(None);
    };
    let Some(tree) = tree else {
        return Err(format!(
            "`{}` cannot be read: there is no parent commit to read the signers from; make the first commit without requiring signatures",
            signers_path.as_str()
        ));
    };
    let at = commit.map_or("as committed at the first parent".to_string(), |c| {
        format!("as committed at {}", short_id(c))
    });
    read(git, tree, &at, review).map(Some)
}

/// Checks the signers and revocations files as staged in `tree`, when the
/// change touches them: a file that does not parse would stop every
/// commit after this one.
pub fn check_staged(git: &Git, tree: &str, paths: &[PathBuf], review: &Review) -> Result<(), String> {
    if review.signers.is_none() || !paths.iter().any(|p| policy_files(review)[1..].contains(p)) {
        return Ok(());
    }
    read(git, tree, "as staged", review).map(|_| ())
}

/// The signers and revocations of `review` in `tree`; `at` says which tree
/// in messages ("as committed at 1a2b3c4d5e6f", "as staged").
fn read(git: &Git, tree: &str, at: &str, review: &Review) -> Result<Trust, String> {
    let Some(signers_path) = &review.signers else {
        return Err("[review] signers names no file".into());
    };
    let source = format!("`{}` {at}", signers_path.as_str());
    let blob = |path: &str| -> Result<Option<Vec<u8>>, String> {
        let id = git.blob_id_in(tree, Path::new(path)).map_err(|e| e.to_string())?;
        id.map(|id| git.blob(&id).map_err(|e| e.to_string())).transpose()
    };
    let bytes = blob(signers_path.as_str())?.ok_or_else(|| {
        format!(
            "the signers file `{}` ([review] signers) is missing {at}: commit it, then approve again",
            signers_path.as_str()
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{source} is not UTF-8 text"))?;
    let signers = AllowedSigners::parse(&text).map_err(|why| format!("{source} does not parse: {why}"))?;
    let revoked_source = review.revocations.as_ref().map_or_else(
        || "no revocations file".to_string(),
        |path| format!("`{}` {at}", path.as_str()),
    );
    let revoked = match &review.revocations {
        None => Revoked::default(),
        Some(path) => match blob(path.as_str())? {
            None => {
                return Err(format!(
                    "the revocations file `{}` ([review] revocations) is missing {at}: commit it (it may be empty)",
                    path.as_str()
                ));
            }
            Some(bytes) => {
                Revoked::parse(&bytes).map_err(|why| format!("{revoked_source} does not parse: {why}"))?
            }
        },
    };
    Ok(Trust {
        signers,
        revoked,
        source,
        revoked_source,
    })
}

/// The files a change of the policy touches: `.enforce.toml`, and the
/// signers and revocations files `review` names.
pub fn policy_files(review: &Review) -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from(FILE_NAME)];
    files.extend(review.signers.iter().map(|p| PathBuf::from(p.as_str())));
    files.extend(review.revocations.iter().map(|p| PathBuf::from(p.as_str())));
    files
}

/// Whether `paths` change the policy under `review` (or under `after`,
/// the policy the change itself sets, so moving the signers file is
/// caught too).
pub fn changes_policy(paths: &[PathBuf], review: &Review, after: Option<&Review>) -> bool {
    let mut files = policy_files(review);
    if let Some(after) = after {
        files.extend(policy_files(after));
    }
    paths.iter().any(|p| files.contains(p))
}
