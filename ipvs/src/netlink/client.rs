//! The IPVS client: a generic-netlink socket (neli's `NlSocket`) speaking the layouts of
//! [`super::wire`]. Blocking; one request at a time, except [`Client::apply`], which pipelines
//! batches of operations (many messages per `send`, then their ACKs) so that programming tens
//! of thousands of entries costs few system calls.

use super::wire::{self, cmd, cmd_attr, AttrWriter, Malformed, Reply};
use crate::plan::Op;
use crate::types::*;
use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use std::fmt;
use std::io;

/// What the client was doing when something failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    ResolveFamily,
    AddService(ServiceKey),
    EditService(ServiceKey),
    DelService(ServiceKey),
    GetService(ServiceKey),
    ListServices,
    AddDest(ServiceKey, DestKey),
    EditDest(ServiceKey, DestKey),
    DelDest(ServiceKey, DestKey),
    ListDests(ServiceKey),
    Flush,
    Zero(Option<ServiceKey>),
    GetTimeouts,
    SetTimeouts,
    StartDaemon(SyncState),
    StopDaemon(SyncState),
    ListDaemons,
    GetInfo,
}

impl Operation {
    pub fn of(op: &Op) -> Operation {
        match op {
            Op::AddService(s) => Operation::AddService(s.key),
            Op::EditService(s) => Operation::EditService(s.key),
            Op::DelService(k) => Operation::DelService(*k),
            Op::AddDest(k, d) => Operation::AddDest(*k, d.key()),
            Op::EditDest(k, d) => Operation::EditDest(*k, d.key()),
            Op::DelDest(k, d) => Operation::DelDest(*k, *d),
            Op::Flush => Operation::Flush,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::ResolveFamily => write!(f, "resolve the generic-netlink family IPVS"),
            Operation::AddService(k) => write!(f, "add service {k}"),
            Operation::EditService(k) => write!(f, "edit service {k}"),
            Operation::DelService(k) => write!(f, "delete service {k}"),
            Operation::GetService(k) => write!(f, "get service {k}"),
            Operation::ListServices => write!(f, "list services"),
            Operation::AddDest(k, d) => write!(f, "add destination {d} to {k}"),
            Operation::EditDest(k, d) => write!(f, "edit destination {d} of {k}"),
            Operation::DelDest(k, d) => write!(f, "delete destination {d} of {k}"),
            Operation::ListDests(k) => write!(f, "list destinations of {k}"),
            Operation::Flush => write!(f, "flush"),
            Operation::Zero(None) => write!(f, "zero counters"),
            Operation::Zero(Some(k)) => write!(f, "zero counters of {k}"),
            Operation::GetTimeouts => write!(f, "get timeouts"),
            Operation::SetTimeouts => write!(f, "set timeouts"),
            Operation::StartDaemon(s) => write!(f, "start {s:?} sync daemon"),
            Operation::StopDaemon(s) => write!(f, "stop {s:?} sync daemon"),
            Operation::ListDaemons => write!(f, "list sync daemons"),
            Operation::GetInfo => write!(f, "get IPVS info"),
        }
    }
}

/// An IPVS client error, naming the operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel refused the operation (`errno`, e.g. EEXIST, ENOENT, ESRCH).
    #[error("IPVS {op}: {}", kernel_message(*errno, op))]
    Kernel { op: Operation, errno: i32 },
    /// The generic-netlink family IPVS does not exist: no IPVS in this kernel / namespace.
    #[error("no IPVS in this kernel (the generic-netlink family \"IPVS\" does not exist; is ip_vs loaded?)")]
    NoIpvs,
    #[error("IPVS {op}: netlink socket: {source}")]
    Io { op: Operation, source: io::Error },
    #[error("IPVS {op}: {source}")]
    Malformed { op: Operation, source: Malformed },
}

impl Error {
    /// The kernel's errno, for kernel errors.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Error::Kernel { errno, .. } => Some(*errno),
            _ => None,
        }
    }
}

