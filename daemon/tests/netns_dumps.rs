//! keepalived's dump files from a running daemon (issue 12): DATA (SIGUSR1), STATS (SIGUSR2),
//! JSON (36) and STATS_CLEAR (63) each write their file, mode 0600, and the files read with
//! the keepalived-format reader (common/keepalived_dump.rs) give the right state for a MASTER
//! and a BACKUP; STATS_CLEAR resets the counters. The same test runs against keepalived 2.2.7
//! in the same lab: its files read with the same reader, which is how we know the reader reads
//! keepalived's format (it also reads keepalived's captured files, without root).
//!
//! Each daemon gets a `TMPDIR` of its own (keepalived 2.2.7 honours it, and so do we), so that
//! two daemons on one host do not write the same /tmp/keepalived.data. Needs root for the
//! network namespaces; skips loudly without it.

mod common;
#[path = "common/keepalived_dump.rs"]
mod keepalived_dump;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{lab_or_skip, now_epoch, wait_for, Conf, Daemon, Lab};
use keepalived_dump::{parse_json, parse_stats, state_name, Data, StatsInstance};

const CAPTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keepalived-2.2.7");
const VIP: &str = "10.9.0.100";

fn capture(name: &str) -> String {
    std::fs::read_to_string(Path::new(CAPTURES).join(name)).unwrap()
}

/// The reader reads every data, stats and JSON file keepalived 2.2.7 wrote in the lab, and
/// finds in them what the configurations and the daemons' states were.
#[test]
fn the_reader_reads_keepalived_own_files() {
    let master = Data::parse(&capture("master.data")).unwrap();
    assert_eq!(master.globals()["Router ID"], "vm");
    let vi = &master.vrrp_instances().unwrap()[0];
    assert_eq!((vi.name.as_str(), vi.state.as_str(), vi.wantstate.as_str()), ("VI_1", "MASTER", "MASTER"));
    assert_eq!((vi.vrid, vi.priority, vi.effective_priority), (51, 150, 150));
    assert_eq!(vi.password.as_deref(), Some("s3cret"));
    assert_eq!(vi.vips.len(), 2);
    assert!(vi.vips.iter().all(|v| v.ends_with(" set")));
    assert_eq!(vi.tracked, [("Tracked scripts".to_string(), "chk weight -20".to_string())]);
    assert_eq!(vi.master_router, None);

    let backup = Data::parse(&capture("backup.data")).unwrap();
    let vi = &backup.vrrp_instances().unwrap()[0];
    assert_eq!((vi.state.as_str(), vi.master_priority), ("BACKUP", Some(150)));
    assert_eq!(vi.master_router, Some("10.77.0.1".parse().unwrap()));
    assert!(vi.vips.iter().all(|v| !v.ends_with(" set")));

    let sync = Data::parse(&capture("sync-backup.data")).unwrap();
    let vis = sync.vrrp_instances().unwrap();
    assert_eq!(vis.len(), 2);
    assert_eq!(vis[1].advert_interval, "500 milli-sec");
    assert_eq!(vis[1].unicast_peers.len(), 1);
    // VRRPv3 has no authentication: no line for it.
    assert_eq!((vis[0].auth_type.as_deref(), vis[1].auth_type.as_deref()), (Some("SIMPLE_PASSWORD"), None));
    assert_eq!(vis[1].sync_group.as_deref(), Some("G1"));
    assert_eq!(
        sync.sync_groups().unwrap(),
        [("G1".to_string(), "BACKUP".to_string(), vec!["VI_1".to_string(), "VI_2".to_string()])]
    );
    // Sections the reader has no use for (Sockpool, Interfaces) are read and skipped.
    assert!(sync.section("Interfaces").is_some());

    let fault = Data::parse(&capture("tracking-fault.data")).unwrap();
    let vi = &fault.vrrp_instances().unwrap()[0];
    assert_eq!(vi.state, "FAULT");
    let kinds: Vec<&str> = vi.tracked.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["Tracked interfaces", "Tracked interfaces", "Tracked scripts", "Tracked files", "Tracked processes"]
    );

    let check = Data::parse(&capture("check.data")).unwrap();
    let vs = check.virtual_servers().unwrap();
    assert_eq!(vs.len(), 2);
    assert_eq!(vs[0].head, "VS VIP = 192.0.2.10, VPORT = 80");
    let alive: Vec<&str> = vs[0].children.iter().map(|rs| rs.field("alive").unwrap()).collect();
    assert_eq!(alive, ["1", "0"]);
    let up: Vec<&str> = check
        .health_checkers()
        .unwrap()
        .iter()
        .map(|c| c.field("Up").unwrap())
        .collect();
    assert_eq!(up, ["yes", "no", "yes"]);
    assert!(Data::parse(&capture("check-parent.data")).unwrap().section("LVS Topology").is_none());

    let stats = parse_stats(&capture("master.stats")).unwrap();
    assert_eq!(stats[0].get("Advertisements/Sent"), 5);
    assert_eq!(stats[0].get("Became master"), 1);
    let stats = parse_stats(&capture("sync-backup.stats")).unwrap();
    assert_eq!(stats.len(), 2);
    assert!(stats[0].get("Advertisements/Received") > 0);
    // STATS_CLEAR wrote the counts, and cleared them: the next stats dump starts from zero.
    let clear = parse_stats(&capture("sync-master.stats-clear")).unwrap();
    let after = parse_stats(&capture("sync-master.stats-after-clear")).unwrap();
    assert_eq!(clear[0].get("Became master"), 1);
    assert_eq!(after[0].get("Became master"), 0);
    assert!(after[0].get("Advertisements/Sent") < clear[0].get("Advertisements/Sent"));

    for (file, state, master_priority) in [
        ("master.json", "MASTER", 0),
        ("backup.json", "BACKUP", 150),
        ("sync-master.json", "MASTER", 0),
        ("tracking-fault.json", "FAULT", 0),
    ] {
        let j = parse_json(&capture(file)).unwrap();
        assert_eq!(state_name(j[0].data.state), state, "{file}");
        assert_eq!(j[0].data.master_priority, master_priority, "{file}");
    }
}

