//! The compose keys the language writes, and how: every key of the Compose specification's
//! service, top-level, network, volume, secret, config and model definitions, with the stack form
//! that writes it, or why it is left to the `compose { ... }` escape hatch.
//!
//! Plain nodes (see [`Plain`](super::Plain)) name their compose key themselves; this table holds
//! every other key. A test walks the official Compose schema and fails on a key that is in
//! neither; the escape hatch refuses a key that has a typed form and names the form.

use serde::Serialize;

use super::{Context, NODES};

/// How the stack language writes one compose key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// The stack form that writes this key, e.g. `container-name` or `network … aliases=`.
    Typed(&'static str),
    /// A stack form that writes an equivalent key compose reads as the same setting (the form,
    /// then the key it writes).
    Equivalent(&'static str, &'static str),
    /// Left to the escape hatch, with the reason.
    Hatch(&'static str),
}

impl Form {
    /// The stack form to name in messages.
    pub fn stack_form(&self) -> Option<&'static str> {
        match self {
            Form::Typed(f) | Form::Equivalent(f, _) => Some(f),
            Form::Hatch(_) => None,
        }
    }
}

/// One compose key and its form.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct KeyForm {
    pub key: &'static str,
    pub form: Form,
}

const fn typed(key: &'static str, form: &'static str) -> KeyForm {
    KeyForm {
        key,
        form: Form::Typed(form),
    }
}

const fn same_as(key: &'static str, form: &'static str, writes: &'static str) -> KeyForm {
    KeyForm {
        key,
        form: Form::Equivalent(form, writes),
    }
}

const fn hatch(key: &'static str, why: &'static str) -> KeyForm {
    KeyForm {
        key,
        form: Form::Hatch(why),
    }
}

/// Service keys written by nodes with a lowering of their own (plain nodes are in [`NODES`]).
pub const SERVICE_KEYS: &[KeyForm] = &[
    typed("blkio_config", "blkio"),
    typed("build", "build"),
    typed("cap_add", "cap-add"),
    typed("cap_drop", "cap-drop"),
    typed("command", "command"),
    typed("configs", "config"),
    same_as("cpus", "resources cpus=", "deploy.resources.limits.cpus"),
    hatch(
        "credential_spec",
        "Windows group managed service accounts only; nothing to check on Linux hosts",
    ),
    typed("depends_on", "depends-on"),
    typed("deploy", "deploy"),
    typed("develop", "develop"),
    typed("devices", "device"),
    typed("entrypoint", "entrypoint"),
    typed("env_file", "env-file"),
    typed("environment", "env"),
    typed("expose", "expose"),
    hatch(
        "extends",
        "templates (`from=`) share settings inside the stack; a file-based extends would make the output depend on files pmovesc never reads",
    ),
    hatch(
        "external_links",
        "legacy links to containers outside the project; attach to an external network instead",
    ),
    typed("extra_hosts", "extra-host"),
    typed("gpus", "gpus"),
    typed("healthcheck", "healthcheck"),
    typed("hostname", "hostname"),
    typed("image", "image"),
    typed("init", "init"),
    typed("labels", "label"),
    hatch(
        "links",
        "legacy: services on a shared network reach each other by name, and `network … aliases=` adds names",
    ),
    typed("logging", "logging"),
    same_as(
        "mem_limit",
        "resources memory=",
        "deploy.resources.limits.memory",
    ),
    same_as(
        "mem_reservation",
        "reserve memory=",
        "deploy.resources.reservations.memory",
    ),
    typed("models", "model"),
    typed("network_mode", "network-mode"),
    typed("networks", "network"),
    typed("pid", "pid"),
    same_as("pids_limit", "pids-limit", "deploy.resources.limits.pids"),
    typed("ports", "port"),
    typed("post_start", "post-start"),
    typed("pre_start", "pre-start"),
    typed("pre_stop", "pre-stop"),
    typed("privileged", "privileged"),
    typed("profiles", "group"),
    typed("provider", "provider"),
    typed("read_only", "read-only"),
    typed("restart", "restart"),
    typed("secrets", "secret"),
    typed("security_opt", "security-opt"),
    typed("shm_size", "shm-size"),
    typed("stdin_open", "stdin-open"),
    typed("stop_grace_period", "stop-grace-period"),
    typed("stop_signal", "stop-signal"),
    typed("tmpfs", "tmpfs"),
    typed("ulimits", "ulimit"),
    typed("user", "user"),
    typed("volumes", "volume"),
    typed("volumes_from", "volumes-from"),
    typed("working_dir", "working-dir"),
];

