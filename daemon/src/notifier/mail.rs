//! keepalived's alert mails: which events mail, their subjects and bodies (its own words,
//! measured with 2.2.7 in the namespace lab), and the message as it goes on the wire. Pure.
//!
//! A subject is `[ROUTER_ID] ...`; the message is the headers keepalived writes (`Date`,
//! `From`, `Subject`, `X-Mailer: Keepalived`, `To`), a blank line and the body line followed
//! by one empty line, CRLF throughout.

use vrrp::State;

/// One alert: what it says, before the router id and the headers are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The subject after `[ROUTER_ID] `.
    pub subject: String,
    pub body: String,
}

/// The mail of a VRRP instance entering `state`; `None` for a state keepalived does not mail.
pub fn instance(name: &str, state: State) -> Option<Mail> {
    let (what, body) = match state {
        State::Master => (
            "Entering MASTER state",
            "=> VRRP Instance is now owning VRRP VIPs <=",
        ),
        State::Backup => (
            "Entering BACKUP state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        State::Fault => (
            "Entering FAULT state",
            "=> VRRP Instance is no longer owning VRRP VIPs <=",
        ),
        State::Stop => ("Stopping", "=> VRRP Instance stopping <="),
        State::Initialize => return None,
    };
    Some(Mail {
        subject: format!("VRRP Instance {name} - {what}"),
        body: body.into(),
    })
}

/// The mail of a VRRP instance a reload removes: FAULT's, or under `notify_deleted` its own
/// (measured with 2.2.7).
pub fn removed_instance(name: &str, says_deleted: bool) -> Option<Mail> {
    if !says_deleted {
        return instance(name, State::Fault);
    }
    Some(Mail {
        subject: format!("VRRP Instance {name} - Deleted"),
        body: "=> VRRP Deleted at reload <=".into(),
    })
}

/// The mail of a sync group entering `state`.
pub fn group(name: &str, state: State) -> Option<Mail> {
    let (what, body) = match state {
        State::Master => (
            "Entering MASTER state",
            "=> All VRRP group instances are now in MASTER state <=",
        ),
        State::Backup => (
            "Entering BACKUP state",
            "=> All VRRP group instances are now in BACKUP state <=",
        ),
        State::Fault => (
            "Entering FAULT state",
            "=> All VRRP group instances are now in FAULT state <=",
        ),
        State::Stop => (
            "Stopping",
            "=> All VRRP group instances are now stopping <=",
        ),
        State::Initialize => return None,
    };
    Some(Mail {
        subject: format!("VRRP Group {name} - {what}"),
        body: body.into(),
    })
}

/// Whether a VRRP transition to `state` mails: the instance's (or group's) `smtp_alert`, and
/// FAULT only without `no_email_faults`.
pub fn vrrp_mails(smtp_alert: bool, no_email_faults: bool, state: State) -> bool {
    smtp_alert && !(no_email_faults && state == State::Fault)
}

/// The kind of checker a real-server mail speaks of: keepalived words each kind's mail its own
/// way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckerKind {
    Tcp,
    Http,
    Misc,
    Dns,
    Udp,
    Ping,
    Smtp,
    /// FILE_CHECK: keepalived sends no mail for it.
    File,
}

