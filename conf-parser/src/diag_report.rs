//! Showing a parse's diagnostics to a person: a warning repeated across a large file (a
//! thousand virtual servers written with `lb_algo`) is shown once, with how many times it occurs
//! and where the next few are, instead of a thousand snippets nobody reads. Errors are always
//! shown in full, each with its snippet. `--all-diagnostics` shows every one.

use crate::diag::{Diagnostic, Diagnostics, Level};
use crate::source::SourceMap;
use std::collections::HashMap;
use std::fmt::Write;

/// How many further locations a repeated warning lists before "and N more".
pub const MORE_LOCATIONS: usize = 3;

/// One entry of the report, in the order of first occurrence.
enum Entry<'d> {
    /// An error, or a warning that occurs once.
    One(&'d Diagnostic),
    /// A warning and its repetitions (same level, message and help), the first one first.
    Repeated(Vec<&'d Diagnostic>),
}

/// Renders `diags` for a person: each error in full; each warning once with its snippet, and
/// when the same warning occurs again, a note with the count and the next locations. With `all`,
/// every diagnostic in full, in order.
pub fn render(diags: &Diagnostics, sources: &SourceMap, all: bool) -> String {
    render_blocks(diags, sources, all)
        .into_iter()
        .map(|(_, text)| text)
        .collect()
}

/// [`render`], one block of text per finding shown (its lines, its snippet, its note), with
/// the finding's level: for a log, where each block goes at its own level.
pub fn render_blocks(diags: &Diagnostics, sources: &SourceMap, all: bool) -> Vec<(Level, String)> {
    if all {
        return diags.iter().map(|d| (d.level, d.render(sources))).collect();
    }
    group(diags)
        .into_iter()
        .map(|entry| match entry {
            Entry::One(d) => (d.level, d.render(sources)),
            Entry::Repeated(ds) => {
                let first = ds[0];
                let mut text = first.render(sources);
                if ds.len() > 1 {
                    text.push_str(&note(first, &ds[1..], sources));
                }
                (first.level, text)
            }
        })
        .collect()
}

/// Groups repeated warnings; errors stay single. The key is the text a person reads (message and
/// help), so only truly identical findings merge.
fn group(diags: &Diagnostics) -> Vec<Entry<'_>> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut index: HashMap<(&str, Option<&str>), usize> = HashMap::new();
    for d in diags.iter() {
        if d.level != Level::Warning {
            entries.push(Entry::One(d));
            continue;
        }
        let key = (d.message.as_str(), d.help.as_deref());
        match index.get(&key) {
            Some(&i) => {
                if let Entry::Repeated(ds) = &mut entries[i] {
                    ds.push(d);
                }
            }
            None => {
                index.insert(key, entries.len());
                entries.push(Entry::Repeated(vec![d]));
            }
        }
    }
    entries
}

/// `= note: 1000 times in all; also at f:14:5, f:22:5, f:30:5 and 996 more (...)`.
fn note(first: &Diagnostic, rest: &[&Diagnostic], sources: &SourceMap) -> String {
    let total = rest.len() + 1;
    let shown: Vec<String> = rest
        .iter()
        .take(MORE_LOCATIONS)
        .map(|d| match d.span {
            Some(s) => sources.origin(s).to_string(),
            None => "(no location)".to_string(),
        })
        .collect();
    let mut line = format!("{} times in all; also at {}", total, shown.join(", "));
    let hidden = rest.len() - shown.len();
    if hidden > 0 {
        let _ = write!(line, " and {hidden} more (--all-diagnostics shows each)");
    }
    format!("{} = note: {line}\n", first.gutter_pad())
}

#[cfg(test)]
mod tests {
    use crate::{parse_str, Options};

    fn parse(text: &str) -> crate::Parsed {
        parse_str(
            "t.conf",
            text,
            &Options {
                config_id: "x".into(),
                ..Default::default()
            },
        )
    }

    fn servers(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "virtual_server 10.0.{}.{} 80 {{\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n  real_server 10.1.0.1 80 {{\n  }}\n}}\n",
                    i / 250,
                    i % 250 + 1
                )
            })
            .collect()
    }

    #[test]
    fn a_repeated_warning_is_shown_once_with_its_count_and_next_locations() {
        let p = parse(&servers(1000));
        assert_eq!(p.diags.count(crate::Level::Warning), 2000);
        let text = p.render_report(false);
        // Two findings, each with one snippet.
        assert_eq!(text.matches("warning: ").count(), 2, "{text}");
        assert_eq!(text.matches(" | ").count() / 2, 2, "{text}");
        assert!(text.contains(
            "  = note: 1000 times in all; also at t.conf:9:3, t.conf:16:3, t.conf:23:3 and 996 more (--all-diagnostics shows each)\n"
        ), "{text}");
        assert!(
            text.contains("t.conf:3:3: warning: 'lb_kind' is a legacy spelling of 'lvs_method'")
        );
        // Everything, in order, when asked.
        let all = p.render_report(true);
        assert_eq!(all.matches("warning: ").count(), 2000);
        assert_eq!(all, p.render_diagnostics());
    }

    #[test]
    fn a_few_repetitions_are_all_named_and_errors_are_never_grouped() {
        let mut text = servers(3);
        text.push_str("vrrp_instance A {\n  priority 0\n}\nvrrp_instance B {\n  priority 0\n}\n");
        let p = parse(&text);
        let report = p.render_report(false);
        assert!(
            report.contains("  = note: 3 times in all; also at t.conf:9:3, t.conf:16:3\n"),
            "{report}"
        );
        assert!(!report.contains("more (--all"), "{report}");
        assert_eq!(
            report
                .matches("error: invalid value '0' for priority")
                .count(),
            2,
            "{report}"
        );
    }

    #[test]
    fn different_messages_stay_apart() {
        let p = parse("vrrp_instance A {\n  priorty 1\n  advert 1\n  priorty 2\n}\n");
        let report = p.render_report(false);
        assert_eq!(
            report.matches("unknown keyword 'priorty'").count(),
            1,
            "{report}"
        );
        assert_eq!(
            report.matches("unknown keyword 'advert'").count(),
            1,
            "{report}"
        );
        assert!(
            report.contains("2 times in all; also at t.conf:4:3\n"),
            "{report}"
        );
    }
}
