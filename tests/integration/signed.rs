//! Signed approvals (`[review] require_signature`): only an approval signed
//! with `ssh-keygen` by a key the signers file committed at the first
//! parent allows counts, in the hook, in `enforce audit` in a fresh clone
//! and in a server's `pre-receive`. Every key is a real one `ssh-keygen`
//! makes; every signature is checked by the built binary; the attacks are
//! the ones an agent with a shell can make: approval files written,
//! copied or edited by hand, keys the signers file does not list or lists
//! in the same commit, receipts forged with `git notes`, the hooks skipped.

use std::cell::Cell;
use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::hookrepo::{HookRepo, find};
use crate::support::{Ran, Test, run};

const SIGNERS: &str = ".enforce/allowed_signers";
const REVOKED: &str = ".enforce/revoked_keys";
const BOTH: &str = "enforce-review,enforce-policy";
const REVIEW_ONLY: &str = "enforce-review";
const JANE: &str = "jane@example.com";
const BOSS: &str = "boss@example.com";

/// Whether `ssh-keygen` is here to make keys and sign; where it is not,
/// the test says it was skipped (and fails under `CI=true`).
fn ssh_keygen_here() -> bool {
    let found = std::process::Command::new("ssh-keygen")
        .arg("-?")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !found {
        crate::support::unavailable(
            "ssh-keygen is not installed",
            "install OpenSSH's client tools (apt-get install openssh-client)",
        );
    }
    found
}

/// An SSH key pair `ssh-keygen` made in the sandbox.
struct Key {
    /// The private key file (`<path>.pub` is its public half).
    path: PathBuf,
    /// `ssh-ed25519 AAAA… name`.
    public: String,
    /// `SHA256:…`.
    fingerprint: String,
}

impl Key {
    fn public_path(&self) -> PathBuf {
        let mut path = self.path.clone().into_os_string();
        path.push(".pub");
        PathBuf::from(path)
    }
}

/// A line of an allowed-signers file.
fn signer(principal: &str, namespaces: &str, key: &Key) -> String {
    format!("{principal} namespaces=\"{namespaces}\" {}\n", key.public)
}

/// The `ssh-keygen` of the machine, in the sandbox's environment.
fn ssh_keygen(repo: &HookRepo, cwd: &Path) -> std::process::Command {
    repo.sandbox.command("ssh-keygen", cwd)
}

/// A repository that requires signed approvals from its very first
/// commit, with `origin` a bare repository with `enforce install
/// --server` done, and the commit pushed there.
struct Signed {
    repo: HookRepo,
    bare: PathBuf,
    /// The first commit: it commits the policy and the signers file.
    base: String,
    clones: Cell<usize>,
}

/// A repository with enforce installed and nothing committed, its
/// `.enforce.toml` not excluded: keys are made in its sandbox before
/// [`Signed::adopt`] commits the policy.
fn fresh_repo() -> HookRepo {
    let repo = HookRepo::new("");
    fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo
}

/// A new ed25519 key `name` in `repo`'s sandbox.
fn key(repo: &HookRepo, name: &str) -> Key {
    Signed::key_of(repo, name, &["ed25519"])
}

impl Signed {
    /// `repo` (from [`fresh_repo`]) with a first commit that adopts signed
    /// approvals with the signers file `signers` (lines of [`signer`])
    /// and, when given, the revocations file `revoked`.
    fn adopt(repo: HookRepo, signers: &str, revoked: Option<&str>) -> Signed {
        let mut config = format!("[review]\nrequire_signature = true\nsigners = \"{SIGNERS}\"\n");
        if let Some(revoked) = revoked {
            config.push_str(&format!("revocations = \"{REVOKED}\"\n"));
            repo.write(REVOKED, revoked);
        }
        repo.write(SIGNERS, signers);
        repo.write(".enforce.toml", &config);
        repo.git(&["add", "-A"]);
        // Bootstrap: the commit that turns signing on is judged under the
        // policy before it (none: the defaults, which take an unsigned
        // approval), and `approve` makes the approval that policy takes.
        repo.approve();
        repo.commit("adopt signed approvals").run();
        let bare = repo.sandbox.path().join("server.git");
        fs::create_dir_all(&bare).unwrap();
        repo.sandbox.git(&bare, &["init", "-q", "--bare"]);
        repo.sandbox
            .test(&bare)
            .args(["install", "--server"])
            .stdout_ignored()
            .run();
        repo.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
        let signed = Signed {
            base: repo.head(),
            repo,
            bare,
            clones: Cell::new(0),
        };
        signed
            .push()
            .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
            .run();
        signed
    }

