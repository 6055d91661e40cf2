//! The classic LVS-DR pair's lab, shared by the VM tests that run it (vm_e2e, vm_conn_sync):
//! the addresses, the directors' configurations (the shipped pair with the lab's addresses and
//! timings), the real servers (VIP on lo, ARP settings, busybox httpd), a client making a new
//! HTTP request every 100 ms, and the daemons started in the directors' namespaces.
//!
//! ```text
//!  n1 client   10.9.0.1 (+ 10.9.0.100-139 as request sources)
//!  n2 director 10.9.0.2
//!  n3 director 10.9.0.3
//!  n4 real     10.9.0.4  VIP 10.9.0.150/32 on lo, arp_ignore 1, arp_announce 2, httpd saying "r1"
//!  n5 real     10.9.0.5  the same, saying "r2"
//! ```

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{in_netns, wait_for, Daemon, Lab, KEEPALIVED};

pub const VIP: &str = "10.9.0.150";
pub const RS: [(&str, &str); 2] = [("r1", "10.9.0.4"), ("r2", "10.9.0.5")];
/// The checker timings of the lab (the shipped files say 6, 5, 2, 3).
pub const DELAY_LOOP: u64 = 2;
pub const CONNECT_TIMEOUT: u64 = 2;
pub const RETRY: u64 = 1;
pub const DELAY_BEFORE_RETRY: u64 = 1;
/// Master_Down_Interval of the backup (priority 90, advert_int 1): 3 + (256 - 90) / 256 s.
pub const MDI: f64 = 3.0 + 166.0 / 256.0;
/// Everything in the emulated guest is 5-10x slower: room for process starts and polling.
pub const SLACK: f64 = 4.0;

pub fn sh(ns: &str, cmd: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "/bin/sh", "-c", cmd])
        .output()
        .expect("ip netns exec");
    assert!(
        o.status.success(),
        "{ns}: {cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The shipped configuration with the lab's addresses and timings; each substitution must
/// apply, so a change to the shipped files shows here.
pub fn director_conf(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../etc")
        .join(file);
    let mut text = std::fs::read_to_string(&path).expect("the shipped configuration");
    let subs = [
        ("192.168.55.150", VIP.to_string()),
        ("192.168.55.141", RS[0].1.to_string()),
        ("192.168.55.142", RS[1].1.to_string()),
        ("delay_loop 6", format!("delay_loop {DELAY_LOOP}")),
        (
            "connect_timeout 5",
            format!("connect_timeout {CONNECT_TIMEOUT}"),
        ),
        // keepalived 2.2 does not know nb_get_retry inside TCP_CHECK (docs/compat.md): both
        // daemons get the current keyword.
        ("nb_get_retry 2", format!("retry {RETRY}")),
        (
            "delay_before_retry 3",
            format!("delay_before_retry {DELAY_BEFORE_RETRY}"),
        ),
    ];
    for (from, to) in subs {
        assert!(text.contains(from), "{file} no longer contains `{from}`");
        text = text.replace(from, &to);
    }
    text
}

/// One HTTP/1.0 GET of http://VIP/ from `src`: the body (the real server's name), or why not.
pub fn request(src: Ipv4Addr) -> Result<String, String> {
    use socket2::{Domain, Socket, Type};
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).map_err(|e| e.to_string())?;
    s.bind(&SocketAddr::new(src.into(), 0).into())
        .map_err(|e| format!("bind {src}: {e}"))?;
    let vip: SocketAddr = format!("{VIP}:80").parse().unwrap();
    s.connect_timeout(&vip.into(), Duration::from_secs(1))
        .map_err(|e| format!("connect: {e}"))?;
    let mut t: TcpStream = s.into();
    t.set_read_timeout(Some(Duration::from_secs(2))).ok();
    t.set_write_timeout(Some(Duration::from_secs(2))).ok();
    t.write_all(b"GET / HTTP/1.0\r\nHost: vip\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    t.read_to_end(&mut buf).map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header in {text:?}"))?;
    if !head.starts_with("HTTP/1.") || !head.contains(" 200 ") {
        return Err(format!("status: {}", head.lines().next().unwrap_or("")));
    }
    Ok(body.trim().to_string())
}

pub struct Sample {
    pub at: Instant,
    pub src: Ipv4Addr,
    pub answer: Result<String, String>,
}

