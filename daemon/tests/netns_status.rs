//! `keepalived-rs status` against running daemons in the netns lab: the JSON agrees with the
//! kernel (`ip addr`) and with the peer (the backup names the master and its priority); the
//! table says the same; a user other than root is refused (by the socket's mode, and by the
//! daemon's own check of the peer's credentials); without a daemon, one line and exit 3.
//! Needs root; skips loudly without it.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{lab_or_skip, ours_binary, wait_for, Conf};

const VIP: &str = "10.9.0.100";

fn status(socket: &Path, json: bool) -> Output {
    let mut c = Command::new(ours_binary());
    c.arg("status").arg("--socket").arg(socket);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

fn doc(socket: &Path) -> serde_json::Value {
    let o = status(socket, true);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn netns_status_agrees_with_the_kernel_and_the_peer() {
    let Some(lab) = lab_or_skip("netns_status_agrees_with_the_kernel_and_the_peer", "st", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let master = lab.start_ours_with_socket(&a, "a", &Conf::v2("MASTER", 150).text(), &[]);
    let backup = lab.start_ours_with_socket(&b, "b", &Conf::v2("BACKUP", 100).text(), &[]);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&a, VIP)).is_some());
    let (sa, sb) = (lab.dir.join("a.sock"), lab.dir.join("b.sock"));
    // The snapshots follow the transitions at once and the counters within half a second.
    std::thread::sleep(Duration::from_secs(2));
    let m = doc(&sa);
    let i = &m["vrrp"]["instances"][0];
    assert_eq!(m["version"], 1);
    assert_eq!(i["state"], "MASTER", "{m}");
    assert_eq!(i["effective_priority"], 150);
    assert!(i["vips"][0]
        .as_str()
        .unwrap()
        .starts_with("10.9.0.100/24 dev eth0"));
    assert!(i["stats"]["advert_sent"].as_u64().unwrap() >= 1);
    assert!(lab.has(&a, VIP), "the kernel agrees");
    assert!(
        i.get("auth_pass").is_none(),
        "the password is not in status"
    );
    let bdoc = doc(&sb);
    let bi = &bdoc["vrrp"]["instances"][0];
    assert_eq!(bi["state"], "BACKUP");
    assert_eq!(bi["master"], serde_json::json!(["10.9.0.1", 150]), "{bdoc}");
    assert!(!lab.has(&b, VIP));
    let table = String::from_utf8(status(&sb, false).stdout).unwrap();
    assert!(
        table.contains("BACKUP") && table.contains("master 10.9.0.1 (priority 150)"),
        "{table}"
    );
    // The master goes: the backup's status says so.
    drop(master);
    assert!(wait_for(Duration::from_secs(10), || lab.has(&b, VIP)).is_some());
    assert!(
        wait_for(Duration::from_secs(3), || doc(&sb)["vrrp"]["instances"][0]
            ["state"]
            == "MASTER")
        .is_some(),
        "{}",
        doc(&sb)
    );
    drop(backup);
}

#[test]
fn netns_status_refuses_other_users_and_says_when_no_daemon_runs() {
    let Some(lab) = lab_or_skip("netns_status_refuses_other_users", "su", 1) else {
        return;
    };
    let a = lab.node(0).to_string();
    let d = lab.start_ours_with_socket(&a, "a", &Conf::v2("MASTER", 150).text(), &[]);
    let sock = lab.dir.join("a.sock");
    assert!(
        wait_for(Duration::from_secs(5), || sock.exists()).is_some(),
        "{}",
        d.log_text()
    );
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&sock).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    // The lab's directory must let nobody reach the socket for the second check.
    Command::new("chmod")
        .arg("755")
        .arg(&lab.dir)
        .status()
        .unwrap();
    let as_nobody = |extra: &str| {
        Command::new("setpriv")
            .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"])
            .arg(ours_binary())
            .args(["status", "--socket"])
            .arg(&sock)
            .args(extra.split_whitespace())
            .output()
            .unwrap()
    };
    let o = as_nobody("");
    assert_eq!(
        o.status.code(),
        Some(4),
        "by the socket's mode: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Even with the file opened to everyone, the daemon checks who asks.
    Command::new("chmod")
        .arg("666")
        .arg(&sock)
        .status()
        .unwrap();
    let o = as_nobody("--json");
    assert_eq!(
        o.status.code(),
        Some(4),
        "by the peer's credentials: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("permission denied"));
    drop(d);
    // No daemon: one line, exit 3.
    let o = status(&lab.dir.join("none.sock"), false);
    assert_eq!(o.status.code(), Some(3));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("not running"), "{out}");
}