    /// A new key `name` (`ssh-keygen -t <kind> …`).
    fn key_of(repo: &HookRepo, name: &str, kind: &[&str]) -> Key {
        let dir = repo.sandbox.path().join("keys");
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        let ran = run(ssh_keygen(repo, &dir)
            .args(["-q", "-N", "", "-C", name, "-f"])
            .arg(&path)
            .arg("-t")
            .args(kind));
        assert_eq!(ran.code, 0, "ssh-keygen: {}", ran.stderr);
        let public = fs::read_to_string(dir.join(format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_string();
        let listed = run(ssh_keygen(repo, &dir).arg("-l").arg("-f").arg(&path));
        assert_eq!(listed.code, 0, "ssh-keygen -l: {}", listed.stderr);
        let fingerprint = listed.stdout.split_whitespace().nth(1).unwrap().to_string();
        assert!(fingerprint.starts_with("SHA256:"), "{}", listed.stdout);
        Key {
            path,
            public,
            fingerprint,
        }
    }

    fn root(&self) -> &Path {
        self.repo.root()
    }

    /// The short id enforce shows of `rev`.
    fn short(&self, rev: &str) -> String {
        self.repo.git(&["rev-parse", rev])[..12].to_string()
    }

    /// The tree of what is staged.
    fn staged_tree(&self) -> String {
        self.repo.git(&["write-tree"]).trim().to_string()
    }

    fn approval_path(&self, tree: &str) -> PathBuf {
        self.repo.path(&format!(".git/enforce/approvals/{tree}.json"))
    }

    /// The approval file stored for `tree`, as JSON.
    fn approval(&self, tree: &str) -> Value {
        let text = fs::read_to_string(self.approval_path(tree)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Writes `approval` as the approval file of the staged tree.
    fn store_approval(&self, approval: &Value) {
        let path = self.approval_path(&self.staged_tree());
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, serde_json::to_string_pretty(approval).unwrap()).unwrap();
    }

    /// `enforce review approve --key <key>`.
    fn approve_with(&self, key: &Key) -> Test {
        self.repo
            .test()
            .args(["review", "approve", "--key"])
            .arg(&key.path)
    }

    /// Approves what is staged with `key`, asserting it signs.
    fn approve(&self, key: &Key) {
        self.approve_with(key)
            .stdout_contains(format!("({}, namespace ", key.fingerprint))
            .run();
    }

    /// Stages `rel`, approves it signed with `key`, commits it through
    /// the hooks, asserting each step passes quietly.
    fn commit_signed(&self, rel: &str, content: &str, key: &Key) {
        self.repo.stage(rel, content);
        self.approve(key);
        self.repo.commit(&format!("add {rel}")).run();
    }

    /// `git commit --no-verify`: what an agent does when the hook says no.
    fn commit_no_verify(&self, subject: &str) {
        self.repo
            .git_test(&[
                "commit",
                "-q",
                "--no-verify",
                "-m",
                subject,
                "-m",
                "Agent: test-agent",
            ])
            .stderr_ignored()
            .run();
    }

    /// `enforce review payload --reviewer <principal>`: the bytes to sign.
    fn payload(&self, principal: &str) -> String {
        self.repo
            .test()
            .args(["review", "payload", "--reviewer", principal])
            .stderr_contains("hint: save this to a file and sign it: ssh-keygen -Y sign -n ")
            .stdout_ignored()
            .run()
            .stdout
    }

    /// `ssh-keygen -Y sign -f <key> -n <namespace> <file>`, outside
    /// enforce; the signature file it wrote (`<file>.sig`).
    fn sign_file(&self, key: &Key, namespace: &str, file: &Path) -> PathBuf {
        let mut sig = file.as_os_str().to_owned();
        sig.push(".sig");
        let sig = PathBuf::from(sig);
        // ssh-keygen keeps a signature file that is already there.
        let _ = fs::remove_file(&sig);
        let ran = run(ssh_keygen(&self.repo, self.root())
            .args(["-Y", "sign", "-f"])
            .arg(&key.path)
            .args(["-n", namespace])
            .arg(file));
        assert_eq!(ran.code, 0, "ssh-keygen -Y sign: {}", ran.stderr);
        sig
    }

    /// `text` written to `<sandbox>/<name>`.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.repo.sandbox.path().join(name);
        fs::write(&path, text).unwrap();
        path
    }

    /// An approval file as an agent writes one by hand: `payload` (the
    /// text `enforce review payload` prints, perhaps edited), signed by
    /// `ssh-keygen` with the key and for the namespace `signature` names,
    /// or unsigned when it is `None`.
    fn hand_approval(&self, payload: &str, signature: Option<(&Key, &str)>) -> Value {
        let fields = payload_fields(payload);
        let mut approval = json!({
            "tree": fields["tree"],
            "reviewer": fields["principal"],
            "approved_at": fields["approved_at"],
            "expires_at": fields["expires_at"],
            "files": ["(by hand)"],
            "file_count": 1,
        });
        if let Some((key, namespace)) = signature {
            let file = self.file("hand-payload.txt", payload);
            let sig = fs::read_to_string(self.sign_file(key, namespace, &file)).unwrap();
            approval["signed"] = json!({ "payload": fields, "signature": sig });
        }
        approval
    }

    /// Replaces the receipt of HEAD (a `--no-verify` commit) by one that
    /// claims the review passed with `approval` (an approval file's JSON),
    /// as an agent can with `git notes`: what audit and the server then
    /// say is their own check of the approval.
    fn forge_receipt(&self, approval: &Value) {
        let head = self.repo.head();
        let note = self.repo.git(&["notes", "--ref=enforce", "show", &head]);
        let mut receipt: Value = serde_json::from_str(&note).unwrap();
        for rule in receipt["rules"].as_array_mut().unwrap() {
            if rule["rule"] == "review" {
                *rule = json!({ "rule": "review", "mode": "enforce", "outcome": "passed" });
            }
        }
        let mut used = json!({
            "reviewer": approval["reviewer"],
            "approved_at": approval["approved_at"],
            "tree": approval["tree"],
        });
        if let Some(signed) = approval.get("signed") {
            used["patch_id"] = signed["payload"]["patch_id"].clone();
            used["signed"] = signed.clone();
        }
        receipt["approval"] = used;
        receipt["hooks"] = json!(["pre-commit", "commit-msg", "post-commit"]);
        let file = self.file("forged-receipt.json", &receipt.to_string());
        self.repo.git(&[
            "notes",
            "--ref=enforce",
            "add",
            "-f",
            "-F",
            file.to_str().unwrap(),
            &head,
        ]);
    }

    /// `enforce audit <range>` in a fresh clone that fetched the notes.
    fn audit_range(&self, range: &str) -> Test {
        let n = self.clones.get() + 1;
        self.clones.set(n);
        let name = format!("clone{n}");
        let sandbox = &self.repo.sandbox;
        sandbox.git(
            sandbox.path(),
            &["clone", "-q", self.root().to_str().unwrap(), &name],
        );
        let clone = sandbox.path().join(&name);
        sandbox.git(
            &clone,
            &["fetch", "-q", "origin", "refs/notes/enforce:refs/notes/enforce"],
        );
        sandbox
            .test(&clone)
            .args(["audit", range])
            .redact(&self.base, "[base]")
    }

    /// `enforce audit <base>..HEAD` in a fresh clone with the notes.
    fn audit(&self) -> Test {
        self.audit_range(&format!("{}..HEAD", self.base))
    }

    /// `git push origin main refs/notes/enforce` (the receipts sent by
    /// the push itself, not by pre-push).
    fn push(&self) -> Test {
        self.push_refs(&["main", "refs/notes/enforce"])
    }

    fn push_refs(&self, refs: &[&str]) -> Test {
        self.repo
            .git_test(&["push", "--no-verify", "-q", "origin"])
            .args(refs)
            .redact(self.repo.sandbox.path(), "[SANDBOX]")
            .redact("        \n", "\n")
    }

    /// `enforce audit` of the `count` commits since the base in a fresh
    /// clone, and a push of them to the server, each pass.
    fn accepted_everywhere(&self, count: usize) {
        self.audit()
            .stdout(format!("audit [base]..HEAD: all {count} commit(s) pass\n"))
            .run();
        self.push()
            .stderr(format!(
                "remote: enforce: `refs/heads/main`: {count} new commit(s) pass the audit\n"
            ))
            .run();
    }

    /// `enforce audit range` in a fresh clone, and a push of `refs` to the
    /// server, each reject `commit` (`subject`) for `problem`.
    fn audit_and_server_reject(
        &self,
        range: &str,
        refs: &[&str],
        commit: &str,
        subject: &str,
        problem: &str,
    ) {
        self.audit_range(range)
            .status(1)
            .stdout_contains(format!("{commit} {subject}: {problem}"))
            .run();
        self.push_refs(refs)
            .status(1)
            .stderr_contains(format!("remote:   {commit} \"{subject}\": {problem}"))
            .run();
    }

    /// The id `rev` has in the bare repository, if any.
    fn server_ref(&self, rev: &str) -> Option<String> {
        let out = self
            .repo
            .git_in(&self.bare, &["rev-parse", "-q", "--verify", rev]);
        (out.code == 0).then(|| out.stdout.trim().to_string())
    }

    /// What is staged, with `approval` stored as its approval file, is
    /// refused everywhere, for `hook_reason` in the hook and
    /// `audit_reason` in audit and pre-receive (which check the approval a
    /// forged receipt carries themselves):
    /// - the commit through the hooks exits 1, naming the reason;
    /// - made anyway with `--no-verify`, audit in a fresh clone rejects
    ///   it as the bypass it is;
    /// - with its receipt forged to claim the approval, audit and
    ///   pre-receive still reject it, naming the reason.
    fn rejected_everywhere(&self, approval: &Value, hook_reason: &str, audit_reason: &str) {
        self.store_approval(approval);
        let reviewer = approval["reviewer"].as_str().unwrap();
        self.repo
            .test()
            .args(["review", "status"])
            .status(1)
            .stdout_contains(format!(
                "not approved: the approval by {reviewer} does not count: {hook_reason}"
            ))
            .run();
        self.repo
            .commit("sneak")
            .status(1)
            .stderr_contains(format!(
                "enforce: commit blocked by rule `review`: the approval by {reviewer} does not count: {hook_reason}\n"
            ))
            .stderr_contains("    have a reviewer sign exactly what is staged: enforce review approve --key PATH, or enforce review payload --reviewer NAME and approve --signature FILE (docs/review.md)\n")
            .run();
        let before = self.server_ref("refs/heads/main");

        self.commit_no_verify("sneak");
        let sneak = self.short("HEAD");
        self.audit()
            .status(1)
            .stdout_contains(format!(
                "{sneak} sneak: review: bypassed with git commit --no-verify: the approval by {reviewer} does not count: {hook_reason}\n"
            ))
            .stdout_contains("..HEAD: 1 of ")
            .run();

        self.forge_receipt(approval);
        let problem = format!(
            "review: not reviewed: its receipt's approval by {reviewer} does not count: {audit_reason}"
        );
        let ran = self
            .audit()
            .status(1)
            .stdout_contains(format!("{sneak} sneak: {problem}"))
            .stdout_contains("..HEAD: 1 of ")
            .run();
        assert!(!ran.stdout.contains("bypassed"), "{}", ran.stdout);
        self.push()
            .status(1)
            .stderr_contains("remote: enforce: push rejected: 1 of ")
            .stderr_contains(format!("remote:   {sneak} \"sneak\": {problem}"))
            .stderr_contains(" ! [remote rejected] main -> main (pre-receive hook declined)")
            .run();
        assert_eq!(self.server_ref("refs/heads/main"), before);
    }
}

/// The fields of a payload's text, as approval files and receipts carry
/// them (`none` as null).
fn payload_fields(payload: &str) -> Value {
    let mut fields = serde_json::Map::new();
    let mut lines = payload.lines();
    assert_eq!(lines.next(), Some("enforce approval v1"), "{payload}");
    for line in lines {
        let (key, value) = line.split_once(' ').unwrap();
        let value = if value == "none" {
            Value::Null
        } else {
            Value::from(value)
        };
        fields.insert(key.replace('-', "_"), value);
    }
    Value::Object(fields)
}

/// The payload bytes, rebuilt from a receipt's `approval.signed.payload`
/// in the documented nine-line format.
fn payload_bytes(fields: &Value) -> String {
    let field = |name: &str| fields[name].as_str().unwrap_or("none").to_string();
    format!(
        "enforce approval v1\nnamespace {}\ntree {}\npatch-id {}\nparent {}\nprincipal {}\napproved-at {}\nexpires-at {}\npolicy {}\n",
        field("namespace"),
        field("tree"),
        field("patch_id"),
        field("parent"),
        field("principal"),
        field("approved_at"),
        field("expires_at"),
        field("policy"),
    )
}

/// The receipt on `commit`, as JSON.
fn receipt(repo: &HookRepo, commit: &str) -> Value {
    let note = repo.git(&["notes", "--ref=enforce", "show", commit]);
    serde_json::from_str(&note).unwrap_or_else(|e| panic!("{e}: {note}"))
}

/// Replaces a payload line `key …` by `key value`.
fn with_line(payload: &str, key: &str, value: &str) -> String {
    payload
        .lines()
        .map(|line| match line.split_once(' ') {
            Some((k, _)) if k == key => format!("{key} {value}\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

fn rfc3339(at: chrono::DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn one_line_error(ran: &Ran) {
    let lines: Vec<&str> = ran.stderr.lines().collect();
    assert!(
        lines.len() == 2 && lines[0].starts_with("enforce: ") && lines[1].starts_with("hint: "),
        "expected one error line and its hint:\n{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
}

/// The short form enforce shows of a full id.
fn short(id: &str) -> &str {
    &id[..12]
}

/// The blob id of `.enforce.toml` at `rev`.
fn policy_blob(s: &Signed, rev: &str) -> String {
    s.repo
        .git(&["rev-parse", &format!("{rev}:.enforce.toml")])
        .trim()
        .to_string()
}

/// Attack: none. The happy path every refusal below is measured against:
/// `approve --key` signs with ssh-keygen, the hook, audit in a fresh clone
/// and the server accept the commit, and the signature the receipt carries
/// is one plain `ssh-keygen -Y verify` accepts over the documented bytes.
#[test]
fn a_signed_approval_counts_everywhere_and_ssh_keygen_verifies_the_receipt() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let mut s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.new_events();
    s.repo.stage("a.txt", "a\n");
    let tree = s.staged_tree();
    let fingerprint = regex::escape(&jane.fingerprint);
    s.approve_with(&jane)
        .stdout_matches(&format!(
            r"approved: tree {} \(1 file\(s\)\) signed by jane@example\.com \({fingerprint}, namespace enforce-review\), valid until \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00 \(in \d+ min\)
  a\.txt
commit it now; restaging anything needs a new approval
",
            short(&tree)
        ))
        .run();
    let events = s.repo.new_events();
    let approved = find(&events, "review_approved");
    assert_eq!(approved.details["signed_by"], JANE, "{:#}", approved.details);
    assert_eq!(approved.details["key"], jane.fingerprint.as_str());
    assert_eq!(approved.details["namespace"], "enforce-review");
    s.repo
        .test()
        .args(["review", "status"])
        .stdout_matches(&format!(
            r"approved: what is staged \(tree {}, 1 file\(s\)\) was approved by jane@example\.com at \S+Z; expires [^;]+; signed by jane@example\.com \({fingerprint}, namespace enforce-review\): valid
",
            short(&tree)
        ))
        .run();
    s.repo.commit("add a.txt").run();
    let head = s.repo.head();

    // The receipt carries the signature, over the documented bytes.
    let approval = receipt(&s.repo, &head)["approval"].clone();
    let signed = &approval["signed"];
    let fields = &signed["payload"];
    assert_eq!(fields["tree"], tree.as_str(), "{approval:#}");
    assert_eq!(fields["parent"], s.base.as_str());
    assert_eq!(fields["principal"], JANE);
    assert_eq!(fields["namespace"], "enforce-review");
    assert_eq!(fields["policy"], policy_blob(&s, &s.base).as_str());
    assert_eq!(fields["patch_id"], approval["patch_id"]);
    let sig = s.file("receipt.sig", signed["signature"].as_str().unwrap());
    Test::new(ssh_keygen(&s.repo, s.root()))
        .args([
            "-Y",
            "verify",
            "-f",
            SIGNERS,
            "-I",
            JANE,
            "-n",
            "enforce-review",
            "-s",
        ])
        .arg(&sig)
        .stdin(payload_bytes(fields))
        .stdout(format!(
            "Good \"enforce-review\" signature for jane@example.com with ED25519 key {}\n",
            jane.fingerprint
        ))
        .run();
    // Any other bytes, and ssh-keygen says no too.
    Test::new(ssh_keygen(&s.repo, s.root()))
        .args([
            "-Y",
            "verify",
            "-f",
            SIGNERS,
            "-I",
            JANE,
            "-n",
            "enforce-review",
            "-s",
        ])
        .arg(&sig)
        .stdin(payload_bytes(fields).replace("principal", "principal  "))
        .status(255)
        .stdout_ignored()
        .stderr_ignored()
        .run();

    s.accepted_everywhere(1);
    assert_eq!(s.server_ref("refs/heads/main"), Some(head));
}

/// Attack: none. A reviewer without enforce (or the repository) signs the
/// printed payload with plain `ssh-keygen -Y sign`; the signature is
/// attached with `--signature`, with and without `--payload`.
#[test]
fn a_payload_signed_offline_is_attached_and_counts_everywhere() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    let tree = s.staged_tree();
    let payload = s
        .repo
        .test()
        .args(["review", "payload", "--reviewer", JANE])
        .stderr("hint: save this to a file and sign it: ssh-keygen -Y sign -n enforce-review -f KEY FILE; then: enforce review approve --signature FILE.sig\n")
        .stdout_matches(&format!(
            r"enforce approval v1
namespace enforce-review
tree {tree}
patch-id [0-9a-f]{{40}}
parent {}
principal jane@example\.com
approved-at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ
expires-at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ
policy {}
",
            s.base,
            policy_blob(&s, &s.base)
        ))
        .run()
        .stdout;
    let kept = s.repo.path(&format!(".git/enforce/approvals/{tree}.payload"));
    assert_eq!(fs::read_to_string(&kept).unwrap(), payload);
    let file = s.file("p.txt", &payload);
    let sig = s.sign_file(&jane, "enforce-review", &file);
    // Without --payload: the payload kept for what is staged.
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .stdout_contains(format!(
            "signed by jane@example.com ({}, namespace enforce-review)",
            jane.fingerprint
        ))
        .run();
    s.repo.commit("add a.txt").run();

    // With --payload, and no payload kept.
    s.repo.stage("b.txt", "b\n");
    let payload = s.payload(JANE);
    let tree = s.staged_tree();
    fs::remove_file(s.repo.path(&format!(".git/enforce/approvals/{tree}.payload"))).unwrap();
    let file = s.file("p2.txt", &payload);
    let sig = s.sign_file(&jane, "enforce-review", &file);
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .status(2)
        .stderr_contains("enforce: there is no payload at `")
        .stderr_contains("hint: print one first: enforce review payload --reviewer NAME (or pass the signed file with --payload FILE)")
        .run();
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .arg("--payload")
        .arg(&file)
        .stdout_contains("signed by jane@example.com (")
        .run();
    s.repo.commit("add b.txt").run();
    assert!(receipt(&s.repo, "HEAD")["approval"]["signed"].is_object());

    s.accepted_everywhere(2);
}

/// Attack: an unsigned approval, written by hand or made by `enforce
/// review approve` with `require_signature` switched off in the work
/// tree's `.enforce.toml` for the moment of approving.
#[test]
fn an_unsigned_approval_is_rejected_everywhere() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    const HOOK: &str =
        "it is not signed, and this repository requires signed approvals ([review] require_signature)";
    const AUDIT: &str = "it is not signed, and the policy at its parent requires signed approvals ([review] require_signature)";

    // Written by hand.
    s.repo.stage("a.txt", "a\n");
    let approval = s.hand_approval(&s.payload(JANE), None);
    s.rejected_everywhere(&approval, HOOK, AUDIT);

    // With the work tree's policy relaxed, approve still applies the
    // committed one and makes no unsigned approval.
    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage("a.txt", "a\n");
    s.repo.write(".enforce.toml", "");
    s.repo
        .test()
        .args(["review", "approve"])
        .status(2)
        .stderr_contains(
            "this repository requires signed approvals ([review] require_signature), and no key was given",
        )
        .run();
}

/// Attack: the agent keeps `require_signature` switched off in the work
/// tree's `.enforce.toml` (never staged) while it approves and commits.
/// The hooks, like audit and pre-receive, judge under the committed
/// policy: the unsigned approval is never made and the commit is blocked.
#[test]
fn a_relaxed_work_tree_policy_relaxes_nothing() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    s.repo.write(".enforce.toml", "");
    // The committed policy applies: no unsigned approval, no commit.
    s.repo
        .test()
        .args(["review", "approve"])
        .status(2)
        .stderr_contains("requires signed approvals")
        .run();
    s.repo
        .commit("add a.txt")
        .status(1)
        .stderr_contains("commit blocked by rule `review`")
        .run();
}

/// Attack: a valid signed approval of another tree, copied to the staged
/// tree's approval file (renamed), then edited to name the staged tree.
#[test]
fn a_signed_approval_of_another_tree_is_rejected() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "reviewed\n");
    let reviewed = s.staged_tree();
    s.approve(&jane);
    let approval = s.approval(&reviewed);
    s.repo.stage("a.txt", "something else\n");
    let staged = s.staged_tree();
    assert_ne!(reviewed, staged);
    fs::remove_file(s.approval_path(&reviewed)).unwrap();
    let other = format!(
        "the signed approval is for tree {} on parent {}, and neither that nor its patch id matches this commit",
        short(&reviewed),
        short(&s.base)
    );
    s.rejected_everywhere(
        &approval,
        &format!(
            "the approval stored for tree {} names tree {}",
            short(&staged),
            short(&reviewed)
        ),
        &other,
    );

    // Edited to name the staged tree: the signed payload still names the
    // reviewed one; edited there too, the signature no longer matches.
    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage("a.txt", "something else\n");
    let mut renamed = approval.clone();
    renamed["tree"] = json!(staged);
    let status = |approval: &Value, reason: &str| {
        s.store_approval(approval);
        s.repo
            .test()
            .args(["review", "status"])
            .status(1)
            .stdout_contains(format!("the approval by {JANE} does not count: {reason}"))
            .run();
        s.repo.commit("sneak").status(1).stderr_contains(reason).run();
    };
    status(&renamed, &other);
    renamed["signed"]["payload"]["tree"] = json!(staged);
    status(
        &renamed,
        "the signature by jane@example.com does not match the approval: it was made over other bytes",
    );
}

/// Attack: a key the committed signers file does not list, through
/// `--key` (alone, or claiming a listed principal), through `--signature`,
/// and in an approval file written by hand.
#[test]
fn a_key_not_in_the_committed_signers_file_is_refused() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let mallory = key(&repo, "mallory");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    let tree = s.staged_tree();
    let source = format!("`{SIGNERS}` as committed at {}", short(&s.base));
    s.approve_with(&mallory)
        .status(2)
        .stderr(format!(
            "enforce: key {} may not sign for `enforce-review` in {source}\nhint: add `<principal> namespaces=\"enforce-review\" <public key>` to the signers file in a commit of its own, or use a key it lists\n",
            mallory.fingerprint
        ))
        .run();
    assert!(!s.approval_path(&tree).exists());
    // Listed in the work tree's signers file only (not staged): the same.
    let committed = fs::read_to_string(s.repo.path(SIGNERS)).unwrap();
    s.repo.write(
        SIGNERS,
        &format!("{committed}{}", signer("mallory@example.com", BOTH, &mallory)),
    );
    s.approve_with(&mallory)
        .status(2)
        .stderr_contains(format!(
            "enforce: key {} may not sign for `enforce-review` in {source}\n",
            mallory.fingerprint
        ))
        .run();
    s.repo.write(SIGNERS, &committed);
    let not_in = format!("key {} is not in {source}", mallory.fingerprint);
    s.approve_with(&mallory)
        .args(["--reviewer", JANE])
        .status(2)
        .stderr(format!(
            "enforce: the signature does not count: {not_in}\nhint: sign exactly the payload of what is staged (enforce review payload) with ssh-keygen -Y sign -n <its namespace>, using a key the signers file committed at HEAD allows (docs/review.md)\n"
        ))
        .run();
    assert!(!s.approval_path(&tree).exists());
    let payload = s.payload(JANE);
    let sig = s.sign_file(&mallory, "enforce-review", &s.file("p.txt", &payload));
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .status(2)
        .stderr_contains(format!("enforce: the signature does not count: {not_in}\n"))
        .run();
    assert!(!s.approval_path(&tree).exists());

    let approval = s.hand_approval(&payload, Some((&mallory, "enforce-review")));
    s.rejected_everywhere(&approval, &not_in, &not_in);
}

/// Attack: the agent adds its own key to the signers file in the very
/// commit that it signs with that key.
#[test]
fn a_key_added_in_the_same_commit_does_not_count() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let mallory = key(&repo, "mallory");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    let extended = format!(
        "{}{}",
        signer(JANE, BOTH, &jane),
        signer("mallory@example.com", BOTH, &mallory)
    );
    s.repo.stage(SIGNERS, &extended);
    s.repo.stage("a.txt", "a\n");
    let source = format!("`{SIGNERS}` as committed at {}", short(&s.base));
    // The change touches the signers file: it needs enforce-policy.
    s.approve_with(&mallory)
        .status(2)
        .stderr_contains(format!(
            "enforce: key {} may not sign for `enforce-policy` in {source}\n",
            mallory.fingerprint
        ))
        .run();
    let payload = s.payload("mallory@example.com");
    assert!(payload.contains("\nnamespace enforce-policy\n"), "{payload}");
    let approval = s.hand_approval(&payload, Some((&mallory, "enforce-policy")));
    let not_in = format!("key {} is not in {source}", mallory.fingerprint);
    s.rejected_everywhere(&approval, &not_in, &not_in);

