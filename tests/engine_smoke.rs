//! Engine tests of start-up order and of `pmovesc smoke`, on the engine tests' own stack
//! (`tests/engine-stacks/ordering/`) built by the real binary: a dependency whose health turns
//! green late (`standin serve --healthy-after`), a dependant that waits for it to be healthy and
//! one that only waits for it to start; and `smoke` passing on the healthy project, then failing
//! (exit 1, naming the service) once a stand-in is told to go unhealthy.
//!
//! Needs a running engine (`scripts/engine.sh`); without one they fail, as any test whose oracle
//! is missing (`tests/support/skip.rs`), unless `PMOVESC_ALLOW_SKIPS=1`. Projects are isolated
//! from every other test's on the same engine (`tests/support/engine/isolate.rs`).

mod support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use support::engine::project::Project;
use support::engine::{self};

const STACK: &str = "tests/engine-stacks/ordering";
/// How long the slow dependency answers its health path with 503.
const LATE: u64 = 6;

fn pmovesc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pmovesc"))
}

/// Builds the ordering stack into a fresh directory named `out` (as a checkout's `pmoves/`).
fn build_stack(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("out");
    let o = pmovesc()
        .args(["build", STACK, "-o"])
        .arg(&out)
        .current_dir(support::manifest_dir())
        .output()
        .expect("run pmovesc build");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn up(label: &str) -> Option<(Project, tempfile::TempDir)> {
    let engine = engine::engine(label)?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = build_stack(tmp.path());
    let stack = support::manifest_dir().join(STACK);
    let mut p = Project::new(engine, label, &stack, &out, "docker-compose.hardened.yml");
    p.serve.get_mut("slow-db").expect("slow-db").healthy_after = Some(LATE);
    if let Err(e) = p.up(&[], Duration::from_secs(120)) {
        panic!("{e}");
    }
    Some((p, tmp))
}

/// The engine's start time of a service's container, in nanoseconds since the epoch.
fn started_at(p: &Project, service: &str) -> i128 {
    let text = p.docker_inspect(service)["State"]["StartedAt"]
        .as_str()
        .expect("StartedAt")
        .to_string();
    parse_rfc3339(&text).unwrap_or_else(|| panic!("StartedAt `{text}`"))
}

/// `2026-12-01T13:04:05.123456789Z` to nanoseconds since the epoch (UTC only, as Docker writes).
fn parse_rfc3339(t: &str) -> Option<i128> {
    let (date, time) = t.strip_suffix('Z')?.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut h = hms.split(':').map(|x| x.parse::<i64>().ok());
    let (hh, mm, ss) = (h.next()??, h.next()??, h.next()??);
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let nanos: i128 = format!("{frac:0<9}")[..9].parse().ok()?;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) as i128) * 1_000_000_000 + nanos)
}

#[test]
fn rfc3339_times_parse() {
    assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    assert_eq!(
        parse_rfc3339("2000-03-01T00:00:00Z"),
        Some(951_868_800 * 1_000_000_000)
    );
}

#[test]
fn depends_on_healthy_waits_for_a_late_green_dependency() {
    let Some((mut p, _tmp)) = up("ordering") else {
        return;
    };
    let db = started_at(&p, "slow-db");
    let api = started_at(&p, "api");
    let eager = started_at(&p, "eager");
    let late = i128::from(LATE) * 1_000_000_000;
    // slow-db answers 503 for LATE seconds after it starts, so it cannot be healthy before.
    assert!(
        api - db >= late,
        "api (depends-on condition=\"healthy\") started {} ms after slow-db, before slow-db could \
         be healthy ({LATE} s)",
        (api - db) / 1_000_000
    );
    // The control: condition="started" does not wait for health.
    assert!(
        eager - db < late,
        "eager (condition=\"started\") started {} ms after slow-db: it waited for health",
        (eager - db) / 1_000_000
    );
    p.down();
}