/// ipvsadm's wording for the common errors, else the system's.
fn kernel_message(errno: i32, op: &Operation) -> String {
    let specific = match (errno, op) {
        (17, Operation::AddService(_)) => Some("Service already exists"),
        (17, Operation::AddDest(..)) => Some("Destination already exists"),
        (3, Operation::EditService(_) | Operation::DelService(_) | Operation::GetService(_)) => {
            Some("No such service")
        }
        (
            3,
            Operation::AddDest(..)
            | Operation::EditDest(..)
            | Operation::DelDest(..)
            | Operation::ListDests(_),
        ) => Some("Service not defined"),
        (2, Operation::AddService(_) | Operation::EditService(_)) => {
            Some("Scheduler or persistence engine not found")
        }
        (2, Operation::EditDest(..) | Operation::DelDest(..)) => Some("No such destination"),
        _ => None,
    };
    let sys = io::Error::from_raw_os_error(errno);
    match specific {
        Some(s) => format!("{s} ({sys})"),
        None => sys.to_string(),
    }
}

/// The kernel's answer to a GET_SERVICE for a service it does not have.
const ESRCH: i32 = 3;

/// How many operations [`Client::apply`] sends per `send`.
pub const BATCH: usize = 256;

/// How many destination dumps [`Client::state`] keeps in flight (see [`Client::dests_of`]).
/// Measured in the VM (1 vCPU), the window changes nothing beyond noise: the kernel does all
/// the work of a dump synchronously inside the `send` and `recv` calls, so there is no waiting
/// to overlap; 4 keeps the extra sockets few.
pub const READ_WINDOW: usize = 4;

/// The largest window [`Client::dests_of`] uses, whatever it is asked (a socket each).
pub const MAX_READ_WINDOW: usize = 256;

/// A socket of [`Client::dests_of`] and the dump it is reading (an index into its keys).
struct DumpSlot {
    sock: NlSocket,
    seq: u32,
    job: Option<usize>,
}

/// A connection to the kernel's IPVS in the caller's network namespace.
pub struct Client {
    sock: NlSocket,
    family: u16,
    seq: u32,
    buf: Vec<u8>,
    /// The sockets of [`Client::dests_of`], kept between calls (each has read its last dump
    /// to the end; a call that fails drops its sockets, so none is ever left mid-dump).
    dump_socks: Vec<NlSocket>,
    /// Mutating netlink requests sent so far (tests count them).
    pub requests: u64,
}

impl Client {
    /// Open a socket and resolve the IPVS family.
    pub fn open() -> Result<Client, Error> {
        let op = Operation::ResolveFamily;
        let sock =
            NlSocket::connect(NlFamily::Generic, None, Groups::empty()).map_err(|source| {
                Error::Io {
                    op: op.clone(),
                    source,
                }
            })?;
        // Room for big dumps and for a batch of ACKs.
        let _ = sock.set_recv_buffer_size(4 << 20);
        let mut c = Client {
            sock,
            family: wire::GENL_ID_CTRL,
            seq: 0,
            buf: vec![0; 1 << 20],
            dump_socks: Vec::new(),
            requests: 0,
        };
        let attrs = wire::getfamily_attrs(wire::IPVS_GENL_NAME);
        let res = c.request(op.clone(), wire::CTRL_CMD_GETFAMILY, 2, &attrs, false);
        let replies = match res {
            Ok(r) => r,
            Err(Error::Kernel { errno: 2, .. }) => return Err(Error::NoIpvs),
            Err(e) => return Err(e),
        };
        let first = replies.first().ok_or_else(|| Error::Malformed {
            op: op.clone(),
            source: Malformed("no reply from the controller".into()),
        })?;
        c.family = wire::family_id(first).map_err(|source| Error::Malformed { op, source })?;
        Ok(c)
    }

