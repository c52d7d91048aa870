//! Service nodes of storage: volumes and bind mounts, tmpfs, secrets.

use super::Decoder;
use super::node::Node;
use crate::lang::model::*;

impl Decoder<'_> {
    pub(super) fn storage_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "volume" => {
                let (Some(source), Some(target)) = (c.arg_string(0), c.arg_string(1)) else {
                    return true;
                };
                if let Some(prev) = body.volumes.get(&target.value) {
                    self.duplicate_key("volume", &target.value, c.head(), prev.span);
                }
                body.volumes.insert(
                    target.value.clone(),
                    c.setting(Mount {
                        source: source.value,
                        target: target.value,
                        read_only: c.prop_bool("read-only").unwrap_or(false),
                    }),
                );
            }
            "tmpfs" => self.tmpfs(c, &mut body.tmpfs),
            "secret" => {
                if let Some(name) = first() {
                    body.secrets.insert(
                        name.value.clone(),
                        Setting::new(
                            SecretUse {
                                name: name.value,
                                env: c.prop_string("env"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn tmpfs(&mut self, c: Node<'_>, into: &mut indexmap::IndexMap<String, Tmpfs>) {
        let Some(target) = c.arg_string(0) else {
            return;
        };
        let t = Tmpfs {
            target: target.value.clone(),
            size: c.prop_string("size"),
            mode: c.prop_string("mode"),
            uid: c.prop_int("uid"),
            gid: c.prop_int("gid"),
            span: c.head(),
        };
        if let Some(prev) = into.get(&target.value) {
            self.duplicate_key("tmpfs", &target.value, c.head(), prev.span);
        }
        into.insert(target.value, t);
    }
}