/// The mail of a real server's checker going up or down: keepalived sends one for each
/// checker that changes, the subject telling the real server's state (`UP` or `DOWN`) after
/// the change. `reason` is the failure's cause where keepalived's body names one (SMTP_CHECK).
/// `None` for FILE_CHECK, which keepalived does not mail.
pub fn real_server(
    rs: &str,
    vs: &str,
    rs_alive: bool,
    kind: CheckerKind,
    checker_up: bool,
    reason: &str,
) -> Option<Mail> {
    let body = match (kind, checker_up) {
        (CheckerKind::Tcp, true) => "=> TCP CHECK succeed on service <=".to_string(),
        (CheckerKind::Tcp, false) => "=> TCP CHECK failed on service <=".to_string(),
        (CheckerKind::Http | CheckerKind::Smtp, true) => "=> CHECK succeed on service <=".into(),
        (CheckerKind::Http, false) => {
            "=> CHECK failed on service : HTTP request failed <=".to_string()
        }
        (CheckerKind::Smtp, false) if reason.is_empty() => "=> CHECK failed on service <=".into(),
        (CheckerKind::Smtp, false) => format!("=> CHECK failed on service : {reason} <="),
        (CheckerKind::Misc, true) => "=> MISC CHECK succeeded on service <=".into(),
        (CheckerKind::Misc, false) => "=> MISC CHECK failed on service <=".into(),
        (CheckerKind::Dns, true) => "=> DNS_CHECK: succeed on service <=".into(),
        (CheckerKind::Dns, false) => "=> DNS_CHECK: failed on service <=".into(),
        (CheckerKind::Udp, true) => "=> UDP CHECK succeed on service <=".into(),
        (CheckerKind::Udp, false) => "=> UDP CHECK failed on service <=".into(),
        (CheckerKind::Ping, true) => "=> ICMP CHECK succeed on service <=".into(),
        (CheckerKind::Ping, false) => "=> ICMP CHECK failed on service <=".into(),
        (CheckerKind::File, _) => return None,
    };
    Some(Mail {
        subject: format!(
            "Realserver {rs} of virtual server {vs} - {}",
            if rs_alive { "UP" } else { "DOWN" }
        ),
        body,
    })
}

/// The mail of a real server taken down at stop (omega).
pub fn real_server_shutdown(rs: &str, vs: &str) -> Mail {
    Mail {
        subject: format!("Realserver {rs} of virtual server {vs} - DOWN"),
        body: "=> Shutting down <=".into(),
    }
}

/// The figures of a quorum change, as keepalived prints them: `quorum`, `hysteresis`, the
/// threshold crossed and the live weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuorumFigures {
    pub quorum: u64,
    pub hysteresis: u64,
    pub threshold: i64,
    pub weight_sum: i64,
}

impl QuorumFigures {
    /// The figures of a quorum just gained (`up`) or lost, from the live weight, the quorum
    /// and the hysteresis: keepalived's threshold is the one crossed, quorum + hysteresis
    /// going up, quorum - hysteresis going down.
    pub fn crossed(weight_sum: u64, quorum: u64, hysteresis: u64, up: bool) -> QuorumFigures {
        let (q, h) = (quorum as i64, hysteresis as i64);
        QuorumFigures {
            quorum,
            hysteresis,
            threshold: if up { q + h } else { q - h },
            weight_sum: weight_sum as i64,
        }
    }
}

/// When a virtual server's quorum is told of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuorumWhen {
    /// At start (and for a virtual server a reload adds): its quorum as it starts.
    Start,
    /// A change.
    Change,
    /// At stop (omega).
    Stop,
}

/// The mail of a virtual server's quorum, up or down.
pub fn virtual_server(vs: &str, up: bool, when: QuorumWhen, f: QuorumFigures) -> Mail {
    let what = match (when, up) {
        (QuorumWhen::Stop, _) => None,
        (QuorumWhen::Start, true) => Some("Starting with quorum up"),
        (QuorumWhen::Start, false) => Some("Starting with quorum down"),
        (QuorumWhen::Change, true) => Some("Gained quorum"),
        (QuorumWhen::Change, false) => Some("Lost quorum"),
    };
    let body = match what {
        None => "=> Shutting down <=".to_string(),
        Some(what) => format!(
            "=> {what} {}+{}={} <= {} <=",
            f.quorum, f.hysteresis, f.threshold, f.weight_sum
        ),
    };
    Mail {
        subject: format!("Virtualserver {vs} - {}", if up { "UP" } else { "DOWN" }),
        body,
    }
}

