//! Inputs built to break the compiler rather than to describe a stack: long inheritance chains
//! and cycles, thousands of `when` blocks, long lines, exotic newlines, floods of diagnostics.
//! Each runs the real binary and asserts it ends on its own terms: an exit code, never a signal
//! (a stack overflow aborts with SIGABRT), never a hang.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

/// Runs pmovesc; a hang (over five minutes) fails the test instead of stalling it.
fn run(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run pmovesc");
    let pid = child.id();
    // The output is read while waiting (a full pipe would stall the child).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(300)) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("pmovesc {args:?} hangs");
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` as `stack/s.kdl` in a fresh directory.
fn stack(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stack")).unwrap();
    std::fs::write(dir.path().join("stack/s.kdl"), text).unwrap();
    dir
}

/// Exits with `code` (not killed by a signal) and says `needle`.
fn assert_ends(o: &Output, code: i32, needle: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert!(
        o.status.signal().is_none(),
        "killed by signal {:?}: {}",
        o.status.signal(),
        &stderr(o)[..stderr(o).len().min(2000)]
    );
    assert_eq!(
        o.status.code(),
        Some(code),
        "{}",
        &stderr(o)[..stderr(o).len().min(2000)]
    );
    assert!(
        stderr(o).contains(needle),
        "no `{needle}` in {}",
        &stderr(o)[..stderr(o).len().min(2000)]
    );
}

#[test]
fn a_long_template_chain_is_an_error_not_a_stack_overflow() {
    let mut s = String::from("project \"t\"\n");
    for i in 0..600 {
        let _ = writeln!(
            s,
            "template \"t{i}\" from=\"t{}\" {{\n    env {{\n        A{i} \"x\"\n    }}\n}}",
            i + 1
        );
    }
    s.push_str("template \"t600\" {\n}\nservice \"s\" from=\"t0\" {\n    image \"x:1\"\n}\n");
    let d = stack(&s);
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV024");
    assert_eq!(
        stderr(&o).matches("PMV024").count(),
        1,
        "one report per chain"
    );
}

#[test]
fn a_long_template_cycle_is_an_error_not_a_stack_overflow() {
    let mut s = String::from("project \"t\"\n");
    for i in 0..510 {
        let _ = writeln!(s, "template \"t{i}\" from=\"t{}\" {{\n}}", (i + 1) % 510);
    }
    s.push_str("service \"s\" from=\"t0\" {\n    image \"x:1\"\n}\n");
    let d = stack(&s);
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV024");
}

#[test]
fn a_long_class_chain_is_an_error_not_a_stack_overflow() {
    let mut s = String::from("project \"t\"\n");
    for i in 0..1850 {
        let _ = writeln!(
            s,
            "hardening \"c{i}\" extends=\"c{}\" {{\n    restart \"no\"\n}}",
            i + 1
        );
    }
    s.push_str(
        "hardening \"c1850\" {\n}\nservice \"s\" {\n    image \"x:1\"\n    hardening \"c0\"\n}\n",
    );
    let d = stack(&s);
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV024");
}

/// Chains within the limit still resolve (and cycles are still cycles).
#[test]
fn chains_within_the_limit_resolve() {
    let mut s = String::from("project \"t\"\nprofile \"p\" source=\"image\" pins=\"off\"\n");
    for i in 0..63 {
        let _ = writeln!(
            s,
            "template \"t{i}\" from=\"t{}\" {{\n    env {{\n        A{i} \"x\"\n    }}\n}}",
            i + 1
        );
    }
    s.push_str("template \"t63\" {\n    env {\n        LAST \"last\"\n    }\n}\nservice \"s\" from=\"t0\" {\n    image \"x:1\"\n}\n");
    let d = stack(&s);
    let o = run(d.path(), &["build", "stack", "-o", "out"]);
    assert_ends(&o, 0, "wrote");
    let out = std::fs::read_to_string(d.path().join("out/docker-compose.p.yml")).unwrap();
    assert!(
        out.contains("LAST: last") && out.contains("A0: x") && out.contains("A62: x"),
        "{out}"
    );
    let cyc =
        stack("project \"t\"\ntemplate \"a\" from=\"b\" {\n}\ntemplate \"b\" from=\"a\" {\n}\n");
    let o = run(cyc.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "templates inherit in a cycle: a -> b -> a");
}

/// 15,000 `when` blocks in one service: applied in place, linear.
#[test]
fn thousands_of_when_blocks() {
    let mut s = String::from(
        "project \"t\"\nprofile \"gpu\" source=\"image\" pins=\"off\" gpu=#true\nservice \"s\" {\n    image \"x:1\"\n",
    );
    for i in 0..15_000 {
        let _ = writeln!(
            s,
            "    when \"gpu\" {{\n        env {{\n            A{i} \"x\"\n        }}\n    }}"
        );
    }
    s.push_str("}\n");
    let d = stack(&s);
    let o = run(d.path(), &["build", "stack", "-o", "out"]);
    assert_ends(&o, 0, "wrote");
    let out = std::fs::read_to_string(d.path().join("out/docker-compose.gpu.yml")).unwrap();
    assert!(out.contains("A14999: x"), "the last block applies");
}

/// A dependency cycle through 20,000 services, each also depending on the first: every back
/// edge is a cycle, and each message stays short.
#[test]
fn long_dependency_cycles_have_short_messages() {
    let n = 20_000;
    let mut s = String::from("project \"t\"\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "service \"s{i}\" {{\n    image \"x:1\"\n    depends-on \"s{}\"\n    depends-on \"s0\"\n}}",
            (i + 1) % n
        );
    }
    let d = stack(&s);
    let o = run(d.path(), &["validate", "stack", "--message-format", "json"]);
    assert_ends(&o, 1, "PMV202");
    let longest = stderr(&o).lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 2000, "a diagnostic line of {longest} bytes");
}

/// The CPU seconds (user + system) one run of pmovesc takes, read from the kernel's account of
/// that one child (not the wall clock, and not other tests' children). The child is reaped by
/// `wait4` itself, which std cannot see.
#[allow(clippy::zombie_processes)]
fn cpu_seconds(dir: &Path, args: &[&str]) -> (f64, Output) {
    use std::os::unix::process::ExitStatusExt;
    let child = Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run pmovesc");
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for the child just spawned, which nothing else waits for.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let out = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    (secs(usage.ru_utime) + secs(usage.ru_stime), out)
}

/// A scaling test, not a timed one: the same input at size `n` and `4n`; linear work takes
/// about 4 times as long, quadratic 16 times. Asserts under 8, with `n` chosen so the small run
/// takes a good fraction of a second.
fn assert_linear(what: &str, n: usize, make: impl Fn(usize) -> String, args: &[&str]) {
    let small = stack(&make(n));
    let large = stack(&make(4 * n));
    // The better of two runs each, to shrug off a busy machine.
    let best = |d: &tempfile::TempDir| {
        (0..2)
            .map(|_| cpu_seconds(d.path(), args).0)
            .fold(f64::INFINITY, f64::min)
    };
    let (t1, t4) = (best(&small), best(&large));
    let ratio = t4 / t1.max(0.01);
    eprintln!("{what}: n={n}: {t1:.2}s, 4n: {t4:.2}s, ratio {ratio:.1}");
    assert!(
        ratio < 8.0,
        "{what} grows faster than linear: {t1:.2}s for n={n}, {t4:.2}s for 4n"
    );
}

/// 40,000 warnings in one file (every service unpinned) render in time linear in their number.
#[test]
fn many_diagnostics_in_one_file_render_in_linear_time() {
    let make = |n: usize| {
        let mut s = String::from("project \"t\"\nprofile \"p\" source=\"image\" pins=\"warn\"\n");
        for i in 0..n {
            let _ = writeln!(s, "service \"s{i}\" {{\n    image \"x:1\"\n}}");
        }
        s
    };
    assert_linear("human rendering", 10_000, make, &["validate", "stack"]);
    assert_linear(
        "json rendering",
        10_000,
        make,
        &["validate", "stack", "--message-format", "json"],
    );
}

/// A misspelt name of a megabyte: did-you-mean does not compare it character by character.
#[test]
fn did_you_mean_with_a_huge_name_is_bounded() {
    let make = |n: usize| {
        format!(
            "project \"t\"\nservice \"api\" {{\n    image \"x:1\"\n    depends-on \"{}\"\n}}\n",
            "q".repeat(n)
        )
    };
    assert_linear("did-you-mean", 250_000, make, &["validate", "stack"]);
    let d = stack(&make(1_000_000));
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV201");
    assert!(
        stderr(&o).len() < 100_000,
        "the message is cut: {} bytes",
        stderr(&o).len()
    );
}

/// A diagnostic past column 65,535 (miette cannot draw it): shown as a window of the line, at
/// the right line and column in both formats.
#[test]
fn diagnostics_on_very_long_lines() {
    let pad = " ".repeat(70_000);
    let d = stack(&format!(
        "project \"t\"\n{pad}bogus 1\nnetwork \"n\"{pad}; network \"n\"\n"
    ));
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV101");
    let text = stderr(&o);
    assert!(
        text.contains("stack/s.kdl:2:70001"),
        "{}",
        &text[..text.len().min(3000)]
    );
    assert!(text.contains("PMV111"), "two labels far apart on one line");
    assert!(
        text.len() < 20_000,
        "a window of the line, not the line: {} bytes",
        text.len()
    );
    let o = run(d.path(), &["validate", "stack", "--message-format", "json"]);
    assert!(
        stderr(&o).contains("\"line\":2,\"column\":70001"),
        "{}",
        stderr(&o)
    );
}

/// Every KDL newline (CRLF, CR, LF, NEL, VT, FF, LS, PS) counts as one line, and the human and
/// JSON outputs agree.
#[test]
fn positions_follow_every_kdl_newline() {
    let text = "project \"t\"\r\n\rnetwork \"a\"\u{b}network \"b\"\u{c}network \"c\"\u{85}network \"d\"\u{2028}network \"e\"\u{2029}bogus 1\n";
    let d = stack(text);
    let o = run(d.path(), &["validate", "stack"]);
    assert_ends(&o, 1, "PMV101");
    assert!(stderr(&o).contains("stack/s.kdl:8:1]"), "{}", stderr(&o));
    assert!(stderr(&o).contains(" 8 │ bogus 1"), "{}", stderr(&o));
    let o = run(d.path(), &["validate", "stack", "--message-format", "json"]);
    assert!(
        stderr(&o).contains("\"line\":8,\"column\":1"),
        "{}",
        stderr(&o)
    );
}
