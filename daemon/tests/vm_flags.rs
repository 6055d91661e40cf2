//! keepalived(8)'s flags that need IPVS in the kernel (the test VM), for keepalived 2.2.7 and
//! keepalived-rs alike: `-I` leaves the IPVS table in place at stop, and the LVS side logs as
//! keepalived's checker child, `Keepalived_healthcheckers`; `-C` runs no VRRP part, also beside
//! a `-P` daemon. Rows of netns_flags.rs's table.
//! Outside the VM each test prints one `SKIP:` line.

mod common;

use std::process::Command;
use std::time::Duration;

use common::listener::Listener;
use common::syslog::SyslogSocket;
use common::{in_vm, ipvs_lines as table, lab_or_skip, wait_for, Daemon, Lab, KEEPALIVED};

/// The IPVS table of the tests' virtual server, its one real server in.
const WANT: [&str; 2] = ["TCP 10.9.0.150:80 rr", "-> 10.9.0.1:8080 Masq"];

fn start(
    lab: &Lab,
    sock: &SyslogSocket,
    bin: &str,
    name: &str,
    flags: &[&str],
    conf: &str,
) -> Daemon {
    let file = lab.write(&format!("{name}.conf"), conf);
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", lab.node(0)])
        .args(sock.wrap())
        .args([bin, "-n", "-l", "-C"])
        .args(flags)
        .arg("-f")
        .arg(file);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("{name}.{f}")));
    }
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

/// `-I`: the virtual servers stay in the kernel when the daemon stops (without it they go);
/// the LVS side's lines come from `Keepalived_healthcheckers`, as keepalived's checker child's.
#[test]
fn vm_flag_upper_i_keeps_the_ipvs_table() {
    if !in_vm("vm_flag_upper_i_keeps_the_ipvs_table") {
        return;
    }
    let Some(lab) = lab_or_skip("vm_flag_upper_i_keeps_the_ipvs_table", "fi", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let _server = Listener::start(&ns, "10.9.0.1:8080");
    let conf = "virtual_server 10.9.0.150 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n \
                protocol TCP\n real_server 10.9.0.1 8080 {\n  TCP_CHECK {\n   connect_timeout 1\n  \
                }\n }\n}\n";
    let want = WANT.map(String::from).to_vec();
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    let mut checker_idents = Vec::new();
    for (bin, who) in [(KEEPALIVED, "keepalived"), (ours, "keepalived-rs")] {
        for keep in [true, false] {
            let name = format!("{who}-{keep}");
            let sock = SyslogSocket::bind(&lab.dir, &name);
            let flags: &[&str] = if keep { &["-I"] } else { &[] };
            let mut d = start(&lab, &sock, bin, &name, flags, conf);
            assert!(
                wait_for(Duration::from_secs(30), || table(&ns) == want).is_some(),
                "{name}: {:?}\n{}",
                table(&ns),
                d.log_text()
            );
            assert_eq!(
                d.term(Duration::from_secs(20)),
                Some(0),
                "{name}: {}",
                d.log_text()
            );
            let left = table(&ns);
            if keep {
                assert_eq!(left, want, "{name}: -I must leave the table");
            } else {
                assert!(left.is_empty(), "{name}: {left:?}");
            }
            let _ = Command::new("ip")
                .args(["netns", "exec", &ns, "/usr/sbin/ipvsadm", "-C"])
                .status();
            // Which ident the checker side's lines came under.
            let idents: std::collections::BTreeSet<String> = sock
                .datagrams()
                .into_iter()
                .filter(|g| g.msg.contains("10.9.0.1"))
                .map(|g| g.ident)
                .collect();
            checker_idents.push((name, idents));
        }
    }
    for (name, idents) in &checker_idents {
        assert_eq!(
            idents.iter().map(String::as_str).collect::<Vec<_>>(),
            ["Keepalived_healthcheckers"],
            "{name}: the lines about the real server"
        );
    }
}

/// A live process named in pid file `path`.
fn names_live_process(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.trim().parse::<i32>().ok())
        .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
}

