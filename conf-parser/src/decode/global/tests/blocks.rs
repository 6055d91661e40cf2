//! Root-level settings, the global_defs block itself, the small root blocks, the samples.

#[allow(clippy::wildcard_imports)]
use super::*;

#[test]
fn root_level_settings() {
    let (g, h) = global(
        "net_namespace blue\nnet_namespace_ipvs\nnamespace_with_ipsets\ninstance east\nlinkbeat_use_polling\nchild_wait_time 30\n",
    );
    assert!(h.is_empty(), "{h:?}");
    assert_eq!(g.net_namespace.as_deref(), Some("blue"));
    assert_eq!(g.net_namespace_ipvs.as_deref(), Some(""));
    assert!(g.namespace_with_ipsets);
    assert_eq!(g.instance.as_deref(), Some("east"));
    // Implied by net_namespace and instance.
    assert!(g.use_pid_dir);
    assert!(g.linkbeat_use_polling);
    assert_eq!(g.child_wait_time, Timer::secs(30));

    let (g, h) = global("use_pid_dir\nnet_namespace_ipvs red\n");
    assert!(h.is_empty());
    assert!(g.use_pid_dir);
    assert_eq!(g.net_namespace_ipvs.as_deref(), Some("red"));
    assert!(!global("").0.use_pid_dir);
}

#[test]
fn root_level_errors() {
    let (g, h) =
        global("instance a\ninstance b\nnet_namespace\nchild_wait_time -1\nuse_pid_dir yes\n");
    assert_eq!(
        h,
        [
            "t.conf:2:1: warning: instance is already set; this one is ignored",
            "t.conf:3:1: error: net_namespace needs a value",
            "t.conf:4:17: error: invalid value '-1' for child_wait_time: must be between 0 and 4294967295",
            "t.conf:5:13: warning: extra argument 'yes' after use_pid_dir is ignored",
        ]
    );
    assert_eq!(g.instance.as_deref(), Some("a"));
    assert_eq!(g.child_wait_time, Timer::secs(5));
}

#[test]
fn several_global_defs_blocks_merge() {
    let (g, h) =
        global("global_defs {\n router_id a\n}\nglobal_defs {\n smtp_connect_timeout 5\n}\n");
    assert!(h.is_empty());
    assert_eq!(g.global_defs.router_id.as_deref(), Some("a"));
    assert_eq!(g.global_defs.smtp_connect_timeout, Timer::secs(5));
    assert_eq!(g.global_defs.origin.map(|o| o.line), Some(1));
}

#[test]
fn global_defs_shape_errors() {
    let (_, h) = global("global_defs\nglobal_defs x {\n}\nglobal_defs {\n router_idd a\n}\n");
    assert_eq!(
        h,
        [
            "t.conf:1:1: error: global_defs needs a { } block",
            "t.conf:2:13: warning: extra argument 'x' after global_defs is ignored",
            "t.conf:5:2: warning: unknown keyword 'router_idd' in global_defs; it is ignored",
        ]
    );
}

#[test]
fn linkbeat_interfaces() {
    let (g, h) = global(
        "linkbeat_interfaces {\n eth0\n eth1 ETHTOOL\n eth2 IOCTL extra\n eth3 ethtool\n}\n",
    );
    assert_eq!(
        h,
        [
            "t.conf:4:13: warning: extra argument 'extra' after eth2 is ignored",
            "t.conf:5:7: error: invalid value 'ethtool' for eth3: expected one of MII, ETHTOOL, IOCTL (did you mean 'ETHTOOL'?)",
        ]
    );
    let got: Vec<_> = g
        .linkbeat_interfaces
        .iter()
        .map(|l| (l.interface.as_str(), l.method, l.origin.line))
        .collect();
    assert_eq!(
        got,
        [
            ("eth0", LinkbeatMethod::Mii, 2),
            ("eth1", LinkbeatMethod::Ethtool, 3),
            ("eth2", LinkbeatMethod::Ioctl, 4)
        ]
    );
    assert_eq!(json(&g)["linkbeat_interfaces"][1]["method"], "ETHTOOL");
}

