//! A generator of realistic stacks of N services, for benchmarks and scaling tests (not part of
//! the CLI). Deterministic: the same N always gives the same files.
//!
//! The mix follows PMOVES: three templates, a class hierarchy with `extends=`, five network tiers,
//! `depends-on` chains, GPU variants through `when "gpu"`, `only-in "gpu"` jobs, MCP servers, env
//! blocks of 10-40 keys, healthchecks of every form, named volumes and bind mounts, and every
//! image pinned by digest (so a build has no warnings to print).

/// Services per generated file.
pub const SERVICES_PER_FILE: usize = 100;

/// The files of a stack of `n` services: `(relative path, text)`, in path order.
pub fn generate(n: usize) -> Vec<(String, String)> {
    let mut files = vec![("00-project.kdl".to_string(), PRELUDE.to_string())];
    let mut i = 0;
    let mut part = 0;
    while i < n {
        let end = (i + SERVICES_PER_FILE).min(n);
        let mut text = String::with_capacity((end - i) * 1500);
        for s in i..end {
            service(&mut text, s);
        }
        files.push((format!("services/{part:04}.kdl"), text));
        part += 1;
        i = end;
    }
    files
}

const PRELUDE: &str = r#"project "bench" {
    env-file "env.shared" ".env.local" required=#false
    default-hardening "baseline"
}

hardening "baseline" {
    no-new-privileges #true
    cap-drop "ALL"
    allow-cap "CHOWN" "SETUID" "SETGID" "NET_BIND_SERVICE"
    restart "unless-stopped"
}
hardening "strict" extends="baseline" {
    user "65532:65532"
    read-only #true
    tmpfs "/tmp" size="500m" mode="1777"
    pids-limit 512
    resources cpus=1.0 memory="1g"
    require "healthcheck" "limits"
}
hardening "worker" extends="strict" {
    tmpfs "/home/pmoves/.cache" size="200m" uid=65532 gid=65532
}
hardening "gpu-worker" extends="strict" {
    tmpfs "/tmp" size="2g"
    shm-size "4g"
    resources cpus=4.0 memory="16g"
}

network "api" name="bench_api" subnet="172.30.1.0/24"
network "app" name="bench_app" subnet="172.30.2.0/24"
network "bus" name="bench_bus" subnet="172.30.3.0/24"
network "data" name="bench_data" subnet="172.30.4.0/24" internal=#true
network "monitoring" name="bench_monitoring" subnet="172.30.5.0/24"

volume "models"
volume "media" name="bench_media" external=#true
secret "jwt" file="./secrets/jwt"
secret "api_key" environment="BENCH_API_KEY"

template "python-api" {
    hardening "strict"
    network "api" "monitoring"
    tmpfs "/home/pmoves/.cache" size="200m"
    env {
        LOG_LEVEL "info"
        PYTHONUNBUFFERED "1"
    }
}
template "worker" {
    hardening "worker"
    network "bus" "data" "monitoring"
    env {
        NATS_URL "nats://nats:4222"
    }
}
template "agent" from="python-api" {
    network "bus"
    secret "api_key" env="API_KEY_FILE"
}
"#;

fn digest(i: usize) -> String {
    // 64 hex digits, different per service.
    let mut h = String::with_capacity(64);
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    while h.len() < 64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        h.push_str(&format!("{x:016x}"));
    }
    h.truncate(64);
    h
}

