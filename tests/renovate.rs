//! The Renovate regex manager documented in `docs/renovate.md` matches every `image` node of the
//! shipped stacks, captures its parts correctly, matches nothing else, and its replacement
//! template writes a stack pmovesc decodes to the updated image.

use std::path::{Path, PathBuf};

use pmovesc::lang::source::SourceMap;
use pmovesc::lang::values::parse_image;
use pmovesc::registry;
use regex::Regex;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first ```json block of docs/renovate.md.
fn config() -> Value {
    let doc = std::fs::read_to_string(root().join("docs/renovate.md")).unwrap();
    let start = doc.find("```json\n").expect("a json block") + "```json\n".len();
    let end = start + doc[start..].find("```").unwrap();
    serde_json::from_str(&doc[start..end]).expect("the Renovate configuration is JSON")
}

fn manager(config: &Value) -> &Value {
    &config["customManagers"][0]
}

fn match_regex(config: &Value) -> Regex {
    let pattern = manager(config)["matchStrings"][0].as_str().unwrap();
    Regex::new(pattern).expect("the match string compiles")
}

fn kdl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            kdl_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "kdl") {
            out.push(p);
        }
    }
}

/// What Renovate should capture from an image reference as written.
fn expected_parts(image: &str) -> (String, Option<String>, Option<String>) {
    let r = parse_image(image).unwrap();
    let name = match &r.registry {
        Some(reg) => format!("{reg}/{}", r.repository),
        None => r.repository.clone(),
    };
    (name, r.tag, r.digest)
}

fn check_text(re: &Regex, name: &str, text: &str) -> usize {
    let mut sources = SourceMap::new();
    sources.add(name, text);
    let (collected, diags) = registry::collect(&sources);
    assert!(!diags.has_errors(), "{name} does not decode");
    let matches: Vec<_> = re.captures_iter(text).collect();
    assert_eq!(
        matches.len(),
        collected.sites.len(),
        "{name}: {} regex matches for {} image nodes",
        matches.len(),
        collected.sites.len()
    );
    for site in &collected.sites {
        let (start, end) = (
            site.span.start as usize,
            (site.span.start + site.span.len) as usize,
        );
        let caps = matches
            .iter()
            .find(|c| {
                let m = c.get(0).unwrap();
                m.start() <= start && end <= m.end()
            })
            .unwrap_or_else(|| panic!("{name}: no match covers {} ({})", site.image, site.owner));
        let (dep, tag, digest) = expected_parts(&site.image);
        let got = |g: &str| caps.name(g).map(|m| m.as_str().to_string());
        assert_eq!(
            got("depName").as_deref(),
            Some(dep.as_str()),
            "{name}: {}",
            site.image
        );
        assert_eq!(got("currentValue"), tag, "{name}: {}", site.image);
        assert_eq!(got("currentDigest"), digest, "{name}: {}", site.image);
    }
    collected.sites.len()
}

#[test]
fn every_image_node_of_the_shipped_stacks_matches() {
    let config = config();
    let re = match_regex(&config);
    let mut files = Vec::new();
    kdl_files(&root().join("stacks"), &mut files);
    kdl_files(&root().join("examples/design/stack"), &mut files);
    let mut total = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        total += check_text(&re, &f.display().to_string(), &text);
    }
    assert!(total > 50, "only {total} image nodes found");
}

#[test]
fn registries_with_ports_digests_and_when_blocks() {
    let re = match_regex(&config());
    let digest = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let text = format!(
        r#"project "t"
service "a" {{
    image "localhost:5000/team/app:1.2.3"
    label "org.opencontainers.image.source" "https://example.com"
    when "gpu" {{
        image "localhost:5000/team/app-gpu:1.2.3@{digest}"
    }}
}}
service "b" {{
    image "postgres"
}}
service "c" {{
    image "ghcr.io/x/y@{digest}"
}}
template "t" {{
    image "registry.example.com:443/a/b/c:v1_2-rc.3"
}}
"#
    );
    assert_eq!(check_text(&re, "t.kdl", &text), 5);
}

#[test]
fn the_file_pattern_picks_stack_files() {
    let config = config();
    let pattern = manager(&config)["managerFilePatterns"][0].as_str().unwrap();
    let inner = pattern
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .expect("a /regex/ pattern");
    let re = Regex::new(inner).unwrap();
    for yes in [
        "stacks/data.kdl",
        "stacks/sub/dir/x.kdl",
        "deploy/stacks/a.kdl",
    ] {
        assert!(re.is_match(yes), "{yes}");
    }
    for no in [
        "stacks/NEEDS.md",
        "examples/design/stack/gpu.kdl",
        "mystacks/a.kdl",
    ] {
        assert!(!re.is_match(no), "{no}");
    }
}

