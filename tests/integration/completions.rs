//! `enforce completions` loaded by the real shells, and `enforce man`
//! rendered by the real groff and man.

use std::fs;
use std::path::Path;

use crate::ecosystem::tool;
use crate::support::Sandbox;

/// `enforce completions <shell>`, written to a file in the sandbox.
fn script(sandbox: &Sandbox, shell: &str) -> std::path::PathBuf {
    let text = sandbox
        .test(sandbox.path())
        .args(["completions", shell])
        .stdout_ignored()
        .run()
        .stdout;
    let path = sandbox.path().join(format!("enforce.{shell}"));
    fs::write(&path, text).unwrap();
    path
}

/// What `program -c code` prints, run in the sandbox with `script` as `$1`.
fn shell_output(sandbox: &Sandbox, program: &Path, flags: &[&str], code: &str, script: &Path) -> String {
    let mut command = sandbox.command(program, sandbox.path());
    command.args(flags).arg("-c").arg(code).arg("shell").arg(script);
    let out = command.output().expect("run the shell");
    assert!(
        out.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bash_completion_loads_and_completes() {
    let Some(bash) = tool("bash", "bash") else { return };
    let sandbox = Sandbox::new();
    let script = script(&sandbox, "bash");
    // The function bash calls on <Tab>, with the words typed so far.
    let code = r#"source "$1" || exit 1
complete -p enforce
complete_words() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _enforce enforce "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "$* -> ${COMPREPLY[*]}"
}
complete_words enforce comp
complete_words enforce completions ''
complete_words enforce review a
complete_words enforce export c
"#;
    let out = shell_output(&sandbox, &bash, &["--norc", "--noprofile"], code, &script);
    assert_eq!(
        out,
        "complete -o bashdefault -o default -o nosort -F _enforce enforce
enforce comp -> completions
enforce completions  -> -h --events-file --help bash zsh fish
enforce review a -> approve
enforce export c -> csv
"
    );
}

#[test]
fn zsh_completion_defines_the_completion_function() {
    let Some(zsh) = tool("zsh", "zsh") else { return };
    let sandbox = Sandbox::new();
    let script = script(&sandbox, "zsh");
    let code = r#"autoload -Uz compinit && compinit -u -D || exit 1
source "$1" || exit 1
print -r -- "enforce: $_comps[enforce]"
whence -w _enforce"#;
    let out = shell_output(&sandbox, &zsh, &["-f"], code, &script);
    assert_eq!(out, "enforce: _enforce\n_enforce: function\n");
}

#[test]
fn fish_completion_completes_commands() {
    let Some(fish) = tool("fish", "fish") else { return };
    let sandbox = Sandbox::new();
    let script = script(&sandbox, "fish");
    let code = r#"source $argv[-1]; or exit 1
complete -C "enforce comp"
complete -C "enforce review s""#;
    // fish takes the script's arguments after `-c code`.
    let out = shell_output(&sandbox, &fish, &["--no-config"], code, &script);
    assert_eq!(
        out,
        "completions\tPrint the shell completion script for bash, zsh or fish
status\tSay whether what is staged now is approved, by whom and until when, and whose signature it carries. Exits 0 when it may be committed, 1 when it needs an approval
"
    );
}

#[test]
fn unknown_shells_and_commands_are_usage_errors() {
    let sandbox = Sandbox::new();
    sandbox
        .test(sandbox.path())
        .args(["completions", "tcsh"])
        .status(2)
        .stderr_contains("invalid value 'tcsh' for '<SHELL>'")
        .stderr_contains("[possible values: bash, zsh, fish]")
        .run();
    sandbox
        .test(sandbox.path())
        .args(["man", "review", "nope"])
        .status(2)
        .stderr(
            "enforce: `enforce review` has no command `nope`\nhint: its commands: approve, payload, status, clear\n",
        )
        .run();
}

#[test]
fn man_pages_render_and_refer_only_to_pages_that_exist() {
    let sandbox = Sandbox::new();
    let page = sandbox
        .test(sandbox.path())
        .arg("man")
        .stdout_ignored()
        .run()
        .stdout;
    assert!(page.contains(".TH enforce 1"), "{page}");
    for command in ["completions", "man", "install", "audit"] {
        assert!(
            page.contains(&format!("enforce\\-{command}(1)")),
            "{command} missing:\n{page}"
        );
    }
    let approve = sandbox
        .test(sandbox.path())
        .args(["man", "review", "approve"])
        .stdout_ignored()
        .run()
        .stdout;
    assert!(approve.contains(".TH enforce-review-approve 1"), "{approve}");
    assert!(approve.contains("\\-\\-reviewer"), "{approve}");

    let dir = sandbox.path().join("man1");
    let listed = sandbox
        .test(sandbox.path())
        .args(["man", "--dir"])
        .arg(&dir)
        .stdout_ignored()
        .run()
        .stdout;
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut printed: Vec<String> = listed
        .lines()
        .map(|l| Path::new(l).file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    printed.sort();
    assert_eq!(names, printed);
    assert_eq!(fs::read_to_string(dir.join("enforce.1")).unwrap(), page);
    // Every page another page refers to is there.
    let reference = regex::Regex::new(r"(enforce(?:\\-[a-z0-9]+)*)\(1\)").unwrap();
    for name in &names {
        let text = fs::read_to_string(dir.join(name)).unwrap();
        for found in reference.captures_iter(&text) {
            let target = format!("{}.1", found[1].replace("\\-", "-"));
            assert!(
                names.contains(&target),
                "{name} refers to {target}, which is not written"
            );
        }
    }
    assert!(names.contains(&"enforce-export-csv.1".to_string()), "{names:?}");

    // groff renders every page without a warning, and man reads them.
    if let Some(groff) = tool("groff", "groff-base") {
        for name in &names {
            let out = sandbox
                .command(&groff, sandbox.path())
                .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
                .arg(dir.join(name))
                .output()
                .unwrap();
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    if let Some(man) = tool("man", "man-db") {
        let out = sandbox
            .command(&man, sandbox.path())
            .env("MANWIDTH", "80")
            .args(["-l"])
            .arg(dir.join("enforce-completions.1"))
            .output()
            .unwrap();
        // Bold and underline as the terminal's overstrikes, removed.
        let text = regex::Regex::new("(?s).\x08")
            .unwrap()
            .replace_all(&String::from_utf8_lossy(&out.stdout), "")
            .into_owned();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            text.contains("NAME") && text.contains("enforce-completions  -  Print the shell"),
            "{text}"
        );
    }
}

/// Runs the checkout's install.sh with `cargo` replaced by a script that
/// "installs" the binary under test, so everything after the build runs
/// for real.
fn run_install_sh(sandbox: &Sandbox) -> crate::support::Test {
    let fake = sandbox.path().join("fake-bin");
    crate::support::write_script(
        &fake.join("cargo"),
        &format!(
            "mkdir -p \"$CARGO_HOME/bin\" && cp '{}' \"$CARGO_HOME/bin/enforce\"",
            crate::support::enforce_bin().display()
        ),
    );
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap_or_default());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh");
    crate::support::Test::new(sandbox.command("bash", sandbox.path()))
        .arg(script)
        .args(["--no-hooks", "--dynamic"])
        .env("PATH", path)
        .env("CARGO_HOME", sandbox.path().join("cargo"))
        .redact(sandbox.path(), "[SANDBOX]")
}

#[test]
fn install_sh_installs_completions_and_man_pages_and_says_where() {
    let sandbox = Sandbox::new();
    let data = "[SANDBOX]/home/.local/share";
    run_install_sh(&sandbox)
        .stdout(format!(
            "installed the bash completion: {data}/bash-completion/completions/enforce
installed the fish completion: [SANDBOX]/home/.config/fish/completions/enforce.fish
installed the zsh completion: {data}/zsh/site-functions/_enforce
note: for zsh, put this before compinit in ~/.zshrc: fpath=(\"{data}/zsh/site-functions\" $fpath)
installed the man pages: {data}/man/man1/enforce.1 and one per command (man enforce)
enforce is installed. In each repository to enforce, run: enforce install
"
        ))
        .stderr("note: [SANDBOX]/cargo/bin is not on PATH; add it to use `enforce` by name\n")
        .run();
    let home = sandbox.path().join("home");
    let bash = fs::read_to_string(home.join(".local/share/bash-completion/completions/enforce")).unwrap();
    assert!(
        bash.contains("complete -F _enforce") || bash.contains("-F _enforce enforce"),
        "{bash}"
    );
    assert!(home.join(".config/fish/completions/enforce.fish").is_file());
    assert!(home.join(".local/share/zsh/site-functions/_enforce").is_file());
    let page = fs::read_to_string(home.join(".local/share/man/man1/enforce.1")).unwrap();
    assert!(page.contains(".TH enforce 1"));
    assert!(
        home.join(".local/share/man/man1/enforce-review-approve.1")
            .is_file()
    );

    // Where a file cannot go, install.sh warns and still succeeds.
    let sandbox = Sandbox::new();
    fs::create_dir_all(sandbox.path().join("home/.local/share")).unwrap();
    fs::write(
        sandbox.path().join("home/.local/share/man"),
        "a file in the way\n",
    )
    .unwrap();
    run_install_sh(&sandbox)
        .stdout_contains("installed the bash completion")
        .stderr_contains("warning: could not install the man pages in [SANDBOX]/home/.local/share/man/man1 (the binary is installed; `enforce man` prints the page)")
        .run();
}
