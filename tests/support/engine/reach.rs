//! Reachability: the matrix a compose model's networks imply (two services reach each other
//! exactly when they share a network), the matrix measured with `standin probe` from inside
//! every container to every other container's addresses and ports, and listeners the test runs
//! on the host side of the project's bridges (their gateway addresses).
//!
//! Destinations are only the project's own containers and the test's own listeners.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use super::project::{Project, services};
use super::{docker, run_ok};

/// source service -> the destinations it reaches.
pub type Matrix = BTreeMap<String, BTreeSet<String>>;

/// Services on bridge networks (not `network_mode`), the ones the matrices are about.
pub fn bridged(model: &Value) -> BTreeSet<String> {
    services(model)
        .filter(|(_, s)| s["network_mode"].as_str().is_none_or(str::is_empty))
        .map(|(n, _)| n.clone())
        .collect()
}

/// The compose networks (keys) of a service.
pub fn networks_of(s: &Value) -> BTreeSet<String> {
    match &s["networks"] {
        Value::Object(m) => m.keys().cloned().collect(),
        Value::Array(a) => a
            .iter()
            .filter_map(|n| n.as_str().map(String::from))
            .collect(),
        _ => BTreeSet::from(["default".to_string()]),
    }
}

fn internal(model: &Value, net: &str) -> bool {
    model["networks"][net]["internal"].as_bool() == Some(true)
}

/// Whether the host keeps an address on the network's bridge (Docker's default, also for
/// `internal` networks; `com.docker.network.bridge.inhibit_ipv4` removes it).
fn host_address(model: &Value, net: &str) -> bool {
    let opt = &model["networks"][net]["driver_opts"]["com.docker.network.bridge.inhibit_ipv4"];
    !(opt.as_str() == Some("true") || opt.as_bool() == Some(true))
}

/// Neighbour (ARP) entries the measurement needs at once: on every network, each member learns
/// every other member and the gateway.
pub fn neighbour_need(model: &Value, among: &BTreeSet<String>) -> usize {
    let mut members: BTreeMap<String, usize> = BTreeMap::new();
    for s in among {
        for n in networks_of(&model["services"][s]) {
            *members.entry(n).or_default() += 1;
        }
    }
    members.values().map(|m| m * m).sum()
}

