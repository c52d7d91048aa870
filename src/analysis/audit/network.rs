//! Network rules: privileged host ports (PMA023), ports bound to every host interface
//! (PMA024), compose's default network (PMA025), and what reaches outside the stack (PMA031).

use crate::diag::Severity;
use crate::lang::values::interpolation_default;

use super::rules::{self, Level};
use super::subject::Subject;
use super::{Finding, interpolated};

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    if s.body.network_mode.is_some() {
        return; // no ports of its own and no networks; the namespace rules cover it
    }
    let publish_host = s.class.and_then(|c| c.publish_host.as_ref());
    for port in s.body.ports.values() {
        let p = &port.value;
        let host_port = p.host_port();
        let shown = format!(
            "{}:{}",
            p.host.clone().unwrap_or_else(|| p.container.to_string()),
            p.container
        );
        if let Some(hp) = host_port
            && hp < 1024
        {
            out.push(
                s.finding(
                    rules::PRIVILEGED_PORT,
                    port.span,
                    format!("publishes privileged host port {hp} (`{shown}`)"),
                )
                .reason(port.reason.as_ref()),
            );
        }
        let address = p
            .host_ip
            .as_deref()
            .or(publish_host.map(|h| h.value.as_str()));
        let everywhere = |a: &str| matches!(a.trim_matches(['[', ']']), "0.0.0.0" | "::" | "");
        let open = match address {
            None => Some("on every host interface".to_string()),
            Some(a) if interpolated(a) => match interpolation_default(a) {
                _ if s.profile.hardened => {
                    Some(format!("on a host address the environment chooses (`{a}`)"))
                }
                Some(d) if everywhere(d) => Some(format!("on every host interface (`{a}`)")),
                _ => None,
            },
            Some(a) if everywhere(a) => Some(format!("on every host interface (`{a}`)")),
            Some(_) => None,
        };
        if let Some(open) = open {
            // Accepted only when the port says where it listens: `host-ip="0.0.0.0" reason=...`.
            let reason = port.reason.as_ref().filter(|_| p.host_ip.is_some());
            out.push(
                s.finding(
                    rules::HOST_INTERFACE,
                    port.span,
                    format!("publishes `{shown}` {open}"),
                )
                .reason(reason)
                .lint(&["CL-0005"])
                .build(Severity::Warning),
            );
        }
    }
    let on_default = if s.reach.isolated {
        false // isolation gives every service its networks, or none
    } else {
        s.body.networks.is_empty()
    };
    if on_default {
        out.push(s.finding(
            rules::DEFAULT_NETWORK,
            s.missing_at(),
            "is on compose's default network (no `network`)",
        ));
    }
    if let Some(peer) = s.reach.services.get(s.name) {
        if let Some(hosts) = &peer.egress {
            let span = s.body.egress.as_ref().map_or(s.node, |e| e.span);
            let to = if hosts.is_empty() {
                "anywhere".to_string()
            } else {
                hosts
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push(
                s.finding(
                    rules::EGRESS,
                    span,
                    format!("reaches outside the stack: {to}"),
                )
                .level(Level::Info),
            );
        } else if s.reach.isolated
            && let Some(o) = s.reach.outside.get(s.name)
        {
            out.push(
                s.finding(
                    rules::EGRESS,
                    s.body.ports.values().next().map_or(s.node, |p| p.span),
                    format!(
                        "publishes ports, so its network `{}` also leads outside (compose cannot publish from an internal network)",
                        o.network
                    ),
                )
                .level(Level::Info),
            );
        }
    }
}
