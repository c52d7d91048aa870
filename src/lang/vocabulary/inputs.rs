//! `input`: a variable the compose files read from the operator's environment, declared once
//! with its kind (secret, required, default) and how `pmovesc secrets init` generates it.

use super::*;

pub const GENERATE_VALUES: &[&str] = &["password", "hex", "base64", "jwt"];

pub(super) const NODES: &[NodeSpec] = &[repeatable(node(
    "input",
    &[C::Top],
    args("variable name", 1, Some(1), T::String),
    &[
        prop(
            "description",
            T::String,
            "what the value is, for inputs.example.env",
        ),
        prop(
            "secret",
            T::Bool,
            "#true: the value is never printed or written into a committed file",
        ),
        prop(
            "required",
            T::Bool,
            "a group whose services use it does not start without it (default: #true unless default= is given)",
        ),
        prop(
            "default",
            T::Scalar,
            "the value when the operator sets none",
        ),
        prop_enum(
            "generate",
            GENERATE_VALUES,
            "how `pmovesc secrets init` makes the value",
        ),
        prop(
            "length",
            T::Integer,
            "generate=\"password\": number of characters (default 32)",
        ),
        prop(
            "bytes",
            T::Integer,
            "generate=\"hex\"/\"base64\": number of random bytes (default 32)",
        ),
        prop(
            "secret-input",
            T::String,
            "generate=\"jwt\": the input whose value signs the token (HS256)",
        ),
        prop(
            "claims",
            T::String,
            "generate=\"jwt\": claims as `key=value` pairs separated by spaces or commas",
        ),
    ],
    "A variable the operator supplies (or `pmovesc secrets init` generates), declared once.",
))];
