//! The BFD Control packet (RFC 5880 section 4.1) without an authentication section.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       My Discriminator                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Your Discriminator                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Desired Min TX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Required Min RX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Required Min Echo RX Interval                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! keepalived 2.2.7 has no BFD authentication, so neither has this crate: a packet with the A
//! bit is refused by [`decode`] ([`DecodeError::Authenticated`]).

use thiserror::Error;

/// The length of a Control packet without authentication.
pub const PACKET_LEN: usize = 24;

/// The only protocol version (RFC 5880).
pub const VERSION: u8 = 1;

/// A session state as carried in the Sta field (RFC 5880 section 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    AdminDown,
    Down,
    Init,
    Up,
}

impl State {
    fn from_bits(b: u8) -> State {
        match b & 3 {
            0 => State::AdminDown,
            1 => State::Down,
            2 => State::Init,
            _ => State::Up,
        }
    }

    fn bits(self) -> u8 {
        match self {
            State::AdminDown => 0,
            State::Down => 1,
            State::Init => 2,
            State::Up => 3,
        }
    }

    /// The name keepalived logs ("Entering Up state").
    pub fn name(self) -> &'static str {
        match self {
            State::AdminDown => "AdminDown",
            State::Down => "Down",
            State::Init => "Init",
            State::Up => "Up",
        }
    }
}

/// The Diagnostic field (RFC 5880 section 4.1): why the sender's session last left Up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Diagnostic(pub u8);

impl Diagnostic {
    pub const NONE: Diagnostic = Diagnostic(0);
    pub const DETECTION_TIME_EXPIRED: Diagnostic = Diagnostic(1);
    pub const ECHO_FAILED: Diagnostic = Diagnostic(2);
    pub const NEIGHBOR_DOWN: Diagnostic = Diagnostic(3);
    pub const FORWARDING_RESET: Diagnostic = Diagnostic(4);
    pub const PATH_DOWN: Diagnostic = Diagnostic(5);
    pub const CONCATENATED_PATH_DOWN: Diagnostic = Diagnostic(6);
    pub const ADMIN_DOWN: Diagnostic = Diagnostic(7);
    pub const REVERSE_CONCATENATED_PATH_DOWN: Diagnostic = Diagnostic(8);

    /// The RFC's wording, as keepalived logs it ("Control Detection Time Expired").
    pub fn text(self) -> &'static str {
        match self.0 {
            0 => "No Diagnostic",
            1 => "Control Detection Time Expired",
            2 => "Echo Function Failed",
            3 => "Neighbor Signaled Session Down",
            4 => "Forwarding Plane Reset",
            5 => "Path Down",
            6 => "Concatenated Path Down",
            7 => "Administratively Down",
            8 => "Reverse Concatenated Path Down",
            _ => "Unknown",
        }
    }
}

/// A decoded Control packet. Intervals are in microseconds, as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ControlPacket {
    pub diag: Diagnostic,
    pub state: State,
    pub poll: bool,
    pub final_: bool,
    /// Control Plane Independent.
    pub cpi: bool,
    pub demand: bool,
    pub detect_mult: u8,
    pub my_discriminator: u32,
    pub your_discriminator: u32,
    pub desired_min_tx_us: u32,
    pub required_min_rx_us: u32,
    pub required_min_echo_rx_us: u32,
}

/// Why a received datagram is not a Control packet this crate accepts (RFC 5880 section 6.8.6,
/// the checks that need no session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("packet too short ({0} bytes)")]
    TooShort(usize),
    #[error("bad version {0}")]
    BadVersion(u8),
    #[error("bad length field {field} for a {received} byte packet")]
    BadLength { field: u8, received: usize },
    #[error("detect multiplier is zero")]
    ZeroDetectMult,
    #[error("multipoint bit set")]
    Multipoint,
    #[error("my discriminator is zero")]
    ZeroMyDiscriminator,
    #[error("your discriminator is zero in state {0:?}")]
    ZeroYourDiscriminator(State),
    #[error("authentication is not supported")]
    Authenticated,
}

/// Decodes and checks one received datagram (the UDP payload).
pub fn decode(buf: &[u8]) -> Result<ControlPacket, DecodeError> {
    if buf.len() < PACKET_LEN {
        return Err(DecodeError::TooShort(buf.len()));
    }
    let version = buf[0] >> 5;
    if version != VERSION {
        return Err(DecodeError::BadVersion(version));
    }
    let flags = buf[1];
    let auth = flags & 0x04 != 0;
    let length = buf[3];
    let min_len = if auth { PACKET_LEN + 2 } else { PACKET_LEN };
    if (length as usize) < min_len || length as usize > buf.len() {
        return Err(DecodeError::BadLength {
            field: length,
            received: buf.len(),
        });
    }
    if auth {
        return Err(DecodeError::Authenticated);
    }
    let detect_mult = buf[2];
    if detect_mult == 0 {
        return Err(DecodeError::ZeroDetectMult);
    }
    if flags & 0x01 != 0 {
        return Err(DecodeError::Multipoint);
    }
    let word = |i: usize| u32::from_be_bytes([buf[i], buf[i + 1], buf[i + 2], buf[i + 3]]);
    let state = State::from_bits(flags >> 6);
    let p = ControlPacket {
        diag: Diagnostic(buf[0] & 0x1f),
        state,
        poll: flags & 0x20 != 0,
        final_: flags & 0x10 != 0,
        cpi: flags & 0x08 != 0,
        demand: flags & 0x02 != 0,
        detect_mult,
        my_discriminator: word(4),
        your_discriminator: word(8),
        desired_min_tx_us: word(12),
        required_min_rx_us: word(16),
        required_min_echo_rx_us: word(20),
    };
    if p.my_discriminator == 0 {
        return Err(DecodeError::ZeroMyDiscriminator);
    }
    if p.your_discriminator == 0 && !matches!(state, State::Down | State::AdminDown) {
        return Err(DecodeError::ZeroYourDiscriminator(state));
    }
    Ok(p)
}

