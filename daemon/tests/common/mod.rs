//! A small network lab for the daemon's real tests: network namespaces joined by a bridge in a
//! namespace of its own, one namespace per router (interface `eth0`, 10.9.0.N/24 and
//! fd09::N/64), and an observer namespace capturing everything with `tcpdump -w`.
//!
//! Names carry the test process's pid and a per-test tag, so tests run in parallel. Everything
//! is torn down by `Drop`, also when the test panics. Without root or `ip` the lab is not built
//! and the test says `SKIP:` once.

#![allow(dead_code)]

pub mod dr;
pub mod kernel_state;
pub mod kinds;
pub mod link_fault;
pub mod listener;
pub mod metrics;
pub mod notify;
pub mod start;
pub mod syslog;

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn ip(args: &[&str]) -> Result<String, String> {
    let o = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

fn in_ns(ns: &str, args: &[&str]) -> Result<String, String> {
    let o = Command::new("ip")
        .args(["netns", "exec", ns])
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", args[0]))?;
    if !o.status.success() {
        return Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// Why the lab cannot run here, if it cannot.
pub fn cannot_run() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("not root (network namespaces need CAP_NET_ADMIN)".into());
    }
    if Command::new("ip").arg("-V").output().is_err() {
        return Some("no `ip` command (iproute2)".into());
    }
    None
}

/// Returns the lab, or prints one `SKIP:` line and returns None.
pub fn lab_or_skip(test: &str, tag: &str, nodes: usize) -> Option<Lab> {
    if let Some(why) = cannot_run() {
        eprintln!("SKIP: {test}: {why}");
        return None;
    }
    Some(Lab::new(tag, nodes).unwrap_or_else(|e| panic!("building the lab: {e}")))
}

pub struct Lab {
    pub prefix: String,
    pub bridge_ns: String,
    pub nodes: Vec<String>,
    pub observer: String,
    pub dir: PathBuf,
    pub pcap: PathBuf,
    tcpdump: Option<Child>,
    created: Vec<String>,
}

impl Lab {
    pub fn new(tag: &str, nodes: usize) -> Result<Lab, String> {
        let prefix = format!("krs{}{tag}", std::process::id());
        let dir = std::env::temp_dir().join(format!("{prefix}-lab"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let mut lab = Lab {
            bridge_ns: format!("{prefix}-br"),
            nodes: (0..nodes).map(|i| format!("{prefix}-n{}", i + 1)).collect(),
            observer: format!("{prefix}-obs"),
            pcap: dir.join("capture.pcap"),
            dir,
            prefix,
            tcpdump: None,
            created: Vec::new(),
        };
        lab.build()?;
        Ok(lab)
    }

    fn add_ns(&mut self, ns: &str) -> Result<(), String> {
        ip(&["netns", "add", ns])?;
        self.created.push(ns.to_string());
        // No DAD: addresses (link-local ones too) are usable at once. /proc/sys/net is the
        // namespace's own inside `ip netns exec` (no need for procps' sysctl).
        in_ns(
            ns,
            &[
                "sh",
                "-c",
                "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad",
            ],
        )?;
        ip(&["-n", ns, "link", "set", "lo", "up"])?;
        Ok(())
    }

    fn build(&mut self) -> Result<(), String> {
        let br = self.bridge_ns.clone();
        self.add_ns(&br)?;
        ip(&[
            "-n",
            &br,
            "link",
            "add",
            "br0",
            "type",
            "bridge",
            "stp_state",
            "0",
            "mcast_snooping",
            "0",
            "forward_delay",
            "0",
        ])?;
        ip(&["-n", &br, "link", "set", "br0", "up"])?;
        let mut members: Vec<(String, usize)> = self.nodes.iter().cloned().zip(1..).collect();
        members.push((self.observer.clone(), 254));
        for (ns, n) in members {
            self.add_ns(&ns)?;
            let port = format!("p{n}");
            ip(&[
                "-n", &br, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns",
                &ns,
            ])?;
            ip(&["-n", &br, "link", "set", &port, "master", "br0", "up"])?;
            ip(&[
                "-n",
                &ns,
                "link",
                "set",
                "eth0",
                "address",
                &format!("02:00:00:00:00:{n:02x}"),
            ])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("10.9.0.{n}/24"),
                "dev",
                "eth0",
            ])?;
            ip(&[
                "-n",
                &ns,
                "addr",
                "add",
                &format!("fd09::{n:x}/64"),
                "dev",
                "eth0",
                "nodad",
            ])?;
            ip(&["-n", &ns, "link", "set", "eth0", "up"])?;
        }
        self.start_capture()
    }

    fn start_capture(&mut self) -> Result<(), String> {
        let mut child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.observer,
                "tcpdump",
                "-i",
                "eth0",
                "-U",
                "-n",
                "-w",
            ])
            .arg(&self.pcap)
            // ip6[6] == 0: after a hop-by-hop header, as MLD reports are.
            .args(["ip proto 112 or ip6 proto 112 or arp or icmp6 or (ip6 and ip6[6] == 0)"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("tcpdump: {e}"))?;
        let stderr = child.stderr.take().ok_or("no tcpdump stderr")?;
        let mut line = String::new();
        let mut r = BufReader::new(stderr);
        r.read_line(&mut line).map_err(|e| e.to_string())?;
        if !line.contains("listening on") {
            let _ = child.kill();
            return Err(format!("tcpdump did not start: {line}"));
        }
        // Keep draining its stderr so it never blocks.
        std::thread::spawn(move || for _ in r.lines() {});
        self.tcpdump = Some(child);
        Ok(())
    }

    /// The i-th router's namespace (0-based) and its addresses.
    pub fn node(&self, i: usize) -> &str {
        &self.nodes[i]
    }
    pub fn addr4(i: usize) -> String {
        format!("10.9.0.{}", i + 1)
    }
    pub fn mac(i: usize) -> [u8; 6] {
        [2, 0, 0, 0, 0, (i + 1) as u8]
    }

    /// The addresses on `eth0` of namespace `ns`.
    pub fn addresses(&self, ns: &str) -> Vec<IpAddr> {
        let out = ip(&["-n", ns, "-br", "addr", "show", "dev", "eth0"]).unwrap_or_default();
        out.split_whitespace()
            .filter_map(|w| w.split('/').next()?.parse().ok())
            .collect()
    }

    pub fn has(&self, ns: &str, vip: &str) -> bool {
        let v: IpAddr = vip.parse().expect("an address");
        self.addresses(ns).contains(&v)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("write lab file");
        p
    }

    /// Runs `keepalived-rs -n -l -D` in namespace `ns` with `conf`.
    pub fn start_ours(&self, ns: &str, name: &str, conf: &str) -> Daemon {
        self.start_ours_env(ns, name, conf, &[])
    }

    /// [`Lab::start_ours`] with environment variables (`TMPDIR`: where its dumps go).
    pub fn start_ours_env(
        &self,
        ns: &str,
        name: &str,
        conf: &str,
        env: &[(&str, &Path)],
    ) -> Daemon {
        self.spawn_ours(ns, name, conf, env, &[])
    }

    /// [`Lab::start_ours`] with a control socket, `NAME.sock` in the lab's directory, and
    /// `extra` arguments.
    pub fn start_ours_with_socket(
        &self,
        ns: &str,
        name: &str,
        conf: &str,
        extra: &[&str],
    ) -> Daemon {
        let socket = self.dir.join(format!("{name}.sock"));
        let mut args = vec!["--control-socket", socket.to_str().expect("a UTF-8 path")];
        args.extend_from_slice(extra);
        self.spawn_ours(ns, name, conf, &[], &args)
    }

    fn spawn_ours(
        &self,
        ns: &str,
        name: &str,
        conf: &str,
        env: &[(&str, &Path)],
        extra: &[&str],
    ) -> Daemon {
        let conf = self.write(&format!("{name}.conf"), conf);
        let log = self.dir.join(format!("{name}.log"));
        let mut cmd = Command::new("ip");
        cmd.envs(env.iter().copied())
            .args(["netns", "exec", ns])
            .arg(ours_binary())
            .args(["-n", "-l", "-D", "-f"])
            .arg(&conf)
            .arg("-p")
            .arg(self.dir.join(format!("{name}.pid")))
            .arg("-r")
            .arg(self.dir.join(format!("{name}-vrrp.pid")))
            .args(extra);
        Daemon::spawn_for_test(&mut cmd, log)
    }

    /// keepalived 2.2.7 when `who` is "keepalived", else keepalived-rs, in namespace `ns` with
    /// `conf` (its files named after `who`): the tests that run both on the same file.
    pub fn start_either(&self, who: &str, ns: &str, conf: &str) -> Daemon {
        if who == "keepalived" {
            self.start_keepalived(ns, who, conf)
        } else {
            self.start_ours(ns, who, conf)
        }
    }

    /// The checkers' daemon of `who` on `conf` in namespace `ns`, with `-C` (keepalived 2.2.7's
    /// checker child only; keepalived-rs's LVS side only, named `name`).
    pub fn start_checkers_either(&self, who: &str, ns: &str, name: &str, conf: &str) -> Daemon {
        self.start_checkers_either_env(who, ns, name, conf, &[])
    }

    /// [`Lab::start_checkers_either`] with environment variables (`TMPDIR`: where the dumps go).
    pub fn start_checkers_either_env(
        &self,
        who: &str,
        ns: &str,
        name: &str,
        conf: &str,
        env: &[(&str, &Path)],
    ) -> Daemon {
        if who != "keepalived" {
            return self.spawn_ours(ns, name, conf, env, &["-C"]);
        }
        let path = self.write("keepalived.conf", conf);
        let mut cmd = Command::new("ip");
        cmd.envs(env.iter().copied())
            .args([
                "netns", "exec", ns, KEEPALIVED, "-n", "-l", "-D", "-C", "-f",
            ])
            .arg(&path)
            .arg("-p")
            .arg(self.dir.join("k.pid"))
            .arg("-c")
            .arg(self.dir.join("k-checkers.pid"));
        Daemon::spawn_for_test(&mut cmd, self.dir.join("keepalived.log"))
    }

    /// [`Lab::start_either`] with the directory `etc` mounted on /etc/iproute2 for the daemon
    /// alone: `ip netns exec` gives it a mount namespace of its own, whose mounts do not reach
    /// the host's (keepalived 2.2.7 reads its names from /etc/iproute2 only, and knows no
    /// `iproute_etc_dir`), so a test's names need no change to the host's files.
    pub fn start_either_with_iproute2(
        &self,
        who: &str,
        ns: &str,
        conf: &str,
        etc: &Path,
    ) -> Daemon {
        let conf = self.write(&format!("{who}.conf"), conf);
        let log = self.dir.join(format!("{who}.log"));
        let pid = |what: &str| self.dir.join(format!("{who}{what}.pid"));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, "/bin/sh", "-c"])
            .arg(r#"mount --bind "$1" /etc/iproute2 && shift && exec "$@""#)
            .arg("sh")
            .arg(etc);
        if who == "keepalived" {
            cmd.args([KEEPALIVED, "-n", "-l", "-D", "-P", "-f"])
                .arg(&conf)
                .arg("-c")
                .arg(pid("-checkers"));
        } else {
            cmd.arg(ours_binary())
                .args(["-n", "-l", "-D", "-f"])
                .arg(&conf);
        }
        cmd.arg("-p").arg(pid("")).arg("-r").arg(pid("-vrrp"));
        Daemon::spawn_for_test(&mut cmd, log)
    }

    /// Runs Debian's keepalived in namespace `ns` with `conf`, pid files and its log in the
    /// lab's directory.
    pub fn start_keepalived(&self, ns: &str, name: &str, conf: &str) -> Daemon {
        self.start_keepalived_env(ns, name, conf, &[])
    }

    /// [`Lab::start_keepalived`] with environment variables (`TMPDIR`: where its dumps go;
    /// keepalived 2.2.7 honours it, and knows no `*_dump_file` keyword).
    pub fn start_keepalived_env(
        &self,
        ns: &str,
        name: &str,
        conf: &str,
        env: &[(&str, &Path)],
    ) -> Daemon {
        let conf = self.write(&format!("{name}.conf"), conf);
        let log = self.dir.join(format!("{name}.log"));
        let mut cmd = Command::new("ip");
        cmd.envs(env.iter().copied())
            .args([
                "netns", "exec", ns, KEEPALIVED, "-n", "-l", "-D", "-P", "-f",
            ])
            .arg(&conf)
            .arg("-p")
            .arg(self.dir.join(format!("{name}.pid")))
            .arg("-r")
            .arg(self.dir.join(format!("{name}-vrrp.pid")))
            .arg("-c")
            .arg(self.dir.join(format!("{name}-checkers.pid")))
            // Every pid file its own, the BFD one too: a keepalived started elsewhere with the
            // defaults (/run/...) must not make this one "already running".
            .arg("-b")
            .arg(self.dir.join(format!("{name}-bfd.pid")));
        Daemon::spawn_for_test(&mut cmd, log)
    }

    /// Stops the capture and reads it, after waiting (up to `limit`) for the frames to satisfy
    /// `done`: tcpdump hands packets to its file with some delay.
    pub fn capture_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&[Frame]) -> bool,
    ) -> Vec<Frame> {
        let _ = wait_for(limit, || done(&read_pcap(&self.pcap)));
        if let Some(mut t) = self.tcpdump.take() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(t.id() as i32),
                nix::sys::signal::Signal::SIGINT,
            );
            let _ = t.wait();
        }
        read_pcap(&self.pcap)
    }

    /// Stops the capture after one second more of it, and reads it.
    pub fn capture(&mut self) -> Vec<Frame> {
        self.capture_until(Duration::from_secs(1), |_| false)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut t) = self.tcpdump.take() {
            let _ = t.kill();
            let _ = t.wait();
        }
        for ns in self.created.iter().rev() {
            let _ = ip(&["netns", "del", ns]);
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            eprintln!("lab files kept in {}", self.dir.display());
        }
    }
}

