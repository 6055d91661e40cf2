//! `keepalived-rs status` on a real kernel (the test VM, which has IPVS): a real server goes out
//! of the table when its web server stops, and `status` says so with the reason of the failed
//! check; it comes back when the web server starts again, and `status` shows it in, with its
//! weight. The JSON agrees with `ipvsadm -Ln` at each step. Outside the VM the test prints one
//! `SKIP:`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{
    in_netns, in_vm, ipvsadm_ln as table, lab_or_skip, ours_binary, wait_for, Conf, Daemon,
};

const WEB: &str = "10.9.0.1:8080";

fn status(socket: &Path, json: bool) -> Output {
    let mut c = Command::new(ours_binary());
    c.arg("status").arg("--socket").arg(socket);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// The real server 10.9.0.1:8080 in `status --json`, if the daemon answers.
fn real_server(socket: &Path) -> Option<serde_json::Value> {
    let o = status(socket, true);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).ok()?;
    doc["lvs"]["virtual_servers"][0]["real_servers"]
        .as_array()?
        .iter()
        .find(|r| r["address"].as_str() == Some(WEB))
        .cloned()
}

/// A web server that can be stopped (its socket closed) and started again.
struct Web {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Web {
    fn start(ns: &str) -> Web {
        let listener = in_netns(ns, || TcpListener::bind(WEB).expect("bind the web server"));
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((c, _)) => drop(c),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Web {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

#[test]
fn vm_status_shows_a_real_server_out_with_the_reason_and_back() {
    let test = "vm_status_shows_a_real_server_out_with_the_reason_and_back";
    if !in_vm(test) {
        return;
    }
    let Some(lab) = lab_or_skip(test, "vs", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let web = Web::start(&ns);
    let mut conf = Conf::v2("MASTER", 150).text();
    conf.push_str(
        "virtual_server 10.9.0.150 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n protocol TCP\n \
         real_server 10.9.0.1 8080 {\n  weight 3\n  TCP_CHECK {\n   connect_timeout 1\n   retry 0\n  }\n }\n}\n",
    );
    let file = lab.write("a.conf", &conf);
    let socket = lab.dir.join("a.sock");
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", &ns])
        .arg(ours_binary())
        .args(["-n", "-l", "-D", "-f"])
        .arg(&file)
        .arg("--control-socket")
        .arg(&socket);
    for (flag, f) in [("-p", "pid"), ("-r", "vrrp.pid"), ("-c", "checkers.pid")] {
        cmd.arg(flag).arg(lab.dir.join(format!("a.{f}")));
    }
    let mut d = Daemon::spawn_for_test(&mut cmd, lab.dir.join("a.log"));
    let limit = Duration::from_secs(60);

    // In: a check has passed, the table holds it with its weight.
    let up = wait_for(limit, || {
        real_server(&socket).is_some_and(|r| {
            r["alive"] == true && r["checkers"][0]["up"] == true && r["weight"] == 3
        })
    });
    assert!(
        up.is_some(),
        "never in: {:?}\n{}",
        real_server(&socket),
        d.log_text()
    );
    let t = table(&ns);
    assert!(
        t.lines().any(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() > 3 && w[1] == WEB && w[2] == "Masq" && w[3] == "3"
        }),
        "{t}"
    );

    // Out: the web server stops; the check fails, the destination leaves the table, and
    // status gives the reason.
    web.stop();
    let out = wait_for(limit, || {
        real_server(&socket).is_some_and(|r| r["alive"] == false && r["weight"].is_null())
    });
    let r = real_server(&socket).unwrap_or_default();
    assert!(out.is_some(), "never out: {r}\n{}", d.log_text());
    let c = &r["checkers"][0];
    assert_eq!(c["up"], false, "{r}");
    assert_eq!(c["kind"], "TCP_CHECK", "{r}");
    let reason = c["reason"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.to_lowercase().contains("refused") || reason.contains("failed"),
        "the reason of the failure: {r}"
    );
    assert!(
        wait_for(limit, || !table(&ns).contains("10.9.0.1:8080")).is_some(),
        "still in the kernel's table: {}",
        table(&ns)
    );
    let text = String::from_utf8_lossy(&status(&socket, false).stdout).into_owned();
    assert!(
        text.contains("10.9.0.1:8080") && text.contains(&reason),
        "the table for a person names the server and the reason ({reason}):\n{text}"
    );
    eprintln!("MEASURE: vm status while out:\n{text}");

    // Back: the web server starts again.
    let web = Web::start(&ns);
    let back = wait_for(limit, || {
        real_server(&socket).is_some_and(|r| r["alive"] == true && r["weight"] == 3)
    });
    assert!(
        back.is_some(),
        "never back: {:?}\n{}",
        real_server(&socket),
        d.log_text()
    );
    assert!(table(&ns).contains("10.9.0.1:8080"), "{}", table(&ns));
    let text = String::from_utf8_lossy(&status(&socket, false).stdout).into_owned();
    eprintln!("MEASURE: vm status when back:\n{text}");
    web.stop();
    assert_eq!(d.term(Duration::from_secs(30)), Some(0), "{}", d.log_text());
}
