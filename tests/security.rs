//! Hostile stacks and hostile directories against the real binary: what a stack from a pull
//! request or a planted file in a shared directory can make `build`, `check` and `validate` do.
//! Each test reproduces one way a promise of docs/security.md was broken.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pmovesc(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pmovesc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const STACK: &str = r#"project "t"
profile "prod" source="image" pins="off" file="prod.yml"
service "api" {
    image "nginx:1.27"
}
"#;

/// A temporary directory holding `stack/s.kdl`.
fn project(stack: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stack")).unwrap();
    std::fs::write(dir.path().join("stack/s.kdl"), stack).unwrap();
    let root = dir.path().to_path_buf();
    (dir, root)
}

/// A newline in the stack or output directory's name stays inside the header's comment: the
/// generated file is the same YAML document, with no service the directory name smuggled in.
#[test]
fn directory_names_cannot_inject_yaml_through_the_header() {
    let (_d, root) = project(STACK);
    let evil = "st\nservices:\n  evil:\n    image: evil\n#";
    std::fs::rename(root.join("stack"), root.join(evil)).unwrap();
    let out_name = "out\u{2028}x:\n  y: 1";
    let o = pmovesc(&root, &["build", evil, "-o", out_name]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(root.join(out_name).join("prod.yml")).unwrap();
    let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
    assert_eq!(header.len(), 2, "the header is two comment lines:\n{text}");
    assert!(
        !text.contains("\nservices:\n  evil") && !text.contains('\u{2028}'),
        "{text}"
    );
    let parsed: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
    assert_eq!(
        parsed["services"].as_object().map(|s| s.len()),
        Some(1),
        "{text}"
    );
    assert!(parsed.get("x").is_none(), "{text}");
    // The regenerate command pastes back into a shell as the same directories.
    assert!(
        header[1].contains("$'st\\u000aservices:"),
        "the command quotes the name: {}",
        header[1]
    );
}

/// Runs pmovesc and kills it if it has not finished within a minute: a hang is a failure, not a
/// test that never ends.
fn pmovesc_bounded(dir: &Path, args: &[&str]) -> Output {
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
    match rx.recv_timeout(std::time::Duration::from_secs(60)) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("pmovesc {args:?} hangs");
        }
    }
}

/// A `*.kdl` link to a file outside the stack is not read: its contents (a private key, say)
/// never reach a diagnostic, and the stack is not compiled.
#[test]
fn stack_links_leading_outside_are_not_read() {
    let (_d, root) = project(STACK);
    std::fs::write(
        root.join("id_rsa"),
        "-----BEGIN KEY----- secret-material-7f3a\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("id_rsa"), root.join("stack/key.kdl")).unwrap();
    for cmd in ["validate", "build", "check"] {
        let mut args = vec![cmd, "stack"];
        if cmd != "validate" {
            args.extend(["-o", "out"]);
        }
        for format in ["human", "json"] {
            let mut a = args.clone();
            a.extend(["--message-format", format]);
            let o = pmovesc_bounded(&root, &a);
            let text = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd}: {text}");
            assert!(
                !text.contains("secret-material"),
                "{cmd} leaks the file: {text}"
            );
            assert!(text.contains("PMV020"), "{cmd}: {text}");
            assert!(text.contains("stack/key.kdl"), "{cmd}: {text}");
        }
    }
    assert!(!root.join("out").exists(), "nothing is written");
    // A link to /dev/zero is not a regular file: refused at once, nothing read.
    std::fs::remove_file(root.join("stack/key.kdl")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", root.join("stack/zero.kdl")).unwrap();
    let o = pmovesc_bounded(&root, &["validate", "stack"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("PMV020"), "{}", stderr(&o));
}

/// A link to a file inside the stack directory is read like the file itself.
#[test]
fn stack_links_inside_the_stack_are_read() {
    let (_d, root) = project(STACK);
    std::fs::create_dir(root.join("stack/shared")).unwrap();
    std::fs::write(
        root.join("stack/shared/net.kdl"),
        "network \"net\" subnet=\"172.30.7.0/24\"\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("shared/net.kdl", root.join("stack/net.kdl")).unwrap();
    let o = pmovesc_bounded(&root, &["validate", "stack"]);
    // The network is defined twice (the file and the link to it), which shows both were read.
    assert!(
        stderr(&o).contains("network `net` is defined twice"),
        "{}",
        stderr(&o)
    );
}

/// A FIFO named `*.kdl` does not hang any command; it is reported.
#[test]
fn a_fifo_in_the_stack_does_not_hang() {
    let (_d, root) = project(STACK);
    let fifo = root.join("stack/pipe.kdl");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for args in [
        vec!["validate", "stack"],
        vec!["build", "stack", "-o", "out"],
        vec!["check", "stack", "-o", "out"],
    ] {
        let o = pmovesc_bounded(&root, &args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("is a FIFO"), "{}", stderr(&o));
    }
    // Named directly, too.
    let o = pmovesc_bounded(&root, &["validate", "stack/pipe.kdl"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

/// A stack file over the limit is refused without being read (a sparse 17 MiB file: nothing is
/// allocated for it).
#[test]
fn oversized_stack_files_are_refused_unread() {
    let (_d, root) = project(STACK);
    let f = std::fs::File::create(root.join("stack/huge.kdl")).unwrap();
    // 17 MiB, over the 16 MiB of MAX_FILE_BYTES.
    f.set_len(17 * 1024 * 1024).unwrap();
    let o = pmovesc_bounded(&root, &["validate", "stack", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("\"code\":\"PMV021\""), "{}", stderr(&o));
}

/// The manifest is the same however STACKS is spelled, so the committed one does not churn.
#[test]
fn the_manifest_does_not_depend_on_how_the_stack_is_spelled() {
    let (_d, root) = project(STACK);
    let absolute = root.join("stack").to_string_lossy().into_owned();
    let mut manifests = Vec::new();
    for spelling in ["stack", "./stack/", "stack//", absolute.as_str()] {
        let o = pmovesc(&root, &["build", spelling, "-o", "out"]);
        assert!(o.status.success(), "{}", stderr(&o));
        manifests.push((
            spelling.to_string(),
            std::fs::read_to_string(root.join("out/.pmovesc-manifest")).unwrap(),
        ));
        let o = pmovesc(&root, &["check", spelling, "-o", "out"]);
        assert!(o.status.success(), "check {spelling}: {}", stderr(&o));
    }
    for (spelling, m) in &manifests[1..] {
        assert_eq!(m, &manifests[0].1, "`{spelling}` gives another manifest");
    }
}
