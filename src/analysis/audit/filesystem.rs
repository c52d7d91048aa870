//! Filesystem rules: read-only root (PMA007), the container runtime socket (PMA019), sensitive
//! host paths (PMA020), named volumes shared between services (PMA022), host devices (PMA027).

use crate::diag::Severity;
use crate::lang::model::Mount;

use super::Finding;
use super::rules;
use super::subject::Subject;

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    read_only(s, out);
    mounts(s, out);
    for d in s.body.devices.values() {
        // A device without a reason is already an error (PMV310).
        out.push(
            s.finding(
                rules::DEVICES,
                d.span,
                format!("maps host device `{}`", d.value),
            )
            .reason(d.reason.as_ref())
            .lint(&["CL-0016"]),
        );
    }
}

fn read_only(s: &Subject, out: &mut Vec<Finding>) {
    let ro = s.pick(&s.body.read_only, |c| &c.read_only);
    if ro.is_some_and(|r| r.value) {
        return;
    }
    let mut f = s
        .finding(
            rules::READ_ONLY,
            ro.map_or(s.missing_at(), |r| r.span),
            "has a writable root filesystem",
        )
        .reason(ro.and_then(|r| r.reason.as_ref()))
        .lint(&["CL-0007"]);
    // A service that loosens its class's read-only without a reason is a class-rule error.
    if !(s
        .class
        .and_then(|c| c.read_only.as_ref())
        .is_some_and(|r| r.value)
        && s.body.read_only.is_some())
    {
        f = f.build(Severity::Warning);
    }
    out.push(f);
}

/// Host paths whose bind mount exposes the container runtime's control sockets.
const SOCKET_PATHS: &[&str] = &[
    "/",
    "/run",
    "/var/run",
    "/var/run/docker.sock",
    "/run/docker.sock",
];
/// Host paths that expose the host's configuration, kernel interfaces or other containers.
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

/// What a bind mount exposes: the runtime socket (PMA019, CL-0001), a sensitive host path
/// (PMA020, CL-0013), and the whole host root writable (CL-0025).
pub(crate) fn exposure(m: &Mount) -> (bool, bool, bool) {
    let source = m.source.trim_end_matches('/');
    let source = if source.is_empty() { "/" } else { source };
    if !m.is_bind() || !source.starts_with('/') {
        return (false, false, false);
    }
    let socket = SOCKET_PATHS.contains(&source) || source.ends_with(".sock");
    let sensitive = source == "/" || SENSITIVE_PREFIXES.iter().any(|p| under(source, p));
    (socket, sensitive, source == "/" && !m.read_only)
}

fn mounts(s: &Subject, out: &mut Vec<Finding>) {
    for m in s.body.volumes.values() {
        let (socket, sensitive, writable_root) = exposure(&m.value);
        let what = format!("`{}:{}`", m.value.source, m.value.target);
        if socket {
            out.push(
                s.finding(
                    rules::DOCKER_SOCKET,
                    m.span,
                    format!("mounts the container runtime's socket ({what})"),
                )
                .reason(m.reason.as_ref())
                .lint(&["CL-0001"])
                .build(Severity::Error),
            );
        }
        if sensitive {
            let lint: &[&'static str] = if writable_root {
                &["CL-0013", "CL-0025"]
            } else {
                &["CL-0013"]
            };
            let how = if writable_root {
                " writable"
            } else if m.value.read_only {
                " read-only"
            } else {
                ""
            };
            out.push(
                s.finding(
                    rules::SENSITIVE_MOUNT,
                    m.span,
                    format!("mounts a sensitive host path{how} ({what})"),
                )
                .reason(m.reason.as_ref())
                .lint(lint)
                .build(Severity::Error),
            );
        }
        if !m.value.is_bind()
            && let Some(users) = s.volume_users.get(m.value.source.as_str())
            && users.len() > 1
        {
            let others: Vec<String> = users
                .iter()
                .filter(|u| **u != s.name)
                .map(|u| format!("`{u}`"))
                .collect();
            out.push(
                s.finding(
                    rules::SHARED_VOLUME,
                    m.span,
                    format!(
                        "shares volume `{}` with {}{}",
                        m.value.source,
                        others.join(", "),
                        if m.value.read_only {
                            " (read-only here)"
                        } else {
                            ""
                        }
                    ),
                )
                .reason(m.reason.as_ref()),
            );
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
    fn mounts_expose_what_compose_lint_says() {
        assert_eq!(exposure(&bind("/var/run", true)), (true, false, false));
        assert_eq!(
            exposure(&bind("/var/run/docker.sock", true)),
            (true, false, false)
        );
        assert_eq!(exposure(&bind("/sys", true)), (false, true, false));
        assert_eq!(exposure(&bind("/", true)), (true, true, false));
        assert_eq!(exposure(&bind("/", false)), (true, true, true));
        assert_eq!(
            exposure(&bind("/var/lib/docker/containers", true)),
            (false, true, false)
        );
        assert_eq!(exposure(&bind("/srv/data", false)), (false, false, false));
        assert_eq!(exposure(&bind("./config", false)), (false, false, false));
        assert_eq!(
            exposure(&bind("/system-not-sys", true)),
            (false, false, false)
        );
        assert_eq!(exposure(&bind("data", true)), (false, false, false));
    }
}
