//! `standin inspect`: what the container enforces on this process, measured from inside it
//! (`/proc/self`, the cgroup files, and attempts to write), printed as one JSON object.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;

use crate::json::Json;

pub fn run() -> ExitCode {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> Vec<String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(|v| v.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let int = |v: Option<&String>| Json::opt_int(v.and_then(|s| s.parse().ok()));
    let uid = field("Uid");
    let gid = field("Gid");
    let groups: Vec<Json> = field("Groups")
        .iter()
        .filter_map(|g| g.parse().ok().map(Json::Int))
        .collect();
    let (nofile_soft, nofile_hard) = nofile();
    let report = Json::Obj(vec![
        ("uid".into(), int(uid.get(1))),
        ("gid".into(), int(gid.get(1))),
        ("groups".into(), Json::Arr(groups)),
        (
            "cap_eff".into(),
            field("CapEff")
                .first()
                .map_or(Json::Null, |s| Json::str(s.as_str())),
        ),
        ("no_new_privs".into(), int(field("NoNewPrivs").first())),
        ("seccomp".into(), int(field("Seccomp").first())),
        ("root_read_only".into(), Json::Bool(root_read_only())),
        ("default_route".into(), Json::Bool(default_route())),
        (
            "root_writable".into(),
            Json::Bool(dir_writable(Path::new("/"))),
        ),
        ("mounts".into(), Json::Arr(mounts())),
        ("memory_limit".into(), Json::opt_int(memory_limit())),
        ("pids_limit".into(), Json::opt_int(pids_limit())),
        ("cpu_milli".into(), Json::opt_int(cpu_milli())),
        ("nofile_soft".into(), Json::opt_int(nofile_soft)),
        ("nofile_hard".into(), Json::opt_int(nofile_hard)),
        ("secrets".into(), Json::Arr(secrets())),
        ("env".into(), Json::Arr(env_names())),
    ]);
    println!("{}", report.render());
    ExitCode::SUCCESS
}

/// Whether the network namespace has a default route (`/proc/net/route`, destination 0).
fn default_route() -> bool {
    fs::read_to_string("/proc/net/route")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .any(|l| l.split_whitespace().nth(1) == Some("00000000"))
}

/// Whether `/` is mounted read-only (its mountinfo options).
fn root_read_only() -> bool {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .map(|l| l.split(' ').collect::<Vec<_>>())
        .rfind(|w| w.get(4) == Some(&"/"))
        .and_then(|w| w.get(5).map(|o| o.split(',').any(|o| o == "ro")))
        .unwrap_or(false)
}

/// Whether this process can create a file in `dir` (tried, then removed).
fn dir_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".standin-write-{}", std::process::id()));
    match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let _ = fs::remove_file(&probe);
            true
        }
        Err(_) => false,
    }
}

/// Whether this process can open `file` for writing (nothing is written).
fn file_writable(file: &Path) -> bool {
    OpenOptions::new().append(true).open(file).is_ok()
}

const SKIPPED_FS: &[&str] = &[
    "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "devtmpfs",
];

fn mounts() -> Vec<Json> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut out = Vec::new();
    for line in info.lines() {
        // id parent major:minor root mountpoint options [optional...] - fstype source super
        let words: Vec<&str> = line.split(' ').collect();
        let Some(dash) = words.iter().position(|w| *w == "-") else {
            continue;
        };
        let (Some(point), Some(options), Some(fstype)) =
            (words.get(4), words.get(5), words.get(dash + 1))
        else {
            continue;
        };
        let point = unescape(point);
        if SKIPPED_FS.contains(fstype)
            || point == "/"
            || ["/proc", "/sys", "/dev"]
                .iter()
                .any(|p| point == *p || point.starts_with(&format!("{p}/")))
        {
            continue;
        }
        let path = Path::new(&point);
        let meta = fs::metadata(path).ok();
        let writable = match &meta {
            Some(m) if m.is_dir() => dir_writable(path),
            Some(_) => file_writable(path),
            None => false,
        };
        out.push(Json::Obj(vec![
            ("path".into(), Json::Str(point.clone())),
            ("fstype".into(), Json::str(*fstype)),
            (
                "read_only".into(),
                Json::Bool(options.split(',').any(|o| o == "ro")),
            ),
            ("writable".into(), Json::Bool(writable)),
            (
                "mode".into(),
                meta.as_ref().map_or(Json::Null, |m| {
                    Json::Str(format!("{:o}", m.mode() & 0o7777))
                }),
            ),
            (
                "owner".into(),
                meta.as_ref().map_or(Json::Null, |m| {
                    Json::Str(format!("{}:{}", m.uid(), m.gid()))
                }),
            ),
        ]));
    }
    out
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let code: String = chars.by_ref().take(3).collect();
            if let Ok(n) = u8::from_str_radix(&code, 8) {
                out.push(n as char);
                continue;
            }
            out.push('\\');
            out.push_str(&code);
        } else {
            out.push(c);
        }
    }
    out
}

fn read_first(paths: &[&str]) -> Option<String> {
    paths
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
}

/// The memory limit in bytes; `None` when unlimited (cgroup v2 `max`, or v1's huge default).
fn memory_limit() -> Option<i128> {
    let v = read_first(&[
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ])?;
    let n: i128 = v.parse().ok()?;
    (n < 1 << 62).then_some(n)
}

fn pids_limit() -> Option<i128> {
    read_first(&["/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/pids/pids.max"])?
        .parse()
        .ok()
}

/// The CPU limit in thousandths of a CPU; `None` when unlimited.
fn cpu_milli() -> Option<i128> {
    let (quota, period): (i128, i128) = if let Some(v) = read_first(&["/sys/fs/cgroup/cpu.max"]) {
        let mut w = v.split_whitespace();
        (w.next()?.parse().ok()?, w.next()?.parse().ok()?)
    } else {
        let q = read_first(&[
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us",
        ])?;
        let p = read_first(&[
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us",
        ])?;
        (q.parse().ok()?, p.parse().ok()?)
    };
    (quota > 0 && period > 0).then(|| quota * 1000 / period)
}

fn nofile() -> (Option<i128>, Option<i128>) {
    let limits = fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|l| l.starts_with("Max open files")) else {
        return (None, None);
    };
    let words: Vec<&str> = line["Max open files".len()..].split_whitespace().collect();
    let num = |i: usize| words.get(i).and_then(|w| w.parse().ok());
    (num(0), num(1))
}

fn secrets() -> Vec<Json> {
    let Ok(entries) = fs::read_dir("/run/secrets") else {
        return Vec::new();
    };
    let mut names: Vec<(String, bool)> = entries
        .flatten()
        .map(|e| {
            let readable = fs::File::open(e.path()).is_ok();
            (e.file_name().to_string_lossy().into_owned(), readable)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|(name, readable)| {
            Json::Obj(vec![
                ("name".into(), Json::Str(name)),
                ("readable".into(), Json::Bool(readable)),
            ])
        })
        .collect()
}

fn env_names() -> Vec<Json> {
    let mut names: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(Json::Str).collect()
}
