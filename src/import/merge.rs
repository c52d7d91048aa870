//! The Compose merge rules of repeated `-f` files (and of `extends`), on YAML trees: mappings
//! merge key by key, sequences append, and the exceptions of the Compose specification and its
//! reference implementation: `command`, `entrypoint` and `healthcheck.test` are replaced;
//! `environment`, `labels` and the other key-value lists merge by key whatever their syntax;
//! `depends_on` and `networks` merge as mappings; `build` as a mapping even when one side is
//! the short string; `logging` merges only for the same driver; `ports`, `volumes`, `secrets`,
//! `configs`, `devices` and the other unique sequences keep one entry per key (the last one
//! given, at the first one's place). `!reset` removes what earlier files set, `!override`
//! replaces it whole.

use super::yaml::{Entry, Kind, Node, Scalar, Tag, Value};

/// A path in the compose tree, `services.web.ports`.
pub type Path<'a> = [&'a str];

fn matches(path: &Path<'_>, pattern: &str) -> bool {
    let mut n = 0;
    for (i, want) in pattern.split('.').enumerate() {
        match path.get(i) {
            Some(have) if want == "*" || *have == want => n += 1,
            _ => return false,
        }
    }
    n == path.len()
}

/// The merge rule for a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Default,
    Override,
    ToSequence,
    ExtraHosts,
    Build,
    DependsOn,
    ToMapping,
    Logging,
    Ulimit,
    IpamConfig,
}

const RULES: &[(&str, Rule)] = &[
    ("networks.*.ipam.config", Rule::IpamConfig),
    ("networks.*.labels", Rule::ToSequence),
    ("volumes.*.labels", Rule::ToSequence),
    ("services.*.annotations", Rule::ToSequence),
    ("services.*.build", Rule::Build),
    ("services.*.build.args", Rule::ToSequence),
    ("services.*.build.additional_contexts", Rule::ToSequence),
    ("services.*.build.extra_hosts", Rule::ExtraHosts),
    ("services.*.build.labels", Rule::ToSequence),
    ("services.*.command", Rule::Override),
    ("services.*.depends_on", Rule::DependsOn),
    ("services.*.deploy.labels", Rule::ToSequence),
    ("services.*.dns", Rule::ToSequence),
    ("services.*.dns_opt", Rule::ToSequence),
    ("services.*.dns_search", Rule::ToSequence),
    ("services.*.entrypoint", Rule::Override),
    ("services.*.env_file", Rule::ToSequence),
    ("services.*.label_file", Rule::ToSequence),
    ("services.*.environment", Rule::ToSequence),
    ("services.*.extra_hosts", Rule::ExtraHosts),
    ("services.*.healthcheck.test", Rule::Override),
    ("services.*.labels", Rule::ToSequence),
    ("services.*.volumes.*.volume.labels", Rule::ToSequence),
    ("services.*.logging", Rule::Logging),
    ("services.*.models", Rule::ToMapping),
    ("services.*.networks", Rule::ToMapping),
    ("services.*.sysctls", Rule::ToSequence),
    ("services.*.tmpfs", Rule::ToSequence),
    ("services.*.ulimits.*", Rule::Ulimit),
];

fn rule(path: &Path<'_>) -> Rule {
    RULES
        .iter()
        .find(|(p, _)| matches(path, p))
        .map_or(Rule::Default, |(_, r)| *r)
}

/// Why two trees cannot merge.
#[derive(Debug, Clone)]
pub struct MergeError {
    pub path: String,
    pub base: Box<Node>,
    pub overlay: Box<Node>,
}

