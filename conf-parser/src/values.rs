//! Parsing of single values, with keepalived's syntax: `<BOOL>` is on|off|true|false|yes|no,
//! `<TIMER>` is decimal seconds with microsecond resolution. Each function returns a message
//! fit to follow "invalid value 'X' for KEYWORD: ".

use serde::{Serialize, Serializer};
use std::net::IpAddr;
use std::time::Duration;

/// A duration that the dump shows as seconds (a JSON number, fractional where needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timer(pub Duration);

impl Timer {
    pub const fn secs(s: u64) -> Timer {
        Timer(Duration::from_secs(s))
    }
    pub const fn micros(us: u64) -> Timer {
        Timer(Duration::from_micros(us))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0.as_secs_f64()
    }
}

impl Serialize for Timer {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        if d.subsec_nanos() == 0 {
            s.serialize_u64(d.as_secs())
        } else {
            s.serialize_f64(d.as_secs_f64())
        }
    }
}

/// An address with a prefix length, shown as `addr/len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl std::fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

impl Serialize for IpPrefix {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        _ => Err("expected one of on, off, true, false, yes, no".into()),
    }
}

/// An integer in `min..=max`. keepalived accepts decimal only, with an optional sign.
pub fn parse_int(s: &str, min: i64, max: i64) -> Result<i64, String> {
    let v: i64 = s.parse().map_err(|_| "expected an integer".to_string())?;
    if v < min || v > max {
        return Err(format!("must be between {min} and {max}"));
    }
    Ok(v)
}

/// What C's `strtoul` reads of a word that is not a whole number: its leading digits ("7x" is
/// 7, "3.5" is 3, "soon" is 0). None for a negative number or one too large.
pub fn leading_digits(s: &str) -> Option<i64> {
    if s.starts_with('-') {
        return None;
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let digits: &str = &s[..s.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse().ok()
}

/// Decimal seconds with up to six fractional digits, in `min..=max` seconds.
pub fn parse_timer(s: &str, min: f64, max: f64) -> Result<Timer, String> {
    let bad = || "expected seconds, such as 3 or 0.5".to_string();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let secs: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| bad())?
    };
    // Microsecond resolution, as keepalived: further digits are dropped.
    let mut micros: u64 = 0;
    for (i, b) in frac.bytes().take(6).enumerate() {
        micros += u64::from(b - b'0') * 10u64.pow(5 - i as u32);
    }
    let t = Timer(Duration::from_secs(secs) + Duration::from_micros(micros));
    let v = t.as_secs_f64();
    if v < min || v > max {
        return Err(format!("must be between {min} and {max} seconds"));
    }
    Ok(t)
}

pub fn parse_ip(s: &str) -> Result<IpAddr, String> {
    s.parse()
        .map_err(|_| "expected an IPv4 or IPv6 address".to_string())
}

/// `ADDR[/LEN]`; without a length the whole address (32 or 128) is meant.
pub fn parse_prefix(s: &str) -> Result<IpPrefix, String> {
    let (a, l) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr = parse_ip(a)?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = match l {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => return Err(format!("prefix length must be between 0 and {max}")),
        },
    };
    Ok(IpPrefix { addr, len })
}

pub fn parse_port(s: &str) -> Result<u16, String> {
    parse_int(s, 0, 65535)
        .map(|v| v as u16)
        .map_err(|_| "expected a port number 0..65535".into())
}

/// Splits a command line as keepalived does before running it: words separated by blanks,
/// `'...'` and `"..."` group, a backslash keeps the next character.
pub fn split_command(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(next);
                }
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        out.push(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers() {
        assert_eq!(parse_timer("3", 0.0, 10.0), Ok(Timer::secs(3)));
        assert_eq!(parse_timer("0.1", 0.0, 10.0), Ok(Timer::micros(100_000)));
        assert_eq!(
            parse_timer("2.718281828", 0.0, 10.0),
            Ok(Timer::micros(2_718_281))
        );
        assert_eq!(parse_timer(".5", 0.0, 10.0), Ok(Timer::micros(500_000)));
        assert!(parse_timer("1e3", 0.0, 1e9).is_err());
        assert!(parse_timer("-1", 0.0, 1e9).is_err());
        assert!(parse_timer(".", 0.0, 1e9).is_err());
        assert!(parse_timer("11", 0.0, 10.0).is_err());
    }

    #[test]
    fn timers_dump_as_numbers() {
        assert_eq!(serde_json::to_string(&Timer::secs(6)).unwrap(), "6");
        assert_eq!(
            serde_json::to_string(&Timer::micros(1_500_000)).unwrap(),
            "1.5"
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(
            parse_prefix("10.0.0.1/24").unwrap().to_string(),
            "10.0.0.1/24"
        );
        assert_eq!(parse_prefix("fe80::1").unwrap().len, 128);
        assert!(parse_prefix("10.0.0.1/33").is_err());
    }

    #[test]
    fn bools_and_ints() {
        assert_eq!(parse_bool("Yes"), Ok(true));
        assert!(parse_bool("1").is_err());
        assert_eq!(parse_int("-253", -253, 253), Ok(-253));
        assert_eq!(
            parse_int("256", 1, 255),
            Err("must be between 1 and 255".into())
        );
    }
}
