//! Whether a daemon starts on a configuration file, and what it then runs: keepalived 2.2.7's
//! and ours, each in a network namespace of its own whose one interface is `eth0` (10.0.0.1/24).
//!
//! A daemon "starts" when it is still running 3 s after it was started. What it runs is read
//! from its own account of its configuration: keepalived's data dumps (SIGUSR1:
//! keepalived.data, keepalived_check.data, minus what changes from run to run), ours the model
//! `-d` logs at start (`keepalived-rs config dump`'s JSON, minus where each thing was written).
//! "keepalived runs file A as if it were file B" is then: the two dumps are the same.
//!
//! Used by netns_start_verdict.rs and vm_start_verdict.rs; many files are run at once (the
//! daemons mostly wait), each in its own namespace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::kinds::{Daemon, Kind};
use super::{ip, ours_binary, wait_for, KEEPALIVED};

/// How long a daemon must stay up to count as started: 3 s, 15 s in the test VM (emulated, 5-10x
/// slower: keepalived reads its file and its children stop on it well after 3 s there).
pub fn started_after() -> Duration {
    if std::env::var("KARS_VM").as_deref() == Ok("1") {
        Duration::from_secs(15)
    } else {
        Duration::from_secs(3)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Keepalived,
    Ours,
}

impl Who {
    pub fn name(self) -> &'static str {
        match self {
            Who::Keepalived => "keepalived",
            Who::Ours => "keepalived-rs",
        }
    }
}

/// One daemon run on one file.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Still running [`started_after`] after it was started.
    pub started: bool,
    /// Its exit status, when it ended by itself.
    pub exit: Option<i32>,
    /// What it runs (see the module's comment), when it started.
    pub dump: Option<String>,
    pub log: String,
}

/// A network namespace with `eth0` (a veth whose peer stays inside too), removed on drop.
struct Netns(String);

impl Netns {
    fn new(name: String) -> Netns {
        let _ = ip(&["netns", "del", &name]);
        ip(&["netns", "add", &name]).expect("ip netns add");
        let ns = Netns(name);
        let n = ns.0.as_str();
        for args in [
            &[
                "-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p",
            ][..],
            &["-n", n, "link", "set", "lo", "up"],
            &["-n", n, "link", "set", "eth0p", "up"],
            &["-n", n, "link", "set", "eth0", "up"],
            &["-n", n, "addr", "add", "10.0.0.1/24", "dev", "eth0"],
        ] {
            ip(args).expect("namespace setup");
        }
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.0]);
    }
}

/// Runs `who` on `file` in namespace `ns`, its pid files, dumps and log in `dir`.
pub fn run(who: Who, file: &Path, dir: &Path, ns: &str) -> Outcome {
    std::fs::create_dir_all(dir).unwrap();
    let _ns = Netns::new(ns.to_string());
    let log = dir.join("log");
    let mut cmd = Command::new("ip");
    cmd.env("TMPDIR", dir).args(["netns", "exec", ns]);
    match who {
        Who::Keepalived => cmd.arg(KEEPALIVED).args(["-n", "-l", "-D"]),
        Who::Ours => cmd.arg(ours_binary()).args(["-n", "-l", "-D", "-d"]),
    };
    cmd.arg("-f")
        .arg(file)
        .arg("-p")
        .arg(dir.join("main.pid"))
        .arg("-r")
        .arg(dir.join("vrrp.pid"))
        .arg("-c")
        .arg(dir.join("checkers.pid"));
    let start = Instant::now();
    let mut d = super::Daemon::spawn_for_test(&mut cmd, log);
    // Up and running: an instance has entered a state or a checker started, or it ended.
    let started_after = started_after();
    let _ = wait_for(started_after + Duration::from_secs(2), || {
        let text = d.log_text();
        !d.running()
            || text.contains("Entering ")
            || text.contains("Activating healthchecker")
            || start.elapsed() > started_after
    });
    let mut dump = None;
    if d.running() {
        dump = match who {
            Who::Keepalived => keepalived_dump(&d, dir),
            Who::Ours => None,
        };
        let left = started_after.saturating_sub(start.elapsed());
        std::thread::sleep(left + Duration::from_millis(100));
    }
    let started = d.running();
    let exit = if started {
        let _ = d.term(Duration::from_secs(5));
        None
    } else {
        d.term(Duration::from_secs(1))
    };
    let log = d.log_text();
    if started && who == Who::Ours {
        dump = our_model(&log);
    }
    Outcome {
        started,
        exit,
        dump: if started { dump } else { None },
        log,
    }
}

