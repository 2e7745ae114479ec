//! The CI templates in `templates/ci/` do what docs/ci.md says: their
//! commands, run as the CI would run them on a clone of a real remote, pass
//! a pull request of reviewed commits and fail one with a commit made
//! around the hooks, with SARIF that validates.
//!
//! The steps that need the CI's own machinery (checking out, installing
//! enforce with cargo, uploading to code scanning) are not run: the clone
//! is made here, the binary under test is on PATH, and the SARIF file is
//! validated against the official schema instead of uploaded.

use std::fs;
use std::path::Path;

use yaml_rust2::{Yaml, YamlLoader};

use crate::hookrepo::HookRepo;
use crate::sarif_schema::assert_valid_sarif;
use crate::support::{enforce_bin, run};

fn template(name: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/ci")
        .join(name);
    let text = fs::read_to_string(&path).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

/// A remote with a reviewed `main`, and a clone that pushed a branch
/// `feature` on top of it with one reviewed commit and, when `sneak`, one
/// commit made with the hooks switched off. Returns the repository, the
/// remote's path, and the base and head of the pull request.
fn pull_request(sneak: bool) -> (HookRepo, std::path::PathBuf, String, String) {
    let repo = HookRepo::new("");
    let remote = repo.sandbox.path().join("origin.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.commit_reviewed("base.txt", "base\n");
    repo.git(&["push", "-q", "origin", "main"]);
    let base = repo.head();
    repo.git(&["switch", "-q", "-c", "feature"]);
    repo.commit_reviewed("feature.txt", "feature\n");
    if sneak {
        repo.write("sneaked.txt", "unreviewed\n");
        repo.git(&["add", "sneaked.txt"]);
        repo.git(&[
            "-c",
            "core.hooksPath=/dev/null",
            "commit",
            "-q",
            "-m",
            "sneak",
            "-m",
            "Agent: test-agent\nReviewed-by: git-reviewer",
        ]);
    }
    repo.git(&["push", "-q", "origin", "feature"]);
    let head = repo.head();
    (repo, remote, base, head)
}

/// A fresh clone of `remote`, as the CI checks it out (every commit).
fn ci_clone(repo: &HookRepo, remote: &Path) -> std::path::PathBuf {
    let clone = repo.sandbox.path().join("ci");
    repo.git(&["clone", "-q", remote.to_str().unwrap(), clone.to_str().unwrap()]);
    clone
}

/// PATH with the binary under test first, as `cargo install` leaves it.
fn path_with_enforce() -> String {
    let dir = enforce_bin().parent().unwrap().to_path_buf();
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// Runs the GitHub Actions job's `run:` steps in order, as the runner
/// does (`bash -e`, `$GITHUB_OUTPUT`, `if:` conditions); returns the exit
/// status of the job and the SARIF it wrote.
fn run_github_job(repo: &HookRepo, clone: &Path, base: &str, head: &str) -> (i32, String) {
    let workflow = template("github-actions.yml");
    let job = &workflow["jobs"]["audit"];
    let output = repo.sandbox.path().join("github-output");
    fs::write(&output, "").unwrap();
    for step in job["steps"].as_vec().unwrap() {
        let Some(script) = step["run"].as_str() else {
            continue; // `uses:` steps: checkout and upload are the CI's own
        };
        if step["name"].as_str() == Some("Install enforce") {
            continue;
        }
        let outputs = fs::read_to_string(&output).unwrap();
        let status_output = outputs
            .lines()
            .filter_map(|l| l.strip_prefix("status="))
            .next_back()
            .unwrap_or("")
            .to_string();
        match step["if"].as_str() {
            None | Some("always()") => {}
            Some("steps.audit.outputs.status != '0'") => {
                if status_output == "0" {
                    continue;
                }
            }
            Some(other) => panic!("the test does not know the condition `{other}`"),
        }
        let script = script.replace("${{ steps.audit.outputs.status }}", &status_output);
        let ran = run(repo
            .sandbox
            .command("bash", clone)
            .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
            .env("PATH", path_with_enforce())
            .env("ENFORCE_BASE", base)
            .env("ENFORCE_HEAD", head)
            .env("GITHUB_OUTPUT", &output));
        if ran.code != 0 {
            let sarif = fs::read_to_string(clone.join("enforce.sarif")).unwrap_or_default();
            return (ran.code, sarif);
        }
    }
    (0, fs::read_to_string(clone.join("enforce.sarif")).unwrap())
}

/// Runs the GitLab job's `script:` lines in one `bash -e`, as the runner
/// does; returns its exit status and the SARIF artifact.
fn run_gitlab_job(repo: &HookRepo, clone: &Path, base: &str, head: &str) -> (i32, String) {
    let pipeline = template("gitlab-ci.yml");
    let job = &pipeline["enforce-audit"];
    assert_eq!(job["variables"]["GIT_DEPTH"].as_str(), Some("0"));
    let script: Vec<&str> = job["script"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let ran = run(repo
        .sandbox
        .command("bash", clone)
        .args([
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
            &script.join("\n"),
        ])
        .env("PATH", path_with_enforce())
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)
        .env("CI_COMMIT_SHA", head));
    let artifact = job["artifacts"]["paths"][0].as_str().unwrap();
    (
        ran.code,
        fs::read_to_string(clone.join(artifact)).unwrap_or_default(),
    )
}

#[test]
fn the_github_actions_template_passes_reviewed_commits_and_fails_a_sneaked_one() {
    let (repo, remote, base, head) = pull_request(false);
    let clone = ci_clone(&repo, &remote);
    let (status, sarif) = run_github_job(&repo, &clone, &base, &head);
    assert_eq!(status, 0, "{sarif}");
    assert_valid_sarif(&sarif);
    assert!(!sarif.contains("\"ruleId\""), "{sarif}");

    let (repo, remote, base, head) = pull_request(true);
    let clone = ci_clone(&repo, &remote);
    let (status, sarif) = run_github_job(&repo, &clone, &base, &head);
    assert_eq!(status, 1, "{sarif}");
    assert_valid_sarif(&sarif);
    assert!(
        sarif.contains(&head),
        "the finding names the sneaked commit: {sarif}"
    );
}

#[test]
fn the_gitlab_template_passes_reviewed_commits_and_fails_a_sneaked_one() {
    let (repo, remote, base, head) = pull_request(false);
    let clone = ci_clone(&repo, &remote);
    let (status, sarif) = run_gitlab_job(&repo, &clone, &base, &head);
    assert_eq!(status, 0, "{sarif}");
    assert_valid_sarif(&sarif);

    let (repo, remote, base, head) = pull_request(true);
    let clone = ci_clone(&repo, &remote);
    let (status, sarif) = run_gitlab_job(&repo, &clone, &base, &head);
    assert_eq!(status, 1, "{sarif}");
    assert_valid_sarif(&sarif);
    assert!(sarif.contains(&head), "{sarif}");
}
