//! `healthcheck`: the probe (`CMD` as `cmd`, `CMD-SHELL` and the string form as `shell`) and
//! its timings.

use super::{Cx, N, int_or_string, string};
use crate::import::yaml::{Node, Value};

pub(super) fn convert(cx: &mut Cx<'_>, key: &str, v: &Node, out: &mut Vec<N>) -> bool {
    if key != "healthcheck" {
        return false;
    }
    let Some(entries) = v.as_map() else {
        cx.shape(key, v, "a mapping");
        return true;
    };
    let mut n = N::new("healthcheck");
    let mut probe: Option<N> = None;
    for e in entries {
        let val = &e.value;
        match e.key.as_str() {
            "test" => match &val.value {
                Value::Scalar(_) => {
                    probe = Some(N::new("shell").arg(string(val).unwrap_or_default()))
                }
                Value::Seq(items) => {
                    let words: Vec<String> = items
                        .iter()
                        .map(|i| i.string().unwrap_or_default())
                        .collect();
                    match words.split_first() {
                        Some((first, rest)) if first == "CMD" && !rest.is_empty() => {
                            probe = Some(N::new("cmd").args(rest.to_vec()));
                        }
                        Some((first, [one])) if first == "CMD-SHELL" => {
                            probe = Some(N::new("shell").arg(one.clone()));
                        }
                        Some((first, _)) if first == "NONE" => {
                            cx.inexpressible_key("healthcheck", v, "a disabled healthcheck (`NONE`) has no form: leave the healthcheck out, or write one");
                            return true;
                        }
                        _ => {
                            cx.shape(
                                "healthcheck.test",
                                val,
                                "`[CMD, ...]`, `[CMD-SHELL, command]` or a string",
                            );
                            return true;
                        }
                    }
                }
                Value::Map(_) => {
                    cx.shape("healthcheck.test", val, "a list or a string");
                    return true;
                }
            },
            "interval" | "timeout" | "start_period" | "start_interval" => {
                n.set(&e.key.replace('_', "-"), string(val).unwrap_or_default());
            }
            "retries" => n.set("retries", int_or_string(val)),
            "disable" => {
                if val.as_scalar().and_then(|s| s.as_bool()) == Some(true) {
                    cx.inexpressible_key("healthcheck", v, "a disabled healthcheck has no form: leave the healthcheck out, or write one");
                    return true;
                }
            }
            k if k.starts_with("x-") => {}
            other => {
                cx.shape(
                    &format!("healthcheck.{other}"),
                    val,
                    "test, interval, timeout, retries, start_period, start_interval or disable",
                );
            }
        }
    }
    match probe {
        Some(p) => {
            n.children.push(p);
            out.push(n);
        }
        None => cx.inexpressible_key(
            "healthcheck",
            v,
            "a healthcheck without `test` (timings for the image's own check) has no form",
        ),
    }
    true
}
