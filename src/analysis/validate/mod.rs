//! Validation: every rule with a stable code, over the resolved stack and over each profile's
//! shape of it. Rules push into the sink and never stop early. Every pass here is linear in the
//! number of services (hash lookups, one graph walk), so 10,000-service stacks stay fast.
//!
//! One file per family of rules: `references` (names a body uses, exceptions with reasons),
//! `exceptions` (exceptions written with plain nodes), `cycles` (dependency cycles), `profiles`
//! (rules over each profile's shape), `classes` (hardening classes and what they require),
//! `containers` (fixed container names), `mcp` (MCP servers), `secrets` (how secrets reach
//! containers), `values` (values compose reads in a context of their own), `runtime` (what a
//! container meets when the engine starts it).

mod classes;
mod containers;
mod cycles;
mod exceptions;
mod mcp;
mod profiles;
mod references;
mod runtime;
mod secrets;
mod values;

use crate::analysis::resolve::{EXEMPT, Resolved, undefined};
use crate::diag::Diagnostics;

pub use mcp::check_mcp_name;

/// Runs every rule.
pub fn validate(stack: &Resolved, diags: &mut Diagnostics) {
    classes::check_classes(stack, diags);
    for class in stack.classes.values() {
        values::check_tmpfs(&class.body.tmpfs, diags);
    }
    if let Some(d) = &stack.default_hardening
        && d.value != EXEMPT
        && !stack.classes.contains_key(&d.value)
    {
        undefined(diags, "hardening class", d, stack.classes.keys());
    }
    values::check_input_defaults(stack, diags);
    for service in stack.services.values() {
        references::check_body_refs(stack, &service.body, diags);
        values::check_body_values(stack, &service.body, diags);
        for when in &service.body.whens {
            references::check_selector(stack, &when.selector, diags);
            references::check_body_refs(stack, &when.body, diags);
            values::check_body_values(stack, &when.body, diags);
        }
        if let Some(only) = &service.body.only_in {
            for s in &only.value {
                references::check_selector(stack, s, diags);
            }
        }
    }
    cycles::check_dependency_cycles(stack, diags);
    profiles::check_profiles(stack, diags);
    containers::check_container_names(stack, diags);
    mcp::check_mcp(stack, diags);
    secrets::check_secrets(stack, diags);
    crate::analysis::inputs::check_inputs(stack, diags);
    crate::analysis::reachability::check(stack, diags);
    crate::analysis::audit::check(stack, diags);
}
