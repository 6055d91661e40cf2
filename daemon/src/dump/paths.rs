//! Where the dump files go: keepalived's names, in its temporary directory, or where
//! `state_dump_file`, `stats_dump_file` and `json_dump_file` (global_defs) say, with
//! `data_use_instance`'s names. Pure.
//!
//! keepalived 2.2.7 (measured): `$TMPDIR` when it is an absolute path of a directory, else
//! `/tmp`; `keepalived.data` (the VRRP process), `keepalived_parent.data`,
//! `keepalived_check.data` (the checker process), `keepalived.stats`, `keepalived.json`, each
//! written whole on its signal; `data_use_instance` inserts `.NAMESPACE_INSTANCE` (or either
//! alone) before a data file's extension, and leaves the stats and JSON files' names alone.
//! 2.2.7 does not know the three `*_dump_file` keywords ("Unknown keyword"); later versions'
//! keepalived.conf(5) documents them (as `state_file_location` and the like, which keepalived-rs
//! also reads): a path ending in `/` is a directory for the usual names, any other path the
//! file itself; the state file's name is a template to which `_parent` and `_check` are added
//! for the other processes' files. A relative path is taken in the temporary directory.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The configuration that places the files (global_defs, `instance`, the namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub state_dump_file: Option<String>,
    pub stats_dump_file: Option<String>,
    pub json_dump_file: Option<String>,
    pub data_use_instance: bool,
    /// The root `instance NAME`.
    pub instance: Option<String>,
    /// The network namespace the daemon runs in (`-s` or `net_namespace`).
    pub namespace: Option<String>,
    /// `json_version`: 1 (a list of instances) or 2 (`{"vrrp": [...]}`).
    pub json_version: u8,
}

impl Settings {
    /// From the configuration's root and global_defs settings as `config dump` writes them
    /// (`diff::Plans::global`), and the namespace the daemon runs in.
    pub fn from_global(global: &serde_json::Value, namespace: Option<&str>) -> Settings {
        let defs = &global["global_defs"];
        let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
        Settings {
            state_dump_file: text(&defs["state_dump_file"]),
            stats_dump_file: text(&defs["stats_dump_file"]),
            json_dump_file: text(&defs["json_dump_file"]),
            data_use_instance: defs["data_use_instance"].as_bool().unwrap_or(false),
            instance: text(&global["instance"]),
            namespace: namespace.map(str::to_string),
            json_version: defs["json_version"]
                .as_u64()
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(1),
        }
    }
}

/// keepalived's temporary directory: `$TMPDIR` when it names a directory by an absolute path,
/// else `/tmp`.
pub fn tmp_dir(tmpdir: Option<OsString>) -> PathBuf {
    match tmpdir.map(PathBuf::from) {
        Some(p) if p.is_absolute() && p.is_dir() => p,
        _ => PathBuf::from("/tmp"),
    }
}

/// The files, once placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The VRRP side's data (`keepalived.data`).
    pub vrrp_data: PathBuf,
    /// The global definitions (`keepalived_parent.data`).
    pub parent_data: PathBuf,
    /// The LVS side's data (`keepalived_check.data`).
    pub check_data: PathBuf,
    /// The BFD sessions (`keepalived_bfd.data`).
    pub bfd_data: PathBuf,
    pub stats: PathBuf,
    pub json: PathBuf,
}

impl Paths {
    pub fn new(s: &Settings, tmp: &Path) -> Paths {
        let data = place(s.state_dump_file.as_deref(), "keepalived.data", tmp);
        let tag = if s.data_use_instance {
            match (&s.namespace, &s.instance) {
                (Some(n), Some(i)) => format!(".{n}_{i}"),
                (Some(n), None) => format!(".{n}"),
                (None, Some(i)) => format!(".{i}"),
                (None, None) => String::new(),
            }
        } else {
            String::new()
        };
        let data_file = |suffix: &str| {
            let name = data
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (stem, ext) = match name.rfind('.') {
                Some(dot) => name.split_at(dot),
                None => (name.as_str(), ""),
            };
            data.with_file_name(format!("{stem}{suffix}{tag}{ext}"))
        };
        Paths {
            vrrp_data: data_file(""),
            parent_data: data_file("_parent"),
            check_data: data_file("_check"),
            bfd_data: data_file("_bfd"),
            stats: place(s.stats_dump_file.as_deref(), "keepalived.stats", tmp),
            json: place(s.json_dump_file.as_deref(), "keepalived.json", tmp),
        }
    }
}

