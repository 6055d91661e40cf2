//! Expected texts are ipvsadm 1.31's own output for this table, captured in the VM.

use super::*;

fn svc(key: ServiceKey, sched: &str) -> Service {
    Service::new(key).scheduler(sched)
}
fn tcp(a: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: a.parse().unwrap(),
        port,
    }
}
fn entry(d: Destination) -> DestEntry {
    DestEntry {
        dest: d,
        active_conns: 0,
        inactive_conns: 0,
        persist_conns: 0,
        stats: Stats::default(),
    }
}
fn listed(service: Service, dests: Vec<Destination>) -> Listed {
    Listed {
        service: ServiceEntry {
            service,
            stats: Stats::default(),
        },
        dests: dests.into_iter().map(entry).collect(),
    }
}

fn table() -> Vec<Listed> {
    let ipip = Forward::Tunnel {
        kind: TunnelType::Ipip,
        port: 0,
        csum: TunnelCsum::NoCsum,
    };
    let mut sh = svc(tcp("192.168.100.200", 443), "sh").persistent(600);
    sh.flags = sh.flags.with(
        ServiceFlags::SH_FALLBACK | ServiceFlags::SH_PORT | ServiceFlags::HASHED,
        true,
    );
    sh.netmask = 0xffff_ff00;
    let mut d1 = Destination::new("10.0.0.1".parse().unwrap(), 443, Forward::DirectRoute, 1);
    d1.u_threshold = 100;
    d1.l_threshold = 10;
    let d2 = Destination::new("10.0.0.2".parse().unwrap(), 443, ipip, 2);
    let mut mh = svc(
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "10.1.1.1".parse().unwrap(),
            port: 53,
        },
        "mh",
    );
    mh.flags = mh.flags.with(
        ServiceFlags::MH_FALLBACK | ServiceFlags::MH_PORT | ServiceFlags::ONE_PACKET,
        true,
    );
    let mut wrr = svc(tcp("10.1.1.1", 80), "wrr");
    wrr.flags = wrr.flags.with(ServiceFlags::SCHED1, true);
    let sctp = svc(
        ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr: "10.1.1.1".parse().unwrap(),
            port: 9,
        },
        "rr",
    );
    let v6key = tcp("2001:db8:1234:5678:9abc:def0:1234:5678", 65535);
    let mut nq = svc(v6key, "nq").persistent(30);
    nq.netmask = 64;
    nq.pe_name = Some("sip".into());
    let v6d = Destination::new(
        "2001:db8:1234:5678:9abc:def0:1234:1".parse().unwrap(),
        65535,
        Forward::Nat,
        1,
    );
    // Kernel order is arbitrary: give it scrambled.
    vec![
        listed(
            svc(
                ServiceKey::Fwmark {
                    family: Family::Inet6,
                    mark: 6,
                },
                "lblc",
            )
            .persistent(360),
            vec![],
        ),
        listed(wrr, vec![]),
        listed(nq, vec![v6d]),
        listed(svc(tcp("1.2.3.4", 0), "rr").persistent(360), vec![]),
        listed(sh, vec![d2, d1]),
        listed(sctp, vec![]),
        listed(
            svc(
                ServiceKey::Fwmark {
                    family: Family::Inet,
                    mark: 5,
                },
                "lc",
            ),
            vec![],
        ),
        listed(mh, vec![]),
    ]
}

const INFO: Info = Info {
    version: 0x010201,
    conn_table_size: 4096,
};

fn numeric(columns: Columns) -> Format {
    Format {
        columns,
        numeric: true,
        ..Format::default()
    }
}

#[test]
fn default_listing_matches_ipvsadm() {
    let expect = "\
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.168.100.200:443 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0
  -> 10.0.0.1:443                 Route   1      0          0         
  -> 10.0.0.2:443                 Tunnel  2      0          0         
TCP  1.2.3.4:0 rr persistent 360
TCP  10.1.1.1:80 wrr (flag-1)
UDP  10.1.1.1:53 mh (mh-fallback,mh-port) ops
SCTP 10.1.1.1:9 rr
TCP  [2001:db8:1234:5678:9abc:def0:1234:5678]:65535 nq persistent 30 mask 64 pe sip
  -> [2001:db8:1234:5678:9abc:def0:1234:1]:65535 Masq    1      0          0         
FWM  5 lc
FWM  6 IPv6 lblc persistent 360
";
    assert_eq!(
        list_all(&INFO, &table(), &numeric(Columns::Default), &NoNames),
        expect
    );
}

