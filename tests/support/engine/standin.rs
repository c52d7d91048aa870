//! The stand-in image: `examples/standin/` compiled with `rustc`, copied with the shared
//! libraries `ldd` lists into a root filesystem (`/tmp` at mode 1777, the healthcheck tools as
//! symlinks to it), and `docker import`ed with its `ENTRYPOINT`. Built once per content: the tag
//! is a hash of the program's source and the command names linked to it.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{docker, run, run_ok, work_dir};

/// Where the program sits in the image.
pub const PROGRAM: &str = "/standin";

/// The tools the stand-in implements; always linked.
pub const TOOLS: &[&str] = &["curl", "wget", "python3", "python", "node", "sh", "bash"];

/// What the image must hold for one compose model besides the program and [`TOOLS`].
#[derive(Debug, Clone, Default)]
pub struct Needs {
    /// Healthcheck programs the compose file names (`pg_isready`, `/thc`): linked to the
    /// stand-in.
    pub commands: BTreeSet<String>,
    /// Directories the image ships (tmpfs targets): root-owned 0755, as most images ship the
    /// directories they later mount a tmpfs over (`/tmp` and `/var/tmp` 1777). Docker copies an
    /// existing directory's owner and mode onto the tmpfs, so only a tmpfs with `uid=` is
    /// writable by a non-root user on such an image; the test measures exactly that.
    pub dirs: BTreeSet<String>,
}

/// Directories every image has world-writable (sticky).
pub const WORLD_WRITABLE: &[&str] = &["/tmp", "/var/tmp"];

/// A built stand-in image.
#[derive(Debug, Clone)]
pub struct StandIn {
    pub image: String,
}

impl StandIn {
    /// The image holding what `needs` lists; built unless present.
    pub fn build(needs: &Needs) -> Result<StandIn, String> {
        let _lock = super::EngineLock::acquire_named("pmovesc-standin.lock");
        let source = source_files()?;
        let mut hash = Sha256::new();
        for (name, text) in &source {
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update(text);
        }
        let linked: BTreeSet<&str> = needs
            .commands
            .iter()
            .map(String::as_str)
            .filter(|c| linkable(c))
            .collect();
        let dirs: BTreeSet<&str> = needs
            .dirs
            .iter()
            .map(String::as_str)
            .filter(|d| d.starts_with('/') && linkable(d))
            .collect();
        for c in linked.iter().chain([&"--dirs--"]).chain(&dirs) {
            hash.update(c.as_bytes());
            hash.update([0]);
        }
        let tag = hex(&hash.finalize())[..16].to_string();
        let image = format!("pmovesc-standin:{tag}");
        let present = run(
            docker().args(["image", "inspect", "--format", "{{.Id}}", &image]),
            Duration::from_secs(30),
        )?
        .status
        .success();
        if !present {
            let dir = work_dir().join(format!("standin-{tag}"));
            let program = compile(&dir)?;
            let rootfs = dir.join("rootfs");
            assemble(&rootfs, &program, &linked, &dirs)?;
            import(&rootfs, &image)?;
        }
        Ok(StandIn { image })
    }
}

/// A command name a symlink can stand for: a bare name (put in `/bin`) or an absolute path.
fn linkable(c: &str) -> bool {
    !c.is_empty()
        && c != "standin"
        && !c.contains(['\0', ' ', '$', '\'', '"'])
        && !c.split('/').any(|p| p == "..")
        && c != "/"
        && !TOOLS.contains(&c)
}

fn source_dir() -> PathBuf {
    super::super::manifest_dir().join("examples/standin")
}

fn source_files() -> Result<Vec<(String, Vec<u8>)>, String> {
    let dir = source_dir();
    let mut files = Vec::new();
    for entry in fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".rs") {
            files.push((name, fs::read(entry.path()).map_err(|e| e.to_string())?));
        }
    }
    files.sort();
    Ok(files)
}

fn rustc() -> PathBuf {
    if let Some(r) = std::env::var_os("RUSTC") {
        return PathBuf::from(r);
    }
    // Beside the cargo that builds the tests, else on PATH.
    let beside = Path::new(env!("CARGO")).with_file_name("rustc");
    if beside.is_file() {
        beside
    } else {
        PathBuf::from("rustc")
    }
}

fn compile(dir: &Path) -> Result<PathBuf, String> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let program = dir.join("standin");
    run_ok(
        Command::new(rustc())
            .args([
                "--edition",
                "2024",
                "-C",
                "opt-level=2",
                "-C",
                "strip=debuginfo",
            ])
            .arg(source_dir().join("main.rs"))
            .arg("-o")
            .arg(&program),
        Duration::from_secs(300),
    )
    .map_err(|e| format!("compiling the stand-in: {e}"))?;
    Ok(program)
}

