//! Sending the alert mails: the few SMTP commands keepalived sends (`HELO`, `MAIL FROM`, one
//! `RCPT TO` per address, `DATA`, `QUIT`; captured from 2.2.7 in the namespace lab), each
//! answer awaited at most `smtp_connect_timeout`, as keepalived bounds each step.
//!
//! The queue is a task of its own: mails go one after another in the order they were queued,
//! and a server that is down or slow holds back only later mails, never the loop that queued
//! them. At most [`QUEUE_LIMIT`] wait; beyond that the oldest are dropped and counted
//! (keepalived opens one connection per mail at once and keeps none).

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::mail::{self, Mail};

/// Mails that may wait for the server.
pub const QUEUE_LIMIT: usize = 100;

/// Where and how mail is sent: global_defs' mail settings, defaults resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `smtp_server HOST [PORT]`.
    pub host: String,
    pub port: u16,
    /// `smtp_helo_name`, else the host's name.
    pub helo: String,
    /// `notification_email_from`, else USER@HOST.
    pub from: String,
    /// `notification_email`.
    pub to: Vec<String>,
    /// `smtp_connect_timeout`: the connection, and each answer after it.
    pub timeout: Duration,
    /// The `[ROUTER_ID]` of the subjects.
    pub router_id: String,
}

impl MailSettings {
    /// `[host]:port`, as keepalived names the server in its logs.
    pub fn server(&self) -> String {
        format!("[{}]:{}", self.host, self.port)
    }
}

const MAX_LINE: u64 = 4096;

/// Sends one message (`data`: what follows DATA, ending in the `.` line).
pub async fn send(s: &MailSettings, data: &str) -> Result<(), String> {
    let t = s.timeout;
    let addrs: Vec<_> = tokio::time::timeout(t, tokio::net::lookup_host((s.host.as_str(), s.port)))
        .await
        .map_err(|_| format!("cannot resolve {} within {t:?}", s.host))?
        .map_err(|e| format!("cannot resolve {}: {e}", s.host))?
        .collect();
    let mut last = String::from("no address");
    let mut stream = None;
    for a in addrs {
        match tokio::time::timeout(t, TcpStream::connect(a)).await {
            Ok(Ok(c)) => {
                stream = Some(c);
                break;
            }
            Ok(Err(e)) => last = format!("connecting to {a}: {e}"),
            Err(_) => last = format!("no connection to {a} within {t:?}"),
        }
    }
    let stream = stream.ok_or(last)?;
    let mut c = BufReader::new(stream);
    expect(&mut c, t, "greeting", &[220]).await?;
    command(&mut c, t, &format!("HELO {}\r\n", s.helo), &[250]).await?;
    command(&mut c, t, &format!("MAIL FROM:<{}>\r\n", s.from), &[250]).await?;
    for to in &s.to {
        command(&mut c, t, &format!("RCPT TO:<{to}>\r\n"), &[250, 251]).await?;
    }
    command(&mut c, t, "DATA\r\n", &[354]).await?;
    command(&mut c, t, data, &[250]).await?;
    // The mail is with the server now: a QUIT without answer is no failure.
    let _ = command(&mut c, t, "QUIT\r\n", &[221]).await;
    Ok(())
}

async fn command(
    c: &mut BufReader<TcpStream>,
    t: Duration,
    line: &str,
    ok: &[u16],
) -> Result<(), String> {
    let what = line.split_whitespace().next().unwrap_or("DATA").to_string();
    let what = if what.starts_with("Date:") {
        "message".into()
    } else {
        what
    };
    tokio::time::timeout(t, c.get_mut().write_all(line.as_bytes()))
        .await
        .map_err(|_| format!("{what}: cannot send within {t:?}"))?
        .map_err(|e| format!("{what}: {e}"))?;
    expect(c, t, &what, ok).await
}

