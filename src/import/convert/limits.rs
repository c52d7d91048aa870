//! Resource limits: `deploy.resources` (limits, reservations, GPU devices), the service-level
//! `cpus`, `mem_limit`, `mem_reservation` and `pids_limit`, `ulimits` and `shm_size`.

use super::{Cx, N, V, int_or_string, string, strings, value};
use crate::import::yaml::{Kind, Node};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    match key {
        "deploy" => deploy(cx, v, out),
        "cpus" => {
            if let Some(c) = cpus(cx, v) {
                out.push(N::new("resources").prop("cpus", c));
            }
        }
        "mem_limit" => out.push(N::new("resources").prop("memory", size(v))),
        "mem_reservation" => out.push(N::new("reserve").prop("memory", size(v))),
        "pids_limit" => out.push(N::new("pids-limit").arg(int_or_string(v))),
        "ulimits" => out.extend(ulimits(cx, v)),
        "shm_size" => out.push(N::new("shm-size").arg(size(v))),
        _ => return false,
    }
    true
}

/// A byte size as the language writes it: `512m`, or the number of bytes.
fn size(v: &Node) -> V {
    V::S(v.string().unwrap_or_default())
}

/// CPUs as a decimal (`cpus: 2` is `cpus=2.0`); a variable is kept as a string.
fn cpus(cx: &mut Cx<'_>, v: &Node) -> Option<V> {
    let text = v.string().unwrap_or_default();
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(V::F(value::decimal(f))),
        _ if text.contains('$') => Some(V::S(text)),
        _ => {
            cx.shape("cpus", v, "a number of CPUs");
            None
        }
    }
}

fn deploy(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let Some(entries) = v.as_map() else {
        cx.shape("deploy", v, "a mapping");
        return;
    };
    for e in entries {
        match e.key.as_str() {
            "resources" => resources(cx, &e.value, out),
            k if k.starts_with("x-") => {}
            other => cx.inexpressible_key(
                &format!("deploy.{other}"),
                &e.value,
                "import writes only `deploy.resources` (as `resources`, `reserve` and `gpu`) so far",
            ),
        }
    }
}

fn resources(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    for e in v.as_map().unwrap_or_default() {
        let val = &e.value;
        match e.key.as_str() {
            "limits" | "reservations" => {
                let name = if e.key == "limits" {
                    "resources"
                } else {
                    "reserve"
                };
                let mut n = N::new(name);
                for l in val.as_map().unwrap_or_default() {
                    match l.key.as_str() {
                        "cpus" => {
                            if let Some(c) = cpus(cx, &l.value) {
                                n.set("cpus", c);
                            }
                        }
                        "memory" => n.set("memory", size(&l.value)),
                        "pids" if name == "resources" => n.set("pids", int_or_string(&l.value)),
                        "devices" if name == "reserve" => devices(cx, &l.value, out),
                        other => cx.inexpressible_key(
                            &format!("deploy.resources.{}.{other}", e.key),
                            &l.value,
                            "no form writes this resource",
                        ),
                    }
                }
                if !n.props.is_empty() {
                    out.push(n);
                }
            }
            other => cx.shape(
                &format!("deploy.resources.{other}"),
                val,
                "limits or reservations",
            ),
        }
    }
}

/// GPU reservations: `gpu count= | device-ids= driver= capabilities=`. A reservation with
/// neither count nor ids takes every GPU in compose: written `count="all"` (the defect report
/// names it).
fn devices(cx: &mut Cx<'_>, v: &Node, out: &mut Vec<N>) {
    let Some(items) = v.as_seq() else {
        cx.shape("deploy.resources.reservations.devices", v, "a list");
        return;
    };
    for item in items {
        let caps = item
            .get("capabilities")
            .map(|c| strings(cx, "capabilities", c))
            .unwrap_or_default();
        let driver = item.get("driver").and_then(Node::string);
        if !is_gpu(&caps, driver.as_deref()) {
            cx.inexpressible_key(
                "deploy.resources.reservations.devices",
                item,
                "only GPU reservations (capability `gpu`) have a form",
            );
            continue;
        }
        let mut n = N::new("gpu");
        match (item.get("count"), item.get("device_ids")) {
            (Some(_), Some(_)) => {
                cx.shape(
                    "deploy.resources.reservations.devices",
                    item,
                    "`count` or `device_ids`, not both",
                );
                continue;
            }
            (Some(c), None) => match c.as_scalar().map(|s| s.kind) {
                Some(Kind::Int(i)) => n.set("count", V::I(i)),
                _ => {
                    let text = string(c).unwrap_or_default();
                    if text.contains('$') && !super::service::has_hatch_release() {
                        cx.inexpressible(
                            "deploy.resources.reservations.devices",
                            c,
                            "this version of the language has no GPU count from a variable",
                            &text,
                        );
                        continue;
                    }
                    n.set("count", text);
                }
            },
            (None, Some(ids)) => n.set("device-ids", strings(cx, "device_ids", ids).join(",")),
            (None, None) => n.set("count", "all"),
        }
        if let Some(d) = driver
            && d != "nvidia"
        {
            n.set("driver", d);
        }
        if caps != ["gpu"] {
            n.set("capabilities", caps.join(","));
        }
        if let Some(o) = item.get("options") {
            cx.inexpressible_key(
                "deploy.resources.reservations.devices.options",
                o,
                "device options have no form",
            );
        }
        out.push(n);
    }
}

/// Whether a device reservation is a GPU request: the `gpu` capability, or NVIDIA's driver
/// (whose `compute` and `utility` capabilities select GPUs too).
pub fn is_gpu(capabilities: &[String], driver: Option<&str>) -> bool {
    capabilities.iter().any(|c| c == "gpu") || driver == Some("nvidia")
}

/// `ulimits: {nofile: {soft: 1, hard: 2}, nproc: 65535}`.
pub(super) fn ulimits(cx: &mut Cx<'_>, v: &Node) -> Vec<N> {
    let mut out = Vec::new();
    let Some(entries) = v.as_map() else {
        cx.shape("ulimits", v, "a mapping");
        return out;
    };
    for e in entries {
        let mut n = N::new("ulimit").arg(e.key.clone());
        if e.value.as_map().is_some() {
            if let Some(s) = e.value.get("soft") {
                n.set("soft", int_or_string(s));
            }
            if let Some(h) = e.value.get("hard") {
                n.set("hard", int_or_string(h));
            }
        } else {
            n.args.push(int_or_string(&e.value));
        }
        out.push(n);
    }
    out
}
