//! One running instance: the state machine with what the daemon keeps around it (its
//! interface, sockets, tracking, counters), and how one is built from its plan.

use std::io;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use tracing::warn;
use vrrp::{DropCounters, Instance, State, Status, Tracked, Tracking, TrackingVerdict};

use crate::snapshot::InstanceStats;

use super::kernel;
use super::link_delay::Debounce;
use super::net::Sender;
use super::plan::InstancePlan;
use super::receivers::RxId;
use super::trackers::{bfd_key, file_key, process_key, script_key, Trackers};

/// One running instance.
pub struct Running {
    pub plan: InstancePlan,
    pub instance: Instance,
    /// None while the interface is missing or has no address.
    pub socket: Option<Sender>,
    pub receiver: RxId,
    /// 0 while the interface does not exist.
    pub ifindex: u32,
    /// The index of the interface the adverts leave from (`InstancePlan::send_interface`: the
    /// VMAC's, or `ifindex`); 0 while it does not exist.
    pub send_ifindex: u32,
    /// Our adverts' source (the family's unspecified address until one is known).
    pub src: IpAddr,
    /// The interface exists, is up with carrier, and we have a source address: otherwise the
    /// instance is held in FAULT (`Input::InterfaceDown`).
    pub usable: bool,
    pub drops: DropCounters,
    /// The source of the last advert accepted, for keepalived's skip_check_adv_addr.
    pub last_master: Option<IpAddr>,
    /// The tracked objects with their weights, and the verdict last fed in.
    pub tracking: Tracking,
    pub verdict: TrackingVerdict,
    /// The tracked interfaces' indices (0 while an interface does not exist).
    pub tracked_ifs: Vec<(String, u32)>,
    /// The sync group and the member index in it.
    pub group: Option<(usize, usize)>,
    /// For the debug line on becoming Master: how long the last accepted advert waited
    /// between the kernel and the loop, and how late the last timer fired.
    pub rx_age: Duration,
    pub timer_late: Duration,
    /// keepalived's counters of the instance (the stats dump's).
    pub stats: InstanceStats,
    /// When it last changed state, and from which.
    pub last_transition: (SystemTime, State),
    /// State changes since it started (not cleared by STATS_CLEAR: not one of keepalived's
    /// counters).
    pub transitions: u64,
    /// The master heard last, with its priority.
    pub master: Option<(IpAddr, u8)>,
    /// `auth_type AH`: the sequence number (sent and accepted) and the IP identification.
    pub ah: vrrp::ah::Sequence,
}

/// A link's state as the instances go by it: the one held while a change waits out its
/// `interface_up_down_delays` delay, else the kernel's.
fn link_up(links: &Debounce, name: &str) -> io::Result<bool> {
    match links.held(name) {
        Some(up) => Ok(up),
        None => kernel::link_up(name),
    }
}

/// What an instance's interface offers now: its index (0: missing), whether it is up with
/// carrier (and its VMAC too), and the source address for our adverts (or why there is none).
pub fn probe(p: &InstancePlan, links: &Debounce) -> (u32, bool, Result<IpAddr, String>) {
    let Ok(index) = kernel::ifindex(&p.interface) else {
        return (
            0,
            false,
            Err(format!("interface {} does not exist", p.interface)),
        );
    };
    let up = link_up(links, &p.interface).unwrap_or(false)
        && p.vmac
            .as_ref()
            .is_none_or(|v| link_up(links, &v.name).unwrap_or(false));
    let src = match p.src_ip {
        Some(s) => Ok(s),
        None => {
            let vips: Vec<IpAddr> = p.vips.iter().map(|v| v.addr).collect();
            kernel::primary_address(&p.interface, p.ipv6, &vips).map_err(|e| e.to_string())
        }
    };
    (index, up, src)
}