/// Top-level keys of a compose file.
pub const TOP_KEYS: &[KeyForm] = &[
    typed("configs", "config"),
    typed("include", "include"),
    typed("models", "model"),
    typed("name", "project"),
    typed("networks", "network"),
    typed("secrets", "secret"),
    typed("services", "service"),
    hatch(
        "version",
        "obsolete: compose ignores it and warns; pmovesc never writes it",
    ),
    typed("volumes", "volume"),
];

/// Keys of a top-level network.
pub const NETWORK_KEYS: &[KeyForm] = &[
    typed("attachable", "network attachable="),
    typed("driver", "network driver="),
    typed("driver_opts", "network { driver-opt }"),
    typed("enable_ipv4", "network enable-ipv4="),
    typed("enable_ipv6", "network enable-ipv6="),
    typed("external", "network external="),
    typed("internal", "network internal="),
    typed("ipam", "network subnet= / network { subnet; ipam }"),
    typed("labels", "network { label }"),
    typed("name", "network name="),
];

/// Keys of a top-level volume.
pub const VOLUME_KEYS: &[KeyForm] = &[
    typed("driver", "volume driver="),
    typed("driver_opts", "volume { driver-opt }"),
    typed("external", "volume external="),
    typed("labels", "volume { label }"),
    typed("name", "volume name="),
];

/// Keys of a top-level secret.
pub const SECRET_KEYS: &[KeyForm] = &[
    typed("driver", "secret driver="),
    typed("driver_opts", "secret { driver-opt }"),
    typed("environment", "secret environment="),
    typed("external", "secret external="),
    typed("file", "secret file="),
    typed("labels", "secret { label }"),
    typed("name", "secret name="),
    typed("template_driver", "secret template-driver="),
];

/// Keys of a top-level config.
pub const CONFIG_KEYS: &[KeyForm] = &[
    typed("content", "config content="),
    typed("environment", "config environment="),
    typed("external", "config external="),
    typed("file", "config file="),
    typed("labels", "config { label }"),
    typed("name", "config name="),
    typed("template_driver", "config template-driver="),
];

/// Keys of a top-level model.
pub const MODEL_KEYS: &[KeyForm] = &[
    typed("context_size", "model context-size="),
    typed("model", "model"),
    typed("name", "model name="),
    typed("runtime_flags", "model { runtime-flag }"),
];

/// Every table, by the schema definition it covers (`service`, `network`, ... and `top`).
pub const TABLES: &[(&str, &[KeyForm])] = &[
    ("top", TOP_KEYS),
    ("service", SERVICE_KEYS),
    ("network", NETWORK_KEYS),
    ("volume", VOLUME_KEYS),
    ("secret", SECRET_KEYS),
    ("config", CONFIG_KEYS),
    ("model", MODEL_KEYS),
];

/// How a compose service key is written: by a plain node (named after the key), or by the
/// form in [`SERVICE_KEYS`].
pub fn service_key(key: &str) -> Option<Form> {
    if let Some(k) = SERVICE_KEYS.iter().find(|k| k.key == key) {
        return Some(k.form);
    }
    NODES
        .iter()
        .filter(|n| n.contexts.contains(&Context::Service))
        .find(|n| n.plain.is_some_and(|p| p.compose == key))
        .map(|n| Form::Typed(n.name))
}

/// How a key of a compose definition (`top`, `service`, `network`, ...) is written.
pub fn key_form(definition: &str, key: &str) -> Option<Form> {
    if definition == "service" {
        return service_key(key);
    }
    TABLES
        .iter()
        .find(|(d, _)| *d == definition)
        .and_then(|(_, t)| t.iter().find(|k| k.key == key))
        .map(|k| k.form)
}
