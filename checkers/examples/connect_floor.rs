//! The floor of a TCP_CHECK's cost: the least a process can do to make the checks — `socket`
//! (non-blocking) and `connect` for every check due (up to 256 at a time), one `poll` over
//! them until each connection is made, `close` — and nothing else: no runtime, no timers, no
//! allocation per check. What a check costs this process is (nearly) the kernel's part of a
//! check, which any daemon making the same check pays too.
//!
//!   connect_floor N [DELAY_LOOP_MS [NETWORK]]
//!
//! Checks N targets laid out as `vm_bench_checker_scale`'s real servers (address
//! NETWORK.(1 + i % 50), NETWORK 127.1.0 unless given, port 20000 + i / 50), each delay_loop
//! (default 1000 ms) after its
//! previous check ended (keepalived's rule), in the order they fall due; when nothing is due
//! it sleeps until something is. Runs until killed. Failures (not connected within a second)
//! are counted and printed every 10 s on stderr (nothing is printed while all goes well).

use nix::poll::{PollFd, PollFlags, PollTimeout};
use socket2::{Domain, Socket, Type};
use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

fn target(network: [u8; 3], i: usize) -> SocketAddr {
    let port = 20000 + u16::try_from(i / 50).expect("fewer than 3,276,800 targets");
    let [a, b, c] = network;
    SocketAddr::from((Ipv4Addr::new(a, b, c, 1 + (i % 50) as u8), port))
}

/// The checks started together, at most.
const BATCH: usize = 256;

/// A socket with its connect started (None: it could not be made: a failure).
fn start(to: &SocketAddr) -> Option<Socket> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM.nonblocking().cloexec(), None).ok()?;
    match socket.connect(&(*to).into()) {
        Ok(()) => Some(socket),
        Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => Some(socket),
        Err(_) => None,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .expect("usage: connect_floor N [DELAY_LOOP_MS [NETWORK]]");
    let delay_loop =
        Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(1000));
    let network: [u8; 3] = args.next().map_or([127, 1, 0], |a| {
        let octets: Vec<u8> = a.split('.').filter_map(|o| o.parse().ok()).collect();
        octets
            .try_into()
            .expect("NETWORK: three numbers, as 10.201.0")
    });
    let t0 = Instant::now();
    // First checks spread over one delay_loop (as a warmup of delay_loop spreads them).
    let mut due: VecDeque<(Instant, usize)> = (0..n)
        .map(|i| (t0 + delay_loop.mul_f64(i as f64 / n as f64), i))
        .collect();
    let mut flight: Vec<(usize, Option<Socket>, bool)> = Vec::with_capacity(BATCH);
    let (mut failed, mut report) = (0u64, t0 + Duration::from_secs(10));
    loop {
        let now = Instant::now();
        match due.front() {
            Some(&(at, _)) if at > now => std::thread::sleep(at - now),
            None => return,
            _ => {}
        }
        let now = Instant::now();
        while flight.len() < BATCH && due.front().is_some_and(|&(at, _)| at <= now) {
            let (_, i) = due.pop_front().expect("looked at");
            flight.push((i, start(&target(network, i)), false));
        }
        // Wait until every connect of the batch is made or failed, for a second at most.
        let deadline = now + Duration::from_secs(1);
        loop {
            let mut waiting: Vec<usize> = Vec::new();
            let mut fds: Vec<PollFd<'_>> = Vec::new();
            for (k, (_, s, done)) in flight.iter().enumerate() {
                if let (Some(s), false) = (s, done) {
                    waiting.push(k);
                    fds.push(PollFd::new(s.as_fd(), PollFlags::POLLOUT));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if fds.is_empty() || left.is_zero() {
                break;
            }
            let ms = u16::try_from(left.as_millis()).unwrap_or(1000);
            if nix::poll::poll(&mut fds, PollTimeout::from(ms)).is_err() {
                continue;
            }
            let ready: Vec<usize> = fds
                .iter()
                .zip(&waiting)
                .filter(|(f, _)| f.revents().is_some_and(|r| !r.is_empty()))
                .map(|(_, &k)| k)
                .collect();
            drop(fds);
            for k in ready {
                flight[k].2 = true;
            }
        }
        for (i, socket, done) in flight.drain(..) {
            let ok = done
                && socket
                    .as_ref()
                    .is_some_and(|s| matches!(s.take_error(), Ok(None)));
            if !ok {
                failed += 1;
            }
            drop(socket);
            // Ends are in order, so the queue stays sorted by deadline.
            due.push_back((Instant::now() + delay_loop, i));
        }
        if failed > 0 && Instant::now() >= report {
            eprintln!("connect_floor: {failed} checks failed so far");
            report += Duration::from_secs(10);
        }
    }
}
