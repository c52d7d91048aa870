//! Service bodies (services, templates and `when` blocks): every node a service may hold.

use std::collections::HashMap;

use super::Decoder;
use super::node::Node;
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::source::Span;
use crate::lang::vocabulary::Context;

impl Decoder<'_> {
    pub(super) fn duplicate_key(&mut self, node: &str, key: &str, span: Span, first: Span) {
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

    pub(super) fn service_body(&mut self, n: Node<'_>, owner: &str, in_when: bool) -> ServiceBody {
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

    /// Decodes one service node into the body: each family of nodes has its own file.
    pub(super) fn service_node(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let first = || c.arg_string(0);
        match c.name() {
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
            _ => {
                let _handled = self.process_node(c, body)
                    || self.network_node(c, body)
                    || self.storage_node(c, body)
                    || self.limits_node(c, body)
                    || self.hardening_node(c, body)
                    || self.lifecycle_node(c, body)
                    || self.reach_node(c, body)
                    || self.plain_node(c, body);
            }
        }
    }
}
