//! The checker blocks of a real server. Each block is read into a record of what was written
//! ([`Written`] and the checker's own fields), then resolved against its real server: keepalived
//! lets a checker's default depend on values written later in the same block (warmup and DNS's
//! delay_before_retry follow the checker's delay_loop), so resolution waits for the block's end.

use super::server::MAX_CONNECT_TIMEOUT;
use super::{MAX_TIMER, MIN_TIMER};
use crate::decode::{kw, Cx, Keyword};
use crate::model::lvs::{
    BfdCheck, Checker, CheckerCommon, Connection, DnsCheck, DnsType, FileCheck, FileCheckWeight,
    MiscCheck, RealServer, ScriptUser, SmtpCheck, SmtpHost, TcpCheck, UdpCheck, SMTP_DEFAULT_HELO,
};
use crate::model::{Origin, Timer};
use crate::tree::{Node, Word};
use std::net::IpAddr;

pub(super) const KEYWORDS: [&str; 10] = [
    "TCP_CHECK",
    "HTTP_GET",
    "SSL_GET",
    "SMTP_CHECK",
    "DNS_CHECK",
    "MISC_CHECK",
    "UDP_CHECK",
    "PING_CHECK",
    "FILE_CHECK",
    "BFD_CHECK",
];

/// Connection options as written.
#[derive(Clone, Debug, Default)]
pub(super) struct ConnW {
    connect_ip: Option<IpAddr>,
    connect_port: Option<u16>,
    bindto: Option<IpAddr>,
    bind_port: Option<u16>,
    bind_if: Option<String>,
    connect_timeout: Option<Timer>,
    fwmark: Option<u32>,
}

impl ConnW {
    fn any(&self) -> bool {
        self.connect_ip.is_some()
            || self.connect_port.is_some()
            || self.bindto.is_some()
            || self.bind_port.is_some()
            || self.bind_if.is_some()
            || self.connect_timeout.is_some()
            || self.fwmark.is_some()
    }

    pub(super) fn resolve(&self, rs: &RealServer, timeout: Timer) -> Connection {
        Connection {
            connect_ip: self.connect_ip.unwrap_or(rs.address),
            connect_port: self.connect_port.unwrap_or(rs.port),
            bindto: self.bindto,
            bind_port: self.bind_port,
            bind_if: self.bind_if.clone(),
            connect_timeout: self.connect_timeout.unwrap_or(timeout),
            fwmark: self.fwmark,
        }
    }
}

/// The standard checker options as written.
#[derive(Clone, Debug, Default)]
pub(super) struct Written {
    pub(super) conn: ConnW,
    alpha: Option<bool>,
    retry: Option<u32>,
    delay_before_retry: Option<Timer>,
    warmup: Option<Timer>,
    delay_loop: Option<Timer>,
    log_all_failures: Option<bool>,
}

pub(super) trait HasWritten {
    fn w(&mut self) -> &mut Written;
}

impl HasWritten for Written {
    fn w(&mut self) -> &mut Written {
        self
    }
}

fn conn_keywords<T: HasWritten>() -> Vec<Keyword<T>> {
    vec![
        kw("connect_ip", |cx, n, t| {
            t.w().conn.connect_ip = cx.ip(n).or(t.w().conn.connect_ip)
        }),
        kw("connect_port", |cx, n, t| {
            t.w().conn.connect_port = cx
                .int(n, 1, 65535)
                .map(|v| v as u16)
                .or(t.w().conn.connect_port)
        }),
        kw("bindto", |cx, n, t| {
            t.w().conn.bindto = cx.ip(n).or(t.w().conn.bindto)
        }),
        kw("bind_port", |cx, n, t| {
            t.w().conn.bind_port = cx
                .int(n, 1, 65535)
                .map(|v| v as u16)
                .or(t.w().conn.bind_port)
        }),
        kw("bind_if", |cx, n, t| {
            let Some(name) = cx.string(n) else { return };
            // The kernel's IFNAMSIZ, less the terminating NUL.
            if name.len() > 15 {
                cx.invalid(n, &n.args[0], "interface names are at most 15 characters");
                return;
            }
            t.w().conn.bind_if = Some(name);
        }),
        kw("connect_timeout", |cx, n, t| {
            t.w().conn.connect_timeout = cx
                .timer(n, MIN_TIMER, MAX_CONNECT_TIMEOUT)
                .or(t.w().conn.connect_timeout)
        }),
        kw("fwmark", |cx, n, t| {
            t.w().conn.fwmark = cx
                .int(n, 0, i64::from(u32::MAX))
                .map(|v| v as u32)
                .or(t.w().conn.fwmark)
        }),
    ]
}

