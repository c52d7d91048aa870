//! Children blocks of service nodes: `healthcheck` probes and `mcp` servers.

use super::*;

pub(super) const NODES: &[NodeSpec] = &[
    with_children(
        node(
            "healthcheck",
            SVC,
            NO_ARGS,
            &[
                prop("interval", T::Duration, "time between checks"),
                prop("timeout", T::Duration, "time a check may take"),
                prop("retries", T::Integer, "failures before unhealthy"),
                prop("start-period", T::Duration, "grace time at start"),
                prop(
                    "start-interval",
                    T::Duration,
                    "time between checks during start-period",
                ),
            ],
            "A container healthcheck with one of http-get, cmd or shell.",
        ),
        Children::Nodes(C::Healthcheck),
    ),
    node(
        "http-get",
        &[C::Healthcheck],
        NO_ARGS,
        &[
            PropSpec {
                required: true,
                ..prop("port", T::Port, "port inside the container")
            },
            prop("path", T::UrlPath, "request path (default /)"),
            prop_enum(
                "tool",
                &["curl", "wget", "python"],
                "the probe program in the image (default curl)",
            ),
            prop("host", T::Hostname, "address to probe (default 127.0.0.1)"),
        ],
        "An HTTP GET that must succeed; the endpoint is also recorded for outside probes.",
    ),
    node(
        "cmd",
        &[C::Healthcheck],
        args("command", 1, None, T::Scalar),
        &[],
        "CMD form: the command and its arguments.",
    ),
    node(
        "shell",
        &[C::Healthcheck],
        args("shell command", 1, Some(1), T::String),
        &[],
        "CMD-SHELL form.",
    ),
    // ---- mcp ---------------------------------------------------------------------------------
    node(
        "title",
        &[C::Mcp],
        args("title", 1, Some(1), T::Text),
        &[],
        "Display name.",
    ),
    node(
        "description",
        &[C::Mcp],
        args("text", 1, Some(1), T::Text),
        &[],
        "What the server does (at most 100 characters).",
    ),
    node(
        "version",
        &[C::Mcp],
        args("version", 1, Some(1), T::String),
        &[],
        "The server's version.",
    ),
    node(
        "transport",
        &[C::Mcp],
        ArgSpec {
            values: &["stdio", "streamable-http", "sse"],
            ..args("type", 1, Some(1), T::String)
        },
        &[
            prop("port", T::Port, "container port of an HTTP transport"),
            prop(
                "path",
                T::String,
                "URL path of an HTTP transport; `{NAME}` names an `env` of the block",
            ),
        ],
        "How clients reach the server.",
    ),
    node(
        "scope",
        &[C::Mcp],
        args("scopes", 1, None, T::String),
        &[],
        "Scopes the server needs.",
    ),
    repeatable(node(
        "env",
        &[C::Mcp],
        args("variable", 1, Some(1), T::EnvName),
        &[
            prop("secret", T::Bool, "the value is a secret"),
            prop("required", T::Bool, "the server needs it"),
            prop("description", T::Text, "what it is"),
        ],
        "An environment variable the server reads.",
    )),
    node(
        "tool",
        &[C::Mcp],
        args("tool names", 1, None, T::String),
        &[],
        "Tools the server offers.",
    ),
    node(
        "repository",
        &[C::Mcp],
        args("url", 1, Some(1), T::String),
        &[],
        "Source repository URL.",
    ),
    node(
        "website",
        &[C::Mcp],
        args("url", 1, Some(1), T::String),
        &[],
        "Website URL.",
    ),
];
