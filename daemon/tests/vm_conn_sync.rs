//! No broken connections on director failover (issue 14): the LVS-DR pair of vm_e2e
//! (tests/common/dr.rs) with `lvs_sync_daemon eth0 VI_1` on both directors, both `state BACKUP`
//! with priorities 100 / 90 and `preempt_delay 15`, and a second virtual server, VIP:8000, to an
//! echo service on each real server. A client holds 20 long-lived TCP connections through the
//! VIP (each sends a line every 100 ms and checks the answer, which names the real server),
//! plus vm_e2e's stream of new HTTP requests.
//!
//! Phases, each counting the connections that broke (reset, closed, answered by another real
//! server, or silent for 30 s) and those stalled past 5 s:
//! 1. kill -9 of the master director (every process of the daemon): the backup takes over;
//!    before that, the backup's connection table (`keepalived-rs ipvs list -c`) holds the 20
//!    connections, synced, with their real servers;
//! 2. the old master comes back and preempts (after preempt_delay);
//! 3. SIGTERM of the master (priority-0 advert): the backup takes over;
//! 4. (benchmark only) it comes back and preempts again.
//!
//! A connection that broke is replaced by a new one before the next phase, so each phase starts
//! with 20. `vm_conn_sync_no_broken_connections` runs keepalived-rs with the settings
//! and asserts 0 broken and 0 stalled in phases 1-3; `vm_bench_conn_sync` runs the variants
//! (keepalived-rs / keepalived 2.2.7, with and without the sync daemon, other preempt_delays)
//! as often as asked and prints a table (docs/benchmarks.md). Outside the VM each prints one
//! `SKIP:` line.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::dr::*;
use common::{in_vm, lab_or_skip, wait_for, Daemon, Lab, KEEPALIVED};

/// The echo service's port on the real servers, and its virtual server's.
const ECHO_PORT: u16 = 8000;
/// Long-lived connections, from 10.9.0.120 on (the HTTP client uses 100-113).
const CONNS: usize = 20;
/// A connection silent longer than this is stalled (still counted apart from broken ones).
const STALL: Duration = Duration::from_secs(5);
/// A connection silent this long is broken.
const DEAD: Duration = Duration::from_secs(30);
/// Master_Down_Interval of the priority-100 director: 3 + (256 - 100) / 256 s.
const MDI_100: f64 = 3.0 + 156.0 / 256.0;

/// An echo service on ECHO_PORT inside a real server's namespace: each line comes back as
/// `NAME LINE`. Threads of this process; stopped on drop.
struct Echo {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Echo {
    fn start(ns: &str, name: &'static str) -> Echo {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        let path = format!("/run/netns/{ns}");
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("namespace file");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let l = TcpListener::bind(("0.0.0.0", ECHO_PORT)).expect("echo listener");
            l.set_nonblocking(true).unwrap();
            ready_tx.send(()).unwrap();
            while !s2.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, _)) => {
                        let s3 = s2.clone();
                        std::thread::spawn(move || echo(s, name, s3));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("echo service listening");
        Echo {
            stop,
            thread: Some(thread),
        }
    }
}

