//! keepalived's signals: which ones the daemon acts on, which it ignores, and the numbers
//! `--signum` prints.
//!
//! The sets are keepalived 2.2.7's, read off a running daemon (`SigBlk`/`SigIgn` in
//! /proc/PID/status of its parent and VRRP child): it acts on HUP, INT, TERM, USR1, USR2,
//! SIGRTMIN+2 (36, JSON) and SIGRTMAX-1 (63, STATS_CLEAR) and ignores every other catchable
//! signal but the hardware faults. Monitoring tools send the dump signals; a signal whose
//! default action kills the process would leave the VIPs on the interface and the pid files
//! behind while the backup takes over. So every one of them is caught here, from the first
//! moments of the daemon (before the configuration is read).

use std::io;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tracing::debug;

/// What a signal asks of the daemon (keepalived's SIGFUNC names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Stop,
    Reload,
    Data,
    Stats,
    StatsClear,
    Json,
}

impl Request {
    /// keepalived's name for it, as `--signum` takes it.
    pub fn sigfunc(self) -> &'static str {
        match self {
            Request::Stop => "STOP",
            Request::Reload => "RELOAD",
            Request::Data => "DATA",
            Request::Stats => "STATS",
            Request::StatsClear => "STATS_CLEAR",
            Request::Json => "JSON",
        }
    }
}

// glibc keeps signals 32 and 33 for itself: SIGRTMIN is 34, SIGRTMAX 64.
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// The signals the daemon acts on, with the request each makes. `--signum` prints the first
/// number listed for a SIGFUNC.
pub const HANDLED: [(i32, Request); 7] = [
    (libc_sig::SIGTERM, Request::Stop),
    (libc_sig::SIGINT, Request::Stop),
    (libc_sig::SIGHUP, Request::Reload),
    (libc_sig::SIGUSR1, Request::Data),
    (libc_sig::SIGUSR2, Request::Stats),
    (SIGRTMAX - 1, Request::StatsClear),
    (SIGRTMIN + 2, Request::Json),
];

/// The signals keepalived 2.2.7 ignores (SIGPIPE is left out: the Rust runtime ignores it
/// already, so that a write to a closed pipe is an error, not a signal).
pub fn ignored() -> impl Iterator<Item = i32> {
    use libc_sig::*;
    [
        SIGQUIT, SIGTRAP, SIGABRT, SIGALRM, SIGSTKFLT, SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
        SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS,
    ]
    .into_iter()
    .chain((SIGRTMIN..=SIGRTMAX).filter(|n| !HANDLED.iter().any(|(h, _)| h == n)))
}

/// Linux's numbers of the classic signals (x86, arm, and the other common ABIs agree).
mod libc_sig {
    pub const SIGHUP: i32 = 1;
    pub const SIGINT: i32 = 2;
    pub const SIGQUIT: i32 = 3;
    pub const SIGTRAP: i32 = 5;
    pub const SIGABRT: i32 = 6;
    pub const SIGUSR1: i32 = 10;
    pub const SIGUSR2: i32 = 12;
    pub const SIGALRM: i32 = 14;
    pub const SIGTERM: i32 = 15;
    pub const SIGSTKFLT: i32 = 16;
    pub const SIGCONT: i32 = 18;
    pub const SIGTSTP: i32 = 20;
    pub const SIGTTIN: i32 = 21;
    pub const SIGTTOU: i32 = 22;
    pub const SIGURG: i32 = 23;
    pub const SIGXCPU: i32 = 24;
    pub const SIGXFSZ: i32 = 25;
    pub const SIGVTALRM: i32 = 26;
    pub const SIGPROF: i32 = 27;
    pub const SIGWINCH: i32 = 28;
    pub const SIGIO: i32 = 29;
    pub const SIGPWR: i32 = 30;
    pub const SIGSYS: i32 = 31;
}

