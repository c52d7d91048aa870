//! Resolution: name tables (each name defined once), templates (`from=`), hardening classes
//! (`extends=`), default profiles, and the shape of a service in a profile (`when`, `only-in`).
//!
//! The merge rule, shared by `from=`, `extends=` and `when`: a node the overlay sets replaces the
//! base's node of the same name, except keyed repeatable nodes (ports by container port and
//! protocol, env by key, volumes and tmpfs by target, networks, labels, secrets, dependencies,
//! capabilities, extra hosts, ulimits and devices by name), which merge by key. `build` merges
//! property by property, so a `when` can change only the Dockerfile.

use std::borrow::Cow;

use indexmap::IndexMap;

use crate::diag::{Code, Diagnostic, Diagnostics, suggest};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};
use crate::lang::values::default_pin_var;

/// The built-in class that opts a service out of hardening (with `reason=`).
pub const EXEMPT: &str = "exempt";

/// A stack with every name resolved and every inheritance applied.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub project_name: String,
    pub env_files: Vec<EnvFile>,
    pub pin_file: String,
    /// Where the project names its pin file (`None`: the default name).
    pub pin_file_span: Option<Span>,
    pub default_hardening: Option<Spanned<String>>,
    /// The project's `isolation-pool=`, if set.
    pub isolation_pool: Option<Spanned<String>>,
    pub profiles: Vec<Profile>,
    pub classes: IndexMap<String, ResolvedClass>,
    pub networks: IndexMap<String, Network>,
    pub volumes: IndexMap<String, Volume>,
    pub secrets: IndexMap<String, Secret>,
    /// Sorted by name.
    pub services: IndexMap<String, ResolvedService>,
    /// Declared inputs, sorted by name.
    pub inputs: IndexMap<String, Input>,
    /// Every variable the stack's strings interpolate, in file order.
    pub variables: Vec<VariableUse>,
    /// Services whose bodies had decode errors (see [`Stack::tainted`]).
    pub tainted: std::collections::BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub struct ResolvedClass {
    pub name: Spanned<String>,
    pub body: ClassBody,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct ResolvedService {
    pub name: Spanned<String>,
    /// The service merged over its template chain; `when` blocks still pending.
    pub body: ServiceBody,
    pub span: Span,
}

/// Does a `when`/`only-in` selector pick this profile? A profile name picks that profile;
/// `gpu` and `hardened` also pick every profile with `gpu=#true` / `hardened=#true`.
pub fn selects(selector: &str, profile: &Profile) -> bool {
    selector == profile.name.value
        || (selector == "gpu" && profile.gpu)
        || (selector == "hardened" && profile.hardened)
}

impl Resolved {
    /// The service as it looks in a profile, or `None` when the profile leaves it out. The
    /// base body is borrowed when no `when` block applies (the common case), so shaping a large
    /// stack copies only the services a profile changes. Pending `when` blocks of a borrowed body
    /// are to be ignored by the caller.
    pub fn shape<'a>(
        &self,
        service: &'a ResolvedService,
        profile: &Profile,
    ) -> Option<Cow<'a, ServiceBody>> {
        if let Some(only) = &service.body.only_in
            && !only.value.iter().any(|s| selects(&s.value, profile))
        {
            return None;
        }
        if !service
            .body
            .whens
            .iter()
            .any(|w| selects(&w.selector.value, profile))
        {
            return Some(Cow::Borrowed(&service.body));
        }
        let mut body = service.body.clone();
        body.whens.clear();
        let mut pin_var = body.pin_var.clone();
        for when in &service.body.whens {
            if selects(&when.selector.value, profile) {
                if when.body.image.is_some() && when.body.pin_var.is_none() {
                    // A different image needs its own pin variable.
                    let base = default_pin_var(&service.name.value);
                    let var = format!(
                        "{}_{}_IMAGE",
                        base.trim_end_matches("_IMAGE"),
                        default_pin_var(&when.selector.value).trim_end_matches("_IMAGE")
                    );
                    pin_var = Some(Setting::new(var, when.selector.span));
                } else if when.body.pin_var.is_some() {
                    pin_var = when.body.pin_var.clone();
                }
                merge_into(&mut body, &when.body);
            }
        }
        body.pin_var = pin_var;
        body.whens.clear();
        Some(Cow::Owned(body))
    }

    /// The pin variable of a shaped service.
    pub fn pin_var(&self, service: &str, body: &ServiceBody) -> String {
        body.pin_var
            .as_ref()
            .map(|p| p.value.clone())
            .unwrap_or_else(|| default_pin_var(service))
    }

    /// The class a shaped service uses: its own, else the project default.
    pub fn class_of(&self, body: &ServiceBody) -> Option<Spanned<String>> {
        match &body.hardening {
            Some(h) => Some(Spanned::new(h.value.clone(), h.span)),
            None => self.default_hardening.clone(),
        }
    }
}

