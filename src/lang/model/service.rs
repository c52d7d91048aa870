//! The values of service nodes: build, ports, mounts, tmpfs, secrets, dependencies,
//! healthchecks, resources, ulimits, GPUs.

use indexmap::IndexMap;

use super::Setting;
use crate::lang::source::Span;

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

/// A declared connection to another service of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct TalksTo {
    pub service: String,
    /// The ports it connects to, sorted; empty: any port.
    pub ports: Vec<u16>,
    /// `#false`: the connection is dropped, without a diagnostic, where the service is left out.
    pub required: bool,
}

/// `egress #true`, `egress #false` or `egress "host" ...` (the hosts are documentation: compose
/// cannot filter by name).
#[derive(Debug, Clone, PartialEq)]
pub struct Egress {
    pub enabled: bool,
    pub hosts: Vec<crate::lang::source::Spanned<String>>,
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
