//! Writing a dump file: whole or not at all, readable by root only.
//!
//! The text goes to a hidden temporary file beside the target (`.NAME.PID.tmp`, created
//! exclusively with mode 0600, so never through a link planted in /tmp), which is then renamed
//! over the target: a reader sees the old file or the new one, never half of one. keepalived
//! writes the files 0600 too (its umask is 0177): they hold PASS authentication passwords.
//! Blocking I/O: callers run it off the VRRP loop (`spawn_blocking`).

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `text` to `path` atomically, mode 0600.
pub fn atomic(path: &Path, text: &[u8]) -> io::Result<()> {
    let tmp = temporary(path)?;
    // A temporary file left by a crash is ours to replace.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(text));
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

fn temporary(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    Ok(path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("krs-dump-write-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn writes_whole_files_mode_0600_and_replaces_old_ones() {
        let d = dir("a");
        let p = d.join("keepalived.data");
        // An older file readable by everyone is replaced by a private one.
        std::fs::write(&p, "old, longer than the new text").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Nothing else is left in the directory.
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("keepalived.data")]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_link_planted_at_the_temporary_name_is_not_followed() {
        let d = dir("b");
        let p = d.join("keepalived.json");
        let victim = d.join("victim");
        std::fs::write(&victim, "untouched").unwrap();
        std::os::unix::fs::symlink(&victim, temporary(&p).unwrap()).unwrap();
        atomic(&p, b"[]").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "[]");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_and_leaves_nothing() {
        let d = dir("c");
        let err = atomic(&d.join("no/such/dir/keepalived.stats"), b"x").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
