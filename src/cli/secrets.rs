//! `pmovesc secrets init` and `secrets check`: the inputs a group needs, generated into OUT/.env
//! or reported missing. No value is ever printed: only names.
//!
//! A value is set when the environment or OUT/.env gives it a non-empty value (Compose reads
//! both; the environment wins). `init` adds the missing generated inputs of the chosen groups to
//! OUT/.env and changes nothing else in it (never a value already there); it writes the whole
//! file at once, mode 0600, or nothing. A secret that holds an input
//! (`secret "x" file="./secrets/x" input="X"`) gets its file from the value in OUT/.env when the
//! file is missing; an existing file is never changed (`check` reports one that differs).
//!
//! Both also name the external networks and volumes the chosen groups use: the host provides
//! them (Compose never creates one), so they are the one preparation besides the inputs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use pmovesc::analysis::generate::generate;
use pmovesc::analysis::inputs::secret_file_in_out;
use pmovesc::analysis::resolve::Resolved;
use pmovesc::lang::model::{Generator, Input};
use pmovesc::output::secrets as secret_files;
use pmovesc::targets::compose::groups::{External, externals};
use pmovesc::targets::compose::inputs::{ENV_FILE, GITIGNORE_FILE, Usage};
use pmovesc::{Options, Output};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

use super::report::plural;
use super::{Common, load, report};

#[derive(clap::Subcommand)]
pub enum SecretsCommand {
    /// Generate the missing generated inputs of the chosen groups into OUT/.env (mode 0600,
    /// git-ignored); values already set are never changed.
    Init(SecretsArgs),
    /// Report, per group, the required inputs that are not set. Prints names, never values.
    Check(SecretsArgs),
}

#[derive(clap::Args)]
pub struct SecretsArgs {
    stacks: PathBuf,
    #[arg(short, long)]
    out: PathBuf,
    /// Only the inputs of this group (compose profile) and its services; repeatable. Default:
    /// every group.
    #[arg(long = "group")]
    groups: Vec<String>,
    #[command(flatten)]
    common: Common,
}

pub fn secrets_cmd(command: &SecretsCommand) -> ExitCode {
    match command {
        SecretsCommand::Init(args) => init(args),
        SecretsCommand::Check(args) => check(args),
    }
}

/// What the stack and OUT say about the chosen groups.
struct Plan {
    stack: Resolved,
    usage: BTreeMap<String, Usage>,
    groups: Vec<String>,
    /// OUT/.env as it is now (`None`: missing).
    env_text: Option<String>,
    /// Names with a non-empty value, from the environment or OUT/.env, and the values.
    values: BTreeMap<String, String>,
    /// The external networks and volumes of every profile, and the groups that use each
    /// (`None`: a service that always starts).
    externals: BTreeMap<External, Option<BTreeSet<String>>>,
}

impl Plan {
    fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The required inputs `group` needs.
    fn required_for(&self, group: &str) -> Vec<&Input> {
        self.stack
            .inputs
            .values()
            .filter(|i| i.is_required())
            .filter(|i| {
                self.usage
                    .get(&i.name.value)
                    .is_some_and(|u| u.needed_by(group))
            })
            .collect()
    }

    /// The generated inputs the chosen groups read (required or not), and the signing keys of
    /// their tokens.
    fn generated(&self) -> BTreeSet<&str> {
        let mut names = BTreeSet::new();
        for input in self.stack.inputs.values() {
            let Some(g) = &input.generate else { continue };
            let read = self.usage.get(&input.name.value).is_some_and(|u| {
                self.groups
                    .iter()
                    .any(|g| u.groups.contains(g) || u.needed_by(g))
            });
            if !read {
                continue;
            }
            names.insert(input.name.value.as_str());
            if let Generator::Jwt {
                secret_input: Some(k),
                ..
            } = &g.value
            {
                names.insert(k.value.as_str());
            }
        }
        names
    }
}

impl Plan {
    /// The secret files the chosen groups mount that hold an input: (path below OUT, input).
    fn secret_files(&self) -> Vec<(String, String)> {
        let mut files = Vec::new();
        for s in self.stack.secrets.values() {
            let (Some(input), Some(rel)) =
                (&s.input, s.file.as_deref().and_then(secret_file_in_out))
            else {
                continue;
            };
            let mounted = self
                .usage
                .get(&input.value)
                .is_some_and(|u| self.groups.iter().any(|g| u.needed_by(g)));
            if mounted {
                files.push((rel.to_string(), input.value.clone()));
            }
        }
        files
    }
}

fn env_path(out: &Path) -> String {
    out.join(ENV_FILE).display().to_string()
}