/// Resolves a decoded stack. Reports duplicate names, a missing or repeated project, undefined
/// and cyclic `from=`/`extends=`, and returns what could be resolved.
pub fn resolve(stack: Stack, diags: &mut Diagnostics) -> Option<Resolved> {
    let project = match stack.projects.as_slice() {
        [] => {
            diags.push(
                Diagnostic::error(Code::ProjectCount, "the stack has no `project` node")
                    .help("add `project \"<name>\"` to one of the stack files"),
            );
            None
        }
        [one] => Some(one.clone()),
        [first, rest @ ..] => {
            for p in rest {
                diags.push(
                    Diagnostic::error(
                        Code::ProjectCount,
                        "the stack has more than one `project` node",
                    )
                    .label(p.span, "second project")
                    .label(first.span, "first project")
                    .help("keep exactly one `project` node"),
                );
            }
            Some(first.clone())
        }
    };

    let tainted = stack.tainted;
    let classes = table(stack.classes, "hardening class", |c| &c.name, diags);
    let networks = table(stack.networks, "network", |n| &n.key, diags);
    let volumes = table(stack.volumes, "volume", |v| &v.key, diags);
    let secrets = table(stack.secrets, "secret", |s| &s.key, diags);
    let templates = table(stack.templates, "template", |t| &t.name, diags);
    let profiles = table(stack.profiles, "profile", |p| &p.name, diags);
    let services = table(stack.services, "service", |s| &s.name, diags);
    let mut inputs = table(stack.inputs, "input", |i| &i.name, diags);
    inputs.sort_keys();

    if let Some(c) = classes.get(EXEMPT) {
        diags.push(
            Diagnostic::error(
                Code::DuplicateDefinition,
                "`exempt` is a built-in class name",
            )
            .label(c.name.span, "cannot be redefined")
            .help("choose another name for this class"),
        );
    }

    // Templates: resolve `from=` chains.
    let mut resolved_templates: IndexMap<String, ServiceBody> = IndexMap::new();
    for name in templates.keys() {
        resolve_chain(
            name,
            &templates,
            &mut resolved_templates,
            "template",
            |t| t.from.as_ref(),
            |t| t.body.clone(),
            merge_body,
            diags,
        );
    }

    // Hardening classes: resolve `extends=` chains.
    let mut resolved_bodies: IndexMap<String, ClassBody> = IndexMap::new();
    for name in classes.keys() {
        resolve_chain(
            name,
            &classes,
            &mut resolved_bodies,
            "hardening class",
            |c| c.extends.as_ref(),
            |c| c.body.clone(),
            merge_class,
            diags,
        );
    }
    let classes: IndexMap<String, ResolvedClass> = classes
        .into_iter()
        .map(|(name, c)| {
            let body = resolved_bodies.swap_remove(&name).unwrap_or(c.body);
            (
                name,
                ResolvedClass {
                    name: c.name,
                    body,
                    span: c.span,
                },
            )
        })
        .collect();

    // Services: start from the template.
    let mut resolved_services = IndexMap::new();
    for (name, s) in services {
        let body = match &s.from {
            Some(from) => match resolved_templates.get(&from.value) {
                Some(t) => merge_body(t, &s.body),
                None => {
                    if !templates.contains_key(&from.value) {
                        undefined(diags, "template", from, templates.keys());
                    }
                    s.body.clone()
                }
            },
            None => s.body.clone(),
        };
        resolved_services.insert(
            name,
            ResolvedService {
                name: s.name,
                body,
                span: s.span,
            },
        );
    }
    resolved_services.sort_keys();

    let mut profiles: Vec<Profile> = profiles.into_values().collect();
    if profiles.is_empty() {
        profiles = default_profiles();
    }

    let project = project?;
    Some(Resolved {
        project_name: project.name.value,
        env_files: project.env_files.unwrap_or_default(),
        pin_file: project
            .pin_file
            .as_ref()
            .map(|p| p.value.clone())
            .unwrap_or_else(|| "env.shared".into()),
        pin_file_span: project.pin_file.as_ref().map(|p| p.span),
        default_hardening: project.default_hardening,
        isolation_pool: project.isolation_pool,
        profiles,
        classes,
        networks,
        volumes,
        secrets,
        services: resolved_services,
        inputs,
        variables: stack.variables,
        tainted,
    })
}

