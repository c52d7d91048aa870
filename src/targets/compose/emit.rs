//! Emission: the compose YAML of each profile and the pin file, each with the header comment of
//! [`crate::targets::header`]. No timestamps, no absolute paths.

use std::collections::BTreeMap;

use crate::analysis::resolve::Resolved;
use crate::lang::model::ServiceBody;
use crate::targets::{header, yaml_document};

/// A compose file (the lowered model, or its document with inputs applied) as YAML, header
/// first.
pub fn compose_yaml<T: serde::Serialize>(file: &T, regenerate: &str) -> String {
    yaml_document(file, regenerate)
}

/// The pin file: `VAR=reference` for every image any emitted profile runs, sorted by variable.
pub fn pin_file(pins: &BTreeMap<String, String>, regenerate: &str) -> String {
    let mut out = header(regenerate);
    out.push_str("# Image pins read by the compose files as ${VAR:-reference}.\n");
    for (var, image) in pins {
        out.push_str(var);
        out.push('=');
        out.push_str(image);
        out.push('\n');
    }
    out
}

/// Records the pin of one shaped service (if it runs an image) into `pins`.
pub fn add_pin(
    stack: &Resolved,
    name: &str,
    body: &ServiceBody,
    pins: &mut BTreeMap<String, String>,
) {
    if let Some(image) = &body.image {
        pins.entry(stack.pin_var(name, body))
            .or_insert_with(|| image.value.clone());
    }
}
