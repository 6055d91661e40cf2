//! Small pieces of keepalived's dump layout shared by the files.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `------< TITLE >------`: keepalived's section header, at the start of a line.
pub fn header(out: &mut String, title: &str) {
    let _ = writeln!(out, "------< {title} >------");
}

/// Seconds since the epoch with microseconds, as keepalived's JSON and data dump write them.
pub fn epoch_secs(t: SystemTime) -> f64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    // Through the decimal text, so that the number is the one `1796535198.765702` reads as.
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
        .parse()
        .unwrap_or(0.0)
}

/// `1796535198.765702 (Sun Dec  6 05:33:18.765702 2026)`: keepalived's timestamps in the data
/// dump, the local time as ctime(3) writes it with microseconds.
pub fn timestamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let local: chrono::DateTime<chrono::Local> = t.into();
    format!(
        "{}.{:06} ({})",
        d.as_secs(),
        d.subsec_micros(),
        local.format("%a %b %e %H:%M:%S%.6f %Y")
    )
}

/// An advert interval as keepalived's data dump writes it: `1 sec`, `500 milli-sec`.
pub fn advert_interval(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{} sec", d.as_secs())
    } else {
        format!("{} milli-sec", d.as_millis())
    }
}

/// A duration in whole seconds when it is one, else with its fraction (`5`, `0.5`).
pub fn secs(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{}", d.as_secs_f64())
    }
}

pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_as_keepalived_writes_them() {
        let t = UNIX_EPOCH + Duration::new(1_796_535_198, 765_702_000);
        let s = timestamp(t);
        // The local time's form; its value depends on the zone the test runs in.
        let (secs, human) = s.split_once(' ').unwrap();
        assert_eq!(secs, "1796535198.765702");
        assert!(human.starts_with('(') && human.ends_with(" 2026)"), "{s}");
        assert!(human.contains(".765702 "), "{s}");
        assert_eq!(epoch_secs(t), 1_796_535_198.765_702);
    }

    #[test]
    fn advert_intervals() {
        assert_eq!(advert_interval(Duration::from_secs(1)), "1 sec");
        assert_eq!(advert_interval(Duration::from_millis(500)), "500 milli-sec");
        assert_eq!(
            advert_interval(Duration::from_millis(1500)),
            "1500 milli-sec"
        );
        assert_eq!(secs(Duration::from_millis(500)), "0.5");
        assert_eq!(secs(Duration::from_secs(5)), "5");
    }
}
