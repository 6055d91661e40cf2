//! One notify FIFO (`notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo`): opened, created when
//! missing, written without ever blocking, and its `*_fifo_script` reader run beside it.
//!
//! As keepalived 2.2.7 does (measured with strace in the namespace lab): a missing FIFO is made
//! with mode 0644 less the umask (0600 under keepalived's 0177) and, when the keyword names a
//! user (and group; the user's own group otherwise), given to them; it is opened read-write and
//! non-blocking (so a reader that goes away never makes a write fail or block: the pipe fills,
//! then lines wait here), and removed at stop only if we made it. The script is started with
//! the FIFO's path as its last argument, in a process group of its own.
//!
//! Lines the pipe cannot take (nobody reads) wait in a backlog of [`BACKLOG_LINES`] lines,
//! retried by the notifier every 200 ms; beyond that the oldest are dropped and counted (keepalived drops
//! every line the pipe cannot take).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::sys::stat::Mode;
use nix::unistd::{Gid, Pid, Uid};
use tokio::sync::watch;
use tracing::{info, warn};

use super::Script;

/// Lines kept for a FIFO nobody reads, beyond the pipe's own buffer (64 KiB).
pub const BACKLOG_LINES: usize = 1000;

/// Which events a FIFO carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carries {
    /// `notify_fifo`: VRRP and LVS events.
    All,
    /// `vrrp_notify_fifo`.
    Vrrp,
    /// `lvs_notify_fifo`.
    Lvs,
}

/// A FIFO as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FifoPlan {
    /// The keyword, for logs.
    pub keyword: &'static str,
    pub path: PathBuf,
    /// The owner of a FIFO we create: the keyword's user and group, else the default script
    /// user's (crate::script_user); `None`: the daemon's.
    pub owner: Option<(Uid, Gid)>,
    pub script: Option<Script>,
    pub carries: Carries,
}

/// An open FIFO and its script. Writes are plain non-blocking `write(2)`s (no reactor: a
/// freshly opened pipe is writable at once).
pub struct Fifo {
    pub plan: FifoPlan,
    /// Opened non-blocking: a write the pipe cannot take fails with `WouldBlock`.
    sender: Option<File>,
    created: bool,
    backlog: VecDeque<Vec<u8>>,
    dropped: u64,
    script: Option<RunningScript>,
}

struct RunningScript {
    pid: Pid,
    /// Becomes true when the script has exited.
    exited: watch::Receiver<bool>,
}

