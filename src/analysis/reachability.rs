//! Reachability: whom each service of a profile connects to (`talks-to`), which services reach
//! outside the stack (`egress`, published ports), and the networks an isolated profile lowers
//! that into, with their subnets from the project's pool.
//!
//! A compose bridge network lets every member reach every other member, so the only way to give
//! a service exactly the peers it declared is a network per connection: `to.<server>.from.<client>`,
//! internal, with the two of them on it (`enable_icc` is all or nothing per bridge). A service
//! with `egress` or published ports also gets a network of its own that is not internal
//! (`egress.<service>` or `publish.<service>`), so two such services never share one. Declared
//! `external` networks are kept as written. The compose lowering
//! (`targets/compose/lower/isolation.rs`), the audit and `pmovesc graph` all read this model;
//! [`check`] reports what cannot be isolated as written.

use core::net::Ipv4Addr;
use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::analysis::resolve::{Resolved, undefined};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};

/// The pool isolation networks take their subnets from when the project names none.
pub const DEFAULT_POOL: &str = "172.30.64.0/18";
/// Every isolation network is a /29: network, gateway and broadcast addresses, two members and
/// three spare addresses.
pub const NETWORK_PREFIX: u8 = 29;

/// The reachability of one profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reachability {
    /// Whether the profile lowers reachability into networks.
    pub isolated: bool,
    /// Every service the profile keeps.
    pub services: BTreeMap<String, Peer>,
    /// Declared connections between services the profile keeps, sorted by (from, to).
    pub edges: Vec<Edge>,
    /// One network per connected pair, sorted by network key.
    pub links: Vec<Link>,
    /// The outside network of each service with `egress` or published ports.
    pub outside: BTreeMap<String, Outside>,
}

/// What one service declares, in the profile's shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Peer {
    /// `Some(hosts)` when the service has `egress` (hosts may be empty: anywhere).
    pub egress: Option<Vec<String>>,
    /// The service publishes ports on the host.
    pub publishes: bool,
    /// `network-mode`, which takes the service out of isolation.
    pub network_mode: Option<String>,
    /// The networks written on the service (sorted).
    pub networks: Vec<String>,
    /// The dependencies it waits for, with their conditions.
    pub depends_on: Vec<(String, Condition)>,
}

/// A declared connection: `from` talks to `to` (on `ports`; empty: any port).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub ports: Vec<u16>,
}

/// The network of one connected pair of services.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The compose network key, `to.<server>.from.<client>`.
    pub network: String,
    pub server: String,
    pub client: String,
    /// Both declared the other.
    pub both_ways: bool,
    /// The subnet allocated from the pool (`None` when the pool cannot hold the networks).
    pub subnet: Option<String>,
}

/// The network that lets one service reach outside the stack (or publish ports).
#[derive(Debug, Clone, PartialEq)]
pub struct Outside {
    /// `egress.<service>` or `publish.<service>`.
    pub network: String,
    pub egress: bool,
    /// The hosts `egress` names (documentation: compose cannot filter by name).
    pub hosts: Vec<String>,
    pub subnet: Option<String>,
}

/// Whether a profile lowers reachability into networks: `isolation=` when written, else on in
/// hardened profiles of a stack that uses `talks-to` anywhere.
pub fn isolated(stack: &Resolved, profile: &Profile) -> bool {
    profile
        .isolation
        .unwrap_or_else(|| profile.hardened && uses_talks_to(stack))
}

/// Whether any service, template chain or `when` block declares a `talks-to`.
pub fn uses_talks_to(stack: &Resolved) -> bool {
    stack.services.values().any(|s| {
        !s.body.talks_to.is_empty() || s.body.whens.iter().any(|w| !w.body.talks_to.is_empty())
    })
}

/// The network key of a connection.
pub fn link_network(server: &str, client: &str) -> String {
    format!("to.{server}.from.{client}")
}