/// The shared libraries `ldd` lists for `program` (the loader included), as absolute paths.
fn libraries(program: &Path) -> Result<Vec<PathBuf>, String> {
    let out = run_ok(Command::new("ldd").arg(program), Duration::from_secs(30))?;
    let mut libs = Vec::new();
    for line in out.lines() {
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((_, right)) => right.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            libs.push(PathBuf::from(p));
        }
    }
    Ok(libs)
}

fn assemble(
    rootfs: &Path,
    program: &Path,
    linked: &BTreeSet<&str>,
    dirs: &BTreeSet<&str>,
) -> Result<(), String> {
    let err = |what: &str, e: std::io::Error| format!("stand-in rootfs: {what}: {e}");
    if rootfs.exists() {
        fs::remove_dir_all(rootfs).map_err(|e| err("clean", e))?;
    }
    for d in ["bin", "etc", "tmp", "proc", "sys", "dev", "run"] {
        fs::create_dir_all(rootfs.join(d)).map_err(|e| err(d, e))?;
    }
    for d in ["", "bin", "etc", "proc", "sys", "dev", "run"] {
        fs::set_permissions(rootfs.join(d), fs::Permissions::from_mode(0o755))
            .map_err(|e| err(d, e))?;
    }
    fs::set_permissions(rootfs.join("tmp"), fs::Permissions::from_mode(0o1777))
        .map_err(|e| err("tmp", e))?;
    let target = rootfs.join(PROGRAM.trim_start_matches('/'));
    fs::copy(program, &target).map_err(|e| err("program", e))?;
    fs::set_permissions(&target, fs::Permissions::from_mode(0o755))
        .map_err(|e| err("program", e))?;
    for lib in libraries(program)? {
        let dest = rootfs.join(lib.strip_prefix("/").unwrap_or(&lib));
        fs::create_dir_all(dest.parent().unwrap_or(rootfs)).map_err(|e| err("lib dir", e))?;
        // The library's content at the path ldd names (symlinks resolved).
        fs::copy(&lib, &dest).map_err(|e| err(&lib.display().to_string(), e))?;
    }
    for tool in TOOLS.iter().copied().chain(linked.iter().copied()) {
        let dest = if tool.starts_with('/') {
            rootfs.join(tool.trim_start_matches('/'))
        } else {
            rootfs.join("bin").join(tool)
        };
        fs::create_dir_all(dest.parent().unwrap_or(rootfs)).map_err(|e| err("link dir", e))?;
        if !dest.exists() {
            symlink(PROGRAM, &dest).map_err(|e| err(tool, e))?;
        }
    }
    for d in dirs {
        let path = rootfs.join(d.trim_start_matches('/'));
        fs::create_dir_all(&path).map_err(|e| err(d, e))?;
        // Every directory on the way is an image's ordinary root-owned directory.
        let mut p = path.as_path();
        while p != rootfs {
            let mode = if WORLD_WRITABLE.iter().any(|w| rootfs.join(&w[1..]) == p) {
                0o1777
            } else {
                0o755
            };
            fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(|e| err(d, e))?;
            p = p.parent().unwrap_or(rootfs);
        }
    }
    // Names from /etc/hosts (localhost, the service's own), then the engine's DNS.
    fs::write(rootfs.join("etc/nsswitch.conf"), "hosts: files dns\n")
        .map_err(|e| err("nsswitch.conf", e))?;
    fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n",
    )
    .map_err(|e| err("passwd", e))?;
    fs::write(rootfs.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")
        .map_err(|e| err("group", e))?;
    Ok(())
}

fn import(rootfs: &Path, image: &str) -> Result<(), String> {
    let mut tar = Command::new("tar")
        .args(["--numeric-owner", "--owner=0", "--group=0", "-C"])
        .arg(rootfs)
        .args(["-cf", "-", "."])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("tar: {e}"))?;
    let stdout = tar.stdout.take().ok_or("tar: no stdout")?;
    let out = docker()
        .args([
            "import",
            "--change",
            &format!("ENTRYPOINT [\"{PROGRAM}\"]"),
            "-",
            image,
        ])
        .stdin(Stdio::from(stdout))
        .output()
        .map_err(|e| format!("docker import: {e}"))?;
    let tar_status = tar.wait().map_err(|e| format!("tar: {e}"))?;
    if !tar_status.success() || !out.status.success() {
        return Err(format!(
            "importing the stand-in failed (tar {tar_status}): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