/// The four profiles of a stack that declares none.
pub fn default_profiles() -> Vec<Profile> {
    let span = Span::new(0, 0, 0);
    let p = |name: &str, source, pins, hardened, gpu| Profile {
        name: Spanned::new(name.to_string(), span),
        source,
        pins,
        hardened,
        gpu,
        file: None,
        isolation: None,
        span,
    };
    vec![
        p("dev-local", Source::Build, PinPolicy::Off, false, false),
        p("published", Source::Image, PinPolicy::Warn, false, false),
        p("hardened", Source::Image, PinPolicy::Warn, true, false),
        p("gpu", Source::Image, PinPolicy::Warn, true, true),
    ]
}

/// Builds a name table, reporting second definitions with both places.
fn table<T>(
    items: Vec<T>,
    kind: &str,
    name: impl Fn(&T) -> &Spanned<String>,
    diags: &mut Diagnostics,
) -> IndexMap<String, T> {
    let mut map: IndexMap<String, T> = IndexMap::with_capacity(items.len());
    for item in items {
        let n = name(&item).clone();
        if let Some(first) = map.get(&n.value) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateDefinition,
                    format!("{kind} `{}` is defined twice", n.value),
                )
                .label(n.span, "defined again here")
                .label(name(first).span, "first defined here")
                .help(format!("rename one of them or remove the second {kind}")),
            );
            continue;
        }
        map.insert(n.value, item);
    }
    map
}

pub(crate) fn undefined<'a>(
    diags: &mut Diagnostics,
    kind: &str,
    name: &Spanned<String>,
    candidates: impl IntoIterator<Item = &'a String>,
) {
    let candidates: Vec<&str> = candidates.into_iter().map(String::as_str).collect();
    diags.push(
        Diagnostic::error(
            Code::UndefinedReference,
            format!("{kind} `{}` is not defined", name.value),
        )
        .label(name.span, format!("no such {kind}"))
        .help(suggest(&name.value, candidates.iter().copied())),
    );
}

/// The longest `from=`/`extends=` chain followed. Deeper chains are an error (`PMV024`): each
/// level copies its base, so the bound keeps resolution linear in the size of the stack.
pub const MAX_CHAIN: usize = 64;

/// Resolves one `from=`/`extends=` chain with memoisation and cycle detection, without
/// recursion: the chain is walked up to a resolved base, a root, a missing parent or a cycle,
/// then merged back down.
#[allow(clippy::too_many_arguments)]
fn resolve_chain<T, B: Clone>(
    name: &str,
    defs: &IndexMap<String, T>,
    done: &mut IndexMap<String, B>,
    kind: &str,
    parent: impl Fn(&T) -> Option<&Spanned<String>> + Copy,
    own: impl Fn(&T) -> B + Copy,
    merge: fn(&B, &B) -> B,
    diags: &mut Diagnostics,
) {
    if done.contains_key(name) || !defs.contains_key(name) {
        return;
    }
    // Walk up: `chain[0]` is `name`, each next one its parent.
    let mut chain: Vec<&str> = vec![name];
    let mut base: Option<B> = None;
    loop {
        let current = chain[chain.len() - 1];
        let def = &defs[current];
        let Some(p) = parent(def) else { break };
        if let Some(b) = done.get(&p.value) {
            base = Some(b.clone());
            break;
        }
        if !defs.contains_key(&p.value) {
            undefined(diags, kind, p, defs.keys());
            break;
        }
        if let Some(pos) = chain.iter().position(|c| *c == p.value) {
            // The link that closes the cycle is the first member's own.
            let mut members: Vec<&str> = chain[pos..].to_vec();
            members.push(&p.value);
            let link = parent(&defs[chain[pos]]).map_or(p.span, |l| l.span);
            diags.push(
                Diagnostic::error(
                    Code::Cycle,
                    format!(
                        "{} inherit in a cycle: {}",
                        plural(kind),
                        members.join(" -> ")
                    ),
                )
                .label(link, "this link closes the cycle")
                .help("break the cycle by removing one inheritance"),
            );
            // The last member keeps its own settings; the others merge down from it.
            break;
        }
        if chain.len() == MAX_CHAIN {
            diags.push(
                Diagnostic::error(
                    Code::TooDeep,
                    format!("the {kind} `{name}` inherits through more than {MAX_CHAIN} levels"),
                )
                .label(p.span, format!("level {}", MAX_CHAIN + 1))
                .help(format!(
                    "a {kind} may start from at most {MAX_CHAIN} others in a row: flatten the chain"
                )),
            );
            // Report the chain once: what lies above the limit keeps its own settings.
            let mut above = Some(&p.value);
            let mut seen = std::collections::HashSet::new();
            while let Some(n) = above {
                if done.contains_key(n) || !seen.insert(n.as_str()) {
                    break;
                }
                let Some(def) = defs.get(n) else { break };
                done.insert(n.clone(), own(def));
                above = parent(def).map(|p| &p.value);
            }
            break;
        }
        chain.push(&defs.get_key_value(&p.value).expect("checked").0[..]);
    }
    // Merge down from the top of the chain.
    for member in chain.into_iter().rev() {
        let body = match &base {
            Some(b) => merge(b, &own(&defs[member])),
            None => own(&defs[member]),
        };
        done.insert(member.to_string(), body.clone());
        base = Some(body);
    }
}