impl Reachability {
    /// The network keys a service is on when isolated: its connections and its outside network,
    /// sorted.
    pub fn networks_of(&self, service: &str) -> Vec<String> {
        let mut nets: Vec<String> = self
            .links
            .iter()
            .filter(|l| l.server == service || l.client == service)
            .map(|l| l.network.clone())
            .collect();
        if let Some(o) = self.outside.get(service) {
            nets.push(o.network.clone());
        }
        nets.sort();
        nets
    }

    /// The ordered pairs (client, server) of services that can open a connection to each other
    /// in the compose file this profile lowers to: they share a network. In an isolated profile
    /// that is the declared connections plus members of the same kept external network; otherwise
    /// the networks as written (a service with no network and no `network-mode` is on compose's
    /// `default` network).
    pub fn reachable_pairs(&self, external: &BTreeSet<String>) -> BTreeSet<(String, String)> {
        let mut members: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for (name, peer) in &self.services {
            if peer.network_mode.is_some() {
                continue;
            }
            let nets: Vec<String> = if self.isolated {
                let mut n = self.networks_of(name);
                n.extend(
                    peer.networks
                        .iter()
                        .filter(|n| external.contains(*n))
                        .cloned(),
                );
                n
            } else if peer.networks.is_empty() {
                vec!["default".to_string()]
            } else {
                peer.networks.clone()
            };
            for n in nets {
                members.entry(n).or_default().push(name);
            }
        }
        let mut pairs = BTreeSet::new();
        for list in members.values() {
            for a in list {
                for b in list {
                    if a != b {
                        pairs.insert((a.to_string(), b.to_string()));
                    }
                }
            }
        }
        pairs
    }
}

/// The reachability of a profile. Assumes validation passed (targets are defined); connections
/// to services the profile leaves out, to the service itself, or to a service with
/// `network-mode` are not links.
pub fn model(stack: &Resolved, profile: &Profile) -> Reachability {
    let mut reach = Reachability {
        isolated: isolated(stack, profile),
        ..Default::default()
    };
    let shapes: Vec<(&str, std::borrow::Cow<ServiceBody>)> = stack
        .services
        .iter()
        .filter_map(|(n, s)| stack.shape(s, profile).map(|b| (n.as_str(), b)))
        .collect();
    for (name, body) in &shapes {
        let mut networks: Vec<String> = body.networks.keys().cloned().collect();
        networks.sort();
        reach.services.insert(
            name.to_string(),
            Peer {
                egress: body
                    .egress
                    .as_ref()
                    .filter(|e| e.value.enabled)
                    .map(|e| e.value.hosts.iter().map(|h| h.value.clone()).collect()),
                publishes: !body.ports.is_empty(),
                network_mode: body.network_mode.as_ref().map(|m| m.value.clone()),
                networks,
                depends_on: body
                    .depends_on
                    .values()
                    .map(|d| (d.value.service.clone(), d.value.condition))
                    .collect(),
            },
        );
    }
    let isolable = |s: &str| {
        reach
            .services
            .get(s)
            .is_some_and(|p| p.network_mode.is_none())
    };
    let mut edges = Vec::new();
    for (name, body) in &shapes {
        if !isolable(name) {
            continue;
        }
        for t in body.talks_to.values() {
            let to = &t.value.service;
            if to != name && isolable(to) {
                edges.push(Edge {
                    from: name.to_string(),
                    to: to.clone(),
                    ports: t.value.ports.clone(),
                });
            }
        }
    }
    edges.sort();
    let declared: BTreeSet<(&str, &str)> = edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    let mut links: BTreeMap<String, Link> = BTreeMap::new();
    for e in &edges {
        let both_ways = declared.contains(&(e.to.as_str(), e.from.as_str()));
        // A pair that declared each other gets one network, named after the first of the two.
        let (server, client) = if both_ways && e.from < e.to {
            (&e.from, &e.to)
        } else {
            (&e.to, &e.from)
        };
        let network = link_network(server, client);
        links.entry(network.clone()).or_insert_with(|| Link {
            network,
            server: server.clone(),
            client: client.clone(),
            both_ways,
            subnet: None,
        });
    }
    reach.edges = edges;
    reach.links = links.into_values().collect();
    for (name, peer) in &reach.services {
        if peer.network_mode.is_some() || (peer.egress.is_none() && !peer.publishes) {
            continue;
        }
        let egress = peer.egress.is_some();
        reach.outside.insert(
            name.clone(),
            Outside {
                network: format!("{}.{name}", if egress { "egress" } else { "publish" }),
                egress,
                hosts: peer.egress.clone().unwrap_or_default(),
                subnet: None,
            },
        );
    }
    if reach.isolated
        && let Ok(pool) = Pool::parse(pool_text(stack))
    {
        let mut keys: Vec<String> = reach.links.iter().map(|l| l.network.clone()).collect();
        keys.extend(reach.outside.values().map(|o| o.network.clone()));
        if let Some(subnets) = pool.allocate(&keys) {
            for l in &mut reach.links {
                l.subnet = subnets.get(&l.network).cloned();
            }
            for o in reach.outside.values_mut() {
                o.subnet = subnets.get(&o.network).cloned();
            }
        }
    }
    reach
}

