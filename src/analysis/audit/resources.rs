//! Resource limits: memory (PMA009), CPU (PMA010), processes (PMA011), and ulimits (PMA029).
//! A limit of 0 (or -1 for processes) is no limit: the engine reads it as unlimited.

use crate::diag::Severity;
use crate::lang::model::*;
use crate::lang::source::Span;

use super::Finding;
use super::rules::{self, Level};
use super::subject::Subject;

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    let own = s.body.resources.as_ref();
    let class = s.class.and_then(|c| c.resources.as_ref());
    // The node a limit came from: the service's `resources`, else the class's.
    let source = |has: fn(&Resources) -> bool| -> Option<&Setting<Resources>> {
        own.filter(|r| has(&r.value))
            .or_else(|| class.filter(|r| has(&r.value)))
    };
    let require_limits = s.class_requires("limits");

    let memory = source(|r| r.memory.is_some());
    let mem_value = memory.and_then(|r| r.value.memory.as_deref());
    let zero_memory = mem_value.is_some_and(size_is_zero);
    if mem_value.is_none() || zero_memory {
        let message = if zero_memory {
            "has memory limit `0`, which is no limit".to_string()
        } else {
            "has no memory limit".to_string()
        };
        out.push(limit(
            s,
            rules::MEMORY,
            memory.map(|r| r.span),
            message,
            require_limits && !zero_memory,
        ));
    }
    let cpus = source(|r| r.cpus.is_some());
    let cpu_value = cpus.and_then(|r| r.value.cpus);
    if cpu_value.is_none_or(|c| c <= 0.0) {
        let message = match cpu_value {
            Some(c) => format!("has CPU limit `{c}`, which is no limit"),
            None => "has no CPU limit".to_string(),
        };
        out.push(limit(
            s,
            rules::CPUS,
            cpus.map(|r| r.span),
            message,
            require_limits && cpu_value.is_none(),
        ));
    }
    // Processes: the service's resources, its pids-limit, the class's resources, its pids-limit
    // (the lowering's order).
    let pids: Option<(i64, Span, Option<&crate::lang::source::Spanned<String>>)> = own
        .and_then(|r| r.value.pids.map(|p| (p, r.span, r.reason.as_ref())))
        .or_else(|| {
            s.body
                .pids_limit
                .as_ref()
                .map(|p| (p.value, p.span, p.reason.as_ref()))
        })
        .or_else(|| class.and_then(|r| r.value.pids.map(|p| (p, r.span, None))))
        .or_else(|| {
            s.class
                .and_then(|c| c.pids_limit.as_ref())
                .map(|p| (p.value, p.span, None))
        });
    match pids {
        Some((p, _, _)) if p > 0 => {}
        Some((p, span, reason)) => out.push(
            s.finding(
                rules::PIDS,
                span,
                format!("has process limit `{p}`, which is no limit"),
            )
            .reason(reason)
            .build(Severity::Warning),
        ),
        None => out.push(
            s.finding(rules::PIDS, s.missing_at(), "has no process limit")
                .build(Severity::Warning),
        ),
    }
    for (name, u) in &s.body.ulimits {
        let value = match u.value {
            Ulimit::Single(n) => n.to_string(),
            Ulimit::Range { soft, hard } => format!("{soft}:{hard}"),
        };
        out.push(
            s.finding(
                rules::ULIMITS,
                u.span,
                format!("overrides ulimit `{name}` ({value})"),
            )
            .level(Level::Info)
            .reason(u.reason.as_ref()),
        );
    }
}

fn limit(
    s: &Subject,
    rule: &'static rules::Rule,
    span: Option<Span>,
    message: String,
    required: bool,
) -> Finding {
    let f = s
        .finding(rule, span.unwrap_or(s.missing_at()), message)
        .lint(&["CL-0026"]);
    // A class that requires `limits` already makes a missing one an error (PMV305).
    if required {
        f
    } else {
        f.build(Severity::Warning)
    }
}

/// Whether a compose size is zero (`0`, `0m`, `0.0g`, ...).
fn size_is_zero(s: &str) -> bool {
    let digits: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits.parse::<f64>().is_ok_and(|n| n == 0.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn zero_sizes() {
        for z in ["0", "0m", "0.0g", "00b"] {
            assert!(super::size_is_zero(z), "{z}");
        }
        for n in ["1", "512m", "0.5g"] {
            assert!(!super::size_is_zero(n), "{n}");
        }
    }
}