/// The kernel's neighbour table size, shared by every container (`gc_thresh3`).
pub fn neighbour_capacity() -> Option<usize> {
    std::fs::read_to_string("/proc/sys/net/ipv4/neigh/default/gc_thresh3")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// What the networks imply among `among`: S reaches T exactly when they share a network.
pub fn expected(model: &Value, among: &BTreeSet<String>) -> Matrix {
    let nets: BTreeMap<&String, BTreeSet<String>> = among
        .iter()
        .map(|s| (s, networks_of(&model["services"][s])))
        .collect();
    among
        .iter()
        .map(|s| {
            let reached = among
                .iter()
                .filter(|t| *t != s && !nets[s].is_disjoint(&nets[*t]))
                .cloned()
                .collect();
            (s.clone(), reached)
        })
        .collect()
}

/// Each service's addresses on its networks (`docker inspect`): engine network name -> address.
pub fn addresses(
    project: &Project,
    among: &BTreeSet<String>,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let ids: Vec<String> = among.iter().map(|s| project.container_id(s)).collect();
    // One `docker inspect` for all of them, in the order asked.
    let out = run_ok(docker().arg("inspect").args(&ids), Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{e}"));
    let all: Vec<Value> = serde_json::from_str(&out).expect("docker inspect is JSON");
    among
        .iter()
        .zip(&all)
        .map(|(s, c)| {
            let ips = c["NetworkSettings"]["Networks"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(net, n)| {
                    let ip = n["IPAddress"].as_str().filter(|ip| !ip.is_empty())?;
                    Some((net.clone(), ip.to_string()))
                })
                .collect();
            (s.clone(), ips)
        })
        .collect()
}

/// The engine networks among `addresses` on which the host holds an address (its gateway can be
/// bound): only their subnets are routed locally. A packet to any other subnet, from a container
/// not on it, would follow the host's own default route out of the machine, so it is never sent.
fn host_routed(addresses: &BTreeMap<String, BTreeMap<String, String>>) -> BTreeSet<String> {
    let nets: BTreeSet<&String> = addresses.values().flat_map(|m| m.keys()).collect();
    nets.into_iter()
        .filter(|net| {
            run_ok(
                docker().args([
                    "network",
                    "inspect",
                    "--format",
                    "{{json .IPAM.Config}}",
                    net,
                ]),
                Duration::from_secs(30),
            )
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(t.trim()).ok())
            .and_then(|c| {
                let gw = c[0]["Gateway"]
                    .as_str()
                    .filter(|g| !g.is_empty())
                    .map(String::from)
                    .or_else(|| first_address(c[0]["Subnet"].as_str()?))?;
                TcpListener::bind((gw.as_str(), 0)).ok()
            })
            .is_some()
        })
        .cloned()
        .collect()
}

/// One probe target: the destination's name, its address and port.
type Target = (String, String, u16);

/// The first pass's timeout (a lost SYN is sent again after one second, so this covers one
/// loss), and the second's for a timed-out target `recheck` asks about.
const FIRST: Duration = Duration::from_millis(2500);
const SECOND: Duration = Duration::from_millis(5000);

/// Probes, from inside each service of `among`, every other service's addresses on all its
/// stand-in ports, plus `extra` targets (name -> (ip, port)); S reaches T when any connects.
///
/// A connection that does not answer within the first timeout counts as blocked, except where
/// `recheck(S, T)` holds (where a block would be a finding): those are probed again with five
/// seconds each, so a loaded machine's slow answer is not taken for a block. A reach is never
/// second-guessed: one connection that succeeded is proof. An address on a subnet the host does
/// not route (a bridge without a host address) is probed only from containers on that subnet:
/// from anywhere else the packet would leave the machine by the host's default route.
pub fn measured(
    project: &Project,
    among: &BTreeSet<String>,
    extra: &BTreeMap<String, (String, u16)>,
    recheck: &(dyn Fn(&str, &str) -> bool + Sync),
) -> Matrix {
    let ips = addresses(project, among);
    let routed_here = host_routed(&ips);
    let result = Mutex::new(Matrix::new());
    let sources: Vec<&String> = among.iter().collect();
    let next = Mutex::new(0usize);
    std::thread::scope(|scope| {
        for _ in 0..8.min(sources.len()) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        *n += 1;
                        *n - 1
                    };
                    let Some(source) = sources.get(i) else { break };
                    let mut targets: Vec<Target> = Vec::new();
                    for t in among.iter().filter(|t| t != source) {
                        for (net, ip) in &ips[t] {
                            if !routed_here.contains(net) && !ips[*source].contains_key(net) {
                                continue;
                            }
                            for port in &project.serve[t].ports {
                                targets.push((t.clone(), ip.clone(), *port));
                            }
                        }
                    }
                    for (name, (ip, port)) in extra {
                        targets.push((name.clone(), ip.clone(), *port));
                    }
                    let (mut reached, timed_out) = probe(project, source, &targets, FIRST);
                    let again: Vec<Target> = timed_out
                        .into_iter()
                        .filter(|(t, _, _)| !reached.contains(t) && recheck(source, t))
                        .collect();
                    reached.extend(probe(project, source, &again, SECOND).0);
                    result
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert((*source).clone(), reached);
                }
            });
        }
    });
    result.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Runs one `standin probe` in `source` over `targets`; the names reached, and the targets
/// that timed out.
fn probe(
    project: &Project,
    source: &str,
    targets: &[Target],
    timeout: Duration,
) -> (BTreeSet<String>, Vec<Target>) {
    if targets.is_empty() {
        return (BTreeSet::new(), Vec::new());
    }
    let mut args: Vec<String> = vec![
        "probe".into(),
        "--timeout-ms".into(),
        timeout.as_millis().to_string(),
    ];
    for (_, ip, port) in targets {
        args.push(ip.clone());
        args.push(port.to_string());
    }
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = project.exec(source, &words, Duration::from_secs(600));
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: probe in {source} printed no JSON ({e}): {}",
            project.name,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(results.len(), targets.len(), "probe answers every target");
    let mut reached = BTreeSet::new();
    let mut timed_out = Vec::new();
    for (target, r) in targets.iter().zip(&results) {
        if r["connected"].as_bool() == Some(true) {
            reached.insert(target.0.clone());
        } else if r["error"].as_str().is_some_and(|e| e.contains("timed out")) {
            timed_out.push(target.clone());
        }
    }
    (reached, timed_out)
}

/// A listener the test runs on the host side of one of the project's bridges.
pub struct GatewayListener {
    /// `gateway:<network key>`.
    pub name: String,
    pub network: String,
    pub ip: String,
    pub port: u16,
    _listener: TcpListener,
}