/// A configured location: a directory (ending in `/`) for `default`, or the file itself;
/// relative to the temporary directory unless absolute. None: `default` in the temporary
/// directory.
fn place(configured: Option<&str>, default: &str, tmp: &Path) -> PathBuf {
    match configured {
        None | Some("") => tmp.join(default),
        Some(p) => {
            let base = tmp.join(p);
            if p.ends_with('/') {
                base.join(default)
            } else {
                base
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(s: Settings) -> Paths {
        Paths::new(&s, Path::new("/tmp"))
    }

    #[test]
    fn keepalived_names_by_default() {
        let p = paths(Settings::default());
        assert_eq!(p.vrrp_data, Path::new("/tmp/keepalived.data"));
        assert_eq!(p.parent_data, Path::new("/tmp/keepalived_parent.data"));
        assert_eq!(p.bfd_data, Path::new("/tmp/keepalived_bfd.data"));
        assert_eq!(p.check_data, Path::new("/tmp/keepalived_check.data"));
        assert_eq!(p.stats, Path::new("/tmp/keepalived.stats"));
        assert_eq!(p.json, Path::new("/tmp/keepalived.json"));
    }

    /// Measured with keepalived 2.2.7: `instance foo`, `-s hdxa`, `data_use_instance` wrote
    /// keepalived.hdxa_foo.data and keepalived_parent.hdxa_foo.data, keepalived.stats and
    /// keepalived.json.
    #[test]
    fn data_use_instance_names_the_data_files_only() {
        let p = paths(Settings {
            data_use_instance: true,
            instance: Some("foo".into()),
            namespace: Some("hdxa".into()),
            ..Settings::default()
        });
        assert_eq!(p.vrrp_data, Path::new("/tmp/keepalived.hdxa_foo.data"));
        assert_eq!(
            p.parent_data,
            Path::new("/tmp/keepalived_parent.hdxa_foo.data")
        );
        assert_eq!(
            p.check_data,
            Path::new("/tmp/keepalived_check.hdxa_foo.data")
        );
        assert_eq!(p.stats, Path::new("/tmp/keepalived.stats"));
        assert_eq!(p.json, Path::new("/tmp/keepalived.json"));
        let only_instance = paths(Settings {
            data_use_instance: true,
            instance: Some("foo".into()),
            ..Settings::default()
        });
        assert_eq!(
            only_instance.vrrp_data,
            Path::new("/tmp/keepalived.foo.data")
        );
        let only_ns = paths(Settings {
            data_use_instance: true,
            namespace: Some("ns1".into()),
            ..Settings::default()
        });
        assert_eq!(
            only_ns.parent_data,
            Path::new("/tmp/keepalived_parent.ns1.data")
        );
        // Without the keyword, neither changes a name.
        let off = paths(Settings {
            instance: Some("foo".into()),
            namespace: Some("ns1".into()),
            ..Settings::default()
        });
        assert_eq!(off.vrrp_data, Path::new("/tmp/keepalived.data"));
    }

    #[test]
    fn configured_locations() {
        let p = paths(Settings {
            state_dump_file: Some("/run/ka/state.txt".into()),
            stats_dump_file: Some("/run/ka/".into()),
            json_dump_file: Some("ka.json".into()),
            data_use_instance: true,
            instance: Some("i".into()),
            ..Settings::default()
        });
        assert_eq!(p.vrrp_data, Path::new("/run/ka/state.i.txt"));
        assert_eq!(p.parent_data, Path::new("/run/ka/state_parent.i.txt"));
        assert_eq!(p.check_data, Path::new("/run/ka/state_check.i.txt"));
        assert_eq!(p.stats, Path::new("/run/ka/keepalived.stats"));
        assert_eq!(p.json, Path::new("/tmp/ka.json"));
        let dir = paths(Settings {
            state_dump_file: Some("/var/tmp/".into()),
            ..Settings::default()
        });
        assert_eq!(dir.check_data, Path::new("/var/tmp/keepalived_check.data"));
        let no_ext = paths(Settings {
            state_dump_file: Some("/run/state".into()),
            ..Settings::default()
        });
        assert_eq!(no_ext.parent_data, Path::new("/run/state_parent"));
    }

    #[test]
    fn settings_from_the_configuration() {
        let global = serde_json::json!({
            "instance": "foo",
            "global_defs": {
                "state_dump_file": "/run/s.data",
                "data_use_instance": true,
                "json_version": 2
            }
        });
        let s = Settings::from_global(&global, Some("ns"));
        assert_eq!(s.state_dump_file.as_deref(), Some("/run/s.data"));
        assert_eq!(s.stats_dump_file, None);
        assert!(s.data_use_instance);
        assert_eq!(s.instance.as_deref(), Some("foo"));
        assert_eq!(s.namespace.as_deref(), Some("ns"));
        assert_eq!(s.json_version, 2);
    }

    #[test]
    fn tmpdir_only_when_an_absolute_directory() {
        assert_eq!(tmp_dir(None), Path::new("/tmp"));
        assert_eq!(tmp_dir(Some("relative".into())), Path::new("/tmp"));
        assert_eq!(
            tmp_dir(Some("/nonexistent-dir-krs".into())),
            Path::new("/tmp")
        );
        let d = std::env::temp_dir();
        assert_eq!(tmp_dir(Some(d.clone().into())), d);
    }
}