/// SIGUSR1, then the data files keepalived's children write, each once it has stopped growing.
fn keepalived_dump(d: &super::Daemon, dir: &Path) -> Option<String> {
    d.signal(nix::sys::signal::Signal::SIGUSR1);
    let files = ["keepalived.data", "keepalived_check.data"];
    let children = [dir.join("vrrp.pid"), dir.join("checkers.pid")];
    let expected: Vec<&str> = files
        .iter()
        .zip(&children)
        .filter(|(_, pid)| pid.exists())
        .map(|(f, _)| *f)
        .collect();
    let _ = wait_for(Duration::from_secs(3), || {
        expected.iter().all(|f| dir.join(f).exists())
    });
    let mut last = String::new();
    let _ = wait_for(Duration::from_secs(2), || {
        std::thread::sleep(Duration::from_millis(100));
        let now: String = expected
            .iter()
            .map(|f| std::fs::read_to_string(dir.join(f)).unwrap_or_default())
            .collect();
        let same = now == last && !now.is_empty();
        last = now;
        same
    });
    Some(normalise_keepalived(&last))
}

/// keepalived's data dumps without what differs from one run to the next (times, file
/// descriptors, the interfaces' addresses, who is master).
pub fn normalise_keepalived(text: &str) -> String {
    const VOLATILE: &[&str] = &[
        "Last transition",
        "Read timeout",
        "fd_in",
        "Master router",
        "Master priority",
        "Wantstate",
        "State =",
        "Number of track scripts init",
        "Number of interface and track script faults",
        "Using src_ip",
        "Router ID",
        "Checker process priority",
        "Last checked",
        "Next check",
        "Status =",
        "Alive",
        "Quorum state",
        // Absent when script_user names no user: no file can write that out.
        "Default script uid:gid",
    ];
    const SKIPPED_SECTIONS: &[&str] = &["Interfaces", "VRRP Sockpool", "Scripts"];
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if let Some(title) = line
            .trim()
            .strip_prefix("------< ")
            .and_then(|l| l.strip_suffix(" >------"))
        {
            skipping = SKIPPED_SECTIONS.contains(&title);
        }
        let t = line.trim();
        if skipping || VOLATILE.iter().any(|v| t.starts_with(v)) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The model `-d` logged, without origins, as pretty JSON.
fn our_model(log: &str) -> Option<String> {
    // Console lines start with the time: "Sun Dec  6 07:31:02 2026: ".
    const TIME: usize = 26;
    let mut lines = log
        .lines()
        .skip_while(|l| !l.contains("------< Configuration"));
    lines.next()?;
    let mut json = String::new();
    for l in lines {
        let l = l.get(TIME..).unwrap_or("");
        json.push_str(l);
        json.push('\n');
        if l == "}" {
            break;
        }
    }
    let mut v: serde_json::Value = serde_json::from_str(&json).ok()?;
    strip_origins(&mut v);
    serde_json::to_string_pretty(&v).ok()
}

fn strip_origins(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.remove("origin");
            m.values_mut().for_each(strip_origins);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(strip_origins),
        _ => {}
    }
}

/// The lines of `a` not in `b` and of `b` not in `a`, for a failure message.
pub fn line_diff(a: &str, b: &str) -> String {
    let count = |s: &str| {
        let mut m: BTreeMap<String, i32> = BTreeMap::new();
        for l in s.lines() {
            *m.entry(l.to_string()).or_default() += 1;
        }
        m
    };
    let (ca, cb) = (count(a), count(b));
    let mut out = String::new();
    for (l, n) in &ca {
        if cb.get(l).copied().unwrap_or(0) < *n {
            out.push_str(&format!("- {l}\n"));
        }
    }
    for (l, n) in &cb {
        if ca.get(l).copied().unwrap_or(0) < *n {
            out.push_str(&format!("+ {l}\n"));
        }
    }
    out
}