fn plural(kind: &str) -> String {
    if kind.ends_with('s') {
        format!("{kind}es")
    } else {
        format!("{kind}s")
    }
}

macro_rules! overlay_into {
    ($out:ident, $over:ident; opt: $($o:ident),*; map: $($m:ident),*) => {{
        $( if $over.$o.is_some() { $out.$o = $over.$o.clone(); } )*
        $( for (k, v) in &$over.$m { $out.$m.insert(k.clone(), v.clone()); } )*
    }};
}

macro_rules! overlay {
    ($base:ident, $over:ident; opt: $($o:ident),*; map: $($m:ident),*) => {{
        let mut out = $base.clone();
        overlay_into!(out, $over; opt: $($o),*; map: $($m),*);
        out
    }};
}

/// `over` applied on top of `base` by the merge rule.
pub fn merge_body(base: &ServiceBody, over: &ServiceBody) -> ServiceBody {
    let mut out = base.clone();
    merge_into(&mut out, over);
    out
}

/// `over` applied on top of `out` in place (no copy of what `over` does not touch, so applying
/// many `when` blocks stays linear).
pub fn merge_into(out: &mut ServiceBody, over: &ServiceBody) {
    overlay_into!(out, over;
        opt: description, image, pin_var, groups, command, entrypoint, env_files, expose,
             healthcheck, resources, reserve, hardening, cap_drop, no_new_privileges, user,
             read_only, restart, pids_limit, shm_size, init, stop_grace_period, stop_signal,
             working_dir, hostname, privileged, network_mode, pid, gpu, only_in, mcp, egress;
        map: env, ports, networks, volumes, tmpfs, secrets, depends_on, talks_to, cap_add,
             extra_hosts, labels, ulimits, security_opt, devices, plain);
    out.build = match (&out.build, &over.build) {
        (Some(b), Some(o)) => {
            let mut build = b.value.clone();
            let ov = &o.value;
            if ov.context.is_some() {
                build.context = ov.context.clone();
            }
            if ov.dockerfile.is_some() {
                build.dockerfile = ov.dockerfile.clone();
            }
            if ov.target.is_some() {
                build.target = ov.target.clone();
            }
            for (k, v) in &ov.args {
                build.args.insert(k.clone(), v.clone());
            }
            Some(Setting {
                value: build,
                span: o.span,
                reason: o.reason.clone(),
            })
        }
        (b, o) => o.clone().or_else(|| b.clone()),
    };
    out.whens.extend(over.whens.iter().cloned());
}

/// `over` applied on top of `base` for hardening classes.
pub fn merge_class(base: &ClassBody, over: &ClassBody) -> ClassBody {
    overlay!(base, over;
        opt: no_new_privileges, cap_drop, allow_cap, restart, user, read_only, pids_limit,
             require, shm_size, resources, reserve, publish_host;
        map: tmpfs, security_opt)
}