    // Added in a commit of its own, signed for enforce-policy by a key
    // already listed, the new key counts from the next commit on.
    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage(SIGNERS, &extended);
    s.approve_with(&jane)
        .stdout_contains("namespace enforce-policy)")
        .run();
    s.repo.commit("add mallory as a signer").run();
    s.commit_signed("a.txt", "a\n", &mallory);
    s.accepted_everywhere(2);
}

/// Attack: a change of `.enforce.toml` approved by a key the signers file
/// allows only `enforce-review`: signed for `enforce-policy` anyway, or
/// with the payload's namespace edited to `enforce-review`. A key allowed
/// `enforce-policy` gets it through, and the log names who.
#[test]
fn a_policy_change_needs_an_enforce_policy_signature() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let boss = key(&repo, "boss");
    let s = Signed::adopt(
        repo,
        &format!(
            "{}{}",
            signer(JANE, REVIEW_ONLY, &jane),
            signer(BOSS, BOTH, &boss)
        ),
        None,
    );
    let stricter = format!(
        "{}max_age_seconds = 1800\n",
        fs::read_to_string(s.repo.path(".enforce.toml")).unwrap()
    );
    s.repo.stage(".enforce.toml", &stricter);
    let source = format!("`{SIGNERS}` as committed at {}", short(&s.base));
    s.approve_with(&jane)
        .status(2)
        .stderr_contains(format!(
            "enforce: key {} may not sign for `enforce-policy` in {source}\n",
            jane.fingerprint
        ))
        .run();
    let payload = s.payload(JANE);
    assert!(payload.contains("\nnamespace enforce-policy\n"), "{payload}");
    let sig = s.sign_file(&jane, "enforce-policy", &s.file("p.txt", &payload));
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .status(2)
        .stderr_contains(format!(
            "enforce: the signature does not count: key {} of {JANE} may sign for `enforce-review`, not `enforce-policy` ({source})\n",
            jane.fingerprint
        ))
        .run();
    let as_review = with_line(&payload, "namespace", "enforce-review");
    let file = s.file("review.txt", &as_review);
    let sig = s.sign_file(&jane, "enforce-review", &file);
    let needs = "the commit changes the policy, which needs an approval signed for `enforce-policy`; this one is signed for `enforce-review`";
    s.repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .arg("--payload")
        .arg(&file)
        .status(2)
        .stderr_contains(format!("enforce: the signature does not count: {needs}\n"))
        .run();
    let approval = s.hand_approval(&as_review, Some((&jane, "enforce-review")));
    s.rejected_everywhere(&approval, needs, needs);

    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage(".enforce.toml", &stricter);
    s.approve_with(&boss)
        .stdout_contains(format!(
            "signed by {BOSS} ({}, namespace enforce-policy)",
            boss.fingerprint
        ))
        .run();
    s.repo.commit("approvals live half an hour").run();
    let events = s.repo.all_events();
    let changed = events
        .iter()
        .rev()
        .find(|e| e.event_type == "policy_changed")
        .expect("a policy_changed event");
    assert_eq!(changed.details["signed_by"], BOSS, "{:#}", changed.details);
    assert_eq!(changed.details["key"], boss.fingerprint.as_str());
    assert_eq!(changed.details["namespace"], "enforce-policy");
    assert_eq!(changed.details["policy_files"], json!([".enforce.toml"]));
    s.accepted_everywhere(1);
}

