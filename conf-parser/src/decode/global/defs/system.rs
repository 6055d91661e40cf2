//! Scheduling of the child processes, reloads, configuration reading and dump files.

#[allow(clippy::wildcard_imports)]
use super::*;

// ---- scheduling of the child processes ----

pub(super) fn scheduling_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("vrrp_priority", |cx, n, d| {
            d.vrrp_priority = nice(cx, n).or(d.vrrp_priority)
        }),
        kw("checker_priority", |cx, n, d| {
            d.checker_priority = nice(cx, n).or(d.checker_priority)
        }),
        kw("bfd_priority", |cx, n, d| {
            d.bfd_priority = nice(cx, n).or(d.bfd_priority)
        }),
        kw("vrrp_no_swap", |cx, n, d| d.vrrp_no_swap = cx.bare(n)),
        kw("checker_no_swap", |cx, n, d| d.checker_no_swap = cx.bare(n)),
        kw("bfd_no_swap", |cx, n, d| d.bfd_no_swap = cx.bare(n)),
        kw("vrrp_rt_priority", |cx, n, d| {
            d.vrrp_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.vrrp_rt_priority)
        }),
        kw("checker_rt_priority", |cx, n, d| {
            d.checker_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.checker_rt_priority);
        }),
        kw("bfd_rt_priority", |cx, n, d| {
            d.bfd_rt_priority = uint(cx, n, 1, MAX_RT_PRIORITY).or(d.bfd_rt_priority)
        }),
        kw("vrrp_cpu_affinity", |cx, n, d| {
            d.vrrp_cpu_affinity = cpus(cx, n).unwrap_or_default()
        }),
        kw("checker_cpu_affinity", |cx, n, d| {
            d.checker_cpu_affinity = cpus(cx, n).unwrap_or_default()
        }),
        kw("bfd_cpu_affinity", |cx, n, d| {
            d.bfd_cpu_affinity = cpus(cx, n).unwrap_or_default()
        }),
        kw("vrrp_rlimit_rttime", vrrp_rlimit),
        legacy("vrrp_rlimit_rtime", "vrrp_rlimit_rttime", vrrp_rlimit),
        kw("checker_rlimit_rttime", checker_rlimit),
        legacy(
            "checker_rlimit_rtime",
            "checker_rlimit_rttime",
            checker_rlimit,
        ),
        kw("bfd_rlimit_rttime", bfd_rlimit),
        legacy("bfd_rlimit_rtime", "bfd_rlimit_rttime", bfd_rlimit),
        kw("max_auto_priority", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            match n.args.first() {
                None => d.max_auto_priority = MAX_RT_PRIORITY as i32,
                Some(w) => {
                    if let Some(v) = cx.int_word(n, w, -1, MAX_RT_PRIORITY) {
                        d.max_auto_priority = v as i32;
                    }
                }
            }
        }),
        kw("min_auto_priority_delay", |cx, n, d| {
            d.min_auto_priority_delay =
                micros(cx, n, 1, 10_000_000).unwrap_or(d.min_auto_priority_delay);
        }),
    ]
}

fn nice(cx: &mut Cx, n: &Node) -> Option<i32> {
    cx.int(n, -20, 19).map(|v| v as i32)
}

/// CPU numbers; the count of CPUs is only known at run time, so this checks the kernel's limit.
fn cpus(cx: &mut Cx, n: &Node) -> Option<Vec<u32>> {
    cx.no_block(n);
    if !cx.arity(n, 1, None) {
        return None;
    }
    let mut v = Vec::new();
    for w in &n.args {
        // keepalived drops the whole set at the first bad CPU.
        v.push(cx.int_word(n, w, 0, 1023)? as u32);
    }
    Some(v)
}

/// RLIMIT_RTTIME in microseconds; keepalived raises 1 to 2 (it halves the value).
fn rlimit(cx: &mut Cx, n: &Node) -> Option<Timer> {
    micros(cx, n, 1, U32_MAX).map(|t| t.max(Timer::micros(2)))
}

fn vrrp_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.vrrp_rlimit_rttime = rlimit(cx, n).unwrap_or(d.vrrp_rlimit_rttime);
}

fn checker_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.checker_rlimit_rttime = rlimit(cx, n).unwrap_or(d.checker_rlimit_rttime);
}

fn bfd_rlimit(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    d.bfd_rlimit_rttime = rlimit(cx, n).unwrap_or(d.bfd_rlimit_rttime);
}

