//! `deploy.resources` of a service: limits and reservations (the service's settings over its
//! class's), `pids` always in the limits, and GPU device reservations in GPU profiles.

use crate::lang::model::*;

use super::{
    ComposeDeploy, ComposeDevice, ComposeLimits, ComposeReservations, ComposeResources,
    ComposeService, DeviceCount,
};

pub(super) fn lower(
    profile: &Profile,
    body: &ServiceBody,
    class: Option<&ClassBody>,
    s: &mut ComposeService,
) {
    let own = Resources::of(&body.resources);
    let cls = class.map_or_else(Resources::default, |c| Resources::of(&c.resources));
    let pids = own
        .pids
        .or(body.pids_limit.as_ref().map(|p| p.value))
        .or(cls.pids)
        .or(class.and_then(|c| c.pids_limit.as_ref()).map(|p| p.value));
    let limits = ComposeLimits {
        cpus: own.cpus.or(cls.cpus),
        memory: own.memory.or(cls.memory),
        pids,
    };
    let own_r = Resources::of(&body.reserve);
    let cls_r = class.map_or_else(Resources::default, |c| Resources::of(&c.reserve));
    let mut reservations = ComposeReservations {
        cpus: own_r.cpus.or(cls_r.cpus),
        memory: own_r.memory.or(cls_r.memory),
        devices: Vec::new(),
    };
    if profile.gpu
        && let Some(gpu) = &body.gpu
    {
        let g = &gpu.value;
        reservations.devices.push(ComposeDevice {
            driver: g.driver.clone(),
            count: if g.device_ids.is_some() {
                None
            } else {
                g.count.as_ref().map(|c| match c {
                    GpuCount::All => DeviceCount::All("all".into()),
                    GpuCount::Count(n) => DeviceCount::Count(*n),
                })
            },
            device_ids: g.device_ids.clone(),
            capabilities: g.capabilities.clone(),
        });
    }
    let has_limits = limits != ComposeLimits::default();
    let has_reservations = reservations != ComposeReservations::default();
    if has_limits || has_reservations {
        s.deploy = Some(ComposeDeploy {
            resources: ComposeResources {
                limits: has_limits.then_some(limits),
                reservations: has_reservations.then_some(reservations),
            },
        });
    }
}
