//! The `regex` of an HTTP_GET/SSL_GET url, on the `regex` crate rather than PCRE2.
//!
//! The options that change what matches are mapped (`caseless`, `multiline`, `dotall`,
//! `extended`, `ungreedy`, `utf`/`ucp` for Unicode classes); those that only tune PCRE2's
//! engine are accepted and have no effect. A pattern or option the `regex` crate cannot honour
//! (backreferences, lookaround, `firstline`, `alt_bsux`, ...) is a configuration error, never a
//! silently different match. The body is matched as bytes, up to [`MAX_BODY`] bytes.

use regex::bytes::{Regex, RegexBuilder};

/// How much of the body is kept for matching.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// `regex`, `regex_no_match`, `regex_options`, `regex_min_offset`, `regex_max_offset`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegexSpec {
    pub pattern: String,
    /// A match fails the check.
    pub no_match: bool,
    pub options: Vec<String>,
    pub min_offset: Option<u64>,
    pub max_offset: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct BodyRegex {
    regex: Regex,
    spec: RegexSpec,
}

const NO_EFFECT: [&str; 11] = [
    "auto_callout",
    "dupnames",
    "never_ucp",
    "never_utf",
    "no_auto_capture",
    "no_auto_possess",
    "no_dotstar_anchor",
    "no_start_optimize",
    "never_backslash_c",
    "alt_verbnames",
    "use_offset_limit",
];

impl BodyRegex {
    pub fn new(spec: RegexSpec) -> Result<BodyRegex, String> {
        let mut b = RegexBuilder::new(&spec.pattern);
        b.unicode(false);
        for o in &spec.options {
            match o.as_str() {
                "caseless" => b.case_insensitive(true),
                "multiline" => b.multi_line(true),
                "dotall" => b.dot_matches_new_line(true),
                "extended" => b.ignore_whitespace(true),
                "ungreedy" => b.swap_greed(true),
                "utf" | "ucp" => b.unicode(true),
                o if NO_EFFECT.contains(&o) => &mut b,
                o => return Err(format!("regex_options {o} is not supported")),
            };
        }
        if let (Some(min), Some(max)) = (spec.min_offset, spec.max_offset) {
            if min > max {
                return Err(format!("regex_min_offset {min} > regex_max_offset {max}"));
            }
        }
        let regex = b
            .build()
            .map_err(|e| format!("regex {:?}: {e}", spec.pattern))?;
        Ok(BodyRegex { regex, spec })
    }

    /// Whether the body passes: a match starting within the offsets, or none with no_match.
    pub fn check(&self, body: &[u8]) -> Result<(), String> {
        let min = usize::try_from(self.spec.min_offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let found = if min > body.len() {
            None
        } else {
            self.regex.find_at(body, min).filter(|m| {
                self.spec
                    .max_offset
                    .map_or(true, |max| u64::try_from(m.start()).is_ok_and(|s| s <= max))
            })
        };
        match (found, self.spec.no_match) {
            (Some(_), false) | (None, true) => Ok(()),
            (None, false) => Err(format!(
                "regex {:?} not found in the body",
                self.spec.pattern
            )),
            (Some(m), true) => Err(format!(
                "regex {:?} found at offset {}",
                self.spec.pattern,
                m.start()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(pattern: &str, options: &[&str]) -> BodyRegex {
        let options = options.iter().map(|s| s.to_string()).collect();
        BodyRegex::new(RegexSpec {
            pattern: pattern.into(),
            options,
            ..RegexSpec::default()
        })
        .unwrap()
    }

    #[test]
    fn matches_and_options() {
        assert!(re("status: ok", &[]).check(b"<p>status: ok</p>").is_ok());
        assert!(re("STATUS", &[]).check(b"status").is_err());
        assert!(re("STATUS", &["caseless"]).check(b"status").is_ok());
        assert!(re("^b$", &[]).check(b"a\nb\nc").is_err());
        assert!(re("^b$", &["multiline"]).check(b"a\nb\nc").is_ok());
        assert!(re("a.b", &["dotall"]).check(b"a\nb").is_ok());
        assert!(re("a b", &["extended"]).check(b"ab").is_ok());
        // Bytes that are not UTF-8 are matched as bytes.
        assert!(re("ok", &[]).check(b"\xff\xfeok").is_ok());
        assert!(re("ok", &["no_start_optimize"]).check(b"ok").is_ok());
    }

    #[test]
    fn no_match_and_offsets() {
        let spec = |no_match, min, max| RegexSpec {
            pattern: "ok".into(),
            no_match,
            options: vec![],
            min_offset: min,
            max_offset: max,
        };
        let body = b"ok....ok";
        assert!(BodyRegex::new(spec(true, None, None))
            .unwrap()
            .check(body)
            .is_err());
        assert!(BodyRegex::new(spec(true, None, None))
            .unwrap()
            .check(b"fail")
            .is_ok());
        // From offset 1 the first match starts at 6.
        assert!(BodyRegex::new(spec(false, Some(1), Some(5)))
            .unwrap()
            .check(body)
            .is_err());
        assert!(BodyRegex::new(spec(false, Some(1), Some(6)))
            .unwrap()
            .check(body)
            .is_ok());
        assert!(BodyRegex::new(spec(false, Some(100), None))
            .unwrap()
            .check(body)
            .is_err());
        assert!(BodyRegex::new(spec(false, Some(7), Some(6)))
            .unwrap_err()
            .contains("regex_min_offset"));
    }

    #[test]
    fn what_the_regex_crate_cannot_do_is_an_error() {
        let err = |p: &str, o: &[&str]| {
            let options = o.iter().map(|s| s.to_string()).collect();
            BodyRegex::new(RegexSpec {
                pattern: p.into(),
                options,
                ..RegexSpec::default()
            })
            .unwrap_err()
        };
        assert!(err(r"(a)\1", &[]).contains("regex"));
        assert!(err(r"a(?=b)", &[]).contains("regex"));
        assert!(err("a", &["firstline"]).contains("firstline"));
    }
}