    /// Is IPVS available here (the family resolves)?
    pub fn available() -> bool {
        Client::open().is_ok()
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    fn send(&self, op: &Operation, msg: &[u8]) -> Result<(), Error> {
        self.sock
            .send(msg, Msg::empty())
            .map_err(|source| Error::Io {
                op: op.clone(),
                source,
            })?;
        Ok(())
    }

    fn recv(&mut self, op: &Operation) -> Result<usize, Error> {
        let (n, _) = self
            .sock
            .recv(&mut self.buf[..], Msg::empty())
            .map_err(|source| Error::Io {
                op: op.clone(),
                source,
            })?;
        Ok(n)
    }

    /// One request; returns the attribute buffers of its data replies (a dump: all of them).
    fn request(
        &mut self,
        op: Operation,
        command: u8,
        version: u8,
        attrs: &[u8],
        dump: bool,
    ) -> Result<Vec<Vec<u8>>, Error> {
        let seq = self.next_seq();
        let flags = wire::NLM_F_REQUEST
            | if dump {
                wire::NLM_F_DUMP
            } else {
                wire::NLM_F_ACK
            };
        let msg = wire::genl_message(self.family, flags, seq, command, version, attrs);
        self.send(&op, &msg)?;
        let mut out = Vec::new();
        loop {
            let n = self.recv(&op)?;
            let mut finished = false;
            for r in wire::replies(&self.buf[..n]) {
                let r = r.map_err(|source| Error::Malformed {
                    op: op.clone(),
                    source,
                })?;
                match r {
                    Reply::Data { seq: s, attrs, .. } if s == seq => {
                        // A GET without DUMP answers with data and then an ACK.
                        out.push(attrs.to_vec());
                    }
                    Reply::Ack { seq: s, errno } if s == seq => {
                        if errno != 0 {
                            return Err(Error::Kernel { op, errno });
                        }
                        finished = true;
                    }
                    Reply::Done { seq: s } if s == seq => finished = true,
                    _ => {} // a stale reply to an earlier request
                }
            }
            if finished {
                return Ok(out);
            }
        }
    }

    fn ipvs(
        &mut self,
        op: Operation,
        command: u8,
        attrs: &[u8],
        dump: bool,
    ) -> Result<Vec<Vec<u8>>, Error> {
        if !dump {
            self.requests += 1;
        }
        self.request(op, command, wire::IPVS_GENL_VERSION, attrs, dump)
    }

    pub fn add_service(&mut self, s: &Service) -> Result<(), Error> {
        self.apply_one(&Op::AddService(s.clone()))
    }
    pub fn edit_service(&mut self, s: &Service) -> Result<(), Error> {
        self.apply_one(&Op::EditService(s.clone()))
    }
    pub fn del_service(&mut self, k: &ServiceKey) -> Result<(), Error> {
        self.apply_one(&Op::DelService(*k))
    }
    pub fn add_dest(&mut self, k: &ServiceKey, d: &Destination) -> Result<(), Error> {
        self.apply_one(&Op::AddDest(*k, *d))
    }
    pub fn edit_dest(&mut self, k: &ServiceKey, d: &Destination) -> Result<(), Error> {
        self.apply_one(&Op::EditDest(*k, *d))
    }
    pub fn del_dest(&mut self, k: &ServiceKey, d: &DestKey) -> Result<(), Error> {
        self.apply_one(&Op::DelDest(*k, *d))
    }
    pub fn flush(&mut self) -> Result<(), Error> {
        self.apply_one(&Op::Flush)
    }

    fn apply_one(&mut self, op: &Op) -> Result<(), Error> {
        let (command, attrs) = encode_op(op);
        self.ipvs(Operation::of(op), command, &attrs, false)
            .map(|_| ())
    }

    /// Carry out a plan, pipelining [`BATCH`] operations per `send`. Stops after the batch in
    /// which an operation failed and returns the first failure (the kernel has carried out the
    /// others of that batch).
    pub fn apply(&mut self, ops: &[Op]) -> Result<(), Error> {
        let mut batch = Vec::with_capacity(BATCH * 96);
        for chunk in ops.chunks(BATCH) {
            batch.clear();
            let first_seq = self.seq.wrapping_add(1);
            for op in chunk {
                let (command, attrs) = encode_op(op);
                let seq = self.next_seq();
                batch.extend_from_slice(&wire::genl_message(
                    self.family,
                    wire::NLM_F_REQUEST | wire::NLM_F_ACK,
                    seq,
                    command,
                    wire::IPVS_GENL_VERSION,
                    &attrs,
                ));
            }
            self.requests += chunk.len() as u64;
            let op0 = Operation::of(&chunk[0]);
            let failed =
                self.exchange_acked(&op0, &batch, first_seq, chunk.len(), &[], |_, _| Ok(()))?;
            if let Some((i, errno)) = failed {
                return Err(Error::Kernel {
                    op: Operation::of(&chunk[i]),
                    errno,
                });
            }
        }
        Ok(())
    }

    /// Sends `batch`: `count` requests numbered from `first_seq`, each asking for an ACK (plain
    /// requests, not dumps, so they may share a `send`). Reads until every one is acknowledged,
    /// handing each data reply to `on_data(request index, attributes)`; replies to earlier
    /// requests are skipped. Returns the first request (index, errno) whose ACK carried an errno
    /// not in `tolerated`.
    fn exchange_acked(
        &mut self,
        op0: &Operation,
        batch: &[u8],
        first_seq: u32,
        count: usize,
        tolerated: &[i32],
        mut on_data: impl FnMut(usize, &[u8]) -> Result<(), Error>,
    ) -> Result<Option<(usize, i32)>, Error> {
        self.send(op0, batch)?;
        let mut acked = 0usize;
        let mut failed = None;
        while acked < count {
            let n = self.recv(op0)?;
            for r in wire::replies(&self.buf[..n]) {
                let r = r.map_err(|source| Error::Malformed {
                    op: op0.clone(),
                    source,
                })?;
                let (seq, data, errno) = match r {
                    Reply::Data { seq, attrs, .. } => (seq, Some(attrs), 0),
                    Reply::Ack { seq, errno } => (seq, None, errno),
                    Reply::Done { .. } => continue,
                };
                let i = seq.wrapping_sub(first_seq) as usize;
                if i >= count {
                    continue; // a stale reply to an earlier request
                }
                if let Some(attrs) = data {
                    on_data(i, attrs)?;
                    continue;
                }
                acked += 1;
                if errno != 0 && !tolerated.contains(&errno) && failed.is_none() {
                    failed = Some((i, errno));
                }
            }
        }
        Ok(failed)
    }

    /// Every service with its counters, in kernel order.
    pub fn services(&mut self) -> Result<Vec<ServiceEntry>, Error> {
        let op = Operation::ListServices;
        let replies = self.ipvs(op.clone(), cmd::GET_SERVICE, &[], true)?;
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            let svc = wire::find_attr(&r, cmd_attr::SERVICE)
                .and_then(|s| s.ok_or_else(|| Malformed("reply without a service".into())))
                .and_then(wire::decode_service)
                .map_err(|source| Error::Malformed {
                    op: op.clone(),
                    source,
                })?;
            out.push(svc);
        }
        Ok(out)
    }

