//! Tracking: turning the states of tracked objects (interfaces, scripts, files, processes, BFD
//! sessions) into what an instance needs, its effective priority and whether it must be in Fault,
//! following keepalived.conf(5).
//!
//! Pure: the daemon runs the scripts, watches the interfaces and reads the files; it reports each
//! object's status here and feeds the [`Input`]s from [`verdict_inputs`] to the instance.
//!
//! The rules (keepalived.conf(5), "VRRP script(s)", "Track files", `track_interface`,
//! `track_process`, `track_bfd`):
//! - up/down objects (interface, script, process, BFD) with weight 0: down means Fault;
//!   with `reverse`, up means Fault.
//! - weight W > 0: W is added while the object is up (with `reverse`: subtracted while it is up).
//! - weight W < 0: |W| is subtracted while the object is down (with `reverse`: added while it is
//!   down, "to increase priority if an interface is down").
//! - track_file with weight 0: a non-zero value means Fault, zero means OK. Otherwise
//!   value * weight (negated with `reverse`) is added; a result below -253 means Fault.
//! - effective priority = base + sum, clamped to 1..=254; an address owner (base 255) keeps 255
//!   whatever the weights (keepalived requires weight 0 for an owner's tracked objects).

use crate::action::Input;

/// The lowest weight keepalived accepts for an up/down tracked object.
pub const MIN_WEIGHT: i32 = -253;
/// The highest weight keepalived accepts for an up/down tracked object.
pub const MAX_WEIGHT: i32 = 253;
/// A track_file's result below this puts the instance in Fault.
pub const FILE_FAULT_BELOW: i64 = -253;

/// What a tracked object currently reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Interface up, script succeeding (after `rise`), process quorum met, BFD session up.
    Up,
    /// Interface down, script failing (after `fall`), too few processes, BFD session down.
    Down,
    /// The number read from a track_file.
    Value(i64),
}

/// How one tracked object affects the instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// The object's name (interface, vrrp_script, track_file, ... name); for the caller.
    pub name: String,
    /// 0 means "failure is Fault". Up/down objects: -253..=253; files: -254..=254.
    pub weight: i32,
    pub reverse: bool,
    pub status: Status,
}

/// Why a weight was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tracking weight {weight} for {name:?} is outside -253..=253 (-254..=254 for files)")]
pub struct WeightError {
    pub name: String,
    pub weight: i32,
}

/// The outcome of tracking for one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackingVerdict {
    /// Some weight-0 object has failed (or a file's result is below -253).
    pub fault: bool,
    /// The effective priority: 1..=254, or 255 for an owner.
    pub priority: u8,
}

/// The tracked objects of one instance and its configured priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracking {
    base_priority: u8,
    objects: Vec<Tracked>,
}

impl Tracking {
    /// `base_priority` is the instance's configured priority (1..=255).
    pub fn new(base_priority: u8) -> Tracking {
        Tracking {
            base_priority,
            objects: Vec::new(),
        }
    }

    /// Adds a tracked object. The weight range depends on the kind: up/down objects take
    /// -253..=253, files -254..=254 (keepalived allows 254 "for a negative value being read").
    pub fn add(&mut self, object: Tracked) -> Result<(), WeightError> {
        let limit = match object.status {
            Status::Value(_) => MAX_WEIGHT + 1,
            Status::Up | Status::Down => MAX_WEIGHT,
        };
        if !(-limit..=limit).contains(&object.weight) {
            return Err(WeightError {
                name: object.name,
                weight: object.weight,
            });
        }
        self.objects.push(object);
        Ok(())
    }

    /// Records a new status for the object called `name`; false if there is none.
    pub fn set_status(&mut self, name: &str, status: Status) -> bool {
        let mut found = false;
        for o in self.objects.iter_mut().filter(|o| o.name == name) {
            o.status = status;
            found = true;
        }
        found
    }

    pub fn objects(&self) -> &[Tracked] {
        &self.objects
    }

    /// The verdict for the current statuses.
    pub fn verdict(&self) -> TrackingVerdict {
        let mut fault = false;
        let mut sum: i64 = 0;
        for o in &self.objects {
            match contribution(o) {
                Contribution::Fault => fault = true,
                Contribution::Adjust(n) => sum = sum.saturating_add(n),
            }
        }
        let priority = if self.base_priority == 255 {
            255
        } else {
            i64::from(self.base_priority)
                .saturating_add(sum)
                .clamp(1, 254) as u8
        };
        TrackingVerdict { fault, priority }
    }
}

enum Contribution {
    Fault,
    Adjust(i64),
}

fn contribution(o: &Tracked) -> Contribution {
    let w = i64::from(o.weight);
    match o.status {
        Status::Value(v) => {
            if w == 0 {
                // Not in the man page: `reverse` with weight 0 taken as "zero means failure",
                // as for scripts' 'weight 0 reverse'.
                if (v != 0) != o.reverse {
                    Contribution::Fault
                } else {
                    Contribution::Adjust(0)
                }
            } else {
                let r = v.saturating_mul(w);
                let r = if o.reverse { r.saturating_neg() } else { r };
                if r < FILE_FAULT_BELOW {
                    Contribution::Fault
                } else {
                    Contribution::Adjust(r)
                }
            }
        }
        Status::Up | Status::Down => {
            let up = o.status == Status::Up;
            let sign = if o.reverse { -1 } else { 1 };
            match w {
                // 'weight 0 reverse': the instance is down when the object is up.
                0 if up == o.reverse => Contribution::Fault,
                // reverse keeps when a weight applies and flips its sign (keepalived.conf(5),
                // track_process / track_bfd).
                w if (w > 0 && up) || (w < 0 && !up) => Contribution::Adjust(sign * w),
                _ => Contribution::Adjust(0),
            }
        }
    }
}

/// What to feed the instance when the verdict goes from `old` to `new`: a priority change first
/// (so an instance leaving Fault starts with the right Skew_Time), then entering or leaving
/// tracking Fault.
pub fn verdict_inputs(old: TrackingVerdict, new: TrackingVerdict) -> Vec<Input> {
    let mut out = Vec::new();
    if old.priority != new.priority {
        out.push(Input::PriorityChange(new.priority));
    }
    match (old.fault, new.fault) {
        (false, true) => out.push(Input::TrackFault),
        (true, false) => out.push(Input::TrackOk),
        _ => {}
    }
    out
}
