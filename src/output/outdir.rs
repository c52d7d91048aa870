//! The output directory, opened once and used through its descriptor: never through a symbolic
//! link (OUT itself or any entry in it), never blocking on a FIFO, and reading only what pmovesc
//! generates or recognises: the files a build writes, bounded, and of any other file only its
//! first bytes, to see whether it carries pmovesc's header.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};

use crate::targets::HEADER_MARK;

/// Temporary files of a build start with this (then 16 random hex digits).
pub const TEMP_PREFIX: &str = ".pmovesc-tmp-";
/// The journal of a build past its commit point (see [`super::transaction`]).
pub const JOURNAL_FILE: &str = ".pmovesc-journal";

/// How many bytes of a file are read to see whether pmovesc wrote it.
const HEAD_BYTES: usize = 64;

/// The start of the MCP listing pmovesc writes (JSON has no comments to carry the header).
const JSON_MARK: &[u8] = b"{\n  \"servers\": [";

/// What a name in OUT holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Missing,
    /// A regular file, read whole.
    Text(String),
    /// A regular file larger than pmovesc would write there, or not UTF-8: its size and first
    /// bytes only.
    Unread {
        size: u64,
        head: Vec<u8>,
    },
    /// Something pmovesc never reads, replaces or writes through ("a symbolic link", ...).
    NotRegular(&'static str),
}

impl Entry {
    fn head(&self) -> &[u8] {
        match self {
            Entry::Text(t) => t.as_bytes(),
            Entry::Unread { head, .. } => head,
            _ => &[],
        }
    }

    /// Whether pmovesc wrote it: it carries the header or it is the MCP listing.
    pub fn is_generated(&self, name: &str) -> bool {
        let head = self.head();
        head.starts_with(HEADER_MARK.as_bytes())
            || (name.ends_with(".json") && head.starts_with(JSON_MARK))
    }

    /// What it is, for a message ("a symbolic link", "a file of 1073741824 bytes").
    pub fn describe(&self) -> String {
        match self {
            Entry::Missing => "missing".into(),
            Entry::Text(t) => format!("a file of {} bytes", t.len()),
            Entry::Unread { size, .. } => format!("a file of {size} bytes, not read"),
            Entry::NotRegular(kind) => (*kind).into(),
        }
    }
}

/// What a look over OUT's entries found (no file read beyond its first bytes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan {
    /// Regular files carrying pmovesc's header.
    pub ours: BTreeSet<String>,
    /// Leftover temporary files of a build that was killed or failed before its commit point.
    pub temps: Vec<String>,
    /// A build was killed or failed after its commit point: its journal is still there.
    pub interrupted: bool,
}

/// Writes all of `bytes` to the start of the new file `fd` (positioned writes: the file's
/// contents are the only `pwrite`s pmovesc does, which the kill tests single out).
fn write_at_start(fd: &OwnedFd, bytes: &[u8]) -> io::Result<()> {
    let mut done = 0;
    while done < bytes.len() {
        match rustix::io::pwrite(fd, &bytes[done..], done as u64) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// An open output directory.
pub struct OutDir {
    fd: OwnedFd,
    path: PathBuf,
}

fn kind_name(kind: FileType) -> &'static str {
    match kind {
        FileType::Symlink => "a symbolic link",
        FileType::Directory => "a directory",
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice | FileType::BlockDevice => "a device",
        _ => "not a regular file",
    }
}

fn io_err(e: Errno) -> io::Error {
    e.into()
}

/// OUT as given, without a trailing `/` or `/.` (which would make the kernel follow OUT if it
/// is a link).
fn plain(path: &Path) -> PathBuf {
    let p: PathBuf = path.components().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

fn symlink_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; pmovesc never writes or reads an output directory through one (give the directory it leads to)",
            path.display()
        ),
    )
}

