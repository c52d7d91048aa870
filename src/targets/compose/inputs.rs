//! Declared inputs in the compose files: scoped requiredness, and `inputs.example.env`.
//!
//! Compose interpolates every service of a file before it picks the groups (`--profile`) to
//! start, so `${VAR:?}` would stop every group for one group's missing secret
//! (docker/compose#11977). Instead each reference to a declared input is written `${VAR:-}` (or
//! `${VAR:-default}`), and every service that needs a required input gets one more `env_file`
//! entry per such input:
//!
//! ```yaml
//! env_file:
//!   - path: "./input MINIO_ROOT_PASSWORD is not set (pmovesc secrets init writes it)${MINIO_ROOT_PASSWORD:+/..}/inputs.check.env"
//!     required: true
//! ```
//!
//! When the variable is set and not empty, `${VAR:+/..}` cancels the directory named after it and
//! the path is `./inputs.check.env`, an empty env file written with the outputs; when it is
//! unset, the path names a file that does not exist and Compose refuses to create the service
//! with `env file …/input MINIO_ROOT_PASSWORD is not set (…)/inputs.check.env not found`. Compose
//! reads the env files of the services it starts only (docker/compose#12611), so the check holds
//! exactly for the groups being started, cannot be skipped (`up`, `run` and `create` all read env
//! files), needs no image, and never sees a value: `:+` substitutes a constant.
//!
//! A service that mounts a secret whose file holds a required input (`secret "x" file=…
//! input="X"`) gets the entry for that input too: without it Compose only warns about the missing
//! file, creates the group's networks and volumes, and then fails at the bind mount without
//! naming the input.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::super::header;
use crate::analysis::resolve::Resolved;
use crate::lang::interpolation::{Operator, Reference, references, rewrite};
use crate::lang::model::Input;

/// The empty env file every check entry resolves to when its input is set.
pub const CHECK_FILE: &str = "inputs.check.env";
/// Every input with its description, groups and default: the operator's list.
pub const EXAMPLE_FILE: &str = "inputs.example.env";
/// The operator's values beside the compose files, read by Compose for interpolation;
/// `pmovesc secrets init` adds generated values to it. Never generated, never committed.
pub const ENV_FILE: &str = ".env";
/// Keeps [`ENV_FILE`] (and any secret files) out of git.
pub const GITIGNORE_FILE: &str = ".gitignore";

/// The env file path of the check for one input.
pub fn check_path(input: &Input) -> String {
    let name = &input.name.value;
    let how = if input.generate.is_some() {
        "pmovesc secrets init writes it"
    } else {
        "see inputs.example.env"
    };
    format!("./input {name} is not set ({how})${{{name}:+/..}}/{CHECK_FILE}")
}

impl Usage {
    /// Does starting `group` need a value for this variable?
    pub fn needed_by(&self, group: &str) -> bool {
        self.needed_always || self.needed_in.contains(group)
    }
}

/// What one variable is used for in a compose file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    /// The groups (compose profiles) of the services that read it; empty for services that have
    /// none (they always start).
    pub groups: BTreeSet<String>,
    pub services: BTreeSet<String>,
    /// The groups with a service whose use has neither a default nor an alternative of its own.
    pub needed_in: BTreeSet<String>,
    /// A service without a group (started by every `up`) needs a value.
    pub needed_always: bool,
    /// Defaults written where it is used (`${VAR:-default}`).
    pub inline_defaults: BTreeSet<String>,
}

/// Every string of a JSON value, map keys excepted.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn rewrite_strings(v: &mut Value, f: &mut dyn FnMut(&Reference) -> Option<String>) {
    match v {
        Value::String(s) if s.contains('$') => *s = rewrite(s, f),
        Value::Array(a) => a.iter_mut().for_each(|x| rewrite_strings(x, f)),
        Value::Object(m) => m.values_mut().for_each(|x| rewrite_strings(x, f)),
        _ => {}
    }
}

/// The strings Compose interpolates for one service: its own, and those of the secrets it
/// mounts.
fn service_strings(doc: &Value, service: &Value) -> Vec<String> {
    let mut out = Vec::new();
    strings(service, &mut out);
    for secret in service["secrets"].as_array().into_iter().flatten() {
        if let Some(name) = secret.as_str() {
            strings(&doc["secrets"][name], &mut out);
        }
    }
    out
}

