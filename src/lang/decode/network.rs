//! Service nodes of networking: ports, `expose`, networks, extra hosts, network mode.

use super::Decoder;
use super::node::Node;
use super::node::scalar_string;
use crate::lang::model::*;

impl Decoder<'_> {
    pub(super) fn network_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "port" => {
                let Some(container) = c.arg_int().and_then(|p| u16::try_from(p).ok()) else {
                    return true;
                };
                let host = c.prop("host").and_then(|(v, _)| scalar_string(v));
                let protocol = c.prop_string("protocol").unwrap_or_else(|| "tcp".into());
                let key = (container, protocol.clone());
                if let Some(prev) = body.ports.get(&key) {
                    self.duplicate_key(
                        "port",
                        &format!("{container}/{protocol}"),
                        c.head(),
                        prev.span,
                    );
                }
                body.ports.insert(
                    key,
                    c.setting(Port {
                        container,
                        host,
                        host_ip: c.prop_string("host-ip"),
                        protocol,
                    }),
                );
            }
            "expose" => {
                let ports: Vec<u16> = c
                    .args()
                    .iter()
                    .filter_map(|(v, _)| v.as_integer().and_then(|p| u16::try_from(p).ok()))
                    .collect();
                match &mut body.expose {
                    Some(e) => e.value.extend(ports),
                    None => body.expose = Some(c.setting(ports)),
                }
            }
            "network" => {
                for s in c.string_args() {
                    body.networks.insert(s.value, s.span);
                }
            }
            "extra-host" => {
                if let (Some(h), Some(ip)) = (first(), c.arg_string(1)) {
                    body.extra_hosts.insert(h.value, c.setting(ip.value));
                }
            }
            "network-mode" => body.network_mode = first().map(|s| c.setting(s.value)),
            _ => return false,
        }
        true
    }
}
