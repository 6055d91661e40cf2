//! conf-parser's checkers as the checkers crate's probes and timing. Pure; the daemon's `lvsd`
//! starts them.
//!
//! Checkers this build cannot run (BFD_CHECK, and HTTP_GET/SSL_GET whose regex the `regex`
//! crate cannot honour) and invalid ones are left out and listed in `skipped`, so the daemon can
//! say so; the real server's pool then waits for no checker that never runs.
//!
//! SSL_GET needs the `SSL { }` block's files, which planning does not read: [`probe`] is given
//! the one TLS client configuration, built once when a checker needs it.

use crate::script_user::ScriptUsers;
use checkers::body_regex::{BodyRegex, RegexSpec};
use checkers::dns::{DnsCheck, DnsType};
use checkers::file::FileCheck;
use checkers::http::{HttpCheck, HttpProtocol, UrlCheck};
use checkers::misc::MiscCheck;
use checkers::ping::PingCheck;
use checkers::smtp::SmtpCheck;
use checkers::ssl::{SslContext, Tls, TlsOptions};
use checkers::tcp::{Connection, Source, TcpCheck};
use checkers::udp::{parse_hex, ReplyByte, UdpCheck};
use checkers::{Probe, Timing};
use conf_parser::model::global::GlobalPart;
use conf_parser::model::lvs::{self, Checker, CheckerCommon, LvsPart};
use conf_parser::model::vrrp::TrackFile;
use conf_parser::Config;
use std::sync::Arc;

/// A checker ready to start.
#[derive(Debug, Clone)]
pub struct PlannedChecker {
    /// Shared by the checkers planned one after another with the same timing (10,000 real
    /// servers usually have one or a few: 56 bytes a checker, for the run, otherwise).
    pub timing: Arc<Timing>,
    pub probe: PlannedProbe,
}

impl PlannedChecker {
    /// Its settings as text: two checkers with the same fingerprint check the same way, so a
    /// reload keeps the one running. (An SSL_GET's also depend on the `SSL { }` block, which
    /// the caller compares.)
    pub fn fingerprint(&self) -> String {
        format!("{self:?}")
    }

    pub fn needs_tls(&self) -> bool {
        matches!(self.probe, PlannedProbe::Ssl(..))
    }

    /// keepalived's keyword for it.
    pub fn keyword(&self) -> &'static str {
        KINDS[self.kind()]
    }

    /// Its kind: the index of its keyword in [`KINDS`].
    pub fn kind(&self) -> usize {
        match self.probe {
            PlannedProbe::Tcp(_) => 0,
            PlannedProbe::Http(_) => 1,
            PlannedProbe::Ssl(..) => 2,
            PlannedProbe::Misc(_) => 3,
            PlannedProbe::Dns(_) => 4,
            PlannedProbe::Udp(_) => 5,
            PlannedProbe::Smtp(_) => 6,
            PlannedProbe::Ping(_) => 7,
            PlannedProbe::File(_) => 8,
        }
    }

    /// How keepalived words this checker's alert mails.
    pub fn mail_kind(&self) -> crate::notifier::mail::CheckerKind {
        use crate::notifier::mail::CheckerKind as K;
        match self.probe {
            PlannedProbe::Tcp(_) => K::Tcp,
            PlannedProbe::Http(_) | PlannedProbe::Ssl(..) => K::Http,
            PlannedProbe::Misc(_) => K::Misc,
            PlannedProbe::Dns(_) => K::Dns,
            PlannedProbe::Udp(_) => K::Udp,
            PlannedProbe::Smtp(_) => K::Smtp,
            PlannedProbe::Ping(_) => K::Ping,
            PlannedProbe::File(_) => K::File,
        }
    }
}

/// keepalived's keyword of each checker kind the daemon runs ([`PlannedChecker::kind`]).
pub const KINDS: [&str; 9] = [
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "MISC_CHECK",
    "DNS_CHECK",
    "UDP_CHECK",
    "SMTP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
];

/// How long checks take, per checker kind: one set for the daemon's life, shared by every
/// checker task (which records into its kind's) and read by the metrics.
#[derive(Debug, Default)]
pub struct CheckLatencies([Arc<checkers::Latency>; KINDS.len()]);

