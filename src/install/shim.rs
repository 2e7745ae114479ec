//! The hook file `enforce install` writes.
//!
//! A file that names the enforce binary by absolute path, rather than a
//! symlink or a copy, because of the two failures users of hook managers
//! meet most:
//! - a GUI client that starts git without the user's `PATH` cannot find a
//!   tool called by name; an absolute path needs no `PATH`;
//! - git silently skips a hook whose symlink dangles, so uninstalling or
//!   moving the binary would quietly switch enforcement off.
//!
//! Two forms:
//! - **direct** (the default): `#!/abs/path/enforce hook-script` on the first
//!   line, so the kernel starts enforce itself, with no shell in between (a
//!   shell start is about as costly as all of a hook's own work). If the
//!   binary is gone, git fails the commit ("cannot exec … No such file or
//!   directory") and the comment in the file says how to reinstall.
//! - **shell** (`enforce install --shell`, and whenever the path cannot
//!   stand on a `#!` line: whitespace, or too long): a `sh` script that
//!   checks for the binary and, if it is gone, fails the commit with the
//!   reinstall command itself.
//!
//! The marker on the second line tells `install` and `uninstall` which
//! hooks are theirs.

use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::hook::HookName;

/// The line that marks a hook file as written by enforce.
pub const MARKER: &str = "# enforce-managed-hook";

/// The word after the binary on a direct hook's `#!` line.
pub const SCRIPT_VERB: &str = "hook-script";

/// Which form of hook file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Direct,
    Shell,
}

/// Whether `binary` can stand on a `#!` line: absolute, no whitespace, and
/// short enough for every kernel's limit.
pub fn fits_shebang(binary: &Path) -> bool {
    let bytes = binary.as_os_str().as_bytes();
    bytes.first() == Some(&b'/') && bytes.len() <= 100 && !bytes.iter().any(|b| b.is_ascii_whitespace())
}

/// The hook file for hook `name` that runs the binary at `binary`.
pub fn render(name: HookName, binary: &Path, form: Form) -> Vec<u8> {
    if form == Form::Direct && fits_shebang(binary) {
        return render_direct(binary);
    }
    render_shell(name, binary)
}

fn render_direct(binary: &Path) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let mut file = b"#!".to_vec();
    file.extend_from_slice(binary.as_os_str().as_bytes());
    file.extend_from_slice(
        format!(
            " {SCRIPT_VERB}\n\
             {MARKER} (enforce {version}): `enforce uninstall` removes this file and\n\
             # restores the hook that was here before. Do not edit: `enforce install` rewrites it.\n\
             # The enforce binary named on the first line runs this hook. If git says it\n\
             # \"cannot exec\" this file, that binary is gone: reinstall enforce (./install.sh in\n\
             # its source checkout), then run `enforce install` in this repository.\n"
        )
        .as_bytes(),
    );
    file
}

fn render_shell(name: HookName, binary: &Path) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let mut script = Vec::new();
    script.extend_from_slice(
        format!(
            "#!/bin/sh\n\
             {MARKER} (enforce {version}): `enforce uninstall` removes this file and\n\
             # restores the hook that was here before. Do not edit: `enforce install` rewrites it.\n\
             enforce_bin="
        )
        .as_bytes(),
    );
    script.extend_from_slice(&sh_quote(binary.as_os_str().as_bytes()));
    script.extend_from_slice(
        format!(
            "\n\
             case $0 in */*) hooks_dir=${{0%/*}} ;; *) hooks_dir=. ;; esac\n\
             if [ -x \"$enforce_bin\" ]; then\n\
             \x20 exec \"$enforce_bin\" hook --hooks-dir \"$hooks_dir\" {name} \"$@\"\n\
             fi\n\
             echo \"enforce: cannot run the {name} hook: $enforce_bin is missing or not executable\" >&2\n\
             echo \"hint: reinstall enforce (./install.sh in its source checkout), then run 'enforce install' in this repository\" >&2\n\
             exit 1\n"
        )
        .as_bytes(),
    );
    script
}

/// Whether the file at `path` is a hook enforce wrote: a regular file (not a
/// symlink) whose second line carries the marker.
pub fn is_ours(path: &Path) -> bool {
    let Ok(meta) = path.symlink_metadata() else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    let mut head = Vec::with_capacity(256);
    let read = fs::File::open(path).and_then(|f| f.take(256).read_to_end(&mut head));
    read.is_ok()
        && head
            .split(|b| *b == b'\n')
            .nth(1)
            .is_some_and(|line| line.starts_with(MARKER.as_bytes()))
}

