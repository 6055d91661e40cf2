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

use super::agentx::{self, res_error, Header, Pdu, HEADER_LEN};
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
            Pdu::Close => {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "the master closed",
                ))
            }
            // A request before the session is up cannot be for us: it is answered with
            // nothing and the master times it out.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::agentx::pdu_type;
    use std::os::unix::net::UnixStream;

    /// The master's side of the socket pair: reads one PDU, header and payload.
    fn read(master: &mut UnixStream) -> (Header, Vec<u8>) {
        let mut head = [0u8; HEADER_LEN];
        master.read_exact(&mut head).unwrap();
        let (header, flags, len) = agentx::decode_header(&head).unwrap();
        assert_eq!(flags & 0x10, 0x10, "network byte order");
        let mut payload = vec![0u8; len as usize];
        master.read_exact(&mut payload).unwrap();
        (header, payload)
    }

    /// A GetNext from the master (little endian, as snmpd on x86 sends it) for one OID.
    fn get_next(session_id: u32, packet_id: u32, start: &[u32]) -> Vec<u8> {
        let mut p = vec![start.len() as u8, 0, 0, 0];
        for s in start {
            p.extend(s.to_le_bytes());
        }
        p.extend([0, 0, 0, 0]);
        let mut b = vec![1, pdu_type::GET_NEXT, 0, 0];
        for v in [session_id, 1, packet_id, p.len() as u32] {
            b.extend(v.to_le_bytes());
        }
        b.extend(p);
        b
    }

    /// A subagent serving an empty snapshot on one end of a socket pair: the master's end, and
    /// the thread that ends with the session's error.
    fn subagent() -> (UnixStream, std::thread::JoinHandle<io::Error>) {
        let (ours, master) = UnixStream::pair().unwrap();
        let subagent = std::thread::spawn(move || {
            let (_tx, snapshots) = watch::channel(Arc::new(VrrpSnapshot::default()));
            serve(
                Box::new(ours),
                &snapshots,
                &(Box::new(|_: &str| None) as Interfaces),
            )
        });
        (master, subagent)
    }

    #[test]
    fn a_session_opens_registers_and_answers_until_the_master_goes() {
        let (mut master, subagent) = subagent();
        let reply = |master: &mut UnixStream, to: &Header, session_id: u32, error: u16| {
            let to = Header { session_id, ..*to };
            master
                .write_all(&agentx::response(&to, error, 0, &[]))
                .unwrap();
        };
        let (open, _) = read(&mut master);
        assert_eq!(open.ty, pdu_type::OPEN);
        reply(&mut master, &open, 42, 0);
        let (register, payload) = read(&mut master);
        assert_eq!((register.ty, register.session_id), (pdu_type::REGISTER, 42));
        assert_eq!(&payload[4..8], &[7, 0, 0, 0], "mib-2.68: 7 sub-identifiers");
        reply(&mut master, &register, 42, 0);
        let (caps, _) = read(&mut master);
        assert_eq!(caps.ty, pdu_type::ADD_AGENT_CAPS);
        reply(&mut master, &caps, 42, 0);

        // The first variable of the MIB: vrrpNodeVersion.0 = 2.
        master
            .write_all(&get_next(42, 9, &vrrp_mib::VRRP_MIB))
            .unwrap();
        let (answer, p) = read(&mut master);
        assert_eq!((answer.ty, answer.packet_id), (pdu_type::RESPONSE, 9));
        assert_eq!(&p[4..8], &[0, 0, 0, 0], "no error");
        assert_eq!(&p[8..12], &[0, 2, 0, 0], "an Integer");
        assert_eq!(&p[12..16], &[10, 0, 0, 0], "1.3.6.1.2.1.68.1.1.0");
        assert_eq!(&p[56..60], &2u32.to_be_bytes());

        // A set fails its test: read-only.
        let mut test_set = get_next(42, 10, &[]);
        test_set[1] = pdu_type::TEST_SET;
        master.write_all(&test_set).unwrap();
        let (answer, p) = read(&mut master);
        assert_eq!(answer.packet_id, 10);
        assert_eq!(&p[4..6], &res_error::NOT_WRITABLE.to_be_bytes());

        drop(master);
        let e = subagent.join().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    }

    #[test]
    fn a_refused_registration_ends_the_session() {
        let (mut master, subagent) = subagent();
        let (open, _) = read(&mut master);
        let ok = Header {
            session_id: 1,
            ..open
        };
        master.write_all(&agentx::response(&ok, 0, 0, &[])).unwrap();
        let (register, _) = read(&mut master);
        // duplicateRegistration
        master
            .write_all(&agentx::response(&register, 263, 0, &[]))
            .unwrap();
        let e = subagent.join().unwrap();
        assert!(
            e.to_string().contains("refused our Register: error 263"),
            "{e}"
        );
    }
}