/// Attack: a leaked key the revocations file, committed earlier, lists;
/// and a commit that key signed before it was revoked, rebased (diff
/// unchanged) onto the commit that revokes it.
#[test]
fn a_revoked_key_is_rejected_everywhere() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let boss = key(&repo, "boss");
    let s = Signed::adopt(
        repo,
        &format!("{}{}", signer(JANE, BOTH, &jane), signer(BOSS, BOTH, &boss)),
        Some("# revoked keys, one a line\n"),
    );
    s.repo.git(&["switch", "-q", "-c", "topic"]);
    s.commit_signed("t.txt", "t\n", &jane);
    s.repo.git(&["switch", "-q", "main"]);
    s.repo.stage(REVOKED, &format!("{}\n", jane.public));
    s.approve_with(&boss)
        .stdout_contains("namespace enforce-policy)")
        .run();
    s.repo.commit("revoke jane's key").run();
    let revoked_at = s.repo.head();
    s.repo
        .git_test(&[
            "push",
            "--no-verify",
            "-q",
            "origin",
            "main",
            "refs/notes/enforce",
        ])
        .stderr_ignored()
        .run();
    s.repo.stage("a.txt", "a\n");
    let revoked = format!(
        "key {} is revoked (`{REVOKED}` as committed at {})",
        jane.fingerprint,
        short(&revoked_at)
    );
    s.approve_with(&jane)
        .status(2)
        .stderr_contains(format!("enforce: the signature does not count: {revoked}\n"))
        .run();
    assert!(!s.approval_path(&s.staged_tree()).exists());
    let approval = s.hand_approval(&s.payload(JANE), Some((&jane, "enforce-review")));
    s.rejected_everywhere(&approval, &revoked, &revoked);

    // Signed before the revocation, rebased onto it: the patch id still
    // matches, the key no longer counts at the new parent.
    s.repo.git(&["reset", "-q", "--hard", &revoked_at]);
    s.repo.git(&["switch", "-q", "topic"]);
    s.repo.git_test(&["rebase", "-q", "main"]).run();
    let rebased = s.short("HEAD");
    let problem = format!("review: not reviewed: its receipt's approval by {JANE} does not count: {revoked}");
    s.audit_and_server_reject(
        "origin/main..HEAD",
        &["topic", "refs/notes/enforce"],
        &rebased,
        "add t.txt",
        &problem,
    );
}