fn pool_text(stack: &Resolved) -> &str {
    stack
        .isolation_pool
        .as_ref()
        .map_or(DEFAULT_POOL, |p| p.value.as_str())
}

/// An IPv4 block isolation networks are carved from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pool {
    base: u32,
    prefix: u8,
}

impl Pool {
    /// Parses `a.b.c.d/n`; the address must be the first of its block.
    pub fn parse(text: &str) -> Result<Pool, String> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| "not a CIDR block (expected `a.b.c.d/n`)".to_string())?;
        let addr: Ipv4Addr = addr
            .parse()
            .map_err(|_| format!("`{addr}` is not an IPv4 address"))?;
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("`/{prefix}` is not a prefix length 0..32"))?;
        let base = u32::from(addr);
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        if base & !mask != 0 {
            return Err(format!(
                "`{text}` is not the start of its block (did you mean `{}/{prefix}`?)",
                Ipv4Addr::from(base & mask)
            ));
        }
        Ok(Pool { base, prefix })
    }

    /// How many isolation networks the pool holds.
    pub fn slots(&self) -> u64 {
        if self.prefix > NETWORK_PREFIX {
            0
        } else {
            1u64 << (NETWORK_PREFIX - self.prefix)
        }
    }

    /// A subnet for every key, or `None` when they do not fit. Each key starts at the slot its
    /// hash picks and takes the next free one, keys in sorted order: the same keys always get
    /// the same subnets, and adding a network rarely moves another.
    pub fn allocate(&self, keys: &[String]) -> Option<BTreeMap<String, String>> {
        let slots = self.slots();
        if keys.len() as u64 > slots {
            return None;
        }
        let mut sorted: Vec<&String> = keys.iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut taken = BTreeSet::new();
        let mut out = BTreeMap::new();
        for key in sorted {
            let digest = Sha256::digest(key.as_bytes());
            let mut first = [0u8; 8];
            first.copy_from_slice(&digest[..8]);
            let mut slot = u64::from_be_bytes(first) % slots;
            while !taken.insert(slot) {
                slot = (slot + 1) % slots;
            }
            let size = 1u64 << (32 - NETWORK_PREFIX);
            let start = u64::from(self.base) + slot * size;
            let addr = Ipv4Addr::from(u32::try_from(start).ok()?);
            out.insert(key.clone(), format!("{addr}/{NETWORK_PREFIX}"));
        }
        Some(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Rules

/// Findings gathered over profiles, so each is reported once with the profiles it holds in.
type Gathered = BTreeMap<(Span, Code, String), (Diagnostic, Vec<String>)>;

fn gather(
    by: &mut Gathered,
    span: Span,
    code: Code,
    key: &str,
    profile: &str,
    d: impl FnOnce() -> Diagnostic,
) {
    by.entry((span, code, key.to_string()))
        .or_insert_with(|| (d(), Vec::new()))
        .1
        .push(profile.to_string());
}

fn profile_list(profiles: &[String]) -> String {
    let quoted: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    if quoted.len() == 1 {
        format!("profile {}", quoted[0])
    } else {
        format!("profiles {}", quoted.join(", "))
    }
}

/// Every rule of reachability: undefined and self targets, connections to left-out services,
/// dependencies without a connection, networks joined by hand, the pool, and ports that cannot
/// be published.
pub fn check(stack: &Resolved, diags: &mut Diagnostics) {
    let names: Vec<&String> = stack.services.keys().collect();
    for service in stack.services.values() {
        let bodies = std::iter::once(&service.body)
            .chain(service.body.whens.iter().map(|w| w.body.as_ref()));
        for body in bodies {
            for t in body.talks_to.values() {
                let target = Spanned::new(t.value.service.clone(), t.span);
                if !stack.services.contains_key(&target.value) {
                    undefined(diags, "service", &target, names.iter().copied());
                } else if target.value == service.name.value {
                    diags.push(
                        Diagnostic::error(
                            Code::TalksToSelf,
                            format!("service `{}` talks to itself", target.value),
                        )
                        .label(t.span, "its own name")
                        .help(
                            "a service always reaches itself on localhost: remove this `talks-to`",
                        ),
                    );
                }
            }
        }
    }
    let pool = stack.isolation_pool.as_ref();
    let parsed = Pool::parse(pool_text(stack));
    if let (Some(p), Err(e)) = (pool, &parsed) {
        diags.push(
            Diagnostic::error(
                Code::IsolationPool,
                format!("`isolation-pool=\"{}\"` is not a usable pool", p.value),
            )
            .label(p.span, e.clone())
            .help("write an IPv4 CIDR block such as `isolation-pool=\"172.30.64.0/18\"`"),
        );
    }
    let external: BTreeSet<String> = stack
        .networks
        .values()
        .filter(|n| n.external)
        .map(|n| n.key.value.clone())
        .collect();
    let mut by = Gathered::new();
    for profile in &stack.profiles {
        let reach = model(stack, profile);
        let pname = profile.name.value.as_str();
        if reach.isolated
            && let Ok(p) = &parsed
        {
            let needed = reach.links.len() + reach.outside.len();
            if needed as u64 > p.slots() {
                let span = pool.map_or(profile.span, |p| p.span);
                gather(&mut by, span, Code::IsolationPool, "", pname, || {
                    Diagnostic::error(
                        Code::IsolationPool,
                        format!(
                            "the isolation pool `{}` holds {} networks of /{NETWORK_PREFIX}; isolation needs {needed}",
                            pool_text(stack),
                            p.slots()
                        ),
                    )
                    .label(span, "too small")
                    .help(format!(
                        "give the project a larger `isolation-pool=` (a /{} holds {needed})",
                        smallest_prefix(needed as u64)
                    ))
                });
            }
        }
        for (name, service) in &stack.services {
            if stack.tainted.contains(name) {
                continue;
            }
            let Some(body) = stack.shape(service, profile) else {
                continue;
            };
            check_service(
                stack, profile, &reach, &external, name, service, &body, &mut by,
            );
        }
        let _ = pname;
    }
    for (_, (mut d, profiles)) in by {
        d.message = format!("{} in {}", d.message, profile_list(&profiles));
        diags.push(d);
    }
}

fn smallest_prefix(networks: u64) -> u8 {
    let mut prefix = NETWORK_PREFIX;
    while prefix > 0 && (1u64 << (NETWORK_PREFIX - prefix)) < networks {
        prefix -= 1;
    }
    prefix
}

#[allow(clippy::too_many_arguments)]
fn check_service(
    stack: &Resolved,
    profile: &Profile,
    reach: &Reachability,
    external: &BTreeSet<String>,
    name: &str,
    service: &crate::analysis::resolve::ResolvedService,
    body: &ServiceBody,
    by: &mut Gathered,
) {
    let pname = profile.name.value.as_str();
    let peer = &reach.services[name];
    for t in body.talks_to.values() {
        let target = &t.value.service;
        if !stack.services.contains_key(target) || target == name {
            continue; // reported once above
        }
        match reach.services.get(target) {
            None if t.value.required => {
                gather(by, t.span, Code::TalksToLeftOut, target, pname, || {
                    Diagnostic::error(
                    Code::TalksToLeftOut,
                    format!("`{name}` talks to `{target}`, which is left out"),
                )
                .label(t.span, format!("`{target}` is not in these profiles"))
                .help(format!(
                    "add `required=#false` to the `talks-to`, or leave `{name}` out of the same profiles (`only-in`)"
                ))
                })
            }
            Some(other)
                if reach.isolated
                    && (other.network_mode.is_some() || peer.network_mode.is_some()) =>
            {
                let (who, mode) = match &peer.network_mode {
                    Some(m) => (name, m.as_str()),
                    None => (
                        target.as_str(),
                        other.network_mode.as_deref().unwrap_or_default(),
                    ),
                };
                gather(
                    by,
                    t.span,
                    Code::NetworkModeBesideIsolation,
                    target,
                    pname,
                    || {
                        Diagnostic::warning(
                        Code::NetworkModeBesideIsolation,
                        format!("`{name}` talks to `{target}`, but `{who}` has `network-mode \"{mode}\"`: isolation gives them no network"),
                    )
                    .label(t.span, "no network for this connection")
                    .help("a service with `network-mode` shares another namespace and joins no network; reach it through that namespace, or drop `network-mode`")
                    },
                );
            }
            Some(_) if !reach.isolated && peer.network_mode.is_none() => {
                let other = &reach.services[target];
                let shared = other.network_mode.is_some()
                    || if peer.networks.is_empty() || other.networks.is_empty() {
                        peer.networks.is_empty() && other.networks.is_empty()
                    } else {
                        peer.networks.iter().any(|n| other.networks.contains(n))
                    };
                if !shared {
                    gather(
                        by,
                        t.span,
                        Code::TalksToNoSharedNetwork,
                        target,
                        pname,
                        || {
                            Diagnostic::warning(
                            Code::TalksToNoSharedNetwork,
                            format!("`{name}` talks to `{target}`, but they share no network"),
                        )
                        .label(t.span, "cannot connect")
                        .help(format!(
                            "put `{name}` on one of `{target}`'s networks ({}), or the other way round",
                            list_or_default(&other.networks)
                        ))
                        },
                    );
                }
            }
            _ => {}
        }
    }
    if reach.isolated && peer.network_mode.is_none() {
        for dep in body.depends_on.values() {
            let target = &dep.value.service;
            let Some(other) = reach.services.get(target) else {
                continue;
            };
            let connected = reach.edges.iter().any(|e| {
                (e.from == name && &e.to == target) || (&e.from == target && e.to == name)
            });
            if !connected
                && other.network_mode.is_none()
                && dep.value.condition != Condition::Completed
            {
                gather(
                    by,
                    dep.span,
                    Code::DependencyWithoutTalksTo,
                    target,
                    pname,
                    || {
                        Diagnostic::warning(
                        Code::DependencyWithoutTalksTo,
                        format!("`{name}` depends on `{target}` but does not talk to it: isolation gives them no common network"),
                    )
                    .label(dep.span, "no `talks-to` for this dependency")
                    .help(format!("add `talks-to \"{target}\"` to `{name}` if it connects to it; a dependency that only orders start-up can wait with `condition=\"completed\"`"))
                    },
                );
            }
        }
        let declares = !reach.networks_of(name).is_empty();
        for (net, span) in &body.networks {
            if external.contains(net) {
                continue;
            }
            let by_when = !service.body.networks.contains_key(net);
            if by_when || !declares {
                gather(by, *span, Code::NetworkBesideIsolation, net, pname, || {
                    let what = if by_when {
                        "this profile's `when` block joins it by hand"
                    } else {
                        "the service declares no `talks-to`, `egress` or port and nothing talks to it"
                    };
                    Diagnostic::warning(
                        Code::NetworkBesideIsolation,
                        format!("`{name}` joins network `{net}` beside isolation: isolation wins and `{net}` is not emitted"),
                    )
                    .label(*span, what)
                    .help(format!(
                        "declare whom `{name}` talks to (`talks-to`), or mark `{net}` `external=#true` to keep it as written; `isolation=#false` on the profile turns isolation off"
                    ))
                });
            }
        }
    }
    if !reach.isolated && peer.network_mode.is_none() && peer.publishes && !peer.networks.is_empty()
    {
        let all_internal = peer.networks.iter().all(|n| {
            stack
                .networks
                .get(n)
                .is_some_and(|n| n.internal && !n.external)
        });
        if all_internal && let Some(port) = body.ports.values().next() {
            gather(
                by,
                port.span,
                Code::PortOnInternalNetwork,
                "",
                pname,
                || {
                    Diagnostic::warning(
                        Code::PortOnInternalNetwork,
                        format!(
                            "`{name}` publishes a port but is only on internal networks ({})",
                            peer.networks.join(", ")
                        ),
                    )
                    .label(port.span, "the engine does not publish this")
                    .help(format!(
                        "put `{name}` on a network that is not `internal=#true`, or remove the port"
                    ))
                },
            );
        }
    }
}

fn list_or_default(networks: &[String]) -> String {
    if networks.is_empty() {
        "`default`".to_string()
    } else {
        networks
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_parse_and_hold_a_power_of_two_of_networks() {
        assert_eq!(Pool::parse("172.30.64.0/18").unwrap().slots(), 2048);
        assert_eq!(Pool::parse("10.0.0.0/29").unwrap().slots(), 1);
        assert_eq!(Pool::parse("10.0.0.0/30").unwrap().slots(), 0);
        assert!(
            Pool::parse("172.30.64.1/18")
                .unwrap_err()
                .contains("172.30.64.0/18")
        );
        assert!(Pool::parse("172.30.64.0").is_err());
        assert!(Pool::parse("172.30.64.0/33").is_err());
        assert!(Pool::parse("fd00::/64").is_err());
    }

    #[test]
    fn allocation_is_deterministic_disjoint_and_stable_under_additions() {
        let pool = Pool::parse("10.1.0.0/24").unwrap(); // 32 slots
        let keys: Vec<String> = (0..20).map(|i| format!("to.s{i}.from.c")).collect();
        let a = pool.allocate(&keys).unwrap();
        assert_eq!(a, pool.allocate(&keys).unwrap());
        let distinct: BTreeSet<&String> = a.values().collect();
        assert_eq!(distinct.len(), keys.len());
        assert!(
            a.values()
                .all(|s| s.starts_with("10.1.0.") && s.ends_with("/29"))
        );
        let mut more = keys.clone();
        more.push("egress.new".into());
        let b = pool.allocate(&more).unwrap();
        let moved = keys.iter().filter(|k| a[*k] != b[*k]).count();
        assert!(moved <= 1, "{moved} subnets moved");
        let too_many: Vec<String> = (0..33).map(|i| format!("n{i}")).collect();
        assert!(pool.allocate(&too_many).is_none());
    }

    #[test]
    fn smallest_prefix_fits() {
        assert_eq!(smallest_prefix(1), 29);
        assert_eq!(smallest_prefix(2), 28);
        assert_eq!(smallest_prefix(2048), 18);
        assert_eq!(smallest_prefix(2049), 17);
    }
}
