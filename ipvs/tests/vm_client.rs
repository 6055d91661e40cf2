//! The netlink client and the reconciler against a real kernel (run in the VM; each test in its
//! own network namespace). `ipvsadm` is the independent witness of what the kernel holds.

mod common;

use common::{in_netns, ipvs_test_env, ipvsadm};
use ipvs::listing::{self, Columns, Format, Listed, NoNames};
use ipvs::*;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}
fn tcp(a: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        protocol: Protocol::Tcp,
        addr: ip(a),
        port,
    }
}
fn dest(a: &str, port: u16, forward: Forward, weight: u32) -> Destination {
    Destination::new(ip(a), port, forward, weight)
}

/// Every kind of service and destination.
fn every_kind() -> Desired {
    let mut d = Desired::default();
    let mut push = |service: Service, dests: Vec<Destination>| {
        d.services.push(ServiceState { service, dests })
    };
    let mut sh = Service::new(tcp("192.0.2.1", 80))
        .scheduler("sh")
        .persistent(600);
    sh.flags = sh
        .flags
        .with(ServiceFlags::SH_FALLBACK | ServiceFlags::SH_PORT, true);
    sh.netmask = 0xffff_ff00;
    let mut t = dest("10.0.0.1", 8080, Forward::Nat, 3);
    t.u_threshold = 100;
    t.l_threshold = 10;
    push(
        sh,
        vec![
            t,
            dest(
                "10.0.0.2",
                80,
                Forward::Tunnel {
                    kind: TunnelType::Gue,
                    port: 6080,
                    csum: TunnelCsum::Csum,
                },
                2,
            ),
            dest(
                "10.0.0.3",
                80,
                Forward::Tunnel {
                    kind: TunnelType::Gre,
                    port: 0,
                    csum: TunnelCsum::Csum,
                },
                1,
            ),
            dest(
                "10.0.0.4",
                80,
                Forward::Tunnel {
                    kind: TunnelType::Ipip,
                    port: 0,
                    csum: TunnelCsum::NoCsum,
                },
                0,
            ),
            dest("10.0.0.5", 80, Forward::DirectRoute, 1),
        ],
    );
    let mut mh = Service::new(ServiceKey::Addr {
        protocol: Protocol::Udp,
        addr: ip("192.0.2.2"),
        port: 53,
    })
    .scheduler("mh");
    mh.flags = mh
        .flags
        .with(ServiceFlags::MH_PORT | ServiceFlags::ONE_PACKET, true);
    push(mh, vec![dest("10.0.1.1", 53, Forward::Nat, 1)]);
    push(
        Service::new(ServiceKey::Addr {
            protocol: Protocol::Sctp,
            addr: ip("192.0.2.3"),
            port: 9,
        })
        .scheduler("rr"),
        vec![dest("10.0.2.1", 9, Forward::DirectRoute, 1)],
    );
    push(
        Service::new(ServiceKey::Fwmark {
            family: Family::Inet,
            mark: 5,
        })
        .scheduler("wrr"),
        vec![
            dest("10.0.3.1", 0, Forward::DirectRoute, 5),
            dest("10.0.3.2", 0, Forward::DirectRoute, 6),
        ],
    );
    let mut v6 = Service::new(tcp("2001:db8::1", 443))
        .scheduler("lblcr")
        .persistent(30);
    v6.netmask = 64;
    push(v6, vec![dest("2001:db8::10", 443, Forward::Nat, 1)]);
    push(
        Service::new(ServiceKey::Fwmark {
            family: Family::Inet6,
            mark: 6,
        })
        .scheduler("dh"),
        vec![dest("2001:db8::20", 0, Forward::DirectRoute, 1)],
    );
    // IPv6 real server behind an IPv4 service: tunnels only.
    push(
        Service::new(tcp("192.0.2.4", 80)).scheduler("lc"),
        vec![dest(
            "2001:db8::30",
            80,
            Forward::Tunnel {
                kind: TunnelType::Ipip,
                port: 0,
                csum: TunnelCsum::NoCsum,
            },
            1,
        )],
    );
    d
}

fn sync(c: &mut Client, want: &Desired) -> Plan {
    let actual = c.state().expect("state");
    let p = plan(want, &actual, &Ownership::of(want), Options::default());
    c.apply(&p.ops).expect("apply");
    p
}

