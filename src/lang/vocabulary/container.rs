//! Plain service nodes: compose keys written as they are, one node each, named after the key
//! (`container-name` writes `container_name`). Their values are checked here like any other
//! node's; the ones that can weaken isolation need `reason=`.

use super::*;

const fn scalar(
    name: &'static str,
    compose: &'static str,
    args: ArgSpec,
    doc: &'static str,
) -> NodeSpec {
    plain(node(name, SVC, args, &[], doc), compose, Shape::Scalar)
}

const fn list(
    name: &'static str,
    compose: &'static str,
    what: &'static str,
    ty: ValueType,
    doc: &'static str,
) -> NodeSpec {
    plain(
        node(name, SVC, args(what, 1, None, ty), &[], doc),
        compose,
        Shape::List,
    )
}

const fn map(name: &'static str, compose: &'static str, doc: &'static str) -> NodeSpec {
    plain(
        node(
            name,
            SVC,
            args("name and value", 2, Some(2), T::Scalar),
            &[],
            doc,
        ),
        compose,
        Shape::Map,
    )
}

/// A plain node that is an exception to hardening: it takes `reason=`.
const fn risky(n: NodeSpec, when: Exception) -> NodeSpec {
    let mut n = exception(n, when);
    n.props = &[REASON];
    n
}

const fn one(what: &'static str, ty: ValueType) -> ArgSpec {
    args(what, 1, Some(1), ty)
}

const fn number(what: &'static str) -> ArgSpec {
    with_variables(one(what, T::Integer))
}

const fn flag() -> ArgSpec {
    with_variables(one("enabled", T::Bool))
}

