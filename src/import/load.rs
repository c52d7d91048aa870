//! Reading a set of compose files the way `docker compose -f A -f B` does: every document of
//! every file merged in order (see [`super::merge`]), `extends` resolved inside a file and from
//! other files, `include` projects added, and relative paths rebased onto the directory the
//! generated compose files will be built into. Files come from the caller's reader: this module
//! does no I/O itself.

use std::collections::{BTreeMap, HashMap};

use super::merge::{self, MergeError};
use super::yaml::{self, Entry, Node, Value};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::interpolation;
use crate::lang::source::{FileId, SourceMap, Span};

/// Reads a file by path (relative to the working directory, or absolute); the error is the
/// reason, e.g. "No such file or directory".
pub type Reader<'r> = dyn FnMut(&str) -> Result<Vec<u8>, String> + 'r;

/// How deep `extends` chains and `include` nesting may go.
const MAX_NESTING: usize = 64;

/// One merged set of compose files.
#[derive(Debug, Clone)]
pub struct Project {
    /// The merged tree: `services`, `networks`, ... with spans into the files.
    pub tree: Node,
    /// The project directory (the first file's directory).
    pub dir: String,
    /// Every file read for the set, in order.
    pub files: Vec<FileId>,
}

struct Parsed {
    file: FileId,
    documents: Vec<Node>,
}

/// Reads and merges compose files; keeps every file it reads in the source map.
pub struct Loader<'a, 'r> {
    pub sources: &'a mut SourceMap,
    pub diags: &'a mut Diagnostics,
    read: &'a mut Reader<'r>,
    variables: &'a BTreeMap<String, String>,
    build_dir: String,
    cache: HashMap<String, Option<Parsed>>,
    /// Spans of anchored values some alias used (extension fields that only hold fragments).
    pub fragments: Vec<Span>,
    /// Every document of every file read, as written (before merging): the defect report
    /// looks at what merging hides, such as a variable given twice in one list.
    pub documents: Vec<Node>,
}

/// Lexically normalised path: `.` removed, `..` applied where it can be, `/` separators.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".into()
    } else {
        joined
    }
}

/// The directory of a file path (`.` for a bare name).
pub fn dir_of(path: &str) -> String {
    match normalize(path).rsplit_once('/') {
        Some(("", _)) => "/".into(),
        Some((d, _)) => d.to_string(),
        None => ".".into(),
    }
}

/// `path` (relative to `base`, or absolute) relative to the working directory.
pub fn join(base: &str, path: &str) -> String {
    if path.starts_with('/') || base == "." {
        normalize(path)
    } else {
        normalize(&format!("{base}/{path}"))
    }
}

/// `path` (relative to the working directory) relative to `dir` (also relative to it).
pub fn relative_to(path: &str, dir: &str) -> String {
    let path = normalize(path);
    let dir = normalize(dir);
    if path.starts_with('/') != dir.starts_with('/') {
        return path;
    }
    let p: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let d: Vec<&str> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; d.len() - common];
    out.extend(&p[common..]);
    if out.is_empty() {
        ".".into()
    } else if out[0] == ".." {
        out.join("/")
    } else {
        format!("./{}", out.join("/"))
    }
}

fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("git@")
        || path.starts_with("github.com/")
        || path.starts_with("docker-image:")
        || path.starts_with("service:")
        || path.starts_with("oci-layout:")
}

impl<'a, 'r> Loader<'a, 'r> {
    pub fn new(
        sources: &'a mut SourceMap,
        diags: &'a mut Diagnostics,
        read: &'a mut Reader<'r>,
        variables: &'a BTreeMap<String, String>,
        build_dir: &str,
    ) -> Self {
        Self {
            sources,
            diags,
            read,
            variables,
            build_dir: normalize(build_dir),
            cache: HashMap::new(),
            fragments: Vec::new(),
            documents: Vec::new(),
        }
    }