/// The options every checker but FILE_CHECK and BFD_CHECK has (`nb_get_retry` only to be
/// ignored, but in HTTP_GET and SSL_GET).
const TIMING_KEYWORDS: [&str; 7] = [
    "retry",
    "nb_get_retry",
    "delay_before_retry",
    "warmup",
    "delay_loop",
    "alpha",
    "log_all_failures",
];

pub(super) fn retry<T: HasWritten>(cx: &mut Cx, n: &Node, t: &mut T) {
    t.w().retry = cx
        .int(n, 0, i64::from(u32::MAX))
        .map(|v| v as u32)
        .or(t.w().retry);
}

/// `nb_get_retry` outside HTTP_GET and SSL_GET: keepalived 2.2.7 does not know it there
/// ("Unknown keyword") and checks with its default retry, so a fleet running such a file today
/// takes a failed server out after that many tries. Reading it as `retry` would change that on
/// the day the binary is swapped; it is ignored as keepalived ignores it, and the warning says
/// how to get what was probably meant.
fn nb_get_retry_ignored<T>(cx: &mut Cx, n: &Node, _: &mut T) {
    cx.warning(
        n.keyword.span,
        "nb_get_retry is read only in HTTP_GET and SSL_GET; here keepalived ignores it, and so \
         does keepalived-rs: retry stays at its default",
    )
    .with_help(format!(
        "write 'retry {}' if you meant it",
        n.args.first().map_or("N", |w| w.text.as_str())
    ));
}

fn timing_keywords<T: HasWritten>() -> Vec<Keyword<T>> {
    vec![
        kw("retry", retry::<T>),
        kw("nb_get_retry", nb_get_retry_ignored::<T>),
        kw("delay_before_retry", |cx, n, t| {
            t.w().delay_before_retry = cx.timer(n, 0.0, MAX_TIMER).or(t.w().delay_before_retry)
        }),
        kw("warmup", |cx, n, t| {
            t.w().warmup = cx.timer(n, 0.0, MAX_TIMER).or(t.w().warmup)
        }),
        kw("delay_loop", |cx, n, t| {
            t.w().delay_loop = cx.timer(n, MIN_TIMER, MAX_TIMER).or(t.w().delay_loop)
        }),
        kw("alpha", |cx, n, t| t.w().alpha = Some(cx.flag(n))),
        kw("log_all_failures", |cx, n, t| {
            t.w().log_all_failures = Some(cx.flag(n))
        }),
    ]
}

pub(super) fn standard_keywords<T: HasWritten>() -> Vec<Keyword<T>> {
    let mut t = conn_keywords();
    t.extend(timing_keywords());
    t
}

