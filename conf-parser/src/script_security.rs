//! Whether a script run with root's rights could be replaced by another user: what keepalived
//! 2.2.7 checks at start and at each reload under `enable_script_security` (measured in the
//! netns lab, daemon/tests/netns_script_security.rs). A script is checked when it would run as uid 0 or gid 0 (or its
//! file is set-uid or set-gid root). Then each part of its canonical path, from `/` to the
//! file, must be owned by root and writable by no one else: a directory or the file writable
//! by its group (a group other than root) or by others, a sticky directory excepted. A
//! directory where one is expected that is not one, or a last part that is neither a file nor
//! a symbolic link, fails too. keepalived logs `Unsafe permissions found for script 'PATH' -
//! disabling.` and does not run that script.
//!
//! The logic is pure: the file system is asked through [`crate::host::Host::lstat`].

/// What lstat(2) says of a path, as far as the check asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStat {
    pub kind: FileKind,
    pub uid: u32,
    pub gid: u32,
    /// The permission bits, set-id and sticky bits included (`st_mode & 0o7777`).
    pub mode: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Dir,
    File,
    Symlink,
    Other,
}

const SET_UID: u32 = 0o4000;
const SET_GID: u32 = 0o2000;
const STICKY: u32 = 0o1000;
const OWNER_EXEC: u32 = 0o100;
const GROUP_WRITE: u32 = 0o020;
const GROUP_EXEC: u32 = 0o010;
const OTHERS_WRITE: u32 = 0o002;
const OTHERS_EXEC: u32 = 0o001;

/// Why a script is not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unsafe {
    /// `path` (the script or a directory above it) can be written by a user other than root.
    Writable { path: String, stat: FileStat },
    /// `path` is not a directory where one is expected, or the script is neither a file nor a
    /// symbolic link.
    WrongType { path: String },
    /// `path` cannot be looked at.
    Unreadable { path: String },
}

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsafe::Writable { path, stat } if stat.uid != 0 => write!(
                f,
                "'{path}' is owned by uid {}, not root (keepalived: \"Unsafe permissions found\")",
                stat.uid
            ),
            Unsafe::Writable { path, stat } => write!(
                f,
                "'{path}' can be written by users other than root (mode {:04o}, group {}; \
                 keepalived: \"Unsafe permissions found\")",
                stat.mode, stat.gid
            ),
            Unsafe::WrongType { path } => write!(
                f,
                "'{path}' is not of the type expected in a script's path (keepalived: \"Wrong \
                 file type found in script path\")"
            ),
            Unsafe::Unreadable { path } => write!(f, "'{path}' cannot be looked at"),
        }
    }
}

/// Whether `uid`:`gid` may execute `file`, as keepalived decides it before running a script:
/// root if any execute bit is set; the owner by the owner's bit; a member of the file's group
/// (by the script's gid alone) by the group's bit; anyone else by the others' bit.
pub fn executable(file: &FileStat, uid: u32, gid: u32) -> bool {
    let any = OWNER_EXEC | GROUP_EXEC | OTHERS_EXEC;
    (uid == 0 && file.mode & any != 0)
        || (uid == file.uid && file.mode & OWNER_EXEC != 0)
        || (uid != file.uid
            && ((gid == file.gid && file.mode & GROUP_EXEC != 0)
                || (gid != file.gid && file.mode & OTHERS_EXEC != 0)))
}

/// Whether the script whose canonical path is `real_path` (its file's lstat `file`), run as
/// `uid`:`gid`, must be checked at all: it runs with root's rights.
pub fn runs_as_root(uid: u32, gid: u32, file: &FileStat) -> bool {
    uid == 0
        || gid == 0
        || (file.uid == 0 && file.mode & OWNER_EXEC != 0 && file.mode & SET_UID != 0)
        || (file.gid == 0 && file.mode & GROUP_EXEC != 0 && file.mode & SET_GID != 0)
}

