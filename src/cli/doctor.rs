//! `pmovesc doctor`: what the engine's host will refuse of a profile before anything starts (a
//! CPU limit above the host's CPUs, a privileged container or an open-file limit the daemon
//! cannot grant), and the compiled profile model `smoke` shares.

use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

use super::engine::{Engine, Host};
use super::{Common, load, report};

/// A profile compiled from STACKS: its compose model as compose JSON, its file name, the
/// project name the file sets.
pub struct ProfileModel {
    pub model: Value,
    pub file: String,
    pub project: String,
}

/// Compiles STACKS for one profile; diagnostics are printed, an error exits 2.
pub fn profile_model(
    stacks: &Path,
    profile: &str,
    common: &Common,
) -> Result<ProfileModel, ExitCode> {
    let sources = load(stacks)?;
    let options = pmovesc::Options {
        profiles: vec![profile.to_string()],
        strict: false,
        regenerate: String::new(),
        keep_models: true,
    };
    let output = pmovesc::compile(&sources, &options);
    // Warnings are the build's business; only errors stop here.
    let errors: Vec<pmovesc::diag::Diagnostic> = output
        .diagnostics
        .iter()
        .filter(|d| d.severity == pmovesc::diag::Severity::Error)
        .cloned()
        .collect();
    if report(&sources, &errors, common).errors > 0 {
        return Err(ExitCode::from(2));
    }
    let Some((file, model)) = output.models.into_iter().next() else {
        eprintln!("error: profile `{profile}` produced no compose file");
        return Err(ExitCode::from(2));
    };
    Ok(ProfileModel {
        project: model["name"].as_str().unwrap_or_default().to_string(),
        model,
        file,
    })
}

/// Linux capability names by number (include/uapi/linux/capability.h), for messages.
const CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

const CAP_SYS_RESOURCE: u32 = 24;

fn services(model: &Value) -> impl Iterator<Item = (&String, &Value)> {
    model["services"].as_object().into_iter().flatten()
}

/// What this host will refuse of the profile: one warning per reason, naming every service it
/// holds for.
pub fn host_warnings(model: &Value, host: &Host) -> Vec<String> {
    let missing: Vec<&str> = host
        .daemon
        .as_ref()
        .map(|d| {
            CAPS.iter()
                .enumerate()
                .filter(|(i, _)| d.cap_eff & (1u64 << i) == 0)
                .map(|(_, c)| *c)
                .collect()
        })
        .unwrap_or_default();
    let no_sys_resource = host
        .daemon
        .as_ref()
        .is_some_and(|d| d.cap_eff & (1u64 << CAP_SYS_RESOURCE) == 0);
    let (mut cpus, mut privileged, mut nofile) = (Vec::new(), Vec::new(), Vec::new());
    for (name, s) in services(model) {
        if let (Some(want), Some(ncpu)) = (
            s["deploy"]["resources"]["limits"]["cpus"].as_f64(),
            host.ncpu,
        ) && want > ncpu
        {
            cpus.push(format!("{name} ({want})"));
        }
        if s["privileged"].as_bool() == Some(true) && !missing.is_empty() {
            privileged.push(name.clone());
        }
        let want = match &s["ulimits"]["nofile"] {
            Value::Number(n) => n.as_u64(),
            v => v["hard"].as_u64().max(v["soft"].as_u64()),
        };
        if let (Some(want), Some(limit)) = (want, host.daemon.as_ref().and_then(|d| d.nofile_hard))
            && want > limit
            && no_sys_resource
        {
            nofile.push(format!("{name} ({want})"));
        }
    }
    let plural = |n: usize| {
        if n == 1 {
            ("service", "asks", "it")
        } else {
            ("services", "ask", "them")
        }
    };
    let mut out = Vec::new();
    if !cpus.is_empty() {
        let (noun, verb, them) = plural(cpus.len());
        out.push(format!(
            "{} {noun} {verb} for more CPUs than the engine's host has ({}): {}; the engine \
             refuses to start {them} (lower `resources cpus=`, or run on a larger host)",
            cpus.len(),
            host.ncpu.unwrap_or_default(),
            cpus.join(", ")
        ));
    }
    if let (false, Some(d)) = (privileged.is_empty(), &host.daemon) {
        let (noun, _, them) = plural(privileged.len());
        out.push(format!(
            "privileged {noun} {}: the engine's daemon (pid {}) lacks CAP_{}, so it cannot start \
             {them} on this host",
            privileged.join(", "),
            d.pid,
            missing.join(", CAP_")
        ));
    }
    if let (false, Some(d)) = (nofile.is_empty(), &host.daemon) {
        let (noun, verb, them) = plural(nofile.len());
        out.push(format!(
            "{} {noun} {verb} for an open-file limit above the engine daemon's hard limit of {} \
             (pid {}, no CAP_SYS_RESOURCE to raise it): {}; the engine cannot start {them} on \
             this host",
            nofile.len(),
            d.nofile_hard.unwrap_or_default(),
            d.pid,
            nofile.join(", ")
        ));
    }
    out
}

#[derive(clap::Args)]
pub struct DoctorArgs {
    /// The stack directory.
    pub stacks: std::path::PathBuf,
    /// The profile whose compose file is checked against this host.
    #[arg(long)]
    pub profile: String,
    #[command(flatten)]
    pub common: Common,
}

pub fn doctor_cmd(args: &DoctorArgs) -> ExitCode {
    let pm = match profile_model(&args.stacks, &args.profile, &args.common) {
        Ok(m) => m,
        Err(code) => return code,
    };
    let engine = match Engine::connect() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}", e.0);
            return ExitCode::from(2);
        }
    };
    let host = engine.host();
    println!(
        "engine: Docker {}; {} CPUs; daemon {}",
        engine.server_version,
        host.ncpu.map_or("unknown".into(), |n| n.to_string()),
        host.daemon
            .as_ref()
            .map_or("not local (its limits are not read)".to_string(), |d| {
                format!(
                    "pid {}, open-file limit {}",
                    d.pid,
                    d.nofile_hard.map_or("unknown".into(), |n| n.to_string())
                )
            })
    );
    let warnings = host_warnings(&pm.model, &host);
    for w in &warnings {
        println!("warning: {w}");
    }
    println!(
        "{}: {} services; {} host warning{}",
        pm.file,
        services(&pm.model).count(),
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" }
    );
    ExitCode::SUCCESS
}