/// Resolves the standard options: checker, else real server (which already holds its virtual
/// server's values), else the checker type's default.
pub(super) fn common(w: &Written, rs: &RealServer, origin: Origin, kind: &str) -> CheckerCommon {
    let (retry, dbr) = match kind {
        "DNS_CHECK" => (3, None),
        "MISC_CHECK" => (0, Some(Timer::secs(1))),
        "HTTP_GET" | "SSL_GET" => (1, Some(Timer::secs(3))),
        _ => (1, Some(Timer::secs(1))),
    };
    let delay_loop = w.delay_loop.unwrap_or(rs.delay_loop);
    CheckerCommon {
        origin,
        alpha: w.alpha.unwrap_or(rs.alpha),
        retry: w.retry.or(rs.retry).unwrap_or(retry),
        delay_before_retry: w
            .delay_before_retry
            .or(rs.delay_before_retry)
            .or(dbr)
            .unwrap_or(delay_loop),
        warmup: w.warmup.or(rs.warmup).unwrap_or(delay_loop),
        delay_loop,
        log_all_failures: w.log_all_failures,
    }
}

/// keepalived refuses a connection it cannot make: a link-local target without an interface,
/// or source and target of different families. The checker is then dropped.
pub(super) fn usable(cx: &mut Cx, c: &Connection, origin: &Origin, what: &str) -> bool {
    if let IpAddr::V6(a) = c.connect_ip {
        if (a.segments()[0] & 0xffc0) == 0xfe80 && c.bind_if.is_none() {
            cx.error(
                origin.span,
                format!(
                    "{what}: link-local connect_ip {a} needs a bind_if; the checker is ignored"
                ),
            )
            .with_help("add 'bind_if IFNAME' naming the interface to reach it through");
            return false;
        }
    }
    if let Some(b) = c.bindto {
        if b.is_ipv4() != c.connect_ip.is_ipv4() {
            cx.error(
                origin.span,
                format!("{what}: bindto {b} and connect_ip {} are of different address families; the checker is ignored", c.connect_ip),
            );
            return false;
        }
    }
    true
}

/// Reads one checker block of `rs`.
pub(super) fn checker(cx: &mut Cx, node: &Node, rs: &RealServer) -> Option<Checker> {
    cx.arity(node, 0, Some(0));
    let items = cx.block(node);
    let origin = cx.origin(node.keyword.span);
    let kind = node.name();
    match kind {
        "TCP_CHECK" | "PING_CHECK" => {
            let mut w = Written::default();
            // Built once: a large configuration has a TCP_CHECK on each of thousands of servers.
            static TABLE: std::sync::OnceLock<Vec<Keyword<Written>>> = std::sync::OnceLock::new();
            cx.decode_items(kind, items, TABLE.get_or_init(standard_keywords), &mut w);
            let conn = w.conn.resolve(rs, rs.connect_timeout);
            if !usable(cx, &conn, &origin, kind) {
                return None;
            }
            let c = TcpCheck {
                common: common(&w, rs, origin, kind),
                conn,
            };
            Some(if kind == "TCP_CHECK" {
                Checker::Tcp(c)
            } else {
                Checker::Ping(c)
            })
        }
        "HTTP_GET" | "SSL_GET" => super::http::http(cx, node, items, rs, origin),
        "SMTP_CHECK" => smtp(cx, items, rs, origin),
        "DNS_CHECK" => {
            let mut d = DnsW::default();
            cx.decode_items(kind, items, &dns_keywords(), &mut d);
            let conn = d.w.conn.resolve(rs, rs.connect_timeout);
            if !usable(cx, &conn, &origin, kind) {
                return None;
            }
            Some(Checker::Dns(DnsCheck {
                common: common(&d.w, rs, origin, kind),
                conn,
                query_type: d.query_type.unwrap_or_default(),
                name: d.name.unwrap_or_else(|| ".".into()),
            }))
        }
        "MISC_CHECK" => {
            let mut m = MiscW::default();
            cx.decode_items(kind, items, &misc_keywords(), &mut m);
            let Some(misc_path) = m.misc_path else {
                cx.error(
                    origin.span,
                    "MISC_CHECK has no misc_path; keepalived ignores this checker",
                )
                .with_help("add 'misc_path /path/to/script'");
                return None;
            };
            let common = common(&m.w, rs, origin, kind);
            Some(Checker::Misc(MiscCheck {
                misc_timeout: m
                    .misc_timeout
                    .map_or(common.delay_loop, |s| Timer::secs(u64::from(s))),
                common,
                misc_path,
                misc_dynamic: m.misc_dynamic,
                user: m.user,
            }))
        }
        "UDP_CHECK" => {
            let mut u = UdpW {
                max_reply_length: 255,
                ..UdpW::default()
            };
            cx.decode_items(kind, items, &udp_keywords(), &mut u);
            if u.min_reply_length > u.max_reply_length {
                cx.warning(
                    origin.span,
                    format!(
                        "UDP_CHECK min_reply_length {} is more than max_reply_length {}; the check will always fail",
                        u.min_reply_length, u.max_reply_length
                    ),
                );
            }
            let conn = u.w.conn.resolve(rs, rs.connect_timeout);
            if !usable(cx, &conn, &origin, kind) {
                return None;
            }
            Some(Checker::Udp(UdpCheck {
                common: common(&u.w, rs, origin, kind),
                conn,
                payload: u.payload,
                require_reply: u.require_reply,
                min_reply_length: u.min_reply_length,
                max_reply_length: u.max_reply_length,
            }))
        }
        "FILE_CHECK" => {
            let mut f = FileW::default();
            cx.decode_items(kind, items, &file_keywords(), &mut f);
            let Some(track_file) = f.track_file else {
                cx.error(
                    origin.span,
                    "FILE_CHECK has no track_file; keepalived ignores this checker",
                )
                .with_help("add 'track_file NAME' naming a track_file block");
                return None;
            };
            Some(Checker::File(FileCheck {
                origin,
                track_file,
                weight: f.weight,
                dynamic: f.dynamic,
            }))
        }
        _ => {
            let mut b = BfdW::default();
            cx.decode_items(kind, items, &bfd_keywords(), &mut b);
            let Some(name) = b.name else {
                cx.error(
                    origin.span,
                    "BFD_CHECK has no name; keepalived ignores this checker",
                )
                .with_help("add 'name NAME' naming a bfd_instance");
                return None;
            };
            Some(Checker::Bfd(BfdCheck {
                origin,
                name,
                alpha: b.alpha.unwrap_or(rs.alpha),
            }))
        }
    }
}