/// The reader is strict about the layout: what keepalived never writes is an error.
#[test]
fn the_reader_refuses_what_keepalived_does_not_write() {
    let good = capture("master.data");
    for (from, to) in [
        ("   State = MASTER\n", "  State = MASTER\n"),
        ("   State = MASTER\n", "   State = RUNNING\n"),
        ("   Virtual IP (2):\n", "   Virtual IP (3):\n"),
        ("   Priority = 150\n", "   Priority = high\n"),
        ("------< VRRP Topology >------\n", "------< VRRP Topology >------\n\n"),
    ] {
        let bad = good.replacen(from, to, 1);
        let r = Data::parse(&bad).and_then(|d| d.vrrp_instances());
        assert!(r.is_err(), "{to:?} read without an error");
    }
    let stats = capture("master.stats");
    assert!(parse_stats(&stats.replace("    TTL: 0\n", "")).is_err());
    assert!(parse_stats(&stats.replace("    TTL: 0\n", "    TTL: none\n")).is_err());
    assert!(parse_stats(&stats.replace("    TTL: 0\n", "   TTL: 0\n")).is_err());
    assert!(parse_json(&capture("master.json").replace("\"vrid\"", "\"vr_id\"")).is_err());
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Which {
    Ours,
    Keepalived,
}

/// The pair's configuration: VRID 51, PASS, two VIPs, a tracked script.
fn pair_conf(state: &'static str, priority: u8) -> String {
    let mut c = Conf::v2(state, priority);
    c.vips = vec!["10.9.0.100/24", "10.9.0.101/24 dev eth0 label eth0:vip"];
    c.extra = "    track_script {\n        chk\n    }\n".into();
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n    interval 1\n    weight -20\n}}\n{}",
        c.text()
    )
}

