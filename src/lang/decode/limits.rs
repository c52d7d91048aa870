//! Service nodes of resources: limits and reservations, pids, ulimits, shared memory, GPUs.

use super::Decoder;
use super::node::Node;
use crate::lang::syntax::Value;

use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;

impl Decoder<'_> {
    pub(super) fn limits_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "resources" => body.resources = Some(c.setting(resources(c))),
            "reserve" => body.reserve = Some(c.setting(resources(c))),
            "pids-limit" => body.pids_limit = c.arg_int().map(|i| c.setting(i)),
            "ulimit" => self.ulimit(c, body),
            "shm-size" => body.shm_size = first().map(|s| c.setting(s.value)),
            "gpu" => body.gpu = Some(c.setting(gpu(c))),
            _ => return false,
        }
        true
    }

    pub(super) fn ulimit(&mut self, c: Node<'_>, body: &mut ServiceBody) {
        let Some(name) = c.arg_string(0) else { return };
        // A value outside 64 bits is reported by the vocabulary check; it must not wrap.
        let out_of_range =
            |v: &Value<'_>| v.as_integer().is_some_and(|i| i64::try_from(i).is_err());
        if c.args().get(1).is_some_and(|(v, _)| out_of_range(v))
            || ["soft", "hard"]
                .iter()
                .any(|p| c.prop(p).is_some_and(|(v, _)| out_of_range(v)))
        {
            return;
        }
        let single = c
            .args()
            .get(1)
            .and_then(|(v, _)| v.as_integer())
            .and_then(|i| i64::try_from(i).ok());
        let (soft, hard) = (c.prop_int("soft"), c.prop_int("hard"));
        let limit = match (single, soft, hard) {
            (Some(v), None, None) => Ulimit::Single(v),
            (None, Some(s), Some(h)) => Ulimit::Range { soft: s, hard: h },
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::MissingProperty,
                        format!(
                            "`ulimit \"{}\"` needs a single value or both `soft=` and `hard=`",
                            name.value
                        ),
                    )
                    .label(c.head(), "incomplete ulimit")
                    .help(format!(
                        "e.g. `ulimit \"{}\" soft=65536 hard=65536`",
                        name.value
                    )),
                );
                return;
            }
        };
        body.ulimits.insert(name.value, c.setting(limit));
    }
}

pub(super) fn resources(c: Node<'_>) -> Resources {
    Resources {
        cpus: c.prop_number("cpus"),
        memory: c.prop_string("memory"),
        pids: c.prop_int("pids"),
    }
}

pub(super) fn gpu(c: Node<'_>) -> Gpu {
    let list = |s: String| -> Vec<String> {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    Gpu {
        count: c.prop("count").and_then(|(v, _)| match v {
            Value::Integer(i) => i64::try_from(*i).ok().map(GpuCount::Count),
            Value::String(s) if s == "all" => Some(GpuCount::All),
            _ => None,
        }),
        device_ids: c.prop_string("device-ids").map(list),
        driver: c.prop_string("driver").unwrap_or_else(|| "nvidia".into()),
        capabilities: list(
            c.prop_string("capabilities")
                .unwrap_or_else(|| "gpu".into()),
        ),
    }
}