    /// One service by key.
    pub fn service(&mut self, key: &ServiceKey) -> Result<ServiceEntry, Error> {
        let op = Operation::GetService(*key);
        let mut w = AttrWriter::new();
        wire::put_service_key(&mut w, key);
        let replies = self.request(
            op.clone(),
            cmd::GET_SERVICE,
            wire::IPVS_GENL_VERSION,
            &w.buf,
            false,
        )?;
        let r = replies.first().ok_or_else(|| Error::Malformed {
            op: op.clone(),
            source: Malformed("no reply".into()),
        })?;
        wire::find_attr(r, cmd_attr::SERVICE)
            .and_then(|s| s.ok_or_else(|| Malformed("reply without a service".into())))
            .and_then(wire::decode_service)
            .map_err(|source| Error::Malformed { op, source })
    }

    /// The destinations of a service with their counters, in kernel order.
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<DestEntry>, Error> {
        let op = Operation::ListDests(*key);
        let mut w = AttrWriter::new();
        wire::put_service_key(&mut w, key);
        let replies = self.ipvs(op.clone(), cmd::GET_DEST, &w.buf, true)?;
        let mut out = Vec::with_capacity(replies.len());
        for r in replies {
            let d = wire::find_attr(&r, cmd_attr::DEST)
                .and_then(|s| s.ok_or_else(|| Malformed("reply without a destination".into())))
                .and_then(|d| wire::decode_dest(d, key.family()))
                .map_err(|source| Error::Malformed {
                    op: op.clone(),
                    source,
                })?;
            out.push(d);
        }
        Ok(out)
    }

    /// The whole table as the reconciler wants it: the service dump, then the destinations of
    /// every service with [`READ_WINDOW`] dumps in flight (see [`Client::dests_of`]).
    pub fn state(&mut self) -> Result<Vec<ServiceState>, Error> {
        let services = self.services()?;
        let keys: Vec<ServiceKey> = services.iter().map(|s| s.service.key).collect();
        let dests = self.dests_of(&keys, READ_WINDOW)?;
        Ok(services
            .into_iter()
            .zip(dests)
            .map(|(s, d)| ServiceState {
                service: s.service,
                dests: d.into_iter().map(|d| d.dest).collect(),
            })
            .collect())
    }

