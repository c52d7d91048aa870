//! KDL document -> typed, span-carrying [`Stack`], collecting every error.
//!
//! Every node is first checked against the [`vocabulary`] (known name in this
//! place, argument count and types, known properties and their types and values). The typed
//! extraction after it reads only values of the right shape and skips the rest, which have
//! already been reported.

use std::collections::HashMap;

use kdl::{KdlDocument, KdlNode, KdlValue};

use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean, suggest};
use crate::lang::model::*;
use crate::lang::source::{FileId, Span, Spanned};
use crate::lang::values;
use crate::lang::vocabulary::{self, Children, Context, NodeSpec, ValueType};

/// Decodes one parsed file into the definitions it holds.
pub fn decode(file: FileId, doc: &KdlDocument, diags: &mut Diagnostics) -> Stack {
    let mut decoder = Decoder { file, diags };
    decoder.top(doc)
}

struct Decoder<'d> {
    file: FileId,
    diags: &'d mut Diagnostics,
}

/// A node with its file, for typed access to its entries.
#[derive(Clone, Copy)]
struct Node<'a> {
    node: &'a KdlNode,
    file: FileId,
}

fn scalar_string(v: &KdlValue) -> Option<String> {
    match v {
        KdlValue::String(s) => Some(s.clone()),
        KdlValue::Integer(i) => Some(i.to_string()),
        KdlValue::Float(f) => Some(f.to_string()),
        KdlValue::Bool(b) => Some(b.to_string()),
        KdlValue::Null => None,
    }
}

fn value_kind(v: &KdlValue) -> &'static str {
    match v {
        KdlValue::String(_) => "a string",
        KdlValue::Integer(_) => "an integer",
        KdlValue::Float(_) => "a decimal number",
        KdlValue::Bool(_) => "a boolean",
        KdlValue::Null => "#null",
    }
}

impl<'a> Node<'a> {
    fn name(&self) -> &'a str {
        self.node.name().value()
    }
    fn name_span(&self) -> Span {
        Span::from_miette(self.file, self.node.name().span())
    }
    /// The node's name and entries, without its children block.
    fn head(&self) -> Span {
        let mut span = self.name_span();
        if let Some(last) = self.node.entries().last() {
            span = span.to(Span::from_miette(self.file, last.span()));
        }
        span
    }
    fn args(&self) -> Vec<(&'a KdlValue, Span)> {
        self.node
            .entries()
            .iter()
            .filter(|e| e.name().is_none())
            .map(|e| (e.value(), Span::from_miette(self.file, e.span())))
            .collect()
    }
    fn prop(&self, name: &str) -> Option<(&'a KdlValue, Span)> {
        self.node
            .entries()
            .iter()
            .rev()
            .find(|e| e.name().is_some_and(|n| n.value() == name))
            .map(|e| (e.value(), Span::from_miette(self.file, e.span())))
    }
    fn arg_string(&self, i: usize) -> Option<Spanned<String>> {
        self.args()
            .get(i)
            .and_then(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), *s)))
    }
    fn arg_scalar(&self, i: usize) -> Option<String> {
        self.args().get(i).and_then(|(v, _)| scalar_string(v))
    }
    fn string_args(&self) -> Vec<Spanned<String>> {
        self.args()
            .into_iter()
            .filter_map(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), s)))
            .collect()
    }
    fn scalar_args(&self) -> Vec<String> {
        self.args()
            .into_iter()
            .filter_map(|(v, _)| scalar_string(v))
            .collect()
    }
    fn arg_bool(&self) -> Option<bool> {
        self.args().first().and_then(|(v, _)| v.as_bool())
    }
    fn arg_int(&self) -> Option<i64> {
        self.args()
            .first()
            .and_then(|(v, _)| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
    }
    fn prop_string(&self, name: &str) -> Option<String> {
        self.prop(name)
            .and_then(|(v, _)| v.as_string().map(str::to_string))
    }
    fn prop_spanned(&self, name: &str) -> Option<Spanned<String>> {
        self.prop(name)
            .and_then(|(v, s)| v.as_string().map(|x| Spanned::new(x.to_string(), s)))
    }
    fn prop_bool(&self, name: &str) -> Option<bool> {
        self.prop(name).and_then(|(v, _)| v.as_bool())
    }
    fn prop_int(&self, name: &str) -> Option<i64> {
        self.prop(name)
            .and_then(|(v, _)| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
    }
    fn prop_number(&self, name: &str) -> Option<f64> {
        self.prop(name).and_then(|(v, _)| match v {
            KdlValue::Integer(i) => Some(*i as f64),
            KdlValue::Float(f) => Some(*f),
            _ => None,
        })
    }
    fn reason(&self) -> Option<Spanned<String>> {
        self.prop_spanned("reason")
    }
    fn setting<T>(&self, value: T) -> Setting<T> {
        Setting {
            value,
            span: self.head(),
            reason: self.reason(),
        }
    }
    fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let file = self.file;
        self.node
            .children()
            .into_iter()
            .flat_map(|d| d.nodes().iter())
            .map(move |node| Node { node, file })
    }
}

