//! The audit trail of a stack's exceptions, for outside scanners.
//!
//! Every exception a stack makes to hardening carries a `reason=`. compose-lint (PyPI) reads
//! reasoned suppressions from `.compose-lint.yml` beside the compose file it checks, so pmovesc
//! writes that file from the stack: each finding compose-lint would raise *because of* a
//! reasoned exception is suppressed with that reason, and nothing else is. A finding the stack
//! does not explain stays visible.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::lang::model::{Mount, ServiceBody};
use crate::lang::values::check_numeric_non_root_user;

pub const COMPOSE_LINT_FILE: &str = ".compose-lint.yml";

/// `.compose-lint.yml`: `rules: {CL-xxxx: {exclude_services: {service: reason}}}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComposeLintConfig {
    pub rules: BTreeMap<&'static str, RuleConfig>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleConfig {
    pub exclude_services: BTreeMap<String, String>,
}

/// Host paths whose bind mount exposes the container runtime's control sockets.
const SOCKET_PATHS: &[&str] = &[
    "/",
    "/run",
    "/var/run",
    "/var/run/docker.sock",
    "/run/docker.sock",
];
/// Host paths compose-lint treats as sensitive.
const SENSITIVE_PREFIXES: &[&str] = &[
    "/etc",
    "/boot",
    "/dev",
    "/lib",
    "/proc",
    "/sys",
    "/usr",
    "/root",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/kubelet",
    "/var/log",
];

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The compose-lint rules a bind mount of an exempt service trips.
fn mount_rules(m: &Mount) -> Vec<&'static str> {
    let source = m.source.trim_end_matches('/');
    let source = if source.is_empty() { "/" } else { source };
    let mut rules = Vec::new();
    if !m.is_bind() || !source.starts_with('/') {
        return rules;
    }
    if SOCKET_PATHS.contains(&source) || source.ends_with(".sock") {
        rules.push("CL-0001");
    }
    if source == "/" || SENSITIVE_PREFIXES.iter().any(|p| under(source, p)) {
        rules.push("CL-0013");
    }
    if source == "/" && !m.read_only {
        rules.push("CL-0025");
    }
    rules
}

/// Suppressions for every reasoned exception of every service, in any profile's shape.
pub fn compose_lint_config(stack: &Resolved) -> ComposeLintConfig {
    let mut config = ComposeLintConfig::default();
    let mut add = |rule: &'static str, service: &str, reason: &str| {
        config
            .rules
            .entry(rule)
            .or_default()
            .exclude_services
            .entry(service.to_string())
            .or_insert_with(|| reason.to_string());
    };
    for (name, service) in &stack.services {
        let bodies = std::iter::once(&service.body)
            .chain(service.body.whens.iter().map(|w| w.body.as_ref()));
        for body in bodies {
            exceptions(name, body, &mut add);
        }
    }
    config
}

fn exceptions(name: &str, body: &ServiceBody, add: &mut impl FnMut(&'static str, &str, &str)) {
    let reason_of =
        |r: &Option<crate::lang::source::Spanned<String>>| r.as_ref().map(|r| r.value.clone());
    if let Some(p) = &body.privileged
        && p.value
        && let Some(r) = reason_of(&p.reason)
    {
        add("CL-0002", name, &r);
    }
    if let Some(m) = &body.network_mode
        && m.value == "host"
        && let Some(r) = reason_of(&m.reason)
    {
        add("CL-0008", name, &r);
    }
    if let Some(m) = &body.pid
        && m.value == "host"
        && let Some(r) = reason_of(&m.reason)
    {
        add("CL-0010", name, &r);
    }
    for d in body.devices.values() {
        if let Some(r) = reason_of(&d.reason) {
            add("CL-0016", name, &r);
        }
    }
    if let Some(u) = &body.user
        && check_numeric_non_root_user(&u.value).is_err()
        && let Some(r) = reason_of(&u.reason)
    {
        add("CL-0018", name, &r);
    }
    if let Some(ro) = &body.read_only
        && !ro.value
        && let Some(r) = reason_of(&ro.reason)
    {
        add("CL-0007", name, &r);
    }
    // An exempt service's reason explains the host access its mounts give it.
    if let Some(h) = &body.hardening
        && h.value == EXEMPT
        && let Some(r) = reason_of(&h.reason)
    {
        for m in body.volumes.values() {
            for rule in mount_rules(&m.value) {
                add(rule, name, &r);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bind(source: &str, read_only: bool) -> Mount {
        Mount {
            source: source.into(),
            target: "/x".into(),
            read_only,
        }
    }

    #[test]
    fn mounts_map_to_rules() {
        assert_eq!(mount_rules(&bind("/var/run", true)), ["CL-0001"]);
        assert_eq!(
            mount_rules(&bind("/var/run/docker.sock", true)),
            ["CL-0001"]
        );
        assert_eq!(mount_rules(&bind("/sys", true)), ["CL-0013"]);
        assert_eq!(mount_rules(&bind("/", true)), ["CL-0001", "CL-0013"]);
        assert_eq!(
            mount_rules(&bind("/", false)),
            ["CL-0001", "CL-0013", "CL-0025"]
        );
        assert_eq!(
            mount_rules(&bind("/var/lib/docker/containers", true)),
            ["CL-0013"]
        );
        assert!(mount_rules(&bind("/srv/data", false)).is_empty());
        assert!(mount_rules(&bind("./config", false)).is_empty());
        assert!(mount_rules(&bind("/system-not-sys", true)).is_empty());
    }
}
