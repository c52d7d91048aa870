//! Top-level definitions: networks, volumes and secrets. A network or volume the services use
//! that no file declares is declared here (compose would refuse the file; the defect report
//! names it).

use std::collections::BTreeSet;

use super::{Cx, N, bool_or_string, pairs, string};
use crate::import::yaml::{Node, Value};

/// `external: true`, or the old `external: {name: x}`.
fn external(n: &mut N, v: &Node) {
    match &v.value {
        Value::Map(_) => {
            n.set("external", true);
            if let Some(name) = v.get("name").and_then(Node::string) {
                n.set("name", name);
            }
        }
        _ => {
            if v.as_scalar().and_then(|s| s.as_bool()) == Some(true) {
                n.set("external", true);
            }
        }
    }
}

fn labels_and_options(cx: &mut Cx<'_>, key: &str, v: &Node, n: &mut N) {
    let child = if key == "labels" {
        "label"
    } else {
        "driver-opt"
    };
    for (k, value, _) in pairs(cx, key, v) {
        n.children
            .push(N::new(child).arg(k).arg(value.unwrap_or_default()));
    }
}

/// Keeps what of a definition node the vocabulary knows: a property or child it does not is
/// taken off with a warning, the definition itself stays (services refer to it).
fn checked(cx: &mut Cx<'_>, kind: &str, name: &str, def: &Node, mut n: N) -> Option<N> {
    use crate::lang::vocabulary::{self, Context};
    let spec = vocabulary::lookup(Context::Top, &n.name)?;
    cx.owner = format!("{kind} {name}");
    let mut missing = Vec::new();
    n.props.retain(|(k, _)| {
        let known = spec.props.iter().any(|p| p.name == *k);
        if !known {
            missing.push(format!("`{kind} {k}=`"));
        }
        known
    });
    let child_context = match spec.children {
        vocabulary::Children::Nodes(c) => Some(c),
        _ => None,
    };
    n.children.retain(|c| {
        let known = child_context.is_some_and(|ctx| super::service::unsupported(c, ctx).is_none());
        if !known {
            missing.push(format!("`{}` in a {kind}", c.name));
        }
        known
    });
    for m in missing {
        cx.inexpressible_key(
            &format!("{kind}s.{name}"),
            def,
            &format!("this version of the language has no {m}"),
        );
    }
    n.comments.append(&mut cx.comments);
    Some(n)
}

pub(super) fn networks(cx: &mut Cx<'_>, tree: &Node, used: &BTreeSet<String>) -> Vec<N> {
    let mut out = Vec::new();
    let mut declared = BTreeSet::new();
    for e in tree
        .get("networks")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        declared.insert(e.key.clone());
        cx.owner = format!("network {}", e.key);
        let mut n = N::new("network").arg(e.key.as_str());
        n.comments.push(format!("from {}", cx.place(e.key_span)));
        for s in e.value.as_map().unwrap_or_default() {
            let val = &s.value;
            match s.key.as_str() {
                "name" | "driver" => n.set(&s.key, string(val).unwrap_or_default()),
                "external" => external(&mut n, val),
                "internal" | "attachable" | "enable_ipv6" | "enable_ipv4" => {
                    n.set(&s.key.replace('_', "-"), bool_or_string(val))
                }
                "labels" | "driver_opts" => labels_and_options(cx, &s.key, val, &mut n),
                "ipam" => {
                    let configs = val.get("config").and_then(Node::as_seq).unwrap_or_default();
                    let other = val
                        .as_map()
                        .unwrap_or_default()
                        .iter()
                        .any(|x| x.key != "config");
                    match configs {
                        [] if !other => {}
                        [one] if !other => {
                            for c in one.as_map().unwrap_or_default() {
                                match c.key.as_str() {
                                    "subnet" | "gateway" => {
                                        n.set(&c.key, string(&c.value).unwrap_or_default())
                                    }
                                    other => {
                                        cx.inexpressible_key(&format!("ipam.config.{other}"), &c.value, "only `subnet` and `gateway` of one IPAM config have a form");
                                    }
                                }
                            }
                        }
                        _ => cx.inexpressible_key(
                            "ipam",
                            val,
                            "only one IPAM config with `subnet` and `gateway` has a form",
                        ),
                    }
                }
                k if k.starts_with("x-") => {}
                other => cx.inexpressible_key(other, val, "no form writes this network key"),
            }
        }
        if let Some(n) = checked(cx, "network", &e.key, &e.value, n) {
            out.push(n);
        }
    }
    for name in used.difference(&declared) {
        if name == "default" {
            continue;
        }
        out.push(N::new("network").arg(name.as_str()).comment(
            "declared by import: the services use it and no compose file declares it (PMV821)",
        ));
    }
    out
}

pub(super) fn volumes(cx: &mut Cx<'_>, tree: &Node, used: &BTreeSet<String>) -> Vec<N> {
    let mut out = Vec::new();
    let mut declared = BTreeSet::new();
    for e in tree
        .get("volumes")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        declared.insert(e.key.clone());
        cx.owner = format!("volume {}", e.key);
        let mut n = N::new("volume").arg(e.key.as_str());
        for s in e.value.as_map().unwrap_or_default() {
            let val = &s.value;
            match s.key.as_str() {
                "name" | "driver" => n.set(&s.key, string(val).unwrap_or_default()),
                "external" => external(&mut n, val),
                "labels" | "driver_opts" => labels_and_options(cx, &s.key, val, &mut n),
                k if k.starts_with("x-") => {}
                other => cx.inexpressible_key(other, val, "no form writes this volume key"),
            }
        }
        if let Some(n) = checked(cx, "volume", &e.key, &e.value, n) {
            out.push(n);
        }
    }
    for name in used.difference(&declared) {
        out.push(N::new("volume").arg(name.as_str()).comment(
            "declared by import: the services mount it and no compose file declares it (PMV822)",
        ));
    }
    out
}

pub(super) fn secrets(cx: &mut Cx<'_>, tree: &Node) -> Vec<N> {
    let mut out = Vec::new();
    for e in tree
        .get("secrets")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        cx.owner = format!("secret {}", e.key);
        let mut n = N::new("secret").arg(e.key.as_str());
        for s in e.value.as_map().unwrap_or_default() {
            let val = &s.value;
            match s.key.as_str() {
                "file" | "environment" | "name" | "driver" | "template_driver" => {
                    n.set(&s.key.replace('_', "-"), string(val).unwrap_or_default())
                }
                "external" => external(&mut n, val),
                "labels" | "driver_opts" => labels_and_options(cx, &s.key, val, &mut n),
                k if k.starts_with("x-") => {}
                other => cx.inexpressible_key(other, val, "no form writes this secret key"),
            }
        }
        if let Some(n) = checked(cx, "secret", &e.key, &e.value, n) {
            out.push(n);
        }
    }
    out
}
