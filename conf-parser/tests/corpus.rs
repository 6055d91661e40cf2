//! keepalived's own sample configurations (in ../shared, beside the repository; never copied into
//! it) must read with no error and no unknown keyword, and dump to JSON. The two historical samples
//! use keywords that keepalived has since removed or renamed: they must say so.

use conf_parser::{parse_file, Level, Options, Parsed};
use std::path::{Path, PathBuf};

/// The sample folder, or None (with one line saying why) when it is not there.
fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("KARS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("keepalived-samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIP: {} not found (set KARS_SHARED to the shared/ folder)",
            dir.display()
        );
        None
    }
}

fn corpus_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "historical") {
                    stack.push(p);
                }
            } else if p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("keepalived.conf"))
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn headlines(p: &Parsed) -> Vec<String> {
    p.diags.iter().map(|d| d.headline(&p.sources)).collect()
}

/// Findings that keepalived 2.2.7 reports on the same lines of its own samples (`keepalived -t -l`):
/// file name, line, and the start of our message.
const KNOWN_IN_SAMPLES: &[(&str, u32, &str)] = &[
    // "Unknown keyword 'VI_2'": the instances are written outside the sync group's group { } block.
    (
        "keepalived.conf.vrrp.lvs_syncd",
        4,
        "warning: unknown keyword 'VI_2' in vrrp_sync_group",
    ),
    (
        "keepalived.conf.vrrp.lvs_syncd",
        5,
        "warning: unknown keyword 'VI_3' in vrrp_sync_group",
    ),
    // "VRRP parsed invalid IP 192.168.100./24. skipping IP...": a typo in the sample.
    (
        "keepalived.conf.vrrp.rules",
        11,
        "error: invalid value '192.168.100./24' for 'to' in static_rules",
    ),
    (
        "keepalived.conf.vrrp.rules",
        26,
        "error: invalid value '192.168.200./24' for 'to' in virtual_rules",
    ),
];

#[test]
fn every_sample_reads_cleanly_and_dumps() {
    let Some(dir) = samples() else { return };
    let files = corpus_files(&dir);
    assert!(
        files.len() >= 27,
        "expected keepalived's 25 samples and 2 extra configs, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    let mut known_seen = 0;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        // The conditional sample is written for `-i high` and `-i low`; the others ignore the id.
        let ids: &[&str] = if name.ends_with("conditional_conf") {
            &["high", "low"]
        } else {
            &["high"]
        };
        for id in ids {
            let p = parse_file(
                f,
                &Options {
                    config_id: id.to_string(),
                    ..Default::default()
                },
            );
            let mut bad = Vec::new();
            for d in p
                .diags
                .iter()
                .filter(|d| d.level >= Level::Error || d.message.starts_with("unknown keyword"))
            {
                let line = d.span.map_or(0, |s| s.line);
                let text = format!("{}: {}", d.level.as_str(), d.message);
                if KNOWN_IN_SAMPLES
                    .iter()
                    .any(|(n, l, m)| *n == name && *l == line && text.starts_with(m))
                {
                    known_seen += 1;
                } else {
                    bad.push(d.headline(&p.sources));
                }
            }
            if !bad.is_empty() {
                failures.push(format!(
                    "{} (-i {id}):\n  {}",
                    f.display(),
                    bad.join("\n  ")
                ));
            }
            let json = serde_json::to_value(&p.config).expect("the model serialises");
            assert!(json.is_object());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        known_seen,
        KNOWN_IN_SAMPLES.len(),
        "each finding keepalived also reports is still found"
    );
}

#[test]
fn the_conditional_sample_follows_the_config_id() {
    let Some(dir) = samples() else { return };
    let f = dir.join("keepalived.conf.conditional_conf");
    let high = serde_json::to_value(
        parse_file(
            &f,
            &Options {
                config_id: "high".into(),
                ..Default::default()
            },
        )
        .config,
    )
    .unwrap();
    let low = serde_json::to_value(
        parse_file(
            &f,
            &Options {
                config_id: "low".into(),
                ..Default::default()
            },
        )
        .config,
    )
    .unwrap();
    assert_eq!(high["net_namespace"], "high");
    assert_eq!(low["net_namespace"], "low");
    assert_eq!(high["vrrp_instance"][0]["priority"], 170);
    assert_eq!(low["vrrp_instance"][0]["priority"], 85);
    assert_eq!(
        high["vrrp_script"][0]["script"],
        serde_json::json!(["/etc/keepalived/scripts/check_high_VI_0.sh"])
    );
}

#[test]
fn historical_samples_name_their_removed_keywords() {
    let Some(dir) = samples() else { return };
    let f = dir.join("historical/keepalived.conf.ci-linux");
    let p = parse_file(
        &f,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    );
    let h = headlines(&p);
    let at = |line: u32, col: u32, rest: &str| format!("{}:{line}:{col}: {rest}", f.display());
    assert!(
        h.contains(&at(
            11,
            4,
            "warning: 'lvs_id' is a legacy spelling of 'router_id'"
        )),
        "{h:#?}"
    );
    assert!(
        h.contains(&at(
            16,
            5,
            "warning: 'lb_algo' is a legacy spelling of 'lvs_sched'"
        )),
        "{h:#?}"
    );
    assert!(
        h.contains(&at(
            17,
            5,
            "warning: 'lb_kind' is a legacy spelling of 'lvs_method'"
        )),
        "{h:#?}"
    );
    for line in [24, 29, 33, 37] {
        assert!(
            h.iter().any(|x| x.starts_with(&at(
                line,
                9,
                "warning: unknown keyword 'CI-LINUX' in real_server"
            ))),
            "{h:#?}"
        );
    }
    assert_eq!(p.diags.worst(), Some(Level::Warning), "{h:#?}");

    let f = dir.join("historical/keepalived.conf.real_server_group");
    let p = parse_file(
        &f,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    );
    let h = headlines(&p);
    let at = |line: u32, col: u32, rest: &str| format!("{}:{line}:{col}: {rest}", f.display());
    assert!(
        h.contains(&at(
            5,
            3,
            "warning: 'lvs_id' is a legacy spelling of 'router_id'"
        )),
        "{h:#?}"
    );
    assert!(
        h.iter().any(|x| x.starts_with(&at(
            8,
            1,
            "warning: unknown keyword 'real_server_group' at the top level"
        ))),
        "{h:#?}"
    );
    assert!(
        h.iter().any(|x| x.starts_with(&at(
            25,
            3,
            "warning: unknown keyword 'real_group' in virtual_server"
        ))),
        "{h:#?}"
    );
}