pub const KEEPALIVED: &str = "/usr/sbin/keepalived";

/// The daemons a comparison runs, one after the other: keepalived-rs, then keepalived 2.2.7
/// where it is installed (else one SKIP line, and ours is still checked alone).
pub fn daemons_to_compare() -> Vec<&'static str> {
    let mut whos = vec!["keepalived-rs"];
    if std::path::Path::new(KEEPALIVED).exists() {
        whos.push("keepalived");
    } else {
        eprintln!("SKIP: keepalived 2.2.7 not installed: its behaviour not compared");
    }
    whos
}

/// The keepalived-rs binary the lab runs: this build's, or `KRS_BIN` (benchmarks of a release
/// build). In the VM it is `KARS_KRS_BIN`: the harness passes the caller's `KARS_*` variables in.
pub fn ours_binary() -> PathBuf {
    std::env::var_os("KRS_BIN")
        .or_else(|| std::env::var_os("KARS_KRS_BIN"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_keepalived-rs")))
}

/// A daemon started by the lab; killed by `Drop` if still running.
pub struct Daemon {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Daemon {
    /// Starts any command line as a daemon of the lab, its output in `log`.
    pub fn spawn_for_test(cmd: &mut Command, log: PathBuf) -> Daemon {
        let f = std::fs::File::create(&log).expect("log file");
        let f2 = f.try_clone().expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(f)
            .stderr(f2)
            .spawn()
            .expect("start daemon");
        Daemon {
            child: Some(child),
            log,
        }
    }

    /// Signals the daemon; nothing once it has been reaped (never pid 0: that is our group).
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        if let Some(c) = &self.child {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), sig);
        }
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then waits (up to `limit`) for the exit status.
    pub fn term(&mut self, limit: Duration) -> Option<i32> {
        let mut c = self.child.take()?;
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(st)) = c.try_wait() {
                return st.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = c.kill();
        let _ = c.wait();
        None
    }

    /// The process id, while it has not been reaped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits up to `limit` for `text` in the daemon's log; not there by then fails the test,
    /// with the log.
    pub fn wait_log(&self, text: &str, limit: Duration) {
        assert!(
            wait_for(limit, || self.log_text().contains(text)).is_some(),
            "{text:?} not in {}:\n{}",
            self.log.display(),
            self.log_text()
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `f` every 10 ms until it holds or `limit` passes; returns the time it took.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if f() {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One captured Ethernet frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Capture time, seconds since the epoch.
    pub time: f64,
    pub data: Vec<u8>,
}

impl Frame {
    fn ethertype(&self) -> u16 {
        u16::from_be_bytes([self.data[12], self.data[13]])
    }
    pub fn src_mac(&self) -> [u8; 6] {
        self.data[6..12].try_into().unwrap_or([0; 6])
    }

    /// A gratuitous ARP for `ip` (sender = target = ip).
    pub fn is_garp_for(&self, ip: std::net::Ipv4Addr) -> bool {
        self.data.len() >= 42
            && self.ethertype() == 0x0806
            && self.data[28..32] == ip.octets()
            && self.data[38..42] == ip.octets()
    }

    /// VRRP over IPv4: (source, TTL, VRRP payload).
    pub fn vrrp4(&self) -> Option<(std::net::Ipv4Addr, u8, &[u8])> {
        if self.data.len() < 34 || self.ethertype() != 0x0800 || self.data[23] != 112 {
            return None;
        }
        let ihl = usize::from(self.data[14] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([self.data[16], self.data[17]]));
        let src =
            std::net::Ipv4Addr::new(self.data[26], self.data[27], self.data[28], self.data[29]);
        let end = (14 + total).min(self.data.len());
        Some((src, self.data[22], self.data.get(14 + ihl..end)?))
    }

    /// VRRP over IPv6: (source, hop limit, VRRP payload).
    pub fn vrrp6(&self) -> Option<(std::net::Ipv6Addr, u8, &[u8])> {
        if self.data.len() < 54 || self.ethertype() != 0x86dd || self.data[20] != 112 {
            return None;
        }
        let src: [u8; 16] = self.data[22..38].try_into().ok()?;
        let len = usize::from(u16::from_be_bytes([self.data[18], self.data[19]]));
        Some((src.into(), self.data[21], self.data.get(54..54 + len)?))
    }

    /// An unsolicited neighbour advertisement for `target`.
    pub fn is_na_for(&self, target: std::net::Ipv6Addr) -> bool {
        self.data.len() >= 78
            && self.ethertype() == 0x86dd
            && self.data[20] == 58
            && self.data[54] == 136
            && self.data[62..78] == target.octets()
    }
}

/// Reads a classic pcap file (microsecond timestamps, Ethernet).
pub fn read_pcap(path: &Path) -> Vec<Frame> {
    let Ok(b) = std::fs::read(path) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if b.len() < 24 {
        return out;
    }
    let le = b[0..4] == [0xd4, 0xc3, 0xb2, 0xa1];
    let u32_at = |i: usize| -> u32 {
        let a = [b[i], b[i + 1], b[i + 2], b[i + 3]];
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut i = 24;
    while i + 16 <= b.len() {
        let (sec, usec, incl) = (u32_at(i), u32_at(i + 4), u32_at(i + 8) as usize);
        let start = i + 16;
        if start + incl > b.len() {
            break;
        }
        if incl >= 14 {
            out.push(Frame {
                time: f64::from(sec) + f64::from(usec) / 1e6,
                data: b[start..start + incl].to_vec(),
            });
        }
        i = start + incl;
    }
    out
}

pub fn now_epoch() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A keepalived.conf with one instance, for both daemons (keepalived-rs reads keepalived's
/// syntax).
pub struct Conf {
    pub name: &'static str,
    pub state: &'static str,
    pub priority: u8,
    pub vrid: u8,
    pub version: u8,
    pub advert_int: &'static str,
    pub pass: Option<&'static str>,
    pub vips: Vec<&'static str>,
    pub extra: String,
}

impl Conf {
    pub fn v2(state: &'static str, priority: u8) -> Conf {
        Conf {
            name: "VI_1",
            state,
            priority,
            vrid: 51,
            version: 2,
            advert_int: "1",
            pass: Some("s3cret"),
            vips: vec!["10.9.0.100/24"],
            extra: String::new(),
        }
    }

    pub fn text(&self) -> String {
        let auth = match self.pass {
            Some(p) => format!(
                "    authentication {{\n        auth_type PASS\n        auth_pass {p}\n    }}\n"
            ),
            None => String::new(),
        };
        let vips: String = self.vips.iter().map(|v| format!("        {v}\n")).collect();
        format!(
            "global_defs {{\n    vrrp_version {}\n}}\n\
             vrrp_instance {} {{\n    state {}\n    interface eth0\n    virtual_router_id {}\n    priority {}\n    advert_int {}\n{auth}    virtual_ipaddress {{\n{vips}    }}\n{}}}\n",
            self.version, self.name, self.state, self.vrid, self.priority, self.advert_int, self.extra
        )
    }
}

/// Failover timings read from a capture: the last advert of the old master (`old`, IPv4) ->
/// the first of the new one (`new`), and that first advert -> the new master's first GARP for
/// `vip`. Printed for the report as `MEASURE:` lines; asserted only with generous bounds.
pub fn failover_timings(
    frames: &[Frame],
    old: std::net::Ipv4Addr,
    new: std::net::Ipv4Addr,
    new_mac: [u8; 6],
    vip: std::net::Ipv4Addr,
) -> Option<(f64, f64)> {
    let first_new = frames.iter().find(|f| {
        f.vrrp4()
            .is_some_and(|(src, _, p)| src == new && p.len() > 2 && p[2] != 0)
    })?;
    let last_old = frames.iter().rev().find(|f| {
        f.time <= first_new.time
            && f.vrrp4()
                .is_some_and(|(src, _, p)| src == old && p.len() > 2 && p[2] != 0)
    })?;
    let garp = frames
        .iter()
        .find(|f| f.time >= first_new.time && f.src_mac() == new_mac && f.is_garp_for(vip))?;
    Some((first_new.time - last_old.time, garp.time - first_new.time))
}

/// True in the test VM (tests/vm/README.md). Outside it, says why the test does nothing (one
/// `SKIP:` line); in it, a kernel without IPVS is a failure, never a skip.
pub fn in_vm(test: &str) -> bool {
    if std::env::var("KARS_VM").as_deref() == Ok("1") {
        assert!(
            Path::new("/proc/net/ip_vs").exists(),
            "KARS_VM=1 but this kernel has no IPVS (/proc/net/ip_vs)"
        );
        return true;
    }
    eprintln!("SKIP: {test}: not in the test VM; these run in the VM: scripts/test-all vm");
    false
}

/// Runs `f` on a thread of its own inside network namespace `ns`.
pub fn in_netns<T: Send + 'static>(ns: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let path = format!("/run/netns/{ns}");
    std::thread::spawn(move || {
        let file = std::fs::File::open(&path).expect("namespace file");
        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        f()
    })
    .join()
    .expect("thread in namespace")
}

/// `ipvsadm -Ln` in namespace `ns`, as it prints it.
pub fn ipvsadm_ln(ns: &str) -> String {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, "/usr/sbin/ipvsadm", "-Ln"])
        .output()
        .expect("ipvsadm");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `ipvsadm -Ln` in namespace `ns`: the service and destination lines, each cut to its first
/// three words (`TCP 10.9.0.150:80 rr`, `-> 10.9.0.1:8080 Masq`).
pub fn ipvs_lines(ns: &str) -> Vec<String> {
    ipvsadm_ln(ns)
        .lines()
        .filter(|l| l.starts_with("TCP") || l.trim_start().starts_with("->"))
        .filter(|l| !l.contains("RemoteAddress"))
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .collect()
}
