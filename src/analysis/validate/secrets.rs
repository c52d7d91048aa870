//! How secrets reach containers: an environment-sourced secret (`secret "x" environment=`) is
//! copied into the container by Compose, which a read-only root filesystem refuses at `up`
//! (docker/compose#12303); here it is an error at build time, with the profiles it holds in.

use std::collections::BTreeMap;

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;

use super::profiles::{ByProfile, gather, profile_list};

/// Is the service's root read-only in this profile (its own `read-only`, else its class's in
/// hardened profiles)?
fn read_only(stack: &Resolved, profile: &Profile, body: &ServiceBody) -> bool {
    if let Some(own) = &body.read_only {
        return own.value;
    }
    profile.hardened
        && stack
            .class_of(body)
            .filter(|c| c.value != EXEMPT)
            .and_then(|c| stack.classes.get(&c.value))
            .and_then(|c| c.body.read_only.as_ref())
            .is_some_and(|r| r.value)
}

pub(super) fn check_secrets(stack: &Resolved, diags: &mut Diagnostics) {
    let mut by: ByProfile = BTreeMap::new();
    for profile in &stack.profiles {
        for (name, service) in &stack.services {
            let Some(body) = stack.shape(service, profile) else {
                continue;
            };
            if body.secrets.is_empty() || !read_only(stack, profile, &body) {
                continue;
            }
            for (secret, used) in &body.secrets {
                let Some(var) = stack
                    .secrets
                    .get(secret)
                    .and_then(|s| s.environment.as_deref())
                else {
                    continue;
                };
                gather(
                    &mut by,
                    (name, Code::EnvironmentSecretReadOnly, used.span, secret),
                    || {
                        Diagnostic::error(
                            Code::EnvironmentSecretReadOnly,
                            format!(
                                "secret `{secret}` comes from the environment (`{var}`) but `{name}` has a read-only root"
                            ),
                        )
                        .label(used.span, "Compose copies it into the container at `up`, which fails")
                        .help(format!(
                            "give the secret a file instead (`secret \"{secret}\" file=\"./secrets/{secret}\"`), or pass the value as an environment variable of the service (`env {{ {var} \"${{{var}}}\" }}`)"
                        ))
                    },
                    &profile.name.value,
                );
            }
        }
    }
    for (_, (mut d, profiles)) in by {
        d.message = format!("{} in {}", d.message, profile_list(&profiles));
        diags.push(d);
    }
}