impl CheckLatencies {
    /// The histograms the checkers of `kind` ([`PlannedChecker::kind`]) record into.
    pub fn of(&self, kind: usize) -> &Arc<checkers::Latency> {
        &self.0[kind]
    }

    /// Each kind's keyword and histograms.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &checkers::Latency)> {
        KINDS.iter().copied().zip(self.0.iter().map(|l| &**l))
    }
}

/// A checker's probe, shared (an `Arc`) by the plan and the check engine that runs it: one
/// copy per checker for the run, and a plan of small entries (a probe inline made each entry
/// 280 bytes, the size of the largest kind, whatever its kind: docs/benchmarks.md).
#[derive(Debug, Clone)]
pub enum PlannedProbe {
    Tcp(Arc<TcpCheck>),
    Http(Arc<HttpCheck>),
    Misc(Arc<MiscCheck>),
    Dns(Arc<DnsCheck>),
    Udp(Arc<UdpCheck>),
    Smtp(Arc<SmtpCheck>),
    Ping(Arc<PingCheck>),
    File(Arc<FileCheck>),
    /// The HTTP part of an SSL_GET, and its TLS options (the engine runs a copy of the HTTP
    /// part with the TLS client configuration, which planning does not read).
    Ssl(Arc<HttpCheck>, Box<TlsOptions>),
}

pub use checkers::ssl::TlsClientConfig as TlsConfig;

/// The TLS client configuration of the `SSL { }` block when some checker is an SSL_GET: its
/// files read once (an unreadable file is an error, as it is for keepalived).
pub fn tls_config(plan: &super::LvsPlan) -> Result<Option<TlsConfig>, String> {
    let needed = plan
        .virtual_servers
        .iter()
        .flat_map(|v| &v.real_servers)
        .flat_map(|r| &r.checkers)
        .any(PlannedChecker::needs_tls);
    needed.then(|| plan.ssl.client_config()).transpose()
}

/// The probe to run for a planned checker; `tls` is the `SSL { }` block's configuration,
/// needed by SSL_GET only.
pub fn probe(c: &PlannedChecker, tls: Option<&TlsConfig>) -> Result<Arc<dyn Probe>, String> {
    Ok(match &c.probe {
        PlannedProbe::Tcp(p) => p.clone(),
        PlannedProbe::Http(p) => p.clone(),
        PlannedProbe::Misc(p) => p.clone(),
        PlannedProbe::Dns(p) => p.clone(),
        PlannedProbe::Udp(p) => p.clone(),
        PlannedProbe::Smtp(p) => p.clone(),
        PlannedProbe::Ping(p) => p.clone(),
        PlannedProbe::File(p) => p.clone(),
        PlannedProbe::Ssl(p, options) => {
            let config = tls.cloned().ok_or("no TLS context")?;
            let tls = Tls::new(config, options, p.virtualhost(), p.connection().connect_ip)
                .map_err(|e| e.to_string())?;
            Arc::new(HttpCheck::clone(p).with_tls(tls))
        }
    })
}

/// The `SSL { }` block's files.
pub fn ssl_context(lvs: &LvsPart) -> SslContext {
    lvs.ssl
        .as_ref()
        .map(|s| SslContext {
            ca: s.ca.as_ref().map(Into::into),
            certificate: s.certificate.as_ref().map(Into::into),
            key: s.key.as_ref().map(Into::into),
            password: s.password.clone(),
        })
        .unwrap_or_default()
}

fn timing(c: &CheckerCommon, global: &GlobalPart) -> Timing {
    Timing {
        delay_loop: c.delay_loop.0,
        retry: c.retry,
        delay_before_retry: c.delay_before_retry.0,
        warmup: c.warmup.0,
        alpha: c.alpha,
        log_all_failures: c
            .log_all_failures
            .unwrap_or(global.global_defs.checker_log_all_failures),
    }
}

fn connection(c: &lvs::Connection) -> Connection {
    Connection::new(c.connect_ip, c.connect_port, c.connect_timeout.0).with_source(Source {
        bindto: c.bindto,
        bind_port: c.bind_port,
        bind_if: c.bind_if.clone(),
        fwmark: c.fwmark,
    })
}