#[derive(Default)]
struct SmtpW {
    w: Written,
    helo_name: Option<String>,
    hosts: Vec<(Origin, ConnW)>,
}

impl HasWritten for SmtpW {
    fn w(&mut self) -> &mut Written {
        &mut self.w
    }
}

fn smtp(cx: &mut Cx, items: &[Node], rs: &RealServer, origin: Origin) -> Option<Checker> {
    let mut table = standard_keywords::<SmtpW>();
    table.push(kw("helo_name", |cx, n, s| {
        s.helo_name = cx.string(n).or(s.helo_name.take())
    }));
    table.push(kw("host", smtp_host));
    let mut s = SmtpW::default();
    cx.decode_items("SMTP_CHECK", items, &table, &mut s);
    let own = s.w.conn.any() || s.hosts.is_empty();
    let timeout = s.w.conn.connect_timeout.unwrap_or(rs.connect_timeout);
    let mut hosts = Vec::new();
    for (o, c) in &s.hosts {
        let conn = c.resolve(rs, timeout);
        if usable(cx, &conn, o, "SMTP_CHECK host") {
            hosts.push(SmtpHost {
                origin: o.clone(),
                conn,
            });
        }
    }
    // keepalived checks the SMTP_CHECK's own target only when a connection option is written
    // there (or there is no host); otherwise its first host stands in for it.
    let conn = if own {
        let conn = s.w.conn.resolve(rs, rs.connect_timeout);
        if !usable(cx, &conn, &origin, "SMTP_CHECK") {
            return None;
        }
        conn
    } else if hosts.is_empty() {
        return None;
    } else {
        hosts.remove(0).conn
    };
    Some(Checker::Smtp(SmtpCheck {
        common: common(&s.w, rs, origin, "SMTP_CHECK"),
        conn,
        helo_name: s.helo_name.unwrap_or_else(|| SMTP_DEFAULT_HELO.into()),
        host: hosts,
    }))
}

