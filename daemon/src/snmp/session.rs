//! The AgentX session with the master (snmpd), on a thread of its own: connect, Open,
//! Register mib-2.68, AddAgentCaps, then answer the master's requests from the latest VRRP
//! snapshot, which the thread only reads: the VRRP loop never waits on SNMP. When the master
//! goes away or cannot be reached, try again every [`RETRY`], as keepalived 2.2.7's net-snmp
//! does (measured: "AgentX master disconnected us, reconnecting in 15", then a "Failed to
//! connect" warning every 15 s until the master is back).

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::agentx::{self, pdu_type, res_error, Header, Pdu, HEADER_LEN};
use super::answer::View;
use super::transport::{self, Connection, Target};
use super::vrrp_mib;
use super::Interfaces;
use crate::snapshot::VrrpSnapshot;

/// Between a lost session or a failed connection and the next attempt.
pub const RETRY: Duration = Duration::from_secs(15);

/// How the session described itself in the master's Open.
const DESCRIPTION: &str = "keepalived";

/// Runs the session for the rest of the process's life.
pub fn run(target: Target, snapshots: watch::Receiver<Arc<VrrpSnapshot>>, interfaces: Interfaces) {
    tracing::info!("Starting SNMP subagent");
    loop {
        match transport::connect(&target) {
            Ok(conn) => {
                let e = serve(conn, &snapshots, &interfaces);
                // keepalived's line as net-snmp words it, then why.
                tracing::warn!(
                    "AgentX master disconnected us, reconnecting in {}",
                    RETRY.as_secs()
                );
                tracing::debug!("AgentX: the session ended: {e}");
            }
            Err(e) => tracing::warn!(
                "Warning: Failed to connect to the agentx master agent ({target}): {e}"
            ),
        }
        std::thread::sleep(RETRY);
    }
}

/// One session, until it ends; returns why.
fn serve(
    mut conn: Box<dyn Connection>,
    snapshots: &watch::Receiver<Arc<VrrpSnapshot>>,
    interfaces: &Interfaces,
) -> io::Error {
    match open_and_register(&mut conn) {
        Ok(session_id) => {
            tracing::info!("AgentX subagent connected");
            tracing::debug!("AgentX: session {session_id}");
        }
        Err(e) => return e,
    }
    let objects = vrrp_mib::objects();
    loop {
        let (header, pdu) = match read_pdu(&mut conn) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let reply = match pdu {
            Pdu::Get(_) | Pdu::GetNext(_) | Pdu::GetBulk { .. } => {
                let snapshot = snapshots.borrow().clone();
                let variables = vrrp_mib::variables(&snapshot, &|name| interfaces(name));
                let view = View {
                    variables: &variables,
                    objects: &objects,
                };
                let varbinds = match &pdu {
                    Pdu::Get(r) => view.get(r),
                    Pdu::GetNext(r) => view.get_next(r),
                    Pdu::GetBulk {
                        non_repeaters,
                        max_repetitions,
                        ranges,
                    } => view.get_bulk(*non_repeaters, *max_repetitions, ranges),
                    _ => Vec::new(),
                };
                Some(agentx::response(&header, res_error::NO_ERROR, 0, &varbinds))
            }
            // Read-only, as keepalived's: a set fails its test on the first variable.
            Pdu::TestSet => Some(agentx::response(&header, res_error::NOT_WRITABLE, 1, &[])),
            Pdu::CommitSet | Pdu::UndoSet => Some(agentx::response(
                &header,
                res_error::PROCESSING_ERROR,
                0,
                &[],
            )),
            Pdu::CleanupSet | Pdu::Response { .. } => None,
            Pdu::Close => {
                return io::Error::new(io::ErrorKind::ConnectionAborted, "the master closed")
            }
            Pdu::Other(ty) => {
                tracing::debug!("AgentX: ignoring a PDU of type {ty}");
                None
            }
        };
        if let Some(bytes) = reply {
            if let Err(e) = conn.write_all(&bytes) {
                return e;
            }
        }
    }
}

/// Open, then Register the MIB and add it to sysORTable; the session's id.
fn open_and_register(conn: &mut Box<dyn Connection>) -> io::Result<u32> {
    conn.write_all(&agentx::open(1, DESCRIPTION))?;
    let session_id = expect_response(conn, "Open")?;
    conn.write_all(&agentx::register(session_id, 2, &vrrp_mib::VRRP_MIB))?;
    expect_response(conn, "Register")?;
    conn.write_all(&agentx::add_agent_caps(
        session_id,
        3,
        &vrrp_mib::VRRP_MIB,
        vrrp_mib::SYS_OR_DESCR,
    ))?;
    // sysORTable is a courtesy: a master that refuses it still gets the MIB served.
    if let Err(e) = expect_response(conn, "AddAgentCaps") {
        if e.kind() != io::ErrorKind::Other {
            return Err(e);
        }
        tracing::warn!("{e}");
    }
    Ok(session_id)
}

/// The master's Response to what we sent; its session id. An error in it is an io::Error
/// of kind Other.
fn expect_response(conn: &mut Box<dyn Connection>, to: &str) -> io::Result<u32> {
    loop {
        let (header, pdu) = read_pdu(conn)?;
        match pdu {
            Pdu::Response { error: 0 } => return Ok(header.session_id),
            Pdu::Response { error } => {
                return Err(io::Error::new(
                    io::ErrorKind::Other,
                    format!("AgentX master refused our {to}: error {error}"),
                ))
            }
            // A request before the session is up cannot be for us: it is answered with
            // nothing and the master times it out.
            _ if header.ty == pdu_type::CLOSE => {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the master closed",
                ))
            }
            _ => continue,
        }
    }
}

fn read_pdu(conn: &mut Box<dyn Connection>) -> io::Result<(Header, Pdu)> {
    let mut head = [0u8; HEADER_LEN];
    conn.read_exact(&mut head)?;
    let invalid =
        |e: agentx::DecodeError| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let (header, flags, len) = agentx::decode_header(&head).map_err(invalid)?;
    let mut payload = vec![0u8; len as usize];
    conn.read_exact(&mut payload)?;
    let pdu = agentx::decode_payload(header.ty, flags, &payload).map_err(invalid)?;
    Ok((header, pdu))
}
