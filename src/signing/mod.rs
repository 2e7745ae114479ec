//! Signed approvals: SSH signatures in the format git uses (SSHSIG).
//!
//! An approval file under `.git/enforce/approvals/` is something the agent
//! can write. A signed approval is one it cannot: the reviewer signs the
//! [`payload`] with a key listed in the signers file committed in the
//! repository (git's allowed-signers format, [`signers`]), and every place
//! that decides checks it the same way ([`verify::check`]) against that
//! file as committed at the commit's first parent, so a key added in the
//! same commit does not count. Signing goes through `ssh-keygen -Y sign`
//! ([`keygen`]), as git's own SSH signing does, so private keys, passphrases
//! and `ssh-agent` work as they do for git; verifying is in-process
//! (the `ssh-key` crate), with no program to start in a hook.

pub mod keygen;
pub mod payload;
pub mod signers;
pub mod trust;
pub mod verify;

/// The namespace of an approval of an ordinary change.
pub const REVIEW: &str = "enforce-review";
/// The namespace of an approval of a change to the policy.
pub const POLICY: &str = "enforce-policy";
