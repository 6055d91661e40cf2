//! Placeholder: filled in by the typed-model work for this part.
use super::{Cx, Keyword};
use crate::model::Config;

pub(super) fn root_keywords() -> Vec<Keyword<Config>> {
    Vec::new()
}

pub(super) fn check(_cx: &mut Cx, _config: &mut Config) {}
