//! `inet`/`inet6` in a line of virtual_routes or virtual_rules, and `default`/`all` after the
//! line's family is known: keepalived 2.2.7 reads the family word together with the word after
//! it, which it ignores, and drops a `default` that comes after an address or a family word
//! (measured). Both daemons in turn on one file in a network namespace, MASTER: the routes and
//! rules in the kernel must be the same, and so must `-t`'s exit status. Needs root for the
//! namespace lab; skips loudly without it.

mod common;

use std::time::Duration;

use common::{daemons_to_compare, lab_or_skip, wait_for, Conf, KEEPALIVED};

const ROUTES: &str = "\
        inet6 2001:db8:1::/48 dev eth0
        inet 192.0.2.0/24 dev eth0
        inet6 default dev eth0 table 7
        inet6 src fd09::1 2001:db8:2::/48 dev eth0
        inet6 to 2001:db8:3::/48 dev eth0
        src 10.9.0.1 default dev eth0 table 8
        default via fd09::fe dev eth0 table 9
        2001:db8:4::/48 dev eth0
";

const RULES: &str = "\
        inet6 from 2001:db8::/32 table 100 preference 10
        inet from 10.0.0.0/8 table 100 preference 11
        inet6 not from 2001:db8:5::/48 table 100 preference 12
        from 2001:db8:6::/48 to all table 100 preference 13
        table 101 preference 14 inet6
        from 10.9.0.5 table 100 preference 15
";

fn conf() -> String {
    Conf {
        extra: format!(
            "    virtual_routes {{\n{ROUTES}    }}\n    virtual_rules {{\n{RULES}    }}\n"
        ),
        ..Conf::v2("MASTER", 150)
    }
    .text()
}

fn run(args: &[&str]) -> String {
    common::ip(args).unwrap_or_else(|e| panic!("{e}"))
}

/// The routes and rules a daemon installed (protocol keepalived), both families.
fn installed(ns: &str) -> Vec<String> {
    [
        run(&["-n", ns, "-4", "route", "show", "table", "all"]),
        run(&["-n", ns, "-6", "route", "show", "table", "all"]),
        run(&["-n", ns, "-4", "rule", "show"]),
        run(&["-n", ns, "-6", "rule", "show"]),
    ]
    .iter()
    .flat_map(|s| s.lines())
    .filter(|l| l.contains("proto keepalived"))
    .map(|l| l.trim_end().to_string())
    .collect()
}

#[test]
fn netns_family_words_in_routes_and_rules_as_keepalived() {
    let test = "netns_family_words_in_routes_and_rules_as_keepalived";
    let Some(lab) = lab_or_skip(test, "rf", 1) else {
        return;
    };
    let ns = lab.node(0).to_string();
    let mut seen = Vec::new();
    for who in daemons_to_compare() {
        // `-t` first: keepalived logs the dropped lines and exits 5.
        let path = lab.write(&format!("{who}-t.conf"), &conf());
        let bin = if who == "keepalived" {
            std::path::PathBuf::from(KEEPALIVED)
        } else {
            common::ours_binary()
        };
        let mut args = vec!["netns", "exec", &ns];
        let bin_s = bin.to_str().unwrap();
        args.extend([bin_s, "-t", "-f", path.to_str().unwrap()]);
        if who == "keepalived" {
            args.push("-l");
        }
        let t = std::process::Command::new("ip")
            .args(&args)
            .output()
            .unwrap();
        let t_text = format!(
            "{}{}",
            String::from_utf8_lossy(&t.stdout),
            String::from_utf8_lossy(&t.stderr)
        );

        let mut d = lab.start_either(who, &ns, &conf());
        let all_in = || {
            let k = installed(&ns);
            k.iter().any(|l| l.contains("2001:db8:4::/48"))
                && k.iter().any(|l| l.starts_with("15:"))
        };
        assert!(
            wait_for(Duration::from_secs(15), all_in).is_some(),
            "{who}: never installed its routes and rules:\n{:?}\n{}",
            installed(&ns),
            d.log_text()
        );
        // Whatever comes in one go is in by now.
        std::thread::sleep(Duration::from_millis(500));
        let k = installed(&ns);
        let log = d.log_text();
        assert_eq!(d.term(Duration::from_secs(10)), Some(0), "{who}: {log}");
        eprintln!(
            "{who}: -t exit {:?}\n{t_text}\n{}",
            t.status.code(),
            k.join("\n")
        );
        seen.push((who, t.status.code(), k, log));
    }
    let (_, ours_t, ours_k, ours_log) = &seen[0];
    // The lines dropped, each reported at its place in the file.
    for place in [
        "conf:18:1: error",
        "conf:19:9: error",
        "conf:20:9: error",
        "conf:23:22: error",
        "conf:28:12: error",
        "conf:29:19: error",
        "conf:31:33: error",
    ] {
        assert!(
            ours_log.contains(place),
            "keepalived-rs does not report {place}:\n{ours_log}"
        );
    }
    if let Some((_, their_t, their_k, _)) = seen.get(1) {
        // keepalived 2.2.7's picture, checked so that the comparison means something.
        for line in [
            "2001:db8:2::/48 dev eth0 proto keepalived metric 1024 pref medium",
            "2001:db8:3::/48 dev eth0 proto keepalived metric 1024 pref medium",
            "default via fd09::fe dev eth0 table 9 proto keepalived metric 1024 pref medium",
            "12:\tfrom 2001:db8:5::/48 lookup 100 proto keepalived",
            "14:\tfrom all lookup 101 proto keepalived",
        ] {
            assert!(
                their_k.iter().any(|l| l == line),
                "keepalived 2.2.7: {line}\n{their_k:#?}"
            );
        }
        assert_eq!(their_k.len(), 7, "keepalived 2.2.7: {their_k:#?}");
        assert_eq!(*their_t, Some(5), "keepalived 2.2.7's -t");
        assert_eq!(
            ours_k, their_k,
            "keepalived-rs (left) against keepalived 2.2.7 (right)"
        );
        assert_eq!(ours_t, their_t, "-t's exit status");
    }
}