#[test]
fn tun_info_thresholds_persistent_conn_stats() {
    let got = list_all(&INFO, &table(), &numeric(Columns::TunInfo), &NoNames);
    assert!(got.contains(
        "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
    ));
    assert!(got.contains(
        "  -> 10.0.0.1:443                 Route   n/a           1      0          0         \n"
    ));
    assert!(got.contains(
        "  -> 10.0.0.2:443                 Tunnel  ipip          2      0          0         \n"
    ));
    let got = list_all(&INFO, &table(), &numeric(Columns::Thresholds), &NoNames);
    assert!(got.contains("Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n"));
    assert!(got.contains(
        "  -> 10.0.0.1:443                 100        10         0          0         \n"
    ));
    let got = list_all(&INFO, &table(), &numeric(Columns::PersistentConn), &NoNames);
    assert!(got.contains(
        "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
    ));
    assert!(got.contains(
        "  -> 10.0.0.2:443                 2         0           0          0         \n"
    ));
    let got = list_all(&INFO, &table(), &numeric(Columns::Stats), &NoNames);
    assert!(got.contains(
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
    ));
    assert!(got.contains("TCP  [2001:db8:1234:5678:9abc:def0:1234:5678]:65535        0        0        0        0        0\n"));
    assert!(got.contains(
        "FWM  6 IPv6                              0        0        0        0        0\n"
    ));
    let got = list_all(&INFO, &table(), &numeric(Columns::Rate), &NoNames);
    assert!(got.contains(
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
    ));
}

#[test]
fn one_service_has_no_header() {
    let t = table();
    let wrr = t
        .iter()
        .find(|l| l.service.service.scheduler == "wrr")
        .unwrap();
    assert_eq!(
        list_one(wrr, &numeric(Columns::Default), &NoNames),
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  10.1.1.1:80 wrr (flag-1)\n"
    );
}

#[test]
fn names_from_files() {
    let n = FileNames::parse(
        "127.0.0.1 localhost\n# x\n",
        "http 80/tcp www\nhttps 443/tcp\ndomain 53/udp\n",
    );
    let f = Format::default();
    let t = table();
    let got = list_all(&INFO, &t, &f, &n);
    assert!(got.contains("TCP  192.168.100.200:https sh"));
    assert!(got.contains("  -> 10.0.0.1:https               Route"));
    assert!(got.contains("UDP  10.1.1.1:domain mh"));
    assert!(got.contains("SCTP 10.1.1.1:9 rr"));
    assert_eq!(
        n.host(&"127.0.0.1".parse().unwrap()).as_deref(),
        Some("localhost")
    );
}

#[test]
fn largenum_scales_and_exact_widens() {
    let mut s = String::new();
    for v in [
        0,
        99_999_999,
        100_000_000,
        1_000_000_000,
        100_000_000_000,
        100_000_000_000_000,
    ] {
        largenum(&mut s, v, false);
    }
    assert_eq!(s, "        0 99999999  100000K    1000M     100G     100T");
    let mut s = String::new();
    largenum(&mut s, 1_234_567_890, true);
    largenum(&mut s, 5, true);
    assert_eq!(s, " 1234567890        5");
}

#[test]
fn timeouts_and_daemons() {
    assert_eq!(
        timeouts(&Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300
        }),
        "Timeout (tcp tcpfin udp): 900 120 300\n"
    );
    let d = SyncDaemon {
        state: SyncState::Backup,
        interface: "eth0".into(),
        sync_id: 3,
        maxlen: 1472,
        port: 8848,
        ttl: 1,
        group: Some("224.0.0.81".parse().unwrap()),
    };
    assert_eq!(daemons(&[d]), "backup sync daemon (mcast=eth0, syncid=3, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n");
}

#[test]
fn connections_from_proc() {
    let proc_text = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n\
TCP 0A000001 D431 C0000201 0050 0A000002 0050 ESTABLISHED     899\n\
UDP 2001:0db8:0000:0000:0000:0000:0000:0001 0035 2001:0db8:0000:0000:0000:0000:0000:0002 0035 2001:0db8:0000:0000:0000:0000:0000:0003 0035 UDP             125\n";
    let got = connections(proc_text, &numeric(Columns::Default), &NoNames);
    assert_eq!(
        got,
        "IPVS connection entries\n\
pro expire state       source             virtual            destination\n\
TCP 14:59  ESTABLISHED 10.0.0.1:54321     192.0.2.1:80       10.0.0.2:80\n\
UDP 02:05  UDP         [2001:db8::1]:53   [2001:db8::2]:53   [2001:db8::3]:53\n"
    );
}