    /// These services as the reconciler wants them, in the order of `keys`: each one's entry
    /// (read with [`Client::services_of`]) and destinations (read with [`Client::dests_of`]).
    /// A service the kernel does not have is left out. This is the incremental read: its cost
    /// is that of `keys`, not of the whole table.
    pub fn state_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<ServiceState>, Error> {
        let services: Vec<Service> = self.services_of(keys)?.into_iter().flatten().collect();
        let present: Vec<ServiceKey> = services.iter().map(|s| s.key).collect();
        let dests = self.dests_of(&present, READ_WINDOW)?;
        Ok(services
            .into_iter()
            .zip(dests)
            .map(|(service, d)| ServiceState {
                service,
                dests: d.into_iter().map(|d| d.dest).collect(),
            })
            .collect())
    }

    /// The settings of each of `keys` (in that order; `None`: the kernel has no such service,
    /// its GET_SERVICE answers ESRCH). Unlike dumps, plain GET requests may share a `send`:
    /// [`BATCH`] of them go out together, then their replies (data, then an ACK each) are read.
    /// A failure is the first request that failed, as [`Client::service`] would report it.
    pub fn services_of(&mut self, keys: &[ServiceKey]) -> Result<Vec<Option<Service>>, Error> {
        let mut out: Vec<Option<Service>> = vec![None; keys.len()];
        let mut batch = Vec::with_capacity(BATCH * 64);
        let mut attrs = AttrWriter::new();
        for (c, chunk) in keys.chunks(BATCH).enumerate() {
            let base = c * BATCH;
            batch.clear();
            let first_seq = self.seq.wrapping_add(1);
            for key in chunk {
                attrs.buf.clear();
                wire::put_service_key(&mut attrs, key);
                let seq = self.next_seq();
                batch.extend_from_slice(&wire::genl_message(
                    self.family,
                    wire::NLM_F_REQUEST | wire::NLM_F_ACK,
                    seq,
                    cmd::GET_SERVICE,
                    wire::IPVS_GENL_VERSION,
                    &attrs.buf,
                ));
            }
            let op0 = Operation::GetService(chunk[0]);
            let failed = self.exchange_acked(
                &op0,
                &batch,
                first_seq,
                chunk.len(),
                &[ESRCH],
                |i, attrs| {
                    let op = || Operation::GetService(chunk[i]);
                    let svc = wire::find_attr(attrs, cmd_attr::SERVICE)
                        .and_then(|s| s.ok_or_else(|| Malformed("reply without a service".into())))
                        .and_then(wire::decode_service)
                        .map_err(|source| Error::Malformed { op: op(), source })?;
                    out[base + i] = Some(svc.service);
                    Ok(())
                },
            )?;
            if let Some((i, errno)) = failed {
                return Err(Error::Kernel {
                    op: Operation::GetService(chunk[i]),
                    errno,
                });
            }
        }
        Ok(out)
    }

