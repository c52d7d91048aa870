//! The merged compose tree to stack-language files: `project.kdl` (the project, its networks,
//! volumes, secrets and the inputs the files read) and one file per compose profile group (or
//! per service), each service with a comment naming the compose file and line it came from.
//!
//! A key is written in its typed form; a key the converter has no form for is named in a
//! `PMV807` warning and kept as a comment beside the service, never dropped silently. `service`
//! converts one service, `top` the top-level definitions, `value` the scalar helpers.

mod health;
mod limits;
mod network;
mod plain;
mod process;
mod security;
mod service;
mod storage;
mod top;
mod value;

use std::collections::{BTreeMap, BTreeSet};

pub use limits::is_gpu;
pub use value::looks_secret;

use super::kdl::{self, N, V};
use super::load::Project;
use super::yaml::{Node, Value};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::interpolation;
use crate::lang::source::{SourceMap, Span};

/// How to lay the stack out.
#[derive(Debug, Clone)]
pub struct Options {
    /// The first compose file (its directory names the project when the files give no `name:`).
    pub first_file: String,
    /// Where the stack will be built into (paths are already rebased onto it).
    pub build_dir: String,
    pub file_per_service: bool,
}

/// What converting collects besides nodes: the sources (for places in comments), the
/// diagnostics, and the comments of keys left out of the definition being converted.
pub(super) struct Cx<'a> {
    pub sources: &'a SourceMap,
    pub diags: &'a mut Diagnostics,
    /// The service (or definition) being converted, for messages.
    pub owner: String,
    /// Comments for the node being converted: what was left out, and why.
    pub comments: Vec<String>,
    /// Literal credentials (service, variable) to read from a secret input instead.
    pub credentials: BTreeSet<(String, String)>,
    /// Values the defect report resolved by leaving them out (a host port published again).
    pub skipped: BTreeSet<Span>,
}

impl Cx<'_> {
    /// `docker-compose.yml:12`: where a span is, as the comment above a node says it.
    pub fn place(&self, span: Span) -> String {
        let file = self.sources.file(span.file);
        let (line, _) = self.sources.line_col(span);
        format!("{}:{line}", display_name(&file.name))
    }

    /// A setting the stack language cannot write: a warning at the value and a comment on the
    /// node that would have held it, with the value as written.
    pub fn inexpressible(&mut self, key: &str, at: &Node, why: &str, written: &str) {
        let place = self.place(at.span);
        let mut shown: String = written.chars().take(120).collect();
        if shown.len() < written.len() {
            shown.push('…');
        }
        let shown = shown.replace('\n', " ");
        self.comments.push(format!(
            "not imported ({}): {key}: {shown} ({place}): {why}",
            Code::ImportNotExpressible.id()
        ));
        self.diags.push(
            Diagnostic::warning(
                Code::ImportNotExpressible,
                format!("`{key}` of `{}` cannot be written in the stack language: {why}", self.owner),
            )
            .label(at.span, "left out of the stack")
            .help("the stack keeps it as a comment; the generated compose files do not have it until it is written by hand"),
        );
    }

    /// A whole key left out (the value shown is the YAML as written, on one line).
    pub fn inexpressible_key(&mut self, key: &str, at: &Node, why: &str) {
        let written = self.sources.slice(at.span).trim().to_string();
        self.inexpressible(key, at, why, &written);
    }

    /// A value whose shape compose does not accept.
    pub fn shape(&mut self, key: &str, at: &Node, expected: &str) {
        self.diags.push(
            Diagnostic::error(
                Code::ImportShape,
                format!(
                    "`{key}` of `{}` is {}, where compose expects {expected}",
                    self.owner,
                    at.describe()
                ),
            )
            .label(at.span, format!("expected {expected}")),
        );
    }

    /// The `reason=` import writes on an exception it keeps, and a warning that a person
    /// should replace it with the real one.
    pub fn reason(&mut self, what: &str, at: Span) -> String {
        let place = self.place(at);
        self.diags.push(
            Diagnostic::warning(
                Code::ImportDecision,
                format!("`{}` keeps {what}, which the stack language treats as an exception to hardening", self.owner),
            )
            .label(at, "imported with a placeholder reason")
            .help("replace the `reason=` import wrote with why the service needs it; `pmovesc audit` lists every reason"),
        );
        format!("imported from {place}: say why it is needed")
    }
}

