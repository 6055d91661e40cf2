//! The service manager's notification protocol (sd_notify(3)), in the few lines it takes: a
//! message is one datagram of `KEY=VALUE` lines sent to the AF_UNIX datagram socket named by
//! `NOTIFY_SOCKET` (a path, or an abstract name written with a leading '@'). Without
//! `NOTIFY_SOCKET` nothing is sent. No libsystemd.
//!
//! Not the `sd-notify` crate: it reads `NOTIFY_SOCKET` from the environment on every call, so
//! the daemon could not take the variables out of the environment its scripts inherit (the
//! crate's function that does is `unsafe`, which the workspace forbids), and tests could not
//! aim a notifier at a socket of their own without changing their process's environment.
//!
//! What the daemon sends, and when, is `systemd.rs`; this file is only the protocol.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";
pub const WATCHDOG_USEC: &str = "WATCHDOG_USEC";
pub const WATCHDOG_PID: &str = "WATCHDOG_PID";

/// Where notifications go.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Path(PathBuf),
    /// An abstract socket name (without the leading '@' or NUL).
    Abstract(Vec<u8>),
}

/// Sends notifications to the service manager, or nowhere. Clones share one "stopping" flag:
/// once `STOPPING=1` is sent, nothing else is (no READY or STATUS from a task that has not
/// heard of the stop yet may follow it); and the last status line sent with READY or STATUS,
/// which the READY=1 ending a reload repeats.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    target: Option<Target>,
    stopping: Arc<AtomicBool>,
    last_status: Arc<Mutex<String>>,
}

impl Notifier {
    /// A notifier that sends nothing.
    pub fn none() -> Notifier {
        Notifier::default()
    }