fn echo(s: TcpStream, name: &str, stop: Arc<AtomicBool>) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let _ = s.set_nodelay(true);
    let Ok(mut w) = s.try_clone() else { return };
    let mut r = BufReader::new(s);
    let mut line = String::new();
    while !stop.load(Ordering::Relaxed) {
        match r.read_line(&mut line) {
            Ok(0) => return,
            Ok(_) if line.ends_with('\n') => {
                if w.write_all(format!("{name} {line}").as_bytes()).is_err() {
                    return;
                }
                line.clear();
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What one long-lived connection has seen.
#[derive(Debug, Default)]
struct ConnState {
    /// The real server that answered first ("r1"/"r2").
    server: Option<String>,
    answers: u64,
    last_answer: Option<Instant>,
    /// The longest time between two answers since the last [`Conns::mark`].
    max_gap: Duration,
    /// Why and when it broke.
    broken: Option<(Instant, String)>,
}

/// One long-lived connection through VIP:ECHO_PORT from `src`, driven by a thread of its own.
struct Conn {
    src: Ipv4Addr,
    local: SocketAddr,
    state: Arc<Mutex<ConnState>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Conn {
    fn open(ns: &str, src: Ipv4Addr, every: Duration) -> Conn {
        let path = format!("/run/netns/{ns}");
        let state = Arc::new(Mutex::new(ConnState::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (state.clone(), stop.clone());
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("namespace file");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            use socket2::{Domain, Socket, Type};
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
            s.bind(&SocketAddr::new(src.into(), 0).into())
                .expect("bind");
            let vip: SocketAddr = format!("{VIP}:{ECHO_PORT}").parse().unwrap();
            if let Err(e) = s.connect_timeout(&vip.into(), Duration::from_secs(5)) {
                st.lock().unwrap().broken = Some((Instant::now(), format!("connect: {e}")));
                let _ = tx.send(None);
                return;
            }
            let t: TcpStream = s.into();
            let _ = tx.send(t.local_addr().ok());
            drive(t, &st, &sp, every);
        });
        let local = rx
            .recv_timeout(Duration::from_secs(10))
            .ok()
            .flatten()
            .unwrap_or_else(|| SocketAddr::new(src.into(), 0));
        Conn {
            src,
            local,
            state,
            stop,
            thread: Some(thread),
        }
    }

    fn broken(&self) -> bool {
        self.state.lock().unwrap().broken.is_some()
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A line `every` (100 ms in the scenario), each answer checked: `NAME SEQ` with the
/// same NAME every time.
fn drive(t: TcpStream, st: &Mutex<ConnState>, stop: &AtomicBool, every: Duration) {
    let _ = t.set_nodelay(true);
    let _ = t.set_read_timeout(Some(Duration::from_millis(200)));
    let Ok(mut w) = t.try_clone() else { return };
    let mut r = BufReader::new(t);
    let started = Instant::now();
    let fail = |why: String| st.lock().unwrap().broken = Some((Instant::now(), why));
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        seq += 1;
        let sent = Instant::now();
        if let Err(e) = w.write_all(format!("{seq}\n").as_bytes()) {
            return fail(format!("write: {e}"));
        }
        let mut line = String::new();
        loop {
            match r.read_line(&mut line) {
                Ok(0) => return fail("closed by the other end".into()),
                Ok(_) if line.ends_with('\n') => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if sent.elapsed() > DEAD {
                        return fail(format!("no answer for {} s", DEAD.as_secs()));
                    }
                }
                Err(e) => return fail(format!("read: {e}")),
            }
        }
        let Some((name, n)) = line.trim_end().split_once(' ') else {
            return fail(format!("answer {line:?}"));
        };
        if n != seq.to_string() {
            return fail(format!("answer {line:?} to {seq}"));
        }
        let now = Instant::now();
        {
            let mut s = st.lock().unwrap();
            match &s.server {
                None => s.server = Some(name.to_string()),
                Some(first) if first != name => {
                    let why = format!("answered by {name}, first by {first}");
                    drop(s);
                    return fail(why);
                }
                Some(_) => {}
            }
            let gap = now - s.last_answer.unwrap_or(started);
            s.max_gap = s.max_gap.max(gap);
            s.last_answer = Some(now);
            s.answers += 1;
        }
        std::thread::sleep(every.saturating_sub(sent.elapsed()));
    }
}

/// The 20 long-lived connections, from the client namespace.
struct Conns {
    ns: String,
    every: Duration,
    conns: Vec<Conn>,
}

impl Conns {
    fn open(ns: &str, every: Duration) -> Conns {
        let conns = (0..CONNS)
            .map(|i| Conn::open(ns, Ipv4Addr::new(10, 9, 0, 120 + i as u8), every))
            .collect();
        Conns {
            ns: ns.to_string(),
            every,
            conns,
        }
    }

    /// Replaces every connection by a new one from the same source.
    fn replace_all(&mut self) {
        for c in &mut self.conns {
            *c = Conn::open(&self.ns, c.src, self.every);
        }
    }

    /// Replaces every broken connection by a new one from the same source; how many.
    fn replace_broken(&mut self) -> usize {
        let mut n = 0;
        for c in &mut self.conns {
            if c.broken() {
                *c = Conn::open(&self.ns, c.src, self.every);
                n += 1;
            }
        }
        n
    }

    /// True once every connection that is not broken has answered since `since`.
    fn all_answered_since(&self, since: Instant) -> bool {
        self.conns.iter().all(|c| {
            let s = c.state.lock().unwrap();
            s.broken.is_some() || s.last_answer.is_some_and(|t| t >= since)
        })
    }

    /// Starts a phase: the longest gaps are measured from here.
    fn mark(&self) {
        for c in &self.conns {
            c.state.lock().unwrap().max_gap = Duration::ZERO;
        }
    }

    /// (broken since `since` with their reasons, stalled past STALL, the longest gap).
    fn since(&self, since: Instant) -> (Vec<String>, usize, Duration) {
        let mut broken = Vec::new();
        let (mut stalled, mut longest) = (0, Duration::ZERO);
        for c in &self.conns {
            let s = c.state.lock().unwrap();
            match &s.broken {
                Some((at, why)) if *at >= since => broken.push(format!("{}: {why}", c.local)),
                Some(_) => {}
                None => {
                    stalled += usize::from(s.max_gap > STALL);
                    longest = longest.max(s.max_gap);
                }
            }
        }
        (broken, stalled, longest)
    }

    /// The live connections, each with the address of the real server answering it.
    fn live(&self) -> Vec<(SocketAddr, String)> {
        self.conns
            .iter()
            .filter_map(|c| {
                let s = c.state.lock().unwrap();
                let server = s.server.as_deref().filter(|_| s.broken.is_none())?;
                let addr = RS.iter().find(|(n, _)| *n == server)?.1;
                Some((c.local, format!("{addr}:{ECHO_PORT}")))
            })
            .collect()
    }
}

/// How many of the live connections director `ns`'s connection table holds with their real
/// server (`keepalived-rs ipvs list -c -n`: protocol, expiry, state, source, virtual,
/// destination).
fn synced_on(ns: &str, conns: &Conns) -> usize {
    let o = Command::new("ip")
        .args(["netns", "exec", ns, env!("CARGO_BIN_EXE_keepalived-rs")])
        .args(["ipvs", "list", "-c", "-n"])
        .output()
        .expect("ipvs list -c");
    let text = String::from_utf8_lossy(&o.stdout);
    let entries: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 6 && f[0] == "TCP").then(|| (f[3].to_string(), f[5].to_string()))
        })
        .collect();
    conns
        .live()
        .iter()
        .filter(|(local, dest)| entries.contains(&(local.to_string(), dest.clone())))
        .count()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ours,
    Keepalived,
    /// keepalived, its "kill -9" only of the parent process: the children then stop cleanly
    /// (priority-0 advert, VIPs and services removed), as on SIGTERM.
    KeepalivedParentKilled,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ours => "keepalived-rs",
            Kind::Keepalived => "keepalived",
            Kind::KeepalivedParentKilled => "keepalived (kill -9 of the parent only)",
        }
    }
}

