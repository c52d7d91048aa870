//! MCP servers a service runs: the `mcp` block and its URL templates.

use crate::lang::source::{Span, Spanned};

#[derive(Debug, Clone, PartialEq)]
pub struct McpEnv {
    pub name: String,
    pub secret: bool,
    pub required: bool,
    pub description: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct McpTransport {
    pub kind: String,
    pub port: Option<Spanned<u16>>,
    /// The URL path; `{NAME}` placeholders name an `env` of the block (a URL template).
    pub path: Option<Spanned<String>>,
    pub span: Span,
}

impl Mcp {
    /// The transport kind; a block without `transport` is a stdio server.
    pub fn transport_kind(&self) -> &str {
        self.transport.as_ref().map_or("stdio", |t| t.kind.as_str())
    }
}

/// The `{NAME}` placeholders of a URL template, in order, each once. A name is a letter or `_`
/// followed by letters, digits and `_`; a brace outside a placeholder is an error.
pub fn url_placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out: Vec<&str> = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        if rest[i..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else {
            return Err("a `{` without its `}`".into());
        };
        let name = &after[..end];
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "`{{{name}}}` is not a placeholder: a name is a letter or `_`, then letters, digits and `_`"
            ));
        }
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mcp {
    pub name: Spanned<String>,
    pub title: Option<String>,
    pub description: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub transport: Option<McpTransport>,
    pub scopes: Vec<String>,
    pub env: Vec<McpEnv>,
    pub tools: Vec<String>,
    pub repository: Option<String>,
    pub website: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::url_placeholders;

    #[test]
    fn url_placeholders_in_order_each_once() {
        assert_eq!(url_placeholders("/mcp"), Ok(vec![]));
        assert_eq!(
            url_placeholders("/t-{TOKEN}/x/{_b2}/{TOKEN}"),
            Ok(vec!["TOKEN", "_b2"])
        );
    }

    #[test]
    fn url_placeholders_reject_stray_braces_and_bad_names() {
        for bad in ["/{", "/}", "/}{A}", "/{}", "/{1a}", "/{a-b}", "/{a{b}}"] {
            assert!(url_placeholders(bad).is_err(), "{bad} accepted");
        }
    }
}
