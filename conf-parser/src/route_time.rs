//! A route's `rtt`, `rttvar` and `rto_min` values, read as keepalived 2.2.7 reads them, into
//! the number the kernel is given (`RTAX_RTT` counts eighths of a millisecond, `RTAX_RTTVAR`
//! quarters, `RTAX_RTO_MIN` milliseconds). Pure.
//!
//! Measured (keepalived 2.2.7's daemon in a network namespace, its netlink messages read with
//! strace, and its `-t`):
//! - a value is a decimal number (`1.5`, `.5`, `1.` too; no hexadecimal, no exponent) then
//!   nothing (the kernel's own units, as `ip route` reads it), `ms`/`msec`/`msecs`, or
//!   `s`/`sec`/`secs`; anything else drops the route (`Invalid rtt 10us for route`);
//! - the number is at most 960000 for rtt, 480000 for rttvar, 120000 for rto_min (in its
//!   unit: the same for `ms`, a thousandth of it for seconds: `rtt 961s` is too large), else
//!   the route is dropped (`number '960001' outside range [0., 960000.]`);
//! - decimals beyond whole units (beyond milliseconds for seconds) are rounded, half up, with
//!   an error its `-t` fails on (`number '201.5' has too many decimal places`), the route kept;
//! - a time is then held between 200 ms and 120 s (`rtt 10ms` installs 200 ms, `rtt 121s`
//!   120 s, where `ip route` installs 10 ms), and a number in the kernel's units at least the
//!   kernel's units of 200 ms (`rtt 1000` installs 1600); `rto_min` is not locked unless
//!   written `lock` (where `ip route` always locks it).

/// The metrics, and how many kernel units make a millisecond.
const KINDS: &[(&str, u32)] = &[("rtt", 8), ("rttvar", 4), ("rto_min", 1)];

/// The bounds keepalived holds a time within, in milliseconds.
const MIN_MS: u64 = 200;
const MAX_MS: u64 = 120_000;

/// Whether `name` is one of the three.
pub fn is_route_time(name: &str) -> bool {
    KINDS.iter().any(|(n, _)| *n == name)
}

/// What a value gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTime {
    /// The kernel's number.
    pub raw: u32,
    /// The value had decimals keepalived rounded (its `-t` fails on it).
    pub rounded: bool,
}

/// `text`, the value of metric `name`, or why keepalived drops the route.
pub fn route_time(name: &str, text: &str) -> Result<RouteTime, String> {
    let &(_, per_ms) = KINDS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("{name} is not a time"))?;
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    // Thousandths of a millisecond per unit, and the decimals allowed.
    let (scale, decimals) = match unit {
        "" => (0, 0),
        "ms" | "msec" | "msecs" => (1, 0),
        "s" | "sec" | "secs" => (1000, 3),
        _ => {
            return Err(format!(
                "{name} {text}: expected a number, NUMBERms or NUMBERs"
            ))
        }
    };
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if (whole.is_empty() && frac.is_empty()) || frac.contains('.') {
        return Err(format!(
            "{name} {text}: expected a number, NUMBERms or NUMBERs"
        ));
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| format!("{name} {text}: too large"))?
    };
    // The number in units of 10^-decimals, rounded half up.
    let pow = 10u64.pow(decimals);
    let mut frac_digits = frac.chars().map(|c| u64::from(c as u8 - b'0'));
    let mut fixed = whole.saturating_mul(pow);
    let mut p = pow;
    for d in frac_digits.by_ref().take(decimals as usize) {
        p /= 10;
        fixed += d * p;
    }
    let rest: Vec<u64> = frac_digits.collect();
    let rounded = rest.iter().any(|&d| d != 0);
    if rest.first().is_some_and(|&d| d >= 5) {
        fixed += 1;
    }
    let limit = MAX_MS * u64::from(per_ms);
    // The limit is in the value's own unit: the kernel's, milliseconds, or seconds.
    let limit_fixed = if scale == 1000 { limit } else { limit * pow };
    if fixed > limit_fixed {
        let shown = if scale == 1000 {
            format!("{}.000", limit / 1000)
        } else {
            format!("{limit}")
        };
        return Err(format!(
            "{name} {text}: outside the range 0 to {shown}{unit}"
        ));
    }
    let raw = if scale == 0 {
        fixed.max(MIN_MS * u64::from(per_ms))
    } else {
        // Milliseconds: seconds are held in thousandths, i.e. milliseconds.
        fixed.clamp(MIN_MS, MAX_MS) * u64::from(per_ms)
    };
    Ok(RouteTime {
        raw: raw as u32,
        rounded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(name: &str, text: &str) -> u32 {
        route_time(name, text).unwrap().raw
    }

    #[test]
    fn as_keepalived_2_2_7_installs_them() {
        // Each pair measured: what keepalived 2.2.7 sent the kernel.
        for (name, text, want) in [
            ("rtt", "10", 1600),
            ("rtt", "10ms", 1600),
            ("rtt", "1599", 1600),
            ("rtt", "1601", 1601),
            ("rtt", "8001", 8001),
            ("rtt", "201ms", 1608),
            ("rtt", "1s", 8000),
            ("rtt", "1.5s", 12000),
            ("rtt", "0.5s", 4000),
            ("rtt", "120s", 960000),
            ("rtt", "121s", 960000),
            ("rtt", "120001ms", 960000),
            ("rtt", "959999", 959999),
            ("rtt", "10secs", 80000),
            ("rttvar", "801", 801),
            ("rttvar", "480000", 480000),
            ("rttvar", "121s", 480000),
            ("rttvar", "10msec", 800),
            ("rto_min", "100", 200),
            ("rto_min", "199", 200),
            ("rto_min", "201", 201),
            ("rto_min", "120s", 120000),
            ("rto_min", "2sec", 2000),
            ("rto_min", "0.25s", 250),
        ] {
            assert_eq!(raw(name, text), want, "{name} {text}");
        }
    }

    #[test]
    fn decimals_beyond_the_unit_are_rounded_half_up() {
        assert_eq!(
            route_time("rtt", "201.5ms"),
            Ok(RouteTime {
                raw: 1616,
                rounded: true
            })
        );
        assert_eq!(raw("rtt", "201.2ms"), 1608);
        assert_eq!(raw("rto_min", "200.5"), 201);
        assert_eq!(raw("rto_min", "201.5ms"), 202);
        assert!(!route_time("rtt", "1.25s").unwrap().rounded);
        assert!(route_time("rtt", "1.2345s").unwrap().rounded);
        assert_eq!(raw("rtt", ".5s"), 4000);
        assert_eq!(raw("rtt", "1.s"), 8000);
    }

    #[test]
    fn what_keepalived_drops_the_route_for() {
        for (name, text) in [
            ("rtt", "960001"),
            ("rtt", "99999999ms"),
            ("rtt", "961s"),
            ("rttvar", "480001"),
            ("rto_min", "120001"),
            ("rto_min", "120001ms"),
            ("rto_min", "121s"),
            ("rtt", "10us"),
            ("rtt", "0x10"),
            ("rtt", "-1"),
            ("rtt", "5s5"),
            ("rtt", "s"),
            ("rtt", "1e3ms"),
            ("rtt", "1.2.3"),
        ] {
            assert!(route_time(name, text).is_err(), "{name} {text}");
        }
    }
}
