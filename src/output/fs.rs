//! The edge's small pieces: the regenerate command written into headers, the Docker config
//! credentials are read from, and replacing stack files all or nothing (`pin`). Reading OUT is
//! [`super::outdir`], writing it [`super::transaction`].

use std::fs::File;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

pub use super::stack::load_stack;

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
        shell_word(&relative(&stack, &base)),
        shell_word(&relative(&out, &base))
    )
}

/// A path as one shell word that pastes back as the same path: as is when it holds only safe
/// characters, else single-quoted, else (control characters, which would also end the header's
/// comment line) as bash `$'...'` with every control character escaped.
pub fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./-+,:@%=".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_string();
    }
    let control = |c: char| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}');
    if !s.chars().any(control) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c if control(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
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
            let (tmp, mut file) = create_temp_beside(path, &name)?;
            let written = file
                .write_all(new.as_bytes())
                .and_then(|()| file.set_permissions(permissions))
                .and_then(|()| file.sync_all());
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
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

/// A new file beside `path` with an unpredictable name, created exclusively (never a file or a
/// link already there).
fn create_temp_beside(path: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    use rand::TryRngCore;
    use std::os::unix::fs::OpenOptionsExt;
    for _ in 0..16 {
        let n = rand::rngs::OsRng.try_next_u64().map_err(io::Error::other)?;
        let tmp = path.with_file_name(format!(".{name}.pmovesc-tmp-{n:016x}"));
        let opened = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&tmp);
        match opened {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary file name after 16 tries",
    ))
}