impl OutDir {
    /// Opens OUT; `None` when it does not exist. A symbolic link is refused.
    pub fn open(path: &Path) -> io::Result<Option<OutDir>> {
        let at = plain(path);
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::open(&at, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(OutDir {
                fd,
                path: path.to_path_buf(),
            })),
            Err(Errno::NOENT) => match std::fs::symlink_metadata(&at) {
                // A link leading nowhere.
                Ok(m) if m.file_type().is_symlink() => Err(symlink_refused(path)),
                _ => Ok(None),
            },
            Err(e @ (Errno::LOOP | Errno::NOTDIR)) => match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => Err(symlink_refused(path)),
                _ => Err(io::Error::new(
                    io::Error::from(e).kind(),
                    format!("{} is not a directory", path.display()),
                )),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Opens OUT, creating it (and its parents) when missing.
    pub fn create(path: &Path) -> io::Result<OutDir> {
        if let Some(dir) = Self::open(path)? {
            return Ok(dir);
        }
        std::fs::create_dir_all(plain(path))?;
        Self::open(path)?.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} disappeared", path.display()),
            )
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Locks OUT until this is dropped: exclusively for a build, shared for `check`. When
    /// another holds it, calls `on_wait` once and waits.
    pub fn lock(&self, exclusive: bool, on_wait: impl FnOnce()) -> io::Result<()> {
        let (now, wait) = if exclusive {
            (
                FlockOperation::NonBlockingLockExclusive,
                FlockOperation::LockExclusive,
            )
        } else {
            (
                FlockOperation::NonBlockingLockShared,
                FlockOperation::LockShared,
            )
        };
        match rustix::fs::flock(&self.fd, now) {
            Ok(()) => Ok(()),
            Err(Errno::WOULDBLOCK) => {
                on_wait();
                rustix::fs::flock(&self.fd, wait).map_err(io_err)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Opens `name` for reading if it is a regular file (looked at without following a link,
    /// then checked again on what was opened).
    fn open_regular(&self, name: &str) -> io::Result<Result<(File, u64), Entry>> {
        match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => {
                let kind = FileType::from_raw_mode(st.st_mode);
                if kind != FileType::RegularFile {
                    return Ok(Err(Entry::NotRegular(kind_name(kind))));
                }
            }
            Err(Errno::NOENT) => return Ok(Err(Entry::Missing)),
            Err(e) => return Err(e.into()),
        }
        let flags =
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
        let fd = match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(Err(Entry::Missing)),
            Err(Errno::LOOP) => return Ok(Err(Entry::NotRegular("a symbolic link"))),
            Err(e) => return Err(e.into()),
        };
        let st = rustix::fs::fstat(&fd).map_err(io_err)?;
        let kind = FileType::from_raw_mode(st.st_mode);
        if kind != FileType::RegularFile {
            return Ok(Err(Entry::NotRegular(kind_name(kind))));
        }
        Ok(Ok((File::from(fd), st.st_size as u64)))
    }

    /// Reads `name` whole if it is a regular UTF-8 file of at most `limit` bytes; of a larger
    /// one only its first bytes.
    pub fn read(&self, name: &str, limit: u64) -> io::Result<Entry> {
        let (file, size) = match self.open_regular(name)? {
            Ok(found) => found,
            Err(entry) => return Ok(entry),
        };
        let mut bytes = Vec::new();
        let cap = if size > limit {
            HEAD_BYTES as u64
        } else {
            limit + 1
        };
        file.take(cap).read_to_end(&mut bytes)?;
        if size > limit || bytes.len() as u64 > limit {
            bytes.truncate(HEAD_BYTES);
            return Ok(Entry::Unread {
                size: size.max(bytes.len() as u64),
                head: bytes,
            });
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Entry::Text(text)),
            Err(e) => {
                let mut head = e.into_bytes();
                head.truncate(HEAD_BYTES);
                Ok(Entry::Unread { size, head })
            }
        }
    }

    /// sha256 (hex) of `name` if it is a regular file, read in pieces (constant memory).
    pub fn digest(&self, name: &str) -> io::Result<Option<String>> {
        let Ok((mut file, _)) = self.open_regular(name)? else {
            return Ok(None);
        };
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        Ok(Some(super::manifest::hex(&h.finalize())))
    }

    /// Every top-level entry's name and kind (names that are not UTF-8 are not pmovesc's).
    fn entries(&self) -> io::Result<Vec<(String, FileType)>> {
        let mut out = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd).map_err(io_err)? {
            let entry = entry.map_err(io_err)?;
            let Ok(name) = entry.file_name().to_str() else {
                continue;
            };
            if name == "." || name == ".." {
                continue;
            }
            let mut kind = entry.file_type();
            if kind == FileType::Unknown {
                kind = match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => FileType::from_raw_mode(st.st_mode),
                    Err(Errno::NOENT) => continue,
                    Err(e) => return Err(e.into()),
                };
            }
            out.push((name.to_string(), kind));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Looks over OUT: which files carry the header (their first bytes only), which are
    /// leftover temporary files, whether a journal is there.
    pub fn scan(&self) -> io::Result<Scan> {
        let mut scan = Scan::default();
        for (name, kind) in self.entries()? {
            if name == JOURNAL_FILE {
                scan.interrupted = true;
            } else if name.starts_with(TEMP_PREFIX) {
                if matches!(kind, FileType::RegularFile | FileType::Symlink) {
                    scan.temps.push(name);
                }
            } else if kind == FileType::RegularFile
                && self
                    .read(&name, 0)?
                    .head()
                    .starts_with(HEADER_MARK.as_bytes())
            {
                scan.ours.insert(name);
            }
        }
        Ok(scan)
    }

    /// Writes `contents` to a new file with an unpredictable name, created exclusively (never a
    /// file or link already there), permissions as `std::fs::write` gives, synced to disk.
    pub fn write_temp(&self, contents: &[u8]) -> io::Result<String> {
        use rand::TryRngCore;
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY;
        for _ in 0..16 {
            let n = rand::rngs::OsRng.try_next_u64().map_err(io::Error::other)?;
            let name = format!("{TEMP_PREFIX}{n:016x}");
            let fd = match rustix::fs::openat(&self.fd, &name, flags, Mode::from_raw_mode(0o666)) {
                Ok(fd) => fd,
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            };
            let written =
                write_at_start(&fd, contents).and_then(|()| rustix::fs::fsync(&fd).map_err(io_err));
            if let Err(e) = written {
                let _ = self.remove(&name);
                return Err(e);
            }
            return Ok(name);
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temporary file name after 16 tries",
        ))
    }

