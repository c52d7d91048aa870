//! The vocabulary of the stack language: every node, where it may appear, its arguments and its
//! properties with their types and allowed values.
//!
//! This table is the single source of truth. The decoder checks nodes and properties against it,
//! did-you-mean suggestions draw from it, `schema/stack-language.json` is generated from it, and a
//! test checks that `docs/stack-language.md` documents every entry.

use serde::Serialize;

/// Where a node may appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    /// The top level of a stack file.
    Top,
    /// Children of `project`.
    Project,
    /// Children of `hardening`.
    Hardening,
    /// Children of `service`, `template` and `when`.
    Service,
    /// Children of `build`.
    Build,
    /// Children of `healthcheck`.
    Healthcheck,
    /// Children of `mcp`.
    Mcp,
}

impl Context {
    pub fn describe(self) -> &'static str {
        match self {
            Context::Top => "at the top level",
            Context::Project => "inside `project`",
            Context::Hardening => "inside `hardening`",
            Context::Service => "inside `service`, `template` or `when`",
            Context::Build => "inside `build`",
            Context::Healthcheck => "inside `healthcheck`",
            Context::Mcp => "inside `mcp`",
        }
    }
}

/// The type of an argument or property value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueType {
    String,
    /// A name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
    Name,
    Integer,
    /// An integer or a decimal number.
    Number,
    Bool,
    /// A compose duration: `500ms`, `10s`, `1m30s`.
    Duration,
    /// A compose byte size: `512m`, `1g`.
    Size,
    /// A port 1..65535.
    Port,
    /// A port number, or a string holding a `${VAR:-default}` interpolation.
    PortOrInterpolation,
    /// An OCI image reference.
    Image,
    /// A string, integer, number or boolean, written as a string.
    Scalar,
    /// An integer or the string `"all"`.
    CountOrAll,
}

impl ValueType {
    pub fn describe(self) -> &'static str {
        match self {
            ValueType::String => "a string",
            ValueType::Name => "a name",
            ValueType::Integer => "an integer",
            ValueType::Number => "a number",
            ValueType::Bool => "#true or #false",
            ValueType::Duration => "a duration such as \"10s\"",
            ValueType::Size => "a size such as \"512m\"",
            ValueType::Port => "a port number",
            ValueType::PortOrInterpolation => "a port number or \"${VAR:-port}\"",
            ValueType::Image => "an image reference",
            ValueType::Scalar => "a string, number or boolean",
            ValueType::CountOrAll => "an integer or \"all\"",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ArgSpec {
    /// What the arguments mean, for messages and docs.
    pub name: &'static str,
    pub min: usize,
    /// `None`: any number.
    pub max: Option<usize>,
    #[serde(rename = "type")]
    pub ty: ValueType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub values: &'static [&'static str],
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PropSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: ValueType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub values: &'static [&'static str],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    pub doc: &'static str,
}

/// What the children block of a node holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "context")]
pub enum Children {
    None,
    /// Nodes of a vocabulary context.
    Nodes(Context),
    /// Free-form `KEY "value"` entries (environment variables, build args).
    KeyValues,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct NodeSpec {
    pub name: &'static str,
    pub contexts: &'static [Context],
    pub args: ArgSpec,
    pub props: &'static [PropSpec],
    pub children: Children,
    /// May appear more than once in one body.
    pub repeatable: bool,
    pub doc: &'static str,
}

const fn args(name: &'static str, min: usize, max: Option<usize>, ty: ValueType) -> ArgSpec {
    ArgSpec {
        name,
        min,
        max,
        ty,
        values: &[],
    }
}

const NO_ARGS: ArgSpec = args("", 0, Some(0), ValueType::String);

const fn prop(name: &'static str, ty: ValueType, doc: &'static str) -> PropSpec {
    PropSpec {
        name,
        ty,
        values: &[],
        required: false,
        doc,
    }
}

const fn prop_enum(
    name: &'static str,
    values: &'static [&'static str],
    doc: &'static str,
) -> PropSpec {
    PropSpec {
        name,
        ty: ValueType::String,
        values,
        required: false,
        doc,
    }
}

const REASON: PropSpec = prop(
    "reason",
    ValueType::String,
    "why the service needs this exception; recorded in the audit",
);

use Context as C;
use ValueType as T;

