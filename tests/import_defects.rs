//! The defect report of `pmovesc import` on the upstream compose files, checked against the
//! known defects of `../shared/corpus/pmoves-upstream/PROVENANCE.md`, and the safety of what
//! import writes and prints (no literal credential shown, nothing overwritten).

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Runs `pmovesc import` in `dir`; returns the exit status, the JSON diagnostics and stderr.
fn import(dir: &Path, args: &[&str]) -> (bool, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .arg("import")
        .args(args)
        .output()
        .expect("run pmovesc");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let diags = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON diagnostic"))
        .collect();
    (out.status.success(), diags, stderr)
}

fn messages<'a>(diags: &'a [Value], code: &str) -> Vec<&'a str> {
    diags
        .iter()
        .filter(|d| d["code"] == code)
        .map(|d| d["message"].as_str().unwrap())
        .collect()
}

#[test]
fn base_and_hardened_overlay_report_the_four_services_defined_nowhere() {
    let Some(corpus) = support::upstream_corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let pmoves = corpus.join("pmoves");
    let base = pmoves.join("docker-compose.yml");
    let hardened = pmoves.join("docker-compose.hardened.yml");
    let out = dir.path().join("stacks");
    let (_, diags, _) = import(
        dir.path(),
        &[
            "-f",
            base.to_str().unwrap(),
            "-f",
            hardened.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--message-format",
            "json",
        ],
    );
    let mut undefined: Vec<&str> = diags
        .iter()
        .filter(|d| d["code"] == "PMV820")
        .map(|d| {
            assert_eq!(
                d["file"].as_str().unwrap().rsplit('/').next(),
                Some("docker-compose.hardened.yml")
            );
            d["message"].as_str().unwrap().split('`').nth(1).unwrap()
        })
        .collect();
    undefined.sort();
    assert_eq!(
        undefined,
        [
            "analysis-echo",
            "comfy-watcher",
            "graph-linker",
            "publisher"
        ],
        "{diags:#?}"
    );
    assert!(
        out.join("project.kdl").is_file(),
        "import still writes the stack"
    );
}

#[test]
fn the_base_file_reports_the_known_defects() {
    let Some(corpus) = support::upstream_corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = corpus.join("pmoves/docker-compose.yml");
    let out = dir.path().join("stacks");
    let (ok, diags, _) = import(
        dir.path(),
        &[
            "-f",
            base.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--message-format",
            "json",
        ],
    );
    assert!(!ok, "a defect that is an error makes import exit non-zero");
    // host port 8090 by retrieval-eval and hi-rag-gateway-gpu
    let ports = messages(&diags, "PMV824");
    assert_eq!(ports.len(), 1, "{ports:?}");
    assert!(
        ports[0].contains("8090")
            && ports[0].contains("retrieval-eval")
            && ports[0].contains("hi-rag-gateway-gpu")
    );
    // archon sets ARCHON_SUPABASE_BASE_URL twice in one list (and deepresearch another, found
    // by import)
    let env = messages(&diags, "PMV823");
    assert!(
        env.iter()
            .any(|m| m.contains("ARCHON_SUPABASE_BASE_URL") && m.contains("archon")),
        "{env:?}"
    );
    // GPU reservations on services of the plain workers profile
    let gpu = messages(&diags, "PMV827");
    assert!(
        gpu.iter()
            .any(|m| m.contains("media-video") && m.contains("workers")),
        "{gpu:?}"
    );
    // images on latest or without a tag; none pinned by digest
    let unpinned = messages(&diags, "PMV825");
    assert!(
        unpinned.iter().any(|m| m.contains("has no tag")),
        "{unpinned:?}"
    );
    assert!(
        unpinned.iter().any(|m| m.contains("runs `latest`")),
        "{unpinned:?}"
    );
}

#[test]
fn agentgym_reports_its_undefined_dependency_and_agents_images_the_undeclared_network() {
    let Some(corpus) = support::upstream_corpus() else {
        return;
    };
    let pmoves = corpus.join("pmoves");
    let dir = tempfile::tempdir().unwrap();
    let base = pmoves.join("docker-compose.yml");
    let agentgym = pmoves.join("docker-compose.agentgym.yml");
    let images = pmoves.join("docker-compose.agents.images.yml");
    let out = dir.path().join("a");
    let (_, diags, _) = import(
        dir.path(),
        &[
            "-f",
            base.to_str().unwrap(),
            "-f",
            agentgym.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--message-format",
            "json",
        ],
    );
    let deps = messages(&diags, "PMV820");
    assert!(
        deps.iter()
            .any(|m| m.contains("agentgym") && m.contains("`evo-controller`")),
        "{deps:?}"
    );
    let out = dir.path().join("b");
    let (_, diags, _) = import(
        dir.path(),
        &[
            "-f",
            base.to_str().unwrap(),
            "-f",
            images.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--message-format",
            "json",
        ],
    );
    let nets = messages(&diags, "PMV821");
    assert!(
        nets.iter().any(|m| m.contains("network `pmoves`")),
        "{nets:?}"
    );
    let project = std::fs::read_to_string(out.join("project.kdl")).unwrap();
    assert!(
        project.contains("network \"pmoves\""),
        "import declares the network it reports"
    );
}

