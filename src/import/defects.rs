//! The defect report: what a typed stack would not allow, found in the compose files and
//! reported at their file and line. Services named but defined nowhere, networks and volumes
//! used but not declared, a variable given twice in one `environment` list, a host port
//! published twice, images without a tag or on `latest`, GPU reservations without `count` or
//! `device_ids` or in services of no GPU profile, literal credentials in `environment`.
//! Import still writes what it can; each diagnostic says what needs a decision.

use std::collections::{BTreeMap, BTreeSet};

use super::convert::looks_secret;
use super::load::Project;
use super::syntax;
use super::yaml::{Node, Value};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::interpolation;
use crate::lang::source::{SourceMap, Span};

/// The services publishing each (host port, protocol): who, where, and as written.
type PortUsers = BTreeMap<(String, String), Vec<(String, Span, String)>>;

/// A literal credential: convert reads it from an input of the same name instead.
#[derive(Debug, Clone)]
pub struct Credential {
    pub service: String,
    pub variable: String,
    /// The value as written (what to mask when the file is shown).
    pub value_span: Span,
}

/// What the report found that the conversion acts on.
#[derive(Debug, Default)]
pub struct Found {
    pub credentials: Vec<Credential>,
    /// Host ports published again by a later service: left out of the stack (which refuses a
    /// host port twice in one profile).
    pub skipped: Vec<Span>,
}

pub fn report(
    project: &Project,
    documents: &[Node],
    sources: &SourceMap,
    diags: &mut Diagnostics,
) -> Found {
    for doc in documents {
        duplicate_environment(doc, diags);
    }
    let tree = &project.tree;
    let services = tree
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default();
    let names: Vec<&str> = services.iter().map(|e| e.key.as_str()).collect();
    let mut found = Found::default();
    let mut ports: PortUsers = BTreeMap::new();
    for svc in services {
        let s = &svc.value;
        if s.get("image").is_none() && s.get("build").is_none() && s.get("provider").is_none() {
            diags.push(
                Diagnostic::error(
                    Code::DefectUndefinedService,
                    format!(
                        "service `{}` has no image and no build in any file: it is defined nowhere",
                        svc.key
                    ),
                )
                .label(svc.key_span, "named here only")
                .help(
                    "define it in the base file, remove it from this file, or check its spelling",
                ),
            );
        }
        dependencies(&svc.key, s, &names, diags);
        declared(tree, &svc.key, s, diags);
        image(&svc.key, s, diags);
        gpu(&svc.key, s, diags);
        credentials(&svc.key, s, sources, diags, &mut found);
        if s.get("network_mode").and_then(Node::string).as_deref() != Some("host") {
            for (key, at, written) in host_ports(s) {
                ports
                    .entry(key)
                    .or_default()
                    .push((svc.key.clone(), at, written));
            }
        }
    }
    for ((port, protocol), users) in ports {
        let services: BTreeSet<&str> = users.iter().map(|u| u.0.as_str()).collect();
        if services.len() < 2 {
            continue;
        }
        let (first, rest) = users.split_first().expect("two users");
        for (service, at, _) in rest.iter().filter(|u| u.0 != first.0) {
            found.skipped.push(*at);
            diags.push(
                Diagnostic::error(
                    Code::DefectDuplicatePort,
                    format!("host port {port}/{protocol} is published by `{}` and `{service}`", first.0),
                )
                .label(*at, format!("`{service}` publishes it here"))
                .label(first.1, format!("`{}` publishes it here", first.0))
                .help(format!("import leaves this port out of `{service}` (a stack publishes a host port once per profile): give it another host port")),
            );
        }
    }
    found
}

/// A variable set twice in one `environment` list (a mapping cannot hold a key twice: the YAML
/// reader refuses that).
fn duplicate_environment(doc: &Node, diags: &mut Diagnostics) {
    for svc in doc
        .get("services")
        .and_then(Node::as_map)
        .unwrap_or_default()
    {
        let Some(items) = svc.value.get("environment").and_then(Node::as_seq) else {
            continue;
        };
        let mut seen: BTreeMap<String, Span> = BTreeMap::new();
        for item in items {
            let Some(text) = item.string() else { continue };
            let (key, _) = syntax::key_value(&text);
            if let Some(first) = seen.get(&key) {
                diags.push(
                    Diagnostic::warning(
                        Code::DefectDuplicateEnv,
                        format!("`{key}` is set twice in the environment of `{}`: compose keeps the last", svc.key),
                    )
                    .label(item.span, "set again here (this value wins)")
                    .label(*first, "first set here")
                    .help("keep one; import writes the value compose uses"),
                );
            } else {
                seen.insert(key, item.span);
            }
        }
    }
}

