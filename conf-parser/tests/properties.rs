//! Properties of the parser as a whole, over generated inputs: it never panics, every diagnostic
//! points inside the text it was given, and brace balance alone decides whether the tree builder
//! gives up (a fatal diagnostic) on inputs with no other structure.
//!
//! Case counts are kept small enough for the whole file to run in well under 20 s in a debug
//! build; the fuzz target (fuzz/) is where long random runs belong.

use conf_parser::source::FileId;
use conf_parser::{parse_str, Level, Options, Parsed};
use proptest::prelude::*;

fn opts() -> Options {
    Options {
        config_id: "main".into(),
        ..Default::default()
    }
}

/// The parse must not panic; the rendering and the JSON dump of whatever it produced must not
/// either, since `-t` and `config dump` do both on the same input.
fn parse_all_the_way(text: &str) -> Parsed {
    let parsed = parse_str("prop.conf", text, &opts());
    let _ = parsed.render_diagnostics();
    for d in parsed.diags.iter() {
        let _ = d.headline(&parsed.sources);
    }
    serde_json::to_string(&parsed.config).expect("the model always serialises");
    parsed
}

/// Checks that every diagnostic located in the parsed text itself (not in an included file, and
/// not one without a position) names a line and a column that exist in it. Lines are split on
/// '\n' so a diagnostic on the empty last line after a final newline is accepted; a column may be
/// one past the last character (an error at the end of a line).
fn diagnostics_inside(parsed: &Parsed, text: &str) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text.split('\n').collect();
    for d in parsed.diags.iter() {
        let Some(span) = d.span else { continue };
        // The parsed text is the first file the source map got.
        if span.file != FileId(0) {
            continue;
        }
        let headline = d.headline(&parsed.sources);
        prop_assert!(span.line >= 1, "line 0: {}", headline);
        prop_assert!(span.col >= 1, "column 0: {}", headline);
        prop_assert!(
            span.line as usize <= lines.len(),
            "line {} past the {} lines of the input: {}",
            span.line,
            lines.len(),
            headline
        );
        let width = lines[span.line as usize - 1].chars().count();
        prop_assert!(
            span.col as usize <= width + 1,
            "column {} past the end of line {} ({} chars): {}",
            span.col,
            span.line,
            width,
            headline
        );
    }
    Ok(())
}

/// Pieces of keepalived syntax, chosen so random sequences of them hit the preprocessor's and the
/// lexer's special cases: parameters, conditionals, sequences, quotes, escapes, continuation lines,
/// comments, and blocks. No piece names an absolute path or a wildcard, so an `include` built from
/// them reads nothing outside the crate's directory.
const PIECES: &[&str] = &[
    "global_defs",
    "router_id",
    "vrrp_instance",
    "VI_1",
    "state",
    "MASTER",
    "BACKUP",
    "interface",
    "eth0",
    "virtual_router_id",
    "priority",
    "advert_int",
    "virtual_ipaddress",
    "10.0.0.1/24",
    "192.168.1.1",
    "fe80::1",
    "virtual_server",
    "real_server",
    "80",
    "TCP_CHECK",
    "connect_timeout",
    "lb_algo",
    "rr",
    "vrrp_script",
    "script",
    "track_script",
    "notify_master",
    "100",
    "0",
    "-1",
    "255",
    "256",
    "4294967296",
    "1.5",
    "0x10",
    "{",
    "}",
    "{",
    "}",
    "\"",
    "'",
    "\"a b\"",
    "\"\\x41\\101\\c\"",
    "$X=",
    "$Y=",
    "$_X=",
    "$X",
    "${X}",
    "${Y}",
    "$Y",
    "${X a}",
    "${_RANDOM}",
    "${_RANDOM 1 9}",
    "${_RANDOM 9 1}",
    "${_RANDOM x}",
    "${_PWD}",
    "${_INSTANCE}",
    "${_HASH}",
    "${_BANG}",
    "${_ENV HOME}",
    "${",
    "$",
    "~SEQ(",
    "~SEQ(i, 3)",
    "~SEQ(i, 1, 2, 5)",
    "~SEQ(i, 5, 0, 1)",
    "~SEQx(i, 0x9, 0xc)",
    "~SEQ(i,",
    "~LST(",
    "~LST(v, a, b)",
    "~LST({v, w}, {1, 2}, {3, 4})",
    "~LST({v, w}, {1}, {3, 4})",
    "$i",
    "${i}",
    "$v",
    ")",
    ",",
    "@main",
    "@^main",
    "@other",
    "@",
    "include",
    "includea",
    "includer",
    "no-such.conf",
    "{a,b}.conf",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\\",
    "\\\n",
    "#",
    "!",
    "\t",
    "é",
];

fn keepalivedish() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(PIECES);
    let sep = prop::sample::select(&[" ", " ", " ", "", "\n", "\t"][..]);
    prop::collection::vec((piece, sep), 0..60).prop_map(|parts| {
        let mut s = String::new();
        for (p, sep) in parts {
            s.push_str(p);
            s.push_str(sep);
        }
        s
    })
}

