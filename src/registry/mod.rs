//! `pin` and `verify`: resolving image tags to the digests their registries serve, and
//! rewriting the `image` strings of the stack source in place.
//!
//! Everything in this module is pure: which images to look at ([`collect`],
//! [`Collected::select`]), what the answers mean ([`plan`], [`Outcome`]), and the new source
//! text ([`rewrite`]), which replaces exactly the bytes of each changed `image` string and
//! leaves every other byte of the file as it was. The registry sits behind the
//! [`remote::Registry`] trait; [`run`] drives it with bounded concurrency and time limits,
//! and [`oci`] is the one implementation that speaks HTTP (the network edge).

pub mod auth;
pub mod oci;
pub mod remote;
pub mod run;
pub mod verify;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::diag::{Diagnostics, did_you_mean};
use crate::lang::model::{ServiceBody, Setting};
use crate::lang::source::{FileId, SourceMap, Span};
use crate::lang::values::parse_image;
use crate::lang::{decode, syntax};

use remote::{Digest, RegistryError, Repository};

/// Who writes an `image` node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    Service { name: String, when: Option<String> },
    Template { name: String, when: Option<String> },
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kind, name, when) = match self {
            Owner::Service { name, when } => ("service", name, when),
            Owner::Template { name, when } => ("template", name, when),
        };
        write!(f, "{kind} \"{name}\"")?;
        if let Some(w) = when {
            write!(f, " when \"{w}\"")?;
        }
        Ok(())
    }
}

/// One `image` node of the source.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSite {
    pub owner: Owner,
    /// The image reference as decoded.
    pub image: String,
    /// The bytes of the string token (quotes included), exactly.
    pub span: Span,
}

/// What a registry is asked for one image: the digest behind `repo:tag`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lookup {
    pub repo: Repository,
    pub tag: String,
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repo, self.tag)
    }
}

/// How an image string is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The lookup, or `None` for an image pinned by digest alone (no tag to follow).
    pub lookup: Option<Lookup>,
    /// Whether a tag is written (an image without one means `latest`).
    pub tag_written: bool,
    pub digest: Option<Digest>,
}

/// Parses an image string for pinning.
pub fn parse(image: &str) -> Result<Parsed, String> {
    let r = parse_image(image)?;
    let digest = r.digest.as_deref().map(Digest::parse).transpose()?;
    let tag_written = r.tag.is_some();
    let lookup = match (&r.tag, &digest) {
        (None, Some(_)) => None,
        _ => Some(Lookup {
            repo: Repository::of(&r),
            tag: r.tag.clone().unwrap_or_else(|| "latest".into()),
        }),
    };
    Ok(Parsed {
        lookup,
        tag_written,
        digest,
    })
}

/// The image string pinned to `digest`: the written reference without its old digest (with
/// `:latest` made explicit when no tag was written), `@`, the digest.
pub fn pinned_string(image: &str, digest: &Digest) -> String {
    let base = image.split('@').next().unwrap_or(image);
    let tagged = parse_image(base).is_ok_and(|r| r.tag.is_some());
    if tagged {
        format!("{base}@{digest}")
    } else {
        format!("{base}:latest@{digest}")
    }
}

/// Every `image` node of a stack, with what `--service` needs to follow `from=` chains.
#[derive(Debug, Default)]
pub struct Collected {
    pub sites: Vec<ImageSite>,
    /// Service name -> its `from=` template.
    service_from: BTreeMap<String, Option<String>>,
    /// Template name -> its `from=` template.
    template_from: BTreeMap<String, Option<String>>,
}

