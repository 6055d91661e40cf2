//! keepalived-rs: one process for VRRP, IPVS and health checks, configured by keepalived.conf.

mod allocator;
mod bfdd;
mod cli;
mod config_cmd;
mod control;
mod core_dump;
mod daemon;
mod diff;
#[cfg(test)]
mod docgen;
mod dump;
mod flags;
mod genhash;
mod host;
mod ipvs_cmd;
mod logging;
mod lvs;
mod lvsd;
mod metrics;
mod netns;
mod not_run;
mod notifier;
mod pidfile;
mod process;
mod process_scripts;
mod promote_secondaries;
mod realserver;
mod reload;
#[cfg(test)]
mod rss_scale;
mod script_user;
mod sd_notify;
mod signals;
mod snapshot;
mod snmp;
mod start_rule;
mod status_cmd;
mod syncd;
mod systemd;
mod version;
mod vrf;
mod vrrpd;

use clap::Parser;
use cli::{Cli, Command, ConfigCommand, IpvsCommand, RealserverCommand};
use config_cmd::Verdict;
use std::path::Path;
use std::process::ExitCode;

// The parser makes many small allocations (a word, a statement); mimalloc serves them markedly
// faster than glibc's allocator (docs/benchmarks.md).
// (The `system-alloc` feature leaves it out, for heap profilers that only see malloc.)
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // genhash's options reuse keepalived's letters (-s, -p, -S, -V, -t ...) with other meanings:
    // once -T is seen the rest of the command line is genhash's, so it never reaches clap.
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(args) = genhash::command_line(&argv) {
        return genhash::run(&args);
    }
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Config(ConfigCommand::Dump(a))) => {
            return config_cmd::config_dump(
                &a.file,
                a.config_id.as_deref(),
                a.strict,
                a.all_diagnostics,
            )
        }
        Some(Command::Config(ConfigCommand::Diff(a))) => return config_cmd::config_diff(&a),
        Some(Command::Config(ConfigCommand::Test(a))) => {
            return config_cmd::config_test(&config_cmd::TestArgs {
                file: &a.config.file,
                config_id: a.config.config_id.as_deref(),
                verdict: Verdict::from_flags(a.config.strict, a.lenient),
                all_config: false,
                log_file: None,
                all_diagnostics: a.config.all_diagnostics,
            })
        }
        Some(Command::Ipvs(IpvsCommand::Sync(a))) => return ipvs_cmd::sync(&a),
        Some(Command::Ipvs(IpvsCommand::List(a))) => return ipvs_cmd::list(&a),
        Some(Command::Status(a)) => return status_cmd::status(&a),
        Some(Command::Realserver(c)) => {
            use realserver::Action;
            return match c {
                RealserverCommand::Up(a) => {
                    realserver::run(Action::Up, &a.vips, a.dry_run, &a.state_file)
                }
                RealserverCommand::Down(a) => {
                    realserver::run(Action::Down, &a.vips, a.dry_run, &a.state_file)
                }
                RealserverCommand::Status(a) => realserver::run(
                    Action::Status,
                    &a.vips,
                    false,
                    std::path::Path::new(realserver::DEFAULT_STATE_FILE),
                ),
            };
        }
        None => {}
    }
    let k = cli.keepalived;
    // Before anything else: a refused flag or a bad value is one line and exit 1.
    let checked = match flags::refused(&k).map_or_else(|| flags::check(&k), Err) {
        Ok(c) => c,
        Err(line) => {
            eprintln!("keepalived-rs: {line}");
            return ExitCode::from(flags::EXIT_REFUSED);
        }
    };
    if k.version {
        eprint!("{}", version::text());
        return ExitCode::SUCCESS;
    }
    if let Some(func) = &k.signum {
        return match signals::signum(func) {
            Some(n) => {
                println!("{n}");
                ExitCode::SUCCESS
            }
            None => {
                println!("Unknown sigfunc {func}");
                ExitCode::from(1)
            }
        };
    }
    if let Some(log) = &k.config_test {
        let log = (!log.is_empty()).then(|| Path::new(log.as_str()));
        return config_cmd::config_test(&config_cmd::TestArgs {
            file: &k.use_file,
            config_id: k.config_id.as_deref(),
            verdict: Verdict::from_flags(k.strict, k.lenient),
            all_config: k.all_config,
            log_file: log,
            all_diagnostics: k.all_diagnostics,
        });
    }
    daemon::run(&k, &checked)
}
