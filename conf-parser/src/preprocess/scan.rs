//! One pass over a raw line: where its text is, where a comment starts, whether it needs
//! parameter substitution (most lines do not, and are lexed straight from the file's text).

/// What one pass over a line finds: its length up to the '\n' (or the end), and before any comment
/// the range of its text without surrounding blanks and whether it holds a `$`. The quote and
/// escape rules are [`strip_comment`]'s.
pub(super) struct LineScan {
    pub(super) len: usize,
    pub(super) first: usize,
    pub(super) last: usize,
    pub(super) dollar: bool,
}

pub(super) fn scan_line(s: &str) -> LineScan {
    let all = s.as_bytes();
    // Eight bytes at a time (SWAR): the first byte that ends the line's text (`\n`, `#`, `!`) or
    // needs the quote-aware scan (`"`, `'`, `\\`), and whether a `$` comes before it. Lines
    // are short, so this beats both a byte loop and separate SIMD searches with their set-up.
    let mut dollar = false;
    let mut i = 0;
    let stop = loop {
        if i >= all.len() {
            break all.len();
        }
        let x = match all.get(i..i + 8) {
            Some(c) => u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
            None => {
                // The tail, padded with zero bytes (none of the bytes looked for).
                let mut c = [0u8; 8];
                c[..all.len() - i].copy_from_slice(&all[i..]);
                u64::from_le_bytes(c)
            }
        };
        let stops = swar::eq(x, b'\n')
            | swar::eq(x, b'#')
            | swar::eq(x, b'!')
            | swar::eq(x, b'"')
            | swar::eq(x, b'\'')
            | swar::eq(x, b'\\');
        let dollars = swar::eq(x, b'$');
        if stops != 0 {
            // The lowest flagged byte is always a true match (see `swar::eq`).
            let bit = stops.trailing_zeros();
            dollar |= dollars & ((1u64 << bit) - 1) != 0;
            break i + (bit / 8) as usize;
        }
        dollar |= dollars != 0;
        i += 8;
    };
    if matches!(all.get(stop), Some(b'"' | b'\'' | b'\\')) {
        let len = stop + memchr::memchr(b'\n', &all[stop..]).unwrap_or(all.len() - stop);
        return scan_line_quoted(&all[..len]);
    }
    let cut = stop;
    // After a comment only the end of the line matters (whatever the comment holds); most lines
    // have none, and end where the search stopped.
    let len = match all.get(cut) {
        Some(b'\n') | None => cut,
        Some(_) => cut + memchr::memchr(b'\n', &all[cut..]).unwrap_or(all.len() - cut),
    };
    let body = &all[..cut];
    let first = body
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(cut);
    let last = body
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(first, |p| p + 1);
    LineScan {
        len,
        first,
        last,
        dollar,
    }
}

/// Byte searches within a `u64` (eight bytes, the first in the low byte).
pub(super) mod swar {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;

    /// The high bit of each byte of `x` equal to `c`. A borrow can also flag a byte above a
    /// true match, never below one: the lowest flagged byte is always a true match, and a mask
    /// is zero exactly when there is none.
    pub fn eq(x: u64, c: u8) -> u64 {
        let v = x ^ (ONES * u64::from(c));
        v.wrapping_sub(ONES) & !v & HIGHS
    }
}

/// [`scan_line`] for a line (without its '\n') that has quotes or backslashes.
pub(super) fn scan_line_quoted(b: &[u8]) -> LineScan {
    let (mut quote, mut escaped, mut dollar) = (0u8, false, false);
    let (mut first, mut last) = (None, 0);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            break;
        }
        if escaped {
            escaped = false;
        } else if c == b'\\' {
            escaped = true;
        } else if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'#' || c == b'!' {
            // A comment: only the end of the line matters now.
            i += b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .unwrap_or(b.len() - i);
            break;
        }
        dollar |= c == b'$';
        if !c.is_ascii_whitespace() {
            first.get_or_insert(i);
            last = i + 1;
        }
        i += 1;
    }
    let first = first.unwrap_or(last);
    LineScan {
        len: i,
        first,
        last,
        dollar,
    }
}

/// Cuts a comment: `#` or `!` outside quotes, to the end of the line. Works on bytes: every
/// character it looks for is ASCII, so its positions are character boundaries.
pub(super) fn strip_comment(text: &str) -> &str {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, b) {
            (_, b'\\') => escaped = true,
            (Some(q), b) if b == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(b),
            (None, b'#' | b'!') => return &text[..i],
            _ => {}
        }
    }
    text
}
