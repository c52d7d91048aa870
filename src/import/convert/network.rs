//! Ports (short and long syntax), `expose`, network attachments and `extra_hosts`.

use super::{Cx, N, V, int_or_string, string, strings};
use crate::import::syntax;
use crate::import::yaml::{Node, Value};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    match key {
        "ports" => ports(cx, v, out),
        "expose" => expose(cx, v, out),
        "networks" => networks(cx, v, out),
        "extra_hosts" => extra_hosts(cx, v, out),
        _ => return false,
    }
    true
}

fn is_port_number(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

fn ports(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let Some(items) = v.as_seq() else {
        cx.shape("ports", v, "a list");
        return;
    };
    for item in items {
        if cx.skipped.contains(&item.span) {
            let place = cx.place(item.span);
            cx.comments.push(format!(
                "not imported (PMV824): ports: {} ({place}): the host port is published by another service",
                cx.sources.slice(item.span).trim()
            ));
            continue;
        }
        let (target, published, host_ip, protocol, extra) = match &item.value {
            Value::Scalar(_) => {
                let text = item.string().unwrap_or_default();
                let Some(p) = syntax::port(&text) else {
                    cx.shape("ports", item, "`[ip:][host:]container[/protocol]`");
                    continue;
                };
                (p.target, p.published, p.host_ip, p.protocol, Vec::new())
            }
            Value::Map(_) => {
                let get = |k: &str| item.get(k).and_then(Node::string);
                let Some(target) = get("target") else {
                    cx.shape("ports", item, "a port with `target`");
                    continue;
                };
                let mut extra: Vec<(&str, String)> = Vec::new();
                if let Some(m) = get("mode").filter(|m| m != "ingress") {
                    extra.push(("mode", m));
                }
                if let Some(n) = get("name") {
                    extra.push(("name", n));
                }
                if let Some(a) = get("app_protocol") {
                    extra.push(("app-protocol", a));
                }
                (
                    target,
                    get("published"),
                    get("host_ip"),
                    get("protocol"),
                    extra,
                )
            }
            Value::Seq(_) => {
                cx.shape("ports", item, "a port");
                continue;
            }
        };
        if !is_port_number(&target) {
            cx.inexpressible(
                "ports",
                item,
                "`port` takes one container port: ranges and variables in the container port have no form",
                &item.string().unwrap_or_else(|| target.clone()),
            );
            continue;
        }
        let mut n = N::new("port").arg(V::I(target.parse().unwrap_or_default()));
        match &published {
            None => n.set("host", "ephemeral"),
            Some(p) if *p == target => {}
            Some(p) if is_port_number(p) => n.set("host", V::I(p.parse().unwrap_or_default())),
            Some(p) if p.contains('-') && !p.contains('$') => {
                cx.inexpressible(
                    "ports",
                    item,
                    "a range of host ports has no form",
                    &item.string().unwrap_or_else(|| p.clone()),
                );
                continue;
            }
            Some(p) if !super::service::has_hatch_release() && !default_is_port(p) => {
                cx.inexpressible(
                    "ports",
                    item,
                    "this version of the language has no host address inside the port variable",
                    &item.string().unwrap_or_else(|| p.clone()),
                );
                continue;
            }
            Some(p) => n.set("host", p.clone()),
        }
        if let Some(ip) = host_ip {
            n.set("host-ip", ip);
        }
        if let Some(p) = protocol.filter(|p| p != "tcp") {
            n.set("protocol", p);
        }
        for (k, v) in extra {
            n.set(k, v);
        }
        out.push(n);
    }
}

/// Whether a `${VAR:-8080}` host port defaults to a port number.
fn default_is_port(p: &str) -> bool {
    let refs = crate::lang::interpolation::references(p);
    refs.len() == 1 && refs[0].range == (0..p.len()) && is_port_number(&refs[0].argument)
}

fn expose(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let mut ports = Vec::new();
    let items: Vec<Node> = match &v.value {
        Value::Seq(items) => items.clone(),
        _ => vec![v.clone()],
    };
    for item in &items {
        let text = item.string().unwrap_or_default();
        if is_port_number(&text) {
            ports.push(int_or_string(item));
        } else {
            cx.inexpressible(
                "expose",
                item,
                "`expose` takes port numbers: ranges and protocols have no form",
                &text,
            );
        }
    }
    if !ports.is_empty() {
        out.push(N::new("expose").args(ports));
    }
}

fn networks(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    match &v.value {
        Value::Seq(_) => {
            for name in strings(cx, "networks", v) {
                out.push(N::new("network").arg(name));
            }
        }
        Value::Map(entries) => {
            for e in entries {
                let mut n = N::new("network").arg(e.key.clone());
                if let Some(settings) = e.value.as_map() {
                    for s in settings {
                        let val = &s.value;
                        if val.is_null() {
                            continue;
                        }
                        match s.key.as_str() {
                            "aliases" | "link_local_ips" => {
                                let list = strings(cx, &s.key, val);
                                let name = if s.key == "aliases" {
                                    "aliases"
                                } else {
                                    "link-local-ips"
                                };
                                n.set(name, list.join(","));
                            }
                            "ipv4_address" | "ipv6_address" | "mac_address" | "interface_name" => {
                                n.set(&s.key.replace('_', "-"), string(val).unwrap_or_default());
                            }
                            "priority" | "gw_priority" => {
                                n.set(&s.key.replace('_', "-"), int_or_string(val));
                            }
                            "driver_opts" => {
                                for (k, value, _) in super::pairs(cx, "driver_opts", val) {
                                    n.children.push(
                                        N::new("driver-opt").arg(k).arg(value.unwrap_or_default()),
                                    );
                                }
                            }
                            other => cx.shape(
                                &format!("networks.{}.{other}", e.key),
                                val,
                                "a key of a network attachment",
                            ),
                        }
                    }
                }
                out.push(n);
            }
        }
        _ => cx.shape("networks", v, "a list or a mapping"),
    }
}

fn extra_hosts(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let mut seen: Vec<String> = Vec::new();
    for item in crate::import::merge::into_sequence(v.clone()) {
        let Some(text) = item.string() else {
            cx.shape("extra_hosts", &item, "`host:address`");
            continue;
        };
        let Some((host, addr)) = syntax::extra_host(&text) else {
            cx.shape("extra_hosts", &item, "`host:address`");
            continue;
        };
        if seen.contains(&host) {
            cx.inexpressible(
                "extra_hosts",
                &item,
                "`extra-host` holds one address per host name",
                &text,
            );
            continue;
        }
        seen.push(host.clone());
        out.push(N::new("extra-host").arg(host).arg(addr));
    }
}