const EVERY_KIND_LN: &str = "\
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.1:80 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0
  -> 10.0.0.1:8080                Masq    3      0          0         
  -> 10.0.0.2:80                  Tunnel  2      0          0         
  -> 10.0.0.3:80                  Tunnel  1      0          0         
  -> 10.0.0.4:80                  Tunnel  0      0          0         
  -> 10.0.0.5:80                  Route   1      0          0         
TCP  192.0.2.4:80 lc
  -> [2001:db8::30]:80            Tunnel  1      0          0         
UDP  192.0.2.2:53 mh (mh-port) ops
  -> 10.0.1.1:53                  Masq    1      0          0         
SCTP 192.0.2.3:9 rr
  -> 10.0.2.1:9                   Route   1      0          0         
TCP  [2001:db8::1]:443 lblcr persistent 30 mask 64
  -> [2001:db8::10]:443           Masq    1      0          0         
FWM  5 wrr
  -> 10.0.3.1:0                   Route   5      0          0         
  -> 10.0.3.2:0                   Route   6      0          0         
FWM  6 IPv6 dh
  -> [2001:db8::20]:0             Route   1      0          0         
";

#[test]
fn vm_every_kind_of_service_is_programmed_exactly() {
    if !ipvs_test_env("vm_every_kind_of_service_is_programmed_exactly") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().expect("open");
        let want = every_kind();
        let p = sync(&mut c, &want);
        let n_dests: usize = want.services.iter().map(|s| s.dests.len()).sum();
        assert_eq!(p.ops.len(), want.services.len() + n_dests);
        let shown = ipvsadm(&["-Ln"]);
        let body = shown.split_once('\n').map(|x| x.1).unwrap_or("");
        assert_eq!(body, EVERY_KIND_LN);
        // Read back equals what was asked (the kernel's hashed flag aside).
        let again = plan(
            &want,
            &c.state().unwrap(),
            &Ownership::of(&want),
            Options::default(),
        );
        assert!(again.ops.is_empty(), "{:?}", again.ops);
    });
}

#[test]
fn vm_a_config_change_applies_only_the_difference() {
    if !ipvs_test_env("vm_a_config_change_applies_only_the_difference") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().expect("open");
        let mut want = every_kind();
        sync(&mut c, &want);
        // Change: one weight, one scheduler, one real server removed, one added, one service gone.
        want.services[0].dests[0].weight = 9;
        want.services[1].service.scheduler = "rr".into();
        want.services[1].service.flags = ServiceFlags::default();
        want.services[3].dests.pop();
        want.services[3]
            .dests
            .push(dest("10.0.3.9", 0, Forward::DirectRoute, 1));
        let gone = want.services.remove(2).service.key;
        let mut own = Ownership::of(&every_kind());
        own.extend(&want);
        let before = c.requests;
        let actual = c.state().unwrap();
        let p = plan(&want, &actual, &own, Options::default());
        c.apply(&p.ops).unwrap();
        assert_eq!(c.requests - before, 5, "netlink requests: {:?}", p.ops);
        assert!(
            !ipvsadm(&["-Ln"]).contains("SCTP"),
            "{gone} was not deleted"
        );
        assert!(ipvsadm(&["-Ln"]).contains("  -> 10.0.0.1:8080                Masq    9 "));
        let again = plan(
            &want,
            &c.state().unwrap(),
            &Ownership::of(&want),
            Options::default(),
        );
        assert!(again.ops.is_empty());
    });
}

