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
    let on_disk =
        pmovesc::output::outdir::observe(&support::manifest_dir().join(out_dir), &output.files)
            .unwrap();
    // `check` does not compare the manifest (it records the compiler's fingerprint); it has a
    // test of its own, so a source edit does not hide what else is stale.
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

/// The committed manifests record this compiler and these stacks, so `check` in CI and in
/// pre-commit hooks can answer without compiling. Any change under `src/` changes the
/// fingerprint: rebuild both outputs (see BRIEF.md / README).
#[test]
fn committed_manifests_record_this_compiler() {
    let mut stale = Vec::new();
    for (stack, out_dir) in [
        ("examples/design/stack", "examples/design/out"),
        ("stacks", "pmoves"),
    ] {
        let output = build(stack, out_dir);
        let path = support::manifest_dir()
            .join(out_dir)
            .join(pmovesc::output::manifest::MANIFEST_FILE);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != output.files[pmovesc::output::manifest::MANIFEST_FILE] {
            stale.push(format!("cargo run --release -- build {stack} -o {out_dir}"));
        }
    }
    assert!(
        stale.is_empty(),
        "the committed manifests are not current (the compiler or a stack changed); run:\n{}",
        stale.join("\n")
    );
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

/// Whether a YAML 1.1 reader (PyYAML, Compose v1) or a YAML 1.2 core reader would resolve this
/// plain scalar to something other than a string: the implicit types of yaml.org/type (bool,
/// null, int, float, timestamp, merge, value) and the 1.2 core schema. Written here, from the
/// specs, so the check needs no outside tool.
fn resolves_to_non_string(s: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r"(?x)^(?:
              y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF
            | ~|null|Null|NULL
            | [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?0o[0-7]+ | [-+]?(?:0|[1-9][0-9_]*)
            | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+
            | [-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            | [-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+
            | [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
            | [-+]?\.(?:inf|Inf|INF) | \.(?:nan|NaN|NAN)
            | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[\ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}.*)?
            | <<|=
            )$",
        )
        .unwrap()
    });
    s.is_empty() || re.is_match(s)
}

#[derive(Clone, Debug)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A quoted or plain key as written, and the rest of the line after `: ` (or `:`).
fn split_key(t: &str) -> Option<(String, bool, &str)> {
    let (key, quoted, rest) = if let Some(body) = t.strip_prefix('"') {
        let end = body.find("\":")?;
        let key: String = serde_json::from_str(&format!("\"{}\"", &body[..end])).ok()?;
        (key, true, &body[end + 2..])
    } else if let Some(body) = t.strip_prefix('\'') {
        let end = body.find("':")?;
        (body[..end].replace("''", "'"), true, &body[end + 2..])
    } else {
        let (k, rest) = t
            .split_once(": ")
            .or_else(|| t.strip_suffix(':').map(|k| (k, "")))?;
        return Some((k.to_string(), false, rest));
    };
    Some((key, quoted, rest.strip_prefix(' ').unwrap_or(rest)))
}