    fn problem(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A path as compose resolves it for reading: variables from the env files, then defaults.
    fn resolve_vars(&self, s: &str) -> String {
        let vars = self.variables;
        let text = interpolation::rewrite(s, &mut |r| {
            let value = vars.get(&r.name).filter(|v| {
                !v.is_empty()
                    || !matches!(r.operator, interpolation::Operator::Default { colon: true })
            });
            Some(match (&r.operator, value) {
                (interpolation::Operator::Alternative { .. }, Some(_)) => r.argument.clone(),
                (interpolation::Operator::Alternative { .. }, None) => String::new(),
                (_, Some(v)) => v.clone(),
                (interpolation::Operator::Default { .. }, None) => r.argument.clone(),
                (_, None) => String::new(),
            })
        });
        text.replace("$$", "$")
    }

    /// The documents of a file, parsed once however many sets read it.
    fn parse(&mut self, path: &str, used_at: Option<Span>) -> Option<(FileId, Vec<Node>)> {
        let key = normalize(path);
        if let Some(cached) = self.cache.get(&key) {
            return cached.as_ref().map(|p| (p.file, p.documents.clone()));
        }
        let bytes = match (self.read)(&key) {
            Ok(b) => b,
            Err(reason) => {
                let mut p = Diagnostic::error(
                    Code::ImportUnreadable,
                    format!("cannot read `{key}`: {reason}"),
                );
                if let Some(at) = used_at {
                    p = p.label(at, "named here");
                }
                self.problem(p);
                self.cache.insert(key, None);
                return None;
            }
        };
        let file = self.sources.add_bytes(key.clone(), bytes);
        let text = self.sources.file(file).text.clone();
        let parsed = match yaml::parse_with_fragments(&text, file) {
            Ok((docs, fragments)) => {
                self.fragments.extend(fragments);
                self.documents.extend(docs.iter().cloned());
                Some(Parsed {
                    file,
                    documents: docs,
                })
            }
            Err(e) => {
                let mut p = Diagnostic::error(Code::ImportYaml, e.message).label(e.span, e.label);
                if let Some((span, label)) = e.other {
                    p = p.label(span, label);
                }
                self.problem(p);
                None
            }
        };
        let out = parsed.as_ref().map(|p| (p.file, p.documents.clone()));
        self.cache.insert(key, parsed);
        out
    }

    /// Reads and merges a set of files (`-f A -f B`): the project directory is the first file's.
    pub fn load_set(&mut self, files: &[String]) -> Option<Project> {
        let dir = dir_of(files.first()?);
        let mut tree: Option<Node> = None;
        let mut ids = Vec::new();
        let mut ok = true;
        for f in files {
            let Some(docs) = self.load_file(f, &dir, None, 0) else {
                ok = false;
                continue;
            };
            ids.push(docs.0);
            for doc in docs.1 {
                tree = self.merge_into(tree, doc);
            }
        }
        let file = *ids.first()?;
        let tree = tree.unwrap_or_else(|| Node::null(Span::new(file, 0, 0)));
        ok.then_some(Project {
            tree,
            dir,
            files: ids,
        })
    }

    fn merge_into(&mut self, tree: Option<Node>, doc: Node) -> Option<Node> {
        match merge::merge_file(tree.clone(), doc) {
            Ok(t) => Some(t),
            Err(e) => {
                self.merge_error(e);
                tree
            }
        }
    }

    fn merge_error(&mut self, e: MergeError) {
        self.problem(
            Diagnostic::error(
                Code::ImportMerge,
                format!(
                    "`{}` cannot be merged: {} here, {} before",
                    e.path,
                    e.overlay.describe(),
                    e.base.describe()
                ),
            )
            .label(e.overlay.span, format!("{} here", e.overlay.describe()))
            .label(e.base.span, format!("{} before", e.base.describe())),
        );
    }

    /// One file's documents, each with `extends` and `include` applied and its relative paths
    /// (relative to `base_dir`) rebased onto the build directory.
    fn load_file(
        &mut self,
        path: &str,
        base_dir: &str,
        used_at: Option<Span>,
        depth: usize,
    ) -> Option<(FileId, Vec<Node>)> {
        let (file, docs) = self.parse(path, used_at)?;
        let mut out = Vec::new();
        for mut doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc.as_map().is_none() {
                self.problem(
                    Diagnostic::error(
                        Code::ImportShape,
                        format!("a compose file is a mapping, not {}", doc.describe()),
                    )
                    .label(
                        doc.span,
                        "expected `services:` and the other top-level keys",
                    ),
                );
                continue;
            }
            self.rebase(&mut doc, base_dir);
            self.apply_extends(&mut doc, path, depth);
            self.apply_include(&mut doc, base_dir, depth);
            out.push(doc);
        }
        Some((file, out))
    }

