//! What a daemon leaves in a namespace's kernel, read the way the comparisons with keepalived
//! 2.2.7 read it: `ip -d route`/`rule` and `ip -d addr` normalised so that two runs compare
//! line for line, `ip monitor` while something happens, and [`Steps`]: a daemon's picture
//! taken at each state it is led through, the second daemon waited for until it shows the
//! first one's.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{wait_for, Lab};

/// `ip ARGS`, its output; a failure fails the test (the lab's own commands must work).
pub fn ip_ok(args: &[&str]) -> String {
    super::ip(args).unwrap_or_else(|e| panic!("{e}"))
}

/// A second link in namespace `ns`: `eth1` with `addr`, a veth pair whose other end (`eth1p`)
/// is in the namespace too, both up.
pub fn add_eth1(ns: &str, addr: &str) {
    ip_ok(&[
        "-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p",
    ]);
    ip_ok(&["-n", ns, "addr", "add", addr, "dev", "eth1"]);
    ip_ok(&["-n", ns, "link", "set", "eth1p", "up"]);
    ip_ok(&["-n", ns, "link", "set", "eth1", "up"]);
}

/// Routes (every table) and rules of `ns`, both families, as `ip -d` shows them.
pub fn routes_and_rules(ns: &str) -> String {
    [
        ip_ok(&["-n", ns, "-4", "-d", "route", "show", "table", "all"]),
        ip_ok(&["-n", ns, "-6", "-d", "route", "show", "table", "all"]),
        ip_ok(&["-n", ns, "-4", "-d", "rule", "show"]),
        ip_ok(&["-n", ns, "-6", "-d", "rule", "show"]),
    ]
    .join("--\n")
}

/// The lines a daemon installed: `proto keepalived`, or a rule written with `protocol 50`.
pub fn keepalived_lines(snapshot: &str) -> Vec<&str> {
    snapshot
        .lines()
        .filter(|l| l.contains("proto keepalived") || l.contains("proto 50"))
        .collect()
}

/// The addresses of eth0 and eth1 in `ns` (`ip -d -o addr`, blanks collapsed, sorted), not the
/// link-local ones, which come and go with the link.
pub fn addresses(ns: &str) -> String {
    let mut lines: Vec<String> = ip_ok(&["-n", ns, "-d", "-o", "addr", "show"])
        .lines()
        .filter(|l| (l.contains(" eth0") || l.contains(" eth1")) && !l.contains("fe80::"))
        .map(collapse_blanks)
        .collect();
    lines.sort();
    lines.join("\n")
}

fn collapse_blanks(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `ip -n NS monitor ...` in the namespace, its lines in a file of the lab's, until stopped.
pub struct Monitor {
    child: Child,
    out: PathBuf,
}

impl Monitor {
    /// `ip -n ns ARGS` (e.g. `["monitor", "route", "rule"]`) into `<name>.monitor`.
    pub fn start(lab: &Lab, ns: &str, name: &str, args: &[&str]) -> Monitor {
        let out = lab.dir.join(format!("{name}.monitor"));
        let f = std::fs::File::create(&out).unwrap();
        let child = Command::new("ip")
            .args(["-n", ns])
            .args(args)
            .stdout(f)
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // `ip monitor` listens once it runs.
        std::thread::sleep(Duration::from_millis(300));
        Monitor { child, out }
    }

    /// The events seen, blanks collapsed and sorted (the two daemons need not send them in
    /// the same order).
    pub fn stop(mut self) -> Vec<String> {
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        let mut lines: Vec<String> = text.lines().map(collapse_blanks).collect();
        lines.sort();
        lines
    }
}

/// A daemon's picture at each named state, in the order it was led through them.
pub type States = Vec<(&'static str, String)>;

/// The picture of `state` in `states`; a state never taken fails the test.
pub fn state_at<'a>(states: &'a States, state: &str) -> &'a str {
    &states
        .iter()
        .find(|(n, _)| *n == state)
        .unwrap_or_else(|| panic!("no state {state}"))
        .1
}

/// keepalived-rs's pictures against keepalived 2.2.7's, state by state.
pub fn assert_same_states(mine: &States, theirs: &States) {
    for ((state, k), (_, m)) in theirs.iter().zip(mine) {
        assert_eq!(
            m, k,
            "{state}: keepalived-rs (left) against keepalived 2.2.7 (right)"
        );
    }
    assert_eq!(mine.len(), theirs.len(), "the states taken");
}

/// One daemon led through states, its picture (`read(ns)`) taken at each.
pub struct Steps<'a> {
    ns: &'a str,
    who: &'a str,
    log: PathBuf,
    read: fn(&str) -> String,
    /// The first daemon's pictures: the second one is waited for until it shows the same.
    want: Option<&'a States>,
    /// How long the daemon is given, once the state is reached, to finish what it does in one
    /// go before the picture is taken.
    pause: Duration,
    pub states: States,
}

impl<'a> Steps<'a> {
    /// `who` (its log `<who>.log` in the lab's directory) in `ns`, read by `read`; 300 ms
    /// given to finish at each state.
    pub fn new(
        lab: &Lab,
        ns: &'a str,
        who: &'a str,
        read: fn(&str) -> String,
        want: Option<&'a States>,
    ) -> Steps<'a> {
        Steps {
            ns,
            who,
            log: lab.dir.join(format!("{who}.log")),
            read,
            want,
            pause: Duration::from_millis(300),
            states: Vec::new(),
        }
    }

    /// Another time given to finish at each state.
    pub fn pause(self, pause: Duration) -> Steps<'a> {
        Steps { pause, ..self }
    }

    /// Waits for `done` on the picture (or, for the second daemon, for the first one's picture
    /// of `state`), lets the daemon finish, then takes the picture. The first daemon not
    /// reaching it fails the test; the second one's picture is taken anyway, for the
    /// comparison to show.
    pub fn settle(&mut self, state: &'static str, done: impl Fn(&str) -> bool) {
        let read = self.read;
        let expected = self.want.and_then(|w| w.iter().find(|(s, _)| *s == state));
        let reached = wait_for(Duration::from_secs(15), || match expected {
            Some((_, k)) => read(self.ns) == *k,
            None => done(&read(self.ns)),
        });
        if reached.is_none() && expected.is_none() {
            panic!(
                "{}: {state} not reached:\n{}\n{}",
                self.who,
                read(self.ns),
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
        }
        std::thread::sleep(self.pause);
        self.take(state);
    }

    /// Takes the picture of `state` now.
    pub fn take(&mut self, state: &'static str) {
        self.states.push((state, (self.read)(self.ns)));
    }
}
