//! A syslog socket for a daemon under test: a Unix datagram socket the test binds, mounted on
//! /dev/log in a mount namespace of the daemon's own (whose /dev is a tmpfs holding the few device
//! nodes a daemon needs), so that the daemon logs exactly as it would to the system's syslog and
//! nothing reaches the host's.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Run as `sh -c SCRIPT sh SOCKET OLD_DEV_DIR CMD...`.
const WRAP: &str = r#"set -e
sock=$1; old=$2; shift 2
mount --bind /dev "$old"
mount -t tmpfs -o mode=0755 tmpfs /dev
for f in null zero full random urandom tty; do touch "/dev/$f"; mount --bind "$old/$f" "/dev/$f"; done
ln -s /proc/self/fd /dev/fd
touch /dev/log
mount --bind "$sock" /dev/log
exec "$@""#;

/// The socket and a thread reading it as a syslog daemon does (a datagram socket holds only
/// `net.unix.max_dgram_qlen`, 10 by default, unread datagrams: then senders block).
pub struct SyslogSocket {
    path: PathBuf,
    old_dev: PathBuf,
    got: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// One datagram as glibc's syslog(3) writes it: `<PRI>Mmm dd hh:mm:ss IDENT[PID]: MSG`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    pub pri: u8,
    pub stamp: String,
    pub ident: String,
    pub pid: u32,
    pub msg: String,
}

/// Parses a datagram; None when it is not in glibc's layout.
pub fn parse(line: &str) -> Option<Datagram> {
    let (pri, rest) = line.strip_prefix('<')?.split_once('>')?;
    let stamp = rest.get(..15)?;
    let b = stamp.as_bytes();
    let layout = b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[6] == b' '
        && b[9] == b':'
        && b[12] == b':';
    if !layout || !b[..3].iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    let rest = rest.get(15..)?.strip_prefix(' ')?;
    let (ident, rest) = rest.split_once('[')?;
    let (pid, msg) = rest.split_once("]: ")?;
    Some(Datagram {
        pri: pri.parse().ok()?,
        stamp: stamp.to_string(),
        ident: ident.to_string(),
        pid: pid.parse().ok()?,
        msg: msg.to_string(),
    })
}

impl SyslogSocket {
    /// Binds `DIR/NAME.sock` and starts reading it.
    pub fn bind(dir: &Path, name: &str) -> SyslogSocket {
        let path = dir.join(format!("{name}.sock"));
        let _ = std::fs::remove_file(&path);
        let socket = UnixDatagram::bind(&path).expect("bind the syslog socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("read timeout");
        let old_dev = dir.join(format!("{name}.dev"));
        std::fs::create_dir_all(&old_dev).expect("a directory for the host's /dev");
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (got, stop) = (got.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(n) = socket.recv(&mut buf) {
                        let line = String::from_utf8_lossy(&buf[..n]).into_owned();
                        got.lock().unwrap().push(line);
                    }
                }
            })
        };
        SyslogSocket {
            path,
            old_dev,
            got,
            stop,
            reader: Some(reader),
        }
    }

    /// The words to put before a command line (after `ip netns exec NS`) so that the command's
    /// /dev/log is this socket.
    pub fn wrap(&self) -> Vec<String> {
        vec![
            "unshare".into(),
            "-m".into(),
            "--propagation".into(),
            "private".into(),
            "sh".into(),
            "-c".into(),
            WRAP.into(),
            "sh".into(),
            self.path.display().to_string(),
            self.old_dev.display().to_string(),
        ]
    }

    /// Every datagram received so far, as text.
    pub fn lines(&self) -> Vec<String> {
        self.got.lock().unwrap().clone()
    }

    /// Every datagram received so far, parsed (a datagram in another layout fails the test).
    pub fn datagrams(&self) -> Vec<Datagram> {
        self.lines()
            .iter()
            .map(|l| parse(l).unwrap_or_else(|| panic!("not syslog(3)'s layout: {l:?}")))
            .collect()
    }
}

impl Drop for SyslogSocket {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}
