//! `pmovesc smoke`: the running compose project of a profile is healthy. Finds the project,
//! waits for every service of the selected groups to be running and healthy, probes from the
//! host each `http-get` endpoint published on a host port, prints a table (or JSON), and keeps
//! evidence (each service's health JSON and last log lines) on request.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::Common;
use super::doctor::{ProfileModel, host_warnings, profile_model};
use super::engine::{Engine, config_file_names};

/// The label pmovesc writes with a service's `http-get` endpoint.
const PROBE_LABEL: &str = pmovesc::targets::compose::lower::PROBE_LABEL;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(clap::Args)]
pub struct SmokeArgs {
    /// The stack directory the running project was built from.
    pub stacks: PathBuf,
    /// The profile whose compose file the project runs.
    #[arg(long)]
    pub profile: String,
    /// Check only the services of these groups (and those in no group); repeatable.
    #[arg(long = "group")]
    pub groups: Vec<String>,
    /// Seconds to wait for every service to be running and healthy.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write each service's health JSON and last log lines into this directory.
    #[arg(long)]
    pub evidence: Option<PathBuf>,
    /// The compose project name, when it is not the only project of this profile.
    #[arg(long)]
    pub project: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// One service's line of the report.
struct Row {
    service: String,
    id: Option<String>,
    state: String,
    health: String,
    endpoint: Option<String>,
    result: String,
    ms: Option<u128>,
    ok: bool,
    last_health: Option<String>,
}

pub fn smoke_cmd(args: &SmokeArgs) -> ExitCode {
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
    let warnings = host_warnings(&pm.model, &engine.host());
    let project = match find_project(&engine, &pm, args.project.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let selected = selected_services(&pm.model, &args.groups);
    if selected.is_empty() {
        eprintln!(
            "error: no service of profile `{}` is in the groups {:?}",
            args.profile, args.groups
        );
        return ExitCode::from(2);
    }
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let rows = match wait_and_probe(&engine, &pm.model, &project, &selected, deadline) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(dir) = &args.evidence
        && let Err(e) = write_evidence(&engine, dir, &rows)
    {
        eprintln!("error: cannot write evidence to {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let failed: Vec<&Row> = rows.iter().filter(|r| !r.ok).collect();
    match args.format {
        Format::Text => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            print!("{}", table(&rows));
            println!(
                "{project}: {} of {} services healthy{}",
                rows.len() - failed.len(),
                rows.len(),
                if failed.is_empty() { "" } else { "; FAILED" }
            );
        }
        Format::Json => {
            let report = json!({
                "project": project,
                "profile": args.profile,
                "ok": failed.is_empty(),
                "warnings": warnings,
                "services": rows.iter().map(row_json).collect::<Vec<_>>(),
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        }
    }
    for r in &failed {
        eprintln!(
            "error: service `{}` is not healthy ({}, {}): {}{}",
            r.service,
            r.state,
            if r.health.is_empty() {
                "no health"
            } else {
                &r.health
            },
            r.result,
            r.last_health
                .as_ref()
                .map(|h| format!("; last health check: {}", h.trim()))
                .unwrap_or_default()
        );
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The project running this profile's file: the one named, else the only project whose config
/// files include the profile's file (preferring the file's own `name:`).
fn find_project(engine: &Engine, pm: &ProfileModel, named: Option<&str>) -> Result<String, String> {
    let projects = engine.projects().map_err(|e| e.0)?;
    if let Some(n) = named {
        return if projects.iter().any(|p| p["Name"].as_str() == Some(n)) {
            Ok(n.to_string())
        } else {
            Err(format!("no compose project `{n}` is known to the engine"))
        };
    }
    let of_profile: Vec<&str> = projects
        .iter()
        .filter(|p| config_file_names(p).iter().any(|f| f == &pm.file))
        .filter_map(|p| p["Name"].as_str())
        .collect();
    match of_profile.as_slice() {
        [] => Err(format!(
            "no compose project runs {} (start it: docker compose -f OUT/{} up -d)",
            pm.file, pm.file
        )),
        [one] => Ok(one.to_string()),
        many if many.contains(&pm.project.as_str()) => Ok(pm.project.clone()),
        many => Err(format!(
            "several compose projects run {}: {}; choose one with --project",
            pm.file,
            many.join(", ")
        )),
    }
}

/// The services to check: all of the profile, or those in no group or in one of `groups`.
fn selected_services(model: &Value, groups: &[String]) -> BTreeSet<String> {
    model["services"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, s)| {
            let own: Vec<&str> = s["profiles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            groups.is_empty() || own.is_empty() || own.iter().any(|g| groups.iter().any(|w| w == g))
        })
        .map(|(n, _)| n.clone())
        .collect()
}

fn has_healthcheck(s: &Value) -> bool {
    s["healthcheck"]["test"]
        .as_array()
        .and_then(|t| t.first())
        .and_then(Value::as_str)
        .is_some_and(|t| t != "NONE")
}

/// Waits until every selected service runs and is healthy (or the deadline passes), then probes
/// the published `http-get` endpoints.
fn wait_and_probe(
    engine: &Engine,
    model: &Value,
    project: &str,
    selected: &BTreeSet<String>,
    deadline: Instant,
) -> Result<Vec<Row>, String> {
    let containers = loop {
        let containers = engine.containers(project).map_err(|e| e.0)?;
        let ready = selected.iter().all(|s| {
            containers.iter().any(|c| {
                c["Service"].as_str() == Some(s)
                    && c["State"].as_str() == Some("running")
                    && (!has_healthcheck(&model["services"][s])
                        || c["Health"].as_str() == Some("healthy"))
            })
        });
        if ready || Instant::now() >= deadline {
            break containers;
        }
        std::thread::sleep(Duration::from_millis(1000));
    };
    let mut rows = Vec::new();
    for service in selected {
        let s = &model["services"][service];
        let c = containers
            .iter()
            .find(|c| c["Service"].as_str() == Some(service.as_str()));
        let id = c.and_then(|c| c["ID"].as_str()).map(String::from);
        let state = c
            .and_then(|c| c["State"].as_str())
            .unwrap_or("missing")
            .to_string();
        let health = c
            .and_then(|c| c["Health"].as_str())
            .unwrap_or("")
            .to_string();
        let healthy = state == "running" && (!has_healthcheck(s) || health == "healthy");
        let mut row = Row {
            service: service.clone(),
            id: id.clone(),
            state,
            health,
            endpoint: None,
            result: if healthy {
                "ok".into()
            } else if c.is_none() {
                "no container".into()
            } else {
                "not healthy".into()
            },
            ms: None,
            ok: healthy,
            last_health: None,
        };
        if let Some(id) = &id
            && !healthy
        {
            row.last_health = engine.inspect(id).ok().and_then(|v| {
                v["State"]["Health"]["Log"]
                    .as_array()
                    .and_then(|l| l.last())
                    .and_then(|e| e["Output"].as_str())
                    .map(String::from)
                    .or_else(|| {
                        v["State"]["Error"]
                            .as_str()
                            .filter(|e| !e.is_empty())
                            .map(String::from)
                    })
            });
        }
        if healthy && let Some(url) = published_endpoint(s, c) {
            let started = Instant::now();
            let result = http_get(&url, Duration::from_secs(5));
            row.ms = Some(started.elapsed().as_millis());
            row.endpoint = Some(url);
            match result {
                Ok(status) if status < 400 => row.result = format!("HTTP {status}"),
                Ok(status) => {
                    row.result = format!("HTTP {status}");
                    row.ok = false;
                }
                Err(e) => {
                    row.result = e;
                    row.ok = false;
                }
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The host URL of a service's `http-get` endpoint when its port is published (a wildcard host
/// address is probed on loopback), or when the service is on the host's network.
fn published_endpoint(s: &Value, c: Option<&Value>) -> Option<String> {
    let url = s["labels"][PROBE_LABEL].as_str()?;
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = authority.rsplit_once(':')?;
    let port: u64 = port.parse().ok()?;
    if host == "127.0.0.1" {
        return Some(url.to_string());
    }
    let publisher = c?["Publishers"].as_array()?.iter().find(|p| {
        p["TargetPort"].as_u64() == Some(port) && p["PublishedPort"].as_u64().unwrap_or(0) > 0
    })?;
    let ip = match publisher["URL"].as_str().unwrap_or("") {
        "" | "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "[::1]".to_string(),
        ip if ip.contains(':') => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    Some(format!(
        "http://{ip}:{}{}",
        publisher["PublishedPort"].as_u64()?,
        if path.is_empty() { "/" } else { path }
    ))
}

/// GETs an `http://` URL; the status, or why there is none.
fn http_get(url: &str, timeout: Duration) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or("not an http:// URL")?;
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let addrs: Vec<SocketAddr> = authority
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .collect();
    let addr = addrs.first().ok_or("no address")?;
    let mut stream =
        TcpStream::connect_timeout(addr, timeout).map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: pmovesc-smoke\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.contains(&b'\n') && head.len() < 8192 {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("receive: {e}")),
        }
    }
    String::from_utf8_lossy(&head)
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "not an HTTP response".to_string())
}

fn table(rows: &[Row]) -> String {
    let header = ["SERVICE", "STATE", "HEALTH", "ENDPOINT", "RESULT", "TIME"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.service.clone(),
                r.state.clone(),
                if r.health.is_empty() {
                    "-".into()
                } else {
                    r.health.clone()
                },
                r.endpoint.clone().unwrap_or_else(|| "-".into()),
                r.result.clone(),
                r.ms.map_or("-".into(), |ms| format!("{ms}ms")),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let text: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", text.join("  ").trim_end());
    };
    line(&mut out, &header.map(String::from));
    for row in &cells {
        line(&mut out, row);
    }
    out
}

fn row_json(r: &Row) -> Value {
    json!({
        "service": r.service,
        "state": r.state,
        "health": r.health,
        "endpoint": r.endpoint,
        "result": r.result,
        "ms": r.ms,
        "ok": r.ok,
        "last_health_log": r.last_health,
    })
}

/// Each service's `State` (with its health log) as JSON and its last log lines, one pair of
/// files per service. Files are written beside and renamed into place, never through a symlink.
fn write_evidence(engine: &Engine, dir: &Path, rows: &[Row]) -> Result<(), String> {
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err("it is a symlink".into());
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for r in rows {
        let (state, logs) = match &r.id {
            Some(id) => (
                engine
                    .inspect(id)
                    .map(|v| v["State"].clone())
                    .unwrap_or(Value::Null),
                engine.logs(id, 100).unwrap_or_default(),
            ),
            None => (Value::Null, String::new()),
        };
        let health = json!({ "service": r.service, "state": state, "smoke": row_json(r) });
        put(
            dir,
            &format!("{}.health.json", r.service),
            &(serde_json::to_string_pretty(&health).unwrap_or_default() + "\n"),
        )?;
        put(dir, &format!("{}.log", r.service), &logs)?;
    }
    Ok(())
}

fn put(dir: &Path, name: &str, text: &str) -> Result<(), String> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    f.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    drop(f);
    std::fs::rename(&tmp, &target).map_err(|e| format!("{}: {e}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_select_their_services_and_the_ungrouped() {
        let model = json!({"services": {
            "a": {"profiles": ["agents"]},
            "b": {"profiles": ["data"]},
            "c": {}
        }});
        let all = selected_services(&model, &[]);
        assert_eq!(all.len(), 3);
        let agents = selected_services(&model, &["agents".into()]);
        assert_eq!(agents, BTreeSet::from(["a".to_string(), "c".to_string()]));
    }

    #[test]
    fn a_published_endpoint_is_probed_on_loopback() {
        let s = json!({"labels": {PROBE_LABEL: "http://archon:8091/healthz"}});
        let c = json!({"Publishers": [
            {"URL": "0.0.0.0", "TargetPort": 8091, "PublishedPort": 18091, "Protocol": "tcp"},
            {"URL": "", "TargetPort": 8052, "PublishedPort": 0, "Protocol": "tcp"}
        ]});
        assert_eq!(
            published_endpoint(&s, Some(&c)).as_deref(),
            Some("http://127.0.0.1:18091/healthz")
        );
        let unpublished = json!({"labels": {PROBE_LABEL: "http://archon:8052/"}});
        assert_eq!(published_endpoint(&unpublished, Some(&c)), None);
        let host = json!({"labels": {PROBE_LABEL: "http://127.0.0.1:9100/metrics"}});
        assert_eq!(
            published_endpoint(&host, None).as_deref(),
            Some("http://127.0.0.1:9100/metrics")
        );
    }

    #[test]
    fn the_table_aligns_its_columns() {
        let row = |s: &str, ok| Row {
            service: s.into(),
            id: None,
            state: "running".into(),
            health: "healthy".into(),
            endpoint: None,
            result: "ok".into(),
            ms: None,
            ok,
            last_health: None,
        };
        let t = table(&[row("a", true), row("longer-name", true)]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0].find("STATE"), lines[2].find("running"));
    }
}