/// One director: the daemon running there, its namespace, how many times it started.
struct Director {
    kind: Kind,
    ns: String,
    base: &'static str,
    conf: String,
    starts: usize,
    daemon: Option<Daemon>,
}

impl Director {
    fn start(&mut self, lab: &Lab) {
        self.starts += 1;
        let name = format!("{}-{}", self.base, self.starts);
        self.daemon = Some(match self.kind {
            Kind::Ours => ours(lab, &self.ns, &name, &self.conf),
            Kind::Keepalived | Kind::KeepalivedParentKilled => {
                keepalived(lab, &self.ns, &name, &self.conf)
            }
        });
    }

    /// kill -9 of every process of the daemon. keepalived's children would otherwise notice
    /// their parent's death and stop cleanly (priority-0 advert, VIPs and services removed, sync
    /// daemon stopped: a SIGTERM, not a crash): the parent is stopped first (so that it cannot
    /// restart a child), then the children and the parent are killed.
    fn kill9(&mut self, lab: &Lab) {
        let Some(mut d) = self.daemon.take() else {
            return;
        };
        if self.kind == Kind::Keepalived {
            use nix::sys::signal::{kill, Signal};
            use nix::unistd::Pid;
            let pid = |p: Option<u32>| Pid::from_raw(p.unwrap_or(0) as i32);
            if let Some(parent) = d.pid() {
                let _ = kill(pid(Some(parent)), Signal::SIGSTOP);
            }
            let name = format!("{}-{}", self.base, self.starts);
            for f in ["-vrrp", "-checkers"] {
                let path = lab.dir.join(format!("{name}{f}.pid"));
                let child = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                if let Some(c) = child.filter(|&c| c > 1) {
                    let _ = kill(pid(Some(c)), Signal::SIGKILL);
                }
            }
        }
        d.kill9();
    }

