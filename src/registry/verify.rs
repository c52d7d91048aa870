//! `verify`: which pinned images a profile runs, which registry facts a policy needs about
//! each, and the verdict on those facts. Pure: [`super::run::gather`] asks the registry.
//!
//! Artifacts are found by name and type only (cosign's `sha256-<hex>.sig` / `.att` / `.sbom`
//! tags and OCI 1.1 referrers); their signatures are not checked cryptographically.

use super::remote::{Digest, RegistryError, Repository};
use crate::analysis::resolve::Resolved;
use crate::lang::model::{Profile, Source};
use crate::lang::source::Span;

/// What a policy can require of an image besides its digest existing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requirement {
    /// A cosign signature (`.sig` tag) or a signature referrer.
    Signature,
    /// An SBOM or attestation (`.att`/`.sbom` tag) or an SBOM referrer.
    Sbom,
}

impl Requirement {
    pub fn name(self) -> &'static str {
        match self {
            Requirement::Signature => "signature",
            Requirement::Sbom => "sbom",
        }
    }

    /// `signature,sbom`, `signature`, `sbom`, or `none` (the digest must exist, nothing more).
    pub fn parse_list(list: &[String]) -> Result<Vec<Requirement>, String> {
        let mut out = Vec::new();
        for item in list.iter().flat_map(|s| s.split(',')).map(str::trim) {
            match item {
                "signature" | "sig" => out.push(Requirement::Signature),
                "sbom" | "attestation" | "att" => out.push(Requirement::Sbom),
                "none" | "" => {}
                other => {
                    return Err(format!(
                        "unknown requirement `{other}`: expected `signature`, `sbom` or `none`"
                    ));
                }
            }
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// One image a profile runs.
#[derive(Debug, Clone)]
pub struct Target {
    pub service: String,
    pub image: String,
    /// The `image` node (in a `when` block or a template when that is where it comes from).
    pub span: Span,
    pub repo: Option<Repository>,
    /// `None`: not pinned.
    pub digest: Option<Digest>,
}

/// The images a profile runs, by service, and the services it builds locally instead.
pub fn targets(stack: &Resolved, profile: &Profile) -> (Vec<Target>, Vec<String>) {
    let mut out = Vec::new();
    let mut local = Vec::new();
    for (name, service) in &stack.services {
        let Some(body) = stack.shape(service, profile) else {
            continue;
        };
        if profile.source == Source::Build && body.build.is_some() {
            local.push(name.clone());
            continue;
        }
        let Some(image) = &body.image else { continue };
        let parsed = super::parse(&image.value).ok();
        out.push(Target {
            service: name.clone(),
            image: image.value.clone(),
            span: image.span,
            repo: crate::lang::values::parse_image(&image.value)
                .ok()
                .map(|r| Repository::of(&r)),
            digest: parsed.and_then(|p| p.digest),
        });
    }
    (out, local)
}

/// A question to the registry about one pinned image.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Probe {
    /// Does the digest exist?
    Exists,
    /// Does this tag exist (`sha256-<hex>.sig` and friends)?
    Tag(String),
    /// The artifact types of the digest's referrers.
    Referrers,
}

/// The probes a policy needs for a digest.
pub fn probes(digest: &Digest, require: &[Requirement]) -> Vec<Probe> {
    let stem = digest.tag_stem();
    let mut out = vec![Probe::Exists];
    if require.contains(&Requirement::Signature) {
        out.push(Probe::Tag(format!("{stem}.sig")));
    }
    if require.contains(&Requirement::Sbom) {
        out.push(Probe::Tag(format!("{stem}.att")));
        out.push(Probe::Tag(format!("{stem}.sbom")));
    }
    if !require.is_empty() {
        out.push(Probe::Referrers);
    }
    out
}

/// A registry's answer to a probe.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Found(bool),
    Types(Vec<String>),
}

/// Is a referrer's artifact type a signature?
pub fn is_signature_type(t: &str) -> bool {
    t == "application/vnd.dev.cosign.artifact.sig.v1+json"
        || t.starts_with("application/vnd.dev.sigstore.bundle")
        || t == "application/vnd.cncf.notary.signature"
}

/// Is a referrer's artifact type an SBOM or attestation?
pub fn is_sbom_type(t: &str) -> bool {
    let t = t.to_ascii_lowercase();
    t.contains("spdx")
        || t.contains("cyclonedx")
        || t.contains("syft")
        || t.starts_with("application/vnd.in-toto")
        || t == "application/vnd.dev.cosign.artifact.sbom.v1+json"
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Ok(String),
    Missing(String),
    Error(String),
}

/// One line of an image's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `digest`, `signature`, `sbom`.
    pub what: &'static str,
    pub status: Status,
}

/// The verdict on one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub checks: Vec<Check>,
}

impl Verdict {
    pub fn missing(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.status, Status::Missing(_)))
    }
    pub fn errors(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c.status, Status::Error(_)))
    }
}