/// Parses and decodes every file and collects its `image` nodes. Syntax and decode errors are
/// returned in the diagnostics (pin refuses to touch a stack with any); rule violations of later
/// passes (an unpinned image under `pins="require"`, say) do not matter here.
pub fn collect(sources: &SourceMap) -> (Collected, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut out = Collected::default();
    for (id, _) in sources.files() {
        let Some(doc) = syntax::parse(sources, id, &mut diags) else {
            continue;
        };
        let stack = decode::decode(&doc, &mut diags);
        for s in &stack.services {
            let name = s.name.value.clone();
            out.service_from
                .insert(name.clone(), s.from.as_ref().map(|f| f.value.clone()));
            push_body(&mut out.sites, &s.body, |when| Owner::Service {
                name: name.clone(),
                when,
            });
        }
        for t in &stack.templates {
            let name = t.name.value.clone();
            out.template_from
                .insert(name.clone(), t.from.as_ref().map(|f| f.value.clone()));
            push_body(&mut out.sites, &t.body, |when| Owner::Template {
                name: name.clone(),
                when,
            });
        }
    }
    out.sites
        .sort_by_key(|s| (s.span.file, s.span.start, s.span.len));
    (out, diags)
}

fn push_body(
    sites: &mut Vec<ImageSite>,
    body: &ServiceBody,
    owner: impl Fn(Option<String>) -> Owner,
) {
    let mut push = |image: &Option<Setting<String>>, when: Option<String>| {
        if let Some(i) = image {
            sites.push(ImageSite {
                owner: owner(when),
                image: i.value.clone(),
                span: i.span,
            });
        }
    };
    push(&body.image, None);
    for w in &body.whens {
        push(&w.body.image, Some(w.selector.value.clone()));
    }
}

impl Collected {
    /// The sites `pin` works on: all of them, or those of the named services. A service that
    /// writes no `image` of its own gets the image of the template it comes from (which every
    /// service of that template shares).
    pub fn select(&self, services: &[String]) -> Result<Vec<&ImageSite>, String> {
        if services.is_empty() {
            return Ok(self.sites.iter().collect());
        }
        let mut picked: BTreeSet<usize> = BTreeSet::new();
        for wanted in services {
            let Some(from) = self.service_from.get(wanted) else {
                let hint = did_you_mean(wanted, self.service_from.keys().map(String::as_str))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(format!("service `{wanted}` is not defined{hint}"));
            };
            let own = |o: &Owner| matches!(o, Owner::Service { name, .. } if name == wanted);
            let mut found: Vec<usize> = (0..self.sites.len())
                .filter(|&i| own(&self.sites[i].owner))
                .collect();
            let mut template = from.clone();
            let mut seen = BTreeSet::new();
            while found.is_empty()
                && let Some(t) = template
            {
                if !seen.insert(t.clone()) {
                    break;
                }
                found = (0..self.sites.len())
                    .filter(|&i| {
                        matches!(&self.sites[i].owner, Owner::Template { name, .. } if *name == t)
                    })
                    .collect();
                template = self.template_from.get(&t).cloned().flatten();
            }
            if found.is_empty() {
                return Err(format!("service `{wanted}` has no image to pin"));
            }
            picked.extend(found);
        }
        Ok(picked.into_iter().map(|i| &self.sites[i]).collect())
    }
}

/// What happened to one image site.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It had no digest; `new` pins it.
    Pinned { new: String, digest: Digest },
    /// Its digest is no longer what the tag points to; `new` pins the current one.
    Moved {
        new: String,
        old: Digest,
        digest: Digest,
    },
    /// Its digest is what the tag points to.
    Current,
    /// Written with a digest and no tag: there is nothing to follow.
    DigestOnly,
    /// The registry could not answer.
    Failed {
        lookup: Lookup,
        error: RegistryError,
    },
    /// Not an image reference pin can use (decode already reported it).
    Invalid(String),
}

impl Outcome {
    /// The new image string, when the source changes.
    pub fn new_image(&self) -> Option<&str> {
        match self {
            Outcome::Pinned { new, .. } | Outcome::Moved { new, .. } => Some(new),
            _ => None,
        }
    }
}

/// One site with its outcome.
#[derive(Debug, Clone)]
pub struct SiteResult<'a> {
    pub site: &'a ImageSite,
    pub outcome: Outcome,
}