/// Walks a block-style YAML text as the emitter writes it and reports every scalar written
/// plain (unquoted) whose string value (looked up in `model` by its path) a YAML 1.1 or 1.2
/// reader would take for another type. A plain scalar the walk cannot place is a failure too.
fn plain_ambiguous(file: &str, text: &str, model: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut stack: Vec<(usize, Seg)> = Vec::new();
    let mut block_scalar_at: Option<usize> = None;
    let lookup = |path: &[(usize, Seg)]| {
        let mut v = model;
        for (_, seg) in path {
            v = match seg {
                Seg::Key(k) => v.get(k)?,
                Seg::Index(i) => v.get(*i)?,
            };
        }
        Some(v)
    };
    let check = |line: usize, path: &[(usize, Seg)], written: &str, problems: &mut Vec<String>| {
        if written.is_empty() || written.starts_with(['"', '\'', '{', '[', '|', '>']) {
            return;
        }
        match lookup(path) {
            Some(Value::String(s)) if resolves_to_non_string(s) => {
                problems.push(format!("{file}:{line}: the string `{s}` is written plain"))
            }
            Some(Value::String(s)) if s != written => problems.push(format!(
                "{file}:{line}: the walk misread `{written}` (the model holds `{s}`)"
            )),
            Some(_) => {}
            None => problems.push(format!(
                "{file}:{line}: `{written}` has no place in the model"
            )),
        }
    };
    for (i, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let mut t = line.trim_start();
        if let Some(at) = block_scalar_at {
            if indent > at && !t.is_empty() {
                continue;
            }
            block_scalar_at = None;
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut at = indent;
        if let Some(item) = t.strip_prefix("- ").or_else(|| (t == "-").then_some("")) {
            let mut next = 0;
            while let Some((ind, seg)) = stack.last() {
                if *ind > at {
                    stack.pop();
                } else if *ind == at && matches!(seg, Seg::Index(_)) {
                    if let Seg::Index(n) = seg {
                        next = n + 1;
                    }
                    stack.pop();
                } else {
                    break;
                }
            }
            stack.push((at, Seg::Index(next)));
            at += 2;
            t = item;
            if split_key(t).is_none() {
                check(i + 1, &stack, t, &mut problems);
                continue;
            }
        }
        let Some((key, quoted, rest)) = split_key(t) else {
            problems.push(format!("{file}:{}: cannot read `{t}`", i + 1));
            continue;
        };
        while stack.last().is_some_and(|(ind, _)| *ind >= at) {
            stack.pop();
        }
        if !quoted && resolves_to_non_string(&key) {
            problems.push(format!(
                "{file}:{}: the key `{key}` is written plain",
                i + 1
            ));
        }
        stack.push((at, Seg::Key(key)));
        if rest.starts_with(['|', '>']) {
            block_scalar_at = Some(at);
        }
        check(i + 1, &stack, rest, &mut problems);
    }
    problems
}

/// The YAML 1.1 quoting itself, without any oracle: no string of a generated compose file that
/// a YAML 1.1 or 1.2 reader would read as a bool, null, number or date is written plain. Run on
/// the design example, the PMOVES stack and a stack holding every ambiguous form.
#[test]
fn yaml_1_1_ambiguous_strings_are_quoted_without_any_oracle() {
    let forms = [
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "~",
        "",
        "0755",
        "0o17",
        "0b101",
        "0x1F",
        "1_000",
        "8091",
        "-1",
        "+1",
        "1.5",
        ".5",
        "1e3",
        "1E-3",
        "6.02e+23",
        "22:22",
        "190:20:30",
        "1:20.5",
        ".inf",
        "-.Inf",
        ".NaN",
        "2001-12-14",
        "2001-12-14 21:59:43",
        "<<",
        "=",
    ];
    let mut env = String::new();
    for (i, f) in forms.iter().enumerate() {
        env.push_str(&format!("        V{i} \"{f}\"\n"));
    }
    let stack = format!(
        "project \"t\" {{\n    env-file \".env\" required=#false\n}}\nprofile \"published\" source=\"image\" pins=\"off\"\nservice \"api\" {{\n    image \"nginx:1.27\"\n    env {{\n{env}    }}\n    label \"on\" \"off\"\n    label \"yes\" \"8080\"\n    command \"echo\" \"yes\" \"22:22\" \"0755\"\n}}\n"
    );
    let mut sources = pmovesc::lang::source::SourceMap::new();
    sources.add("quoting.kdl".to_string(), stack);
    let generated = support::compile(&sources);
    assert!(
        !generated.has_errors(),
        "{}",
        support::render(&sources, &generated)
    );
    let mut checked = 0;
    for output in [
        generated,
        build("examples/design/stack", "examples/design/out"),
        build("stacks", "pmoves"),
    ] {
        for (file, model) in &output.models {
            let model = serde_json::to_value(model).unwrap();
            let problems = plain_ambiguous(file, &output.files[file], &model);
            assert!(problems.is_empty(), "{}", problems.join("\n"));
            checked += output.files[file].matches('"').count();
        }
    }
    assert!(checked > 2 * forms.len(), "only {checked} quotes seen");
}

#[test]
fn pmoves_output_is_current_and_passes_the_oracles() {
    let output = build("stacks", "pmoves");
    assert_committed("pmoves", &output);
    oracles(&output);
}

/// What the stack's own text says a service is excused from in the profiles `selectors` pick,
/// read with the reference KDL parser (`kdl`), not with the compiler under test: node name ->
/// reason, from the service's own nodes, its template's (`from=`), and its `when` blocks for
/// those selectors (`hardening "exempt" reason=`, `user ... reason=`, `read-only ... reason=`).
fn stated_exceptions(selectors: &[&str]) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut docs = Vec::new();
    for e in std::fs::read_dir(support::manifest_dir().join("stacks"))
        .unwrap()
        .flatten()
    {
        if e.path().extension().is_some_and(|x| x == "kdl") {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let doc: kdl::KdlDocument = text
                .parse()
                .unwrap_or_else(|err: kdl::KdlError| panic!("{}: {err:?}", e.path().display()));
            docs.push(doc);
        }
    }
    let arg = |n: &kdl::KdlNode, i: usize| -> Option<String> {
        n.entries()
            .iter()
            .filter(|e| e.name().is_none())
            .nth(i)
            .and_then(|e| e.value().as_string().map(str::to_string))
    };
    let prop = |n: &kdl::KdlNode, k: &str| -> Option<String> {
        n.entries()
            .iter()
            .find(|e| e.name().is_some_and(|x| x.value() == k))
            .and_then(|e| e.value().as_string().map(str::to_string))
    };
    let mut templates = BTreeMap::new();
    for doc in &docs {
        for n in doc
            .nodes()
            .iter()
            .filter(|n| n.name().value() == "template")
        {
            templates.insert(arg(n, 0).unwrap(), n.clone());
        }
    }
    let collect = |node: &kdl::KdlNode, into: &mut BTreeMap<String, String>| {
        for c in node.children().map(|c| c.nodes()).unwrap_or_default() {
            let name = c.name().value();
            let in_scope = name != "when"
                || c.entries().iter().filter(|e| e.name().is_none()).any(|e| {
                    e.value()
                        .as_string()
                        .is_some_and(|s| selectors.contains(&s))
                });
            let nodes: Vec<&kdl::KdlNode> = if name == "when" {
                if !in_scope {
                    continue;
                }
                c.children()
                    .map(|d| d.nodes().iter().collect())
                    .unwrap_or_default()
            } else {
                vec![c]
            };
            for n in nodes {
                let key = match n.name().value() {
                    "hardening" if arg(n, 0).as_deref() == Some("exempt") => "exempt",
                    "user" => "user",
                    "read-only" => "read-only",
                    _ => continue,
                };
                if let Some(reason) = prop(n, "reason") {
                    into.insert(key.to_string(), reason);
                }
            }
        }
    };
    let mut out = BTreeMap::new();
    for doc in &docs {
        for n in doc.nodes().iter().filter(|n| n.name().value() == "service") {
            let mut reasons = BTreeMap::new();
            if let Some(t) = prop(n, "from").and_then(|t| templates.get(&t)) {
                collect(t, &mut reasons);
            }
            collect(n, &mut reasons);
            out.insert(arg(n, 0).unwrap(), reasons);
        }
    }
    out
}

