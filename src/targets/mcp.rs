//! MCP catalogs, built from the stack's `mcp` nodes so they can never point at an image the
//! stack does not run:
//!
//! - `mcp-catalog.json`: a listing shaped like the official MCP registry API response,
//!   `{"servers": [{"server": <server.json>}], "metadata": {"count": N}}`, each entry a
//!   server.json of schema 2025-12-11;
//! - `mcp-catalog.docker.yaml`: a catalog `docker mcp gateway run --catalog` loads (the
//!   `registry:` map format), carrying the sandboxing server.json cannot express.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::{Profile, ServiceBody, Source, url_placeholders};

pub const SERVER_SCHEMA: &str =
    "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";
/// The only `_meta` key the official registry keeps.
pub const PUBLISHER_META: &str = "io.modelcontextprotocol.registry/publisher-provided";
/// The registry's limit on publisher-provided metadata.
pub const META_LIMIT: usize = 4096;

pub const JSON_FILE: &str = "mcp-catalog.json";
pub const DOCKER_FILE: &str = "mcp-catalog.docker.yaml";

// ---- server.json --------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct Listing {
    pub servers: Vec<ListingEntry>,
    pub metadata: ListingMetadata,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListingEntry {
    pub server: ServerJson,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListingMetadata {
    pub count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerJson {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub description: String,
    pub version: String,
    #[serde(rename = "websiteUrl", skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository: Option<Repository>,
    pub packages: Vec<Package>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remotes: Vec<Transport>,
    #[serde(rename = "_meta")]
    pub meta: BTreeMap<&'static str, PublisherMeta>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repository {
    pub url: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Package {
    #[serde(rename = "registryType")]
    pub registry_type: &'static str,
    pub identifier: String,
    #[serde(rename = "runtimeHint")]
    pub runtime_hint: &'static str,
    pub transport: Transport,
    #[serde(rename = "environmentVariables", skip_serializing_if = "Vec::is_empty")]
    pub environment_variables: Vec<EnvironmentVariable>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Transport {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A remote's URL template variables (`{NAME}` in the URL), from the `env` declarations.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variables: BTreeMap<String, Input>,
}

/// A server.json `Input`: what a client must supply for a URL variable.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "isRequired")]
    pub is_required: bool,
    #[serde(rename = "isSecret")]
    pub is_secret: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentVariable {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "isRequired")]
    pub is_required: bool,
    #[serde(rename = "isSecret")]
    pub is_secret: bool,
}

/// pmovesc's publisher-provided metadata: what the stack knows that server.json has no field for.
#[derive(Debug, Clone, Serialize)]
pub struct PublisherMeta {
    pub service: String,
    pub ports: Vec<u16>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardening: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

// ---- Docker MCP gateway catalog -----------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct DockerCatalog {
    pub version: u32,
    pub name: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
    pub registry: BTreeMap<String, DockerServer>,
    /// Servers the gateway format cannot express, each with why; written as comment lines.
    #[serde(skip)]
    pub left_out: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DockerServer {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub image: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<DockerRemote>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<DockerSecret>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<DockerEnv>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(rename = "disableNetwork", skip_serializing_if = "std::ops::Not::not")]
    pub disable_network: bool,
    #[serde(rename = "allowHosts", skip_serializing_if = "Vec::is_empty")]
    pub allow_hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<DockerTool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DockerRemote {
    pub url: String,
    pub transport_type: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DockerSecret {
    pub name: String,
    pub env: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DockerEnv {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DockerTool {
    pub name: String,
}

/// Both catalogs of a stack.
#[derive(Debug, Clone)]
pub struct Catalogs {
    pub listing: Listing,
    pub docker: DockerCatalog,
}

/// The profile whose images the catalog lists: `published` when the stack has it, else the
/// first image-source profile that is not a GPU variant, else the first profile.
pub fn catalog_profile(stack: &Resolved) -> Option<&Profile> {
    stack
        .profiles
        .iter()
        .find(|p| p.name.value == "published")
        .or_else(|| {
            stack
                .profiles
                .iter()
                .find(|p| p.source == Source::Image && !p.gpu)
        })
        .or_else(|| stack.profiles.first())
}

/// Builds both catalogs. Reports metadata over the registry's 4 KB limit and servers without
/// any description.
pub fn build(stack: &Resolved, diags: &mut Diagnostics) -> Catalogs {
    let mut servers: Vec<ServerJson> = Vec::new();
    let mut registry = BTreeMap::new();
    let mut left_out = Vec::new();
    let profile = catalog_profile(stack);
    for (name, service) in &stack.services {
        let Some(mcp_setting) = &service.body.mcp else {
            continue;
        };
        let m = &mcp_setting.value;
        // The service as the catalog profile runs it (image, class); the base body if that
        // profile leaves the service out.
        let body = profile
            .and_then(|p| stack.shape(service, p))
            .unwrap_or(std::borrow::Cow::Borrowed(&service.body));
        let Some(image) = body.image.as_ref().map(|i| i.value.clone()) else {
            continue; // reported as PMV404
        };
        let description = match m.description.as_ref().map(|d| d.value.clone()).or_else(|| {
            body.description
                .as_ref()
                .map(|d| d.value.clone())
                .filter(|d| d.chars().count() <= 100)
        }) {
            Some(d) => d,
            None => {
                diags.push(
                    Diagnostic::error(
                        Code::McpDescription,
                        format!("MCP server `{}` has no description", m.name.value),
                    )
                    .label(mcp_setting.span, "the registry requires a description")
                    .help("add `description \"...\"` (at most 100 characters) to the `mcp` block"),
                );
                continue;
            }
        };
        let version = m
            .version
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default();
        let transport = m.transport.as_ref();
        let kind = m.transport_kind().to_string();
        let http = kind != "stdio";
        let port = transport.and_then(|t| t.port.as_ref()).map(|p| p.value);
        let path = transport
            .and_then(|t| t.path.as_ref())
            .map(|p| p.value.clone())
            .map(|p| {
                if p.starts_with('/') {
                    p
                } else {
                    format!("/{p}")
                }
            })
            .unwrap_or_else(|| "/".into());
        // `{NAME}` placeholders: in a package URL they name the package's environment
        // variables; a remote declares them as `variables` (PMV408 checks they are declared).
        let placeholders = url_placeholders(&path).unwrap_or_default();
        let variables: BTreeMap<String, Input> = m
            .env
            .iter()
            .filter(|e| placeholders.contains(&e.name.as_str()))
            .map(|e| {
                let input = Input {
                    description: e.description.clone(),
                    is_required: e.required,
                    is_secret: e.secret,
                };
                (e.name.clone(), input)
            })
            .collect();
        let (package_transport, remotes) = if http {
            let port = port.unwrap_or(80);
            (
                Transport {
                    kind: kind.clone(),
                    url: Some(format!("http://localhost:{port}{path}")),
                    variables: BTreeMap::new(),
                },
                vec![Transport {
                    kind: kind.clone(),
                    url: Some(format!("http://{name}:{port}{path}")),
                    variables,
                }],
            )
        } else {
            (
                Transport {
                    kind: kind.clone(),
                    url: None,
                    variables: BTreeMap::new(),
                },
                Vec::new(),
            )
        };
        let environment_variables = m
            .env
            .iter()
            .map(|e| EnvironmentVariable {
                name: e.name.clone(),
                description: e.description.clone(),
                is_required: e.required,
                is_secret: e.secret,
            })
            .collect();
        let class = stack
            .class_of(&body)
            .map(|c| c.value)
            .filter(|c| c != EXEMPT || body.hardening.is_some());
        let groups: Vec<String> = body
            .groups
            .as_ref()
            .map(|g| {
                g.value
                    .iter()
                    .map(|s| s.value.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default();
        let meta = PublisherMeta {
            service: name.clone(),
            ports: service_ports(&body),
            scopes: m.scopes.clone(),
            tools: m.tools.clone(),
            hardening: class.clone(),
            groups,
        };
        let meta_size = serde_json::to_string(&serde_json::json!({ "pmovesc": &meta }))
            .map(|s| s.len())
            .unwrap_or(0);
        if meta_size > META_LIMIT {
            diags.push(
                Diagnostic::error(
                    Code::McpMetaSize,
                    format!(
                        "publisher metadata of MCP server `{}` is {meta_size} bytes; the registry keeps at most {META_LIMIT}",
                        m.name.value
                    ),
                )
                .label(mcp_setting.span, "too much metadata")
                .help("list fewer tools or scopes in the `mcp` block"),
            );
        }
        let repository = m.repository.as_ref().map(|url| Repository {
            url: url.clone(),
            source: repository_source(url),
        });
        servers.push(ServerJson {
            schema: SERVER_SCHEMA,
            name: m.name.value.clone(),
            title: m.title.clone(),
            description: description.clone(),
            version,
            website_url: m.website.clone(),
            repository,
            packages: vec![Package {
                registry_type: "oci",
                identifier: image.clone(),
                runtime_hint: "docker",
                transport: package_transport,
                environment_variables,
            }],
            remotes: remotes.clone(),
            meta: BTreeMap::from([(PUBLISHER_META, meta)]),
        });

        // The gateway catalog: sandboxing from the stack.
        let hardened = stack.profiles.iter().find(|p| p.hardened);
        let hardened_body = hardened.and_then(|p| stack.shape(service, p));
        let user = hardened_body
            .as_ref()
            .and_then(|b| effective_user(stack, b))
            .or_else(|| body.user.as_ref().map(|u| u.value.clone()));
        let key = name.clone();
        if !placeholders.is_empty() {
            // The gateway connects to `remote.url` as written; it fills in no URL variables.
            left_out.push(format!(
                "not listed: {key} (its URL needs {}, which the Docker MCP gateway cannot fill in)",
                placeholders
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            continue;
        }
        let allow_hosts = allow_hosts(stack, &body);
        registry.insert(
            key.clone(),
            DockerServer {
                name: key.clone(),
                kind: if http { "remote" } else { "server" },
                image,
                description,
                title: m.title.clone(),
                remote: remotes.first().map(|r| DockerRemote {
                    url: r.url.clone().unwrap_or_default(),
                    transport_type: r.kind.clone(),
                }),
                secrets: m
                    .env
                    .iter()
                    .filter(|e| e.secret)
                    .map(|e| DockerSecret {
                        name: format!("{key}.{}", e.name.to_ascii_lowercase()),
                        env: e.name.clone(),
                    })
                    .collect(),
                env: m
                    .env
                    .iter()
                    .filter(|e| !e.secret)
                    .map(|e| DockerEnv {
                        name: e.name.clone(),
                        value: format!("{{{{{key}.{}}}}}", e.name.to_ascii_lowercase()),
                    })
                    .collect(),
                user,
                disable_network: body.networks.is_empty() && body.network_mode.is_none(),
                allow_hosts,
                tools: m
                    .tools
                    .iter()
                    .map(|t| DockerTool { name: t.clone() })
                    .collect(),
            },
        );
    }
    servers.sort_by(|a, b| a.name.cmp(&b.name));
    let count = servers.len();
    let project = &stack.project_name;
    Catalogs {
        listing: Listing {
            servers: servers
                .into_iter()
                .map(|server| ListingEntry { server })
                .collect(),
            metadata: ListingMetadata { count },
        },
        docker: DockerCatalog {
            version: 2,
            name: project.clone(),
            display_name: format!("{project} MCP servers"),
            registry,
            left_out,
        },
    }
}

/// Container ports a service publishes or exposes, sorted.
fn service_ports(body: &ServiceBody) -> Vec<u16> {
    let mut ports: BTreeSet<u16> = body.ports.values().map(|p| p.value.container).collect();
    if let Some(e) = &body.expose {
        ports.extend(e.value.iter().copied());
    }
    ports.into_iter().collect()
}

/// The user a hardened profile runs the service as: its own, else its class's.
fn effective_user(stack: &Resolved, body: &ServiceBody) -> Option<String> {
    if let Some(u) = &body.user {
        return Some(u.value.clone());
    }
    let class = stack.class_of(body)?;
    stack
        .classes
        .get(&class.value)
        .and_then(|c| c.body.user.as_ref())
        .map(|u| u.value.clone())
}

/// `service:port` for every port of every service this one depends on (just `service` when it
/// has none), sorted.
fn allow_hosts(stack: &Resolved, body: &ServiceBody) -> Vec<String> {
    let mut hosts = BTreeSet::new();
    for dep in body.depends_on.values() {
        let target = &dep.value.service;
        let Some(s) = stack.services.get(target) else {
            continue;
        };
        let ports = service_ports(&s.body);
        if ports.is_empty() {
            hosts.insert(target.clone());
        }
        for p in ports {
            hosts.insert(format!("{target}:{p}"));
        }
    }
    hosts.into_iter().collect()
}

fn repository_source(url: &str) -> String {
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("");
    match host {
        "github.com" => "github".into(),
        "gitlab.com" => "gitlab".into(),
        other => other.split('.').next().unwrap_or("git").to_string(),
    }
}

/// `mcp-catalog.json`: pretty JSON, keys in a fixed order, a final newline. JSON has no
/// comments, so the file carries no header; `check` knows it by name.
pub fn listing_json(listing: &Listing) -> String {
    let mut out = serde_json::to_string_pretty(listing).unwrap_or_default();
    out.push('\n');
    out
}
