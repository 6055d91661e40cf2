//! Events out: every VRRP instance and sync group transition and every virtual and real server
//! change, in the order they happen, to the three things keepalived tells them to: the notify
//! scripts, the notify FIFOs and the alert mails.
//!
//! ```text
//!  VRRP loop ──Notice──┐                         ┌─► script queue (VRRP)   one at a time
//!                      ├─► notifier (a thread ───┼─► script queue (LVS)    one at a time
//!  LVS loop  ──Notice──┘    and runtime of its   ├─► FIFOs                 written at once
//!                           own)                 └─► mail queue            one at a time
//! ```
//!
//! The loops only send a [`Notice`] down a channel, so no script, FIFO reader or mail server
//! can delay an advert or a check. Each sink keeps the order the notices came in; none waits
//! for another (a slow script never holds back a FIFO line or a mail).
//!
//! Files: `event` (the events and their FIFO lines), `fifo` (one FIFO and its script), `mail`
//! (keepalived's subjects, bodies and message), `smtp` (the SMTP client and the mail queue),
//! `settings` (global_defs into FIFO and mail settings).

pub mod event;
pub mod fifo;
pub mod mail;
pub mod settings;
pub mod smtp;

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::{error, warn};

use crate::vrrpd::notify::NotifyQueue;
pub use event::Event;
use fifo::{Carries, Fifo, FifoPlan};
pub use mail::Mail;
pub use settings::Settings;
use smtp::MailQueue;

/// A script to run: the program and its arguments, and who runs it.
pub use crate::script_user::Script;

/// Which loop a notice comes from: each has a script queue of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Vrrp,
    Lvs,
}

/// One thing that happened and what it asks for.
#[derive(Debug, Clone, Default)]
pub struct Notice {
    /// The FIFO line's event, if it writes one.
    pub event: Option<Event>,
    /// Scripts to run, in order.
    pub scripts: Vec<Script>,
    /// The alert mail, if it sends one.
    pub mail: Option<Mail>,
}

enum Msg {
    Notice(Side, Notice),
    Reload(Box<Settings>),
    Flush(Side, Duration, oneshot::Sender<()>),
    Stop(oneshot::Sender<()>),
}

/// The way into the notifier, for both loops.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::UnboundedSender<Msg>,
}

/// How long a FIFO script may take, at stop, to read its last lines and end by itself.
const FIFO_SCRIPT_GRACE: Duration = Duration::from_secs(1);
/// How long the alert mails still queued at stop (the STOP ones) may take to go out.
const MAIL_STOP_LIMIT: Duration = Duration::from_secs(5);
/// How often lines waiting for a FIFO's reader are tried again.
const BACKLOG_RETRY: Duration = Duration::from_millis(200);

impl Notifier {
    /// Starts the notifier on a thread and runtime of its own.
    pub fn start(settings: Settings) -> std::io::Result<(Notifier, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("notify".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(run(rx, settings)),
                    Err(e) => {
                        error!("cannot start the notifier: {e}; no notify script, FIFO or mail")
                    }
                }
            })?;
        Ok((Notifier { tx }, thread))
    }

    /// Sends a notice (never waits).
    pub fn notice(&self, side: Side, n: Notice) {
        if n.event.is_none() && n.scripts.is_empty() && n.mail.is_none() {
            return;
        }
        let _ = self.tx.send(Msg::Notice(side, n));
    }

    /// A reload's settings: FIFOs whose settings changed are closed and opened anew (their
    /// scripts restarted), the others left as they are; the mail settings apply to the mails
    /// queued from now on.
    pub fn reload(&self, s: Settings) {
        let _ = self.tx.send(Msg::Reload(Box::new(s)));
    }

    /// Waits until the scripts `side` queued so far have run, at most `limit`.
    pub async fn flush(&self, side: Side, limit: Duration) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(side, limit, done)).is_ok() {
            let _ = tokio::time::timeout(limit + Duration::from_secs(1), wait).await;
        }
    }

    /// Stops the notifier: FIFOs closed (their scripts stopped, FIFOs we made removed), the
    /// mails still queued given [`MAIL_STOP_LIMIT`]. Blocks the calling thread (not a runtime's).
    pub fn stop(&self, thread: std::thread::JoinHandle<()>) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Stop(done)).is_ok() {
            let _ = wait.blocking_recv();
        }
        if thread.join().is_err() {
            error!("the notifier ended abnormally");
        }
    }
}

