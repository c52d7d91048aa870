//! What hardening checks: capabilities, `security_opt` (`no-new-privileges` has a node of its
//! own), `privileged`, `network_mode`, `pid`, `devices`, `user` and `read_only`. An exception
//! the language asks a reason for gets a placeholder `reason=` and a `PMV808` warning.

use super::{Cx, N, V, bool_or_string, string, strings};
use crate::import::yaml::{Node, Value};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    match key {
        "cap_add" => {
            for cap in strings(cx, key, v) {
                out.push(N::new("cap-add").arg(cap));
            }
        }
        "cap_drop" => {
            let caps = strings(cx, key, v);
            if !caps.is_empty() {
                out.push(N::new("cap-drop").args(caps));
            }
        }
        "security_opt" => {
            for opt in strings(cx, key, v) {
                let nnp = opt
                    .strip_prefix("no-new-privileges")
                    .map(|rest| rest.trim_start_matches([':', '=']));
                match nnp {
                    Some("" | "true") => out.push(N::new("no-new-privileges").arg(true)),
                    Some("false") => out.push(N::new("no-new-privileges").arg(false)),
                    _ => {
                        let reason = cx.reason(&format!("`security_opt: {opt}`"), v.span);
                        out.push(N::new("security-opt").arg(opt).prop("reason", reason));
                    }
                }
            }
        }
        "privileged" => {
            let on = bool_or_string(v);
            let mut n = N::new("privileged").arg(on.clone());
            if on == V::B(true) {
                n.set("reason", cx.reason("`privileged: true`", v.span));
            }
            out.push(n);
        }
        "network_mode" | "pid" => {
            let mode = string(v).unwrap_or_default();
            let name = if key == "pid" { "pid" } else { "network-mode" };
            let mut n = N::new(name).arg(mode.as_str());
            if mode == "host" {
                n.set("reason", cx.reason(&format!("`{key}: host`"), v.span));
            }
            out.push(n);
        }
        "devices" => {
            let Some(items) = v.as_seq() else {
                cx.shape(key, v, "a list");
                return true;
            };
            for item in items {
                let spec = match &item.value {
                    Value::Scalar(_) => item.string().unwrap_or_default(),
                    Value::Map(_) => {
                        let get = |k: &str| item.get(k).and_then(Node::string);
                        let Some(source) = get("source") else {
                            cx.shape(key, item, "a device with `source`");
                            continue;
                        };
                        let mut s = source;
                        if let Some(t) = get("target") {
                            s = format!("{s}:{t}");
                            if let Some(p) = get("permissions") {
                                s = format!("{s}:{p}");
                            }
                        }
                        s
                    }
                    Value::Seq(_) => {
                        cx.shape(key, item, "a device");
                        continue;
                    }
                };
                let reason = cx.reason(&format!("the device `{spec}`"), item.span);
                out.push(N::new("device").arg(spec).prop("reason", reason));
            }
        }
        "user" => out.push(N::new("user").arg(string(v).unwrap_or_default())),
        "read_only" => out.push(N::new("read-only").arg(bool_or_string(v))),
        _ => return false,
    }
    true
}