#[test]
fn vm_hand_edits_are_put_back_and_foreign_services_survive() {
    if !ipvs_test_env("vm_hand_edits_are_put_back_and_foreign_services_survive") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().expect("open");
        let want = every_kind();
        sync(&mut c, &want);
        let reference = ipvsadm(&["-Ln"]);
        ipvsadm(&["-A", "-t", "203.0.113.1:25", "-s", "rr"]);
        ipvsadm(&["-a", "-t", "203.0.113.1:25", "-r", "10.9.9.9:25", "-m"]);
        ipvsadm(&[
            "-e",
            "-t",
            "192.0.2.1:80",
            "-r",
            "10.0.0.1:8080",
            "-m",
            "-w",
            "1",
        ]);
        ipvsadm(&["-d", "-t", "192.0.2.1:80", "-r", "10.0.0.5:80"]);
        ipvsadm(&["-E", "-f", "5", "-s", "rr"]);
        ipvsadm(&["-D", "-u", "192.0.2.2:53"]);
        ipvsadm(&["-a", "-f", "5", "-r", "10.0.3.7", "-g"]);
        let p = sync(&mut c, &want);
        assert_eq!(p.foreign, vec![tcp("203.0.113.1", 25)]);
        assert_eq!(
            p.ops.len(),
            1 + 1 + 1 + 1 + 1 + 1,
            "edit dest, add dest, edit service, add service + its dest, delete stray dest: {:?}",
            p.ops
        );
        let now = ipvsadm(&["-Ln"]);
        assert!(
            now.contains("TCP  203.0.113.1:25 rr\n  -> 10.9.9.9:25"),
            "foreign service lost:\n{now}"
        );
        let without_foreign: String = {
            let mut lines: Vec<&str> = now.lines().collect();
            let i = lines
                .iter()
                .position(|l| l.starts_with("TCP  203.0.113.1:25"))
                .unwrap();
            lines.drain(i..i + 2);
            lines.iter().map(|l| format!("{l}\n")).collect()
        };
        assert_eq!(without_foreign, reference);
    });
}

#[test]
fn vm_restart_adopts_in_place() {
    if !ipvs_test_env("vm_restart_adopts_in_place") {
        return;
    }
    in_netns(|| {
        let want = every_kind();
        sync(&mut Client::open().unwrap(), &want);
        // A new process: new socket, no memory of what it did.
        let mut c = Client::open().unwrap();
        let p = sync(&mut c, &want);
        assert!(p.ops.is_empty(), "{:?}", p.ops);
        assert_eq!(c.requests, 0);
        // A restart with a changed weight and timeout: edits only, never delete + add.
        let mut want2 = want.clone();
        want2.services[0].service.timeout = 900;
        want2.services[0].dests[1].weight = 7;
        let p = sync(&mut c, &want2);
        assert_eq!(p.ops.len(), 2);
        assert!(
            p.ops
                .iter()
                .all(|o| matches!(o, Op::EditService(_) | Op::EditDest(..))),
            "{:?}",
            p.ops
        );
    });
}

#[test]
fn vm_kernel_errors_are_typed_and_name_the_operation() {
    if !ipvs_test_env("vm_kernel_errors_are_typed_and_name_the_operation") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().unwrap();
        let s = Service::new(tcp("192.0.2.9", 80)).scheduler("rr");
        c.add_service(&s).unwrap();
        let e = c.add_service(&s).unwrap_err();
        assert_eq!(e.errno(), Some(17));
        assert!(matches!(&e, Error::Kernel { op: Operation::AddService(k), .. } if *k == s.key));
        assert!(
            e.to_string().contains("add service TCP 192.0.2.9:80"),
            "{e}"
        );
        let e = c
            .add_service(&Service::new(tcp("192.0.2.9", 81)).scheduler("nosuch"))
            .unwrap_err();
        assert_eq!(e.errno(), Some(2), "{e}");
        let e = c
            .del_dest(
                &s.key,
                &DestKey {
                    addr: ip("10.0.0.1"),
                    port: 80,
                },
            )
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::Kernel {
                    op: Operation::DelDest(..),
                    ..
                }
            ),
            "{e}"
        );
        let e = c.del_service(&tcp("192.0.2.99", 80)).unwrap_err();
        assert_eq!(e.errno(), Some(3), "{e}");
        // A failing op inside a pipelined batch is reported with its own name.
        let ops = vec![
            Op::AddDest(s.key, dest("10.0.0.1", 80, Forward::Nat, 1)),
            Op::AddService(s.clone()),
        ];
        let e = c.apply(&ops).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Kernel {
                    op: Operation::AddService(_),
                    errno: 17
                }
            ),
            "{e}"
        );
    });
}

