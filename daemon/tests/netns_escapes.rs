//! Backslashes in a configuration's strings, read as keepalived 2.2.7 reads them: kept as
//! written in every string (router_id, auth_pass, an url's path, ...) but a script's line and an
//! HTTP_GET `regex`, whose escapes it decodes (a script's command twice: once as a word of its
//! line, once when split into arguments). keepalived's `-d` dump and its "Invalid regex" line
//! show what it stored; `keepalived-rs config dump` shows ours; they must be the same, for every
//! escape form (`\xH..`, `\N`/`\NN`/`\NNN` octal, `\cX`, `\a \b \E \f \n \r \t \v`, any other
//! character for itself, `\0` ending the word). Runs keepalived in a namespace of the lab (its
//! dump needs the instance's interface); needs root, skips loudly without it.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{lab_or_skip, ours_binary, wait_for, Daemon, KEEPALIVED};

/// Every escape form in a regex, a script's line (command and arguments), and plain strings.
const CONF: &str = r#"global_defs {
    router_id "r\tx\x41\\y\101\q"
    notification_email_from "f\x41@x\cA"
}
vrrp_script chk {
    script "/usr/bin/echo \1 \x41 \\ \101 \q \\t \cA \x414 \cz \a\b\E\f\n\r\v x\0y"
    interval 5
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass "p\x41s"
    }
    notify_master "/usr/bin/echo a\tb\x41 'c d' \"e f\" g\\ h \\\\x41"
    track_script {
        chk
    }
    virtual_ipaddress {
        10.9.0.100
    }
}
virtual_server 10.9.0.100 80 {
    lvs_sched rr
    lvs_method DR
    protocol TCP
    real_server 10.9.0.3 80 {
        HTTP_GET {
            url {
                path "/a\x41"
                regex "(\x28ok)\1\\1\x41\101\cA\q\\("
            }
        }
    }
}
"#;

/// A command line as keepalived's dump writes it: each word in single quotes.
fn quoted(words: &serde_json::Value) -> String {
    words
        .as_array()
        .expect("a command")
        .iter()
        .map(|w| format!("'{}'", w.as_str().expect("a word")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text after `label` on keepalived's log line that has it.
fn after<'a>(log: &'a str, label: &str) -> Option<&'a str> {
    log.lines()
        .find_map(|l| l.split_once(label).map(|(_, v)| v))
}

#[test]
fn netns_backslashes_are_read_as_keepalived_reads_them() {
    let Some(lab) = lab_or_skip(
        "netns_backslashes_are_read_as_keepalived_reads_them",
        "esc",
        1,
    ) else {
        return;
    };
    let file = lab.write("escapes.conf", CONF);
    let log = lab.dir.join("keepalived.log");
    // Both processes (the checker's reads the regex), dumping their configuration (-d).
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        lab.node(0),
        KEEPALIVED,
        "-n",
        "-l",
        "-D",
        "-d",
        "-f",
    ])
    .arg(&file)
    .args(common::dr::pid_args(&lab, "k"));
    let mut d = Daemon::spawn_for_test(&mut cmd, log.clone());
    let read = || String::from_utf8_lossy(&std::fs::read(&log).unwrap_or_default()).into_owned();
    let dumped = wait_for(Duration::from_secs(20), || {
        let l = read();
        l.contains("Command =") && l.contains("Invalid regex")
    });
    d.term(Duration::from_secs(10));
    let kept = read();
    assert!(dumped.is_some(), "keepalived's dump is incomplete:\n{kept}");

    let ours = Command::new(ours_binary())
        .args(["config", "dump", "-f"])
        .arg(&file)
        .output()
        .expect("keepalived-rs config dump");
    let model: serde_json::Value = serde_json::from_slice(&ours.stdout).unwrap_or_else(|e| {
        panic!(
            "config dump: {e}\n{}",
            String::from_utf8_lossy(&ours.stderr)
        )
    });
    let defs = &model["global_defs"];
    let instance = &model["vrrp_instance"][0];
    let url = &model["virtual_server"][0]["real_server"][0]["checkers"][0]["url"][0];
    let pairs = [
        (
            "router_id",
            after(&kept, "Router ID = ").map(str::to_string),
            defs["router_id"].as_str().map(str::to_string),
        ),
        (
            "notification_email_from",
            after(&kept, "Email notification from = ").map(str::to_string),
            defs["notification_email_from"].as_str().map(str::to_string),
        ),
        (
            "auth_pass",
            after(&kept, "Password = ").map(str::to_string),
            instance["authentication"]["auth_pass"]
                .as_str()
                .map(str::to_string),
        ),
        (
            "vrrp_script",
            after(&kept, "Command = ").map(str::to_string),
            Some(quoted(&model["vrrp_script"][0]["script"])),
        ),
        (
            "notify_master",
            after(&kept, "Master state transition script = ")
                .and_then(|v| v.split_once(", uid:gid"))
                .map(|(c, _)| c.to_string()),
            Some(quoted(&instance["notify_master"]["command"])),
        ),
        (
            "regex",
            after(&kept, "Invalid regex: '")
                .and_then(|v| v.rsplit_once("' at offset"))
                .map(|(r, _)| r.to_string()),
            url["regex"].as_str().map(str::to_string),
        ),
    ];
    for (what, keepalived, ours) in &pairs {
        println!("MEASURE: {what}: keepalived {keepalived:?}, keepalived-rs {ours:?}");
    }
    for (what, keepalived, ours) in pairs {
        assert!(
            keepalived.is_some(),
            "{what} not in keepalived's dump:\n{kept}"
        );
        assert_eq!(
            ours, keepalived,
            "{what}: keepalived-rs, then keepalived 2.2.7"
        );
    }
    // keepalived's checker dies without IPVS before it dumps the url; its path is a plain
    // string, kept as written like the others.
    assert_eq!(url["path"], r"/a\x41");
}
