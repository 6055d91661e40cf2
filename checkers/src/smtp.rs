//! SMTP_CHECK: for each host in turn (the checker's own connection, then each `host { }`),
//! connect, expect a 220 greeting, send `HELO helo_name`, expect 250, send `QUIT` and read the
//! answer (any). Every host must pass. connect_timeout (each host's own) bounds the connect and
//! each read and write.
//!
//! A multi-line reply (`250-...` lines, then `250 ...`) is read to its last line; keepalived
//! reads only the first line and so takes the greeting's second line for the HELO answer.

use crate::engine::{Failure, Probe, ProbeFuture, Success};
use crate::tcp::Connection;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub const DEFAULT_HELO: &str = "smtpchecker.keepalived.org";

const MAX_LINE: u64 = 4096;

/// SMTP_CHECK.
#[derive(Clone, Debug)]
pub struct SmtpCheck {
    pub hosts: Vec<Connection>,
    pub helo_name: String,
}

impl SmtpCheck {
    pub fn new(hosts: Vec<Connection>, helo_name: String) -> Result<SmtpCheck, String> {
        if hosts.is_empty() {
            return Err("SMTP_CHECK has no host to check".into());
        }
        for h in &hosts {
            h.validate()?;
        }
        if helo_name.is_empty() || helo_name.bytes().any(|b| b.is_ascii_control()) {
            return Err(format!(
                "helo_name {helo_name:?} must be non-empty, without control characters"
            ));
        }
        Ok(SmtpCheck { hosts, helo_name })
    }

    async fn check_host(&self, conn: &Connection) -> Result<(), Failure> {
        let stream = conn.connect().await?;
        let t = conn.connect_timeout;
        let mut s = BufReader::new(stream);
        let greeting = reply(&mut s, t)
            .await
            .map_err(|e| format!("greeting: {e}"))?;
        if greeting.0 != Some(220) {
            return Err(format!("bad greeting {:?}", greeting.1).into());
        }
        send(&mut s, format!("HELO {}\r\n", self.helo_name).as_bytes(), t).await?;
        let helo = reply(&mut s, t).await.map_err(|e| format!("HELO: {e}"))?;
        if helo.0 != Some(250) {
            return Err(format!("bad HELO answer {:?}", helo.1).into());
        }
        send(&mut s, b"QUIT\r\n", t).await?;
        reply(&mut s, t).await.map_err(|e| format!("QUIT: {e}"))?;
        Ok(())
    }
}

async fn send(s: &mut BufReader<TcpStream>, data: &[u8], t: Duration) -> Result<(), String> {
    tokio::time::timeout(t, s.get_mut().write_all(data))
        .await
        .map_err(|_| format!("send timed out after {t:?}"))?
        .map_err(|e| format!("send: {e}"))
}

/// One reply: its code (the first three digits, if they are digits) and its last line.
async fn reply(s: &mut BufReader<TcpStream>, t: Duration) -> Result<(Option<u16>, String), String> {
    loop {
        let mut line = Vec::new();
        let n = tokio::time::timeout(t, (&mut *s).take(MAX_LINE).read_until(b'\n', &mut line))
            .await
            .map_err(|_| format!("no answer within {t:?}"))?
            .map_err(|e| format!("receive: {e}"))?;
        if n == 0 {
            return Err("connection closed".into());
        }
        if line.last() != Some(&b'\n') {
            return Err(format!("line longer than {MAX_LINE} bytes"));
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let code = text
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse().ok());
        // "250-..." continues the reply.
        if code.is_some() && text.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        return Ok((code, text));
    }
}

impl Probe for SmtpCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            for h in &self.hosts {
                self.check_host(h)
                    .await
                    .map_err(|e| e.context(format_args!("SMTP {}", h.target())))?;
            }
            Ok(Success::default())
        })
    }
}
