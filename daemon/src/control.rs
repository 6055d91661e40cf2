//! The control socket: a Unix socket that only root (or the daemon's own user) may use, through
//! which `keepalived-rs status` reads the running daemon's state. It serves the snapshots the
//! loops publish (`snapshot`), on a thread of its own: a slow client never delays the VRRP
//! loop, which does not even know it is there.
//!
//! The protocol is one request line (`status`) and one JSON document in answer, then the
//! connection closes. The document's `version` is [`SCHEMA_VERSION`]; docs/status.md
//! describes it.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::watch;
use tracing::{debug, warn};

use crate::snapshot::{LvsSnapshot, VrrpSnapshot};

/// The version of the status document; it changes when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// The socket's file name, in the directory of the main pid file.
pub const FILE_NAME: &str = "keepalived-rs.sock";

/// The socket beside the main pid file (`/run/keepalived-rs.sock` by default; in
/// `/run/keepalived/NS/` in a namespace, as the pid files).
pub fn default_path(main_pid: &Path) -> PathBuf {
    main_pid
        .parent()
        .unwrap_or(Path::new("/run"))
        .join(FILE_NAME)
}

/// The last reload and how it ended.
#[derive(Debug, Clone, Serialize)]
pub struct ReloadOutcome {
    pub at: SystemTime,
    pub applied: bool,
    /// What changed (one line each), or why it was refused.
    pub lines: Vec<String>,
}

/// What the daemon says of itself beside the loops' snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct DaemonInfo {
    pub pid: u32,
    pub version: &'static str,
    pub started: SystemTime,
    pub config_file: PathBuf,
    pub last_reload: Option<ReloadOutcome>,
    /// Reloads applied and refused since the start.
    pub reloads_applied: u64,
    pub reloads_refused: u64,
    /// When the configuration running now was read: the start, or the last reload applied.
    pub config_loaded: SystemTime,
}

impl DaemonInfo {
    /// The daemon as it starts, with the configuration just read.
    pub fn new(config_file: PathBuf) -> DaemonInfo {
        let now = SystemTime::now();
        DaemonInfo {
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION"),
            started: now,
            config_file,
            last_reload: None,
            reloads_applied: 0,
            reloads_refused: 0,
            config_loaded: now,
        }
    }

    /// A reload's outcome.
    pub fn reloaded(&mut self, applied: bool, lines: Vec<String>) {
        let at = SystemTime::now();
        if applied {
            self.reloads_applied += 1;
            self.config_loaded = at;
        } else {
            self.reloads_refused += 1;
        }
        self.last_reload = Some(ReloadOutcome { at, applied, lines });
    }
}

/// What the socket serves from.
#[derive(Clone)]
pub struct Sources {
    pub vrrp: watch::Receiver<Arc<VrrpSnapshot>>,
    pub lvs: watch::Receiver<Arc<LvsSnapshot>>,
    pub daemon: watch::Receiver<DaemonInfo>,
}

/// The status document.
#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    daemon: &'a DaemonInfo,
    vrrp: &'a VrrpSnapshot,
    lvs: &'a LvsSnapshot,
}

impl Sources {
    fn document(&self) -> serde_json::Result<Vec<u8>> {
        let vrrp = self.vrrp.borrow().clone();
        let lvs = self.lvs.borrow().clone();
        let daemon = self.daemon.borrow().clone();
        serde_json::to_vec(&Document {
            version: SCHEMA_VERSION,
            daemon: &daemon,
            vrrp: &vrrp,
            lvs: &lvs,
        })
    }
}

/// The socket while it is served; its file is removed when this is dropped.
pub struct Served {
    path: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Serves the control socket at `path` from `sources`. A socket file left by a daemon that is
/// gone is replaced; one a running daemon answers on is an error.
pub fn serve(path: &Path, sources: Sources) -> io::Result<Served> {
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{}: another daemon answers on it", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let me = nix::unistd::geteuid();
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for conn in listener.incoming() {
                match conn {
                    Ok(stream) => {
                        if let Err(e) = answer(stream, &sources, me) {
                            debug!("control socket: {e}");
                        }
                    }
                    Err(e) => {
                        warn!("control socket: {e}");
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                }
            }
        })?;
    Ok(Served {
        path: path.to_path_buf(),
    })
}

