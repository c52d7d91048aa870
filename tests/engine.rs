//! Engine tests: the committed generated files run on a real Docker Engine, every service on the
//! stand-in image (`examples/standin/`, see `tests/support/engine/`), and what each container
//! enforces is measured from inside it and compared with the compose model.
//!
//! This machine's limits are handled and said aloud (`MACHINE LIMIT:` lines), never hidden: the
//! engine's open-file ceiling (a `nofile` ulimit above it cannot start), a missing
//! `CAP_SYS_RESOURCE` (a privileged container cannot start), the CPU count (a `cpus` limit above
//! it is refused), and no GPU (device reservations are reset by the override).
//!
//! Needs a running engine (`scripts/engine.sh`); skipped loudly without one, a failure with
//! `PMOVESC_REQUIRE_ENGINE=1` (CI).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use support::engine::project::{Project, build_dir};
use support::engine::{self, expect, host, reach};

const UP: Duration = Duration::from_secs(240);

/// Brings every startable service of `file` up, then checks inside each running container
/// that it enforces what the model says. Returns the project, still up.
fn up_and_check(label: &str, out: &str, file: &str) -> Option<Project> {
    let engine = engine::engine(label)?;
    let mut p = Project::new(engine, label, &build_dir(out), file);
    if let Err(e) = p.up(&[], UP) {
        panic!("{e}");
    }
    let mut problems = Vec::new();
    for service in p.startable() {
        let inspected = p.inspect(&service);
        problems.extend(expect::mismatches(
            &service,
            p.service(&service),
            &inspected,
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
        p.startable().len(),
        p.unstartable.len()
    );
    Some(p)
}

/// A service this machine cannot start fails with exactly the engine's refusal that the
/// host measurement found: the limit is real, not a hidden skip.
fn unstartable_fail_as_measured(p: &mut Project) {
    for (service, why) in p.unstartable.clone() {
        let err = p
            .up(std::slice::from_ref(&service), Duration::from_secs(60))
            .expect_err("a service this machine cannot start");
        let refusal = p.limits.privileged_refused.clone().unwrap_or_default();
        let key = refusal.rsplit("runc create failed: ").next().unwrap_or(&refusal);
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
    let Some(mut p) = up_and_check("design-hardened", "examples/design/out", "docker-compose.hardened.yml") else {
        return;
    };
    unstartable_fail_as_measured(&mut p);
    p.down();
}

#[test]
fn design_published_runs() {
    let Some(mut p) = up_and_check("design-published", "examples/design/out", "docker-compose.published.yml") else {
        return;
    };
    p.down();
}

#[test]
fn design_gpu_runs_with_reservations_reset() {
    // This machine has no GPU: the override resets the device reservations (`!reset []`);
    // everything else of the gpu file runs as shipped.
    let Some(mut p) = up_and_check("design-gpu", "examples/design/out", "docker-compose.gpu.yml") else {
        return;
    };
    assert!(
        p.adjustments.iter().any(|a| a.contains("GPU device reservations reset")),
        "the gpu file reserves a GPU somewhere: {:?}",
        p.adjustments
    );
    p.down();
}

/// Keep the helpers used (further tests use them).
#[allow(dead_code)]
fn _uses(_: &BTreeMap<String, BTreeSet<String>>, _: host::HostLimits, _: reach::Matrix) {}
