//! mimalloc's purge delay for the daemon. mimalloc (v3) gives freed memory back to the system
//! only once it has been free for its purge delay (1 s by default), and reads that option from
//! the environment (`MIMALLOC_PURGE_DELAY`) when the process starts, before `main`: there is
//! no safe call to set it later (`unsafe_code` is forbidden here). With the delay at 0 what is
//! freed is given back at once, and a daemon running 10,000 real servers holds about 3 MiB
//! less (docs/benchmarks.md, "RSS at 10,000 real servers").
//!
//! So the daemon, at its start, executes itself once more with `MIMALLOC_PURGE_DELAY=0` when
//! the environment does not say otherwise; the new image takes the variable out of its
//! environment again, so that the scripts it runs see the environment it was started with. An
//! operator's own `MIMALLOC_PURGE_DELAY` is left alone (and passed on, as it was given). Only
//! the daemon does this: the one-shot commands gain nothing from it.

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// mimalloc's option.
const PURGE_DELAY: &str = "MIMALLOC_PURGE_DELAY";
/// Set with it by the re-execution: the variable is ours, to take out again.
const SET_BY_US: &str = "KEEPALIVED_RS_PURGE_DELAY_SET";

#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Execute ourselves again with the option set.
    Reexecute,
    /// The new image: the option is in force; out of the environment with both variables.
    Forget,
    /// The operator chose a purge delay.
    Leave,
}

fn step(purge_delay: Option<&OsStr>, set_by_us: bool) -> Step {
    match (purge_delay, set_by_us) {
        (_, true) => Step::Forget,
        (Some(_), false) => Step::Leave,
        (None, false) => Step::Reexecute,
    }
}

/// The purge delay is 0 (ours, or an operator's 0): what is freed is given back at once.
static GIVEN_BACK_AT_ONCE: AtomicBool = AtomicBool::new(false);

/// Whether freed memory is given back at once (the daemon's purge delay of 0 is in force).
/// Otherwise (an operator's own delay, the re-execution failed, the system allocator) the
/// daemon prods the allocator now and then (`daemon::release_freed_memory`).
pub fn freed_memory_given_back_at_once() -> bool {
    GIVEN_BACK_AT_ONCE.load(Ordering::Relaxed)
}

/// An operator's purge delay that gives freed memory back at once (mimalloc reads a number).
fn delay_is_zero(purge_delay: Option<&OsStr>) -> bool {
    purge_delay
        .and_then(OsStr::to_str)
        .is_some_and(|v| v.trim().parse::<i64>() == Ok(0))
}

/// Called first thing by the daemon, while it has one thread (it changes the environment).
/// Returns only when the purge delay is set, the operator's is kept, or executing ourselves
/// failed (then the daemon runs with mimalloc's default, which costs memory, not function).
pub fn set_purge_delay() {
    if cfg!(feature = "system-alloc") {
        return;
    }
    let purge_delay = std::env::var_os(PURGE_DELAY);
    match step(
        purge_delay.as_deref(),
        std::env::var_os(SET_BY_US).is_some(),
    ) {
        Step::Leave => {
            GIVEN_BACK_AT_ONCE.store(delay_is_zero(purge_delay.as_deref()), Ordering::Relaxed)
        }
        Step::Forget => {
            GIVEN_BACK_AT_ONCE.store(true, Ordering::Relaxed);
            std::env::remove_var(PURGE_DELAY);
            std::env::remove_var(SET_BY_US);
            name_after_arg0();
        }
        Step::Reexecute => {
            use std::os::unix::process::CommandExt;
            // The process's name follows the executable file's; `name_after_arg0` gives it
            // back the name it was started by.
            let Ok(mut command) = crate::process::this_program_again() else {
                return;
            };
            // Returns only on failure.
            let _ = command.env(PURGE_DELAY, "0").env(SET_BY_US, "1").exec();
        }
    }
}

/// The process's name (`comm`, what `ps -C` and `pgrep` match) is the executed file's: after
/// the re-execution, `keepalived-rs` even when an operator started it through a link named
/// `keepalived`, which named it `keepalived` before. Named again after its first argument, as
/// the first execution was.
fn name_after_arg0() {
    use std::os::unix::ffi::OsStrExt;
    let Some(arg0) = std::env::args_os().next() else {
        return;
    };
    let Some(base) = std::path::Path::new(&arg0).file_name() else {
        return;
    };
    // The kernel keeps 15 bytes of it, as it did at the first execution.
    let name = &base.as_bytes()[..base.len().min(15)];
    if let Ok(name) = std::ffi::CString::new(name) {
        let _ = nix::sys::prctl::set_name(&name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the variable the daemon executes itself with it; the new image forgets it; an
    /// operator's own value is kept (and never taken for ours).
    #[test]
    fn the_purge_delay_is_set_once_and_an_operators_is_kept() {
        assert_eq!(step(None, false), Step::Reexecute);
        assert_eq!(step(Some(OsStr::new("0")), true), Step::Forget);
        assert_eq!(step(Some(OsStr::new("250")), false), Step::Leave);
        // Ours set, then the operator's cleared by a wrapper: still ours to forget.
        assert_eq!(step(None, true), Step::Forget);
    }

    /// Only an operator's delay of 0 gives freed memory back at once (and spares the prods).
    #[test]
    fn an_operators_zero_delay_is_recognised() {
        assert!(delay_is_zero(Some(OsStr::new("0"))));
        assert!(!delay_is_zero(Some(OsStr::new("250"))));
        assert!(!delay_is_zero(Some(OsStr::new("soon"))));
        assert!(!delay_is_zero(None));
    }
}
