//! Why a check failed, and whether that counts against the real server.

use std::net::SocketAddr;
use std::time::Duration;

/// Why a check failed. The TCP variants keep what happened rather than its text: a checker that
/// is down fails every delay_loop without saying so, and formatting its reason each time would
/// be an allocation per check for nothing. The text is made when an event reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The real server failed the check: it counts (retries, then down).
    Server(String),
    /// The check could not be made on this machine. keepalived then logs "... fail to create
    /// socket. Rescheduling." and leaves the checker alone: the attempt does not count, and the
    /// check comes again after delay_loop. So does the engine.
    Local(String),
    /// A TCP connection to `target` failed with this OS error (refused, unreachable, reset).
    Connect { target: SocketAddr, errno: i32 },
    /// No TCP connection to `target` within `after` (connect_timeout).
    Timeout { target: SocketAddr, after: Duration },
    /// No socket, or no socket with the source options (bindto, bind_if, fwmark), for a check
    /// of `target`: out of file descriptors or memory, an address that is not there. Local.
    NoSocket { target: SocketAddr, errno: i32 },
}

impl Failure {
    /// The check could not be made here: nothing to hold against the real server.
    pub fn is_local(&self) -> bool {
        matches!(self, Failure::Local(_) | Failure::NoSocket { .. })
    }

    /// The same failure with `what` before its text ("GET /: " + "connect to ...: refused").
    pub fn context(self, what: impl std::fmt::Display) -> Failure {
        let text = format!("{what}: {self}");
        if self.is_local() {
            Failure::Local(text)
        } else {
            Failure::Server(text)
        }
    }

    /// A failed connect's error as a failure: its OS error kept when it has one.
    pub fn connect(target: SocketAddr, e: &std::io::Error) -> Failure {
        match e.raw_os_error() {
            Some(errno) => Failure::Connect { target, errno },
            None => Failure::Server(format!("connect to {target}: {e}")),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let os = |errno: i32| std::io::Error::from_raw_os_error(errno);
        match self {
            Failure::Server(s) | Failure::Local(s) => f.write_str(s),
            Failure::Connect { target, errno } => write!(f, "connect to {target}: {}", os(*errno)),
            Failure::Timeout { target, after } => {
                write!(f, "connect to {target}: timed out after {after:?}")
            }
            Failure::NoSocket { target, errno } => write!(f, "socket for {target}: {}", os(*errno)),
        }
    }
}

impl From<String> for Failure {
    fn from(s: String) -> Failure {
        Failure::Server(s)
    }
}

impl From<&str> for Failure {
    fn from(s: &str) -> Failure {
        Failure::Server(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_and_kinds() {
        let target: SocketAddr = "192.0.2.1:80".parse().unwrap();
        let refused = Failure::Connect {
            target,
            errno: nix::libc::ECONNREFUSED,
        };
        assert_eq!(
            refused.to_string(),
            "connect to 192.0.2.1:80: Connection refused (os error 111)"
        );
        assert!(!refused.is_local());
        let emfile = Failure::NoSocket {
            target,
            errno: nix::libc::EMFILE,
        };
        assert_eq!(
            emfile.to_string(),
            "socket for 192.0.2.1:80: Too many open files (os error 24)"
        );
        assert!(emfile.is_local());
        // Context keeps the kind.
        assert_eq!(
            emfile.context("GET /"),
            Failure::Local(
                "GET /: socket for 192.0.2.1:80: Too many open files (os error 24)".into()
            )
        );
        assert!(!refused.context("GET /").is_local());
        let late = Failure::Timeout {
            target,
            after: Duration::from_secs(3),
        };
        assert_eq!(
            late.to_string(),
            "connect to 192.0.2.1:80: timed out after 3s"
        );
    }
}