fn start(lab: &Lab, which: Which, node: usize, name: &str, conf: &str, tmp: &Path) -> Daemon {
    std::fs::create_dir_all(tmp).unwrap();
    let env = [("TMPDIR", tmp)];
    match which {
        Which::Ours => lab.start_ours_env(lab.node(node), name, conf, &env),
        Which::Keepalived => lab.start_keepalived_env(lab.node(node), name, conf, &env),
    }
}

fn send(d: &Daemon, sig: i32) {
    let pid = d.pid().expect("daemon running");
    // nix's Signal has no real-time signals: the shell's kill takes numbers.
    let st = Command::new("sh")
        .args(["-c", &format!("kill -{sig} {pid}")])
        .status()
        .unwrap();
    assert!(st.success());
}

/// Sends `sig` and returns the file it writes (removed first, so this is the new one), once
/// it is there.
fn dump(d: &Daemon, sig: i32, path: &Path) -> String {
    let _ = std::fs::remove_file(path);
    send(d, sig);
    wait_for(Duration::from_secs(10), || path.exists())
        .unwrap_or_else(|| panic!("signal {sig}: no {}\n{}", path.display(), d.log_text()));
    // Whole at once for us (a rename); keepalived writes in place: give it a moment.
    std::thread::sleep(Duration::from_millis(200));
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{} mode {mode:o}", path.display());
    std::fs::read_to_string(path).unwrap()
}

