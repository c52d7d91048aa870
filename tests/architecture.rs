//! `docs/architecture.md` matches the tree, and the layering rules it states hold in the code:
//! every folder of `src/` is on the page, `lang` uses only `diag`, `analysis` no target, targets
//! never each other, and nothing below the edges prints, reads the environment or does I/O.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn folders(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            out.push(p.clone());
            folders(&p, out);
        }
    }
}

/// The crate-internal modules a file names (`crate::lang::model` -> `lang`), comments excluded.
fn crate_uses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The second-level module a file names (`crate::targets::mcp` -> `mcp`), for the rule that
/// targets never use each other.
fn target_uses(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::targets::") {
            rest = &rest[i + "crate::targets::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push(name);
        }
    }
    found
}

#[test]
fn every_source_folder_is_on_the_architecture_page() {
    let page = std::fs::read_to_string(root().join("docs/architecture.md")).unwrap();
    let src = root().join("src");
    let mut all = Vec::new();
    folders(&src, &mut all);
    assert!(!all.is_empty(), "src/ has no folders");
    let mut missing = Vec::new();
    for f in &all {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top_level = !rel.contains('/');
        let written = if top_level {
            page.contains(&format!("`src/{rel}/`"))
        } else {
            let last = rel.rsplit('/').next().unwrap();
            page.contains(&format!("`{last}/`"))
        };
        if !written {
            missing.push(rel);
        }
    }
    assert!(
        missing.is_empty(),
        "docs/architecture.md does not describe these folders of src/: {missing:?}"
    );
}

#[test]
fn every_module_starts_with_a_comment_saying_what_it_holds() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let bare: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//! "))
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        bare.is_empty(),
        "modules without a leading `//!` comment: {bare:?}"
    );
}

#[test]
fn layers_use_only_what_the_architecture_allows() {
    let src = root().join("src");
    let allowed: &[(&str, &[&str])] = &[
        ("lang", &["lang", "diag"]),
        ("analysis", &["analysis", "lang", "diag", "parallel"]),
        ("targets", &["targets", "analysis", "lang", "diag"]),
        ("import", &["import", "lang", "diag"]),
    ];
    let mut broken = Vec::new();
    for (layer, may) in allowed {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer}/ holds no module");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for used in crate_uses(&text) {
                if !may.contains(&used.as_str()) {
                    broken.push(format!("{} uses crate::{used}", f.display()));
                }
            }
        }
    }
    // Targets never use each other (what they share lives in targets/mod.rs).
    for target in ["compose", "mcp"] {
        let path = src.join("targets").join(target);
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path.with_extension("rs"));
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for used in target_uses(&text) {
                if used != target && !used.is_empty() {
                    broken.push(format!("{} uses crate::targets::{used}", f.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn nothing_below_the_edges_prints_reads_the_environment_or_does_io() {
    let src = root().join("src");
    let mut files = Vec::new();
    for layer in ["lang", "analysis", "targets", "import"] {
        rust_files(&src.join(layer), &mut files);
    }
    for top in ["lib.rs", "diag.rs", "parallel.rs"] {
        files.push(src.join(top));
    }
    let forbidden = [
        "println!",
        "eprintln!",
        "print!(",
        "eprint!(",
        "std::env",
        "std::fs",
        "std::net",
        "std::process",
        "std::io::stdout",
        "std::io::stderr",
    ];
    let mut broken = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in forbidden {
                if code.contains(word) {
                    broken.push(format!("{}:{}: {word}", f.display(), n + 1));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "I/O below the edges:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_layer_checks_see_crate_paths() {
    // The checks above must be able to fail: a line that uses a target from `lang` is found.
    assert_eq!(
        crate_uses("use crate::targets::compose::lower;\n// crate::output is a comment"),
        vec!["targets".to_string()]
    );
    assert_eq!(
        target_uses("use crate::targets::mcp::Catalogs;"),
        vec!["mcp"]
    );
}
