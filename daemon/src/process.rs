//! The process around the daemon: the open-file limit, and detaching from the terminal without
//! `fork` (see docs/compat.md). Logging is in `logging`.

use std::io;

/// Set in the environment of the detached copy of ourselves.
pub const DETACHED_ENV: &str = "KEEPALIVED_RS_DETACHED";

/// Raises the open-file limit so that `wanted` descriptors fit (each health check holds a socket
/// while it runs: thousands of checkers can connect at once): the soft limit to at least `wanted`
/// plus room for the rest, the hard limit too when we may (root), within fs.nr_open. keepalived
/// raises its limit likewise. Returns the soft limit now in force.
pub fn raise_nofile_limit(wanted: u64) -> io::Result<u64> {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).map_err(io::Error::from)?;
    let need = wanted.saturating_add(1024);
    if soft >= need {
        return Ok(soft);
    }
    let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(hard);
    let target = need.min(nr_open).max(soft);
    if target > hard && setrlimit(Resource::RLIMIT_NOFILE, target, target).is_ok() {
        return Ok(target);
    }
    let target = need.min(hard).max(soft);
    setrlimit(Resource::RLIMIT_NOFILE, target, hard).map_err(io::Error::from)?;
    Ok(target)
}

/// This program again, with our arguments: the executable's resolved path (`current_exe` reads
/// /proc/self/exe: what was started may be gone from the path it was started by), and our
/// first argument kept, as a forked keepalived keeps its: `pidof keepalived` finds the copy when
/// an operator started it through a link of that name.
pub fn this_program_again() -> io::Result<std::process::Command> {
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(std::env::current_exe()?);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    command.args(args);
    Ok(command)
}

/// Without `-n`: start a copy of ourselves in a new session, detached from the terminal, and let
/// the caller exit. The copy calls setsid() itself when it sees [`DETACHED_ENV`] (it is not a
/// process-group leader, so that succeeds) — no fork in this process, no pre_exec.
pub fn respawn_detached() -> io::Result<u32> {
    let child = this_program_again()?
        .env(DETACHED_ENV, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .current_dir("/")
        .spawn()?;
    Ok(child.id())
}

/// In the detached copy: leave the parent's session and terminal.
pub fn become_session_leader() {
    let _ = nix::unistd::setsid();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nofile_limit_is_raised_to_what_is_wanted() {
        use nix::sys::resource::{getrlimit, Resource};
        let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
        let wanted = hard.min(1 << 16).saturating_sub(1024).max(1);
        let now = raise_nofile_limit(wanted).unwrap();
        assert!(now >= wanted.min(hard), "{now} < {wanted}");
        assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap().0, now);
    }
}