/// The tracked objects of an instance with their statuses now (interfaces from the kernel,
/// the others from their trackers), around its configured priority.
pub fn tracking(
    p: &InstancePlan,
    trackers: &Trackers,
    links: &Debounce,
) -> io::Result<(Tracking, Vec<(String, u32)>)> {
    let mut tracking = Tracking::new(p.config.priority);
    let mut tracked_ifs = Vec::new();
    let mut add = |t: Tracked| {
        tracking
            .add(t)
            .map_err(|e| io::Error::other(format!("{}: {e}", p.name)))
    };
    for t in &p.track_interface {
        let up = link_up(links, &t.name).unwrap_or_else(|e| {
            warn!("({}) track_interface {}: {e}", p.name, t.name);
            false
        });
        add(Tracked {
            name: t.name.clone(),
            weight: t.weight,
            reverse: t.reverse,
            status: if up { Status::Up } else { Status::Down },
        })?;
        tracked_ifs.push((t.name.clone(), kernel::ifindex(&t.name).unwrap_or(0)));
    }
    let objects = p
        .track_script
        .iter()
        .map(|t| (t, script_key(&t.name), Status::Up))
        .chain(
            p.track_file
                .iter()
                .map(|t| (t, file_key(&t.name), Status::Value(0))),
        )
        .chain(
            p.track_process
                .iter()
                .map(|t| (t, process_key(&t.name), Status::Down)),
        )
        // A session starts Down (keepalived: an instance tracking one with weight 0 starts
        // in FAULT).
        .chain(
            p.track_bfd
                .iter()
                .map(|t| (t, bfd_key(&t.name), Status::Down)),
        );
    for (t, key, fallback) in objects {
        let status = trackers.status(&key).unwrap_or(fallback);
        add(Tracked {
            name: key,
            weight: t.weight,
            reverse: t.reverse,
            status,
        })?;
    }
    Ok((tracking, tracked_ifs))
}

/// The index of the interface the adverts leave from (0: missing).
pub fn send_ifindex(p: &InstancePlan) -> u32 {
    kernel::ifindex(p.send_interface()).unwrap_or(0)
}

/// Why an instance's interface is not usable, in a FAULT line.
pub fn unusable_why(p: &InstancePlan, index: u32, src: &Result<IpAddr, String>) -> String {
    match src {
        _ if index == 0 => format!("interface {} does not exist", p.interface),
        Err(e) => e.clone(),
        Ok(_) => match &p.vmac {
            Some(v) if kernel::link_up(&p.interface).unwrap_or(false) => {
                format!("VMAC interface {} is down or missing", v.name)
            }
            _ => format!("interface {} is down", p.interface),
        },
    }
}

/// Builds an instance from its plan: its interface probed, its send socket opened, its
/// tracking from the trackers' statuses now. Without `dynamic_interfaces` a missing interface
/// is an error, as in keepalived; otherwise (and for an interface down or without an address)
/// the instance is built unusable, to start in FAULT.
pub fn build(
    p: InstancePlan,
    receiver: RxId,
    dynamic_interfaces: bool,
    trackers: &Trackers,
    links: &Debounce,
) -> io::Result<Running> {
    let (ifindex, up, src) = probe(&p, links);
    if ifindex == 0 && !dynamic_interfaces {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: interface {} does not exist (global_defs dynamic_interfaces allows it)",
                p.name, p.interface
            ),
        ));
    }
    let mut config = p.config.clone();
    if let Ok(a) = src {
        config.local_address = a;
    }
    let src_addr = config.local_address;
    let instance =
        Instance::new(config).map_err(|e| io::Error::other(format!("{}: {e}", p.name)))?;
    let send_ifindex = send_ifindex(&p);
    let socket = match (&src, ifindex, send_ifindex) {
        (Ok(a), i, s) if i != 0 && s != 0 => Some(
            Sender::open(p.send_interface(), s, *a, p.unicast_ttl, p.ah_key.is_some()).map_err(
                |e| {
                    io::Error::new(
                        e.kind(),
                        format!("{}: VRRP socket on {}: {e}", p.name, p.send_interface()),
                    )
                },
            )?,
        ),
        _ => None,
    };
    let usable = (up || p.dont_track_primary) && socket.is_some();
    if !usable {
        warn!(
            "({}) entering FAULT state ({})",
            p.name,
            unusable_why(&p, ifindex, &src)
        );
    }
    if p.fault_no_peer {
        // keepalived 2.2.7's words; the verdict holds it in FAULT (events::tracking_changed).
        warn!(
            "({}) Cannot use unicast without any peers - going to fault state",
            p.name
        );
    }
    let (tracking, tracked_ifs) = tracking(&p, trackers, links)?;
    let verdict = TrackingVerdict {
        fault: false,
        priority: p.config.priority,
    };
    Ok(Running {
        plan: p,
        instance,
        socket,
        receiver,
        ifindex,
        send_ifindex,
        src: src_addr,
        usable,
        drops: DropCounters::new(),
        last_master: None,
        tracking,
        verdict,
        tracked_ifs,
        group: None,
        rx_age: Duration::ZERO,
        timer_late: Duration::ZERO,
        stats: InstanceStats::default(),
        last_transition: (SystemTime::now(), State::Initialize),
        transitions: 0,
        master: None,
        ah: vrrp::ah::Sequence::new(),
    })
}
