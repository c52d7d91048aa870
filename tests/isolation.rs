//! Isolation, checked on the compose files it produces (the engine test measures the same on a
//! running engine): in the PMOVES hardened and gpu files, two services share a network exactly
//! when one declared `talks-to` the other or both join the same declared external network; each
//! connection network holds its two services and is internal; each outside network holds one
//! service; a connection network leaves the host no address on its bridge (so a service with
//! connections only reaches no listener of the host) and a network for published ports alone
//! does not masquerade; every subnet is a distinct /29 inside the
//! project's pool; and nothing lands on compose's `default` network.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use pmovesc::analysis::reachability::{self, Pool};
use serde_json::Value;

fn pmoves() -> (pmovesc::analysis::resolve::Resolved, pmovesc::Output) {
    let sources =
        pmovesc::output::fs::load_stack(&support::manifest_dir().join("stacks")).expect("stacks/");
    let (resolved, _) = pmovesc::analyze(&sources);
    let output = pmovesc::compile(
        &sources,
        &pmovesc::Options {
            keep_models: true,
            ..Default::default()
        },
    );
    assert!(!output.has_errors());
    (resolved.expect("resolves"), output)
}

fn services(file: &Value) -> &serde_json::Map<String, Value> {
    file["services"].as_object().expect("services")
}

/// The networks a service of a compose file joins (its list, or the keys of its map).
fn networks_of(service: &Value) -> Vec<String> {
    match &service["networks"] {
        Value::Array(a) => a
            .iter()
            .filter_map(|n| n.as_str().map(str::to_string))
            .collect(),
        Value::Object(m) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Ordered pairs of services that share a network in a compose file.
fn sharing(file: &Value) -> BTreeSet<(String, String)> {
    let mut members: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, s) in services(file) {
        let nets = networks_of(s);
        if nets.is_empty() && s.get("network_mode").is_none() {
            members.entry("default".into()).or_default().push(name);
        }
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

#[test]
fn pmoves_hardened_files_connect_exactly_what_is_declared() {
    let (stack, output) = pmoves();
    let external: BTreeSet<String> = stack
        .networks
        .values()
        .filter(|n| n.external)
        .map(|n| n.key.value.clone())
        .collect();
    let pool = Pool::parse(
        stack
            .isolation_pool
            .as_ref()
            .map_or(reachability::DEFAULT_POOL, |p| p.value.as_str()),
    )
    .unwrap();
    for profile in stack.profiles.iter().filter(|p| p.hardened) {
        let reach = reachability::model(&stack, profile);
        assert!(reach.isolated, "{} is isolated", profile.name.value);
        let file = &output.models[&profile.file_name()];
        // Declared: each talks-to both ways, plus members of one external network.
        let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
        for e in &reach.edges {
            declared.insert((e.from.clone(), e.to.clone()));
            declared.insert((e.to.clone(), e.from.clone()));
        }
        for net in &external {
            let on: Vec<&String> = services(file)
                .iter()
                .filter(|(_, s)| networks_of(s).contains(net))
                .map(|(n, _)| n)
                .collect();
            for a in &on {
                for b in &on {
                    if a != b {
                        declared.insert((a.to_string(), b.to_string()));
                    }
                }
            }
        }
        let actual = sharing(file);
        let extra: Vec<_> = actual.difference(&declared).collect();
        let missing: Vec<_> = declared.difference(&actual).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{}: undeclared {extra:?}, unreachable {missing:?}",
            profile.name.value
        );
        assert_eq!(actual, reach.reachable_pairs(&external));
        assert!(!actual.iter().any(|(a, _)| a == "default"));
        // Network shape: a connection holds two services and is internal; an outside network
        // holds one and is not; subnets are distinct /29s from the pool.
        let mut subnets = BTreeSet::new();
        for (key, net) in file["networks"].as_object().expect("networks") {
            let members = services(file)
                .values()
                .filter(|s| networks_of(s).contains(key))
                .count();
            if key.starts_with("to.") {
                assert_eq!(members, 2, "{key}");
                assert_eq!(net["internal"], true, "{key}");
                // No host address on the bridge: its two services reach each other only.
                assert_eq!(
                    net["driver_opts"]["com.docker.network.bridge.inhibit_ipv4"], "true",
                    "{key}"
                );
            } else if key.starts_with("egress.") || key.starts_with("publish.") {
                assert_eq!(members, 1, "{key}");
                assert!(net.get("internal").is_none(), "{key}");
                // A network for published ports only does not masquerade what leaves it.
                let masquerade =
                    &net["driver_opts"]["com.docker.network.bridge.enable_ip_masquerade"];
                if key.starts_with("egress.") {
                    assert!(net.get("driver_opts").is_none(), "{key}");
                } else {
                    assert_eq!(masquerade, "false", "{key}");
                }
            } else {
                assert!(
                    external.contains(key),
                    "{key} is neither isolation nor external"
                );
                continue;
            }
            let subnet = net["ipam"]["config"][0]["subnet"]
                .as_str()
                .expect("subnet")
                .to_string();
            assert!(subnet.ends_with("/29"), "{subnet}");
            assert!(subnets.insert(subnet.clone()), "{subnet} twice");
        }
        assert!(subnets.len() as u64 <= pool.slots());
        let n = services(file).len();
        eprintln!(
            "{}: {} of {} ordered pairs share a network ({} networks)",
            profile.name.value,
            actual.len(),
            n * (n - 1),
            file["networks"].as_object().unwrap().len()
        );
    }
    // The same stack without isolation: the tiers as written connect far more.
    let published = stack
        .profiles
        .iter()
        .find(|p| p.name.value == "published")
        .unwrap();
    let tiers = sharing(&output.models[&published.file_name()]);
    let hardened = sharing(&output.models["docker-compose.hardened.yml"]);
    assert!(
        tiers.len() > 2 * hardened.len(),
        "{} vs {}",
        tiers.len(),
        hardened.len()
    );
    eprintln!(
        "published (tiers): {} ordered pairs share a network",
        tiers.len()
    );
}

#[test]
fn subnets_do_not_move_when_a_connection_is_added() {
    let (stack, output) = pmoves();
    let hardened = &output.models["docker-compose.hardened.yml"];
    let before: BTreeMap<&String, &str> = hardened["networks"]
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(k, n)| n["ipam"]["config"][0]["subnet"].as_str().map(|s| (k, s)))
        .collect();
    // Allocate again with one more network: at most one existing subnet moves.
    let pool = Pool::parse(reachability::DEFAULT_POOL).unwrap();
    let mut keys: Vec<String> = before.keys().map(|k| k.to_string()).collect();
    keys.push("to.zz-new.from.archon".into());
    let after = pool.allocate(&keys).unwrap();
    let moved = before
        .iter()
        .filter(|(k, s)| after[k.as_str()] != ***s)
        .count();
    assert!(moved <= 1, "{moved} subnets moved");
    let _ = stack;
}