    /// Rebases a relative path written against `from` onto the build directory. A path from a
    /// variable (`${DIR:-../data}/x`) gets its default rebased; a value the operator sets is
    /// read from the build directory, as the generated files are.
    fn rebase_path(&self, p: &str, from: &str) -> String {
        if p.starts_with('$') && from != self.build_dir {
            return interpolation::rewrite(p, &mut |r| match r.operator {
                interpolation::Operator::Default { colon }
                    if !r.argument.is_empty() && !r.argument.starts_with(['$', '/', '~']) =>
                {
                    let op = if colon { ":-" } else { "-" };
                    Some(format!(
                        "${{{}{op}{}}}",
                        r.name,
                        self.rebase_path(&r.argument, from)
                    ))
                }
                _ => None,
            });
        }
        if from == self.build_dir
            || p.starts_with('/')
            || p.starts_with('~')
            || p.starts_with('$')
            || p.starts_with('\\')
            || is_remote(p)
            || (p.len() > 1 && p.as_bytes()[1] == b':')
        {
            return p.to_string();
        }
        relative_to(&join(from, p), &self.build_dir)
    }

    fn rebase_node(&self, node: &mut Node, from: &str) {
        if let Value::Scalar(s) = &mut node.value
            && s.kind == yaml::Kind::Str
        {
            s.text = self.rebase_path(&s.text, from);
        }
    }

