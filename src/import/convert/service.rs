//! One compose service to a `service` node: each key goes to the family file that writes it
//! (`process`, `network`, `storage`, `limits`, `security`, `health`, `plain`); every node it
//! writes is checked against the vocabulary of the language this binary was built with, so a
//! form the language does not have yet becomes a `PMV807` warning, never a stack `build`
//! refuses.

use super::{Cx, N, V, health, limits, network, plain, process, security, storage};
use crate::import::yaml::Node;
use crate::lang::vocabulary::{self, Children, Context};

pub(super) fn service(
    cx: &mut Cx<'_>,
    name: &str,
    key_span: crate::lang::source::Span,
    v: &Node,
) -> N {
    cx.owner = name.to_string();
    let mut n = N::new("service").arg(name);
    n.comments.push(format!("from {}", cx.place(key_span)));
    n.block = true;
    let Some(entries) = v.as_map() else {
        if !v.is_null() {
            cx.shape(name, v, "a mapping of service keys");
        }
        return n;
    };
    let mut out: Vec<N> = Vec::new();
    for e in entries {
        let key = e.key.as_str();
        let val = &e.value;
        if val.is_null() && key != "environment" {
            continue;
        }
        let before = out.len();
        let handled = process::convert(cx, key, val, &mut out)
            || network::convert(cx, key, val, &mut out)
            || storage::convert(cx, key, val, &mut out)
            || limits::convert(cx, key, val, &mut out)
            || security::convert(cx, key, val, &mut out)
            || health::convert(cx, key, val, &mut out)
            || plain::convert(cx, key, val, &mut out);
        if !handled {
            let why = match vocabulary::compose::service_key(key) {
                _ if key.starts_with("x-") => "extension fields are carried by the `compose { ... }` escape hatch, which this version of the language does not have".to_string(),
                Some(vocabulary::compose::Form::Hatch(why)) => format!("only the escape hatch writes it ({why})"),
                Some(form) => format!(
                    "import does not convert it to `{}` yet",
                    form.stack_form().unwrap_or(key)
                ),
                None => "Compose has no such service key".to_string(),
            };
            cx.inexpressible_key(key, val, &why);
            continue;
        }
        let added = out.split_off(before);
        for mut node in added {
            // A property the language lacks is taken off (and named); the node stays when
            // what is left still means something.
            let mut stripped = Vec::new();
            if let Some(spec) = vocabulary::lookup(Context::Service, &node.name) {
                node.props.retain(|(k, _)| {
                    let known = spec.props.iter().any(|p| p.name == *k);
                    if !known {
                        stripped.push(format!("`{} {k}=`", node.name));
                    }
                    known
                });
            }
            for m in &stripped {
                cx.inexpressible_key(
                    key,
                    val,
                    &format!("this version of the language has no {m}"),
                );
            }
            match unsupported(&node, Context::Service) {
                None => out.push(node),
                Some(missing) => cx.inexpressible_key(
                    key,
                    val,
                    &format!("this version of the language has no {missing}"),
                ),
            }
        }
    }
    merge_singles(&mut out);
    // A service compose only builds has no image to run in the image profiles.
    if out.iter().any(|n| n.name == "build") && !out.iter().any(|n| n.name == "image") {
        out.push(
            N::new("only-in")
                .arg("dev-local")
                .comment("built here and no image: it runs only where the stack builds"),
        );
    }
    let runs = out
        .iter()
        .any(|c| matches!(c.name.as_str(), "image" | "build" | "provider"));
    n.children = out;
    n.comments.append(&mut cx.comments);
    if !runs {
        // Nothing to run: the stack keeps the service commented out for a person to finish.
        n.disabled = true;
        n.comments.push(
            "commented out by import: nothing to run (no image or build was imported)".into(),
        );
        cx.diags.push(
            crate::diag::Diagnostic::warning(
                crate::diag::Code::ImportDecision,
                format!("service `{name}` is left out of the stack (commented out): it has no image or build import could write"),
            )
            .label(key_span, "commented out in the stack")
            .help("give it an image the stack language accepts, then remove the `/-` in front of it"),
        );
    }
    n
}

/// The first form of a node the vocabulary does not know: the node itself, a property, or a
/// child. A few values arrived with the forms of the escape-hatch release of the language and
/// are checked by [`newer_value`].
pub(super) fn unsupported(node: &N, context: Context) -> Option<String> {
    let Some(spec) = vocabulary::lookup(context, &node.name) else {
        return Some(format!("`{}` {}", node.name, context.describe()));
    };
    for (k, _) in &node.props {
        if !spec.props.iter().any(|p| p.name == *k) {
            return Some(format!("`{} {k}=`", node.name));
        }
    }
    if let Some(why) = newer_value(node) {
        return Some(why);
    }
    match spec.children {
        Children::Nodes(c) => node.children.iter().find_map(|child| unsupported(child, c)),
        Children::KeyValues => None,
        Children::None if node.children.is_empty() => None,
        Children::None => Some(format!("children of `{}`", node.name)),
    }
}

/// Whether the language has the forms of its escape-hatch release (`compose { ... }` came with
/// ephemeral ports, bind sources from variables and pass-through variables).
pub(super) fn has_hatch_release() -> bool {
    vocabulary::lookup(Context::Service, "compose").is_some()
}

/// Values whose form came later than the node: `port host="ephemeral"`, a bind source from a
/// variable (an `env` entry without a value is checked where it is converted).
fn newer_value(node: &N) -> Option<String> {
    if has_hatch_release() {
        return None;
    }
    match node.name.as_str() {
        "port" if node.get("host") == Some(&V::S("ephemeral".into())) => {
            Some("ephemeral host port (`port host=\"ephemeral\"`)".into())
        }
        "volume" if node.first_arg().is_some_and(|s| s.starts_with('$')) => {
            Some("volume source from a variable".into())
        }
        _ => None,
    }
}

/// `resources` and `reserve` written by several keys (`deploy` and `cpus`, say) become one
/// node, the first key's value winning a property both set.
fn merge_singles(out: &mut Vec<N>) {
    for name in ["resources", "reserve"] {
        let Some(first) = out.iter().position(|n| n.name == name) else {
            continue;
        };
        let mut i = first + 1;
        while i < out.len() {
            if out[i].name == name {
                let more = out.remove(i);
                for (k, v) in more.props {
                    if out[first].get(&k).is_none() {
                        out[first].set(&k, v);
                    }
                }
            } else {
                i += 1;
            }
        }
    }
}
