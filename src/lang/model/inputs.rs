//! Declared inputs (`input` nodes: the variables an operator supplies, with their kind and
//! generator) and the variables the stack's strings interpolate.

use crate::lang::source::{Span, Spanned};

/// `input "NAME" ...`: a variable the compose files read from the operator's environment.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: Spanned<String>,
    pub description: Option<String>,
    /// Never printed, logged or written into a committed file.
    pub secret: bool,
    /// `required=` as written; see [`Input::is_required`].
    pub required: Option<Spanned<bool>>,
    pub default: Option<Spanned<String>>,
    pub generate: Option<Spanned<Generator>>,
    pub span: Span,
}

impl Input {
    /// Required unless it has a default or says `required=#false`.
    pub fn is_required(&self) -> bool {
        match &self.required {
            Some(r) => r.value,
            None => self.default.is_none(),
        }
    }
}

/// How `pmovesc secrets init` makes a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    /// `length` characters from `[A-Za-z0-9]`.
    Password { length: u32 },
    /// `bytes` random bytes as lowercase hex (twice as many characters).
    Hex { bytes: u32 },
    /// `bytes` random bytes in standard base64 with padding.
    Base64 { bytes: u32 },
    /// A JWT (HS256) signed with the value of another input, carrying `claims` and `iat`.
    Jwt {
        secret_input: Option<Spanned<String>>,
        claims: Vec<(String, String)>,
    },
}

impl Generator {
    pub fn describe(&self) -> String {
        match self {
            Generator::Password { length } => format!("password of {length} characters"),
            Generator::Hex { bytes } => format!("{bytes} random bytes as hex"),
            Generator::Base64 { bytes } => format!("{bytes} random bytes as base64"),
            Generator::Jwt {
                secret_input,
                claims,
            } => {
                let claims: Vec<String> = claims.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "JWT (HS256) signed with {}{}",
                    secret_input.as_ref().map_or("?", |s| s.value.as_str()),
                    if claims.is_empty() {
                        String::new()
                    } else {
                        format!(", claims {}", claims.join(" "))
                    }
                )
            }
        }
    }
}

/// One `$NAME`/`${NAME...}` in a string of the stack, where it is written.
#[derive(Debug, Clone)]
pub struct VariableUse {
    pub name: String,
    pub operator: crate::lang::interpolation::Operator,
    /// The string value holding it.
    pub span: Span,
}