/// Attack: none, then one. A clean rebase keeps the signed approvals (the
/// patch ids are unchanged); amending a rebased commit's content with
/// `--no-verify` (and forging its receipt to carry the old approval) is
/// rejected.
#[test]
fn a_clean_rebase_keeps_signed_approvals_and_a_changed_diff_does_not() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.git(&["switch", "-q", "-c", "topic"]);
    s.commit_signed("t1.txt", "t1\n", &jane);
    let old_t1 = s.repo.head();
    s.commit_signed("t2.txt", "t2\n", &jane);
    let old_tip = s.repo.head();
    s.repo.git(&["switch", "-q", "main"]);
    s.commit_signed("m.txt", "m\n", &jane);
    s.push()
        .stderr("remote: enforce: `refs/heads/main`: 1 new commit(s) pass the audit\n")
        .run();
    s.repo.git(&["switch", "-q", "topic"]);
    s.repo.git_test(&["rebase", "-q", "main"]).run();
    let tip = s.repo.head();
    assert_ne!(tip, old_tip);
    let carried = receipt(&s.repo, &tip)["approval"].clone();
    assert_eq!(carried["carried_from"], old_tip.as_str(), "{carried:#}");
    assert_eq!(
        carried["signed"]["payload"]["parent"],
        s.repo.git(&["rev-parse", &format!("{old_tip}~1")]).trim()
    );
    s.audit_range("origin/main..HEAD")
        .stdout("audit origin/main..HEAD: all 2 commit(s) pass\n")
        .run();
    s.push_refs(&["topic", "refs/notes/enforce"])
        .stderr("remote: enforce: `refs/heads/topic`: 2 new commit(s) pass the audit\n")
        .run();

    // A cherry-pick (-x) of the first commit as it was before the rebase
    // keeps its approval too.
    s.repo.git(&["switch", "-q", "-c", "picked", "main"]);
    s.repo
        .git_test(&["cherry-pick", "-x", &old_t1])
        .stdout_ignored()
        .run();
    assert_eq!(
        receipt(&s.repo, "HEAD")["approval"]["carried_from"],
        old_t1.as_str()
    );
    s.audit_range("origin/main..HEAD")
        .stdout("audit origin/main..HEAD: all 1 commit(s) pass\n")
        .run();
    s.repo.git(&["switch", "-q", "topic"]);

    // The rebased tip's content changed, past the hooks.
    s.repo.stage("t2.txt", "t2, changed\n");
    s.repo
        .git_test(&["commit", "-q", "--amend", "--no-edit", "--no-verify"])
        .stderr_ignored()
        .run();
    let amended = s.short("HEAD");
    s.audit_range("origin/main..HEAD")
        .status(1)
        .stdout_contains(format!(
            "{amended} add t2.txt: review: bypassed with git commit --no-verify"
        ))
        .stdout_contains("audit origin/main..HEAD: 1 of 2 commit(s) offend\n")
        .run();
    // Its receipt forged to carry the approval it had before.
    let old = json!({
        "reviewer": carried["reviewer"],
        "approved_at": carried["approved_at"],
        "tree": carried["tree"],
        "signed": carried["signed"],
    });
    s.forge_receipt(&old);
    let problem = format!(
        "review: not reviewed: its receipt's approval by {JANE} does not count: the signed approval is for tree {} on parent {}, and neither that nor its patch id matches this commit",
        short(carried["signed"]["payload"]["tree"].as_str().unwrap()),
        short(carried["signed"]["payload"]["parent"].as_str().unwrap())
    );
    s.audit_and_server_reject(
        "origin/main..HEAD",
        &["+topic", "refs/notes/enforce"],
        &amended,
        "add t2.txt",
        &problem,
    );
}

