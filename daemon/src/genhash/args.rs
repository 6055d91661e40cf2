//! genhash's command line: its own options (`-s` is the server here, not keepalived's
//! namespace), read as genhash reads them (getopt: a value may start with `-`, a repeated
//! option replaces the earlier one), refused with genhash's messages and exit code 1.

use checkers::http::HttpProtocol;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser};
use std::ffi::OsString;
use std::net::IpAddr;
use std::time::Duration;

/// genhash's options.
#[derive(Debug, Parser)]
#[command(
    name = "genhash",
    about = "Print the MD5 digest of a web page as HTTP_GET and SSL_GET compute it (keepalived's genhash)",
    disable_help_flag = true,
    disable_version_flag = true,
    args_override_self = true
)]
pub struct GenhashArgs {
    /// Use SSL (TLS) to connect to the server.
    #[arg(short = 'S', long = "use-ssl")]
    pub use_ssl: bool,
    /// Send the virtualhost (-V) as the server name (SNI) in the TLS handshake.
    #[arg(short = 'I', long = "use-sni")]
    pub use_sni: bool,
    /// The server's IP address.
    #[arg(
        short = 's',
        long = "server",
        value_name = "ADDRESS",
        allow_hyphen_values = true
    )]
    pub server: Option<String>,
    /// The server's port.
    #[arg(
        short = 'p',
        long = "port",
        value_name = "PORT",
        allow_hyphen_values = true
    )]
    pub port: Option<String>,
    /// The path to fetch (sent as written).
    #[arg(
        short = 'u',
        long = "url",
        value_name = "URL",
        allow_hyphen_values = true
    )]
    pub url: Option<String>,
    /// The Host: header to send (default ADDRESS:PORT).
    #[arg(
        short = 'V',
        long = "use-virtualhost",
        value_name = "HOST",
        allow_hyphen_values = true
    )]
    pub virtualhost: Option<String>,
    /// Show the header and body read, in hex and text, and the time taken.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Print this help and exit (with 1, as genhash does).
    #[arg(short = 'h', long = "help")]
    pub help: bool,
    /// Set this firewall mark (SO_MARK) on the connection.
    #[arg(
        short = 'm',
        long = "fwmark",
        value_name = "MARK",
        allow_hyphen_values = true
    )]
    pub fwmark: Option<String>,
    /// HTTP version: 1.0, 1.0c (1.0 with "Connection: close") or 1.1 (default 1.0).
    #[arg(
        short = 'P',
        long = "protocol",
        value_name = "VERSION",
        allow_hyphen_values = true
    )]
    pub protocol: Option<String>,
    /// Give up connecting or reading after this many seconds (default: wait as long as the
    /// server keeps the connection).
    #[arg(
        short = 't',
        long = "timeout",
        value_name = "SECONDS",
        allow_hyphen_values = true
    )]
    pub timeout: Option<String>,
}

/// What to fetch and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub server: IpAddr,
    pub port: u16,
    pub url: String,
    pub ssl: bool,
    pub sni: bool,
    pub virtualhost: Option<String>,
    pub verbose: bool,
    pub fwmark: Option<u32>,
    pub protocol: HttpProtocol,
    pub timeout: Option<Duration>,
}

/// A command line genhash refuses: the reason (none for a plain usage request), then the usage.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub Option<String>);

pub const USAGE: &str = "\
Usage: keepalived-rs --genhash [OPTIONS] -s ADDRESS -p PORT -u URL
       genhash [OPTIONS] -s ADDRESS -p PORT -u URL
Prints the MD5 digest of the page at URL, as HTTP_GET and SSL_GET compare it with `digest`.

Options (long or short):
   --use-ssl         -S       Connect with SSL (TLS).
   --use-sni         -I       Send the virtualhost (-V) as the TLS server name (SNI).
   --server          -s       The server's IP address.
   --port            -p       The server's port.
   --url             -u       The path to fetch.
   --use-virtualhost -V       The Host: header to send (default ADDRESS:PORT).
   --verbose         -v       Show the header and body read, and the time taken.
   --help            -h       Print this help.
   --fwmark          -m       Set this firewall mark on the connection.
   --protocol        -P       HTTP version: 1.0, 1.0c (1.0 with 'Connection: close'), 1.1.
   --timeout         -t       Give up connecting or reading after this many seconds.
";

/// Reads genhash's command line (without the program name).
pub fn parse(args: &[OsString]) -> Result<Request, Refused> {
    let argv = std::iter::once(OsString::from("genhash")).chain(args.iter().cloned());
    let a = GenhashArgs::try_parse_from(argv).map_err(|e| Refused(Some(clap_message(&e))))?;
    if a.help {
        return Err(Refused(None));
    }
    let (Some(server), Some(port), Some(url)) = (a.server, a.port, a.url) else {
        return Err(Refused(None));
    };
    let refuse = |m: String| Refused(Some(m));
    let server: IpAddr = server
        .parse()
        .map_err(|_| refuse(format!("server should be an IP, not {server}")))?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| refuse(format!("invalid port number '{port}'")))?;
    let protocol = match a.protocol.as_deref() {
        None | Some("1.0") => HttpProtocol::Http10,
        Some("1.0c" | "1.0C") => HttpProtocol::Http10C,
        Some("1.1") => HttpProtocol::Http11,
        Some(v) => return Err(refuse(format!("invalid HTTP protocol version '{v}'"))),
    };
    let timeout = a
        .timeout
        .map(|t| {
            t.parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| refuse(format!("invalid timeout '{t}'")))
        })
        .transpose()?;
    let fwmark = a
        .fwmark
        .map(|m| {
            m.parse::<u32>()
                .map_err(|_| refuse(format!("invalid fwmark '{m}'")))
        })
        .transpose()?;
    Ok(Request {
        server,
        port,
        url,
        ssl: a.use_ssl,
        sni: a.use_sni,
        virtualhost: a.virtualhost,
        verbose: a.verbose,
        fwmark,
        protocol,
        timeout,
    })
}

