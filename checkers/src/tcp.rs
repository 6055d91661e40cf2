//! TCP_CHECK: the server is up when a TCP connection to it completes within connect_timeout.
//! The connection is closed as soon as it is made.

use crate::engine::{Failure, Probe, ProbeFuture, Success};
use socket2::{Domain, Socket, Type};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::net::TcpStream;

/// Where a network checker connects to and from (keepalived's connection options, resolved:
/// `connect_ip`/`connect_port` default to the real server's address and port).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub connect_ip: IpAddr,
    pub connect_port: u16,
    pub connect_timeout: Duration,
    /// The source options, rarely set: boxed together, and None when none is set (they were
    /// 40 of this struct's 88 bytes, one per real server).
    source: Option<Box<Source>>,
}

/// Where a network checker's packets come from (keepalived's `bindto`, `bind_port`, `bind_if`,
/// `fwmark`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Source {
    pub bindto: Option<IpAddr>,
    pub bind_port: Option<u16>,
    pub bind_if: Option<String>,
    /// SO_MARK on the checker's packets.
    pub fwmark: Option<u32>,
}

static NO_SOURCE: Source = Source {
    bindto: None,
    bind_port: None,
    bind_if: None,
    fwmark: None,
};

impl Connection {
    pub fn new(connect_ip: IpAddr, connect_port: u16, connect_timeout: Duration) -> Connection {
        Connection {
            connect_ip,
            connect_port,
            connect_timeout,
            source: None,
        }
    }

    /// With these source options (none kept when none is set).
    pub fn with_source(mut self, source: Source) -> Connection {
        self.source = (source != NO_SOURCE).then(|| Box::new(source));
        self
    }

    pub fn source(&self) -> &Source {
        self.source.as_deref().unwrap_or(&NO_SOURCE)
    }

    pub fn source_mut(&mut self) -> &mut Source {
        self.source.get_or_insert_with(Box::default)
    }

    pub fn target(&self) -> SocketAddr {
        SocketAddr::new(self.connect_ip, self.connect_port)
    }

    /// Checks what can be checked before running: a port to connect to, a timeout, a source of
    /// the same family as the target.
    pub fn validate(&self) -> Result<(), String> {
        if self.connect_port == 0 {
            return Err(format!("no port to connect to on {}", self.connect_ip));
        }
        if self.connect_timeout.is_zero() {
            return Err("connect_timeout must be greater than zero".into());
        }
        if let Some(b) = self.source().bindto {
            if b.is_ipv4() != self.connect_ip.is_ipv4() {
                return Err(format!(
                    "bindto {b} and connect_ip {} are of different families",
                    self.connect_ip
                ));
            }
        }
        Ok(())
    }

    /// Opens a TCP connection with the source options applied, within connect_timeout.
    pub async fn connect(&self) -> Result<TcpStream, Failure> {
        let deadline = tokio::time::Instant::now() + self.connect_timeout;
        let socket = self.start_connect()?;
        self.finish_connect(socket, deadline).await
    }

    /// A socket with the source options applied and its connection started (non-blocking):
    /// the first half of [`Connection::connect`], which the engine also uses alone to make
    /// many TCP_CHECKs at once (`engine::connect`). No socket, or a source option that cannot
    /// be applied, is a local failure (keepalived: "fail to create socket", "socket bind
    /// failed", then "Rescheduling").
    pub fn start_connect(&self) -> Result<Socket, Failure> {
        let target = self.target();
        let socket = self.socket().map_err(|e| match e.raw_os_error() {
            Some(errno) => Failure::NoSocket { target, errno },
            None => Failure::Local(format!("socket for {target}: {e}")),
        })?;
        match socket.connect(&target.into()) {
            Ok(()) => Ok(socket),
            Err(e) if e.raw_os_error() == Some(nix::libc::EINPROGRESS) => Ok(socket),
            Err(e) => Err(Failure::connect(target, &e)),
        }
    }

    /// The second half: waits until the connection started by [`Connection::start_connect`]
    /// is made, fails, or `deadline` passes.
    pub async fn finish_connect(
        &self,
        socket: Socket,
        deadline: tokio::time::Instant,
    ) -> Result<TcpStream, Failure> {
        let target = self.target();
        let stream = TcpStream::from_std(std::net::TcpStream::from(socket)).map_err(|e| match e
            .raw_os_error()
        {
            Some(errno) => Failure::NoSocket { target, errno },
            None => Failure::Local(format!("socket for {target}: {e}")),
        })?;
        // A socket still connecting is not writable; once it is, the connection is made or
        // has failed, which its pending error says.
        let writable = std::future::poll_fn(|cx| stream.poll_write_ready(cx));
        match tokio::time::timeout_at(deadline, writable).await {
            Err(_) => Err(Failure::Timeout {
                target,
                after: self.connect_timeout,
            }),
            Ok(Err(e)) => Err(Failure::connect(target, &e)),
            Ok(Ok(())) => match stream.take_error() {
                Ok(None) => Ok(stream),
                Ok(Some(e)) | Err(e) => Err(Failure::connect(target, &e)),
            },
        }
    }

    fn socket(&self) -> std::io::Result<Socket> {
        let domain = if self.connect_ip.is_ipv4() {
            Domain::IPV4
        } else {
            Domain::IPV6
        };
        let socket = Socket::new(domain, Type::STREAM.nonblocking().cloexec(), None)?;
        let source = self.source();
        if let Some(ifname) = &source.bind_if {
            socket.bind_device(Some(ifname.as_bytes()))?;
        }
        if let Some(mark) = source.fwmark {
            socket.set_mark(mark)?;
        }
        if source.bindto.is_some() || source.bind_port.is_some() {
            let ip = source.bindto.unwrap_or(if self.connect_ip.is_ipv4() {
                IpAddr::from([0u8; 4])
            } else {
                IpAddr::from([0u16; 8])
            });
            if source.bind_port.is_some() {
                socket.set_reuse_address(true)?;
            }
            socket.bind(&SocketAddr::new(ip, source.bind_port.unwrap_or(0)).into())?;
        }
        Ok(socket)
    }
}

/// TCP_CHECK.
#[derive(Clone, Debug)]
pub struct TcpCheck {
    pub conn: Connection,
}

impl TcpCheck {
    pub fn new(conn: Connection) -> Result<TcpCheck, String> {
        conn.validate()?;
        Ok(TcpCheck { conn })
    }
}

impl Probe for TcpCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            let stream = self.conn.connect().await?;
            drop(stream);
            Ok(Success::default())
        })
    }

    fn tcp_connect(&self) -> Option<&Connection> {
        Some(&self.conn)
    }
}
