//! Network namespaces: `-s NAME` / `net_namespace NAME` (the daemon runs in NAME) and
//! `net_namespace_ipvs NAME` (IPVS is programmed in NAME, the health checks run where the
//! daemon runs).
//!
//! A namespace is named as `ip netns` names them: the file /run/netns/NAME. Entering one changes
//! the calling thread only; threads started afterwards inherit it, and a socket stays in the
//! namespace it was opened in. So the daemon enters its namespace on the main thread before it
//! starts any other thread or opens any socket.

use std::io;
use std::path::PathBuf;

use nix::sched::{setns, CloneFlags};

/// Where `ip netns` keeps named namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// The default namespace (`net_namespace_ipvs` written without a name): init's.
const DEFAULT_NAMESPACE: &str = "/proc/1/ns/net";

/// The file naming namespace `name` ("" is the default namespace); a name that is not a plain
/// file name is an error.
pub fn path(name: &str) -> io::Result<PathBuf> {
    if name.is_empty() {
        return Ok(PathBuf::from(DEFAULT_NAMESPACE));
    }
    if name.contains('/') || name == "." || name == ".." {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("'{name}' is not a network namespace name"),
        ));
    }
    Ok(PathBuf::from(NETNS_DIR).join(name))
}

/// Checks that namespace `name` exists and can be opened (before detaching, so the error
/// reaches the terminal).
pub fn check(name: &str) -> io::Result<()> {
    open(name).map(drop)
}

fn open(name: &str) -> io::Result<std::fs::File> {
    let p = path(name)?;
    std::fs::File::open(&p).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "network namespace {name}: cannot open {}: {e} (create it with `ip netns add {name}`)",
                p.display()
            ),
        )
    })
}

/// Moves the calling thread into namespace `name`.
pub fn enter(name: &str) -> io::Result<()> {
    let f = open(name)?;
    setns(&f, CloneFlags::CLONE_NEWNET).map_err(|e| {
        io::Error::new(
            io::Error::from(e).kind(),
            format!("cannot enter network namespace {name}: {e}"),
        )
    })
}

/// Runs `f` on a thread of its own that has entered namespace `name` (or the daemon's own,
/// for None), and returns its result: sockets `f` opens live in that namespace.
pub fn run_in<T: Send + 'static>(
    name: Option<&str>,
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    let Some(name) = name else {
        return Ok(f());
    };
    let name = name.to_string();
    std::thread::Builder::new()
        .name("netns".into())
        .spawn(move || enter(&name).map(|()| f()))?
        .join()
        .map_err(|_| io::Error::other("the namespace thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain_file_names() {
        assert_eq!(path("blue").unwrap(), PathBuf::from("/run/netns/blue"));
        assert_eq!(path("").unwrap(), PathBuf::from("/proc/1/ns/net"));
        for bad in [".", "..", "a/b", "../etc"] {
            assert!(path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_namespace_says_how_to_make_it() {
        let e = check("krs-no-such-namespace").unwrap_err();
        assert!(e.to_string().contains("ip netns add"), "{e}");
        assert!(enter("krs-no-such-namespace").is_err());
    }
}
