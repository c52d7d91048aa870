//! MCP servers: what the official registry would reject, and ports the service does not have.

use std::collections::HashMap;

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::lang::model::*;
use crate::lang::source::Span;

/// MCP servers: what the official registry would reject, and ports the service does not have.
pub(super) fn check_mcp(stack: &Resolved, diags: &mut Diagnostics) {
    let mut claimed: HashMap<&str, (&str, Span)> = HashMap::new();
    for (name, service) in &stack.services {
        let body = &service.body;
        let Some(mcp) = &body.mcp else { continue };
        let m = &mcp.value;
        if let Err(why) = check_mcp_name(&m.name.value) {
            diags.push(
                Diagnostic::error(Code::McpName, format!("`{}` is not a valid MCP server name", m.name.value))
                    .label(m.name.span, why)
                    .help("write a reverse-DNS namespace, one slash and a server name, e.g. `io.github.powerfulmoves/archon`"),
            );
        }
        if let Some(d) = &m.description {
            let len = d.value.chars().count();
            if len > 100 {
                diags.push(
                    Diagnostic::error(
                        Code::McpDescription,
                        format!(
                            "MCP description is {len} characters; the registry allows at most 100"
                        ),
                    )
                    .label(d.span, "too long")
                    .help("shorten it; longer text belongs in the service's `description`"),
                );
            }
        }
        if m.version.is_none() {
            diags.push(
                Diagnostic::error(
                    Code::McpVersion,
                    format!("MCP server `{}` has no `version`", m.name.value),
                )
                .label(mcp.span, "no version")
                .help("add `version \"1.2.3\"`: the registry requires one"),
            );
        }
        let has_image = body.image.is_some() || body.whens.iter().any(|w| w.body.image.is_some());
        if !has_image {
            diags.push(
                Diagnostic::error(
                    Code::McpNoImage,
                    format!("service `{name}` declares an MCP server but has no `image`"),
                )
                .label(mcp.span, "the catalog needs an image to point at")
                .help("add `image \"...\"` to the service: the catalog lists the image the stack runs"),
            );
        }
        if let Some(t) = &m.transport
            && let Some(port) = &t.port
        {
            let exposed = body.ports.values().any(|p| p.value.container == port.value)
                || body
                    .expose
                    .as_ref()
                    .is_some_and(|e| e.value.contains(&port.value));
            if !exposed {
                diags.push(
                    Diagnostic::error(
                        Code::McpPort,
                        format!(
                            "MCP transport port {} is not a port of service `{name}`",
                            port.value
                        ),
                    )
                    .label(port.span, "not published or exposed by the service")
                    .help(format!(
                        "add `expose {}` or `port {}` to the service, or fix the port",
                        port.value, port.value
                    )),
                );
            }
        }
        if let Some(t) = &m.transport
            && let Some(path) = &t.path
        {
            match url_placeholders(&path.value) {
                Err(why) => diags.push(
                    Diagnostic::error(
                        Code::McpUrlVariable,
                        format!("the MCP transport path of `{}` is not a URL template", m.name.value),
                    )
                    .label(path.span, why)
                    .help("write a placeholder as `{NAME}`, where NAME is an `env` of the `mcp` block"),
                ),
                Ok(names) => {
                    for var in names {
                        if m.env.iter().any(|e| e.name == var) {
                            continue;
                        }
                        let declared = m.env.iter().map(|e| e.name.as_str());
                        let help = match did_you_mean(var, declared) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!(
                                "declare it: `env \"{var}\" secret=#true required=#true description=\"...\"`"
                            ),
                        };
                        diags.push(
                            Diagnostic::error(
                                Code::McpUrlVariable,
                                format!("`{{{var}}}` in the MCP transport path is not an `env` of the `mcp` block"),
                            )
                            .label(path.span, format!("`{{{var}}}` names no variable"))
                            .help(help),
                        );
                    }
                }
            }
        }
        match claimed.get(m.name.value.as_str()) {
            Some((other, first)) => diags.push(
                Diagnostic::error(
                    Code::McpDuplicateName,
                    format!(
                        "MCP server `{}` is claimed by `{other}` and `{name}`",
                        m.name.value
                    ),
                )
                .label(m.name.span, "claimed again here")
                .label(*first, "first claimed here")
                .help("each MCP server name belongs to one service"),
            ),
            None => {
                claimed.insert(&m.name.value, (name, m.name.span));
            }
        }
    }
}

/// Registry server names: `<reverse-DNS namespace>/<name>`, exactly one slash.
pub fn check_mcp_name(name: &str) -> Result<(), String> {
    let slashes = name.matches('/').count();
    if slashes != 1 {
        return Err(format!("has {slashes} slashes; exactly one is allowed"));
    }
    let (ns, server) = name.split_once('/').unwrap_or_default();
    let ns_ok = ns.contains('.')
        && ns
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !ns_ok {
        return Err(format!(
            "the namespace `{ns}` is not reverse-DNS (such as `io.github.owner`)"
        ));
    }
    if server.is_empty()
        || !server
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "the server name `{server}` may hold only letters, digits, `.`, `_` and `-`"
        ));
    }
    Ok(())
}
