//! `enforce digest` and the HTML dashboard's shared sections, on a
//! repository made through real commits.

use crate::hookrepo::HookRepo;

/// A week with a bypass labelled unjustified and a policy change.
fn a_week() -> HookRepo {
    let repo = HookRepo::new("");
    std::fs::write(repo.path(".git/info/exclude"), "").unwrap();
    repo.commit_reviewed(".enforce.toml", "[review]\nmode = \"enforce\"\n");
    repo.stage("a.txt", "a\n");
    repo.git_test(&["commit", "-q", "--no-verify", "-m", "a"])
        .stderr_ignored()
        .run();
    repo.test()
        .args(["label", "HEAD", "unjustified", "--note", "no reason given"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    repo.stage(".enforce.toml", "[review]\nmode = \"audit\"\n");
    repo.approve();
    repo.commit("review in audit mode").stderr_ignored().run();
    repo
}

#[test]
fn the_digest_holds_the_score_the_labelled_bypasses_the_advice_and_the_policy_changes() {
    let repo = a_week();
    let ran = repo
        .test()
        .args(["digest"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    let page = ran.stdout;
    assert!(
        page.starts_with("# Enforcement digest: the last 7 days\n"),
        "{page}"
    );
    assert!(page.contains("## Score: CRITICAL"), "{page}");
    assert!(
        // The --no-verify commit's two bypasses, labelled by its commit;
        // the weakening's own.
        page.contains("## Bypasses: 3 (2 unjustified, 0 justified, 1 not labelled yet)"),
        "{page}"
    );
    assert!(page.contains("| unjustified |"), "{page}");
    assert!(page.contains("## Advice from the last 7 days"), "{page}");
    assert!(page.contains("## Policy changes (last 7 days)"), "{page}");
    assert!(page.contains("\"review in audit mode\""), "{page}");
    assert!(page.contains("**weakens**"), "{page}");
    assert!(!page.contains("agent@example.com"), "names only: {page}");

    // --output writes the page.
    let file = repo.sandbox.path().join("digest.md");
    repo.test()
        .args(["digest", "--output"])
        .arg(&file)
        .stderr_contains("digest written to")
        .run();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), page);
}

#[test]
fn the_html_dashboard_has_the_digest_s_advice_and_policy_changes() {
    let repo = a_week();
    let ran = repo
        .test()
        .args(["dashboard", "--format", "html"])
        .stdout_ignored()
        .stderr_ignored()
        .run();
    let html = ran.stdout;
    let advice = html.find("<div id=\"advice\">").expect("advice section");
    let timeline = html.find("<div id=\"timeline\">").expect("timeline section");
    assert!(advice < timeline);
    assert!(html[timeline..].contains("review in audit mode"), "{html}");
    assert!(html[timeline..].contains("<strong>weakens</strong>"), "{html}");
    assert!(html.ends_with("</body>\n</html>\n"));
}
