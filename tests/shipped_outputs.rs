//! The committed outputs: `examples/design/out` (every form of the design contract) and
//! `pmoves/` (the PMOVES stack) are exactly what their stacks generate, pass every oracle, and
//! have the shape the design describes.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;

fn build(stack: &str, out: &str) -> pmovesc::Output {
    let root = support::manifest_dir();
    let sources = support::load(&root.join(stack));
    let output = pmovesc::compile(
        &sources,
        &pmovesc::Options {
            regenerate: format!("pmovesc build {stack} -o {out}"),
            keep_models: true,
            ..Default::default()
        },
    );
    assert!(
        !output.has_errors(),
        "{}",
        support::render(&sources, &output)
    );
    output
}

fn assert_committed(out_dir: &str, output: &pmovesc::Output) {
    // The manifest is not compared by `check`, but a current one lets `check` in CI and in
    // pre-commit hooks answer without compiling; it records this compiler's fingerprint.
    let manifest_path = support::manifest_dir()
        .join(out_dir)
        .join(pmovesc::output::manifest::MANIFEST_FILE);
    let committed = std::fs::read_to_string(&manifest_path).unwrap_or_default();
    let current = &output.files[pmovesc::output::manifest::MANIFEST_FILE];
    assert!(
        &committed == current,
        "{out_dir}/{} is not current (the compiler or the stack changed): rebuild {out_dir}",
        pmovesc::output::manifest::MANIFEST_FILE
    );
    let on_disk =
        pmovesc::output::fs::read_output_dir(&support::manifest_dir().join(out_dir)).unwrap();
    let findings = pmovesc::output::check::compare(&output.files, &on_disk, &output.all_file_names);
    let report: Vec<String> = findings
        .iter()
        .map(|f| match f {
            pmovesc::output::check::Finding::Stale { diff, .. } => diff.clone(),
            other => other.describe(),
        })
        .collect();
    assert!(
        findings.is_empty(),
        "{out_dir} is stale; rebuild it:\n{}",
        report.join("\n")
    );
}

fn oracles(output: &pmovesc::Output) {
    support::check_all_oracles(&output.files);
    for (file, model) in &output.models {
        support::check_roundtrip(
            file,
            &output.files[file],
            &serde_json::to_value(model).unwrap(),
        );
    }
}

fn parsed(output: &pmovesc::Output) -> BTreeMap<String, Value> {
    output
        .models
        .iter()
        .map(|(f, m)| (f.clone(), serde_json::to_value(m).unwrap()))
        .collect()
}

#[test]
fn design_example_is_current_and_passes_the_oracles() {
    let output = build("examples/design/stack", "examples/design/out");
    assert_committed("examples/design/out", &output);
    oracles(&output);
}

