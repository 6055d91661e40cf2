//! Timestamps as keepalived writes them, in local time: `Sun Dec  6 04:42:10 2026: ` before each
//! console (`-l`) and log file (`-g`) line, and glibc syslog(3)'s `Dec  6 04:42:10` in each
//! syslog datagram (C-locale names, the day padded with a space).

use chrono::{DateTime, Local, TimeZone};

/// Local time now.
pub fn now() -> DateTime<Local> {
    Local::now()
}

/// The prefix of a console or log file line, colon and space included.
pub fn console<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.format("%a %b %e %H:%M:%S %Y: ").to_string()
}

/// The timestamp of a syslog datagram (RFC 3164's TIMESTAMP).
pub fn syslog<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    t.format("%b %e %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, FixedOffset};

    #[test]
    fn keepalived_layouts() {
        let t = FixedOffset::east_opt(3600)
            .unwrap()
            .with_ymd_and_hms(2026, 12, 6, 4, 42, 10)
            .unwrap();
        assert_eq!(console(&t), "Sun Dec  6 04:42:10 2026: ");
        assert_eq!(syslog(&t), "Dec  6 04:42:10");
        let t = t.with_day(16).unwrap();
        assert_eq!(console(&t), "Wed Dec 16 04:42:10 2026: ");
        assert_eq!(syslog(&t), "Dec 16 04:42:10");
    }
}
