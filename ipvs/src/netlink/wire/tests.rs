//! Encoders and decoders against byte vectors written out by hand from ip_vs.h's layouts.
//! (These tests assume a little-endian host, like every machine the project runs on.)

use super::*;

fn v4(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// len(u16) type(u16) payload, padded.
fn tlv(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_le_bytes());
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn nest(ty: u16, inner: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = inner.concat();
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + body.len()) as u16).to_le_bytes());
    v.extend_from_slice(&(ty | 0x8000).to_le_bytes());
    v.extend_from_slice(&body);
    v
}

fn addr16(a: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..4].copy_from_slice(&a);
    b
}

#[test]
fn tcp_service_add_encodes_like_ip_vs_h() {
    let key = ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: v4("192.0.2.1"),
        port: 80,
    };
    let mut s = Service::new(key).scheduler("rr").persistent(300);
    s.netmask = Service::netmask_v4("255.255.255.0".parse().unwrap());
    let mut w = AttrWriter::new();
    put_service(&mut w, &s);
    let expect = nest(
        1,
        &[
            tlv(1, &2u16.to_le_bytes()),
            tlv(2, &6u16.to_le_bytes()),
            tlv(3, &addr16([192, 0, 2, 1])),
            tlv(4, &[0, 80]),
            tlv(6, b"rr\0"),
            tlv(7, &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
            tlv(8, &300u32.to_le_bytes()),
            tlv(9, &[255, 255, 255, 0]),
        ],
    );
    assert_eq!(w.buf, expect);
}

#[test]
fn fwmark_ipv6_key_and_prefix_netmask() {
    let key = ServiceKey::Fwmark {
        family: Family::Inet6,
        mark: 7,
    };
    let mut w = AttrWriter::new();
    put_service_key(&mut w, &key);
    assert_eq!(
        w.buf,
        nest(
            1,
            &[tlv(1, &10u16.to_le_bytes()), tlv(5, &7u32.to_le_bytes())]
        )
    );
    let mut w = AttrWriter::new();
    put_service(&mut w, &Service::new(key));
    let tail = tlv(9, &128u32.to_le_bytes());
    assert!(w.buf.ends_with(&tail));
}

#[test]
fn gue_tunnel_dest_encodes_type_port_flags() {
    let d = Destination {
        addr: v4("10.0.0.2"),
        port: 8080,
        forward: Forward::Tunnel {
            kind: TunnelType::Gue,
            port: 6080,
            csum: TunnelCsum::RemCsum,
        },
        weight: 3,
        u_threshold: 100,
        l_threshold: 10,
    };
    let mut w = AttrWriter::new();
    put_dest(&mut w, Family::Inet, &d, false);
    let expect = nest(
        2,
        &[
            tlv(1, &addr16([10, 0, 0, 2])),
            tlv(2, &8080u16.to_be_bytes()),
            tlv(3, &2u32.to_le_bytes()),
            tlv(4, &3u32.to_le_bytes()),
            tlv(13, &[1]),
            tlv(14, &6080u16.to_be_bytes()),
            tlv(15, &2u16.to_le_bytes()),
            tlv(5, &100u32.to_le_bytes()),
            tlv(6, &10u32.to_le_bytes()),
        ],
    );
    assert_eq!(w.buf, expect);
    // And it decodes back (the kernel sends more attributes; all are optional but the address).
    let inner = &w.buf[4..];
    assert_eq!(decode_dest(inner, Family::Inet).unwrap().dest, d);
}

#[test]
fn ipv6_dest_in_ipv4_service_carries_its_family() {
    let d = Destination::new(
        "2001:db8::2".parse().unwrap(),
        0,
        Forward::Tunnel {
            kind: TunnelType::Ipip,
            port: 0,
            csum: TunnelCsum::NoCsum,
        },
        1,
    );
    let mut w = AttrWriter::new();
    put_dest(&mut w, Family::Inet, &d, true);
    let mut a16 = [0u8; 16];
    a16.copy_from_slice(
        &"2001:db8::2"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets(),
    );
    assert_eq!(
        w.buf,
        nest(
            2,
            &[tlv(11, &10u16.to_le_bytes()), tlv(1, &a16), tlv(2, &[0, 0])]
        )
    );
}

#[test]
fn genl_message_header() {
    let m = genl_message(0x1c, NLM_F_REQUEST | NLM_F_ACK, 7, cmd::FLUSH, 1, &[]);
    assert_eq!(
        m,
        vec![20, 0, 0, 0, 0x1c, 0, 5, 0, 7, 0, 0, 0, 0, 0, 0, 0, 17, 1, 0, 0]
    );
}

