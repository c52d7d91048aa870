//! What keeps engine projects apart on one shared engine: several test binaries, worktrees and
//! engineers run projects on the same dockerd at once, so nothing one project creates may carry
//! a name, subnet or host port another could choose.
//!
//! - the project name is unique (prefix, label, process id, a per-process counter), and the
//!   project holds a lease (an advisory lock on a file named after it) for as long as it lives:
//!   leftovers of killed runs are the test projects whose lease nobody holds, and only those are
//!   removed;
//! - the isolation override (`docker-compose.engine-isolation.yml`, beside the stand-in override)
//!   renames every network and every named volume the file fixes (`name: pmoves_api`) to one
//!   under the project's name, gives every subnet a /24 leased for the project's lifetime from
//!   [`LEASE_POOL`] (one no other project holds and no existing network uses), and publishes every
//!   host port on a port of [`PORT_POOL`] leased the same way, on the same host address (tests
//!   read it back from `ps`);
//! - a service on the host's network (`network_mode: host`) cannot be renamed away from a fixed
//!   port: its stand-in listens on a free loopback port instead and its healthcheck tools follow
//!   the `STANDIN_PORT_MAP` the override sets (`9100=41234`), so its healthcheck still runs.
//!
//! Everything else of the shipped file runs as shipped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs::File;
use std::net::{Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::{docker, run_ok};

/// The file name of the isolation override.
pub const ISOLATION_FILE: &str = "docker-compose.engine-isolation.yml";

/// The subnets test networks get: 256 /24s no generated file, Docker default pool or route of
/// this machine uses.
pub const LEASE_POOL: (u8, u8) = (10, 213);

/// The environment variable the stand-in reads to follow a moved loopback port.
pub const PORT_MAP_VAR: &str = "STANDIN_PORT_MAP";

/// Where leases live: one directory per machine (the temp directory), shared by every checkout.
fn lease_dir(kind: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("pmovesc-engine-leases")
        .join(kind);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create the lease directory {}: {e}", dir.display()));
    dir
}

/// A held advisory lock on a lease file; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct Lease {
    _file: File,
    pub name: String,
}

