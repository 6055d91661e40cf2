//! The IPVS generic-netlink client: [`wire`] has the byte layouts, [`client`] the socket.

pub mod client;
pub mod wire;