/// Attack: a signed approval's times edited by hand to make it last
/// longer; a payload signed (by the reviewer's key) for longer than
/// `max_age_seconds`; one that has expired.
#[test]
fn an_edited_over_long_or_expired_approval_is_refused() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    s.approve(&jane);
    let mut approval = s.approval(&s.staged_tree());
    let later = rfc3339(Utc::now() + Duration::days(1));
    approval["expires_at"] = json!(later);
    approval["signed"]["payload"]["expires_at"] = json!(later);
    let other_bytes =
        "the signature by jane@example.com does not match the approval: it was made over other bytes";
    s.rejected_everywhere(&approval, other_bytes, other_bytes);

    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage("a.txt", "a\n");
    let payload = s.payload(JANE);
    let attach = |payload: &str, why: &str| {
        let file = s.file("p.txt", payload);
        let sig = s.sign_file(&jane, "enforce-review", &file);
        s.repo
            .test()
            .args(["review", "approve", "--signature"])
            .arg(&sig)
            .arg("--payload")
            .arg(&file)
            .status(2)
            .stderr_contains(format!("enforce: the signature does not count: {why}\n"))
            .run();
        let approval = s.hand_approval(payload, Some((&jane, "enforce-review")));
        s.store_approval(&approval);
        s.repo
            .commit("sneak")
            .status(1)
            .stderr_contains(format!("the approval by jane@example.com does not count: {why}"))
            .run();
    };
    let now = Utc::now();
    let over_long = with_line(
        &with_line(&payload, "approved-at", &rfc3339(now)),
        "expires-at",
        &rfc3339(now + Duration::hours(2)),
    );
    attach(
        &over_long,
        "it is valid for 7200 s, longer than max_age_seconds = 3600 allows",
    );
    let expired_at = rfc3339(now - Duration::hours(1));
    let expired = with_line(
        &with_line(&payload, "approved-at", &rfc3339(now - Duration::hours(2))),
        "expires-at",
        &expired_at,
    );
    attach(&expired, &format!("it expired at {expired_at}"));
}

