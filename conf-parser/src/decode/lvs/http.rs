//! HTTP_GET and SSL_GET, with their `url` blocks.

use super::checkers::{common, retry, standard_keywords, usable, HasWritten, Written};
use crate::decode::{deprecated, kw, Cx, Keyword};
use crate::model::lvs::{
    Checker, HttpCheck, HttpProtocol, RealServer, RegexStack, StatusRange, Url,
};
use crate::model::Origin;
use crate::tree::Node;

/// The PCRE2 options keepalived knows for `regex_options`.
const REGEX_OPTIONS: [&str; 24] = [
    "allow_empty_class",
    "alt_bsux",
    "auto_callout",
    "caseless",
    "dollar_endonly",
    "dotall",
    "dupnames",
    "extended",
    "firstline",
    "match_unset_backref",
    "multiline",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "ucp",
    "ungreedy",
    "utf",
    "never_backslash_c",
    "alt_circumflex",
    "alt_verbnames",
    "use_offset_limit",
];

#[derive(Default)]
struct HttpW {
    /// SSL_GET (its url blocks know `tls_compliant`).
    ssl: bool,
    w: Written,
    http_protocol: HttpProtocol,
    fast_recovery: bool,
    virtualhost: Option<String>,
    enable_sni: bool,
    sni_name: Option<String>,
    tls_compliant: bool,
    url: Vec<Url>,
}

impl HasWritten for HttpW {
    fn w(&mut self) -> &mut Written {
        &mut self.w
    }
}

fn http_keywords(ssl: bool) -> Vec<Keyword<HttpW>> {
    let mut t = standard_keywords();
    // The one place keepalived still reads nb_get_retry, as retry (logging it as deprecated).
    t.retain(|k| k.name != "nb_get_retry");
    t.push(deprecated(
        "nb_get_retry",
        "retry",
        |cx, n, h: &mut HttpW| retry(cx, n, h),
    ));
    t.extend([
        kw("http_protocol", |cx, n, h: &mut HttpW| {
            h.http_protocol = match cx.choice(n, &["1.0", "1.0C", "1.0c", "1.1"]) {
                Some("1.0") => HttpProtocol::Http10,
                Some("1.1") => HttpProtocol::Http11,
                Some(_) => HttpProtocol::Http10C,
                None => h.http_protocol,
            }
        }),
        kw("fast_recovery", |cx, n, h| h.fast_recovery = cx.flag(n)),
        kw("virtualhost", |cx, n, h| {
            h.virtualhost = cx.string(n).or(h.virtualhost.take())
        }),
        kw("enable_sni", |cx, n, h| h.enable_sni = cx.flag(n)),
        kw("sni_name", |cx, n, h| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            if let Some(w) = n.args.first() {
                h.sni_name = Some(w.text.to_string());
            }
            h.enable_sni = true;
        }),
        kw("url", |cx, n, h| {
            if let Some(u) = url(cx, n, h.ssl) {
                h.url.push(u);
            }
        }),
    ]);
    if ssl {
        t.push(kw("tls_compliant", |cx, n, h| h.tls_compliant = cx.flag(n)));
    }
    t
}

pub(super) fn http(
    cx: &mut Cx,
    node: &Node,
    items: &[Node],
    rs: &RealServer,
    origin: Origin,
) -> Option<Checker> {
    let kind = node.name();
    let ssl = kind == "SSL_GET";
    let mut h = HttpW {
        ssl,
        ..HttpW::default()
    };
    cx.decode_items(kind, items, &http_keywords(ssl), &mut h);
    if h.url.is_empty() {
        cx.error(
            origin.span,
            format!("{kind} has no url; keepalived ignores this checker"),
        )
        .with_help("add 'url { path / }'");
        return None;
    }
    let conn = h.w.conn.resolve(rs, rs.connect_timeout);
    if !usable(cx, &conn, &origin, kind) {
        return None;
    }
    let virtualhost = h.virtualhost.or_else(|| rs.virtualhost.clone());
    for u in &mut h.url {
        if u.virtualhost.is_none() {
            u.virtualhost = virtualhost.clone();
        }
    }
    let c = HttpCheck {
        common: common(&h.w, rs, origin, kind),
        conn,
        http_protocol: h.http_protocol,
        fast_recovery: h.fast_recovery,
        virtualhost,
        enable_sni: h.enable_sni,
        sni_name: h.sni_name,
        tls_compliant: h.tls_compliant,
        url: h.url,
    };
    Some(if ssl {
        Checker::Ssl(c)
    } else {
        Checker::Http(c)
    })
}

fn offset(cx: &mut Cx, n: &Node) -> Option<u64> {
    cx.int(n, 0, i64::MAX).map(|v| v as u64)
}