/// The notifier's state, on its own thread.
struct Hub {
    settings: Settings,
    fifos: Vec<Fifo>,
    vrrp_scripts: NotifyQueue,
    lvs_scripts: NotifyQueue,
    mail: MailQueue,
}

fn open_fifos(plans: &[FifoPlan]) -> Vec<Fifo> {
    plans
        .iter()
        .filter_map(|p| match Fifo::open(p.clone()) {
            Ok(f) => Some(f),
            Err(e) => {
                error!("{e}; no lines are written to it");
                None
            }
        })
        .collect()
}

async fn run(mut rx: mpsc::UnboundedReceiver<Msg>, settings: Settings) {
    let mut hub = Hub {
        fifos: open_fifos(&settings.fifos),
        vrrp_scripts: NotifyQueue::start(),
        lvs_scripts: NotifyQueue::start(),
        mail: MailQueue::start(settings.mail.clone()),
        settings,
    };
    let mut retry = tokio::time::interval(BACKLOG_RETRY);
    loop {
        let waiting = hub.fifos.iter().any(|f| f.waiting() > 0);
        tokio::select! {
            msg = rx.recv() => match msg {
                Some(Msg::Notice(side, n)) => hub.notice(side, n),
                Some(Msg::Reload(s)) => hub.reload(*s).await,
                Some(Msg::Flush(side, limit, done)) => {
                    let q = match side {
                        Side::Vrrp => hub.vrrp_scripts.clone(),
                        Side::Lvs => hub.lvs_scripts.clone(),
                    };
                    tokio::spawn(async move {
                        q.flush(limit).await;
                        let _ = done.send(());
                    });
                }
                Some(Msg::Stop(done)) => {
                    hub.stop().await;
                    let _ = done.send(());
                    return;
                }
                None => {
                    hub.stop().await;
                    return;
                }
            },
            _ = retry.tick(), if waiting => {
                for f in &mut hub.fifos {
                    f.flush();
                }
            }
        }
    }
}

impl Hub {
    fn notice(&mut self, side: Side, n: Notice) {
        if let Some(e) = &n.event {
            let line = e.fifo_line();
            for f in &mut self.fifos {
                let carries = match f.plan.carries {
                    Carries::All => true,
                    Carries::Vrrp => e.is_vrrp(),
                    Carries::Lvs => !e.is_vrrp(),
                };
                if carries {
                    f.write(&line);
                }
            }
        }
        let q = match side {
            Side::Vrrp => &self.vrrp_scripts,
            Side::Lvs => &self.lvs_scripts,
        };
        for s in n.scripts {
            q.push(s);
        }
        if let Some(m) = n.mail {
            self.mail.push(m);
        }
    }

    async fn reload(&mut self, s: Settings) {
        let (keep, close): (Vec<Fifo>, Vec<Fifo>) = std::mem::take(&mut self.fifos)
            .into_iter()
            .partition(|f| s.fifos.contains(&f.plan));
        for f in close {
            f.close(FIFO_SCRIPT_GRACE).await;
        }
        let new: Vec<FifoPlan> = s
            .fifos
            .iter()
            .filter(|p| !keep.iter().any(|f| &f.plan == *p))
            .cloned()
            .collect();
        self.fifos = keep;
        self.fifos.extend(open_fifos(&new));
        if s.mail != self.settings.mail {
            self.mail.reconfigure(s.mail.clone());
        }
        self.settings = s;
    }

    async fn stop(&mut self) {
        for f in std::mem::take(&mut self.fifos) {
            f.close(FIFO_SCRIPT_GRACE).await;
        }
        if !self.mail.flush(MAIL_STOP_LIMIT).await {
            warn!(
                "SMTP: alerts still waiting for the server after {}s at stop: not sent",
                MAIL_STOP_LIMIT.as_secs()
            );
        }
    }
}
