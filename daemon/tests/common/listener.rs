//! A TCP listener in a test's namespace: what a real server's port does for a check.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A TCP listener in a namespace that accepts, counts and closes, until dropped.
pub struct Listener {
    accepts: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Listener {
    pub fn start(ns: &str, addr: &str) -> Listener {
        let stop = Arc::new(AtomicBool::new(false));
        let accepts = Arc::new(AtomicUsize::new(0));
        let (halt, count) = (stop.clone(), accepts.clone());
        let path = format!("/run/netns/{ns}");
        let addr = addr.to_string();
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let file = std::fs::File::open(&path).expect("namespace file");
            nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let l = std::net::TcpListener::bind(&addr).expect("bind");
            l.set_nonblocking(true).unwrap();
            ready_tx.send(()).unwrap();
            while !halt.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((c, _)) => {
                        count.fetch_add(1, Ordering::SeqCst);
                        drop(c)
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        ready.recv().unwrap();
        Listener {
            accepts,
            stop,
            thread: Some(thread),
        }
    }

    /// The connections accepted so far.
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