    /// compose-go's relative-path resolvers: build contexts, env and label files, bind mounts,
    /// watch paths, secret and config files.
    fn rebase(&self, doc: &mut Node, from: &str) {
        if normalize(from) == self.build_dir {
            return;
        }
        let Some(entries) = doc.as_map_mut() else {
            return;
        };
        for top in entries.iter_mut() {
            match top.key.as_str() {
                "services" => {
                    for svc in top.value.as_map_mut().into_iter().flatten() {
                        self.rebase_service(&mut svc.value, from);
                    }
                }
                "secrets" | "configs" => {
                    for def in top.value.as_map_mut().into_iter().flatten() {
                        if let Some(f) = def
                            .value
                            .as_map_mut()
                            .and_then(|m| m.iter_mut().find(|e| e.key == "file"))
                        {
                            self.rebase_node(&mut f.value, from);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn rebase_service(&self, svc: &mut Node, from: &str) {
        let Some(entries) = svc.as_map_mut() else {
            return;
        };
        for e in entries.iter_mut() {
            match e.key.as_str() {
                "build" => match &mut e.value.value {
                    Value::Scalar(_) => self.rebase_node(&mut e.value, from),
                    Value::Map(b) => {
                        for be in b.iter_mut() {
                            match be.key.as_str() {
                                "context" => self.rebase_node(&mut be.value, from),
                                "additional_contexts" => {
                                    for ac in be.value.as_map_mut().into_iter().flatten() {
                                        self.rebase_node(&mut ac.value, from);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    Value::Seq(_) => {}
                },
                "env_file" | "label_file" => match &mut e.value.value {
                    Value::Scalar(_) => self.rebase_node(&mut e.value, from),
                    Value::Seq(items) => {
                        for item in items {
                            match &mut item.value {
                                Value::Scalar(_) => self.rebase_node(item, from),
                                Value::Map(m) => {
                                    if let Some(p) = m.iter_mut().find(|x| x.key == "path") {
                                        self.rebase_node(&mut p.value, from);
                                    }
                                }
                                Value::Seq(_) => {}
                            }
                        }
                    }
                    Value::Map(_) => {}
                },
                "volumes" => {
                    if let Value::Seq(items) = &mut e.value.value {
                        for item in items {
                            self.rebase_volume(item, from);
                        }
                    }
                }
                "develop" => {
                    let watch = e
                        .value
                        .as_map_mut()
                        .and_then(|m| m.iter_mut().find(|x| x.key == "watch"));
                    if let Some(w) = watch
                        && let Value::Seq(rules) = &mut w.value.value
                    {
                        for rule in rules {
                            if let Some(p) = rule
                                .as_map_mut()
                                .and_then(|m| m.iter_mut().find(|x| x.key == "path"))
                            {
                                self.rebase_node(&mut p.value, from);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn rebase_volume(&self, item: &mut Node, from: &str) {
        match &mut item.value {
            Value::Scalar(s) if s.kind == yaml::Kind::Str => {
                let v = super::syntax::volume(&s.text);
                if let Some(src) = &v.source
                    && super::syntax::is_bind_source(src)
                    && (src.starts_with('.') || src.starts_with('$'))
                {
                    let rebased = self.rebase_path(src, from);
                    s.text = format!("{rebased}{}", &s.text[src.len()..]);
                }
            }
            Value::Map(m) => {
                let bind = m
                    .iter()
                    .find(|x| x.key == "type")
                    .and_then(|x| x.value.string())
                    .is_none_or(|t| t == "bind");
                if bind && let Some(src) = m.iter_mut().find(|x| x.key == "source") {
                    let is_path = src.value.string().is_some_and(|s| {
                        s.starts_with('.')
                            || (s.starts_with('$') && super::syntax::is_bind_source(&s))
                    });
                    if is_path {
                        self.rebase_node(&mut src.value, from);
                    }
                }
            }
            _ => {}
        }
    }

    /// Resolves `extends` in the services of one document (same file or `file:`), base first,
    /// by the merge rules; cycles are errors.
    fn apply_extends(&mut self, doc: &mut Node, path: &str, depth: usize) {
        let Some(services) = doc
            .as_map_mut()
            .and_then(|m| m.iter_mut().find(|e| e.key == "services"))
        else {
            return;
        };
        let names: Vec<String> = services
            .value
            .as_map()
            .map(|m| m.iter().map(|e| e.key.clone()).collect())
            .unwrap_or_default();
        let mut done: HashMap<String, Node> = HashMap::new();
        for name in &names {
            let mut chain = Vec::new();
            self.extend_service(&services.value, name, path, depth, &mut chain, &mut done);
        }
        if let Some(m) = services.value.as_map_mut() {
            for e in m.iter_mut() {
                if let Some(resolved) = done.remove(&e.key) {
                    e.value = resolved;
                }
            }
        }
    }

    fn extend_service(
        &mut self,
        services: &Node,
        name: &str,
        path: &str,
        depth: usize,
        chain: &mut Vec<String>,
        done: &mut HashMap<String, Node>,
    ) -> Option<Node> {
        if let Some(d) = done.get(name) {
            return Some(d.clone());
        }
        let entry = services.entry(name)?.clone();
        let Some(extends) = entry.value.entry("extends").cloned() else {
            return Some(entry.value);
        };
        if chain.iter().any(|c| c == name) || chain.len() > MAX_NESTING {
            self.problem(
                Diagnostic::error(
                    Code::ImportExtends,
                    format!(
                        "`extends` goes round in a circle: {} -> {name}",
                        chain.join(" -> ")
                    ),
                )
                .label(extends.key_span, "extends again here"),
            );
            return None;
        }
        chain.push(name.to_string());
        let (base_name, file) = match &extends.value.value {
            Value::Scalar(_) => (extends.value.string().unwrap_or_default(), None),
            Value::Map(_) => (
                extends
                    .value
                    .get("service")
                    .and_then(Node::string)
                    .unwrap_or_default(),
                extends.value.get("file").cloned(),
            ),
            Value::Seq(_) => (String::new(), None),
        };
        let base = match file {
            None => {
                if services.entry(&base_name).is_none() {
                    let known: Vec<&str> = services
                        .as_map()
                        .map(|m| m.iter().map(|e| e.key.as_str()).collect())
                        .unwrap_or_default();
                    self.problem(
                        Diagnostic::error(
                            Code::ImportExtends,
                            format!("service `{name}` extends `{base_name}`, which this file does not define"),
                        )
                        .label(extends.value.span, "no such service here")
                        .help(crate::diag::suggest(&base_name, known)),
                    );
                    chain.pop();
                    return None;
                }
                self.extend_service(services, &base_name, path, depth, chain, done)
            }
            Some(file_node) => {
                let written = file_node.string().unwrap_or_default();
                let other = join(&dir_of(path), &self.resolve_vars(&written));
                if depth > MAX_NESTING {
                    chain.pop();
                    return None;
                }
                let loaded =
                    self.load_file(&other, &dir_of(&other), Some(file_node.span), depth + 1);
                let other_services = loaded.and_then(|(_, docs)| {
                    let mut t: Option<Node> = None;
                    for d in docs {
                        t = self.merge_into(t, d);
                    }
                    t.and_then(|t| t.get("services").cloned())
                });
                match other_services {
                    Some(s) if s.entry(&base_name).is_some() => s.get(&base_name).cloned(),
                    _ => {
                        self.problem(
                            Diagnostic::error(
                                Code::ImportExtends,
                                format!("service `{name}` extends `{base_name}` of `{written}`, which does not define it"),
                            )
                            .label(extends.value.span, "no such service there"),
                        );
                        None
                    }
                }
            }
        };
        chain.pop();
        let base = base?;
        let mut service = entry.value.clone();
        if let Some(m) = service.as_map_mut() {
            m.retain(|e| e.key != "extends");
        }
        let mut base = base;
        if let Some(m) = base.as_map_mut() {
            m.retain(|e| e.key != "extends");
        }
        // `!reset` and `!override` in the service apply to what it inherits.
        let mut resets = Vec::new();
        let mut p = vec!["services".to_string(), name.to_string()];
        merge::take_resets(&mut service, &mut Vec::new(), &mut resets);
        for r in &resets {
            merge::remove_path(&mut base, r);
        }
        let merged = match merge::merge(base, service.clone(), &mut p) {
            Ok(m) => m,
            Err(e) => {
                self.merge_error(e);
                service
            }
        };
        let mut merged = merged;
        merged.span = entry.value.span;
        done.insert(name.to_string(), merged.clone());
        Some(merged)
    }

    /// Adds the services, networks, volumes, secrets, configs and models of `include`d projects
    /// to the document; a name defined twice is an error.
    fn apply_include(&mut self, doc: &mut Node, base_dir: &str, depth: usize) {
        let Some(pos) = doc
            .as_map()
            .and_then(|m| m.iter().position(|e| e.key == "include"))
        else {
            return;
        };
        let include = doc.as_map_mut().expect("mapping").remove(pos);
        let items: Vec<Node> = match include.value.value {
            Value::Seq(items) => items,
            _ => {
                self.problem(
                    Diagnostic::error(Code::ImportShape, "`include` is a list")
                        .label(include.value.span, "expected a list of files"),
                );
                return;
            }
        };
        if depth > MAX_NESTING {
            self.problem(
                Diagnostic::error(Code::ImportInclude, "`include` nests too deep")
                    .label(include.key_span, "here"),
            );
            return;
        }
        for item in items {
            let (paths, project_dir, env_file) = match &item.value {
                Value::Scalar(_) => (vec![item.clone()], None, None),
                Value::Map(_) => {
                    let paths = match item.get("path") {
                        Some(p) if p.as_seq().is_some() => p.as_seq().unwrap().to_vec(),
                        Some(p) => vec![p.clone()],
                        None => Vec::new(),
                    };
                    (
                        paths,
                        item.get("project_directory").and_then(Node::string),
                        item.get("env_file").cloned(),
                    )
                }
                Value::Seq(_) => (Vec::new(), None, None),
            };
            if let Some(env) = env_file {
                self.problem(
                    Diagnostic::warning(
                        Code::ImportInclude,
                        "the services of this include read their variables from the project's environment once imported, not from its `env_file`",
                    )
                    .label(env.span, "not carried into the stack")
                    .help("declare the variables the included services read as inputs, or set them in the project's env files"),
                );
            }
            let files: Vec<(String, Span)> = paths
                .iter()
                .map(|p| {
                    (
                        join(
                            base_dir,
                            &self.resolve_vars(&p.string().unwrap_or_default()),
                        ),
                        p.span,
                    )
                })
                .collect();
            let Some((first, _)) = files.first() else {
                continue;
            };
            let dir = match &project_dir {
                Some(d) => join(base_dir, &self.resolve_vars(d)),
                None => dir_of(first),
            };
            let mut tree: Option<Node> = None;
            for (f, span) in &files {
                if let Some((_, docs)) = self.load_file(f, &dir, Some(*span), depth + 1) {
                    for d in docs {
                        tree = self.merge_into(tree, d);
                    }
                }
            }
            if let Some(included) = tree {
                self.add_included(doc, included, item.span);
            }
        }
    }

    fn add_included(&mut self, doc: &mut Node, included: Node, at: Span) {
        let Value::Map(top) = included.value else {
            return;
        };
        for section in top {
            if !matches!(
                section.key.as_str(),
                "services" | "networks" | "volumes" | "secrets" | "configs" | "models"
            ) {
                continue;
            }
            let Value::Map(defs) = section.value.value else {
                continue;
            };
            let entries = doc.as_map_mut().expect("mapping");
            let target = match entries.iter().position(|e| e.key == section.key) {
                Some(i) => i,
                None => {
                    entries.push(Entry {
                        key: section.key.clone(),
                        key_span: section.key_span,
                        value: Node {
                            value: Value::Map(Vec::new()),
                            span: section.value.span,
                            tag: None,
                        },
                    });
                    entries.len() - 1
                }
            };
            let Some(have) = entries[target].value.as_map_mut() else {
                continue;
            };
            for def in defs {
                if let Some(first) = have.iter().find(|e| e.key == def.key) {
                    if first.value == def.value {
                        continue;
                    }
                    let first_span = first.key_span;
                    self.diags.push(
                        Diagnostic::error(
                            Code::ImportInclude,
                            format!(
                                "`{}.{}` is defined by the project and by an included file",
                                section.key, def.key
                            ),
                        )
                        .label(def.key_span, "included here")
                        .label(first_span, "defined here")
                        .label(at, "by this include"),
                    );
                    continue;
                }
                have.push(def);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(normalize("./a/../b/./c"), "b/c");
        assert_eq!(normalize("../x"), "../x");
        assert_eq!(dir_of("pmoves/docker-compose.yml"), "pmoves");
        assert_eq!(dir_of("docker-compose.yml"), ".");
        assert_eq!(join("pmoves", "./x/y"), "pmoves/x/y");
        assert_eq!(relative_to("pmoves/x", "pmoves"), "./x");
        assert_eq!(
            relative_to("pmoves/monitoring/x", "pmoves"),
            "./monitoring/x"
        );
        assert_eq!(relative_to("a/x", "b"), "../a/x");
        assert_eq!(relative_to("b", "b"), ".");
    }

    fn load(files: &[(&str, &str)], set: &[&str]) -> (Option<Project>, Vec<Diagnostic>) {
        let map: HashMap<String, String> = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        let mut read = |p: &str| {
            map.get(p)
                .map(|t| t.clone().into_bytes())
                .ok_or_else(|| "No such file".to_string())
        };
        let mut sources = SourceMap::new();
        let mut problems = Diagnostics::new();
        let vars = BTreeMap::new();
        let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
        let p = {
            let mut l = Loader::new(&mut sources, &mut problems, &mut read, &vars, "app");
            l.load_set(&set)
        };
        (p, problems.into_sorted())
    }

    #[test]
    fn extends_from_another_directory_rebases_paths() {
        let (p, problems) = load(
            &[
                (
                    "app/compose.yml",
                    "services:\n  web:\n    extends:\n      file: ../common/base.yml\n      service: base\n    image: web\n",
                ),
                (
                    "common/base.yml",
                    "services:\n  base:\n    build: ./ctx\n    env_file: [./base.env]\n    volumes: ['./data:/data', 'named:/n']\n",
                ),
            ],
            &["app/compose.yml"],
        );
        assert!(problems.is_empty(), "{problems:?}");
        let web = p
            .unwrap()
            .tree
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .clone();
        assert_eq!(web.get("build").unwrap().string().unwrap(), "../common/ctx");
        assert_eq!(web.get("image").unwrap().string().unwrap(), "web");
        assert!(web.get("extends").is_none());
        let vols: Vec<String> = web
            .get("volumes")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|v| v.string().unwrap())
            .collect();
        assert_eq!(vols, ["../common/data:/data", "named:/n"]);
    }

    #[test]
    fn extends_in_the_same_file_and_cycles() {
        let (p, problems) = load(
            &[(
                "app/compose.yml",
                "services:\n  a:\n    image: x\n    environment: {A: 1}\n  b:\n    extends: a\n    environment: {B: 2}\n  c:\n    extends: d\n  d:\n    extends: c\n",
            )],
            &["app/compose.yml"],
        );
        let b = p
            .unwrap()
            .tree
            .get("services")
            .unwrap()
            .get("b")
            .unwrap()
            .clone();
        assert_eq!(b.get("image").unwrap().string().unwrap(), "x");
        assert_eq!(b.get("environment").unwrap().as_seq().unwrap().len(), 2);
        assert!(
            problems.iter().any(|p| p.message.contains("circle")),
            "{problems:?}"
        );
    }

    #[test]
    fn include_adds_resources_and_conflicts_are_errors() {
        let (p, problems) = load(
            &[
                (
                    "app/compose.yml",
                    "include:\n  - ../lib/db.yml\nservices:\n  web:\n    image: web\n  db:\n    image: other\n",
                ),
                (
                    "lib/db.yml",
                    "services:\n  db:\n    image: postgres\n  cache:\n    image: redis\n    build: ./cache\nvolumes:\n  data: {}\n",
                ),
            ],
            &["app/compose.yml"],
        );
        let tree = p.unwrap().tree;
        let cache = tree.get("services").unwrap().get("cache").unwrap();
        assert_eq!(
            cache.get("build").unwrap().string().unwrap(),
            "../lib/cache"
        );
        assert!(tree.get("volumes").unwrap().get("data").is_some());
        assert!(
            problems.iter().any(|p| p.message.contains("`services.db`")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_missing_file_is_reported() {
        let (p, problems) = load(&[], &["app/compose.yml"]);
        assert!(p.is_none());
        assert!(problems[0].message.contains("cannot read"));
    }
}