fn smoke(p: &Project, extra: &[&str]) -> Output {
    pmovesc()
        .args([
            "smoke",
            STACK,
            "--profile",
            "hardened",
            "--project",
            &p.name,
        ])
        .args(if extra.contains(&"--timeout") {
            &[][..]
        } else {
            &["--timeout", "20"][..]
        })
        .args(extra)
        .current_dir(support::manifest_dir())
        .output()
        .expect("run pmovesc smoke")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn smoke_passes_on_a_healthy_project_and_names_the_service_that_goes_unhealthy() {
    let Some((mut p, tmp)) = up("smoke") else {
        return;
    };
    let evidence = tmp.path().join("evidence");
    let ok = smoke(&p, &["--evidence", evidence.to_str().expect("utf-8 path")]);
    let out = text(&ok);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "smoke on a healthy project:\n{out}"
    );
    for s in ["api", "eager", "slow-db"] {
        assert!(out.contains(s), "the table lists {s}:\n{out}");
        let health: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(evidence.join(format!("{s}.health.json")))
                .expect("health evidence"),
        )
        .expect("health evidence is JSON");
        assert_eq!(health["state"]["Health"]["Status"], "healthy", "{s}");
        assert!(
            evidence.join(format!("{s}.log")).is_file(),
            "{s} log evidence"
        );
    }
    // The stack publishes api on 127.0.0.1:48180; the isolation override lets the engine pick
    // the host port, so concurrent test runs never collide.
    let port = p
        .published_port("api", 8080)
        .expect("api's 8080 is published");
    assert!(
        out.contains(&format!("http://127.0.0.1:{port}/healthz")) && out.contains("HTTP 200"),
        "the published endpoint of api is probed from the host:\n{out}"
    );
    let json = smoke(&p, &["--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON report");
    assert_eq!(report["ok"], true);
    assert_eq!(report["services"].as_array().map(Vec::len), Some(3));

    // Tell the unpublished dependency to go unhealthy: Docker's healthcheck (wget, every second,
    // three retries) marks it unhealthy, and smoke names it with its last health log.
    let sick = p.exec(
        "slow-db",
        &["curl", "-fsS", "http://127.0.0.1:5432/__standin/sick"],
        Duration::from_secs(30),
    );
    assert!(
        sick.status.success(),
        "{}",
        String::from_utf8_lossy(&sick.stderr)
    );
    let mut unhealthy = false;
    for _ in 0..60 {
        if p.containers()["slow-db"]["Health"] == "unhealthy" {
            unhealthy = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(
        unhealthy,
        "slow-db turned unhealthy:\n{}",
        p.status_report()
    );
    let failed = smoke(&p, &["--timeout", "1"]);
    let out = text(&failed);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "smoke with an unhealthy service:\n{out}"
    );
    assert!(
        out.contains("error: service `slow-db` is not healthy") && out.contains("503"),
        "smoke names slow-db and its last health log:\n{out}"
    );
    assert!(!out.contains("service `api` is not healthy"), "{out}");

    // The published endpoint answering 503 fails smoke too, before Docker's health turns.
    let sick = p.exec(
        "api",
        &["curl", "-fsS", "http://127.0.0.1:8080/__standin/sick"],
        Duration::from_secs(30),
    );
    assert!(sick.status.success());
    let failed = smoke(&p, &["--timeout", "1", "--group", "app"]);
    let out = text(&failed);
    assert_eq!(failed.status.code(), Some(1), "{out}");
    assert!(out.contains("service `api`"), "{out}");
    p.down();
}

#[test]
fn smoke_without_a_project_of_the_profile_is_a_clear_error() {
    let Some(_) = engine::engine("smoke without a project") else {
        return;
    };
    // A profile of its own (its file name unique to this process), so that no project of
    // another test on the same engine runs it.
    let tmp = tempfile::tempdir().expect("tempdir");
    let profile = format!("nobody-runs-{}", std::process::id());
    let stack = std::fs::read_to_string(support::manifest_dir().join(STACK).join("stack.kdl"))
        .expect("read the ordering stack");
    std::fs::write(
        tmp.path().join("stack.kdl"),
        format!("{stack}\nprofile \"{profile}\" source=\"image\" hardened=#true\n"),
    )
    .expect("write the stack");
    let o = pmovesc()
        .args(["smoke"])
        .arg(tmp.path())
        .args(["--profile", &profile, "--timeout", "1"])
        .output()
        .expect("run pmovesc smoke");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains(&format!(
            "no compose project runs docker-compose.{profile}.yml"
        )),
        "{out}"
    );
}

#[test]
fn smoke_and_doctor_without_docker_cli_or_daemon_are_clear_errors() {
    let empty = tempfile::tempdir().expect("tempdir");
    for cmd in ["smoke", "doctor"] {
        let no_cli = pmovesc()
            .args([cmd, STACK, "--profile", "hardened"])
            .env("PATH", empty.path())
            .current_dir(support::manifest_dir())
            .output()
            .expect("run pmovesc");
        let out = text(&no_cli);
        assert_eq!(no_cli.status.code(), Some(2), "{out}");
        assert!(out.contains("error: no Docker CLI"), "{out}");
        assert!(!out.contains("panicked"), "{out}");
        if Command::new("docker").arg("--version").output().is_ok() {
            let no_daemon = pmovesc()
                .args([cmd, STACK, "--profile", "hardened"])
                .env(
                    "DOCKER_HOST",
                    format!("unix://{}/no.sock", empty.path().display()),
                )
                .current_dir(support::manifest_dir())
                .output()
                .expect("run pmovesc");
            let out = text(&no_daemon);
            assert_eq!(no_daemon.status.code(), Some(2), "{out}");
            assert!(
                out.contains("error: the Docker daemon does not answer"),
                "{out}"
            );
        }
    }
}
