//! The operator's inputs of a generated compose file, supplied the way an operator would before
//! `up`: the declared inputs by `pmovesc secrets init` (run by the project, see
//! `project::Project::new`), then every other required variable (`${VAR:?message}`) in the
//! project's `.env`, every env file the services name, every file secret. A generated example
//! file (`NAME.example` beside the compose file) is the starting point where one exists.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

/// What was supplied (names only: values are never printed).
#[derive(Debug, Default, Clone)]
pub struct Inputs {
    /// Variables written to `.env`.
    pub variables: Vec<String>,
    /// Env files written, relative to the project directory, and whether from an example.
    pub env_files: Vec<(String, bool)>,
    /// Secret files written, relative to the project directory.
    pub secrets: Vec<String>,
}

/// Supplies the inputs of `compose` (the file's text) in `dir`, which holds the compose file;
/// `root` is the checkout the operator works in (relative paths may not leave it).
pub fn supply(root: &Path, dir: &Path, compose: &str) -> Result<Inputs, String> {
    let doc: serde_json::Value =
        serde_saphyr::from_str(compose).map_err(|e| format!("compose file is not YAML: {e}"))?;
    let mut inputs = Inputs::default();

    // `.env`: what `pmovesc secrets init` wrote (declared inputs), else the example's lines;
    // then each required variable it does not set.
    let example = fs::read_to_string(dir.join(".env"))
        .or_else(|_| fs::read_to_string(dir.join(".env.example")))
        .unwrap_or_default();
    let mut env = example.clone();
    let set: BTreeSet<String> = example
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.trim(), v.trim())))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, _)| k.to_string())
        .collect();
    for (var, message) in required_variables(compose) {
        if set.contains(&var) || inputs.variables.contains(&var) {
            continue;
        }
        if !env.is_empty() && !env.ends_with('\n') {
            env.push('\n');
        }
        env.push_str(&format!("{var}={}\n", value_for(&var, &message)));
        inputs.variables.push(var);
    }

    let services = doc["services"].as_object().cloned().unwrap_or_default();
    let mut env_files = BTreeSet::new();
    for service in services.values() {
        for entry in service["env_file"].as_array().into_iter().flatten() {
            let path = entry
                .as_str()
                .or_else(|| entry["path"].as_str())
                .unwrap_or_default();
            // A path with `${` is the declared inputs' check entry (`inputs.check.env` once its
            // variable is set): Compose resolves it, and `secrets init` set the variable.
            if !path.is_empty() && !path.contains("${") {
                env_files.insert(path.to_string());
            }
        }
    }
    for path in env_files {
        let target = inside(root, dir, &path)?;
        if target.exists() {
            continue;
        }
        let example = fs::read_to_string(dir.join(format!("{path}.example"))).ok();
        write_path(&target, example.as_deref().unwrap_or(""), 0o644)?;
        inputs.env_files.push((path, example.is_some()));
    }

    // Secrets taken from the environment: the operator sets the variable (in `.env`).
    for secret in doc["secrets"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(_, s)| s)
    {
        if let Some(var) = secret["environment"].as_str()
            && !set.contains(var)
            && !inputs.variables.iter().any(|v| v == var)
        {
            env.push_str(&format!("{var}={}\n", value_for(var, "")));
            inputs.variables.push(var.to_string());
        }
    }
    write(dir, ".env", &env, 0o600)?;

    for (name, secret) in doc["secrets"].as_object().into_iter().flatten() {
        let Some(file) = secret["file"].as_str() else {
            continue;
        };
        let path = default_of(file);
        let target = inside(root, dir, &path)?;
        if !target.exists() {
            // Readable by the service's user, as the stack's comments ask (chmod 0444).
            write_path(&target, &value_for(name, ""), 0o444)?;
            inputs.secrets.push(path);
        }
    }

    Ok(inputs)
}

/// `${VAR:?message}` and `${VAR?message}` in `text`: the variable and its message.
pub fn required_variables(text: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    for (i, _) in text.match_indices("${") {
        let rest = &text[i + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let after = &rest[end..];
        let message = after
            .strip_prefix(":?")
            .or_else(|| after.strip_prefix('?'))
            .map(|m| m[..m.find('}').unwrap_or(m.len())].to_string());
        if end > 0
            && let Some(m) = message
            && !vars.iter().any(|(v, _)| v == &rest[..end])
        {
            vars.push((rest[..end].to_string(), m));
        }
    }
    vars
}

/// A value for `var`: deterministic, and as long as its message asks (`(32 characters)`,
/// `(64+ characters)`, `(16+ bytes)`); 48 characters otherwise.
fn value_for(var: &str, message: &str) -> String {
    let wanted = message
        .split('(')
        .nth(1)
        .and_then(|m| {
            let digits: String = m.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        })
        .unwrap_or(48)
        .clamp(8, 256);
    let mut out = String::new();
    let mut seed = format!("pmovesc-engine-test:{var}");
    while out.len() < wanted {
        let h = Sha256::digest(seed.as_bytes());
        let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
        out.push_str(&hex);
        seed = hex;
    }
    out.truncate(wanted);
    out
}

/// `${VAR:-default}` is its default (what an operator who does not set VAR gets).
fn default_of(text: &str) -> String {
    match text.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(inner) => match inner.split_once(":-").or_else(|| inner.split_once('-')) {
            Some((_, default)) => default.to_string(),
            None => String::new(),
        },
        None => text.to_string(),
    }
}

/// `path` (relative to `dir`, or absolute) resolved, refused unless it stays inside `root`.
fn inside(root: &Path, dir: &Path, path: &str) -> Result<PathBuf, String> {
    let mut out = if Path::new(path).is_absolute() {
        PathBuf::new()
    } else {
        dir.to_path_buf()
    };
    for c in Path::new(path).components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(p) => out.push(p),
            Component::RootDir => out.push("/"),
            Component::CurDir | Component::Prefix(_) => {}
        }
    }
    if out.starts_with(root) {
        Ok(out)
    } else {
        Err(format!(
            "input `{path}` is outside the checkout {}; an engine test does not write there",
            root.display()
        ))
    }
}

fn write(dir: &Path, name: &str, text: &str, mode: u32) -> Result<(), String> {
    write_path(&dir.join(name), text, mode)
}

fn write_path(path: &Path, text: &str, mode: u32) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| format!("{}: {e}", path.display()))
}