/// Merges `overlay` into `base` at `path` (the later file wins).
pub fn merge(base: Node, overlay: Node, path: &mut Vec<String>) -> Result<Node, MergeError> {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let r = rule(&p);
    if overlay.tag == Some(Tag::Override) {
        return Ok(overlay);
    }
    match r {
        Rule::Override => return Ok(overlay),
        Rule::ToSequence => return Ok(to_sequence_merge(base, overlay)),
        Rule::ExtraHosts => return Ok(extra_hosts(base, overlay)),
        Rule::Build => {
            let b = build_mapping(base);
            let o = build_mapping(overlay);
            return merge_mappings(b, o, path);
        }
        Rule::DependsOn => {
            let b = to_mapping(base, true);
            let o = to_mapping(overlay, true);
            return merge_mappings(b, o, path);
        }
        Rule::ToMapping => {
            let b = to_mapping(base, false);
            let o = to_mapping(overlay, false);
            return merge_mappings(b, o, path);
        }
        Rule::Logging => {
            let same = match (base.get("driver"), overlay.get("driver")) {
                (Some(a), Some(b)) => a.string() == b.string(),
                _ => true,
            };
            if same && base.as_map().is_some() && overlay.as_map().is_some() {
                return merge_mappings(base, overlay, path);
            }
            return Ok(overlay);
        }
        Rule::Ulimit => return Ok(overlay),
        Rule::IpamConfig => return Ok(ipam_config(base, overlay, path)),
        Rule::Default => {}
    }
    if overlay.is_null() {
        return Ok(base);
    }
    match (&base.value, &overlay.value) {
        (Value::Map(_), Value::Map(_)) => merge_mappings(base, overlay, path),
        (Value::Seq(_), Value::Seq(_)) => {
            let Value::Seq(mut items) = base.value else {
                unreachable!()
            };
            let Value::Seq(more) = overlay.value else {
                unreachable!()
            };
            items.extend(more);
            Ok(Node {
                value: Value::Seq(items),
                span: overlay.span,
                tag: None,
            })
        }
        (Value::Map(_) | Value::Seq(_), _) => Err(MergeError {
            path: path.join("."),
            base: Box::new(base),
            overlay: Box::new(overlay),
        }),
        _ => Ok(overlay),
    }
}

fn merge_mappings(base: Node, overlay: Node, path: &mut Vec<String>) -> Result<Node, MergeError> {
    let span = base.span;
    let (Value::Map(mut entries), Value::Map(more)) = (base.value, overlay.value) else {
        return Err(MergeError {
            path: path.join("."),
            base: Box::new(Node::null(span)),
            overlay: Box::new(Node::null(span)),
        });
    };
    for e in more {
        match entries.iter().position(|have| have.key == e.key) {
            None => entries.push(e),
            Some(i) => {
                let have = std::mem::replace(&mut entries[i].value, Node::null(span));
                path.push(e.key.clone());
                let merged = merge(have, e.value, path);
                path.pop();
                entries[i].value = merged?;
                // The place of a merged key is where the later file wrote it.
                entries[i].key_span = e.key_span;
            }
        }
    }
    Ok(Node {
        value: Value::Map(entries),
        span,
        tag: None,
    })
}

/// `convertIntoSequence`: a mapping becomes sorted `key=value` strings (a list value gives one
/// string per item, a null value the key alone); a string becomes a list of one.
pub fn into_sequence(node: Node) -> Vec<Node> {
    match node.value {
        Value::Seq(items) => items,
        Value::Map(entries) => {
            let mut seq = Vec::new();
            for e in entries {
                match &e.value.value {
                    Value::Scalar(Scalar {
                        kind: Kind::Null, ..
                    }) => seq.push(Node::string_node(e.key.clone(), e.key_span)),
                    Value::Seq(items) => {
                        for item in items {
                            let v = item.string().unwrap_or_default();
                            seq.push(Node::string_node(format!("{}={v}", e.key), item.span));
                        }
                    }
                    Value::Scalar(s) => seq.push(Node::string_node(
                        format!("{}={}", e.key, s.as_compose_string()),
                        e.value.span,
                    )),
                    Value::Map(_) => {
                        seq.push(Node::string_node(format!("{}=map[]", e.key), e.value.span))
                    }
                }
            }
            seq.sort_by(|a, b| {
                let a = a.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
                let b = b.as_scalar().map(|s| s.text.as_str()).unwrap_or("");
                a.cmp(b)
            });
            seq
        }
        Value::Scalar(Scalar {
            kind: Kind::Null, ..
        }) => Vec::new(),
        Value::Scalar(_) => vec![node],
    }
}