    /// The destinations of each of `keys` (in that order), with up to `window` dumps in flight.
    ///
    /// The kernel lists destinations one service per dump, and runs at most one dump at a time
    /// on a netlink socket: a dump request that reaches a socket whose previous dump has not
    /// been read to its end is refused with EBUSY (`netlink_dump_start`), so several requests
    /// in one `send` cannot work. A window of dumps in flight therefore means one socket per
    /// dump: `window` extra sockets, each sent its next request as soon as its previous dump is
    /// read to the end. Each socket holds one dump's replies at a time, so its default receive
    /// buffer is enough. `window` 1 is the one-by-one read on a single extra socket; a window
    /// above [`MAX_READ_WINDOW`] is taken as that. The reads are small (see `dump_buf`), which
    /// makes the kernel's messages cheaper. A failure is the first dump that failed, typed and
    /// naming its service as [`Client::dests`] would (a service that is not there lists empty,
    /// as with [`Client::dests`]: the kernel's dump does not fail for it).
    pub fn dests_of(
        &mut self,
        keys: &[ServiceKey],
        window: usize,
    ) -> Result<Vec<Vec<DestEntry>>, Error> {
        let mut out: Vec<Vec<DestEntry>> = vec![Vec::new(); keys.len()];
        if keys.is_empty() {
            return Ok(out);
        }
        let window = window.clamp(1, keys.len().min(MAX_READ_WINDOW));
        // Sockets kept from the last call; more if this window is wider. They come back to
        // `dump_socks` only when every dump was read to its end.
        let mut kept = std::mem::take(&mut self.dump_socks);
        let mut slots = Vec::with_capacity(window);
        for _ in 0..window {
            let sock = match kept.pop() {
                Some(s) => s,
                None => NlSocket::connect(NlFamily::Generic, None, Groups::empty()).map_err(
                    |source| Error::Io {
                        op: Operation::ListDests(keys[0]),
                        source,
                    },
                )?,
            };
            slots.push(DumpSlot {
                sock,
                seq: 0,
                job: None,
            });
        }
        let mut next = 0usize;
        let mut attrs = AttrWriter::new();
        let len = dump_buf();
        // Give a slot the next service, if any is left.
        let mut start = |c: &mut Client, slot: &mut DumpSlot, next: &mut usize| {
            if *next >= keys.len() {
                slot.job = None;
                return Ok(());
            }
            let i = *next;
            *next += 1;
            attrs.buf.clear();
            wire::put_service_key(&mut attrs, &keys[i]);
            slot.seq = c.next_seq();
            slot.job = Some(i);
            let msg = wire::genl_message(
                c.family,
                wire::NLM_F_REQUEST | wire::NLM_F_DUMP,
                slot.seq,
                cmd::GET_DEST,
                wire::IPVS_GENL_VERSION,
                &attrs.buf,
            );
            slot.sock
                .send(&msg, Msg::empty())
                .map(|_| ())
                .map_err(|source| Error::Io {
                    op: Operation::ListDests(keys[i]),
                    source,
                })
        };
        for slot in &mut slots {
            start(self, slot, &mut next)?;
        }
        loop {
            let mut busy = false;
            for slot in &mut slots {
                let Some(i) = slot.job else { continue };
                busy = true;
                self.finish_dump(slot, len, &keys[i], &mut out[i])?;
                start(self, slot, &mut next)?;
            }
            if !busy {
                kept.extend(slots.into_iter().map(|s| s.sock));
                self.dump_socks = kept;
                return Ok(out);
            }
        }
    }

