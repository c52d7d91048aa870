//! Credentials from the Docker config file (`$DOCKER_CONFIG/config.json` or
//! `~/.docker/config.json`), parsed from text: reading the file is the edge's job.
//!
//! `auths` entries give a base64 `auth` (`user:password`), or `username` and `password`, or a
//! `registrytoken` (sent as a bearer token). `credHelpers` and `credsStore` name credential
//! helpers (`docker-credential-<name>`), which the edge runs.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;

use super::remote::{DOCKER_HUB, normalize_registry};

/// How to authenticate to one registry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Credential {
    /// No credentials: anonymous access (and anonymous bearer tokens where the registry
    /// hands them out).
    #[default]
    Anonymous,
    /// Username and password: HTTP basic auth, or exchanged for a bearer token at the
    /// registry's token service.
    Basic { username: String, password: String },
    /// A bearer token sent as it is.
    Bearer(String),
}

/// The parts of a Docker config file that name credentials.
#[derive(Debug, Clone, Default)]
pub struct DockerConfig {
    auths: BTreeMap<String, Credential>,
    helpers: BTreeMap<String, String>,
    store: Option<String>,
    /// Entries that could not be used (an identity token, say), for a note.
    pub unusable: Vec<String>,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: BTreeMap<String, RawAuth>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawAuth {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "registrytoken")]
    registry_token: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
}

/// A config key (`https://index.docker.io/v1/`, `ghcr.io`, `http://localhost:5000`) as a
/// registry host.
pub fn config_key_host(key: &str) -> String {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest);
    normalize_registry(host)
}

impl DockerConfig {
    /// Parses the JSON text of a Docker config file.
    pub fn parse(text: &str) -> Result<DockerConfig, String> {
        let raw: RawConfig = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut config = DockerConfig {
            store: raw.creds_store.filter(|s| !s.is_empty()),
            ..Default::default()
        };
        for (key, helper) in raw.cred_helpers {
            config.helpers.insert(config_key_host(&key), helper);
        }
        for (key, entry) in raw.auths {
            let host = config_key_host(&key);
            match credential(&entry) {
                Ok(Some(c)) => {
                    config.auths.insert(host, c);
                }
                Ok(None) => {
                    if entry.identity_token.is_some() {
                        config.unusable.push(format!(
                            "`{key}` holds an identity token (OAuth refresh token), which pmovesc does not exchange; log in with a password or a personal access token"
                        ));
                    }
                }
                Err(e) => return Err(format!("`auths` entry `{key}`: {e}")),
            }
        }
        Ok(config)
    }

    /// The stored credential for a registry (a host as in image references), or `None`.
    pub fn credential(&self, registry: &str) -> Option<&Credential> {
        self.auths.get(&normalize_registry(registry))
    }

    /// The credential helper to ask for a registry without stored credentials: its
    /// `credHelpers` entry, else `credsStore`.
    pub fn helper(&self, registry: &str) -> Option<&str> {
        self.helpers
            .get(&normalize_registry(registry))
            .or(self.store.as_ref())
            .map(String::as_str)
    }
}

/// The server name a credential helper is asked about: Docker Hub's legacy URL, else the host.
pub fn helper_server_url(registry: &str) -> String {
    if normalize_registry(registry) == DOCKER_HUB {
        "https://index.docker.io/v1/".to_string()
    } else {
        registry.to_string()
    }
}

/// Parses a credential helper's `get` answer (`{"Username": ..., "Secret": ...}`).
pub fn parse_helper_answer(text: &str) -> Result<Option<Credential>, String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let a: Answer = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if a.secret.is_empty() {
        return Ok(None);
    }
    if a.username == "<token>" {
        // An identity token: not a password, cannot be used for basic auth.
        return Ok(None);
    }
    Ok(Some(Credential::Basic {
        username: a.username,
        password: a.secret,
    }))
}

fn credential(entry: &RawAuth) -> Result<Option<Credential>, String> {
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| format!("`auth` is not base64: {e}"))?;
        let text = String::from_utf8(bytes).map_err(|_| "`auth` is not UTF-8".to_string())?;
        let (username, password) = text
            .split_once(':')
            .ok_or_else(|| "`auth` does not decode to `username:password`".to_string())?;
        return Ok(Some(Credential::Basic {
            username: username.to_string(),
            password: password.to_string(),
        }));
    }
    if let (Some(u), Some(p)) = (&entry.username, &entry.password)
        && !u.is_empty()
    {
        return Ok(Some(Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        }));
    }
    if let Some(t) = entry.registry_token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credential::Bearer(t.to_string())));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(u: &str, p: &str) -> Credential {
        Credential::Basic {
            username: u.into(),
            password: p.into(),
        }
    }

    #[test]
    fn auth_forms() {
        let text = r#"{
            "auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
                "ghcr.io": {"username": "me", "password": "ghp_x"},
                "http://localhost:5000": {"auth": "dTpwOmNvbG9u"},
                "quay.io": {"registrytoken": "tok"},
                "gcr.io": {"identitytoken": "refresh"}
            },
            "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"},
            "credsStore": "desktop"
        }"#;
        let c = DockerConfig::parse(text).unwrap();
        assert_eq!(c.credential("docker.io"), Some(&basic("hub", "secret")));
        assert_eq!(c.credential("ghcr.io"), Some(&basic("me", "ghp_x")));
        assert_eq!(c.credential("localhost:5000"), Some(&basic("u", "p:colon")));
        assert_eq!(
            c.credential("quay.io"),
            Some(&Credential::Bearer("tok".into()))
        );
        assert_eq!(c.credential("gcr.io"), None);
        assert_eq!(c.unusable.len(), 1);
        assert_eq!(
            c.helper("123.dkr.ecr.us-east-1.amazonaws.com"),
            Some("ecr-login")
        );
        assert_eq!(c.helper("example.com"), Some("desktop"));
    }

    #[test]
    fn bad_auth_is_an_error() {
        let e = DockerConfig::parse(r#"{"auths": {"ghcr.io": {"auth": "!!"}}}"#).unwrap_err();
        assert!(e.contains("ghcr.io"), "{e}");
        assert!(DockerConfig::parse("{}").is_ok());
        assert!(DockerConfig::parse("not json").is_err());
    }

    #[test]
    fn helper_answers() {
        assert_eq!(
            parse_helper_answer(r#"{"ServerURL":"x","Username":"u","Secret":"s"}"#).unwrap(),
            Some(basic("u", "s"))
        );
        assert_eq!(
            parse_helper_answer(r#"{"Username":"<token>","Secret":"s"}"#).unwrap(),
            None
        );
        assert_eq!(
            helper_server_url("docker.io"),
            "https://index.docker.io/v1/"
        );
        assert_eq!(helper_server_url("ghcr.io"), "ghcr.io");
    }
}
