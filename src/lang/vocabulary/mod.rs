//! The vocabulary of the stack language: every node, where it may appear, its arguments and its
//! properties with their types and allowed values.
//!
//! This table is the single source of truth. The decoder checks nodes and properties against it,
//! did-you-mean suggestions draw from it, `schema/stack-language.json` is generated from it, and a
//! test checks that `docs/stack-language.md` documents every entry.
//!
//! The types and the helpers that build entries are here; the entries are in one file per
//! family: `top` (top-level nodes and `project`), `hardening` (class nodes, most also valid in a
//! service), `service` (service nodes), `reach` (`talks-to`, `egress`), `container` (plain
//! service nodes written to compose as they are), `blocks` (the children of `healthcheck` and `mcp`), `inputs` (declared inputs).
//! `compose` maps every compose key to the form that writes it.

mod blocks;
pub mod compose;
mod container;
mod hardening;
mod inputs;
mod reach;
mod service;
mod top;

pub use inputs::GENERATE_VALUES;

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
    /// A byte size, or -1 for no limit.
    SizeOrUnlimited,
    /// A compose pull policy: `always`, `never`, `missing`, `build`, `if_not_present`, `refresh`,
    /// `daily`, `weekly` or `every_<duration>`.
    PullPolicy,
    /// An IPC mode: `private`, `shareable`, `none`, `host`, `service:<name>`, `container:<name>`.
    IpcMode,
    /// Free text that never reaches a compose file (descriptions, reasons).
    Text,
    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`.
    EnvName,
    /// The name of a file in the output directory (never a path).
    FileName,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A subnet in CIDR form.
    Subnet,
    /// A host name.
    Hostname,
    /// An absolute path inside the container, without `:`.
    ContainerPath,
    /// A file path on the host (env files, secret files, Dockerfiles).
    FilePath,
    /// A directory path on the host (a build context).
    DirPath,
    /// An HTTP request path for a probe.
    UrlPath,
    /// A CPU count above 0.
    Cpus,
    /// An octal file mode such as `1777`.
    FileMode,
    /// A signal name or number.
    Signal,
    /// A `network-mode`: bridge, host, none, service:NAME, container:NAME.
    NetworkMode,
    /// A `pid` mode: host, service:NAME, container:NAME.
    PidMode,
    /// A container user `user[:group]`.
    User,
    /// A Linux capability name.
    Capability,
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
            ValueType::SizeOrUnlimited => "a size such as \"2g\", or -1 for no limit",
            ValueType::PullPolicy => "a pull policy such as \"missing\" or \"daily\"",
            ValueType::IpcMode => "an IPC mode such as \"shareable\" or \"service:<name>\"",
            ValueType::Text => "a string",
            ValueType::EnvName => "a variable name",
            ValueType::FileName => "a file name",
            ValueType::IpAddress => "an IP address",
            ValueType::Subnet => "a subnet such as \"172.30.0.0/24\"",
            ValueType::Hostname => "a host name",
            ValueType::ContainerPath => "an absolute container path",
            ValueType::FilePath => "a file path",
            ValueType::DirPath => "a directory path",
            ValueType::UrlPath => "a request path such as \"/health\"",
            ValueType::Cpus => "a CPU count above 0",
            ValueType::FileMode => "an octal file mode",
            ValueType::Signal => "a signal such as \"SIGTERM\"",
            ValueType::NetworkMode => "a network mode",
            ValueType::PidMode => "a pid mode",
            ValueType::User => "a user such as \"1000:1000\"",
            ValueType::Capability => "a capability name",
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
    /// The inclusive range of an integer value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(i64, i64)>,
    /// A `"${VAR:-default}"` string is accepted for a number or boolean (its default is checked).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub variables: bool,
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
    /// The inclusive range of an integer value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<(i64, i64)>,
    /// A `"${VAR:-default}"` string is accepted for a number or boolean (its default is checked).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub variables: bool,
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
    /// A node written to compose as is, under one compose key (nodes with a lowering of their
    /// own have none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plain: Option<Plain>,
    /// When the node is an exception to hardening that needs `reason=`.
    #[serde(skip_serializing_if = "Exception::is_never")]
    pub exception: Exception,
    pub doc: &'static str,
}

/// How a plain node is written to compose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Plain {
    /// The compose service key.
    pub compose: &'static str,
    pub shape: Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// One argument: `key: value`.
    Scalar,
    /// Its arguments: `key: [a, b]`; the node replaces an inherited one.
    List,
    /// A name and a value, one node per entry: `key: {name: value}`; merged by name.
    Map,
}

/// When a node needs `reason=` (an exception to hardening, listed by the audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "when", content = "values")]
pub enum Exception {
    Never,
    /// Whatever its value.
    Always,
    /// When its value is one of these (`"true"` for a boolean set to `#true`).
    Values(&'static [&'static str]),
}

