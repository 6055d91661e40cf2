use crate::{parse_str, Options, Parsed};

fn parse(text: &str) -> Parsed {
    parse_str("t.conf", text, &Options { config_id: "x".into() })
}

fn heads(p: &Parsed) -> Vec<String> {
    p.diags.iter().map(|d| d.headline(&p.sources)).collect()
}

#[test]
fn defaults() {
    let p = parse("");
    assert!(heads(&p).is_empty());
}