fn http(h: &lvs::HttpCheck) -> Result<HttpCheck, NotRun> {
    let protocol = match h.http_protocol {
        lvs::HttpProtocol::Http10 => HttpProtocol::Http10,
        lvs::HttpProtocol::Http10C => HttpProtocol::Http10C,
        lvs::HttpProtocol::Http11 => HttpProtocol::Http11,
    };
    let urls = h
        .url
        .iter()
        .map(|u| UrlCheck {
            path: u.path.clone(),
            status_code: u.status_code.iter().map(|r| (r.first, r.last)).collect(),
            digest: u.digest.clone(),
            virtualhost: u.virtualhost.clone(),
            regex: u.regex.as_ref().map(|pattern| RegexSpec {
                pattern: pattern.clone(),
                no_match: u.regex_no_match,
                options: u.regex_options.clone(),
                min_offset: u.regex_min_offset,
                max_offset: u.regex_max_offset,
            }),
        })
        .collect::<Vec<_>>();
    // keepalived matches with PCRE2; what the regex crate cannot do (look-around,
    // back-references, some options) would leave the url unchecked.
    for u in &urls {
        if let Some(spec) = &u.regex {
            BodyRegex::new(spec.clone()).map_err(|why| {
                NotRun::Unsupported(format!(
                    "url {}: regex {:?}: {why}; keepalived-rs matches with Rust's regex \
                     crate: rewrite the regex without look-around or back-references",
                    u.path, spec.pattern
                ))
            })?;
        }
    }
    Ok(HttpCheck::new(
        connection(&h.conn),
        protocol,
        h.virtualhost.clone(),
        urls,
    )?)
}

/// A MISC_CHECK runs as its `user`, else as global_defs' default (crate::script_user); one whose
/// user cannot be had is left out, as keepalived does ("Unable to set default user for misc
/// script ... - removing"), never run as root instead.
fn misc(m: &lvs::MiscCheck, global: &GlobalPart) -> Result<MiscCheck, String> {
    let users = ScriptUsers::system(&global.global_defs);
    let own = m.user.as_ref();
    let run_as = users.run_as(
        own.map(|u| u.user.as_str()),
        own.and_then(|u| u.group.as_deref()),
    )?;
    let command = conf_parser::values::split_command(&m.misc_path);
    MiscCheck::new(command, m.misc_timeout.0, m.misc_dynamic, run_as)
}

fn dns(d: &lvs::DnsCheck) -> Result<DnsCheck, String> {
    let query_type = match d.query_type {
        lvs::DnsType::A => DnsType::A,
        lvs::DnsType::NS => DnsType::NS,
        lvs::DnsType::CNAME => DnsType::CNAME,
        lvs::DnsType::SOA => DnsType::SOA,
        lvs::DnsType::MX => DnsType::MX,
        lvs::DnsType::TXT => DnsType::TXT,
        lvs::DnsType::AAAA => DnsType::AAAA,
        lvs::DnsType::RRSIG => DnsType::RRSIG,
        lvs::DnsType::DNSKEY => DnsType::DNSKEY,
    };
    DnsCheck::new(connection(&d.conn), query_type, &d.name)
}

fn udp(u: &lvs::UdpCheck) -> Result<UdpCheck, String> {
    let payload = u.payload.as_deref().map(parse_hex).transpose()?;
    let require_reply = u
        .require_reply
        .as_deref()
        .map(ReplyByte::parse_pattern)
        .transpose()?;
    UdpCheck::new(
        connection(&u.conn),
        payload,
        require_reply,
        u.min_reply_length,
        u.max_reply_length,
    )
}

/// FILE_CHECK has none of the timing options: its file is read every second.
const FILE_CHECK_TIMING: Timing = Timing {
    delay_loop: std::time::Duration::from_secs(1),
    retry: 0,
    delay_before_retry: std::time::Duration::from_secs(1),
    warmup: std::time::Duration::ZERO,
    alpha: false,
    log_all_failures: false,
};

fn file(f: &lvs::FileCheck, track_files: &[TrackFile]) -> Result<FileCheck, String> {
    let t = track_files
        .iter()
        .find(|t| t.name == f.track_file)
        .ok_or_else(|| format!("no track_file {}", f.track_file))?;
    let path = t
        .file
        .as_ref()
        .ok_or_else(|| format!("track_file {} has no file", t.name))?;
    let (weight, reverse) = match f.weight {
        Some(w) => (w.weight, w.reverse),
        None => (t.weight, t.reverse),
    };
    FileCheck::new(path.into(), weight, reverse)
}

