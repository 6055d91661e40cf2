//! Every keyword keepalived's parser registers (shared/notes/keepalived-keywords.txt, upstream
//! v2.4.3) is known to some decoder table here: each appears as a string literal in
//! conf-parser/src/decode. A keyword missing from every table would only ever be reported as
//! unknown, so this catches a whole block or keyword being forgotten.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn keyword_list() -> Option<String> {
    let path = std::env::var_os("KARS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("notes/keepalived-keywords.txt");
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(_) => {
            eprintln!(
                "SKIP: {} not found (set KARS_SHARED to the shared/ folder)",
                path.display()
            );
            None
        }
    }
}

/// Every double-quoted literal in the decoder's sources.
fn literals(dir: &Path, out: &mut HashSet<String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            literals(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            for (i, part) in text.split('"').enumerate() {
                if i % 2 == 1 {
                    out.insert(part.to_string());
                }
            }
        }
    }
}

#[test]
fn every_keepalived_keyword_is_in_a_decoder_table() {
    let Some(list) = keyword_list() else { return };
    let mut known = HashSet::new();
    literals(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/decode"),
        &mut known,
    );
    let keywords: Vec<&str> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    assert!(
        keywords.len() > 350,
        "the list has {} keywords",
        keywords.len()
    );
    // The list was extracted from keepalived's source with a regex; keepalived-reference.md names
    // these three as its false positives (not keywords of any block).
    let not_keywords = ["const", "keyword", "string"];
    let missing: Vec<&&str> = keywords
        .iter()
        .filter(|k| !known.contains(**k) && !not_keywords.contains(*k))
        .collect();
    assert!(missing.is_empty(), "keywords no decoder knows: {missing:?}");
}
