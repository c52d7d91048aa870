//! The edge: reading a stack directory, reading an output directory, and writing outputs all or
//! nothing. Nothing here decides anything about the stack.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::emit::HEADER_MARK;
use crate::source::SourceMap;

/// Loads every `*.kdl` below `dir` (recursively) in sorted path order. Display names are the
/// directory as given joined with the path inside it, with `/` separators.
pub fn load_stack(dir: &Path) -> io::Result<SourceMap> {
    let meta = std::fs::metadata(dir)?;
    let mut files = Vec::new();
    if meta.is_file() {
        files.push(dir.to_path_buf());
    } else {
        collect_kdl(dir, &mut files)?;
    }
    let mut named: Vec<(String, PathBuf)> =
        files.into_iter().map(|p| (display_name(&p), p)).collect();
    named.sort();
    let mut sources = SourceMap::new();
    for (name, path) in named {
        let bytes = std::fs::read(&path)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is not UTF-8 text"),
            )
        })?;
        sources.add(name, text);
    }
    Ok(sources)
}

fn collect_kdl(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            collect_kdl(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "kdl") {
            out.push(path);
        }
    }
    Ok(())
}

fn display_name(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// The top-level regular files of the output directory (missing directory: none).
pub fn read_output_dir(dir: &Path) -> io::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        // Binary or unreadable files are not ours; skip them.
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            files.insert(name, text);
        }
    }
    Ok(files)
}

/// What a write did.
#[derive(Debug, Default)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
}

/// Writes every file into `dir` all or nothing: each file goes to a temporary file in `dir`
/// first; only when all are written are they renamed into place. Files that carry our header but
/// are not in `known` are removed afterwards. Unchanged files are not touched.
pub fn write_outputs(
    dir: &Path,
    files: &BTreeMap<String, String>,
    known: &[String],
) -> io::Result<WriteReport> {
    std::fs::create_dir_all(dir)?;
    let existing = read_output_dir(dir)?;
    let mut report = WriteReport::default();
    let mut staged: Vec<(PathBuf, PathBuf, String)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, PathBuf, String)]| {
        for (tmp, _, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (name, contents) in files {
        if existing.get(name) == Some(contents) {
            report.unchanged.push(name.clone());
            continue;
        }
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.pmovesc-tmp-{}", std::process::id()));
        if let Err(e) = std::fs::write(&tmp, contents) {
            let _ = std::fs::remove_file(&tmp);
            cleanup(&staged);
            return Err(e);
        }
        staged.push((tmp, target, name.clone()));
    }
    for (tmp, target, name) in &staged {
        std::fs::rename(tmp, target)?;
        report.written.push(name.clone());
    }
    for (name, text) in &existing {
        if !files.contains_key(name) && !known.contains(name) && text.starts_with(HEADER_MARK) {
            std::fs::remove_file(dir.join(name))?;
            report.removed.push(name.clone());
        }
    }
    Ok(report)
}

/// The regenerate command for headers, independent of the directory it is run from: both
/// paths are written relative to the root of the git repository holding the output directory
/// (or, outside a repository, to the output directory's parent), e.g. `pmovesc build stacks -o
/// pmoves`. Never absolute.
pub fn regenerate_command(stack: &Path, out: &Path) -> String {
    let abs = |p: &Path| -> PathBuf {
        let p = if p.is_absolute() {
            p.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        };
        normalize(&p)
    };
    let (stack, out) = (abs(stack), abs(out));
    let base = out
        .ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .or_else(|| out.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    format!(
        "pmovesc build {} -o {}",
        relative(&stack, &base),
        relative(&out, &base)
    )
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); b.len() - common];
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

/// The Docker config file credentials are read from: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`; `None` when it does not exist.
pub fn read_docker_config() -> io::Result<Option<(PathBuf, String)>> {
    let path = match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("config.json"),
        _ => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(".docker").join("config.json"),
            None => return Ok(None),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path, text))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io::Error::new(e.kind(), format!("{}: {e}", path.display()))),
    }
}

/// Replaces the contents of source files all or nothing (`pin`): each file must still hold
/// `old` (else nothing is written: someone edited it meanwhile); every new text goes to a
/// temporary file beside its target with the target's permissions, and only when all are
/// written are they renamed into place.
pub fn replace_files(changes: &[(PathBuf, &str, String)]) -> io::Result<()> {
    let mut staged: Vec<(PathBuf, &Path)> = Vec::new();
    let cleanup = |staged: &[(PathBuf, &Path)]| {
        for (tmp, _) in staged {
            let _ = std::fs::remove_file(tmp);
        }
    };
    for (path, old, new) in changes {
        let result = (|| {
            let current = std::fs::read(path)?;
            if current != old.as_bytes() {
                return Err(io::Error::other(format!(
                    "{} changed while pmovesc was running",
                    path.display()
                )));
            }
            let permissions = std::fs::metadata(path)?.permissions();
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let tmp = path.with_file_name(format!(".{name}.pmovesc-tmp-{}", std::process::id()));
            std::fs::write(&tmp, new)?;
            std::fs::set_permissions(&tmp, permissions)?;
            Ok(tmp)
        })();
        match result {
            Ok(tmp) => staged.push((tmp, path.as_path())),
            Err(e) => {
                cleanup(&staged);
                return Err(e);
            }
        }
    }
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target)?;
    }
    Ok(())
}
