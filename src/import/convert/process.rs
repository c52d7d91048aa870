//! What runs: image (and its pin variable), build, command, entrypoint, environment and env
//! files, compose profiles (groups), dependencies, and the process settings with a node of
//! their own.

use super::{Cx, N, V, bool_or_string, number_or_string, pairs, string, strings};
use crate::import::yaml::{Kind, Node, Value};
use crate::lang::interpolation::{Operator, references};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    match key {
        "image" => image(cx, v, out),
        "build" => build(cx, v, out),
        "command" | "entrypoint" => command(cx, key, v, out),
        "environment" => environment(cx, v, out),
        "env_file" => env_file(cx, v, out),
        "profiles" => {
            let groups = strings(cx, key, v);
            if !groups.is_empty() {
                out.push(N::new("group").args(groups));
            }
        }
        "depends_on" => depends_on(cx, v, out),
        "init" | "stdin_open" => {
            let name = if key == "init" { "init" } else { "stdin-open" };
            out.push(N::new(name).arg(bool_or_string(v)));
        }
        "stop_grace_period" | "stop_signal" | "working_dir" | "hostname" => {
            let name = key.replace('_', "-");
            out.push(N::new(name).arg(string(v).unwrap_or_default()));
        }
        "restart" => {
            let policy = string(v).unwrap_or_default();
            match policy.split_once(':') {
                Some(("on-failure", n)) => {
                    let retries = n.parse::<i128>().map(V::I).unwrap_or(V::S(n.to_string()));
                    out.push(
                        N::new("restart")
                            .arg("on-failure")
                            .prop("max-retries", retries),
                    );
                }
                _ => out.push(N::new("restart").arg(policy)),
            }
        }
        _ => return false,
    }
    true
}

/// `image: ref`, or `image: ${VAR:-ref}` (the pin variable and its default).
fn image(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let Some(text) = string(v) else {
        cx.shape("image", v, "a string");
        return;
    };
    let refs = references(&text);
    if refs.is_empty() {
        if let Err(why) = crate::lang::values::parse_image(&text) {
            cx.inexpressible(
                "image",
                v,
                &format!("the stack language refuses this image reference ({why})"),
                &text,
            );
            return;
        }
        out.push(N::new("image").arg(text));
        return;
    }
    let whole = refs.len() == 1 && refs[0].range == (0..text.len());
    if whole
        && let Operator::Default { .. } = refs[0].operator
        && !refs[0].argument.is_empty()
        && references(&refs[0].argument).is_empty()
    {
        if let Err(why) = crate::lang::values::parse_image(&refs[0].argument) {
            cx.inexpressible(
                "image",
                v,
                &format!("the stack language refuses this image reference ({why})"),
                &text,
            );
            return;
        }
        out.push(N::new("image").arg(refs[0].argument.clone()));
        out.push(N::new("pin-var").arg(refs[0].name.clone()));
        return;
    }
    cx.inexpressible(
        "image",
        v,
        "an image is written literally (a variable may only override it whole, as the pin variable `${VAR:-reference}`)",
        &text,
    );
}