/// Why a checker of the model is not run.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRun {
    /// Its settings cannot work (a missing url, an unknown track_file, ...): left out, with a
    /// warning naming it.
    Invalid(String),
    /// keepalived 2.2.7 runs it and keepalived-rs cannot: the configuration is refused (at
    /// start, on reload), since a real server left without its check would never go down.
    Unsupported(String),
}

impl From<String> for NotRun {
    fn from(why: String) -> NotRun {
        NotRun::Invalid(why)
    }
}

/// One checker of the model -> its timing and probe, or why it is not run.
fn plan_one(
    c: &Checker,
    global: &GlobalPart,
    track_files: &[TrackFile],
) -> Result<(Timing, PlannedProbe), NotRun> {
    match c {
        Checker::File(f) => Ok((
            FILE_CHECK_TIMING,
            PlannedProbe::File(Arc::new(file(f, track_files)?)),
        )),
        Checker::Tcp(t) => Ok((
            timing(&t.common, global),
            PlannedProbe::Tcp(Arc::new(TcpCheck::new(connection(&t.conn))?)),
        )),
        Checker::Http(h) => Ok((
            timing(&h.common, global),
            PlannedProbe::Http(Arc::new(http(h)?)),
        )),
        Checker::Ssl(h) => {
            let options = TlsOptions {
                enable_sni: h.enable_sni,
                sni_name: h.sni_name.clone(),
                tls_compliant: h.tls_compliant,
            };
            Ok((
                timing(&h.common, global),
                PlannedProbe::Ssl(Arc::new(http(h)?), Box::new(options)),
            ))
        }
        Checker::Misc(m) => Ok((
            timing(&m.common, global),
            PlannedProbe::Misc(Arc::new(misc(m, global)?)),
        )),
        Checker::Dns(d) => Ok((
            timing(&d.common, global),
            PlannedProbe::Dns(Arc::new(dns(d)?)),
        )),
        Checker::Udp(u) => Ok((
            timing(&u.common, global),
            PlannedProbe::Udp(Arc::new(udp(u)?)),
        )),
        Checker::Ping(p) => Ok((
            timing(&p.common, global),
            PlannedProbe::Ping(Arc::new(PingCheck::new(connection(&p.conn))?)),
        )),
        Checker::Smtp(m) => {
            // The checker's own connection, then each host block (the model already moved
            // the first host into `conn` when the checker names no connection itself).
            let hosts = std::iter::once(&m.conn)
                .chain(m.host.iter().map(|h| &h.conn))
                .map(connection)
                .collect();
            Ok((
                timing(&m.common, global),
                PlannedProbe::Smtp(Arc::new(SmtpCheck::new(hosts, m.helo_name.clone())?)),
            ))
        }
        other => Err(NotRun::Unsupported(format!(
            "{} is not run by keepalived-rs; check the real server with a TCP_CHECK, HTTP_GET or \
             MISC_CHECK instead, or run keepalived",
            other.keyword()
        ))),
    }
}

