//! Top-level definitions: the project, profiles and hardening classes.

use std::collections::HashMap;

use super::Decoder;
use super::hardening::string_values;
use super::limits::resources;
use super::node::Node;
use super::process::env_files;
use crate::lang::model::*;
use crate::lang::source::Spanned;
use crate::lang::vocabulary::Context;

impl Decoder<'_> {
    pub(super) fn project(&mut self, n: Node<'_>, name: Spanned<String>) -> Project {
        let mut project = Project {
            name,
            env_files: None,
            pin_file: None,
            default_hardening: None,
            isolation_pool: n.prop_spanned("isolation-pool"),
            span: n.head(),
        };
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Project, c) else {
                continue;
            };
            self.once(&mut seen, spec, c, "the project");
            match c.name() {
                "env-file" => project
                    .env_files
                    .get_or_insert_with(Vec::new)
                    .extend(env_files(c)),
                "pin-file" => project.pin_file = c.arg_string(0),
                "default-hardening" => project.default_hardening = c.arg_string(0),
                _ => {}
            }
        }
        project
    }

    pub(super) fn profile(&mut self, n: Node<'_>, name: Spanned<String>) -> Profile {
        let source = match n.prop_string("source").as_deref() {
            Some("build") => Source::Build,
            _ => Source::Image,
        };
        let pins = match n.prop_string("pins").as_deref() {
            Some("off") => PinPolicy::Off,
            Some("require") => PinPolicy::Require,
            Some("warn") => PinPolicy::Warn,
            _ if source == Source::Build => PinPolicy::Off,
            _ => PinPolicy::Warn,
        };
        Profile {
            name,
            source,
            pins,
            hardened: n.prop_bool("hardened").unwrap_or(false),
            gpu: n.prop_bool("gpu").unwrap_or(false),
            file: n.prop_string("file"),
            isolation: n.prop_bool("isolation"),
            span: n.head(),
        }
    }

    pub(super) fn class_body(&mut self, n: Node<'_>) -> ClassBody {
        let mut body = ClassBody::default();
        let mut seen = HashMap::new();
        for c in n.children() {
            let Some(spec) = self.check(Context::Hardening, c) else {
                continue;
            };
            self.once(&mut seen, spec, c, "this hardening class");
            match c.name() {
                "no-new-privileges" => body.no_new_privileges = c.arg_bool().map(|b| c.setting(b)),
                "cap-drop" => body.cap_drop = Some(c.setting(string_values(c))),
                "allow-cap" => body.allow_cap = Some(c.setting(string_values(c))),
                "restart" => body.restart = c.arg_string(0).map(|s| c.setting(s.value)),
                "user" => body.user = c.arg_string(0).map(|s| c.setting(s.value)),
                "read-only" => body.read_only = c.arg_bool().map(|b| c.setting(b)),
                "tmpfs" => self.tmpfs(c, &mut body.tmpfs),
                "pids-limit" => body.pids_limit = c.arg_int().map(|i| c.setting(i)),
                "require" => body.require = Some(c.setting(c.string_args())),
                "shm-size" => body.shm_size = c.arg_string(0).map(|s| c.setting(s.value)),
                "resources" => body.resources = Some(c.setting(resources(c))),
                "reserve" => body.reserve = Some(c.setting(resources(c))),
                "publish-host" => body.publish_host = c.arg_string(0).map(|s| c.setting(s.value)),
                "security-opt" => {
                    if let Some(s) = c.arg_string(0) {
                        body.security_opt
                            .insert(s.value.clone(), c.setting(s.value));
                    }
                }
                _ => {}
            }
        }
        body
    }
}