fn build(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let mut b = N::new("build");
    match &v.value {
        Value::Scalar(_) => {
            b.args.push(V::S(string(v).unwrap_or_default()));
            out.push(b);
            return;
        }
        Value::Map(_) => {}
        Value::Seq(_) => {
            cx.shape("build", v, "a context or a mapping");
            return;
        }
    }
    let entries = v.as_map().unwrap_or_default();
    if let Some(ctx) = v.get("context").and_then(string) {
        b.args.push(V::S(ctx));
    }
    for e in entries {
        let val = &e.value;
        if val.is_null() {
            continue;
        }
        match e.key.as_str() {
            "context" => {}
            "dockerfile" | "target" | "network" | "isolation" => {
                b.set(&e.key, string(val).unwrap_or_default());
            }
            "dockerfile_inline" => b.set("dockerfile-inline", string(val).unwrap_or_default()),
            "shm_size" => b.set("shm-size", string(val).unwrap_or_default()),
            "no_cache" => b.set("no-cache", bool_or_string(val)),
            "pull" => b.set("pull", bool_or_string(val)),
            "privileged" => {
                let on = val.as_scalar().and_then(|s| s.as_bool());
                b.set("privileged", bool_or_string(val));
                if on == Some(true) {
                    let r = cx.reason("`build.privileged: true`", val.span);
                    b.set("reason", r);
                }
            }
            "provenance" | "sbom" => b.set(&e.key, number_or_string(val)),
            "args" => {
                for (k, value, _) in pairs(cx, "build.args", val) {
                    match value {
                        Some(value) => b.children.push(N::new("arg").arg(k).arg(value)),
                        None => {
                            cx.inexpressible(
                                "build.args",
                                val,
                                "a build argument without a value (taken from the environment) has no form",
                                &k,
                            );
                        }
                    }
                }
            }
            "labels" | "additional_contexts" | "extra_hosts" => {
                let name = match e.key.as_str() {
                    "labels" => "label",
                    "additional_contexts" => "additional-context",
                    _ => "extra-host",
                };
                if e.key == "extra_hosts" {
                    for item in crate::import::merge::into_sequence(val.clone()) {
                        if let Some((h, a)) = item
                            .string()
                            .as_deref()
                            .and_then(crate::import::syntax::extra_host)
                        {
                            b.children.push(N::new(name).arg(h).arg(a));
                        }
                    }
                    continue;
                }
                for (k, value, _) in pairs(cx, &e.key, val) {
                    b.children
                        .push(N::new(name).arg(k).arg(value.unwrap_or_default()));
                }
            }
            "cache_from" | "cache_to" | "tags" | "platforms" | "ssh" | "no_cache_filter"
            | "entitlements" => {
                let name = match e.key.as_str() {
                    "cache_from" => "cache-from",
                    "cache_to" => "cache-to",
                    "tags" => "tag",
                    "platforms" => "platform",
                    "no_cache_filter" => "no-cache-filter",
                    "entitlements" => "entitlement",
                    _ => "ssh",
                };
                let items = if e.key == "ssh" {
                    match &val.value {
                        Value::Map(m) => m
                            .iter()
                            .map(|x| format!("{}={}", x.key, x.value.string().unwrap_or_default()))
                            .collect(),
                        _ => strings(cx, "build.ssh", val),
                    }
                } else {
                    strings(cx, &e.key, val)
                };
                if !items.is_empty() {
                    b.children.push(N::new(name).args(items));
                }
            }
            "secrets" => {
                for s in super::storage::file_refs(cx, "build.secrets", val) {
                    b.children.push(s);
                }
            }
            "ulimits" => {
                for u in super::limits::ulimits(cx, val) {
                    b.children.push(u);
                }
            }
            k if k.starts_with("x-") => {}
            other => cx.shape(&format!("build.{other}"), val, "a key of `build`"),
        }
    }
    out.push(b);
}

fn command(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) {
    let name = key;
    match &v.value {
        Value::Scalar(s) if s.kind == Kind::Null => {}
        Value::Scalar(_) => {
            let text = string(v).unwrap_or_default();
            if text.is_empty() {
                cx.inexpressible(key, v, "an empty command has no form", "\"\"");
                return;
            }
            out.push(N::new(name).arg(text));
        }
        Value::Seq(items) => {
            let words: Vec<String> = items
                .iter()
                .map(|i| i.string().unwrap_or_default())
                .collect();
            match words.as_slice() {
                [] => cx.inexpressible(key, v, "an empty exec form (which clears the image's) has no form", "[]"),
                [one] if needs_exec_form(one) => cx.inexpressible(
                    key,
                    v,
                    "an exec form of one word with spaces or quotes has no form (one argument is the string form, which compose splits)",
                    one,
                ),
                _ => out.push(N::new(name).args(words)),
            }
        }
        Value::Map(_) => cx.shape(key, v, "a string or a list"),
    }
}

/// Whether one word would be split or unquoted by compose's shell-words parsing of the
/// string form.
fn needs_exec_form(word: &str) -> bool {
    word.is_empty() || word.contains([' ', '\t', '\n', '"', '\'', '\\', '$', '`'])
}

