//! Dependency cycles between services, found in one graph walk.

use std::collections::HashMap;

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::Span;

/// One walk over the dependency graph (base and every `when`), reporting each cycle once.
/// The most services a cycle's message names.
const MAX_NAMED: usize = 8;

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
        /// On the DFS path, at this index.
        Active(usize),
        Done,
    }
    let mut mark: HashMap<&str, Mark> = graph.keys().map(|k| (*k, Mark::New)).collect();
    for start in stack.services.keys() {
        if mark[start.as_str()] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index); `path` mirrors the active stack.
        let mut stack_: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        mark.insert(start.as_str(), Mark::Active(0));
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
                    mark.insert(next.as_str(), Mark::Active(stack_.len()));
                    stack_.push((next.as_str(), 0));
                }
                Some(Mark::Active(pos)) => {
                    // A long cycle is named by its ends: the message stays short however
                    // many services it holds.
                    let members = &stack_[pos..];
                    let mut cycle: Vec<String> = Vec::new();
                    if members.len() > MAX_NAMED {
                        cycle.extend(members[..MAX_NAMED / 2].iter().map(|(n, _)| n.to_string()));
                        cycle.push(format!("… ({} services) …", members.len() - MAX_NAMED));
                        cycle.extend(
                            members[members.len() - MAX_NAMED / 2..]
                                .iter()
                                .map(|(n, _)| n.to_string()),
                        );
                    } else {
                        cycle.extend(members.iter().map(|(n, _)| n.to_string()));
                    }
                    cycle.push(next.clone());
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