#[test]
fn vm_timeouts_daemons_info_zero_flush() {
    if !ipvs_test_env("vm_timeouts_daemons_info_zero_flush") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().unwrap();
        let info = c.info().unwrap();
        assert_eq!(info.version_string(), "1.2.1");
        assert!(ipvsadm(&["-Ln"]).starts_with(&listing::header(&info)));
        c.set_timeouts(&Timeouts {
            tcp: 1000,
            tcp_fin: 0,
            udp: 200,
        })
        .unwrap();
        let t = c.timeouts().unwrap();
        assert_eq!((t.tcp, t.udp), (1000, 200));
        assert_eq!(ipvsadm(&["-L", "--timeout"]), listing::timeouts(&t));
        std::process::Command::new("ip")
            .args(["link", "set", "lo", "up"])
            .status()
            .unwrap();
        let d = SyncDaemon {
            state: SyncState::Master,
            interface: "lo".into(),
            sync_id: 7,
            maxlen: 0,
            port: 0,
            ttl: 0,
            group: None,
        };
        c.start_daemon(&d).unwrap();
        let ds = c.daemons().unwrap();
        assert_eq!(ds.len(), 1);
        assert_eq!(
            (ds[0].state, ds[0].interface.as_str(), ds[0].sync_id),
            (SyncState::Master, "lo", 7)
        );
        assert_eq!(ipvsadm(&["-L", "--daemon"]), listing::daemons(&ds));
        c.stop_daemon(SyncState::Master).unwrap();
        assert!(c.daemons().unwrap().is_empty());
        sync(&mut c, &every_kind());
        c.zero(None).unwrap();
        c.zero(Some(&tcp("192.0.2.1", 80))).unwrap();
        c.flush().unwrap();
        assert!(c.services().unwrap().is_empty());
    });
}

/// Every scheduler, forwarding method, persistence, thresholds, fwmark: our listing of what the
/// client reads equals ipvsadm's, for every listing option.
#[test]
fn vm_listing_is_ipvsadms_byte_for_byte() {
    if !ipvs_test_env("vm_listing_is_ipvsadms_byte_for_byte") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().unwrap();
        let mut want = every_kind();
        let scheds = [
            "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf",
            "twos",
        ];
        // ipvsadm's classic ten must be there; mh fo ovf twos where this kernel has them.
        let scheds: Vec<&str> = scheds
            .into_iter()
            .filter(|s| {
                let have = std::path::Path::new(&format!("/sys/module/ip_vs_{s}")).exists();
                assert!(
                    have || ["mh", "fo", "ovf", "twos"].contains(s),
                    "scheduler {s} missing"
                );
                if !have {
                    eprintln!("note: this kernel has no {s} scheduler; not listed");
                }
                have
            })
            .collect();
        for (i, s) in scheds.iter().enumerate() {
            let mut svc =
                Service::new(tcp(&format!("198.51.100.{}", 200 - i), 1000 + i as u16)).scheduler(s);
            if i % 3 == 0 {
                svc = svc.persistent(100 + i as u32);
            }
            if i % 4 == 1 {
                svc.flags = svc
                    .flags
                    .with(ServiceFlags::SCHED1 | ServiceFlags::SCHED3, true);
            }
            let mut d = dest(&format!("10.1.{i}.1"), 80, Forward::Nat, i as u32);
            d.u_threshold = 10 * i as u32;
            d.l_threshold = i as u32;
            want.services.push(ServiceState {
                service: svc,
                dests: vec![d, dest(&format!("10.1.{i}.2"), 80, Forward::DirectRoute, 1)],
            });
        }
        let mut sip = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: ip("198.51.100.1"),
            port: 5060,
        })
        .persistent(60);
        sip.pe_name = Some("sip".into());
        want.services.push(ServiceState {
            service: sip,
            dests: vec![],
        });
        want.services.push(ServiceState {
            service: Service::new(ServiceKey::Fwmark {
                family: Family::Inet,
                mark: 0x8000_0001,
            }),
            dests: vec![],
        });
        sync(&mut c, &want);
        let info = c.info().unwrap();
        let mut all = Vec::new();
        for service in c.services().unwrap() {
            let dests = c.dests(&service.service.key).unwrap();
            all.push(Listed { service, dests });
        }
        let cases: [(&[&str], Columns, bool); 8] = [
            (&[], Columns::Default, false),
            (&["--stats"], Columns::Stats, false),
            (&["--rate"], Columns::Rate, false),
            (&["--stats", "--exact"], Columns::Stats, true),
            (&["--thresholds"], Columns::Thresholds, false),
            (&["--persistent-conn"], Columns::PersistentConn, false),
            (&["--tun-info"], Columns::TunInfo, false),
            (&["--rate", "--exact"], Columns::Rate, true),
        ];
        for (opts, columns, exact) in cases {
            let mut args = vec!["-Ln"];
            args.extend_from_slice(opts);
            let f = Format {
                columns,
                numeric: true,
                exact,
                nosort: false,
            };
            assert_eq!(
                listing::list_all(&info, &all, &f, &NoNames),
                ipvsadm(&args),
                "ipvsadm {args:?}"
            );
        }
        let one = all
            .iter()
            .find(|l| l.service.service.key == tcp("192.0.2.1", 80))
            .unwrap();
        assert_eq!(
            listing::list_one(
                one,
                &Format {
                    numeric: true,
                    ..Format::default()
                },
                &NoNames
            ),
            ipvsadm(&["-Ln", "-t", "192.0.2.1:80"])
        );
    });
}