/// Which variables the services of a compose document read, and how (read before [`apply`]
/// rewrites them).
fn usage(doc: &Value) -> BTreeMap<String, Usage> {
    let mut by_var: BTreeMap<String, Usage> = BTreeMap::new();
    let Some(services) = doc["services"].as_object() else {
        return by_var;
    };
    for (name, service) in services {
        let groups: Vec<String> = service["profiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect();
        for text in service_strings(doc, service) {
            for r in references(&text) {
                let u = by_var.entry(r.name.clone()).or_default();
                u.groups.extend(groups.iter().cloned());
                u.services.insert(name.clone());
                match r.operator {
                    Operator::Plain | Operator::Required { .. } => {
                        u.needed_in.extend(groups.iter().cloned());
                        u.needed_always |= groups.is_empty();
                    }
                    Operator::Default { .. } => {
                        u.inline_defaults.insert(r.argument.clone());
                    }
                    Operator::Alternative { .. } => {}
                }
            }
        }
    }
    by_var
}

/// Applies declared inputs to a compose document: references to declared inputs written with
/// their default (`${VAR:-}`, `${VAR:-default}`), and a check entry on every service for each
/// required input it needs (see the module comment). Returns which variables the document reads.
pub fn apply(stack: &Resolved, doc: &mut Value) -> BTreeMap<String, Usage> {
    let mut used = usage(doc);
    add_secret_files(stack, doc, &mut used);
    if stack.inputs.is_empty() {
        return used;
    }
    // Which required inputs each service needs, read before the rewrite gives them defaults.
    let mut checks: BTreeMap<String, Vec<&Input>> = BTreeMap::new();
    if let Some(services) = doc["services"].as_object() {
        for (name, service) in services {
            let mut needed: BTreeSet<&str> = BTreeSet::new();
            for text in service_strings(doc, service) {
                for r in references(&text) {
                    if r.needs_value() && stack.inputs.get(&r.name).is_some_and(Input::is_required)
                    {
                        needed.insert(stack.inputs[&r.name].name.value.as_str());
                    }
                }
            }
            // A secret whose file holds a required input: without the value (and so without the
            // file `secrets init` writes from it), Compose would only warn, create the group's
            // networks and volumes, and fail at the bind mount without naming the input.
            for input in mounted_inputs(stack, service) {
                if input.is_required() {
                    needed.insert(input.name.value.as_str());
                }
            }
            if !needed.is_empty() {
                checks.insert(
                    name.clone(),
                    needed.iter().map(|n| &stack.inputs[*n]).collect(),
                );
            }
        }
    }
    rewrite_strings(doc, &mut |r: &Reference| {
        let input = stack.inputs.get(&r.name)?;
        r.needs_value().then(|| {
            format!(
                "${{{}:-{}}}",
                r.name,
                input.default.as_ref().map_or("", |d| d.value.as_str())
            )
        })
    });
    for (name, inputs) in checks {
        let service = &mut doc["services"][&name];
        let entries: Vec<Value> = inputs
            .iter()
            .map(|i| serde_json::json!({"path": check_path(i), "required": true}))
            .collect();
        match service.get_mut("env_file").and_then(Value::as_array_mut) {
            Some(list) => {
                list.splice(0..0, entries);
            }
            None => insert_env_file(service, entries),
        }
    }
    used
}

/// The inputs held by the secrets `service` mounts (`secret "x" file=… input="X"`).
fn mounted_inputs<'a>(stack: &'a Resolved, service: &Value) -> Vec<&'a Input> {
    service["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().or_else(|| s["source"].as_str()))
        .filter_map(|s| stack.secrets.get(s))
        .filter_map(|s| s.input.as_ref())
        .filter_map(|i| stack.inputs.get(&i.value))
        .collect()
}

/// A service that mounts a secret holding an input needs that input (in the secret's file,
/// which `secrets init` writes from the value; the service's check entry requires the value).
fn add_secret_files(stack: &Resolved, doc: &Value, used: &mut BTreeMap<String, Usage>) {
    let Some(services) = doc["services"].as_object() else {
        return;
    };
    for (name, service) in services {
        let groups: Vec<String> = service["profiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g.as_str().map(str::to_string))
            .collect();
        for input in mounted_inputs(stack, service) {
            let u = used.entry(input.name.value.clone()).or_default();
            u.groups.extend(groups.iter().cloned());
            u.services.insert(name.clone());
            u.needed_in.extend(groups.iter().cloned());
            u.needed_always |= groups.is_empty();
        }
    }
}

/// Merges the usage of one profile's file into the usage over every profile.
pub fn merge_usage(into: &mut BTreeMap<String, Usage>, from: BTreeMap<String, Usage>) {
    for (name, u) in from {
        let e = into.entry(name).or_default();
        e.groups.extend(u.groups);
        e.services.extend(u.services);
        e.needed_in.extend(u.needed_in);
        e.needed_always |= u.needed_always;
        e.inline_defaults.extend(u.inline_defaults);
    }
}

/// Adds `env_file` to a service object at its place in the documented key order (before
/// `environment`, after `depends_on`).
fn insert_env_file(service: &mut Value, entries: Vec<Value>) {
    let Some(map) = service.as_object_mut() else {
        return;
    };
    const AFTER: &[&str] = &[
        "environment",
        "secrets",
        "ports",
        "expose",
        "networks",
        "network_mode",
        "extra_hosts",
        "volumes",
        "tmpfs",
        "read_only",
        "cap_drop",
        "cap_add",
        "security_opt",
        "privileged",
        "pid",
        "devices",
        "shm_size",
        "ulimits",
        "stop_signal",
        "stop_grace_period",
        "healthcheck",
        "deploy",
        "labels",
    ];
    let old = std::mem::take(map);
    let mut inserted = false;
    for (k, v) in old {
        if !inserted && AFTER.contains(&k.as_str()) {
            map.insert("env_file".into(), Value::Array(entries.clone()));
            inserted = true;
        }
        map.insert(k, v);
    }
    if !inserted {
        map.insert("env_file".into(), Value::Array(entries));
    }
}

/// `inputs.check.env`: the empty env file the checks point at when their input is set.
pub fn check_file(regenerate: &str) -> String {
    let mut out = header(regenerate);
    out.push_str(
        "# Intentionally empty: the compose files list it once per required input a service\n\
         # needs, as ./input NAME is not set (...)${NAME:+/..}/inputs.check.env, so a service\n\
         # starts only when its inputs are set (see docs/operators.md).\n",
    );
    out
}

/// `.gitignore` of the output directory: the operator's values are never committed.
pub fn gitignore_file(regenerate: &str) -> String {
    let mut out = header(regenerate);
    out.push_str(
        "# The operator's values and the secrets `pmovesc secrets init` generates: never committed.\n",
    );
    out.push_str(&format!("/{ENV_FILE}\n/secrets/\n"));
    out
}

fn comment_lines(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("# ");
        // A carriage return or line separator left in a line would end the comment.
        out.push_str(&crate::lang::compose_values::one_line(line));
        out.push('\n');
    }
}

