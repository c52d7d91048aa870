//! Reading a stack directory, as the edge of a compiler whose input arrives in pull requests:
//! only regular files inside the directory are read, each at most [`MAX_FILE_BYTES`], without
//! blocking on FIFOs or devices. What cannot be read becomes a diagnostic naming the entry
//! (never its contents) and the stack is not compiled.
//!
//! Symbolic links: a `*.kdl` link is read when it leads to a regular file inside the stack
//! directory (a shared file kept once), and is an error otherwise; links to directories are not
//! followed. Hidden directories (`.git`, ...) are skipped.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rustix::fs::{FileType, Mode, OFlags};

use crate::diag::Code;
use crate::lang::source::SourceMap;

/// The largest stack file read (16 MiB): a stack of 100,000 services is about 10 MiB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// One `*.kdl` entry found below the stack directory.
struct Entry {
    /// The name diagnostics print (the directory as given, then the path inside it).
    name: String,
    /// The path inside the stack directory, with `/`.
    inner: String,
    path: PathBuf,
}

/// Loads every `*.kdl` below `dir` (recursively; `dir` may also be one file) in sorted path
/// order. Fails only when `dir` itself cannot be read; entries that cannot be read are recorded
/// in the [`SourceMap`]'s problems.
pub fn load_stack(dir: &Path) -> io::Result<SourceMap> {
    let meta = std::fs::metadata(dir)?;
    let mut entries = Vec::new();
    let root;
    if meta.is_dir() {
        root = std::fs::canonicalize(dir)?;
        collect(dir, &mut entries)?;
    } else {
        root = std::fs::canonicalize(dir)?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let file = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        entries.push(Entry {
            name: display_name(dir),
            inner: file,
            path: dir.to_path_buf(),
        });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut sources = SourceMap::new();
    for e in entries {
        match read_entry(&e.path, &root) {
            // Bytes that are not UTF-8 are reported by the parser at their place (PMV004).
            Ok(bytes) => {
                sources.add_bytes_at(e.name, e.inner, bytes);
            }
            Err(problem) => {
                let (code, message, label, help) = problem.describe();
                sources.add_unreadable(e.name, e.inner, code, message, label, help);
            }
        }
    }
    Ok(sources)
}

/// Walks the directory tree without recursion (a deep tree cannot overflow the stack) and
/// without following links to directories.
fn collect(dir: &Path, out: &mut Vec<Entry>) -> io::Result<()> {
    let base = display_name(dir);
    let mut pending: Vec<(PathBuf, String)> = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, inner)) = pending.pop() {
        let mut children: Vec<_> = std::fs::read_dir(&path)?.collect::<Result<_, _>>()?;
        children.sort_by_key(|e| e.file_name());
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let kind = child.file_type()?;
            let inner_name = if inner.is_empty() {
                name.clone()
            } else {
                format!("{inner}/{name}")
            };
            if kind.is_dir() {
                if !name.starts_with('.') {
                    pending.push((child.path(), inner_name));
                }
            } else if name.ends_with(".kdl") {
                let shown = if base.is_empty() || base == "." {
                    inner_name.clone()
                } else {
                    format!("{}/{inner_name}", base.trim_end_matches('/'))
                };
                out.push(Entry {
                    name: shown,
                    inner: inner_name,
                    path: child.path(),
                });
            }
        }
    }
    Ok(())
}

fn display_name(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Why an entry was not read.
enum Problem {
    NotRegular(&'static str),
    LinkOutside,
    TooLarge(u64),
    Io(io::Error),
}

impl Problem {
    fn describe(&self) -> (Code, String, &'static str, &'static str) {
        match self {
            Problem::NotRegular(kind) => (
                Code::StackFileNotRegular,
                format!("this stack entry is {kind}, not a regular file; it was not read"),
                "not read",
                "a stack is made of regular `.kdl` files; rename or remove this entry",
            ),
            Problem::LinkOutside => (
                Code::StackFileNotRegular,
                "this stack entry is a symbolic link leading outside the stack directory; it was not read"
                    .to_string(),
                "not read",
                "links may only lead to files inside the stack directory: copy the file in, or link to one inside",
            ),
            Problem::TooLarge(size) => (
                Code::StackFileTooLarge,
                format!(
                    "this stack file is larger than the {} MiB a stack file may hold ({}); it was not read",
                    MAX_FILE_BYTES >> 20,
                    if *size > MAX_FILE_BYTES {
                        format!("{size} bytes")
                    } else {
                        "it grew while being read".to_string()
                    }
                ),
                "not read",
                "split the stack into several files",
            ),
            Problem::Io(e) => (
                Code::StackFileNotRegular,
                format!("this stack file cannot be read: {}", e.kind()),
                "not read",
                "check the file's permissions",
            ),
        }
    }
}

fn kind_name(t: FileType) -> &'static str {
    match t {
        FileType::Fifo => "a FIFO",
        FileType::Socket => "a socket",
        FileType::CharacterDevice => "a character device",
        FileType::BlockDevice => "a block device",
        FileType::Directory => "a directory",
        FileType::Symlink => "a symbolic link",
        _ => "not a regular file",
    }
}

/// Reads one entry: a regular file, or a link to a regular file inside `root`.
fn read_entry(path: &Path, root: &Path) -> Result<Vec<u8>, Problem> {
    let link = std::fs::symlink_metadata(path).map_err(Problem::Io)?;
    let path = if link.file_type().is_symlink() {
        // Resolve it fully; what it leads to must be inside the stack directory.
        let target = std::fs::canonicalize(path).map_err(|_| Problem::LinkOutside)?;
        if !target.starts_with(root) {
            return Err(Problem::LinkOutside);
        }
        target
    } else {
        path.to_path_buf()
    };
    // Never follow a link here (the resolved path has none left; one swapped in meanwhile is
    // refused), never block on a FIFO, and check what was opened, not what was looked at.
    let fd = rustix::fs::open(
        &path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|e| match e {
        rustix::io::Errno::LOOP => Problem::NotRegular("a symbolic link"),
        e => Problem::Io(e.into()),
    })?;
    let stat = rustix::fs::fstat(&fd).map_err(|e| Problem::Io(e.into()))?;
    let kind = FileType::from_raw_mode(stat.st_mode);
    if kind != FileType::RegularFile {
        return Err(Problem::NotRegular(kind_name(kind)));
    }
    let size = stat.st_size as u64;
    if size > MAX_FILE_BYTES {
        return Err(Problem::TooLarge(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    File::from(fd)
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(Problem::Io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Problem::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}
