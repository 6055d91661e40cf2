//! The daemon's log lines, where keepalived's go and as keepalived writes them: to syslog
//! (unless `-G`) under keepalived's idents, to the console with `-l`, to files with `-g`; console
//! and file lines start with keepalived's timestamp (`Sun Dec  6 04:42:10 2026: `), never with
//! colour codes. Each event is attributed to the part of the daemon it comes from ([`Source`]),
//! which picks its ident and its `-g` file.

mod file;
pub mod ident;
pub mod source;
pub mod stamp;
pub mod syslog;

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

pub use ident::{IdentStyle, Idents};
pub use source::Source;

/// Where and how to log, from keepalived's flags.
#[derive(Debug, Clone)]
pub struct Options {
    /// `-l`: also to stderr.
    pub console: bool,
    /// `-g FILE`: also to FILE and its `_vrrp` / `_healthcheckers` siblings.
    pub file: Option<PathBuf>,
    /// The syslog socket (/dev/log), None with `-G`.
    pub syslog: Option<PathBuf>,
    /// `-S`.
    pub facility: u8,
    /// `-D`: debug lines too.
    pub detail: bool,
    pub style: IdentStyle,
}

/// Changes the idents once the configuration is read.
#[derive(Clone)]
pub struct Handle {
    idents: Arc<RwLock<Idents>>,
}

impl Handle {
    /// Appends keepalived's `_NAMESPACE_INSTANCE` suffix to the idents, saying so first under
    /// the old ident as keepalived does (`Changing syslog ident to Keepalived_blue`).
    pub fn set_suffix(&self, namespace: Option<&str>, instance: Option<&str>) {
        let new = match self.idents.read() {
            Ok(i) => i.with_suffix(namespace, instance),
            Err(_) => return,
        };
        let parent = new.of(Source::Parent);
        let changed = self.idents.read().is_ok_and(|i| *i != new);
        if changed {
            tracing::info!("Changing syslog ident to {parent}");
            if let Ok(mut i) = self.idents.write() {
                *i = new;
            }
        }
    }
}

/// Installs the daemon's logger.
pub fn init(options: &Options) -> io::Result<Handle> {
    let (sinks, handle) = sinks(options)?;
    let level = if options.detail {
        LevelFilter::DEBUG
    } else {
        LevelFilter::INFO
    };
    tracing_subscriber::registry()
        .with(sinks.with_filter(level))
        .try_init()
        .map_err(|e| io::Error::other(format!("cannot set up logging: {e}")))?;
    Ok(handle)
}

/// The logger's outputs (the log files opened) and the handle on its idents.
fn sinks(options: &Options) -> io::Result<(Sinks, Handle)> {
    let idents = Arc::new(RwLock::new(Idents::new(options.style)));
    let sinks = Sinks {
        console: options.console,
        files: options.file.as_deref().map(file::Files::open).transpose()?,
        syslog: options.syslog.clone().map(syslog::Syslog::new),
        facility: options.facility,
        idents: idents.clone(),
    };
    Ok((sinks, Handle { idents }))
}

/// The outputs of every event.
struct Sinks {
    console: bool,
    files: Option<file::Files>,
    syslog: Option<syslog::Syslog>,
    facility: u8,
    idents: Arc<RwLock<Idents>>,
}

impl<S: Subscriber> Layer<S> for Sinks {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut text = Text::default();
        event.record(&mut text);
        let thread = std::thread::current();
        let source = Source::of(meta.target(), thread.name());
        let now = stamp::now();
        if self.console || self.files.is_some() {
            let line = format!("{}{}\n", stamp::console(&now), text.0.trim_end());
            if self.console {
                let _ = io::stderr().lock().write_all(line.as_bytes());
            }
            if let Some(files) = &self.files {
                files.write(source, &line);
            }
        }
        if let Some(s) = &self.syslog {
            let (ident, parent) = match self.idents.read() {
                Ok(i) => (i.of(source), i.of(Source::Parent)),
                Err(_) => return,
            };
            let stamp = stamp::syslog(&now);
            let line = |severity, ident: &str, msg: &str| {
                syslog::datagram(
                    self.facility,
                    severity,
                    &stamp,
                    ident,
                    std::process::id(),
                    msg,
                )
            };
            let notice = |n| {
                let msg = format!(
                    "{n} log line(s) could not be sent to {} (full or not there)",
                    syslog::DEV_LOG
                );
                line(4, &parent, &msg)
            };
            s.send(
                &line(syslog::severity(meta.level()), &ident, &text.0),
                notice,
            );
        }
    }
}

