//! `keepalived-rs ipvs sync` and `keepalived-rs ipvs list`.

use crate::cli::{IpvsListArgs, IpvsSyncArgs};
use crate::config_cmd::{exit_code, load, EXIT_CANNOT_RUN, EXIT_OK};

/// `ipvs sync`: the configuration has errors, or cannot be turned into IPVS services.
const EXIT_SYNC_ERRORS: u8 = 4;
use crate::lvs;
use ipvs::listing::{self, Columns, FileNames, Format, Listed, Names, NoNames};
use ipvs::{Client, Op, Options, Ownership, Protocol, ServiceKey};
use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Instant;

/// Opens the IPVS netlink client. Without IPVS in the kernel, asks for the module once as
/// keepalived does (`modprobe ip_vs`) and tries again: kernels since 5.16 load it themselves on
/// first use of its netlink family, older ones need the request.
pub fn open_client() -> Result<Client, ipvs::Error> {
    match Client::open() {
        Err(ipvs::Error::NoIpvs) => {
            let asked = std::process::Command::new("modprobe")
                .arg("ip_vs")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            match asked {
                Ok(st) if st.success() => Client::open(),
                _ => Err(ipvs::Error::NoIpvs),
            }
        }
        other => other,
    }
}

pub fn describe(op: &Op) -> String {
    match op {
        Op::AddService(s) => format!("add service {} ({})", s.key, s.scheduler),
        Op::EditService(s) => format!("edit service {} ({})", s.key, s.scheduler),
        Op::DelService(k) => format!("delete service {k}"),
        Op::AddDest(k, d) => format!(
            "add real server {} to {k} ({}, weight {})",
            d.key(),
            d.forward.ipvsadm_name(),
            d.weight
        ),
        Op::EditDest(k, d) => format!(
            "edit real server {} of {k} ({}, weight {})",
            d.key(),
            d.forward.ipvsadm_name(),
            d.weight
        ),
        Op::DelDest(k, d) => format!("delete real server {d} of {k}"),
        Op::Flush => "flush the IPVS table (lvs_flush)".to_string(),
    }
}

/// Program the configuration's virtual servers once, every real server healthy.
pub fn sync(a: &IpvsSyncArgs) -> ExitCode {
    let t0 = Instant::now();
    let parsed = load(&a.file, a.config_id.as_deref(), false, false);
    eprint!("{}", parsed.render_report(false));
    let code = exit_code(&parsed);
    if code != EXIT_OK {
        eprintln!("keepalived-rs: ipvs sync: the configuration has errors; nothing done");
        // ipvs sync's own codes (not -t's): 3 cannot run, 4 errors.
        return ExitCode::from(if code == EXIT_CANNOT_RUN {
            EXIT_CANNOT_RUN
        } else {
            EXIT_SYNC_ERRORS
        });
    }
    let config = &parsed.config;
    let lvs_plan = match lvs::plan(config, false) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("keepalived-rs: ipvs sync: {e}");
            return ExitCode::from(EXIT_SYNC_ERRORS);
        }
    };
    let desired = lvs::desired::all_healthy(&lvs_plan);
    let mut client = match open_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keepalived-rs: ipvs sync: {e}");
            return ExitCode::from(EXIT_CANNOT_RUN);
        }
    };
    let t_parse = t0.elapsed();
    let t1 = Instant::now();
    let actual = match client.state() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("keepalived-rs: ipvs sync: {e}");
            return ExitCode::from(1);
        }
    };
    let t_read = t1.elapsed();
    let t2 = Instant::now();
    let opts = Options {
        flush: config.global.global_defs.lvs_flush && !a.no_flush,
    };
    let plan = ipvs::plan(&desired, &actual, &Ownership::of(&desired), opts);
    let t_plan = t2.elapsed();
    let t3 = Instant::now();
    // One write for the whole report (stdout is line-buffered: 50,000 lines would be 50,000 writes).
    let mut report = String::new();
    for k in &plan.foreign {
        report.push_str(&format!("leaving foreign service {k} alone\n"));
    }
    for op in &plan.ops {
        report.push_str(if a.dry_run { "would " } else { "" });
        report.push_str(&describe(op));
        report.push('\n');
    }
    {
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(report.as_bytes());
    }
    if !a.dry_run {
        if let Err(e) = client.apply(&plan.ops) {
            eprintln!("keepalived-rs: ipvs sync: {e}");
            return ExitCode::from(1);
        }
        if let Some(t) = &lvs_plan.timeouts {
            if let Err(e) = client.set_timeouts(t) {
                eprintln!("keepalived-rs: ipvs sync: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if a.timings {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        let dests: usize = actual.iter().map(|s| s.dests.len()).sum();
        eprintln!(
            "timings: parse+translate {:.1} ms, read kernel {:.1} ms ({} services, {dests} destinations), plan {:.1} ms, print+apply {:.1} ms ({} requests), total {:.1} ms",
            ms(t_parse),
            ms(t_read),
            actual.len(),
            ms(t_plan),
            ms(t3.elapsed()),
            client.requests,
            ms(t0.elapsed())
        );
    }
    match plan.ops.len() {
        0 => println!(
            "ipvs sync: no change ({} services in place)",
            desired.services.len()
        ),
        n => println!(
            "ipvs sync: {n} operation{}{}",
            if n == 1 { "" } else { "s" },
            if a.dry_run { " (dry run)" } else { "" }
        ),
    }
    ExitCode::SUCCESS
}

/// ipvsadm's `-t/-u/--sctp-service ADDR[:PORT]` (numeric only).
fn parse_addr_port(s: &str) -> Option<(IpAddr, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (a, p) = rest.split_once(']')?;
        let port = match p.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None if p.is_empty() => 0,
            None => return None,
        };
        return Some((a.parse().ok()?, port));
    }
    match s.rsplit_once(':') {
        Some((a, p)) => Some((a.parse().ok()?, p.parse().ok()?)),
        None => Some((s.parse().ok()?, 0)),
    }
}

