//! Service bodies (services, templates and `when` blocks): every node a service may hold.

use std::collections::HashMap;

use kdl::KdlValue;

use super::Decoder;
use super::node::{Node, scalar_string};
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::source::Span;
use crate::lang::vocabulary::Context;

impl Decoder<'_> {
    pub(super) fn tmpfs(&mut self, c: Node<'_>, into: &mut indexmap::IndexMap<String, Tmpfs>) {
        let Some(target) = c.arg_string(0) else {
            return;
        };
        let t = Tmpfs {
            target: target.value.clone(),
            size: c.prop_string("size"),
            mode: c.prop_string("mode"),
            uid: c.prop_int("uid"),
            gid: c.prop_int("gid"),
            span: c.head(),
        };
        if let Some(prev) = into.get(&target.value) {
            self.duplicate_key("tmpfs", &target.value, c.head(), prev.span);
        }
        into.insert(target.value, t);
    }

    pub(super) fn duplicate_key(&mut self, node: &str, key: &str, span: Span, first: Span) {
        self.push(
            Diagnostic::error(
                Code::DuplicateDefinition,
                format!("`{node}` for `{key}` is given twice in one body"),
            )
            .label(span, "given again here")
            .label(first, "first given here")
            .help("keep one of them"),
        );
    }

    pub(super) fn service_body(&mut self, n: Node<'_>, owner: &str, in_when: bool) -> ServiceBody {
        let mut body = ServiceBody::default();
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Service, c) else {
                continue;
            };
            if in_when && matches!(c.name(), "when" | "only-in") {
                self.push(
                    Diagnostic::error(
                        Code::UnknownNode,
                        format!("`{}` cannot be used inside `when`", c.name()),
                    )
                    .label(c.name_span(), "not allowed here")
                    .help("write it on the service itself"),
                );
                continue;
            }
            self.once(&mut seen, spec, c, owner);
            self.service_node(c, &mut body);
        }
        body
    }

    pub(super) fn service_node(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let first = || c.arg_string(0);
        match c.name() {
            "description" => body.description = first().map(|s| c.setting(s.value)),
            "image" => body.image = first().map(|s| Setting::new(s.value, s.span)),
            "pin-var" => body.pin_var = first().map(|s| c.setting(s.value)),
            "build" => {
                let mut build = Build {
                    context: c.arg_string(0).map(|s| s.value),
                    dockerfile: c.prop_string("dockerfile"),
                    target: c.prop_string("target"),
                    args: Default::default(),
                };
                for a in c.children() {
                    if self.check(Context::Build, a).is_none() {
                        continue;
                    }
                    if a.name() == "arg"
                        && let (Some(k), Some(v)) = (a.arg_scalar(0), a.arg_scalar(1))
                    {
                        build.args.insert(k, v);
                    }
                }
                body.build = Some(c.setting(build));
            }
            "group" => body.groups = Some(c.setting(c.string_args())),
            "command" => body.command = Some(c.setting(c.scalar_args())),
            "entrypoint" => body.entrypoint = Some(c.setting(c.scalar_args())),
            "env" => {
                for kv in c.children() {
                    self.env_entry(kv, &mut body.env);
                }
            }
            "env-file" => body
                .env_files
                .get_or_insert_with(Vec::new)
                .extend(env_files(c)),
            "port" => {
                let Some(container) = c.arg_int().and_then(|p| u16::try_from(p).ok()) else {
                    return;
                };
                let host = c.prop("host").and_then(|(v, _)| scalar_string(v));
                let protocol = c.prop_string("protocol").unwrap_or_else(|| "tcp".into());
                let key = (container, protocol.clone());
                if let Some(prev) = body.ports.get(&key) {
                    self.duplicate_key(
                        "port",
                        &format!("{container}/{protocol}"),
                        c.head(),
                        prev.span,
                    );
                }
                body.ports.insert(
                    key,
                    c.setting(Port {
                        container,
                        host,
                        host_ip: c.prop_string("host-ip"),
                        protocol,
                    }),
                );
            }
            "expose" => {
                let ports: Vec<u16> = c
                    .args()
                    .iter()
                    .filter_map(|(v, _)| v.as_integer().and_then(|p| u16::try_from(p).ok()))
                    .collect();
                match &mut body.expose {
                    Some(e) => e.value.extend(ports),
                    None => body.expose = Some(c.setting(ports)),
                }
            }
            "network" => {
                for s in c.string_args() {
                    body.networks.insert(s.value, s.span);
                }
            }
            "volume" => {
                let (Some(source), Some(target)) = (c.arg_string(0), c.arg_string(1)) else {
                    return;
                };
                if let Some(prev) = body.volumes.get(&target.value) {
                    self.duplicate_key("volume", &target.value, c.head(), prev.span);
                }
                body.volumes.insert(
                    target.value.clone(),
                    c.setting(Mount {
                        source: source.value,
                        target: target.value,
                        read_only: c.prop_bool("read-only").unwrap_or(false),
                    }),
                );
            }
            "tmpfs" => self.tmpfs(c, &mut body.tmpfs),
            "secret" => {
                if let Some(name) = first() {
                    body.secrets.insert(
                        name.value.clone(),
                        Setting::new(
                            SecretUse {
                                name: name.value,
                                env: c.prop_string("env"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            "depends-on" => {
                if let Some(name) = first() {
                    let condition = match c.prop_string("condition").as_deref() {
                        Some("healthy") => Condition::Healthy,
                        Some("completed") => Condition::Completed,
                        _ => Condition::Started,
                    };
                    body.depends_on.insert(
                        name.value.clone(),
                        Setting::new(
                            Dependency {
                                service: name.value,
                                condition,
                                required: c.prop_bool("required").unwrap_or(true),
                                restart: c.prop_bool("restart"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            "healthcheck" => body.healthcheck = Some(c.setting(self.healthcheck(c))),
            "resources" => body.resources = Some(c.setting(resources(c))),
            "reserve" => body.reserve = Some(c.setting(resources(c))),
            "hardening" => body.hardening = first().map(|s| c.setting(s.value)),
            "cap-add" => {
                if let Some(cap) = first() {
                    body.cap_add.insert(cap.value.clone(), c.setting(cap.value));
                }
            }
            "cap-drop" => body.cap_drop = Some(c.setting(string_values(c))),
            "no-new-privileges" => body.no_new_privileges = c.arg_bool().map(|b| c.setting(b)),
            "user" => body.user = first().map(|s| c.setting(s.value)),
            "read-only" => body.read_only = c.arg_bool().map(|b| c.setting(b)),
            "restart" => body.restart = first().map(|s| c.setting(s.value)),
            "pids-limit" => body.pids_limit = c.arg_int().map(|i| c.setting(i)),
            "extra-host" => {
                if let (Some(h), Some(ip)) = (first(), c.arg_string(1)) {
                    body.extra_hosts.insert(h.value, c.setting(ip.value));
                }
            }
            "label" => {
                if let (Some(k), Some(v)) = (c.arg_scalar(0), c.arg_scalar(1)) {
                    body.labels.insert(k, c.setting(v));
                }
            }
            "ulimit" => self.ulimit(c, body),
            "shm-size" => body.shm_size = first().map(|s| c.setting(s.value)),
            "init" => body.init = c.arg_bool().map(|b| c.setting(b)),
            "stop-grace-period" => body.stop_grace_period = first().map(|s| c.setting(s.value)),
            "stop-signal" => body.stop_signal = first().map(|s| c.setting(s.value)),
            "working-dir" => body.working_dir = first().map(|s| c.setting(s.value)),
            "hostname" => body.hostname = first().map(|s| c.setting(s.value)),
            "privileged" => body.privileged = c.arg_bool().map(|b| c.setting(b)),
            "network-mode" => body.network_mode = first().map(|s| c.setting(s.value)),
            "pid" => body.pid = first().map(|s| c.setting(s.value)),
            "security-opt" => {
                if let Some(s) = first() {
                    body.security_opt
                        .insert(s.value.clone(), c.setting(s.value));
                }
            }
            "device" => {
                if let Some(s) = first() {
                    body.devices.insert(s.value.clone(), c.setting(s.value));
                }
            }
            "gpu" => body.gpu = Some(c.setting(gpu(c))),
            "only-in" => body.only_in = Some(c.setting(c.string_args())),
            "when" => {
                if let Some(selector) = first() {
                    let inner = self.service_body(c, "this `when` block", true);
                    body.whens.push(When {
                        selector,
                        body: Box::new(inner),
                        span: c.head(),
                    });
                }
            }
            "mcp" => {
                if let Some(name) = first() {
                    let mcp = self.mcp(c, name);
                    body.mcp = Some(c.setting(mcp));
                }
            }
            _ => {}
        }
    }

    pub(super) fn env_entry(
        &mut self,
        kv: Node<'_>,
        env: &mut indexmap::IndexMap<String, Setting<String>>,
    ) {
        let key = kv.name();
        let args = kv.args();
        let has_props = kv.node.entries().iter().any(|e| e.name().is_some());
        if args.len() != 1 || has_props || kv.node.children().is_some() {
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("environment variable `{key}` needs exactly one value"),
                )
                .label(kv.head(), "expected `KEY \"value\"`")
                .help(format!("write `{key} \"value\"`")),
            );
            return;
        }
        if key.is_empty() || key.contains('=') {
            self.push(
                Diagnostic::error(
                    Code::BadName,
                    format!("`{key}` is not an environment variable name"),
                )
                .label(kv.name_span(), "invalid name")
                .help("environment variable names cannot be empty or contain `=`"),
            );
            return;
        }
        let (value, span) = args[0];
        let Some(value) = scalar_string(value) else {
            self.push(
                Diagnostic::error(Code::WrongType, format!("`{key}` has no value (#null)"))
                    .label(span, "expected a string")
                    .help("write an empty string `\"\"` for an empty value"),
            );
            return;
        };
        if let Some(prev) = env.get(key) {
            self.push(
                Diagnostic::error(
                    Code::DuplicateEnvKey,
                    format!("environment variable `{key}` is set twice"),
                )
                .label(kv.head(), "set again here")
                .label(prev.span, "first set here")
                .help("keep one of them: compose would silently keep only the last"),
            );
        }
        env.insert(key.to_string(), Setting::new(value, kv.head()));
    }

    pub(super) fn ulimit(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let Some(name) = c.arg_string(0) else { return };
        let single = c
            .args()
            .get(1)
            .and_then(|(v, _)| v.as_integer())
            .map(|i| i as i64);
        let (soft, hard) = (c.prop_int("soft"), c.prop_int("hard"));
        let limit = match (single, soft, hard) {
            (Some(v), None, None) => Ulimit::Single(v),
            (None, Some(s), Some(h)) => Ulimit::Range { soft: s, hard: h },
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::MissingProperty,
                        format!(
                            "`ulimit \"{}\"` needs a single value or both `soft=` and `hard=`",
                            name.value
                        ),
                    )
                    .label(c.head(), "incomplete ulimit")
                    .help(format!(
                        "e.g. `ulimit \"{}\" soft=65536 hard=65536`",
                        name.value
                    )),
                );
                return;
            }
        };
        body.ulimits.insert(name.value, c.setting(limit));
    }
}

pub(super) fn env_files(c: Node<'_>) -> Vec<EnvFile> {
    let required = c.prop_bool("required").unwrap_or(true);
    c.string_args()
        .into_iter()
        .map(|s| EnvFile {
            path: s.value,
            required,
            span: s.span,
        })
        .collect()
}

pub(super) fn string_values(c: Node<'_>) -> Vec<String> {
    c.string_args().into_iter().map(|s| s.value).collect()
}

pub(super) fn resources(c: Node<'_>) -> Resources {
    Resources {
        cpus: c.prop_number("cpus"),
        memory: c.prop_string("memory"),
        pids: c.prop_int("pids"),
    }
}

pub(super) fn gpu(c: Node<'_>) -> Gpu {
    let list = |s: String| -> Vec<String> {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    Gpu {
        count: c.prop("count").and_then(|(v, _)| match v {
            KdlValue::Integer(i) => i64::try_from(*i).ok().map(GpuCount::Count),
            KdlValue::String(s) if s == "all" => Some(GpuCount::All),
            _ => None,
        }),
        device_ids: c.prop_string("device-ids").map(list),
        driver: c.prop_string("driver").unwrap_or_else(|| "nvidia".into()),
        capabilities: list(
            c.prop_string("capabilities")
                .unwrap_or_else(|| "gpu".into()),
        ),
    }
}
