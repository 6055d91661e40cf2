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
