//! Nodes of hardening classes, most of which a service may also write.

use super::*;

pub(super) const NODES: &[NodeSpec] = &[
    // ---- hardening classes and services -----------------------------------------------------
    node(
        "no-new-privileges",
        SVC_HARD,
        args("enabled", 1, Some(1), T::Bool),
        &[REASON],
        "security_opt no-new-privileges:true.",
    ),
    node(
        "cap-drop",
        SVC_HARD,
        args("capabilities", 1, None, T::Capability),
        &[REASON],
        "Capabilities to drop (usually \"ALL\").",
    ),
    node(
        "allow-cap",
        &[C::Hardening],
        args("capabilities", 1, None, T::Capability),
        &[],
        "Capabilities a service of this class may cap-add.",
    ),
    node(
        "restart",
        SVC_HARD,
        ArgSpec {
            values: RESTART_VALUES,
            ..args("policy", 1, Some(1), T::String)
        },
        &[],
        "Restart policy.",
    ),
    node(
        "user",
        SVC_HARD,
        args("uid:gid", 1, Some(1), T::User),
        &[REASON],
        "The user the container runs as; a class user must be numeric and non-root.",
    ),
    node(
        "read-only",
        SVC_HARD,
        args("enabled", 1, Some(1), T::Bool),
        &[REASON],
        "Read-only root filesystem.",
    ),
    repeatable(node(
        "tmpfs",
        SVC_HARD,
        args("target", 1, Some(1), T::ContainerPath),
        &[
            prop("size", T::Size, "size limit"),
            prop("mode", T::FileMode, "octal file mode, e.g. \"1777\""),
            prop("uid", T::Integer, "owner uid"),
            prop("gid", T::Integer, "owner gid"),
        ],
        "A tmpfs mount; keyed by target.",
    )),
    node(
        "pids-limit",
        SVC_HARD,
        args("limit", 1, Some(1), T::Integer),
        &[REASON],
        "Process limit (deploy.resources.limits.pids).",
    ),
    node(
        "require",
        &[C::Hardening],
        ArgSpec {
            values: REQUIRE_VALUES,
            ..args("requirements", 1, None, T::String)
        },
        &[],
        "What hardened profiles demand of every service of the class.",
    ),
    node(
        "shm-size",
        SVC_HARD,
        args("size", 1, Some(1), T::Size),
        &[],
        "Size of /dev/shm.",
    ),
    node(
        "resources",
        SVC_HARD,
        NO_ARGS,
        &[
            prop("cpus", T::Cpus, "CPU limit"),
            prop("memory", T::Size, "memory limit"),
            prop("pids", T::Integer, "process limit"),
        ],
        "deploy.resources.limits.",
    ),
    node(
        "reserve",
        SVC_HARD,
        NO_ARGS,
        &[
            prop("cpus", T::Cpus, "reserved CPUs"),
            prop("memory", T::Size, "reserved memory"),
        ],
        "deploy.resources.reservations.",
    ),
    node(
        "publish-host",
        &[C::Hardening],
        args("address", 1, Some(1), T::String),
        &[],
        "The host address of the class's published ports that name no host-ip= (e.g. \"127.0.0.1\").",
    ),
    repeatable(node(
        "security-opt",
        SVC_HARD,
        args("option", 1, Some(1), T::String),
        &[REASON],
        "An extra security_opt entry (a service needs reason=).",
    )),
];