    /// Renames `from` to `to` inside OUT (replacing `to`, never following a link).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        rustix::fs::renameat(&self.fd, from, &self.fd, to).map_err(|e| {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("renaming {from} to {to}: {e}"),
            )
        })
    }

    /// Removes the entry `name` (a link itself, never what it leads to); gone already is fine.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(e) => Err(io::Error::new(
                io::Error::from(e).kind(),
                format!("removing {name}: {e}"),
            )),
        }
    }

    /// Makes the renames and removals so far survive a crash.
    pub fn sync(&self) -> io::Result<()> {
        rustix::fs::fsync(&self.fd).map_err(io_err)
    }
}

/// What `check` found in OUT: the files a build would write (each read at most to a little over
/// twice its expected size, enough to show a diff) and a look over the rest.
#[derive(Debug, Default)]
pub struct Observed {
    pub files: BTreeMap<String, Entry>,
    pub scan: Scan,
}

/// How much of a file named like a generated one `check` reads: enough for a diff.
fn diff_limit(expected: &str) -> u64 {
    2 * expected.len() as u64 + (1 << 20)
}

impl OutDir {
    /// What `check` compares with `expected`.
    pub fn observe(&self, expected: &BTreeMap<String, String>) -> io::Result<Observed> {
        let mut files = BTreeMap::new();
        for (name, text) in expected {
            files.insert(name.clone(), self.read(name, diff_limit(text))?);
        }
        Ok(Observed {
            files,
            scan: self.scan()?,
        })
    }
}

/// [`OutDir::observe`] on the directory at `out` (missing: every file missing), without a lock.
pub fn observe(out: &Path, expected: &BTreeMap<String, String>) -> io::Result<Observed> {
    match OutDir::open(out)? {
        Some(dir) => dir.observe(expected),
        None => Ok(Observed::default()),
    }
}