/// Nesting depth well under the tree builder's limit, so only balance decides.
const MAX_GENERATED_DEPTH: usize = 40;

/// Balanced text over `a`, `{`, `}` and newlines.
fn balanced() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(&["a", "a\n", "\n", "a a", ""][..]).prop_map(str::to_string);
    leaf.prop_recursive(6, 64, 4, |inner| {
        prop_oneof![
            // A sequence of siblings.
            prop::collection::vec(inner.clone(), 1..4).prop_map(|v| v.join("\n")),
            // A block, its brace on the keyword's line or on the next, or with no keyword at all.
            (
                inner,
                prop::sample::select(&["a {", "a\n{", "a{", "{", "\n{"][..]),
                prop::sample::select(&["}", "\n}", "}\n"][..])
            )
                .prop_map(|(body, open, close)| format!("{open}{body}{close}")),
        ]
    })
}

/// Whether the braces balance (never closing more than is open) and how deep they go.
fn balance(text: &str) -> (bool, usize) {
    let mut depth: i64 = 0;
    let mut max = 0;
    let mut ok = true;
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth < 0 {
            ok = false;
        }
        max = max.max(depth.max(0) as usize);
    }
    (ok && depth == 0, max)
}

fn has_fatal(parsed: &Parsed) -> bool {
    parsed.diags.iter().any(|d| d.level == Level::Fatal)
}

fn headlines(parsed: &Parsed) -> Vec<String> {
    parsed
        .diags
        .iter()
        .map(|d| d.headline(&parsed.sources))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_do_not_panic(text in any::<String>()) {
        let parsed = parse_all_the_way(&text);
        diagnostics_inside(&parsed, &text)?;
    }

    #[test]
    fn arbitrary_lines_of_printable_ascii_do_not_panic(text in "([ -~]{0,40}\n){0,12}") {
        let parsed = parse_all_the_way(&text);
        diagnostics_inside(&parsed, &text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn keepalived_like_text_does_not_panic(text in keepalivedish()) {
        let parsed = parse_all_the_way(&text);
        diagnostics_inside(&parsed, &text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn balanced_braces_are_not_fatal(text in balanced()) {
        let (ok, depth) = balance(&text);
        prop_assume!(ok && depth <= MAX_GENERATED_DEPTH);
        let parsed = parse_all_the_way(&text);
        prop_assert!(!has_fatal(&parsed), "{:?}: {:?}", text, headlines(&parsed));
        diagnostics_inside(&parsed, &text)?;
    }

    #[test]
    fn brace_soup_is_fatal_exactly_when_unbalanced(text in "[a{}\n]{0,80}") {
        let (ok, depth) = balance(&text);
        prop_assume!(depth <= MAX_GENERATED_DEPTH);
        let parsed = parse_all_the_way(&text);
        prop_assert_eq!(has_fatal(&parsed), !ok, "{:?}: {:?}", text, headlines(&parsed));
        diagnostics_inside(&parsed, &text)?;
    }

    #[test]
    fn one_brace_more_or_less_is_fatal(text in balanced(), at in any::<prop::sample::Index>(), extra in prop::sample::select(&["{", "}"][..])) {
        let (ok, depth) = balance(&text);
        prop_assume!(ok && depth < MAX_GENERATED_DEPTH);
        let chars: Vec<char> = text.chars().collect();
        let i = at.index(chars.len() + 1);
        let broken: String = chars[..i].iter().copied().chain(extra.chars()).chain(chars[i..].iter().copied()).collect();
        let parsed = parse_all_the_way(&broken);
        prop_assert!(has_fatal(&parsed), "{:?}: {:?}", broken, headlines(&parsed));
        diagnostics_inside(&parsed, &broken)?;
    }
}

/// The generators themselves: a property over inputs that are never produced proves nothing.
#[test]
fn generators_cover_both_sides() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut nested = 0;
    for _ in 0..200 {
        let text = balanced().new_tree(&mut runner).expect("value").current();
        let (ok, depth) = balance(&text);
        assert!(ok, "balanced() made {text:?}");
        if depth >= 2 {
            nested += 1;
        }
    }
    assert!(nested > 20, "balanced() rarely nests: {nested} of 200");

    let (mut long, mut defining, mut referring) = (0, 0, 0);
    for _ in 0..200 {
        let text = keepalivedish()
            .new_tree(&mut runner)
            .expect("value")
            .current();
        long += usize::from(text.len() > 150);
        defining += usize::from(text.contains("$X=") || text.contains("$Y="));
        referring += usize::from(text.contains("${X}") || text.contains("$Y"));
    }
    assert!(
        long > 50 && defining > 20 && referring > 50,
        "keepalivedish(): {long} long, {defining} define, {referring} refer"
    );
    assert_eq!(balance("a {\n}"), (true, 1));
    assert_eq!(balance("}{"), (false, 0));
    assert_eq!(balance("{"), (false, 1));
}
