//! Engine tests: the committed generated files run on a real Docker Engine, every service on the
//! stand-in image (`examples/standin/`, see `tests/support/engine/`), and what each container
//! enforces is measured from inside it and compared with the compose model.
//!
//! This machine's limits are handled and said aloud (`MACHINE LIMIT:` lines), never hidden: the
//! engine's open-file ceiling (a `nofile` ulimit above it cannot start), a missing
//! `CAP_SYS_RESOURCE` (a privileged container cannot start), the CPU count (a `cpus` limit above
//! it is refused), and no GPU (device reservations are reset by the override).
//!
//! Needs a running engine (`scripts/engine.sh`); without one they fail, as any test whose oracle
//! is missing (`tests/support/skip.rs`), unless `PMOVESC_ALLOW_SKIPS=1`. Projects are isolated
//! from every other test's on the same engine (`tests/support/engine/isolate.rs`).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use support::engine::project::{Project, build_dir};
use support::engine::{self, expect, host, reach};

/// `standin inspect` of each running service.
type Inspected = BTreeMap<String, serde_json::Value>;

const UP: Duration = Duration::from_secs(240);

/// Brings every startable service of `file` up, then checks inside each running container
/// that it enforces what the model says. Returns the project, still up, and what each
/// container's `standin inspect` printed.
fn up_and_check(label: &str, out: &str, file: &str) -> Option<(Project, Inspected)> {
    let engine = engine::engine(label)?;
    let stacks = if out == "pmoves" {
        "stacks"
    } else {
        "examples/design/stack"
    };
    let mut p = Project::new(engine, label, &build_dir(stacks), &build_dir(out), file);
    if let Err(e) = p.up(&[], UP) {
        panic!("{e}");
    }
    let inspected = p.inspect_all(&p.startable());
    let mut problems = Vec::new();
    for (service, measured) in &inspected {
        problems.extend(expect::mismatches(
            service,
            p.service(service),
            measured,
            p.limits.ncpu,
            p.limits.nofile_hard,
        ));
    }
    assert!(
        problems.is_empty(),
        "{label}: containers do not enforce what {file} says:\n  {}",
        problems.join("\n  ")
    );
    let not_exercised = p.not_exercised();
    if !not_exercised.is_empty() {
        eprintln!(
            "{label}: healthchecks the stand-in did not exercise (accepted as healthy): {}",
            not_exercised.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    eprintln!(
        "{label}: {} services up and healthy; {} checked from inside; {} not startable here",
        p.startable().len(),
        inspected.len(),
        p.unstartable.len()
    );
    Some((p, inspected))
}

/// A service this machine cannot start fails with exactly the engine's refusal that the
/// host measurement found: the limit is real, not a hidden skip.
fn unstartable_fail_as_measured(p: &mut Project) {
    for (service, why) in p.unstartable.clone() {
        let err = p
            .up(std::slice::from_ref(&service), Duration::from_secs(60))
            .expect_err("a service this machine cannot start");
        let refusal = p.limits.privileged_refused.clone().unwrap_or_default();
        let key = refusal
            .rsplit("runc create failed: ")
            .next()
            .unwrap_or(&refusal);
        let key = key.trim_end_matches(": unknown");
        assert!(
            err.contains(key),
            "{service} failed for another reason than this machine's limit ({why}):\n{err}"
        );
        engine::machine_limit(&format!("{service} did not start, as measured: {key}"));
    }
}

#[test]
fn design_hardened_runs_and_enforces_its_hardening() {
    let Some((mut p, _inspected)) = up_and_check(
        "design-hardened",
        "examples/design/out",
        "docker-compose.hardened.yml",
    ) else {
        return;
    };
    unstartable_fail_as_measured(&mut p);
    smoke_design(&p);
    p.down();
}

/// `pmovesc smoke` on the running design project: the groups this machine can run are healthy
/// and their published `http-get` endpoints answer on loopback; all groups fail, naming the
/// privileged service this machine cannot start.
fn smoke_design(p: &Project) {
    let run = |groups: &[&str], timeout: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pmovesc"));
        cmd.args(["smoke", "examples/design/stack", "--profile", "hardened"])
            .args(["--project", &p.name, "--timeout", timeout])
            .current_dir(support::manifest_dir());
        for g in groups {
            cmd.args(["--group", g]);
        }
        let o = cmd.output().expect("run pmovesc smoke");
        let text =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        (o.status.code(), text)
    };
    let (code, out) = run(&["agents", "data", "edge", "workers"], "30");
    assert_eq!(code, Some(0), "smoke on the groups that run here:\n{out}");
    // The host ports are leased per project (the isolation override); the design example
    // publishes archon, gateway-edge and hi-rag's endpoints.
    let endpoints = p.published_endpoints();
    assert!(
        endpoints.len() >= 3,
        "the design example publishes three http-get endpoints: {endpoints:?}"
    );
    for (service, endpoint) in &endpoints {
        assert!(
            out.contains(endpoint.as_str()),
            "smoke probes {service} at {endpoint}:\n{out}"
        );
    }
    if !p.unstartable.is_empty() {
        // Everything else is healthy already; the privileged service never will be.
        let (code, out) = run(&[], "2");
        assert_eq!(code, Some(1), "{out}");
        for service in p.unstartable.keys() {
            assert!(out.contains(&format!("service `{service}`")), "{out}");
        }
        assert!(
            out.contains("warning: privileged service cadvisor"),
            "{out}"
        );
        engine::machine_limit(&format!(
            "smoke over every group fails here, naming {:?} (not startable on this machine)",
            p.unstartable.keys().collect::<Vec<_>>()
        ));
    }
}

#[test]
fn design_published_runs() {
    let Some((mut p, _inspected)) = up_and_check(
        "design-published",
        "examples/design/out",
        "docker-compose.published.yml",
    ) else {
        return;
    };
    p.down();
}

#[test]
fn design_gpu_runs_with_reservations_reset() {
    // This machine has no GPU: the override resets the device reservations (`!reset []`);
    // everything else of the gpu file runs as shipped.
    let Some((mut p, _inspected)) = up_and_check(
        "design-gpu",
        "examples/design/out",
        "docker-compose.gpu.yml",
    ) else {
        return;
    };
    assert!(
        p.adjustments
            .iter()
            .any(|a| a.contains("GPU device reservations reset")),
        "the gpu file reserves a GPU somewhere: {:?}",
        p.adjustments
    );
    p.down();
}

#[test]
fn pmoves_hardened_all_services_at_once_and_measured_reachability() {
    let Some((mut p, inspected)) =
        up_and_check("pmoves-hardened", "pmoves", "docker-compose.hardened.yml")
    else {
        return;
    };
    assert!(
        p.startable().len() + p.unstartable.len() == p.services().len() && p.services().len() >= 75,
        "every PMOVES service is up or named as not startable here"
    );
    unstartable_fail_as_measured(&mut p);
    check_reachability(&p, &inspected);
    p.down();
}

#[test]
fn pmoves_published_all_services_at_once() {
    let Some((mut p, _inspected)) =
        up_and_check("pmoves-published", "pmoves", "docker-compose.published.yml")
    else {
        return;
    };
    assert!(p.services().len() >= 75);
    p.down();
}

/// From inside every running container on a bridge network, probe every other one's addresses
/// and ports, and the test's listeners on the host side of the project's bridges.
fn check_reachability(p: &Project, inspected: &Inspected) {
    let running: BTreeSet<String> = p.startable().into_iter().collect();
    let among: BTreeSet<String> = reach::bridged(&p.model)
        .intersection(&running)
        .cloned()
        .collect();
    // Past the kernel's neighbour table the packets to new neighbours are dropped, which would
    // read as blocks: the table must hold the whole mesh (scripts/engine.sh raises it).
    let need = reach::neighbour_need(&p.model, &among);
    if let Some(capacity) = reach::neighbour_capacity() {
        assert!(
            capacity >= need,
            "the kernel's neighbour table holds {capacity} entries for all containers together, \
             the reachability mesh of {} containers needs {need}: raise \
             net.ipv4.neigh.default.gc_thresh3 (scripts/engine.sh does)",
            among.len()
        );
    }
    let listeners = reach::gateway_listeners(p);
    assert!(
        !listeners.is_empty(),
        "the project's bridges have gateway addresses"
    );
    let extra: BTreeMap<String, (String, u16)> = listeners
        .iter()
        .map(|l| (l.name.clone(), (l.ip.clone(), l.port)))
        .collect();
    let default_route: BTreeMap<String, bool> = among
        .iter()
        .map(|s| {
            (
                s.clone(),
                inspected[s]["default_route"].as_bool() == Some(true),
            )
        })
        .collect();
    let expected = reach::expected(&p.model, &among);
    let expected_gw = reach::expected_gateways(&p.model, &among, &listeners, &default_route);
    let says_reachable = |s: &str, t: &str| {
        expected.get(s).is_some_and(|r| r.contains(t))
            || expected_gw.get(s).is_some_and(|r| r.contains(t))
    };
    let started = Instant::now();
    let measured = reach::measured(p, &among, &extra, &says_reachable);
    eprintln!("{}: probes done in {:?}", p.name, started.elapsed());
    let (containers, gateways) = reach::split_gateways(&measured);
    let diff = reach::diff(&expected, &containers);
    assert!(
        diff.is_empty(),
        "{}: measured reachability differs from the networks:\n  {}",
        p.name,
        diff.join("\n  ")
    );
    let diff = reach::diff(&expected_gw, &gateways);
    assert!(
        diff.is_empty(),
        "{}: reachability of the host side of the bridges differs:\n  {}",
        p.name,
        diff.join("\n  ")
    );
    // A service with a non-internal network reaches the host's listener on every bridge.
    for s in among.iter().filter(|s| reach::routed(&p.model, s)) {
        for l in &listeners {
            assert!(
                gateways[s].contains(&l.name),
                "{s} has a non-internal network but does not reach the host listener on {} ({})",
                l.network,
                l.ip
            );
        }
    }
    // A service on internal networks only would reach none, but Docker 20.10 gives it a
    // default route through its bridge's host address: it reaches every host listener. The
    // model says so (above); said aloud here, never hidden.
    let internal_only: Vec<&String> = among
        .iter()
        .filter(|s| !reach::routed(&p.model, s))
        .collect();
    let leaking: Vec<&&String> = internal_only
        .iter()
        .filter(|s| !gateways[**s].is_empty())
        .collect();
    if !leaking.is_empty() {
        engine::machine_limit(&format!(
            "ENGINE: {} of {} services on internal networks only reach listeners on the host \
             (the engine gives them a default route via their internal bridge's host address, \
             and the host accepts): {}",
            leaking.len(),
            internal_only.len(),
            leaking
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let pairs: usize = containers.values().map(BTreeSet::len).sum();
    eprintln!(
        "{}: reachability measured among {} containers: {pairs} reachable pairs, as the networks \
         imply; {} host listeners",
        p.name,
        among.len(),
        listeners.len()
    );
}

/// Keep the helpers used (further tests use them).
#[allow(dead_code)]
fn _uses(_: host::HostLimits) {}