/// Attack: input meant to make enforce stumble: a signature file that is
/// no signature, a key file that is not there, a public key with no agent
/// holding its private half, a signature for another namespace, and a
/// signers file with a broken line committed.
#[test]
fn bad_input_is_refused_in_one_line() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    let tree = s.staged_tree();
    let payload = s.payload(JANE);

    let garbage = s.file(
        "garbage.sig",
        "-----BEGIN SSH SIGNATURE-----\nnot base64 at all\n-----END SSH SIGNATURE-----\n",
    );
    let ran = s
        .repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&garbage)
        .status(2)
        .stderr_contains("enforce: the signature does not count: the signature is malformed (")
        .run();
    one_line_error(&ran);
    let empty = s.file("empty.sig", "");
    let ran = s
        .repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&empty)
        .status(2)
        .stderr_contains("enforce: the signature does not count: the signature is not an SSH signature (")
        .run();
    one_line_error(&ran);

    let missing = s.repo.sandbox.path().join("keys/missing");
    let ran = s
        .repo
        .test()
        .args(["review", "approve", "--key"])
        .arg(&missing)
        .status(2)
        .redact(s.repo.sandbox.path(), "[SANDBOX]")
        .stderr_contains("enforce: cannot read a key from `[SANDBOX]/keys/missing`: ")
        .run();
    one_line_error(&ran);

    // A public key alone, with no agent (none running, then a socket
    // that is not there).
    let lone = s.repo.sandbox.path().join("lone.pub");
    fs::copy(jane.public_path(), &lone).unwrap();
    for agent in [None, Some("/nonexistent/agent.sock")] {
        let mut test = s.repo.test().args(["review", "approve", "--key"]).arg(&lone);
        if let Some(socket) = agent {
            test = test.env("SSH_AUTH_SOCK", socket);
        }
        let ran = test
            .status(2)
            .redact(s.repo.sandbox.path(), "[SANDBOX]")
            .stderr_contains("enforce: ssh-keygen could not sign with `[SANDBOX]/lone.pub`: ")
            .stderr_contains("start the agent and add the key")
            .run();
        one_line_error(&ran);
    }

    let sig = s.sign_file(&jane, "other", &s.file("p.txt", &payload));
    let ran = s
        .repo
        .test()
        .args(["review", "approve", "--signature"])
        .arg(&sig)
        .status(2)
        .stderr_contains("enforce: the signature does not count: the signature is for namespace `other`, the approval names `enforce-review`\n")
        .run();
    one_line_error(&ran);
    assert!(!s.approval_path(&tree).exists());

    // A signers file with a broken line, committed (signed for
    // enforce-policy under the file before it): the hook refuses to commit
    // it, naming the line; landed anyway with --no-verify, every commit
    // after it is stopped, naming the line.
    s.repo.git(&["reset", "-q", "--hard", &s.base]);
    s.repo.stage(
        SIGNERS,
        &format!(
            "{}bob@example.com ssh-ed25519 notbase64\n",
            signer(JANE, BOTH, &jane)
        ),
    );
    s.approve(&jane);
    let ran = s
        .repo
        .commit("add bob")
        .status(1)
        .stderr_contains(format!(
            "enforce: this commit would break signed approvals: `{SIGNERS}` as staged does not parse: line 2: the key does not parse ("
        ))
        .run();
    one_line_error(&ran);
    s.repo.commit("add bob").arg("--no-verify").stderr_ignored().run();
    let broken_at = s.short("HEAD");
    s.repo.stage("a.txt", "a\n");
    let broken =
        format!("`{SIGNERS}` as committed at {broken_at} does not parse: line 2: the key does not parse (");
    let ran = s
        .approve_with(&jane)
        .status(2)
        .stderr_contains(format!("enforce: {broken}"))
        .run();
    one_line_error(&ran);
    let cannot = format!("enforce: cannot check signed approvals: {broken}");
    let ran = s
        .repo
        .commit("add a.txt")
        .status(1)
        .stderr_contains(&cannot)
        .run();
    one_line_error(&ran);
    // git exits 1 for any hook that fails; the hook itself exits 2, the
    // status of a setup to fix rather than a verdict.
    let hook = s.repo.path(".git/hooks/pre-commit");
    let ran = Test::new(s.repo.sandbox.command(&hook, s.root()))
        .status(2)
        .stderr_contains(&cannot)
        .run();
    one_line_error(&ran);
}

