//! One small configuration file per kind of finding (the kinds issue 15 lists, and the errors an
//! operator's file is likely to hold), with what keepalived 2.2.7's daemon does with each.
//! `verdict_corpus.rs` compares the two programs' `-t` on them; `netns_start_verdict.rs` runs
//! both daemons on those without virtual servers, `vm_start_verdict.rs` on those with virtual
//! servers (they need IPVS, which only the test VM's kernel has), each file in a namespace whose
//! one interface is `eth0`.

use std::path::{Path, PathBuf};

pub const VI: &str =
    "    interface eth0\n    virtual_router_id 51\n    priority 100\n    advert_int 1\n";
pub const VIP: &str = "    virtual_ipaddress {\n        192.168.200.16\n    }\n";
pub const AUTH: &str =
    "    authentication {\n        auth_type PASS\n        auth_pass 1111\n    }\n";

/// A route and a rule keepalived takes, beside the one a kind is about.
const ROUTE: &str = "        192.168.100.0/24 dev eth0\n";
const RULE: &str = "        from 192.168.100.0/24 table 100 preference 20\n";

pub fn instance(extra: &str) -> String {
    format!("vrrp_instance VI_1 {{\n    state BACKUP\n{VI}{AUTH}{VIP}{extra}}}\n")
}

pub fn with_global(global: &str, rest: &str) -> String {
    format!("global_defs {{\n{global}}}\n{rest}")
}

/// A DR virtual server with one real server; `vs` and `check` go inside the blocks.
pub fn virtual_server(head: &str, vs: &str, check: &str) -> String {
    format!(
        "virtual_server {head} {{\n    delay_loop 6\n{vs}    real_server 10.0.0.2 80 {{\n        weight 1\n        TCP_CHECK {{\n            connect_timeout 3\n{check}        }}\n    }}\n}}\n"
    )
}

pub const DR: &str = "    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n";

pub fn misc(path: &str) -> String {
    format!("virtual_server 10.0.0.100 80 {{\n{DR}    real_server 10.0.0.2 80 {{\n        MISC_CHECK {{\n            misc_path \"{path}\"\n        }}\n    }}\n}}\n")
}

pub fn http(inner: &str) -> String {
    format!("virtual_server 10.0.0.100 80 {{\n{DR}    real_server 10.0.0.2 80 {{\n        HTTP_GET {{\n            url {{\n                path /\n            }}\n{inner}        }}\n    }}\n}}\n")
}

/// A vrrp_script `chk` with `inner` and an instance tracking it.
pub fn tracked_script(inner: &str) -> String {
    format!(
        "vrrp_script chk {{\n    script \"/bin/true\"\n{inner}}}\n{}",
        instance("    track_script {\n        chk\n    }\n")
    )
}

/// What keepalived 2.2.7's daemon (started without `-t`) does with a file.
#[derive(Clone, Debug)]
pub enum Daemon {
    /// It starts and runs, as if the file were this one (`None`: as written): its dumps of
    /// both are the same. That other file is the fallback, written out.
    Runs(Option<String>),
    /// It does not start: the process ends with an error.
    Stops,
}

#[derive(Clone, Debug)]
pub struct Kind {
    pub name: &'static str,
    pub text: String,
    /// keepalived's daemon, measured; the tests measure it again.
    pub keepalived: Daemon,
}

impl Kind {
    /// Whether the file has virtual servers: its daemon needs IPVS (the test VM).
    pub fn lvs(&self) -> bool {
        self.text.contains("virtual_server")
    }
}

fn runs(name: &'static str, text: String) -> Kind {
    Kind {
        name,
        text,
        keepalived: Daemon::Runs(None),
    }
}

fn runs_as(name: &'static str, text: String, as_if: String) -> Kind {
    Kind {
        name,
        text,
        keepalived: Daemon::Runs(Some(as_if)),
    }
}

fn stops(name: &'static str, text: String) -> Kind {
    Kind {
        name,
        text,
        keepalived: Daemon::Stops,
    }
}

