//! Health checkers of a real server. A real server's `checkers` list keeps file order; each item
//! carries its keyword as `"checker"` (`{"checker": "TCP_CHECK", ...}`; not `"type"`, which is
//! a DNS_CHECK keyword).
//!
//! Every value is resolved: the target defaults to the real server's address and port, the
//! timers come from the checker, else the real server, else the virtual server, else
//! keepalived's default for the checker type (retry 1, 3 for DNS_CHECK, 0 for MISC_CHECK;
//! delay_before_retry 1 s, 3 s for HTTP_GET/SSL_GET, delay_loop for DNS_CHECK; warmup: the
//! checker's delay_loop).

use super::{Origin, Timer};
use serde::{Serialize, Serializer};
use std::net::IpAddr;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "checker")]
pub enum Checker {
    #[serde(rename = "TCP_CHECK")]
    Tcp(TcpCheck),
    #[serde(rename = "HTTP_GET")]
    Http(HttpCheck),
    #[serde(rename = "SSL_GET")]
    Ssl(HttpCheck),
    #[serde(rename = "SMTP_CHECK")]
    Smtp(SmtpCheck),
    #[serde(rename = "DNS_CHECK")]
    Dns(DnsCheck),
    #[serde(rename = "MISC_CHECK")]
    Misc(MiscCheck),
    #[serde(rename = "UDP_CHECK")]
    Udp(UdpCheck),
    #[serde(rename = "PING_CHECK")]
    Ping(PingCheck),
    #[serde(rename = "FILE_CHECK")]
    File(FileCheck),
    #[serde(rename = "BFD_CHECK")]
    Bfd(BfdCheck),
}

impl Checker {
    /// The checker's keyword (`TCP_CHECK`, ...).
    pub fn keyword(&self) -> &'static str {
        match self {
            Checker::Tcp(_) => "TCP_CHECK",
            Checker::Http(_) => "HTTP_GET",
            Checker::Ssl(_) => "SSL_GET",
            Checker::Smtp(_) => "SMTP_CHECK",
            Checker::Dns(_) => "DNS_CHECK",
            Checker::Misc(_) => "MISC_CHECK",
            Checker::Udp(_) => "UDP_CHECK",
            Checker::Ping(_) => "PING_CHECK",
            Checker::File(_) => "FILE_CHECK",
            Checker::Bfd(_) => "BFD_CHECK",
        }
    }

    /// The standard options (all but FILE_CHECK and BFD_CHECK have them).
    pub fn common_mut(&mut self) -> Option<&mut CheckerCommon> {
        match self {
            Checker::Tcp(c) | Checker::Ping(c) => Some(&mut c.common),
            Checker::Http(c) | Checker::Ssl(c) => Some(&mut c.common),
            Checker::Smtp(c) => Some(&mut c.common),
            Checker::Dns(c) => Some(&mut c.common),
            Checker::Misc(c) => Some(&mut c.common),
            Checker::Udp(c) => Some(&mut c.common),
            Checker::File(_) | Checker::Bfd(_) => None,
        }
    }

    pub fn origin(&self) -> &Origin {
        match self {
            Checker::Tcp(c) | Checker::Ping(c) => &c.common.origin,
            Checker::Http(c) | Checker::Ssl(c) => &c.common.origin,
            Checker::Smtp(c) => &c.common.origin,
            Checker::Dns(c) => &c.common.origin,
            Checker::Misc(c) => &c.common.origin,
            Checker::Udp(c) => &c.common.origin,
            Checker::File(c) => &c.origin,
            Checker::Bfd(c) => &c.origin,
        }
    }
}

/// The options every checker but FILE_CHECK and BFD_CHECK has.
#[derive(Clone, Debug, Serialize)]
pub struct CheckerCommon {
    pub origin: Origin,
    /// Start in the failed state until the first check succeeds.
    pub alpha: bool,
    pub retry: u32,
    pub delay_before_retry: Timer,
    /// Maximum random delay before the first check (0: none).
    pub warmup: Timer,
    pub delay_loop: Timer,
    /// Resolved with global_defs' checker_log_all_failures once the file is read (so always
    /// present in a decoded model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_all_failures: Option<bool>,
}

/// Where a network checker connects to and from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub connect_ip: IpAddr,
    /// 0 when neither the checker nor its real server names a port.
    pub connect_port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bindto: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_if: Option<String>,
    pub connect_timeout: Timer,
    /// Mark set on the checker's packets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
}

/// TCP_CHECK and PING_CHECK: connection options only.
#[derive(Clone, Debug, Serialize)]
pub struct TcpCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    #[serde(flatten)]
    pub conn: Connection,
}

pub type PingCheck = TcpCheck;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum HttpProtocol {
    #[default]
    #[serde(rename = "1.0")]
    Http10,
    /// 1.0 with `Connection: close`.
    #[serde(rename = "1.0C")]
    Http10C,
    #[serde(rename = "1.1")]
    Http11,
}

