//! Top-level definitions other than services and templates: hardening classes, networks,
//! volumes, secrets.

use indexmap::IndexMap;

use super::{Resources, Setting, Tmpfs};
use crate::lang::source::{Span, Spanned};

#[derive(Debug, Clone)]
pub struct HardeningClass {
    pub name: Spanned<String>,
    pub extends: Option<Spanned<String>>,
    pub body: ClassBody,
    pub span: Span,
}

/// Settings of a hardening class. Every field is optional so that `extends=` merges by node.
#[derive(Debug, Clone, Default)]
pub struct ClassBody {
    pub no_new_privileges: Option<Setting<bool>>,
    pub cap_drop: Option<Setting<Vec<String>>>,
    pub allow_cap: Option<Setting<Vec<String>>>,
    pub restart: Option<Setting<String>>,
    pub user: Option<Setting<String>>,
    pub read_only: Option<Setting<bool>>,
    pub tmpfs: IndexMap<String, Tmpfs>,
    pub pids_limit: Option<Setting<i64>>,
    pub require: Option<Setting<Vec<Spanned<String>>>>,
    pub shm_size: Option<Setting<String>>,
    pub resources: Option<Setting<Resources>>,
    pub reserve: Option<Setting<Resources>>,
    pub security_opt: IndexMap<String, Setting<String>>,
    /// The host address of published ports that name none (`publish-host`).
    pub publish_host: Option<Setting<String>>,
}

#[derive(Debug, Clone)]
pub struct Network {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub internal: bool,
    pub external: bool,
    pub attachable: bool,
    pub driver: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Volume {
    pub key: Spanned<String>,
    pub name: Option<String>,
    pub external: bool,
    pub driver: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Secret {
    pub key: Spanned<String>,
    pub file: Option<String>,
    pub environment: Option<String>,
    pub external: bool,
    /// `input=`: the declared input whose value the file holds.
    pub input: Option<Spanned<String>>,
    pub span: Span,
}