/// What goes after SMTP's DATA: keepalived's headers and body, CRLF line ends, lines that begin
/// with a dot doubled (RFC 5321 4.5.2; keepalived's own texts never begin with one), and the
/// final `.` line. `date` is RFC 5322's (`Sun, 06 Dec 2026 05:37:49 +0000`).
pub fn message(date: &str, from: &str, to: &[String], router_id: &str, mail: &Mail) -> String {
    let mut m = String::new();
    for line in [
        format!("Date: {date}"),
        format!("From: {from}"),
        format!("Subject: [{router_id}] {}", mail.subject),
        "X-Mailer: Keepalived".into(),
        format!("To: {}", to.join(", ")),
        String::new(),
        mail.body.clone(),
        String::new(),
    ] {
        let line = line.replace(['\r', '\n'], " ");
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(&line);
        m.push_str("\r\n");
    }
    m.push_str(".\r\n");
    m
}

/// RFC 5322's date of a local time, as keepalived writes it.
pub fn date(t: chrono::DateTime<chrono::Local>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S %z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes keepalived 2.2.7 sent after DATA for a group entering BACKUP, captured in the
    /// namespace lab with a raw TCP listener (daemon/tests/data/keepalived-2.2.7/).
    #[test]
    fn a_message_is_byte_for_byte_keepalived_s() {
        let capture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keepalived-2.2.7/smtp-client.txt"
        ))
        .unwrap();
        let data = capture
            .split_once("DATA\r\n")
            .and_then(|(_, rest)| rest.strip_suffix("QUIT\r\n"))
            .unwrap();
        let to = vec!["ops@example.org".to_string(), "noc@example.org".to_string()];
        let m = message(
            "Sun, 06 Dec 2026 05:37:49 +0000",
            "kad@example.org",
            &to,
            "rA",
            &group("G1", State::Backup).unwrap(),
        );
        assert_eq!(m, data);
        let m = message(
            "D",
            "f",
            &to[..1],
            "r",
            &instance("VI_1", State::Master).unwrap(),
        );
        assert!(m.contains("\r\nSubject: [r] VRRP Instance VI_1 - Entering MASTER state\r\n"));
        assert!(m.contains("\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n\r\n.\r\n"));
        assert!(instance("VI_1", State::Initialize).is_none());
    }

    #[test]
    fn a_dot_at_a_line_start_is_doubled_and_no_line_break_gets_in() {
        let m = message(
            "D",
            "f",
            &["t".into()],
            "r\n.x",
            &Mail {
                subject: "s".into(),
                body: ".body".into(),
            },
        );
        assert!(m.contains("\r\n..body\r\n"), "{m:?}");
        assert!(m.contains("Subject: [r .x] s\r\n"), "{m:?}");
    }

    #[test]
    fn faults_are_not_mailed_with_no_email_faults() {
        assert!(vrrp_mails(true, false, State::Fault));
        assert!(!vrrp_mails(true, true, State::Fault));
        assert!(vrrp_mails(true, true, State::Master));
        assert!(!vrrp_mails(false, false, State::Master));
    }

    #[test]
    fn checker_and_quorum_mails() {
        let m = real_server(
            "[10.0.0.1]:tcp:80",
            "[10.0.0.100]:tcp:80",
            false,
            CheckerKind::Tcp,
            false,
            "",
        )
        .unwrap();
        assert_eq!(
            m.subject,
            "Realserver [10.0.0.1]:tcp:80 of virtual server [10.0.0.100]:tcp:80 - DOWN"
        );
        assert_eq!(m.body, "=> TCP CHECK failed on service <=");
        let m = real_server("a", "b", true, CheckerKind::Smtp, false, "bad greeting").unwrap();
        assert_eq!(m.body, "=> CHECK failed on service : bad greeting <=");
        assert!(real_server("a", "b", true, CheckerKind::File, true, "").is_none());
        let f = QuorumFigures {
            quorum: 2,
            hysteresis: 1,
            threshold: 1,
            weight_sum: 0,
        };
        let m = virtual_server("[10.0.0.100]:tcp:80", false, QuorumWhen::Change, f);
        assert_eq!(m.subject, "Virtualserver [10.0.0.100]:tcp:80 - DOWN");
        assert_eq!(m.body, "=> Lost quorum 2+1=1 <= 0 <=");
    }
}