fn url_keywords() -> Vec<Keyword<Url>> {
    vec![
        kw("path", |cx, n, u| {
            if let Some(p) = cx.string(n) {
                u.path = p;
            }
        }),
        kw("digest", |cx, n, u| {
            let Some(d) = cx.string(n) else { return };
            if d.len() != 32 || !d.bytes().all(|b| b.is_ascii_hexdigit()) {
                cx.invalid(
                    n,
                    &n.args[0],
                    "expected an MD5 digest: 32 hex digits (genhash prints it)",
                );
                return;
            }
            u.digest = Some(d.to_ascii_lowercase());
        }),
        kw("status_code", |cx, n, u| {
            cx.no_block(n);
            if !cx.arity(n, 1, None) {
                return;
            }
            for w in &n.args {
                match status_range(&w.text) {
                    Some(r) => u.status_code.push(r),
                    None => cx.invalid(n, w, "expected a code 100..599 or a range such as 200-299"),
                }
            }
        }),
        kw("virtualhost", |cx, n, u| {
            u.virtualhost = cx.string(n).or(u.virtualhost.take())
        }),
        kw("regex", |cx, n, u| {
            // keepalived decodes a regex's escapes (`\x28` is `(`, `\1` the byte 1; a
            // back-reference is written `\\1`), as in a script's line.
            if let Some(r) = cx.string(n).map(|r| crate::values::decode_escapes(&r)) {
                if u.regex.is_some() {
                    cx.warning(n.keyword.span, "regex is already set; this one replaces it");
                }
                u.regex = Some(r);
            }
        }),
        kw("regex_no_match", |cx, n, u| u.regex_no_match = cx.flag(n)),
        kw("regex_options", |cx, n, u| {
            cx.no_block(n);
            if !cx.arity(n, 1, None) {
                return;
            }
            for w in &n.args {
                if let Some(o) = cx.choice_word(n, w, &REGEX_OPTIONS) {
                    if !u.regex_options.iter().any(|x| x == o) {
                        u.regex_options.push(o.to_string());
                    }
                }
            }
        }),
        kw("regex_stack", |cx, n, u| {
            cx.no_block(n);
            if !cx.arity(n, 2, Some(2)) {
                return;
            }
            let start = cx.int_word(n, &n.args[0], 0, i64::MAX);
            let max = cx.int_word(n, &n.args[1], 0, i64::MAX);
            let (Some(start), Some(max)) = (start, max) else {
                return;
            };
            if start > max {
                cx.error(
                    n.span(),
                    format!("regex_stack start {start} is more than its max {max}"),
                );
                return;
            }
            u.regex_stack = Some(RegexStack {
                start: start as u64,
                max: max as u64,
            });
        }),
        kw("regex_min_offset", |cx, n, u| {
            u.regex_min_offset = offset(cx, n).or(u.regex_min_offset)
        }),
        kw("regex_max_offset", |cx, n, u| {
            u.regex_max_offset = offset(cx, n).or(u.regex_max_offset)
        }),
    ]
}

fn url_ssl_keywords() -> Vec<Keyword<Url>> {
    let mut t = url_keywords();
    t.push(kw("tls_compliant", |cx, n, u| u.tls_compliant = cx.flag(n)));
    t
}

fn status_range(text: &str) -> Option<StatusRange> {
    let ok = |s: &str| s.parse::<u16>().ok().filter(|c| (100..=599).contains(c));
    let (first, last) = match text.split_once('-') {
        Some((a, b)) => (ok(a)?, ok(b)?),
        None => (ok(text)?, ok(text)?),
    };
    (first <= last).then_some(StatusRange { first, last })
}

/// A `url { }` block; SSL_GET's also knows `tls_compliant`.
fn url(cx: &mut Cx, node: &Node, ssl: bool) -> Option<Url> {
    cx.arity(node, 0, Some(0));
    let items = cx.block(node);
    let mut u = Url {
        origin: cx.origin(node.keyword.span),
        path: String::new(),
        digest: None,
        status_code: Vec::new(),
        virtualhost: None,
        regex: None,
        regex_no_match: false,
        regex_options: Vec::new(),
        regex_stack: None,
        regex_min_offset: None,
        regex_max_offset: None,
        tls_compliant: false,
    };
    let table = if ssl {
        url_ssl_keywords()
    } else {
        url_keywords()
    };
    cx.decode_items("url", items, &table, &mut u);
    if u.path.is_empty() {
        cx.error(
            u.origin.span,
            "url has no path; keepalived ignores this url",
        )
        .with_help("add 'path /'");
        return None;
    }
    if u.status_code.is_empty() {
        u.status_code.push(StatusRange {
            first: 200,
            last: 299,
        });
    }
    if u.regex.is_none()
        && (u.regex_no_match
            || !u.regex_options.is_empty()
            || u.regex_stack.is_some()
            || u.regex_min_offset.is_some()
            || u.regex_max_offset.is_some())
    {
        cx.warning(u.origin.span, "regex settings without a regex are ignored")
            .with_help("add 'regex PATTERN'");
        u.regex_no_match = false;
        u.regex_options.clear();
        u.regex_stack = None;
        u.regex_min_offset = None;
        u.regex_max_offset = None;
    }
    if let (Some(min), Some(max)) = (u.regex_min_offset, u.regex_max_offset) {
        if min > max {
            cx.warning(
                u.origin.span,
                format!(
                    "regex_min_offset {min} is more than regex_max_offset {max}; both are ignored"
                ),
            );
            u.regex_min_offset = None;
            u.regex_max_offset = None;
        }
    }
    Some(u)
}
