//! The build manifest: what a build was made from and what it wrote, as content hashes.
//!
//! `build` writes `OUT/.pmovesc-manifest`; `check` reads it to answer "is OUT current?" without
//! compiling when nothing changed: the same compiler (a fingerprint of its own source), the same
//! stack files and options, and every generated file still byte for byte what was written. Any
//! difference, or no manifest, sends `check` down the full compile-and-diff path, so the manifest
//! can only make `check` faster, never make it pass wrongly. It is a cache: `check` never reports
//! it as stale, and deleting it is harmless.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use sha2::{Digest, Sha256};

use crate::Options;
use crate::lang::source::SourceMap;
use crate::targets::header;

pub const MANIFEST_FILE: &str = ".pmovesc-manifest";

/// A fingerprint of the compiler's source, set by build.rs.
pub const COMPILER: &str = env!("PMOVESC_FINGERPRINT");

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub compiler: String,
    pub inputs: String,
    /// Generated file name -> sha256 of its contents.
    pub outputs: BTreeMap<String, String>,
}

pub(crate) fn hex(digest: &[u8]) -> String {
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// sha256 of a generated file.
pub fn output_digest(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

/// sha256 over everything a build depends on: the stack files (their paths inside the stack
/// directory, which do not depend on how the directory was spelled, and contents, in order) and
/// the options that shape the output.
pub fn inputs_digest(sources: &SourceMap, options: &Options) -> String {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(options.regenerate.as_bytes());
    field(if options.strict { b"strict" } else { b"" });
    for p in &options.profiles {
        field(p.as_bytes());
    }
    for (_, f) in sources.files() {
        field(f.path.as_bytes());
        field(f.text.as_bytes());
    }
    hex(&h.finalize())
}

impl Manifest {
    pub fn new(sources: &SourceMap, options: &Options, files: &BTreeMap<String, String>) -> Self {
        Manifest {
            compiler: COMPILER.to_string(),
            inputs: inputs_digest(sources, options),
            outputs: files
                .iter()
                .map(|(name, text)| (name.clone(), output_digest(text)))
                .collect(),
        }
    }

    pub fn render(&self, regenerate: &str) -> String {
        let mut out = header(regenerate);
        out.push_str(
            "# A cache for `pmovesc check`: content hashes of what this build was made from and\n",
        );
        out.push_str("# wrote. check never reports it stale; deleting it only makes the next check slower.\n");
        let _ = writeln!(out, "compiler {}", self.compiler);
        let _ = writeln!(out, "inputs sha256:{}", self.inputs);
        for (name, digest) in &self.outputs {
            let _ = writeln!(out, "output sha256:{digest} {name}");
        }
        out
    }

    pub fn parse(text: &str) -> Option<Manifest> {
        let mut m = Manifest {
            compiler: String::new(),
            inputs: String::new(),
            outputs: BTreeMap::new(),
        };
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let (key, rest) = line.split_once(' ')?;
            match key {
                "compiler" => m.compiler = rest.to_string(),
                "inputs" => m.inputs = rest.strip_prefix("sha256:")?.to_string(),
                "output" => {
                    let (digest, name) = rest.split_once(' ')?;
                    m.outputs.insert(
                        name.to_string(),
                        digest.strip_prefix("sha256:")?.to_string(),
                    );
                }
                _ => return None,
            }
        }
        (!m.compiler.is_empty() && !m.inputs.is_empty()).then_some(m)
    }
}

/// Whether OUT is certainly what a build of `sources` with `options` writes, judged by its
/// manifest (`manifest`, the text of `.pmovesc-manifest`) alone: `digest` gives the sha256 of a
/// file in OUT (`None`: not a regular file there), `ours` names every file in OUT carrying the
/// header. `false` means "unknown": compile and compare.
pub fn up_to_date(
    sources: &SourceMap,
    options: &Options,
    manifest: &str,
    digest: impl Fn(&str) -> Option<String>,
    ours: &BTreeSet<String>,
) -> bool {
    let Some(manifest) = Manifest::parse(manifest) else {
        return false;
    };
    if manifest.compiler != COMPILER || manifest.inputs != inputs_digest(sources, options) {
        return false;
    }
    let intact = manifest
        .outputs
        .iter()
        .all(|(name, want)| digest(name).is_some_and(|have| &have == want));
    // A file we generated that the manifest does not list is an orphan: let the full check say so.
    let no_orphans = ours
        .iter()
        .all(|name| name == MANIFEST_FILE || manifest.outputs.contains_key(name));
    intact && no_orphans
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::targets::HEADER_MARK;

    fn sources() -> SourceMap {
        let mut s = SourceMap::new();
        s.add("s/a.kdl", "project \"t\"\n");
        s
    }

    #[test]
    fn round_trip_and_freshness() {
        let options = Options::default();
        let files = BTreeMap::from([(
            "a.yml".to_string(),
            "# Generated by pmovesc\nx: 1\n".to_string(),
        )]);
        let m = Manifest::new(&sources(), &options, &files);
        let text = m.render("pmovesc build s -o o");
        assert_eq!(Manifest::parse(&text), Some(m));
        let mut disk = files.clone();
        disk.insert(MANIFEST_FILE.into(), text.clone());
        let current = |sources: &SourceMap, options: &Options, disk: &BTreeMap<String, String>| {
            let ours = disk
                .iter()
                .filter(|(_, t)| t.starts_with(HEADER_MARK))
                .map(|(n, _)| n.clone())
                .collect();
            disk.get(MANIFEST_FILE).is_some_and(|m| {
                up_to_date(
                    sources,
                    options,
                    m,
                    |n| disk.get(n).map(|t| output_digest(t)),
                    &ours,
                )
            })
        };
        assert!(current(&sources(), &options, &disk));
        // A hand edit, a changed stack, changed options, an orphan or no manifest: unknown.
        let mut edited = disk.clone();
        edited.insert("a.yml".into(), "# Generated by pmovesc\nx: 2\n".into());
        assert!(!current(&sources(), &options, &edited));
        let mut other = sources();
        other.add("s/b.kdl", "");
        assert!(!current(&other, &options, &disk));
        let strict = Options {
            strict: true,
            ..Options::default()
        };
        assert!(!current(&sources(), &strict, &disk));
        let mut orphan = disk.clone();
        orphan.insert("old.yml".into(), "# Generated by pmovesc\n".into());
        assert!(!current(&sources(), &options, &orphan));
        let mut mine = disk.clone();
        mine.insert("notes.txt".into(), "mine".into());
        assert!(current(&sources(), &options, &mine));
        let mut gone = disk.clone();
        gone.remove("a.yml");
        assert!(!current(&sources(), &options, &gone));
        disk.remove(MANIFEST_FILE);
        assert!(!current(&sources(), &options, &disk));
        assert_eq!(Manifest::parse("garbage"), None);
    }
}