/// What was measured for one file: each daemon on the file, and on its fallback written out.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    pub file: BTreeMap<Who, Outcome>,
    pub as_if: BTreeMap<Who, Outcome>,
}

/// A file to run: a kind (with keepalived's expected behaviour) or a sample (none expected).
pub struct Case {
    pub name: String,
    pub path: PathBuf,
    pub as_if: Option<PathBuf>,
    pub expected: Option<Daemon>,
}

/// Writes the kinds to `dir` as cases.
pub fn cases(kinds: &[Kind], dir: &Path) -> Vec<Case> {
    std::fs::create_dir_all(dir).unwrap();
    kinds
        .iter()
        .map(|k| {
            let path = dir.join(format!("{}.conf", k.name));
            std::fs::write(&path, &k.text).unwrap();
            let as_if = match &k.keepalived {
                Daemon::Runs(Some(t)) => {
                    let p = dir.join(format!("{}.as-if.conf", k.name));
                    std::fs::write(&p, t).unwrap();
                    Some(p)
                }
                _ => None,
            };
            Case {
                name: k.name.to_string(),
                path,
                as_if,
                expected: Some(k.keepalived.clone()),
            }
        })
        .collect()
}

/// Runs every case with both daemons (and their fallbacks), `parallel` runs at a time;
/// namespaces are named `{prefix}{n}`.
pub fn measure(cases: &[Case], dir: &Path, prefix: &str, parallel: usize) -> Vec<Measured> {
    let mut jobs = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        for who in [Who::Keepalived, Who::Ours] {
            jobs.push((i, who, false, c.path.clone()));
            if let Some(p) = &c.as_if {
                jobs.push((i, who, true, p.clone()));
            }
        }
    }
    let results = Arc::new(Mutex::new(vec![Measured::default(); cases.len()]));
    let next = Arc::new(AtomicUsize::new(0));
    let jobs = Arc::new(jobs);
    let workers: Vec<_> = (0..parallel)
        .map(|_| {
            let (results, next, jobs) = (results.clone(), next.clone(), jobs.clone());
            let (dir, prefix) = (dir.to_path_buf(), prefix.to_string());
            std::thread::spawn(move || loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                let Some((i, who, as_if, path)) = jobs.get(n).cloned() else {
                    break;
                };
                let out = run(
                    who,
                    &path,
                    &dir.join(format!("run{n}")),
                    &format!("{prefix}{n}"),
                );
                let mut r = results.lock().unwrap();
                let m = &mut r[i];
                if as_if {
                    m.as_if.insert(who, out);
                } else {
                    m.file.insert(who, out);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    Arc::try_unwrap(results).unwrap().into_inner().unwrap()
}

/// Where keepalived-rs knowingly does not start as keepalived does (docs/compat.md): (name,
/// why).
pub const EXCEPTIONS: &[(&str, &str)] = &[(
    "unbalanced_braces",
    "which statements belong to which block is a guess; keepalived-rs does not run a guess",
)];

/// Checks one case; returns its table row and what is wrong, if anything.
pub fn judge(c: &Case, m: &Measured) -> (String, Vec<String>) {
    let mut wrong = Vec::new();
    let k = &m.file[&Who::Keepalived];
    let o = &m.file[&Who::Ours];
    let show = |x: &Outcome| {
        if x.started {
            "starts".to_string()
        } else {
            format!("stops ({})", x.exit.map_or("-".into(), |c| c.to_string()))
        }
    };
    let mut fallback = String::new();
    match &c.expected {
        Some(Daemon::Stops) if k.started => {
            wrong.push("keepalived starts; recorded: it stops".into())
        }
        Some(Daemon::Runs(_)) if !k.started => wrong.push(format!(
            "keepalived stops; recorded: it runs\n{}",
            tail(&k.log)
        )),
        _ => {}
    }
    let exception = EXCEPTIONS.iter().find(|(n, _)| *n == c.name);
    if o.started != k.started && exception.is_none() {
        wrong.push(format!(
            "keepalived-rs {}, keepalived {}\n{}",
            show(o),
            show(k),
            tail(&o.log)
        ));
    }
    if let (Some(as_if), true) = (&c.as_if, k.started) {
        let ka = &m.as_if[&Who::Keepalived];
        match (&k.dump, &ka.dump) {
            (Some(a), Some(b)) if a == b => fallback.push_str("keepalived: same"),
            (a, b) => {
                fallback.push_str("keepalived: DIFFERS");
                wrong.push(format!(
                    "keepalived does not run it as if it were {}:\n{}",
                    as_if.display(),
                    line_diff(a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""))
                ));
            }
        }
        if o.started {
            let oa = &m.as_if[&Who::Ours];
            match (&o.dump, &oa.dump) {
                (Some(a), Some(b)) if a == b => fallback.push_str(", ours: same"),
                (a, b) => {
                    fallback.push_str(", ours: DIFFERS");
                    wrong.push(format!(
                        "keepalived-rs does not run it as if it were {}:\n{}",
                        as_if.display(),
                        line_diff(a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""))
                    ));
                }
            }
        }
    }
    // Ours logs each finding at its file:line:col; a file keepalived runs with a fallback has
    // at least one such line, and a file ours does not start on names where the finding is.
    let file = c.path.display().to_string();
    let located: Vec<&str> = o
        .log
        .lines()
        .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
        .collect();
    for l in &located {
        if located_at(l, &file).is_none() {
            wrong.push(format!("a finding without its file:line:col: {l}"));
        }
    }
    if o.started && c.as_if.is_some() && located.is_empty() {
        wrong.push(format!(
            "keepalived runs it with a fallback, ours logs no finding:\n{}",
            tail(&o.log)
        ));
    }
    // (keepalived's samples may hold the finding in an included file.)
    if !o.started && k.started == o.started && c.expected.is_some() {
        let named = o
            .log
            .lines()
            .any(|l| l.contains("not starting") && l.contains(&format!("{file}:")));
        if !named && exception.is_none() {
            wrong.push(format!(
                "ours does not start without naming the finding's place:\n{}",
                tail(&o.log)
            ));
        }
    }
    let row = format!(
        "{:<44} {:<12} {:<12} {}{}",
        c.name,
        show(k),
        show(o),
        fallback,
        exception.map_or(String::new(), |(_, why)| format!(" (exception: {why})"))
    );
    (row, wrong)
}

/// The line and column of `line`'s finding in `file` ("FILE:LINE:COL: error: ..."), if it names
/// them.
pub fn located_at(line: &str, file: &str) -> Option<(u32, u32)> {
    let rest = &line[line.find(&format!("{file}:"))? + file.len() + 1..];
    let mut parts = rest.splitn(3, ':');
    let l = parts.next()?.parse().ok()?;
    let c = parts.next()?.parse().ok()?;
    parts
        .next()?
        .trim_start()
        .starts_with(|ch: char| ch.is_ascii_lowercase())
        .then_some((l, c))
}

/// Judges every case: the table of what was measured (a header and one row per file), and what
/// is wrong, file by file.
pub fn judge_all(cases: &[Case], measured: &[Measured]) -> (String, Vec<String>) {
    let mut table = vec![format!(
        "{:<44} {:<12} {:<12} fallback (the file as if it were its fallback written out)",
        "file", "keepalived", "keepalived-rs"
    )];
    let mut wrong = Vec::new();
    for (c, m) in cases.iter().zip(measured) {
        let (row, w) = judge(c, m);
        table.push(row);
        if !w.is_empty() {
            wrong.push(format!("{}:\n  {}", c.name, w.join("\n  ")));
        }
    }
    (table.join("\n"), wrong)
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(12)..].join("\n")
}
