//! One generated compose file on the engine: a copy of its build directory with the operator's
//! inputs supplied, the isolation override (names, subnets and host ports of this project only:
//! `isolate`), the stand-in override (image, entrypoint, pull policy, plus the machine-limit
//! adjustments it says aloud), a unique project name, `up --wait`, commands inside its
//! containers, and `down -v` (also when the test fails). Projects of any number of test
//! processes share one engine safely.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::host::{self, HostLimits};
use super::inputs::{self, Inputs};
use super::isolate::{self, ISOLATION_FILE, Lease};
use super::standin::{Needs, PROGRAM, StandIn};
use super::{Engine, docker, json_records, machine_limit, run, run_ok, work_dir};

/// The port every stand-in on a bridge network also listens on, so reachability is measured for
/// services that declare no port too (no generated file uses it).
pub const REACH_PORT: u16 = 47_911;

/// Prefix of every project name an engine test creates (leftovers of killed runs are removed).
pub const PROJECT_PREFIX: &str = "pmovesc-test-";

/// The label on networks a test creates itself (external networks an operator would create).
pub const TEST_LABEL: &str = "io.pmovesc.test";

/// How the stand-in serves one service.
#[derive(Debug, Clone, Default)]
pub struct Serve {
    pub ports: BTreeSet<u16>,
    pub health: BTreeSet<String>,
    pub healthy_after: Option<u64>,
    /// Listen on 127.0.0.1 only (a service on the host's network).
    pub loopback: bool,
}

pub struct Project {
    pub name: String,
    /// The copy of the checkout: `root/<out dir name>/` holds the build.
    pub root: PathBuf,
    pub dir: PathBuf,
    pub file: String,
    /// `config --format json` of the shipped file with the inputs supplied.
    pub model: Value,
    pub standin: StandIn,
    pub limits: HostLimits,
    pub inputs: Inputs,
    pub serve: BTreeMap<String, Serve>,
    /// Services this machine cannot start, and why (said aloud; never silently dropped).
    pub unstartable: BTreeMap<String, String>,
    /// Machine-limit adjustments the override makes, one line each (said aloud).
    pub adjustments: Vec<String>,
    engine: &'static Engine,
    /// External networks and volumes the test created: (kind, name).
    created: Vec<(String, String)>,
    up_once: bool,
    down_done: bool,
    /// Container IDs by service, read once after each `up` (`compose ps` is slow on big files).
    ids: Mutex<Option<BTreeMap<String, String>>>,
    /// Loopback ports moved for services on the host's network: service -> shipped -> used.
    pub moved_ports: BTreeMap<String, BTreeMap<u16, u16>>,
    /// The subnets and host ports this project uses, leased until it is dropped.
    pub leases: Vec<Lease>,
    /// The lease on the project's name: while held, no other test takes it for a leftover.
    _lease: Lease,
}

pub const OVERRIDE_FILE: &str = "docker-compose.engine-test.yml";

