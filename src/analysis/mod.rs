//! Passes over the decoded stack: [`resolve`] (name tables, templates, classes, the shape of a
//! service in a profile) and [`validate`] (every rule with a stable code). Reachability and audit
//! rules belong here too. Uses [`crate::lang`] and [`crate::diag`]; does no I/O.

pub mod audit;
pub mod generate;
pub mod inputs;
pub mod reachability;
pub mod resolve;
pub mod validate;
