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

/// keepalived's word separators (C's isspace: `\v` too).
fn is_separator(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The byte an escape sequence after a backslash stands for, and how many bytes of `rest` (what
/// follows the backslash, not empty) it takes, as keepalived 2.2.7 reads script lines and
/// regexes: `\xH...` (every hex digit that follows, the value kept to 8 bits), `\cX` (X's low
/// five bits), `\N`, `\NN`, `\NNN` (octal, kept to 8 bits), `\a \b \E \f \n \r \t \v`, and any
/// other character standing for itself (`\\`, `\"`, `\'`, `\q` is `q`).
fn escape(rest: &[u8]) -> (u8, usize) {
    match rest[0] {
        b'x' if rest.get(1).is_some_and(u8::is_ascii_hexdigit) => {
            let digits = rest[1..]
                .iter()
                .take_while(|d| d.is_ascii_hexdigit())
                .count();
            let value = rest[1..=digits].iter().fold(0u8, |v, d| {
                let n = (*d as char).to_digit(16).unwrap_or(0) as u8;
                v.wrapping_shl(4) | n
            });
            (value, 1 + digits)
        }
        b'c' if rest.len() > 1 => (rest[1] & 0x1f, 2),
        b'0'..=b'7' => {
            let digits = rest
                .iter()
                .take(3)
                .take_while(|d| matches!(d, b'0'..=b'7'))
                .count();
            let value = rest[..digits]
                .iter()
                .fold(0u8, |v, d| v.wrapping_shl(3).wrapping_add(d - b'0'));
            (value, digits)
        }
        c => {
            let byte = match c {
                b'a' => 0x07,
                b'b' => 0x08,
                b'E' => 0x1b,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'v' => 0x0b,
                other => other,
            };
            (byte, 1)
        }
    }
}

/// A word's bytes as keepalived keeps them: C strings end at the first NUL (`\0`).
fn word_text(mut bytes: Vec<u8>) -> String {
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        bytes.truncate(nul);
    }
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// A word with keepalived 2.2.7's escapes decoded (see [`escape`]): what it makes of the words
/// of a script's line and of an HTTP_GET `regex`, where it decodes them once more than in any
/// other string (those keep their backslashes as written). A backslash that ends the text stays.
pub fn decode_escapes(text: &str) -> String {
    if !text.contains('\\') {
        return text.to_string();
    }
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            let (byte, taken) = escape(&b[i + 1..]);
            out.push(byte);
            i += 1 + taken;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    word_text(out)
}

/// Splits a script's command line into its program and arguments as keepalived 2.2.7 does: the
/// command word's escapes are decoded (as every word of a script's line, [`decode_escapes`]),
/// then the result is split again with the same rules: words separated by blanks, `"..."` and
/// `'...'` group (and join what touches them), escapes decoded again, inside quotes and out.
/// So `"/bin/echo \\t"` runs `/bin/echo` with a tab, and `a\ b` is one argument.
pub fn split_command(text: &str) -> Vec<String> {
    split(text).0
}

/// [`split_command`], or why keepalived 2.2.7 cannot split the line: a quote left open
/// (`missing terminating "`) or a backslash that ends it. It then logs `Unable to parse script
/// '...' - ignoring` and does not run the script (measured).
pub fn try_split_command(text: &str) -> Result<Vec<String>, String> {
    match split(text) {
        (words, None) => Ok(words),
        (_, Some(why)) => Err(why),
    }
}

/// The words, and what keepalived 2.2.7 finds wrong with the line, if anything.
fn split(text: &str) -> (Vec<String>, Option<String>) {
    let mut wrong = None;
    let once = decode_escapes(text);
    let b = once.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while b.get(i).is_some_and(|&c| is_separator(c)) {
            i += 1;
        }
        if i >= b.len() {
            return (out, wrong);
        }
        let mut word = Vec::new();
        let mut quote: Option<u8> = None;
        while let Some(&c) = b.get(i) {
            match (quote, c) {
                (_, b'\\') if i + 1 < b.len() => {
                    let (byte, taken) = escape(&b[i + 1..]);
                    word.push(byte);
                    i += 1 + taken;
                    continue;
                }
                (_, b'\\') => {
                    wrong = Some("it ends with a backslash".to_string());
                    word.push(c);
                }
                (Some(q), c) if c == q => quote = None,
                (None, b'"' | b'\'') => quote = Some(c),
                (None, c) if is_separator(c) => break,
                (_, c) => word.push(c),
            }
            i += 1;
        }
        if let Some(q) = quote {
            wrong = Some(format!("missing terminating {}", q as char));
        }
        out.push(word_text(word));
    }
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

    /// Each escape form keepalived 2.2.7 decodes in a script's line, as its -d dump shows the
    /// command (measured: `'/bin/echo' '^A' 'A' ' A' 'q'` for `"/bin/echo \1 \x41 \\ \101 \q"`).
    #[test]
    fn escapes_as_keepalived_decodes_them() {
        assert_eq!(decode_escapes(r"a\tb\x41\101\cA\q\\z"), "a\tbAA\u{1}q\\z");
        assert_eq!(
            decode_escapes(r"\a\b\E\f\n\r\v"),
            "\x07\x08\x1b\x0c\n\r\x0b"
        );
        // Every hex digit that follows, kept to 8 bits; `\x` without one is `x`.
        assert_eq!(decode_escapes(r"\x414"), "\x14");
        assert_eq!(decode_escapes(r"\xg"), "xg");
        // Octal: at most three digits, kept to 8 bits.
        assert_eq!(decode_escapes(r"\1014"), "A4");
        assert_eq!(decode_escapes(r"\7"), "\x07");
        // \c: the next character's low five bits.
        assert_eq!(decode_escapes(r"\c?\ca"), "\x1f\x01");
        assert_eq!(decode_escapes(r#"\"x\'"#), "\"x'");
        // A NUL ends the word, as it ends a C string.
        assert_eq!(decode_escapes(r"ab\0cd"), "ab");
        assert_eq!(decode_escapes(r"(ok)\1"), "(ok)\u{1}");
        assert_eq!(decode_escapes(r"(ok)\\1"), "(ok)\\1");
        assert_eq!(decode_escapes("plain"), "plain");
        assert_eq!(decode_escapes("end\\"), "end\\");
    }

    /// keepalived 2.2.7 does not run a script whose line leaves a quote open or ends with a
    /// backslash (measured: daemon/tests/netns_script_quoting.rs).
    #[test]
    fn what_keepalived_cannot_split() {
        assert_eq!(
            try_split_command(r#"/bin/echo a"b c"#),
            Err("missing terminating \"".into())
        );
        assert_eq!(
            try_split_command("/bin/echo it's x"),
            Err("missing terminating '".into())
        );
        // Decoded once as a word (`\\\\` is `\\`), then split: `c\` ends with a backslash.
        assert_eq!(
            try_split_command(r"/bin/echo a\\b c\\"),
            Err("it ends with a backslash".into())
        );
        assert_eq!(
            try_split_command(r#"/bin/echo 'a\"b' "a'b" '' x"#),
            Ok(vec![
                "/bin/echo".into(),
                "a\"b".into(),
                "a'b".into(),
                "".into(),
                "x".into()
            ])
        );
    }

    #[test]
    fn commands_split_as_keepalived_splits_them() {
        assert_eq!(
            split_command(r"/bin/echo \1 \x41 \\ \101 \q"),
            ["/bin/echo", "\u{1}", "A", " A", "q"]
        );
        // Decoded once as a word of the line (\t: a tab, which then separates words), then
        // again when split (\\t: \t, a tab within the word).
        assert_eq!(split_command(r"/bin/echo a\tbA"), ["/bin/echo", "a", "bA"]);
        assert_eq!(split_command(r"/bin/echo a\\tb"), ["/bin/echo", "a\tb"]);
        assert_eq!(
            split_command(r#"/bin/x 'a b' "c 'd'" e"f g"h \\\"i"#),
            ["/bin/x", "a b", "c 'd'", "ef gh", "\"i"]
        );
        assert_eq!(split_command(r"/bin/x a\\ b"), ["/bin/x", "a b"]);
        assert_eq!(split_command("  "), Vec::<String>::new());
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