fn dependencies(name: &str, s: &Node, names: &[&str], diags: &mut Diagnostics) {
    let Some(deps) = s.get("depends_on") else {
        return;
    };
    let listed: Vec<(String, Span)> = match &deps.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| Some((i.string()?, i.span)))
            .collect(),
        Value::Map(m) => m.iter().map(|e| (e.key.clone(), e.key_span)).collect(),
        Value::Scalar(_) => Vec::new(),
    };
    for (dep, at) in listed {
        if !names.contains(&dep.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::DefectUndefinedService,
                    format!("`{name}` depends on `{dep}`, which no file defines"),
                )
                .label(at, "no such service")
                .help(crate::diag::suggest(&dep, names.iter().copied())),
            );
        }
    }
}

/// Networks and named volumes a service uses that no top-level key declares.
fn declared(tree: &Node, name: &str, s: &Node, diags: &mut Diagnostics) {
    let networks = tree.get("networks");
    let has_network = |n: &str| n == "default" || networks.and_then(|d| d.get(n)).is_some();
    let used: Vec<(String, Span)> = match s.get("networks").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| Some((i.string()?, i.span)))
            .collect(),
        Some(Value::Map(m)) => m.iter().map(|e| (e.key.clone(), e.key_span)).collect(),
        _ => Vec::new(),
    };
    for (net, at) in used {
        if !has_network(&net) {
            diags.push(
                Diagnostic::error(
                    Code::DefectUndeclaredNetwork,
                    format!("`{name}` uses the network `{net}`, which no file declares"),
                )
                .label(at, "not declared")
                .help("import declares it in project.kdl; say whether it is created here or `external=#true`"),
            );
        }
    }
    let volumes = tree.get("volumes");
    for v in s.get("volumes").and_then(Node::as_seq).unwrap_or_default() {
        let source = match &v.value {
            Value::Scalar(_) => syntax::volume(&v.string().unwrap_or_default()).source,
            Value::Map(_)
                if v.get("type")
                    .and_then(Node::string)
                    .is_none_or(|t| t == "volume") =>
            {
                v.get("source").and_then(Node::string)
            }
            _ => None,
        };
        let Some(source) = source else { continue };
        if syntax::is_bind_source(&source) || source.contains('$') {
            continue;
        }
        if volumes.and_then(|d| d.get(&source)).is_none() {
            diags.push(
                Diagnostic::error(
                    Code::DefectUndeclaredVolume,
                    format!("`{name}` mounts the volume `{source}`, which no file declares"),
                )
                .label(v.span, "not declared")
                .help("import declares it in project.kdl; say whether it is created here or `external=#true`"),
            );
        }
    }
}

/// The image reference a service runs: `ref`, or the default of `${VAR:-ref}`.
fn reference(text: &str) -> Option<String> {
    let refs = interpolation::references(text);
    if refs.is_empty() {
        return Some(text.to_string());
    }
    let whole = refs.len() == 1 && refs[0].range == (0..text.len());
    (whole && !refs[0].argument.contains('$')).then(|| refs[0].argument.clone())
}

fn image(name: &str, s: &Node, diags: &mut Diagnostics) {
    let Some(node) = s.get("image") else { return };
    let Some(text) = node.string() else { return };
    let Some(reference) = reference(&text) else {
        return;
    };
    if reference.is_empty() || reference.contains('@') {
        return;
    }
    let last = reference.rsplit('/').next().unwrap_or(&reference);
    let tag = last.split_once(':').map(|(_, t)| t);
    let problem = match tag {
        None => "has no tag (compose runs `latest`)",
        Some("latest") => "runs `latest`",
        Some(_) => return,
    };
    diags.push(
        Diagnostic::warning(
            Code::DefectUnpinnedImage,
            format!("the image of `{name}` ({reference}) {problem}: what runs changes without the files changing"),
        )
        .label(node.span, "not pinned")
        .help("give it a version tag, then `pmovesc pin` adds the digest"),
    );
}

