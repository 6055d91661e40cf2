//! `keepalived-rs ipvs sync` and `ipvs list` against a real kernel (run in the VM). Each test
//! runs on its own thread in a fresh network namespace; the commands it starts inherit it.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_keepalived-rs");

fn ipvs_test_env(test: &str) -> bool {
    if std::path::Path::new("/proc/net/ip_vs").exists() {
        return true;
    }
    if std::env::var("KARS_VM").as_deref() == Ok("1") {
        panic!("{test}: KARS_VM=1 but this kernel has no IPVS: the VM harness is broken");
    }
    eprintln!("SKIP: {test}: no IPVS in this kernel; these run in the VM: scripts/test-all vm");
    false
}

fn in_netns<F: FnOnce() + Send + 'static>(body: F) {
    let t = std::thread::spawn(move || {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
        sh("ip link set lo up");
        body();
    });
    if let Err(e) = t.join() {
        std::panic::resume_unwind(e);
    }
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

fn ok(cmd: &str, args: &[&str]) -> String {
    let o = run(cmd, args);
    assert!(
        o.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn sh(script: &str) -> String {
    ok("/bin/sh", &["-c", script])
}

fn conf(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kars-vm-ipvs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const EVERY_KIND: &str = r#"
global_defs {
    lvs_timeouts tcp 1000 tcpfin 100 udp 200
}
virtual_server_group G {
    192.0.2.10-11 80
    fwmark 9
}
virtual_server 192.0.2.1 80 {
    lvs_sched sh
    sh-port
    sh-fallback
    protocol TCP
    persistence_timeout 600
    persistence_granularity 255.255.255.0
    real_server 10.0.0.1 80 {
        weight 3
        uthreshold 100
        lthreshold 10
    }
    real_server 10.0.0.2 80 {
        lvs_method TUN type gue port 6080 csum
    }
    real_server 10.0.0.3 80 {
        lvs_method TUN type gre csum
    }
    real_server 10.0.0.4 80 {
        lvs_method TUN
    }
    real_server 10.0.0.5 80 {
        lvs_method DR
    }
}
virtual_server 192.0.2.2 53 {
    lvs_sched mh
    mh-port
    protocol UDP
    ops
    real_server 10.0.1.1 5353 {
    }
}
virtual_server 192.0.2.3 9 {
    lvs_sched lblcr
    protocol SCTP
    lvs_method DR
    real_server 10.0.2.1 9 {
    }
}
virtual_server fwmark 5 {
    lvs_sched wrr
    lvs_method DR
    real_server 10.0.3.1 0 {
        weight 5
    }
    real_server 10.0.3.2 0 {
        weight 6
    }
}
virtual_server group G {
    lvs_sched lc
    protocol TCP
    lvs_method DR
    persistence_timeout 30
    real_server 10.0.4.1 80 {
    }
}
virtual_server 2001:db8::1 443 {
    lvs_sched nq
    protocol TCP
    persistence_timeout 50
    persistence_granularity 64
    real_server 2001:db8::10 8443 {
        weight 2
    }
}
virtual_server fwmark 6 {
    ip_family inet6
    lvs_sched dh
    lvs_method DR
    real_server 2001:db8::20 0 {
    }
}
"#;

const EVERY_KIND_LN: &str = "\
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.1:80 sh (sh-fallback,sh-port) persistent 600 mask 255.255.255.0
  -> 10.0.0.1:80                  Masq    3      0          0         
  -> 10.0.0.2:80                  Tunnel  1      0          0         
  -> 10.0.0.3:80                  Tunnel  1      0          0         
  -> 10.0.0.4:80                  Tunnel  1      0          0         
  -> 10.0.0.5:80                  Route   1      0          0         
TCP  192.0.2.10:80 lc persistent 30
  -> 10.0.4.1:80                  Route   1      0          0         
TCP  192.0.2.11:80 lc persistent 30
  -> 10.0.4.1:80                  Route   1      0          0         
UDP  192.0.2.2:53 mh (mh-port) ops
  -> 10.0.1.1:5353                Masq    1      0          0         
SCTP 192.0.2.3:9 lblcr
  -> 10.0.2.1:9                   Route   1      0          0         
TCP  [2001:db8::1]:443 nq persistent 50 mask 64
  -> [2001:db8::10]:8443          Masq    2      0          0         
FWM  5 wrr
  -> 10.0.3.1:0                   Route   5      0          0         
  -> 10.0.3.2:0                   Route   6      0          0         
FWM  6 IPv6 dh
  -> [2001:db8::20]:0             Route   1      0          0         
FWM  9 lc persistent 30
  -> 10.0.4.1:0                   Route   1      0          0         
";

fn without_header(s: &str) -> &str {
    s.split_once('\n').map_or("", |x| x.1)
}

#[test]
fn vm_ipvs_sync_programs_the_config_and_a_second_run_changes_nothing() {
    if !ipvs_test_env("vm_ipvs_sync_programs_the_config_and_a_second_run_changes_nothing") {
        return;
    }
    in_netns(|| {
        let f = conf("every.conf", EVERY_KIND);
        ok(
            "/usr/sbin/ipvsadm",
            &["-A", "-t", "203.0.113.1:25", "-s", "rr"],
        );
        let first = ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        assert!(
            first.contains("leaving foreign service TCP 203.0.113.1:25 alone"),
            "{first}"
        );
        assert!(
            first.contains("add service TCP 192.0.2.1:80 (sh)"),
            "{first}"
        );
        assert!(first.ends_with("ipvs sync: 23 operations\n"), "{first}");
        let ln = ok("/usr/sbin/ipvsadm", &["-Ln"]);
        let ours: String = without_header(&ln).replace("TCP  203.0.113.1:25 rr\n", "");
        assert_eq!(ours, EVERY_KIND_LN);
        assert_eq!(
            ok("/usr/sbin/ipvsadm", &["-L", "--timeout"]),
            "Timeout (tcp tcpfin udp): 1000 100 200\n"
        );
        let second = ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        assert!(
            second.ends_with("ipvs sync: no change (9 services in place)\n"),
            "{second}"
        );
        assert_eq!(ok("/usr/sbin/ipvsadm", &["-Ln"]), ln);
        // Behind its back, then again.
        ok(
            "/usr/sbin/ipvsadm",
            &[
                "-e",
                "-t",
                "192.0.2.1:80",
                "-r",
                "10.0.0.1:80",
                "-m",
                "-w",
                "1",
            ],
        );
        ok("/usr/sbin/ipvsadm", &["-D", "-f", "9"]);
        let third = ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        assert!(third.ends_with("ipvs sync: 3 operations\n"), "{third}");
        assert_eq!(ok("/usr/sbin/ipvsadm", &["-Ln"]), ln);
    });
}

#[test]
fn vm_ipvs_list_is_ipvsadm_byte_for_byte() {
    if !ipvs_test_env("vm_ipvs_list_is_ipvsadm_byte_for_byte") {
        return;
    }
    in_netns(|| {
        let f = conf("every2.conf", EVERY_KIND);
        ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        ok("ip", &["link", "set", "lo", "up"]);
        ok(
            "/usr/sbin/ipvsadm",
            &[
                "--start-daemon",
                "backup",
                "--mcast-interface",
                "lo",
                "--syncid",
                "3",
            ],
        );
        let cases: &[&[&str]] = &[
            &["-n"],
            &[],
            &["-n", "--stats"],
            &["-n", "--rate"],
            &["-n", "--stats", "--exact"],
            &["-n", "--thresholds"],
            &["-n", "--persistent-conn"],
            &["-n", "--tun-info"],
            &["-n", "--nosort"],
            &["--timeout"],
            &["--daemon"],
            &["-n", "-t", "192.0.2.1:80"],
            &["-n", "-u", "192.0.2.2:53"],
            &["-n", "--sctp-service", "192.0.2.3:9"],
            &["-n", "-t", "[2001:db8::1]:443"],
            &["-n", "-f", "5"],
            &["-n", "-f", "6", "-6"],
            &["-n", "-t", "192.0.2.99:80"],
            &["-n", "-c"],
            &["-n", "-c", "--persistent-conn"],
        ];
        for args in cases {
            let mut theirs = vec!["-L"];
            theirs.extend_from_slice(args);
            let mut mine = vec!["ipvs", "list"];
            mine.extend_from_slice(args);
            let (t, m) = (run("/usr/sbin/ipvsadm", &theirs), run(BIN, &mine));
            assert_eq!(
                String::from_utf8_lossy(&m.stdout),
                String::from_utf8_lossy(&t.stdout),
                "keepalived-rs ipvs list {args:?} vs ipvsadm {theirs:?}"
            );
            assert_eq!(m.status.code(), t.status.code(), "exit status of {args:?}");
        }
    });
}

/// `ipvs list --daemon` against `ipvsadm -L --daemon` with no daemon, a master daemon with every
/// option beside a backup one with the kernel's defaults, and the master alone.
#[test]
fn vm_ipvs_list_daemon_is_ipvsadm_byte_for_byte() {
    if !ipvs_test_env("vm_ipvs_list_daemon_is_ipvsadm_byte_for_byte") {
        return;
    }
    in_netns(|| {
        let same = |when: &str| {
            let (t, m) = (
                run("/usr/sbin/ipvsadm", &["-L", "--daemon"]),
                run(BIN, &["ipvs", "list", "--daemon"]),
            );
            assert_eq!(
                String::from_utf8_lossy(&m.stdout),
                String::from_utf8_lossy(&t.stdout),
                "{when}"
            );
            assert_eq!(m.status.code(), t.status.code(), "exit status, {when}");
            String::from_utf8(t.stdout).unwrap()
        };
        assert_eq!(same("no daemon"), "");
        // A multicast-capable link for the master daemon (lo is not one).
        sh("ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up");
        ok(
            "/usr/sbin/ipvsadm",
            &[
                "--start-daemon",
                "master",
                "--mcast-interface",
                "v0",
                "--syncid",
                "200",
                "--sync-maxlen",
                "1400",
                "--mcast-group",
                "239.1.2.3",
                "--mcast-port",
                "8849",
                "--mcast-ttl",
                "2",
            ],
        );
        ok(
            "/usr/sbin/ipvsadm",
            &["--start-daemon", "backup", "--mcast-interface", "v1"],
        );
        let both = same("master with every option and a backup");
        assert_eq!(both.lines().count(), 2, "{both}");
        assert!(
            both.contains("master sync daemon (mcast=v0, syncid=200, maxlen=1400, group=239.1.2.3, port=8849, ttl=2)"),
            "{both}"
        );
        ok("/usr/sbin/ipvsadm", &["--stop-daemon", "backup"]);
        same("the master alone");
        ok("/usr/sbin/ipvsadm", &["--stop-daemon", "master"]);
    });
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !cond() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Netns(String);
impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

const NAT_CONF: &str = r#"
virtual_server 10.10.1.100 80 {
    lvs_sched rr
    lvs_method NAT
    protocol TCP
    real_server 10.10.2.2 8080 {
        weight 1
    }
}
"#;

/// A client keeps a TCP connection open through a NAT service while keepalived-rs is "restarted"
/// (a new process) with a changed weight: the service is adopted and edited, not re-created, and
/// the connection keeps working.
#[test]
fn vm_restart_keeps_a_live_nat_connection() {
    if !ipvs_test_env("vm_restart_keeps_a_live_nat_connection") {
        return;
    }
    in_netns(|| {
        let id = std::process::id();
        let (cl, rs) = (Netns(format!("kcl{id}")), Netns(format!("krs{id}")));
        sh(&format!(
            "set -e
             ip netns add {cl}; ip netns add {rs}
             ip link add dcl type veth peer name eth0 netns {cl}
             ip link add drs type veth peer name eth0 netns {rs}
             ip addr add 10.10.1.1/24 dev dcl; ip link set dcl up
             ip addr add 10.10.2.1/24 dev drs; ip link set drs up
             ip addr add 10.10.1.100/32 dev lo
             sysctl -qw net.ipv4.ip_forward=1
             ip -n {cl} addr add 10.10.1.2/24 dev eth0; ip -n {cl} link set eth0 up; ip -n {cl} link set lo up
             ip -n {cl} route add default via 10.10.1.1
             ip -n {rs} addr add 10.10.2.2/24 dev eth0; ip -n {rs} link set eth0 up; ip -n {rs} link set lo up
             ip -n {rs} route add default via 10.10.2.1",
            cl = cl.0,
            rs = rs.0
        ));
        // An echo server on the real server.
        let echo = "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('0.0.0.0',8080))\ns.listen(5)\nwhile True:\n c,_=s.accept()\n while True:\n  d=c.recv(100)\n  if not d: break\n  c.sendall(d)\n c.close()\n";
        let mut server: Child = Command::new("ip")
            .args(["netns", "exec", &rs.0, "/usr/bin/python3", "-c", echo])
            .spawn()
            .unwrap();
        wait_for("the echo server", || {
            sh(&format!("ip netns exec {} ss -ltn", rs.0)).contains(":8080")
        });
        let f = conf("nat.conf", NAT_CONF);
        ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        // The client: one connection, echo a line each time we write one.
        let client = "import socket,sys\nc=socket.create_connection(('10.10.1.100',80),timeout=30)\nfor line in sys.stdin:\n c.sendall(line.encode())\n print(c.recv(100).decode().strip(), flush=True)\n";
        let mut cli = Command::new("ip")
            .args(["netns", "exec", &cl.0, "/usr/bin/python3", "-c", client])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut to = cli.stdin.take().unwrap();
        let mut from = BufReader::new(cli.stdout.take().unwrap());
        let mut say = |w: &str| {
            writeln!(to, "{w}").unwrap();
            to.flush().unwrap();
            let mut l = String::new();
            from.read_line(&mut l).unwrap();
            l.trim().to_string()
        };
        assert_eq!(say("before"), "before");
        let conns_before = ok(BIN, &["ipvs", "list", "-n", "-c"]);
        assert!(
            conns_before.contains("ESTABLISHED 10.10.1.2:"),
            "{conns_before}"
        );
        assert_eq!(conns_before, ok("/usr/sbin/ipvsadm", &["-Lnc"]));
        // "Restart" with a changed weight and scheduler.
        let f2 = conf(
            "nat2.conf",
            &NAT_CONF
                .replace("weight 1", "weight 4")
                .replace("lvs_sched rr", "lvs_sched wrr"),
        );
        let out = ok(BIN, &["ipvs", "sync", "-f", f2.to_str().unwrap()]);
        assert!(
            out.contains("edit service TCP 10.10.1.100:80 (wrr)"),
            "{out}"
        );
        assert!(
            out.contains("edit real server 10.10.2.2:8080 of TCP 10.10.1.100:80 (Masq, weight 4)"),
            "{out}"
        );
        assert!(out.ends_with("ipvs sync: 2 operations\n"), "{out}");
        assert_eq!(
            say("after"),
            "after",
            "the connection did not survive the restart"
        );
        let ln = ok("/usr/sbin/ipvsadm", &["-Ln"]);
        assert!(
            ln.contains("  -> 10.10.2.2:8080               Masq    4      1          0"),
            "{ln}"
        );
        drop(to);
        let _ = cli.wait();
        let _ = server.kill();
        let _ = server.wait();
    });
}

/// `lvs_flush` flushes foreign services too (keepalived's meaning); `--no-flush` overrides it.
#[test]
fn vm_lvs_flush_takes_foreign_services_with_it() {
    if !ipvs_test_env("vm_lvs_flush_takes_foreign_services_with_it") {
        return;
    }
    in_netns(|| {
        let f = conf(
            "flush.conf",
            "global_defs {\n    lvs_flush\n}\nvirtual_server 192.0.2.1 80 {\n    protocol TCP\n    real_server 10.0.0.1 80 {\n    }\n}\n",
        );
        ok(
            "/usr/sbin/ipvsadm",
            &["-A", "-t", "203.0.113.1:25", "-s", "rr"],
        );
        let out = ok(
            BIN,
            &["ipvs", "sync", "--no-flush", "-f", f.to_str().unwrap()],
        );
        assert!(
            out.contains("leaving foreign service TCP 203.0.113.1:25 alone"),
            "{out}"
        );
        assert!(ok("/usr/sbin/ipvsadm", &["-Ln"]).contains("203.0.113.1:25"));
        let out = ok(BIN, &["ipvs", "sync", "-f", f.to_str().unwrap()]);
        assert!(
            out.starts_with("flush the IPVS table (lvs_flush)\n"),
            "{out}"
        );
        let ln = ok("/usr/sbin/ipvsadm", &["-Ln"]);
        assert!(!ln.contains("203.0.113.1:25"), "{ln}");
        assert!(
            ln.contains("TCP  192.0.2.1:80 wlc\n  -> 10.0.0.1:80"),
            "{ln}"
        );
    });
}