/// The scalar of a node as compose reads it where it expects a string.
pub(super) fn string(v: &Node) -> Option<String> {
    v.string()
}

/// A list of strings, or one string as a list of one.
pub(super) fn strings(cx: &mut Cx<'_>, key: &str, v: &Node) -> Vec<String> {
    match &v.value {
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match i.string() {
                Some(s) => Some(s),
                None => {
                    cx.shape(key, i, "a string");
                    None
                }
            })
            .collect(),
        Value::Scalar(s) if s.kind == super::yaml::Kind::Null => Vec::new(),
        Value::Scalar(_) => vec![v.string().unwrap_or_default()],
        Value::Map(_) => {
            cx.shape(key, v, "a list");
            Vec::new()
        }
    }
}

/// A KDL value for a compose scalar, keeping its type: an integer stays an integer, a boolean a
/// boolean, a number a decimal, anything else a string.
pub(super) fn typed(v: &Node) -> V {
    match v.as_scalar().map(|s| s.kind) {
        Some(super::yaml::Kind::Int(i)) => V::I(i),
        Some(super::yaml::Kind::Bool(b)) => V::B(b),
        Some(super::yaml::Kind::Float(f)) => V::F(value::decimal(f)),
        _ => V::S(v.string().unwrap_or_default()),
    }
}

/// An integer if the scalar is one, else its string (a `${VAR:-1}`).
pub(super) fn int_or_string(v: &Node) -> V {
    match v.as_scalar().map(|s| s.kind) {
        Some(super::yaml::Kind::Int(i)) => V::I(i),
        _ => {
            let s = v.string().unwrap_or_default();
            s.parse::<i128>().map(V::I).unwrap_or(V::S(s))
        }
    }
}

/// A boolean if the scalar is one (YAML 1.1 words included), else its string.
pub(super) fn bool_or_string(v: &Node) -> V {
    match v.as_scalar().and_then(|s| s.as_bool()) {
        Some(b) => V::B(b),
        None => V::S(v.string().unwrap_or_default()),
    }
}

/// A number (integer or decimal) if the scalar is one, else its string.
pub(super) fn number_or_string(v: &Node) -> V {
    match v.as_scalar().map(|s| s.kind) {
        Some(super::yaml::Kind::Int(i)) => V::I(i),
        Some(super::yaml::Kind::Float(f)) => V::F(value::decimal(f)),
        Some(super::yaml::Kind::Bool(b)) => V::B(b),
        _ => V::S(v.string().unwrap_or_default()),
    }
}

