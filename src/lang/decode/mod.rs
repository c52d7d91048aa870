//! KDL document -> typed, span-carrying [`Stack`], collecting every error.
//!
//! Every node is first checked against the [`vocabulary`](crate::lang::vocabulary) (known name in this
//! place, argument count and types, known properties and their types and values). The typed
//! extraction after it reads only values of the right shape and skips the rest, which have
//! already been reported.
//!
//! One file per node family: `node` (typed access to a parsed node), `check` (the vocabulary
//! checks of a node), `value` (checks of one value, variables included), `top` (project, profiles, classes), `definitions` (networks, volumes, secrets),
//! `service` (service bodies, dispatching each node to its family: `process`, `network`,
//! `storage`, `limits`, `hardening`, `lifecycle`, `reach`, `plain`), `blocks` (healthcheck and mcp blocks),
//! `inputs` (input declarations and the variables strings interpolate).

mod blocks;
mod check;
mod definitions;
mod hardening;
mod inputs;
mod lifecycle;
mod limits;
mod network;
mod node;
mod plain;
mod process;
mod reach;
mod service;
mod storage;
mod top;
mod value;

use crate::diag::{Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::syntax::{self, Document};
use crate::lang::vocabulary::Context;
use node::Node;

/// Decodes one parsed file into the definitions it holds.
pub fn decode(doc: &Document<'_>, diags: &mut Diagnostics) -> Stack {
    let mut decoder = Decoder { diags };
    decoder.top(doc)
}

struct Decoder<'d> {
    diags: &'d mut Diagnostics,
}

impl Decoder<'_> {
    fn node<'a>(&self, node: syntax::Node<'a>) -> Node<'a> {
        Node { node }
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn top(&mut self, doc: &Document<'_>) -> Stack {
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
            if matches!(
                n.name(),
                "service" | "template" | "secret" | "network" | "volume"
            ) {
                self.variables(n, &mut stack.variables);
            }
            match n.name() {
                "project" => stack.projects.push(self.project(n, name)),
                "hardening" => stack.classes.push(HardeningClass {
                    name,
                    extends: n.prop_spanned("extends"),
                    body: self.class_body(n),
                    span,
                }),
                "network" => stack.networks.push(self.network(n, name)),
                "volume" => stack.volumes.push(self.volume(n, name)),
                "secret" => stack.secrets.push(self.secret(n, name)),
                "template" => stack.templates.push(Template {
                    name,
                    from: n.prop_spanned("from"),
                    body: self.service_body(n, "this template", false),
                    span,
                }),
                "profile" => stack.profiles.push(self.profile(n, name)),
                "input" => {
                    let input = self.input(n, name);
                    if let Some(d) = &input.default {
                        stack.variables.extend(inputs::uses(&d.value, d.span));
                    }
                    stack.inputs.push(input);
                }
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
}