fn selected(a: &IpvsListArgs) -> Result<Option<ServiceKey>, String> {
    let addr = |s: &str, protocol| {
        parse_addr_port(s)
            .map(|(addr, port)| ServiceKey::Addr {
                protocol,
                addr,
                port,
            })
            .ok_or_else(|| format!("illegal virtual server address[:port] specified: {s}"))
    };
    Ok(
        match (
            &a.tcp_service,
            &a.udp_service,
            &a.sctp_service,
            &a.fwmark_service,
        ) {
            (Some(s), None, None, None) => Some(addr(s, Protocol::Tcp)?),
            (None, Some(s), None, None) => Some(addr(s, Protocol::Udp)?),
            (None, None, Some(s), None) => Some(addr(s, Protocol::Sctp)?),
            (None, None, None, Some(m)) => {
                let mark = m
                    .parse::<u32>()
                    .map_err(|_| format!("invalid fwmark value `{m}' specified"))?;
                let family = if a.ipv6 {
                    ipvs::Family::Inet6
                } else {
                    ipvs::Family::Inet
                };
                Some(ServiceKey::Fwmark { family, mark })
            }
            (None, None, None, None) => None,
            _ => return Err("give at most one service".into()),
        },
    )
}

/// `ipvs list`: ipvsadm -L's output.
pub fn list(a: &IpvsListArgs) -> ExitCode {
    let columns = if a.stats {
        Columns::Stats
    } else if a.rate {
        Columns::Rate
    } else if a.thresholds {
        Columns::Thresholds
    } else if a.persistent_conn {
        Columns::PersistentConn
    } else if a.tun_info {
        Columns::TunInfo
    } else {
        Columns::Default
    };
    let f = Format {
        columns,
        numeric: a.numeric,
        exact: a.exact,
        nosort: a.nosort,
    };
    let file_names;
    let names: &dyn Names = if a.numeric {
        &NoNames
    } else {
        file_names = FileNames::load();
        &file_names
    };
    let key = match selected(a) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if a.connection {
        return match std::fs::read_to_string("/proc/net/ip_vs_conn") {
            Ok(text) => {
                print!("{}", listing::connections(&text, &f, names));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("keepalived-rs: ipvs list -c: /proc/net/ip_vs_conn: {e}");
                ExitCode::from(1)
            }
        };
    }
    let mut client = match open_client() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("keepalived-rs: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match render(&mut client, a, key, &f, names) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    print!("{text}");
    ExitCode::SUCCESS
}

fn render(
    client: &mut Client,
    a: &IpvsListArgs,
    key: Option<ServiceKey>,
    f: &Format,
    names: &dyn Names,
) -> Result<String, String> {
    if a.timeout {
        return client
            .timeouts()
            .map(|t| listing::timeouts(&t))
            .map_err(|e| e.to_string());
    }
    if a.daemon {
        return client
            .daemons()
            .map(|d| listing::daemons(&d))
            .map_err(|e| e.to_string());
    }
    if let Some(key) = key {
        let service = client.service(&key).map_err(|e| match e.errno() {
            Some(3) | Some(2) => "No such service".to_string(),
            _ => e.to_string(),
        })?;
        let dests = client.dests(&key).map_err(|e| e.to_string())?;
        return Ok(listing::list_one(&Listed { service, dests }, f, names));
    }
    let info = client.info().map_err(|e| e.to_string())?;
    let mut all = Vec::new();
    for service in client.services().map_err(|e| e.to_string())? {
        let dests = client
            .dests(&service.service.key)
            .map_err(|e| e.to_string())?;
        all.push(Listed { service, dests });
    }
    Ok(listing::list_all(&info, &all, f, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_addresses() {
        assert_eq!(
            parse_addr_port("10.0.0.1:80"),
            Some(("10.0.0.1".parse().unwrap(), 80))
        );
        assert_eq!(
            parse_addr_port("10.0.0.1"),
            Some(("10.0.0.1".parse().unwrap(), 0))
        );
        assert_eq!(
            parse_addr_port("[2001:db8::1]:53"),
            Some(("2001:db8::1".parse().unwrap(), 53))
        );
        assert_eq!(
            parse_addr_port("[2001:db8::1]"),
            Some(("2001:db8::1".parse().unwrap(), 0))
        );
        assert_eq!(parse_addr_port("nonsense:80"), None);
        assert_eq!(parse_addr_port("10.0.0.1:99999"), None);
    }
}
