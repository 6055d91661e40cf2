//! Notify FIFO readers and an SMTP server for the tests of the notify FIFOs and alert mails
//! (netns_notify.rs, vm_notify.rs); notify scripts that write down their calls (netns_reload.rs,
//! netns_sync_group.rs).

use std::io::{BufRead, BufReader};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{wait_for, Lab};

pub const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

/// Scripts named `names` in the lab's directory, each appending `NAME ARGS...` to the file
/// returned (one line a call).
pub fn note_scripts(lab: &Lab, names: &[&str]) -> PathBuf {
    let calls = lab.dir.join("calls");
    let script = lab.write(
        "note.sh",
        &format!(
            "#!/bin/sh\necho \"$(basename \"$0\") $*\" >> {}\n",
            calls.display()
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    for s in names {
        std::os::unix::fs::symlink(&script, lab.dir.join(s)).unwrap();
    }
    calls
}

/// The calls [`note_scripts`]' scripts wrote down so far, one a line.
pub fn calls(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Reads a FIFO from a thread as a reader would (`while read line`), opening it again after
/// each end of file; every line kept.
pub struct Reader {
    lines: Arc<Mutex<Vec<String>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl Reader {
    pub fn start(path: PathBuf) -> Reader {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (keep, halt) = (lines.clone(), stop.clone());
        std::thread::spawn(move || {
            while !halt.load(std::sync::atomic::Ordering::Relaxed) {
                let is_fifo = std::fs::symlink_metadata(&path)
                    .map(|m| m.file_type().is_fifo())
                    .unwrap_or(false);
                if !is_fifo {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                let Ok(f) = std::fs::File::open(&path) else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                for l in BufReader::new(f).lines().map_while(Result::ok) {
                    keep.lock().unwrap().push(l);
                }
            }
        });
        Reader { lines, stop }
    }

    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits (up to `limit`) until there are `n` lines.
    pub fn wait(&self, n: usize, limit: Duration) -> Vec<String> {
        wait_for(limit, || self.lines().len() >= n);
        self.lines()
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// postfix's smtp-sink in a namespace, each mail appended to one file.
pub struct Sink {
    child: Child,
    file: PathBuf,
}

impl Sink {
    pub fn start(lab: &Lab, ns: &str, extra: &[&str]) -> Option<Sink> {
        if !Path::new(SMTP_SINK).exists() {
            eprintln!("SKIP: mail tests: no {SMTP_SINK} (Debian package postfix; scripts/test-all installs it)");
            return None;
        }
        let dir = lab.dir.join("mail");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let file = dir.join("mails");
        let child = Command::new("ip")
            .args(["netns", "exec", ns, SMTP_SINK, "-u", "nobody", "-D"])
            .arg(&file)
            .args(extra)
            .args(["127.0.0.1:2525", "10"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(300));
        Some(Sink { child, file })
    }

    /// Each mail taken: smtp-sink's `X-Helo-Args`, `X-Mail-Args`, `X-Rcpt-Args` lines, its
    /// Received line, then the message.
    pub fn mails(&self) -> Vec<String> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .split("X-Client-Addr: ")
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Each mail's subject and body line.
    pub fn alerts(&self) -> Vec<(String, String)> {
        self.mails()
            .iter()
            .map(|m| {
                let subject = m
                    .lines()
                    .find_map(|l| l.strip_prefix("Subject: "))
                    .unwrap_or("")
                    .to_string();
                let body = m.split("\n\n").nth(1).unwrap_or("").trim().to_string();
                (subject, body)
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
