//! Declared inputs: what each declaration may say (PMV601), which interpolated variables are
//! declared (PMV600, PMV602), which inputs nothing uses (PMV603), and the secrets whose file
//! holds an input (`secret "x" file="./secrets/x" input="X"`).
//!
//! A variable needs no declaration when every use gives it a default (`${NATS_URL:-nats://…}`),
//! or when the stack sets it itself (the pin variables of the pin file).

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::lang::interpolation::Operator;
use crate::lang::model::*;
use crate::lang::source::Span;

/// Runs every rule of this pass.
pub fn check_inputs(stack: &Resolved, diags: &mut Diagnostics) {
    for input in stack.inputs.values() {
        check_declaration(stack, input, diags);
    }
    for secret in stack.secrets.values() {
        check_file_secret(stack, secret, diags);
    }
    check_uses(stack, diags);
}

/// The file of a secret that holds an input, relative to OUT: `secrets init` writes it there, so
/// it must be a fixed path below OUT.
pub fn secret_file_in_out(file: &str) -> Option<&str> {
    let rel = file.strip_prefix("./")?;
    let fixed = !rel.is_empty()
        && !rel.contains('$')
        && !rel.contains('\\')
        && rel
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    fixed.then_some(rel)
}

fn check_file_secret(stack: &Resolved, secret: &Secret, diags: &mut Diagnostics) {
    let Some(input) = &secret.input else { return };
    let key = &secret.key.value;
    let Some(declared) = stack.inputs.get(&input.value) else {
        crate::analysis::resolve::undefined(diags, "input", input, stack.inputs.keys());
        return;
    };
    let problem = match secret.file.as_deref() {
        None => Some((
            "only a file secret can hold an input".to_string(),
            format!(
                "write `secret \"{key}\" file=\"./secrets/{key}\" input=\"{}\"`",
                input.value
            ),
        )),
        Some(f) if secret_file_in_out(f).is_none() => Some((
            format!("`{f}` is not a fixed path below the output directory"),
            format!(
                "`pmovesc secrets init` writes the file, so it needs a path such as `./secrets/{key}` (no variables, no `..`)"
            ),
        )),
        Some(_) if !declared.secret && declared.generate.is_none() => Some((
            format!("input `{}` is not declared secret=#true", input.value),
            format!("add `secret=#true` to input `{}`", input.value),
        )),
        Some(_) => None,
    };
    if let Some((label, help)) = problem {
        diags.push(
            Diagnostic::error(
                Code::InputDeclaration,
                format!("secret `{key}` cannot hold input `{}`", input.value),
            )
            .label(input.span, label)
            .help(help),
        );
    }
}

fn check_declaration(stack: &Resolved, input: &Input, diags: &mut Diagnostics) {
    let name = &input.name.value;
    if let (Some(req), Some(default)) = (&input.required, &input.default)
        && req.value
    {
        diags.push(
            Diagnostic::error(
                Code::InputDeclaration,
                format!("input `{name}` is required and has a default"),
            )
            .label(req.span, "required")
            .label(default.span, "but this default is used when it is not set")
            .help("remove `required=#true` (the default makes it optional) or the default"),
        );
    }
    if let Some(default) = &input.default {
        if input.secret {
            diags.push(
                Diagnostic::error(
                    Code::InputDeclaration,
                    format!("secret input `{name}` has a default"),
                )
                .label(default.span, "written into every committed compose file")
                .help("a secret's value must not be in the repository: remove the default and add `generate=` (or let the operator set it)"),
            );
        }
        if let Some(g) = &input.generate {
            diags.push(
                Diagnostic::error(
                    Code::InputDeclaration,
                    format!("input `{name}` has both a default and a generator"),
                )
                .label(default.span, "default")
                .label(g.span, "generator")
                .help("keep one: a generated value is never the default"),
            );
        }
    }
    let Some(g) = &input.generate else { return };
    let Generator::Jwt { secret_input, .. } = &g.value else {
        return;
    };
    let Some(key) = secret_input else {
        diags.push(
            Diagnostic::error(
                Code::InputDeclaration,
                format!("input `{name}` is a JWT without `secret-input=`"),
            )
            .label(g.span, "signed with what?")
            .help("name the input holding the signing secret, e.g. `secret-input=\"JWT_SECRET\"`"),
        );
        return;
    };
    let problem = match stack.inputs.get(&key.value) {
        None => {
            let help = match did_you_mean(&key.value, stack.inputs.keys().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "declare it: `input \"{}\" secret=#true generate=\"base64\" bytes=32`",
                    key.value
                ),
            };
            Some(("no such input".to_string(), help))
        }
        Some(k) if k.name.value == *name => Some((
            "a token cannot be signed with itself".into(),
            "name the input holding the signing secret".into(),
        )),
        Some(k)
            if matches!(
                k.generate.as_ref().map(|g| &g.value),
                Some(Generator::Jwt { .. })
            ) =>
        {
            Some((
                "another JWT".into(),
                "sign with a random secret (`generate=\"password\"`, \"hex\" or \"base64\")".into(),
            ))
        }
        Some(k) if !k.secret => Some((
            "not declared secret=#true".into(),
            format!(
                "a signing key is a secret: add `secret=#true` to input `{}`",
                k.name.value
            ),
        )),
        Some(_) => None,
    };
    if let Some((label, help)) = problem {
        diags.push(
            Diagnostic::error(
                Code::InputDeclaration,
                format!("input `{name}` cannot be signed with `{}`", key.value),
            )
            .label(key.span, label)
            .help(help),
        );
    }
}