#[test]
fn interface_up_down_delays() {
    let (g, h) = global(
        "interface_up_down_delays {\n eth0 2\n eth1 0.5 1 7\n eth2\n eth3 256\n eth4 1 x\n}\n",
    );
    assert_eq!(
        h,
        [
            "t.conf:3:13: warning: extra argument '7' after eth1 is ignored",
            "t.conf:4:2: warning: interface eth2 has no delay; the line is ignored (keepalived logs: No timeouts specified for eth2 up/down delays)",
            "t.conf:5:7: error: invalid value '256' for eth3: must be between 0 and 255 seconds",
            "t.conf:6:9: error: invalid value 'x' for eth4: expected seconds, such as 3 or 0.5",
        ]
    );
    let got: Vec<_> = g
        .interface_up_down_delays
        .iter()
        .map(|i| (i.interface.as_str(), i.down, i.up))
        .collect();
    assert_eq!(
        got,
        [
            // An omitted up delay is 0, as keepalived 2.2.7 runs it (measured).
            ("eth0", Timer::secs(2), Timer::default()),
            ("eth1", Timer::micros(500_000), Timer::secs(1))
        ]
    );
}

#[test]
fn track_groups() {
    let (g, h) = global(
        "track_group TG1 {\n group {\n  VI_1 VI_2\n  VI_3\n }\n}\ntrack_group TG1 {\n group {\n  VI_4\n }\n}\ntrack_group TG2 {\n}\ntrack_group {\n}\ntrack_group TG3 {\n group {\n  VI_1\n }\n group {\n  VI_2\n }\n members x\n}\n",
    );
    assert_eq!(
        h,
        [
            "t.conf:7:13: error: track_group TG1 is already defined; this one is ignored",
            "t.conf:12:1: warning: track_group TG2 has no vrrp instances; it is ignored",
            "t.conf:14:1: error: track_group needs a value",
            "t.conf:20:2: warning: track_group TG3 already has a group block; this one is ignored",
            "t.conf:23:2: warning: unknown keyword 'members' in track_group; it is ignored",
        ]
    );
    let got: Vec<_> = g
        .track_group
        .iter()
        .map(|t| (t.name.as_str(), t.group.join(","), t.origin.line))
        .collect();
    assert_eq!(
        got,
        [
            ("TG1", "VI_1,VI_2,VI_3".to_string(), 1),
            ("TG3", "VI_1".to_string(), 16)
        ]
    );
}

/// The `global_defs` block of a sample file, by brace counting (the samples keep braces out of
/// comments there).
fn global_defs_of(text: &str) -> Option<String> {
    let start = text.find("global_defs")?;
    let mut depth = 0;
    for (i, c) in text[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(text[start..start + i + 1].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// The upstream sample configurations' global parts decode without a finding (the historical
/// ones only with the legacy-spelling warning for lvs_id).
#[test]
fn sample_configs_global_defs() {
    let dir = std::env::var("KEEPALIVED_SAMPLES")
        .unwrap_or_else(|_| "/work/shared/keepalived-samples".into());
    let mut files = Vec::new();
    let mut stack = vec![std::path::PathBuf::from(&dir)];
    while let Some(p) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&p) else {
            continue;
        };
        for e in rd.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains("keepalived.conf"))
            {
                files.push(path);
            }
        }
    }
    if files.is_empty() {
        eprintln!("no sample configurations under {dir}; skipped");
        return;
    }
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let Some(block) = global_defs_of(&text) else {
            continue;
        };
        seen += 1;
        let p = parse(&block);
        let h: Vec<_> = heads(&p)
            .into_iter()
            .filter(|h| {
                !h.contains("'lvs_id' is a legacy spelling")
                    && !h.contains("interval 0 is outside keepalived's range")
            })
            .collect();
        assert!(h.is_empty(), "{}: {h:?}", f.display());
        assert!(p.config.global.global_defs.origin.is_some());
    }
    assert!(seen >= 20, "only {seen} samples have a global_defs block");
}

/// The docker sample's global_defs, kept here so the test runs without the corpus too.
#[test]
fn docker_sample_global_defs() {
    let (d, h) = defs(
        "   notification_email {\n     acassen@firewall.loc\n     failover@firewall.loc\n     sysadmin@firewall.loc\n   }\n   notification_email_from Alexandre.Cassen@firewall.loc\n   smtp_server 192.168.200.1\n   smtp_connect_timeout 30\n   router_id LVS_DEVEL\n   vrrp_skip_check_adv_addr\n   vrrp_strict\n   vrrp_garp_interval 0\n   vrrp_gna_interval 0",
    );
    // keepalived 2.2.7's -t fails on the 0 intervals of its own sample.
    assert_eq!(h.len(), 2, "{h:?}");
    assert!(
        h.iter().all(|h| h.contains("interval 0 is outside")),
        "{h:?}"
    );
    assert_eq!(d.notification_email.len(), 3);
    assert!(d.vrrp_strict && d.vrrp_skip_check_adv_addr);
    assert_eq!(d.router_id.as_deref(), Some("LVS_DEVEL"));
}