/// `host { }` in SMTP_CHECK: its own connection options. keepalived also takes the timing
/// options there, but they set the whole checker's.
fn smtp_host(cx: &mut Cx, n: &Node, s: &mut SmtpW) {
    cx.arity(n, 0, Some(0));
    let items = cx.block(n);
    // keepalived 2.2.7 reads host blocks without a word (its own sample uses them).
    cx.warning(n.keyword.span, "SMTP_CHECK host blocks are deprecated")
        .with_help("write one SMTP_CHECK per host, with connect_ip in each")
        .keepalived_passes();
    let mut w = Written::default();
    cx.decode_items("SMTP_CHECK host", items, &standard_keywords(), &mut w);
    for item in items.iter().filter(|i| TIMING_KEYWORDS.contains(&i.name())) {
        cx.warning(
            item.keyword.span,
            format!(
                "{} in a host block applies to the whole SMTP_CHECK",
                item.name()
            ),
        )
        .with_help("move it into the SMTP_CHECK block")
        .keepalived_passes();
    }
    let t = &mut s.w;
    t.alpha = w.alpha.or(t.alpha);
    t.retry = w.retry.or(t.retry);
    t.delay_before_retry = w.delay_before_retry.or(t.delay_before_retry);
    t.warmup = w.warmup.or(t.warmup);
    t.delay_loop = w.delay_loop.or(t.delay_loop);
    t.log_all_failures = w.log_all_failures.or(t.log_all_failures);
    s.hosts.push((cx.origin(n.keyword.span), w.conn));
}

#[derive(Default)]
struct DnsW {
    w: Written,
    query_type: Option<DnsType>,
    name: Option<String>,
}

impl HasWritten for DnsW {
    fn w(&mut self) -> &mut Written {
        &mut self.w
    }
}

fn dns_keywords() -> Vec<Keyword<DnsW>> {
    let mut t = standard_keywords();
    t.push(kw("type", |cx, n, d: &mut DnsW| {
        let Some(text) = cx.string(n) else { return };
        match DnsType::from_name(&text) {
            Some(q) => d.query_type = Some(q),
            None => cx.invalid(
                n,
                &n.args[0],
                &format!("expected one of {}", DnsType::NAMES.join(", ")),
            ),
        }
    }));
    t.push(kw("name", |cx, n, d| {
        let Some(name) = cx.string(n) else { return };
        let empty_label = (name.starts_with('.') && name != ".") || name.contains("..");
        if empty_label {
            cx.invalid(n, &n.args[0], "the name has an empty label");
            return;
        }
        if d.name.is_some() {
            cx.warning(
                n.keyword.span,
                "DNS_CHECK name is already set; this one is ignored",
            );
            return;
        }
        d.name = Some(name);
    }));
    t
}

#[derive(Default)]
struct MiscW {
    w: Written,
    misc_path: Option<String>,
    misc_timeout: Option<u32>,
    misc_dynamic: bool,
    user: Option<ScriptUser>,
}

impl HasWritten for MiscW {
    fn w(&mut self) -> &mut Written {
        &mut self.w
    }
}

fn misc_keywords() -> Vec<Keyword<MiscW>> {
    let mut t = timing_keywords();
    t.extend([
        kw("misc_path", |cx, n, m: &mut MiscW| {
            m.misc_path = cx.rest(n).or(m.misc_path.take())
        }),
        // Whole seconds, as keepalived reads them (it keeps them in microseconds in 32 bits).
        kw("misc_timeout", |cx, n, m| {
            m.misc_timeout = cx.int(n, 0, 4294).map(|v| v as u32).or(m.misc_timeout)
        }),
        kw("misc_dynamic", |cx, n, m| m.misc_dynamic = cx.flag(n)),
        kw("user", |cx, n, m| {
            cx.no_block(n);
            if cx.arity(n, 1, Some(2)) {
                m.user = Some(ScriptUser {
                    user: n.args[0].text.to_string(),
                    group: n.args.get(1).map(|w| w.text.to_string()),
                });
            }
        }),
    ]);
    t
}

