//! Checks of a node against the vocabulary of its context: known name, argument count and types,
//! known properties and their values, nodes given twice.

use std::collections::HashMap;

use kdl::KdlValue;

use super::Decoder;
use super::node::{Node, scalar_string, value_kind};
use crate::diag::{Code, Diagnostic, did_you_mean, suggest};
use crate::lang::source::Span;
use crate::lang::values;
use crate::lang::vocabulary::{self, Children, Context, NodeSpec, ValueType};

impl Decoder<'_> {
    /// Checks a node against the vocabulary of its context. Returns its spec when the name is
    /// known (even if an argument or property was wrong: those are reported here).
    pub(super) fn check(&mut self, context: Context, n: Node<'_>) -> Option<&'static NodeSpec> {
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

    pub(super) fn check_value(
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
    pub(super) fn once(
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
}

pub(super) fn lower_first(s: &str) -> String {
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

pub(super) fn type_help(ty: ValueType, v: &KdlValue) -> String {
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

pub(super) fn code_help(code: Code) -> String {
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
