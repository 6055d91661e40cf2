//! Property tests of the codec: every packet the encoder can make decodes to itself, no
//! datagram makes the decoder panic, and a session takes whatever decodes.

use bfd::{decode, ControlPacket, Diagnostic, State};
use proptest::prelude::*;

fn state() -> impl Strategy<Value = State> {
    prop_oneof![
        Just(State::AdminDown),
        Just(State::Down),
        Just(State::Init),
        Just(State::Up)
    ]
}

prop_compose! {
    fn packet()(diag in 0u8..32, state in state(), poll: bool, final_: bool, cpi: bool,
                demand: bool, detect_mult in 1u8..=255, my in 1u32.., your: u32, tx: u32,
                rx: u32, echo: u32) -> ControlPacket {
        let your = if your == 0 && matches!(state, State::Init | State::Up) { 1 } else { your };
        ControlPacket {
            diag: Diagnostic(diag), state, poll, final_, cpi, demand, detect_mult,
            my_discriminator: my, your_discriminator: your, desired_min_tx_us: tx,
            required_min_rx_us: rx, required_min_echo_rx_us: echo,
        }
    }
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(p in packet()) {
        prop_assert_eq!(decode(&p.encode()), Ok(p));
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn a_decoded_datagram_encodes_to_its_first_24_bytes(mut bytes in proptest::collection::vec(any::<u8>(), 24..40)) {
        // Make most of them valid: version 1, length 24, no auth, no multipoint.
        bytes[0] = (bytes[0] & 0x1f) | 0x20;
        bytes[1] &= !0x05;
        bytes[3] = 24;
        if let Ok(p) = decode(&bytes) {
            prop_assert_eq!(&p.encode()[..], &bytes[..24]);
            // Whatever decodes, a session takes without panicking, and its timers with it.
            let config = bfd::SessionConfig {
                desired_min_tx: std::time::Duration::from_millis(10),
                required_min_rx: std::time::Duration::from_millis(10),
                idle_tx: std::time::Duration::from_secs(1),
                detect_mult: 5,
                passive: false,
            };
            let mut s = bfd::Session::new(config, 1, bfd::Time::ZERO);
            let _ = s.handle_packet(&p, bfd::Time::from_millis(1), 7);
            for _ in 0..3 {
                if let Some(t) = s.next_timeout() {
                    let _ = s.handle_timeout(t, 9);
                }
            }
        }
    }
}
