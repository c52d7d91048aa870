//! Dependency cycles between services, found in one graph walk.

use std::collections::HashMap;

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::Span;

/// One walk over the dependency graph (base and every `when`), reporting each cycle once.
pub(super) fn check_dependency_cycles(stack: &Resolved, diags: &mut Diagnostics) {
    let deps = |body: &ServiceBody| -> Vec<(String, Span)> {
        body.depends_on
            .values()
            .map(|d| (d.value.service.clone(), d.span))
            .chain(body.whens.iter().flat_map(|w| {
                w.body
                    .depends_on
                    .values()
                    .map(|d| (d.value.service.clone(), d.span))
            }))
            .collect()
    };
    let graph: HashMap<&str, Vec<(String, Span)>> = stack
        .services
        .iter()
        .map(|(n, s)| (n.as_str(), deps(&s.body)))
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark: HashMap<&str, Mark> = graph.keys().map(|k| (*k, Mark::New)).collect();
    for start in stack.services.keys() {
        if mark[start.as_str()] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index); `path` mirrors the active stack.
        let mut stack_: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        mark.insert(start.as_str(), Mark::Active);
        while let Some((node, i)) = stack_.last().copied() {
            let edges = &graph[node];
            if i >= edges.len() {
                mark.insert(node, Mark::Done);
                stack_.pop();
                continue;
            }
            stack_.last_mut().expect("non-empty").1 += 1;
            let (next, span) = &edges[i];
            match mark.get(next.as_str()).copied() {
                Some(Mark::New) => {
                    mark.insert(next.as_str(), Mark::Active);
                    stack_.push((next.as_str(), 0));
                }
                Some(Mark::Active) => {
                    let pos = stack_
                        .iter()
                        .position(|(n, _)| *n == next.as_str())
                        .unwrap_or(0);
                    let cycle: Vec<&str> = stack_[pos..]
                        .iter()
                        .map(|(n, _)| *n)
                        .chain([next.as_str()])
                        .collect();
                    diags.push(
                        Diagnostic::error(
                            Code::Cycle,
                            format!(
                                "services depend on each other in a cycle: {}",
                                cycle.join(" -> ")
                            ),
                        )
                        .label(*span, "this dependency closes the cycle")
                        .help("compose cannot start a cycle; remove one `depends-on`"),
                    );
                }
                _ => {}
            }
        }
    }
}
