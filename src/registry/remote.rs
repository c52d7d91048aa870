//! What `pin` and `verify` need from a registry, as a trait, and the plain data around it.
//!
//! The planning logic only ever talks to a [`Registry`]; the one that speaks HTTP is
//! [`super::oci::OciRegistry`], and the tests drive the planning with fakes.

use std::fmt;
use std::future::Future;
use std::net::IpAddr;

use crate::lang::values::ImageRef;

/// The registry of an image written without one (`postgres:16`).
pub const DOCKER_HUB: &str = "docker.io";

/// A repository in a registry: where a tag or a digest is looked up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repository {
    /// `docker.io`, `ghcr.io`, `127.0.0.1:5000`.
    pub registry: String,
    /// `library/postgres`, `powerfulmoves/pmoves-archon`.
    pub path: String,
}

impl Repository {
    /// The repository an image reference names. Docker Hub short names resolve the way the
    /// Docker CLI resolves them: `postgres` is `docker.io/library/postgres`.
    pub fn of(image: &ImageRef) -> Repository {
        let registry = normalize_registry(image.registry.as_deref().unwrap_or(DOCKER_HUB));
        let path = if registry == DOCKER_HUB && !image.repository.contains('/') {
            format!("library/{}", image.repository)
        } else {
            image.repository.clone()
        };
        Repository { registry, path }
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.path)
    }
}

/// Registry host names as written in image references and Docker config keys, with Docker
/// Hub's aliases folded into `docker.io`.
pub fn normalize_registry(host: &str) -> String {
    let host = host.to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_string()
        }
        _ => host,
    }
}

/// Is the registry on a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`)? Those are
/// reached over plain HTTP; every other registry over HTTPS unless named `--insecure-registry`.
pub fn is_loopback(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        registry.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A content digest, `sha256:<64 lowercase hex>` (the only algorithm the stack language pins).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(String);

impl Digest {
    pub fn parse(s: &str) -> Result<Digest, String> {
        let hex = s
            .strip_prefix("sha256:")
            .ok_or_else(|| format!("`{s}` is not a sha256 digest"))?;
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Digest(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not `sha256:` followed by 64 lowercase hex digits"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The tag cosign derives from a digest: `sha256-<hex>` (`.sig`, `.att`, `.sbom` follow).
    pub fn tag_stem(&self) -> String {
        format!("sha256-{}", self.hex())
    }

    /// `sha256:1234567890ab…`, for reports.
    pub fn short(&self) -> String {
        format!("sha256:{}…", &self.hex()[..12])
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What went wrong talking to a registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// No connection (refused, DNS, TLS).
    Unreachable,
    /// No answer within the time limit.
    Timeout,
    /// The registry refused the credentials (or wants some).
    Unauthorized,
    /// No such tag, digest or repository.
    NotFound,
    /// An answer that does not follow the distribution spec.
    Malformed,
    /// Anything else the registry answered with.
    Other,
}

impl ErrorKind {
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "registry unreachable",
            ErrorKind::Timeout => "registry timed out",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::NotFound => "not found",
            ErrorKind::Malformed => "malformed registry response",
            ErrorKind::Other => "registry error",
        }
    }

    /// Errors after which other requests to the same registry are not worth sending.
    pub fn registry_down(self) -> bool {
        matches!(self, ErrorKind::Unreachable | ErrorKind::Timeout)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl RegistryError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.kind.describe())
        } else {
            write!(f, "{}: {}", self.kind.describe(), self.detail)
        }
    }
}

impl std::error::Error for RegistryError {}

/// The registry operations `pin` and `verify` use. Implementations do the network I/O; the
/// callers decide what to do with the answers.
pub trait Registry {
    /// The digest the registry serves for `repo:tag` (for a multi-arch image, the digest of
    /// the index, which is what compose pins).
    fn resolve(
        &self,
        repo: &Repository,
        tag: &str,
    ) -> impl Future<Output = Result<Digest, RegistryError>>;

    /// Whether a manifest exists for `reference`, a tag or a digest. A missing one is
    /// `Ok(false)`, not an error.
    fn manifest_exists(
        &self,
        repo: &Repository,
        reference: &str,
    ) -> impl Future<Output = Result<bool, RegistryError>>;

    /// The artifact types (or, without one, media types) of the OCI 1.1 referrers of a
    /// digest: the referrers API, or its tag-schema fallback.
    fn referrer_types(
        &self,
        repo: &Repository,
        digest: &Digest,
    ) -> impl Future<Output = Result<Vec<String>, RegistryError>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::values::parse_image;

    #[test]
    fn docker_hub_short_names() {
        let r = Repository::of(&parse_image("postgres:16").unwrap());
        assert_eq!(r.to_string(), "docker.io/library/postgres");
        let r = Repository::of(&parse_image("grafana/loki:3.1.1").unwrap());
        assert_eq!(r.to_string(), "docker.io/grafana/loki");
        let r = Repository::of(&parse_image("index.docker.io/library/nginx").unwrap());
        assert_eq!(r.to_string(), "docker.io/library/nginx");
        let r = Repository::of(&parse_image("ghcr.io/a/b:1").unwrap());
        assert_eq!(r.to_string(), "ghcr.io/a/b");
        let r = Repository::of(&parse_image("localhost:5000/x").unwrap());
        assert_eq!(r.to_string(), "localhost:5000/x");
    }

    #[test]
    fn loopback() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.0.0.1:41234"));
        assert!(is_loopback("127.3.2.1"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("ghcr.io"));
        assert!(!is_loopback("10.0.0.1:5000"));
        assert!(!is_loopback("localhost.example.com"));
    }

    #[test]
    fn digests() {
        let hex = "a".repeat(64);
        let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
        assert_eq!(d.tag_stem(), format!("sha256-{hex}"));
        assert!(Digest::parse("sha512:abc").is_err());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_err());
    }
}
