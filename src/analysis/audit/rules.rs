//! The audit's rule table: our stable ids (`PMA001`...), what each checks, its severity, and the
//! KICS query, CIS Docker Benchmark (v1.6.0, Docker Bench numbering) and compose-lint rules it
//! corresponds to. Rules 1-29 follow `hardening-rules.md` in order; 30-33 are ours.

use serde::Serialize;

/// Severity of a finding, in KICS's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Low,
    Medium,
    High,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Info, Level::Low, Level::Medium, Level::High];

    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s))
    }
}

/// A KICS Docker Compose query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Kics {
    pub id: &'static str,
    pub query: &'static str,
    pub severity: Level,
}

/// One audit rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rule {
    /// Our stable id, e.g. `PMA001`.
    pub id: &'static str,
    /// A short kebab-case name.
    pub name: &'static str,
    /// What the rule demands.
    pub title: &'static str,
    /// The compose keys it reads.
    pub keys: &'static str,
    /// The severity of a plain violation (some findings of a rule are rated higher or lower,
    /// e.g. a dangerous capability; the finding carries its own).
    pub level: Level,
    pub kics: Option<Kics>,
    /// CIS Docker Benchmark v1.6.0 recommendation(s), in Docker Bench's numbering.
    pub cis: &'static str,
    /// compose-lint rules that report the same thing.
    pub compose_lint: &'static [&'static str],
    /// How to fix a finding, or accept it.
    pub help: &'static str,
}

const fn kics(id: &'static str, query: &'static str, severity: Level) -> Option<Kics> {
    Some(Kics {
        id,
        query,
        severity,
    })
}

use Level::*;

pub const PRIVILEGED: &Rule = &RULES[0];
pub const CAPABILITIES: &Rule = &RULES[1];
pub const NO_NEW_PRIVILEGES: &Rule = &RULES[2];
pub const SECURITY_OPT: &Rule = &RULES[3];
pub const SECCOMP: &Rule = &RULES[4];
pub const MAC_PROFILE: &Rule = &RULES[5];
pub const READ_ONLY: &Rule = &RULES[6];
pub const USER: &Rule = &RULES[7];
pub const MEMORY: &Rule = &RULES[8];
pub const CPUS: &Rule = &RULES[9];
pub const PIDS: &Rule = &RULES[10];
pub const HEALTHCHECK: &Rule = &RULES[11];
pub const RESTART: &Rule = &RULES[12];
pub const HOST_NETWORK: &Rule = &RULES[13];
pub const HOST_PID: &Rule = &RULES[14];
pub const HOST_IPC: &Rule = &RULES[15];
pub const HOST_USERNS: &Rule = &RULES[16];
pub const HOST_UTS: &Rule = &RULES[17];
pub const DOCKER_SOCKET: &Rule = &RULES[18];
pub const SENSITIVE_MOUNT: &Rule = &RULES[19];
pub const PROPAGATION: &Rule = &RULES[20];
pub const SHARED_VOLUME: &Rule = &RULES[21];
pub const PRIVILEGED_PORT: &Rule = &RULES[22];
pub const HOST_INTERFACE: &Rule = &RULES[23];
pub const DEFAULT_NETWORK: &Rule = &RULES[24];
pub const CGROUP_PARENT: &Rule = &RULES[25];
pub const DEVICES: &Rule = &RULES[26];
pub const IMAGE_PIN: &Rule = &RULES[27];
pub const ULIMITS: &Rule = &RULES[28];
pub const RAW_COMPOSE: &Rule = &RULES[29];
pub const EGRESS: &Rule = &RULES[30];
pub const SYSCTL: &Rule = &RULES[31];
pub const CREDENTIALS: &Rule = &RULES[32];

