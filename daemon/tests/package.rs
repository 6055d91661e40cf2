//! Installing keepalived-rs as an operator would: the systemd units (`systemd-analyze verify`
//! clean, `systemd-analyze security` exposure below 5) and the Debian package.
//!
//! The package tests need the .deb: `scripts/test-all package` builds it (`cargo deb -p
//! keepalived-rs`) and runs this file with `KARS_DEB` naming it. They check its contents and
//! modes (`dpkg-deb`), run lintian where it is installed, and install it with `dpkg --root` into
//! scratch roots (maintainer scripts included): the example keepalived.conf is written only
//! where there was none, an operator's file is never touched, purge removes only an unchanged
//! example. Without `KARS_DEB`, or without the tools, they say `SKIP:` once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("krs-pkg-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

/// `systemd-analyze verify` of `unit` with `/usr/sbin/keepalived-rs` read as `binary` and the man
/// pages from `man_dir` (systemd-analyze checks that both exist). Returns its output; panics
/// unless it is clean.
fn verify(unit: &Path, binary: &Path, man_dir: &Path) {
    let dir = scratch(&format!(
        "verify-{}",
        unit.file_name()
            .unwrap()
            .to_string_lossy()
            .replace('@', "_")
    ));
    let text_in = std::fs::read_to_string(unit).unwrap();
    let copy = dir.join(unit.file_name().unwrap());
    std::fs::write(
        &copy,
        text_in.replace("/usr/sbin/keepalived-rs", &binary.display().to_string()),
    )
    .unwrap();
    let o = run(Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .env("MANPATH", format!("{}:", man_dir.display())));
    assert!(
        o.status.success() && o.stderr.is_empty() && o.stdout.is_empty(),
        "systemd-analyze verify {}:\n{}",
        unit.display(),
        text(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// The exposure figure `systemd-analyze security --offline=true` gives `unit`.
fn exposure(unit: &Path) -> f64 {
    let o = run(Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(unit));
    let out = text(&o);
    out.lines()
        .find_map(|l| {
            let rest = l.split("Overall exposure level for ").nth(1)?;
            rest.split(": ")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no exposure figure for {}:\n{out}", unit.display()))
}

/// The generated man pages laid out as a man directory (man8/, man5/).
fn man_dir() -> PathBuf {
    let d = scratch("man");
    for (page, section) in [
        ("keepalived-rs.8", "man8"),
        ("keepalived-rs.conf.5", "man5"),
    ] {
        std::fs::create_dir_all(d.join(section)).unwrap();
        std::fs::copy(
            repo().join("daemon/assets/man").join(page),
            d.join(section).join(page),
        )
        .unwrap();
    }
    d
}

#[test]
fn units_verify_clean_and_are_hardened() {
    if !have("systemd-analyze") {
        eprintln!("SKIP: units_verify_clean_and_are_hardened: no systemd-analyze (Debian package systemd)");
        return;
    }
    let man = man_dir();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_keepalived-rs"));
    let daemon = repo().join("systemd/keepalived-rs.service");
    let realserver = repo().join("systemd/keepalived-rs-realserver@.service");
    verify(&daemon, &bin, &man);
    verify(&realserver, &bin, &man);
    let ours = exposure(&daemon);
    let rs = exposure(&realserver);
    let theirs = Path::new("/lib/systemd/system/keepalived.service");
    let theirs = theirs.exists().then(|| exposure(theirs));
    eprintln!(
        "MEASURE: systemd-analyze security --offline=true: keepalived-rs.service {ours}, \
         keepalived-rs-realserver@.service {rs}, keepalived.service (Debian) {theirs:?}"
    );
    assert!(ours < 5.0, "keepalived-rs.service exposure {ours}");
    assert!(rs < 5.0, "keepalived-rs-realserver@.service exposure {rs}");
    std::fs::remove_dir_all(man).unwrap();
}

#[test]
fn debian_changelog_names_this_version() {
    let log = std::fs::read_to_string(repo().join("daemon/debian/changelog")).unwrap();
    let first = log.lines().next().unwrap();
    assert!(
        first.starts_with(&format!("keepalived-rs ({}-", env!("CARGO_PKG_VERSION"))),
        "daemon/debian/changelog's first entry is not for {}: {first}",
        env!("CARGO_PKG_VERSION")
    );
}

/// The .deb to check, or None (said once) when it is not there.
fn deb_or_skip(test: &str) -> Option<PathBuf> {
    match std::env::var_os("KARS_DEB") {
        Some(p) if Path::new(&p).is_file() => Some(PathBuf::from(p)),
        Some(p) => panic!("KARS_DEB={} is not a file", Path::new(&p).display()),
        None => {
            eprintln!(
                "SKIP: {test}: KARS_DEB is not set (scripts/test-all package builds the .deb and \
                 runs these tests)"
            );
            None
        }
    }
}

/// `dpkg-deb -c`: (mode, owner, path) of each entry, paths without the leading '.'.
fn contents(deb: &Path) -> Vec<(String, String, String)> {
    let o = run(Command::new("dpkg-deb").arg("-c").arg(deb));
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let path = f.get(5)?.trim_start_matches('.').to_string();
            Some((f[0].to_string(), f[1].to_string(), path))
        })
        .collect()
}

#[test]
fn deb_holds_what_an_operator_needs() {
    let Some(deb) = deb_or_skip("deb_holds_what_an_operator_needs") else {
        return;
    };
    let files = contents(&deb);
    let entry = |path: &str| files.iter().find(|(_, _, p)| p == path);
    for (path, mode) in [
        ("/usr/sbin/keepalived-rs", "-rwxr-xr-x"),
        (
            "/usr/lib/systemd/system/keepalived-rs.service",
            "-rw-r--r--",
        ),
        (
            "/usr/lib/systemd/system/keepalived-rs-realserver@.service",
            "-rw-r--r--",
        ),
        ("/etc/default/keepalived-rs", "-rw-r--r--"),
        ("/usr/share/man/man8/keepalived-rs.8.gz", "-rw-r--r--"),
        ("/usr/share/man/man5/keepalived-rs.conf.5.gz", "-rw-r--r--"),
        (
            "/usr/share/bash-completion/completions/keepalived-rs",
            "-rw-r--r--",
        ),
        (
            "/usr/share/zsh/vendor-completions/_keepalived-rs",
            "-rw-r--r--",
        ),
        (
            "/usr/share/fish/vendor_completions.d/keepalived-rs.fish",
            "-rw-r--r--",
        ),
        (
            "/usr/share/keepalived-rs/keepalived.conf.example",
            "-rw-r--r--",
        ),
        ("/usr/share/doc/keepalived-rs/README.md", "-rw-r--r--"),
        ("/usr/share/doc/keepalived-rs/compat.md", "-rw-r--r--"),
        ("/usr/share/doc/keepalived-rs/systemd.md", "-rw-r--r--"),
        ("/usr/share/doc/keepalived-rs/copyright", "-rw-r--r--"),
        (
            "/usr/share/doc/keepalived-rs/changelog.Debian.gz",
            "-rw-r--r--",
        ),
        (
            "/usr/share/doc/keepalived-rs/examples/keepalived-lvs-dr-master.conf",
            "-rw-r--r--",
        ),
    ] {
        let Some((m, owner, _)) = entry(path) else {
            panic!("{path} is not in the package:\n{files:#?}");
        };
        assert_eq!(m, mode, "{path}");
        assert!(
            owner == "root/root" || owner == "0/0",
            "{path} owned by {owner}"
        );
    }
    // keepalived's package owns /etc/keepalived/keepalived.conf's neighbourhood; ours ships
    // nothing there (the example is written by postinst only where there is none), nor any
    // path keepalived's package has: both install side by side.
    assert!(
        !files
            .iter()
            .any(|(_, _, p)| p.starts_with("/etc/keepalived/")),
        "the package ships a file under /etc/keepalived"
    );
    let keepalived = run(Command::new("dpkg").args(["-L", "keepalived"]));
    if keepalived.status.success() {
        let theirs = String::from_utf8_lossy(&keepalived.stdout);
        for (m, _, p) in &files {
            if !m.starts_with('d') {
                assert!(
                    !theirs.lines().any(|t| t == p),
                    "{p} is also in keepalived's package"
                );
            }
        }
    }
    // Control fields.
    let field = |f: &str| {
        let o = run(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(f));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    assert_eq!(field("Package"), "keepalived-rs");
    assert!(field("Version").starts_with(env!("CARGO_PKG_VERSION")));
    assert!(field("Depends").contains("libc6"), "{}", field("Depends"));
    assert!(
        field("Depends").contains("procps"),
        "/bin/kill for ExecReload"
    );
    assert_eq!(field("Section"), "net");
    // /etc/default/keepalived-rs is a conffile: an operator's DAEMON_ARGS survive upgrades.
    let control = scratch("control");
    let o = run(Command::new("dpkg-deb").arg("-e").arg(&deb).arg(&control));
    assert!(o.status.success(), "{}", text(&o));
    let conffiles = std::fs::read_to_string(control.join("conffiles")).unwrap_or_default();
    assert_eq!(conffiles.trim(), "/etc/default/keepalived-rs");
    for script in ["postinst", "postrm", "prerm"] {
        let p = control.join(script);
        assert!(p.exists(), "no {script}");
        let o = run(Command::new("sh").arg("-n").arg(&p));
        assert!(o.status.success(), "{script}: {}", text(&o));
    }
    // Installing starts nothing (only a running unit is restarted on upgrade); not enabling
    // is checked by the install into a scratch root.
    let postinst = std::fs::read_to_string(control.join("postinst")).unwrap();
    assert!(!postinst.contains("deb-systemd-invoke start"), "{postinst}");
    std::fs::remove_dir_all(control).unwrap();
}

#[test]
fn deb_binary_is_stripped() {
    let Some(deb) = deb_or_skip("deb_binary_is_stripped") else {
        return;
    };
    if !have("readelf") {
        eprintln!("SKIP: deb_binary_is_stripped: no readelf (binutils)");
        return;
    }
    let dir = scratch("x");
    let o = run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&dir));
    assert!(o.status.success(), "{}", text(&o));
    let bin = dir.join("usr/sbin/keepalived-rs");
    let o = run(Command::new("readelf").arg("-S").arg(&bin));
    let sections = text(&o);
    assert!(!sections.contains(".debug_info"), "not stripped");
    assert!(!sections.contains(".symtab"), "symbol table left in");
    let o = run(Command::new(&bin).arg("--version"));
    assert!(
        text(&o).starts_with(&format!(
            "Keepalived v2.2.7 (keepalived-rs {})",
            env!("CARGO_PKG_VERSION")
        )),
        "{}",
        text(&o)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn deb_passes_lintian() {
    let Some(deb) = deb_or_skip("deb_passes_lintian") else {
        return;
    };
    if !have("lintian") {
        eprintln!("SKIP: deb_passes_lintian: lintian is not installed");
        return;
    }
    // As a Debian maintainer runs it: errors and warnings fail (the package carries its
    // overrides, each with its reason), informational tags are printed.
    let o = run(Command::new("lintian")
        .args([
            "--fail-on",
            "error,warning",
            "--tag-display-limit",
            "0",
            "-I",
        ])
        .arg(&deb));
    eprintln!("lintian:\n{}", text(&o));
    assert!(o.status.success(), "lintian found errors:\n{}", text(&o));
}

/// A scratch root for `dpkg --root`: an empty dpkg database, and optionally a keepalived.conf
/// of the operator's.
fn root_with(tag: &str, existing_conf: Option<&str>) -> PathBuf {
    let root = scratch(tag);
    for d in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "etc"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("var/lib/dpkg/status"), "").unwrap();
    if let Some(text) = existing_conf {
        std::fs::create_dir_all(root.join("etc/keepalived")).unwrap();
        std::fs::write(root.join("etc/keepalived/keepalived.conf"), text).unwrap();
    }
    root
}

/// `dpkg --root ROOT ARGS`, the maintainer scripts run outside a chroot with DPKG_ROOT set
/// (the root has no /bin/sh of its own), dependencies not looked for (the root has none).
fn dpkg(root: &Path, args: &[&str], deb: Option<&Path>) -> Output {
    let mut cmd = Command::new("dpkg");
    cmd.arg(format!("--root={}", root.display()))
        .args([
            "--force-script-chrootless",
            "--force-depends",
            "--force-not-root",
            "--no-triggers",
        ])
        .args(args);
    if let Some(d) = deb {
        cmd.arg(d);
    }
    // The generated systemd snippets must not reach the host's systemd.
    cmd.env_remove("NOTIFY_SOCKET");
    run(&mut cmd)
}

#[test]
fn deb_installs_into_a_scratch_root_and_purges() {
    let Some(deb) = deb_or_skip("deb_installs_into_a_scratch_root_and_purges") else {
        return;
    };
    if !nix::unistd::geteuid().is_root() {
        eprintln!("SKIP: deb_installs_into_a_scratch_root_and_purges: not root (dpkg --root needs it for ownership)");
        return;
    }
    // A fresh machine: no keepalived.conf.
    let root = root_with("fresh", None);
    let o = dpkg(&root, &["-i"], Some(&deb));
    assert!(o.status.success(), "dpkg -i:\n{}", text(&o));
    let st = run(Command::new("dpkg")
        .arg(format!("--root={}", root.display()))
        .args(["-s", "keepalived-rs"]));
    assert!(
        text(&st).contains("Status: install ok installed"),
        "{}",
        text(&st)
    );
    let bin = root.join("usr/sbin/keepalived-rs");
    let conf = root.join("etc/keepalived/keepalived.conf");
    let example =
        std::fs::read_to_string(root.join("usr/share/keepalived-rs/keepalived.conf.example"))
            .unwrap();
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        example,
        "example not written"
    );
    assert!(
        example.lines().all(|l| l.starts_with('#')),
        "the example runs something"
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&bin).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o755);
    }
    // The installed binary reads the installed example cleanly.
    let o = run(Command::new(&bin).arg("-t").arg("-f").arg(&conf));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The installed unit, as systemd would read it.
    let man = root.join("usr/share/man");
    for (gz, section) in [
        ("keepalived-rs.8.gz", "man8"),
        ("keepalived-rs.conf.5.gz", "man5"),
    ] {
        assert!(man.join(section).join(gz).exists(), "{gz}");
    }
    for unit in ["keepalived-rs.service", "keepalived-rs-realserver@.service"] {
        verify(&root.join("usr/lib/systemd/system").join(unit), &bin, &man);
    }
    // Not enabled: no symlink from any target, no enable state recorded.
    let wants = root.join("etc/systemd/system/multi-user.target.wants/keepalived-rs.service");
    assert!(
        !wants.exists() && wants.symlink_metadata().is_err(),
        "the unit was enabled"
    );
    // Reinstalling (an upgrade to the same version) leaves the file alone.
    let o = dpkg(&root, &["-i"], Some(&deb));
    assert!(o.status.success(), "dpkg -i again:\n{}", text(&o));
    // Purge: the untouched example goes.
    let o = dpkg(&root, &["--purge", "keepalived-rs"], None);
    assert!(o.status.success(), "dpkg --purge:\n{}", text(&o));
    assert!(!conf.exists(), "the untouched example outlived purge");
    assert!(!bin.exists());
    assert!(!root.join("var/lib/keepalived-rs").exists());
    std::fs::remove_dir_all(&root).unwrap();

    // A director that runs keepalived: its file is never touched, not even by purge.
    let mine = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.10\n    }\n}\n";
    let root = root_with("existing", Some(mine));
    let conf = root.join("etc/keepalived/keepalived.conf");
    let o = dpkg(&root, &["-i"], Some(&deb));
    assert!(o.status.success(), "dpkg -i:\n{}", text(&o));
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), mine);
    let o = dpkg(&root, &["--purge", "keepalived-rs"], None);
    assert!(o.status.success(), "dpkg --purge:\n{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        mine,
        "purge touched the operator's file"
    );
    std::fs::remove_dir_all(&root).unwrap();

    // The example written, then edited by the operator: purge keeps it.
    let root = root_with("edited", None);
    let conf = root.join("etc/keepalived/keepalived.conf");
    assert!(dpkg(&root, &["-i"], Some(&deb)).status.success());
    std::fs::write(&conf, mine).unwrap();
    assert!(dpkg(&root, &["--purge", "keepalived-rs"], None)
        .status
        .success());
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        mine,
        "purge removed an edited file"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
