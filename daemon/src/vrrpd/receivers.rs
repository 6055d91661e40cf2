//! The receiving sockets: one per interface, family and protocol (112, or 51 for `auth_type
//! AH`: keepalived's AH instances never see plain VRRP, nor the others AH), shared by the instances on it, joined to
//! their multicast groups, each read by a task of its own into the loop's events. A receiver has
//! an id that is never reused, so a packet read by a receiver that a reload has closed since is
//! recognised and dropped. Receivers no instance uses any more are closed
//! ([`Receivers::retain_used`]).

use std::collections::HashMap;
use std::io;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tracing::warn;
use vrrp::DropCounters;

use super::net::Receiver;
use super::Event;

pub type RxId = u64;

/// One receiving socket (interface and family) and what was dropped there before any instance
/// could be told (malformed packets, unknown VRIDs).
pub struct Rx {
    pub ifname: String,
    pub ipv6: bool,
    /// Protocol 51 (`auth_type AH`), not 112.
    pub ah: bool,
    /// The interface index the socket was opened on (0: no socket, the interface is missing).
    pub ifindex: u32,
    socket: Option<Arc<Receiver>>,
    /// The multicast groups joined.
    groups: Vec<IpAddr>,
    pub drops: DropCounters,
    /// The kernel's count of packets it dropped on the socket (SO_RXQ_OVFL) last seen.
    pub overflows: u32,
    /// The task reading `socket`.
    task: Option<tokio::task::AbortHandle>,
}

impl Drop for Rx {
    fn drop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

#[derive(Default)]
pub struct Receivers {
    next: RxId,
    by_id: HashMap<RxId, Rx>,
}

impl Receivers {
    pub fn get_mut(&mut self, id: RxId) -> Option<&mut Rx> {
        self.by_id.get_mut(&id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rx> {
        self.by_id.values()
    }

    /// The receiver of interface `ifname`, family and protocol (`ah`), made (without a socket
    /// yet) if there is none.
    pub fn for_interface(&mut self, ifname: &str, ipv6: bool, ah: bool) -> RxId {
        if let Some((&id, _)) = self
            .by_id
            .iter()
            .find(|(_, r)| r.ifname == ifname && r.ipv6 == ipv6 && r.ah == ah)
        {
            return id;
        }
        self.next += 1;
        self.by_id.insert(
            self.next,
            Rx {
                ifname: ifname.to_string(),
                ipv6,
                ah,
                ifindex: 0,
                socket: None,
                groups: Vec::new(),
                drops: DropCounters::new(),
                overflows: 0,
                task: None,
            },
        );
        self.next
    }

    /// Makes receiver `id` listen: opened on `ifindex` if it has no socket (or one on another
    /// index), joined to `group` (multicast instances) if it is not yet, read by its task.
    pub fn listen(
        &mut self,
        id: RxId,
        ifindex: u32,
        group: Option<IpAddr>,
        events: &mpsc::UnboundedSender<Event>,
    ) -> io::Result<()> {
        let Some(rx) = self.by_id.get_mut(&id) else {
            return Ok(());
        };
        if let Some(g) = group {
            if !rx.groups.contains(&g) {
                rx.groups.push(g);
                if let Some(s) = &rx.socket {
                    s.join(g).map_err(|e| {
                        io::Error::new(e.kind(), format!("joining {g} on {}: {e}", rx.ifname))
                    })?;
                }
            }
        }
        if ifindex == 0 || (rx.socket.is_some() && rx.ifindex == ifindex) {
            return Ok(());
        }
        open(rx, ifindex)?;
        spawn_reader(rx, id, events.clone());
        Ok(())
    }

    /// The interface of receiver `id` is now `ifindex` (0: gone): the socket is reopened on it,
    /// or closed.
    pub fn reopen(
        &mut self,
        id: RxId,
        ifindex: u32,
        events: &mpsc::UnboundedSender<Event>,
    ) -> io::Result<()> {
        let Some(rx) = self.by_id.get_mut(&id) else {
            return Ok(());
        };
        if rx.ifindex == ifindex && rx.socket.is_some() {
            return Ok(());
        }
        close(rx);
        if ifindex == 0 {
            return Ok(());
        }
        open(rx, ifindex)?;
        spawn_reader(rx, id, events.clone());
        Ok(())
    }

    /// Clears every receiver's drop counters (STATS_CLEAR).
    pub fn clear_drops(&mut self) {
        for r in self.by_id.values_mut() {
            r.drops = DropCounters::new();
        }
    }

    /// Closes every receiver not in `used` (a reload dropped its last instance).
    pub fn retain_used(&mut self, used: &[RxId]) {
        self.by_id.retain(|id, _| used.contains(id));
    }
}

fn close(rx: &mut Rx) {
    if let Some(t) = rx.task.take() {
        t.abort();
    }
    rx.socket = None;
    rx.ifindex = 0;
}

/// (Re)opens the socket on interface `ifindex`, joined to the receiver's groups.
fn open(rx: &mut Rx, ifindex: u32) -> io::Result<()> {
    close(rx);
    rx.overflows = 0;
    let socket = Receiver::open(&rx.ifname, ifindex, rx.ipv6, rx.ah).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("VRRP receive socket on {}: {e}", rx.ifname),
        )
    })?;
    for g in &rx.groups {
        socket
            .join(*g)
            .map_err(|e| io::Error::new(e.kind(), format!("joining {g} on {}: {e}", rx.ifname)))?;
    }
    rx.socket = Some(Arc::new(socket));
    rx.ifindex = ifindex;
    Ok(())
}

/// Starts the task that reads the socket into the event queue.
fn spawn_reader(rx: &mut Rx, id: RxId, tx: mpsc::UnboundedSender<Event>) {
    let Some(sock) = rx.socket.clone() else {
        return;
    };
    let name = rx.ifname.clone();
    let task = tokio::spawn(async move {
        loop {
            match sock.recv().await {
                Ok(p) => {
                    if tx.send(Event::Packet(id, p)).is_err() {
                        break;
                    }
                }
                Err(e) => {
                    warn!("{name}: VRRP receive error: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    });
    rx.task = Some(task.abort_handle());
}