fn to_sequence_merge(base: Node, overlay: Node) -> Node {
    let span = overlay.span;
    let mut items = into_sequence(base);
    items.extend(into_sequence(overlay));
    Node {
        value: Value::Seq(items),
        span,
        tag: None,
    }
}

fn extra_hosts(base: Node, overlay: Node) -> Node {
    let span = overlay.span;
    let mut items = into_sequence(base);
    for item in into_sequence(overlay) {
        if !items.iter().any(|have| have.value == item.value) {
            items.push(item);
        }
    }
    Node {
        value: Value::Seq(items),
        span,
        tag: None,
    }
}

fn build_mapping(node: Node) -> Node {
    match &node.value {
        Value::Scalar(s) if s.kind != Kind::Null => {
            let key_span = node.span;
            Node {
                value: Value::Map(vec![Entry {
                    key: "context".into(),
                    key_span,
                    value: node.clone(),
                }]),
                span: node.span,
                tag: None,
            }
        }
        _ => node,
    }
}

/// `convertIntoMapping`: a list of names becomes a mapping of the names, to the defaults of a
/// dependency (`condition: service_started`, `required: true`) or to null.
pub fn to_mapping(node: Node, dependency: bool) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let entries = items
        .into_iter()
        .map(|item| {
            let key = item.string().unwrap_or_default();
            let value = if dependency {
                Node {
                    value: Value::Map(vec![
                        Entry {
                            key: "condition".into(),
                            key_span: item.span,
                            value: Node::string_node("service_started", item.span),
                        },
                        Entry {
                            key: "required".into(),
                            key_span: item.span,
                            value: Node {
                                value: Value::Scalar(Scalar {
                                    text: "true".into(),
                                    kind: Kind::Bool(true),
                                    plain: true,
                                }),
                                span: item.span,
                                tag: None,
                            },
                        },
                    ]),
                    span: item.span,
                    tag: None,
                }
            } else {
                Node::null(item.span)
            };
            Entry {
                key,
                key_span: item.span,
                value,
            }
        })
        .collect();
    Node {
        value: Value::Map(entries),
        span: node.span,
        tag: None,
    }
}

fn ipam_config(base: Node, overlay: Node, path: &mut Vec<String>) -> Node {
    let (Some(configs), Some(overrides)) = (base.as_seq(), overlay.as_seq()) else {
        return overlay;
    };
    let subnet = |n: &Node| n.get("subnet").and_then(Node::string);
    let mut out: Vec<Node> = Vec::new();
    for original in configs {
        for o in overrides {
            if subnet(o) != subnet(original) {
                if !out.iter().any(|a| subnet(a) == subnet(o)) {
                    out.push(o.clone());
                }
                continue;
            }
            let merged =
                merge_mappings(original.clone(), o.clone(), path).unwrap_or_else(|_| o.clone());
            match out.iter().position(|a| subnet(a) == subnet(&merged)) {
                Some(i) => out[i] = merged,
                None => out.push(merged),
            }
        }
    }
    Node {
        value: Value::Seq(out),
        span: overlay.span,
        tag: None,
    }
}