/// The one-by-one read: the service dump, then each service's destination dump in turn on the
/// client's own socket.
fn one_by_one(c: &mut Client) -> Vec<(ServiceEntry, Vec<DestEntry>)> {
    let services = c.services().expect("services");
    services
        .into_iter()
        .map(|s| {
            let d = c.dests(&s.service.key).expect("dests");
            (s, d)
        })
        .collect()
}

#[test]
fn vm_pipelined_read_equals_the_one_by_one_read() {
    if !ipvs_test_env("vm_pipelined_read_equals_the_one_by_one_read") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().expect("open");
        // Every kind, plus 600 services with 0 to 6 destinations, plus one with 400 (its dump
        // spans several netlink messages and several reads).
        let mut want = every_kind();
        for i in 0..600u32 {
            let key = tcp(&format!("198.18.{}.{}", i / 250, i % 250 + 1), 80);
            let dests = (0..i % 7)
                .map(|r| {
                    dest(
                        &format!("10.1.{}.{}", i / 250, r + 1),
                        8000 + i as u16,
                        Forward::Nat,
                        r + 1,
                    )
                })
                .collect();
            want.services.push(ServiceState {
                service: Service::new(key).scheduler("wrr"),
                dests,
            });
        }
        let big = (0..400u32)
            .map(|r| {
                dest(
                    &format!("10.2.{}.{}", r / 200, r % 200 + 1),
                    80,
                    Forward::DirectRoute,
                    r,
                )
            })
            .collect();
        want.services.push(ServiceState {
            service: Service::new(tcp("198.18.9.1", 443)),
            dests: big,
        });
        sync(&mut c, &want);

        let expect = one_by_one(&mut c);
        assert_eq!(expect.len(), want.services.len());
        assert_eq!(expect.iter().map(|(_, d)| d.len()).max(), Some(400));
        let keys: Vec<ServiceKey> = expect.iter().map(|(s, _)| s.service.key).collect();
        for window in [1, 3, 16, 64, 10_000] {
            let t = std::time::Instant::now();
            let got = c.dests_of(&keys, window).expect("dests_of");
            eprintln!(
                "dests_of, window {window}: {} services in {:?} (information only)",
                keys.len(),
                t.elapsed()
            );
            assert_eq!(got.len(), expect.len());
            for ((s, want), got) in expect.iter().zip(&got) {
                assert!(got == want, "window {window}, service {}", s.service.key);
            }
        }
        // state() (the pipelined read) is the one-by-one read without the counters.
        let state = c.state().expect("state");
        let plain: Vec<ServiceState> = expect
            .iter()
            .map(|(s, d)| ServiceState {
                service: s.service.clone(),
                dests: d.iter().map(|d| d.dest).collect(),
            })
            .collect();
        assert!(state == plain, "state() differs from the one-by-one read");
        assert!(dests_of_nothing_is_nothing(&mut c));

        // A service that is not there: the kernel's dump is empty (no error), for both reads.
        let mut with_missing = keys.clone();
        let missing = tcp("198.18.200.200", 1);
        with_missing.insert(300, missing);
        let got = c
            .dests_of(&with_missing, 16)
            .expect("with a missing service");
        assert!(got[300].is_empty() && c.dests(&missing).expect("one").is_empty());
        assert_eq!(got.len(), keys.len() + 1);
        assert!(got[..300] == got_plain(&expect)[..300] && got[301..] == got_plain(&expect)[300..]);
    });
}

