//! Checking a signed approval: the signature, the signer, and what it binds.
//!
//! Every place that decides (pre-commit, `audit`, `pre-receive`) calls
//! [`check`] with who may sign as committed at the commit's first parent
//! ([`Trust`]) and what the commit is ([`Binding`]), so the hooks and the
//! server cannot disagree about an approval.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::payload::Payload;
use super::signers::{AllowedSigners, Refusal, Revoked};
use super::{POLICY, REVIEW};

/// The signed part of an approval, as approval files and receipts carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub payload: Payload,
    /// The SSHSIG signature, armored as `ssh-keygen -Y sign` writes it.
    pub signature: String,
}

/// Who may sign, as committed at one commit.
#[derive(Debug, Clone)]
pub struct Trust {
    pub signers: AllowedSigners,
    pub revoked: Revoked,
    /// Where the signers came from, for messages: "`.enforce/allowed_signers`
    /// as committed at 1a2b3c4d5e6f".
    pub source: String,
    /// Where the revocations came from, the same way.
    pub revoked_source: String,
}

/// What the commit an approval is used for is.
#[derive(Debug, Clone)]
pub struct Binding<'a> {
    pub tree: &'a str,
    pub parent: Option<&'a str>,
    /// The commit changes the policy (`.enforce.toml`, the signers or the
    /// revocations file): the approval must be signed for
    /// [`POLICY`].
    pub changes_policy: bool,
    /// The instant the approval must still be valid at: now in a hook,
    /// the author date in `audit` (kept by a rebase).
    pub at: DateTime<FixedOffset>,
    /// The longest an approval may live (`max_age_seconds`).
    pub max_age_seconds: u64,
}

/// A signature that checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub principal: String,
    pub namespace: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// The approval holds by its patch id, not its tree (a rebase).
    pub by_patch_id: bool,
}

fn time(value: &str, what: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(value).map_err(|_| format!("its {what} `{value}` is not an RFC 3339 time"))
}

/// Checks `signed` for the commit `binding` describes. `patch_id` gives
/// the commit's patch id, asked for only when the tree does not match.
/// The error is one line saying what is wrong.
pub fn check(
    signed: &Signed,
    trust: &Trust,
    binding: &Binding,
    patch_id: impl FnOnce() -> Option<String>,
) -> Result<Verified, String> {
    let payload = &signed.payload;
    let text = signed.signature.trim();
    if !text.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(
            "the signature is not an SSH signature (it does not start with -----BEGIN SSH SIGNATURE-----)"
                .into(),
        );
    }
    let sig = SshSig::from_pem(text).map_err(|e| format!("the signature is malformed ({e})"))?;
    let key = sig.public_key().clone();
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    if sig.namespace() != payload.namespace {
        return Err(format!(
            "the signature is for namespace `{}`, the approval names `{}`",
            sig.namespace(),
            payload.namespace
        ));
    }
    if payload.namespace != REVIEW && payload.namespace != POLICY {
        return Err(format!(
            "it is signed for namespace `{}`: enforce accepts `{REVIEW}` and `{POLICY}`",
            payload.namespace
        ));
    }
    if binding.changes_policy && payload.namespace != POLICY {
        return Err(format!(
            "the commit changes the policy, which needs an approval signed for `{POLICY}`; this one is signed for `{}`",
            payload.namespace
        ));
    }
    if trust.revoked.contains(&key) {
        return Err(format!("key {fingerprint} is revoked ({})", trust.revoked_source));
    }
    let approved = time(&payload.approved_at, "approved-at")?;
    let expires = time(&payload.expires_at, "expires-at")?;
    let principal = &payload.principal;
    let namespace = &payload.namespace;
    if let Err(refusal) = trust.signers.allow(&key, principal, namespace, approved.to_utc()) {
        return Err(match refusal {
            Refusal::UnknownKey => format!("key {fingerprint} is not in {}", trust.source),
            Refusal::Principal { allowed } => format!(
                "key {fingerprint} may sign as {}, not as {principal} ({})",
                allowed.join(" or "),
                trust.source
            ),
            Refusal::Namespace { allowed } => format!(
                "key {fingerprint} of {principal} may sign for `{allowed}`, not `{namespace}` ({})",
                trust.source
            ),
            Refusal::Validity { line } => format!(
                "key {fingerprint} of {principal} is not valid at {} (valid-after/valid-before on line {line} of {})",
                payload.approved_at, trust.source
            ),
        });
    }
    PublicKey::from(key)
        .verify(namespace, &payload.to_bytes(), &sig)
        .map_err(|_| {
            format!("the signature by {principal} does not match the approval: it was made over other bytes")
        })?;

    let lifetime = (expires - approved).num_seconds();
    if lifetime < 0 || lifetime as u64 > binding.max_age_seconds {
        return Err(format!(
            "it is valid for {lifetime} s, longer than max_age_seconds = {} allows",
            binding.max_age_seconds
        ));
    }
    if binding.at >= expires {
        return Err(format!("it expired at {}", payload.expires_at));
    }
    let same_tree = payload.tree == binding.tree && payload.parent.as_deref() == binding.parent;
    let by_patch_id = !same_tree && payload.patch_id.is_some() && patch_id() == payload.patch_id;
    if !same_tree && !by_patch_id {
        return Err(format!(
            "the signed approval is for tree {} on parent {}, and neither that nor its patch id matches this commit",
            crate::git::short_id(&payload.tree),
            payload.parent.as_deref().map_or("none", crate::git::short_id)
        ));
    }
    Ok(Verified {
        principal: principal.clone(),
        namespace: namespace.clone(),
        fingerprint,
        by_patch_id,
    })
}

/// The fingerprint of the key that made an armored signature, if it parses.
pub fn signer_fingerprint(armored: &str) -> Option<String> {
    let sig = SshSig::from_pem(armored.trim()).ok()?;
    Some(sig.public_key().fingerprint(HashAlg::Sha256).to_string())
}

/// Now, for a hook's [`Binding::at`].
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}
