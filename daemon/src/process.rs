//! The process around the daemon: logging (console with `-l`, syslog otherwise), the open-file
//! limit, and detaching from the terminal without `fork` (see docs/compat.md).

use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::Level;
use tracing_subscriber::fmt::MakeWriter;

/// Set in the environment of the detached copy of ourselves.
pub const DETACHED_ENV: &str = "KEEPALIVED_RS_DETACHED";

/// syslog severity for a tracing level.
pub fn severity(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// A facility number from `-S` (`0`..`7` for local0..7, `user`, `daemon`); daemon by default.
pub fn facility(arg: Option<&str>) -> u8 {
    match arg {
        Some(n @ ("0" | "1" | "2" | "3" | "4" | "5" | "6" | "7")) => {
            16 + n.parse::<u8>().unwrap_or(0)
        }
        Some("user") => 1,
        _ => 3,
    }
}

/// One RFC 3164 line: `<PRI>TAG[PID]: MSG` (the local syslog daemon adds time and host).
pub fn syslog_line(facility: u8, severity: u8, pid: u32, msg: &str) -> String {
    format!(
        "<{}>keepalived-rs[{pid}]: {}",
        u32::from(facility) * 8 + u32::from(severity),
        msg.trim_end()
    )
}

/// Writes each event as one datagram to /dev/log.
pub struct Syslog {
    socket: Mutex<Option<UnixDatagram>>,
    facility: u8,
    path: PathBuf,
}

impl Syslog {
    pub fn new(facility: u8) -> Syslog {
        Syslog::with_path(facility, "/dev/log")
    }

    /// A syslog writer sending to another socket than /dev/log (tests).
    pub fn with_path(facility: u8, path: impl Into<PathBuf>) -> Syslog {
        Syslog {
            socket: Mutex::new(None),
            facility,
            path: path.into(),
        }
    }

    fn send(&self, severity: u8, msg: &[u8]) {
        let line = syslog_line(
            self.facility,
            severity,
            std::process::id(),
            &String::from_utf8_lossy(msg),
        );
        let Ok(mut guard) = self.socket.lock() else {
            return;
        };
        if guard.is_none() {
            *guard = UnixDatagram::unbound()
                .ok()
                .filter(|s| s.connect(&self.path).is_ok());
        }
        if let Some(s) = guard.as_ref() {
            if s.send(line.as_bytes()).is_err() {
                *guard = None;
            }
        }
    }
}

pub struct SyslogEvent<'a> {
    syslog: &'a Syslog,
    severity: u8,
    buf: Vec<u8>,
}

impl Write for SyslogEvent<'_> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogEvent<'_> {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.syslog.send(self.severity, &self.buf);
        }
    }
}

impl<'a> MakeWriter<'a> for Syslog {
    type Writer = SyslogEvent<'a>;
    fn make_writer(&'a self) -> SyslogEvent<'a> {
        SyslogEvent {
            syslog: self,
            severity: 6,
            buf: Vec::new(),
        }
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> SyslogEvent<'a> {
        SyslogEvent {
            syslog: self,
            severity: severity(meta.level()),
            buf: Vec::new(),
        }
    }
}

/// Where log lines go, from keepalived's flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `-l`: stderr.
    Console,
    /// `-g[FILE]`: appended to a file.
    File(PathBuf),
    /// The default: RFC 3164 lines to /dev/log.
    Syslog,
    /// `-G` without `-l` or `-g`: nowhere.
    Nowhere,
}

/// keepalived's precedence: `-l` logs to the console, `-g` to a file, otherwise syslog unless
/// `-G`.
pub fn log_target(console: bool, file: Option<&Path>, no_syslog: bool) -> LogTarget {
    match (console, file, no_syslog) {
        (true, _, _) => LogTarget::Console,
        (false, Some(f), _) => LogTarget::File(f.to_path_buf()),
        (false, None, false) => LogTarget::Syslog,
        (false, None, true) => LogTarget::Nowhere,
    }
}