    fn term(&mut self) -> Option<i32> {
        self.daemon.take()?.term(Duration::from_secs(20))
    }

    fn log(&self) -> String {
        self.daemon
            .as_ref()
            .map(|d| d.log_text())
            .unwrap_or_default()
    }
}

/// A variant of the scenario.
#[derive(Clone, Copy, Debug)]
struct Variant {
    kind: Kind,
    sync: bool,
    preempt_delay: u32,
    /// Phase 4: the old master comes back after the SIGTERM and preempts again.
    return_after_term: bool,
    /// How often each long-lived connection sends a line (100 ms in the issue).
    line_every: Duration,
    /// The directors' kernels re-send every connection with traffic this often, by time alone
    /// (`net.ipv4.vs.sync_threshold` "3 0" and `sync_refresh_period`); None: the kernel's
    /// default (every 50 packets).
    resend_secs: Option<u32>,
}

/// The shipped pair's configuration for this scenario: both `state BACKUP`, `preempt_delay`,
/// `lvs_sync_daemon eth0 VI_1` (unless `sync` is off), and the virtual server VIP:ECHO_PORT
/// beside VIP:80 (the same settings, checked on the echo port).
fn scenario_conf(file: &str, v: &Variant) -> String {
    let text = director_conf(file).replace("state MASTER", "state BACKUP");
    assert!(text.contains("state BACKUP"), "{file}: no state line");
    let with_delay = text.replace(
        "    advert_int 1\n",
        &format!("    advert_int 1\n    preempt_delay {}\n", v.preempt_delay),
    );
    assert_ne!(with_delay, text, "{file}: no advert_int line");
    let mut text = with_delay;
    if v.sync {
        text = text.replacen(
            "global_defs {\n",
            "global_defs {\n   lvs_sync_daemon eth0 VI_1\n",
            1,
        );
        assert!(text.contains("lvs_sync_daemon"), "{file}: no global_defs");
    }
    let vs = &text[text.find("virtual_server").expect("a virtual_server")..];
    let echo_vs = vs
        .replace(&format!("{VIP} 80 {{"), &format!("{VIP} {ECHO_PORT} {{"))
        .replace("connect_port 80", &format!("connect_port {ECHO_PORT}"))
        .replace(" 80 {", &format!(" {ECHO_PORT} {{"));
    assert!(echo_vs.contains(&format!("connect_port {ECHO_PORT}")));
    format!("{text}\n{echo_vs}")
}

/// What one phase did.
#[derive(Debug)]
struct Phase {
    name: &'static str,
    /// Connections at the start (after replacing the broken ones).
    conns: usize,
    /// Of those, how many the director taking over held with their real servers just before.
    synced: usize,
    /// How long from the event (kill, start, SIGTERM) until the VIP was on the other director.
    took: Duration,
    broken: Vec<String>,
    stalled: usize,
    longest: Duration,
    /// New HTTP requests (vm_e2e's stream) that failed during the phase, and all of them.
    http_failed: usize,
    http_all: usize,
}

impl Phase {
    fn line(&self, v: &Variant) -> String {
        format!(
            "{} sync {} preempt_delay {}{}: {}: {}/{} broken, {} stalled > {} s, longest gap {:.2} s, {}/{} synced before, VIP moved after {:.2} s, {}/{} new HTTP requests failed{}",
            v.kind.name(),
            if v.sync { "on" } else { "off" },
            v.preempt_delay,
            if v.line_every == Duration::from_millis(100) {
                String::new()
            } else {
                format!(
                    ", a line every {} ms, re-sent by time every {} s",
                    v.line_every.as_millis(),
                    v.resend_secs.unwrap_or(0)
                )
            },
            self.name,
            self.broken.len(),
            self.conns,
            self.stalled,
            STALL.as_secs(),
            self.longest.as_secs_f64(),
            self.synced,
            self.conns,
            self.took.as_secs_f64(),
            self.http_failed,
            self.http_all,
            if self.broken.is_empty() {
                String::new()
            } else {
                format!(": {:?}", self.broken)
            }
        )
    }
}

/// Copies the lab's logs to the results directory when the scenario ends, panicking or not.
struct SaveLogs<'a>(&'a Lab, &'a str);

