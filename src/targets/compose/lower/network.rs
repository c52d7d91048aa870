//! Networking and storage of a service: ports, `expose`, networks or `network_mode`, extra hosts,
//! volumes; and the top-level network definitions.

use crate::lang::model::*;

use super::{ComposeIpam, ComposeIpamConfig, ComposeNetwork, ComposeService};

pub(super) fn lower_network(n: &Network) -> ComposeNetwork {
    if n.external {
        return ComposeNetwork {
            name: n.name.clone(),
            external: Some(true),
            ..Default::default()
        };
    }
    ComposeNetwork {
        name: n.name.clone(),
        driver: n.driver.clone(),
        driver_opts: Default::default(),
        external: None,
        internal: n.internal.then_some(true),
        attachable: n.attachable.then_some(true),
        ipam: n.subnet.as_ref().map(|subnet| ComposeIpam {
            config: vec![ComposeIpamConfig {
                subnet: subnet.clone(),
                gateway: n.gateway.clone(),
            }],
        }),
    }
}

/// Ports (a port that names no `host-ip` binds to the class's `publish-host`, if any),
/// `expose`, networks or `network_mode`, extra hosts.
pub(super) fn ports_and_networks(
    body: &ServiceBody,
    publish_host: Option<&str>,
    s: &mut ComposeService,
) {
    let mut ports: Vec<(u16, String, String)> = body
        .ports
        .values()
        .map(|p| {
            let p = &p.value;
            let host = p.host.clone().unwrap_or_else(|| p.container.to_string());
            let host_ip = p.host_ip.as_deref().or(publish_host);
            let mut text = match host_ip {
                Some(ip) if ip.contains(':') => format!("[{ip}]:{host}:{}", p.container),
                Some(ip) => format!("{ip}:{host}:{}", p.container),
                None => format!("{host}:{}", p.container),
            };
            if p.protocol != "tcp" {
                text.push('/');
                text.push_str(&p.protocol);
            }
            (p.container, p.protocol.clone(), text)
        })
        .collect();
    ports.sort();
    s.ports = ports.into_iter().map(|(_, _, t)| t).collect();
    if let Some(expose) = &body.expose {
        let mut e = expose.value.clone();
        e.sort();
        e.dedup();
        s.expose = e.iter().map(u16::to_string).collect();
    }
    if let Some(mode) = &body.network_mode {
        s.network_mode = Some(mode.value.clone());
    } else {
        let mut nets: Vec<String> = body.networks.keys().cloned().collect();
        nets.sort();
        s.networks = nets;
    }
    s.extra_hosts = body
        .extra_hosts
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
}

pub(super) fn volumes(body: &ServiceBody, s: &mut ComposeService) {
    let mut volumes: Vec<(String, String)> = body
        .volumes
        .values()
        .map(|m| {
            let m = &m.value;
            let mut text = format!("{}:{}", m.source, m.target);
            if m.read_only {
                text.push_str(":ro");
            }
            (m.target.clone(), text)
        })
        .collect();
    volumes.sort();
    s.volumes = volumes.into_iter().map(|(_, t)| t).collect();
}