/// Judges one image from the answers to its probes.
pub fn evaluate(
    target: &Target,
    require: &[Requirement],
    answers: &[(Probe, Result<Answer, RegistryError>)],
) -> Verdict {
    let Some(digest) = &target.digest else {
        return Verdict {
            checks: vec![Check {
                what: "digest",
                status: Status::Missing(
                    "not pinned: the image has no @sha256: digest (run `pmovesc pin`)".into(),
                ),
            }],
        };
    };
    let get = |p: &Probe| answers.iter().find(|(q, _)| q == p).map(|(_, a)| a);
    let mut checks = Vec::new();
    let exists = match get(&Probe::Exists) {
        Some(Ok(Answer::Found(true))) => Status::Ok(format!("{} exists", digest.short())),
        Some(Ok(_)) => Status::Missing(format!("the registry has no manifest {digest}")),
        Some(Err(e)) => Status::Error(e.to_string()),
        None => Status::Error("not asked".into()),
    };
    checks.push(Check {
        what: "digest",
        status: exists,
    });
    let referrers: Result<Vec<String>, String> = match get(&Probe::Referrers) {
        Some(Ok(Answer::Types(t))) => Ok(t.clone()),
        Some(Ok(_)) | None => Ok(Vec::new()),
        Some(Err(e)) => Err(e.to_string()),
    };
    for req in require {
        let (suffixes, is_type): (&[&str], fn(&str) -> bool) = match req {
            Requirement::Signature => (&["sig"], is_signature_type),
            Requirement::Sbom => (&["att", "sbom"], is_sbom_type),
        };
        let mut errors = Vec::new();
        let mut found = None;
        for s in suffixes {
            let tag = format!("{}.{s}", digest.tag_stem());
            match get(&Probe::Tag(tag.clone())) {
                Some(Ok(Answer::Found(true))) if found.is_none() => {
                    found = Some(format!("tag {tag}"));
                }
                Some(Err(e)) => errors.push(format!("tag {tag}: {e}")),
                _ => {}
            }
        }
        if found.is_none() {
            match &referrers {
                Ok(types) => {
                    if let Some(t) = types.iter().find(|t| is_type(t)) {
                        found = Some(format!("OCI referrer of type {t}"));
                    }
                }
                Err(e) => errors.push(format!("referrers: {e}")),
            }
        }
        let status = match found {
            Some(how) => Status::Ok(format!("found ({how})")),
            None if !errors.is_empty() => Status::Error(errors.join("; ")),
            None => Status::Missing(match req {
                Requirement::Signature => format!(
                    "no cosign signature: no tag {}.sig and no signature referrer",
                    digest.tag_stem()
                ),
                Requirement::Sbom => format!(
                    "no SBOM or attestation: no tag {stem}.att or {stem}.sbom and no SBOM referrer",
                    stem = digest.tag_stem()
                ),
            }),
        };
        checks.push(Check {
            what: req.name(),
            status,
        });
    }
    Verdict { checks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::source::Span;

    fn target() -> Target {
        Target {
            service: "db".into(),
            image: "x".into(),
            span: Span::new(0, 0, 0),
            repo: None,
            digest: Some(Digest::parse(&format!("sha256:{}", "e".repeat(64))).unwrap()),
        }
    }

    #[test]
    fn requirement_lists() {
        let all = Requirement::parse_list(&["signature,sbom".into()]).unwrap();
        assert_eq!(all, vec![Requirement::Signature, Requirement::Sbom]);
        assert!(
            Requirement::parse_list(&["none".into()])
                .unwrap()
                .is_empty()
        );
        assert!(Requirement::parse_list(&["sigs".into()]).is_err());
    }

    #[test]
    fn tags_or_referrers_satisfy_a_policy() {
        let t = target();
        let d = t.digest.clone().unwrap();
        let req = [Requirement::Signature, Requirement::Sbom];
        let stem = d.tag_stem();
        let mut answers = vec![
            (Probe::Exists, Ok(Answer::Found(true))),
            (Probe::Tag(format!("{stem}.sig")), Ok(Answer::Found(true))),
            (Probe::Tag(format!("{stem}.att")), Ok(Answer::Found(false))),
            (Probe::Tag(format!("{stem}.sbom")), Ok(Answer::Found(false))),
            (Probe::Referrers, Ok(Answer::Types(vec![]))),
        ];
        let v = evaluate(&t, &req, &answers);
        assert!(v.missing());
        assert!(matches!(&v.checks[2].status, Status::Missing(m) if m.contains(".att")));
        answers[4].1 = Ok(Answer::Types(vec!["application/spdx+json".into()]));
        let v = evaluate(&t, &req, &answers);
        assert!(!v.missing() && !v.errors(), "{v:?}");
        assert_eq!(probes(&d, &req).len(), 5);
        assert_eq!(probes(&d, &[]), vec![Probe::Exists]);
    }

    #[test]
    fn unpinned_images_fail() {
        let mut t = target();
        t.digest = None;
        assert!(evaluate(&t, &[], &[]).missing());
    }
}
