//! Exceptions to hardening written with plain nodes (`sysctl`, `ipc "host"`, `cgroup-parent`,
//! ...): each needs `reason=`, by the node's [`Exception`](crate::lang::vocabulary::Exception).

use crate::diag::Diagnostics;
use crate::lang::model::*;
use crate::lang::vocabulary::{self, Context};

use super::references::exception;

pub(super) fn check_plain_exceptions(body: &ServiceBody, diags: &mut Diagnostics) {
    for ((node, entry), setting) in &body.plain {
        let Some(spec) = vocabulary::lookup(Context::Service, node) else {
            continue;
        };
        let values: Vec<String> = match &setting.value {
            PlainValue::One(v) => vec![v.text()],
            PlainValue::Many(vs) => vs.iter().map(Scalar::text).collect(),
        };
        let applies = values.iter().any(|v| spec.exception.applies_to(v));
        if applies && setting.reason.is_none() {
            let kdl = |v: &Scalar| match v {
                Scalar::String(s) => format!("{s:?}"),
                Scalar::Bool(b) => format!("#{b}"),
                other => other.text(),
            };
            let mut written = node.clone();
            if !entry.is_empty() {
                written.push_str(&format!(" {entry:?}"));
            }
            match &setting.value {
                PlainValue::One(v) => written.push_str(&format!(" {}", kdl(v))),
                PlainValue::Many(vs) => {
                    for v in vs {
                        written.push_str(&format!(" {}", kdl(v)));
                    }
                }
            }
            exception(
                diags,
                setting.span,
                &format!("`{written}`"),
                &format!("{written} reason=\"...\""),
            );
        }
    }
}