/// Why the hook file at `path`, which names `binary` and was written by
/// enforce `version`, is not one `enforce install` wrote, if it is not.
///
/// A direct hook is whatever its `#!` line says (the kernel reads no
/// further), and [`parse`] has read that line. A shell hook is a script,
/// and a script holding the marker and an `enforce_bin=` line can do
/// anything else (`exit 0`): it must be, byte for byte, the script this
/// enforce writes for that hook and binary. One from another version
/// cannot be checked, and says so.
pub fn tampered(path: &Path, name: HookName, binary: &Path, version: Option<&str>) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    if !bytes.starts_with(b"#!/bin/sh\n") {
        return None;
    }
    if version != Some(env!("CARGO_PKG_VERSION")) {
        return Some(format!(
            "a shell hook written by enforce {}, which this enforce cannot check",
            version.unwrap_or("?")
        ));
    }
    (bytes != render_shell(name, binary))
        .then(|| "its script is not the one `enforce install` writes".to_string())
}

/// What an installed hook file names: the binary it runs and the enforce
/// version that wrote it (what [`render`] put there).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Installed {
    pub binary: Option<PathBuf>,
    pub version: Option<String>,
}

/// Reads the hook file at `path` (an unreadable one names nothing).
pub fn read(path: &Path) -> Installed {
    parse(&fs::read_to_string(path).unwrap_or_default())
}

/// Parses a hook file [`render`] wrote, in either form.
pub fn parse(text: &str) -> Installed {
    let direct = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#!"))
        .and_then(|l| l.strip_suffix(&format!(" {SCRIPT_VERB}")))
        .map(PathBuf::from);
    let binary = direct.or_else(|| {
        text.lines()
            .find_map(|l| l.strip_prefix("enforce_bin='"))
            .and_then(|rest| rest.strip_suffix('\''))
            .map(|p| PathBuf::from(p.replace("'\\''", "'")))
    });
    let version = text
        .lines()
        .find(|l| l.starts_with(MARKER))
        .and_then(|l| l.split("(enforce ").nth(1))
        .and_then(|rest| rest.split(')').next())
        .map(str::to_string);
    Installed { binary, version }
}

/// Quotes bytes for `sh` inside single quotes, where only `'` is special.
fn sh_quote(raw: &[u8]) -> Vec<u8> {
    let mut out = vec![b'\''];
    for &b in raw {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_single_quotes() {
        assert_eq!(sh_quote(b"/a b/it's"), b"'/a b/it'\\''s'".to_vec());
    }

    #[test]
    fn script_names_hook_and_binary() {
        let text = String::from_utf8(render(
            HookName::CommitMsg,
            Path::new("/opt/enforce"),
            Form::Shell,
        ))
        .unwrap();
        assert!(text.starts_with("#!/bin/sh\n# enforce-managed-hook"));
        assert!(text.contains("enforce_bin='/opt/enforce'\n"));
        assert!(text.contains("hook --hooks-dir \"$hooks_dir\" commit-msg \"$@\""));

        let direct = String::from_utf8(render(
            HookName::CommitMsg,
            Path::new("/opt/enforce"),
            Form::Direct,
        ))
        .unwrap();
        assert!(
            direct.starts_with("#!/opt/enforce hook-script\n# enforce-managed-hook"),
            "{direct}"
        );
        let spaced = String::from_utf8(render(
            HookName::CommitMsg,
            Path::new("/opt/my tools/enforce"),
            Form::Direct,
        ))
        .unwrap();
        assert!(
            spaced.starts_with("#!/bin/sh\n"),
            "a path with a space falls back to the shell form"
        );
    }

    #[test]
    fn what_render_writes_parse_reads_back() {
        let version = Some(env!("CARGO_PKG_VERSION").to_string());
        for (binary, form) in [
            ("/opt/enforce", Form::Direct),
            ("/opt/enforce", Form::Shell),
            ("/opt/my tools/it's/enforce", Form::Direct),
        ] {
            let text = String::from_utf8(render(HookName::PostMerge, Path::new(binary), form)).unwrap();
            assert_eq!(
                parse(&text),
                Installed {
                    binary: Some(PathBuf::from(binary)),
                    version: version.clone()
                },
                "{text}"
            );
        }
        assert_eq!(parse("#!/bin/sh\necho hi\n"), Installed::default());
    }
}