fn stats_of(text: &str) -> StatsInstance {
    let mut s = parse_stats(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(s.len(), 1);
    s.remove(0)
}

/// A MASTER and a BACKUP of `which`, each signalled for each dump.
fn pair_dumps(which: Which, tag: &str) {
    let test = format!("netns_dumps_{which:?}");
    let Some(lab) = lab_or_skip(&test, tag, 2) else {
        return;
    };
    let started = now_epoch();
    let (mtmp, btmp): (PathBuf, PathBuf) = (lab.dir.join("master-tmp"), lab.dir.join("backup-tmp"));
    let m = start(&lab, which, 0, "master", &pair_conf("MASTER", 150), &mtmp);
    // The backup's notifies say DELETED when a reload removes it; its transitions mail; it has
    // notify scripts, one with a user of its own, and notifies its priority changes.
    let backup_conf = pair_conf("BACKUP", 100).replace(
        "    track_script {",
        "    notify_deleted\n    smtp_alert\n    notify_backup \"/bin/true b\" nobody\n    \
         notify /bin/true root\n    notify_priority_changes\n    track_script {",
    );
    let b = start(&lab, which, 1, "backup", &backup_conf, &btmp);
    wait_for(Duration::from_secs(20), || lab.has(lab.node(0), VIP))
        .unwrap_or_else(|| panic!("no master\n{}", m.log_text()));
    // The backup hears a few adverts.
    std::thread::sleep(Duration::from_secs(3));

    // DATA: the data dump (and the parent's).
    let data = Data::parse(&dump(&m, 10, &mtmp.join("keepalived.data"))).unwrap();
    let vi = &data.vrrp_instances().unwrap()[0];
    assert_eq!((vi.name.as_str(), vi.state.as_str(), vi.wantstate.as_str()), ("VI_1", "MASTER", "MASTER"));
    assert_eq!((vi.vrid, vi.priority, vi.effective_priority), (51, 150, 150));
    assert_eq!((vi.interface.as_str(), vi.version), ("eth0", 2));
    assert_eq!(vi.src_ip, "10.9.0.1".parse::<std::net::IpAddr>().unwrap());
    assert_eq!(vi.advert_interval, "1 sec");
    assert_eq!((vi.auth_type.as_deref(), vi.password.as_deref()), (Some("SIMPLE_PASSWORD"), Some("s3cret")));
    assert_eq!(
        vi.vips,
        ["10.9.0.100/24 dev eth0 scope global set", "10.9.0.101/24 dev eth0 scope global label eth0:vip set"]
    );
    assert_eq!(vi.tracked, [("Tracked scripts".to_string(), "chk weight -20".to_string())]);
    assert_eq!(vi.master_router, None);
    assert!(vi.last_transition > started - 1.0 && vi.last_transition < now_epoch(), "{}", vi.last_transition);
    let parent = Data::parse(&std::fs::read_to_string(mtmp.join("keepalived_parent.data")).unwrap()).unwrap();
    assert!(parent.globals().contains_key("Router ID"));
    assert!(parent.section("VRRP Topology").is_none());

    let data = Data::parse(&dump(&b, 10, &btmp.join("keepalived.data"))).unwrap();
    let vi = &data.vrrp_instances().unwrap()[0];
    assert_eq!((vi.state.as_str(), vi.wantstate.as_str()), ("BACKUP", "BACKUP"));
    assert_eq!(vi.master_router, Some("10.9.0.1".parse().unwrap()));
    assert_eq!((vi.master_priority, vi.priority), (Some(150), 100));
    assert!(vi.vips.iter().all(|v| !v.ends_with(" set")), "{:?}", vi.vips);
    fn lines(b: &keepalived_dump::Block) -> [Option<&str>; 5] {
        [
            b.field("Using smtp notification"),
            b.field("Notify deleted"),
            b.field("Backup state transition script"),
            b.field("Generic state transition script"),
            b.field("Notify priority changes"),
        ]
    }
    // The program by its real path, as keepalived resolves it (/usr/bin/true on a merged /usr).
    let real = std::fs::canonicalize("/bin/true").unwrap();
    let real = real.display();
    let (backup_line, generic_line) =
        (format!("'{real}' 'b', uid:gid 65534:65534"), format!("'{real}', uid:gid 0:0"));
    assert_eq!(
        lines(&vi.block),
        [Some("yes"), Some("Deleted"), Some(backup_line.as_str()), Some(generic_line.as_str()), Some("true")]
    );
    let master_data = Data::parse(&dump(&m, 10, &mtmp.join("keepalived.data"))).unwrap();
    assert_eq!(
        lines(&master_data.vrrp_instances().unwrap()[0].block),
        [Some("no"), Some("Fault"), None, None, Some("false")]
    );

    // JSON.
    let j = parse_json(&dump(&m, 36, &mtmp.join("keepalived.json"))).unwrap();
    let d = &j[0].data;
    assert_eq!((d.iname.as_str(), state_name(d.state), state_name(d.wantstate)), ("VI_1", "MASTER", "MASTER"));
    assert_eq!((d.vrid, d.base_priority, d.effective_priority, d.master_priority), (51, 150, 150, 0));
    assert!(d.vipset);
    assert!(!d.smtp_alert && !d.notify_deleted);
    assert_eq!(d.adver_int, 1.0);
    assert_eq!((d.auth_type, d.auth_data.as_deref()), (1, Some("s3cret")));
    assert_eq!(d.ifp_ifname, "eth0");
    assert!(j[0].stats.advert_sent > 0 && j[0].stats.become_master == 1);
    let j = parse_json(&dump(&b, 36, &btmp.join("keepalived.json"))).unwrap();
    assert_eq!((state_name(j[0].data.state), j[0].data.master_priority), ("BACKUP", 150));
    assert!(!j[0].data.vipset);
    assert!(j[0].data.smtp_alert && j[0].data.notify_deleted);
    assert!(j[0].stats.advert_rcvd > 0 && j[0].stats.advert_sent == 0);

    // STATS.
    let ms = stats_of(&dump(&m, 12, &mtmp.join("keepalived.stats")));
    assert_eq!(ms.name, "VI_1");
    assert!(ms.get("Advertisements/Sent") >= 3, "{ms:?}");
    assert_eq!((ms.get("Became master"), ms.get("Advertisements/Received")), (1, 0));
    let bs = stats_of(&dump(&b, 12, &btmp.join("keepalived.stats")));
    assert!(bs.get("Advertisements/Received") >= 3, "{bs:?}");
    assert_eq!((bs.get("Became master"), bs.get("Advertisements/Sent")), (0, 0));
    for k in keepalived_dump::STATS_KEYS.iter().filter(|k| k.contains("Errors")) {
        assert_eq!(bs.get(k), 0, "{k}");
    }

    // STATS_CLEAR: the stats as they were, then every counter from zero again.
    let cleared = stats_of(&dump(&m, 63, &mtmp.join("keepalived.stats")));
    assert!(cleared.get("Advertisements/Sent") >= ms.get("Advertisements/Sent"), "{cleared:?}");
    assert_eq!(cleared.get("Became master"), 1);
    // Past keepalived-rs's publication period, so that the next dump sees the cleared counts.
    std::thread::sleep(Duration::from_millis(1200));
    let after = stats_of(&dump(&m, 12, &mtmp.join("keepalived.stats")));
    assert_eq!(after.get("Became master"), 0, "{after:?}");
    assert!(after.get("Advertisements/Sent") <= 3, "{after:?}");
    assert!(after.get("Advertisements/Sent") < cleared.get("Advertisements/Sent"));

    // None of it disturbed the pair.
    assert!(lab.has(lab.node(0), VIP) && !lab.has(lab.node(1), VIP));
    drop((m, b));
}

#[test]
fn netns_dumps_of_keepalived_rs() {
    pair_dumps(Which::Ours, "du");
}

#[test]
fn netns_dumps_of_keepalived() {
    pair_dumps(Which::Keepalived, "dk");
}

/// `state_dump_file`, `stats_dump_file`, `json_dump_file` and `data_use_instance` place the
/// files (keepalived 2.2.7 does not know the first three: later versions document them, see
/// docs/compat.md), and a reload moves them.
#[test]
fn netns_dump_file_keywords() {
    let Some(lab) = lab_or_skip("netns_dump_file_keywords", "dw", 1) else {
        return;
    };
    let tmp = lab.dir.join("tmp");
    let state = lab.dir.join("state");
    let stats = lab.dir.join("stats");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&stats).unwrap();
    let conf = |data: &str| {
        format!(
            "instance lb\nglobal_defs {{\n    state_dump_file {data}\n    stats_dump_file {}/\n    \
             json_dump_file ka.json\n    data_use_instance\n}}\n{}",
            stats.display(),
            Conf::v2("MASTER", 150).text().replacen("global_defs {\n", "global_defs {\n    router_id lb1\n", 1)
        )
    };
    let first = format!("{}/ka.data", state.display());
    let d = start(&lab, Which::Ours, 0, "ours", &conf(&first), &tmp);
    wait_for(Duration::from_secs(20), || lab.has(lab.node(0), VIP)).expect("master");
    let data = Data::parse(&dump(&d, 10, &state.join("ka.lb.data"))).unwrap();
    assert_eq!(data.vrrp_instances().unwrap()[0].state, "MASTER");
    assert_eq!(data.globals()["Instance name"], "lb");
    let parent = Data::parse(&std::fs::read_to_string(state.join("ka_parent.lb.data")).unwrap()).unwrap();
    assert_eq!(parent.globals()["Router ID"], "lb1");
    stats_of(&dump(&d, 12, &stats.join("keepalived.stats")));
    // A relative path is taken in the temporary directory.
    parse_json(&dump(&d, 36, &tmp.join("ka.json"))).unwrap();
    let in_tmp: Vec<_> = std::fs::read_dir(&tmp).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(in_tmp, [std::ffi::OsString::from("ka.json")]);

    // A reload with another state_dump_file: the next DATA goes there.
    let moved = lab.dir.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    lab.write("ours.conf", &conf(&format!("{}/", moved.display())));
    d.signal(nix::sys::signal::Signal::SIGHUP);
    wait_for(Duration::from_secs(10), || d.log_text().contains("Reload complete")).expect("reload");
    Data::parse(&dump(&d, 10, &moved.join("keepalived.lb.data"))).unwrap();
}
