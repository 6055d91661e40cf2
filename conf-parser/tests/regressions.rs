//! Inputs that once broke the parser (found by fuzzing, fuzz/, or by the property tests), each
//! kept as the smallest text that showed the problem.
//!
//! A new finding that is not fixed yet goes in with `#[ignore = "open: ..."]`, so CI stays green
//! until the fix, which removes the `#[ignore]`. Hangs are caught by running the parse on a thread
//! with a deadline, so an open one fails instead of blocking the test run.
//!
//! The first six were fixed by "preprocess: bound what hostile input can make it do" (d738c23).

use conf_parser::{parse_str, Level, Options, Parsed};
use std::sync::mpsc;
use std::time::Duration;

/// How long any of these inputs may take, in a debug build on a busy machine. Each is a few
/// dozen bytes; the fixed parser takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(5);

fn opts() -> Options {
    Options {
        config_id: "main".into(),
        ..Default::default()
    }
}

/// Parses on a thread and gives up after `DEADLINE`. A panic or a hang is a test failure with the
/// input in the message. The rendering and the JSON dump run too, as in the fuzz target.
fn parse_in_time(text: &'static str) -> Parsed {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let parsed = parse_str("regression.conf", text, &opts());
        let _ = parsed.render_diagnostics();
        let _ = serde_json::to_string(&parsed.config).expect("the model always serialises");
        let _ = tx.send(parsed);
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(parsed) => parsed,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("parse did not finish within {DEADLINE:?}: {text:?}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("parse panicked on {text:?}"),
    }
}

fn headlines(parsed: &Parsed) -> Vec<String> {
    parsed
        .diags
        .iter()
        .map(|d| d.headline(&parsed.sources))
        .collect()
}

fn has_error(parsed: &Parsed) -> bool {
    parsed.diags.iter().any(|d| d.level >= Level::Error)
}

// ~SEQ arithmetic on i64 overflowed with numbers at the ends of the range. In a debug build (and in
// the fuzz build) that was a panic; in release it wrapped silently. Found by reading
// preprocess.rs::sequence while writing the property tests: `(end - start) / step` computing the
// count, and `v += step` after the last value.

#[test]
fn seq_count_does_not_overflow() {
    let parsed = parse_in_time("~SEQ(i, -9223372036854775807, 9223372036854775807) a $i\n");
    // 2^64 - 1 values: far past the limit on values one ~SEQ may produce.
    assert!(has_error(&parsed), "{:?}", headlines(&parsed));
}

#[test]
fn seq_last_value_at_i64_max() {
    let parsed = parse_in_time("~SEQ(i, 9223372036854775807, 1, 9223372036854775807) a $i\n");
    assert!(
        !parsed.diags.iter().any(|d| d.level == Level::Fatal),
        "{:?}",
        headlines(&parsed)
    );
}

#[test]
fn seq_huge_step() {
    let parsed = parse_in_time("~SEQ(i, 1, 9223372036854775807, 9223372036854775807) a $i\n");
    assert!(
        !parsed.diags.iter().any(|d| d.level == Level::Fatal),
        "{:?}",
        headlines(&parsed)
    );
}

// A multi-line parameter that refers to itself doubled at each level of expansion: every one of
// its lines was expanded again, up to the depth limit (64), so the work was 2^64 lines, each ending
// in a "nested too deep" error. Found by reading preprocess.rs::line (the multi-line branch).

#[test]
fn multiline_parameter_referring_to_itself() {
    let parsed = parse_in_time("$X=$X \\\n$X\n$X\n");
    assert!(has_error(&parsed), "{:?}", headlines(&parsed));
}

// A one-line parameter whose value contains itself grew the line by its value at every one of
// the 10,000 substitutions then allowed on a line, copying the whole line (and its origin segments)
// each time: quadratic, 1.7 s for this 12-byte input in the optimised fuzz build and more than
// 5 s in a debug build. Found by the property tests
// (properties.rs keeps such definitions out of its generator for now).

#[test]
fn parameter_containing_itself_is_quick() {
    let parsed = parse_in_time("$X=${X}a\n$X\n");
    assert!(has_error(&parsed), "{:?}", headlines(&parsed));
}

// Brace expansion of an include pattern was exponential: n groups of two alternatives make 2^n
// patterns, each globbed. 14 groups took 0.4 s in the fuzz build; 30 would take hours and run out
// of memory first (expand_braces collects every alternative). Found by fuzzing (a 2.3 KB input
// whose include line had 18 brace groups took 17 s).

#[test]
fn include_brace_expansion_is_bounded() {
    let parsed = parse_in_time("include {a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}\n");
    assert!(has_error(&parsed), "{:?}", headlines(&parsed));
}

/// The deadline harness itself: a quick, clean parse passes through it.
#[test]
fn harness_passes_a_clean_parse() {
    let parsed = parse_in_time("global_defs {\n}\n");
    assert!(!has_error(&parsed), "{:?}", headlines(&parsed));
}
