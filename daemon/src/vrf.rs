//! A VRF device's routing table, asked of the kernel when a route's `vrf NAME` is resolved
//! (`conf_parser::host`): one RTM_GETLINK on a netlink socket of its own, synchronously, in
//! the network namespace the daemon runs in (the host checks run there, outside the loops).

use std::io;

use conf_parser::host::VrfTable;
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVrf, LinkAttribute, LinkInfo, LinkMessage,
};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// The table of VRF device `name`.
pub fn vrf_table(name: &str) -> VrfTable {
    let Ok(index) = nix::net::if_::if_nametoindex(name) else {
        return VrfTable::Missing;
    };
    match link(index) {
        Ok(l) => table_of(&l).map_or(VrfTable::NotVrf, VrfTable::Table),
        // Gone between the two questions.
        Err(_) => VrfTable::Missing,
    }
}

/// The link of index `index`, as the kernel describes it.
fn link(index: u32) -> io::Result<LinkMessage> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    let mut request = LinkMessage::default();
    request.header.index = index;
    let mut msg = NetlinkMessage::from(RouteNetlinkMessage::GetLink(request));
    msg.header.flags = NLM_F_REQUEST;
    msg.finalize();
    let mut buf = vec![0; msg.buffer_len()];
    msg.serialize(&mut buf);
    socket.send(&buf, 0)?;
    let (reply, _) = socket.recv_from_full()?;
    let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&reply)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
    match reply.payload {
        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => Ok(l),
        NetlinkPayload::Error(e) => Err(io::Error::other(e.to_string())),
        _ => Err(io::Error::other("unexpected reply to RTM_GETLINK")),
    }
}

/// The table of a link of kind `vrf`; `None` for any other link.
fn table_of(l: &LinkMessage) -> Option<u32> {
    let info = l.attributes.iter().find_map(|a| match a {
        LinkAttribute::LinkInfo(i) => Some(i),
        _ => None,
    })?;
    if !info
        .iter()
        .any(|i| matches!(i, LinkInfo::Kind(InfoKind::Vrf)))
    {
        return None;
    }
    info.iter().find_map(|i| match i {
        LinkInfo::Data(InfoData::Vrf(v)) => v.iter().find_map(|x| match x {
            InfoVrf::TableId(t) => Some(*t),
            _ => None,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_that_is_not_a_vrf_and_one_that_does_not_exist() {
        assert_eq!(vrf_table("lo"), VrfTable::NotVrf);
        assert_eq!(vrf_table("kars-no-such0"), VrfTable::Missing);
    }
}
