//! genhash's verbose output (`-v`): section banners and hex dumps, laid out as genhash lays
//! them out, so that the two can be compared line for line.

use std::fmt::Write;

pub const HEADER: &str =
    "-----------------------[    HTTP Header Buffer    ]-----------------------\n";
pub const HEADER_TEXT: &str =
    "-----------------------[ HTTP Header Ascii Buffer ]-----------------------\n";
pub const BODY: &str =
    "-----------------------[        HTML Buffer        ]-----------------------\n";
pub const HASH: &str =
    "-----------------------[    HTML hash resulting    ]-----------------------\n";
pub const HASH_FINAL: &str =
    "-----------------------[ HTML hash final resulting ]-----------------------\n";

/// 16 bytes a line: the offset (decimal, from 0 for each dump), the bytes in hex with a `-`
/// after the eighth, then the printable ones as text (`.` for the others).
pub fn dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:04}  ", i * 16);
        for slot in 0..16 {
            if slot == 8 {
                out.push_str("- ");
            }
            match line.get(slot) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
        }
        out.push_str("  ");
        for slot in 0..16 {
            out.push(match line.get(slot) {
                Some(&b) if (0x20..0x7f).contains(&b) => b as char,
                Some(_) => '.',
                None => ' ',
            });
        }
        out.push('\n');
    }
    out
}

/// The last line of a verbose run.
pub fn response_time(url: &str, usecs: u128) -> String {
    format!("Global response time for [{url}] = {usecs} usecs\n")
}

#[cfg(test)]
mod tests {
    use super::dump;

    #[test]
    fn lines_as_genhash_lays_them_out() {
        // Taken from genhash's own output for the same bytes.
        assert_eq!(
            dump(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
            "0000  48 54 54 50 2f 31 2e 31 - 20 32 30 30 20 4f 4b 0d   HTTP/1.1 200 OK.\n\
             0016  0a 43 6f 6e 74 65 6e 74 - 2d 4c 65 6e 67 74 68 3a   .Content-Length:\n\
             0032  20 35 0d 0a 0d 0a       -                            5....          \n"
        );
        assert_eq!(
            dump(b"hello"),
            "0000  68 65 6c 6c 6f          -                           hello           \n"
        );
        assert_eq!(dump(b""), "");
    }
}
