//! Rules over container names in each profile's shape: a fixed `container-name` allows one
//! container, so it cannot be scaled, and two services of one profile cannot share it.

use std::collections::HashMap;

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::Span;

use super::profiles::{ByProfile, gather, profile_list};

/// A plain single value of a shaped body.
fn plain<'a>(body: &'a ServiceBody, node: &str) -> Option<&'a Setting<PlainValue>> {
    body.plain.get(&(node.to_string(), String::new()))
}

/// The replica count a body asks for, reading the default of a variable.
fn replicas(body: &ServiceBody) -> Option<(i64, Span)> {
    let s = plain(body, "scale")?;
    let n = match &s.value {
        PlainValue::One(Scalar::Integer(n)) => *n,
        PlainValue::One(Scalar::String(v)) => crate::lang::values::interpolation_default(v)?
            .parse()
            .ok()?,
        _ => return None,
    };
    Some((n, s.span))
}

pub(super) fn check_container_names(stack: &Resolved, diags: &mut Diagnostics) {
    let mut by: ByProfile = Default::default();
    for profile in &stack.profiles {
        let pname = profile.name.value.as_str();
        let mut names: HashMap<String, (&str, Span)> = HashMap::new();
        for (name, service) in &stack.services {
            let Some(body) = stack.shape(service, profile) else {
                continue;
            };
            let Some(fixed) = plain(&body, "container-name") else {
                continue;
            };
            let PlainValue::One(value) = &fixed.value else {
                continue;
            };
            let cname = value.text();
            if let Some((n, scale_span)) = replicas(&body)
                && n > 1
            {
                gather(
                    &mut by,
                    (name, Code::ContainerNameScaled, fixed.span, ""),
                    || {
                        Diagnostic::error(
                            Code::ContainerNameScaled,
                            format!("`{name}` has a fixed container name but runs {n} containers"),
                        )
                        .label(fixed.span, "one container per name")
                        .label(scale_span, format!("asks for {n}"))
                        .help("drop `container-name` (other services reach it by service name or `network … aliases=`), or run one container")
                    },
                    pname,
                );
            }
            if let Some((other, first)) = names.get(&cname) {
                let other = other.to_string();
                let first = *first;
                gather(
                    &mut by,
                    (name, Code::ContainerNameTaken, fixed.span, &other),
                    || {
                        Diagnostic::error(
                            Code::ContainerNameTaken,
                            format!("`{name}` and `{other}` both name their container `{cname}`"),
                        )
                        .label(fixed.span, "taken again here")
                        .label(first, format!("`{other}` takes it first"))
                        .help("give each service its own container name, or none")
                    },
                    pname,
                );
            } else {
                names.insert(cname, (name.as_str(), fixed.span));
            }
        }
    }
    for (_, (mut d, profiles)) in by {
        d.message = format!("{} in {}", d.message, profile_list(&profiles));
        diags.push(d);
    }
}
