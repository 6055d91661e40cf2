//! Command line: keepalived's own options (so existing unit files and scripts keep working), plus
//! subcommands for what keepalived lacks. Every option of keepalived(8) parses; the few that
//! keepalived-rs does not do are refused before anything is done (`flags`), each with what to
//! do instead (docs/compat.md's flag table).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

#[derive(Debug, Parser)]
#[command(
    name = "keepalived-rs",
    about = "A drop-in replacement for keepalived: VRRP and IPVS from your existing keepalived.conf",
    disable_version_flag = true,
    args_conflicts_with_subcommands = true,
    // getopt_long as keepalived uses it: an option given twice takes its last value (a unit's
    // -f and one in DAEMON_ARGS must not be an error).
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub keepalived: KeepalivedArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with a configuration file without running the daemon.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Program and inspect the kernel's IPVS tables.
    #[command(subcommand)]
    Ipvs(IpvsCommand),
    /// The running daemon's state: VRRP instances, sync groups, virtual and real servers,
    /// checkers, the IPVS reconciler, the last reload (exit 3 when no daemon runs).
    Status(StatusArgs),
    /// On an LVS-DR real server: hold the VIPs on lo without answering ARP for them.
    #[command(subcommand)]
    Realserver(RealserverCommand),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print the daemon's status document as JSON (docs/status.md).
    #[arg(long)]
    pub json: bool,
    /// The daemon's control socket (default: beside its main pid file,
    /// /run/keepalived-rs.sock).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// The daemon runs in network namespace NAME (its socket is in /run/keepalived/NAME/).
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RealserverCommand {
    /// Put the VIPs on lo (IPv4 /32, IPv6 /128 nodad) and, with an IPv4 VIP, set arp_ignore=1
    /// and arp_announce=2 for all, default and lo (their earlier values recorded). Only what is
    /// missing is changed.
    Up(RealserverChangeArgs),
    /// Take the VIPs off lo; with the last IPv4 VIP gone, put the recorded ARP settings back.
    Down(RealserverChangeArgs),
    /// Check that the VIPs are on lo and the ARP settings right; exit 1 naming what is missing.
    Status(RealserverStatusArgs),
}

