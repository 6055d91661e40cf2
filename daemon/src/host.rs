//! This machine, as `-t`'s host checks ask about it (`conf_parser::host`): its network
//! interfaces (of the network namespace we run in), users and groups, and programs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use conf_parser::host::{FileKind, FileStat};

/// PATH when the environment has none (glibc's default search path for execvp, with sbin).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Remembers the interfaces it was asked about: a large file names the same few thousands of
/// times.
#[derive(Default)]
pub struct System {
    interfaces: RefCell<HashMap<String, bool>>,
}

impl conf_parser::host::Host for System {
    fn has_interface(&self, name: &str) -> bool {
        if let Some(&known) = self.interfaces.borrow().get(name) {
            return known;
        }
        let exists = nix::net::if_::if_nametoindex(name).is_ok();
        self.interfaces
            .borrow_mut()
            .insert(name.to_string(), exists);
        exists
    }

    fn has_user(&self, name: &str) -> bool {
        matches!(nix::unistd::User::from_name(name), Ok(Some(_)))
    }

    fn has_group(&self, name: &str) -> bool {
        matches!(nix::unistd::Group::from_name(name), Ok(Some(_)))
    }

    fn has_program(&self, program: &str) -> bool {
        if program.contains('/') {
            return Path::new(program).is_file();
        }
        let path = std::env::var("PATH").unwrap_or_else(|_| DEFAULT_PATH.to_string());
        path.split(':')
            .filter(|dir| !dir.is_empty())
            .any(|dir| Path::new(dir).join(program).is_file())
    }

    fn user_ids(&self, name: &str) -> Option<(u32, u32)> {
        let u = nix::unistd::User::from_name(name).ok()??;
        Some((u.uid.as_raw(), u.gid.as_raw()))
    }

    fn group_id(&self, name: &str) -> Option<u32> {
        let g = nix::unistd::Group::from_name(name).ok()??;
        Some(g.gid.as_raw())
    }

    fn real_path(&self, program: &str) -> Option<String> {
        let found = if program.contains('/') {
            Path::new(program).to_path_buf()
        } else {
            let path = std::env::var("PATH").unwrap_or_else(|_| DEFAULT_PATH.to_string());
            path.split(':')
                .filter(|dir| !dir.is_empty())
                .map(|dir| Path::new(dir).join(program))
                .find(|p| p.is_file())?
        };
        let real = std::fs::canonicalize(found).ok()?;
        real.to_str().map(str::to_string)
    }

    fn lstat(&self, path: &str) -> Option<FileStat> {
        let m = std::fs::symlink_metadata(path).ok()?;
        let t = m.file_type();
        let kind = if t.is_dir() {
            FileKind::Dir
        } else if t.is_file() {
            FileKind::File
        } else if t.is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::Other
        };
        Some(FileStat {
            kind,
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
        })
    }

    fn iproute2_file(&self, name: &str) -> Option<String> {
        iproute2_file(name)
    }

    fn vrf_table(&self, name: &str) -> conf_parser::host::VrfTable {
        crate::vrf::vrf_table(name)
    }
}

/// Where keepalived 2.2.7 reads iproute2's names (it knows no `iproute_etc_dir`).
const IPROUTE2_ETC: &str = "/etc/iproute2";

/// /etc/iproute2/`name`, read the first time it is asked for and kept until the process ends:
/// keepalived 2.2.7 reads each file once, and a reload does not read it again (measured: a
/// table renumbered in rt_tables before a SIGHUP kept its old number), so a reload here
/// resolves a name as the start did.
fn iproute2_file(name: &str) -> Option<String> {
    static READ: OnceLock<Mutex<HashMap<String, Option<String>>>> = OnceLock::new();
    let mut read = READ
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    read.entry(name.to_string())
        .or_insert_with(|| std::fs::read_to_string(Path::new(IPROUTE2_ETC).join(name)).ok())
        .clone()
}

#[cfg(test)]
mod tests {
    use super::System;
    use conf_parser::host::{FileKind, Host};

    #[test]
    fn asks_the_real_system() {
        let system = System::default();
        assert!(system.has_interface("lo"));
        assert!(system.has_interface("lo"), "remembered");
        assert!(!system.has_interface("kars-no-such0"));
        assert!(system.has_user("root"));
        assert!(!system.has_user("kars-no-such-user"));
        assert!(system.has_group("root"));
        assert!(system.has_program("/bin/sh"));
        assert!(system.has_program("sh"));
        assert!(!system.has_program("/nonexistent/kars"));
        assert!(!system.has_program("kars-no-such-program"));
        assert!(!system.has_program("/"), "a directory is not a program");
        assert_eq!(system.user_ids("root"), Some((0, 0)));
        assert_eq!(system.user_ids("kars-no-such-user"), None);
        assert_eq!(system.group_id("root"), Some(0));
        let sh = system.real_path("sh").expect("sh on PATH");
        assert!(sh.starts_with('/') && !sh.contains("/../"), "{sh}");
        let root = system.lstat("/").unwrap();
        assert_eq!((root.kind, root.uid), (FileKind::Dir, 0));
        assert_eq!(system.lstat(&sh).map(|s| s.kind), Some(FileKind::File));
        assert_eq!(system.lstat("/nonexistent/kars"), None);
        let tables = system.iproute2_file("rt_tables");
        assert_eq!(
            tables.is_some(),
            std::path::Path::new("/etc/iproute2/rt_tables").exists()
        );
        assert_eq!(system.iproute2_file("rt_tables"), tables, "kept");
        assert_eq!(system.iproute2_file("kars-no-such-file"), None);
    }
}
