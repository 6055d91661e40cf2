//! global_defs `log_unknown_vrids`: an advert for a VRID no instance on the receiving interface
//! has is logged, in keepalived 2.2.7's words (`Unknown VRID(52) received on interface(eth0).
//! ignoring...`); without the keyword it is only counted. keepalived 2.2.7 sends VRID 52 from a
//! second namespace; each daemon in turn listens in the first with VRID 51. Needs root for the
//! namespace lab; skips loudly without it.

mod common;

use std::time::Duration;

use common::{lab_or_skip, wait_for, Conf, KEEPALIVED};

const LINE: &str = "Unknown VRID(52) received on interface(eth0). ignoring...";

fn listener(log: bool) -> String {
    let text = Conf::v2("BACKUP", 100).text();
    if log {
        format!("global_defs {{\n    log_unknown_vrids\n}}\n{text}")
    } else {
        text
    }
}

#[test]
fn netns_log_unknown_vrids_logs_adverts_for_other_vrids() {
    let test = "netns_log_unknown_vrids_logs_adverts_for_other_vrids";
    if !std::path::Path::new(KEEPALIVED).exists() {
        return eprintln!("SKIP: {test}: keepalived 2.2.7 not installed (it sends VRID 52)");
    }
    let Some(lab) = lab_or_skip(test, "uv", 2) else {
        return;
    };
    let (a, b) = (lab.node(0).to_string(), lab.node(1).to_string());
    let other = Conf {
        name: "VI_2",
        vrid: 52,
        vips: vec!["10.9.0.101/24"],
        ..Conf::v2("MASTER", 150)
    };
    let mut sender = lab.start_keepalived(&b, "sender", &other.text());

    let mut ours = lab.start_ours(&a, "ours", &listener(true));
    let seen = wait_for(Duration::from_secs(10), || ours.log_text().contains(LINE));
    assert!(seen.is_some(), "{}", ours.log_text());
    assert_eq!(ours.term(Duration::from_secs(10)), Some(0));

    let mut theirs = lab.start_keepalived(&a, "theirs", &listener(true));
    let seen = wait_for(Duration::from_secs(10), || theirs.log_text().contains(LINE));
    assert!(seen.is_some(), "keepalived 2.2.7: {}", theirs.log_text());
    theirs.term(Duration::from_secs(10));

    // Without the keyword: counted, not logged.
    let mut quiet = lab.start_ours(&a, "quiet", &listener(false));
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !quiet.log_text().contains("Unknown VRID"),
        "{}",
        quiet.log_text()
    );
    assert_eq!(quiet.term(Duration::from_secs(10)), Some(0));
    sender.term(Duration::from_secs(10));
}
