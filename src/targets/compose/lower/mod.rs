//! Lowering: one compose model per profile.
//!
//! [`lower`] walks the services the profile keeps and fills the compose file of [`file`](mod@file); each
//! family of service keys is lowered in a file of its own: `service` (image, build, process,
//! dependencies, environment, labels), `network` (ports, networks, hosts, volumes), `hardening`
//! (the class and the service's own settings), `health` (the healthcheck), `deploy` (limits,
//! reservations, GPUs), `plain` (nodes written as they are); `isolation` replaces the networks
//! of isolated profiles by the reachability model.

mod deploy;
pub mod file;
mod hardening;
mod health;
mod isolation;
mod network;
mod plain;
mod service;

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::analysis::resolve::Resolved;
use crate::lang::model::*;

pub use file::*;
pub use health::{PROBE_LABEL, http_probe};

/// The services a profile keeps, each in its shape for the profile.
type Shapes<'a> = BTreeMap<&'a str, Cow<'a, ServiceBody>>;

/// Lowers the resolved stack for one profile. Assumes validation passed.
pub fn lower(stack: &Resolved, profile: &Profile) -> ComposeFile {
    let mut file = ComposeFile {
        name: stack.project_name.clone(),
        services: BTreeMap::new(),
        networks: BTreeMap::new(),
        volumes: BTreeMap::new(),
        secrets: BTreeMap::new(),
    };
    let shapes: Shapes = stack
        .services
        .iter()
        .filter_map(|(n, s)| stack.shape(s, profile).map(|b| (n.as_str(), b)))
        .collect();
    for (name, body) in &shapes {
        let service = service::lower_service(stack, profile, name, body, &shapes);
        for net in &service.networks {
            if let Some(n) = stack.networks.get(net) {
                file.networks.insert(net.clone(), network::lower_network(n));
            }
        }
        for mount in body.volumes.values() {
            if let Some(v) = stack.volumes.get(&mount.value.source) {
                file.volumes.insert(
                    v.key.value.clone(),
                    ComposeVolume {
                        name: v.name.clone(),
                        driver: v.driver.clone(),
                        external: v.external.then_some(true),
                    },
                );
            }
        }
        for secret in &service.secrets {
            if let Some(s) = stack.secrets.get(secret) {
                file.secrets.insert(
                    secret.clone(),
                    ComposeSecret {
                        file: s.file.clone(),
                        environment: s.environment.clone(),
                        external: s.external.then_some(true),
                    },
                );
            }
        }
        file.services.insert(name.to_string(), service);
    }
    let reach = crate::analysis::reachability::model(stack, profile);
    isolation::apply(stack, &reach, &mut file);
    file
}
