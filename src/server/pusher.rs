//! Who pushed, as far as the server can tell.
//!
//! git itself names nobody: `pre-receive` runs as whatever account the
//! transport runs as. What is real comes from the layer in front of git:
//! a signed push (`git push --signed`, with `receive.certNonceSeed` set),
//! a hosting tool, or the web server of smart HTTP. Without any of them,
//! the account the hook runs as is all there is (over SSH often one shared
//! `git` account), and the event says which it was.

/// The pusher's name and the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pusher {
    pub name: String,
    pub from: &'static str,
}

/// The variables that name a pusher, most trustworthy first.
const SOURCES: [&str; 7] = [
    // `git push --signed`: the key's owner, when git verified the signature.
    "GIT_PUSH_CERT_SIGNER",
    // GitLab.
    "GL_USERNAME",
    // Gitolite.
    "GL_USER",
    // Gitea and Forgejo.
    "GITEA_PUSHER_NAME",
    // Smart HTTP: the user the web server authenticated.
    "REMOTE_USER",
    // The account the hook runs as.
    "USER",
    "LOGNAME",
];

/// The pusher, from the hook's environment.
pub fn from_env() -> Option<Pusher> {
    find(|key| std::env::var(key).ok())
}

/// The first source that names someone; a push certificate counts only
/// when git found its signature good (`GIT_PUSH_CERT_STATUS=G`).
fn find(var: impl Fn(&str) -> Option<String>) -> Option<Pusher> {
    SOURCES.into_iter().find_map(|from| {
        if from == "GIT_PUSH_CERT_SIGNER" && var("GIT_PUSH_CERT_STATUS").as_deref() != Some("G") {
            return None;
        }
        let name = var(from)?.trim().to_string();
        (!name.is_empty()).then_some(Pusher { name, from })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_trustworthy_first() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
        };
        let pusher = |name: &str, from| {
            Some(Pusher {
                name: name.into(),
                from,
            })
        };
        assert_eq!(
            find(env(&[("USER", "git"), ("GL_USERNAME", "ana")])),
            pusher("ana", "GL_USERNAME")
        );
        assert_eq!(
            find(env(&[
                ("USER", "git"),
                ("GIT_PUSH_CERT_SIGNER", "Ana <a@x>"),
                ("GIT_PUSH_CERT_STATUS", "G")
            ])),
            pusher("Ana <a@x>", "GIT_PUSH_CERT_SIGNER")
        );
        assert_eq!(
            find(env(&[
                ("USER", "git"),
                ("GIT_PUSH_CERT_SIGNER", "Ana <a@x>"),
                ("GIT_PUSH_CERT_STATUS", "B")
            ])),
            pusher("git", "USER")
        );
        assert_eq!(
            find(env(&[("REMOTE_USER", " "), ("LOGNAME", "bo")])),
            pusher("bo", "LOGNAME")
        );
        assert_eq!(find(env(&[])), None);
    }
}
