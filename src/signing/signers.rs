//! Who may sign: git's allowed-signers format, and revoked keys.
//!
//! The file is the one `gpg.ssh.allowedSignersFile` names for git and
//! `ssh-keygen -Y verify -f` reads (ssh-keygen(1), "ALLOWED SIGNERS"):
//!
//! ```text
//! jane@example.com namespaces="enforce-review,enforce-policy" ssh-ed25519 AAAA… jane
//! *@bots.example.com,!ci@bots.example.com ssh-ed25519 AAAA…
//! ```
//!
//! principals (patterns, `!` negates), optional options (`namespaces`,
//! `valid-after`, `valid-before`, `cert-authority`), the key. A line
//! without `namespaces` allows every namespace, as in ssh-keygen. Lines
//! marked `cert-authority` name a certificate authority, whose
//! certificates enforce does not verify: such a line allows no key of its
//! own. The revocation file is a list of public keys, one a line, as
//! `gpg.ssh.revocationFile` takes it; a binary KRL is refused by name.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ssh_key::public::KeyData;

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The line number, for messages.
    pub line: usize,
    principals: String,
    namespaces: Option<String>,
    valid_after: Option<DateTime<Utc>>,
    valid_before: Option<DateTime<Utc>>,
    pub key: KeyData,
}

/// A parsed allowed-signers file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub signers: Vec<Signer>,
}

/// Why no line of the file allows a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No line has the key.
    UnknownKey,
    /// Lines have the key, for other principals.
    Principal { allowed: Vec<String> },
    /// The key and principal match, not for this namespace.
    Namespace { allowed: String },
    /// Outside the line's `valid-after` / `valid-before`.
    Validity { line: usize },
}

impl Signer {
    fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_deref()
            .is_none_or(|list| pattern_list(list, namespace) == Some(true))
    }

    fn valid_at(&self, at: DateTime<Utc>) -> bool {
        self.valid_after.is_none_or(|after| at >= after) && self.valid_before.is_none_or(|before| at < before)
    }
}

impl AllowedSigners {
    /// Reads the file's text; what is wrong and on which line, if not.
    pub fn parse(text: &str) -> Result<AllowedSigners, String> {
        let mut signers = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let fields = split_fields(trimmed).map_err(|why| format!("line {line}: {why}"))?;
            let mut fields = fields.into_iter();
            let principals = fields.next().unwrap_or_default();
            let mut next = fields
                .next()
                .ok_or_else(|| format!("line {line}: no key after the principals"))?;
            let mut options = None;
            if !is_key_type(&next) {
                options = Some(next);
                next = fields
                    .next()
                    .ok_or_else(|| format!("line {line}: no key after the options"))?;
            }
            let base64 = fields
                .next()
                .ok_or_else(|| format!("line {line}: the `{next}` key has no key data"))?;
            let key = ssh_key::PublicKey::from_openssh(&format!("{next} {base64}"))
                .map_err(|e| format!("line {line}: the key does not parse ({e})"))?;
            let mut signer = Signer {
                line,
                principals,
                namespaces: None,
                valid_after: None,
                valid_before: None,
                key: key.key_data().clone(),
            };
            let mut authority = false;
            for option in options
                .as_deref()
                .map(split_options)
                .transpose()
                .map_err(|why| format!("line {line}: {why}"))?
                .unwrap_or_default()
            {
                let (name, value) = match option.split_once('=') {
                    Some((name, value)) => (name.to_ascii_lowercase(), Some(unquote(value))),
                    None => (option.to_ascii_lowercase(), None),
                };
                match (name.as_str(), value) {
                    ("cert-authority", None) => authority = true,
                    ("namespaces", Some(value)) => signer.namespaces = Some(value),
                    ("valid-after", Some(value)) => {
                        signer.valid_after = Some(time(&value).map_err(|why| format!("line {line}: {why}"))?)
                    }
                    ("valid-before", Some(value)) => {
                        signer.valid_before = Some(time(&value).map_err(|why| format!("line {line}: {why}"))?)
                    }
                    _ => return Err(format!("line {line}: unknown option `{option}`")),
                }
            }
            if !authority {
                signers.push(signer);
            }
        }
        Ok(AllowedSigners { signers })
    }

    /// The line that allows `key` to sign as `principal` in `namespace`
    /// at `at`, or why none does.
    pub fn allow(
        &self,
        key: &KeyData,
        principal: &str,
        namespace: &str,
        at: DateTime<Utc>,
    ) -> Result<&Signer, Refusal> {
        let with_key: Vec<&Signer> = self.signers.iter().filter(|s| &s.key == key).collect();
        if with_key.is_empty() {
            return Err(Refusal::UnknownKey);
        }
        let as_principal: Vec<&Signer> = with_key
            .iter()
            .copied()
            .filter(|s| pattern_list(&s.principals, principal) == Some(true))
            .collect();
        if as_principal.is_empty() {
            return Err(Refusal::Principal {
                allowed: with_key.iter().map(|s| s.principals.clone()).collect(),
            });
        }
        let in_namespace: Vec<&Signer> = as_principal
            .iter()
            .copied()
            .filter(|s| s.allows_namespace(namespace))
            .collect();
        let Some(first) = in_namespace.first() else {
            return Err(Refusal::Namespace {
                allowed: as_principal[0].namespaces.clone().unwrap_or_default(),
            });
        };
        in_namespace
            .iter()
            .copied()
            .find(|s| s.valid_at(at))
            .ok_or(Refusal::Validity { line: first.line })
    }

    /// The plain principals (no patterns) `key` may sign as in
    /// `namespace`: what `enforce review approve --key` offers as the
    /// reviewer's name.
    pub fn principals_of(&self, key: &KeyData, namespace: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .signers
            .iter()
            .filter(|s| &s.key == key && s.allows_namespace(namespace))
            .flat_map(|s| s.principals.split(','))
            .filter(|p| !p.starts_with('!') && !p.contains(['*', '?']))
            .map(str::to_string)
            .collect();
        names.dedup();
        names
    }
}

