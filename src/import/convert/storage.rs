//! Volumes (short and long syntax), tmpfs mounts, secrets and configs a service mounts, and
//! `volumes_from`.

use super::{Cx, N, V, int_or_string, string, strings};
use crate::import::syntax;
use crate::import::yaml::{Kind, Node, Value};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    match key {
        "volumes" => volumes(cx, v, out),
        "tmpfs" => tmpfs(cx, v, out),
        "secrets" => out.extend(file_refs(cx, "secrets", v)),
        "configs" => out.extend(mounts(cx, "configs", "config", v)),
        "volumes_from" => {
            let from = strings(cx, key, v);
            if !from.is_empty() {
                out.push(N::new("volumes-from").args(from));
            }
        }
        _ => return false,
    }
    true
}

fn volumes(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let Some(items) = v.as_seq() else {
        cx.shape("volumes", v, "a list");
        return;
    };
    for item in items {
        match &item.value {
            Value::Scalar(_) => short_volume(cx, item, out),
            Value::Map(_) => long_volume(cx, item, out),
            Value::Seq(_) => cx.shape("volumes", item, "a volume"),
        }
    }
}

fn short_volume(cx: &mut Cx<'_>, item: &Node, out: &mut Vec<N>) {
    let text = item.string().unwrap_or_default();
    let parsed = syntax::volume(&text);
    let Some(source) = parsed.source else {
        cx.inexpressible(
            "volumes",
            item,
            "an anonymous volume (a target alone) has no form: name the volume",
            &text,
        );
        return;
    };
    let mut n = N::new("volume").arg(source).arg(parsed.target);
    for opt in &parsed.options {
        match opt.as_str() {
            "ro" => n.set("read-only", true),
            "rw" | "" => {}
            "z" | "Z" => n.set("selinux", opt.as_str()),
            "nocopy" => n.set("nocopy", true),
            "shared" | "slave" | "private" | "rshared" | "rslave" | "rprivate" => {
                n.set("propagation", opt.as_str())
            }
            "consistent" | "cached" | "delegated" => n.set("consistency", opt.as_str()),
            other => {
                cx.inexpressible(
                    "volumes",
                    item,
                    &format!("the mount option `{other}` has no form"),
                    &text,
                );
                return;
            }
        }
    }
    out.push(n);
}

fn long_volume(cx: &mut Cx<'_>, item: &Node, out: &mut Vec<N>) {
    let text = cx.sources.slice(item.span).trim().to_string();
    let kind = item
        .get("type")
        .and_then(Node::string)
        .unwrap_or_else(|| "volume".into());
    let source = item.get("source").and_then(Node::string);
    let Some(target) = item.get("target").and_then(Node::string) else {
        cx.shape("volumes", item, "a mount with `target`");
        return;
    };
    let Some(source) = source else {
        cx.inexpressible(
            "volumes",
            item,
            "a mount without a source has no form: name the volume",
            &text,
        );
        return;
    };
    if !matches!(kind.as_str(), "volume" | "bind" | "image") {
        cx.inexpressible(
            "volumes",
            item,
            &format!(
                "a `{kind}` mount in `volumes` has no form (a tmpfs mount is written `tmpfs`)"
            ),
            &text,
        );
        return;
    }
    let mut n = N::new("volume").arg(source.clone()).arg(target);
    let is_path = syntax::is_bind_source(&source);
    if (kind == "bind") != is_path || kind == "image" {
        n.set("type", kind.as_str());
    }
    for e in item.as_map().unwrap_or_default() {
        let val = &e.value;
        match e.key.as_str() {
            "type" | "source" | "target" => {}
            "read_only" => {
                if val.as_scalar().and_then(|s| s.as_bool()) == Some(true) {
                    n.set("read-only", true);
                }
            }
            "consistency" => n.set("consistency", string(val).unwrap_or_default()),
            "bind" => {
                for b in val.as_map().unwrap_or_default() {
                    match b.key.as_str() {
                        "propagation" => n.set("propagation", string(&b.value).unwrap_or_default()),
                        "selinux" => n.set("selinux", string(&b.value).unwrap_or_default()),
                        "create_host_path" => {
                            if b.value.as_scalar().and_then(|s| s.as_bool()) == Some(false) {
                                n.set("create-host-path", false);
                            }
                        }
                        other => {
                            cx.inexpressible(
                                "volumes",
                                item,
                                &format!("`bind.{other}` has no form"),
                                &text,
                            );
                            return;
                        }
                    }
                }
            }
            "volume" | "image" => {
                for b in val.as_map().unwrap_or_default() {
                    match b.key.as_str() {
                        "nocopy" => {
                            if b.value.as_scalar().and_then(|s| s.as_bool()) == Some(true) {
                                n.set("nocopy", true);
                            }
                        }
                        "subpath" => n.set("subpath", string(&b.value).unwrap_or_default()),
                        other => {
                            cx.inexpressible(
                                "volumes",
                                item,
                                &format!("`{}.{other}` has no form", e.key),
                                &text,
                            );
                            return;
                        }
                    }
                }
            }
            k if k.starts_with("x-") => {}
            other => {
                cx.inexpressible(
                    "volumes",
                    item,
                    &format!("`{other}` of a mount has no form"),
                    &text,
                );
                return;
            }
        }
    }
    out.push(n);
}