impl Project {
    /// Prepares `file` of the build in `out_dir` (e.g. `pmoves/`, `docker-compose.hardened.yml`)
    /// of the stack `stacks` under a unique project name; nothing runs until [`Project::up`].
    pub fn new(
        engine: &'static Engine,
        label: &str,
        stacks: &Path,
        out_dir: &Path,
        file: &str,
    ) -> Project {
        let started = Instant::now();
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let slug: String = label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let name = format!(
            "{PROJECT_PREFIX}{slug}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let lease = isolate::lease_project(&name);
        remove_leftovers();
        let root = work_dir().join(&name);
        let _ = fs::remove_dir_all(&root);
        let out_name = out_dir.file_name().expect("the build directory has a name");
        let dir = root.join(out_name);
        fs::create_dir_all(&dir).expect("create the project directory");
        for entry in fs::read_dir(out_dir)
            .expect("read the build directory")
            .flatten()
        {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy the build");
            }
        }
        // Declared inputs: generated the way an operator does it, for every group.
        if dir.join("inputs.example.env").is_file() {
            let out = run(
                std::process::Command::new(env!("CARGO_BIN_EXE_pmovesc"))
                    .args(["secrets", "init"])
                    .arg(stacks)
                    .arg("-o")
                    .arg(&dir)
                    .current_dir(super::super::manifest_dir()),
                Duration::from_secs(120),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                out.status.success(),
                "{name}: pmovesc secrets init failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let text = fs::read_to_string(dir.join(file)).expect("read the compose file");
        let inputs = inputs::supply(&root, &dir, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut project = Project {
            name,
            root,
            dir,
            file: file.to_string(),
            model: Value::Null,
            standin: StandIn {
                image: String::new(),
            },
            limits: HostLimits {
                ncpu: 0.0,
                nofile_hard: None,
                privileged_refused: None,
            },
            inputs,
            serve: BTreeMap::new(),
            unstartable: BTreeMap::new(),
            adjustments: Vec::new(),
            engine,
            created: Vec::new(),
            up_once: false,
            down_done: false,
            ids: Mutex::new(None),
            moved_ports: BTreeMap::new(),
            leases: Vec::new(),
            _lease: lease,
        };
        // The shipped file alone, then with the isolation override: the model the tests hold.
        let shipped = project.config(&[]);
        let loopback: BTreeMap<String, BTreeSet<u16>> = services(&shipped)
            .filter(|(_, s)| s["network_mode"].as_str() == Some("host"))
            .map(|(n, s)| (n.clone(), serve_for(s).ports))
            .collect();
        let isolation = isolate::isolation(&project.name, &shipped, &loopback);
        fs::write(project.dir.join(ISOLATION_FILE), &isolation.yaml)
            .expect("write the isolation override");
        project.leases = isolation.leases;
        project.moved_ports = isolation.moved_ports;
        project.model = project.config(&["-f", ISOLATION_FILE]);
        // External networks and volumes (renamed to this project's by the isolation override)
        // are created as an operator would.
        for kind in ["networks", "volumes"] {
            let external: Vec<String> = project.model[kind]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, d)| d["external"].as_bool() == Some(true))
                .map(|(k, d)| d["name"].as_str().unwrap_or(k).to_string())
                .collect();
            for name in external {
                project.create_external(kind.trim_end_matches('s'), &name);
            }
        }
        project.standin = StandIn::build(&needs(&project.model)).unwrap_or_else(|e| panic!("{e}"));
        project.limits = host::limits(&project.standin);
        for (service, s) in services(&project.model) {
            project.serve.insert(service.clone(), serve_for(s));
            if s["privileged"].as_bool() == Some(true)
                && let Some(why) = &project.limits.privileged_refused
            {
                project.unstartable.insert(
                    service.clone(),
                    format!("privileged, and this engine refuses privileged containers: {why}"),
                );
            }
        }
        for (service, why) in &project.unstartable {
            machine_limit(&format!(
                "{}: `{service}` cannot start here: {why}",
                project.name
            ));
        }
        eprintln!(
            "{}: prepared in {:?} (inputs, compose config, stand-in image, host limits)",
            project.name,
            started.elapsed()
        );
        project
    }

    /// The services of the file.
    pub fn services(&self) -> Vec<String> {
        services(&self.model).map(|(n, _)| n.clone()).collect()
    }

    /// The services `up` starts: all but those this machine cannot start.
    pub fn startable(&self) -> Vec<String> {
        self.services()
            .into_iter()
            .filter(|s| !self.unstartable.contains_key(s))
            .collect()
    }

    /// One service's model (`config --format json`).
    pub fn service(&self, name: &str) -> &Value {
        &self.model["services"][name]
    }

    fn compose_base(&self) -> std::process::Command {
        let mut cmd = self.engine.compose(&self.dir);
        cmd.args(["-p", &self.name, "-f", &self.file]);
        cmd
    }

    /// `config --format json` of the shipped file and `extra` arguments (more `-f` files).
    fn config(&self, extra: &[&str]) -> Value {
        let out = run(
            self.compose_base()
                .args(extra)
                .args(["--profile", "*", "config", "--format", "json"]),
            Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", self.name));
        assert!(
            out.status.success(),
            "{}: compose rejects {} {extra:?} with the inputs supplied:\n{}",
            self.name,
            self.file,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("config is JSON")
    }

    /// A compose command on the shipped file and the overrides, every profile enabled.
    pub fn compose(&self) -> std::process::Command {
        let mut cmd = self.compose_base();
        cmd.args(["-f", ISOLATION_FILE, "-f", OVERRIDE_FILE, "--profile", "*"]);
        cmd
    }

    /// The host port a service's container port is published on (leased by the isolation
    /// override, read back from the engine).
    pub fn published_port(&self, service: &str, target: u16) -> Option<u16> {
        self.containers().get(service)?["Publishers"]
            .as_array()?
            .iter()
            .find(|p| p["TargetPort"].as_u64() == Some(u64::from(target)))
            .and_then(|p| p["PublishedPort"].as_u64())
            .filter(|p| *p > 0)
            .and_then(|p| u16::try_from(p).ok())
    }

    /// The host URL of every running service's `http-get` endpoint that is published on a host
    /// port (the port the engine chose), as `pmovesc smoke` probes it: service -> URL.
    pub fn published_endpoints(&self) -> BTreeMap<String, String> {
        let containers = self.containers();
        let mut out = BTreeMap::new();
        for (name, s) in services(&self.model) {
            let Some(url) = s["labels"][pmovesc::targets::compose::lower::PROBE_LABEL].as_str()
            else {
                continue;
            };
            let Some(rest) = url.strip_prefix("http://") else {
                continue;
            };
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let Some(port) = authority
                .rsplit_once(':')
                .and_then(|(_, p)| p.parse::<u64>().ok())
            else {
                continue;
            };
            let published = containers
                .get(name)
                .and_then(|c| c["Publishers"].as_array())
                .into_iter()
                .flatten()
                .find(|p| p["TargetPort"].as_u64() == Some(port))
                .and_then(|p| p["PublishedPort"].as_u64())
                .filter(|p| *p > 0);
            if let Some(published) = published {
                let path = if path.is_empty() { "/" } else { path };
                out.insert(name.clone(), format!("http://127.0.0.1:{published}{path}"));
            }
        }
        out
    }

    /// Writes the override for the current [`Serve`] settings; returns its text.
    pub fn write_override(&mut self) -> String {
        let mut yaml = String::from(
            "# Engine test override: every service runs the stand-in image. Besides image,\n\
             # entrypoint and pull_policy, only this machine's limits are adjusted (said aloud).\n\
             services:\n",
        );
        let mut adjustments = Vec::new();
        for (name, s) in services(&self.model) {
            let serve = &self.serve[name];
            let _ = writeln!(yaml, "  {}:", q(name));
            let _ = writeln!(yaml, "    image: {}", q(&self.standin.image));
            yaml.push_str("    pull_policy: never\n");
            let mut words = vec![PROGRAM.to_string(), "serve".to_string()];
            if serve.loopback {
                words.extend(["--bind".into(), "127.0.0.1".into()]);
            }
            let moved = self.moved_ports.get(name);
            for p in &serve.ports {
                let p = moved.and_then(|m| m.get(p)).unwrap_or(p);
                words.extend(["--port".into(), p.to_string()]);
            }
            for h in &serve.health {
                words.extend(["--health".into(), h.clone()]);
            }
            if let Some(after) = serve.healthy_after {
                words.extend(["--healthy-after".into(), after.to_string()]);
            }
            words.push("--".into());
            let _ = writeln!(
                yaml,
                "    entrypoint: [{}]",
                words.iter().map(|w| q(w)).collect::<Vec<_>>().join(", ")
            );
            if let Some(nofile) = s["ulimits"]["nofile"].as_object()
                && let Some(ceiling) = self.limits.nofile_hard
            {
                let soft = nofile.get("soft").and_then(Value::as_i64).unwrap_or(0);
                let hard = nofile.get("hard").and_then(Value::as_i64).unwrap_or(0);
                if soft > ceiling || hard > ceiling {
                    let _ = writeln!(
                        yaml,
                        "    ulimits:\n      nofile:\n        soft: {}\n        hard: {}",
                        soft.min(ceiling),
                        hard.min(ceiling)
                    );
                    adjustments.push(format!(
                        "{name}: ulimit nofile {soft}:{hard} lowered to {}:{}: this engine's \
                         open-file ceiling is {ceiling} and a container cannot raise it",
                        soft.min(ceiling),
                        hard.min(ceiling)
                    ));
                }
            }
            let cpus = s["deploy"]["resources"]["limits"]["cpus"]
                .as_f64()
                .or_else(|| {
                    s["deploy"]["resources"]["limits"]["cpus"]
                        .as_str()
                        .and_then(|c| c.parse().ok())
                });
            let clamp_cpus = cpus.filter(|c| *c > self.limits.ncpu);
            let gpu = s["deploy"]["resources"]["reservations"]["devices"]
                .as_array()
                .is_some_and(|d| !d.is_empty());
            if clamp_cpus.is_some() || gpu {
                yaml.push_str("    deploy:\n      resources:\n");
                if let Some(c) = clamp_cpus {
                    let _ = writeln!(
                        yaml,
                        "        limits:\n          cpus: {:.2}",
                        self.limits.ncpu
                    );
                    adjustments.push(format!(
                        "{name}: cpus {c} lowered to {}: the engine refuses a CPU limit above \
                         the host's {} CPUs",
                        self.limits.ncpu, self.limits.ncpu
                    ));
                }
                if gpu {
                    yaml.push_str("        reservations:\n          devices: !reset []\n");
                    adjustments.push(format!(
                        "{name}: GPU device reservations reset (`!reset`): this machine has no GPU"
                    ));
                }
            }
        }
        fs::write(self.dir.join(OVERRIDE_FILE), &yaml).expect("write the override");
        if adjustments != self.adjustments {
            for a in &adjustments {
                machine_limit(&format!("{}: {a}", self.name));
            }
            self.adjustments = adjustments;
        }
        yaml
    }

    /// `up --wait` of `services` (all startable ones when empty), within `timeout`. The error
    /// names every service that is not running and healthy, with its last health log and logs.
    pub fn up(&mut self, services: &[String], timeout: Duration) -> Result<(), String> {
        self.write_override();
        self.up_once = true;
        *self.ids.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let list = if services.is_empty() {
            self.startable()
        } else {
            services.to_vec()
        };
        let secs = timeout.as_secs().max(1).to_string();
        let started = Instant::now();
        let out = run(
            self.compose()
                .args(["up", "-d", "--wait", "--wait-timeout", &secs, "--no-color"])
                .args(&list),
            timeout + Duration::from_secs(120),
        )?;
        if out.status.success() {
            eprintln!(
                "{}: up --wait of {} services in {:?}",
                self.name,
                list.len(),
                started.elapsed()
            );
            return Ok(());
        }
        Err(format!(
            "{}: `up --wait` failed ({}):\n{}\n{}",
            self.name,
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 30),
            self.status_report()
        ))
    }

    /// Every container of the project: service -> `ps` record (ID, State, Health, Publishers).
    pub fn containers(&self) -> BTreeMap<String, Value> {
        let out = run_ok(
            self.compose().args(["ps", "-a", "--format", "json"]),
            Duration::from_secs(60),
        )
        .unwrap_or_default();
        json_records(&out)
            .into_iter()
            .filter_map(|r| Some((r["Service"].as_str()?.to_string(), r)))
            .collect()
    }

    pub fn container_id(&self, service: &str) -> String {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if ids.as_ref().is_none_or(|m| !m.contains_key(service)) {
            *ids = Some(
                self.containers()
                    .into_iter()
                    .filter_map(|(s, r)| Some((s, r["ID"].as_str()?.to_string())))
                    .collect(),
            );
        }
        ids.as_ref()
            .and_then(|m| m.get(service).cloned())
            .unwrap_or_else(|| panic!("{}: no container for `{service}`", self.name))
    }

    /// `docker inspect` of a service's container.
    pub fn docker_inspect(&self, service: &str) -> Value {
        let id = self.container_id(service);
        let out = run_ok(docker().args(["inspect", &id]), Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}"));
        let v: Value = serde_json::from_str(&out).expect("docker inspect is JSON");
        v[0].clone()
    }

    /// Runs the stand-in inside a service's container (as the container's user).
    pub fn exec(&self, service: &str, args: &[&str], timeout: Duration) -> Output {
        let id = self.container_id(service);
        run(docker().args(["exec", &id, PROGRAM]).args(args), timeout)
            .unwrap_or_else(|e| panic!("{}: {e}", self.name))
    }

    /// `standin inspect` inside a service's container.
    pub fn inspect(&self, service: &str) -> Value {
        let out = self.exec(service, &["inspect"], Duration::from_secs(30));
        assert!(
            out.status.success(),
            "{}: `standin inspect` failed in {service}: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("inspect prints JSON")
    }

    /// The outputs of a service's recorded health checks, oldest first.
    pub fn health_log(&self, service: &str) -> Vec<String> {
        self.docker_inspect(service)["State"]["Health"]["Log"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["Output"].as_str().map(|s| s.trim().to_string()))
            .collect()
    }

    /// Services whose healthcheck the stand-in could not exercise (it printed `not exercised`).
    pub fn not_exercised(&self) -> BTreeSet<String> {
        let ids: BTreeMap<String, String> = self
            .containers()
            .into_iter()
            .filter_map(|(s, r)| Some((r["ID"].as_str()?.to_string(), s)))
            .collect();
        if ids.is_empty() {
            return BTreeSet::new();
        }
        // One `docker inspect` for every container.
        let out = run_ok(
            docker().arg("inspect").args(ids.keys()),
            Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<Value> = serde_json::from_str(&out).expect("docker inspect is JSON");
        all.iter()
            .filter(|c| {
                c["State"]["Health"]["Log"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|e| {
                        e["Output"]
                            .as_str()
                            .is_some_and(|o| o.contains("standin: not exercised"))
                    })
            })
            .filter_map(|c| {
                let id = c["Id"].as_str()?;
                ids.iter()
                    .find(|(short, _)| id.starts_with(short.as_str()))
                    .map(|(_, s)| s.clone())
            })
            .collect()
    }

    /// `standin inspect` in each of `services`, eight containers at a time.
    pub fn inspect_all(&self, services: &[String]) -> BTreeMap<String, Value> {
        let out = Mutex::new(BTreeMap::new());
        let next = Mutex::new(0usize);
        std::thread::scope(|scope| {
            for _ in 0..8.min(services.len()) {
                scope.spawn(|| {
                    loop {
                        let i = {
                            let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                            *n += 1;
                            *n - 1
                        };
                        let Some(service) = services.get(i) else {
                            break;
                        };
                        let v = self.inspect(service);
                        out.lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(service.clone(), v);
                    }
                });
            }
        });
        out.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// One line per container that is not running and healthy, with its last health output and
    /// log lines.
    pub fn status_report(&self) -> String {
        let mut report = String::new();
        for (service, r) in self.containers() {
            let state = r["State"].as_str().unwrap_or("?");
            let health = r["Health"].as_str().unwrap_or("");
            if state == "running" && (health.is_empty() || health == "healthy") {
                continue;
            }
            let id = r["ID"].as_str().unwrap_or_default();
            let inspected = run_ok(docker().args(["inspect", id]), Duration::from_secs(30))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .map(|v| v[0].clone())
                .unwrap_or(Value::Null);
            let error = inspected["State"]["Error"].as_str().unwrap_or("");
            let last = inspected["State"]["Health"]["Log"]
                .as_array()
                .and_then(|l| l.last())
                .and_then(|e| e["Output"].as_str())
                .unwrap_or("")
                .trim()
                .to_string();
            let logs = run(
                docker().args(["logs", "--tail", "10", id]),
                Duration::from_secs(30),
            )
            .map(|o| {
                String::from_utf8_lossy(&o.stdout).into_owned()
                    + &String::from_utf8_lossy(&o.stderr)
            })
            .unwrap_or_default();
            let _ = writeln!(
                report,
                "  {service}: state {state}, health {health:?}, error {error:?}, last health \
                 output {last:?}\n    logs: {}",
                logs.trim().replace('\n', "\n          ")
            );
        }
        for (service, why) in &self.unstartable {
            let _ = writeln!(report, "  {service}: not started: {why}");
        }
        report
    }

    /// Creates an external network or volume the file expects, as an operator would; labelled
    /// so a killed run's leftover is recognised. One that exists already is not used.
    fn create_external(&mut self, kind: &str, name: &str) {
        let out = run(
            docker().args([kind, "inspect", name]),
            Duration::from_secs(30),
        )
        .expect("docker inspect");
        if out.status.success() {
            panic!(
                "{}: {kind} `{name}` already exists and was not created by an engine test; \
                 the test will not use a {kind} it did not create",
                self.name
            );
        }
        run_ok(
            docker().args([
                kind,
                "create",
                "--label",
                &format!("{TEST_LABEL}={}", self.name),
                name,
            ]),
            Duration::from_secs(60),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        self.created.push((kind.to_string(), name.to_string()));
    }

    /// `down -v` and the removal of the networks the test created. Idempotent.
    pub fn down(&mut self) {
        if self.down_done {
            return;
        }
        self.down_done = true;
        if std::env::var_os("PMOVESC_ENGINE_KEEP").is_some() {
            eprintln!(
                "PMOVESC_ENGINE_KEEP: {} left running in {} (the next engine test removes it)",
                self.name,
                self.dir.display()
            );
            return;
        }
        let started = Instant::now();
        if self.up_once {
            let out = run(
                self.compose()
                    .args(["down", "-v", "--remove-orphans", "--timeout", "3"]),
                Duration::from_secs(300),
            );
            if let Ok(o) = &out
                && !o.status.success()
            {
                eprintln!(
                    "{}: down failed: {}",
                    self.name,
                    String::from_utf8_lossy(&o.stderr)
                );
            }
        }
        // Compose can lose a race with the engine removing endpoints under load ("network ...
        // has active endpoints"): remove what is left of the project's networks again.
        let left = run_ok(
            docker().args([
                "network",
                "ls",
                "-q",
                "--filter",
                &format!("label=com.docker.compose.project={}", self.name),
            ]),
            Duration::from_secs(30),
        )
        .unwrap_or_default();
        remove_networks(
            &left
                .split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>(),
            20,
        );
        for (kind, name) in std::mem::take(&mut self.created) {
            let _ = run(
                docker().args([kind.as_str(), "rm", &name]),
                Duration::from_secs(60),
            );
        }
        let _ = fs::remove_dir_all(&self.root);
        eprintln!("{}: down in {:?}", self.name, started.elapsed());
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        self.down();
    }
}

/// The services of a compose model, in name order.
pub fn services(model: &Value) -> impl Iterator<Item = (&String, &Value)> {
    model["services"].as_object().into_iter().flatten()
}

/// What the stand-in image needs for a model: the healthcheck programs, the tmpfs targets.
pub fn needs(model: &Value) -> Needs {
    Needs {
        commands: healthcheck_commands(model),
        dirs: services(model)
            .flat_map(|(_, s)| s["tmpfs"].as_array().into_iter().flatten())
            .filter_map(|t| t.as_str()?.split(':').next().map(String::from))
            .collect(),
    }
}

/// The programs the healthchecks run (`CMD` form): linked to the stand-in in its image.
pub fn healthcheck_commands(model: &Value) -> BTreeSet<String> {
    services(model)
        .filter_map(|(_, s)| {
            let test = s["healthcheck"]["test"].as_array()?;
            (test.first()?.as_str()? == "CMD").then(|| test.get(1)?.as_str().map(String::from))?
        })
        .collect()
}

/// The stand-in's settings for one service: its container ports (`ports`, `expose`), the ports
/// its healthcheck connects to, the `http-get` path pmovesc records in the probe label.
pub fn serve_for(s: &Value) -> Serve {
    let mut serve = Serve {
        loopback: s["network_mode"].as_str() == Some("host"),
        ..Serve::default()
    };
    for p in s["ports"].as_array().into_iter().flatten() {
        if p["protocol"].as_str().unwrap_or("tcp") == "tcp"
            && let Some(t) = p["target"].as_u64()
        {
            serve.ports.insert(t as u16);
        }
    }
    for e in s["expose"].as_array().into_iter().flatten() {
        let text = e
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| e.to_string());
        let (port, proto) = text.split_once('/').unwrap_or((&text, "tcp"));
        if proto == "tcp"
            && let Ok(p) = port.parse()
        {
            serve.ports.insert(p);
        }
    }
    let test: Vec<String> = s["healthcheck"]["test"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(String::from))
        .collect();
    serve.ports.extend(local_ports(&test.join(" ")));
    if let Some(url) = s["labels"][pmovesc::targets::compose::lower::PROBE_LABEL].as_str()
        && let Some(rest) = url.strip_prefix("http://")
    {
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some(port) = authority.rsplit_once(':').and_then(|(_, p)| p.parse().ok()) {
            serve.ports.insert(port);
        }
        serve
            .health
            .insert(if path.is_empty() { "/" } else { path }.to_string());
    }
    if !serve.loopback {
        serve.ports.insert(REACH_PORT);
    }
    serve
}

/// Ports a healthcheck command connects to on the container itself: `127.0.0.1:P`,
/// `localhost:P`, `/dev/tcp/127.0.0.1/P`.
fn local_ports(text: &str) -> BTreeSet<u16> {
    let mut ports = BTreeSet::new();
    for prefix in [
        "127.0.0.1:",
        "localhost:",
        "/dev/tcp/127.0.0.1/",
        "/dev/tcp/localhost/",
    ] {
        for (i, _) in text.match_indices(prefix) {
            let digits: String = text[i + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(p) = digits.parse() {
                ports.insert(p);
            }
        }
    }
    ports
}

/// A YAML double-quoted scalar (a JSON string is one).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The last `lines` lines of Compose's output, without its per-variable warnings.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("level=warning") && !l.trim().is_empty())
        .collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Removes what killed engine-test runs left behind: containers, volumes and networks of
/// projects named `pmovesc-test-*` (or labelled by a test) whose lease no live test holds.
/// Another live test's project is never touched.
fn remove_leftovers() {
    let t = Duration::from_secs(120);
    let leftovers = |format: &str, kind: &[&str]| -> Vec<String> {
        run_ok(docker().args(kind).args(["--format", format]), t)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (id, rest) = l.split_once(' ')?;
                let owner = rest.split(' ').find(|p| p.starts_with(PROJECT_PREFIX))?;
                isolate::is_leftover(owner).then(|| id.to_string())
            })
            .collect()
    };
    let containers = leftovers(
        "{{.ID}} {{.Label \"com.docker.compose.project\"}}",
        &["ps", "-a"],
    );
    if !containers.is_empty() {
        let _ = run(docker().args(["rm", "-f", "-v"]).args(&containers), t);
    }
    let volumes = leftovers(
        &format!(
            "{{{{.Name}}}} {{{{.Label \"com.docker.compose.project\"}}}} {{{{.Label \"{TEST_LABEL}\"}}}}"
        ),
        &["volume", "ls"],
    );
    if !volumes.is_empty() {
        let _ = run(docker().args(["volume", "rm", "-f"]).args(&volumes), t);
    }
    let networks = leftovers(
        &format!(
            "{{{{.ID}}}} {{{{.Label \"com.docker.compose.project\"}}}} {{{{.Label \"{TEST_LABEL}\"}}}}"
        ),
        &["network", "ls"],
    );
    remove_networks(&networks, 1);
}

/// Removes networks, retrying (`attempts` times) while the engine still detaches endpoints of
/// containers just removed ("has active endpoints"). Docker 20.10 sometimes keeps a stale
/// endpoint for good (no container, nothing to disconnect): such a network stays until the
/// daemon restarts; it holds its subnet, which the next lease skips.
fn remove_networks(ids: &[String], attempts: usize) {
    let mut left: Vec<String> = ids.to_vec();
    for _ in 0..attempts {
        if left.is_empty() {
            return;
        }
        let _ = run(
            docker().args(["network", "rm"]).args(&left),
            Duration::from_secs(60),
        );
        left.retain(|n| {
            run(
                docker().args(["network", "inspect", n]),
                Duration::from_secs(30),
            )
            .is_ok_and(|o| o.status.success())
        });
        if !left.is_empty() {
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    if attempts > 1 {
        eprintln!("networks not removable (a stale endpoint of the engine): {left:?}");
    }
}

/// The directory of a committed build in the repository (e.g. `pmoves`).
pub fn build_dir(relative: &str) -> PathBuf {
    super::super::manifest_dir().join(relative)
}