impl Drop for SaveLogs<'_> {
    fn drop(&mut self) {
        save_logs(self.0, self.1);
    }
}

/// The whole scenario once, in its own lab; every phase's result, in order. Panics only when
/// the lab itself does not work (a director never takes the VIP, the tables never fill).
fn scenario(test: &str, v: Variant) -> Option<Vec<Phase>> {
    let lab = lab_or_skip(test, "s", 5)?;
    let _save = SaveLogs(&lab, test);
    let (cl, n1, n2) = (lab.node(0), lab.node(1), lab.node(2));
    let www1 = real_server(&lab, lab.node(3), "r1");
    let www2 = real_server(&lab, lab.node(4), "r2");
    let _h1 = httpd(&lab, lab.node(3), "r1", &www1);
    let _h2 = httpd(&lab, lab.node(4), "r2", &www2);
    let _e1 = Echo::start(lab.node(3), "r1");
    let _e2 = Echo::start(lab.node(4), "r2");
    let mut d1 = Director {
        kind: v.kind,
        ns: n1.to_string(),
        base: "d1",
        conf: scenario_conf("keepalived-lvs-dr-master.conf", &v),
        starts: 0,
        daemon: None,
    };
    let mut d2 = Director {
        kind: v.kind,
        ns: n2.to_string(),
        base: "d2",
        conf: scenario_conf("keepalived-lvs-dr-backup.conf", &v),
        starts: 0,
        daemon: None,
    };
    if let Some(r) = v.resend_secs {
        for ns in [n1, n2] {
            sh(
                ns,
                &format!(
                    "echo 3 0 > /proc/sys/net/ipv4/vs/sync_threshold && echo {r} > /proc/sys/net/ipv4/vs/sync_refresh_period"
                ),
            );
        }
    }
    // d1 first, so that it is master without preempting.
    d1.start(&lab);
    assert!(
        wait_for(Duration::from_secs(30), || has_vip(&lab, n1)).is_some(),
        "d1 never took the VIP:\n{}",
        d1.log()
    );
    d2.start(&lab);
    for d in [&d1, &d2] {
        assert!(
            wait_for(Duration::from_secs(30), || table(&d.ns) == both()
                && table_of(&d.ns, ECHO_PORT) == both())
            .is_some(),
            "{}: IPVS tables incomplete:\n{}",
            d.ns,
            d.log()
        );
    }
    // KARS_SYNC_CAPTURE=1: every TCP reset the client receives, with the sender's MAC
    // (02:00:00:00:00:0N is node N: 2 and 3 the directors, 4 and 5 the real servers).
    let _capture = (std::env::var("KARS_SYNC_CAPTURE").as_deref() == Ok("1")).then(|| {
        let log = lab.dir.join("resets.log");
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns", "exec", cl, "tcpdump", "-i", "eth0", "-l", "-n", "-e", "-tttt",
        ])
        .arg("tcp[tcpflags] & tcp-rst != 0");
        Daemon::spawn_for_test(&mut cmd, log)
    });
    let client = Client::start(cl);
    let mut conns = Conns::open(cl, v.line_every);
    let t = Instant::now();
    assert!(
        wait_for(Duration::from_secs(30), || conns.all_answered_since(t)).is_some(),
        "the long-lived connections never all answered: {:?}",
        conns.since(t)
    );
    let mut phases = Vec::new();
    let mut steps = vec![
        "kill -9 of the master",
        "it comes back and preempts",
        "SIGTERM of the master",
    ];
    if v.return_after_term {
        steps.push("it comes back and preempts again");
    }
    // Which director is master: the event happens to it (kill, SIGTERM) or to the other one
    // (it comes back, having been killed or stopped).
    let mut d1_master = true;
    for name in steps {
        let coming_back = name.starts_with("it comes back");
        if coming_back {
            // Connections opened while the returning director was down: it can only know them
            // through the sync daemon (after a kill -9 its kernel still holds the older ones).
            conns.replace_all();
        } else {
            conns.replace_broken();
        }
        let t = Instant::now();
        assert!(
            wait_for(Duration::from_secs(30), || conns.all_answered_since(t)).is_some(),
            "{name}: the long-lived connections never all answered: {:?}",
            conns.since(t)
        );
        let live = conns.live().len();
        let (other, taker) = if d1_master {
            (&mut d1, &mut d2)
        } else {
            (&mut d2, &mut d1)
        };
        d1_master = !d1_master;
        // Before a takeover the backup should hold the connections: wait for them (sync on) or
        // a few seconds (off). A returning director is measured while it waits to preempt.
        let mut synced = 0;
        if !coming_back {
            if v.sync {
                let _ = wait_for(Duration::from_secs(20), || {
                    synced = synced_on(&taker.ns, &conns);
                    synced == live
                });
            } else {
                std::thread::sleep(Duration::from_secs(3));
                synced = synced_on(&taker.ns, &conns);
            }
        }
        conns.mark();
        let event = Instant::now();
        let from = other.ns.clone();
        let (limit, moved_to) = match name {
            "kill -9 of the master" => {
                other.kill9(&lab);
                (MDI + SLACK + 10.0, taker.ns.clone())
            }
            "SIGTERM of the master" => {
                let log = other.daemon.as_ref().map(|d| d.log.clone());
                let st = other.term();
                let log = log
                    .and_then(|l| std::fs::read_to_string(l).ok())
                    .unwrap_or_default();
                assert_eq!(
                    st,
                    Some(0),
                    "{}: SIGTERM exit status; log:\n{log}",
                    other.ns
                );
                if v.kind == Kind::Ours {
                    // The VIP goes before the virtual servers (daemon::run): with the VIP and no
                    // service left, the kernel's own stack would reset the connections. (The
                    // VRRP side logs before it removes, the LVS side's stop comes after.)
                    let vips = log.rfind("removing VIPs.").expect("VIP removal in the log");
                    let lvs_stop = ["Shutting down service", "IPVS: delete service"]
                        .iter()
                        .filter_map(|l| log.find(l))
                        .min()
                        .expect("the LVS side's stop in the log");
                    assert!(vips < lvs_stop, "services removed before the VIP:\n{log}");
                }
                (SLACK + 10.0, taker.ns.clone())
            }
            _ => {
                // The director killed or stopped in the last phase starts again.
                taker.start(&lab);
                // keepalived-rs may hold the preemption up to 60 s for its connection table.
                (
                    MDI_100 + f64::from(v.preempt_delay) + 60.0 + SLACK + 15.0,
                    taker.ns.clone(),
                )
            }
        };
        let mut last_synced = 0;
        let mut polled: Option<Instant> = None;
        let took = wait_for(Duration::from_secs_f64(limit), || {
            if coming_back && polled.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                last_synced = synced_on(&moved_to, &conns);
                polled = Some(Instant::now());
            }
            // A daemon killed with -9 leaves the VIP behind (its kernel still forwards): a
            // takeover is the VIP on the backup; a preemption, the VIP on the returning director
            // and no longer on the other.
            has_vip(&lab, &moved_to) && (name.starts_with("kill") || !has_vip(&lab, &from))
        })
        .unwrap_or_else(|| {
            save_logs(&lab, test);
            panic!("{name}: the VIP never moved to {moved_to}")
        });
        if coming_back {
            synced = last_synced;
        }
        let moved = Instant::now();
        let _ = wait_for(DEAD + Duration::from_secs(5), || {
            conns.all_answered_since(moved)
        });
        std::thread::sleep(Duration::from_secs(2));
        let (broken, stalled, longest) = conns.since(event);
        let (ok, failed) = client.between(event, None);
        let p = Phase {
            name,
            conns: live,
            synced,
            took,
            broken,
            stalled,
            longest,
            http_failed: failed.len(),
            http_all: ok.len() + failed.len(),
        };
        println!("MEASURE: {}", p.line(&v));
        phases.push(p);
    }
    drop(conns);
    drop(client);
    for d in [&mut d1, &mut d2] {
        d.term();
    }
    Some(phases)
}