#[derive(Default)]
struct UdpW {
    w: Written,
    payload: Option<String>,
    require_reply: Option<String>,
    min_reply_length: u16,
    max_reply_length: u16,
}

impl HasWritten for UdpW {
    fn w(&mut self) -> &mut Written {
        &mut self.w
    }
}

/// keepalived's free-form hex: each word is read two digits at a time, a lone last digit being
/// the low nibble of a byte (`Ab12f 3` is AB 12 0F 03). With `mask`, X stands for any nibble.
fn hex_string(cx: &mut Cx, n: &Node, words: &[Word], mask: bool) -> Option<String> {
    let mut out = String::new();
    for w in words {
        let chars: Vec<char> = w.text.chars().collect();
        for pair in chars.chunks(2) {
            let ok = |c: &char| c.is_ascii_hexdigit() || (mask && (*c == 'x' || *c == 'X'));
            if !pair.iter().all(ok) {
                let what = if mask {
                    "hex digits or X"
                } else {
                    "hex digits"
                };
                cx.invalid(n, w, &format!("expected {what}"));
                return None;
            }
            if pair.len() == 1 {
                out.push('0');
            }
            out.extend(pair.iter().map(|c| c.to_ascii_lowercase()));
        }
    }
    Some(out)
}

fn udp_keywords() -> Vec<Keyword<UdpW>> {
    let mut t = standard_keywords();
    t.extend([
        kw("payload", |cx, n, u: &mut UdpW| {
            cx.no_block(n);
            if cx.arity(n, 1, None) {
                u.payload = hex_string(cx, n, &n.args, false).or(u.payload.take());
            }
        }),
        kw("require_reply", |cx, n, u| {
            cx.no_block(n);
            u.require_reply = hex_string(cx, n, &n.args, true).or(u.require_reply.take());
        }),
        kw("min_reply_length", |cx, n, u| {
            u.min_reply_length = cx.int(n, 0, 65535).map_or(u.min_reply_length, |v| v as u16)
        }),
        kw("max_reply_length", |cx, n, u| {
            u.max_reply_length = cx.int(n, 0, 65535).map_or(u.max_reply_length, |v| v as u16)
        }),
    ]);
    t
}

#[derive(Default)]
struct FileW {
    track_file: Option<String>,
    weight: Option<FileCheckWeight>,
    dynamic: bool,
}

fn file_keywords() -> Vec<Keyword<FileW>> {
    vec![
        kw("track_file", |cx, n, f| {
            f.track_file = cx.string(n).or(f.track_file.take())
        }),
        kw("weight", |cx, n, f| {
            cx.no_block(n);
            if !cx.arity(n, 1, Some(2)) {
                return;
            }
            let Some(weight) =
                cx.int_word(n, &n.args[0], -i64::from(i32::MAX), i64::from(i32::MAX))
            else {
                return;
            };
            let reverse = match n.args.get(1) {
                None => false,
                Some(w) => {
                    if cx.choice_word(n, w, &["reverse"]).is_none() {
                        return;
                    }
                    true
                }
            };
            f.weight = Some(FileCheckWeight {
                weight: weight as i32,
                reverse,
            });
        }),
        kw("dynamic", |cx, n, f| f.dynamic = cx.flag(n)),
    ]
}

#[derive(Default)]
struct BfdW {
    name: Option<String>,
    alpha: Option<bool>,
}

fn bfd_keywords() -> Vec<Keyword<BfdW>> {
    vec![
        kw("name", |cx, n, b| b.name = cx.string(n).or(b.name.take())),
        kw("alpha", |cx, n, b| b.alpha = Some(cx.flag(n))),
    ]
}