pub(super) const NODES: &[NodeSpec] = &[
    // ---- identity and image ------------------------------------------------------------------
    scalar(
        "container-name",
        "container_name",
        one("name", T::Name),
        "A fixed container name: one container per service, and it collides across projects.",
    ),
    scalar(
        "pull-policy",
        "pull_policy",
        one("policy", T::PullPolicy),
        "When to pull the image: always, never, missing, build, if_not_present, refresh, daily, weekly, every_<duration>.",
    ),
    scalar(
        "pull-refresh-after",
        "pull_refresh_after",
        one("duration", T::Duration),
        "With pull-policy \"refresh\": how old the image may get.",
    ),
    scalar(
        "platform",
        "platform",
        one("platform", T::String),
        "The platform to run, e.g. \"linux/arm64\".",
    ),
    scalar(
        "runtime",
        "runtime",
        one("runtime", T::String),
        "The OCI runtime, e.g. \"runc\" or \"runsc\".",
    ),
    scalar(
        "isolation",
        "isolation",
        one("technology", T::String),
        "The container isolation technology (platform-specific).",
    ),
    scalar(
        "domainname",
        "domainname",
        one("domain", T::String),
        "The container's domain name.",
    ),
    scalar(
        "mac-address",
        "mac_address",
        one("address", T::String),
        "The container's MAC address (a network's mac-address= sets it per network).",
    ),
    scalar(
        "scale",
        "scale",
        in_range(number("replicas"), 0, i64::MAX),
        "How many containers to run.",
    ),
    // ---- terminal ------------------------------------------------------------------------
    scalar("tty", "tty", flag(), "Allocate a pseudo-TTY."),
    scalar(
        "attach",
        "attach",
        flag(),
        "#false: `docker compose up` does not follow the service's logs.",
    ),
    // ---- CPU and memory ----------------------------------------------------------------------
    scalar(
        "cpuset",
        "cpuset",
        one("CPUs", T::String),
        "The CPUs the container may run on, e.g. \"0-3\" or \"0,1\".",
    ),
    scalar(
        "cpu-shares",
        "cpu_shares",
        in_range(number("weight"), 0, i64::MAX),
        "Relative CPU weight.",
    ),
    scalar(
        "cpu-period",
        "cpu_period",
        in_range(number("microseconds"), 0, i64::MAX),
        "CFS scheduler period in microseconds.",
    ),
    scalar(
        "cpu-quota",
        "cpu_quota",
        in_range(number("microseconds"), -1, i64::MAX),
        "CFS scheduler quota in microseconds per period (-1: none).",
    ),
    scalar(
        "cpu-rt-period",
        "cpu_rt_period",
        in_range(number("microseconds"), 0, i64::MAX),
        "Real-time scheduler period in microseconds.",
    ),
    scalar(
        "cpu-rt-runtime",
        "cpu_rt_runtime",
        in_range(number("microseconds"), -1, i64::MAX),
        "Real-time scheduler runtime in microseconds.",
    ),
    scalar(
        "cpu-count",
        "cpu_count",
        in_range(number("CPUs"), 0, i64::MAX),
        "Number of usable CPUs (Windows).",
    ),
    scalar(
        "cpu-percent",
        "cpu_percent",
        in_range(number("percent"), 0, 100),
        "Usable percentage of the CPUs (Windows).",
    ),
    scalar(
        "mem-swappiness",
        "mem_swappiness",
        in_range(number("percent"), 0, 100),
        "How eagerly the kernel swaps the container's memory, 0 to 100.",
    ),
    scalar(
        "memswap-limit",
        "memswap_limit",
        with_variables(one("size", T::SizeOrUnlimited)),
        "Memory plus swap the container may use; -1 for unlimited swap.",
    ),
    scalar(
        "oom-kill-disable",
        "oom_kill_disable",
        flag(),
        "#true: the kernel's OOM killer spares the container.",
    ),
    scalar(
        "oom-score-adj",
        "oom_score_adj",
        in_range(number("adjustment"), -1000, 1000),
        "OOM score adjustment, -1000 to 1000.",
    ),
    // ---- name resolution and groups --------------------------------------------------------
    list("dns", "dns", "servers", T::String, "DNS servers."),
    list(
        "dns-opt",
        "dns_opt",
        "options",
        T::String,
        "Resolver options, e.g. \"ndots:2\".",
    ),
    list(
        "dns-search",
        "dns_search",
        "domains",
        T::String,
        "DNS search domains.",
    ),
    list(
        "group-add",
        "group_add",
        "groups",
        T::Scalar,
        "Supplementary groups (names or numeric ids) of the container's user.",
    ),
    list(
        "label-file",
        "label_file",
        "paths",
        T::String,
        "Files of `name=value` labels.",
    ),
    map(
        "annotation",
        "annotations",
        "An OCI annotation; merged by name.",
    ),
    map(
        "storage-opt",
        "storage_opt",
        "A storage driver option; merged by name.",
    ),
    // ---- namespaces and kernel settings (exceptions) ---------------------------------------
    risky(
        map(
            "sysctl",
            "sysctls",
            "A kernel parameter set in the container; merged by name.",
        ),
        Exception::Always,
    ),
    risky(
        list(
            "device-cgroup-rule",
            "device_cgroup_rules",
            "rules",
            T::String,
            "Rules added to the container's device cgroup, e.g. \"c 1:3 mr\".",
        ),
        Exception::Always,
    ),
    risky(
        scalar(
            "cgroup",
            "cgroup",
            ArgSpec {
                values: &["host", "private"],
                ..one("namespace", T::String)
            },
            "The cgroup namespace; \"host\" is an exception that needs reason=.",
        ),
        Exception::Values(&["host"]),
    ),
    risky(
        scalar(
            "cgroup-parent",
            "cgroup_parent",
            one("cgroup", T::String),
            "The parent cgroup: an exception that needs reason=.",
        ),
        Exception::Always,
    ),
    risky(
        scalar(
            "ipc",
            "ipc",
            one("mode", T::IpcMode),
            "The IPC namespace; \"host\" is an exception that needs reason=.",
        ),
        Exception::Values(&["host"]),
    ),
    risky(
        scalar(
            "uts",
            "uts",
            ArgSpec {
                values: &["host"],
                ..one("mode", T::String)
            },
            "Share the host's UTS namespace: an exception that needs reason=.",
        ),
        Exception::Always,
    ),
    risky(
        scalar(
            "userns-mode",
            "userns_mode",
            ArgSpec {
                values: &["host"],
                ..one("mode", T::String)
            },
            "Leave user-namespace remapping (\"host\"): an exception that needs reason=.",
        ),
        Exception::Always,
    ),
    risky(
        scalar(
            "use-api-socket",
            "use_api_socket",
            one("enabled", T::Bool),
            "Mount the Docker API socket and credentials: an exception that needs reason=.",
        ),
        Exception::Values(&["true"]),
    ),
];
