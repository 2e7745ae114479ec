//! Writing a file so that no reader ever sees half of it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a write to `path` lands: the file a symlink names (renaming over
/// the link would replace the link itself).
fn resolve(path: &Path) -> PathBuf {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => fs::canonicalize(path).unwrap_or_else(|_| {
            // A dangling link: write where it points.
            let target = fs::read_link(path).unwrap_or_else(|_| path.to_path_buf());
            path.parent().map_or(target.clone(), |dir| dir.join(&target))
        }),
        _ => path.to_path_buf(),
    }
}

/// Writes `path` through a temporary file in the same directory and a
/// rename (atomic on one file system). A path that is not a regular file
/// (a FIFO, a device, `/dev/stdout`) is written directly: replacing it
/// with a file would be wrong.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let path = resolve(path);
    if fs::metadata(&path).is_ok_and(|m| !m.is_file()) {
        return fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| Error::io("write", &path, e));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| Error::io("create the directory", dir, e))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, &path));
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("write", &path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_symlinks_and_writes_into_special_files() {
        let dir = std::env::temp_dir().join(format!("enforce-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("real.md"), "old").unwrap();
        std::os::unix::fs::symlink("real.md", dir.join("link.md")).unwrap();
        write(&dir.join("link.md"), b"new").unwrap();
        assert!(
            fs::symlink_metadata(dir.join("link.md"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(dir.join("real.md")).unwrap(), "new");
        // /dev/null stays a device.
        write(Path::new("/dev/null"), b"x").unwrap();
        assert!(!fs::metadata("/dev/null").unwrap().is_file());
        fs::remove_dir_all(&dir).unwrap();
    }
}
