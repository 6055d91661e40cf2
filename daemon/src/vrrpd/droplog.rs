//! Rate-limited logging of dropped packets. A flood of invalid adverts (20,000 a second) must
//! be counted and dropped, not written to the log one line each (22 MB in 10 s filled disks and
//! journald). Per source (an instance, or a receiving interface before any instance could be
//! told) and kind of drop, the first [`FIRST`] drops of a [`WINDOW`] are logged one by one; the
//! others of that window are only counted, and said in one line when the window ends. Every
//! packet is still counted in the drop counters. Pure: time is passed in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use vrrp::DropKind;

/// Drops of one kind from one source logged one by one per window.
pub const FIRST: u32 = 5;
/// How long a window lasts.
pub const WINDOW: Duration = Duration::from_secs(10);

#[derive(Debug)]
struct Window {
    started: Instant,
    logged: u32,
    quiet: u64,
}

#[derive(Debug, Default)]
pub struct DropLog {
    windows: HashMap<String, HashMap<DropKind, Window>>,
}

/// What to do with one drop's log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Log this drop's own line.
    pub log: bool,
    /// First, the summary of the window this drop ended (if drops were held back in it).
    pub summary: Option<String>,
}

fn summary(who: &str, kind: DropKind, quiet: u64, window: Duration) -> String {
    format!(
        "{who}: {quiet} more packet(s) dropped ({}) in the last {} s, not logged one by one",
        kind.name(),
        window.as_secs()
    )
}

impl DropLog {
    /// A drop of `kind` from `who` at `now`.
    pub fn record(&mut self, who: &str, kind: DropKind, now: Instant) -> Decision {
        let kinds = match self.windows.get_mut(who) {
            Some(k) => k,
            None => self.windows.entry(who.to_string()).or_default(),
        };
        let w = kinds.entry(kind).or_insert(Window {
            started: now,
            logged: 0,
            quiet: 0,
        });
        let mut summary_line = None;
        if now.saturating_duration_since(w.started) >= WINDOW {
            if w.quiet > 0 {
                summary_line = Some(summary(who, kind, w.quiet, WINDOW));
            }
            *w = Window {
                started: now,
                logged: 0,
                quiet: 0,
            };
        }
        let log = w.logged < FIRST;
        if log {
            w.logged += 1;
        } else {
            w.quiet += 1;
        }
        Decision {
            log,
            summary: summary_line,
        }
    }

    /// The summaries of the windows that have ended by `now` with drops held back (the flood
    /// may have stopped: nothing else would say them); those windows are forgotten.
    pub fn due(&mut self, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        for (who, kinds) in &mut self.windows {
            kinds.retain(|kind, w| {
                if now.saturating_duration_since(w.started) < WINDOW {
                    return true;
                }
                if w.quiet > 0 {
                    out.push(summary(who, *kind, w.quiet, WINDOW));
                }
                false
            });
        }
        self.windows.retain(|_, k| !k.is_empty());
        out.sort();
        out
    }

    /// The summaries of every window with drops held back, ended or not (at stop).
    pub fn flush(&mut self, now: Instant) -> Vec<String> {
        let mut out = Vec::new();
        for (who, kinds) in self.windows.drain() {
            for (kind, w) in kinds {
                if w.quiet > 0 {
                    let held = now.saturating_duration_since(w.started).max(Duration::from_secs(1));
                    out.push(summary(&who, kind, w.quiet, held));
                }
            }
        }
        out.sort();
        out
    }

    /// When the earliest window with drops held back ends (for the loop's wake-up).
    pub fn next_due(&self) -> Option<Instant> {
        self.windows
            .values()
            .flat_map(|k| k.values())
            .filter(|w| w.quiet > 0)
            .map(|w| w.started + WINDOW)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_is_logged_five_times_then_summed_up_once_per_window() {
        let mut d = DropLog::default();
        let t0 = Instant::now();
        let ms = |m: u64| t0 + Duration::from_millis(m);
        let mut logged = 0;
        // 20,000 drops a second for 10 s.
        for i in 0..200_000u64 {
            let dec = d.record("(VI_1)", DropKind::BadChecksum, ms(i / 20));
            logged += u64::from(dec.log);
            assert!(dec.summary.is_none());
        }
        assert_eq!(logged, 5);
        assert_eq!(d.next_due(), Some(t0 + WINDOW));
        assert!(d.due(ms(9_999)).is_empty());
        assert_eq!(
            d.due(ms(10_000)),
            ["(VI_1): 199995 more packet(s) dropped (bad_checksum) in the last 10 s, not logged one by one"]
        );
        assert_eq!(d.next_due(), None);
        // A new window starts with its own first five.
        assert!(d.record("(VI_1)", DropKind::BadChecksum, ms(10_001)).log);
    }

    #[test]
    fn sources_and_kinds_are_limited_apart() {
        let mut d = DropLog::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            d.record("(VI_1)", DropKind::BadChecksum, t0);
        }
        assert!(!d.record("(VI_1)", DropKind::BadChecksum, t0).log);
        assert!(d.record("(VI_1)", DropKind::AuthMismatch, t0).log);
        assert!(d.record("eth0", DropKind::BadChecksum, t0).log);
        // The next drop after the window says what was held back, then is logged itself.
        let dec = d.record("(VI_1)", DropKind::BadChecksum, t0 + WINDOW);
        assert!(dec.log);
        assert_eq!(
            dec.summary.as_deref(),
            Some("(VI_1): 1 more packet(s) dropped (bad_checksum) in the last 10 s, not logged one by one")
        );
    }
}
