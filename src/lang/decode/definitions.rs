//! Top-level definitions other than services and templates: networks, volumes, secrets.

use super::Decoder;
use super::node::Node;
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::source::Spanned;

impl Decoder<'_> {
    pub(super) fn network(&mut self, n: Node<'_>, key: Spanned<String>) -> Network {
        Network {
            key,
            name: n.prop_string("name"),
            subnet: n.prop_string("subnet"),
            gateway: n.prop_string("gateway"),
            internal: n.prop_bool("internal").unwrap_or(false),
            external: n.prop_bool("external").unwrap_or(false),
            attachable: n.prop_bool("attachable").unwrap_or(false),
            driver: n.prop_string("driver"),
            span: n.head(),
        }
    }

    pub(super) fn volume(&mut self, n: Node<'_>, key: Spanned<String>) -> Volume {
        Volume {
            key,
            name: n.prop_string("name"),
            external: n.prop_bool("external").unwrap_or(false),
            driver: n.prop_string("driver"),
            span: n.head(),
        }
    }

    pub(super) fn secret(&mut self, n: Node<'_>, key: Spanned<String>) -> Secret {
        let span = n.head();
        let secret = Secret {
            key,
            file: n.prop_string("file"),
            environment: n.prop_string("environment"),
            external: n.prop_bool("external").unwrap_or(false),
            input: n.prop_spanned("input"),
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
                .label(
                    span,
                    if sources == 0 {
                        "no source given"
                    } else {
                        "more than one source"
                    },
                )
                .help("e.g. `secret \"db_password\" file=\"./secrets/db_password\"`"),
            );
        }
        secret
    }
}