/// The entries of a key-value field in either syntax: a mapping (`KEY: value`, a null value
/// is `None`) or a list of `KEY=value` (`KEY` alone is `None`), with where each was written.
pub(super) fn pairs(cx: &mut Cx<'_>, key: &str, v: &Node) -> Vec<(String, Option<String>, Span)> {
    match &v.value {
        Value::Map(entries) => entries
            .iter()
            .map(|e| {
                let value = (!e.value.is_null()).then(|| e.value.string().unwrap_or_default());
                (e.key.clone(), value, e.key_span)
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match i.string() {
                Some(text) => {
                    let (k, val) = super::syntax::key_value(&text);
                    Some((k, val, i.span))
                }
                None => {
                    cx.shape(key, i, "a `KEY=value` string");
                    None
                }
            })
            .collect(),
        Value::Scalar(s) if s.kind == super::yaml::Kind::Null => Vec::new(),
        Value::Scalar(_) => {
            cx.shape(key, v, "a mapping or a list of `KEY=value`");
            Vec::new()
        }
    }
}

/// A compose file's name for comments: the path as given, or its file name when it is absolute
/// (so the stack never holds an absolute path).
pub fn display_name(name: &str) -> String {
    if name.starts_with('/') {
        name.rsplit('/').next().unwrap_or(name).to_string()
    } else {
        name.to_string()
    }
}

/// Compose's project name from a directory: lowercase letters, digits, `-` and `_`.
pub fn project_name(dir: &str) -> String {
    let base = dir.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let name: String = base
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let name = name.trim_start_matches(['-', '_']).to_string();
    if name.is_empty() {
        "imported".into()
    } else {
        name
    }
}

/// The stack files of a merged project.
pub fn stack(
    project: &Project,
    sources: &SourceMap,
    fragments: &[Span],
    found: &super::defects::Found,
    options: &Options,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut cx = Cx {
        sources,
        diags,
        owner: String::new(),
        comments: Vec::new(),
        credentials: found
            .credentials
            .iter()
            .map(|c| (c.service.clone(), c.variable.clone()))
            .collect(),
        skipped: found.skipped.iter().copied().collect(),
    };
    let tree = &project.tree;
    let name = tree
        .get("name")
        .and_then(Node::string)
        .filter(|n| !n.is_empty() && !n.contains('$'))
        .unwrap_or_else(|| {
            let dir = super::load::dir_of(&options.first_file);
            project_name(&if dir == "." { String::new() } else { dir })
        });
    let mut files = BTreeMap::new();
    let header = header(project, sources);

    // The project file: the project, then the definitions, then the inputs.
    let mut project_nodes = vec![N::new("project").arg(name.as_str())];
    let used = used_definitions(tree);
    project_nodes.extend(top::networks(&mut cx, tree, &used.networks));
    project_nodes.extend(top::volumes(&mut cx, tree, &used.volumes));
    project_nodes.extend(top::secrets(&mut cx, tree));
    cx.owner = "the project".into();
    for entry in tree.as_map().into_iter().flatten() {
        match entry.key.as_str() {
            "services" | "networks" | "volumes" | "secrets" | "name" => {}
            "version" => {} // obsolete: compose ignores it
            k if k.starts_with("x-") => {
                // An extension field that only held a fragment some alias used is carried by
                // the alias; any other is the user's data.
                if !fragments.contains(&entry.value.span) {
                    cx.inexpressible_key(
                        k,
                        &entry.value,
                        "extension fields are carried by the `compose { ... }` escape hatch, which this version of the language does not have",
                    );
                }
            }
            k => cx.inexpressible_key(
                k,
                &entry.value,
                "no stack form writes this top-level key yet",
            ),
        }
    }
    project_nodes[0].comments.append(&mut cx.comments);
    let moved: BTreeSet<String> = found
        .credentials
        .iter()
        .map(|c| c.variable.clone())
        .collect();
    project_nodes.extend(inputs(tree, &moved));

    // The services, grouped into files.
    let mut by_file: BTreeMap<String, Vec<N>> = BTreeMap::new();
    if let Some(services) = tree.get("services").and_then(Node::as_map) {
        for entry in services {
            let node = service::service(&mut cx, &entry.key, entry.key_span, &entry.value);
            let file = if options.file_per_service {
                format!("{}.kdl", file_stem(&entry.key))
            } else {
                match first_group(&entry.value) {
                    Some(g) => format!("{}.kdl", file_stem(&g)),
                    None => "services.kdl".to_string(),
                }
            };
            by_file.entry(file).or_default().push(node);
        }
    }
    only_where_built(tree, &mut by_file);
    // `project.kdl` is the project's: a group called `project` gets another name.
    if let Some(nodes) = by_file.remove("project.kdl") {
        by_file.insert("project-group.kdl".into(), nodes);
    }
    files.insert(
        "project.kdl".to_string(),
        kdl::file(&header, &project_nodes),
    );
    for (file, nodes) in by_file {
        files.insert(file, kdl::file(&header, &nodes));
    }
    files
}

/// A service that requires one that exists only where the stack builds (it has no image) can
/// exist only there too: `only-in "dev-local"` spreads along required dependencies.
fn only_where_built(tree: &Node, by_file: &mut BTreeMap<String, Vec<N>>) {
    let mut local: BTreeSet<String> = BTreeSet::new();
    for nodes in by_file.values() {
        for n in nodes {
            if n.children.iter().any(|c| c.name == "only-in") {
                local.extend(n.first_arg());
            }
        }
    }
    loop {
        let mut more = Vec::new();
        for nodes in by_file.values() {
            for n in nodes {
                let Some(name) = n.first_arg() else { continue };
                if local.contains(&name) {
                    continue;
                }
                let needs = n.children.iter().any(|c| {
                    c.name == "depends-on"
                        && c.get("required") != Some(&V::B(false))
                        && c.first_arg().is_some_and(|d| local.contains(&d))
                });
                if needs {
                    more.push(name);
                }
            }
        }
        if more.is_empty() {
            break;
        }
        local.extend(more.iter().cloned());
        for nodes in by_file.values_mut() {
            for n in nodes.iter_mut() {
                if n.first_arg().is_some_and(|a| more.contains(&a)) {
                    n.children.push(
                        N::new("only-in")
                            .arg("dev-local")
                            .comment("it requires a service that runs only where the stack builds"),
                    );
                }
            }
        }
    }
    let _ = tree;
}

/// The comment at the top of every file: which compose files it was imported from.
fn header(project: &Project, sources: &SourceMap) -> Vec<String> {
    let names: Vec<String> = project
        .files
        .iter()
        .map(|f| display_name(&sources.file(*f).name))
        .collect();
    vec![format!(
        "Imported by `pmovesc import` from {}.",
        names.join(", ")
    )]
}

/// A file name for a group or service: the name with anything but `[A-Za-z0-9._-]` replaced.
fn file_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "_".into() } else { s }
}

