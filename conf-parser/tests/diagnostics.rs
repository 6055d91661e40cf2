//! Diagnostics that span the whole model: did-you-mean within a block, and the block where a
//! keyword written in the wrong place belongs.

use conf_parser::{parse_str, Options};

fn findings(text: &str) -> Vec<(String, Option<String>)> {
    let p = parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    );
    p.diags
        .iter()
        .filter(|d| d.message.starts_with("unknown keyword"))
        .map(|d| (d.headline(&p.sources), d.help.clone()))
        .collect()
}

const VI: &str =
    "  interface eth0\n  virtual_router_id 7\n  virtual_ipaddress {\n    10.0.0.1\n  }\n";

#[test]
fn typo_gets_the_closest_keyword() {
    let f = findings(&format!("vrrp_instance VI_1 {{\n  priorty 100\n{VI}}}\n"));
    assert_eq!(
        f,
        [(
            "t.conf:2:3: warning: unknown keyword 'priorty' in vrrp_instance VI_1; it is ignored"
                .into(),
            Some("did you mean 'priority'?".into())
        )]
    );
}

#[test]
fn keyword_in_the_wrong_block_names_its_block() {
    let f = findings(&format!("vrrp_instance VI_1 {{\n  lb_algo rr\n{VI}}}\nglobal_defs {{\n  net_namespace blue\n}}\nrouter_id x\n"));
    assert_eq!(
        f,
        [
            ("t.conf:2:3: warning: unknown keyword 'lb_algo' in vrrp_instance VI_1; it is ignored".into(), Some("'lb_algo' belongs in a virtual_server block".into())),
            ("t.conf:10:3: warning: unknown keyword 'net_namespace' in global_defs; it is ignored".into(), Some("'net_namespace' belongs at the top level of the file".into())),
            ("t.conf:12:1: warning: unknown keyword 'router_id' at the top level; it is ignored".into(), Some("'router_id' belongs in a global_defs block".into())),
        ]
    );
}

#[test]
fn unknown_everywhere_gets_no_help() {
    let f = findings("zzz_not_a_keyword 1\n");
    assert_eq!(f, [("t.conf:1:1: warning: unknown keyword 'zzz_not_a_keyword' at the top level; it is ignored".into(), None)]);
}

/// What keepalived 2.2.7's own `-t` makes of each finding (each case measured with
/// `keepalived -t -l -f FILE`: exit 0 = passes, 5 = fails), as the diagnostics record it.
#[test]
fn each_finding_records_keepalived_s_verdict() {
    use conf_parser::KeepalivedTest::{Fails, Passes};
    let vs = |body: &str| {
        format!("virtual_server 10.0.0.1 80 {{\n  protocol TCP\n{body}\n  real_server 10.0.0.2 80 {{\n  }}\n}}\n")
    };
    let cases: Vec<(String, &str, conf_parser::KeepalivedTest)> = vec![
        (format!("vrrp_instance VI_1 {{\n  priorty 100\n{VI}}}\n"), "unknown keyword 'priorty'", Fails),
        (vs("  lvs_sched rr\n  lvs_method DR\n  nat_mask 255.255.255.0"), "unknown keyword 'nat_mask'", Fails),
        (vs("  lvs_sched rr\n  lvs_method DR\n  lb-kind DR"), "unknown keyword 'lb-kind'", Fails),
        ("global_defs {\n  garp_master_delay 5\n}\n".into(), "unknown keyword 'garp_master_delay'", Fails),
        (vs("  lb_algo rr\n  lvs_method DR"), "'lb_algo' is a legacy spelling", Passes),
        (vs("  lvs_sched rr\n  lb_kind DR"), "'lb_kind' is a legacy spelling", Passes),
        (vs("  lvs_method DR"), "virtual_server without lvs_sched", Fails),
        (vs("  lvs_sched rr"), "virtual_server without lvs_method", Fails),
        (vs("  lvs_sched sh\n  lvs_method DR\n  hashed"), "'hashed' is no longer supported", Passes),
        (vs("  lvs_sched rr\n  lvs_method DR\n  hashed"), "'hashed' is no longer supported", Fails),
        ("global_defs {\n  lvs_id x\n}\n".into(), "'lvs_id' is a legacy spelling", Fails),
        ("global_defs {\n  lvs_flush_onstop\n}\n".into(), "'lvs_flush_onstop' is a legacy spelling", Passes),
        ("global_defs {\n  vrrp_garp_interval 0\n}\n".into(), "vrrp_garp_interval 0 is outside", Fails),
        ("include /nonexistent/kars/*.conf\n".into(), "matches no file", Passes),
        (format!("vrrp_instance VI_1 {{\n  advert_int 1 2\n{VI}}}\n"), "extra argument '2'", Passes),
        (format!("vrrp_instance VI_1 {{\n  priority 300\n{VI}}}\n"), "invalid value '300' for priority", Fails),
        (format!("vrrp_instance VI_1 {{\n  state MASTER\n  priority 100\n  nopreempt\n{VI}}}\n"), "nopreempt does not work with state MASTER", Fails),
        (format!("vrrp_instance VI_1 {{\n  authentication {{\n    auth_type PASS\n    auth_pass 123456789\n  }}\n{VI}}}\n"), "auth_pass is longer than 8 characters", Fails),
        ("vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 7\n}\n".into(), "has no virtual_ipaddress", Fails),
        ("vrrp_script chk {\n  script /bin/true\n}\n".into(), "is not tracked", Passes),
    ];
    for (text, message, want) in cases {
        let p = parse_str(
            "t.conf",
            &text,
            &Options {
                config_id: "x".into(),
                ..Default::default()
            },
        );
        let d = p
            .diags
            .iter()
            .find(|d| d.message.contains(message))
            .unwrap_or_else(|| {
                panic!(
                    "no '{message}' in {:#?}",
                    p.diags.iter().map(|d| &d.message).collect::<Vec<_>>()
                )
            });
        assert_eq!(d.keepalived, want, "{message}");
    }
}

/// `--strict` and keepalived's verdict both turn warnings into errors, keepalived's only those
/// its own `-t` fails on; a security finding stays recognisable as one.
#[test]
fn promotion_follows_the_verdict() {
    let text = format!(
        "virtual_server 10.0.0.1 80 {{\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.0.0.2 80 {{\n  }}\n}}\nvrrp_instance VI_1 {{\n  priorty 100\n{VI}}}\n"
    );
    let parse = || {
        parse_str(
            "t.conf",
            &text,
            &Options {
                config_id: "x".into(),
                ..Default::default()
            },
        )
    };
    let mut p = parse();
    assert_eq!(p.diags.count(conf_parser::Level::Warning), 3);
    assert_eq!(p.diags.promote_keepalived_failures(), 1);
    assert_eq!(p.diags.count(conf_parser::Level::Error), 1);
    assert!(!p.diags.security_violation());
    let mut p = parse();
    assert_eq!(p.diags.promote_warnings(), 3);
}