/// The variables the stack sets itself: each image's pin variable (the pin file).
fn stack_variables(stack: &Resolved) -> BTreeSet<String> {
    let mut vars = BTreeSet::new();
    for (name, service) in &stack.services {
        for profile in &stack.profiles {
            if let Some(body) = stack.shape(service, profile) {
                vars.insert(stack.pin_var(name, &body));
            }
        }
    }
    vars
}

/// A variable name `name` is probably a typo of: a small edit distance only (variables share
/// long prefixes, so a similarity score would pair `SUPABASE_URL` with `SUPABASE_REST_URL`).
fn misspelt<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 8).max(1);
    candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn check_uses(stack: &Resolved, diags: &mut Diagnostics) {
    let set_by_stack = stack_variables(stack);
    let mut undeclared: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
    let mut used: BTreeSet<&str> = BTreeSet::new();
    // A signing key counts as used by the tokens it signs, an input held by a secret file by
    // that secret.
    for secret in stack.secrets.values() {
        if let Some(i) = &secret.input {
            used.insert(&i.value);
        }
    }
    for input in stack.inputs.values() {
        if let Some(Generator::Jwt {
            secret_input: Some(key),
            ..
        }) = input.generate.as_ref().map(|g| &g.value)
        {
            used.insert(&key.value);
        }
    }
    for u in &stack.variables {
        used.insert(&u.name);
        if let Some(input) = stack.inputs.get(&u.name) {
            if let Operator::Required { colon } = u.operator {
                diags.push(
                    Diagnostic::warning(
                        Code::RequiredFormOnInput,
                        format!(
                            "`${{{}{}...}}` makes Compose require `{}` for every group",
                            u.name,
                            if colon { ":?" } else { "?" },
                            u.name
                        ),
                    )
                    .label(u.span, "required everywhere")
                    .label(input.name.span, "declared as an input here")
                    .help(format!(
                        "write `${{{}}}`: the input is {} only for the groups whose services use it",
                        u.name,
                        if input.is_required() {
                            "enforced"
                        } else {
                            "optional, and checked"
                        }
                    )),
                );
            }
            continue;
        }
        if set_by_stack.contains(&u.name) {
            continue;
        }
        if matches!(u.operator, Operator::Plain | Operator::Required { .. }) {
            undeclared.entry(&u.name).or_default().push(u.span);
        } else if let Some(input) = stack
            .inputs
            .keys()
            .find(|i| strsim::levenshtein(&u.name, i) == 1)
        {
            // A default hides a misspelt input (one edit away: near names such as `_PORT` and
            // `_PASS` are common): the operator's value would never be read.
            diags.push(
                Diagnostic::warning(
                    Code::UndeclaredVariable,
                    format!("`{}` is no declared input", u.name),
                )
                .label(u.span, "its default is always used")
                .help(format!("did you mean the input `{input}`?")),
            );
        }
    }
    if !undeclared.is_empty() {
        let known: BTreeSet<&str> = stack
            .inputs
            .keys()
            .map(String::as_str)
            .chain(used.iter().copied().filter(|n| !undeclared.contains_key(n)))
            .collect();
        for (name, spans) in undeclared {
            let d = Diagnostic::warning(
                Code::UndeclaredVariable,
                format!("`${{{name}}}` reads a variable that is no declared input"),
            )
            .label(
                spans[0],
                "Compose substitutes an empty string when it is unset",
            );
            let more = spans.len() - 1;
            let also = match more {
                0 => String::new(),
                1 => " (it is used in 1 more place)".to_string(),
                n => format!(" (it is used in {n} more places)"),
            };
            let d = d.help(match misspelt(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?{also}"),
                None => format!(
                    "declare it: `input \"{name}\" description=\"...\"` (add `secret=#true` for a credential, `required=#false` or `default=` when it may be unset), or write a default: `${{{name}:-value}}`{also}"
                ),
            });
            diags.push(d);
        }
    }
    for input in stack.inputs.values() {
        if !used.contains(input.name.value.as_str()) {
            diags.push(
                Diagnostic::warning(
                    Code::UnusedInput,
                    format!(
                        "input `{}` is declared but nothing uses it",
                        input.name.value
                    ),
                )
                .label(input.name.span, "no string interpolates it")
                .help(format!(
                    "use it as `${{{}}}` where a service needs it, or remove the declaration",
                    input.name.value
                )),
            );
        }
    }
}
