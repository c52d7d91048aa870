//! The output directory is shared (docs/security.md): planted links, a linked OUT, huge or
//! strange files in it, a build killed at every step or failing at every step (strace fault
//! injection), and two builds at once. Each test reproduces a way the promise "OUT holds a
//! complete old or a complete new set, and nothing is written outside it or through a link"
//! was broken.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_pmovesc")
}

fn pmovesc(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pmovesc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The old stack: profiles `a` and `b`.
const OLD: &str = r#"project "t"
profile "a" source="image" pins="off" file="a.yml"
profile "b" source="image" pins="off" file="b.yml"
service "api" {
    image "nginx:1.27"
}
"#;

/// The new stack: `a` changes, `b` goes (its file is removed), `c` comes.
const NEW: &str = r#"project "t"
profile "a" source="image" pins="off" file="a.yml"
profile "c" source="image" pins="off" file="c.yml"
service "api" {
    image "nginx:1.28"
}
service "web" {
    image "httpd:2.4"
}
"#;

/// A directory holding `old/s.kdl` and `new/s.kdl`.
fn stacks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in [("old", OLD), ("new", NEW)] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("s.kdl"), text).unwrap();
    }
    dir
}

/// Every entry of `dir` (name -> contents; a link as `-> target`).
fn contents(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).expect("read OUT") {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().unwrap();
        let text = if kind.is_symlink() {
            format!("-> {}", std::fs::read_link(entry.path()).unwrap().display())
        } else {
            std::fs::read_to_string(entry.path()).unwrap()
        };
        files.insert(name, text);
    }
    files
}