fn try_lease(kind: &str, name: &str) -> Option<Lease> {
    let path = lease_dir(kind).join(format!("{name}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    match file.try_lock() {
        Ok(()) => Some(Lease {
            _file: file,
            name: name.to_string(),
        }),
        Err(_) => None,
    }
}

/// The lease a live project holds on its own name.
pub fn lease_project(name: &str) -> Lease {
    try_lease("projects", name)
        .unwrap_or_else(|| panic!("the project name {name} is held by another live test"))
}

/// Whether a test project is a leftover: nobody holds its lease (its test process is gone).
/// Taking the lease to find out releases it at once.
pub fn is_leftover(project: &str) -> bool {
    try_lease("projects", project).is_some()
}

/// The IPv4 subnets every network of the engine uses now.
fn subnets_in_use() -> BTreeSet<String> {
    let t = Duration::from_secs(60);
    let ids = run_ok(docker().args(["network", "ls", "-q"]), t).unwrap_or_default();
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if ids.is_empty() {
        return BTreeSet::new();
    }
    run_ok(
        docker()
            .args(["network", "inspect", "--format"])
            .arg("{{range .IPAM.Config}}{{.Subnet}} {{end}}")
            .args(&ids),
        t,
    )
    .unwrap_or_default()
    .split_whitespace()
    .map(String::from)
    .collect()
}

/// Whether two IPv4 subnets in CIDR form overlap.
fn overlaps(a: &str, b: &str) -> bool {
    let parse = |s: &str| -> Option<(u32, u32)> {
        let (ip, len) = s.split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let len: u32 = len.parse().ok().filter(|l| *l <= 32)?;
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        Some((u32::from(ip) & mask, mask))
    };
    match (parse(a), parse(b)) {
        (Some((na, ma)), Some((nb, mb))) => {
            let m = ma & mb;
            na & m == nb & m
        }
        _ => false,
    }
}

/// `n` /24 subnets of [`LEASE_POOL`] that no other live project holds and no existing network
/// overlaps, each leased until the lease is dropped.
pub fn lease_subnets(n: usize) -> Vec<Lease> {
    if n == 0 {
        return Vec::new();
    }
    let used = subnets_in_use();
    let (a, b) = LEASE_POOL;
    let mut out = Vec::new();
    // Start where this process's id points, so concurrent processes rarely try the same ones.
    let start = std::process::id() as usize % 256;
    for i in 0..256 {
        let c = (start + i) % 256;
        let subnet = format!("{a}.{b}.{c}.0/24");
        if used.iter().any(|u| overlaps(u, &subnet)) {
            continue;
        }
        if let Some(lease) = try_lease("subnets", &subnet.replace('/', "_")) {
            out.push(Lease {
                name: subnet,
                ..lease
            });
            if out.len() == n {
                return out;
            }
        }
    }
    panic!(
        "fewer than {n} free /24 subnets in {a}.{b}.0.0/16: other engine tests hold the rest, or \
         leftover networks use them (docker network ls)"
    );
}

/// The host ports test projects publish on: below the kernel's ephemeral range (32768 and up
/// by default, where Docker 20.10's own allocator picks "ephemeral" host ports without asking
/// the kernel, and so collides with sockets other processes hold) and above the ports the
/// generated files publish.
pub const PORT_POOL: std::ops::Range<u16> = 20_000..32_000;

/// A host port on `ip` that no other live project holds and that is free now (a bind to it
/// succeeds), leased until the lease is dropped.
pub fn lease_port(ip: &str) -> (u16, Lease) {
    let ip = if ip.is_empty() { "0.0.0.0" } else { ip };
    let span = PORT_POOL.end - PORT_POOL.start;
    let start = (std::process::id() % u32::from(span)) as u16;
    for i in 0..span {
        let port = PORT_POOL.start + (start + i) % span;
        let Some(lease) = try_lease("ports", &port.to_string()) else {
            continue;
        };
        // Free on this address and on every address (a wildcard bind collides with both).
        if TcpListener::bind((ip, port)).is_ok() && TcpListener::bind(("0.0.0.0", port)).is_ok() {
            return (port, lease);
        }
    }
    panic!("no free host port in {PORT_POOL:?} for {ip}");
}

/// What the isolation override gave a project: its text, the leases it holds, and the loopback
/// ports moved for services on the host's network (service -> shipped port -> port used).
pub struct Isolation {
    pub yaml: String,
    /// The leases the project holds: its subnets and host ports.
    pub leases: Vec<Lease>,
    pub moved_ports: BTreeMap<String, BTreeMap<u16, u16>>,
}

/// The isolation override of a shipped compose model (`config --format json`) for `project`.
/// `loopback_ports` lists, per service on the host's network, the ports its stand-in serves.
pub fn isolation(
    project: &str,
    model: &Value,
    loopback_ports: &BTreeMap<String, BTreeSet<u16>>,
) -> Isolation {
    let mut yaml = String::from(
        "# Engine test isolation: names, subnets and host ports of this project only, so that\n\
         # projects of other tests on the same engine never collide (tests/support/engine/isolate.rs).\n",
    );
    let networks = model["networks"].as_object();
    let subnet_count: usize = networks
        .into_iter()
        .flatten()
        .filter(|(_, n)| n["external"].as_bool() != Some(true))
        .map(|(_, n)| ipv4_configs(n).len())
        .sum();
    let mut leases = lease_subnets(subnet_count);
    let mut next = 0;
    let mut networks_yaml = String::new();
    for (key, net) in networks.into_iter().flatten() {
        assert!(
            net["ipam"]["config"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|c| !c["subnet"].as_str().is_some_and(|s| s.contains(':'))),
            "network `{key}` has an IPv6 subnet: the isolation override leases IPv4 /24s only"
        );
        let mut entry = String::new();
        let shipped = net["name"].as_str().unwrap_or(key);
        if shipped != format!("{project}_{key}") {
            let _ = writeln!(entry, "    name: {}", q(&format!("{project}-{shipped}")));
        }
        let configs = ipv4_configs(net);
        if net["external"].as_bool() != Some(true) && !configs.is_empty() {
            entry.push_str("    ipam:\n      config: !override\n");
            for _ in configs {
                let lease = &leases[next];
                next += 1;
                let _ = writeln!(entry, "        - subnet: {}", q(&lease.name));
            }
        }
        if !entry.is_empty() {
            let _ = writeln!(networks_yaml, "  {}:", q(key));
            networks_yaml.push_str(&entry);
        }
    }
    if !networks_yaml.is_empty() {
        yaml.push_str("networks:\n");
        yaml.push_str(&networks_yaml);
    }
    let named_volumes: Vec<(&String, &Value)> = model["volumes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, v)| {
            v["external"].as_bool() == Some(true)
                || v["name"]
                    .as_str()
                    .is_some_and(|n| n != format!("{project}_{key}"))
        })
        .collect();
    if !named_volumes.is_empty() {
        yaml.push_str("volumes:\n");
        for (key, v) in named_volumes {
            let shipped = v["name"].as_str().unwrap_or(key);
            let _ = writeln!(yaml, "  {}:", q(key));
            let _ = writeln!(yaml, "    name: {}", q(&format!("{project}-{shipped}")));
        }
    }
    let mut moved_ports = BTreeMap::new();
    let mut services_yaml = String::new();
    for (name, s) in model["services"].as_object().into_iter().flatten() {
        let mut entry = String::new();
        let ports: Vec<&Value> = s["ports"].as_array().into_iter().flatten().collect();
        if !ports.is_empty() {
            entry.push_str("    ports: !override\n");
            for p in ports {
                let _ = writeln!(entry, "      - target: {}", p["target"]);
                let ip = p["host_ip"].as_str().unwrap_or_default();
                // Also where the file leaves the host port to the engine: its allocator races.
                let (port, lease) = lease_port(ip);
                let _ = writeln!(entry, "        published: \"{port}\"");
                leases.push(lease);
                if !ip.is_empty() {
                    let _ = writeln!(entry, "        host_ip: {}", q(ip));
                }
                if let Some(proto) = p["protocol"].as_str() {
                    let _ = writeln!(entry, "        protocol: {}", q(proto));
                }
                if let Some(mode) = p["mode"].as_str() {
                    let _ = writeln!(entry, "        mode: {}", q(mode));
                }
            }
        }
        if let Some(list) = loopback_ports.get(name).filter(|l| !l.is_empty()) {
            let moved: BTreeMap<u16, u16> = list
                .iter()
                .map(|p| {
                    let (port, lease) = lease_port("127.0.0.1");
                    leases.push(lease);
                    (*p, port)
                })
                .collect();
            let map = moved
                .iter()
                .map(|(from, to)| format!("{from}={to}"))
                .collect::<Vec<_>>()
                .join(",");
            let _ = writeln!(entry, "    environment:\n      {PORT_MAP_VAR}: {}", q(&map));
            moved_ports.insert(name.clone(), moved);
        }
        if !entry.is_empty() {
            let _ = writeln!(services_yaml, "  {}:", q(name));
            services_yaml.push_str(&entry);
        }
    }
    if !services_yaml.is_empty() {
        yaml.push_str("services:\n");
        yaml.push_str(&services_yaml);
    }
    Isolation {
        yaml,
        leases,
        moved_ports,
    }
}

/// The IPv4 `ipam.config` entries of a network (those with a subnet).
fn ipv4_configs(net: &Value) -> Vec<&Value> {
    net["ipam"]["config"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["subnet"].as_str().is_some_and(|s| !s.contains(':')))
        .collect()
}

/// A YAML double-quoted scalar (a JSON string is one).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}