fn group_list(groups: &BTreeSet<String>) -> String {
    if groups.is_empty() {
        "every group (services without a group always start)".into()
    } else {
        groups.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// `inputs.example.env`: every declared input (description, groups, secret, required, default
/// or generator), then every other variable the compose files read with the defaults written
/// where they are used. `usage` is merged over every profile's compose document.
pub fn example_file(
    stack: &Resolved,
    usage: &BTreeMap<String, Usage>,
    pin_vars: &BTreeSet<String>,
    regenerate: &str,
) -> String {
    let mut out = header(regenerate);
    out.push_str(
        "# Every variable the compose files read from the environment or from .env beside them.\n\
         # Set values in .env here (git-ignored); `pmovesc secrets init` writes the generated ones\n\
         # there, and `pmovesc secrets check` says what a group still misses. Lines starting with\n\
         # `# NAME=` are optional: uncomment to set them.\n",
    );
    let unused = Usage::default();
    out.push_str("\n## Declared inputs\n");
    for (name, input) in &stack.inputs {
        let u = usage.get(name).unwrap_or(&unused);
        out.push('\n');
        if let Some(d) = &input.description {
            comment_lines(&mut out, d);
        }
        let mut facts = vec![if input.secret || input.generate.is_some() {
            "secret".to_string()
        } else {
            "not secret".to_string()
        }];
        facts.push(if input.is_required() {
            "required".into()
        } else {
            "optional".into()
        });
        if let Some(g) = &input.generate {
            facts.push(format!("generated: {}", g.value.describe()));
        }
        if let Some(d) = &input.default {
            facts.push(format!(
                "default: {}",
                crate::lang::compose_values::one_line(&d.value)
            ));
        }
        out.push_str(&format!("# {}\n", facts.join("; ")));
        out.push_str(&format!("# groups: {}\n", group_list(&u.groups)));
        if input.is_required() {
            out.push_str(&format!("{name}=\n"));
        } else {
            out.push_str(&format!(
                "# {name}={}\n",
                input.default.as_ref().map_or(String::new(), |d| {
                    crate::lang::compose_values::one_line(&d.value)
                })
            ));
        }
    }
    let others: Vec<(&String, &Usage)> = usage
        .iter()
        .filter(|(n, _)| !stack.inputs.contains_key(*n) && !pin_vars.contains(*n))
        .collect();
    if !others.is_empty() {
        out.push_str(
            "\n## Other variables, with the defaults written where they are used\n\
             # (not declared as inputs: optional settings of single services)\n\n",
        );
        for (name, u) in others {
            let defaults: Vec<String> = u
                .inline_defaults
                .iter()
                .map(|d| crate::lang::compose_values::one_line(d))
                .collect();
            out.push_str(&format!("# groups: {}\n", group_list(&u.groups)));
            match defaults.as_slice() {
                [] => out.push_str(&format!("# {name}=\n")),
                [one] => out.push_str(&format!("# {name}={one}\n")),
                [first, rest @ ..] => {
                    out.push_str(&format!(
                        "# (other defaults: {})\n",
                        rest.iter()
                            .map(|d| format!("`{d}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                    out.push_str(&format!("# {name}={first}\n"));
                }
            }
        }
    }
    if !pin_vars.is_empty() {
        out.push_str(&format!(
            "\n## Image pins\n# {} variables `*_IMAGE` override the pinned image of a service; their values are\n# in {}.\n",
            pin_vars.len(),
            stack.pin_file
        ));
    }
    out
}