#[test]
fn design_example_has_the_designed_shape() {
    let output = build("examples/design/stack", "examples/design/out");
    let files = parsed(&output);
    let dev = &files["docker-compose.dev-local.yml"]["services"];
    let published = &files["docker-compose.published.yml"]["services"];
    let hardened = &files["docker-compose.hardened.yml"]["services"];
    let gpu = &files["docker-compose.gpu.yml"]["services"];

    // build vs image
    assert_eq!(dev["archon"]["image"], "pmoves/archon:dev-local");
    assert_eq!(
        dev["archon"]["build"]["dockerfile"],
        "services/archon/Dockerfile"
    );
    assert_eq!(
        dev["archon"]["build"]["args"]["ARCHON_GIT_REF"],
        "${ARCHON_GIT_REF:-main}"
    );
    assert_eq!(
        dev["postgres"]["image"],
        "${POSTGRES_IMAGE:-ankane/pgvector:v0.5.1}"
    );
    for (file, services) in [
        ("published", published),
        ("hardened", hardened),
        ("gpu", gpu),
    ] {
        for (name, s) in services.as_object().unwrap() {
            assert!(s.get("build").is_none(), "{file}: {name} has build");
            assert!(
                s["image"].as_str().unwrap().starts_with("${"),
                "{file}: {name}"
            );
        }
    }
    // hardening applied only where asked: the class's read_only / user / cap_drop appear in
    // hardened profiles only.
    assert!(published["gateway-edge"].get("read_only").is_none());
    assert!(published["gateway-edge"].get("cap_drop").is_none());
    assert_eq!(hardened["gateway-edge"]["read_only"], true);
    assert_eq!(hardened["gateway-edge"]["user"], "65532:65532");
    assert_eq!(
        hardened["gateway-edge"]["cap_drop"],
        serde_json::json!(["ALL"])
    );
    assert_eq!(
        hardened["gateway-edge"]["security_opt"],
        serde_json::json!(["no-new-privileges:true"])
    );
    assert_eq!(
        hardened["gateway-edge"]["deploy"]["resources"]["limits"]["pids"],
        512
    );
    // a loosened setting with a reason wins over the class
    assert_eq!(hardened["archon"]["read_only"], false);
    assert_eq!(hardened["archon"]["user"], "1000:1000");
    // exempt services get nothing from any class
    assert!(hardened["cadvisor"].get("cap_drop").is_none());
    assert_eq!(hardened["cadvisor"]["privileged"], true);
    // GPU reservations only in GPU profiles; only-in "gpu" services only there
    for (file, v) in &files {
        let is_gpu = file == "docker-compose.gpu.yml";
        assert_eq!(
            v["services"].get("pmoves-ollama").is_some(),
            is_gpu,
            "{file}"
        );
        let text = output.files[file].as_str();
        assert_eq!(
            text.contains("devices:\n") && text.contains("capabilities:"),
            is_gpu,
            "{file}"
        );
    }
    let devices = &gpu["hi-rag-gateway-v2"]["deploy"]["resources"]["reservations"]["devices"][0];
    assert_eq!(devices["count"], 1);
    assert!(devices.get("device_ids").is_none());
    let ollama = &gpu["pmoves-ollama"]["deploy"]["resources"]["reservations"]["devices"][0];
    assert_eq!(ollama["device_ids"], serde_json::json!(["0", "1"]));
    assert!(ollama.get("count").is_none());
    // when "gpu" swaps the image and uses its own pin variable; gpu-worker replaces /tmp
    assert_eq!(
        gpu["hi-rag-gateway-v2"]["image"],
        "${HI_RAG_GATEWAY_V2_GPU_IMAGE:-ghcr.io/powerfulmoves/pmoves-hirag-v2-gpu:2025.12.13}"
    );
    assert!(
        gpu["hi-rag-gateway-v2"]["tmpfs"]
            .as_array()
            .unwrap()
            .contains(&Value::from("/tmp:size=2g"))
    );
    assert_eq!(gpu["hi-rag-gateway-v2"]["shm_size"], "4g");
    // groups are compose profiles
    assert_eq!(
        published["archon"]["profiles"],
        serde_json::json!(["agents"])
    );
    assert_eq!(
        published["postgrest"]["profiles"],
        serde_json::json!(["agents", "data"])
    );
    // the pin file lists both hi-rag images
    let pins = &output.files["env.shared"];
    assert!(
        pins.contains("HI_RAG_GATEWAY_V2_IMAGE=ghcr.io/powerfulmoves/pmoves-hirag-v2:2025.12.13\n")
    );
    assert!(pins.contains(
        "HI_RAG_GATEWAY_V2_GPU_IMAGE=ghcr.io/powerfulmoves/pmoves-hirag-v2-gpu:2025.12.13\n"
    ));
}

#[test]
fn yaml_ambiguous_strings_are_quoted_for_yaml_1_1_readers() {
    // Beyond the per-file round trip: the quoting itself, on the design example's values.
    let output = build("examples/design/stack", "examples/design/out");
    let text = &output.files["docker-compose.published.yml"];
    assert!(text.contains("PORT: \"8091\""), "{text}");
    assert!(text.contains("- \"8052\""), "{text}");
}