/// Revoked keys: a list of public keys, one a line.
#[derive(Debug, Clone, Default)]
pub struct Revoked {
    keys: Vec<KeyData>,
}

impl Revoked {
    pub fn parse(bytes: &[u8]) -> Result<Revoked, String> {
        if bytes.starts_with(b"SSHKRL\n\0") {
            return Err(
                "it is a binary KRL, which enforce does not read: list the revoked public keys instead, one a line"
                    .into(),
            );
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = ssh_key::PublicKey::from_openssh(line)
                .map_err(|e| format!("line {}: not a public key ({e})", index + 1))?;
            keys.push(key.key_data().clone());
        }
        Ok(Revoked { keys })
    }

    pub fn contains(&self, key: &KeyData) -> bool {
        self.keys.contains(key)
    }
}

fn is_key_type(field: &str) -> bool {
    field.starts_with("ssh-") || field.starts_with("ecdsa-sha2-") || field.starts_with("sk-")
}

/// Splits `text` where `separator` says, outside double quotes (kept in
/// the pieces), dropping empty pieces; `None` when a quote is not closed.
fn split_unquoted(text: &str, separator: impl Fn(char) -> bool) -> Option<Vec<String>> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            quoted = !quoted;
        } else if !quoted && separator(c) {
            pieces.push(std::mem::take(&mut current));
            continue;
        }
        current.push(c);
    }
    if quoted {
        return None;
    }
    pieces.push(current);
    pieces.retain(|p| !p.is_empty());
    Some(pieces)
}

/// Splits a line on white space, keeping double-quoted runs together; the
/// principals (the first field) unquoted.
fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = split_unquoted(line, char::is_whitespace).ok_or("a quote is not closed")?;
    if let Some(first) = fields.first_mut() {
        *first = unquote(first);
    }
    Ok(fields)
}

/// Splits options on commas outside quotes.
fn split_options(options: &str) -> Result<Vec<String>, String> {
    split_unquoted(options, |c| c == ',').ok_or_else(|| "a quote is not closed in the options".into())
}

fn unquote(value: &str) -> String {
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value)
        .to_string()
}

/// `valid-after` / `valid-before`: `YYYYMMDD[Z]` or `YYYYMMDDHHMM[SS][Z]`.
/// Read as UTC with or without the `Z`: the hooks, CI and a server need
/// one answer, whatever their time zones.
fn time(value: &str) -> Result<DateTime<Utc>, String> {
    let digits = value.strip_suffix(['Z', 'z']).unwrap_or(value);
    let bad = || format!("`{value}` is not a time of the form YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]");
    let naive = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .map_err(|_| bad())?
            .and_hms_opt(0, 0, 0)
            .ok_or_else(bad)?,
        12 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M").map_err(|_| bad())?,
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    Ok(naive.and_utc())
}