/// The checkers of one real server that can run; the invalid ones are listed in `skipped`,
/// those keepalived-rs cannot run in `unsupported`.
/// `last_timing` is the timing of the checker planned before (shared with the next one that
/// has the same).
pub fn plan_real_server(
    vs: &lvs::VirtualServer,
    rs: &lvs::RealServer,
    config: &Config,
    last_timing: &mut Option<Arc<Timing>>,
    skipped: &mut Vec<String>,
    unsupported: &mut Vec<String>,
) -> Vec<PlannedChecker> {
    // Exactly as many as it has (most have one): a `Vec` grown by `push` takes room for four,
    // and this one lives for the whole run, once per real server (at 10,000 real servers the
    // spare room was 8.4 MB: docs/benchmarks.md).
    let mut out = Vec::with_capacity(rs.checkers.len());
    for c in &rs.checkers {
        let at = || {
            format!(
                "{}: {} in real server {} of virtual server {}",
                c.origin(),
                c.keyword(),
                std::net::SocketAddr::new(rs.address, rs.port),
                vs.service
            )
        };
        match plan_one(c, &config.global, &config.vrrp.track_file) {
            Ok((timing, probe)) => {
                let timing = match last_timing {
                    Some(t) if **t == timing => t.clone(),
                    _ => last_timing.insert(Arc::new(timing)).clone(),
                };
                out.push(PlannedChecker { timing, probe })
            }
            Err(NotRun::Invalid(why)) => skipped.push(format!("{}: {why}; not run", at())),
            Err(NotRun::Unsupported(why)) => unsupported.push(format!("{}: {why}", at())),
        }
    }
    out.shrink_to_fit();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The plan's checkers in order, its skipped lines, and the plan.
    struct Flat {
        checkers: Vec<PlannedChecker>,
        skipped: Vec<String>,
        lvs: super::super::LvsPlan,
    }

    fn plan(cfg: &conf_parser::Config) -> Flat {
        let lvs = super::super::plan(cfg, false).unwrap();
        Flat {
            checkers: lvs
                .virtual_servers
                .iter()
                .flat_map(|v| &v.real_servers)
                .flat_map(|r| r.checkers.clone())
                .collect(),
            skipped: lvs.skipped.clone(),
            lvs,
        }
    }

    fn parse(text: &str) -> conf_parser::Config {
        let parsed = conf_parser::parse_str("t.conf", text, &conf_parser::Options::default());
        assert!(parsed.is_ok(), "{}", parsed.render_diagnostics());
        parsed.config
    }

    const CONF: &str = r#"
global_defs {
    checker_log_all_failures
    script_user nobody
}
track_file f1 {
    file /run/keepalived-rs-test-f1
}
virtual_server 192.168.200.100 80 {
    delay_loop 6
    lvs_sched rr
    lvs_method DR
    protocol TCP
    quorum 2
    hysteresis 1
    omega
    sorry_server 192.168.200.200 8080
    sorry_server_inhibit
    real_server 192.168.201.100 80 {
        weight 3
        inhibit_on_failure
        TCP_CHECK {
            connect_timeout 3
            retry 2
            delay_before_retry 2
            bindto 192.168.201.1
        }
        MISC_CHECK {
            misc_path "/usr/local/bin/check 'a b'"
            misc_timeout 4
            misc_dynamic
            alpha
            log_all_failures no
        }
    }
    real_server 192.168.201.101 80 {
        FILE_CHECK {
            track_file f1
            weight 5 reverse
        }
        SSL_GET {
            enable_sni
            sni_name sni.example.org
            url {
                path /
            }
        }
        HTTP_GET {
            http_protocol 1.1
            virtualhost www.example.org
            url {
                path /health
                status_code 200-299 503
                digest 5eb63bbbe01eeed093cb22bb8f5acdc3
            }
        }
    }
}
"#;

    #[test]
    fn plans_the_supported_checkers_with_their_timing() {
        let cfg = parse(CONF);
        let plan = plan(&cfg);
        let per_rs: Vec<usize> = plan.lvs.virtual_servers[0]
            .real_servers
            .iter()
            .map(|r| r.checkers.len())
            .collect();
        assert_eq!(per_rs, vec![2, 3]);
        let tcp = &plan.checkers[0];
        assert_eq!(
            *tcp.timing,
            Timing {
                delay_loop: Duration::from_secs(6),
                retry: 2,
                delay_before_retry: Duration::from_secs(2),
                warmup: Duration::from_secs(6),
                alpha: false,
                log_all_failures: true,
            }
        );
        let PlannedProbe::Tcp(t) = &tcp.probe else {
            panic!("not TCP")
        };
        assert_eq!(
            t.conn.connect_ip,
            "192.168.201.100".parse::<std::net::IpAddr>().unwrap()
        );
        assert_eq!(t.conn.connect_port, 80);
        assert_eq!(
            t.conn.source().bindto,
            Some("192.168.201.1".parse().unwrap())
        );
        assert_eq!(t.conn.connect_timeout, Duration::from_secs(3));
        let misc = &plan.checkers[1];
        assert!(misc.timing.alpha && !misc.timing.log_all_failures);
        let PlannedProbe::Misc(m) = &misc.probe else {
            panic!("not MISC")
        };
        assert_eq!(m.command, vec!["/usr/local/bin/check", "a b"]);
        assert_eq!(m.timeout, Duration::from_secs(4));
        assert!(m.dynamic);
        // global_defs' script_user, looked up when planned.
        let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
        assert_eq!(
            m.run_as,
            crate::script_user::RunAs {
                uid: nobody.uid.as_raw(),
                gid: nobody.gid.as_raw()
            }
        );
        // FILE_CHECK: the track_file's file, the checker's own weight.
        let PlannedProbe::File(f) = &plan.checkers[2].probe else {
            panic!("not FILE")
        };
        assert_eq!(
            (f.path.to_str(), f.weight, f.reverse),
            (Some("/run/keepalived-rs-test-f1"), 5, true)
        );
        assert_eq!(*plan.checkers[2].timing, FILE_CHECK_TIMING);
        let PlannedProbe::Ssl(_, options) = &plan.checkers[3].probe else {
            panic!("not SSL")
        };
        assert!(options.enable_sni);
        assert_eq!(options.sni_name.as_deref(), Some("sni.example.org"));
        assert!(matches!(plan.checkers[4].probe, PlannedProbe::Http(_)));
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    }

    #[test]
    fn the_pool_mirrors_the_virtual_servers() {
        use checkers::effects::SorryServerConfig;
        use checkers::CheckerId;
        let cfg = parse(CONF);
        let plan = plan(&cfg);
        let v = &plan.lvs.virtual_servers[0];
        let ids = vec![
            vec![CheckerId(1), CheckerId(2)],
            vec![CheckerId(3), CheckerId(4), CheckerId(5)],
        ];
        let vs = v.pool_config(&ids);
        assert_eq!((vs.quorum, vs.hysteresis, vs.omega), (2, 1, true));
        // DR cannot change the port: the parser resolves the sorry server's to the service's.
        assert_eq!(
            vs.sorry_server,
            Some(SorryServerConfig {
                address: "192.168.200.200".parse().unwrap(),
                port: 80,
                inhibit: true
            })
        );
        assert_eq!(vs.real_servers[0].weight, 3);
        assert!(vs.real_servers[0].inhibit_on_failure);
        let alpha = |r: usize| -> Vec<(u64, bool)> {
            vs.real_servers[r]
                .checkers
                .iter()
                .map(|c| (c.id.0, c.alpha))
                .collect()
        };
        assert_eq!(alpha(0), vec![(1, false), (2, true)]);
        assert_eq!(alpha(1), vec![(3, false), (4, false), (5, false)]);
        // The plan's pool starts: rs 0 is down (its MISC_CHECK has alpha), rs 1 is up.
        let pool = checkers::effects::Pool::new(vec![vs]);
        assert_eq!(pool.is_alive(0, 0), Some(false));
        assert_eq!(pool.is_alive(0, 1), Some(true));
    }

    #[test]
    fn a_regex_keepalived_runs_and_keepalived_rs_cannot_refuses_the_plan() {
        let cfg = parse(
            "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    path /\n    regex \"ok\"\n    regex_options caseless\n   }\n  }\n }\n}\n",
        );
        assert_eq!(plan(&cfg).checkers.len(), 1);
        // A back-reference: PCRE2 (keepalived) matches it, the regex crate cannot. Left out,
        // the real server would have no check and never go down.
        let cfg = parse(
            "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  HTTP_GET {\n   url {\n    path /\n    regex \"ok\"\n   }\n  }\n  HTTP_GET {\n   url {\n    path /\n    regex \"(a)\\\\1\"\n   }\n  }\n }\n}\n",
        );
        let err = super::super::plan(&cfg, false).unwrap_err();
        assert!(err.starts_with("t.conf:"), "{err}");
        assert!(err.contains("HTTP_GET in real server 10.0.0.2:80"), "{err}");
        assert!(err.contains("rewrite the regex"), "{err}");
    }

    #[test]
    fn a_bfd_check_refuses_the_plan() {
        let cfg = parse(
            "bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\nvirtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  BFD_CHECK {\n   name b1\n  }\n }\n}\n",
        );
        let err = super::super::plan(&cfg, false).unwrap_err();
        assert!(
            err.contains("BFD_CHECK is not run by keepalived-rs"),
            "{err}"
        );
        assert!(err.contains("instead"), "{err}");
    }

    #[test]
    fn probes_build_the_tls_context_once_and_report_bad_files() {
        let cfg = parse(CONF);
        let p = plan(&cfg);
        let tls = tls_config(&p.lvs).unwrap();
        assert!(tls.is_some(), "an SSL_GET needs it");
        for c in &p.checkers {
            probe(c, tls.as_ref()).unwrap();
        }
        let with_ssl = format!("SSL {{\n    certificate /nonexistent/cert.pem\n}}\n{CONF}");
        let cfg = parse(&with_ssl);
        let err = tls_config(&plan(&cfg).lvs).expect_err("a missing certificate is an error");
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
        // Without an SSL_GET the files are not read.
        let cfg = parse("SSL {\n certificate /nonexistent/cert.pem\n}\nvirtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n  TCP_CHECK {\n  }\n }\n}\n");
        assert!(tls_config(&plan(&cfg).lvs).unwrap().is_none());
    }

    /// Checkers planned one after another with the same timing share one copy of it (one for
    /// 10,000 real servers); one with another timing has its own.
    #[test]
    fn checkers_with_the_same_timing_share_it() {
        let rs = |n: u8, retry: u32| {
            format!(" real_server 10.0.0.{n} 80 {{\n  TCP_CHECK {{\n   retry {retry}\n  }}\n }}\n")
        };
        let cfg = parse(&format!(
            "virtual_server 10.0.0.1 80 {{\n{}{}{}{}}}\n",
            rs(2, 1),
            rs(3, 1),
            rs(4, 2),
            rs(5, 2)
        ));
        let c = plan(&cfg).checkers;
        assert!(Arc::ptr_eq(&c[0].timing, &c[1].timing));
        assert!(Arc::ptr_eq(&c[2].timing, &c[3].timing));
        assert!(!Arc::ptr_eq(&c[1].timing, &c[2].timing));
        assert_eq!((c[1].timing.retry, c[2].timing.retry), (1, 2));
    }

    #[test]
    fn dns_and_udp_checks_are_planned() {
        let cfg = parse(
            "virtual_server 10.0.0.1 53 {\n protocol UDP\n real_server 10.0.0.2 53 {\n  DNS_CHECK {\n   type MX\n   name example.org\n  }\n  UDP_CHECK {\n   payload 0102\n   require_reply 01x2\n   min_reply_length 2\n  }\n }\n}\n",
        );
        let plan = plan(&cfg);
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        let PlannedProbe::Dns(d) = &plan.checkers[0].probe else {
            panic!("not DNS")
        };
        assert_eq!(
            (d.query_type, d.name.as_str()),
            (DnsType::MX, "example.org")
        );
        // DNS_CHECK's retry default is 3.
        assert_eq!(plan.checkers[0].timing.retry, 3);
        let PlannedProbe::Udp(u) = &plan.checkers[1].probe else {
            panic!("not UDP")
        };
        assert_eq!(u.payload, Some(vec![1, 2]));
        assert_eq!(
            u.require_reply,
            Some(vec![
                ReplyByte {
                    value: 0x01,
                    mask: 0xff
                },
                ReplyByte {
                    value: 0x02,
                    mask: 0x0f
                }
            ])
        );
        assert_eq!((u.min_reply_length, u.max_reply_length), (2, 255));
    }

    #[test]
    fn smtp_hosts_are_planned_in_order() {
        let cfg = parse(
            "virtual_server 10.0.0.1 25 {\n protocol TCP\n real_server 10.0.0.2 25 {\n  SMTP_CHECK {\n   helo_name director.example\n   host {\n    connect_ip 10.0.0.3\n   }\n   host {\n    connect_ip 10.0.0.4\n    connect_port 2525\n   }\n  }\n }\n}\n",
        );
        let plan = plan(&cfg);
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        let PlannedProbe::Smtp(m) = &plan.checkers[0].probe else {
            panic!("not SMTP")
        };
        let targets: Vec<String> = m.hosts.iter().map(|h| h.target().to_string()).collect();
        assert_eq!(targets, vec!["10.0.0.3:25", "10.0.0.4:2525"]);
        assert_eq!(m.helo_name, "director.example");
    }
}
