//! Placeholder: filled in by the typed-model work for this part.
use serde::Serialize;

#[derive(Clone, Debug, Default, Serialize)]
pub struct VrrpPart {}