#[derive(Debug, Args)]
pub struct RealserverChangeArgs {
    /// The virtual addresses (IPv4 or IPv6; `/32` or `/128` may be written).
    #[arg(required = true, value_name = "VIP", value_parser = crate::realserver::parse_vip)]
    pub vips: Vec<std::net::IpAddr>,
    /// Print what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the ARP settings' earlier values are recorded.
    #[arg(long, value_name = "FILE", default_value = crate::realserver::DEFAULT_STATE_FILE)]
    pub state_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct RealserverStatusArgs {
    /// The virtual addresses (IPv4 or IPv6).
    #[arg(required = true, value_name = "VIP", value_parser = crate::realserver::parse_vip)]
    pub vips: Vec<std::net::IpAddr>,
}

#[derive(Debug, Subcommand)]
pub enum IpvsCommand {
    /// Program the configuration's virtual servers once (every real server healthy) and exit.
    /// Only the differences from what the kernel holds are applied; other services are left alone.
    Sync(IpvsSyncArgs),
    /// List the IPVS table exactly as `ipvsadm -L` does, with its options.
    List(IpvsListArgs),
}

#[derive(Debug, Args)]
pub struct IpvsSyncArgs {
    /// Configuration file.
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub file: PathBuf,
    /// Config id for `@ID` lines (default: the short host name).
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Print what would be done, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Ignore global_defs' lvs_flush (do not flush foreign services).
    #[arg(long)]
    pub no_flush: bool,
    /// Print how long each step took (parse, read the kernel, plan, apply) on stderr.
    #[arg(long)]
    pub timings: bool,
}

/// ipvsadm -L's options.
#[derive(Debug, Args)]
pub struct IpvsListArgs {
    /// Numeric addresses and ports.
    #[arg(short = 'n', long = "numeric")]
    pub numeric: bool,
    /// Connection entries (/proc/net/ip_vs_conn).
    #[arg(short = 'c', long = "connection")]
    pub connection: bool,
    /// Statistics.
    #[arg(long)]
    pub stats: bool,
    /// Rates.
    #[arg(long)]
    pub rate: bool,
    /// Exact numbers (no K/M/G/T).
    #[arg(short = 'X', long)]
    pub exact: bool,
    /// Connection thresholds.
    #[arg(long)]
    pub thresholds: bool,
    /// Persistent connections.
    #[arg(long = "persistent-conn")]
    pub persistent_conn: bool,
    /// Tunnel information.
    #[arg(long = "tun-info")]
    pub tun_info: bool,
    /// Connection timeouts.
    #[arg(long)]
    pub timeout: bool,
    /// Sync daemons.
    #[arg(long)]
    pub daemon: bool,
    /// Kernel order instead of sorted.
    #[arg(long)]
    pub nosort: bool,
    /// Sorted (the default).
    #[arg(long)]
    pub sort: bool,
    /// Only this TCP service (ADDR[:PORT]).
    #[arg(short = 't', long = "tcp-service", value_name = "SERVICE")]
    pub tcp_service: Option<String>,
    /// Only this UDP service.
    #[arg(short = 'u', long = "udp-service", value_name = "SERVICE")]
    pub udp_service: Option<String>,
    /// Only this SCTP service.
    #[arg(long = "sctp-service", value_name = "SERVICE")]
    pub sctp_service: Option<String>,
    /// Only this firewall-mark service.
    #[arg(short = 'f', long = "fwmark-service", value_name = "MARK")]
    pub fwmark_service: Option<String>,
    /// The firewall-mark service is IPv6.
    #[arg(short = '6', long = "ipv6")]
    pub ipv6: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the resolved configuration model as JSON (keys are keepalived's canonical keywords).
    Dump(ConfigArgs),
    /// Check the configuration, like `keepalived-rs -t`.
    Test(ConfigTestArgs),
    /// What a reload from OLD to NEW would change, in the words the daemon logs: exit 0 when
    /// nothing, 1 when something, 4 when NEW has errors (3: it cannot be run, or OLD cannot).
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The configuration running now.
    pub old: PathBuf,
    /// The configuration a reload would read.
    pub new: PathBuf,
    /// Config id for `@ID` lines (default: the short host name), for both files.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Print the difference as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigTestArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Fail on errors only, not on the warnings keepalived's own -t fails on too (unknown
    /// keywords, missing interfaces, scripts without script security, ...).
    #[arg(long, conflicts_with = "strict")]
    pub lenient: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Configuration file.
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub file: PathBuf,
    /// Config id for `@ID` lines (default: the short host name).
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Treat warnings (unknown keywords, legacy spellings) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Show every diagnostic in full (a repeated warning is otherwise shown once, with its count).
    #[arg(long)]
    pub all_diagnostics: bool,
}

/// keepalived's options, with its short letters and long names.
#[derive(Debug, Args)]
pub struct KeepalivedArgs {
    /// Use the specified configuration file.
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub use_file: PathBuf,
    /// Check the configuration and exit with keepalived's verdict: 0 clean, 5 errors, 6 scripts
    /// without enable_script_security, 3 cannot run. Diagnostics go to stderr, or to LOG_FILE
    /// when given (`-t=LOG_FILE`).
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub config_test: Option<String>,
    /// Skip configuration lines beginning '@' that don't match id, or '@^' lines that do.
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,
    /// Treat every warning as an error; the daemon does not start on any finding (keepalived-rs
    /// only).
    #[arg(long, conflicts_with = "lenient")]
    pub strict: bool,
    /// In a configuration test, fail on errors only, not on the warnings keepalived's own test
    /// fails on too (unknown keywords, missing interfaces, scripts without script security, ...)
    /// (keepalived-rs only; the daemon starts where keepalived 2.2.7's daemon starts).
    #[arg(long, requires = "config_test")]
    pub lenient: bool,
    /// Show every diagnostic in full; a repeated warning is otherwise shown once, with its count
    /// and next locations (keepalived-rs only).
    #[arg(long)]
    pub all_diagnostics: bool,
    /// Display the version number (keepalived's first line, then ours; on stderr, as keepalived).
    #[arg(short = 'v', long = "version")]
    pub version: bool,
    /// Print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON.
    #[arg(long = "signum", value_name = "SIGFUNC")]
    pub signum: Option<String>,

