//! Pid files: keepalived's default names and places, written at start and removed at exit, and
//! keepalived's answer to a second start ("daemon is already running").

use std::fs::Permissions;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The pid files keepalived writes (keepalived-rs is one process: all of them name it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PidPaths {
    pub main: PathBuf,
    pub vrrp: PathBuf,
    pub checkers: PathBuf,
    pub bfd: PathBuf,
}

/// keepalived 2.2.7's default pid files, as it writes them (measured in a namespace lab):
/// `/run/keepalived.pid`, `/run/vrrp.pid`, `/run/checkers.pid`, `/run/bfd.pid`; in `/run/keepalived/` with
/// `use_pid_dir` or `instance`; in `/run/keepalived/NAMESPACE/` in a network namespace (keepalived
/// mounts that directory on /run/keepalived in a mount namespace of its own: seen from the
/// host, the files are there); named `keepalived_INSTANCE.pid` etc. with `instance INSTANCE`.
pub fn default_paths(
    namespace: Option<&str>,
    instance: Option<&str>,
    use_pid_dir: bool,
) -> PidPaths {
    let dir = match namespace {
        Some(ns) => PathBuf::from("/run/keepalived").join(ns),
        None if use_pid_dir || instance.is_some() => PathBuf::from("/run/keepalived"),
        None => PathBuf::from("/run"),
    };
    let file = |base: &str| match instance {
        Some(i) => dir.join(format!("{base}_{i}.pid")),
        None => dir.join(format!("{base}.pid")),
    };
    PidPaths {
        main: file("keepalived"),
        vrrp: file("vrrp"),
        checkers: file("checkers"),
        bfd: file("bfd"),
    }
}

/// Why pid files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PidError {
    /// A pid file names a live process: another daemon runs with the same pid files.
    #[error("{path} names running process {pid}")]
    Running { path: String, pid: i32 },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Pid files written at start and removed at exit, with the directories made for them. Whatever
/// the umask (keepalived runs with 0177), pid files are 0644 and directories 0755, as keepalived
/// 2.2.7 makes them.
pub struct PidFiles {
    paths: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl PidFiles {
    /// Writes our pid to each path, making missing directories. A live process named in one of
    /// them is [`PidError::Running`], checked before anything is written.
    pub fn create(paths: &[&Path]) -> Result<PidFiles, PidError> {
        let pid = std::process::id();
        for p in paths {
            if let Some(other) = std::fs::read_to_string(p)
                .ok()
                .and_then(|t| t.trim().parse::<i32>().ok())
            {
                let alive = other as u32 != pid
                    && nix::sys::signal::kill(nix::unistd::Pid::from_raw(other), None).is_ok();
                if alive {
                    return Err(PidError::Running {
                        path: p.display().to_string(),
                        pid: other,
                    });
                }
            }
        }
        let mut done = PidFiles {
            paths: Vec::new(),
            dirs: Vec::new(),
        };
        for p in paths {
            if let Some(dir) = p.parent() {
                done.make_dir(dir)?;
            }
            std::fs::write(p, format!("{pid}\n"))
                .and_then(|()| std::fs::set_permissions(p, Permissions::from_mode(0o644)))
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
            done.paths.push(p.to_path_buf());
        }
        Ok(done)
    }

    /// Makes `dir` and its missing parents, remembering each one made (removed at exit, when
    /// empty, innermost first).
    fn make_dir(&mut self, dir: &Path) -> io::Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.make_dir(parent)?;
        }
        std::fs::create_dir(dir)
            .and_then(|()| std::fs::set_permissions(dir, Permissions::from_mode(0o755)))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        self.dirs.push(dir.to_path_buf());
        Ok(())
    }
}

impl Drop for PidFiles {
    fn drop(&mut self) {
        for p in &self.paths {
            let _ = std::fs::remove_file(p);
        }
        for d in self.dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names keepalived 2.2.7 wrote in the namespace lab.
    #[test]
    fn default_paths_are_keepalived_ones() {
        let p = |ns, inst, dir| {
            let d = default_paths(ns, inst, dir);
            [d.main, d.vrrp, d.checkers].map(|p| p.display().to_string())
        };
        assert_eq!(
            p(None, None, false),
            ["/run/keepalived.pid", "/run/vrrp.pid", "/run/checkers.pid"]
        );
        assert_eq!(
            default_paths(None, None, false).bfd,
            Path::new("/run/bfd.pid")
        );
        assert_eq!(
            p(None, None, true),
            [
                "/run/keepalived/keepalived.pid",
                "/run/keepalived/vrrp.pid",
                "/run/keepalived/checkers.pid"
            ]
        );
        assert_eq!(
            p(None, Some("inst1"), false),
            [
                "/run/keepalived/keepalived_inst1.pid",
                "/run/keepalived/vrrp_inst1.pid",
                "/run/keepalived/checkers_inst1.pid"
            ]
        );
        assert_eq!(
            p(Some("blue"), None, true)[..2],
            [
                "/run/keepalived/blue/keepalived.pid",
                "/run/keepalived/blue/vrrp.pid"
            ]
        );
        assert_eq!(
            p(Some("blue"), Some("inst1"), true)[..2],
            [
                "/run/keepalived/blue/keepalived_inst1.pid",
                "/run/keepalived/blue/vrrp_inst1.pid"
            ]
        );
    }

    #[test]
    fn pid_files_and_their_directories_are_written_and_removed() {
        let dir = std::env::temp_dir().join(format!("krs-pid-{}", std::process::id()));
        let a = dir.join("ns").join("a.pid");
        {
            let _p = PidFiles::create(&[&a]).unwrap();
            assert_eq!(
                std::fs::read_to_string(&a).unwrap(),
                format!("{}\n", std::process::id())
            );
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&a), 0o644);
            assert_eq!(mode(a.parent().unwrap()), 0o755);
        }
        assert!(!a.exists());
        assert!(!dir.exists(), "the directories made for it are gone");
        // A pid file naming a live process (pid 1) is refused, and nothing is written.
        std::fs::create_dir_all(&dir).unwrap();
        let a = dir.join("a.pid");
        let b = dir.join("b.pid");
        std::fs::write(&a, "1\n").unwrap();
        assert!(matches!(
            PidFiles::create(&[&b, &a]),
            Err(PidError::Running { pid: 1, .. })
        ));
        assert!(!b.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
