//! `input` declarations, and the variables interpolated by every string that reaches a compose
//! file (services, templates, secrets, networks, volumes and input defaults).

use super::Decoder;
use super::node::Node;
use crate::diag::{Code, Diagnostic};
use crate::lang::interpolation::{is_variable_name, references};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};

/// Longest generated password and most random bytes a generator may ask for.
pub const MAX_GENERATED: i64 = 4096;
/// Shortest password and fewest bytes: below this a generated secret is guessable.
pub const MIN_GENERATED: i64 = 16;

/// Nodes whose strings never reach a compose file (descriptions, MCP listings) or are notes.
const NOT_INTERPOLATED: &[&str] = &["description", "mcp"];

/// The variables a string value reads. When the token is the string in plain quotes (no escape,
/// so its bytes are the value's), each use points at its own `${...}`; otherwise at the value.
pub(super) fn uses(text: &str, token: Span) -> Vec<VariableUse> {
    let plain = token.len as usize == text.len() + 2;
    references(text)
        .into_iter()
        .map(|r| VariableUse {
            span: if plain {
                Span::new(
                    token.file,
                    token.start as usize + 1 + r.range.start,
                    r.range.len(),
                )
            } else {
                token
            },
            name: r.name,
            operator: r.operator,
        })
        .collect()
}

impl Decoder<'_> {
    pub(super) fn input(&mut self, n: Node<'_>, name: Spanned<String>) -> Input {
        if !is_variable_name(&name.value) {
            self.push(
                Diagnostic::error(
                    Code::InputDeclaration,
                    format!("`{}` is not a variable name", name.value),
                )
                .label(name.span, "not [A-Za-z_][A-Za-z0-9_]*")
                .help("Compose interpolates only names of letters, digits and `_`, not starting with a digit, e.g. `MINIO_ROOT_PASSWORD`"),
            );
        }
        let bool_prop = |key: &str| {
            n.prop(key)
                .and_then(|(v, s)| v.as_bool().map(|b| Spanned::new(b, s)))
        };
        let default = n
            .prop("default")
            .and_then(|(v, s)| super::node::scalar_string(v).map(|text| Spanned::new(text, s)));
        let generate = n.prop("generate").and_then(|(v, span)| {
            let kind = v.as_string()?;
            let size = |key: &str| n.prop_int(key).unwrap_or(32);
            let generator = match kind {
                "password" => Generator::Password {
                    length: self.generated_size(n, "length", size("length")),
                },
                "hex" => Generator::Hex {
                    bytes: self.generated_size(n, "bytes", size("bytes")),
                },
                "base64" => Generator::Base64 {
                    bytes: self.generated_size(n, "bytes", size("bytes")),
                },
                "jwt" => Generator::Jwt {
                    secret_input: n.prop_spanned("secret-input"),
                    claims: self.claims(n),
                },
                _ => return None, // reported by the vocabulary check
            };
            Some(Spanned::new(generator, span))
        });
        let input = Input {
            name,
            description: n.prop_string("description"),
            secret: n.prop_bool("secret").unwrap_or(false),
            required: bool_prop("required"),
            default,
            generate,
            span: n.head(),
        };
        self.misplaced_generator_options(n, &input);
        input
    }

    fn generated_size(&mut self, n: Node<'_>, key: &str, value: i64) -> u32 {
        if !(MIN_GENERATED..=MAX_GENERATED).contains(&value) {
            let span = n.prop(key).map_or(n.head(), |(_, s)| s);
            self.push(
                Diagnostic::error(
                    Code::InputDeclaration,
                    format!("`{key}={value}` is outside {MIN_GENERATED}..{MAX_GENERATED}"),
                )
                .label(span, "out of range")
                .help(format!(
                    "a generated secret needs at least {MIN_GENERATED} {}; 32 is a good default",
                    if key == "length" {
                        "characters"
                    } else {
                        "bytes"
                    }
                )),
            );
        }
        value.clamp(MIN_GENERATED, MAX_GENERATED) as u32
    }

    fn claims(&mut self, n: Node<'_>) -> Vec<(String, String)> {
        let Some((v, span)) = n.prop("claims") else {
            return Vec::new();
        };
        let Some(text) = v.as_string() else {
            return Vec::new();
        };
        let mut claims: Vec<(String, String)> = Vec::new();
        for pair in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            match pair.split_once('=') {
                Some((k, v)) if !k.is_empty() && !claims.iter().any(|(seen, _)| seen == k) => {
                    claims.push((k.to_string(), v.to_string()));
                }
                _ => {
                    self.push(
                        Diagnostic::error(
                            Code::InputDeclaration,
                            format!("`{pair}` is not a `key=value` claim, or repeats a key"),
                        )
                        .label(span, "in these claims")
                        .help("write claims as `key=value` pairs, e.g. `claims=\"role=anon iss=supabase\"`"),
                    );
                }
            }
        }
        claims
    }

    /// `length=`, `bytes=`, `secret-input=` and `claims=` belong to one generator each.
    fn misplaced_generator_options(&mut self, n: Node<'_>, input: &Input) {
        let kind = input.generate.as_ref().map(|g| match g.value {
            Generator::Password { .. } => "password",
            Generator::Hex { .. } => "hex",
            Generator::Base64 { .. } => "base64",
            Generator::Jwt { .. } => "jwt",
        });
        let owners: &[(&str, &[&str])] = &[
            ("length", &["password"]),
            ("bytes", &["hex", "base64"]),
            ("secret-input", &["jwt"]),
            ("claims", &["jwt"]),
        ];
        for (key, for_kinds) in owners {
            let Some((_, span)) = n.prop(key) else {
                continue;
            };
            if kind.is_some_and(|k| for_kinds.contains(&k)) {
                continue;
            }
            let wanted: Vec<String> = for_kinds
                .iter()
                .map(|k| format!("generate=\"{k}\""))
                .collect();
            self.push(
                Diagnostic::error(
                    Code::InputDeclaration,
                    format!("`{key}=` only applies to {}", wanted.join(" or ")),
                )
                .label(span, "has no effect here")
                .help(match *key {
                    "length" => "hex and base64 keys are sized in `bytes=`",
                    "bytes" => "a password is sized in characters: `length=`",
                    _ => "remove it, or generate a JWT",
                }),
            );
        }
    }

    /// Records every interpolated variable of a node's strings (and of its children's), except
    /// in nodes whose text never reaches a compose file and in `reason=` notes.
    pub(super) fn variables(&mut self, n: Node<'_>, out: &mut Vec<VariableUse>) {
        if NOT_INTERPOLATED.contains(&n.name()) {
            return;
        }
        for (text, span) in n.string_entries() {
            if !text.contains('$') {
                continue;
            }
            out.extend(uses(text, span));
        }
        for c in n.children() {
            self.variables(c, out);
        }
    }
}