fn plan(args: &SecretsArgs) -> Result<Plan, ExitCode> {
    let sources = load(&args.stacks)?;
    let output: Output = pmovesc::compile(
        &sources,
        &Options {
            regenerate: String::new(),
            keep_models: true,
            ..Default::default()
        },
    );
    let errors: Vec<_> = output
        .diagnostics
        .iter()
        .filter(|d| d.severity == pmovesc::diag::Severity::Error)
        .cloned()
        .collect();
    let counts = report(&sources, &errors, &args.common);
    let Some(stack) = output.stack.filter(|_| counts.errors == 0) else {
        eprintln!(
            "{}: the stack does not compile; nothing read or written",
            counts.totals()
        );
        return Err(ExitCode::from(1));
    };
    let mut known: BTreeSet<String> = output
        .usage
        .values()
        .flat_map(|u| u.groups.iter().cloned())
        .collect();
    for service in stack.services.values() {
        if let Some(g) = &service.body.groups {
            known.extend(g.value.iter().map(|s| s.value.clone()));
        }
    }
    for g in &args.groups {
        if !known.contains(g) {
            eprintln!(
                "error: no service is in group `{g}`; {}",
                pmovesc::diag::suggest(g, known.iter().map(String::as_str))
            );
            return Err(ExitCode::from(2));
        }
    }
    let groups = if args.groups.is_empty() {
        known.into_iter().collect()
    } else {
        let mut g = args.groups.clone();
        g.sort();
        g.dedup();
        g
    };
    let env_text = match secret_files::read(&args.out, ENV_FILE) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", env_path(&args.out));
            return Err(ExitCode::from(2));
        }
    };
    let mut values = BTreeMap::new();
    if let Some(text) = &env_text {
        for item in dotenvy::from_read_iter(text.as_bytes()) {
            match item {
                Ok((k, v)) if !v.is_empty() => {
                    values.insert(k, v);
                }
                Ok(_) => {}
                Err(e) => {
                    // dotenvy's message names the line, never the value.
                    eprintln!(
                        "error: {} is not a valid env file: {e}",
                        env_path(&args.out)
                    );
                    return Err(ExitCode::from(2));
                }
            }
        }
    }
    for name in stack.inputs.keys() {
        if let Some(v) = std::env::var_os(name).and_then(|v| v.into_string().ok())
            && !v.is_empty()
        {
            values.insert(name.clone(), v);
        }
    }
    let mut all_externals: BTreeMap<External, Option<BTreeSet<String>>> = BTreeMap::new();
    for model in output.models.values() {
        for (ext, used_by) in externals(model) {
            let entry = all_externals
                .entry(ext)
                .or_insert_with(|| Some(BTreeSet::new()));
            match (entry.as_mut(), used_by) {
                (Some(all), Some(g)) => all.extend(g),
                _ => *entry = None,
            }
        }
    }
    Ok(Plan {
        stack,
        usage: output.usage,
        groups,
        env_text,
        values,
        externals: all_externals,
    })
}