fn got_plain(expect: &[(ServiceEntry, Vec<DestEntry>)]) -> Vec<Vec<DestEntry>> {
    expect.iter().map(|(_, d)| d.clone()).collect()
}

fn dests_of_nothing_is_nothing(c: &mut Client) -> bool {
    c.dests_of(&[], 16).expect("empty").is_empty()
}

/// Why `Client::dests_of` opens a socket per dump in flight: the kernel runs one dump at a time
/// per netlink socket, and refuses a second dump request on that socket with EBUSY.
#[test]
fn vm_the_kernel_runs_one_dump_per_socket() {
    use ipvs::netlink::wire::{self, Reply};
    use neli::consts::socket::{Msg, NlFamily};
    use neli::socket::NlSocket;
    use neli::utils::Groups;
    if !ipvs_test_env("vm_the_kernel_runs_one_dump_per_socket") {
        return;
    }
    in_netns(|| {
        let mut c = Client::open().expect("open");
        let mut want = Desired::default();
        for a in ["192.0.2.1", "192.0.2.2"] {
            want.services.push(ServiceState {
                service: Service::new(tcp(a, 80)),
                dests: vec![dest("10.0.0.1", 80, Forward::DirectRoute, 1)],
            });
        }
        sync(&mut c, &want);
        let sock = NlSocket::connect(NlFamily::Generic, None, Groups::empty()).expect("socket");
        let mut buf = vec![0u8; 65536];
        let mut read = |sock: &NlSocket| {
            let (n, _) = sock.recv(&mut buf[..], Msg::empty()).expect("recv");
            wire::replies(&buf[..n])
                .map(|r| match r.expect("well-formed") {
                    Reply::Data { seq, attrs, .. } => (seq, Some(attrs.to_vec()), None),
                    Reply::Ack { seq, errno } => (seq, None, Some(errno)),
                    Reply::Done { seq } => (seq, None, Some(-1)),
                })
                .collect::<Vec<_>>()
        };
        let getfamily = wire::genl_message(
            wire::GENL_ID_CTRL,
            wire::NLM_F_REQUEST | wire::NLM_F_ACK,
            1,
            wire::CTRL_CMD_GETFAMILY,
            2,
            &wire::getfamily_attrs(wire::IPVS_GENL_NAME),
        );
        sock.send(&getfamily, Msg::empty()).expect("send");
        let family = read(&sock)
            .into_iter()
            .find_map(|(_, d, _)| d)
            .map(|d| wire::family_id(&d).expect("family id"))
            .expect("family reply");
        let mut two = Vec::new();
        for (seq, s) in [(10u32, &want.services[0]), (11, &want.services[1])] {
            let mut w = wire::AttrWriter::new();
            wire::put_service_key(&mut w, &s.service.key);
            two.extend(wire::genl_message(
                family,
                wire::NLM_F_REQUEST | wire::NLM_F_DUMP,
                seq,
                wire::cmd::GET_DEST,
                wire::IPVS_GENL_VERSION,
                &w.buf,
            ));
        }
        sock.send(&two, Msg::empty()).expect("send two dumps");
        // The first dump answers (data, then its end); the second is refused with EBUSY.
        let mut seen = Vec::new();
        while !(seen.contains(&(10, -1)) && seen.iter().any(|&(s, _)| s == 11)) {
            for (seq, data, end) in read(&sock) {
                seen.push((seq, if data.is_some() { 0 } else { end.unwrap_or(0) }));
            }
            assert!(seen.len() < 10, "{seen:?}");
        }
        assert!(
            seen.contains(&(10, 0)),
            "no data for the first dump: {seen:?}"
        );
        assert!(
            seen.contains(&(11, 16)),
            "the second dump was not refused with EBUSY: {seen:?}"
        );
    });
}
