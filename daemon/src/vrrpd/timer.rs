//! The loop's one precise timer: a timerfd on the monotonic clock, armed for an absolute
//! deadline in nanoseconds and waited for through tokio's reactor.
//!
//! Why not tokio's timers: they tick in whole milliseconds and the driver's epoll timeout
//! rounds up, so a timer fired up to ~2 ms late, where VRRP's Master_Down and advert timers
//! must keep to the protocol's limits within a fraction of a millisecond (docs/benchmarks.md).
//! The loop used to wake 2 ms early on a tokio timer and sleep the rest with nanosleep: three
//! wake-ups per deadline (and tokio unparking itself each time the timer moved earlier). A
//! timerfd is one hrtimer without slack: the kernel wakes the loop once, and `epoll_wait`
//! returns with it. That return reaches the loop some 30-40 us after the timer fired (the
//! nanosleep took 7-15: netns_bench's DIAG lines), so the timerfd fires [`LEAD`] before the
//! deadline and the loop sleeps what is left (nanosleep, the thread's 1 ns timer slack): two
//! wake-ups per deadline, and the timer as precise as before. LEAD is the 2 ms the loop woke
//! early before: with 100 us, on a host loaded with builds, the last wake-up came 1-6 ms late
//! in most SIGTERM failover runs of three sessions, with 2 ms in one session of three
//! (docs/benchmarks.md).

use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::Duration;

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use nix::time::{clock_gettime, ClockId as Clock};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::time::Instant;

/// nix's timerfd with the `AsRawFd` that tokio's `AsyncFd` asks for. It owns its descriptor
/// (an `OwnedFd` inside), which stays open and the same for as long as the `AsyncFd` holds it:
/// the condition under which tokio's registration is sound.
struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

/// How long before a deadline the timerfd fires: more than the time its wake-up takes to
/// reach the loop, even on a busy host, so that the rest is a precise sleep.
pub const LEAD: Duration = Duration::from_millis(2);

pub struct DeadlineTimer {
    fd: AsyncFd<Fd>,
    /// `Instant` `origin` is `origin_ns` on CLOCK_MONOTONIC (the clock `Instant` reads), read
    /// just after it, so that a deadline converted with it is never early.
    origin: Instant,
    origin_ns: Duration,
    /// The deadline the timerfd is armed for, so that an unchanged one costs no system call.
    armed: Option<Instant>,
}

impl DeadlineTimer {
    /// Must run inside a tokio runtime (it registers with the reactor).
    pub fn new() -> io::Result<DeadlineTimer> {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        let origin = Instant::now();
        let origin_ns = Duration::from(clock_gettime(Clock::CLOCK_MONOTONIC)?);
        // tokio 1.54 deprecated this constructor, for types that may close or change their
        // descriptor, in favour of an `unsafe` one (unsafe code is forbidden here); `Fd` owns
        // its descriptor for the AsyncFd's whole life.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(Fd(fd), Interest::READABLE)?;
        Ok(DeadlineTimer {
            fd,
            origin,
            origin_ns,
            armed: None,
        })
    }

    /// Arms the timer for `deadline` (None: disarms it). A deadline already past fires at once.
    /// [`DeadlineTimer::expired`] resolves at the deadline, not before.
    pub fn arm(&mut self, deadline: Option<Instant>) -> io::Result<()> {
        if deadline == self.armed {
            return Ok(());
        }
        match deadline {
            Some(d) => {
                // Instants before the origin are due anyway: clamp to it (never zero, which
                // would disarm).
                let at = (self.origin_ns + d.saturating_duration_since(self.origin))
                    .saturating_sub(LEAD)
                    .max(Duration::from_nanos(1));
                self.fd.get_ref().0.set(
                    Expiration::OneShot(TimeSpec::from_duration(at)),
                    TimerSetTimeFlags::TFD_TIMER_ABSTIME,
                )?;
            }
            None => self.fd.get_ref().0.unset()?,
        }
        self.armed = deadline;
        Ok(())
    }

    /// Resolves when the armed deadline has passed (never, while disarmed); the timer is then
    /// disarmed. Cancel-safe: an expiry not yet waited for stays pending.
    pub async fn expired(&mut self) -> io::Result<()> {
        loop {
            let mut ready = self.fd.readable().await?;
            // Re-arming resets the expiry count: a readiness left over from a deadline that was
            // moved reads as "would block", and the wait goes on.
            match ready.try_io(|fd| fd.get_ref().0.wait().map_err(io::Error::from)) {
                Ok(result) => {
                    // Read: nothing more until the next expiry, whose edge epoll reports
                    // anew (saves a read that would only say "would block").
                    ready.clear_ready();
                    // LEAD early (or less, when the wake-up was slow): the rest precisely.
                    if let Some(deadline) = self.armed.take() {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if !left.is_zero() {
                            std::thread::sleep(left);
                        }
                    }
                    return result;
                }
                Err(_would_block) => continue,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fires_at_its_deadline_not_before() {
        let mut t = DeadlineTimer::new().unwrap();
        let deadline = Instant::now() + Duration::from_millis(30);
        t.arm(Some(deadline)).unwrap();
        t.expired().await.unwrap();
        assert!(Instant::now() >= deadline);
    }

    #[tokio::test]
    async fn a_moved_deadline_replaces_the_earlier_one() {
        let mut t = DeadlineTimer::new().unwrap();
        let start = Instant::now();
        t.arm(Some(start + Duration::from_millis(5))).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The first deadline has passed unread; moving it later must not fire at once.
        let later = Instant::now() + Duration::from_millis(30);
        t.arm(Some(later)).unwrap();
        t.expired().await.unwrap();
        assert!(Instant::now() >= later);
    }

    #[tokio::test]
    async fn a_past_deadline_fires_at_once_and_disarmed_never() {
        let mut t = DeadlineTimer::new().unwrap();
        t.arm(Some(Instant::now() - Duration::from_millis(1)))
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), t.expired())
            .await
            .expect("a past deadline fires")
            .unwrap();
        t.arm(None).unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(50), t.expired()).await;
        assert!(waited.is_err(), "a disarmed timer fired");
    }
}