    /// Read one slot's dump to its end, decoding its destinations into `out`.
    fn finish_dump(
        &mut self,
        slot: &DumpSlot,
        len: usize,
        key: &ServiceKey,
        out: &mut Vec<DestEntry>,
    ) -> Result<(), Error> {
        let op = || Operation::ListDests(*key);
        loop {
            let (n, _) = slot
                .sock
                .recv(&mut self.buf[..len], Msg::TRUNC)
                .map_err(|source| Error::Io { op: op(), source })?;
            if n > len {
                return Err(Error::Malformed {
                    op: op(),
                    source: Malformed(format!("a {n}-byte message was truncated")),
                });
            }
            for r in wire::replies(&self.buf[..n]) {
                match r.map_err(|source| Error::Malformed { op: op(), source })? {
                    Reply::Data { seq, attrs, .. } if seq == slot.seq => {
                        let d = wire::find_attr(attrs, cmd_attr::DEST)
                            .and_then(|s| {
                                s.ok_or_else(|| Malformed("reply without a destination".into()))
                            })
                            .and_then(|d| wire::decode_dest(d, key.family()))
                            .map_err(|source| Error::Malformed { op: op(), source })?;
                        out.push(d);
                    }
                    Reply::Ack { seq, errno } if seq == slot.seq && errno != 0 => {
                        return Err(Error::Kernel { op: op(), errno });
                    }
                    Reply::Done { seq } if seq == slot.seq => return Ok(()),
                    _ => {}
                }
            }
        }
    }

    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), Error> {
        let mut w = AttrWriter::new();
        if let Some(k) = key {
            wire::put_service_key(&mut w, k);
        }
        self.ipvs(Operation::Zero(key.copied()), cmd::ZERO, &w.buf, false)
            .map(|_| ())
    }

    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        self.get_one(
            Operation::GetTimeouts,
            cmd::GET_CONFIG,
            wire::decode_timeouts,
        )
    }

    /// Set timeouts; a 0 leaves that one unchanged.
    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Error> {
        let mut w = AttrWriter::new();
        wire::put_timeouts(&mut w, t);
        self.ipvs(Operation::SetTimeouts, cmd::SET_CONFIG, &w.buf, false)
            .map(|_| ())
    }

    pub fn start_daemon(&mut self, d: &SyncDaemon) -> Result<(), Error> {
        let mut w = AttrWriter::new();
        wire::put_daemon(&mut w, d);
        self.ipvs(
            Operation::StartDaemon(d.state),
            cmd::NEW_DAEMON,
            &w.buf,
            false,
        )
        .map(|_| ())
    }

    pub fn stop_daemon(&mut self, state: SyncState) -> Result<(), Error> {
        let mut w = AttrWriter::new();
        let n = w.begin_nest(cmd_attr::DAEMON);
        w.u32(wire::daemon_attr::STATE, state.bits());
        w.end_nest(n);
        self.ipvs(Operation::StopDaemon(state), cmd::DEL_DAEMON, &w.buf, false)
            .map(|_| ())
    }

    pub fn daemons(&mut self) -> Result<Vec<SyncDaemon>, Error> {
        let op = Operation::ListDaemons;
        let replies = self.ipvs(op.clone(), cmd::GET_DAEMON, &[], true)?;
        let mut out = Vec::new();
        for r in replies {
            let d = wire::find_attr(&r, cmd_attr::DAEMON)
                .and_then(|s| s.ok_or_else(|| Malformed("reply without a daemon".into())))
                .and_then(wire::decode_daemon)
                .map_err(|source| Error::Malformed {
                    op: op.clone(),
                    source,
                })?;
            out.push(d);
        }
        Ok(out)
    }

    pub fn info(&mut self) -> Result<Info, Error> {
        self.get_one(Operation::GetInfo, cmd::GET_INFO, wire::decode_info)
    }

    /// A GET command without attributes whose first reply `decode` reads.
    fn get_one<T>(
        &mut self,
        op: Operation,
        command: u8,
        decode: impl FnOnce(&[u8]) -> Result<T, Malformed>,
    ) -> Result<T, Error> {
        let r = self.request(op.clone(), command, wire::IPVS_GENL_VERSION, &[], false)?;
        let first = r.first().ok_or_else(|| Error::Malformed {
            op: op.clone(),
            source: Malformed("no reply".into()),
        })?;
        decode(first).map_err(|source| Error::Malformed { op, source })
    }
}

/// The command and attributes of one reconciler operation.
pub fn encode_op(op: &Op) -> (u8, Vec<u8>) {
    let mut w = AttrWriter::new();
    let command = match op {
        Op::AddService(s) => {
            wire::put_service(&mut w, s);
            cmd::NEW_SERVICE
        }
        Op::EditService(s) => {
            wire::put_service(&mut w, s);
            cmd::SET_SERVICE
        }
        Op::DelService(k) => {
            wire::put_service_key(&mut w, k);
            cmd::DEL_SERVICE
        }
        Op::AddDest(k, d) => {
            wire::put_service_key(&mut w, k);
            wire::put_dest(&mut w, k.family(), d, false);
            cmd::NEW_DEST
        }
        Op::EditDest(k, d) => {
            wire::put_service_key(&mut w, k);
            wire::put_dest(&mut w, k.family(), d, false);
            cmd::SET_DEST
        }
        Op::DelDest(k, dk) => {
            wire::put_service_key(&mut w, k);
            let d = Destination::new(dk.addr, dk.port, Forward::Nat, 0);
            wire::put_dest(&mut w, k.family(), &d, true);
            cmd::DEL_DEST
        }
        Op::Flush => cmd::FLUSH,
    };
    (command, w.buf)
}

/// The receive length of [`Client::dests_of`]'s reads. The kernel sizes a dump's messages to
/// the largest read the socket has seen (at most 32 KiB) but never below NLMSG_GOODSIZE
/// (a page, at most 8 KiB, less overhead); a destination dump of a few real servers fits in
/// far less, and a small message is cheaper to allocate (measured in the VM: a quarter less
/// time for the whole read than with 32 KiB messages). min(page size, 8 KiB) is never below
/// NLMSG_GOODSIZE, so no message is ever truncated (and a truncation would be an error).
fn dump_buf() -> usize {
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| usize::try_from(p).ok())
        .unwrap_or(4096);
    page.clamp(4096, 8192)
}
