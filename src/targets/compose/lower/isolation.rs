//! Isolation: in a profile that lowers reachability ([`crate::analysis::reachability`]), each
//! service's networks become exactly its connections (`to.<server>.from.<client>`, internal) and
//! its outside network (`egress.<service>` or `publish.<service>`, not internal), plus the
//! declared `external` networks it joins, as written. A service left with no network gets
//! `network_mode: none` instead of compose's shared `default` network; a service with its own
//! `network_mode` is left as it is. Every isolation network takes its subnet from the pool.
//!
//! A connection network also takes no address on the host's side of its bridge
//! (`com.docker.network.bridge.inhibit_ipv4`): `internal` alone stops forwarding, but Docker
//! still gives the bridge its gateway address and the container a route to it, so a service with
//! only internal networks could open any listener of the host (measured on Docker 20.10). Without
//! that address, only its peers on the bridge answer. The outside networks keep theirs: egress and
//! published ports go through it. A `publish.<service>` network (ports but no `egress`) is not
//! masqueraded (`com.docker.network.bridge.enable_ip_masquerade`): its published ports answer as
//! before, but what the service opens itself leaves with an address no one routes back.

use std::collections::BTreeSet;

use crate::analysis::reachability::Reachability;
use crate::analysis::resolve::Resolved;

use super::{ComposeFile, ComposeIpam, ComposeIpamConfig, ComposeNetwork};

/// The bridge driver's option that leaves the host without an address on the network.
const INHIBIT_HOST_ADDRESS: &str = "com.docker.network.bridge.inhibit_ipv4";

/// The bridge driver's option that turns off source NAT for what leaves the network.
const NO_MASQUERADE: &str = "com.docker.network.bridge.enable_ip_masquerade";

pub(super) fn apply(stack: &Resolved, reach: &Reachability, file: &mut ComposeFile) {
    if !reach.isolated {
        return;
    }
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (name, service) in file.services.iter_mut() {
        if service.network_mode.is_some() {
            continue;
        }
        let mut nets = reach.networks_of(name);
        nets.extend(
            service
                .networks
                .iter()
                .filter(|n| stack.networks.get(*n).is_some_and(|n| n.external))
                .cloned(),
        );
        nets.sort();
        nets.dedup();
        if nets.is_empty() {
            service.network_mode = Some("none".into());
        }
        used.extend(nets.iter().cloned());
        service.networks = nets;
    }
    file.networks.retain(|key, _| used.contains(key));
    let network =
        |internal: bool, option: Option<(&str, &str)>, subnet: &Option<String>| ComposeNetwork {
            driver_opts: option
                .map(|(key, value)| (key.to_string(), value.into()))
                .into_iter()
                .collect(),
            internal: internal.then_some(true),
            ipam: subnet.as_ref().map(|subnet| ComposeIpam {
                config: vec![ComposeIpamConfig {
                    subnet: subnet.clone(),
                    gateway: None,
                }],
            }),
            ..Default::default()
        };
    for link in &reach.links {
        file.networks.insert(
            link.network.clone(),
            network(true, Some((INHIBIT_HOST_ADDRESS, "true")), &link.subnet),
        );
    }
    for outside in reach.outside.values() {
        let option = (!outside.egress).then_some((NO_MASQUERADE, "false"));
        file.networks.insert(
            outside.network.clone(),
            network(false, option, &outside.subnet),
        );
    }
}
