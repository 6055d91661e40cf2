//! A machine out of file descriptors (its own limit, RLIMIT_NOFILE, lowered for this test
//! process alone: this file holds one test): a check that cannot get a socket does not count
//! against its real server (keepalived: "TCP connect fail to create socket. Rescheduling."):
//! nothing goes down, the checks come again every delay_loop, and the failure is logged once
//! per period however many checks hit it (here 40 checkers, 20 rounds), not once per check. With descriptors back, every
//! checker comes up.

use checkers::tcp::{Connection, TcpCheck};
use checkers::{CheckerId, Engine, EventKind, Timing};
use nix::sys::resource::{getrlimit, setrlimit, Resource};
use std::collections::HashSet;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const CHECKERS: u64 = 40;

/// The log lines, captured.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The lowest descriptor number free: a limit at it leaves no descriptor to open (the limit
/// bounds the numbers, and every number below it is taken).
fn lowest_free_descriptor() -> u64 {
    use std::os::fd::AsRawFd;
    std::fs::File::open("/dev/null").unwrap().as_raw_fd() as u64
}

#[tokio::test(flavor = "current_thread")]
async fn out_of_file_descriptors_is_rescheduled_and_logged_once_a_period() {
    let log = Log::default();
    let writer = log.clone();
    let _logging = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish(),
    );
    // A listener that never accepts: its queue (backlog 1024) takes every connection made
    // here without using a descriptor of ours.
    let listener =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    listener.bind(&SocketAddr::new(LO, 0).into()).unwrap();
    listener.listen(1024).unwrap();
    let port = listener.local_addr().unwrap().as_socket().unwrap().port();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let engine = Engine::start(tx);
    let timing = Timing {
        delay_loop: Duration::from_millis(100),
        retry: 0,
        delay_before_retry: Duration::from_millis(100),
        warmup: Duration::ZERO,
        alpha: false,
        log_all_failures: true,
    };
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    // None to spare: no check gets a socket.
    setrlimit(Resource::RLIMIT_NOFILE, lowest_free_descriptor(), hard).unwrap();
    for i in 0..CHECKERS {
        let conn = Connection::new(LO, port, Duration::from_secs(1));
        engine
            .add(
                CheckerId(i),
                timing,
                Arc::new(TcpCheck::new(conn).unwrap()),
                Arc::default(),
            )
            .unwrap();
    }
    let mut up = HashSet::new();
    let mut others = Vec::new();
    let mut drain = |rx: &mut tokio::sync::mpsc::UnboundedReceiver<checkers::CheckEvent>,
                     up: &mut HashSet<u64>| {
        while let Ok(ev) = rx.try_recv() {
            match ev.kind {
                EventKind::Up { .. } => {
                    up.insert(ev.id.0);
                }
                _ => others.push(ev),
            }
        }
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    drain(&mut rx, &mut up);
    setrlimit(Resource::RLIMIT_NOFILE, soft, hard).unwrap();
    assert!(up.is_empty(), "a check got a socket: {up:?}");
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("a check could not be made"))
        .collect();
    assert_eq!(lines.len(), 1, "one line per period:\n{text}");
    assert!(lines[0].contains("Too many open files"), "{}", lines[0]);
    assert!(lines[0].contains("Rescheduling"), "{}", lines[0]);
    // Descriptors back: every checker comes up, and none ever went down or failed.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drain(&mut rx, &mut up);
    assert_eq!(up.len(), CHECKERS as usize, "{up:?}");
    assert!(others.is_empty(), "nothing but ups: {others:?}");
    engine.shutdown().await;
}
