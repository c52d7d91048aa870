//! Reachability nodes: `talks-to` (one entry per service, ports added up) and `egress`.

use crate::lang::syntax::Value;

use super::Decoder;
use super::node::{Node, value_kind};
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::source::Spanned;

impl Decoder<'_> {
    pub(super) fn reach_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        match c.name() {
            "talks-to" => self.talks_to(c, body),
            "egress" => body.egress = self.egress(c).map(|e| c.setting(e)),
            _ => return false,
        }
        true
    }

    /// `talks-to "a" "b" port=5432`: one entry per service; two nodes naming one service in a
    /// body add up their ports (a node without `port=` means any port).
    pub(super) fn talks_to(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let port = c
            .prop("port")
            .and_then(|(v, _)| v.as_integer())
            .and_then(|p| u16::try_from(p).ok());
        let required = c.prop_bool("required").unwrap_or(true);
        for name in c.string_args() {
            let mut entry = Setting {
                value: TalksTo {
                    service: name.value.clone(),
                    ports: port.into_iter().collect(),
                    required,
                },
                span: name.span,
                reason: None,
            };
            if let Some(prev) = body.talks_to.get(&name.value) {
                let p = &prev.value;
                entry.value.required = p.required || required;
                entry.value.ports = if p.ports.is_empty() || port.is_none() {
                    Vec::new()
                } else {
                    let mut ports = p.ports.clone();
                    ports.extend(port);
                    ports.sort_unstable();
                    ports.dedup();
                    ports
                };
                entry.span = prev.span;
            }
            body.talks_to.insert(name.value, entry);
        }
    }

    /// `egress #true`, `egress #false`, or host names (recorded; compose cannot filter by name).
    pub(super) fn egress(&mut self, c: Node<'_>) -> Option<Egress> {
        let args = c.args();
        if let [(Value::Bool(b), _)] = args.as_slice() {
            return Some(Egress {
                enabled: *b,
                hosts: Vec::new(),
            });
        }
        let mut hosts = Vec::new();
        for (v, span) in args {
            match v {
                Value::String(h) if is_host_pattern(h) => {
                    hosts.push(Spanned::new(h.to_string(), span));
                }
                Value::String(h) => self.push(
                    Diagnostic::error(Code::InvalidValue, format!("`{h}` is not a host name"))
                        .label(span, "not a host name, address or `*.domain`")
                        .help("write host names such as \"api.openai.com\" or \"*.googleapis.com\", or `egress #true`"),
                ),
                other => self.push(
                    Diagnostic::error(
                        Code::WrongType,
                        format!("`egress` takes one boolean or host names, not {}", value_kind(other)),
                    )
                    .label(span, "expected a host name")
                    .help("write `egress #true`, or `egress \"api.openai.com\" \"api.venice.ai\"`"),
                ),
            }
        }
        (!hosts.is_empty()).then_some(Egress {
            enabled: true,
            hosts,
        })
    }
}

/// A host name (`api.openai.com`), a `*.` wildcard of one, an IP address or a CIDR block.
fn is_host_pattern(h: &str) -> bool {
    let name = h.strip_prefix("*.").unwrap_or(h);
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with(['.', '-'])
        && !name.ends_with(['.', '-'])
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '/'))
}