impl Decoder<'_> {
    fn node<'a>(&self, node: &'a KdlNode) -> Node<'a> {
        Node {
            node,
            file: self.file,
        }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    // ---- generic checks against the vocabulary ----------------------------------------------

    /// Checks a node against the vocabulary of its context. Returns its spec when the name is
    /// known (even if an argument or property was wrong: those are reported here).
    fn check(&mut self, context: Context, n: Node<'_>) -> Option<&'static NodeSpec> {
        let name = n.name();
        let Some(spec) = vocabulary::lookup(context, name) else {
            let mut d = Diagnostic::error(
                Code::UnknownNode,
                format!("unknown node `{name}` {}", context.describe()),
            )
            .label(n.name_span(), "not a node of the stack language here");
            if let Some(s) = did_you_mean(name, vocabulary::names_in(context)) {
                d = d.help(format!("did you mean `{s}`?"));
            } else if let Some(other) = vocabulary::NODES.iter().find(|s| s.name == name) {
                d = d.help(format!(
                    "`{name}` is written {}",
                    other.contexts[0].describe()
                ));
            } else {
                d = d.help(format!(
                    "the nodes allowed {} are listed in docs/stack-language.md",
                    context.describe()
                ));
            }
            self.push(d);
            return None;
        };
        let args = n.args();
        if args.len() < spec.args.min {
            let expected = match spec.args.max {
                Some(max) if max == spec.args.min => format!("{max}"),
                Some(max) => format!("{} to {max}", spec.args.min),
                None => format!("at least {}", spec.args.min),
            };
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!(
                        "`{name}` needs {expected} argument{} ({}), found {}",
                        if expected == "1" { "" } else { "s" },
                        spec.args.name,
                        args.len()
                    ),
                )
                .label(n.head(), "argument missing")
                .help(format!("`{name}`: {}", lower_first(spec.doc))),
            );
        }
        if let Some(max) = spec.args.max
            && args.len() > max
        {
            let extra = args[max].1.to(args[args.len() - 1].1);
            let msg = if max == 0 {
                format!("`{name}` takes no arguments")
            } else {
                format!(
                    "`{name}` takes at most {max} argument{} ({})",
                    if max == 1 { "" } else { "s" },
                    spec.args.name
                )
            };
            self.push(
                Diagnostic::error(Code::WrongArity, msg)
                    .label(extra, "unexpected argument")
                    .help(format!(
                        "remove the extra argument; `{name}`: {}",
                        lower_first(spec.doc)
                    )),
            );
        }
        let arg_checked = spec.args.max.map_or(args.len(), |m| args.len().min(m));
        for (v, s) in &args[..arg_checked] {
            // ulimit's second argument is a number even though its first is a name.
            let ty = if name == "ulimit" {
                ValueType::Scalar
            } else {
                spec.args.ty
            };
            self.check_value(
                ty,
                spec.args.values,
                v,
                *s,
                &format!("argument of `{name}`"),
            );
        }
        for entry in n.node.entries() {
            let Some(key) = entry.name() else { continue };
            let span = Span::from_miette(self.file, entry.span());
            match spec.props.iter().find(|p| p.name == key.value()) {
                Some(p) => {
                    self.check_value(
                        p.ty,
                        p.values,
                        entry.value(),
                        span,
                        &format!("`{}=`", p.name),
                    );
                }
                None => {
                    let known = spec.props.iter().map(|p| p.name);
                    let help = if spec.props.is_empty() {
                        format!("`{name}` takes no properties")
                    } else {
                        suggest(key.value(), known)
                    };
                    self.push(
                        Diagnostic::error(
                            Code::UnknownProperty,
                            format!("unknown property `{}` on `{name}`", key.value()),
                        )
                        .label(Span::from_miette(self.file, key.span()), "unknown property")
                        .help(help),
                    );
                }
            }
        }
        for p in spec.props.iter().filter(|p| p.required) {
            if n.prop(p.name).is_none() {
                self.push(
                    Diagnostic::error(
                        Code::MissingProperty,
                        format!("`{name}` needs `{}=` ({})", p.name, p.doc),
                    )
                    .label(n.head(), format!("`{}=` missing", p.name))
                    .help(format!("add `{}=`", p.name)),
                );
            }
        }
        if spec.children == Children::None
            && let Some(children) = n.node.children()
        {
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("`{name}` takes no children block"),
                )
                .label(
                    Span::from_miette(self.file, children.span()),
                    "unexpected block",
                )
                .help("write its settings as arguments and properties"),
            );
        }
        Some(spec)
    }

    fn check_value(
        &mut self,
        ty: ValueType,
        allowed: &[&str],
        v: &KdlValue,
        span: Span,
        what: &str,
    ) -> bool {
        let wrong_type = |this: &mut Self| {
            this.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("{what} must be {}, found {}", ty.describe(), value_kind(v)),
                )
                .label(span, format!("expected {}", ty.describe()))
                .help(type_help(ty, v)),
            );
            false
        };
        let bad = |this: &mut Self, code: Code, msg: String| {
            let shown = scalar_string(v).unwrap_or_default();
            this.push(
                Diagnostic::error(code, format!("{what}: `{shown}` is not {}", ty.describe()))
                    .label(span, msg)
                    .help(code_help(code)),
            );
            false
        };
        let ok = match ty {
            ValueType::String => {
                let Some(s) = v.as_string() else {
                    return wrong_type(self);
                };
                if !allowed.is_empty() && !allowed.contains(&s) {
                    let help = suggest(s, allowed.iter().copied());
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`{s}` is not a valid {what}"),
                        )
                        .label(span, "not an allowed value")
                        .help(help),
                    );
                    return false;
                }
                true
            }
            ValueType::Name => {
                let Some(s) = v.as_string() else {
                    return wrong_type(self);
                };
                if let Err(e) = values::check_name(s) {
                    return bad(self, Code::BadName, e);
                }
                true
            }
            ValueType::Integer => v.is_integer() || wrong_type(self),
            ValueType::Number => v.is_integer() || v.is_float() || wrong_type(self),
            ValueType::Bool => v.is_bool() || wrong_type(self),
            ValueType::Duration => {
                let Some(s) = v.as_string() else {
                    return wrong_type(self);
                };
                if let Err(e) = values::check_duration(s) {
                    return bad(self, Code::BadDuration, e);
                }
                true
            }
            ValueType::Size => {
                let Some(s) = v.as_string() else {
                    return wrong_type(self);
                };
                if let Err(e) = values::check_size(s) {
                    return bad(self, Code::BadSize, e);
                }
                true
            }
            ValueType::Port => match v.as_integer() {
                Some(p) if (1..=65535).contains(&p) => true,
                Some(p) => bad(self, Code::PortRange, format!("{p} is outside 1..65535")),
                None => wrong_type(self),
            },
            ValueType::PortOrInterpolation => match v {
                KdlValue::Integer(p) if (1..=65535).contains(p) => true,
                KdlValue::Integer(p) => {
                    bad(self, Code::PortRange, format!("{p} is outside 1..65535"))
                }
                KdlValue::String(s) => match values::check_port_string(s) {
                    Ok(()) => true,
                    Err(e) => bad(self, Code::PortRange, e),
                },
                _ => wrong_type(self),
            },
            ValueType::Image => {
                let Some(s) = v.as_string() else {
                    return wrong_type(self);
                };
                if let Err(e) = values::parse_image(s) {
                    return bad(self, Code::BadImage, e);
                }
                true
            }
            ValueType::Scalar => !v.is_null() || wrong_type(self),
            ValueType::CountOrAll => match v {
                KdlValue::Integer(i) if *i >= 1 => true,
                KdlValue::Integer(_) => {
                    bad(self, Code::InvalidValue, "a GPU count is at least 1".into())
                }
                KdlValue::String(s) if s == "all" => true,
                _ => wrong_type(self),
            },
        };
        if ok
            && ty != ValueType::String
            && !allowed.is_empty()
            && let Some(s) = v.as_string()
            && !allowed.contains(&s)
        {
            return bad(self, Code::InvalidValue, format!("`{s}` is not allowed"));
        }
        ok
    }

    /// Reports a second occurrence of a node that may appear once per body.
    fn once(
        &mut self,
        seen: &mut HashMap<&'static str, Span>,
        spec: &NodeSpec,
        n: Node<'_>,
        owner: &str,
    ) {
        if spec.repeatable {
            return;
        }
        if let Some(first) = seen.get(spec.name) {
            self.push(
                Diagnostic::error(
                    Code::DuplicateDefinition,
                    format!("`{}` is given twice in {owner}", spec.name),
                )
                .label(n.head(), "given again here")
                .label(*first, "first given here")
                .help(format!(
                    "keep one `{}`{}",
                    spec.name,
                    if spec.args.max != Some(1) {
                        " and list every value on it"
                    } else {
                        ""
                    }
                )),
            );
        } else {
            seen.insert(spec.name, n.head());
        }
    }

    // ---- top level --------------------------------------------------------------------------

    fn top(&mut self, doc: &KdlDocument) -> Stack {
        let mut stack = Stack::default();
        for node in doc.nodes() {
            let n = self.node(node);
            if self.check(Context::Top, n).is_none() {
                continue;
            }
            let Some(name) = n.arg_string(0) else {
                continue;
            };
            let span = n.head();
            match n.name() {
                "project" => stack.projects.push(self.project(n, name)),
                "hardening" => stack.classes.push(HardeningClass {
                    name,
                    extends: n.prop_spanned("extends"),
                    body: self.class_body(n),
                    span,
                }),
                "network" => stack.networks.push(Network {
                    key: name,
                    name: n.prop_string("name"),
                    subnet: n.prop_string("subnet"),
                    gateway: n.prop_string("gateway"),
                    internal: n.prop_bool("internal").unwrap_or(false),
                    external: n.prop_bool("external").unwrap_or(false),
                    attachable: n.prop_bool("attachable").unwrap_or(false),
                    driver: n.prop_string("driver"),
                    span,
                }),
                "volume" => stack.volumes.push(Volume {
                    key: name,
                    name: n.prop_string("name"),
                    external: n.prop_bool("external").unwrap_or(false),
                    driver: n.prop_string("driver"),
                    span,
                }),
                "secret" => {
                    let secret = Secret {
                        key: name,
                        file: n.prop_string("file"),
                        environment: n.prop_string("environment"),
                        external: n.prop_bool("external").unwrap_or(false),
                        span,
                    };
                    let sources = [
                        secret.file.is_some(),
                        secret.environment.is_some(),
                        secret.external,
                    ]
                    .iter()
                    .filter(|b| **b)
                    .count();
                    if sources != 1 {
                        self.push(
                            Diagnostic::error(
                                Code::MissingProperty,
                                format!(
                                    "secret `{}` needs exactly one of `file=`, `environment=` and `external=#true`",
                                    secret.key.value
                                ),
                            )
                            .label(span, if sources == 0 { "no source given" } else { "more than one source" })
                            .help("e.g. `secret \"db_password\" file=\"./secrets/db_password\"`"),
                        );
                    }
                    stack.secrets.push(secret);
                }
                "template" => stack.templates.push(Template {
                    name,
                    from: n.prop_spanned("from"),
                    body: self.service_body(n, "this template", false),
                    span,
                }),
                "profile" => stack.profiles.push(self.profile(n, name)),
                "service" => {
                    let before = self.diags.error_count();
                    let body = self.service_body(n, "this service", false);
                    if self.diags.error_count() > before {
                        stack.tainted.insert(name.value.clone());
                    }
                    stack.services.push(Service {
                        name,
                        from: n.prop_spanned("from"),
                        body,
                        span,
                    });
                }
                _ => {}
            }
        }
        stack
    }

    fn project(&mut self, n: Node<'_>, name: Spanned<String>) -> Project {
        let mut project = Project {
            name,
            env_files: None,
            pin_file: None,
            default_hardening: None,
            span: n.head(),
        };
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Project, c) else {
                continue;
            };
            self.once(&mut seen, spec, c, "the project");
            match c.name() {
                "env-file" => project
                    .env_files
                    .get_or_insert_with(Vec::new)
                    .extend(env_files(c)),
                "pin-file" => project.pin_file = c.arg_string(0),
                "default-hardening" => project.default_hardening = c.arg_string(0),
                _ => {}
            }
        }
        project
    }

    fn profile(&mut self, n: Node<'_>, name: Spanned<String>) -> Profile {
        let source = match n.prop_string("source").as_deref() {
            Some("build") => Source::Build,
            _ => Source::Image,
        };
        let pins = match n.prop_string("pins").as_deref() {
            Some("off") => PinPolicy::Off,
            Some("require") => PinPolicy::Require,
            Some("warn") => PinPolicy::Warn,
            _ if source == Source::Build => PinPolicy::Off,
            _ => PinPolicy::Warn,
        };
        Profile {
            name,
            source,
            pins,
            hardened: n.prop_bool("hardened").unwrap_or(false),
            gpu: n.prop_bool("gpu").unwrap_or(false),
            file: n.prop_string("file"),
            span: n.head(),
        }
    }

    // ---- hardening classes ------------------------------------------------------------------

    fn class_body(&mut self, n: Node<'_>) -> ClassBody {
        let mut body = ClassBody::default();
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Hardening, c) else {
                continue;
            };
            self.once(&mut seen, spec, c, "this hardening class");
            match c.name() {
                "no-new-privileges" => body.no_new_privileges = c.arg_bool().map(|b| c.setting(b)),
                "cap-drop" => body.cap_drop = Some(c.setting(string_values(c))),
                "allow-cap" => body.allow_cap = Some(c.setting(string_values(c))),
                "restart" => body.restart = c.arg_string(0).map(|s| c.setting(s.value)),
                "user" => body.user = c.arg_string(0).map(|s| c.setting(s.value)),
                "read-only" => body.read_only = c.arg_bool().map(|b| c.setting(b)),
                "tmpfs" => self.tmpfs(c, &mut body.tmpfs),
                "pids-limit" => body.pids_limit = c.arg_int().map(|i| c.setting(i)),
                "require" => body.require = Some(c.setting(c.string_args())),
                "shm-size" => body.shm_size = c.arg_string(0).map(|s| c.setting(s.value)),
                "resources" => body.resources = Some(c.setting(resources(c))),
                "reserve" => body.reserve = Some(c.setting(resources(c))),
                "security-opt" => {
                    if let Some(s) = c.arg_string(0) {
                        body.security_opt
                            .insert(s.value.clone(), c.setting(s.value));
                    }
                }
                _ => {}
            }
        }
        body
    }

    fn tmpfs(&mut self, c: Node<'_>, into: &mut indexmap::IndexMap<String, Tmpfs>) {
        let Some(target) = c.arg_string(0) else {
            return;
        };
        let t = Tmpfs {
            target: target.value.clone(),
            size: c.prop_string("size"),
            mode: c.prop_string("mode"),
            uid: c.prop_int("uid"),
            gid: c.prop_int("gid"),
            span: c.head(),
        };
        if let Some(prev) = into.get(&target.value) {
            self.duplicate_key("tmpfs", &target.value, c.head(), prev.span);
        }
        into.insert(target.value, t);
    }

    fn duplicate_key(&mut self, node: &str, key: &str, span: Span, first: Span) {
        self.push(
            Diagnostic::error(
                Code::DuplicateDefinition,
                format!("`{node}` for `{key}` is given twice in one body"),
            )
            .label(span, "given again here")
            .label(first, "first given here")
            .help("keep one of them"),
        );
    }

    // ---- services, templates and when blocks ------------------------------------------------

    fn service_body(&mut self, n: Node<'_>, owner: &str, in_when: bool) -> ServiceBody {
        let mut body = ServiceBody::default();
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Service, c) else {
                continue;
            };
            if in_when && matches!(c.name(), "when" | "only-in") {
                self.push(
                    Diagnostic::error(
                        Code::UnknownNode,
                        format!("`{}` cannot be used inside `when`", c.name()),
                    )
                    .label(c.name_span(), "not allowed here")
                    .help("write it on the service itself"),
                );
                continue;
            }
            self.once(&mut seen, spec, c, owner);
            self.service_node(c, &mut body);
        }
        body
    }

    fn service_node(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let first = || c.arg_string(0);
        match c.name() {
            "description" => body.description = first().map(|s| c.setting(s.value)),
            "image" => body.image = first().map(|s| Setting::new(s.value, s.span)),
            "pin-var" => body.pin_var = first().map(|s| c.setting(s.value)),
            "build" => {
                let mut build = Build {
                    context: c.arg_string(0).map(|s| s.value),
                    dockerfile: c.prop_string("dockerfile"),
                    target: c.prop_string("target"),
                    args: Default::default(),
                };
                for a in c.children() {
                    if self.check(Context::Build, a).is_none() {
                        continue;
                    }
                    if a.name() == "arg"
                        && let (Some(k), Some(v)) = (a.arg_scalar(0), a.arg_scalar(1))
                    {
                        build.args.insert(k, v);
                    }
                }
                body.build = Some(c.setting(build));
            }
            "group" => body.groups = Some(c.setting(c.string_args())),
            "command" => body.command = Some(c.setting(c.scalar_args())),
            "entrypoint" => body.entrypoint = Some(c.setting(c.scalar_args())),
            "env" => {
                for kv in c.children() {
                    self.env_entry(kv, &mut body.env);
                }
            }
            "env-file" => body
                .env_files
                .get_or_insert_with(Vec::new)
                .extend(env_files(c)),
            "port" => {
                let Some(container) = c.arg_int().and_then(|p| u16::try_from(p).ok()) else {
                    return;
                };
                let host = c.prop("host").and_then(|(v, _)| scalar_string(v));
                let protocol = c.prop_string("protocol").unwrap_or_else(|| "tcp".into());
                let key = (container, protocol.clone());
                if let Some(prev) = body.ports.get(&key) {
                    self.duplicate_key(
                        "port",
                        &format!("{container}/{protocol}"),
                        c.head(),
                        prev.span,
                    );
                }
                body.ports.insert(
                    key,
                    c.setting(Port {
                        container,
                        host,
                        host_ip: c.prop_string("host-ip"),
                        protocol,
                    }),
                );
            }
            "expose" => {
                let ports: Vec<u16> = c
                    .args()
                    .iter()
                    .filter_map(|(v, _)| v.as_integer().and_then(|p| u16::try_from(p).ok()))
                    .collect();
                match &mut body.expose {
                    Some(e) => e.value.extend(ports),
                    None => body.expose = Some(c.setting(ports)),
                }
            }
            "network" => {
                for s in c.string_args() {
                    body.networks.insert(s.value, s.span);
                }
            }
            "volume" => {
                let (Some(source), Some(target)) = (c.arg_string(0), c.arg_string(1)) else {
                    return;
                };
                if let Some(prev) = body.volumes.get(&target.value) {
                    self.duplicate_key("volume", &target.value, c.head(), prev.span);
                }
                body.volumes.insert(
                    target.value.clone(),
                    c.setting(Mount {
                        source: source.value,
                        target: target.value,
                        read_only: c.prop_bool("read-only").unwrap_or(false),
                    }),
                );
            }
            "tmpfs" => self.tmpfs(c, &mut body.tmpfs),
            "secret" => {
                if let Some(name) = first() {
                    body.secrets.insert(
                        name.value.clone(),
                        Setting::new(
                            SecretUse {
                                name: name.value,
                                env: c.prop_string("env"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            "depends-on" => {
                if let Some(name) = first() {
                    let condition = match c.prop_string("condition").as_deref() {
                        Some("healthy") => Condition::Healthy,
                        Some("completed") => Condition::Completed,
                        _ => Condition::Started,
                    };
                    body.depends_on.insert(
                        name.value.clone(),
                        Setting::new(
                            Dependency {
                                service: name.value,
                                condition,
                                required: c.prop_bool("required").unwrap_or(true),
                                restart: c.prop_bool("restart"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            "healthcheck" => body.healthcheck = Some(c.setting(self.healthcheck(c))),
            "resources" => body.resources = Some(c.setting(resources(c))),
            "reserve" => body.reserve = Some(c.setting(resources(c))),
            "hardening" => body.hardening = first().map(|s| c.setting(s.value)),
            "cap-add" => {
                if let Some(cap) = first() {
                    body.cap_add.insert(cap.value.clone(), c.setting(cap.value));
                }
            }
            "cap-drop" => body.cap_drop = Some(c.setting(string_values(c))),
            "no-new-privileges" => body.no_new_privileges = c.arg_bool().map(|b| c.setting(b)),
            "user" => body.user = first().map(|s| c.setting(s.value)),
            "read-only" => body.read_only = c.arg_bool().map(|b| c.setting(b)),
            "restart" => body.restart = first().map(|s| c.setting(s.value)),
            "pids-limit" => body.pids_limit = c.arg_int().map(|i| c.setting(i)),
            "extra-host" => {
                if let (Some(h), Some(ip)) = (first(), c.arg_string(1)) {
                    body.extra_hosts.insert(h.value, c.setting(ip.value));
                }
            }
            "label" => {
                if let (Some(k), Some(v)) = (c.arg_scalar(0), c.arg_scalar(1)) {
                    body.labels.insert(k, c.setting(v));
                }
            }
            "ulimit" => self.ulimit(c, body),
            "shm-size" => body.shm_size = first().map(|s| c.setting(s.value)),
            "init" => body.init = c.arg_bool().map(|b| c.setting(b)),
            "stop-grace-period" => body.stop_grace_period = first().map(|s| c.setting(s.value)),
            "stop-signal" => body.stop_signal = first().map(|s| c.setting(s.value)),
            "working-dir" => body.working_dir = first().map(|s| c.setting(s.value)),
            "hostname" => body.hostname = first().map(|s| c.setting(s.value)),
            "privileged" => body.privileged = c.arg_bool().map(|b| c.setting(b)),
            "network-mode" => body.network_mode = first().map(|s| c.setting(s.value)),
            "pid" => body.pid = first().map(|s| c.setting(s.value)),
            "security-opt" => {
                if let Some(s) = first() {
                    body.security_opt
                        .insert(s.value.clone(), c.setting(s.value));
                }
            }
            "device" => {
                if let Some(s) = first() {
                    body.devices.insert(s.value.clone(), c.setting(s.value));
                }
            }
            "gpu" => body.gpu = Some(c.setting(gpu(c))),
            "only-in" => body.only_in = Some(c.setting(c.string_args())),
            "when" => {
                if let Some(selector) = first() {
                    let inner = self.service_body(c, "this `when` block", true);
                    body.whens.push(When {
                        selector,
                        body: Box::new(inner),
                        span: c.head(),
                    });
                }
            }
            "mcp" => {
                if let Some(name) = first() {
                    let mcp = self.mcp(c, name);
                    body.mcp = Some(c.setting(mcp));
                }
            }
            _ => {}
        }
    }

    fn env_entry(&mut self, kv: Node<'_>, env: &mut indexmap::IndexMap<String, Setting<String>>) {
        let key = kv.name();
        let args = kv.args();
        let has_props = kv.node.entries().iter().any(|e| e.name().is_some());
        if args.len() != 1 || has_props || kv.node.children().is_some() {
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("environment variable `{key}` needs exactly one value"),
                )
                .label(kv.head(), "expected `KEY \"value\"`")
                .help(format!("write `{key} \"value\"`")),
            );
            return;
        }
        if key.is_empty() || key.contains('=') {
            self.push(
                Diagnostic::error(
                    Code::BadName,
                    format!("`{key}` is not an environment variable name"),
                )
                .label(kv.name_span(), "invalid name")
                .help("environment variable names cannot be empty or contain `=`"),
            );
            return;
        }
        let (value, span) = args[0];
        let Some(value) = scalar_string(value) else {
            self.push(
                Diagnostic::error(Code::WrongType, format!("`{key}` has no value (#null)"))
                    .label(span, "expected a string")
                    .help("write an empty string `\"\"` for an empty value"),
            );
            return;
        };
        if let Some(prev) = env.get(key) {
            self.push(
                Diagnostic::error(
                    Code::DuplicateEnvKey,
                    format!("environment variable `{key}` is set twice"),
                )
                .label(kv.head(), "set again here")
                .label(prev.span, "first set here")
                .help("keep one of them: compose would silently keep only the last"),
            );
        }
        env.insert(key.to_string(), Setting::new(value, kv.head()));
    }

    fn ulimit(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let Some(name) = c.arg_string(0) else { return };
        let single = c
            .args()
            .get(1)
            .and_then(|(v, _)| v.as_integer())
            .map(|i| i as i64);
        let (soft, hard) = (c.prop_int("soft"), c.prop_int("hard"));
        let limit = match (single, soft, hard) {
            (Some(v), None, None) => Ulimit::Single(v),
            (None, Some(s), Some(h)) => Ulimit::Range { soft: s, hard: h },
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::MissingProperty,
                        format!(
                            "`ulimit \"{}\"` needs a single value or both `soft=` and `hard=`",
                            name.value
                        ),
                    )
                    .label(c.head(), "incomplete ulimit")
                    .help(format!(
                        "e.g. `ulimit \"{}\" soft=65536 hard=65536`",
                        name.value
                    )),
                );
                return;
            }
        };
        body.ulimits.insert(name.value, c.setting(limit));
    }

    fn healthcheck(&mut self, c: Node<'_>) -> Healthcheck {
        let mut probe = None;
        let mut first: Option<Span> = None;
        for p in c.children() {
            if self.check(Context::Healthcheck, p).is_none() {
                continue;
            }
            if let Some(prev) = first {
                self.push(
                    Diagnostic::error(
                        Code::DuplicateDefinition,
                        "a healthcheck has exactly one probe (http-get, cmd or shell)",
                    )
                    .label(p.head(), "second probe")
                    .label(prev, "first probe")
                    .help("keep one probe"),
                );
                continue;
            }
            first = Some(p.head());
            probe = match p.name() {
                "http-get" => p
                    .prop_int("port")
                    .and_then(|x| u16::try_from(x).ok())
                    .map(|port| Probe::HttpGet {
                        port,
                        path: p.prop_string("path").unwrap_or_else(|| "/".into()),
                        tool: p.prop_string("tool").unwrap_or_else(|| "curl".into()),
                        host: p.prop_string("host").unwrap_or_else(|| "127.0.0.1".into()),
                    }),
                "cmd" => Some(Probe::Cmd(p.scalar_args())),
                "shell" => p.arg_string(0).map(|s| Probe::Shell(s.value)),
                _ => None,
            };
        }
        if first.is_none() {
            self.push(
                Diagnostic::error(
                    Code::MissingProperty,
                    "a healthcheck needs a probe: `http-get`, `cmd` or `shell`",
                )
                .label(c.head(), "no probe")
                .help("e.g. `healthcheck { http-get port=8080 path=\"/healthz\" }`"),
            );
        }
        Healthcheck {
            probe,
            interval: c.prop_string("interval"),
            timeout: c.prop_string("timeout"),
            retries: c.prop_int("retries"),
            start_period: c.prop_string("start-period"),
            start_interval: c.prop_string("start-interval"),
        }
    }

    fn mcp(&mut self, c: Node<'_>, name: Spanned<String>) -> Mcp {
        let mut mcp = Mcp {
            name,
            title: None,
            description: None,
            version: None,
            transport: None,
            scopes: Vec::new(),
            env: Vec::new(),
            tools: Vec::new(),
            repository: None,
            website: None,
        };
        let mut seen = HashMap::new();
        for m in c.children() {
            let Some(spec) = self.check(Context::Mcp, m) else {
                continue;
            };
            self.once(&mut seen, spec, m, "this `mcp` block");
            match m.name() {
                "title" => mcp.title = m.arg_string(0).map(|s| s.value),
                "description" => mcp.description = m.arg_string(0),
                "version" => mcp.version = m.arg_string(0),
                "transport" => {
                    mcp.transport = m.arg_string(0).map(|kind| McpTransport {
                        kind: kind.value,
                        port: m.prop("port").and_then(|(v, s)| {
                            v.as_integer()
                                .and_then(|p| u16::try_from(p).ok())
                                .map(|p| Spanned::new(p, s))
                        }),
                        path: m.prop_spanned("path"),
                        span: m.head(),
                    })
                }
                "scope" => mcp
                    .scopes
                    .extend(m.string_args().into_iter().map(|s| s.value)),
                "env" => {
                    if let Some(var) = m.arg_string(0) {
                        mcp.env.push(McpEnv {
                            name: var.value,
                            secret: m.prop_bool("secret").unwrap_or(false),
                            required: m.prop_bool("required").unwrap_or(false),
                            description: m.prop_string("description"),
                            span: m.head(),
                        });
                    }
                }
                "tool" => mcp
                    .tools
                    .extend(m.string_args().into_iter().map(|s| s.value)),
                "repository" => mcp.repository = m.arg_string(0).map(|s| s.value),
                "website" => mcp.website = m.arg_string(0).map(|s| s.value),
                _ => {}
            }
        }
        mcp
    }
}

fn env_files(c: Node<'_>) -> Vec<EnvFile> {
    let required = c.prop_bool("required").unwrap_or(true);
    c.string_args()
        .into_iter()
        .map(|s| EnvFile {
            path: s.value,
            required,
            span: s.span,
        })
        .collect()
}

fn string_values(c: Node<'_>) -> Vec<String> {
    c.string_args().into_iter().map(|s| s.value).collect()
}

fn resources(c: Node<'_>) -> Resources {
    Resources {
        cpus: c.prop_number("cpus"),
        memory: c.prop_string("memory"),
        pids: c.prop_int("pids"),
    }
}

fn gpu(c: Node<'_>) -> Gpu {
    let list = |s: String| -> Vec<String> {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    Gpu {
        count: c.prop("count").and_then(|(v, _)| match v {
            KdlValue::Integer(i) => i64::try_from(*i).ok().map(GpuCount::Count),
            KdlValue::String(s) if s == "all" => Some(GpuCount::All),
            _ => None,
        }),
        device_ids: c.prop_string("device-ids").map(list),
        driver: c.prop_string("driver").unwrap_or_else(|| "nvidia".into()),
        capabilities: list(
            c.prop_string("capabilities")
                .unwrap_or_else(|| "gpu".into()),
        ),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_lowercase()
            .chain(c)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string(),
        None => String::new(),
    }
}

fn type_help(ty: ValueType, v: &KdlValue) -> String {
    match (ty, v) {
        (ValueType::Bool, KdlValue::String(s)) if s == "true" || s == "false" => {
            format!("KDL 2.0 booleans are `#{s}`, without quotes")
        }
        (ValueType::Port | ValueType::Integer | ValueType::Number, KdlValue::String(s))
            if s.parse::<f64>().is_ok() =>
        {
            format!("write the number without quotes: `{s}`")
        }
        (ValueType::String | ValueType::Name | ValueType::Duration | ValueType::Size, _) => {
            format!(
                "write it in double quotes, e.g. `\"{}\"`",
                scalar_string(v).unwrap_or_default()
            )
        }
        _ => format!("expected {}", ty.describe()),
    }
}

fn code_help(code: Code) -> String {
    match code {
        Code::BadName => "names follow compose: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`".into(),
        Code::BadDuration => "durations are compose durations: `500ms`, `10s`, `1m30s`".into(),
        Code::BadSize => "sizes are compose byte sizes: `512m`, `1g`, `200M`".into(),
        Code::PortRange => "ports are 1..65535".into(),
        Code::BadImage => {
            "image references are `[registry/]path[:tag][@sha256:<64 hex>]`, with a lowercase path"
                .into()
        }
        Code::InvalidValue => "see docs/stack-language.md for the values allowed here".into(),
        _ => code.description().into(),
    }
}