/// `-P` and `-C` as two daemons (two systemd units, each with its own main pid file and the
/// default VRRP and checkers pid files): the `-C` one writes no VRRP pid file and does not
/// take the `-P` one's for a daemon already running, nor the other way round; both run, and
/// stopping one leaves the other's pid file in place.
#[test]
fn vm_flags_upper_p_and_c_as_two_daemons() {
    let test = "vm_flags_upper_p_and_c_as_two_daemons";
    if !in_vm(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "pc", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let _server = Listener::start(&ns, "10.9.0.1:8080");
    let conf = "vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 51\n \
                priority 200\n advert_int 1\n virtual_ipaddress {\n  10.9.0.200/32\n }\n}\n\
                virtual_server 10.9.0.150 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n \
                protocol TCP\n real_server 10.9.0.1 8080 {\n  TCP_CHECK {\n   connect_timeout 1\n  \
                }\n }\n}\n";
    let want = WANT.map(String::from).to_vec();
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    for (bin, who) in [(KEEPALIVED, "keepalived"), (ours, "keepalived-rs")] {
        let file = lab.write(&format!("{who}.conf"), conf);
        let (vrrp_pid, checkers_pid) = (
            lab.dir.join(format!("{who}-vrrp.pid")),
            lab.dir.join(format!("{who}-checkers.pid")),
        );
        let start = |part: &str| {
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", &ns, bin, "-n", "-l", part, "-f"])
                .arg(&file)
                .arg("-p")
                .arg(lab.dir.join(format!("{who}{part}.pid")))
                .arg("-r")
                .arg(&vrrp_pid)
                .arg("-c")
                .arg(&checkers_pid);
            Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{who}{part}.log")))
        };
        let mut vrrp = start("-P");
        assert!(
            wait_for(Duration::from_secs(30), || lab.has(&ns, "10.9.0.200")).is_some(),
            "{who} -P: no VIP\n{}",
            vrrp.log_text()
        );
        let mut checkers = start("-C");
        assert!(
            wait_for(Duration::from_secs(30), || table(&ns) == want).is_some(),
            "{who} -C: {:?}\n{}",
            table(&ns),
            checkers.log_text()
        );
        assert!(vrrp.running() && checkers.running(), "{who}: both run");
        assert!(names_live_process(&vrrp_pid), "{who}: the VRRP pid file");
        assert!(
            names_live_process(&checkers_pid),
            "{who}: the checkers pid file"
        );
        assert_eq!(checkers.term(Duration::from_secs(20)), Some(0), "{who} -C");
        assert!(
            names_live_process(&vrrp_pid),
            "{who}: the -P daemon's VRRP pid file, after the -C one stopped"
        );
        assert!(lab.has(&ns, "10.9.0.200"), "{who}: the VIP stays");
        assert_eq!(vrrp.term(Duration::from_secs(20)), Some(0), "{who} -P");
        assert!(
            !vrrp_pid.exists() && !checkers_pid.exists(),
            "{who}: pid files left"
        );
        let _ = Command::new("ip")
            .args(["netns", "exec", &ns, "/usr/sbin/ipvsadm", "-C"])
            .status();
    }
}

/// `-C` runs no VRRP part: keepalived 2.2.7 installs no static address and runs the checkers
/// of a file whose VRRP part it could not run (here `use_ipvlan`, which keepalived-rs refuses);
/// both daemons alike.
#[test]
fn vm_flag_upper_c_leaves_the_vrrp_part_out() {
    let test = "vm_flag_upper_c_leaves_the_vrrp_part_out";
    if !in_vm(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "co", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let _server = Listener::start(&ns, "10.9.0.1:8080");
    let conf = "static_ipaddress {\n 10.9.0.50/24 dev eth0\n}\nvrrp_instance VI_1 {\n \
                interface eth0\n virtual_router_id 51\n use_ipvlan ipvl0 10.9.0.51/24\n \
                virtual_ipaddress {\n  10.9.0.200/32\n }\n}\n\
                virtual_server 10.9.0.150 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n \
                protocol TCP\n real_server 10.9.0.1 8080 {\n  TCP_CHECK {\n   connect_timeout 1\n  \
                }\n }\n}\n";
    let want = WANT.map(String::from).to_vec();
    for who in ["keepalived", "keepalived-rs"] {
        let mut d = lab.start_checkers_either(who, &ns, who, conf);
        assert!(
            wait_for(Duration::from_secs(30), || table(&ns) == want).is_some(),
            "{who}: {:?}\n{}",
            table(&ns),
            d.log_text()
        );
        std::thread::sleep(Duration::from_secs(1));
        assert!(
            !lab.has(&ns, "10.9.0.50"),
            "{who}: a static address under -C"
        );
        assert_eq!(d.term(Duration::from_secs(20)), Some(0), "{who}");
    }
}
