//! Groups that start on their own: a service is also in every group (compose profile) of the
//! services that need it, so `docker compose --profile G up` starts group G and what it depends
//! on. Compose itself refuses a project whose started services depend on a service of a group
//! that is not enabled ("depends on undefined service"); optional dependencies
//! (`required=#false`) are left alone, since Compose skips them.
//!
//! A service that some ungrouped service (one that always starts) needs loses its groups: it
//! always starts too.

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
}