/// One client: its credentials checked (root or the daemon's user), one request, one answer.
fn answer(stream: UnixStream, sources: &Sources, me: nix::unistd::Uid) -> io::Result<()> {
    let cred = nix::sys::socket::getsockopt(&stream, nix::sys::socket::sockopt::PeerCredentials)
        .map_err(io::Error::from)?;
    let uid = nix::unistd::Uid::from_raw(cred.uid());
    let mut out = stream.try_clone()?;
    if !uid.is_root() && uid != me {
        out.write_all(b"{\"error\": \"permission denied\"}\n")?;
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("uid {uid} refused"),
        ));
    }
    stream.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    match line.trim() {
        "status" => {
            let doc = sources.document().map_err(io::Error::other)?;
            out.write_all(&doc)?;
            out.write_all(b"\n")
        }
        other => {
            let msg = serde_json::json!({ "error": format!("unknown request {other:?}") });
            writeln!(out, "{msg}")
        }
    }
}

/// The client's side: the status document of the daemon at `path`.
pub fn request_status(path: &Path) -> io::Result<serde_json::Value> {
    let mut stream = UnixStream::connect(path)?;
    // A daemon that refuses us answers before reading the request: what it says counts, not
    // whether our request got through.
    let sent = stream.write_all(b"status\n");
    let mut text = String::new();
    let read = io::Read::read_to_string(&mut stream, &mut text);
    if text.is_empty() {
        sent?;
        read?;
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(io::Error::other)?;
    if let Some(e) = v.get("error").and_then(|e| e.as_str()) {
        return Err(io::Error::new(io::ErrorKind::PermissionDenied, e.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> (
        Sources,
        watch::Sender<Arc<VrrpSnapshot>>,
        watch::Sender<DaemonInfo>,
    ) {
        let (vtx, vrrp) = watch::channel(Arc::new(VrrpSnapshot::default()));
        let (_ltx, lvs) = watch::channel(Arc::new(LvsSnapshot::default()));
        let (dtx, daemon) = watch::channel(DaemonInfo {
            pid: 42,
            version: "test",
            ..DaemonInfo::new("/etc/keepalived/keepalived.conf".into())
        });
        (Sources { vrrp, lvs, daemon }, vtx, dtx)
    }

    #[test]
    fn reloads_are_counted_and_an_applied_one_is_the_configuration_loaded() {
        let mut i = DaemonInfo::new("k.conf".into());
        let started = i.config_loaded;
        i.reloaded(false, vec!["k.conf has 1 error".into()]);
        assert_eq!((i.reloads_applied, i.reloads_refused), (0, 1));
        assert_eq!(i.config_loaded, started, "a refused reload loads nothing");
        std::thread::sleep(std::time::Duration::from_millis(2));
        i.reloaded(true, Vec::new());
        assert_eq!((i.reloads_applied, i.reloads_refused), (1, 1));
        assert!(i.config_loaded > started);
        assert_eq!(i.last_reload.as_ref().map(|r| r.at), Some(i.config_loaded));
    }

    #[test]
    fn a_client_reads_the_latest_snapshots_and_the_file_goes_with_the_server() {
        let dir = std::env::temp_dir().join(format!("krs-control-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(FILE_NAME);
        let (src, vtx, _dtx) = sources();
        let served = serve(&path, src.clone()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let v = request_status(&path).unwrap();
        assert_eq!(v["version"], SCHEMA_VERSION);
        assert_eq!(v["daemon"]["pid"], 42);
        let mut snap = VrrpSnapshot::default();
        snap.groups.push(crate::snapshot::GroupSnapshot {
            name: "G".into(),
            members: vec!["VI_1".into()],
            state: Some("MASTER"),
            smtp_alert: false,
            notify_scripts: Vec::new(),
        });
        vtx.send_replace(Arc::new(snap));
        let v = request_status(&path).unwrap();
        assert_eq!(v["vrrp"]["groups"][0]["state"], "MASTER");
        // A second server on the same socket is refused while the first answers.
        assert!(serve(&path, src).is_err());
        drop(served);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
