//! The real Docker Engine for tests: finding it (and Compose), running its commands with a time
//! bound. Engine tests of any number of processes and checkouts share one engine at once: every
//! project is isolated (`isolate`), and only leftovers of dead test processes are removed.
//!
//! The pieces, for any test that needs a running container:
//!
//! - [`engine`]: the engine and the Compose command (`docker compose` or `docker-compose`); a
//!   missing engine fails the test through the skip helper unless `PMOVESC_ALLOW_SKIPS=1`;
//! - [`standin::StandIn`]: the stand-in image every service runs on (built here, from nothing);
//! - [`project::Project`]: one generated compose file brought up under a unique project name
//!   with the operator's inputs supplied, the isolation and stand-in overrides, then `down -v`;
//! - [`isolate`]: the project's lease, its leased subnets, renamed networks and volumes and
//!   leased host ports, so that concurrent projects never collide;
//! - [`expect`]: what the compose model says a container enforces, against `standin inspect`;
//! - [`reach`]: the reachability matrix the networks imply, and the one measured with
//!   `standin probe` from inside every container.
//!
//! Only containers, networks and listeners a test created are ever a destination.

pub mod expect;
pub mod host;
pub mod inputs;
pub mod isolate;
pub mod project;
pub mod reach;
pub mod standin;

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The engine answers and Compose runs; the Compose command's words.
pub struct Engine {
    compose: Vec<String>,
}

fn require_engine() -> bool {
    std::env::var("PMOVESC_REQUIRE_ENGINE").is_ok_and(|v| v == "1")
}

/// The engine, or `None` when it cannot run here and skips are allowed. A missing engine goes
/// through the skip helper ([`super::skip::oracle_missing`]): it fails the test unless
/// `PMOVESC_ALLOW_SKIPS=1`, and always with `PMOVESC_REQUIRE_ORACLES=1` or
/// `PMOVESC_REQUIRE_ENGINE=1` (both set by `.ci/run`).
pub fn engine(test: &str) -> Option<&'static Engine> {
    static FOUND: OnceLock<Result<Engine, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(e) => Some(e),
        Err(why) => {
            if require_engine() {
                panic!("{test}: {why} (PMOVESC_REQUIRE_ENGINE=1); start it with scripts/engine.sh");
            }
            super::skip::oracle_missing(&format!(
                "the Docker Engine ({why}; start it with scripts/engine.sh)"
            ));
            None
        }
    }
}

fn find() -> Result<Engine, String> {
    let info = run(
        Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]),
        Duration::from_secs(20),
    );
    match info {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(format!(
                "no Docker Engine answers `docker info`: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Err(e) => return Err(format!("no Docker CLI: {e}")),
    }
    for compose in [vec!["docker", "compose"], vec!["docker-compose"]] {
        let ok = run(
            Command::new(compose[0]).args(&compose[1..]).arg("version"),
            Duration::from_secs(20),
        )
        .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(Engine {
                compose: compose.into_iter().map(String::from).collect(),
            });
        }
    }
    Err("neither `docker compose` nor `docker-compose` runs".into())
}

impl Engine {
    /// A Compose command with a clean environment: PATH, HOME and the engine's address only, so
    /// the test's own variables never change interpolation.
    pub fn compose(&self, dir: &std::path::Path) -> Command {
        let mut cmd = Command::new(&self.compose[0]);
        cmd.args(&self.compose[1..]).current_dir(dir).env_clear();
        for var in [
            "PATH",
            "HOME",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
        ] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        cmd
    }

    /// The Compose command's words, for messages.
    pub fn compose_words(&self) -> String {
        self.compose.join(" ")
    }
}

/// A `docker` command.
pub fn docker() -> Command {
    Command::new("docker")
}

/// Runs a command to completion or kills it at `timeout`; its output either way.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<Output, String> {
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let err = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{shown} did not finish within {timeout:?}"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => return Err(format!("waiting for {shown}: {e}")),
        }
    };
    Ok(Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// Runs a command that must succeed; its standard output, or a message with its error output.
pub fn run_ok(cmd: &mut Command, timeout: Duration) -> Result<String, String> {
    let shown = format!("{cmd:?}");
    let o = run(cmd, timeout)?;
    if o.status.success() {
        Ok(String::from_utf8_lossy(&o.stdout).into_owned())
    } else {
        Err(format!(
            "{shown} failed ({}):\n{}{}",
            o.status,
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// Where engine tests keep their files (`target/tmp/pmovesc-engine`).
pub fn work_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pmovesc-engine");
    std::fs::create_dir_all(&dir).expect("create the engine work directory");
    dir
}

/// A machine-wide named lock (an advisory lock on a file in the temp directory), for work that
/// must not run twice at once on one machine: building the stand-in image. Engine projects take
/// none: they are isolated from each other instead (`isolate`).
pub struct EngineLock {
    _file: File,
}

/// How long a named lock is waited for.
pub const LOCK_WAIT: Duration = Duration::from_secs(600);

impl EngineLock {
    pub fn acquire_named(name: &str) -> EngineLock {
        let path = std::env::temp_dir().join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return EngineLock { _file: file },
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => panic!(
                    "the lock {} was not free within {LOCK_WAIT:?}: {e:?}",
                    path.display()
                ),
            }
        }
    }
}

/// The `--format json` output of Compose's `ps`/`ls`: one array, or one object per line
/// (newer Compose).
pub fn json_records(text: &str) -> Vec<serde_json::Value> {
    let text = text.trim();
    if text.starts_with('[') {
        return serde_json::from_str::<Vec<serde_json::Value>>(text).unwrap_or_default();
    }
    text.lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect()
}

/// A loud line in the test output for what this machine cannot do (never hidden).
pub fn machine_limit(what: &str) {
    eprintln!("MACHINE LIMIT: {what}");
}