fn environment(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let mut env = N::new("env");
    match &v.value {
        Value::Map(entries) => {
            for e in entries {
                let mut n = N::new(e.key.clone());
                if cx.credentials.contains(&(cx.owner.clone(), e.key.clone())) {
                    n.args.push(V::S(format!("${{{}}}", e.key)));
                } else if !e.value.is_null() {
                    n.args.push(V::S(e.value.string().unwrap_or_default()));
                } else if !super::service::has_hatch_release() {
                    pass_through(cx, &e.key, &e.value);
                    continue;
                }
                env.children.push(n);
            }
        }
        Value::Seq(items) => {
            for item in items {
                let Some(text) = item.string() else {
                    cx.shape("environment", item, "a `KEY=value` string");
                    continue;
                };
                let (k, value) = crate::import::syntax::key_value(&text);
                // Compose keeps the last of a variable given twice (the defect report names it).
                env.children.retain(|c| c.name != k);
                let mut n = N::new(k.clone());
                if value.is_some() && cx.credentials.contains(&(cx.owner.clone(), k.clone())) {
                    n.args.push(V::S(format!("${{{k}}}")));
                } else if let Some(value) = value {
                    n.args.push(V::S(value));
                } else if !super::service::has_hatch_release() {
                    pass_through(cx, &k, item);
                    continue;
                }
                env.children.push(n);
            }
        }
        Value::Scalar(s) if s.kind == Kind::Null => return,
        Value::Scalar(_) => {
            cx.shape("environment", v, "a mapping or a list of `KEY=value`");
            return;
        }
    }
    if env.children.is_empty() {
        return;
    }
    env.block = true;
    out.push(env);
}

/// `KEY` without a value (compose takes it from its own environment).
fn pass_through(cx: &mut Cx<'_>, key: &str, at: &Node) {
    cx.inexpressible(
        "environment",
        at,
        "this version of the language has no variable taken from the environment (`KEY` without a value)",
        key,
    );
}

fn env_file(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    for f in env_files(cx, v) {
        out.push(f);
    }
}

/// `env_file` entries as `env-file` nodes, one per file.
pub(crate) fn env_files(cx: &mut Cx<'_>, v: &Node) -> Vec<N> {
    let items: Vec<Node> = match &v.value {
        Value::Seq(items) => items.clone(),
        Value::Scalar(s) if s.kind == Kind::Null => Vec::new(),
        _ => vec![v.clone()],
    };
    let mut out = Vec::new();
    for item in &items {
        match &item.value {
            Value::Scalar(_) => out.push(N::new("env-file").arg(item.string().unwrap_or_default())),
            Value::Map(_) => {
                let Some(path) = item.get("path").and_then(Node::string) else {
                    cx.shape("env_file", item, "a path or `{path: ...}`");
                    continue;
                };
                let mut n = N::new("env-file").arg(path);
                if let Some(r) = item.get("required").and_then(|r| r.as_scalar()?.as_bool())
                    && !r
                {
                    n.set("required", false);
                }
                if let Some(f) = item.get("format").and_then(Node::string) {
                    n.set("format", f);
                }
                out.push(n);
            }
            Value::Seq(_) => cx.shape("env_file", item, "a path"),
        }
    }
    out
}

fn depends_on(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let mapped = crate::import::merge::to_mapping(v.clone(), true);
    let Some(entries) = mapped.as_map() else {
        cx.shape("depends_on", v, "a list of services or a mapping");
        return;
    };
    for e in entries {
        let mut n = N::new("depends-on").arg(e.key.clone());
        let cond = e.value.get("condition").and_then(Node::string);
        match cond.as_deref() {
            None | Some("service_started") => {}
            Some("service_healthy") => n.set("condition", "healthy"),
            Some("service_completed_successfully") => n.set("condition", "completed"),
            Some(other) => {
                cx.shape(
                    "depends_on.condition",
                    e.value.get("condition").unwrap_or(&e.value),
                    &format!("service_started, service_healthy or service_completed_successfully, not `{other}`"),
                );
            }
        }
        if let Some(r) = e
            .value
            .get("required")
            .and_then(|r| r.as_scalar()?.as_bool())
            && !r
        {
            n.set("required", false);
        }
        if let Some(r) = e
            .value
            .get("restart")
            .and_then(|r| r.as_scalar()?.as_bool())
            && r
        {
            n.set("restart", true);
        }
        out.push(n);
    }
}