#[test]
fn pmoves_output_is_current_and_passes_the_oracles() {
    let output = build("stacks", "pmoves");
    assert_committed("pmoves", &output);
    oracles(&output);
}

/// In the hardened and gpu files every service runs non-root, read-only, with ALL capabilities
/// dropped, no-new-privileges, memory and CPU limits and a healthcheck, or is exempt with a
/// reason (a setting the service loosens with its own `reason=` counts as explained); no GPU
/// is reserved outside the gpu profile; no host port is published twice.
#[test]
fn pmoves_hardened_profiles_hold_the_hardening_promise() {
    let root = support::manifest_dir();
    let sources = support::load(&root.join("stacks"));
    let (resolved, _) = pmovesc::analyze(&sources);
    let stack = resolved.expect("stacks resolves");
    let output = build("stacks", "pmoves");
    let files = parsed(&output);
    let mut problems = Vec::new();
    for file in ["docker-compose.hardened.yml", "docker-compose.gpu.yml"] {
        let profile = stack
            .profiles
            .iter()
            .find(|p| p.file_name() == file)
            .expect("profile");
        for (name, s) in files[file]["services"].as_object().unwrap() {
            let body = stack
                .shape(&stack.services[name], profile)
                .expect("present");
            if let Some(class) = stack.class_of(&body)
                && class.value == pmovesc::analysis::resolve::EXEMPT
            {
                let reason = body.hardening.as_ref().and_then(|h| h.reason.as_ref());
                if reason.is_none_or(|r| r.value.trim().len() < 10) {
                    problems.push(format!("{file}: {name} is exempt without a real reason"));
                }
                continue;
            }
            // A setting the service loosens itself with `reason=` is an explained exception.
            let explained = |r: Option<&Option<pmovesc::lang::source::Spanned<String>>>| {
                r.is_some_and(|r| r.as_ref().is_some_and(|r| r.value.trim().len() >= 10))
            };
            let user = s["user"].as_str().unwrap_or("");
            let uid = user.split(':').next().unwrap_or("");
            let non_root = !uid.is_empty()
                && uid.bytes().all(|b| b.is_ascii_digit())
                && !uid.trim_start_matches('0').is_empty();
            if !non_root && !explained(body.user.as_ref().map(|u| &u.reason)) {
                problems.push(format!(
                    "{file}: {name} user `{user}` is not numeric non-root"
                ));
            }
            if s["read_only"] != true && !explained(body.read_only.as_ref().map(|u| &u.reason)) {
                problems.push(format!("{file}: {name} is not read-only"));
            }
            if !s["cap_drop"]
                .as_array()
                .is_some_and(|a| a.contains(&Value::from("ALL")))
            {
                problems.push(format!("{file}: {name} does not drop ALL"));
            }
            if !s["security_opt"]
                .as_array()
                .is_some_and(|a| a.contains(&Value::from("no-new-privileges:true")))
            {
                problems.push(format!("{file}: {name} lacks no-new-privileges"));
            }
            let limits = &s["deploy"]["resources"]["limits"];
            if limits.get("memory").is_none() || limits.get("cpus").is_none() {
                problems.push(format!("{file}: {name} has no memory/cpu limits"));
            }
            if s.get("healthcheck").is_none() {
                problems.push(format!("{file}: {name} has no healthcheck"));
            }
        }
    }
    for (file, v) in &files {
        let mut seen = std::collections::BTreeMap::new();
        for (name, s) in v["services"].as_object().unwrap() {
            let devices = &s["deploy"]["resources"]["reservations"]["devices"];
            if file != "docker-compose.gpu.yml" && !devices.is_null() {
                problems.push(format!("{file}: {name} reserves a GPU"));
            }
            for p in s["ports"].as_array().into_iter().flatten() {
                let p = p.as_str().unwrap();
                let mut parts: Vec<&str> = p.rsplitn(2, ':').collect();
                parts.reverse();
                let host = parts[0].to_string();
                if let Some(first) = seen.insert(host.clone(), name.clone()) {
                    problems.push(format!(
                        "{file}: host {host} published by {first} and {name}"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