/// One listener on the gateway address of each of the project's networks that the host holds
/// (a kernel-accepted connection is enough: nothing is read or written). The gateway is the one
/// IPAM records, else the subnet's first address (Docker's choice when the file names none);
/// only an address the host holds can be bound, so a bridge without one (`inhibit_ipv4`) gets
/// no listener.
pub fn gateway_listeners(project: &Project) -> Vec<GatewayListener> {
    let mut out = Vec::new();
    for (key, net) in project.model["networks"].as_object().into_iter().flatten() {
        let name = net["name"].as_str().unwrap_or(key);
        let Ok(text) = run_ok(
            docker().args([
                "network",
                "inspect",
                "--format",
                "{{json .IPAM.Config}}",
                name,
            ]),
            Duration::from_secs(30),
        ) else {
            continue;
        };
        let config: Value = serde_json::from_str(text.trim()).unwrap_or(Value::Null);
        let recorded = config[0]["Gateway"].as_str().filter(|g| !g.is_empty());
        let Some(gw) = recorded
            .map(String::from)
            .or_else(|| first_address(config[0]["Subnet"].as_str()?))
        else {
            continue;
        };
        let Ok(listener) = TcpListener::bind((gw.as_str(), 0)) else {
            continue;
        };
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        out.push(GatewayListener {
            name: format!("gateway:{key}"),
            network: key.clone(),
            ip: gw,
            port,
            _listener: listener,
        });
    }
    out
}

/// The first host address of an IPv4 subnet (`172.30.1.0/24` -> `172.30.1.1`).
fn first_address(subnet: &str) -> Option<String> {
    let (ip, _) = subnet.split_once('/')?;
    let ip: std::net::Ipv4Addr = ip.parse().ok()?;
    Some(std::net::Ipv4Addr::from(u32::from(ip) + 1).to_string())
}

/// Which gateway listeners each service can reach: the host's address on network N is reached
/// from a service on N, and from any service with a default route (it leads to the host). A
/// service on a non-internal network has one; whether a service on internal networks only has
/// one is the engine's choice, read from inside it (`default_route`, from `standin inspect`).
pub fn expected_gateways(
    model: &Value,
    among: &BTreeSet<String>,
    listeners: &[GatewayListener],
    default_route: &BTreeMap<String, bool>,
) -> Matrix {
    among
        .iter()
        .map(|s| {
            let nets = networks_of(&model["services"][s]);
            // A default route leads to the host only through a bridge on which the host holds
            // an address (`inhibit_ipv4` takes it away: the route then leads nowhere).
            let via_default = default_route.get(s).copied().unwrap_or(false)
                && nets.iter().any(|n| host_address(model, n));
            let routed = routed(model, s) || via_default;
            let reached = listeners
                .iter()
                .filter(|l| {
                    host_address(model, &l.network) && (routed || nets.contains(&l.network))
                })
                .map(|l| l.name.clone())
                .collect();
            (s.clone(), reached)
        })
        .collect()
}

/// Whether a service has a network that is not internal (a way out by the compose model).
pub fn routed(model: &Value, service: &str) -> bool {
    networks_of(&model["services"][service])
        .iter()
        .any(|n| !internal(model, n))
}

/// The differences between two matrices, one line each (empty when equal).
pub fn diff(expected: &Matrix, measured: &Matrix) -> Vec<String> {
    let mut lines = Vec::new();
    let empty = BTreeSet::new();
    let sources: BTreeSet<&String> = expected.keys().chain(measured.keys()).collect();
    for s in sources {
        let e = expected.get(s).unwrap_or(&empty);
        let m = measured.get(s).unwrap_or(&empty);
        for t in e.difference(m) {
            lines.push(format!(
                "{s} -> {t}: the networks say reachable, measured blocked"
            ));
        }
        for t in m.difference(e) {
            lines.push(format!(
                "{s} -> {t}: the networks say blocked, measured reachable"
            ));
        }
    }
    lines
}

/// Splits a measured matrix into container targets and `gateway:*` targets.
pub fn split_gateways(m: &Matrix) -> (Matrix, Matrix) {
    let mut containers = Matrix::new();
    let mut gateways = Matrix::new();
    for (s, ts) in m {
        let (g, c): (BTreeSet<String>, BTreeSet<String>) =
            ts.iter().cloned().partition(|t| t.starts_with("gateway:"));
        containers.insert(s.clone(), c);
        gateways.insert(s.clone(), g);
    }
    (containers, gateways)
}