/// OpenSSH's pattern lists: comma-separated patterns with `*` and `?`,
/// `!` negating. `Some(true)` when a pattern matches and no negated one
/// does, `Some(false)` when a negated one matches, `None` otherwise.
pub fn pattern_list(list: &str, value: &str) -> Option<bool> {
    let mut matched = None;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if wildcard(pattern.as_bytes(), value.as_bytes()) {
            if negated {
                return Some(false);
            }
            matched = Some(true);
        }
    }
    matched
}

fn wildcard(pattern: &[u8], value: &[u8]) -> bool {
    match (pattern.first(), value.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            wildcard(&pattern[1..], value) || (!value.is_empty() && wildcard(pattern, &value[1..]))
        }
        (Some(b'?'), Some(_)) => wildcard(&pattern[1..], &value[1..]),
        (Some(p), Some(v)) if p == v => wildcard(&pattern[1..], &value[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";
    const OTHER: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKv/G5HIJ8cuMWy/5iOf12wKz01pIwpKeh+bRbdrvA2i";

    fn key(text: &str) -> KeyData {
        ssh_key::PublicKey::from_openssh(text).unwrap().key_data().clone()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn patterns_as_openssh_reads_them() {
        assert_eq!(pattern_list("jane@example.com", "jane@example.com"), Some(true));
        assert_eq!(
            pattern_list("*@example.com,!bot@example.com", "jane@example.com"),
            Some(true)
        );
        assert_eq!(
            pattern_list("*@example.com,!bot@example.com", "bot@example.com"),
            Some(false)
        );
        assert_eq!(pattern_list("j?ne@*", "jane@x"), Some(true));
        assert_eq!(pattern_list("jane", "janet"), None);
    }

    #[test]
    fn lines_options_and_refusals() {
        let text = format!(
            "# reviewers\n\njane@example.com namespaces=\"enforce-review,enforce-policy\" {KEY} jane\n\
             bob@example.com namespaces=\"enforce-review\",valid-before=\"20270101Z\" {OTHER}\n\
             ca@example.com cert-authority {OTHER}\n"
        );
        let signers = AllowedSigners::parse(&text).unwrap();
        assert_eq!(signers.signers.len(), 2);
        let now = at("2026-12-02T16:00:00Z");
        assert_eq!(
            signers
                .allow(&key(KEY), "jane@example.com", "enforce-policy", now)
                .unwrap()
                .line,
            3
        );
        assert_eq!(
            signers
                .allow(&key(KEY), "bob@example.com", "enforce-review", now)
                .unwrap_err(),
            Refusal::Principal {
                allowed: vec!["jane@example.com".into()]
            }
        );
        assert_eq!(
            signers
                .allow(&key(OTHER), "bob@example.com", "enforce-policy", now)
                .unwrap_err(),
            Refusal::Namespace {
                allowed: "enforce-review".into()
            }
        );
        assert_eq!(
            signers
                .allow(
                    &key(OTHER),
                    "bob@example.com",
                    "enforce-review",
                    at("2027-01-01T00:00:00Z")
                )
                .unwrap_err(),
            Refusal::Validity { line: 4 }
        );
        assert_eq!(
            signers.principals_of(&key(KEY), "enforce-review"),
            ["jane@example.com"]
        );
        assert!(signers.principals_of(&key(OTHER), "enforce-policy").is_empty());
    }

    #[test]
    fn broken_files_say_which_line() {
        let why = |text: &str| AllowedSigners::parse(text).unwrap_err();
        assert!(why("jane\n").starts_with("line 1: no key"));
        assert!(why(&format!("jane frobnicate {KEY}\n")).contains("unknown option `frobnicate`"));
        assert!(why("jane ssh-ed25519 notbase64\n").contains("does not parse"));
        assert!(why(&format!("jane valid-after=\"tomorrow\" {KEY}\n")).contains("is not a time"));
        assert!(why(&format!("jane namespaces=\"x {KEY}\n")).contains("quote"));
    }

    #[test]
    fn revocations() {
        let revoked = Revoked::parse(format!("# gone\n{OTHER} bob\n").as_bytes()).unwrap();
        assert!(revoked.contains(&key(OTHER)));
        assert!(!revoked.contains(&key(KEY)));
        assert!(
            Revoked::parse(b"SSHKRL\n\0\x01")
                .unwrap_err()
                .contains("binary KRL")
        );
    }
}