    /// A notifier for the socket named as `NOTIFY_SOCKET` names it: an absolute path, or
    /// `@name` for an abstract socket. Anything else (empty, relative) sends nothing, as
    /// sd_notify(3) does.
    pub fn to_socket(name: &OsStr) -> Notifier {
        let bytes = name.as_bytes();
        let target = match bytes.first() {
            Some(b'/') => Some(Target::Path(PathBuf::from(name))),
            Some(b'@') if bytes.len() > 1 => Some(Target::Abstract(bytes[1..].to_vec())),
            _ => None,
        };
        Notifier {
            target,
            ..Notifier::default()
        }
    }

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID`, and takes them out of the
    /// environment, so that the scripts the daemon runs (notify, MISC_CHECK, vrrp_script) do
    /// not inherit them. Returns the notifier and the watchdog's timeout, when the service
    /// manager wants pings from this process.
    ///
    /// Changing the environment is only sound while the process has one thread: call it before
    /// the runtime, logging or any thread starts.
    pub fn take_from_env() -> (Notifier, Option<Duration>) {
        let socket = std::env::var_os(NOTIFY_SOCKET);
        let usec = std::env::var(WATCHDOG_USEC).ok();
        let pid = std::env::var(WATCHDOG_PID).ok();
        for v in [NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID] {
            std::env::remove_var(v);
        }
        let notifier = socket.map_or_else(Notifier::none, |s| Notifier::to_socket(&s));
        let watchdog = watchdog_timeout(usec.as_deref(), pid.as_deref(), std::process::id())
            .filter(|_| notifier.enabled());
        (notifier, watchdog)
    }

    /// Whether notifications go anywhere.
    pub fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Sends one message (its lines end with '\n'). Nothing without a socket, and nothing after
    /// [`Notifier::stopping`].
    pub fn send(&self, message: &str) -> io::Result<()> {
        let Some(target) = &self.target else {
            return Ok(());
        };
        if self.stopping.load(Ordering::SeqCst) {
            return Ok(());
        }
        send_to(target, message)
    }

    /// `READY=1` with the status line.
    pub fn ready(&self, status: &str) -> io::Result<()> {
        self.remember(status);
        self.send(&format!("READY=1\n{}", status_field(status)))
    }

    pub fn status(&self, status: &str) -> io::Result<()> {
        self.remember(status);
        self.send(&status_field(status))
    }

    fn remember(&self, status: &str) {
        if let Ok(mut s) = self.last_status.lock() {
            status.clone_into(&mut s);
        }
    }

    /// A reload is over (applied or refused): `READY=1` with the last status line sent before
    /// it (the reporter sends the new one when the states change).
    pub fn reloaded(&self) -> io::Result<()> {
        let status = self
            .last_status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        self.send(&format!("READY=1\n{}", status_field(&status)))
    }

    pub fn watchdog(&self) -> io::Result<()> {
        self.send("WATCHDOG=1\n")
    }

    /// A reload begins: `RELOADING=1` with the time it began on CLOCK_MONOTONIC (systemd 253's
    /// Type=notify-reload requires `MONOTONIC_USEC` with it, older ones ignore it). When the
    /// reload is done, successful or not, [`Notifier::reloaded`] ends it.
    pub fn reloading(&self, status: &str) -> io::Result<()> {
        self.send(&reloading_message(monotonic_usec()?, status))
    }

    /// The daemon is stopping: `STOPPING=1`, and nothing more from this notifier or its clones.
    pub fn stopping(&self) -> io::Result<()> {
        let Some(target) = &self.target else {
            return Ok(());
        };
        if self.stopping.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        send_to(target, &format!("STOPPING=1\n{}", status_field("stopping")))
    }
}

fn send_to(target: &Target, message: &str) -> io::Result<()> {
    // A socket per message, as sd_notify(3) does: nothing to keep open across a restart of
    // the service manager.
    let socket = UnixDatagram::unbound()?;
    match target {
        Target::Path(p) => socket.connect(p)?,
        Target::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            socket.connect_addr(&addr)?
        }
    }
    let sent = socket.send(message.as_bytes())?;
    if sent != message.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "notification sent in part",
        ));
    }
    Ok(())
}

/// `STATUS=` with the text on one line (a newline would end the field).
pub fn status_field(status: &str) -> String {
    format!("STATUS={}\n", status.replace(['\n', '\r'], " "))
}

pub fn reloading_message(monotonic_usec: u64, status: &str) -> String {
    format!(
        "RELOADING=1\nMONOTONIC_USEC={monotonic_usec}\n{}",
        status_field(status)
    )
}

/// The watchdog timeout asked for by `WATCHDOG_USEC`, if it is meant for process `me`
/// (`WATCHDOG_PID` absent or naming it) and is a positive number.
pub fn watchdog_timeout(usec: Option<&str>, pid: Option<&str>, me: u32) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|&u| u > 0)?;
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok() != Some(me) {
            return None;
        }
    }
    Some(Duration::from_micros(usec))
}

/// Now on CLOCK_MONOTONIC, in microseconds (what `MONOTONIC_USEC` carries).
pub fn monotonic_usec() -> io::Result<u64> {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)?;
    let usec = i128::from(t.tv_sec()) * 1_000_000 + i128::from(t.tv_nsec()) / 1_000;
    u64::try_from(usec).map_err(|_| io::Error::other("CLOCK_MONOTONIC before its epoch"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn listener() -> (UnixDatagram, PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "krs-notify-{}-{}",
            std::process::id(),
            fastrand_suffix()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let s = UnixDatagram::bind(&path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (s, path, dir)
    }

    /// Tests in this file run in parallel: each socket its own directory.
    fn fastrand_suffix() -> u64 {
        use std::sync::atomic::AtomicU64;
        static N: AtomicU64 = AtomicU64::new(0);
        N.fetch_add(1, Ordering::SeqCst)
    }

    fn recv(s: &UnixDatagram) -> String {
        let mut buf = [0u8; 4096];
        let n = s.recv(&mut buf).expect("a notification");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn messages_reach_a_path_socket_one_datagram_each() {
        let (s, path, dir) = listener();
        let n = Notifier::to_socket(path.as_os_str());
        assert!(n.enabled());
        n.ready("1 instance: VI_1 BACKUP").unwrap();
        n.status("1 instance: VI_1 MASTER\nsecond line").unwrap();
        n.watchdog().unwrap();
        n.reloading("reloading").unwrap();
        n.reloaded().unwrap();
        assert_eq!(recv(&s), "READY=1\nSTATUS=1 instance: VI_1 BACKUP\n");
        assert_eq!(recv(&s), "STATUS=1 instance: VI_1 MASTER second line\n");
        assert_eq!(recv(&s), "WATCHDOG=1\n");
        let r = recv(&s);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[0], "RELOADING=1");
        let usec: u64 = lines[1]
            .strip_prefix("MONOTONIC_USEC=")
            .unwrap()
            .parse()
            .unwrap();
        let now = monotonic_usec().unwrap();
        assert!(usec <= now && now - usec < 5_000_000, "{usec} vs {now}");
        assert_eq!(lines[2], "STATUS=reloading");
        // The reload's end repeats the last status line, not "reloading".
        assert_eq!(
            recv(&s),
            "READY=1\nSTATUS=1 instance: VI_1 MASTER second line\n"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn nothing_after_stopping_from_any_clone() {
        let (s, path, dir) = listener();
        let n = Notifier::to_socket(path.as_os_str());
        let other = n.clone();
        n.stopping().unwrap();
        other.ready("late").unwrap();
        other.watchdog().unwrap();
        other.stopping().unwrap();
        assert_eq!(recv(&s), "STOPPING=1\nSTATUS=stopping\n");
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut buf = [0u8; 64];
        assert!(s.recv(&mut buf).is_err(), "a message after STOPPING=1");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn abstract_socket_names() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("krs-notify-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let s = UnixDatagram::bind_addr(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = Notifier::to_socket(OsStr::new(&format!("@{name}")));
        n.ready("up").unwrap();
        assert_eq!(recv(&s), "READY=1\nSTATUS=up\n");
    }

    #[test]
    fn no_socket_or_an_unusable_name_sends_nothing() {
        for name in ["", "@", "relative/path"] {
            let n = Notifier::to_socket(OsStr::new(name));
            assert!(!n.enabled(), "{name:?}");
            n.ready("x").unwrap();
        }
        let n = Notifier::none();
        assert!(!n.enabled());
        n.stopping().unwrap();
        // A name that is not UTF-8 is still a path.
        let raw = std::ffi::OsString::from_vec(b"/run/\xffsock".to_vec());
        assert!(Notifier::to_socket(&raw).enabled());
    }

    #[test]
    fn a_missing_socket_is_an_error_not_a_panic() {
        let n = Notifier::to_socket(OsStr::new("/nonexistent/krs/notify.sock"));
        assert!(n.ready("x").is_err());
    }

    #[test]
    fn watchdog_timeout_follows_sd_watchdog_enabled() {
        let s = Duration::from_secs;
        assert_eq!(watchdog_timeout(Some("10000000"), None, 7), Some(s(10)));
        assert_eq!(
            watchdog_timeout(Some("10000000"), Some("7"), 7),
            Some(s(10))
        );
        // Meant for another process (our parent, a script): not ours.
        assert_eq!(watchdog_timeout(Some("10000000"), Some("8"), 7), None);
        assert_eq!(watchdog_timeout(Some("0"), None, 7), None);
        assert_eq!(watchdog_timeout(Some("ten"), None, 7), None);
        assert_eq!(watchdog_timeout(None, Some("7"), 7), None);
    }
}
