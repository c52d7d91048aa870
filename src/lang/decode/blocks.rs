//! The `healthcheck` and `mcp` blocks of a service.

use std::collections::HashMap;

use super::Decoder;
use super::node::Node;
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};
use crate::lang::vocabulary::Context;

impl Decoder<'_> {
    pub(super) fn healthcheck(&mut self, c: Node<'_>) -> Healthcheck {
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

    pub(super) fn mcp(&mut self, c: Node<'_>, name: Spanned<String>) -> Mcp {
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