    /// Only run with VRRP subsystem.
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,
    /// Only run with Health-checker subsystem.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Don't run BFD subsystem.
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,
    /// Force all subsystems to run, even if they have no configuration.
    #[arg(long = "all")]
    pub all: bool,
    /// Log messages to local console.
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,
    /// Detailed log messages.
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,
    /// Set syslog facility to LOG_LOCAL[0-7], user or daemon (default).
    #[arg(short = 'S', long = "log-facility", value_name = "FACILITY")]
    pub log_facility: Option<String>,
    /// Also log to FILE (the VRRP side's lines to FILE with _vrrp, the checkers' with
    /// _healthcheckers inserted before the last '.').
    #[arg(short = 'g', long = "log-file", value_name = "FILE", num_args = 0..=1, require_equals = true, default_missing_value = "/tmp/keepalived.log")]
    pub log_file: Option<PathBuf>,
    /// Flush the log file after each write (keepalived-rs always writes each line at once).
    #[arg(long = "flush-log-file")]
    pub flush_log_file: bool,
    /// The syslog ident: keepalived's (Keepalived, Keepalived_vrrp, Keepalived_healthcheckers),
    /// or keepalived-rs for every line (keepalived-rs only).
    #[arg(long = "syslog-ident", value_name = "IDENT", value_parser = ["keepalived", "keepalived-rs"], default_value = "keepalived")]
    pub syslog_ident: String,
    /// Don't log via syslog.
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,
    /// umask for file creation (in numeric form).
    #[arg(short = 'u', long = "umask", value_name = "MASK")]
    pub umask: Option<String>,
    /// Drop VIP on transition from signal.
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,
    /// Don't remove VRRP VIPs and VROUTEs on daemon stop.
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,
    /// Don't remove IPVS topology on daemon stop.
    #[arg(short = 'I', long = "dont-release-ipvs")]
    pub dont_release_ipvs: bool,
    /// Don't respawn child processes (keepalived-rs is one process; accepted for compatibility).
    #[arg(short = 'R', long = "dont-respawn")]
    pub dont_respawn: bool,
    /// Don't fork the daemon process.
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,
    /// Dump the configuration data.
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,
    /// Use specified pidfile for the main process.
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid: Option<PathBuf>,
    /// Use specified pidfile for the VRRP part.
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid: Option<PathBuf>,
    /// Use specified pidfile for the checkers part.
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid: Option<PathBuf>,
    /// Use specified pidfile for the BFD part.
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid: Option<PathBuf>,
    /// Enter genhash mode: print the MD5 digest of a web page as HTTP_GET/SSL_GET compute it.
    /// Everything after -T is genhash's own options, not keepalived's (-T -h lists them);
    /// options before it are ignored. Handled before the rest of this command line is read, so
    /// this flag is never seen set here.
    #[arg(short = 'T', long = "genhash")]
    pub genhash: bool,
    /// Report all address additions/deletions notified via netlink.
    #[arg(short = 'a', long = "address-monitoring")]
    pub address_monitoring: bool,
    /// Enable SNMP subsystem (refused: it turns on every MIB; write enable_snmp_rfcv2 for VRRP-MIB).
    #[arg(short = 'x', long = "snmp")]
    pub snmp: bool,
    /// Use the specified socket for master agent (VRRP-MIB's, with enable_snmp_rfcv2).
    #[arg(short = 'A', long = "snmp-agent-socket", value_name = "FILE")]
    pub snmp_agent_socket: Option<PathBuf>,
    /// Run in network namespace NAME (overrides config).
    #[arg(short = 's', long = "namespace", value_name = "NAME")]
    pub namespace: Option<String>,
    /// Produce core dump if terminate abnormally.
    #[arg(short = 'm', long = "core-dump")]
    pub core_dump: bool,
    /// Also set /proc/sys/kernel/core_pattern to PATN (default 'core').
    #[arg(short = 'M', long = "core-dump-pattern", value_name = "PATN", num_args = 0..=1, require_equals = true, default_missing_value = "core")]
    pub core_dump_pattern: Option<String>,
    /// Error if any configuration file is missing.
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,
    /// Collect performance data (keepalived debug builds; refused).
    #[arg(long = "perf", value_name = "WHEN", num_args = 0..=1, require_equals = true, default_missing_value = "run")]
    pub perf: Option<String>,
    /// Debug options (keepalived debug builds; refused).
    #[arg(long = "debug", value_name = "OPTS", num_args = 0..=1, require_equals = true, default_missing_value = "")]
    pub debug: Option<String>,
    /// Disable memory checks (keepalived debug builds; refused).
    #[arg(long = "no-mem-check")]
    pub no_mem_check: bool,
    /// Ignore SIGINT (keepalived-rs only: Debian's keepalived 2.2.7 rejects it).
    #[arg(long = "ignore-sigint")]
    pub ignore_sigint: bool,
    /// The control socket `keepalived-rs status` reads (keepalived-rs only; default: beside
    /// the main pid file, /run/keepalived-rs.sock).
    #[arg(long = "control-socket", value_name = "PATH")]
    pub control_socket: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR:PORT/metrics ([ADDR]:PORT for IPv6;
    /// keepalived-rs only; global_defs' metrics_listen says the same, this wins).
    #[arg(long = "metrics-listen", value_name = "ADDR:PORT", value_parser = metrics_address)]
    pub metrics_listen: Option<std::net::SocketAddr>,
}

/// `--metrics-listen`'s value: an address and a port other than 0.
fn metrics_address(s: &str) -> Result<std::net::SocketAddr, String> {
    match s.parse::<std::net::SocketAddr>() {
        Ok(a) if a.port() != 0 => Ok(a),
        Ok(_) => Err("the port must not be 0".into()),
        Err(_) => Err("expected ADDR:PORT, e.g. 192.0.2.1:9650 or [2001:db8::1]:9650".into()),
    }
}