/// What a complete build of `stack` into a fresh `out` holds (the headers name `out`).
fn complete_set(root: &Path, stack: &str) -> BTreeMap<String, String> {
    let out = root.join("out");
    let _ = std::fs::remove_dir_all(&out);
    let o = pmovesc(root, &["build", stack, "-o", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let set = contents(&out);
    std::fs::remove_dir_all(&out).unwrap();
    set
}

/// `old` built into OUT, as a fresh copy.
fn fresh_out(root: &Path, old: &BTreeMap<String, String>) -> PathBuf {
    let out = root.join("out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir(&out).unwrap();
    for (name, text) in old {
        std::fs::write(out.join(name), text).unwrap();
    }
    out
}

/// A temporary file (`.pmovesc-tmp-*`; before, `.NAME.pmovesc-tmp-PID`) or the journal.
fn is_transient(name: &str) -> bool {
    name.contains(".pmovesc-tmp-") || name == ".pmovesc-journal"
}

fn strace_available() -> bool {
    let ok = Command::new("strace")
        .args(["-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        support::oracle_missing("strace with ptrace allowed (apt-get install strace)");
    }
    ok
}

/// Runs `build new -o out` under strace with `inject` on the `when`-th call of each syscall in
/// `syscalls`; returns the run and whether the injection fired.
fn build_injected(root: &Path, syscalls: &str, inject: &str, when: usize) -> (Output, bool) {
    let trace = root.join("trace");
    let o = Command::new("strace")
        .current_dir(root)
        .arg("-o")
        .arg(&trace)
        .args(["-e", &format!("trace={syscalls}")])
        .args(["-e", &format!("inject={syscalls}:{inject}:when={when}")])
        .args([bin(), "build", "new", "-o", "out"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run strace");
    let log = std::fs::read_to_string(&trace).unwrap_or_default();
    let fired = log.contains("(INJECTED)") || log.contains("killed by SIGKILL");
    (o, fired)
}

/// Kills (`signal=KILL`) or fails (`error=EIO`) a build at every call of every syscall that
/// changes OUT, and after each: without a journal OUT is exactly the old or the new set;
/// `check` passes only on a complete set and reports what is left over; the next build of
/// either stack leaves exactly its set and nothing else. Before the journal, a kill in the
/// rename loop left old and new files mixed with nothing to say so, and a failed rename said
/// nothing was touched.
fn every_step(inject: &str) {
    if !strace_available() {
        return;
    }
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let new = complete_set(root, "new");
    let mut steps = 0;
    for syscalls in [
        "rename,renameat,renameat2",
        "unlink,unlinkat",
        "fsync,fdatasync",
        "pwrite64",
    ] {
        for when in 1.. {
            let out = fresh_out(root, &old);
            let (run, fired) = build_injected(root, syscalls, inject, when);
            if !fired {
                assert!(run.status.success(), "{}", stderr(&run));
                assert_eq!(contents(&out), new, "an undisturbed build");
                break;
            }
            steps += 1;
            let what = format!("{inject} at {syscalls} #{when}");
            let state = contents(&out);
            let generated: BTreeMap<String, String> = state
                .iter()
                .filter(|(n, _)| !is_transient(n))
                .map(|(n, t)| (n.clone(), t.clone()))
                .collect();
            let journal = state.contains_key(".pmovesc-journal");
            let complete = generated == old || generated == new;
            if !journal {
                assert!(complete, "{what}: OUT holds a mixed set: {generated:#?}");
            }
            if run.status.signal().is_none() && !run.status.success() {
                // A failed build says truly what it left.
                let message = stderr(&run);
                if message.contains("no generated file in it was changed") {
                    assert_eq!(generated, old, "{what}: {message}");
                    assert!(!journal, "{what}: {message}");
                } else {
                    assert!(
                        message.contains("committed but not finished"),
                        "{what}: {message}"
                    );
                }
            }
            // check never writes, and passes only on a complete set with nothing left over.
            let check = pmovesc(root, &["check", "new", "-o", "out"]);
            assert_eq!(contents(&out), state, "{what}: check wrote");
            let clean = state.keys().all(|n| !is_transient(n));
            assert_eq!(
                check.status.success(),
                clean && generated == new,
                "{what}: {}",
                stderr(&check)
            );
            if journal {
                assert!(
                    stderr(&check).contains("stopped before it finished"),
                    "{what}: {}",
                    stderr(&check)
                );
            }
            // The next build of either stack leaves exactly its set.
            let (next, want) = if when % 2 == 0 {
                ("old", &old)
            } else {
                ("new", &new)
            };
            let again = pmovesc(root, &["build", next, "-o", "out"]);
            assert!(again.status.success(), "{what}: {}", stderr(&again));
            assert_eq!(&contents(&out), want, "{what}: then build {next}");
        }
    }
    eprintln!("{inject}: {steps} injection points");
    assert!(steps >= 10, "only {steps} injection points");
}

#[test]
fn a_build_killed_at_any_step_leaves_a_complete_set() {
    every_step("signal=KILL");
}

#[test]
fn a_build_failing_at_any_step_leaves_a_complete_set_and_says_so() {
    every_step("error=EIO");
}

/// Locks `dir` the way another build does (flock on the directory), until dropped.
struct Held {
    _file: std::fs::File,
}

fn hold(dir: &Path) -> Held {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(dir).unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) }, 0);
    Held { _file: f }
}

/// A build while another holds OUT says so and waits: it writes nothing until the other is
/// done. Before the lock, two builds at once deleted each other's temporary files and mixed
/// their sets.
#[test]
fn a_second_build_waits_for_the_first() {
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let new = complete_set(root, "new");
    let out = fresh_out(root, &old);
    for (command, words) in [
        ("build", "waiting for another"),
        ("check", "waiting for the"),
    ] {
        let before = contents(&out);
        let held = hold(&out);
        let mut child = Command::new(bin())
            .current_dir(root)
            .args([command, "new", "-o", "out"])
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().map(Result::unwrap).unwrap_or_default();
        assert!(first.contains(words), "{command}: {first}");
        // It is waiting now, before it has touched anything.
        assert_eq!(contents(&out), before, "{command} wrote while OUT was held");
        drop(held);
        let status = child.wait().unwrap();
        let rest: Vec<String> = lines.map(Result::unwrap).collect();
        if command == "build" {
            assert!(status.success(), "{rest:?}");
            assert_eq!(contents(&out), new);
        } else {
            assert!(status.success(), "{rest:?}");
        }
    }
}

/// Builds of two stacks into one OUT at once, many times: each ends well and OUT holds one
/// complete set, nothing else.
#[test]
fn concurrent_builds_leave_one_complete_set() {
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let new = complete_set(root, "new");
    let out = fresh_out(root, &old);
    for round in 0..25 {
        let spawn = |stack: &str| {
            Command::new(bin())
                .current_dir(root)
                .args(["build", stack, "-o", "out"])
                .stderr(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("old"), spawn("new"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success(), "round {round}: {}", stderr(&a));
        assert!(b.status.success(), "round {round}: {}", stderr(&b));
        let state = contents(&out);
        assert!(state == old || state == new, "round {round}: {state:#?}");
    }
}

/// A symlink planted at every name the old code would have used for a temporary file (its
/// process id was predictable) made the build overwrite the file it leads to. Temporary names
/// are random now and created exclusively: the victim is untouched and the links stay links.
#[test]
fn planted_links_at_temporary_names_are_never_written_through() {
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let out = fresh_out(root, &old);
    let victim = root.join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let last: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    for pid in last + 1..last + 2000 {
        for name in ["a.yml", "c.yml", ".pmovesc-manifest", "compose-lint.yml"] {
            std::os::unix::fs::symlink(&victim, out.join(format!(".{name}.pmovesc-tmp-{pid}")))
                .unwrap();
        }
    }
    let o = pmovesc(root, &["build", "new", "-o", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let links = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_type().unwrap().is_symlink())
        .count();
    assert_eq!(links, 4 * 1999, "the planted links are left as they are");
}

/// An OUT that is a symbolic link was followed silently; now build and check refuse it, also
/// spelled `link/` or `link/.`, and nothing is written where it leads.
#[test]
fn an_out_that_is_a_symlink_is_refused() {
    let root = stacks();
    let root = root.path();
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("link")).unwrap();
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("dangling")).unwrap();
    for out in ["link", "link/", "link/.", "dangling"] {
        for command in ["build", "check"] {
            let o = pmovesc(root, &[command, "new", "-o", out]);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{command} -o {out}: {}",
                stderr(&o)
            );
            assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
        }
    }
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    assert!(!root.join("nowhere").exists());
}

/// Runs pmovesc, killed after a minute (a hang is a failure); returns the run and its peak
/// memory in bytes, from the kernel's account of that one child.
#[allow(clippy::zombie_processes)]
fn run_measured(dir: &Path, args: &[&str]) -> (Output, u64) {
    let child = Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run pmovesc");
    let pid = child.id() as i32;
    // Waits without reaping (the pid stays ours), so a kill after the deadline can only hit
    // this child.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut hung = false;
    loop {
        // SAFETY: an all-zero siginfo is valid; waitid fills it.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
        // SAFETY: asks about our own child only.
        assert_eq!(
            unsafe { libc::waitid(libc::P_PID, pid as u32, &mut info, flags) },
            0
        );
        // SAFETY: filled by waitid for a child event (0: none yet).
        if unsafe { info.si_pid() } != 0 {
            break;
        }
        if std::time::Instant::now() > deadline {
            // SAFETY: our child, not reaped yet.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            hung = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child just spawned, which nothing else waits for.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4");
    let out = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    assert!(!hung, "pmovesc {args:?} hangs");
    (out, usage.ru_maxrss as u64 * 1024)
}

/// A 1 GiB backup in OUT (sparse: no disk used) made `check` and `build` read it whole: 1 GB
/// of memory. Now only generated or recognised names are read, and of other files only their
/// first bytes; a generated name holding something huge is not read whole either.
#[test]
fn huge_unrelated_files_in_out_are_not_read() {
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let out = fresh_out(root, &old);
    let backup = std::fs::File::create(out.join("backup.tar")).unwrap();
    backup.set_len(1 << 30).unwrap();
    let mut huge_ours = b"# Generated by pmovesc\n".to_vec();
    huge_ours.resize(64, b'#');
    std::fs::write(out.join("b.yml"), &huge_ours).unwrap();
    let grown = std::fs::OpenOptions::new()
        .append(true)
        .open(out.join("b.yml"))
        .unwrap();
    grown.set_len(1 << 30).unwrap();
    for args in [["check", "old", "-o", "out"], ["build", "old", "-o", "out"]] {
        let (o, peak) = run_measured(root, &args);
        assert!(o.status.code().is_some(), "{args:?}");
        assert!(
            peak < 200 << 20,
            "{args:?} used {} MiB for a stack of one service",
            peak >> 20
        );
    }
    // The build rewrote its own file and left the backup alone.
    assert_eq!(
        std::fs::read_to_string(out.join("b.yml")).unwrap(),
        old["b.yml"]
    );
    assert_eq!(
        std::fs::metadata(out.join("backup.tar")).unwrap().len(),
        1 << 30
    );
}

/// Entries of OUT named like generated files that are links or FIFOs are never read, replaced
/// or written through, and never make a command hang.
#[test]
fn links_and_fifos_in_out_are_refused_not_followed() {
    let root = stacks();
    let root = root.path();
    let old = complete_set(root, "old");
    let victim = root.join("victim");
    for kind in ["link", "fifo"] {
        std::fs::write(&victim, "precious\n").unwrap();
        let out = fresh_out(root, &old);
        std::fs::remove_file(out.join("a.yml")).unwrap();
        if kind == "link" {
            std::os::unix::fs::symlink(&victim, out.join("a.yml")).unwrap();
        } else {
            let path =
                std::ffi::CString::new(out.join("a.yml").to_string_lossy().as_bytes()).unwrap();
            // SAFETY: a valid C string.
            assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o644) }, 0);
        }
        for command in ["check", "build"] {
            let (o, _) = run_measured(root, &[command, "new", "-o", "out"]);
            assert_ne!(o.status.code(), Some(0), "{kind}: {command}");
        }
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap(),
            "precious\n",
            "{kind}"
        );
        let o = pmovesc(root, &["build", "new", "-o", "out"]);
        assert!(stderr(&o).contains("a.yml"), "{kind}: {}", stderr(&o));
    }
}
