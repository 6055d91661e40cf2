//! The NETLINK_NETFILTER socket: a batch sent and every message's acknowledgement waited for,
//! and a table looked up. Blocking, with a timeout: the kernel answers a batch at once.

use std::collections::BTreeSet;
use std::io::{self, Read};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::wire::{self, Reply, NETLINK_NETFILTER};

/// How long the kernel's answer may take before the batch is given up as failed.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);

pub struct NftSocket {
    socket: Socket,
    seq: u32,
}

impl NftSocket {
    pub fn open() -> io::Result<NftSocket> {
        let socket = Socket::new(
            Domain::from(nix::libc::AF_NETLINK),
            Type::RAW,
            Some(Protocol::from(NETLINK_NETFILTER)),
        )?;
        socket.set_read_timeout(Some(ANSWER_TIMEOUT))?;
        // Sent with no address: netlink's is the kernel's, and the socket is bound on first use.
        Ok(NftSocket { socket, seq: 0 })
    }

    /// The next sequence number, for messages built by the caller.
    pub fn seq_mut(&mut self) -> &mut u32 {
        &mut self.seq
    }

    /// Sends `messages` (numbered after the batch's begin, [`Self::begin`]) as one batch and
    /// waits for each one's acknowledgement: the first error the kernel names fails it all.
    pub fn apply(&mut self, begin: u32, messages: &[Vec<u8>]) -> io::Result<()> {
        let mut waiting: BTreeSet<u32> = (1..=messages.len())
            .map(|i| begin.wrapping_add(i as u32))
            .collect();
        // The end takes the number after the last message.
        self.seq = self.seq.wrapping_add(1);
        self.socket.send(&wire::batch(begin, messages))?;
        let mut first_error = None;
        while !waiting.is_empty() {
            for reply in self.receive()? {
                if let Reply::Ack { seq, errno } = reply {
                    if waiting.remove(&seq) && errno != 0 && first_error.is_none() {
                        let e = io::Error::from_raw_os_error(-errno);
                        let at = seq.wrapping_sub(begin) as usize;
                        let what = messages
                            .get(at.wrapping_sub(1))
                            .map_or("?", |m| wire::describe(m));
                        first_error = Some(io::Error::new(
                            e.kind(),
                            format!("{what} (message {at} of {}): {e}", messages.len()),
                        ));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The number a batch's begin takes; its messages take the next ones.
    pub fn begin(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Whether the kernel has the table `request` (a GETTABLE) asks for.
    pub fn exists(&mut self, seq: u32, request: &[u8]) -> io::Result<bool> {
        self.socket.send(request)?;
        let mut found = false;
        loop {
            for reply in self.receive()? {
                match reply {
                    Reply::Data { seq: s, .. } if s == seq => found = true,
                    Reply::Ack { seq: s, errno } if s == seq => {
                        return match errno {
                            0 => Ok(found),
                            e if -e == nix::libc::ENOENT => Ok(false),
                            e => Err(io::Error::from_raw_os_error(-e)),
                        };
                    }
                    _ => {}
                }
            }
        }
    }

    fn receive(&mut self) -> io::Result<Vec<Reply>> {
        let mut buf = vec![0u8; 64 * 1024];
        let n = (&self.socket).read(&mut buf)?;
        Ok(wire::replies(&buf[..n]))
    }
}
