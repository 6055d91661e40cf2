//! `-m` / `-M[=PATTERN]`: core dumps if the daemon dies abnormally. keepalived(8): `-m` raises
//! RLIMIT_CORE's soft and hard limits to unlimited; `-M` does too and sets
//! /proc/sys/kernel/core_pattern to PATTERN ('core' by default), restoring the original value
//! when the daemon exits normally. (keepalived 2.2.7 itself writes the new pattern after reading
//! the old one without rewinding, so the kernel ignores it: measured in the namespace lab.
//! keepalived-rs does what the man page says.)

use std::io;
use std::path::{Path, PathBuf};

use nix::sys::resource::{setrlimit, Resource, RLIM_INFINITY};

pub const CORE_PATTERN: &str = "/proc/sys/kernel/core_pattern";

/// Unlimited core dumps, as `-m` asks.
pub fn unlimited() -> io::Result<()> {
    setrlimit(Resource::RLIMIT_CORE, RLIM_INFINITY, RLIM_INFINITY).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("-m: cannot raise RLIMIT_CORE to unlimited: {e}"),
        )
    })
}

/// The core pattern `-M` set, put back when dropped.
pub struct PatternSet {
    path: PathBuf,
    original: String,
}

impl PatternSet {
    /// Sets `pattern` in `path` (the kernel's core_pattern), keeping the value it replaces.
    pub fn set(path: &Path, pattern: &str) -> io::Result<PatternSet> {
        let original = std::fs::read_to_string(path)?;
        std::fs::write(path, pattern)?;
        Ok(PatternSet {
            path: path.to_path_buf(),
            original,
        })
    }
}

impl Drop for PatternSet {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, &self.original) {
            tracing::warn!(
                "-M: cannot restore {} to '{}': {e}",
                self.path.display(),
                self.original.trim_end()
            );
        }
    }
}

/// Does what `-m` (`pattern` None) or `-M` asks; problems are logged and the daemon goes on
/// without core dumps, as keepalived does.
pub fn enable(pattern: Option<&str>) -> Option<PatternSet> {
    if let Err(e) = unlimited() {
        tracing::warn!("{e}");
    }
    let pattern = pattern?;
    match PatternSet::set(Path::new(CORE_PATTERN), pattern) {
        Ok(p) => Some(p),
        Err(e) => {
            tracing::warn!("-M: cannot set {CORE_PATTERN} to '{pattern}': {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_is_set_and_put_back() {
        let dir = std::env::temp_dir().join(format!("krs-core-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("core_pattern");
        std::fs::write(&f, "|/usr/lib/systemd/systemd-coredump %P\n").unwrap();
        {
            let _set = PatternSet::set(&f, "core").unwrap();
            assert_eq!(std::fs::read_to_string(&f).unwrap(), "core");
        }
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "|/usr/lib/systemd/systemd-coredump %P\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