/// In the hardened and gpu files every service runs non-root, read-only, with ALL capabilities
/// dropped, no-new-privileges, memory and CPU limits and a healthcheck, or is exempt with a
/// reason (a setting the service loosens with its own `reason=` counts as explained); no GPU
/// is reserved outside the gpu profile; no host port is published twice. Which services are
/// exempt is read from the stack's text, never asked of the compiler.
#[test]
fn pmoves_hardened_profiles_hold_the_hardening_promise() {
    let output = build("stacks", "pmoves");
    let files = parsed(&output);
    let mut problems = Vec::new();
    for (file, selectors) in [
        ("docker-compose.hardened.yml", &["hardened"][..]),
        ("docker-compose.gpu.yml", &["hardened", "gpu"][..]),
    ] {
        let stated = stated_exceptions(selectors);
        for (name, s) in files[file]["services"].as_object().unwrap() {
            let reasons = &stated[name];
            let explained = |key: &str| reasons.get(key).is_some_and(|r| r.trim().len() >= 10);
            if reasons.contains_key("exempt") {
                if !explained("exempt") {
                    problems.push(format!("{file}: {name} is exempt without a real reason"));
                }
                continue;
            }
            let user = s["user"].as_str().unwrap_or("");
            let uid = user.split(':').next().unwrap_or("");
            let non_root = !uid.is_empty()
                && uid.bytes().all(|b| b.is_ascii_digit())
                && !uid.trim_start_matches('0').is_empty();
            if !non_root && !explained("user") {
                problems.push(format!(
                    "{file}: {name} user `{user}` is not numeric non-root"
                ));
            }
            if s["read_only"] != true && !explained("read-only") {
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