/// Sets up logging to `target`; `-D` (`detail`) adds debug lines.
pub fn init_logging(
    target: &LogTarget,
    detail: bool,
    facility_arg: Option<&str>,
) -> io::Result<()> {
    let level = if detail { Level::DEBUG } else { Level::INFO };
    let fmt = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false);
    match target {
        LogTarget::Console => fmt.with_writer(io::stderr).init(),
        LogTarget::File(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    io::Error::new(e.kind(), format!("log file {}: {e}", path.display()))
                })?;
            fmt.with_writer(Mutex::new(f)).with_ansi(false).init()
        }
        LogTarget::Syslog => fmt
            .with_writer(Syslog::new(facility(facility_arg)))
            .without_time()
            .with_ansi(false)
            .with_level(false)
            .init(),
        LogTarget::Nowhere => fmt.with_writer(io::sink).init(),
    }
    Ok(())
}

/// Raises the open-file limit so that `wanted` descriptors fit (each health check holds a socket
/// while it runs: thousands of checkers can connect at once): the soft limit to at least `wanted`
/// plus room for the rest, the hard limit too when we may (root), within fs.nr_open. keepalived
/// raises its limit likewise. Returns the soft limit now in force.
pub fn raise_nofile_limit(wanted: u64) -> io::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    let need = wanted.saturating_add(1024);
    if soft >= need {
        return Ok(soft);
    }
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(hard);
    let target = need.min(nr_open).max(soft);
    if target > hard && setrlimit(Resource::RLIMIT_NOFILE, target, target).is_ok() {
        return Ok(target);
    }
    let target = need.min(hard).max(soft);
    setrlimit(Resource::RLIMIT_NOFILE, target, hard).map_err(io::Error::from)?;
    Ok(target)
}

/// Without `-n`: start a copy of ourselves in a new session, detached from the terminal, and let
/// the caller exit. The copy calls setsid() itself when it sees [`DETACHED_ENV`] (it is not a
/// process-group leader, so that succeeds) — no fork in this process, no pre_exec.
pub fn respawn_detached() -> io::Result<u32> {
    let exe = std::env::current_exe()?;
    let child = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(DETACHED_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .current_dir("/")
        .spawn()?;
    Ok(child.id())
}

/// In the detached copy: leave the parent's session and terminal.
pub fn become_session_leader() {
    let _ = nix::unistd::setsid();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syslog_lines() {
        assert_eq!(
            syslog_line(3, 6, 42, "hello\n"),
            "<30>keepalived-rs[42]: hello"
        );
        assert_eq!(facility(None), 3);
        assert_eq!(facility(Some("7")), 23);
        assert_eq!(facility(Some("user")), 1);
        assert_eq!(severity(&Level::ERROR), 3);
    }

    #[test]
    fn syslog_writer_sends_one_datagram_per_event() {
        let dir = std::env::temp_dir().join(format!("krs-syslog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let syslog = Syslog::with_path(3, &path);
        let meta = tracing::Level::WARN;
        {
            let mut w = SyslogEvent {
                syslog: &syslog,
                severity: severity(&meta),
                buf: Vec::new(),
            };
            w.write_all(b"(VI_1) Entering ").unwrap();
            w.write_all(b"MASTER STATE\n").unwrap();
        }
        let mut buf = [0u8; 256];
        let n = server.recv(&mut buf).unwrap();
        let line = String::from_utf8_lossy(&buf[..n]);
        assert_eq!(
            line,
            format!(
                "<28>keepalived-rs[{}]: (VI_1) Entering MASTER STATE",
                std::process::id()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn log_target_follows_keepalived_precedence() {
        let f = Path::new("/tmp/k.log");
        assert_eq!(log_target(true, Some(f), true), LogTarget::Console);
        assert_eq!(log_target(false, Some(f), false), LogTarget::File(f.into()));
        assert_eq!(log_target(false, None, false), LogTarget::Syslog);
        assert_eq!(log_target(false, None, true), LogTarget::Nowhere);
    }

    #[test]
    fn nofile_limit_is_raised_to_what_is_wanted() {
        use nix::sys::resource::{getrlimit, Resource};
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let wanted = hard.min(1 << 16).saturating_sub(1024).max(1);
        let now = raise_nofile_limit(wanted).unwrap();
        assert!(now >= wanted.min(hard), "{now} < {wanted}");
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, now);
    }
}
