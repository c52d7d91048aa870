//! The hardening audit: the rules of [`rules::RULES`] over each profile's shape of every
//! service with its hardening class applied (what the compose lowering emits), each finding with
//! the `.kdl` node responsible and, when the stack explains it with `reason=` (or
//! `hardening "exempt" reason=...`), the reason that accepts it.
//!
//! One file per family of rules: `privilege` (privileged, capabilities, no-new-privileges,
//! security options, user), `filesystem` (read-only root, mounts, devices, shared volumes),
//! `namespaces` (host network, PID, IPC, user, UTS, cgroup, sysctls), `credentials` (literal
//! secrets in the environment), `resources` (memory, CPU, PIDs, ulimits), `runtime`
//! (healthcheck, restart, image pins), `network` (ports, default network, egress). `subject`
//! holds the service as the rules see it. [`check`] turns the findings `build` enforces into
//! diagnostics; `pmovesc audit` prints them all; `.compose-lint.yml` is derived from the
//! accepted ones.

mod credentials;
mod filesystem;
mod namespaces;
mod network;
mod privilege;
mod resources;
pub mod rules;
mod runtime;
mod subject;

use std::collections::BTreeMap;

use crate::analysis::reachability;
use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::diag::{Code, Diagnostic, Diagnostics, Severity};
use crate::lang::model::Profile;
use crate::lang::source::{Span, Spanned};

pub use rules::{Level, RULES, Rule};
use subject::Subject;

/// One finding of one rule for one service in one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub level: Level,
    pub profile: String,
    pub service: String,
    /// The node responsible: the setting (in the service, its template or its class), or the
    /// service's name when the setting is missing.
    pub span: Span,
    /// What the service does, as a phrase after its name ("runs privileged").
    pub message: String,
    /// The reason that accepts the finding, where it is written.
    pub accepted: Option<Spanned<String>>,
    /// The compose-lint rules that report the same thing for this service.
    pub compose_lint: Vec<&'static str>,
    /// What `build` makes of it in a hardened profile when it is not accepted.
    pub build: Option<Severity>,
    /// The hardening class applied to the service in this profile (none outside hardened
    /// profiles and for `exempt`).
    pub class: Option<String>,
}

impl Finding {
    fn new(rule: &'static Rule, s: &Subject, span: Span, message: impl Into<String>) -> Self {
        Finding {
            rule,
            level: rule.level,
            profile: s.profile.name.value.clone(),
            service: s.name.to_string(),
            span,
            message: message.into(),
            // An exemption is from container hardening: it does not explain an image without a
            // digest, nor what the service reaches.
            accepted: s
                .exempt
                .filter(|_| !matches!(rule.id, "PMA028" | "PMA031"))
                .cloned(),
            compose_lint: Vec::new(),
            build: None,
            class: s.class_name.map(str::to_string),
        }
    }

    fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }

    /// Accepted by this reason (the setting's own), else by the service's exemption.
    fn reason(mut self, reason: Option<&Spanned<String>>) -> Self {
        if let Some(r) = reason {
            self.accepted = Some(r.clone());
        }
        self
    }

    fn lint(mut self, rules: &[&'static str]) -> Self {
        self.compose_lint.extend_from_slice(rules);
        self
    }

    fn build(mut self, severity: Severity) -> Self {
        self.build = Some(severity);
        self
    }
}

