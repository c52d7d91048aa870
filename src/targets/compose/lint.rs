//! The audit trail of a stack's exceptions, for outside scanners.
//!
//! Every exception a stack makes to hardening carries a `reason=`. compose-lint (PyPI) reads
//! reasoned suppressions from `.compose-lint.yml` beside the compose file it checks, so pmovesc
//! writes that file from the audit's accepted findings ([`crate::analysis::audit`]): each
//! compose-lint rule that reports the same thing as an accepted finding is suppressed for that
//! service, with the finding's reason, and nothing else is. A finding the stack does not explain
//! stays visible.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::audit::Finding;

pub const COMPOSE_LINT_FILE: &str = ".compose-lint.yml";

/// `.compose-lint.yml`: `rules: {CL-xxxx: {exclude_services: {service: reason}}}`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ComposeLintConfig {
    pub rules: BTreeMap<&'static str, RuleConfig>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleConfig {
    pub exclude_services: BTreeMap<String, String>,
}

/// Suppressions for every accepted finding (of every profile). Findings are sorted, so when two
/// accepted findings of one service map to one compose-lint rule, the first rule's reason is
/// kept: the same stack always writes the same file.
pub fn compose_lint_config(findings: &[Finding]) -> ComposeLintConfig {
    let mut config = ComposeLintConfig::default();
    for f in findings {
        let Some(reason) = &f.accepted else { continue };
        for rule in &f.compose_lint {
            config
                .rules
                .entry(rule)
                .or_default()
                .exclude_services
                .entry(f.service.clone())
                .or_insert_with(|| reason.value.clone());
        }
    }
    config
}