/// `tmpfs: /run` or a list of `/run:size=16m,mode=1777`.
fn tmpfs(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    for item in strings(cx, "tmpfs", v) {
        let (target, options) = syntax::tmpfs(&item);
        let mut n = N::new("tmpfs").arg(target);
        for (k, value) in options {
            match k.as_str() {
                "size" | "mode" | "uid" | "gid" => n.set(&k, value),
                other => {
                    cx.inexpressible(
                        "tmpfs",
                        v,
                        &format!("the tmpfs option `{other}` has no form"),
                        &item,
                    );
                    n.name.clear();
                    break;
                }
            }
        }
        if !n.name.is_empty() {
            out.push(n);
        }
    }
}

/// An octal file mode as compose reads it (`0440` is 288): written back as octal text.
fn mode(v: &Node) -> V {
    match v.as_scalar().map(|s| s.kind) {
        Some(Kind::Int(i)) => V::S(format!("0{i:o}")),
        _ => V::S(v.string().unwrap_or_default()),
    }
}

/// `secrets:` of a service (or of a build): short names or the long syntax.
pub(super) fn file_refs(cx: &mut Cx<'_>, key: &str, v: &Node) -> Vec<N> {
    mounts(cx, key, "secret", v)
}

fn mounts(cx: &mut Cx<'_>, key: &str, node: &str, v: &Node) -> Vec<N> {
    let Some(items) = v.as_seq() else {
        cx.shape(key, v, "a list");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Scalar(_) => out.push(N::new(node).arg(item.string().unwrap_or_default())),
            Value::Map(_) => {
                let Some(source) = item.get("source").and_then(Node::string) else {
                    cx.shape(key, item, "a mount with `source`");
                    continue;
                };
                let mut n = N::new(node).arg(source);
                for e in item.as_map().unwrap_or_default() {
                    match e.key.as_str() {
                        "source" => {}
                        "target" => n.set("target", string(&e.value).unwrap_or_default()),
                        "uid" | "gid" => n.set(&e.key, int_or_string(&e.value)),
                        "mode" => n.set("mode", mode(&e.value)),
                        k if k.starts_with("x-") => {}
                        other => cx.shape(
                            &format!("{key}.{other}"),
                            &e.value,
                            "source, target, uid, gid or mode",
                        ),
                    }
                }
                out.push(n);
            }
            Value::Seq(_) => cx.shape(key, item, "a name or a mapping"),
        }
    }
    out
}