/// The unique-key rule of a sequence path.
#[derive(Debug, Clone, Copy)]
enum Index {
    KeyValue,
    Volume,
    Device,
    Mount(&'static str),
    Port,
    EnvFile,
    Expose,
}

const UNIQUE: &[(&str, Index)] = &[
    ("networks.*.labels", Index::KeyValue),
    ("networks.*.ipam.options", Index::KeyValue),
    ("services.*.annotations", Index::KeyValue),
    ("services.*.build.args", Index::KeyValue),
    ("services.*.build.additional_contexts", Index::KeyValue),
    ("services.*.build.platform", Index::KeyValue),
    ("services.*.build.tags", Index::KeyValue),
    ("services.*.build.labels", Index::KeyValue),
    ("services.*.cap_add", Index::KeyValue),
    ("services.*.cap_drop", Index::KeyValue),
    ("services.*.configs", Index::Mount("")),
    ("services.*.deploy.labels", Index::KeyValue),
    ("services.*.dns", Index::KeyValue),
    ("services.*.dns_opt", Index::KeyValue),
    ("services.*.dns_search", Index::KeyValue),
    ("services.*.environment", Index::KeyValue),
    ("services.*.env_file", Index::EnvFile),
    ("services.*.expose", Index::Expose),
    ("services.*.labels", Index::KeyValue),
    ("services.*.links", Index::KeyValue),
    ("services.*.networks.*.aliases", Index::KeyValue),
    ("services.*.networks.*.link_local_ips", Index::KeyValue),
    ("services.*.ports", Index::Port),
    ("services.*.profiles", Index::KeyValue),
    ("services.*.secrets", Index::Mount("/run/secrets")),
    ("services.*.sysctls", Index::KeyValue),
    ("services.*.tmpfs", Index::KeyValue),
    ("services.*.volumes", Index::Volume),
    ("services.*.devices", Index::Device),
];

fn index_key(index: Index, item: &Node) -> String {
    let text = || item.string().unwrap_or_default();
    match index {
        Index::KeyValue => {
            let t = text();
            t.split_once('=').map_or(t.clone(), |(k, _)| k.to_string())
        }
        Index::Volume => match item.as_map() {
            Some(_) => item
                .get("target")
                .and_then(Node::string)
                .unwrap_or_default(),
            None => super::syntax::volume_target(&text()),
        },
        Index::Device => match item.as_map() {
            Some(_) => item
                .get("target")
                .and_then(Node::string)
                .unwrap_or_default(),
            None => {
                let t = text();
                let parts: Vec<&str> = t.split(':').collect();
                parts.get(1).unwrap_or(&parts[0]).to_string()
            }
        },
        Index::Mount(default) => match item.as_map() {
            Some(_) => match item.get("target").and_then(Node::string) {
                Some(t) => t,
                None => format!(
                    "{default}/{}",
                    item.get("source")
                        .and_then(Node::string)
                        .unwrap_or_default()
                ),
            },
            None => format!("{default}/{}", text()),
        },
        Index::Port => match item.as_map() {
            Some(_) => {
                let get = |k: &str, d: &str| {
                    item.get(k)
                        .and_then(Node::string)
                        .unwrap_or_else(|| d.to_string())
                };
                format!(
                    "{}:{}:{}/{}",
                    get("host_ip", "0.0.0.0"),
                    get("published", ""),
                    get("target", "0"),
                    get("protocol", "tcp")
                )
            }
            None => text(),
        },
        Index::EnvFile => match item.as_map() {
            Some(_) => item.get("path").and_then(Node::string).unwrap_or_default(),
            None => text(),
        },
        Index::Expose => text(),
    }
}

/// `EnforceUnicity`: in the unique sequences, a later entry with the key of an earlier one
/// replaces it in place.
pub fn enforce_unicity(node: &mut Node, path: &mut Vec<String>) {
    match &mut node.value {
        Value::Map(entries) => {
            for e in entries.iter_mut() {
                path.push(e.key.clone());
                enforce_unicity(&mut e.value, path);
                path.pop();
            }
        }
        Value::Seq(items) => {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            let Some((_, index)) = UNIQUE.iter().rev().find(|(pat, _)| matches(&p, pat)) else {
                return;
            };
            let mut seq: Vec<Node> = Vec::new();
            let mut keys: Vec<String> = Vec::new();
            for item in std::mem::take(items) {
                let key = index_key(*index, &item);
                match keys.iter().position(|k| *k == key) {
                    Some(j) => seq[j] = item,
                    None => {
                        keys.push(key);
                        seq.push(item);
                    }
                }
            }
            *items = seq;
        }
        Value::Scalar(_) => {}
    }
}

/// The paths a file marks `!reset` or `!override`, and the file with its `!reset` values
/// removed (they only remove).
pub fn take_resets(node: &mut Node, path: &mut Vec<String>, paths: &mut Vec<Vec<String>>) {
    if let Value::Map(entries) = &mut node.value {
        entries.retain_mut(|e| {
            path.push(e.key.clone());
            let keep = match e.value.tag {
                Some(Tag::Reset) => {
                    paths.push(path.clone());
                    false
                }
                Some(Tag::Override) => {
                    paths.push(path.clone());
                    true
                }
                None => {
                    take_resets(&mut e.value, path, paths);
                    true
                }
            };
            path.pop();
            keep
        });
    }
}

/// Removes the value at `path` (a `!reset` or `!override` of a later file).
pub fn remove_path(node: &mut Node, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = node;
    for key in parents {
        let Some(entries) = at.as_map_mut() else {
            return;
        };
        let Some(e) = entries.iter_mut().find(|e| e.key == *key) else {
            return;
        };
        at = &mut e.value;
    }
    if let Some(entries) = at.as_map_mut() {
        entries.retain(|e| e.key != *last);
    }
}

/// Merges one file's tree into the project's so far: its `!reset` and `!override` paths are
/// removed from what earlier files set, then the trees merge, then unique sequences are made
/// unique.
pub fn merge_file(project: Option<Node>, mut file: Node) -> Result<Node, MergeError> {
    let mut resets = Vec::new();
    take_resets(&mut file, &mut Vec::new(), &mut resets);
    let mut merged = match project {
        None => file,
        Some(mut project) => {
            for p in &resets {
                remove_path(&mut project, p);
            }
            merge(project, file, &mut Vec::new())?
        }
    };
    enforce_unicity(&mut merged, &mut Vec::new());
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::super::yaml;
    use super::*;

    fn tree(text: &str) -> Node {
        yaml::parse(text, 0).unwrap().remove(0)
    }

    fn merged(files: &[&str]) -> Node {
        let mut project = None;
        for f in files {
            project = Some(merge_file(project, tree(f)).unwrap());
        }
        project.unwrap()
    }

    fn strings(n: &Node) -> Vec<String> {
        n.as_seq()
            .unwrap()
            .iter()
            .map(|i| i.string().unwrap())
            .collect()
    }

    #[test]
    fn mappings_merge_and_sequences_append() {
        let m = merged(&[
            "services:\n  a:\n    image: x\n    dns: [1.1.1.1]\n",
            "services:\n  a:\n    image: y\n    dns: [8.8.8.8]\n    tty: true\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(a.get("image").unwrap().string().unwrap(), "y");
        assert_eq!(strings(a.get("dns").unwrap()), ["1.1.1.1", "8.8.8.8"]);
        assert!(a.get("tty").is_some());
    }

    #[test]
    fn commands_are_replaced() {
        let m = merged(&[
            "services:\n  a:\n    command: [echo, foo]\n    healthcheck:\n      test: [CMD, a]\n      retries: 3\n",
            "services:\n  a:\n    command: [echo, bar]\n    healthcheck:\n      test: [CMD, b]\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(strings(a.get("command").unwrap()), ["echo", "bar"]);
        let hc = a.get("healthcheck").unwrap();
        assert_eq!(strings(hc.get("test").unwrap()), ["CMD", "b"]);
        assert!(hc.get("retries").is_some());
    }

    #[test]
    fn environment_merges_by_key_across_syntaxes() {
        let m = merged(&[
            "services:\n  a:\n    environment:\n      A: 1\n      B: 2\n",
            "services:\n  a:\n    environment:\n      - B=3\n      - C\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(strings(a.get("environment").unwrap()), ["A=1", "B=3", "C"]);
    }

    #[test]
    fn unique_sequences_keep_the_last_entry_at_the_first_place() {
        let m = merged(&[
            "services:\n  a:\n    ports: ['80:80', '443:443']\n    volumes: ['./a:/data', 'x:/y']\n",
            "services:\n  a:\n    ports: ['80:80']\n    volumes: ['./b:/data:ro']\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(strings(a.get("ports").unwrap()), ["80:80", "443:443"]);
        assert_eq!(strings(a.get("volumes").unwrap()), ["./b:/data:ro", "x:/y"]);
    }

    #[test]
    fn reset_and_override() {
        let m = merged(&[
            "services:\n  a:\n    ports: ['80:80']\n    environment: {A: 1}\n    labels: {x: y}\n",
            "services:\n  a:\n    ports: !reset []\n    environment: !override {B: 2}\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert!(a.get("ports").is_none());
        let env = a.get("environment").unwrap();
        assert!(env.get("A").is_none() && env.get("B").is_some());
        assert!(a.get("labels").is_some());
    }

    #[test]
    fn depends_on_and_networks_merge_as_mappings() {
        let m = merged(&[
            "services:\n  a:\n    depends_on: [db]\n    networks: [front]\n",
            "services:\n  a:\n    depends_on:\n      cache: {condition: service_healthy}\n    networks:\n      back: {aliases: [x]}\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        let deps = a.get("depends_on").unwrap();
        assert_eq!(
            deps.get("db")
                .unwrap()
                .get("condition")
                .unwrap()
                .string()
                .unwrap(),
            "service_started"
        );
        assert!(deps.get("cache").is_some());
        let nets = a.get("networks").unwrap();
        assert!(nets.get("front").unwrap().is_null() && nets.get("back").is_some());
    }

    #[test]
    fn build_short_and_long_syntax_merge() {
        let m = merged(&[
            "services:\n  a:\n    build: ./app\n",
            "services:\n  a:\n    build:\n      dockerfile: Dockerfile.gpu\n",
        ]);
        let b = m
            .get("services")
            .unwrap()
            .get("a")
            .unwrap()
            .get("build")
            .unwrap();
        assert_eq!(b.get("context").unwrap().string().unwrap(), "./app");
        assert_eq!(
            b.get("dockerfile").unwrap().string().unwrap(),
            "Dockerfile.gpu"
        );
    }

    #[test]
    fn logging_merges_only_for_the_same_driver() {
        let m = merged(&[
            "services:\n  a:\n    logging: {driver: json-file, options: {max-size: 1m}}\n  b:\n    logging: {driver: json-file, options: {max-size: 1m}}\n",
            "services:\n  a:\n    logging: {options: {max-file: '3'}}\n  b:\n    logging: {driver: syslog}\n",
        ]);
        let s = m.get("services").unwrap();
        let a = s.get("a").unwrap().get("logging").unwrap();
        assert!(a.get("options").unwrap().get("max-size").is_some());
        assert!(a.get("options").unwrap().get("max-file").is_some());
        let b = s.get("b").unwrap().get("logging").unwrap();
        assert!(b.get("options").is_none());
    }

    #[test]
    fn extra_hosts_drop_repeated_entries() {
        let m = merged(&[
            "services:\n  a:\n    extra_hosts: ['a:1.1.1.1']\n",
            "services:\n  a:\n    extra_hosts: ['a:1.1.1.1', 'b:2.2.2.2']\n",
        ]);
        let a = m.get("services").unwrap().get("a").unwrap();
        assert_eq!(
            strings(a.get("extra_hosts").unwrap()),
            ["a:1.1.1.1", "b:2.2.2.2"]
        );
    }

    #[test]
    fn a_mapping_cannot_be_replaced_by_a_scalar() {
        let base = tree("services:\n  a:\n    deploy: {replicas: 1}\n");
        let over = tree("services:\n  a:\n    deploy: 3\n");
        let e = merge_file(Some(merge_file(None, base).unwrap()), over).unwrap_err();
        assert_eq!(e.path, "services.a.deploy");
    }
}
