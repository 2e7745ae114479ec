//! The bytes a reviewer signs: what an approval binds, one field a line.
//!
//! The format is fixed and documented byte for byte in docs/review.md, so
//! a reviewer can sign it with plain `ssh-keygen -Y sign` on a machine
//! that has no enforce, and every verifier (pre-commit, `audit`,
//! `pre-receive`) rebuilds exactly the same bytes from the fields a
//! receipt carries.

use serde::{Deserialize, Serialize};

/// The first line, with the format version.
pub const MAGIC: &str = "enforce approval v1";

/// What a signed approval binds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// `enforce-review`, or `enforce-policy` for a change of the policy.
    pub namespace: String,
    /// The tree of the staged content.
    pub tree: String,
    /// `git patch-id --stable` of the staged diff against the first
    /// parent; `None` for a change git gives no patch id (only a mode
    /// change, say).
    pub patch_id: Option<String>,
    /// The first parent; `None` for a root commit.
    pub parent: Option<String>,
    /// The reviewer, as named in the signers file.
    pub principal: String,
    /// RFC 3339, UTC, whole seconds.
    pub approved_at: String,
    pub expires_at: String,
    /// The blob id of `.enforce.toml` at the first parent; `None` when
    /// there is none.
    pub policy: Option<String>,
}

fn or_none(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("none")
}

impl Payload {
    /// The signed bytes: `key value` lines, each ending in a line feed.
    pub fn to_bytes(&self) -> Vec<u8> {
        format!(
            "{MAGIC}\nnamespace {}\ntree {}\npatch-id {}\nparent {}\nprincipal {}\napproved-at {}\nexpires-at {}\npolicy {}\n",
            self.namespace,
            self.tree,
            or_none(&self.patch_id),
            or_none(&self.parent),
            self.principal,
            self.approved_at,
            self.expires_at,
            or_none(&self.policy),
        )
        .into_bytes()
    }

    /// Reads bytes [`Payload::to_bytes`] wrote; what is wrong, if not.
    pub fn parse(bytes: &[u8]) -> Result<Payload, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
        let Some(body) = text.strip_suffix('\n') else {
            return Err("it does not end with a line feed".into());
        };
        let mut lines = body.split('\n');
        if lines.next() != Some(MAGIC) {
            return Err(format!("its first line is not `{MAGIC}`"));
        }
        let mut field = |key: &str| -> Result<String, String> {
            let line = lines
                .next()
                .ok_or_else(|| format!("the `{key}` line is missing"))?;
            line.strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(' '))
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .ok_or_else(|| format!("expected a `{key} …` line, found `{line}`"))
                .and_then(|value| match value.contains(char::is_whitespace) {
                    true => Err(format!("the `{key}` value contains white space")),
                    false => Ok(value),
                })
        };
        let optional = |value: String| (value != "none").then_some(value);
        let payload = Payload {
            namespace: field("namespace")?,
            tree: field("tree")?,
            patch_id: optional(field("patch-id")?),
            parent: optional(field("parent")?),
            principal: field("principal")?,
            approved_at: field("approved-at")?,
            expires_at: field("expires-at")?,
            policy: optional(field("policy")?),
        };
        if let Some(extra) = lines.next() {
            return Err(format!("unexpected line after `policy`: `{extra}`"));
        }
        if payload.to_bytes() != bytes {
            return Err("it is not in the one form enforce writes (spacing or line endings differ)".into());
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> Payload {
        Payload {
            namespace: "enforce-review".into(),
            tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".into(),
            patch_id: Some("0123456789abcdef0123456789abcdef01234567".into()),
            parent: None,
            principal: "jane@example.com".into(),
            approved_at: "2026-12-02T16:00:00Z".into(),
            expires_at: "2026-12-02T17:00:00Z".into(),
            policy: None,
        }
    }

    #[test]
    fn the_bytes_are_exactly_the_documented_ones() {
        assert_eq!(
            String::from_utf8(payload().to_bytes()).unwrap(),
            "enforce approval v1\n\
             namespace enforce-review\n\
             tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
             patch-id 0123456789abcdef0123456789abcdef01234567\n\
             parent none\n\
             principal jane@example.com\n\
             approved-at 2026-12-02T16:00:00Z\n\
             expires-at 2026-12-02T17:00:00Z\n\
             policy none\n"
        );
        assert_eq!(Payload::parse(&payload().to_bytes()), Ok(payload()));
    }

    #[test]
    fn anything_else_is_refused_with_why() {
        let why = |text: &str| Payload::parse(text.as_bytes()).unwrap_err();
        let good = String::from_utf8(payload().to_bytes()).unwrap();
        assert!(why(good.trim_end()).contains("line feed"));
        assert!(why(&good.replace("v1", "v2")).contains("first line"));
        assert!(why(&good.replace("\n", "\r\n")).contains("first line"));
        assert!(why(&good.replace("principal ", "principal  ")).contains("white space"));
        assert!(why(&good.replace("parent none\n", "")).contains("expected a `parent"));
        assert!(why(&format!("{good}extra\n")).contains("unexpected line"));
    }
}
