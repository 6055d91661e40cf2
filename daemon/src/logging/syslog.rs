//! Syslog as glibc's syslog(3) writes it for keepalived: one datagram per line to /dev/log,
//! `<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE` (RFC 3164 without the host name, which the local
//! syslog daemon adds). The facility comes from `-S`.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::Level;

/// Where syslog(3) writes.
pub const DEV_LOG: &str = "/dev/log";

/// LOG_DAEMON, keepalived's default facility.
pub const DAEMON: u8 = 3;

/// The facility `-S` names: `0`-`7` or `local0`-`local7` (LOG_LOCAL0-7), `user` or `daemon`, as
/// keepalived 2.2.7 takes them. Anything else is an error naming the accepted values (keepalived
/// says `Invalid log facility` and logs as daemon).
pub fn facility(arg: &str) -> Result<u8, String> {
    match arg {
        "user" => return Ok(1),
        "daemon" => return Ok(DAEMON),
        _ => {}
    }
    match arg.strip_prefix("local").unwrap_or(arg).as_bytes() {
        [d @ b'0'..=b'7'] => Ok(16 + (d - b'0')),
        _ => Err(format!(
            "-S {arg}: not a syslog facility; write 0-7 or local0-local7 (LOG_LOCAL0-7), user or \
             daemon (the default)"
        )),
    }
}

/// syslog severity for a tracing level.
pub fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// One datagram: `<PRI>TIMESTAMP IDENT[PID]: MSG`.
pub fn datagram(
    facility: u8,
    severity: u8,
    timestamp: &str,
    ident: &str,
    pid: u32,
    msg: &str,
) -> String {
    format!(
        "<{}>{timestamp} {ident}[{pid}]: {}",
        u32::from(facility) * 8 + u32::from(severity),
        msg.trim_end()
    )
}

/// Sends datagrams to /dev/log (or another socket), connecting on first use and again after
/// an error (the syslog daemon restarted; when there is none, once a second at most). Never blocks: syslog(3) does, so keepalived stops
/// altogether while /dev/log is full (a datagram socket holds only `net.unix.max_dgram_qlen`
/// unread datagrams, 10 by default); a VRRP router that stops sending adverts loses its VIP. A
/// line that finds the socket full is dropped and counted, and the count is logged with the next
/// line that gets through.
pub struct Syslog {
    socket: Mutex<Connection>,
    path: PathBuf,
}

#[derive(Default)]
struct Connection {
    socket: Option<UnixDatagram>,
    dropped: u64,
    /// After a failed connect, none is tried before this (no syslog daemon at all: not two
    /// system calls per log line).
    retry_at: Option<Instant>,
}

/// How long a missing /dev/log is not asked again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

impl Syslog {
    pub fn new(path: impl Into<PathBuf>) -> Syslog {
        Syslog {
            socket: Mutex::new(Connection::default()),
            path: path.into(),
        }
    }

    /// Sends `datagram`; after lines were dropped, first `notice(count)`.
    pub fn send(&self, datagram: &str, notice: impl Fn(u64) -> String) {
        let Ok(mut c) = self.socket.lock() else {
            return;
        };
        if c.dropped > 0 {
            let n = c.dropped;
            if c.send(&self.path, &notice(n)) {
                c.dropped -= n;
            }
        }
        if !c.send(&self.path, datagram) {
            c.dropped += 1;
        }
    }
}

impl Connection {
    /// True when sent; a full socket (or none) is false.
    fn send(&mut self, path: &std::path::Path, datagram: &str) -> bool {
        for _ in 0..2 {
            if self.socket.is_none() {
                if self.retry_at.is_some_and(|t| Instant::now() < t) {
                    return false;
                }
                self.socket = UnixDatagram::unbound()
                    .ok()
                    .filter(|s| s.connect(path).is_ok() && s.set_nonblocking(true).is_ok());
                self.retry_at = self.socket.is_none().then(|| Instant::now() + RETRY_AFTER);
            }
            match self.socket.as_ref().map(|s| s.send(datagram.as_bytes())) {
                Some(Ok(_)) => return true,
                Some(Err(e)) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                // The syslog daemon went away: connect again, once.
                Some(Err(_)) => self.socket = None,
                None => return false,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities_as_keepalived_takes_them() {
        assert_eq!(facility("daemon"), Ok(3));
        assert_eq!(facility("user"), Ok(1));
        assert_eq!(facility("0"), Ok(16));
        assert_eq!(facility("3"), Ok(19));
        assert_eq!(facility("local3"), Ok(19));
        assert_eq!(facility("local7"), Ok(23));
        for bad in [
            "8", "local8", "LOCAL3", "bogus", "", "local", "07", "+3", "local 3", "-1",
        ] {
            let e = facility(bad).unwrap_err();
            assert!(e.contains("local0-local7"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_datagram_is_glibc_s_layout() {
        // keepalived 2.2.7 with -S local3: '<158>Dec  6 04:54:40 Keepalived[19256]: ...'
        assert_eq!(
            datagram(19, 6, "Dec  6 04:54:40", "Keepalived", 19256, "Stopping\n"),
            "<158>Dec  6 04:54:40 Keepalived[19256]: Stopping"
        );
        assert_eq!(severity(&Level::WARN), 4);
    }

    fn counted(n: u64) -> String {
        format!("{n} dropped")
    }

    #[test]
    fn the_sender_reconnects_after_the_socket_comes_back() {
        let dir = std::env::temp_dir().join(format!("krs-syslog-rc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let s = Syslog::new(&path);
        s.send("lost: nobody listens yet", counted);
        let server = UnixDatagram::bind(&path).unwrap();
        // Not asked again at once after a failed connect: this one is dropped too.
        s.send("too early", counted);
        drop(server);
        std::fs::remove_file(&path).unwrap();
        let server = UnixDatagram::bind(&path).unwrap();
        std::thread::sleep(RETRY_AFTER);
        s.send("two", counted);
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"2 dropped");
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"two");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A syslog daemon that does not read: the sender goes on, and says how much was lost once
    /// the socket has room again.
    #[test]
    fn a_full_socket_never_blocks_the_daemon() {
        let dir = std::env::temp_dir().join(format!("krs-syslog-full-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        server
            .set_read_timeout(Some(std::time::Duration::from_millis(100)))
            .unwrap();
        let s = Syslog::new(&path);
        let sent = 5000;
        for i in 0..sent {
            s.send(&format!("line {i}"), counted);
        }
        let mut buf = [0u8; 64];
        let mut got = Vec::new();
        while let Ok(n) = server.recv(&mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        assert!(got.len() < sent, "the socket holds only so many");
        assert_eq!(got[0], "line 0");
        s.send("after", counted);
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            format!("{} dropped", sent - got.len())
        );
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