/// Reads one reply (to its last line) and checks its code.
async fn expect(
    c: &mut BufReader<TcpStream>,
    t: Duration,
    what: &str,
    ok: &[u16],
) -> Result<(), String> {
    loop {
        let mut line = Vec::new();
        let n = tokio::time::timeout(t, (&mut *c).take(MAX_LINE).read_until(b'\n', &mut line))
            .await
            .map_err(|_| format!("{what}: no answer within {t:?}"))?
            .map_err(|e| format!("{what}: {e}"))?;
        if n == 0 {
            return Err(format!("{what}: the server closed the connection"));
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        if text.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        let code: Option<u16> = text.get(..3).and_then(|c| c.parse().ok());
        return match code {
            Some(c) if ok.contains(&c) => Ok(()),
            _ => Err(format!("{what}: the server answered {text:?}")),
        };
    }
}

enum Job {
    Send(Mail, String),
    Settings(Option<MailSettings>),
    Flush(oneshot::Sender<()>),
}

/// The mail queue's sending end.
#[derive(Clone)]
pub struct MailQueue {
    tx: mpsc::UnboundedSender<Job>,
}

impl MailQueue {
    /// Starts the queue's task (in the current tokio runtime); `None`: no mail is configured,
    /// queued mails are dropped.
    pub fn start(settings: Option<MailSettings>) -> MailQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(rx, settings));
        MailQueue { tx }
    }

    /// Queues a mail, dated now.
    pub fn push(&self, m: Mail) {
        let _ = self.tx.send(Job::Send(m, mail::date(chrono::Local::now())));
    }

    /// New settings (a reload), for the mails queued from now on.
    pub fn reconfigure(&self, s: Option<MailSettings>) {
        let _ = self.tx.send(Job::Settings(s));
    }

    /// Waits until every mail queued so far is sent (or given up), at most `limit`.
    pub async fn flush(&self, limit: Duration) -> bool {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Job::Flush(done)).is_err() {
            return true;
        }
        tokio::time::timeout(limit, wait).await.is_ok()
    }
}