impl Exception {
    pub fn is_never(&self) -> bool {
        *self == Exception::Never
    }

    /// Does this value (written as compose would read it) need a reason?
    pub fn applies_to(&self, value: &str) -> bool {
        match self {
            Exception::Never => false,
            Exception::Always => true,
            Exception::Values(v) => v.contains(&value),
        }
    }
}

const fn args(name: &'static str, min: usize, max: Option<usize>, ty: ValueType) -> ArgSpec {
    ArgSpec {
        name,
        min,
        max,
        ty,
        values: &[],
        range: None,
        variables: false,
    }
}

const NO_ARGS: ArgSpec = args("", 0, Some(0), ValueType::String);

const fn prop(name: &'static str, ty: ValueType, doc: &'static str) -> PropSpec {
    PropSpec {
        name,
        ty,
        values: &[],
        required: false,
        range: None,
        variables: false,
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
        range: None,
        variables: false,
        doc,
    }
}

const REASON: PropSpec = prop(
    "reason",
    ValueType::Text,
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
        plain: None,
        exception: Exception::Never,
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

/// A node written to compose as is under `compose`.
const fn plain(mut n: NodeSpec, compose: &'static str, shape: Shape) -> NodeSpec {
    n.plain = Some(Plain { compose, shape });
    if matches!(shape, Shape::Map) {
        n.repeatable = true;
    }
    n
}

/// A node that needs `reason=` when `exception` applies to its value.
const fn exception(mut n: NodeSpec, exception: Exception) -> NodeSpec {
    n.exception = exception;
    n
}

/// Arguments that accept `"${VAR:-default}"` for a number or boolean.
const fn with_variables(mut a: ArgSpec) -> ArgSpec {
    a.variables = true;
    a
}

/// Arguments or a property limited to an inclusive integer range.
const fn in_range(mut a: ArgSpec, min: i64, max: i64) -> ArgSpec {
    a.range = Some((min, max));
    a
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
/// Every node of the language, family by family.
pub static NODES: &[NodeSpec] = &ALL;

const FAMILIES: &[&[NodeSpec]] = &[
    top::NODES,
    hardening::NODES,
    service::NODES,
    reach::NODES,
    container::NODES,
    blocks::NODES,
    inputs::NODES,
];
const COUNT: usize = count(FAMILIES);
static ALL: [NodeSpec; COUNT] = concat(FAMILIES);

const fn count(families: &[&[NodeSpec]]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < families.len() {
        n += families[i].len();
        i += 1;
    }
    n
}

const fn concat<const N: usize>(families: &[&[NodeSpec]]) -> [NodeSpec; N] {
    let mut out = [families[0][0]; N];
    let (mut k, mut i) = (0, 0);
    while i < families.len() {
        let mut j = 0;
        while j < families[i].len() {
            out[k] = families[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    out
}

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
        comment: "Generated by pmovesc from src/lang/vocabulary/; regenerate with `pmovesc schema > schema/stack-language.json`.",
        language: "pmovesc stack language",
        version: "0",
        nodes: NODES,
    };
    let mut out = serde_json::to_string_pretty(&schema).unwrap_or_default();
    out.push('\n');
    out
}