/// Attack: none. ECDSA and RSA keys, which ssh-keygen signs with other
/// algorithms (ecdsa-sha2-nistp256, rsa-sha2-512), are verified as well
/// as ed25519, in the hook, in audit and on the server.
#[test]
fn ecdsa_and_rsa_keys_sign_and_verify_end_to_end() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let ecdsa = Signed::key_of(&repo, "ecdsa", &["ecdsa"]);
    let rsa = Signed::key_of(&repo, "rsa", &["rsa", "-b", "2048"]);
    let s = Signed::adopt(
        repo,
        &format!(
            "{}{}",
            signer("ecdsa@example.com", REVIEW_ONLY, &ecdsa),
            signer("rsa@example.com", REVIEW_ONLY, &rsa)
        ),
        None,
    );
    s.commit_signed("a.txt", "a\n", &ecdsa);
    s.commit_signed("b.txt", "b\n", &rsa);
    assert_eq!(
        receipt(&s.repo, "HEAD")["approval"]["signed"]["payload"]["principal"],
        "rsa@example.com"
    );
    s.accepted_everywhere(2);
}

/// Attack: a signed approval that has expired, landed with `--no-verify`
/// and a receipt forged to claim it. The hook refuses it by the clock;
/// audit and pre-receive judge expiry at the commit's author date
/// (docs/decisions.md: a rebase keeps it), so they refuse it when the
/// author date is past the expiry, and, as docs/trust.md says, take it
/// when the committer sets the author date back.
#[test]
fn an_expired_approval_is_judged_at_the_author_date_in_audit() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.stage("a.txt", "a\n");
    let now = Utc::now();
    let expired_at = rfc3339(now - Duration::hours(1));
    let expired = with_line(
        &with_line(
            &s.payload(JANE),
            "approved-at",
            &rfc3339(now - Duration::hours(2)),
        ),
        "expires-at",
        &expired_at,
    );
    let approval = s.hand_approval(&expired, Some((&jane, "enforce-review")));
    s.store_approval(&approval);
    let why = format!("it expired at {expired_at}");
    s.repo
        .commit("sneak")
        .status(1)
        .stderr_contains(format!("does not count: {why}"))
        .run();

    // Authored now, after the expiry.
    s.repo
        .git_test(&[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "sneak",
            "-m",
            "Agent: test-agent",
        ])
        .env("GIT_AUTHOR_DATE", rfc3339(now))
        .stderr_ignored()
        .run();
    s.forge_receipt(&approval);
    let sneak = s.short("HEAD");
    let problem = format!("review: not reviewed: its receipt's approval by {JANE} does not count: {why}");
    s.audit()
        .status(1)
        .stdout_contains(format!("{sneak} sneak: {problem}\n"))
        .run();
    s.push()
        .status(1)
        .stderr_contains(format!("remote:   {sneak} \"sneak\": {problem}\n"))
        .run();

    // The author date set back to before it expired.
    let before = rfc3339(now - Duration::minutes(90));
    s.repo
        .git_test(&[
            "commit",
            "-q",
            "--amend",
            "--no-edit",
            "--no-verify",
            "--date",
            &before,
        ])
        .stderr_ignored()
        .run();
    assert_eq!(s.repo.git(&["log", "-1", "--format=%aI"]).trim(), before);
    s.forge_receipt(&approval);
    s.audit()
        .stdout("audit [base]..HEAD: all 1 commit(s) pass\n")
        .run();
}

/// Attack: a signers file removed from the repository after signing was
/// turned on (landed with `--no-verify`). Nothing can be checked, so the
/// hook stops every commit that needs review with exit 2, naming the file,
/// and `enforce status` fails the same way; a recorded bypass still gets
/// through.
#[test]
fn a_signers_file_missing_at_head_is_a_broken_setup() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.repo.git(&["rm", "-q", SIGNERS]);
    s.repo
        .commit("drop the signers")
        .arg("--no-verify")
        .stderr_ignored()
        .run();
    let missing = format!(
        "the signers file `{SIGNERS}` ([review] signers) is missing as committed at {}: commit it, then approve again",
        s.short("HEAD")
    );
    s.repo
        .test()
        .arg("status")
        .status(1)
        .stdout_contains(format!("FAIL signed approvals       required, but {missing}"))
        .run();
    s.repo.stage("a.txt", "a\n");
    let hook = s.repo.path(".git/hooks/pre-commit");
    let ran = Test::new(s.repo.sandbox.command(&hook, s.root()))
        .status(2)
        .stderr_contains(format!("enforce: cannot check signed approvals: {missing}\n"))
        .run();
    one_line_error(&ran);
    s.repo
        .commit("add a.txt")
        .env("PILOT_SKIP_REVIEW", "1")
        .env("PILOT_SKIP_REASON", "signers file restored next")
        .stderr_contains("recorded as `bypass_review`")
        .run();
}

/// Attack: a hook kept from before enforce (`pre-commit.pre-enforce`)
/// that approves whatever is staged: every commit it runs for passes the
/// review rule. `enforce status` names it.
#[test]
fn status_names_a_chained_hook_that_writes_approvals() {
    let repo = fresh_repo();
    crate::support::write_script(
        &repo.path(".git/hooks/pre-commit.pre-enforce"),
        "enforce review approve --reviewer 'Jane Lead' >/dev/null\n",
    );
    repo.test()
        .arg("status")
        .status_ignored()
        .stdout_contains(
            "WARN approval writer        pre-commit.pre-enforce runs before the review check and writes approvals: every commit it runs for is approved by it\n",
        )
        .stdout_contains("fix: remove it, or set [review] require_signature = true so only a signed approval counts")
        .run();
}

/// An amend that changes content: signed with `--amend`, the approval is
/// bound to the parent the amended commit has, and it passes everywhere;
/// signed for a commit on top of the one it replaces, the hook takes it
/// (it cannot tell an amend from a commit) but says audit will not, and
/// audit and the server reject it.
#[test]
fn an_amend_is_signed_for_the_parent_it_keeps() {
    if !ssh_keygen_here() {
        return;
    }
    let repo = fresh_repo();
    let jane = key(&repo, "jane");
    let s = Signed::adopt(repo, &signer(JANE, BOTH, &jane), None);
    s.commit_signed("a.txt", "a\n", &jane);
    s.repo.stage("b.txt", "b\n");
    s.approve_with(&jane)
        .arg("--amend")
        .stdout_contains("  a.txt\n  b.txt\n")
        .run();
    s.repo.git_test(&["commit", "-q", "--amend", "--no-edit"]).run();
    s.accepted_everywhere(1);

    s.repo.stage("c.txt", "c\n");
    s.approve(&jane);
    s.repo
        .git_test(&["commit", "-q", "--amend", "--no-edit"])
        .stderr_contains("have it signed with `enforce review approve --amend` and amend again")
        .run();
    let amended = s.short("HEAD");
    let problem = format!(
        "review: not reviewed: its receipt's approval by {JANE} does not count: the signed approval is for tree"
    );
    s.audit()
        .status(1)
        .stdout_contains(format!("{amended} add a.txt: {problem}"))
        .run();
    s.push_refs(&["+main", "refs/notes/enforce"])
        .status(1)
        .stderr_contains(format!("remote:   {amended} \"add a.txt\": {problem}"))
        .run();
}
