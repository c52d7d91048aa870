//! Lowering: one compose model per profile.
//!
//! The structs below are the compose file's shape; their field order is the key order of the
//! output (documented in docs/output.md). Maps are `BTreeMap`s, so every map is sorted by key.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::lang::model::*;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeFile {
    pub name: String,
    pub services: BTreeMap<String, ComposeService>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, ComposeNetwork>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, ComposeVolume>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, ComposeSecret>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeService {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<ComposeBuild>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Command>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin_open: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub depends_on: BTreeMap<String, ComposeDependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<ComposeEnvFile>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub extra_hosts: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ulimits: BTreeMap<String, ComposeUlimit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<ComposeHealthcheck>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<ComposeDeploy>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `command`/`entrypoint`: several words give the exec form, one the string form.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeBuild {
    pub context: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerfile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeDependency {
    pub condition: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeEnvFile {
    pub path: String,
    pub required: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum ComposeUlimit {
    Single(i64),
    Range { soft: i64, hard: i64 },
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeHealthcheck {
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeDeploy {
    pub resources: ComposeResources,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeResources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<ComposeLimits>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<ComposeReservations>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeLimits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pids: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeReservations {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpus: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<ComposeDevice>,
}

/// A device request: always `count` or `device_ids`, never both (compose takes every GPU when
/// both are absent).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeDevice {
    pub driver: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<DeviceCount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ids: Option<Vec<String>>,
    pub capabilities: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum DeviceCount {
    All(String),
    Count(i64),
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeNetwork {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachable: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipam: Option<ComposeIpam>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeIpam {
    pub config: Vec<ComposeIpamConfig>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComposeIpamConfig {
    pub subnet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeVolume {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComposeSecret {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external: Option<bool>,
}

/// The label that records an `http-get` healthcheck's endpoint for outside probes.
pub const PROBE_LABEL: &str = "io.pmovesc.healthcheck.url";

/// Lowers the resolved stack for one profile. Assumes validation passed.
pub fn lower(stack: &Resolved, profile: &Profile) -> ComposeFile {
    let mut file = ComposeFile {
        name: stack.project_name.clone(),
        services: BTreeMap::new(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        secrets: BTreeMap::new(),
    };
    let shapes: BTreeMap<&str, std::borrow::Cow<ServiceBody>> = stack
        .services
        .iter()
        .filter_map(|(n, s)| stack.shape(s, profile).map(|b| (n.as_str(), b)))
        .collect();
    for (name, body) in &shapes {
        let service = lower_service(stack, profile, name, body, &shapes);
        for net in &service.networks {
            if let Some(n) = stack.networks.get(net) {
                file.networks.insert(net.clone(), lower_network(n));
            }
        }
        for mount in body.volumes.values() {
            if let Some(v) = stack.volumes.get(&mount.value.source) {
                file.volumes.insert(
                    v.key.value.clone(),
                    ComposeVolume {
                        name: v.name.clone(),
                        driver: v.driver.clone(),
                        external: v.external.then_some(true),
                    },
                );
            }
        }
        for secret in &service.secrets {
            if let Some(s) = stack.secrets.get(secret) {
                file.secrets.insert(
                    secret.clone(),
                    ComposeSecret {
                        file: s.file.clone(),
                        environment: s.environment.clone(),
                        external: s.external.then_some(true),
                    },
                );
            }
        }
        file.services.insert(name.to_string(), service);
    }
    file
}

fn lower_network(n: &Network) -> ComposeNetwork {
    if n.external {
        return ComposeNetwork {
            name: n.name.clone(),
            external: Some(true),
            ..Default::default()
        };
    }
    ComposeNetwork {
        name: n.name.clone(),
        driver: n.driver.clone(),
        external: None,
        internal: n.internal.then_some(true),
        attachable: n.attachable.then_some(true),
        ipam: n.subnet.as_ref().map(|subnet| ComposeIpam {
            config: vec![ComposeIpamConfig {
                subnet: subnet.clone(),
                gateway: n.gateway.clone(),
            }],
        }),
    }
}

fn command(words: &Setting<Vec<String>>) -> Command {
    match words.value.as_slice() {
        [one] => Command::Shell(one.clone()),
        many => Command::Exec(many.to_vec()),
    }
}

fn lower_service(
    stack: &Resolved,
    profile: &Profile,
    name: &str,
    body: &ServiceBody,
    present: &BTreeMap<&str, std::borrow::Cow<ServiceBody>>,
) -> ComposeService {
    let mut s = ComposeService::default();

    // Image and build.
    let build_here = profile.source == Source::Build && body.build.is_some();
    if build_here {
        let b = &body.build.as_ref().expect("checked").value;
        s.image = Some(format!(
            "{}/{}:{}",
            stack.project_name, name, profile.name.value
        ));
        s.build = Some(ComposeBuild {
            context: b.context.clone().unwrap_or_else(|| ".".into()),
            dockerfile: b.dockerfile.clone(),
            target: b.target.clone(),
            args: b.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    } else if let Some(image) = &body.image {
        s.image = Some(format!(
            "${{{}:-{}}}",
            stack.pin_var(name, body),
            image.value
        ));
    }

    s.command = body.command.as_ref().map(command);
    s.entrypoint = body.entrypoint.as_ref().map(command);
    s.working_dir = body.working_dir.as_ref().map(|v| v.value.clone());
    s.hostname = body.hostname.as_ref().map(|v| v.value.clone());
    s.init = body.init.as_ref().map(|v| v.value);
    // A stdio MCP server reads its requests on stdin and exits at end of input: compose keeps
    // stdin open so the container stays up for `docker compose attach` and `run -i`.
    let stdio_mcp = body
        .mcp
        .as_ref()
        .is_some_and(|m| m.value.transport_kind() == "stdio");
    if stdio_mcp {
        s.stdin_open = Some(true);
    }
    s.stop_signal = body.stop_signal.as_ref().map(|v| v.value.clone());
    s.stop_grace_period = body.stop_grace_period.as_ref().map(|v| v.value.clone());
    if let Some(groups) = &body.groups {
        let mut g: Vec<String> = groups.value.iter().map(|g| g.value.clone()).collect();
        g.sort();
        g.dedup();
        s.profiles = g;
    }

    for dep in body.depends_on.values() {
        let d = &dep.value;
        if !present.contains_key(d.service.as_str()) {
            continue; // an optional dependency the profile leaves out
        }
        s.depends_on.insert(
            d.service.clone(),
            ComposeDependency {
                condition: match d.condition {
                    Condition::Started => "service_started",
                    Condition::Healthy => "service_healthy",
                    Condition::Completed => "service_completed_successfully",
                },
                required: (!d.required).then_some(false),
                restart: d.restart,
            },
        );
    }

    let env_files = body.env_files.as_ref().unwrap_or(&stack.env_files);
    s.env_file = env_files
        .iter()
        .map(|e| ComposeEnvFile {
            path: e.path.clone(),
            required: e.required,
        })
        .collect();
    s.environment = body
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let mut secrets: Vec<String> = Vec::new();
    for secret in body.secrets.values() {
        secrets.push(secret.value.name.clone());
        if let Some(var) = &secret.value.env {
            s.environment
                .insert(var.clone(), format!("/run/secrets/{}", secret.value.name));
        }
    }
    secrets.sort();
    s.secrets = secrets;

    let mut ports: Vec<(u16, String, String)> = body
        .ports
        .values()
        .map(|p| {
            let p = &p.value;
            let host = p.host.clone().unwrap_or_else(|| p.container.to_string());
            let mut text = match &p.host_ip {
                Some(ip) if ip.contains(':') => format!("[{ip}]:{host}:{}", p.container),
                Some(ip) => format!("{ip}:{host}:{}", p.container),
                None => format!("{host}:{}", p.container),
            };
            if p.protocol != "tcp" {
                text.push('/');
                text.push_str(&p.protocol);
            }
            (p.container, p.protocol.clone(), text)
        })
        .collect();
    ports.sort();
    s.ports = ports.into_iter().map(|(_, _, t)| t).collect();
    if let Some(expose) = &body.expose {
        let mut e = expose.value.clone();
        e.sort();
        e.dedup();
        s.expose = e.iter().map(u16::to_string).collect();
    }
    if let Some(mode) = &body.network_mode {
        s.network_mode = Some(mode.value.clone());
    } else {
        let mut nets: Vec<String> = body.networks.keys().cloned().collect();
        nets.sort();
        s.networks = nets;
    }
    s.extra_hosts = body
        .extra_hosts
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let mut volumes: Vec<(String, String)> = body
        .volumes
        .values()
        .map(|m| {
            let m = &m.value;
            let mut text = format!("{}:{}", m.source, m.target);
            if m.read_only {
                text.push_str(":ro");
            }
            (m.target.clone(), text)
        })
        .collect();
    volumes.sort();
    s.volumes = volumes.into_iter().map(|(_, t)| t).collect();

    // Hardening: the class applies only in hardened profiles; the service's own settings always.
    let class = if profile.hardened {
        stack
            .class_of(body)
            .filter(|c| c.value != EXEMPT)
            .and_then(|c| stack.classes.get(&c.value))
            .map(|c| &c.body)
    } else {
        None
    };
    let pick =
        |own: Option<&Setting<bool>>, cls: Option<&Setting<bool>>| own.or(cls).map(|s| s.value);
    s.user = body
        .user
        .as_ref()
        .or(class.and_then(|c| c.user.as_ref()))
        .map(|u| u.value.clone());
    s.restart = body
        .restart
        .as_ref()
        .or(class.and_then(|c| c.restart.as_ref()))
        .map(|u| u.value.clone());
    s.read_only = pick(
        body.read_only.as_ref(),
        class.and_then(|c| c.read_only.as_ref()),
    );
    if s.read_only == Some(false) && class.is_none() {
        s.read_only = None;
    }
    let mut tmpfs: BTreeMap<String, &Tmpfs> = BTreeMap::new();
    if let Some(c) = class {
        for (k, t) in &c.tmpfs {
            tmpfs.insert(k.clone(), t);
        }
    }
    for (k, t) in &body.tmpfs {
        tmpfs.insert(k.clone(), t);
    }
    s.tmpfs = tmpfs.values().map(|t| tmpfs_entry(t)).collect();
    s.cap_drop = body
        .cap_drop
        .as_ref()
        .or(class.and_then(|c| c.cap_drop.as_ref()))
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let mut caps: Vec<String> = body.cap_add.keys().cloned().collect();
    caps.sort();
    s.cap_add = caps;
    let mut sec: Vec<String> = Vec::new();
    if pick(
        body.no_new_privileges.as_ref(),
        class.and_then(|c| c.no_new_privileges.as_ref()),
    ) == Some(true)
    {
        sec.push("no-new-privileges:true".into());
    }
    if let Some(c) = class {
        sec.extend(c.security_opt.keys().cloned());
    }
    sec.extend(body.security_opt.keys().cloned());
    sec.sort();
    sec.dedup();
    s.security_opt = sec;
    s.privileged = body.privileged.as_ref().filter(|p| p.value).map(|_| true);
    s.pid = body.pid.as_ref().map(|p| p.value.clone());
    let mut devices: Vec<String> = body.devices.keys().cloned().collect();
    devices.sort();
    s.devices = devices;
    s.shm_size = body
        .shm_size
        .as_ref()
        .or(class.and_then(|c| c.shm_size.as_ref()))
        .map(|v| v.value.clone());
    s.ulimits = body
        .ulimits
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                match v.value {
                    Ulimit::Single(n) => ComposeUlimit::Single(n),
                    Ulimit::Range { soft, hard } => ComposeUlimit::Range { soft, hard },
                },
            )
        })
        .collect();

    // Healthcheck.
    if let Some(hc) = &body.healthcheck {
        let h = &hc.value;
        let test = match &h.probe {
            Some(Probe::HttpGet {
                port,
                path,
                tool,
                host,
            }) => {
                let path = if path.starts_with('/') {
                    path.clone()
                } else {
                    format!("/{path}")
                };
                let url = format!("http://{host}:{port}{path}");
                // Other services (and tools on the stack's networks) reach it by name; a service on
                // the host's network is reached on the host.
                let probe_host = match body.network_mode.as_ref().map(|m| m.value.as_str()) {
                    Some("host") => "127.0.0.1",
                    _ => name,
                };
                s.labels.insert(
                    PROBE_LABEL.into(),
                    format!("http://{probe_host}:{port}{path}"),
                );
                http_probe(tool, &url)
            }
            Some(Probe::Cmd(words)) => std::iter::once("CMD".to_string())
                .chain(words.iter().cloned())
                .collect(),
            Some(Probe::Shell(cmd)) => vec!["CMD-SHELL".into(), cmd.clone()],
            None => vec!["NONE".into()],
        };
        s.healthcheck = Some(ComposeHealthcheck {
            test,
            interval: h.interval.clone(),
            timeout: h.timeout.clone(),
            retries: h.retries,
            start_period: h.start_period.clone(),
            start_interval: h.start_interval.clone(),
        });
    }

    // deploy.resources: service settings over class defaults; pids always in limits.pids.
    let own = Resources::of(&body.resources);
    let cls = class.map_or_else(Resources::default, |c| Resources::of(&c.resources));
    let pids = own
        .pids
        .or(body.pids_limit.as_ref().map(|p| p.value))
        .or(cls.pids)
        .or(class.and_then(|c| c.pids_limit.as_ref()).map(|p| p.value));
    let limits = ComposeLimits {
        cpus: own.cpus.or(cls.cpus),
        memory: own.memory.or(cls.memory),
        pids,
    };
    let own_r = Resources::of(&body.reserve);
    let cls_r = class.map_or_else(Resources::default, |c| Resources::of(&c.reserve));
    let mut reservations = ComposeReservations {
        cpus: own_r.cpus.or(cls_r.cpus),
        memory: own_r.memory.or(cls_r.memory),
        devices: Vec::new(),
    };
    if profile.gpu
        && let Some(gpu) = &body.gpu
    {
        let g = &gpu.value;
        reservations.devices.push(ComposeDevice {
            driver: g.driver.clone(),
            count: if g.device_ids.is_some() {
                None
            } else {
                g.count.as_ref().map(|c| match c {
                    GpuCount::All => DeviceCount::All("all".into()),
                    GpuCount::Count(n) => DeviceCount::Count(*n),
                })
            },
            device_ids: g.device_ids.clone(),
            capabilities: g.capabilities.clone(),
        });
    }
    let has_limits = limits != ComposeLimits::default();
    let has_reservations = reservations != ComposeReservations::default();
    if has_limits || has_reservations {
        s.deploy = Some(ComposeDeploy {
            resources: ComposeResources {
                limits: has_limits.then_some(limits),
                reservations: has_reservations.then_some(reservations),
            },
        });
    }
    for (k, v) in &body.labels {
        s.labels.insert(k.clone(), v.value.clone());
    }
    s
}

fn tmpfs_entry(t: &Tmpfs) -> String {
    let mut opts = Vec::new();
    if let Some(size) = &t.size {
        opts.push(format!("size={size}"));
    }
    if let Some(mode) = &t.mode {
        opts.push(format!("mode={mode}"));
    }
    if let Some(uid) = t.uid {
        opts.push(format!("uid={uid}"));
    }
    if let Some(gid) = t.gid {
        opts.push(format!("gid={gid}"));
    }
    if opts.is_empty() {
        t.target.clone()
    } else {
        format!("{}:{}", t.target, opts.join(","))
    }
}

/// The healthcheck command of an `http-get` probe, per tool.
pub fn http_probe(tool: &str, url: &str) -> Vec<String> {
    match tool {
        "wget" => vec![
            "CMD".into(),
            "wget".into(),
            "-q".into(),
            "--spider".into(),
            url.into(),
        ],
        "python" => vec![
            "CMD".into(),
            "python3".into(),
            "-c".into(),
            format!("import urllib.request; urllib.request.urlopen('{url}', timeout=5)"),
        ],
        _ => vec![
            "CMD".into(),
            "curl".into(),
            "-fsS".into(),
            "-o".into(),
            "/dev/null".into(),
            url.into(),
        ],
    }
}