// ---- reloads, configuration reading, dump files ----

pub(super) fn reload_keywords() -> Vec<Keyword<GlobalDefs>> {
    vec![
        kw("reload_check_config", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            d.reload_check_config = Some(
                n.args
                    .first()
                    .map_or_else(|| "/dev/null".to_string(), |w| w.text.to_string()),
            );
        }),
        kw("reload_time_file", |cx, n, d| {
            set_string(cx, n, &mut d.reload_time_file)
        }),
        kw("reload_repeat", |cx, n, d| d.reload_repeat = cx.bare(n)),
        kw("reload_file", |cx, n, d| {
            cx.no_block(n);
            cx.arity(n, 0, Some(1));
            d.reload_file = n.args.first().map(|w| w.text.to_string());
            d.written.default_reload_file = n.args.is_empty();
        }),
        kw("include_check", include_check),
        kw("random_seed", |cx, n, d| {
            d.random_seed = uint(cx, n, 0, U32_MAX).or(d.random_seed)
        }),
        kw("state_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.state_dump_file)
        }),
        kw("stats_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.stats_dump_file)
        }),
        kw("json_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.json_dump_file)
        }),
        // keepalived.conf(5) documents these names; keepalived's parser only knows *_dump_file
        // (2.2.7: "Unknown keyword").
        deprecated("state_file_location", "state_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.state_dump_file)
        }),
        deprecated("stats_file_location", "stats_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.stats_dump_file)
        }),
        deprecated("json_file_location", "json_dump_file", |cx, n, d| {
            non_empty(cx, n, &mut d.json_dump_file)
        }),
        kw("data_use_instance", |cx, n, d| {
            d.data_use_instance = flag(cx, n).unwrap_or(d.data_use_instance)
        }),
        kw("json_version", |cx, n, d| {
            if let Some(v) = cx.int(n, 1, 2) {
                d.json_version = v as u8;
            }
        }),
        kw("iproute_usr_dir", |cx, n, d| {
            set_string(cx, n, &mut d.iproute_usr_dir)
        }),
        kw("iproute_etc_dir", |cx, n, d| {
            set_string(cx, n, &mut d.iproute_etc_dir)
        }),
    ]
}

/// `include_check [[+|-]CHECK ...]`: no word means every check; a bare first word sets the
/// checks (readable plus that one), `+`/`-` words add or remove.
fn include_check(cx: &mut Cx, n: &Node, d: &mut GlobalDefs) {
    cx.no_block(n);
    let all = IncludeCheck {
        readable: true,
        matched: true,
        wildcard_match: true,
        brace_match: true,
    };
    if n.args.is_empty() {
        d.include_check = Some(all);
        return;
    }
    let mut c = d.include_check.unwrap_or_default();
    for (i, w) in n.args.iter().enumerate() {
        let (sign, name) = match w.text.as_bytes().first() {
            Some(b'+') => (Some(true), &w.text[1..]),
            Some(b'-') => (Some(false), &w.text[1..]),
            _ => (None, w.text.as_str()),
        };
        if sign.is_none() && i > 0 {
            cx.warning(
                w.span,
                format!(
                    "include_check '{}' after the first check needs + or -; it is ignored",
                    w.text
                ),
            );
            continue;
        }
        let mut bit = IncludeCheck::default();
        match name {
            "readable" | "read" => bit.readable = true,
            "match" => bit.matched = true,
            "wildcard_match" => bit.wildcard_match = true,
            "brace_match" => bit.brace_match = true,
            _ => {
                cx.invalid(n, w, "expected readable, match, wildcard_match or brace_match, optionally after + or -");
                continue;
            }
        }
        c = match sign {
            None => IncludeCheck {
                readable: true,
                ..bit
            },
            Some(true) => IncludeCheck {
                readable: c.readable || bit.readable,
                matched: c.matched || bit.matched,
                wildcard_match: c.wildcard_match || bit.wildcard_match,
                brace_match: c.brace_match || bit.brace_match,
            },
            Some(false) => IncludeCheck {
                readable: c.readable && !bit.readable,
                matched: c.matched && !bit.matched,
                wildcard_match: c.wildcard_match && !bit.wildcard_match,
                brace_match: c.brace_match && !bit.brace_match,
            },
        };
    }
    d.include_check = Some(c);
}
