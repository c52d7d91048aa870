//! Hardening of a service: its class (in hardened profiles only) under its own settings: user,
//! restart, read-only root, tmpfs, capabilities, security options, privileged, pid, devices,
//! shm size, ulimits.

use std::collections::BTreeMap;

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::lang::model::*;

use super::{ComposeService, ComposeUlimit};

/// The class body that applies to a service in this profile: none outside hardened profiles and
/// none for `exempt`.
pub(super) fn class_for<'s>(
    stack: &'s Resolved,
    profile: &Profile,
    body: &ServiceBody,
) -> Option<&'s ClassBody> {
    if !profile.hardened {
        return None;
    }
    stack
        .class_of(body)
        .filter(|c| c.value != EXEMPT)
        .and_then(|c| stack.classes.get(&c.value))
        .map(|c| &c.body)
}

pub(super) fn lower(body: &ServiceBody, class: Option<&ClassBody>, s: &mut ComposeService) {
    let pick =
        |own: Option<&Setting<bool>>, cls: Option<&Setting<bool>>| own.or(cls).map(|s| s.value);
    s.user = body
        .user
        .as_ref()
        .or(class.and_then(|c| c.user.as_ref()))
        .map(|u| u.value.clone());
    s.restart = body
        .restart
        .as_ref()
        .or(class.and_then(|c| c.restart.as_ref()))
        .map(|u| u.value.clone());
    s.read_only = pick(
        body.read_only.as_ref(),
        class.and_then(|c| c.read_only.as_ref()),
    );
    if s.read_only == Some(false) && class.is_none() {
        s.read_only = None;
    }
    let mut tmpfs: BTreeMap<String, &Tmpfs> = BTreeMap::new();
    if let Some(c) = class {
        for (k, t) in &c.tmpfs {
            tmpfs.insert(k.clone(), t);
        }
    }
    for (k, t) in &body.tmpfs {
        tmpfs.insert(k.clone(), t);
    }
    s.tmpfs = tmpfs.values().map(|t| tmpfs_entry(t)).collect();
    s.cap_drop = body
        .cap_drop
        .as_ref()
        .or(class.and_then(|c| c.cap_drop.as_ref()))
        .map(|d| d.value.clone())
        .unwrap_or_default();
    let mut caps: Vec<String> = body.cap_add.keys().cloned().collect();
    caps.sort();
    s.cap_add = caps;
    let mut sec: Vec<String> = Vec::new();
    if pick(
        body.no_new_privileges.as_ref(),
        class.and_then(|c| c.no_new_privileges.as_ref()),
    ) == Some(true)
    {
        sec.push("no-new-privileges:true".into());
    }
    if let Some(c) = class {
        sec.extend(c.security_opt.keys().cloned());
    }
    sec.extend(body.security_opt.keys().cloned());
    sec.sort();
    sec.dedup();
    s.security_opt = sec;
    s.privileged = body.privileged.as_ref().filter(|p| p.value).map(|_| true);
    s.pid = body.pid.as_ref().map(|p| p.value.clone());
    let mut devices: Vec<String> = body.devices.keys().cloned().collect();
    devices.sort();
    s.devices = devices;
    s.shm_size = body
        .shm_size
        .as_ref()
        .or(class.and_then(|c| c.shm_size.as_ref()))
        .map(|v| v.value.clone());
    s.ulimits = body
        .ulimits
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                match v.value {
                    Ulimit::Single(n) => ComposeUlimit::Single(n),
                    Ulimit::Range { soft, hard } => ComposeUlimit::Range { soft, hard },
                },
            )
        })
        .collect();
}

fn tmpfs_entry(t: &Tmpfs) -> String {
    let mut opts = Vec::new();
    if let Some(size) = &t.size {
        opts.push(format!("size={size}"));
    }
    if let Some(mode) = &t.mode {
        opts.push(format!("mode={mode}"));
    }
    if let Some(uid) = t.uid {
        opts.push(format!("uid={uid}"));
    }
    if let Some(gid) = t.gid {
        opts.push(format!("gid={gid}"));
    }
    if opts.is_empty() {
        t.target.clone()
    } else {
        format!("{}:{}", t.target, opts.join(","))
    }
}
