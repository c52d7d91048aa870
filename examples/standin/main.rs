//! The stand-in: one small program (std only) that every service of a generated compose file runs
//! as in the engine tests, since no real image can be pulled here. The tests copy it, with the
//! shared libraries `ldd` lists, into a root filesystem and `docker import` it
//! (`tests/support/engine.rs`); the healthcheck tools pmovesc writes are symlinks to it, so it
//! acts by the name it is called as:
//!
//! - `standin serve [--bind ADDR] [--port P]... [--health PATH]... [--healthy-after SECONDS]
//!   [-- IGNORED...]`: listen on each port (HTTP); answer the health paths with 200 (503 until
//!   `--healthy-after` has passed, or after `GET /__standin/sick`; `GET /__standin/well` undoes
//!   that), other paths with 404 (every path is a health path when none is given). Words after
//!   `--` (the service's own `command`) are ignored.
//! - `standin inspect`: print, as JSON, what the container enforces on this process (user,
//!   capabilities, no-new-privileges, seccomp, writable root and mounts, cgroup limits, open-file
//!   limit, secrets, environment names, whether a default route exists).
//! - `standin probe [--timeout-ms N] HOST PORT [HOST PORT]...`: TCP connect to every target at
//!   once (short timeout), print the results as JSON; exit 0 when every one connected.
//! - `curl`, `wget`, `python3`/`python -c`, `node -e`, `sh`/`bash -c`: the URL forms pmovesc's
//!   `http-get` probes and common hand-written probes use, fetched for real. Any other command a
//!   healthcheck names (a symlink to this program) succeeds and prints `not exercised`, so the
//!   tests can say which probes the stand-in did not check.

mod http;
mod inspect;
mod json;
mod probe;
mod serve;
mod tools;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().collect();
    let called = args
        .first()
        .map(|a| a.rsplit('/').next().unwrap_or(a).to_string())
        .unwrap_or_default();
    let rest = if args.is_empty() {
        Vec::new()
    } else {
        args.split_off(1)
    };
    if called == "standin" {
        let Some((sub, rest)) = rest.split_first() else {
            eprintln!("usage: standin serve|inspect|probe|curl|wget|python3|node|sh ...");
            return ExitCode::from(2);
        };
        return dispatch(sub, rest);
    }
    dispatch(&called, &rest)
}

fn dispatch(name: &str, args: &[String]) -> ExitCode {
    match name {
        "serve" => serve::run(args),
        "inspect" => inspect::run(),
        "probe" => probe::run(args),
        _ => tools::run(name, args),
    }
}
