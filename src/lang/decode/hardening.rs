//! Service nodes of hardening: the class, capabilities, user, read-only root, restart policy,
//! and the exceptions (privileged, pid, security options, devices).

use super::Decoder;
use super::node::Node;
use crate::lang::model::*;

impl Decoder<'_> {
    pub(super) fn hardening_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "hardening" => body.hardening = first().map(|s| c.setting(s.value)),
            "cap-add" => {
                if let Some(cap) = first() {
                    body.cap_add.insert(cap.value.clone(), c.setting(cap.value));
                }
            }
            "cap-drop" => body.cap_drop = Some(c.setting(string_values(c))),
            "no-new-privileges" => body.no_new_privileges = c.arg_bool().map(|b| c.setting(b)),
            "user" => body.user = first().map(|s| c.setting(s.value)),
            "read-only" => body.read_only = c.arg_bool().map(|b| c.setting(b)),
            "restart" => body.restart = first().map(|s| c.setting(s.value)),
            "privileged" => body.privileged = c.arg_bool().map(|b| c.setting(b)),
            "pid" => body.pid = first().map(|s| c.setting(s.value)),
            "security-opt" => {
                if let Some(s) = first() {
                    body.security_opt
                        .insert(s.value.clone(), c.setting(s.value));
                }
            }
            "device" => {
                if let Some(s) = first() {
                    body.devices.insert(s.value.clone(), c.setting(s.value));
                }
            }
            _ => return false,
        }
        true
    }
}

pub(super) fn string_values(c: Node<'_>) -> Vec<String> {
    c.string_args().into_iter().map(|s| s.value).collect()
}