const SVC: &[Context] = &[C::Service];
const SVC_HARD: &[Context] = &[C::Service, C::Hardening];

const fn node(
    name: &'static str,
    contexts: &'static [Context],
    args: ArgSpec,
    props: &'static [PropSpec],
    doc: &'static str,
) -> NodeSpec {
    NodeSpec {
        name,
        contexts,
        args,
        props,
        children: Children::None,
        repeatable: false,
        doc,
    }
}

const fn repeatable(mut n: NodeSpec) -> NodeSpec {
    n.repeatable = true;
    n
}

const fn with_children(mut n: NodeSpec, children: Children) -> NodeSpec {
    n.children = children;
    n
}

pub const CAPABILITY_VALUES: &[&str] = &[
    "ALL",
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYSLOG",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "WAKE_ALARM",
];

pub const RESTART_VALUES: &[&str] = &["no", "always", "on-failure", "unless-stopped"];
pub const REQUIRE_VALUES: &[&str] = &[
    "healthcheck",
    "limits",
    "user",
    "read-only",
    "cap-drop-all",
    "no-new-privileges",
    "pinned",
];

/// Every node of the language.
pub const NODES: &[NodeSpec] = &[
    // ---- top level --------------------------------------------------------------------------
    with_children(
        node(
            "project",
            &[C::Top],
            args("project name", 1, Some(1), T::Name),
            &[],
            "The stack's single project node: its name prefixes local image tags.",
        ),
        Children::Nodes(C::Project),
    ),
    with_children(
        repeatable(node(
            "hardening",
            &[C::Top],
            args("class name", 1, Some(1), T::Name),
            &[prop("extends", T::Name, "the class this one starts from")],
            "A hardening class: settings applied to its services in hardened profiles.",
        )),
        Children::Nodes(C::Hardening),
    ),
    repeatable(node(
        "network",
        &[C::Top],
        args("network name", 1, Some(1), T::Name),
        &[
            prop("name", T::String, "the network's name on the engine"),
            prop("subnet", T::String, "IPAM subnet in CIDR form"),
            prop("gateway", T::String, "IPAM gateway address"),
            prop("internal", T::Bool, "no route to the outside"),
            prop("external", T::Bool, "created outside this project"),
            prop("driver", T::String, "network driver (default bridge)"),
            prop("attachable", T::Bool, "standalone containers may attach"),
        ],
        "A network services attach to.",
    )),
    repeatable(node(
        "volume",
        &[C::Top],
        args("volume name", 1, Some(1), T::Name),
        &[
            prop("name", T::String, "the volume's name on the engine"),
            prop("external", T::Bool, "created outside this project"),
            prop("driver", T::String, "volume driver"),
        ],
        "A named volume services may mount.",
    )),
    repeatable(node(
        "secret",
        &[C::Top],
        args("secret name", 1, Some(1), T::Name),
        &[
            prop("file", T::String, "a file holding the secret"),
            prop(
                "environment",
                T::String,
                "an environment variable holding the secret",
            ),
            prop("external", T::Bool, "created outside this project"),
        ],
        "A secret services may mount under /run/secrets.",
    )),
    with_children(
        repeatable(node(
            "template",
            &[C::Top],
            args("template name", 1, Some(1), T::Name),
            &[prop("from", T::Name, "the template this one starts from")],
            "Service settings shared by services that name it with from=; never emitted.",
        )),
        Children::Nodes(C::Service),
    ),
    repeatable(node(
        "profile",
        &[C::Top],
        args("profile name", 1, Some(1), T::Name),
        &[
            prop_enum(
                "source",
                &["build", "image"],
                "build from source or run images",
            ),
            prop_enum(
                "pins",
                &["off", "warn", "require"],
                "what an image without a digest is (default: warn for source=image, off for build)",
            ),
            prop(
                "hardened",
                T::Bool,
                "apply hardening classes and their require lists",
            ),
            prop(
                "gpu",
                T::Bool,
                "include GPU reservations, when \"gpu\" and only-in \"gpu\"",
            ),
            prop(
                "file",
                T::String,
                "output file name (default docker-compose.<profile>.yml)",
            ),
        ],
        "An output variant of the whole stack.",
    )),
    with_children(
        repeatable(node(
            "service",
            &[C::Top],
            args("service name", 1, Some(1), T::Name),
            &[prop(
                "from",
                T::Name,
                "the template this service starts from",
            )],
            "A service, written once for every profile.",
        )),
        Children::Nodes(C::Service),
    ),
    // ---- project ----------------------------------------------------------------------------
    repeatable(node(
        "env-file",
        &[C::Project, C::Service],
        args("paths", 1, None, T::String),
        &[prop(
            "required",
            T::Bool,
            "#false: a missing file is not an error (compose long syntax)",
        )],
        "Env files read by the service; in project, the default list of every service. In a service the list replaces the project's.",
    )),
    node(
        "pin-file",
        &[C::Project],
        args("file name", 1, Some(1), T::String),
        &[],
        "Name of the generated pin file (default env.shared).",
    ),
    node(
        "default-hardening",
        &[C::Project],
        args("class name", 1, Some(1), T::Name),
        &[],
        "The hardening class of services that name none.",
    ),
    // ---- hardening classes and services -----------------------------------------------------
    node(
        "no-new-privileges",
        SVC_HARD,
        args("enabled", 1, Some(1), T::Bool),
        &[REASON],
        "security_opt no-new-privileges:true.",
    ),
    node(
        "cap-drop",
        SVC_HARD,
        args("capabilities", 1, None, T::String),
        &[REASON],
        "Capabilities to drop (usually \"ALL\").",
    ),
    node(
        "allow-cap",
        &[C::Hardening],
        args("capabilities", 1, None, T::String),
        &[],
        "Capabilities a service of this class may cap-add.",
    ),
    node(
        "restart",
        SVC_HARD,
        ArgSpec {
            values: RESTART_VALUES,
            ..args("policy", 1, Some(1), T::String)
        },
        &[],
        "Restart policy.",
    ),
    node(
        "user",
        SVC_HARD,
        args("uid:gid", 1, Some(1), T::String),
        &[REASON],
        "The user the container runs as; a class user must be numeric and non-root.",
    ),
    node(
        "read-only",
        SVC_HARD,
        args("enabled", 1, Some(1), T::Bool),
        &[REASON],
        "Read-only root filesystem.",
    ),
    repeatable(node(
        "tmpfs",
        SVC_HARD,
        args("target", 1, Some(1), T::String),
        &[
            prop("size", T::Size, "size limit"),
            prop("mode", T::String, "octal file mode, e.g. \"1777\""),
            prop("uid", T::Integer, "owner uid"),
            prop("gid", T::Integer, "owner gid"),
        ],
        "A tmpfs mount; keyed by target.",
    )),
    node(
        "pids-limit",
        SVC_HARD,
        args("limit", 1, Some(1), T::Integer),
        &[REASON],
        "Process limit (deploy.resources.limits.pids).",
    ),
    node(
        "require",
        &[C::Hardening],
        ArgSpec {
            values: REQUIRE_VALUES,
            ..args("requirements", 1, None, T::String)
        },
        &[],
        "What hardened profiles demand of every service of the class.",
    ),
    node(
        "shm-size",
        SVC_HARD,
        args("size", 1, Some(1), T::Size),
        &[],
        "Size of /dev/shm.",
    ),
    node(
        "resources",
        SVC_HARD,
        NO_ARGS,
        &[
            prop("cpus", T::Number, "CPU limit"),
            prop("memory", T::Size, "memory limit"),
            prop("pids", T::Integer, "process limit"),
        ],
        "deploy.resources.limits.",
    ),
    node(
        "reserve",
        SVC_HARD,
        NO_ARGS,
        &[
            prop("cpus", T::Number, "reserved CPUs"),
            prop("memory", T::Size, "reserved memory"),
        ],
        "deploy.resources.reservations.",
    ),
    repeatable(node(
        "security-opt",
        SVC_HARD,
        args("option", 1, Some(1), T::String),
        &[REASON],
        "An extra security_opt entry (a service needs reason=).",
    )),
    // ---- services only ----------------------------------------------------------------------
    node(
        "description",
        SVC,
        args("text", 1, Some(1), T::String),
        &[],
        "What the service is for.",
    ),
    node(
        "image",
        SVC,
        args("reference", 1, Some(1), T::Image),
        &[],
        "OCI image reference: [registry/]path[:tag][@sha256:<64 hex>].",
    ),
    node(
        "pin-var",
        SVC,
        args("variable", 1, Some(1), T::String),
        &[],
        "Pin variable of the image (default SERVICE_NAME_IMAGE).",
    ),
    with_children(
        node(
            "build",
            SVC,
            args("context", 0, Some(1), T::String),
            &[
                prop(
                    "dockerfile",
                    T::String,
                    "Dockerfile path, relative to the context",
                ),
                prop("target", T::String, "build stage"),
            ],
            "How to build the service's image (used in source=\"build\" profiles).",
        ),
        Children::Nodes(C::Build),
    ),
    repeatable(node(
        "arg",
        &[C::Build],
        args("name and value", 2, Some(2), T::Scalar),
        &[],
        "A build argument.",
    )),
    node(
        "group",
        SVC,
        args("groups", 1, None, T::Name),
        &[],
        "Compose profiles (groups) the service starts with.",
    ),
    node(
        "command",
        SVC,
        args("command", 1, None, T::Scalar),
        &[],
        "Command: several arguments give the exec form, one the string form.",
    ),
    node(
        "entrypoint",
        SVC,
        args("entrypoint", 1, None, T::Scalar),
        &[],
        "Entrypoint, like command.",
    ),
    with_children(
        repeatable(node(
            "env",
            SVC,
            NO_ARGS,
            &[],
            "Environment variables: one `KEY \"value\"` child each; merged by key.",
        )),
        Children::KeyValues,
    ),
    repeatable(node(
        "port",
        SVC,
        args("container port", 1, Some(1), T::Port),
        &[
            prop(
                "host",
                T::PortOrInterpolation,
                "published host port (default: the container port)",
            ),
            prop("host-ip", T::String, "host address to bind"),
            prop_enum("protocol", &["tcp", "udp"], "protocol (default tcp)"),
        ],
        "A published port; keyed by container port and protocol.",
    )),
    repeatable(node(
        "expose",
        SVC,
        args("ports", 1, None, T::Port),
        &[],
        "Ports reachable by other services but not published.",
    )),
    repeatable(node(
        "network",
        SVC,
        args("networks", 1, None, T::Name),
        &[],
        "Networks the service attaches to; merged by name.",
    )),
    repeatable(node(
        "volume",
        SVC,
        args("source and target", 2, Some(2), T::String),
        &[prop("read-only", T::Bool, "mount read-only")],
        "A named volume or, when the source starts with . or /, a bind mount; keyed by target.",
    )),
    repeatable(node(
        "secret",
        SVC,
        args("secret name", 1, Some(1), T::Name),
        &[prop(
            "env",
            T::String,
            "an environment variable set to /run/secrets/<name>",
        )],
        "A secret mounted under /run/secrets.",
    )),
    repeatable(node(
        "depends-on",
        SVC,
        args("service", 1, Some(1), T::Name),
        &[
            prop_enum(
                "condition",
                &["healthy", "started", "completed"],
                "what to wait for (default started)",
            ),
            prop(
                "required",
                T::Bool,
                "#false: start even if the dependency is absent",
            ),
            prop(
                "restart",
                T::Bool,
                "restart this service when the dependency restarts",
            ),
        ],
        "A start-up dependency.",
    )),
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
            prop("path", T::String, "request path (default /)"),
            prop_enum(
                "tool",
                &["curl", "wget", "python"],
                "the probe program in the image (default curl)",
            ),
            prop("host", T::String, "address to probe (default 127.0.0.1)"),
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
    node(
        "hardening",
        SVC,
        args("class", 1, Some(1), T::Name),
        &[REASON],
        "The service's hardening class; \"exempt\" with reason= opts out.",
    ),
    repeatable(node(
        "cap-add",
        SVC,
        args("capability", 1, Some(1), T::String),
        &[REASON],
        "A capability added back; must be allowed by the class.",
    )),
    repeatable(node(
        "extra-host",
        SVC,
        args("host and address", 2, Some(2), T::String),
        &[],
        "An /etc/hosts entry; keyed by host.",
    )),
    repeatable(node(
        "label",
        SVC,
        args("name and value", 2, Some(2), T::Scalar),
        &[],
        "A container label; merged by name.",
    )),
    repeatable(node(
        "ulimit",
        SVC,
        args("name and optional single value", 1, Some(2), T::Scalar),
        &[
            prop("soft", T::Integer, "soft limit"),
            prop("hard", T::Integer, "hard limit"),
        ],
        "A ulimit; keyed by name.",
    )),
    node(
        "init",
        SVC,
        args("enabled", 1, Some(1), T::Bool),
        &[],
        "Run an init process as PID 1.",
    ),
    node(
        "stop-grace-period",
        SVC,
        args("duration", 1, Some(1), T::Duration),
        &[],
        "Time to wait before killing on stop.",
    ),
    node(
        "stop-signal",
        SVC,
        args("signal", 1, Some(1), T::String),
        &[],
        "Signal sent on stop.",
    ),
    node(
        "working-dir",
        SVC,
        args("path", 1, Some(1), T::String),
        &[],
        "Working directory.",
    ),
    node(
        "hostname",
        SVC,
        args("hostname", 1, Some(1), T::String),
        &[],
        "Container hostname.",
    ),
    node(
        "privileged",
        SVC,
        args("enabled", 1, Some(1), T::Bool),
        &[REASON],
        "Privileged mode: an exception that needs reason=.",
    ),
    node(
        "network-mode",
        SVC,
        args("mode", 1, Some(1), T::String),
        &[REASON],
        "Network mode; \"host\" is an exception that needs reason=.",
    ),
    node(
        "pid",
        SVC,
        args("mode", 1, Some(1), T::String),
        &[REASON],
        "PID namespace; \"host\" is an exception that needs reason=.",
    ),
    repeatable(node(
        "device",
        SVC,
        args("host device[:container path]", 1, Some(1), T::String),
        &[REASON],
        "A host device mapped into the container: an exception that needs reason=.",
    )),
    node(
        "gpu",
        SVC,
        NO_ARGS,
        &[
            prop("count", T::CountOrAll, "number of GPUs, or \"all\""),
            prop(
                "device-ids",
                T::String,
                "comma-separated device ids, e.g. \"0,1\"",
            ),
            prop("driver", T::String, "device driver (default nvidia)"),
            prop(
                "capabilities",
                T::String,
                "comma-separated capabilities (default \"gpu\")",
            ),
        ],
        "A GPU reservation, emitted only in gpu profiles.",
    ),
    node(
        "only-in",
        SVC,
        args("profiles", 1, None, T::Name),
        &[],
        "The service exists only in these profiles (a name, or \"gpu\"/\"hardened\" for every such profile).",
    ),
    with_children(
        repeatable(node(
            "when",
            SVC,
            args("profile", 1, Some(1), T::Name),
            &[],
            "Service nodes applied only in the named profile (or every gpu/hardened profile).",
        )),
        Children::Nodes(C::Service),
    ),
    with_children(
        node(
            "mcp",
            SVC,
            args("server name", 1, Some(1), T::String),
            &[],
            "The MCP server this service runs.",
        ),
        Children::Nodes(C::Mcp),
    ),
    // ---- mcp ---------------------------------------------------------------------------------
    node(
        "title",
        &[C::Mcp],
        args("title", 1, Some(1), T::String),
        &[],
        "Display name.",
    ),
    node(
        "description",
        &[C::Mcp],
        args("text", 1, Some(1), T::String),
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
        args("variable", 1, Some(1), T::String),
        &[
            prop("secret", T::Bool, "the value is a secret"),
            prop("required", T::Bool, "the server needs it"),
            prop("description", T::String, "what it is"),
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

/// The spec of a node in a context.
pub fn lookup(context: Context, name: &str) -> Option<&'static NodeSpec> {
    NODES
        .iter()
        .find(|n| n.name == name && n.contexts.contains(&context))
}

/// Node names valid in a context (for did-you-mean).
pub fn names_in(context: Context) -> impl Iterator<Item = &'static str> + Clone {
    NODES
        .iter()
        .filter(move |n| n.contexts.contains(&context))
        .map(|n| n.name)
}

/// The machine-readable vocabulary written to `schema/stack-language.json`.
pub fn schema_json() -> String {
    #[derive(Serialize)]
    struct Schema {
        #[serde(rename = "$comment")]
        comment: &'static str,
        language: &'static str,
        version: &'static str,
        nodes: &'static [NodeSpec],
    }
    let schema = Schema {
        comment: "Generated by pmovesc from src/vocabulary.rs; regenerate with `pmovesc schema > schema/stack-language.json`.",
        language: "pmovesc stack language",
        version: "0",
        nodes: NODES,
    };
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}