/// HTTP_GET and SSL_GET.
#[derive(Clone, Debug, Serialize)]
pub struct HttpCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    #[serde(flatten)]
    pub conn: Connection,
    pub http_protocol: HttpProtocol,
    pub fast_recovery: bool,
    /// The checker's, else the real server's, else the virtual server's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualhost: Option<String>,
    pub enable_sni: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sni_name: Option<String>,
    /// SSL_GET only.
    pub tls_compliant: bool,
    pub url: Vec<Url>,
}

/// `status_code` values: `200` or `200-299`, dumped as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusRange {
    pub first: u16,
    pub last: u16,
}

impl Serialize for StatusRange {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.first == self.last {
            s.serialize_u16(self.first)
        } else {
            s.collect_str(&format_args!("{}-{}", self.first, self.last))
        }
    }
}

/// `regex_stack START MAX` (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegexStack {
    pub start: u64,
    pub max: u64,
}

/// `url { ... }` of HTTP_GET/SSL_GET.
#[derive(Clone, Debug, Serialize)]
pub struct Url {
    pub origin: Origin,
    pub path: String,
    /// MD5 of the body, 32 lower-case hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Accepted codes; 200-299 when none is written.
    pub status_code: Vec<StatusRange>,
    /// The url's, else the checker's (resolved as the checker's is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub virtualhost: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    pub regex_no_match: bool,
    /// PCRE2 option names.
    pub regex_options: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_stack: Option<RegexStack>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_min_offset: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex_max_offset: Option<u64>,
    /// SSL_GET only.
    pub tls_compliant: bool,
}

/// SMTP_CHECK. keepalived checks `conn` and then every `host`; when hosts are given and no
/// connection keyword is written in the SMTP_CHECK itself, the first host takes the place of
/// `conn` (so it is not repeated in `host`).
#[derive(Clone, Debug, Serialize)]
pub struct SmtpCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    #[serde(flatten)]
    pub conn: Connection,
    /// Default `smtpchecker.keepalived.org`.
    pub helo_name: String,
    /// Deprecated `host { }` blocks.
    pub host: Vec<SmtpHost>,
}

pub const SMTP_DEFAULT_HELO: &str = "smtpchecker.keepalived.org";

#[derive(Clone, Debug, Serialize)]
pub struct SmtpHost {
    pub origin: Origin,
    #[serde(flatten)]
    pub conn: Connection,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub enum DnsType {
    A,
    NS,
    CNAME,
    #[default]
    SOA,
    MX,
    TXT,
    AAAA,
    RRSIG,
    DNSKEY,
}

impl DnsType {
    pub const NAMES: [&'static str; 9] = [
        "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA", "RRSIG", "DNSKEY",
    ];
    const ALL: [DnsType; 9] = [
        DnsType::A,
        DnsType::NS,
        DnsType::CNAME,
        DnsType::SOA,
        DnsType::MX,
        DnsType::TXT,
        DnsType::AAAA,
        DnsType::RRSIG,
        DnsType::DNSKEY,
    ];
    /// keepalived compares the type case-insensitively.
    pub fn from_name(name: &str) -> Option<DnsType> {
        Self::NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .and_then(|i| Self::ALL.get(i).copied())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DnsCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    #[serde(flatten)]
    pub conn: Connection,
    #[serde(rename = "type")]
    pub query_type: DnsType,
    /// Default `.`.
    pub name: String,
}

/// `user USER [GROUP]` of MISC_CHECK.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ScriptUser {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// MISC_CHECK: runs a program; no connection options.
#[derive(Clone, Debug, Serialize)]
pub struct MiscCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    /// The command line (one word; quoted in the configuration when it has arguments).
    pub misc_path: String,
    /// Written in whole seconds; the checker's delay_loop when not written.
    pub misc_timeout: Timer,
    pub misc_dynamic: bool,
    /// Absent: global_defs' script_user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<ScriptUser>,
}

#[derive(Clone, Debug, Serialize)]
pub struct UdpCheck {
    #[serde(flatten)]
    pub common: CheckerCommon,
    #[serde(flatten)]
    pub conn: Connection,
    /// Bytes sent, as lower-case hex; absent: a random payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Absent: no reply needed. `""`: any reply. Else the expected start of the reply as
    /// lower-case hex, `x` for an ignored nibble.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_reply: Option<String>,
    pub min_reply_length: u16,
    /// Default 255.
    pub max_reply_length: u16,
}

/// FILE_CHECK: follows a `track_file` of the VRRP part; no standard checker options.
#[derive(Clone, Debug, Serialize)]
pub struct FileCheck {
    pub origin: Origin,
    pub track_file: String,
    /// Absent: the track_file's own weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weight: Option<FileCheckWeight>,
    pub dynamic: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FileCheckWeight {
    pub weight: i32,
    pub reverse: bool,
}

/// BFD_CHECK: follows a `bfd_instance`.
#[derive(Clone, Debug, Serialize)]
pub struct BfdCheck {
    pub origin: Origin,
    pub name: String,
    pub alpha: bool,
}