/// The lookups the sites need, each once.
pub fn lookups<'a>(sites: impl IntoIterator<Item = &'a ImageSite>) -> BTreeSet<Lookup> {
    sites
        .into_iter()
        .filter_map(|s| parse(&s.image).ok().and_then(|p| p.lookup))
        .collect()
}

/// Joins the sites with the registry's answers.
pub fn plan<'a>(
    sites: &[&'a ImageSite],
    answers: &BTreeMap<Lookup, Result<Digest, RegistryError>>,
) -> Vec<SiteResult<'a>> {
    sites
        .iter()
        .map(|site| {
            let outcome = match parse(&site.image) {
                Err(e) => Outcome::Invalid(e),
                Ok(Parsed { lookup: None, .. }) => Outcome::DigestOnly,
                Ok(Parsed {
                    lookup: Some(lookup),
                    digest: old,
                    ..
                }) => match answers.get(&lookup) {
                    None => Outcome::Failed {
                        error: RegistryError::new(remote::ErrorKind::Other, "not looked up"),
                        lookup,
                    },
                    Some(Err(error)) => Outcome::Failed {
                        lookup,
                        error: error.clone(),
                    },
                    Some(Ok(digest)) => match old {
                        Some(old) if &old == digest => Outcome::Current,
                        Some(old) => Outcome::Moved {
                            new: pinned_string(&site.image, digest),
                            old,
                            digest: digest.clone(),
                        },
                        None => Outcome::Pinned {
                            new: pinned_string(&site.image, digest),
                            digest: digest.clone(),
                        },
                    },
                },
            };
            SiteResult { site, outcome }
        })
        .collect()
}

/// What `pin --check` fails on.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The image carries no digest (`current`: what the tag points to now, when known).
    NoDigest { current: Option<Digest> },
    /// The pinned digest is not what the tag points to now.
    Moved { pinned: Digest, current: Digest },
}

/// The `--check` findings of a plan, in site order.
pub fn findings<'a, 'r>(results: &'r [SiteResult<'a>]) -> Vec<(&'r SiteResult<'a>, Finding)> {
    results
        .iter()
        .filter_map(|r| {
            let f = match &r.outcome {
                Outcome::Pinned { digest, .. } => Finding::NoDigest {
                    current: Some(digest.clone()),
                },
                Outcome::Moved { old, digest, .. } => Finding::Moved {
                    pinned: old.clone(),
                    current: digest.clone(),
                },
                Outcome::Failed { .. } => match parse(&r.site.image) {
                    Ok(p) if p.digest.is_none() => Finding::NoDigest { current: None },
                    _ => return None,
                },
                _ => return None,
            };
            Some((r, f))
        })
        .collect()
}

/// A replacement of the bytes `start..end` of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// The new token for a string token whose value changes from `old` to `new`. A plain quoted
/// string or a bare identifier keeps its form (only the value between the quotes changes);
/// any other form (raw string, escapes) becomes a plain quoted string.
pub fn token_replacement(token: &str, old: &str, new: &str) -> String {
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\\'))
    };
    if token == old
        && plain(new)
        && !new.contains(['/', '(', ')', '{', '}', ';', '[', ']', '=', '#'])
    {
        return new.to_string();
    }
    if token.len() == old.len() + 2 && token.starts_with('"') && &token[1..token.len() - 1] == old {
        return format!("\"{new}\"");
    }
    let escaped: String = new
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

