//! Checks of a node against the vocabulary of its context: known name, argument count and types,
//! known properties and their values, nodes given twice.

use std::collections::HashMap;

use super::Decoder;
use super::node::Node;
use super::value::Expect;
use crate::diag::{Code, Diagnostic, did_you_mean, suggest};
use crate::lang::source::Span;
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
        for (i, (v, s)) in args[..arg_checked].iter().enumerate() {
            let mut expect = Expect::arg(&spec.args);
            // ulimit's second argument is a number even though its first is a name.
            if name == "ulimit" {
                expect.ty = if i == 0 {
                    ValueType::String
                } else {
                    ValueType::Integer
                };
            }
            self.check_value(expect, v, *s, &format!("argument of `{name}`"));
        }
        for prop in n.props() {
            let key = prop.key;
            let span = prop.span;
            match spec.props.iter().find(|p| p.name == key) {
                Some(p) => {
                    self.check_value(Expect::prop(p), prop.value, span, &format!("`{}=`", p.name));
                }
                None => {
                    let known = spec.props.iter().map(|p| p.name);
                    let help = if spec.props.is_empty() {
                        format!("`{name}` takes no properties")
                    } else {
                        suggest(key, known)
                    };
                    self.push(
                        Diagnostic::error(
                            Code::UnknownProperty,
                            format!("unknown property `{key}` on `{name}`"),
                        )
                        .label(prop.key_span, "unknown property")
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
            && let Some(children) = n.children_span()
        {
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("`{name}` takes no children block"),
                )
                .label(
                    Span { len: 1, ..children },
                    "this block is not allowed here",
                )
                .help("write its settings as arguments and properties"),
            );
        }
        Some(spec)
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