fn init(args: &SecretsArgs) -> ExitCode {
    let lock = match secret_files::lock(&args.out) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot lock {}: {e}", args.out.display());
            return ExitCode::from(2);
        }
    };
    let mut plan = match plan(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Err(code) = ignored_by_git(&args.out) {
        return code;
    }
    let mut rng = OsRng.unwrap_err();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let wanted: Vec<String> = plan.generated().into_iter().map(str::to_string).collect();
    let already = wanted.iter().filter(|n| plan.is_set(n)).count();
    let mut new: Vec<(String, String)> = Vec::new();
    // Keys before the tokens they sign.
    let (tokens, keys): (Vec<&String>, Vec<&String>) = wanted.iter().partition(|n| {
        matches!(
            plan.stack.inputs[*n].generate.as_ref().map(|g| &g.value),
            Some(Generator::Jwt { .. })
        )
    });
    for name in keys.into_iter().chain(tokens) {
        if plan.is_set(name) {
            continue;
        }
        let input = &plan.stack.inputs[name];
        let Some(g) = &input.generate else {
            // A signing key without a generator: the operator sets it.
            continue;
        };
        let key = match &g.value {
            Generator::Jwt {
                secret_input: Some(k),
                ..
            } => match plan.values.get(&k.value) {
                Some(v) => Some(v.clone()),
                None => continue, // reported below as missing
            },
            _ => None,
        };
        match generate(&g.value, &mut rng, key.as_deref(), now) {
            Ok(value) => {
                plan.values.insert(name.clone(), value.clone());
                new.push((name.clone(), value));
            }
            Err(e) => {
                eprintln!("error: cannot generate {name}: {e}; nothing written");
                return ExitCode::from(2);
            }
        }
    }
    let scope = if args.groups.is_empty() {
        "every group".to_string()
    } else {
        format!(
            "group{} {}",
            if plan.groups.len() == 1 { "" } else { "s" },
            plan.groups.join(", ")
        )
    };
    if !new.is_empty() {
        let mut text = plan.env_text.clone().unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&format!(
            "# Generated by `pmovesc secrets init` for {scope}. Keep this file out of git.\n"
        ));
        for (name, value) in &new {
            text.push_str(&format!("{name}='{value}'\n"));
        }
        if let Err(e) = secret_files::replace(
            &args.out,
            ENV_FILE,
            plan.env_text.as_deref(),
            &text,
            secret_files::ENV_MODE,
        ) {
            eprintln!("error: writing {}: {e}", env_path(&args.out));
            return ExitCode::from(2);
        }
        if args.common.verbose {
            for (name, _) in &new {
                eprintln!("generated {name}");
            }
        }
    }
    // Secret files come from the values now in .env: a crash between the two writes leaves
    // files missing, which the next run writes from the same values.
    let mut files_written = Vec::new();
    for (rel, input) in plan.secret_files() {
        let Some(value) = plan.values.get(&input) else {
            continue; // reported below as missing
        };
        match secret_files::read(&args.out, &rel) {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", args.out.join(&rel).display());
                return ExitCode::from(2);
            }
        }
        let written = secret_files::private_parent(&args.out, &rel).and_then(|()| {
            secret_files::replace(&args.out, &rel, None, value, secret_files::SECRET_FILE_MODE)
        });
        if let Err(e) = written {
            eprintln!("error: writing {}: {e}", args.out.join(&rel).display());
            return ExitCode::from(2);
        }
        files_written.push(rel);
    }
    drop(lock);
    let missing = missing_by_group(&plan);
    for line in missing_lines(&plan, &missing, &args.out) {
        eprintln!("{line}");
    }
    let names: Vec<&str> = new.iter().map(|(n, _)| n.as_str()).collect();
    let mut last = if new.is_empty() {
        format!("nothing to generate for {scope}")
    } else {
        format!(
            "generated {} into {} for {scope}: {}",
            plural(new.len(), "input"),
            env_path(&args.out),
            names.join(", ")
        )
    };
    if already > 0 {
        last.push_str(&format!(" ({already} already set)"));
    }
    if !files_written.is_empty() {
        last.push_str(&format!(
            "; wrote {} ({})",
            plural(files_written.len(), "secret file"),
            files_written.join(", ")
        ));
    }
    let (external_lines, external_names) = external_lines(&plan);
    for line in &external_lines {
        eprintln!("{line}");
    }
    let still: BTreeSet<&str> = missing.values().flatten().copied().collect();
    if still.is_empty() && !external_names.is_empty() {
        eprintln!(
            "{last}; {scope} can start once the external {} exist{} (see above)",
            external_names.join(" and "),
            if external_names.len() == 1 { "s" } else { "" }
        );
        ExitCode::SUCCESS
    } else if still.is_empty() {
        eprintln!("{last}; {scope} can start");
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "{last}; still missing {}: set {} in {}",
            plural(still.len(), "input"),
            if still.len() == 1 { "it" } else { "them" },
            env_path(&args.out)
        );
        ExitCode::from(1)
    }
}

/// `init` writes values only into a file git ignores: OUT/.gitignore (written by `build`) must
/// list `.env`.
fn ignored_by_git(out: &Path) -> Result<(), ExitCode> {
    let listed = std::fs::read_to_string(out.join(GITIGNORE_FILE)).is_ok_and(|t| {
        t.lines()
            .any(|l| l.trim() == format!("/{ENV_FILE}") || l.trim() == ENV_FILE)
    });
    if listed {
        Ok(())
    } else {
        eprintln!(
            "error: {} does not keep {ENV_FILE} out of git; run `pmovesc build` into {} first (it writes {GITIGNORE_FILE}); nothing written",
            out.join(GITIGNORE_FILE).display(),
            out.display()
        );
        Err(ExitCode::from(1))
    }
}

/// For each chosen group, the required inputs it needs that are not set.
fn missing_by_group(plan: &Plan) -> BTreeMap<&str, Vec<&str>> {
    let mut out = BTreeMap::new();
    for g in &plan.groups {
        let missing: Vec<&str> = plan
            .required_for(g)
            .into_iter()
            .map(|i| i.name.value.as_str())
            .filter(|n| !plan.is_set(n))
            .collect();
        out.insert(g.as_str(), missing);
    }
    out
}

fn missing_lines(plan: &Plan, missing: &BTreeMap<&str, Vec<&str>>, out: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for (group, names) in missing {
        if names.is_empty() {
            continue;
        }
        let described: Vec<String> = names
            .iter()
            .map(|n| {
                if plan.stack.inputs[*n].generate.is_some() {
                    format!("{n} (generated)")
                } else {
                    format!("{n} (set it in {})", env_path(out))
                }
            })
            .collect();
        lines.push(format!("group {group}: missing {}", described.join(", ")));
    }
    lines
}