/// Every rule, in id order.
pub const RULES: [Rule; 33] = [
    Rule {
        id: "PMA001",
        name: "privileged",
        title: "No privileged containers",
        keys: "privileged",
        level: High,
        kics: kics(
            "ae5b6871-7f45-42e0-bb4c-ab300c4d2026",
            "Privileged Containers Enabled",
            High,
        ),
        cis: "5.5",
        compose_lint: &["CL-0002"],
        help: "remove `privileged #true`, or keep it with `reason=\"...\"`",
    },
    Rule {
        id: "PMA002",
        name: "capabilities",
        title: "Drop ALL capabilities; add back only what the class allows",
        keys: "cap_drop, cap_add",
        level: Low,
        kics: kics(
            "ce76b7d0-9e77-464d-b86f-c5c48e03e22d",
            "Container Capabilities Unrestricted",
            Low,
        ),
        cis: "5.4",
        compose_lint: &[
            "CL-0006", "CL-0011", "CL-0024", "CL-0027", "CL-0028", "CL-0029", "CL-0030",
        ],
        help: "`cap-drop \"ALL\"` in the class; each `cap-add` with `reason=\"...\"`",
    },
    Rule {
        id: "PMA003",
        name: "no-new-privileges",
        title: "No new privileges",
        keys: "security_opt: no-new-privileges:true",
        level: High,
        kics: kics(
            "27fcc7d6-c49b-46e0-98f1-6c082a6a2750",
            "No New Privileges Not Set",
            High,
        ),
        cis: "5.26",
        compose_lint: &["CL-0003"],
        help: "`no-new-privileges #true` in the class",
    },
    Rule {
        id: "PMA004",
        name: "security-opt",
        title: "security_opt is set",
        keys: "security_opt",
        level: Medium,
        kics: kics(
            "610e266e-6c12-4bca-9925-1ed0cd29742b",
            "Security Opt Not Set",
            Medium,
        ),
        cis: "",
        compose_lint: &[],
        help: "`no-new-privileges #true` in the class sets `security_opt`",
    },
    Rule {
        id: "PMA005",
        name: "seccomp",
        title: "The default seccomp profile is not disabled",
        keys: "security_opt: seccomp",
        level: Medium,
        kics: kics(
            "404fde2c-bc4b-4371-9747-7054132ac953",
            "Default Seccomp Profile Disabled",
            Medium,
        ),
        cis: "5.22",
        compose_lint: &["CL-0009"],
        help: "remove `seccomp=unconfined`, or give a profile: `security-opt \"seccomp=profile.json\"`",
    },
    Rule {
        id: "PMA006",
        name: "mac-profile",
        title: "AppArmor / SELinux confinement is not disabled",
        keys: "security_opt: apparmor, label",
        level: Medium,
        kics: None,
        cis: "5.2, 5.3",
        compose_lint: &["CL-0009"],
        help: "remove `apparmor=unconfined` / `label=disable`, or name a profile",
    },
    Rule {
        id: "PMA007",
        name: "read-only",
        title: "Read-only root filesystem",
        keys: "read_only",
        level: Low,
        kics: None,
        cis: "5.13",
        compose_lint: &["CL-0007"],
        help: "`read-only #true` with tmpfs or volumes for the paths it writes, or `read-only #false reason=\"...\"`",
    },
    Rule {
        id: "PMA008",
        name: "user",
        title: "A numeric non-root user and group",
        keys: "user",
        level: Medium,
        kics: None,
        cis: "4.1",
        compose_lint: &["CL-0018"],
        help: "`user \"65532:65532\"` in the class or service, or the root user with `reason=\"...\"`",
    },
    Rule {
        id: "PMA009",
        name: "memory-limit",
        title: "A memory limit",
        keys: "deploy.resources.limits.memory",
        level: Medium,
        kics: kics(
            "bb9ac4f7-e13b-423d-a010-c74a1bfbe492",
            "Memory Not Limited",
            Medium,
        ),
        cis: "5.11",
        compose_lint: &["CL-0026"],
        help: "`resources memory=\"1g\"` in the class or service (0 means no limit)",
    },
    Rule {
        id: "PMA010",
        name: "cpu-limit",
        title: "A CPU limit",
        keys: "deploy.resources.limits.cpus",
        level: Low,
        kics: kics(
            "6b610c50-99fb-4ef0-a5f3-e312fd945bc3",
            "Cpus Not Limited",
            Low,
        ),
        cis: "5.12",
        compose_lint: &["CL-0026"],
        help: "`resources cpus=1.0` in the class or service (0 means no limit)",
    },
    Rule {
        id: "PMA011",
        name: "pids-limit",
        title: "A process limit",
        keys: "deploy.resources.limits.pids",
        level: Medium,
        kics: kics(
            "221e0658-cb2a-44e3-b08a-db96a341d6fa",
            "Pids Limit Not Set",
            Medium,
        ),
        cis: "5.29",
        compose_lint: &[],
        help: "`resources pids=512` in the class or service (0 and -1 mean no limit)",
    },
    Rule {
        id: "PMA012",
        name: "healthcheck",
        title: "A healthcheck",
        keys: "healthcheck",
        level: Medium,
        kics: kics(
            "698ed579-b239-4f8f-a388-baa4bcb13ef8",
            "Healthcheck Not Set",
            Medium,
        ),
        cis: "5.27, 4.6",
        compose_lint: &[],
        help: "add `healthcheck { http-get port=... }` (or `cmd`/`shell`)",
    },
    Rule {
        id: "PMA013",
        name: "restart-policy",
        title: "A bounded restart policy (on-failure, 5 attempts)",
        keys: "restart",
        level: Low,
        kics: kics(
            "2fc99041-ddad-49d5-853f-e35e70a48391",
            "Restart Policy On Failure Not Set To 5",
            Medium,
        ),
        cis: "5.15",
        compose_lint: &[],
        help: "a policy that gives up: `on-failure` with 5 attempts; `always`/`unless-stopped` restart a crashing container forever",
    },
    Rule {
        id: "PMA014",
        name: "host-network",
        title: "Not the host's network namespace",
        keys: "network_mode",
        level: Medium,
        kics: kics(
            "071a71ff-f868-47a4-ac0b-3c59e4ab5443",
            "Shared Host Network Namespace",
            Medium,
        ),
        cis: "5.10",
        compose_lint: &["CL-0008"],
        help: "remove `network-mode \"host\"`, or keep it with `reason=\"...\"`",
    },
    Rule {
        id: "PMA015",
        name: "host-pid",
        title: "Not the host's PID namespace",
        keys: "pid",
        level: Medium,
        kics: kics(
            "4f31dd9f-2cc3-4751-9b53-67e4af83dac0",
            "Host Namespace is Shared",
            Medium,
        ),
        cis: "5.16",
        compose_lint: &["CL-0010"],
        help: "remove `pid \"host\"`, or keep it with `reason=\"...\"`",
    },
    Rule {
        id: "PMA016",
        name: "host-ipc",
        title: "Not the host's IPC namespace",
        keys: "ipc",
        level: Medium,
        kics: kics(
            "baa3890f-bed7-46f5-ab8f-1da8fc91c729",
            "Shared Host IPC Namespace",
            Medium,
        ),
        cis: "5.17",
        compose_lint: &["CL-0010"],
        help: "remove `ipc: host`, or keep it with a reason",
    },
    Rule {
        id: "PMA017",
        name: "host-userns",
        title: "Not the host's user namespace",
        keys: "userns_mode",
        level: Medium,
        kics: kics(
            "8af7162d-6c98-482f-868e-0d33fb675ca8",
            "Shared Host User Namespace",
            Medium,
        ),
        cis: "5.31",
        compose_lint: &["CL-0010"],
        help: "remove `userns_mode: host`, or keep it with a reason",
    },
    Rule {
        id: "PMA018",
        name: "host-uts",
        title: "Not the host's UTS namespace",
        keys: "uts",
        level: Medium,
        kics: None,
        cis: "5.21",
        compose_lint: &["CL-0010"],
        help: "remove `uts: host`, or keep it with a reason",
    },
    Rule {
        id: "PMA019",
        name: "docker-socket",
        title: "No container runtime socket",
        keys: "volumes, use_api_socket",
        level: High,
        kics: kics(
            "d6355c88-1e8d-49e9-b2f2-f8a1ca12c75b",
            "Docker Socket Mounted In Container",
            High,
        ),
        cis: "5.32",
        compose_lint: &["CL-0001"],
        help: "remove the mount, or keep it with `reason=\"...\"` on the `volume` (or `hardening \"exempt\" reason=\"...\"`)",
    },
    Rule {
        id: "PMA020",
        name: "sensitive-host-path",
        title: "No sensitive host directory",
        keys: "volumes",
        level: High,
        kics: kics(
            "1c1325ff-831d-43a1-973e-839ae57dfcc0",
            "Volume Has Sensitive Host Directory",
            High,
        ),
        cis: "5.6",
        compose_lint: &["CL-0013", "CL-0025"],
        help: "mount a narrower path, or keep it with `reason=\"...\"` on the `volume` (or `hardening \"exempt\" reason=\"...\"`)",
    },
    Rule {
        id: "PMA021",
        name: "mount-propagation",
        title: "No shared mount propagation",
        keys: "volumes[].bind.propagation",
        level: High,
        kics: kics(
            "baa452f0-1f21-4a25-ace5-844e7a5f410d",
            "Volume Mounted In Multiple Containers",
            High,
        ),
        cis: "5.20",
        compose_lint: &["CL-0017"],
        help: "use private propagation (the default)",
    },
    Rule {
        id: "PMA022",
        name: "shared-volume",
        title: "A named volume used by one service",
        keys: "volumes",
        level: Info,
        kics: kics(
            "8c978947-0ff6-485c-b0c2-0bfca6026466",
            "Shared Volumes Between Containers",
            Info,
        ),
        cis: "",
        compose_lint: &[],
        help: "share data through a service instead, or mount the volume read-only where it is only read",
    },
    Rule {
        id: "PMA023",
        name: "privileged-port",
        title: "Host ports of 1024 and above",
        keys: "ports",
        level: Medium,
        kics: kics(
            "bc2908f3-f73c-40a9-8793-c1b7d5544f79",
            "Privileged Ports Mapped In Container",
            Medium,
        ),
        cis: "5.8",
        compose_lint: &[],
        help: "publish on a host port of 1024 or above (`port 80 host=8080`)",
    },
    Rule {
        id: "PMA024",
        name: "host-interface",
        title: "Published ports bound to a host address",
        keys: "ports",
        level: Medium,
        kics: kics(
            "451d79dc-0588-476a-ad03-3c7f0320abb3",
            "Container Traffic Not Bound To Host Interface",
            Medium,
        ),
        cis: "5.14",
        compose_lint: &["CL-0005"],
        help: "`publish-host \"127.0.0.1\"` in the class or `host-ip=` on the port; a port that must listen everywhere says `host-ip=\"0.0.0.0\" reason=\"...\"`",
    },
    Rule {
        id: "PMA025",
        name: "default-network",
        title: "Not compose's default network",
        keys: "networks",
        level: Medium,
        kics: kics(
            "ce14a68b-1668-41a0-ab7d-facd9f784742",
            "Networks Not Set",
            Medium,
        ),
        cis: "5.30",
        compose_lint: &[],
        help: "attach the service to named networks, or declare `talks-to` and let isolation place it",
    },
    Rule {
        id: "PMA026",
        name: "cgroup-parent",
        title: "The default cgroup parent and the container's own cgroup namespace",
        keys: "cgroup_parent, cgroup",
        level: Medium,
        kics: kics(
            "4d9f44c6-2f4a-4317-9bb5-267adbea0232",
            "Cgroup Not Default",
            Medium,
        ),
        cis: "5.25",
        compose_lint: &[],
        help: "remove `cgroup_parent`",
    },
    Rule {
        id: "PMA027",
        name: "host-device",
        title: "No host devices",
        keys: "devices",
        level: Medium,
        kics: None,
        cis: "5.18",
        compose_lint: &["CL-0016"],
        help: "GPUs through `gpu`; other devices with `reason=\"...\"`",
    },
    Rule {
        id: "PMA028",
        name: "image-pinned",
        title: "Images pinned by digest",
        keys: "image",
        level: Low,
        kics: None,
        cis: "5.28",
        compose_lint: &["CL-0004", "CL-0019"],
        help: "`pmovesc pin` writes `repo:tag@sha256:...`; never `latest` or untagged",
    },
    Rule {
        id: "PMA029",
        name: "ulimits",
        title: "ulimits overridden only when needed",
        keys: "ulimits",
        level: Info,
        kics: None,
        cis: "5.19",
        compose_lint: &[],
        help: "keep the engine's default ulimits unless the service needs more",
    },
    Rule {
        id: "PMA030",
        name: "raw-compose",
        title: "No unreviewed raw compose settings in hardened profiles",
        keys: "any key written through `compose {}`",
        level: Medium,
        kics: None,
        cis: "",
        compose_lint: &[],
        help: "use the language's own node for the setting, where the hardening rules see it",
    },
    Rule {
        id: "PMA031",
        name: "egress",
        title: "Services that reach outside the stack",
        keys: "networks (not internal)",
        level: Info,
        kics: None,
        cis: "",
        compose_lint: &[],
        help: "recorded for review: compose cannot filter egress by host name",
    },
    Rule {
        id: "PMA032",
        name: "sysctl",
        title: "Kernel parameters left at the engine's defaults",
        keys: "sysctls",
        level: Low,
        kics: None,
        cis: "",
        compose_lint: &[],
        help: "set only namespaced parameters the service needs, each with `reason=\"...\"`",
    },
    Rule {
        id: "PMA033",
        name: "credentials",
        title: "No literal credentials in the environment",
        keys: "environment",
        level: High,
        kics: None,
        cis: "",
        compose_lint: &["CL-0020", "CL-0021"],
        help: "declare it (`input \"DB_PASSWORD\" secret=#true generate=\"password\"`) and write `${DB_PASSWORD}`, or mount a `secret` (`secret \"db_password\" env=\"DB_PASSWORD_FILE\"`)",
    },
];

/// A rule by id or name.
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_in_order_and_names_unique() {
        for (i, r) in RULES.iter().enumerate() {
            assert_eq!(r.id, format!("PMA{:03}", i + 1));
        }
        let mut names: Vec<&str> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
        assert_eq!(find("pma019").map(|r| r.name), Some("docker-socket"));
    }
}
