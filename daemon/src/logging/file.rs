//! `-g FILE`: keepalived writes its parent's lines to FILE and each child's to FILE with `_vrrp`,
//! `_healthcheckers` or `_bfd` inserted before the last '.' of the name (keepalived(8)).
//! keepalived-rs writes the same files, each line to the file of the part it comes from
//! ([`Source`]), so tools tailing keepalived's files keep finding their lines. The BFD file is
//! made with the first BFD line (keepalived's with its BFD child, when BFD is configured).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::source::Source;

/// The file a part's lines go to: `keepalived.log` -> `keepalived_vrrp.log`; a name without a
/// '.' (or whose only '.' starts it) gets the part appended: `ka` -> `ka_vrrp`.
pub fn name_for(base: &Path, source: Source) -> PathBuf {
    let part = match source {
        Source::Parent => return base.to_path_buf(),
        Source::Vrrp => "_vrrp",
        Source::Checkers => "_healthcheckers",
        Source::Bfd => "_bfd",
    };
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let named = match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}{part}{}", &name[..dot], &name[dot..]),
        _ => format!("{name}{part}"),
    };
    base.with_file_name(named)
}

/// The log files: three opened (appending, created when missing) at start, BFD's with its
/// first line.
pub struct Files {
    parent: Mutex<File>,
    vrrp: Mutex<File>,
    checkers: Mutex<File>,
    bfd: Mutex<Option<File>>,
    bfd_path: PathBuf,
}

fn open(path: &Path) -> io::Result<Mutex<File>> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(Mutex::new)
        .map_err(|e| io::Error::new(e.kind(), format!("log file {}: {e}", path.display())))
}

impl Files {
    pub fn open(base: &Path) -> io::Result<Files> {
        Ok(Files {
            parent: open(&name_for(base, Source::Parent))?,
            vrrp: open(&name_for(base, Source::Vrrp))?,
            checkers: open(&name_for(base, Source::Checkers))?,
            bfd: Mutex::new(None),
            bfd_path: name_for(base, Source::Bfd),
        })
    }

    /// Appends `line` to the part's file in one write: nothing is buffered, so every line is
    /// in the file as soon as it is logged (`--flush-log-file` or not).
    pub fn write(&self, source: Source, line: &str) {
        let file = match source {
            Source::Parent => &self.parent,
            Source::Vrrp => &self.vrrp,
            Source::Checkers => &self.checkers,
            Source::Bfd => {
                if let Ok(mut f) = self.bfd.lock() {
                    if f.is_none() {
                        *f = open(&self.bfd_path).ok().and_then(|m| m.into_inner().ok());
                    }
                    if let Some(f) = f.as_mut() {
                        let _ = f.write_all(line.as_bytes());
                    }
                }
                return;
            }
        };
        if let Ok(mut f) = file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_inserted_before_the_last_dot() {
        let n = |p: &str, s| name_for(Path::new(p), s).display().to_string();
        assert_eq!(
            n("/var/log/keepalived.log", Source::Parent),
            "/var/log/keepalived.log"
        );
        assert_eq!(
            n("/var/log/keepalived.log", Source::Vrrp),
            "/var/log/keepalived_vrrp.log"
        );
        assert_eq!(
            n("/var/log/ka.1.log", Source::Checkers),
            "/var/log/ka.1_healthcheckers.log"
        );
        assert_eq!(
            n("/var/log.d/keepalived", Source::Vrrp),
            "/var/log.d/keepalived_vrrp"
        );
        assert_eq!(n("/tmp/.ka", Source::Vrrp), "/tmp/.ka_vrrp");
    }
}