fn gpu_devices(s: &Node) -> Vec<&Node> {
    s.get("deploy")
        .and_then(|d| d.get("resources"))
        .and_then(|r| r.get("reservations"))
        .and_then(|r| r.get("devices"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter(|d| {
            let caps: Vec<String> = d
                .get("capabilities")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::string)
                .collect();
            super::convert::is_gpu(&caps, d.get("driver").and_then(Node::string).as_deref())
        })
        .collect()
}

fn gpu(name: &str, s: &Node, diags: &mut Diagnostics) {
    let devices = gpu_devices(s);
    if devices.is_empty() {
        return;
    }
    for d in &devices {
        if d.get("count").is_none() && d.get("device_ids").is_none() {
            diags.push(
                Diagnostic::warning(
                    Code::DefectGpuCount,
                    format!("the GPU reservation of `{name}` has neither `count` nor `device_ids`: compose gives it every GPU"),
                )
                .label(d.span, "takes every GPU")
                .help("import writes `gpu count=\"all\"`, which is what compose does; say how many it needs"),
            );
        }
    }
    let profiles: Vec<String> = match s.get("profiles").map(|p| &p.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(Node::string).collect(),
        _ => Vec::new(),
    };
    if !profiles
        .iter()
        .any(|p| p.to_ascii_lowercase().contains("gpu"))
    {
        let at = devices[0].span;
        let groups = if profiles.is_empty() {
            "no compose profile (it always runs)".to_string()
        } else {
            format!(
                "the profiles {}",
                profiles
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        diags.push(
            Diagnostic::warning(
                Code::DefectGpuProfile,
                format!("`{name}` reserves a GPU but is in {groups}, none of them a GPU profile: starting it asks for a GPU"),
            )
            .label(at, "GPU reservation")
            .help("the stack emits GPU reservations only in the `gpu` profile, so the other profiles no longer ask for one"),
        );
    }
}

/// Host ports a service publishes, keyed by port (the default of a `${VAR:-8080}`) and
/// protocol.
fn host_ports(s: &Node) -> Vec<((String, String), Span, String)> {
    let mut out = Vec::new();
    for p in s.get("ports").and_then(Node::as_seq).unwrap_or_default() {
        let (published, protocol) = match &p.value {
            Value::Scalar(_) => {
                let Some(sp) = syntax::port(&p.string().unwrap_or_default()) else {
                    continue;
                };
                (sp.published, sp.protocol)
            }
            Value::Map(_) => (
                p.get("published").and_then(Node::string),
                p.get("protocol").and_then(Node::string),
            ),
            Value::Seq(_) => continue,
        };
        let Some(published) = published else { continue };
        let port = match reference(&published) {
            Some(r) if !r.is_empty() => r,
            _ => continue,
        };
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        out.push((
            (port, protocol.unwrap_or_else(|| "tcp".into())),
            p.span,
            published,
        ));
    }
    out
}

/// Words that say a variable holds a path to, or the address of, a credential rather than the
/// credential itself.
fn names_a_place(variable: &str) -> bool {
    let upper = variable.to_ascii_uppercase();
    upper.split('_').any(|w| {
        matches!(
            w,
            "FILE"
                | "PATH"
                | "DIR"
                | "URL"
                | "URI"
                | "HOST"
                | "PORT"
                | "ENDPOINT"
                | "NAME"
                | "USER"
                | "USERNAME"
                | "ID"
                | "TYPE"
                | "MODE"
                | "ENABLED"
                | "HEADER"
                | "LENGTH"
                | "TTL"
                | "EXPIRY"
                | "ALGORITHM"
        )
    })
}

fn credentials(
    name: &str,
    s: &Node,
    sources: &SourceMap,
    diags: &mut Diagnostics,
    found: &mut Found,
) {
    let Some(env) = s.get("environment") else {
        return;
    };
    let entries: Vec<(String, String, Span, bool)> = match &env.value {
        Value::Map(m) => m
            .iter()
            .filter(|e| !e.value.is_null())
            .map(|e| {
                (
                    e.key.clone(),
                    e.value.string().unwrap_or_default(),
                    e.value.span,
                    false,
                )
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let text = i.string()?;
                let (k, v) = syntax::key_value(&text);
                Some((k, v?, i.span, true))
            })
            .collect(),
        Value::Scalar(_) => Vec::new(),
    };
    for (variable, value, span, in_list) in entries {
        if value.is_empty() || value.contains('$') || value.starts_with("/run/secrets/") {
            continue;
        }
        if !looks_secret(&variable) || names_a_place(&variable) {
            continue;
        }
        if matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "none" | "null" | "0" | "1"
        ) {
            continue;
        }
        let value_span = if in_list {
            after_equals(sources, span)
        } else {
            span
        };
        diags.push(
            Diagnostic::warning(
                Code::DefectLiteralCredential,
                format!("`{variable}` of `{name}` is a credential written literally in the compose file"),
            )
            .label(value_span, "a literal value (not shown)")
            .help(format!("import reads it from the secret input `{variable}` instead: set it in OUT/.env (or the shell) to the value it had, and rotate it if the file was ever shared")),
        );
        found.credentials.push(Credential {
            service: name.to_string(),
            variable,
            value_span,
        });
    }
}

/// The value part of a `KEY=value` list item (the part after `=`, without a closing quote).
fn after_equals(sources: &SourceMap, span: Span) -> Span {
    let text = sources.slice(span);
    let Some(eq) = text.find('=') else {
        return span;
    };
    let mut end = text.len();
    if text.ends_with(['"', '\'']) && text.len() > eq + 1 {
        end -= 1;
    }
    Span::new(
        span.file,
        span.start as usize + eq + 1,
        end.saturating_sub(eq + 1),
    )
}
