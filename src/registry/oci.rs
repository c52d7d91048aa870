//! The network edge of `pin` and `verify`: a [`Registry`] that speaks the OCI distribution API
//! through `oci-client`. HTTPS always, except registries on loopback addresses and those named
//! with `--insecure-registry`, which are reached over plain HTTP.
//!
//! Nothing else in pmovesc opens a network connection; `build`, `check` and `validate` never
//! construct this type.

use std::collections::BTreeMap;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::auth::Credential;
use super::remote::{
    DOCKER_HUB, Digest, ErrorKind, Registry, RegistryError, Repository, is_loopback,
};

/// How to reach the registries of one run.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Registries (as written in image references) reached over plain HTTP although they are
    /// not on a loopback address.
    pub insecure: Vec<String>,
    /// Credentials per registry; registries not named here are accessed anonymously.
    pub credentials: BTreeMap<String, Credential>,
    /// Connect and read time limit of one HTTP request.
    pub timeout: Duration,
}

/// A registry client over `oci-client`.
pub struct OciRegistry {
    client: Client,
    credentials: BTreeMap<String, Credential>,
}

/// The host `oci-client` sends requests to for a registry name (Docker Hub's API host).
fn api_host(registry: &str) -> &str {
    if registry == DOCKER_HUB {
        "index.docker.io"
    } else {
        registry
    }
}

impl OciRegistry {
    /// A client for the given registries (every registry this run will ask).
    pub fn new<'a>(
        registries: impl IntoIterator<Item = &'a str>,
        settings: Settings,
    ) -> Result<OciRegistry, String> {
        // reqwest's rustls backend needs a process-wide crypto provider; a second install is
        // a no-op error.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain_http: Vec<String> = registries
            .into_iter()
            .filter(|r| is_loopback(r) || settings.insecure.iter().any(|i| i == r))
            .map(|r| api_host(r).to_string())
            .collect();
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(plain_http),
            connect_timeout: Some(settings.timeout),
            read_timeout: Some(settings.timeout),
            user_agent: concat!("pmovesc/", env!("CARGO_PKG_VERSION")),
            platform_resolver: None,
            ..Default::default()
        };
        let client = Client::try_from(config)
            .map_err(|e| format!("cannot create the registry client: {}", chain(&e)))?;
        Ok(OciRegistry {
            client,
            credentials: settings.credentials,
        })
    }

    fn auth(&self, repo: &Repository) -> RegistryAuth {
        match self.credentials.get(&repo.registry) {
            None | Some(Credential::Anonymous) => RegistryAuth::Anonymous,
            Some(Credential::Basic { username, password }) => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
            Some(Credential::Bearer(t)) => RegistryAuth::Bearer(t.clone()),
        }
    }

    fn reference(repo: &Repository, reference: &str) -> Reference {
        if reference.starts_with("sha256:") {
            Reference::with_digest(
                repo.registry.clone(),
                repo.path.clone(),
                reference.to_string(),
            )
        } else {
            Reference::with_tag(
                repo.registry.clone(),
                repo.path.clone(),
                reference.to_string(),
            )
        }
    }

    async fn digest_of(&self, repo: &Repository, reference: &str) -> Result<Digest, RegistryError> {
        let r = Self::reference(repo, reference);
        let digest = self
            .client
            .fetch_manifest_digest(&r, &self.auth(repo))
            .await
            .map_err(classify)?;
        Digest::parse(&digest).map_err(|e| RegistryError::new(ErrorKind::Malformed, e))
    }
}

impl Registry for OciRegistry {
    async fn resolve(&self, repo: &Repository, tag: &str) -> Result<Digest, RegistryError> {
        self.digest_of(repo, tag).await
    }

    async fn manifest_exists(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> Result<bool, RegistryError> {
        match self.digest_of(repo, reference).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn referrer_types(
        &self,
        repo: &Repository,
        digest: &Digest,
    ) -> Result<Vec<String>, RegistryError> {
        let r = Self::reference(repo, digest.as_str());
        self.client
            .store_auth_if_needed(r.resolve_registry(), &self.auth(repo))
            .await;
        let index = self
            .client
            .pull_referrers(&r, None)
            .await
            .map_err(classify)?;
        Ok(index
            .manifests
            .into_iter()
            .map(|m| m.artifact_type.unwrap_or(m.media_type))
            .collect())
    }
}

/// An error and its sources, `: `-joined (reqwest hides the useful part in the sources).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = s.source();
    }
    parts.join(": ")
}

/// Maps an `oci-client` error to what the user is told.
pub fn classify(e: OciDistributionError) -> RegistryError {
    use OciDistributionError as E;
    let detail = chain(&e);
    let kind = match &e {
        E::RequestError(r) if r.is_timeout() => ErrorKind::Timeout,
        E::RequestError(r) if r.is_connect() || r.is_request() => ErrorKind::Unreachable,
        E::RequestError(r) if r.is_decode() || r.is_body() => ErrorKind::Malformed,
        E::RequestError(_) => ErrorKind::Unreachable,
        E::UnauthorizedError { .. } | E::AuthenticationFailure(_) => ErrorKind::Unauthorized,
        E::ImageManifestNotFoundError(_) => ErrorKind::NotFound,
        E::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                )
            }) {
                ErrorKind::NotFound
            } else if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                ErrorKind::Unauthorized
            } else {
                ErrorKind::Other
            }
        }
        E::ServerError { code: 404, .. } => ErrorKind::NotFound,
        E::ServerError {
            code: 401 | 403, ..
        } => ErrorKind::Unauthorized,
        E::ServerError { .. } => ErrorKind::Other,
        E::DigestError(_)
        | E::SpecViolationError(_)
        | E::ManifestParsingError(_)
        | E::ManifestEncodingError(_)
        | E::JsonError(_)
        | E::RegistryNoDigestError
        | E::RegistryTokenDecodeError(_)
        | E::VersionedParsingError(_)
        | E::HeaderValueError(_)
        | E::UnsupportedMediaTypeError(_)
        | E::UnsupportedSchemaVersionError(_) => ErrorKind::Malformed,
        _ => ErrorKind::Other,
    };
    RegistryError::new(kind, detail)
}