/// The scenario that must pass: keepalived-rs on both directors, the sync daemon on,
/// preempt_delay 15: no connection breaks or stalls on the kill -9, the preemption and the
/// SIGTERM, and before the takeover the backup holds every connection with its real server.
#[test]
fn vm_conn_sync_no_broken_connections() {
    let test = "vm_conn_sync_no_broken_connections";
    if !in_vm(test) {
        return;
    }
    let v = Variant {
        kind: Kind::Ours,
        sync: true,
        preempt_delay: 15,
        return_after_term: false,
        line_every: Duration::from_millis(100),
        resend_secs: None,
    };
    let Some(phases) = scenario(test, v) else {
        return;
    };
    for p in &phases {
        assert!(p.broken.is_empty(), "{}", p.line(&v));
        assert_eq!(p.stalled, 0, "{}", p.line(&v));
        if p.name != "it comes back and preempts" {
            assert_eq!(p.synced, p.conns, "{}", p.line(&v));
        }
    }
}

/// The benchmark of docs/benchmarks.md ("Connection sync on director failover"): the
/// scenario's variants, each run KARS_SYNC_RUNS times (default 1), every phase one MEASURE
/// line, then a summary per variant. KARS_SYNC_DAEMONS: `keepalived-rs`, `keepalived` or both
/// (default), or `keepalived-parent` (keepalived, its kill -9 only of the parent process);
/// KARS_SYNC_VARIANTS: a list of `sync15`, `sync0`, `nosync15` (default: these three; the
/// issue's connections, a line every 100 ms) and `slow0` (a line every second, preempt_delay
/// 0, the directors' kernels re-sending every connection by time alone every 10 s).
/// Run by hand in the VM: `tests/vm/run --timeout 7200 --env KARS_SYNC_RUNS=5 --
/// target/debug/deps/vm_conn_sync-HASH --ignored --nocapture bench`.
#[test]
#[ignore = "benchmark; run by hand in the VM"]
fn vm_bench_conn_sync() {
    let test = "vm_bench_conn_sync";
    if !in_vm(test) {
        return;
    }
    assert!(
        std::path::Path::new(KEEPALIVED).exists(),
        "{KEEPALIVED} is missing"
    );
    let runs: usize = std::env::var("KARS_SYNC_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let daemons = std::env::var("KARS_SYNC_DAEMONS").unwrap_or("keepalived-rs,keepalived".into());
    let variants = std::env::var("KARS_SYNC_VARIANTS").unwrap_or("sync15,sync0,nosync15".into());
    let mut summary = Vec::new();
    for variant in variants.split(',') {
        let ms = Duration::from_millis;
        let (sync, delay, line_every, resend_secs) = match variant.trim() {
            "sync15" => (true, 15, ms(100), None),
            "sync0" => (true, 0, ms(100), None),
            "nosync15" => (false, 15, ms(100), None),
            "slow0" => (true, 0, ms(1000), Some(10)),
            other => panic!("KARS_SYNC_VARIANTS: unknown variant {other}"),
        };
        for daemon in daemons.split(',') {
            let kind = match daemon.trim() {
                "keepalived-rs" => Kind::Ours,
                "keepalived" => Kind::Keepalived,
                "keepalived-parent" => Kind::KeepalivedParentKilled,
                other => panic!("KARS_SYNC_DAEMONS: unknown daemon {other}"),
            };
            let v = Variant {
                kind,
                sync,
                preempt_delay: delay,
                return_after_term: true,
                line_every,
                resend_secs,
            };
            // Per phase: broken counts of every run.
            let mut per_phase: Vec<(&'static str, Vec<usize>, usize)> = Vec::new();
            for run in 0..runs {
                println!("MEASURE: run {} of {runs}: {v:?}", run + 1);
                let phases = scenario(test, v).expect("the lab");
                for (i, p) in phases.iter().enumerate() {
                    if per_phase.len() <= i {
                        per_phase.push((p.name, Vec::new(), 0));
                    }
                    per_phase[i].1.push(p.broken.len());
                    per_phase[i].2 += p.stalled;
                }
            }
            for (name, broken, stalled) in per_phase {
                summary.push(format!(
                    "| {} | {} | {} | {} | {name} | {runs} | {} | {} | {stalled} |",
                    kind.name(),
                    if sync { "on" } else { "off" },
                    delay,
                    variant.trim(),
                    broken.iter().filter(|&&b| b == 0).count(),
                    broken
                        .iter()
                        .map(|b| b.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                ));
            }
        }
    }
    println!("MEASURE: summary (broken of {CONNS} per run)");
    println!("| daemon | sync | preempt_delay | variant | phase | runs | runs with 0 broken | broken per run | stalled > {} s (all runs) |", STALL.as_secs());
    println!("|---|---|---:|---|---|---:|---:|---|---:|");
    for l in summary {
        println!("{l}");
    }
}