/// Renders the `{{name}}` and `{{#if name}}...{{/if}}` forms the template uses.
fn render(template: &str, vars: &[(&str, Option<&str>)]) -> String {
    let get = |k: &str| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .and_then(|(_, v)| *v)
            .unwrap_or("")
    };
    let mut out = template.to_string();
    let cond = Regex::new(r"\{\{#if (\w+)\}\}(.*?)\{\{/if\}\}").unwrap();
    out = cond
        .replace_all(&out, |c: &regex::Captures| {
            if get(&c[1]).is_empty() {
                String::new()
            } else {
                c[2].to_string()
            }
        })
        .into_owned();
    let var = Regex::new(r"\{\{(\w+)\}\}").unwrap();
    var.replace_all(&out, |c: &regex::Captures| get(&c[1]).to_string())
        .into_owned()
}

#[test]
fn the_replacement_template_writes_what_pin_writes() {
    let config = config();
    let re = match_regex(&config);
    let template = manager(&config)["autoReplaceStringTemplate"]
        .as_str()
        .unwrap();
    let new_digest = format!("sha256:{}", "fe".repeat(32));
    let text = std::fs::read_to_string(root().join("examples/design/stack/gpu.kdl")).unwrap();
    let mut updated = String::new();
    let mut at = 0;
    let mut expected = Vec::new();
    for caps in re.captures_iter(&text) {
        let m = caps.get(0).unwrap();
        let dep = &caps["depName"];
        let tag = caps.name("currentValue").map(|v| v.as_str());
        let rendered = render(
            template,
            &[
                ("depName", Some(dep)),
                ("newValue", tag),
                ("newDigest", Some(&new_digest)),
            ],
        );
        let old = format!(
            "{dep}{}{}",
            tag.map(|t| format!(":{t}")).unwrap_or_default(),
            caps.name("currentDigest")
                .map(|d| format!("@{}", d.as_str()))
                .unwrap_or_default()
        );
        expected.push(registry::pinned_string(
            &old,
            &registry::remote::Digest::parse(&new_digest).unwrap(),
        ));
        updated.push_str(&text[at..m.start()]);
        updated.push_str(&rendered);
        at = m.end();
    }
    updated.push_str(&text[at..]);
    assert!(!expected.is_empty());
    let mut sources = SourceMap::new();
    sources.add("gpu.kdl", updated.clone());
    let (collected, diags) = registry::collect(&sources);
    assert!(
        !diags.has_errors(),
        "the rewritten file does not decode:\n{updated}"
    );
    let images: Vec<&str> = collected.sites.iter().map(|s| s.image.as_str()).collect();
    assert_eq!(images, expected);
}

/// Renovate's ignorePaths as globs (minimatch: `*` stays within a path segment, `**` crosses
/// them, dot files match).
fn ignore_globs(config: &Value) -> globset::GlobSet {
    let mut set = globset::GlobSetBuilder::new();
    for p in config["ignorePaths"].as_array().expect("ignorePaths") {
        let glob = globset::GlobBuilder::new(p.as_str().unwrap())
            .literal_separator(true)
            .build()
            .expect("a glob");
        set.add(glob);
    }
    set.build().unwrap()
}

/// Files of a directory, relative to the repository root, `/`-separated.
fn files_below(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root().join(dir)).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            out.push(format!("{dir}/{}", e.file_name().to_string_lossy()));
        }
    }
    out.sort();
    out
}

#[test]
fn generated_files_are_ignored_and_stack_files_are_not() {
    let config = config();
    let ignored = ignore_globs(&config);
    // Renovate's docker-compose manager: its default managerFilePatterns.
    let compose = Regex::new(r"(^|/)(?:docker-)?compose[^/]*\.ya?ml$").unwrap();
    let mut compose_files = 0;
    for dir in ["pmoves", "examples/design/out"] {
        let files = files_below(dir);
        assert!(files.len() >= 10, "{dir}: only {files:?}");
        for f in files {
            compose_files += usize::from(compose.is_match(&f));
            assert!(
                ignored.is_match(&f),
                "{f} is generated but not in ignorePaths"
            );
        }
    }
    assert!(
        compose_files >= 8,
        "the default docker-compose pattern should see the generated compose files ({compose_files})"
    );
    let mut stacks = Vec::new();
    kdl_files(&root().join("stacks"), &mut stacks);
    assert!(!stacks.is_empty());
    for f in stacks {
        let rel = f
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        assert!(
            !ignored.is_match(&rel),
            "{rel} is a source but ignorePaths ignores it"
        );
    }
}
