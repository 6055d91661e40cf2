//! `net_namespace_ipvs NAME` on a real kernel (the test VM): the virtual servers are programmed
//! in namespace NAME while the health checks run in the daemon's own namespace, for keepalived
//! 2.2.7 and keepalived-rs alike. Outside the VM the test prints one `SKIP:` line.

mod common;

use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use common::{
    in_netns, in_vm, ip, ipvs_lines as table, lab_or_skip, wait_for, Daemon, Lab, KEEPALIVED,
};

fn start(lab: &Lab, bin: &str, ns: &str, name: &str, conf: &str) -> Daemon {
    let file = lab.write(&format!("{name}.conf"), conf);
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, bin, "-n", "-l", "-D", "-C", "-f"])
        .arg(file);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("{name}.{f}")));
    }
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

#[test]
fn vm_net_namespace_ipvs_programs_ipvs_there_and_checks_here() {
    if !in_vm("vm_net_namespace_ipvs_programs_ipvs_there_and_checks_here") {
        return;
    }
    let Some(lab) = lab_or_skip(
        "vm_net_namespace_ipvs_programs_ipvs_there_and_checks_here",
        "ni",
        1,
    ) else {
        return;
    };
    let here = lab.node(0).to_string();
    let there = format!("{}-ipvs", lab.prefix);
    ip(&["netns", "add", &there]).unwrap();
    struct Gone(String);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = ip(&["netns", "del", &self.0]);
        }
    }
    let _gone = Gone(there.clone());
    ip(&["-n", &there, "link", "set", "lo", "up"]).unwrap();
    // The real server listens only in the daemon's namespace: a check run in the IPVS
    // namespace would fail and take it out.
    let listener = in_netns(&here, || {
        TcpListener::bind("10.9.0.1:8080").expect("listener")
    });
    std::thread::spawn(move || for _ in listener.incoming() {});
    let conf = format!(
        "net_namespace_ipvs {there}\n\
         virtual_server 10.9.0.150 80 {{\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n \
         real_server 10.9.0.1 8080 {{\n  TCP_CHECK {{\n   connect_timeout 1\n   retry 0\n  }}\n }}\n}}\n"
    );
    let want = vec![
        "TCP 10.9.0.150:80 rr".to_string(),
        "-> 10.9.0.1:8080 Masq".to_string(),
    ];
    let ours = env!("CARGO_BIN_EXE_keepalived-rs");
    for (bin, who) in [(KEEPALIVED, "keepalived"), (ours, "keepalived-rs")] {
        let mut d = start(&lab, bin, &here, who, &conf);
        // Several check rounds: the real server must stay in.
        assert!(
            wait_for(Duration::from_secs(30), || table(&there) == want).is_some(),
            "{who}: {:?}\n{}",
            table(&there),
            d.log_text()
        );
        std::thread::sleep(Duration::from_secs(4));
        assert_eq!(table(&there), want, "{who}: {}", d.log_text());
        assert!(
            table(&here).is_empty(),
            "{who}: IPVS in the daemon's namespace"
        );
        assert_eq!(d.term(Duration::from_secs(20)), Some(0), "{who}");
        assert!(table(&there).is_empty(), "{who} left its service behind");
    }
}
