//! The typed, span-carrying model of a stack, as decoded from KDL and before resolution.
//!
//! A service body ([`ServiceBody`]) is the same type for services, templates and `when` blocks,
//! so the merge rule of `from=` and `when` is one function ([`crate::analysis::resolve`]). Single nodes are
//! `Option`s (an overlay replaces them); keyed repeatable nodes are ordered maps (an overlay
//! merges into them by key).

use indexmap::IndexMap;

use crate::lang::source::{Span, Spanned};

/// A value written on a node that may carry `reason=`.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    /// The whole node, for diagnostics.
    pub span: Span,
    pub reason: Option<Spanned<String>>,
}

impl<T> Setting<T> {
    pub fn new(value: T, span: Span) -> Self {
        Self {
            value,
            span,
            reason: None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Stack {
    pub projects: Vec<Project>,
    pub classes: Vec<HardeningClass>,
    pub networks: Vec<Network>,
    pub volumes: Vec<Volume>,
    pub secrets: Vec<Secret>,
    pub templates: Vec<Template>,
    pub profiles: Vec<Profile>,
    pub services: Vec<Service>,
    /// Services whose bodies had decode errors: rules that would only repeat those errors
    /// (a missing image after a malformed `image`, say) skip them.
    pub tainted: std::collections::BTreeSet<String>,
}

impl Stack {
    /// Appends another file's definitions (files are decoded one by one).
    pub fn absorb(&mut self, other: Stack) {
        self.projects.extend(other.projects);
        self.classes.extend(other.classes);
        self.networks.extend(other.networks);
        self.volumes.extend(other.volumes);
        self.secrets.extend(other.secrets);
        self.templates.extend(other.templates);
        self.profiles.extend(other.profiles);
        self.services.extend(other.services);
        self.tainted.extend(other.tainted);
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: Spanned<String>,
    pub env_files: Option<Vec<EnvFile>>,
    pub pin_file: Option<Spanned<String>>,
    pub default_hardening: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    pub path: String,
    pub required: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct HardeningClass {
    pub name: Spanned<String>,
    pub extends: Option<Spanned<String>>,
    pub body: ClassBody,
    pub span: Span,
}

/// Settings of a hardening class. Every field is optional so that `extends=` merges by node.
#[derive(Debug, Clone, Default)]
pub struct ClassBody {
    pub no_new_privileges: Option<Setting<bool>>,
    pub cap_drop: Option<Setting<Vec<String>>>,
    pub allow_cap: Option<Setting<Vec<String>>>,
    pub restart: Option<Setting<String>>,
    pub user: Option<Setting<String>>,
    pub read_only: Option<Setting<bool>>,
    pub tmpfs: IndexMap<String, Tmpfs>,
    pub pids_limit: Option<Setting<i64>>,
    pub require: Option<Setting<Vec<Spanned<String>>>>,
    pub shm_size: Option<Setting<String>>,
    pub resources: Option<Setting<Resources>>,
    pub reserve: Option<Setting<Resources>>,
    pub security_opt: IndexMap<String, Setting<String>>,
}

#[derive(Debug, Clone)]
pub struct Network {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub external: bool,
    pub attachable: bool,
    pub driver: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub external: bool,
    pub driver: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub key: Spanned<String>,
    pub file: Option<String>,
    pub environment: Option<String>,
    pub external: bool,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub name: Spanned<String>,
    pub from: Option<Spanned<String>>,
    pub body: ServiceBody,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Build,
    Image,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PinPolicy {
    Off,
    Warn,
    Require,
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: Spanned<String>,
    pub source: Source,
    pub pins: PinPolicy,
    pub hardened: bool,
    pub gpu: bool,
    pub file: Option<String>,
    pub span: Span,
}

impl Profile {
    pub fn file_name(&self) -> String {
        self.file
            .clone()
            .unwrap_or_else(|| format!("docker-compose.{}.yml", self.name.value))
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: Spanned<String>,
    pub from: Option<Spanned<String>>,
    pub body: ServiceBody,
    pub span: Span,
}

/// Everything a service, template or `when` block may set.
#[derive(Debug, Clone, Default)]
pub struct ServiceBody {
    pub description: Option<Setting<String>>,
    pub image: Option<Setting<String>>,
    pub pin_var: Option<Setting<String>>,
    pub build: Option<Setting<Build>>,
    pub groups: Option<Setting<Vec<Spanned<String>>>>,
    pub command: Option<Setting<Vec<String>>>,
    pub entrypoint: Option<Setting<Vec<String>>>,
    pub env: IndexMap<String, Setting<String>>,
    pub env_files: Option<Vec<EnvFile>>,
    pub ports: IndexMap<(u16, String), Setting<Port>>,
    pub expose: Option<Setting<Vec<u16>>>,
    pub networks: IndexMap<String, Span>,
    pub volumes: IndexMap<String, Setting<Mount>>,
    pub tmpfs: IndexMap<String, Tmpfs>,
    pub secrets: IndexMap<String, Setting<SecretUse>>,
    pub depends_on: IndexMap<String, Setting<Dependency>>,
    pub healthcheck: Option<Setting<Healthcheck>>,
    pub resources: Option<Setting<Resources>>,
    pub reserve: Option<Setting<Resources>>,
    pub hardening: Option<Setting<String>>,
    pub cap_add: IndexMap<String, Setting<String>>,
    pub cap_drop: Option<Setting<Vec<String>>>,
    pub no_new_privileges: Option<Setting<bool>>,
    pub user: Option<Setting<String>>,
    pub read_only: Option<Setting<bool>>,
    pub restart: Option<Setting<String>>,
    pub pids_limit: Option<Setting<i64>>,
    pub extra_hosts: IndexMap<String, Setting<String>>,
    pub labels: IndexMap<String, Setting<String>>,
    pub ulimits: IndexMap<String, Setting<Ulimit>>,
    pub shm_size: Option<Setting<String>>,
    pub init: Option<Setting<bool>>,
    pub stop_grace_period: Option<Setting<String>>,
    pub stop_signal: Option<Setting<String>>,
    pub working_dir: Option<Setting<String>>,
    pub hostname: Option<Setting<String>>,
    pub privileged: Option<Setting<bool>>,
    pub network_mode: Option<Setting<String>>,
    pub pid: Option<Setting<String>>,
    pub security_opt: IndexMap<String, Setting<String>>,
    pub devices: IndexMap<String, Setting<String>>,
    pub gpu: Option<Setting<Gpu>>,
    pub only_in: Option<Setting<Vec<Spanned<String>>>>,
    pub whens: Vec<When>,
    pub mcp: Option<Setting<Mcp>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Build {
    pub context: Option<String>,
    pub dockerfile: Option<String>,
    pub target: Option<String>,
    pub args: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    pub container: u16,
    /// A number or an interpolation such as `${X:-8086}`; `None` publishes on the container port.
    pub host: Option<String>,
    pub host_ip: Option<String>,
    pub protocol: String,
}

impl Port {
    /// The host port as a number, reading the default of an interpolation.
    pub fn host_port(&self) -> Option<u16> {
        match &self.host {
            None => Some(self.container),
            Some(h) => crate::lang::values::interpolation_default(h).and_then(|d| d.parse().ok()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mount {
    pub source: String,
    pub target: String,
    pub read_only: bool,
}

impl Mount {
    pub fn is_bind(&self) -> bool {
        self.source.starts_with('.') || self.source.starts_with('/') || self.source.starts_with('~')
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tmpfs {
    pub target: String,
    pub size: Option<String>,
    pub mode: Option<String>,
    pub uid: Option<i64>,
    pub gid: Option<i64>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SecretUse {
    pub name: String,
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Started,
    Healthy,
    Completed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub service: String,
    pub condition: Condition,
    pub required: bool,
    pub restart: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    HttpGet {
        port: u16,
        path: String,
        tool: String,
        host: String,
    },
    Cmd(Vec<String>),
    Shell(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Healthcheck {
    pub probe: Option<Probe>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<i64>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resources {
    pub cpus: Option<f64>,
    pub memory: Option<String>,
    pub pids: Option<i64>,
}

impl Resources {
    /// The values of an optional `resources`/`reserve` node (all unset when absent).
    pub fn of(node: &Option<Setting<Resources>>) -> Resources {
        node.as_ref().map(|r| r.value.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Ulimit {
    Single(i64),
    Range { soft: i64, hard: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub enum GpuCount {
    All,
    Count(i64),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gpu {
    pub count: Option<GpuCount>,
    pub device_ids: Option<Vec<String>>,
    pub driver: String,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct When {
    pub selector: Spanned<String>,
    pub body: Box<ServiceBody>,
    pub span: Span,
}

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
