//! The firewall keepalived 2.2.7 installs for instances not in accept mode: nftables sets of
//! their VIPs while MASTER, with rules dropping traffic to and from them (RFC 5798's accept mode
//! off: a MASTER that does not own its addresses does not answer on them).
//!
//! `drops` decides which addresses belong in the sets (pure), `ruleset` writes the tables as
//! nf_tables messages (pure), `expr` and `wire` encode them, `socket` sends a batch over
//! NETLINK_NETFILTER and waits for the kernel's acknowledgements. No `nft` binary is needed.

mod drops;
mod expr;
mod ruleset;
mod socket;
mod wire;

use std::io;

use tracing::{error, info};

pub use drops::{instance_drops, is_link_local, Key};
pub use ruleset::Settings;

use drops::{Changes, Drops};
use ruleset::{Family, Numbered};
use socket::NftSocket;

/// The sets as the instances want them, kept in step with the kernel.
pub struct Firewall {
    settings: Settings,
    drops: Drops,
    /// Opened when the first address enters a set.
    socket: Option<NftSocket>,
}

impl Firewall {
    pub fn new(settings: Settings) -> Firewall {
        Firewall {
            settings,
            drops: Drops::default(),
            socket: None,
        }
    }

    /// `instance` keeps `addrs` out from now on (none: it keeps nothing out); the kernel is
    /// told the difference in one batch. A batch the kernel refuses is logged and asked for
    /// again at the next change.
    pub fn set(&mut self, instance: &str, addrs: Vec<Key>) {
        self.drops.set(instance, addrs);
        self.update();
    }

    fn update(&mut self) {
        let changes = self.drops.changes();
        if changes.is_empty() {
            return;
        }
        match self.apply(&changes) {
            Ok(()) => self.drops.applied(&changes),
            Err(e) => error!("nftables: cannot update table {}: {e}", self.settings.table),
        }
    }

    /// `instance`'s IPv6 VMAC is the macvlan `vmac` on `base` (interface indexes) from now
    /// on (none: no more); the kernel is told in one batch.
    pub fn set_vmac(&mut self, instance: &str, pair: Option<(u32, u32)>) {
        self.drops.set_vmac(instance, pair);
        self.update();
    }

    /// At stop: the tables this run made are deleted, with what they hold.
    pub fn stop(&mut self) {
        let tables = self.drops.teardown();
        if tables.is_empty() {
            return;
        }
        let settings = self.settings.clone();
        let result = self.socket().and_then(|sock| {
            let begin = sock.begin();
            let mut m = Numbered {
                seq: sock.seq_mut(),
                out: Vec::new(),
            };
            for f in tables {
                ruleset::delete_table(f, &settings, &mut m);
            }
            let out = m.out;
            sock.apply(begin, &out)
        });
        if let Err(e) = result {
            error!("nftables: cannot delete table {}: {e}", self.settings.table);
        }
    }

    fn socket(&mut self) -> io::Result<&mut NftSocket> {
        if self.socket.is_none() {
            self.socket = Some(NftSocket::open()?);
        }
        Ok(self.socket.as_mut().expect("just opened"))
    }

    fn apply(&mut self, c: &Changes) -> io::Result<()> {
        let settings = self.settings.clone();
        let sock = self.socket()?;
        // A table of an earlier run (killed, or keepalived's) is deleted and made anew, in the
        // same batch, as keepalived does (its line too).
        let mut old = Vec::new();
        for &f in &c.fresh {
            let seq = sock.begin();
            if sock.exists(seq, &ruleset::get_table(f, &settings, seq))? {
                info!("Deleting old {} {} table", f.word(), settings.table);
                old.push(f);
            }
        }
        let begin = sock.begin();
        let mut m = Numbered {
            seq: sock.seq_mut(),
            out: Vec::new(),
        };
        for f in old {
            ruleset::delete_table(f, &settings, &mut m);
        }
        if c.create_vmac {
            ruleset::create_vmac(c.fresh.contains(&Family::Ipv6), &settings, &mut m);
        }
        for &f in &c.create {
            let fresh = c.fresh.contains(&f) && !(f == Family::Ipv6 && c.create_vmac);
            ruleset::create_table(f, fresh, &settings, &mut m);
        }
        if c.create_link_local {
            ruleset::create_link_local(&settings, &mut m);
        }
        for (add, keys) in [(true, &c.add), (false, &c.remove)] {
            for f in [Family::Ipv4, Family::Ipv6] {
                let of: Vec<Key> = keys.iter().filter(|k| k.family() == f).copied().collect();
                ruleset::vips(add, &of, &settings, &mut m);
            }
        }
        ruleset::vmac_elements(true, &c.add_vmacs, &settings, &mut m);
        ruleset::vmac_elements(false, &c.remove_vmacs, &settings, &mut m);
        let out = m.out;
        sock.apply(begin, &out)
    }
}