/// The edits of a plan, per file.
pub fn edits(sources: &SourceMap, results: &[SiteResult<'_>]) -> BTreeMap<FileId, Vec<Edit>> {
    let mut out: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    for r in results {
        let Some(new) = r.outcome.new_image() else {
            continue;
        };
        let span = r.site.span;
        let token = sources.slice(span);
        out.entry(span.file).or_default().push(Edit {
            start: span.start as usize,
            end: (span.start + span.len) as usize,
            text: token_replacement(token, &r.site.image, new),
        });
    }
    out
}

/// Applies non-overlapping edits to a text. Every byte outside the edited ranges is kept.
pub fn rewrite(text: &str, edits: &[Edit]) -> Result<String, String> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len() + 80 * edits.len());
    let mut at = 0;
    for e in sorted {
        if e.start < at || e.end < e.start || e.end > text.len() {
            return Err(format!(
                "edit {}..{} overlaps or is out of range",
                e.start, e.end
            ));
        }
        if !text.is_char_boundary(e.start) || !text.is_char_boundary(e.end) {
            return Err(format!("edit {}..{} splits a character", e.start, e.end));
        }
        out.push_str(&text[at..e.start]);
        out.push_str(&e.text);
        at = e.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// The new text of every file a plan changes.
pub fn new_texts(
    sources: &SourceMap,
    results: &[SiteResult<'_>],
) -> Result<BTreeMap<FileId, String>, String> {
    let texts: BTreeMap<FileId, String> = edits(sources, results)
        .into_iter()
        .map(|(file, e)| Ok((file, rewrite(&sources.file(file).text, &e)?)))
        .collect::<Result<_, String>>()?;
    confirm(sources, &texts, results)?;
    Ok(texts)
}

/// Decodes the rewritten files again and checks that every image node now says what the plan
/// wants and nothing else moved: a rewrite that would change the stack in any other way is
/// refused.
fn confirm(
    sources: &SourceMap,
    texts: &BTreeMap<FileId, String>,
    results: &[SiteResult<'_>],
) -> Result<(), String> {
    if texts.is_empty() {
        return Ok(());
    }
    let mut after = SourceMap::new();
    for (id, f) in sources.files() {
        after.add(
            f.name.clone(),
            texts
                .get(&id)
                .cloned()
                .unwrap_or_else(|| f.text.to_string()),
        );
    }
    let (before, _) = collect(sources);
    let (now, diags) = collect(&after);
    if diags.has_errors() || now.sites.len() != before.sites.len() {
        return Err("the rewritten stack no longer decodes to the same image nodes".into());
    }
    let wanted: BTreeMap<Span, &str> = results
        .iter()
        .filter_map(|r| r.outcome.new_image().map(|n| (r.site.span, n)))
        .collect();
    for (old, new) in before.sites.iter().zip(&now.sites) {
        let expected = wanted.get(&old.span).copied().unwrap_or(&old.image);
        if new.image != expected || new.owner != old.owner {
            return Err(format!(
                "the rewrite of {} would read `{}`, not `{expected}`",
                old.owner, new.image
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::remote::ErrorKind;
    use super::*;

    fn digest(c: char) -> Digest {
        Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
    }

    const STACK: &str = r##"// leading comment
project "p"

service "db" {
    // the database
    image   "postgres:16"   // trailing
    when "gpu" {
        image #"ghcr.io/x/db-gpu:1"#
    }
}

template "t" {
    image "ghcr.io/x/base:2@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
}

service "child" from="t" {
}

service "dig" {
    image "ghcr.io/x/only@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
}
"##;

    fn sources() -> SourceMap {
        let mut s = SourceMap::new();
        s.add("stack/a.kdl", STACK);
        s
    }

    #[test]
    fn collects_every_image_node_with_its_token() {
        let sources = sources();
        let (c, diags) = collect(&sources);
        assert!(!diags.has_errors());
        let shown: Vec<(String, &str)> = c
            .sites
            .iter()
            .map(|s| (s.owner.to_string(), sources.slice(s.span)))
            .collect();
        assert_eq!(shown[0], ("service \"db\"".into(), "\"postgres:16\""));
        assert_eq!(
            shown[1],
            (
                "service \"db\" when \"gpu\"".into(),
                "#\"ghcr.io/x/db-gpu:1\"#"
            )
        );
        assert_eq!(shown[2].0, "template \"t\"");
        assert_eq!(shown[3].0, "service \"dig\"");
        assert_eq!(c.sites.len(), 4);
    }

    #[test]
    fn select_follows_templates_and_suggests() {
        let sources = sources();
        let (c, _) = collect(&sources);
        let picked = c.select(&["child".into()]).unwrap();
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].owner.to_string(), "template \"t\"");
        let picked = c.select(&["db".into()]).unwrap();
        assert_eq!(picked.len(), 2);
        let e = c.select(&["dbb".into()]).unwrap_err();
        assert!(e.contains("did you mean `db`"), "{e}");
    }

    #[test]
    fn plan_and_rewrite_keep_every_other_byte() {
        let sources = sources();
        let (c, _) = collect(&sources);
        let sites = c.select(&[]).unwrap();
        let needed = lookups(sites.iter().copied());
        assert_eq!(needed.len(), 3);
        let mut answers = BTreeMap::new();
        for l in &needed {
            let d = match l.tag.as_str() {
                "16" => Ok(digest('1')),
                "1" => Ok(digest('2')),
                _ => Ok(digest('3')),
            };
            answers.insert(l.clone(), d);
        }
        let results = plan(&sites, &answers);
        assert!(matches!(results[0].outcome, Outcome::Pinned { .. }));
        assert!(matches!(results[2].outcome, Outcome::Moved { .. }));
        assert_eq!(results[3].outcome, Outcome::DigestOnly);
        let texts = new_texts(&sources, &results).unwrap();
        let new = &texts[&0];
        let expected = STACK
            .replace(
                "\"postgres:16\"",
                &format!("\"postgres:16@{}\"", digest('1')),
            )
            .replace(
                "#\"ghcr.io/x/db-gpu:1\"#",
                &format!("\"ghcr.io/x/db-gpu:1@{}\"", digest('2')),
            )
            .replace(
                &format!("base:2@{}", digest('a')),
                &format!("base:2@{}", digest('3')),
            );
        assert_eq!(new, &expected);
        let found = findings(&results);
        assert_eq!(found.len(), 3);
        assert!(matches!(found[2].1, Finding::Moved { .. }));
    }

    #[test]
    fn failures_are_kept_per_site() {
        let sources = sources();
        let (c, _) = collect(&sources);
        let sites = c.select(&["db".into()]).unwrap();
        let mut answers = BTreeMap::new();
        for l in lookups(sites.iter().copied()) {
            answers.insert(
                l,
                Err(RegistryError::new(ErrorKind::Unreachable, "refused")),
            );
        }
        let results = plan(&sites, &answers);
        assert!(
            results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Failed { .. }))
        );
        assert!(new_texts(&sources, &results).unwrap().is_empty());
        // An unpinned image whose registry failed is still a --check finding.
        assert_eq!(findings(&results).len(), 2);
    }

    #[test]
    fn pinned_strings() {
        let d = digest('c');
        assert_eq!(pinned_string("postgres:16", &d), format!("postgres:16@{d}"));
        assert_eq!(
            pinned_string("postgres", &d),
            format!("postgres:latest@{d}")
        );
        assert_eq!(
            pinned_string(&format!("localhost:5000/a:1@{}", digest('a')), &d),
            format!("localhost:5000/a:1@{d}")
        );
        assert_eq!(
            pinned_string("localhost:5000/a", &d),
            format!("localhost:5000/a:latest@{d}")
        );
    }

    #[test]
    fn token_forms() {
        assert_eq!(token_replacement("\"a:1\"", "a:1", "a:1@x"), "\"a:1@x\"");
        assert_eq!(
            token_replacement("a:1", "a:1", "a:1@sha256:x"),
            "a:1@sha256:x"
        );
        assert_eq!(token_replacement("#\"a:1\"#", "a:1", "a:1@x"), "\"a:1@x\"");
        assert_eq!(token_replacement("\"a\\u{3a}1\"", "a:1", "b"), "\"b\"");
    }

    #[test]
    fn rewrite_rejects_overlaps() {
        let e = |s, t| Edit {
            start: s,
            end: t,
            text: "x".into(),
        };
        assert_eq!(rewrite("abcdef", &[e(4, 5), e(1, 2)]).unwrap(), "axcdxf");
        assert!(rewrite("abcdef", &[e(1, 3), e(2, 4)]).is_err());
        assert!(rewrite("abc", &[e(1, 9)]).is_err());
    }
}
