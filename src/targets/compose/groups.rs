//! Groups that start on their own: a service is also in every group (compose profile) of the
//! services that need it, so `docker compose --profile G up` starts group G and what it depends
//! on. Compose itself refuses a project whose started services depend on a service of a group
//! that is not enabled ("depends on undefined service"); optional dependencies
//! (`required=#false`) are left alone, since Compose skips them.
//!
//! A service that some ungrouped service (one that always starts) needs loses its groups: it
//! always starts too.
//!
//! [`externals`] says which groups use a network or volume the host must provide (`external:
//! true`), which Compose never creates.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Adds to each service's `profiles` the profiles of the services that depend on it (required
/// dependencies, transitively). Linear in services and dependencies.
pub fn close(doc: &mut Value) {
    let Some(services) = doc["services"].as_object() else {
        return;
    };
    // dependency -> the services that need it
    let mut needed_by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut own: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for (name, s) in services {
        let profiles: BTreeSet<String> = s["profiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        own.insert(name.clone(), (!profiles.is_empty()).then_some(profiles));
        for (dep, how) in s["depends_on"].as_object().into_iter().flatten() {
            if how["required"] == Value::Bool(false) || !services.contains_key(dep) {
                continue;
            }
            needed_by.entry(dep.clone()).or_default().push(name.clone());
        }
    }
    // None: always starts.
    let mut closed: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for name in own.keys() {
        groups_of(name, &own, &needed_by, &mut closed, &mut BTreeSet::new());
    }
    let Some(services) = doc["services"].as_object_mut() else {
        return;
    };
    for (name, s) in services.iter_mut() {
        let Some(obj) = s.as_object_mut() else {
            continue;
        };
        match closed.get(name).cloned().flatten() {
            Some(groups) => {
                let list = Value::Array(groups.into_iter().map(Value::String).collect());
                if let Some(p) = obj.get_mut("profiles") {
                    *p = list;
                }
            }
            None => {
                obj.remove("profiles");
            }
        }
    }
}

/// A network or volume of the host (`external: true`): Compose never creates it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct External {
    /// `network` or `volume`.
    pub kind: &'static str,
    /// The engine's name for it (`name:`, else the key).
    pub name: String,
}

/// Which groups use each external network and volume of `doc` (after [`close`]); `None`: a
/// service that always starts uses it.
pub fn externals(doc: &Value) -> BTreeMap<External, Option<BTreeSet<String>>> {
    let mut declared: BTreeMap<(&str, &str), External> = BTreeMap::new();
    for (kind, key) in [("network", "networks"), ("volume", "volumes")] {
        for (k, def) in doc[key].as_object().into_iter().flatten() {
            if def["external"] == Value::Bool(true) {
                let name = def["name"].as_str().unwrap_or(k).to_string();
                declared.insert((kind, k.as_str()), External { kind, name });
            }
        }
    }
    let mut used: BTreeMap<External, Option<BTreeSet<String>>> = BTreeMap::new();
    if declared.is_empty() {
        return used;
    }
    for s in doc["services"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, s)| s)
    {
        let networks: Vec<&str> = match &s["networks"] {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            Value::Object(m) => m.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let volumes = s["volumes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| match v {
                Value::String(short) => short.split(':').next(),
                long if long["type"] == "volume" => long["source"].as_str(),
                _ => None,
            });
        let keys = networks
            .into_iter()
            .map(|n| ("network", n))
            .chain(volumes.map(|v| ("volume", v)));
        let groups: Option<BTreeSet<String>> = s.get("profiles").map(|p| {
            p.as_array()
                .into_iter()
                .flatten()
                .filter_map(|g| g.as_str().map(str::to_string))
                .collect()
        });
        for key in keys {
            let Some(ext) = declared.get(&key) else {
                continue;
            };
            let entry = used
                .entry(ext.clone())
                .or_insert_with(|| Some(BTreeSet::new()));
            match (entry.as_mut(), &groups) {
                (Some(all), Some(g)) => all.extend(g.iter().cloned()),
                _ => *entry = None,
            }
        }
    }
    used
}

fn groups_of(
    name: &str,
    own: &BTreeMap<String, Option<BTreeSet<String>>>,
    needed_by: &BTreeMap<String, Vec<String>>,
    closed: &mut BTreeMap<String, Option<BTreeSet<String>>>,
    visiting: &mut BTreeSet<String>,
) -> Option<BTreeSet<String>> {
    if let Some(done) = closed.get(name) {
        return done.clone();
    }
    // A dependency cycle is reported by validation; here it only stops the walk.
    if !visiting.insert(name.to_string()) {
        return Some(BTreeSet::new());
    }
    let mut groups = own.get(name).cloned().flatten();
    for dependent in needed_by.get(name).into_iter().flatten() {
        let theirs = groups_of(dependent, own, needed_by, closed, visiting);
        groups = match (groups, theirs) {
            (Some(mut g), Some(t)) => {
                g.extend(t);
                Some(g)
            }
            _ => None,
        };
    }
    visiting.remove(name);
    closed.insert(name.to_string(), groups.clone());
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dependencies_join_their_dependents_groups() {
        let mut doc = json!({"services": {
            "app": {"profiles": ["web"], "depends_on": {"db": {"condition": "service_healthy"}}},
            "addon": {"profiles": ["extra"], "depends_on": {"app": {"condition": "service_started"},
                                                           "cache": {"condition": "service_started", "required": false}}},
            "db": {"profiles": ["data"]},
            "cache": {"profiles": ["data"]},
            "tool": {"depends_on": {"db2": {"condition": "service_started"}}},
            "db2": {"profiles": ["data"]},
        }});
        close(&mut doc);
        let p = |s: &str| doc["services"][s].get("profiles").cloned();
        assert_eq!(p("db"), Some(json!(["data", "extra", "web"])));
        assert_eq!(p("app"), Some(json!(["extra", "web"])));
        assert_eq!(
            p("cache"),
            Some(json!(["data"])),
            "optional dependencies are left alone"
        );
        assert_eq!(
            p("db2"),
            None,
            "needed by an ungrouped service: always starts"
        );
        assert_eq!(p("tool"), None);
    }

    #[test]
    fn externals_by_the_groups_that_use_them() {
        let doc = json!({
            "services": {
                "a": {"profiles": ["x"], "networks": ["shared", "own"], "volumes": ["media:/m", "./d:/d"]},
                "b": {"profiles": ["y", "z"], "networks": {"shared": {}},
                      "volumes": [{"type": "volume", "source": "media", "target": "/m"}]},
                "c": {"networks": ["own"], "volumes": ["logs:/l"]},
                "d": {"profiles": ["w"], "volumes": ["logs:/l"]},
            },
            "networks": {"shared": {"name": "shared-net", "external": true}, "own": {}},
            "volumes": {"media": {"external": true}, "logs": {"external": true}},
        });
        let got = externals(&doc);
        let set = |g: &[&str]| Some(g.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        let ext = |kind, name: &str| External {
            kind,
            name: name.to_string(),
        };
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[&ext("network", "shared-net")], set(&["x", "y", "z"]));
        assert_eq!(got[&ext("volume", "media")], set(&["x", "y", "z"]));
        assert_eq!(
            got[&ext("volume", "logs")],
            None,
            "an ungrouped service uses it"
        );
    }
}