#[test]
fn a_literal_credential_is_never_printed_and_becomes_a_secret_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yml"),
        "services:\n  db:\n    image: postgres:16.4\n    environment:\n      - POSTGRES_PASSWORD=hunter2-very-secret\n      - POSTGRES_USER=app\n",
    )
    .unwrap();
    for format in ["human", "json"] {
        let out = dir.path().join(format!("stacks-{format}"));
        let (_, diags, stderr) = import(
            dir.path(),
            &[
                "-f",
                "compose.yml",
                "-o",
                out.to_str().unwrap(),
                "--message-format",
                format,
                "--color",
                "never",
            ],
        );
        assert!(!stderr.contains("hunter2"), "{stderr}");
        if format == "json" {
            assert_eq!(messages(&diags, "PMV828").len(), 1, "{diags:?}");
        } else {
            assert!(stderr.contains("PMV828"), "{stderr}");
            assert!(
                stderr.contains("*******"),
                "the value is masked where the line is shown:\n{stderr}"
            );
        }
        let written: String = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert!(!written.contains("hunter2"), "{written}");
        assert!(
            written.contains("POSTGRES_PASSWORD \"${POSTGRES_PASSWORD}\""),
            "{written}"
        );
        assert!(
            written.contains("input \"POSTGRES_PASSWORD\" secret=#true"),
            "{written}"
        );
    }
}

#[test]
fn import_never_writes_into_an_existing_stack() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yml"),
        "services:\n  a:\n    image: busybox:1.36\n",
    )
    .unwrap();
    let stacks = dir.path().join("stacks");
    std::fs::create_dir(&stacks).unwrap();
    std::fs::write(stacks.join("mine.kdl"), "// mine\n").unwrap();
    let (ok, _, stderr) = import(dir.path(), &["-f", "compose.yml", "-o", "stacks"]);
    assert!(!ok);
    assert!(stderr.contains("already holds a stack"), "{stderr}");
    assert_eq!(std::fs::read_dir(&stacks).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(stacks.join("mine.kdl")).unwrap(),
        "// mine\n"
    );
}

#[test]
fn a_yaml_error_points_at_the_compose_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yml"),
        "services:\n  a:\n    image: x:1\n    image: y:2\n",
    )
    .unwrap();
    let (ok, diags, _) = import(
        dir.path(),
        &[
            "-f",
            "compose.yml",
            "-o",
            "stacks",
            "--message-format",
            "json",
        ],
    );
    assert!(!ok);
    let d = &diags[0];
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str(), d["line"].as_u64()),
        (Some("PMV800"), Some("compose.yml"), Some(4))
    );
    assert!(!dir.path().join("stacks").exists(), "nothing written");
}

#[test]
fn the_report_is_a_document_in_markdown_or_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("compose.yml"),
        "services:\n  a:\n    image: busybox\n    depends_on: [b]\n    environment:\n      - API_TOKEN=abc123-literal\n",
    )
    .unwrap();
    let (_, _, _) = import(
        dir.path(),
        &["-f", "compose.yml", "-o", "s1", "--report", "report.md"],
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.starts_with("# Import report"), "{md}");
    assert!(md.contains("## PMV820 undefined-service"), "{md}");
    assert!(md.contains("| compose.yml:4 | error |"), "{md}");
    assert!(md.contains("PMV825") && md.contains("PMV828"), "{md}");
    assert!(!md.contains("abc123"), "{md}");
    let (_, _, _) = import(
        dir.path(),
        &["-f", "compose.yml", "-o", "s2", "--report", "report.json"],
    );
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["files"][0], "compose.yml");
    let codes: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"PMV820") && codes.contains(&"PMV825") && codes.contains(&"PMV828"),
        "{codes:?}"
    );
    let (ok, _, stderr) = import(
        dir.path(),
        &["-f", "compose.yml", "-o", "s3", "--report", "report.txt"],
    );
    assert!(!ok && stderr.contains(".md or a .json"), "{stderr}");
}