#[test]
fn decodes_a_kernel_service_reply_with_stats64() {
    let stats64 = nest(
        12,
        &[
            tlv(1, &5u64.to_le_bytes()),
            tlv(2, &600u64.to_le_bytes()),
            tlv(4, &123_456_789_012u64.to_le_bytes()),
            tlv(6, &2u64.to_le_bytes()),
        ],
    );
    let stats32 = nest(10, &[tlv(1, &4u32.to_le_bytes())]);
    let body = [
        tlv(1, &2u16.to_le_bytes()),
        tlv(2, &17u16.to_le_bytes()),
        tlv(3, &addr16([192, 0, 2, 9])),
        tlv(4, &53u16.to_be_bytes()),
        tlv(6, b"sh\0"),
        tlv(
            7,
            &[0x2 | 0x4 | 0x8 | 0x10, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
        ),
        tlv(8, &0u32.to_le_bytes()),
        tlv(9, &[255, 255, 255, 255]),
        stats32,
        stats64,
    ]
    .concat();
    let e = decode_service(&body).unwrap();
    assert_eq!(
        e.service.key,
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: v4("192.0.2.9"),
            port: 53
        }
    );
    assert_eq!(e.service.scheduler, "sh");
    assert!(e
        .service
        .flags
        .has(ServiceFlags::ONE_PACKET | ServiceFlags::SH_FALLBACK | ServiceFlags::SH_PORT));
    assert_eq!(e.service.netmask, 0xffff_ffff);
    assert_eq!(e.stats.conns, 5, "stats64 wins over stats");
    assert_eq!(e.stats.inbytes, 123_456_789_012);
    assert_eq!(e.stats.cps, 2);
}

#[test]
fn decode_rejects_garbage_without_panicking() {
    assert!(decode_service(&[]).is_err());
    assert!(
        decode_service(&[8, 0, 1, 0]).is_err(),
        "attribute longer than the buffer"
    );
    assert!(
        decode_service(&tlv(1, &99u16.to_le_bytes())).is_err(),
        "unknown family"
    );
    assert!(
        decode_dest(&tlv(3, &9u32.to_le_bytes()), Family::Inet).is_err(),
        "no address"
    );
    assert!(decode_info(&tlv(1, &1u32.to_le_bytes())).is_err());
    for n in 0..40u8 {
        let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
        let _ = decode_service(&junk);
        let _ = decode_dest(&junk, Family::Inet6);
        let _ = decode_daemon(&junk);
        let _ = replies(&junk).count();
    }
}

#[test]
fn replies_split_ack_error_done_and_data() {
    let mut buf = Vec::new();
    // ACK for seq 1.
    buf.extend_from_slice(&36u32.to_le_bytes());
    buf.extend_from_slice(&2u16.to_le_bytes());
    buf.extend_from_slice(&[0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    buf.extend_from_slice(&0i32.to_le_bytes());
    buf.extend_from_slice(&[0; 16]);
    // EEXIST for seq 2.
    buf.extend_from_slice(&36u32.to_le_bytes());
    buf.extend_from_slice(&2u16.to_le_bytes());
    buf.extend_from_slice(&[0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    buf.extend_from_slice(&(-17i32).to_le_bytes());
    buf.extend_from_slice(&[0; 16]);
    // Data: info reply.
    let info = [
        tlv(1, &0x010201u32.to_le_bytes()),
        tlv(2, &4096u32.to_le_bytes()),
    ]
    .concat();
    buf.extend_from_slice(&genl_message(0x1c, 0, 3, cmd::SET_INFO, 1, &info));
    // Done.
    buf.extend_from_slice(&[20, 0, 0, 0, 3, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let r: Vec<_> = replies(&buf).collect::<Result<_, _>>().unwrap();
    assert_eq!(r[0], Reply::Ack { seq: 1, errno: 0 });
    assert_eq!(r[1], Reply::Ack { seq: 2, errno: 17 });
    match r[2] {
        Reply::Data {
            seq: 3,
            command: cmd::SET_INFO,
            attrs,
        } => {
            let i = decode_info(attrs).unwrap();
            assert_eq!(i.version_string(), "1.2.1");
            assert_eq!(i.conn_table_size, 4096);
        }
        ref other => panic!("{other:?}"),
    }
    assert_eq!(r[3], Reply::Done { seq: 3 });
}

#[test]
fn daemon_round_trip_and_family_id() {
    let d = SyncDaemon {
        state: SyncState::Backup,
        interface: "eth0".into(),
        sync_id: 9,
        maxlen: 1400,
        port: 8848,
        ttl: 2,
        group: Some(v4("224.0.0.81")),
    };
    let mut w = AttrWriter::new();
    put_daemon(&mut w, &d);
    assert_eq!(&w.buf[..4], &[(w.buf.len() as u8), 0, 3, 0x80]);
    assert_eq!(decode_daemon(&w.buf[4..]).unwrap(), d);
    let reply = [tlv(2, b"IPVS\0"), tlv(1, &0x1du16.to_le_bytes())].concat();
    assert_eq!(family_id(&reply).unwrap(), 0x1d);
    let t = Timeouts {
        tcp: 900,
        tcp_fin: 120,
        udp: 300,
    };
    let mut w = AttrWriter::new();
    put_timeouts(&mut w, &t);
    assert_eq!(decode_timeouts(&w.buf).unwrap(), t);
}

#[test]
fn unused_tunnel_fields_decode_as_unset() {
    // The kernel reports a tunnel port and flags for every destination; an IPIP one has neither.
    let body = [
        tlv(1, &addr16([10, 0, 0, 9])),
        tlv(2, &80u16.to_be_bytes()),
        tlv(3, &2u32.to_le_bytes()),
        tlv(13, &[0]),
        tlv(14, &6080u16.to_be_bytes()),
        tlv(15, &1u16.to_le_bytes()),
    ]
    .concat();
    let d = decode_dest(&body, Family::Inet).unwrap().dest;
    assert_eq!(
        d.forward,
        Forward::Tunnel {
            kind: TunnelType::Ipip,
            port: 0,
            csum: TunnelCsum::NoCsum
        }
    );
}