/// One small file per kind of finding, each measured against keepalived 2.2.7 when it was
/// written; the tests measure them again.
pub fn kinds() -> Vec<Kind> {
    let vs = |vs: &str, check: &str| virtual_server("10.0.0.100 80", vs, check);
    let clean = instance("");
    let with = |from: &str, to: &str| clean.replace(from, to);
    vec![
        runs("clean_instance", clean.clone()),
        runs("clean_virtual_server", vs(DR, "")),
        runs_as(
            "unknown_keyword",
            instance("    priorty 100\n"),
            clean.clone(),
        ),
        runs_as(
            "unknown_keyword_global",
            with_global("    bogus_global 1\n", &clean),
            clean.clone(),
        ),
        // A keyword of later versions: 2.2.7 does not know it.
        runs_as(
            "set_supplementary_groups",
            with_global("    set_supplementary_groups\n", &clean),
            clean.clone(),
        ),
        runs_as(
            "unknown_top_level_block",
            format!("bogus_top {{\n}}\n{clean}"),
            clean.clone(),
        ),
        runs_as(
            "nb_get_retry_in_tcp_check",
            vs(DR, "            nb_get_retry 3\n"),
            vs(DR, ""),
        ),
        runs_as(
            "nb_get_retry_in_http_get",
            http("            nb_get_retry 3\n"),
            http("            retry 3\n"),
        ),
        runs("retry_in_tcp_check", vs(DR, "            retry 3\n")),
        runs_as(
            "lb_dash_kind",
            vs(&format!("{DR}    lb-kind DR\n"), ""),
            vs(DR, ""),
        ),
        runs_as(
            "nat_mask",
            vs(&format!("{DR}    nat_mask 255.255.255.0\n"), ""),
            vs(DR, ""),
        ),
        runs_as(
            "legacy_lb_algo_lb_kind",
            vs("    lb_algo wrr\n    lb_kind NAT\n    protocol TCP\n", ""),
            vs("    lvs_sched wrr\n    lvs_method NAT\n    protocol TCP\n", ""),
        ),
        runs("no_lvs_sched", vs("    lvs_method DR\n    protocol TCP\n", "")),
        runs("no_lvs_method", vs("    lvs_sched rr\n    protocol TCP\n", "")),
        runs("no_protocol", vs("    lvs_sched rr\n    lvs_method DR\n", "")),
        runs(
            "hashed_with_sh",
            vs(
                "    lvs_sched sh\n    lvs_method DR\n    protocol TCP\n    hashed\n",
                "",
            ),
        ),
        runs("hashed_with_rr", vs(&format!("{DR}    hashed\n"), "")),
        runs(
            "fwmark_with_protocol",
            virtual_server("fwmark 1", DR, "").replace("10.0.0.2 80", "10.0.0.2"),
        ),
        runs_as(
            "garp_master_delay_in_global_defs",
            with_global("    garp_master_delay 5\n", &clean),
            clean.clone(),
        ),
        runs(
            "garp_master_delay_in_instance",
            instance("    garp_master_delay 5\n"),
        ),
        runs_as(
            "vrrp_garp_interval_0",
            with_global("    vrrp_garp_interval 0\n", &clean),
            clean.clone(),
        ),
        runs_as(
            "auth_pass_longer_than_8",
            with("auth_pass 1111", "auth_pass 123456789"),
            with("auth_pass 1111", "auth_pass 12345678"),
        ),
        // "nopreempt will not work with initial state MASTER - clearing".
        runs_as(
            "nopreempt_with_state_master",
            instance("    nopreempt\n").replace("state BACKUP", "state MASTER"),
            clean.replace("state BACKUP", "state MASTER"),
        ),
        runs("nopreempt_with_state_backup", instance("    nopreempt\n")),
        runs("no_virtual_ipaddress", with(VIP, "")),
        runs_as(
            "priority_out_of_range",
            with("priority 100", "priority 300"),
            clean.clone(),
        ),
        // Without the error, state MASTER would mean priority 255 (the address owner's):
        // keepalived uses 100, its default, whatever the state.
        runs_as(
            "priority_out_of_range_master",
            with("priority 100", "priority 300").replace("state BACKUP", "state MASTER"),
            clean.replace("state BACKUP", "state MASTER"),
        ),
        runs_as("priority_zero", with("priority 100", "priority 0"), clean.clone()),
        runs_as(
            "priority_not_a_number",
            with("priority 100", "priority high"),
            clean.clone(),
        ),
        stops(
            "virtual_router_id_out_of_range",
            with("virtual_router_id 51", "virtual_router_id 300"),
        ),
        stops(
            "virtual_router_id_missing",
            with("    virtual_router_id 51\n", ""),
        ),
        stops(
            "virtual_router_id_twice_on_an_interface",
            format!("{clean}{}", clean.replace("VI_1", "VI_2").replace(VIP, "")),
        ),
        stops("no_interface_keyword", with("    interface eth0\n", "")),
        runs_as(
            "advert_int_zero",
            with("advert_int 1", "advert_int 0"),
            clean.clone(),
        ),
        runs_as(
            "advert_int_too_long",
            with("advert_int 1", "advert_int 300"),
            clean.clone(),
        ),
        runs_as(
            "advert_int_not_a_number",
            with("advert_int 1", "advert_int fast"),
            clean.clone(),
        ),
        // VRRPv2 carries whole seconds: keepalived rounds up.
        runs_as(
            "advert_int_not_whole",
            with("advert_int 1", "advert_int 1.5"),
            with("advert_int 1", "advert_int 2"),
        ),
        runs_as("state_unknown", with("state BACKUP", "state MSTER"), clean.clone()),
        runs_as(
            "state_lower_case",
            with("state BACKUP", "state master"),
            clean.clone(),
        ),
        runs_as(
            "vip_invalid_address",
            with("192.168.200.16", "192.168.200.300"),
            with(VIP, ""),
        ),
        runs_as(
            "vip_prefix_too_long",
            with("192.168.200.16", "192.168.200.16/40"),
            clean.clone(),
        ),
        runs_as(
            "auth_type_unknown",
            with("auth_type PASS", "auth_type PASSWORD"),
            with(AUTH, ""),
        ),
        // IP Authentication Header: run; "Initial state master is incompatible with AH
        // authentication - clearing" (-t exits 5), run as BACKUP.
        runs("auth_type_ah", with("auth_type PASS", "auth_type AH")),
        runs_as(
            "auth_type_ah_with_state_master",
            with("auth_type PASS", "auth_type AH").replace("state BACKUP", "state MASTER"),
            with("auth_type PASS", "auth_type AH"),
        ),
        runs_as(
            "auth_pass_missing",
            with("        auth_pass 1111\n", ""),
            with(AUTH, ""),
        ),
        runs_as(
            "duplicate_instance_name",
            format!("{clean}{}", with("virtual_router_id 51", "virtual_router_id 52")),
            clean.clone(),
        ),
        // Not keepalived's default (5): a word that is not a number reads as 0.
        runs_as(
            "garp_master_delay_not_a_number",
            instance("    garp_master_delay soon\n"),
            instance("    garp_master_delay 0\n"),
        ),
        runs_as(
            "vrrp_garp_master_delay_not_a_number",
            with_global("    vrrp_garp_master_delay soon\n", &clean),
            with_global("    vrrp_garp_master_delay 0\n", &clean),
        ),
        runs_as(
            "preempt_delay_too_long",
            instance("    preempt_delay 2000\n"),
            clean.clone(),
        ),
        runs_as(
            "unicast_peer_invalid",
            instance("    unicast_peer {\n        10.0.0.300\n    }\n"),
            instance("    unicast_peer {\n    }\n"),
        ),
        runs_as(
            "mcast_src_ip_invalid",
            instance("    mcast_src_ip 10.0.0.300\n"),
            clean.clone(),
        ),
        runs_as(
            "version_out_of_range",
            instance("    version 4\n"),
            clean.clone(),
        ),
        runs_as(
            "track_script_undefined",
            instance("    track_script {\n        nosuch\n    }\n"),
            clean.clone(),
        ),
        runs_as(
            "vrrp_script_interval_zero",
            tracked_script("    interval 0\n"),
            tracked_script(""),
        ),
        // keepalived says the weight must be in [-253, 253], then uses 300 all the same (its
        // dump: "chk weight 300", total priority 400, effective 254).
        runs(
            "vrrp_script_weight_out_of_range",
            tracked_script("    weight 300\n"),
        ),
        runs_as(
            "garp_master_delay_too_long",
            instance("    garp_master_delay 100000\n"),
            clean.clone(),
        ),
        runs_as(
            "vrrp_script_fall_zero",
            tracked_script("    fall 0\n"),
            tracked_script(""),
        ),
        runs_as(
            "sync_group_member_missing",
            format!("vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_9\n    }}\n}}\n{clean}"),
            format!("vrrp_sync_group G {{\n    group {{\n        VI_1\n    }}\n}}\n{clean}"),
        ),
        runs(
            "sync_group_of_one",
            format!("vrrp_sync_group G {{\n    group {{\n        VI_1\n    }}\n}}\n{clean}"),
        ),
        runs_as(
            "vrrp_mcast_group4_not_multicast",
            with_global("    vrrp_mcast_group4 10.0.0.1\n", &clean),
            clean.clone(),
        ),
        runs_as(
            "vrrp_version_out_of_range",
            with_global("    vrrp_version 5\n", &clean),
            clean.clone(),
        ),
        runs_as(
            "umask_invalid",
            with_global("    umask 999\n", &clean),
            clean.clone(),
        ),
        runs_as(
            "startup_script_without_program",
            with_global("    startup_script\n", &clean),
            clean.clone(),
        ),
        // The statement is dropped.
        runs_as(
            "unterminated_quote",
            instance("    notify_master \"/bin/true\n"),
            clean.clone(),
        ),
        // keepalived keeps both entries (its dump lists the address twice).
        runs(
            "duplicate_vip",
            instance("    virtual_ipaddress {\n        192.168.200.16\n    }\n"),
        ),
        runs_as(
            "extra_argument",
            with("advert_int 1", "advert_int 1 2"),
            clean.clone(),
        ),
        runs("virtual_server_without_real_servers", format!("virtual_server 10.0.0.100 80 {{\n{DR}}}\n")),
        runs(
            "real_server_port_differs_under_dr",
            vs(DR, "").replace("10.0.0.2 80", "10.0.0.2 8080"),
        ),
        runs("quorum_above_total_weight", vs(&format!("{DR}    quorum 5\n"), "")),
        runs_as(
            "include_matching_nothing",
            format!("include /nonexistent/kars/*.conf\n{clean}"),
            clean.clone(),
        ),
        stops("interface_missing", with("interface eth0", "interface kars9")),
        runs(
            "interface_missing_dynamic",
            with_global(
                "    dynamic_interfaces\n",
                &with("interface eth0", "interface kars9"),
            ),
        ),
        stops(
            "tracked_interface_missing",
            instance("    track_interface {\n        kars9\n    }\n"),
        ),
        stops(
            "vip_dev_missing",
            with("192.168.200.16", "192.168.200.16 dev kars9"),
        ),
        runs_as(
            "linkbeat_interface_missing",
            format!("linkbeat_interfaces {{\n    kars9\n}}\n{clean}"),
            clean.clone(),
        ),
        runs_as(
            "up_down_delay_interface_missing",
            format!("interface_up_down_delays {{\n    kars9 1\n}}\n{clean}"),
            clean.clone(),
        ),
        // keepalived 2.2.7 reads `inet`/`inet6` with the word after it, which it ignores: a
        // route left without a destination, a rule with an unknown option, both dropped.
        runs_as(
            "route_family_word_first",
            instance(&format!("    virtual_routes {{\n        inet6 2001:db8:1::/48 dev eth0\n{ROUTE}    }}\n")),
            instance(&format!("    virtual_routes {{\n{ROUTE}    }}\n")),
        ),
        runs_as(
            "rule_family_word_first",
            instance(&format!("    virtual_rules {{\n        inet6 from 2001:db8::/32 table 100 preference 10\n{RULE}    }}\n")),
            instance(&format!("    virtual_rules {{\n{RULE}    }}\n")),
        ),
        // `default` (or `all`) once the line's family is known: the line is dropped.
        runs_as(
            "route_default_after_family",
            instance(&format!("    virtual_routes {{\n        src 192.168.200.16 default dev eth0 table 7\n{ROUTE}    }}\n")),
            instance(&format!("    virtual_routes {{\n{ROUTE}    }}\n")),
        ),
        runs_as(
            "rule_all_after_family",
            instance(&format!("    virtual_rules {{\n        from 2001:db8::/32 to all table 100 preference 10\n{RULE}    }}\n")),
            instance(&format!("    virtual_rules {{\n{RULE}    }}\n")),
        ),
        // An address that is not one (keepalived's own sample keepalived.conf.vrrp.rules has
        // `to 192.168.200./24`): `Invalid rule to address`, the line dropped, the rest runs.
        runs_as(
            "rule_bad_address",
            instance(&format!("    virtual_rules {{\n        to 192.168.200./24 table 2 preference 10\n{RULE}    }}\n")),
            instance(&format!("    virtual_rules {{\n{RULE}    }}\n")),
        ),
        runs_as(
            "route_bad_address",
            instance(&format!("    virtual_routes {{\n        192.168.200./24 dev eth0\n        192.168.101.0/24 via 192.168.200./24 dev eth0\n        192.168.102.0/24 dev eth0 src 192.168.200.\n{ROUTE}    }}\n")),
            instance(&format!("    virtual_routes {{\n{ROUTE}    }}\n")),
        ),
        // A route without `dev` (a gateway, a blackhole, a nexthop's dev does not count):
        // `cannot track route ... with no interface specified`; -t exits 5, it is installed.
        runs(
            "route_without_dev",
            instance("    virtual_routes {\n        192.168.100.0/24 via 192.168.200.254\n        blackhole 192.168.101.0/24\n    }\n"),
        ),
        runs(
            "static_route_without_dev",
            format!("static_routes {{\n    192.168.100.0/24 via 192.168.200.254\n}}\n{clean}"),
        ),
        stops(
            "route_dev_missing",
            instance("    virtual_routes {\n        192.168.100.0/24 dev kars9\n    }\n"),
        ),
        stops(
            "static_ipaddress_dev_missing",
            format!("static_ipaddress {{\n    192.168.201.1/24 dev kars9\n}}\n{clean}"),
        ),
        stops(
            "garp_group_interface_missing",
            format!("garp_group {{\n    garp_interval 1\n    interface kars9\n}}\n{clean}"),
        ),
        runs(
            "notify_script_without_script_security",
            instance("    notify_master /bin/true\n"),
        ),
        runs_as(
            "notify_script_missing",
            instance("    notify_master /nonexistent/kars.sh\n"),
            clean.clone(),
        ),
        runs("notify_script_on_path", instance("    notify_master true\n")),
        // A quote left open, or a backslash at the end, in a script's line: keepalived cannot
        // split it (`Unable to parse script`) and runs without the script.
        runs_as(
            "notify_script_quote_left_open",
            instance("    notify_master \"/bin/echo it's\"\n"),
            clean.clone(),
        ),
        runs_as(
            "vrrp_script_quote_left_open",
            tracked_script("").replace("\"/bin/true\"", "\"/bin/echo it's\""),
            clean.clone(),
        ),
        runs_as(
            "notify_script_ends_with_a_backslash",
            instance("    notify_master \"/bin/echo a\\\\\"\n"),
            clean.clone(),
        ),
        runs(
            "vrrp_script_without_script_security",
            tracked_script(""),
        ),
        // keepalived disables a vrrp_script whose program does not exist: the instance runs
        // as if it tracked nothing.
        runs_as(
            "vrrp_script_missing",
            tracked_script("").replace("/bin/true", "/nonexistent/kars.sh"),
            clean.clone(),
        ),
        runs("misc_check_without_script_security", misc("/bin/true")),
        runs("misc_check_missing", misc("/nonexistent/kars.sh")),
        runs(
            "scripts_with_script_security",
            with_global(
                "    enable_script_security\n    script_user root\n",
                &format!("{}{}", misc("/bin/true"), instance("    notify_master /bin/true\n")),
            ),
        ),
        // With script security and neither script_user nor a user keepalived_script,
        // keepalived cannot choose a user for the script: it drops it.
        runs_as(
            "script_security_default_user",
            with_global(
                "    enable_script_security\n",
                &instance("    notify_master /bin/true\n"),
            ),
            with_global("    enable_script_security\n", &clean),
        ),
        runs_as(
            "script_user_missing",
            with_global("    script_user kars-no-such-user\n", &clean),
            clean.clone(),
        ),
        // The same user missing: the scripts are dropped.
        runs_as(
            "script_user_missing_drops_scripts",
            with_global(
                "    script_user kars-no-such-user\n",
                &instance("    notify_master /bin/true\n"),
            ),
            clean.clone(),
        ),
        runs_as(
            "script_user_missing_drops_vrrp_scripts",
            with_global("    script_user kars-no-such-user\n", &tracked_script("")),
            clean.clone(),
        ),
        runs_as(
            "security_beats_other_errors",
            instance("    priorty 100\n    notify_master /bin/true\n"),
            instance("    notify_master /bin/true\n"),
        ),
        stops(
            "missing_vrrp_interface_hides_its_scripts",
            instance("    notify_master /bin/true\n").replace("interface eth0", "interface kars9"),
        ),
        // keepalived closes what is open at the end of the file.
        runs_as(
            "unbalanced_braces",
            clean.trim_end().trim_end_matches('}').to_string(),
            clean.clone(),
        ),
    ]
}

/// keepalived's sample configurations (from `KARS_SHARED`, else ../shared beside the
/// repository), never copied here.
pub fn samples() -> Option<PathBuf> {
    let dir = std::env::var_os("KARS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("keepalived-samples");
    dir.is_dir().then_some(dir)
}

/// The `keepalived.conf*` files under `dir`, sorted.
pub fn sample_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
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