/// The first compose profile a service lists: the group its file is named after.
fn first_group(service: &Node) -> Option<String> {
    let profiles = service.get("profiles")?;
    match &profiles.value {
        Value::Seq(items) => items.first().and_then(Node::string),
        Value::Scalar(_) => profiles.string(),
        Value::Map(_) => None,
    }
}

/// The networks and volumes the services use, so definitions that compose would create anyway
/// can be told apart.
pub(super) struct Used {
    pub networks: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
}

fn used_definitions(tree: &Node) -> Used {
    let mut used = Used {
        networks: BTreeSet::new(),
        volumes: BTreeSet::new(),
    };
    for svc in tree
        .get("services")
        .and_then(Node::as_map)
        .into_iter()
        .flatten()
    {
        if let Some(nets) = svc.value.get("networks") {
            match &nets.value {
                Value::Seq(items) => used.networks.extend(items.iter().filter_map(Node::string)),
                Value::Map(m) => used.networks.extend(m.iter().map(|e| e.key.clone())),
                Value::Scalar(_) => {}
            }
        }
        for v in svc
            .value
            .get("volumes")
            .and_then(Node::as_seq)
            .into_iter()
            .flatten()
        {
            let source = match &v.value {
                Value::Scalar(_) => super::syntax::volume(&v.string().unwrap_or_default()).source,
                Value::Map(_) => {
                    let kind = v.get("type").and_then(Node::string);
                    if kind.as_deref().is_some_and(|t| t != "volume") {
                        None
                    } else {
                        v.get("source").and_then(Node::string)
                    }
                }
                Value::Seq(_) => None,
            };
            if let Some(s) = source
                && !super::syntax::is_bind_source(&s)
                && !s.contains('$')
            {
                used.volumes.insert(s);
            }
        }
    }
    used
}

/// An `input` for every variable the files read without a default: compose substitutes an
/// empty string (with a warning) when one is unset, which `required=#false` keeps; a `:?`
/// reference stays required. Names that look like credentials are secret; a literal credential
/// moved out of the files is a required secret input.
fn inputs(tree: &Node, credentials: &BTreeSet<String>) -> Vec<N> {
    let mut needs: BTreeMap<String, bool> = BTreeMap::new();
    for c in credentials {
        needs.insert(c.clone(), true);
    }
    let mut visit = |s: &str| {
        for r in interpolation::references(s) {
            if !r.needs_value() {
                continue;
            }
            let required = matches!(r.operator, interpolation::Operator::Required { .. });
            let e = needs.entry(r.name.clone()).or_insert(false);
            *e |= required;
        }
    };
    each_string(tree, &mut visit);
    needs
        .into_iter()
        .map(|(name, required)| {
            let mut n = N::new("input").arg(name.as_str());
            if value::looks_secret(&name) || credentials.contains(&name) {
                n.set("secret", true);
            }
            if !required {
                n.set("required", false);
            }
            n
        })
        .collect()
}

/// Every string of a tree, keys excluded (`environment` mapping keys are names, not text).
fn each_string(node: &Node, visit: &mut dyn FnMut(&str)) {
    match &node.value {
        Value::Scalar(s) => {
            if s.kind == super::yaml::Kind::Str {
                visit(&s.text);
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| each_string(i, visit)),
        Value::Map(entries) => {
            for e in entries {
                if !e.key.starts_with("x-") {
                    each_string(&e.value, visit);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_follow_compose() {
        assert_eq!(project_name("pmoves"), "pmoves");
        assert_eq!(project_name("a/My.App_1"), "myapp_1");
        assert_eq!(project_name(""), "imported");
        assert_eq!(display_name("/abs/dir/compose.yml"), "compose.yml");
        assert_eq!(file_stem("a b/c"), "a_b_c");
    }
}
