//! BFD (RFC 5880, single hop RFC 5881) as a sans-IO protocol core, for keepalived's
//! `bfd_instance`: [`packet`] encodes and decodes Control packets, [`session`] is the state
//! machine of one session in asynchronous mode, driven by received packets and a
//! caller-supplied [`Time`], answering with [`Event`]s. No sockets, no clock, no randomness of
//! its own (the caller passes a random number wherever jitter is drawn).
//!
//! Left out, as keepalived 2.2.7 leaves them out: authentication (a packet with the A bit is
//! refused), demand mode and the echo function.

pub mod packet;
pub mod session;

pub use packet::{decode, ControlPacket, DecodeError, Diagnostic, State, PACKET_LEN};
pub use session::{jittered, Event, Session, SessionConfig, Snapshot};
pub use clock::Time;