impl Fifo {
    /// Opens (making it if missing) the FIFO and starts its script (in the current tokio
    /// runtime).
    pub fn open(plan: FifoPlan) -> Result<Fifo, String> {
        let path = &plan.path;
        let what = format!("{} {}", plan.keyword, path.display());
        let created = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_fifo() => false,
            Ok(_) => return Err(format!("{what}: exists and is not a FIFO")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // 0644 less the umask, as keepalived makes it.
                let mode = Mode::from_bits_truncate(0o644);
                nix::unistd::mkfifo(path, mode)
                    .map_err(|e| format!("{what}: cannot create: {e}"))?;
                if let Some((uid, gid)) = plan.owner {
                    if let Err(e) = nix::unistd::chown(path, Some(uid), Some(gid)) {
                        warn!("{what}: cannot give it to {uid}:{gid}: {e}");
                    }
                }
                true
            }
            Err(e) => return Err(format!("{what}: {e}")),
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc_flags())
            .open(path)
            .and_then(|f| match f.metadata()?.file_type().is_fifo() {
                true => Ok(f),
                false => Err(io::Error::other("not a FIFO")),
            });
        let sender = match file {
            Ok(s) => s,
            Err(e) => {
                if created {
                    let _ = std::fs::remove_file(path);
                }
                return Err(format!("{what}: cannot open: {e}"));
            }
        };
        let mut fifo = Fifo {
            plan,
            sender: Some(sender),
            created,
            backlog: VecDeque::new(),
            dropped: 0,
            script: None,
        };
        fifo.start_script();
        Ok(fifo)
    }

    fn start_script(&mut self) {
        let Some(script) = self.plan.script.clone() else {
            return;
        };
        let Some((prog, args)) = script.command.split_first() else {
            return;
        };
        let mut cmd = tokio::process::Command::new(prog);
        cmd.args(args)
            .arg(&self.plan.path)
            .stdin(std::process::Stdio::null())
            .process_group(0);
        script.run_as.apply(&mut cmd);
        let child = cmd.spawn();
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                warn!("{}_script {prog}: cannot run: {e}", self.plan.keyword);
                return;
            }
        };
        let Some(pid) = child.id() else {
            return;
        };
        let (tx, exited) = watch::channel(false);
        let name = format!("{}_script {prog}", self.plan.keyword);
        tokio::spawn(async move {
            match child.wait().await {
                Ok(st) => info!("{name} (pid {pid}) ended: {st}"),
                Err(e) => warn!("{name} (pid {pid}): {e}"),
            }
            let _ = tx.send(true);
        });
        self.script = Some(RunningScript {
            pid: Pid::from_raw(pid as i32),
            exited,
        });
    }

    /// Writes one line (ending in a newline), after any backlog; never blocks.
    pub fn write(&mut self, line: &str) {
        self.backlog.push_back(line.as_bytes().to_vec());
        while self.backlog.len() > BACKLOG_LINES {
            self.backlog.pop_front();
            self.dropped += 1;
            if self.dropped == 1 || self.dropped.is_power_of_two() {
                warn!(
                    "{} {}: nobody reads it; {} line(s) dropped so far",
                    self.plan.keyword,
                    self.plan.path.display(),
                    self.dropped
                );
            }
        }
        self.flush();
    }

    /// Writes as much of the backlog as the pipe takes now.
    pub fn flush(&mut self) {
        let Some(mut s) = self.sender.as_ref() else {
            self.backlog.clear();
            return;
        };
        while let Some(front) = self.backlog.front_mut() {
            match s.write(front) {
                Ok(n) if n == front.len() => {
                    self.backlog.pop_front();
                }
                // A line longer than PIPE_BUF may go in pieces.
                Ok(n) => {
                    front.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    warn!(
                        "{} {}: {e}; not written any more",
                        self.plan.keyword,
                        self.plan.path.display()
                    );
                    self.sender = None;
                    self.backlog.clear();
                    return;
                }
            }
        }
    }

    /// Lines waiting for the pipe to take them.
    pub fn waiting(&self) -> usize {
        self.backlog.len()
    }

    /// Closes the FIFO: the backlog written as far as the pipe takes it, our end closed (so
    /// the script reads what is left, then end of file), the script given `grace` to end by
    /// itself, then SIGTERM to its process group and a second later SIGKILL (keepalived sends
    /// SIGTERM first, so a script that does not catch it loses the last lines). The FIFO is
    /// removed if we made it.
    pub async fn close(mut self, grace: Duration) {
        self.flush();
        if !self.backlog.is_empty() {
            warn!(
                "{} {}: {} line(s) never read",
                self.plan.keyword,
                self.plan.path.display(),
                self.backlog.len()
            );
        }
        self.sender = None;
        if let Some(mut s) = self.script.take() {
            let ended = |mut rx: watch::Receiver<bool>, t: Duration| async move {
                tokio::time::timeout(t, rx.wait_for(|&e| e)).await.is_ok()
            };
            if !ended(s.exited.clone(), grace).await {
                let _ = killpg(s.pid, Signal::SIGTERM);
                if !ended(s.exited.clone(), Duration::from_secs(1)).await {
                    let _ = killpg(s.pid, Signal::SIGKILL);
                    let _ = tokio::time::timeout(Duration::from_secs(1), s.exited.wait_for(|&e| e))
                        .await;
                }
            }
        }
        if self.created {
            if let Err(e) = std::fs::remove_file(&self.plan.path) {
                warn!(
                    "{} {}: cannot remove: {e}",
                    self.plan.keyword,
                    self.plan.path.display()
                );
            }
        }
    }
}