/// One line per external network or volume the chosen groups use (names only), and the
/// external names for the summary.
fn external_lines(plan: &Plan) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut names = Vec::new();
    for (ext, used_by) in &plan.externals {
        let groups: Vec<&str> = match used_by {
            None => plan.groups.iter().map(String::as_str).collect(),
            Some(g) => plan
                .groups
                .iter()
                .filter(|c| g.contains(*c))
                .map(String::as_str)
                .collect(),
        };
        if groups.is_empty() {
            continue;
        }
        let who = match groups.as_slice() {
            [one] => format!("group {one} uses"),
            many if many.len() <= 4 => format!("groups {} use", many.join(", ")),
            many => format!("{} groups ({}, ...) use", many.len(), many[..3].join(", ")),
        };
        lines.push(format!(
            "{who} the external {kind} {name}, which Compose does not create: run `docker {kind} create {name}` once on this host if it does not exist",
            kind = ext.kind,
            name = ext.name
        ));
        names.push(format!("{} {}", ext.kind, ext.name));
    }
    (lines, names)
}

/// Does a set JWT verify with the current value of its signing input? (Names only.)
fn stale_tokens(plan: &Plan) -> Vec<String> {
    let mut stale = Vec::new();
    for input in plan.stack.inputs.values() {
        let Some(Generator::Jwt {
            secret_input: Some(k),
            ..
        }) = input.generate.as_ref().map(|g| &g.value)
        else {
            continue;
        };
        let (Some(token), Some(key)) = (
            plan.values.get(&input.name.value),
            plan.values.get(&k.value),
        ) else {
            continue;
        };
        if !verifies(token, key) {
            stale.push(format!(
                "{} is not signed with the current {}: remove it from .env and run `pmovesc secrets init`",
                input.name.value, k.value
            ));
        }
    }
    stale
}

fn verifies(token: &str, key: &str) -> bool {
    let Some((signed, signature)) = token.rsplit_once('.') else {
        return false;
    };
    let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(signed.as_bytes());
    mac.verify_slice(&signature).is_ok()
}

fn check(args: &SecretsArgs) -> ExitCode {
    let plan = match plan(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let missing = missing_by_group(&plan);
    for line in missing_lines(&plan, &missing, &args.out) {
        eprintln!("{line}");
    }
    let mut stale = stale_tokens(&plan);
    for (rel, input) in plan.secret_files() {
        let on_disk = secret_files::read(&args.out, &rel).ok().flatten();
        match (on_disk, plan.values.get(&input)) {
            (None, _) => stale.push(format!(
                "{} (holds {input}) is missing: run `pmovesc secrets init`",
                args.out.join(&rel).display()
            )),
            (Some(text), Some(v)) if text.trim_end_matches('\n') != v => stale.push(format!(
                "{} does not hold the current {input}: delete it and run `pmovesc secrets init`",
                args.out.join(&rel).display()
            )),
            _ => {}
        }
    }
    for s in &stale {
        eprintln!("{s}");
    }
    for line in external_lines(&plan).0 {
        eprintln!("{line}");
    }
    let ready: Vec<&str> = missing
        .iter()
        .filter(|(_, m)| m.is_empty())
        .map(|(g, _)| *g)
        .collect();
    let not_ready = missing.len() - ready.len();
    let generated_only = missing
        .values()
        .flatten()
        .all(|n| plan.stack.inputs[*n].generate.is_some());
    let groups = if args.groups.is_empty() {
        String::new()
    } else {
        format!(" --group {}", plan.groups.join(" --group "))
    };
    if not_ready == 0 && stale.is_empty() {
        eprintln!(
            "{} ready: every required input is set ({})",
            if ready.len() == 1 {
                format!("group {}", ready[0])
            } else {
                format!("all {} groups", ready.len())
            },
            plural(plan.values.len(), "value")
        );
        return ExitCode::SUCCESS;
    }
    let fix = if generated_only {
        format!(
            "run `pmovesc secrets init {} -o {}{groups}`",
            args.stacks.display(),
            args.out.display()
        )
    } else {
        format!(
            "set the inputs marked above in {} (`pmovesc secrets init` generates the others)",
            env_path(&args.out)
        )
    };
    eprintln!(
        "{} of {} ready{}: {fix}",
        ready.len(),
        plural(missing.len(), "group"),
        if stale.is_empty() {
            String::new()
        } else {
            format!(", {}", plural(stale.len(), "stale secret"))
        },
    );
    ExitCode::from(1)
}