async fn run(mut rx: mpsc::UnboundedReceiver<Job>, mut settings: Option<MailSettings>) {
    let mut queue: VecDeque<Job> = VecDeque::new();
    let mut dropped = 0u64;
    loop {
        if queue.is_empty() {
            match rx.recv().await {
                Some(j) => queue.push_back(j),
                None => return,
            }
        }
        while let Ok(j) = rx.try_recv() {
            queue.push_back(j);
        }
        // Too many mails waiting (the server is down or slow): the oldest go.
        while queue.iter().filter(|j| matches!(j, Job::Send(..))).count() > QUEUE_LIMIT {
            if let Some(i) = queue.iter().position(|j| matches!(j, Job::Send(..))) {
                queue.remove(i);
                dropped += 1;
                if dropped == 1 || dropped.is_power_of_two() {
                    warn!("SMTP: {dropped} alert(s) dropped so far: more than {QUEUE_LIMIT} waiting for the server");
                }
            }
        }
        match queue.pop_front() {
            Some(Job::Send(m, date)) => {
                let Some(s) = &settings else { continue };
                let data = mail::message(&date, &s.from, &s.to, &s.router_id, &m);
                match send(s, &data).await {
                    Ok(()) => info!("SMTP alert sent to {} ({})", s.server(), m.subject),
                    Err(e) => warn!(
                        "SMTP alert not sent to {}: {e} ({}: {})",
                        s.server(),
                        m.subject,
                        m.body
                    ),
                }
            }
            Some(Job::Settings(s)) => settings = s,
            Some(Job::Flush(done)) => {
                let _ = done.send(());
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    //! Against a real SMTP server: Postfix's `smtp-sink` on loopback (Debian's postfix package,
    //! which scripts/test-all installs), one per test, dumping each mail it takes to a file.
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::Instant;

    const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

    struct Sink {
        child: Child,
        port: u16,
        dir: PathBuf,
    }

    impl Sink {
        /// smtp-sink on a free loopback port with `extra` options, or None (one SKIP line).
        fn start(test: &str, extra: &[&str]) -> Option<Sink> {
            if !Path::new(SMTP_SINK).exists() || !nix::unistd::geteuid().is_root() {
                eprintln!("SKIP: {test}: needs root and {SMTP_SINK} (Debian package postfix)");
                return None;
            }
            let dir = std::env::temp_dir().join(format!("krs-smtp-{test}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            // smtp-sink drops to `nobody`, who must write the dumps.
            std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
                .unwrap();
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new(SMTP_SINK)
                .args(["-u", "nobody", "-D"])
                .arg(format!("{}/mails", dir.display()))
                .args(extra)
                .arg(format!("127.0.0.1:{port}"))
                .arg("10")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let sink = Sink { child, port, dir };
            let t = Instant::now();
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    t.elapsed() < Duration::from_secs(5),
                    "smtp-sink did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Some(sink)
        }

        /// The mails taken so far, in the order they were taken (smtp-sink appends each to
        /// one file: its own `X-*` lines with the HELO, MAIL and RCPT arguments, its Received
        /// line, then the message).
        fn mails(&self) -> Vec<String> {
            let all = std::fs::read_to_string(self.dir.join("mails")).unwrap_or_default();
            all.split("X-Client-Addr: ")
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect()
        }
    }

    impl Drop for Sink {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn settings(port: u16, timeout: Duration) -> MailSettings {
        MailSettings {
            host: "127.0.0.1".into(),
            port,
            helo: "lb1.example.org".into(),
            from: "keepalived@lb1.example.org".into(),
            to: vec!["ops@example.org".into(), "noc@example.org".into()],
            timeout,
            router_id: "lb1".into(),
        }
    }

    fn alert(n: usize) -> Mail {
        Mail {
            subject: format!("VRRP Instance VI_{n} - Entering MASTER state"),
            body: "=> VRRP Instance is now owning VRRP VIPs <=".into(),
        }
    }

    async fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < limit, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every byte we send for one alert, against what keepalived 2.2.7 sent for the same one
    /// (captured: daemon/tests/data/keepalived-2.2.7/smtp-client.txt), read by a listener that
    /// answers as a server does.
    #[tokio::test]
    async fn the_dialogue_is_byte_for_byte_keepalived_s() {
        use tokio::net::TcpListener;
        let capture = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keepalived-2.2.7/smtp-client.txt"
        ))
        .unwrap();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (c, _) = l.accept().await.unwrap();
            let mut c = BufReader::new(c);
            c.get_mut().write_all(b"220 sink ESMTP\r\n").await.unwrap();
            let mut got = String::new();
            let mut in_data = false;
            loop {
                let mut line = String::new();
                if c.read_line(&mut line).await.unwrap() == 0 {
                    return got;
                }
                got.push_str(&line);
                let answer: &[u8] = if in_data {
                    if line != ".\r\n" {
                        continue;
                    }
                    in_data = false;
                    b"250 queued\r\n"
                } else if line.starts_with("DATA") {
                    in_data = true;
                    b"354 go on\r\n"
                } else if line.starts_with("QUIT") {
                    b"221 bye\r\n"
                } else {
                    b"250 ok\r\n"
                };
                c.get_mut().write_all(answer).await.unwrap();
            }
        });
        let s = MailSettings {
            host: "127.0.0.1".into(),
            port,
            helo: "helo.example".into(),
            from: "kad@example.org".into(),
            to: vec!["ops@example.org".into(), "noc@example.org".into()],
            timeout: Duration::from_secs(5),
            router_id: "rA".into(),
        };
        let m = mail::group("G1", vrrp::State::Backup).unwrap();
        let data = mail::message(
            "Sun, 06 Dec 2026 05:37:49 +0000",
            &s.from,
            &s.to,
            &s.router_id,
            &m,
        );
        send(&s, &data).await.unwrap();
        assert_eq!(server.await.unwrap(), capture);
    }

    /// The mails arrive in order with keepalived's dialogue: HELO with smtp_helo_name, the
    /// sender, each recipient, and keepalived's headers.
    #[tokio::test]
    async fn mails_arrive_in_order_with_keepalived_s_dialogue() {
        let Some(sink) = Sink::start("order", &[]) else {
            return;
        };
        let q = MailQueue::start(Some(settings(sink.port, Duration::from_secs(5))));
        for n in 0..5 {
            q.push(alert(n));
        }
        assert!(q.flush(Duration::from_secs(20)).await);
        let mails = sink.mails();
        assert_eq!(mails.len(), 5, "{mails:?}");
        for (n, m) in mails.iter().enumerate() {
            assert!(m.contains("X-Helo-Args: lb1.example.org\n"), "{m}");
            assert!(
                m.contains("X-Mail-Args: <keepalived@lb1.example.org>\n"),
                "{m}"
            );
            assert!(
                m.contains("X-Rcpt-Args: <ops@example.org>\nX-Rcpt-Args: <noc@example.org>\n"),
                "{m}"
            );
            assert!(
                m.contains(&format!(
                    "\nFrom: keepalived@lb1.example.org\nSubject: [lb1] VRRP Instance VI_{n} - Entering MASTER state\nX-Mailer: Keepalived\nTo: ops@example.org, noc@example.org\n\n=> VRRP Instance is now owning VRRP VIPs <=\n"
                )),
                "{m}"
            );
            assert!(m.contains("\nDate: "), "{m}");
        }
    }

    /// A server that is down: each mail fails at once (connection refused), queuing never
    /// waits, and the mails queued once it is back arrive.
    #[tokio::test]
    async fn a_server_that_is_down_holds_nothing_up() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let q = MailQueue::start(Some(settings(port, Duration::from_secs(5))));
        let t = Instant::now();
        for n in 0..3 {
            q.push(alert(n));
        }
        assert!(
            t.elapsed() < Duration::from_millis(50),
            "queuing waits for nothing"
        );
        assert!(
            q.flush(Duration::from_secs(5)).await,
            "refused at once, not timed out"
        );
        assert!(send(&settings(port, Duration::from_secs(5)), "x")
            .await
            .is_err());
    }

    /// A slow server (a greeting 3 s late) against smtp_connect_timeout 1: each mail is given
    /// up after the timeout, queuing never waits; with a timeout longer than the delay it
    /// arrives.
    #[tokio::test]
    async fn a_slow_server_is_given_up_after_the_timeout() {
        let Some(sink) = Sink::start("slow", &["-W", "CONNECT:3"]) else {
            return;
        };
        let q = MailQueue::start(Some(settings(sink.port, Duration::from_secs(1))));
        let t = Instant::now();
        q.push(alert(1));
        q.push(alert(2));
        assert!(t.elapsed() < Duration::from_millis(50));
        assert!(q.flush(Duration::from_secs(10)).await);
        let took = t.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(5),
            "two mails, each given up after 1 s: {took:?}"
        );
        assert!(sink.mails().is_empty());
        let q = MailQueue::start(Some(settings(sink.port, Duration::from_secs(5))));
        q.push(alert(3));
        assert!(q.flush(Duration::from_secs(10)).await);
        wait_for("the mail", Duration::from_secs(5), || {
            sink.mails().len() == 1
        })
        .await;
    }

    /// More than QUEUE_LIMIT mails waiting for a server that never answers: the oldest are
    /// dropped, the newest kept.
    #[tokio::test]
    async fn the_queue_is_bounded() {
        // A listener that accepts (the kernel does) and never greets.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let q = MailQueue::start(Some(settings(port, Duration::from_millis(50))));
        for n in 0..(QUEUE_LIMIT + 50) {
            q.push(alert(n));
        }
        let t = Instant::now();
        assert!(q.flush(Duration::from_secs(60)).await);
        // One in flight, then QUEUE_LIMIT: never all 150.
        let took = t.elapsed().as_secs_f64();
        assert!(took < 0.05 * (QUEUE_LIMIT as f64 + 20.0), "{took}");
        drop(l);
    }
}