/// Requests every 100 ms from inside the client namespace, from 4 source addresses in turn
/// starting at 10.9.0.(100 + base); `base` changes to get sources without persistence.
pub struct Client {
    stop: Arc<AtomicBool>,
    pub base: Arc<AtomicU8>,
    pub samples: Arc<Mutex<Vec<Sample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Client {
    pub fn start(ns: &str) -> Client {
        for i in 100..140 {
            super::ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("10.9.0.{i}/24"),
                "dev",
                "eth0",
            ])
            .expect("client address");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let base = Arc::new(AtomicU8::new(0));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let (s2, b2, v2) = (stop.clone(), base.clone(), samples.clone());
        let path = format!("/run/netns/{ns}");
        let thread = std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("namespace file");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let mut i = 0u8;
            while !s2.load(Ordering::Relaxed) {
                let src = Ipv4Addr::new(10, 9, 0, 100 + b2.load(Ordering::Relaxed) + i % 4);
                i = i.wrapping_add(1);
                let t = Instant::now();
                let answer = request(src);
                v2.lock().unwrap().push(Sample { at: t, src, answer });
                std::thread::sleep(Duration::from_millis(100).saturating_sub(t.elapsed()));
            }
        });
        Client {
            stop,
            base,
            samples,
            thread: Some(thread),
        }
    }

    /// (answers, failures) of the requests started at or after `since` (and before `until`).
    pub fn between(&self, since: Instant, until: Option<Instant>) -> (Vec<String>, Vec<String>) {
        let v = self.samples.lock().unwrap();
        let mut ok = Vec::new();
        let mut failed = Vec::new();
        for s in v
            .iter()
            .filter(|s| s.at >= since && until.is_none_or(|u| s.at < u))
        {
            match &s.answer {
                Ok(name) => ok.push(name.clone()),
                Err(e) => failed.push(format!("from {}: {e}", s.src)),
            }
        }
        (ok, failed)
    }

    /// Waits (up to `limit`) until every name in `names` answered since `since`.
    pub fn wait_answers(&self, since: Instant, names: &[&str], limit: Duration) -> bool {
        wait_for(limit, || {
            let (ok, _) = self.between(since, None);
            names.iter().all(|n| ok.iter().any(|o| o == n))
        })
        .is_some()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The real servers of VIP:80 in a director's IPVS table (`ipvsadm -Ln`), e.g. ["10.9.0.4"].
pub fn table(ns: &str) -> Vec<String> {
    table_of(ns, 80)
}

/// The real servers of VIP:`port` in a director's IPVS table.
pub fn table_of(ns: &str, port: u16) -> Vec<String> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "/usr/sbin/ipvsadm", "-Ln", "-t"])
        .arg(format!("{VIP}:{port}"))
        .output()
        .expect("ipvsadm");
    let text = String::from_utf8_lossy(&out.stdout);
    let suffix = format!(":{port}");
    let mut v: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("-> "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|a| !a.starts_with("RemoteAddress"))
        .map(|a| a.trim_end_matches(suffix.as_str()).to_string())
        .collect();
    v.sort();
    v
}

/// Connections the director's service has scheduled so far (`ipvsadm -Ln --stats`).
pub fn conns(ns: &str) -> u64 {
    let out = sh(
        ns,
        &format!("/usr/sbin/ipvsadm -Ln --stats -t {VIP}:80 --exact"),
    );
    out.lines()
        .find(|l| l.starts_with("TCP"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

pub fn both() -> Vec<String> {
    vec![RS[0].1.to_string(), RS[1].1.to_string()]
}

/// A real server: the VIP on lo as /32, ARP settings so that only the director answers for the
/// VIP, a directory with its name to serve.
pub fn real_server(lab: &Lab, ns: &str, name: &str) -> PathBuf {
    sh(
        ns,
        &format!(
            "set -e; ip addr add {VIP}/32 dev lo
             for c in all default lo; do
                 sysctl -qw net.ipv4.conf.$c.arp_ignore=1 net.ipv4.conf.$c.arp_announce=2
             done"
        ),
    );
    let www = lab.dir.join(format!("www-{name}"));
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), format!("{name}\n")).unwrap();
    www
}

/// busybox's httpd in the foreground on port 80.
pub fn httpd(lab: &Lab, ns: &str, name: &str, www: &Path) -> Daemon {
    let addr = if name == "r1" { RS[0].1 } else { RS[1].1 };
    busybox_httpd(lab, ns, addr, www, name)
}

/// busybox's httpd in the foreground on `addr`:80 in `ns`, serving `www`, once it listens; its
/// log is `httpd-NAME.log` in the lab.
pub fn busybox_httpd(lab: &Lab, ns: &str, addr: &str, www: &Path, name: &str) -> Daemon {
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        ns,
        "/bin/busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
    ])
    .arg(www);
    let d = Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("httpd-{name}.log")));
    let sa: SocketAddr = format!("{addr}:80").parse().unwrap();
    let up = in_netns(ns, move || {
        wait_for(Duration::from_secs(10), || {
            TcpStream::connect_timeout(&sa, Duration::from_millis(500)).is_ok()
        })
        .is_some()
    });
    assert!(up, "httpd {name} does not listen");
    d
}

pub fn ours(lab: &Lab, ns: &str, name: &str, conf: &str) -> Daemon {
    let conf = lab.write(&format!("{name}.conf"), conf);
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        ns,
        env!("CARGO_BIN_EXE_keepalived-rs"),
        "-n",
        "-l",
        "-D",
        "-f",
    ])
    .arg(&conf)
    .args(pid_args(lab, name));
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

pub fn keepalived(lab: &Lab, ns: &str, name: &str, conf: &str) -> Daemon {
    let conf = lab.write(&format!("{name}.conf"), conf);
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns, KEEPALIVED, "-n", "-l", "-D", "-f"])
        .arg(&conf)
        .args(pid_args(lab, name));
    Daemon::spawn_for_test(&mut cmd, lab.dir.join(format!("{name}.log")))
}

/// Pid files of its own for each daemon (/run is shared by every namespace).
pub fn pid_args(lab: &Lab, name: &str) -> Vec<PathBuf> {
    let p = |s: &str| lab.dir.join(format!("{name}{s}.pid"));
    vec![
        "-p".into(),
        p(""),
        "-r".into(),
        p("-vrrp"),
        "-c".into(),
        p("-checkers"),
    ]
}

/// Copies the lab's logs into the results directory (KARS_VM_OUT) for a look after the run.
pub fn save_logs(lab: &Lab, test: &str) {
    let Ok(out) = std::env::var("KARS_VM_OUT") else {
        return;
    };
    let dest = Path::new(&out).join(test);
    let _ = std::fs::create_dir_all(&dest);
    if let Ok(entries) = std::fs::read_dir(&lab.dir) {
        for e in entries.flatten() {
            let p = e.path();
            if matches!(p.extension().and_then(|x| x.to_str()), Some("log" | "conf")) {
                let _ = std::fs::copy(&p, dest.join(e.file_name()));
            }
        }
    }
}

pub fn has_vip(lab: &Lab, ns: &str) -> bool {
    lab.has(ns, VIP)
}
