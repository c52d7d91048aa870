//! What the compose model says a container enforces, checked against what `standin inspect`
//! measured inside it: user, read-only root, effective capabilities, no-new-privileges,
//! seccomp, tmpfs writable by the service's user, memory/pids/CPU limits, open-file limit,
//! secrets readable, environment names.

use serde_json::Value;

/// Docker's default capability set (`CapEff` of a root container that drops and adds nothing).
const DEFAULT_CAPS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SYS_CHROOT",
    "MKNOD",
    "AUDIT_WRITE",
    "SETFCAP",
];

/// Linux capability numbers (include/uapi/linux/capability.h).
const CAP_NUMBERS: &[(&str, u32)] = &[
    ("CHOWN", 0),
    ("DAC_OVERRIDE", 1),
    ("DAC_READ_SEARCH", 2),
    ("FOWNER", 3),
    ("FSETID", 4),
    ("KILL", 5),
    ("SETGID", 6),
    ("SETUID", 7),
    ("SETPCAP", 8),
    ("LINUX_IMMUTABLE", 9),
    ("NET_BIND_SERVICE", 10),
    ("NET_BROADCAST", 11),
    ("NET_ADMIN", 12),
    ("NET_RAW", 13),
    ("IPC_LOCK", 14),
    ("IPC_OWNER", 15),
    ("SYS_MODULE", 16),
    ("SYS_RAWIO", 17),
    ("SYS_CHROOT", 18),
    ("SYS_PTRACE", 19),
    ("SYS_PACCT", 20),
    ("SYS_ADMIN", 21),
    ("SYS_BOOT", 22),
    ("SYS_NICE", 23),
    ("SYS_RESOURCE", 24),
    ("SYS_TIME", 25),
    ("SYS_TTY_CONFIG", 26),
    ("MKNOD", 27),
    ("LEASE", 28),
    ("AUDIT_WRITE", 29),
    ("AUDIT_CONTROL", 30),
    ("SETFCAP", 31),
    ("MAC_OVERRIDE", 32),
    ("MAC_ADMIN", 33),
    ("SYSLOG", 34),
    ("WAKE_ALARM", 35),
    ("BLOCK_SUSPEND", 36),
    ("AUDIT_READ", 37),
    ("PERFMON", 38),
    ("BPF", 39),
    ("CHECKPOINT_RESTORE", 40),
];

fn cap_bit(name: &str) -> Option<u64> {
    let n = name.trim_start_matches("CAP_").to_ascii_uppercase();
    CAP_NUMBERS
        .iter()
        .find(|(c, _)| *c == n)
        .map(|(_, b)| 1u64 << b)
}

/// The `CapEff` the model implies: Docker's defaults minus `cap_drop` plus `cap_add` for root;
/// none for any other user (Docker grants a non-root process no ambient capabilities).
pub fn expected_cap_eff(s: &Value, uid: u32) -> u64 {
    if uid != 0 {
        return 0;
    }
    let words = |key: &str| -> Vec<String> {
        s[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(|c| c.to_ascii_uppercase()))
            .collect()
    };
    let drop = words("cap_drop");
    let add = words("cap_add");
    let mut mask = 0u64;
    if !drop.iter().any(|c| c == "ALL") {
        for c in DEFAULT_CAPS {
            if !drop.iter().any(|d| d.trim_start_matches("CAP_") == *c) {
                mask |= cap_bit(c).unwrap_or(0);
            }
        }
    }
    for c in &add {
        if c == "ALL" {
            mask |= CAP_NUMBERS.iter().fold(0, |m, (_, b)| m | (1u64 << b));
        } else {
            mask |= cap_bit(c).unwrap_or(0);
        }
    }
    mask
}

/// The uid and gid of `user: U[:G]` (numeric); root (the stand-in image's user) when unset.
pub fn expected_ids(s: &Value) -> Option<(u32, Option<u32>)> {
    match s["user"].as_str() {
        None | Some("") => Some((0, Some(0))),
        Some(u) => {
            let (uid, gid) = u.split_once(':').unwrap_or((u, ""));
            Some((uid.parse().ok()?, gid.parse().ok()))
        }
    }
}

