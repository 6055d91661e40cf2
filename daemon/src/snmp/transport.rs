//! Where the AgentX master listens: keepalived's `snmp_socket` (or `-A`), in net-snmp's
//! agentXSocket words, parsed; and the connection to it.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

/// net-snmp's default agentXSocket, keepalived's when neither `snmp_socket` nor `-A` says.
pub const DEFAULT_SOCKET: &str = "/var/agentx/master";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Unix(PathBuf),
    /// `host:port`, resolved at each connection.
    Tcp(String),
}

impl fmt::Display for Target {
    /// As net-snmp names it in its log lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(p) => write!(f, "unix:{}", p.display()),
            Target::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// `unix:PATH` or a path from `/`, `tcp:HOST:PORT` or `HOST:PORT` (an IPv6 host in
/// brackets). Err names what is wrong.
pub fn parse(spec: &str) -> Result<Target, String> {
    let tcp = |a: &str| -> Result<Target, String> {
        match a.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                Ok(Target::Tcp(a.to_string()))
            }
            _ => Err(format!(
                "snmp_socket {spec}: a TCP master is written tcp:HOST:PORT"
            )),
        }
    };
    if let Some(path) = spec.strip_prefix("unix:") {
        if path.is_empty() {
            return Err(format!("snmp_socket {spec}: no path"));
        }
        return Ok(Target::Unix(path.into()));
    }
    if let Some(addr) = spec.strip_prefix("tcp:") {
        return tcp(addr);
    }
    if spec.starts_with('/') {
        return Ok(Target::Unix(spec.into()));
    }
    if let Some((transport, _)) = spec.split_once(':') {
        if transport.chars().all(|c| c.is_ascii_alphanumeric()) && spec.matches(':').count() > 1 {
            return Err(format!(
                "snmp_socket {spec}: the {transport} transport is not supported: use \
                 unix:PATH or tcp:HOST:PORT"
            ));
        }
    }
    tcp(spec)
}

/// A connection to the master.
pub trait Connection: Read + Write + Send {}
impl<T: Read + Write + Send> Connection for T {}

/// How long a write to the master may take before the session is given up: keepalived gives
/// net-snmp's requests a third of a second; a master that long stuck is dropped.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

pub fn connect(target: &Target) -> io::Result<Box<dyn Connection>> {
    Ok(match target {
        Target::Unix(path) => {
            let s = UnixStream::connect(path)?;
            s.set_write_timeout(Some(WRITE_TIMEOUT))?;
            Box::new(s)
        }
        Target::Tcp(addr) => {
            let s = TcpStream::connect(addr.as_str())?;
            s.set_write_timeout(Some(WRITE_TIMEOUT))?;
            s.set_nodelay(true)?;
            Box::new(s)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_snmp_s_socket_forms_parse() {
        assert_eq!(
            parse("unix:/run/agentx"),
            Ok(Target::Unix("/run/agentx".into()))
        );
        assert_eq!(
            parse("/var/agentx/master"),
            Ok(Target::Unix("/var/agentx/master".into()))
        );
        assert_eq!(
            parse("tcp:127.0.0.1:705"),
            Ok(Target::Tcp("127.0.0.1:705".into()))
        );
        assert_eq!(
            parse("localhost:705"),
            Ok(Target::Tcp("localhost:705".into()))
        );
        assert_eq!(parse("tcp:[::1]:705"), Ok(Target::Tcp("[::1]:705".into())));
        assert!(parse("udp:127.0.0.1:705")
            .unwrap_err()
            .contains("udp transport"));
        assert!(parse("tcp:127.0.0.1").is_err());
        assert!(parse("unix:").is_err());
        assert_eq!(
            Target::Unix("/x".into()).to_string(),
            "unix:/x",
            "net-snmp's name in the log lines"
        );
    }
}
