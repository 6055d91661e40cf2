//! The small grammars inside a line: parameter names and definitions, `~SEQ`/`~LST`
//! arguments, `${NAME}` references, and an include pattern's braces.

use super::MAX_BRACE_ALTERNATIVES;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, hex_digit1, multispace0};
use nom::combinator::{map_res, opt, recognize};
use nom::multi::separated_list1;
use nom::sequence::{delimited, pair, preceded};
use nom::IResult;

pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(super) fn param_name(i: &str) -> IResult<&str, &str> {
    recognize(pair(take_while1(is_name_start), take_while(is_name_char)))(i)
}

/// `$NAME=` at the start of a (trimmed) line.
pub(super) fn definition(i: &str) -> IResult<&str, &str> {
    delimited(char('$'), param_name, char('='))(i)
}

/// A number in a `~SEQ`: decimal or `0x` hex, optionally negative.
pub(super) fn seq_number(i: &str) -> IResult<&str, i64> {
    let (i, neg) = opt(char('-'))(i)?;
    let (i, v) = alt((
        map_res(preceded(alt((tag("0x"), tag("0X"))), hex_digit1), |h| {
            i64::from_str_radix(h, 16)
        }),
        map_res(take_while1(|c: char| c.is_ascii_digit()), |d: &str| {
            d.parse::<i64>()
        }),
    ))(i)?;
    Ok((i, if neg.is_some() { -v } else { v }))
}

pub(super) fn ws<'a, O>(
    f: impl FnMut(&'a str) -> IResult<&'a str, O>,
) -> impl FnMut(&'a str) -> IResult<&'a str, O> {
    delimited(multispace0, f, multispace0)
}

/// `~SEQ(var, [start, [step,]] end)` or `~SEQx(...)`: the variable, the values as text, the rest.
pub(super) fn seq_spec(i: &str) -> IResult<&str, (bool, &str, Vec<i64>)> {
    let (i, hex) = alt((
        nom::combinator::value(true, tag("~SEQx(")),
        nom::combinator::value(false, tag("~SEQ(")),
    ))(i)?;
    let (i, var) = ws(param_name)(i)?;
    let (i, nums) = preceded(char(','), separated_list1(char(','), ws(seq_number)))(i)?;
    let (i, _) = char(')')(i)?;
    Ok((i, (hex, var, nums)))
}

/// A `~LST` value or variable name: up to the next `,`, `}` or `)`.
pub(super) fn lst_item(i: &str) -> IResult<&str, &str> {
    ws(take_while(|c: char| !matches!(c, ',' | '}' | ')' | '{')))(i)
}

/// `{a, b}` or a single item.
pub(super) fn lst_group(i: &str) -> IResult<&str, Vec<&str>> {
    alt((
        delimited(
            ws(char('{')),
            separated_list1(char(','), lst_item),
            ws(char('}')),
        ),
        nom::combinator::map(lst_item, |v| vec![v]),
    ))(i)
}

/// `~LST(var, v1, v2, ...)` or `~LST({a, b}, {1, 2}, ...)`: variables, value tuples.
pub(super) fn lst_spec(i: &str) -> IResult<&str, (Vec<&str>, Vec<Vec<&str>>)> {
    let (i, _) = tag("~LST(")(i)?;
    let (i, vars) = lst_group(i)?;
    let (i, values) = preceded(char(','), separated_list1(char(','), lst_group))(i)?;
    let (i, _) = char(')')(i)?;
    Ok((i, (vars, values)))
}

/// csh-style brace expansion of an include pattern: `a{b,c{d,e}}` -> `ab acd ace`. None when it
/// would make more than [`MAX_BRACE_ALTERNATIVES`] patterns.
pub fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_braces_into(pattern, &mut out).then_some(out)
}

pub(super) fn expand_braces_into(pattern: &str, out: &mut Vec<String>) -> bool {
    let bytes: Vec<char> = pattern.chars().collect();
    let Some(open) = bytes.iter().position(|&c| c == '{') else {
        out.push(pattern.to_string());
        return out.len() <= MAX_BRACE_ALTERNATIVES;
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (i, &c) in bytes.iter().enumerate().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            ',' if depth == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        out.push(pattern.to_string());
        return out.len() <= MAX_BRACE_ALTERNATIVES;
    };
    let prefix: String = bytes[..open].iter().collect();
    let suffix: String = bytes[close + 1..].iter().collect();
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    for w in bounds.windows(2) {
        let alt: String = bytes[w[0] + 1..w[1]].iter().collect();
        if !expand_braces_into(&format!("{prefix}{alt}{suffix}"), out) {
            return false;
        }
    }
    true
}

/// Does `text` contain a reference to parameter `name`?
pub(super) fn refers_to(text: &str, name: &str) -> bool {
    let mut pos = 0;
    while let Some((_, end, n, _)) = find_reference(text, pos) {
        if n == name {
            return true;
        }
        pos = end;
    }
    false
}

/// The next `$NAME` (followed by whitespace or the end) or `${NAME [args]}` at or after `pos`:
/// its byte range, the name and the arguments inside the braces.
pub(super) fn find_reference(text: &str, pos: usize) -> Option<(usize, usize, String, String)> {
    let mut from = pos;
    while let Some(off) = text.get(from..)?.find('$') {
        let start = from + off;
        let after = &text[start + 1..];
        if let Some(inner) = after.strip_prefix('{') {
            if let Some(close) = inner.find('}') {
                let body = &inner[..close];
                if let Ok((args, name)) = param_name(body) {
                    if args.is_empty() || args.starts_with(char::is_whitespace) {
                        return Some((
                            start,
                            start + 2 + close + 1,
                            name.to_string(),
                            args.to_string(),
                        ));
                    }
                }
            }
        } else if let Ok((rest, name)) = param_name(after) {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                return Some((
                    start,
                    start + 1 + name.len(),
                    name.to_string(),
                    String::new(),
                ));
            }
        }
        from = start + 1;
    }
    None
}
