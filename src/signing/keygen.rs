//! Signing with `ssh-keygen -Y sign`, as git's SSH signing does.
//!
//! Going through ssh-keygen means private key files, passphrases and keys
//! held in `ssh-agent` (a public key file whose private half the agent
//! has) all work exactly as they do for `git commit -S`. Signing happens
//! in `enforce review approve`, never in a hook.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ssh_key::public::KeyData;

use crate::error::{Error, Result};

fn signing_error(message: impl Into<String>, hint: impl Into<String>) -> Error {
    Error::Signing {
        message: message.into(),
        hint: hint.into(),
    }
}

/// Signs `payload` for `namespace` with the key at `key`; the armored
/// signature.
pub fn sign(key: &Path, namespace: &str, payload: &[u8]) -> Result<String> {
    let mut child = Command::new("ssh-keygen")
        .args(["-Y", "sign", "-q", "-n", namespace, "-f"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            signing_error(
                format!("cannot run `ssh-keygen` to sign ({e})"),
                "install OpenSSH's client tools (apt-get install openssh-client), or sign elsewhere: enforce review payload, then --signature FILE",
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A key ssh-keygen cannot load makes it exit before reading: the
        // write then fails, and its stderr says why.
        let _ = stdin.write_all(payload);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| signing_error(format!("ssh-keygen failed ({e})"), "try again"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let said = stderr
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    if !out.status.success() {
        let hint = if said.contains("agent") || said.contains("No private key found") {
            "start the agent and add the key (eval \"$(ssh-agent)\"; ssh-add KEY), or pass the private key file with --key"
        } else {
            "pass a private key file, or a public key whose private half is in ssh-agent, with --key PATH"
        };
        return Err(signing_error(
            format!(
                "ssh-keygen could not sign with `{}`: {}",
                key.display(),
                if said.is_empty() { "no reason given" } else { said }
            ),
            hint,
        ));
    }
    let signature = String::from_utf8(out.stdout)
        .map_err(|_| signing_error("ssh-keygen wrote a signature that is not text", "try again"))?;
    if !signature.contains("-----BEGIN SSH SIGNATURE-----") {
        return Err(signing_error(
            "ssh-keygen wrote no signature",
            "check the key with: ssh-keygen -y -f KEY",
        ));
    }
    Ok(signature)
}

/// The public key of the key at `path`: a public key file, a private key
/// file (its public half is stored in the clear), or a private key with
/// its `.pub` beside it.
pub fn public_key(path: &Path) -> Result<KeyData> {
    let unreadable = |why: String| {
        signing_error(
            format!("cannot read a key from `{}`: {why}", path.display()),
            "pass an OpenSSH private key file, or a public key whose private half is in ssh-agent, with --key PATH",
        )
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    if let Ok(public) = ssh_key::PublicKey::from_openssh(text.trim()) {
        return Ok(public.key_data().clone());
    }
    if let Ok(private) = ssh_key::PrivateKey::from_openssh(text.trim()) {
        return Ok(private.public_key().key_data().clone());
    }
    let mut pub_path = path.as_os_str().to_owned();
    pub_path.push(".pub");
    if let Ok(text) = std::fs::read_to_string(PathBuf::from(&pub_path))
        && let Ok(public) = ssh_key::PublicKey::from_openssh(text.trim())
    {
        return Ok(public.key_data().clone());
    }
    Err(unreadable(
        "it is neither an OpenSSH public nor private key".into(),
    ))
}

/// The `SHA256:…` fingerprint of a key.
pub fn fingerprint(key: &KeyData) -> String {
    key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
}