/// keepalived's `--signum`: the signal number for a SIGFUNC name.
pub fn signum(sigfunc: &str) -> Option<i32> {
    HANDLED
        .iter()
        .find(|(_, r)| r.sigfunc() == sigfunc)
        .map(|&(n, _)| n)
}

/// The daemon's signals, caught from [`Signals::install`] on; [`Signals::next`] yields what
/// they ask for. The ignored ones are caught too (rather than set to SIG_IGN) so that the
/// scripts the daemon starts get the default dispositions back at exec.
pub struct Signals {
    requests: mpsc::UnboundedReceiver<Request>,
}

impl Signals {
    /// Catches every signal of [`HANDLED`] and [`ignored`]. `ignore_sigint`: SIGINT is ignored
    /// too (`--ignore-sigint`). Must be called inside a tokio runtime (or with one entered);
    /// signals that come before the runtime runs are kept for it.
    pub fn install(ignore_sigint: bool) -> io::Result<Signals> {
        let (tx, requests) = mpsc::unbounded_channel();
        for (n, request) in HANDLED {
            let mut s = signal(SignalKind::from_raw(n))
                .map_err(|e| io::Error::new(e.kind(), format!("catching signal {n}: {e}")))?;
            let ignore = ignore_sigint && n == libc_sig::SIGINT;
            let tx = tx.clone();
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    if ignore {
                        debug!("signal {n} (SIGINT) ignored (--ignore-sigint)");
                    } else if tx.send(request).is_err() {
                        break;
                    }
                }
            });
        }
        for n in ignored() {
            let mut s = signal(SignalKind::from_raw(n))
                .map_err(|e| io::Error::new(e.kind(), format!("catching signal {n}: {e}")))?;
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    debug!("signal {n} ignored, as keepalived ignores it");
                }
            });
        }
        Ok(Signals { requests })
    }

    /// The next request a signal made.
    pub async fn next(&mut self) -> Request {
        match self.requests.recv().await {
            Some(r) => r,
            // The forwarding tasks never end while the runtime runs.
            None => Request::Stop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signum_prints_keepalived_numbers() {
        // keepalived 2.2.7 --signum=... on Linux.
        for (f, n) in [
            ("STOP", 15),
            ("RELOAD", 1),
            ("DATA", 10),
            ("STATS", 12),
            ("STATS_CLEAR", 63),
            ("JSON", 36),
        ] {
            assert_eq!(signum(f), Some(n), "{f}");
        }
        assert_eq!(signum("TDUMP"), None);
    }

    /// The sets are keepalived 2.2.7's SigBlk (handled, SIGCHLD aside) and SigIgn (SIGPIPE
    /// aside): 0x4000000800014a03 and 0xbffffff67ffab034.
    #[test]
    fn the_sets_are_keepalived_ones() {
        let mask = |it: &mut dyn Iterator<Item = i32>| it.fold(0u64, |m, n| m | 1 << (n - 1));
        let handled = mask(&mut HANDLED.iter().map(|&(n, _)| n));
        assert_eq!(handled | 1 << (17 - 1), 0x4000000800014a03);
        assert_eq!(mask(&mut ignored()) | 1 << (13 - 1), 0xbffffff67ffab034);
    }

    /// A signal sent to ourselves is caught and turned into its request.
    #[tokio::test]
    async fn a_caught_signal_becomes_its_request() {
        let mut s = Signals::install(false).unwrap();
        let me = nix::unistd::Pid::this();
        for (n, want) in [(SIGRTMIN + 2, Request::Json), (SIGRTMAX - 1, Request::StatsClear)] {
            // nix's Signal has no real-time signals: the shell's kill sends a number.
            let sent = std::process::Command::new("sh")
                .args(["-c", &format!("kill -{n} {me}")])
                .status()
                .unwrap();
            assert!(sent.success());
            let got = tokio::time::timeout(std::time::Duration::from_secs(5), s.next())
                .await
                .expect("the signal's request");
            assert_eq!(got, want);
        }
    }
}