/// A compose size (`config` writes bytes) in bytes.
fn bytes(v: &Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let s = v.as_str()?.trim().to_ascii_lowercase();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num.parse().ok()?;
    let mult = match unit.trim_end_matches('b') {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((n * mult) as i64)
}

/// Every difference between what the model says about `service` and what `inspect` measured;
/// empty when the container enforces all of it. `cpus_ceiling`/`nofile_ceiling` are this
/// machine's limits the override lowered values to.
pub fn mismatches(
    service: &str,
    s: &Value,
    inspect: &Value,
    cpus_ceiling: f64,
    nofile_ceiling: Option<i64>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut other = Vec::new();
    let mut check = |what: &str, expected: String, measured: String| {
        if expected != measured {
            out.push(format!(
                "{service}: {what}: the model says {expected}, the container has {measured}"
            ));
        }
    };
    let uid = inspect["uid"].as_u64().unwrap_or(u64::MAX) as u32;
    match expected_ids(s) {
        Some((u, g)) => {
            check("uid", u.to_string(), inspect["uid"].to_string());
            if let Some(g) = g {
                check("gid", g.to_string(), inspect["gid"].to_string());
            }
        }
        None => check(
            "user",
            "a numeric user".into(),
            format!("{:?}", s["user"].as_str()),
        ),
    }
    let read_only = s["read_only"].as_bool() == Some(true);
    check(
        "root filesystem read-only",
        read_only.to_string(),
        inspect["root_read_only"].to_string(),
    );
    let cap = u64::from_str_radix(inspect["cap_eff"].as_str().unwrap_or("x"), 16).ok();
    check(
        "CapEff",
        format!("{:016x}", expected_cap_eff(s, uid)),
        cap.map_or("unreadable".into(), |c| format!("{c:016x}")),
    );
    let opts: Vec<&str> = s["security_opt"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let nnp = opts
        .iter()
        .any(|o| *o == "no-new-privileges:true" || *o == "no-new-privileges");
    let privileged = s["privileged"].as_bool() == Some(true);
    check(
        "NoNewPrivs",
        if nnp { "1" } else { "0" }.into(),
        inspect["no_new_privs"].to_string(),
    );
    let unconfined = privileged
        || opts
            .iter()
            .any(|o| o.replace(':', "=") == "seccomp=unconfined");
    check(
        "seccomp mode",
        if unconfined { "0" } else { "2" }.into(),
        inspect["seccomp"].to_string(),
    );
    let mounts = inspect["mounts"].as_array().cloned().unwrap_or_default();
    for t in s["tmpfs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let path = t.split(':').next().unwrap_or(t);
        let m = mounts.iter().find(|m| m["path"].as_str() == Some(path));
        match m {
            None => other.push(format!(
                "{service}: tmpfs {path}: not mounted in the container"
            )),
            Some(m) if m["writable"].as_bool() != Some(true) => other.push(format!(
                "{service}: tmpfs {path} is not writable by the service's user (uid {uid}); \
                 mode {}, owner {}",
                m["mode"], m["owner"]
            )),
            Some(_) => {}
        }
    }
    let limits = &s["deploy"]["resources"]["limits"];
    if let Some(mem) = bytes(&limits["memory"]) {
        check(
            "memory limit",
            mem.to_string(),
            inspect["memory_limit"].to_string(),
        );
    }
    if let Some(pids) = limits["pids"].as_i64().filter(|p| *p > 0) {
        check(
            "pids limit",
            pids.to_string(),
            inspect["pids_limit"].to_string(),
        );
    }
    let cpus = limits["cpus"]
        .as_f64()
        .or_else(|| limits["cpus"].as_str().and_then(|c| c.parse().ok()));
    if let Some(c) = cpus {
        let c = c.min(cpus_ceiling);
        check(
            "CPU limit (thousandths)",
            ((c * 1000.0).round() as i64).to_string(),
            inspect["cpu_milli"].to_string(),
        );
    }
    if let Some(nofile) = s["ulimits"]["nofile"].as_object() {
        let ceiling = nofile_ceiling.unwrap_or(i64::MAX);
        for (key, field) in [("soft", "nofile_soft"), ("hard", "nofile_hard")] {
            if let Some(v) = nofile.get(key).and_then(Value::as_i64) {
                check(
                    &format!("open-file limit ({key})"),
                    v.min(ceiling).to_string(),
                    inspect[field].to_string(),
                );
            }
        }
    }
    let secrets = inspect["secrets"].as_array().cloned().unwrap_or_default();
    for sec in s["secrets"].as_array().into_iter().flatten() {
        let target = sec["target"]
            .as_str()
            .or_else(|| sec["source"].as_str())
            .unwrap_or_default();
        let name = target.rsplit('/').next().unwrap_or(target);
        match secrets.iter().find(|m| m["name"].as_str() == Some(name)) {
            None => other.push(format!(
                "{service}: secret {name} is not under /run/secrets"
            )),
            Some(m) if m["readable"].as_bool() != Some(true) => other.push(format!(
                "{service}: secret {name} is not readable by the service's user (uid {uid})"
            )),
            Some(_) => {}
        }
    }
    let env: Vec<&str> = inspect["env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for key in s["environment"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if !env.contains(&key.as_str()) {
            other.push(format!(
                "{service}: environment variable {key} is not set in the container"
            ));
        }
    }
    out.extend(other);
    out
}