/// Walks `real_path` (absolute, canonical) from `/` to its last part; the first part another
/// user could replace, if any.
pub fn check_path(real_path: &str, lstat: impl Fn(&str) -> Option<FileStat>) -> Option<Unsafe> {
    let mut parts: Vec<&str> = vec!["/"];
    for (i, c) in real_path.char_indices().skip(1) {
        if c == '/' {
            parts.push(&real_path[..i]);
        }
    }
    if real_path != "/" {
        parts.push(real_path);
    }
    let last = parts.len() - 1;
    for (i, path) in parts.into_iter().enumerate() {
        let Some(stat) = lstat(path) else {
            return Some(Unsafe::Unreadable { path: path.into() });
        };
        let kind_ok = if i < last {
            stat.kind == FileKind::Dir
        } else {
            matches!(stat.kind, FileKind::File | FileKind::Symlink)
        };
        if !kind_ok {
            return Some(Unsafe::WrongType { path: path.into() });
        }
        let guarded = matches!(stat.kind, FileKind::Dir) && stat.mode & STICKY != 0;
        let checked =
            matches!(stat.kind, FileKind::File) || (stat.kind == FileKind::Dir && !guarded);
        let writable =
            (stat.gid != 0 && stat.mode & GROUP_WRITE != 0) || stat.mode & OTHERS_WRITE != 0;
        if stat.uid != 0 || (checked && writable) {
            return Some(Unsafe::Writable {
                path: path.into(),
                stat,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn stat(kind: FileKind, uid: u32, gid: u32, mode: u32) -> FileStat {
        FileStat {
            kind,
            uid,
            gid,
            mode,
        }
    }

    fn fs(entries: &[(&str, FileStat)]) -> impl Fn(&str) -> Option<FileStat> {
        let map: HashMap<String, FileStat> =
            entries.iter().map(|(p, s)| (p.to_string(), *s)).collect();
        move |p| map.get(p).copied()
    }

    const ROOT_DIR: FileStat = FileStat {
        kind: FileKind::Dir,
        uid: 0,
        gid: 0,
        mode: 0o755,
    };

    #[test]
    fn root_owned_and_written_by_root_alone_is_safe() {
        let lstat = fs(&[
            ("/", ROOT_DIR),
            ("/etc", ROOT_DIR),
            ("/etc/k", stat(FileKind::Dir, 0, 0, 0o775)),
            ("/etc/k/s.sh", stat(FileKind::File, 0, 0, 0o775)),
        ]);
        // Group root may write: it is root's.
        assert_eq!(check_path("/etc/k/s.sh", &lstat), None);
    }

    #[test]
    fn a_part_others_can_write_is_unsafe_unless_a_sticky_directory() {
        let lstat = fs(&[
            ("/", ROOT_DIR),
            ("/tmp", stat(FileKind::Dir, 0, 0, 0o1777)),
            ("/tmp/w", stat(FileKind::Dir, 0, 0, 0o777)),
            ("/tmp/w/s.sh", stat(FileKind::File, 0, 0, 0o755)),
            ("/tmp/g.sh", stat(FileKind::File, 0, 100, 0o775)),
            ("/tmp/u.sh", stat(FileKind::File, 1000, 0, 0o755)),
            ("/tmp/ok.sh", stat(FileKind::File, 0, 0, 0o755)),
            ("/tmp/dev", stat(FileKind::Other, 0, 0, 0o755)),
        ]);
        assert_eq!(
            check_path("/tmp/ok.sh", &lstat),
            None,
            "a sticky /tmp is fine"
        );
        assert!(matches!(
            check_path("/tmp/w/s.sh", &lstat),
            Some(Unsafe::Writable { path, .. }) if path == "/tmp/w"
        ));
        assert!(matches!(
            check_path("/tmp/g.sh", &lstat),
            Some(Unsafe::Writable { path, .. }) if path == "/tmp/g.sh"
        ));
        // Not root's: unsafe whatever its mode.
        assert!(matches!(
            check_path("/tmp/u.sh", &lstat),
            Some(Unsafe::Writable { path, .. }) if path == "/tmp/u.sh"
        ));
        assert_eq!(
            check_path("/tmp/dev", &lstat),
            Some(Unsafe::WrongType {
                path: "/tmp/dev".into()
            })
        );
        assert_eq!(
            check_path("/tmp/gone", &lstat),
            Some(Unsafe::Unreadable {
                path: "/tmp/gone".into()
            })
        );
    }

    #[test]
    fn who_may_execute_a_file() {
        let f = |mode| stat(FileKind::File, 1000, 100, mode);
        assert!(executable(&f(0o001), 0, 0), "root: any execute bit");
        assert!(!executable(&f(0o644), 0, 0));
        assert!(executable(&f(0o100), 1000, 5));
        assert!(
            !executable(&f(0o011), 1000, 100),
            "the owner goes by the owner's bit"
        );
        assert!(executable(&f(0o010), 7, 100));
        assert!(
            !executable(&f(0o001), 7, 100),
            "the group goes by the group's bit"
        );
        assert!(executable(&f(0o001), 7, 8));
        assert!(!executable(&f(0o110), 7, 8));
    }

    #[test]
    fn only_scripts_with_root_s_rights_are_checked() {
        let plain = stat(FileKind::File, 0, 0, 0o755);
        assert!(runs_as_root(0, 0, &plain));
        assert!(runs_as_root(65534, 0, &plain));
        assert!(!runs_as_root(65534, 65534, &plain));
        assert!(runs_as_root(
            65534,
            65534,
            &stat(FileKind::File, 0, 0, 0o4755)
        ));
        assert!(runs_as_root(
            65534,
            65534,
            &stat(FileKind::File, 0, 0, 0o2755)
        ));
        assert!(!runs_as_root(
            65534,
            65534,
            &stat(FileKind::File, 5, 5, 0o6755)
        ));
    }
}
