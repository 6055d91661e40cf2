//! READY=1 on a real kernel (the test VM, which has IPVS): the daemon with a VRRP instance and a
//! virtual server tells its NOTIFY_SOCKET it is ready only once the IPVS table holds the
//! virtual server (checked with ipvsadm the moment READY=1 arrives), with the status line
//! naming the virtual server and its real servers. Outside the VM the test prints one `SKIP:`.

mod common;

use std::net::TcpListener;
use std::os::unix::net::UnixDatagram;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{in_netns, in_vm, ipvsadm_ln as table, lab_or_skip, Conf, Daemon};

#[test]
fn vm_ready_once_the_ipvs_table_is_programmed() {
    if !in_vm("vm_ready_once_the_ipvs_table_is_programmed") {
        return;
    }
    let Some(lab) = lab_or_skip("vm_ready_once_the_ipvs_table_is_programmed", "rd", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let listener = in_netns(&ns, || {
        TcpListener::bind("10.9.0.1:8080").expect("listener")
    });
    std::thread::spawn(move || for _ in listener.incoming() {});
    let mut conf = Conf::v2("MASTER", 150).text();
    conf.push_str(
        "virtual_server 10.9.0.150 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n \
         real_server 10.9.0.1 8080 {\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n \
         real_server 10.9.0.1 8081 {\n  TCP_CHECK {\n   connect_timeout 1\n  }\n }\n}\n",
    );
    let file = lab.write("a.conf", &conf);
    let sock_path = lab.dir.join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns])
        .arg(env!("CARGO_BIN_EXE_keepalived-rs"))
        .args(["-n", "-l", "-D", "-f"])
        .arg(&file)
        .env("NOTIFY_SOCKET", &sock_path);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("a.{f}")));
    }
    let mut d = Daemon::spawn_for_test(&mut cmd, lab.dir.join("a.log"));
    let end = Instant::now() + Duration::from_secs(60);
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    let mut table_at_ready = None;
    while Instant::now() < end {
        let Ok(n) = sock.recv(&mut buf) else {
            continue;
        };
        let m = String::from_utf8_lossy(&buf[..n]).into_owned();
        if m.starts_with("READY=1") && table_at_ready.is_none() {
            table_at_ready = Some(table(&ns));
        }
        let done = m.contains("1/2 real servers up");
        got.push(m);
        if done {
            break;
        }
    }
    let log = d.log_text();
    let at_ready = table_at_ready.unwrap_or_else(|| panic!("no READY=1: {got:?}\n{log}"));
    assert!(
        at_ready.contains("TCP  10.9.0.150:80 rr") && at_ready.contains("10.9.0.1:8080"),
        "READY=1 before the IPVS table was programmed:\n{at_ready}\n{got:?}\n{log}"
    );
    // The instance may be MASTER by then: the LVS side (and so the first IPVS pass) starts
    // about a second after the VRRP side, once the parsed model's memory is given back.
    assert!(
        [
            "READY=1\nSTATUS=1 instance: VI_1 BACKUP; 1 virtual server, 2/2 real servers up\n",
            "READY=1\nSTATUS=1 instance: VI_1 MASTER; 1 virtual server, 2/2 real servers up\n",
        ]
        .contains(&got[0].as_str()),
        "{:?}\n{log}",
        got[0]
    );
    // Nothing listens on 8081: its check takes it down, and the status says so.
    assert!(
        got.last()
            .is_some_and(|m| m.contains("1/2 real servers up")),
        "{got:?}\n{log}"
    );
    eprintln!("MEASURE: vm sd_notify messages: {got:?}");
    assert_eq!(d.term(Duration::from_secs(30)), Some(0), "{}", d.log_text());
}
