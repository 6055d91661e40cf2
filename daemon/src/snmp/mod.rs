//! SNMP: an AgentX subagent (RFC 2741) serving RFC 2787's VRRP-MIB read-only, as keepalived
//! 2.2.7 does with `enable_snmp_rfcv2`. snmpd (or any AgentX master) answers the SNMP
//! managers; we answer it, over its socket (`snmp_socket`, `-A`).
//!
//! - [`agentx`]: the PDUs, encoded and decoded (pure);
//! - [`vrrp_mib`]: the VRRP snapshot as the MIB's sorted variables (pure);
//! - [`answer`]: Get, GetNext, GetBulk over those variables (pure);
//! - [`transport`]: the master's address, and the connection to it;
//! - [`session`]: the session on a thread of its own, reading the snapshots the VRRP loop
//!   publishes, and reconnecting as keepalived's net-snmp does.
//!
//! KEEPALIVED-MIB (`enable_snmp_vrrp`, `enable_snmp_checker`), VRRPv3-MIB
//! (`enable_snmp_rfcv3`) and traps (`enable_traps`) are refused (crate::flags).

pub mod agentx;
pub mod answer;
pub mod session;
pub mod transport;
pub mod vrrp_mib;

use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::watch;

use crate::snapshot::VrrpSnapshot;
use vrrp_mib::Interface;

/// How the MIB learns an interface's index, MAC and first IPv4 address.
pub type Interfaces = Box<dyn Fn(&str) -> Option<Interface> + Send>;

/// The master to connect to: `-A` wins over `snmp_socket` (keepalived ignores the keyword
/// when `-A` is given), net-snmp's default when neither is. Checked before the daemon starts
/// (crate::flags), so a bad one is not seen here.
pub fn target(
    agent_socket: Option<&std::path::Path>,
    snmp_socket: Option<&str>,
) -> Result<transport::Target, String> {
    let spec = match (agent_socket, snmp_socket) {
        (Some(a), _) => a.to_string_lossy().into_owned(),
        (None, Some(s)) => s.to_string(),
        (None, None) => transport::DEFAULT_SOCKET.to_string(),
    };
    transport::parse(&spec)
}

/// Starts the subagent's thread, in the caller's network namespace.
pub fn start(
    target: transport::Target,
    snapshots: watch::Receiver<Arc<VrrpSnapshot>>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("snmp".into())
        .spawn(move || session::run(target, snapshots, Box::new(kernel_interface)))?;
    Ok(())
}

/// The kernel's word on an interface now.
fn kernel_interface(name: &str) -> Option<Interface> {
    let i = pnet_datalink::interfaces()
        .into_iter()
        .find(|i| i.name == name)?;
    Some(Interface {
        index: i.index,
        mac: i.mac.map(|m| m.octets().to_vec()).unwrap_or_default(),
        primary_v4: i.ips.iter().find_map(|n| match n.ip() {
            IpAddr::V4(a) => Some(a),
            IpAddr::V6(_) => None,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_s_socket_wins() {
        let p = std::path::Path::new("/a");
        assert_eq!(
            target(Some(p), Some("unix:/b")),
            Ok(transport::Target::Unix("/a".into()))
        );
        assert_eq!(
            target(None, Some("tcp:h:705")),
            Ok(transport::Target::Tcp("h:705".into()))
        );
        assert_eq!(
            target(None, None),
            Ok(transport::Target::Unix("/var/agentx/master".into()))
        );
    }
}