fn service(out: &mut String, i: usize) {
    use std::fmt::Write;
    let name = format!("svc-{i:05}");
    let kind = i % 10;
    let from = match kind {
        0..=3 => " from=\"python-api\"",
        4..=7 => " from=\"worker\"",
        8 => " from=\"agent\"",
        _ => "",
    };
    let _ = writeln!(out, "service \"{name}\"{from} {{");
    let _ = writeln!(
        out,
        "    description \"Generated service {i} of the benchmark stack\""
    );
    let _ = writeln!(
        out,
        "    image \"ghcr.io/bench/{name}:1.{}.{}@sha256:{}\"",
        i % 7,
        i % 13,
        digest(i)
    );
    if i.is_multiple_of(3) {
        let _ = writeln!(
            out,
            "    build \"./services/{name}\" dockerfile=\"Dockerfile\" target=\"runtime\" {{\n        arg \"GIT_REF\" \"${{GIT_REF:-main}}\"\n    }}"
        );
    }
    let groups = ["agents", "workers", "data", "media", "monitoring"];
    let _ = writeln!(out, "    group \"{}\" \"all\"", groups[i % groups.len()]);
    let keys = 10 + (i * 7) % 31;
    let _ = writeln!(out, "    env {{");
    for k in 0..keys {
        match k % 4 {
            0 => {
                let _ = writeln!(
                    out,
                    "        VAR_{k:02} \"${{VAR_{k:02}:-default-{i}-{k}}}\""
                );
            }
            1 => {
                let _ = writeln!(
                    out,
                    "        URL_{k:02} \"http://svc-{:05}:{}/api\"",
                    i / 2,
                    8000 + k
                );
            }
            2 => {
                let _ = writeln!(
                    out,
                    "        FLAG_{k:02} \"{}\"",
                    if k % 3 == 0 { "yes" } else { "off" }
                );
            }
            _ => {
                let _ = writeln!(out, "        NUM_{k:02} \"{}\"", i * 31 + k);
            }
        }
    }
    let _ = writeln!(out, "    }}");
    // A unique host port per service, bound to loopback.
    let port = 8000 + (i % 1000);
    let host = 10000 + i;
    if host <= 65535 {
        let _ = writeln!(out, "    port {port} host={host} host-ip=\"127.0.0.1\"");
    }
    let _ = writeln!(out, "    expose {}", 9000 + i % 100);
    if i.is_multiple_of(5) {
        let _ = writeln!(out, "    volume \"models\" \"/models\" read-only=#true");
    }
    if i.is_multiple_of(7) {
        let _ = writeln!(
            out,
            "    volume \"./config/{name}\" \"/config\" read-only=#true"
        );
    }
    // depends-on chains of ten services (an API in front of its workers), with a small diamond:
    // every fourth service also waits, optionally, for the head of its chain.
    let head = i - i % 10;
    if i != head {
        // The previous service is a GPU-only job every 50: depend on it optionally.
        let optional = if (i - 1) % 50 == 49 {
            " required=#false"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "    depends-on \"svc-{:05}\" condition=\"healthy\"{optional}",
            i - 1
        );
        if i.is_multiple_of(4) && i - 1 != head {
            let _ = writeln!(out, "    depends-on \"svc-{head:05}\" required=#false");
        }
    }
    match i % 3 {
        0 => {
            let _ = writeln!(
                out,
                "    healthcheck interval=\"10s\" timeout=\"5s\" retries=5 {{\n        http-get port={port} path=\"/healthz\" tool=\"python\"\n    }}"
            );
        }
        1 => {
            let _ = writeln!(
                out,
                "    healthcheck {{\n        cmd \"python3\" \"-c\" \"print(1)\"\n    }}"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "    healthcheck {{\n        shell \"test -f /tmp/ready || exit 1\"\n    }}"
            );
        }
    }
    if from.is_empty() {
        let _ = writeln!(out, "    hardening \"strict\"\n    network \"app\"");
    }
    let _ = writeln!(
        out,
        "    resources cpus=0.5 memory=\"{}m\"",
        256 + (i % 8) * 128
    );
    if i.is_multiple_of(20) {
        let _ = writeln!(
            out,
            "    when \"gpu\" {{\n        image \"ghcr.io/bench/{name}-gpu:1.0.0@sha256:{}\"\n        gpu count=1 capabilities=\"gpu\"\n        hardening \"gpu-worker\"\n    }}",
            digest(i + 1_000_000)
        );
    }
    if i % 50 == 49 {
        let _ = writeln!(out, "    only-in \"gpu\"\n    gpu device-ids=\"0\"");
    }
    if i.is_multiple_of(25) {
        let _ = writeln!(
            out,
            "    mcp \"io.github.bench/{name}\" {{\n        description \"Tools of generated service {i}\"\n        version \"1.0.{i}\"\n        transport \"streamable-http\" port={port} path=\"/mcp\"\n        env \"API_TOKEN\" secret=#true required=#true\n        tool \"search\" \"fetch\"\n    }}"
        );
    }
    let _ = writeln!(out, "}}\n");
}
