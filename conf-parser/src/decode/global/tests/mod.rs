//! Tests of the global part, through `parse_str`: model values and exact diagnostics.

pub(super) use super::defs;
pub(super) use crate::model::global::{
    GlobalDefs, GlobalPart, LinkbeatMethod, LvsFlushOnStop, RxBufsPolicy,
};
pub(super) use crate::model::Timer;
pub(super) use crate::{parse_str, Options, Parsed};

pub(super) fn parse(text: &str) -> Parsed {
    parse_str(
        "t.conf",
        text,
        &Options {
            config_id: "x".into(),
            ..Default::default()
        },
    )
}

pub(super) fn heads(p: &Parsed) -> Vec<String> {
    p.diags
        .iter()
        .filter(|d| !crate::decode::no_effect::is_note(&d.message))
        .map(|d| d.headline(&p.sources))
        .collect()
}

/// Parses `global_defs { BODY }` (the body on lines 2...).
pub(super) fn defs(body: &str) -> (GlobalDefs, Vec<String>) {
    let p = parse(&format!("global_defs {{\n{body}\n}}\n"));
    (p.config.global.global_defs.clone(), heads(&p))
}

pub(super) fn global(text: &str) -> (GlobalPart, Vec<String>) {
    let p = parse(text);
    (p.config.global.clone(), heads(&p))
}

pub(super) fn json(g: &GlobalPart) -> serde_json::Value {
    serde_json::to_value(g).unwrap()
}

mod blocks;
mod coverage;
mod values;
