//! The typed, span-carrying model of a stack, as decoded from KDL and before resolution.
//!
//! A service body ([`ServiceBody`]) is the same type for services, templates and `when` blocks,
//! so the merge rule of `from=` and `when` is one function ([`crate::analysis::resolve`]). Single nodes are
//! `Option`s (an overlay replaces them); keyed repeatable nodes are ordered maps (an overlay
//! merges into them by key).
//!
//! The stack and the bodies are here; the values of single nodes are in `definitions` (top-level
//! definitions other than services), `service` (the values of service nodes), `mcp` (MCP
//! servers) and `inputs` (declared inputs and the variables strings interpolate).

mod definitions;
mod inputs;
mod mcp;
mod service;

pub use definitions::*;
pub use inputs::*;
pub use mcp::*;
pub use service::*;

use indexmap::IndexMap;

use crate::lang::source::{Span, Spanned};

/// A value as written in KDL; compose reads it with its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    String(String),
    Integer(i64),
    Float(f64),
    Bool(bool),
}

impl Scalar {
    /// The value as text, as compose reads it (`#true` is `true`).
    pub fn text(&self) -> String {
        match self {
            Scalar::String(s) => s.clone(),
            Scalar::Integer(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

/// The value of a plain node (see [`crate::lang::vocabulary::Plain`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PlainValue {
    One(Scalar),
    Many(Vec<Scalar>),
}

/// Where a plain value goes: the node's name, and the entry's name for a map-shaped node (empty
/// otherwise).
pub type PlainKey = (String, String);

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
    pub inputs: Vec<Input>,
    /// Every variable interpolated by a string that reaches a compose file.
    pub variables: Vec<VariableUse>,
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
        self.inputs.extend(other.inputs);
        self.variables.extend(other.variables);
        self.tainted.extend(other.tainted);
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: Spanned<String>,
    pub env_files: Option<Vec<EnvFile>>,
    pub pin_file: Option<Spanned<String>>,
    pub default_hardening: Option<Spanned<String>>,
    /// Where the networks of isolated profiles take their subnets (`isolation-pool=`).
    pub isolation_pool: Option<Spanned<String>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    pub path: String,
    pub required: bool,
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
    /// `isolation=`: `None` leaves it to the default (on in hardened profiles of a stack that
    /// uses `talks-to` anywhere).
    pub isolation: Option<bool>,
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
    /// Whom the service connects to (`talks-to`), keyed by service.
    pub talks_to: IndexMap<String, Setting<TalksTo>>,
    /// Whether (and where) the service reaches outside the stack (`egress`).
    pub egress: Option<Setting<Egress>>,
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
    /// Plain nodes, written to compose as they are, by node (and entry name for map-shaped ones).
    pub plain: IndexMap<PlainKey, Setting<PlainValue>>,
}
#[derive(Debug, Clone)]
pub struct When {
    pub selector: Spanned<String>,
    pub body: Box<ServiceBody>,
    pub span: Span,
}
