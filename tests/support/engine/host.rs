//! What this engine's host can grant, measured by running the stand-in: the CPU count, the
//! open-file ceiling a container inherits, and whether a privileged container starts. Tests
//! adjust for these limits in the override and say so; they never hide them.

use std::sync::Mutex;
use std::time::Duration;

use super::standin::StandIn;
use super::{docker, run, run_ok};

#[derive(Debug, Clone)]
pub struct HostLimits {
    /// CPUs the engine reports (`docker info`); a `cpus` limit above it is refused.
    pub ncpu: f64,
    /// The hard open-file limit a container gets by default: the engine's own, which a
    /// container cannot raise without `CAP_SYS_RESOURCE`.
    pub nofile_hard: Option<i64>,
    /// Why a privileged container cannot start here, if it cannot (the engine's message).
    pub privileged_refused: Option<String>,
}

/// The limits, measured once per test binary.
pub fn limits(standin: &StandIn) -> HostLimits {
    static CACHE: Mutex<Option<HostLimits>> = Mutex::new(None);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(l) = &*cache {
        return l.clone();
    }
    let ncpu = run_ok(
        docker().args(["info", "--format", "{{.NCPU}}"]),
        Duration::from_secs(20),
    )
    .ok()
    .and_then(|s| s.trim().parse().ok())
    .unwrap_or(1.0);
    let nofile_hard = run_ok(
        docker().args([
            "run",
            "--rm",
            "--network",
            "none",
            &standin.image,
            "inspect",
        ]),
        Duration::from_secs(60),
    )
    .ok()
    .and_then(|out| serde_json::from_str::<serde_json::Value>(out.trim()).ok())
    .and_then(|v| v["nofile_hard"].as_i64());
    let privileged_refused = refusal(&standin.image, &["--privileged"]).err();
    let l = HostLimits {
        ncpu,
        nofile_hard,
        privileged_refused,
    };
    *cache = Some(l.clone());
    l
}

/// Runs the stand-in's `inspect` with extra `docker run` options: `Err` with the engine's
/// message when the engine refuses to start it.
pub fn refusal(image: &str, options: &[&str]) -> Result<(), String> {
    let out = run(
        docker()
            .args(["run", "--rm", "--network", "none"])
            .args(options)
            .args([image, "inspect"]),
        Duration::from_secs(60),
    )?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim()
            .to_string())
    }
}
