//! TCP_CHECKs made in batches, without a future, a waker or an epoll registration per check.
//!
//! A TCP_CHECK is a connect and a close. Made the usual way (tokio's `TcpSocket::connect`),
//! each check registers its socket with epoll, waits for it to become writable, reads its
//! error, deregisters it and closes it: seven system calls and a boxed future, a waker and an
//! I/O registration to allocate. Here the engine starts the connect (`socket`, `connect`), and
//! [`PEEK_DELAY`] later looks at every socket started since with one `poll(2)` of zero timeout
//! (which registers nothing): a connection made or refused by then is done (`close`, and
//! `getsockopt(SO_ERROR)` only for a failure). A real server on the local network answers well
//! within that delay; one that has not, is handed to the reactor to wait for the rest of its
//! connect_timeout (the way above). So the common check costs three system calls plus its
//! share of one `poll`.
//!
//! The check's end is seen up to [`PEEK_DELAY`] (and one timer tick, 1 ms) after it happened,
//! or, in a turn that starts many checks, a few starts later (the driver looks every
//! `PEEK_EVERY` starts); the next check comes delay_loop after that, as keepalived's comes
//! delay_loop after its event loop sees the end.

use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout};
use socket2::Socket;
use tokio::time::Instant;

use super::schedule::Due;
use super::{Failure, ProbeResult, Success};

/// How long after its connect a socket is first looked at.
pub(super) const PEEK_DELAY: Duration = Duration::from_millis(1);

/// A connect started, not looked at yet.
pub(super) struct Connecting {
    pub due: Due,
    pub socket: Socket,
    pub target: SocketAddr,
    pub started: Instant,
    pub connect_timeout: Duration,
}

impl Connecting {
    /// When connect_timeout runs out.
    pub fn deadline(&self) -> Instant {
        self.started + self.connect_timeout
    }

    fn peek_at(&self) -> Instant {
        self.started + PEEK_DELAY
    }
}

/// The sockets of the connects started and not yet looked at, in the order they started.
#[derive(Default)]
pub(super) struct Batch {
    sockets: Vec<Connecting>,
    /// Kept between looks, so that a look allocates nothing.
    spare: Vec<Connecting>,
    revents: Vec<PollFlags>,
}

/// What a look at a socket found.
pub(super) enum Peeked {
    Done(Due, ProbeResult),
    /// Still connecting after [`PEEK_DELAY`]: to wait for in the reactor.
    Slow(Connecting),
}

impl Batch {
    pub fn push(&mut self, c: Connecting) {
        self.sockets.push(c);
    }

    /// When the oldest socket is to be looked at.
    pub fn next_peek(&self) -> Option<Instant> {
        self.sockets.first().map(Connecting::peek_at)
    }

    /// Looks at every socket at once (one `poll`); passes on each that is done, and each still
    /// connecting whose peek time has come. The others stay for the next look.
    pub fn peek(&mut self, now: Instant, mut out: impl FnMut(Peeked)) {
        if self.sockets.is_empty() {
            return;
        }
        self.revents.clear();
        {
            // The one allocation of a look (PollFd borrows the sockets): per batch, not per check.
            let mut fds: Vec<PollFd<'_>> = self
                .sockets
                .iter()
                .map(|c| PollFd::new(c.socket.as_fd(), PollFlags::POLLOUT))
                .collect();
            if nix::poll::poll(&mut fds, PollTimeout::ZERO).is_err() {
                // EINTR or ENOMEM: nothing learnt; looked at again on the next turn.
                return;
            }
            self.revents.extend(
                fds.iter()
                    .map(|f| f.revents().unwrap_or(PollFlags::empty())),
            );
        }
        std::mem::swap(&mut self.sockets, &mut self.spare);
        for (c, &revents) in self.spare.drain(..).zip(&self.revents) {
            match outcome(&c, revents) {
                Some(result) => out(Peeked::Done(c.due, result)),
                None if now >= c.deadline() => {
                    let failure = Failure::Timeout {
                        target: c.target,
                        after: c.connect_timeout,
                    };
                    out(Peeked::Done(c.due, Err(failure)))
                }
                None if now >= c.peek_at() => out(Peeked::Slow(c)),
                None => self.sockets.push(c),
            }
        }
    }
}

/// What `poll`'s answer says of a connecting socket: made, failed, or not yet (None). A
/// socket still connecting (SYN_SENT) is neither writable nor in error.
fn outcome(c: &Connecting, revents: PollFlags) -> Option<ProbeResult> {
    if revents.intersects(PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL) {
        return Some(match c.socket.take_error() {
            Ok(Some(e)) | Err(e) => Err(Failure::connect(c.target, &e)),
            // Made, then closed by the server before we looked: it was made.
            Ok(None) if revents.contains(PollFlags::POLLOUT) => Ok(Success::default()),
            Ok(None) => Err(Failure::Connect {
                target: c.target,
                errno: nix::libc::ECONNRESET,
            }),
        });
    }
    revents
        .contains(PollFlags::POLLOUT)
        .then(|| Ok(Success::default()))
}
