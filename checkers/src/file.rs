//! FILE_CHECK: follows a number written in a file (keepalived's `track_file`).
//!
//! The file holds an integer in text (leading blanks, an optional sign, digits; anything
//! after is ignored). A missing, unreadable or non-numeric file reads as 0. With weight 0 the
//! file is a status: 0 is up and any other value down (the other way round with `reverse`).
//! Otherwise value x weight (negated with `reverse`) is added to the real server's weight while
//! the checker is up, and the checker is down when that product is at or below i32::MIN (the
//! fault value). keepalived reads the file when inotify reports a change; keepalived-rs reads
//! it at each delay_loop (the daemon uses 1 s).

use crate::engine::{DynamicWeight, Probe, ProbeFuture, Success};
use std::path::PathBuf;

/// FILE_CHECK.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileCheck {
    pub path: PathBuf,
    pub weight: i32,
    pub reverse: bool,
}

/// keepalived's reading of a track file: a leading integer, else 0; kept within i32.
pub fn parse_value(text: &str) -> i64 {
    let t = text.trim_start();
    let (sign, digits) = match t.as_bytes().first() {
        Some(b'-') => (-1, &t[1..]),
        Some(b'+') => (1, &t[1..]),
        _ => (1, t),
    };
    let end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let magnitude: i64 = digits[..end]
        .parse()
        .unwrap_or(if end == 0 { 0 } else { i64::MAX });
    (sign * magnitude).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

impl FileCheck {
    pub fn new(path: PathBuf, weight: i32, reverse: bool) -> Result<FileCheck, String> {
        if path.as_os_str().is_empty() {
            return Err("FILE_CHECK has no file".into());
        }
        Ok(FileCheck {
            path,
            weight,
            reverse,
        })
    }

    /// The result for a value read from the file.
    pub fn judge(&self, value: i64) -> Result<Success, String> {
        let file = self.path.display();
        if self.weight == 0 {
            return if (value != 0) != self.reverse {
                Err(format!("{file}: value {value}"))
            } else {
                Ok(Success::default())
            };
        }
        let product = value * i64::from(self.weight) * if self.reverse { -1 } else { 1 };
        if product <= i64::from(i32::MIN) {
            return Err(format!(
                "{file}: value {value} x weight {} is the fault value",
                self.weight
            ));
        }
        Ok(Success {
            weight: Some(DynamicWeight::Add(product.min(i64::from(i32::MAX)))),
        })
    }

    async fn run(&self) -> Result<Success, String> {
        let text = tokio::fs::read_to_string(&self.path)
            .await
            .unwrap_or_default();
        self.judge(parse_value(&text))
    }
}

impl Probe for FileCheck {
    fn probe(&self) -> ProbeFuture<'_> {
        Box::pin(async move { Ok(self.run().await?) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_like_keepalived_track_files() {
        assert_eq!(parse_value("42\n"), 42);
        assert_eq!(parse_value("  -7 trailing"), -7);
        assert_eq!(parse_value("+3"), 3);
        assert_eq!(parse_value(""), 0);
        assert_eq!(parse_value("abc"), 0);
        assert_eq!(parse_value("99999999999999999999"), i64::from(i32::MAX));
        assert_eq!(parse_value("-99999999999"), i64::from(i32::MIN));
    }

    #[test]
    fn weight_zero_is_a_status() {
        let f = FileCheck::new("/x".into(), 0, false).unwrap();
        assert!(f.judge(0).is_ok());
        assert!(f.judge(1).is_err());
        let r = FileCheck::new("/x".into(), 0, true).unwrap();
        assert!(r.judge(0).is_err());
        assert!(r.judge(5).is_ok());
    }

    #[test]
    fn a_weight_adds_value_times_weight() {
        let f = FileCheck::new("/x".into(), 3, false).unwrap();
        assert_eq!(f.judge(2).unwrap().weight, Some(DynamicWeight::Add(6)));
        assert_eq!(f.judge(-2).unwrap().weight, Some(DynamicWeight::Add(-6)));
        let r = FileCheck::new("/x".into(), 3, true).unwrap();
        assert_eq!(r.judge(2).unwrap().weight, Some(DynamicWeight::Add(-6)));
        let big = FileCheck::new("/x".into(), i32::MAX, false).unwrap();
        assert!(big.judge(i64::from(i32::MIN)).is_err());
    }
}