/// Every finding of the given profiles, sorted by rule, service, profile and place.
pub fn audit(stack: &Resolved, profiles: &[&Profile]) -> Vec<Finding> {
    let mut out = Vec::new();
    for profile in profiles {
        let reach = reachability::model(stack, profile);
        let shapes: Vec<(&str, Span, std::borrow::Cow<_>)> = stack
            .services
            .iter()
            .filter(|(n, _)| !stack.tainted.contains(n.as_str()))
            .filter_map(|(n, s)| {
                stack
                    .shape(s, profile)
                    .map(|b| (n.as_str(), s.name.span, b))
            })
            .collect();
        // Named volumes and the services that mount them (shared volumes).
        let mut volume_users: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, _, body) in &shapes {
            for m in body.volumes.values() {
                if !m.value.is_bind() {
                    volume_users.entry(&m.value.source).or_default().push(name);
                }
            }
        }
        for (name, node, body) in &shapes {
            let class_name = stack.class_of(body);
            let exempt = body
                .hardening
                .as_ref()
                .filter(|h| h.value == EXEMPT)
                .and_then(|h| h.reason.as_ref());
            let class = if profile.hardened {
                class_name
                    .as_ref()
                    .filter(|c| c.value != EXEMPT)
                    .and_then(|c| stack.classes.get(&c.value))
            } else {
                None
            };
            let s = Subject {
                profile,
                name,
                node: *node,
                body,
                class: class.map(|c| &c.body),
                class_name: class.map(|c| c.name.value.as_str()),
                exempt,
                reach: &reach,
                volume_users: &volume_users,
            };
            privilege::check(&s, &mut out);
            filesystem::check(&s, &mut out);
            namespaces::check(&s, &mut out);
            resources::check(&s, &mut out);
            runtime::check(&s, &mut out);
            network::check(&s, &mut out);
            credentials::check(&s, &mut out);
        }
    }
    out.sort_by(|a, b| {
        (
            a.rule.id,
            &a.service,
            &a.profile,
            a.span.file,
            a.span.start,
            &a.message,
        )
            .cmp(&(
                b.rule.id,
                &b.service,
                &b.profile,
                b.span.file,
                b.span.start,
                &b.message,
            ))
    });
    out.dedup();
    out
}

/// The audit rules `build` enforces in hardened profiles, for services with a class (a service
/// without one already has `PMV311`). Findings that are not accepted become errors (`PMV510`,
/// one each: privileged ways into the host) or one warning per service listing what its class
/// leaves lax (`PMV511`), each with the profiles it holds in. Findings another rule already
/// reports (a loosening without reason, an exception without reason, an unmet `require`) are
/// left to it.
pub fn check(stack: &Resolved, diags: &mut Diagnostics) {
    let hardened: Vec<&Profile> = stack.profiles.iter().filter(|p| p.hardened).collect();
    // (service, severity) -> (span, rule, message) -> (finding, profiles)
    type Entries = BTreeMap<(Span, &'static str, String), (Finding, Vec<String>)>;
    let mut by: BTreeMap<(String, bool), Entries> = BTreeMap::new();
    for f in audit(stack, &hardened) {
        if f.accepted.is_some() || f.class.is_none() {
            continue;
        }
        let Some(severity) = f.build else { continue };
        let profile = f.profile.clone();
        by.entry((f.service.clone(), severity == Severity::Error))
            .or_default()
            .entry((f.span, f.rule.id, f.message.clone()))
            .or_insert_with(|| (f, Vec::new()))
            .1
            .push(profile);
    }
    for ((service, error), entries) in by {
        if error {
            for (f, profiles) in entries.into_values() {
                diags.push(
                    Diagnostic::error(
                        Code::HardeningViolation,
                        format!("`{service}` {} in {}", f.message, profile_list(&profiles)),
                    )
                    .label(
                        f.span,
                        format!("{} {} ({})", f.rule.id, f.rule.name, f.level.name()),
                    )
                    .help(f.rule.help),
                );
            }
            continue;
        }
        let mut profiles: Vec<String> = entries.values().flat_map(|(_, p)| p.clone()).collect();
        profiles.sort();
        profiles.dedup();
        let class = entries
            .values()
            .find_map(|(f, _)| f.class.clone())
            .unwrap_or_default();
        let what: Vec<&str> = entries.values().map(|(f, _)| f.message.as_str()).collect();
        // One label per place, naming every rule that points there.
        let mut labels: BTreeMap<Span, Vec<String>> = BTreeMap::new();
        for (f, _) in entries.values() {
            labels
                .entry(f.span)
                .or_default()
                .push(format!("{} {}", f.rule.id, f.rule.name));
        }
        let mut d = Diagnostic::warning(
            Code::HardeningWeakness,
            format!(
                "`{service}` (class `{class}`) {} in {}",
                what.join("; "),
                profile_list(&profiles)
            ),
        );
        for (span, rules) in labels {
            d = d.label(span, rules.join(", "));
        }
        diags.push(d.help(format!(
            "tighten class `{class}` or the service, or give each exception its `reason=`; `pmovesc audit` shows the fix of each rule"
        )));
    }
}

fn profile_list(profiles: &[String]) -> String {
    let quoted: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    if quoted.len() == 1 {
        format!("profile {}", quoted[0])
    } else {
        format!("profiles {}", quoted.join(", "))
    }
}

/// Whether a value is decided by the environment at deploy time (`${...}`).
pub(super) fn interpolated(s: &str) -> bool {
    s.contains("${")
}