/// An event's text: its message, then its other fields as ` name=value`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.insert_str(0, value);
        } else {
            let _ = write!(self.0, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;
    use std::time::Duration;

    fn recv_all(server: &UnixDatagram) -> Vec<String> {
        server
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = server.recv(&mut buf) {
            out.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        out
    }

    /// Strips `<PRI>Mmm dd hh:mm:ss ` and `[PID]`: (PRI, "IDENT: MESSAGE").
    fn header(d: &str) -> (u32, String) {
        let (pri, rest) = d[1..].split_once('>').unwrap();
        let (stamp, rest) = rest.split_at(15);
        assert!(
            chrono::NaiveTime::parse_from_str(&stamp[7..], "%H:%M:%S").is_ok(),
            "{d}"
        );
        let pid = format!("[{}]", std::process::id());
        (
            pri.parse().unwrap(),
            rest.trim_start().replacen(&pid, "", 1),
        )
    }

    /// Events of each part of the daemon reach a real syslog socket under keepalived's idents,
    /// in glibc's layout, and the `-g` file of their part; the ident suffix comes after the
    /// line announcing it.
    #[test]
    fn each_part_logs_under_its_ident_and_into_its_file() {
        let dir = std::env::temp_dir().join(format!("krs-logging-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("log.sock");
        let server = UnixDatagram::bind(&sock).unwrap();
        let (sinks, handle) = sinks(&Options {
            console: false,
            file: Some(dir.join("keepalived.log")),
            syslog: Some(sock.clone()),
            facility: syslog::facility("local3").unwrap(),
            detail: false,
            style: IdentStyle::Keepalived,
        })
        .unwrap();
        let subscriber = tracing_subscriber::registry().with(sinks.with_filter(LevelFilter::INFO));
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "keepalived_rs::daemon", "Starting");
            tracing::info!(target: "keepalived_rs::vrrpd", "(VI_1) Entering MASTER STATE");
            tracing::warn!(target: "checkers::engine", checker = "vs0", "TCP connection failed");
            tracing::debug!(target: "keepalived_rs::vrrpd", "not logged without -D");
            handle.set_suffix(Some("blue"), None);
            tracing::info!(target: "keepalived_rs::vrrpd", "(VI_1) Entering BACKUP STATE");
        });
        let got: Vec<(u32, String)> = recv_all(&server).iter().map(|d| header(d)).collect();
        assert_eq!(
            got,
            [
                (158, "Keepalived: Starting".to_string()),
                (158, "Keepalived_vrrp: (VI_1) Entering MASTER STATE".into()),
                (
                    156,
                    "Keepalived_healthcheckers: TCP connection failed checker=vs0".into()
                ),
                (
                    158,
                    "Keepalived: Changing syslog ident to Keepalived_blue".into()
                ),
                (
                    158,
                    "Keepalived_vrrp_blue: (VI_1) Entering BACKUP STATE".into()
                ),
            ]
        );
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .unwrap()
                .lines()
                .map(|l| {
                    // 'Sun Dec  6 04:42:10 2026: ' then the message
                    assert!(
                        chrono::NaiveDateTime::parse_from_str(&l[..24], "%a %b %e %H:%M:%S %Y")
                            .is_ok(),
                        "{l}"
                    );
                    assert_eq!(&l[24..26], ": ", "{l}");
                    l[26..].to_string()
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            read("keepalived.log"),
            ["Starting", "Changing syslog ident to Keepalived_blue"]
        );
        assert_eq!(
            read("keepalived_vrrp.log"),
            [
                "(VI_1) Entering MASTER STATE",
                "(VI_1) Entering BACKUP STATE"
            ]
        );
        assert_eq!(
            read("keepalived_healthcheckers.log"),
            ["TCP connection failed checker=vs0"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_own_ident_is_one_name() {
        let dir = std::env::temp_dir().join(format!("krs-logging-own-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("log.sock");
        let server = UnixDatagram::bind(&sock).unwrap();
        let (sinks, _) = sinks(&Options {
            console: false,
            file: None,
            syslog: Some(sock.clone()),
            facility: syslog::DAEMON,
            detail: false,
            style: IdentStyle::Own,
        })
        .unwrap();
        let subscriber = tracing_subscriber::registry().with(sinks);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: "keepalived_rs::vrrpd", "a");
            tracing::info!(target: "keepalived_rs::lvsd", "b");
        });
        let got: Vec<(u32, String)> = recv_all(&server).iter().map(|d| header(d)).collect();
        assert_eq!(
            got,
            [
                (30, "keepalived-rs: a".into()),
                (30, "keepalived-rs: b".into())
            ]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A captured keepalived 2.2.7 datagram: (PRI, timestamp, ident, pid, message).
    fn parse_captured(line: &str) -> (u8, &str, &str, u32, &str) {
        let (pri, rest) = line[1..].split_once('>').unwrap();
        let (stamp, rest) = rest.split_at(15);
        let (ident, rest) = rest[1..].split_once('[').unwrap();
        let (pid, msg) = rest.split_once("]: ").unwrap();
        (
            pri.parse().unwrap(),
            stamp,
            ident,
            pid.parse().unwrap(),
            msg,
        )
    }

    /// The part of keepalived a captured line comes from, judged by what it says.
    fn part_of(msg: &str) -> Option<Source> {
        const VRRP: [&str; 6] = [
            "(VI_1)",
            "gratuitous ARP",
            "Netlink",
            "VRRP sockpool",
            "Registering",
            "Assigned address",
        ];
        const CHECKERS: [&str; 7] = [
            "TCP connection",
            "HTTP",
            "service",
            "quorum",
            "healthchecker",
            "ipvs",
            "Web server",
        ];
        const PARENT: [&str; 6] = [
            "Starting Keepalived",
            "Stopped Keepalived",
            "Startup complete",
            "Changing syslog ident",
            "Configuration file",
            "child process",
        ];
        if VRRP.iter().any(|k| msg.contains(k)) {
            Some(Source::Vrrp)
        } else if CHECKERS.iter().any(|k| msg.contains(k)) {
            Some(Source::Checkers)
        } else if PARENT.iter().any(|k| msg.contains(k)) {
            Some(Source::Parent)
        } else {
            None
        }
    }

    /// Every line keepalived 2.2.7 sent to syslog in the captures (tests/data/keepalived-2.2.7)
    /// is one this logger would send byte for byte for the same event from the same part of the
    /// daemon: the ident of each part (with the namespace and instance suffixes), the layout.
    #[test]
    fn captured_keepalived_lines_are_ours_byte_for_byte() {
        let data =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keepalived-2.2.7");
        let mut parts_seen = std::collections::HashSet::new();
        for (file, namespace, instance) in [
            ("syslog-vrrp-master.txt", None, None),
            ("syslog-lvs-dr-director.txt", None, None),
            ("syslog-namespace.txt", Some("kflh-b"), None),
            ("syslog-instance.txt", None, Some("inst1")),
            (
                "syslog-namespace-instance.txt",
                Some("kflh-b"),
                Some("inst1"),
            ),
            ("syslog-facility-local3.txt", None, None),
        ] {
            let text = std::fs::read_to_string(data.join(file)).unwrap();
            let base = Idents::new(IdentStyle::Keepalived);
            let mut idents = base.clone();
            for line in text.lines() {
                let (pri, stamp, ident, pid, msg) = parse_captured(line);
                let Some(part) = part_of(msg) else { continue };
                parts_seen.insert(part);
                // The parent's first lines come before the configuration names the suffix.
                let want = idents.of(part);
                assert_eq!(ident, want, "{file}: {line}");
                let ours = syslog::datagram(pri / 8, pri % 8, stamp, &want, pid, msg);
                assert_eq!(ours, line, "{file}");
                if msg.starts_with("Changing syslog ident to ") {
                    idents = base.with_suffix(namespace, instance);
                    assert_eq!(
                        msg,
                        format!("Changing syslog ident to {}", idents.of(Source::Parent))
                    );
                }
                if msg.starts_with("Configuration file")
                    && namespace.is_none()
                    && instance.is_none()
                {
                    idents = base.clone();
                }
            }
            assert_eq!(
                idents,
                base.with_suffix(namespace, instance),
                "{file}: suffix never set"
            );
        }
        assert_eq!(parts_seen.len(), 3, "every part's ident was checked");
    }
}