/// genhash's wording for what clap found wrong.
fn clap_message(e: &clap::Error) -> String {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::UnknownArgument if arg.starts_with('-') => format!("Unknown option {arg}"),
        ErrorKind::UnknownArgument => format!("Unexpected argument(s): {arg}"),
        ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            // clap names the option by its long name, with its value (`--fwmark <MARK>`);
            // genhash by its letter.
            let long = arg.split_whitespace().next().unwrap_or_default();
            let letter = GenhashArgs::command()
                .get_arguments()
                .find(|a| {
                    a.get_long()
                        .is_some_and(|l| long.strip_prefix("--") == Some(l))
                })
                .and_then(|a| a.get_short());
            match letter {
                Some(c) => format!("Missing parameter for option -{c}"),
                None => format!("Missing parameter for option {long}"),
            }
        }
        _ => e.kind().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(args: &[&str]) -> Result<Request, Refused> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    fn refused(args: &[&str]) -> Option<String> {
        parse_str(args).expect_err("refused").0
    }

    #[test]
    fn genhash_s_options_and_defaults() {
        let r = parse_str(&["-s", "127.0.0.1", "-p", "80", "-u", "/x"]).unwrap();
        assert_eq!(r.server, IpAddr::from([127, 0, 0, 1]));
        assert_eq!((r.port, r.url.as_str()), (80, "/x"));
        assert_eq!(r.protocol, HttpProtocol::Http10);
        assert!(!r.ssl && !r.sni && !r.verbose);
        assert_eq!((r.timeout, r.fwmark, r.virtualhost), (None, None, None));
        let r = parse_str(&[
            "-Sv",
            "-I",
            "--server=::1",
            "--port",
            "443",
            "-u/y",
            "-V",
            "h.example",
            "-P",
            "1.0C",
            "-t",
            "3",
            "-m",
            "7",
        ])
        .unwrap();
        assert!(r.ssl && r.sni && r.verbose);
        assert_eq!(r.server, "::1".parse::<IpAddr>().unwrap());
        assert_eq!((r.port, r.url.as_str()), (443, "/y"));
        assert_eq!(r.virtualhost.as_deref(), Some("h.example"));
        assert_eq!(r.protocol, HttpProtocol::Http10C);
        assert_eq!(
            (r.timeout, r.fwmark),
            (Some(Duration::from_secs(3)), Some(7))
        );
        // getopt: the last of a repeated option wins.
        let r = parse_str(&["-s", "10.0.0.1", "-s", "10.0.0.2", "-p", "80", "-u", "/"]).unwrap();
        assert_eq!(r.server, IpAddr::from([10, 0, 0, 2]));
    }

    #[test]
    fn refusals_say_what_genhash_says() {
        let base = ["-s", "127.0.0.1", "-p", "80", "-u", "/"];
        let with = |extra: &[&str]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            refused(&v)
        };
        assert_eq!(refused(&["-s", "127.0.0.1", "-p", "80"]), None);
        assert_eq!(refused(&["-h"]), None);
        assert_eq!(refused(&[]), None);
        assert_eq!(
            refused(&["-s", "localhost", "-p", "80", "-u", "/"]).as_deref(),
            Some("server should be an IP, not localhost")
        );
        for p in ["abc", "0", "70000", "-1"] {
            assert_eq!(
                refused(&["-s", "127.0.0.1", "-p", p, "-u", "/"]),
                Some(format!("invalid port number '{p}'"))
            );
        }
        assert_eq!(
            with(&["-P", "2.0"]).as_deref(),
            Some("invalid HTTP protocol version '2.0'")
        );
        assert_eq!(
            with(&["-t", "1.5"]).as_deref(),
            Some("invalid timeout '1.5'")
        );
        assert_eq!(with(&["-t", "-1"]).as_deref(), Some("invalid timeout '-1'"));
        assert_eq!(
            with(&["-m", "abc"]).as_deref(),
            Some("invalid fwmark 'abc'")
        );
        assert_eq!(with(&["-x"]).as_deref(), Some("Unknown option -x"));
        assert_eq!(
            with(&["--bogus"]).as_deref(),
            Some("Unknown option --bogus")
        );
        assert_eq!(
            with(&["extra"]).as_deref(),
            Some("Unexpected argument(s): extra")
        );
        assert_eq!(
            with(&["-m"]).as_deref(),
            Some("Missing parameter for option -m")
        );
    }
}