impl ControlPacket {
    /// The 24 bytes on the wire.
    pub fn encode(&self) -> [u8; PACKET_LEN] {
        let mut b = [0u8; PACKET_LEN];
        b[0] = (VERSION << 5) | (self.diag.0 & 0x1f);
        b[1] = (self.state.bits() << 6)
            | (u8::from(self.poll) << 5)
            | (u8::from(self.final_) << 4)
            | (u8::from(self.cpi) << 3)
            | (u8::from(self.demand) << 1);
        b[2] = self.detect_mult;
        b[3] = PACKET_LEN as u8;
        b[4..8].copy_from_slice(&self.my_discriminator.to_be_bytes());
        b[8..12].copy_from_slice(&self.your_discriminator.to_be_bytes());
        b[12..16].copy_from_slice(&self.desired_min_tx_us.to_be_bytes());
        b[16..20].copy_from_slice(&self.required_min_rx_us.to_be_bytes());
        b[20..24].copy_from_slice(&self.required_min_echo_rx_us.to_be_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// keepalived 2.2.7's first packet, captured with tcpdump: Down, no diagnostic, mult 5,
    /// my discriminator 0x52987c7f, desired min tx 1 s (its idle_tx), required min rx 10 ms.
    const KEEPALIVED_DOWN: [u8; 24] = [
        0x20, 0x40, 0x05, 0x18, 0x52, 0x98, 0x7c, 0x7f, 0, 0, 0, 0, 0x00, 0x0f, 0x42, 0x40, 0x00,
        0x00, 0x27, 0x10, 0, 0, 0, 0,
    ];

    #[test]
    fn decodes_keepalived_down_packet() {
        let p = decode(&KEEPALIVED_DOWN).unwrap();
        assert_eq!(p.state, State::Down);
        assert_eq!(p.diag, Diagnostic::NONE);
        assert_eq!(p.detect_mult, 5);
        assert_eq!(p.my_discriminator, 0x5298_7c7f);
        assert_eq!(p.your_discriminator, 0);
        assert_eq!(p.desired_min_tx_us, 1_000_000);
        assert_eq!(p.required_min_rx_us, 10_000);
        assert!(!p.poll && !p.final_);
        assert_eq!(p.encode(), KEEPALIVED_DOWN);
    }

    #[test]
    fn refuses_what_rfc_5880_6_8_6_discards() {
        let mut b = KEEPALIVED_DOWN;
        assert_eq!(decode(&b[..23]), Err(DecodeError::TooShort(23)));
        b[0] = 0x40;
        assert_eq!(decode(&b), Err(DecodeError::BadVersion(2)));
        let mut b = KEEPALIVED_DOWN;
        b[3] = 30;
        assert!(matches!(decode(&b), Err(DecodeError::BadLength { .. })));
        let mut b = KEEPALIVED_DOWN;
        b[2] = 0;
        assert_eq!(decode(&b), Err(DecodeError::ZeroDetectMult));
        let mut b = KEEPALIVED_DOWN;
        b[1] |= 0x01;
        assert_eq!(decode(&b), Err(DecodeError::Multipoint));
        let mut b = KEEPALIVED_DOWN;
        b[4..8].copy_from_slice(&[0; 4]);
        assert_eq!(decode(&b), Err(DecodeError::ZeroMyDiscriminator));
        let mut b = KEEPALIVED_DOWN;
        b[1] = 0xc0; // Up with your discriminator zero
        assert_eq!(
            decode(&b),
            Err(DecodeError::ZeroYourDiscriminator(State::Up))
        );
        let mut b = [0u8; 28];
        b[..24].copy_from_slice(&KEEPALIVED_DOWN);
        b[1] |= 0x04;
        b[3] = 28;
        assert_eq!(decode(&b), Err(DecodeError::Authenticated));
    }

    #[test]
    fn a_longer_datagram_than_the_length_field_is_read_to_the_field() {
        let mut b = [0u8; 30];
        b[..24].copy_from_slice(&KEEPALIVED_DOWN);
        assert_eq!(decode(&b).unwrap(), decode(&KEEPALIVED_DOWN).unwrap());
    }
}
