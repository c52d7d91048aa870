//! The operator's secret files in OUT (`.env`, and `secrets/<name>` for file secrets): read,
//! and replaced whole, all or nothing, never through a symlink, and only if nobody changed the
//! file meanwhile. `.env` is mode 0600. A secret file is bind-mounted into a container that may
//! run as another user (Grafana is uid 472), so it is mode 0444 inside a directory of mode 0700:
//! only its owner can reach it on the host. The output directory is locked for the whole
//! read-modify-write, so two `pmovesc secrets init` at once cannot both add a value.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// An exclusive lock on the output directory, held until dropped.
pub struct DirLock {
    _dir: File,
}

/// Locks `dir` (created if missing) against other secret writers. Blocks until it is free.
pub fn lock(dir: &Path) -> io::Result<DirLock> {
    std::fs::create_dir_all(dir)?;
    let handle = File::open(dir)?;
    handle.lock()?;
    Ok(DirLock { _dir: handle })
}

/// Refuses a path that is a symlink (or anything but a regular file, when it exists).
fn regular_or_missing(path: &Path) -> io::Result<bool> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is a symbolic link; secrets are never written through one",
                path.display()
            ),
        )),
        Ok(m) if !m.is_file() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a regular file", path.display()),
        )),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// The current text of a secret file in `dir` (`None` when it does not exist).
pub fn read(dir: &Path, name: &str) -> io::Result<Option<String>> {
    let path = dir.join(name);
    if !regular_or_missing(&path)? {
        return Ok(None);
    }
    std::fs::read_to_string(&path).map(Some)
}

/// Mode of `.env`.
pub const ENV_MODE: u32 = 0o600;
/// Mode of a secret file (its directory is [`SECRETS_DIR_MODE`]).
pub const SECRET_FILE_MODE: u32 = 0o444;
/// Mode of the directories holding secret files.
pub const SECRETS_DIR_MODE: u32 = 0o700;

/// Creates the directories of `dir/rel`'s parent that are missing, mode 0700 (existing ones are
/// left as they are, but none may be a symlink).
pub fn private_parent(dir: &Path, rel: &str) -> io::Result<()> {
    let mut at = dir.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len().saturating_sub(1)] {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => continue,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a directory", at.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut b = std::fs::DirBuilder::new();
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    b.mode(SECRETS_DIR_MODE);
                }
                b.create(&at)?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Replaces `dir/name` (`name` may hold `/`) with `contents` if it still holds `expected`
/// (`None`: does not exist). The new file is created with `mode` before a byte is written,
/// synced, then renamed over the old one, so a reader sees the old file or the new one, never a
/// part. Call it with the [`lock`] held.
pub fn replace(
    dir: &Path,
    name: &str,
    expected: Option<&str>,
    contents: &str,
    mode: u32,
) -> io::Result<()> {
    let path = dir.join(name);
    let current = read(dir, name)?;
    if current.as_deref() != expected {
        return Err(io::Error::other(format!(
            "{} changed while pmovesc was running; nothing written",
            path.display()
        )));
    }
    let parent = path.parent().unwrap_or(dir).to_path_buf();
    let base = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = parent.join(format!(".{base}.pmovesc-tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        let mut file = options.open(&tmp)?;
        // Exactly `mode`, whatever the umask (a 077 umask would hide a 0444 secret file from
        // the container's user).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &path)?;
        // The rename itself survives a crash once the directory is synced.
        File::open(&parent)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