/// O_NONBLOCK (a FIFO opened read-write never waits for a reader anyway) and O_NOFOLLOW, as
/// keepalived opens it.
fn libc_flags() -> i32 {
    (nix::fcntl::OFlag::O_NONBLOCK | nix::fcntl::OFlag::O_NOFOLLOW).bits()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    fn plan(path: PathBuf, script: Option<Script>) -> FifoPlan {
        FifoPlan {
            keyword: "notify_fifo",
            path,
            owner: None,
            script,
            carries: Carries::All,
        }
    }

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("krs-fifo-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A FIFO nobody reads: nothing blocks, the pipe fills, the backlog keeps the newest
    /// lines; a reader that comes later reads them in order; a FIFO we made is removed at
    /// close, one that was there stays.
    #[tokio::test]
    async fn nobody_reading_never_blocks_and_a_late_reader_gets_the_lines_in_order() {
        let d = dir("late");
        let path = d.join("f");
        let mut f = Fifo::open(plan(path.clone(), None)).unwrap();
        assert!(std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_fifo());
        let n = 5000;
        let t = std::time::Instant::now();
        for i in 0..n {
            f.write(&format!("INSTANCE \"VI_{i}\" MASTER 100\n"));
        }
        assert!(t.elapsed() < Duration::from_secs(5));
        assert_eq!(f.waiting(), BACKLOG_LINES);
        let reader = std::thread::spawn({
            let path = path.clone();
            move || {
                let r = BufReader::new(std::fs::File::open(path).unwrap());
                r.lines().map(|l| l.unwrap()).collect::<Vec<_>>()
            }
        });
        // The reader drains the pipe; the backlog follows once there is room.
        for _ in 0..100 {
            f.flush();
            if f.waiting() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(f.waiting(), 0);
        f.close(Duration::from_millis(100)).await;
        let lines = reader.join().unwrap();
        // In order, without gaps but for the oldest ones dropped from the backlog.
        let nums: Vec<usize> = lines
            .iter()
            .map(|l| {
                l.trim_start_matches("INSTANCE \"VI_")
                    .split('"')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        assert_eq!(nums[0], 0, "the pipe kept the first lines");
        assert!(nums.windows(2).all(|w| w[0] < w[1]), "in order");
        assert_eq!(*nums.last().unwrap(), n - 1, "the newest line arrived");
        assert!(!path.exists(), "a FIFO we made is removed");
        // One that was there stays.
        nix::unistd::mkfifo(&path, Mode::from_bits_truncate(0o600)).unwrap();
        let f = Fifo::open(plan(path.clone(), None)).unwrap();
        f.close(Duration::from_millis(10)).await;
        assert!(path.exists());
        std::fs::write(d.join("plain"), "x").unwrap();
        assert!(Fifo::open(plan(d.join("plain"), None))
            .err()
            .unwrap()
            .contains("not a FIFO"));
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The script gets the FIFO's path as its last argument, reads every line, the last ones
    /// too, and ends at end of file without being signalled.
    #[tokio::test]
    async fn the_script_reads_everything_to_the_end() {
        let d = dir("script");
        let path = d.join("f");
        let out = d.join("out");
        let script = vec![
            "/bin/sh".to_string(),
            "-c".into(),
            format!(
                "echo \"args: $0 $1\" > {0}; cat \"$1\" >> {0}",
                out.display()
            ),
            "x".into(),
        ];
        let script = Script::as_daemon(script);
        let mut f = Fifo::open(plan(path.clone(), Some(script))).unwrap();
        // Lines written before the script opens the FIFO wait in the pipe; closing before it
        // opened would lose them (as with keepalived), so let it start.
        for _ in 0..200 {
            if std::fs::read_to_string(&out).is_ok_and(|s| s.starts_with("args")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        f.write("INSTANCE \"VI_1\" MASTER 100\n");
        f.write("INSTANCE \"VI_1\" STOP 100\n");
        f.close(Duration::from_secs(5)).await;
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            format!(
                "args: x {}\nINSTANCE \"VI_1\" MASTER 100\nINSTANCE \"VI_1\" STOP 100\n",
                path.display()
            )
        );
        std::fs::remove_dir_all(&d).unwrap();
    }
}
