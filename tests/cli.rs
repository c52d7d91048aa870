//! The real binary: build, check on fresh and drifted output, validate, message formats,
//! all-or-nothing writes and determinism.

mod support;

use std::collections::BTreeMap;
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
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// A fresh project directory holding a copy of the example stack at `stack/`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &support::manifest_dir().join("examples/design/stack"),
        &dir.path().join("stack"),
    );
    let root = dir.path().to_path_buf();
    (dir, root)
}

fn snapshot_dir(dir: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let meta = e.metadata().unwrap();
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                (std::fs::read(e.path()).unwrap(), meta.modified().unwrap()),
            );
        }
    }
    out
}

#[test]
fn build_writes_every_profile_and_the_pin_file() {
    let (_t, root) = project();
    let o = pmovesc(&root, &["build", "stack", "-o", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<String> = snapshot_dir(&root.join("out")).into_keys().collect();
    assert_eq!(
        files,
        [
            ".compose-lint.yml",
            ".gitignore",
            ".pmovesc-manifest",
            "docker-compose.dev-local.yml",
            "docker-compose.gpu.yml",
            "docker-compose.hardened.yml",
            "docker-compose.published.yml",
            "env.shared",
            "inputs.check.env",
            "inputs.example.env",
            "mcp-catalog.docker.yaml",
            "mcp-catalog.json"
        ]
    );
    // Matches the committed example output byte for byte (headers are path-independent); the
    // manifest records the paths the build was run with, so it is compared by the tests of
    // src/manifest.rs instead.
    let expected = support::manifest_dir().join("examples/design/out");
    for f in files.iter().filter(|f| *f != ".pmovesc-manifest") {
        let got = std::fs::read_to_string(root.join("out").join(f)).unwrap();
        let want = std::fs::read_to_string(expected.join(f)).unwrap();
        let got = got.replace(
            "pmovesc build stack -o out",
            "pmovesc build examples/design/stack -o examples/design/out",
        );
        assert_eq!(got, want, "{f} differs from the committed example output");
    }
    // A second build changes nothing.
    let before = snapshot_dir(&root.join("out"));
    let o = pmovesc(&root, &["build", "stack", "-o", "out"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("is up to date"), "{}", stderr(&o));
    assert_eq!(before, snapshot_dir(&root.join("out")));
}

#[test]
fn generated_files_hold_no_absolute_path_and_no_timestamp() {
    let (_t, root) = project();
    let abs = root.join("stack");
    let o = pmovesc(
        &root,
        &[
            "build",
            abs.to_str().unwrap(),
            "-o",
            root.join("out").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Today's date in the forms a generator would stamp, and any date-time at all.
    let today = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .unwrap();
    let today = String::from_utf8(today.stdout).unwrap().trim().to_string();
    assert_eq!(today.len(), 10, "date -u +%Y-%m-%d: {today}");
    let stamp = regex::Regex::new(r"\b(19|20)\d\d-\d\d-\d\d[T ]\d\d:\d\d|\b1[6-9]\d{8}\b").unwrap();
    for (name, (bytes, _)) in snapshot_dir(&root.join("out")) {
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            !text.contains(root.to_str().unwrap()),
            "{name} holds an absolute path"
        );
        assert!(!text.contains(&today), "{name} holds today's date");
        assert!(
            !text.contains(&today.replace('-', "")),
            "{name} holds today's date"
        );
        if let Some(m) = stamp.find(&text) {
            panic!("{name} holds a timestamp: `{}`", m.as_str());
        }
        if name.ends_with(".json") {
            continue; // JSON has no comments: the catalog carries no header
        }
        assert!(
            text.starts_with("# Generated by pmovesc"),
            "{name} has no header"
        );
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .contains("pmovesc build stack -o out"),
            "{name}: {}",
            text.lines().nth(1).unwrap()
        );
    }
}

#[test]
fn check_passes_on_fresh_output_and_fails_with_a_diff_on_a_hand_edit() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let file = root.join("out/docker-compose.hardened.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("read_only: true", "read_only: false");
    assert_ne!(text, edited);
    std::fs::write(&file, &edited).unwrap();
    let before = snapshot_dir(&root.join("out"));
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(1));
    let diff = stdout(&o);
    assert!(
        diff.contains("--- docker-compose.hardened.yml (on disk)"),
        "{diff}"
    );
    assert!(
        diff.contains("+++ docker-compose.hardened.yml (generated)"),
        "{diff}"
    );
    assert!(
        diff.contains("-    read_only: false") && diff.contains("+    read_only: true"),
        "{diff}"
    );
    assert!(
        stderr(&o).contains("docker-compose.hardened.yml: stale"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("run `pmovesc build stack -o out`"),
        "{}",
        stderr(&o)
    );
    // check never writes.
    assert_eq!(before, snapshot_dir(&root.join("out")));
}

/// Drift that is only whitespace is drift: `check` compares bytes, so a trailing space, a
/// missing final newline or a CRLF line ending in a generated file fails it.
#[test]
fn check_fails_on_drift_that_is_only_whitespace() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    let file = root.join("out/docker-compose.published.yml");
    let fresh = std::fs::read_to_string(&file).unwrap();
    let edits: [(&str, String); 4] = [
        (
            "a trailing space",
            fresh.replacen("services:\n", "services: \n", 1),
        ),
        (
            "a trailing tab",
            fresh.replacen("services:\n", "services:\t\n", 1),
        ),
        ("no final newline", fresh.trim_end_matches('\n').to_string()),
        ("CRLF line endings", fresh.replace('\n', "\r\n")),
    ];
    for (what, edited) in edits {
        assert_ne!(edited, fresh, "{what}");
        std::fs::write(&file, &edited).unwrap();
        let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "check passes with {what}: {}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("docker-compose.published.yml: stale"),
            "{what}: {}",
            stderr(&o)
        );
        // check never writes
        assert_eq!(std::fs::read_to_string(&file).unwrap(), edited, "{what}");
    }
    std::fs::write(&file, &fresh).unwrap();
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn check_reports_missing_and_orphaned_files() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    std::fs::remove_file(root.join("out/env.shared")).unwrap();
    std::fs::write(
        root.join("out/docker-compose.old.yml"),
        "# Generated by pmovesc. Do not edit.\nservices: {}\n",
    )
    .unwrap();
    std::fs::write(root.join("out/notes.txt"), "mine\n").unwrap();
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("env.shared: missing"), "{err}");
    assert!(
        err.contains("docker-compose.old.yml: generated by pmovesc but no longer produced"),
        "{err}"
    );
    assert!(!err.contains("notes.txt"), "{err}");
    // build repairs both: writes the missing file, removes our orphan, keeps the user's file.
    let o = pmovesc(&root, &["build", "stack", "-o", "out"]);
    assert!(o.status.success());
    assert!(root.join("out/env.shared").exists());
    assert!(!root.join("out/docker-compose.old.yml").exists());
    assert!(root.join("out/notes.txt").exists());
    assert!(
        pmovesc(&root, &["check", "stack", "-o", "out"])
            .status
            .success()
    );
}

#[test]
fn a_build_with_an_error_changes_nothing() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    let before = snapshot_dir(&root.join("out"));
    let services = root.join("stack/services.kdl");
    let text = std::fs::read_to_string(&services).unwrap();
    // A valid change (which would alter the output) next to an error.
    let broken = text
        .replace("PORT \"8091\"", "PORT \"9999\"")
        .replace("depends-on \"qdrant\"", "depends-on \"qdrnt\"");
    std::fs::write(&services, broken).unwrap();
    let o = pmovesc(&root, &["build", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("service `qdrnt` is not defined"), "{err}");
    assert!(err.contains("did you mean `qdrant`?"), "{err}");
    assert!(err.contains("nothing written"), "{err}");
    assert_eq!(before, snapshot_dir(&root.join("out")));
    let leftovers: Vec<_> = std::fs::read_dir(root.join("out"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("pmovesc-tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn validate_reports_every_problem_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("s")).unwrap();
    std::fs::write(
        dir.path().join("s/a.kdl"),
        "project \"t\"\nservice \"api\" {\n    image \"nginx:1.27\"\n    port 70000\n    netwrk \"x\"\n}\n",
    ).unwrap();
    let o = pmovesc(dir.path(), &["validate", "s"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("s/a.kdl:4:10"), "{err}");
    assert!(err.contains("s/a.kdl:5:5"), "{err}");
    assert!(err.contains("did you mean `network`?"), "{err}");
    assert!(err.contains("2 errors"), "{err}");
    assert!(!dir.path().join("out").exists());

    let o = pmovesc(dir.path(), &["validate", "s", "--message-format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let lines: Vec<serde_json::Value> = stderr(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert!(lines.len() >= 2);
    let port = lines
        .iter()
        .find(|l| l["code"] == "PMV106")
        .expect("port diagnostic");
    assert_eq!(port["file"], "s/a.kdl");
    assert_eq!(port["line"], 4);
    assert_eq!(port["column"], 10);
    assert_eq!(port["severity"], "error");
    assert!(port["message"].as_str().unwrap().contains("70000"));
    assert!(port["help"].is_string());
    for l in &lines {
        for key in [
            "file", "line", "column", "code", "severity", "message", "help",
        ] {
            assert!(l.get(key).is_some(), "{key} missing in {l}");
        }
    }
}

#[test]
fn validate_passes_a_valid_stack_and_strict_fails_on_warnings() {
    let (_t, root) = project();
    let o = pmovesc(&root, &["validate", "stack"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The example's images carry tags, not digests: one PMV309 per image. Its `baseline` class
    // (the design page's) is laxer than a hardened profile asks (PMV511, one per service), and
    // two databases publish ports from an internal network only (PMV503); nothing else.
    // Quiet by default: the first in full, the other eight as places, and a last line.
    let err = stderr(&o);
    assert_eq!(err.matches("PMV309(unpinned-image)").count(), 2, "{err}");
    assert!(
        err.contains("… and 8 more PMV309(unpinned-image) warnings like this one"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with(
            "stack: no errors in 4 files (9 images unpinned: run `pmovesc pin`; 7 more warnings)"
        ),
        "{err}"
    );
    let o = pmovesc(&root, &["validate", "stack", "--verbose"]);
    let err = stderr(&o);
    assert_eq!(err.matches("PMV309(unpinned-image)").count(), 9, "{err}");
    assert_eq!(
        err.matches("PMV511(hardening-weakness)").count(),
        5,
        "{err}"
    );
    assert_eq!(
        err.matches("PMV503(port-on-internal-network)").count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("image of `qdrant` is not pinned by digest"),
        "{err}"
    );
    let o = pmovesc(&root, &["build", "stack", "-o", "out", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("16 errors"),
        "--strict makes each warning an error: {}",
        stderr(&o)
    );
    assert!(!root.join("out").exists() || snapshot_dir(&root.join("out")).is_empty());
}

#[test]
fn an_empty_stack_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = pmovesc(dir.path(), &["validate", "empty"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("PMV002"), "{}", stderr(&o));
    let o = pmovesc(dir.path(), &["build", "missing-dir", "-o", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read stack"), "{}", stderr(&o));
}

#[test]
fn profile_selection_builds_only_that_profile() {
    let (_t, root) = project();
    let o = pmovesc(
        &root,
        &["build", "stack", "-o", "out", "--profile", "hardened"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let files: Vec<String> = snapshot_dir(&root.join("out")).into_keys().collect();
    assert_eq!(
        files,
        [
            ".compose-lint.yml",
            ".gitignore",
            ".pmovesc-manifest",
            "docker-compose.hardened.yml",
            "env.shared",
            "inputs.check.env",
            "inputs.example.env",
            "mcp-catalog.docker.yaml",
            "mcp-catalog.json"
        ]
    );
    let o = pmovesc(
        &root,
        &["check", "stack", "-o", "out", "--profile", "hardened"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = pmovesc(
        &root,
        &["build", "stack", "-o", "out", "--profile", "hardend"],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `hardened`?"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn output_does_not_depend_on_file_names_or_read_order() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out1"])
            .status
            .success()
    );
    // Same definitions, spread over files whose sorted order is reversed, in a nested directory.
    let names = ["gpu.kdl", "hardening.kdl", "project.kdl", "services.kdl"];
    std::fs::create_dir_all(root.join("renamed/nested")).unwrap();
    for (i, n) in names.iter().enumerate() {
        let text = std::fs::read_to_string(root.join("stack").join(n)).unwrap();
        let target = if i % 2 == 0 {
            root.join(format!("renamed/nested/{}-{n}", 9 - i))
        } else {
            root.join(format!("renamed/{}-{n}", 9 - i))
        };
        std::fs::write(target, text).unwrap();
    }
    let o = pmovesc(&root, &["build", "renamed", "-o", "out2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The manifest hashes the input file names themselves (it is a cache key, not a product).
    let names1: Vec<String> = snapshot_dir(&root.join("out1")).into_keys().collect();
    let names2: Vec<String> = snapshot_dir(&root.join("out2")).into_keys().collect();
    assert_eq!(names1, names2, "the two builds wrote different files");
    assert!(names1.len() > 5, "{names1:?}");
    for (name, (a, _)) in snapshot_dir(&root.join("out1"))
        .into_iter()
        .filter(|(n, _)| n != ".pmovesc-manifest")
    {
        let b = std::fs::read(root.join("out2").join(&name)).unwrap();
        let a = String::from_utf8(a).unwrap().replace("stack -o out1", "");
        let b = String::from_utf8(b).unwrap().replace("renamed -o out2", "");
        assert_eq!(a, b, "{name} depends on file names or order");
    }
}

#[test]
fn explain_and_schema_commands() {
    let dir = tempfile::tempdir().unwrap();
    let o = pmovesc(dir.path(), &["explain", "PMV308"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("duplicate-host-port"));
    let o = pmovesc(dir.path(), &["explain"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), pmovesc::diag::Code::ALL.len());
    for code in pmovesc::diag::Code::ALL {
        assert!(
            stdout(&o).contains(code.id()),
            "explain does not list {}",
            code.id()
        );
    }
    let o = pmovesc(dir.path(), &["explain", "PMV9999"]);
    assert_ne!(o.status.code(), Some(0), "an unknown code is an error");
    let o = pmovesc(dir.path(), &["schema"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(schema["nodes"].as_array().unwrap().len() > 50);
}

#[test]
fn check_trusts_the_manifest_only_while_everything_matches() {
    let (_t, root) = project();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    // A stack edit that was not rebuilt: the manifest no longer matches, check compiles and fails.
    let services = root.join("stack/services.kdl");
    let text = std::fs::read_to_string(&services).unwrap();
    std::fs::write(&services, text.replace("PORT \"8091\"", "PORT \"9091\"")).unwrap();
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("+      PORT: \"9091\""),
        "{}",
        stdout(&o)
    );
    std::fs::write(&services, text).unwrap();
    // A corrupt or missing manifest is ignored: check compiles and compares.
    std::fs::write(root.join("out/.pmovesc-manifest"), "garbage\n").unwrap();
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::remove_file(root.join("out/.pmovesc-manifest")).unwrap();
    let o = pmovesc(&root, &["check", "stack", "-o", "out"]);
    assert!(
        o.status.success(),
        "a missing manifest is not a stale output: {}",
        stderr(&o)
    );
    // Strict mode compiles (warnings fail it) even when the manifest matches a non-strict build.
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
    let o = pmovesc(&root, &["check", "stack", "-o", "out", "--strict"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn build_never_overwrites_a_file_it_did_not_generate() {
    let (_t, root) = project();
    std::fs::create_dir_all(root.join("out")).unwrap();
    // An operator's hand-kept env.shared with credentials, where the pin file is to go.
    std::fs::write(root.join("out/env.shared"), "POSTGRES_PASSWORD=hunter2\n").unwrap();
    let o = pmovesc(&root, &["build", "stack", "-o", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("env.shared already exists"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("not generated by pmovesc"),
        "{}",
        stderr(&o)
    );
    // Nothing at all was written, and the file is untouched.
    let files: Vec<String> = snapshot_dir(&root.join("out")).into_keys().collect();
    assert_eq!(files, ["env.shared"]);
    assert_eq!(
        std::fs::read_to_string(root.join("out/env.shared")).unwrap(),
        "POSTGRES_PASSWORD=hunter2\n"
    );
    // Once it is moved away, the build goes through.
    std::fs::remove_file(root.join("out/env.shared")).unwrap();
    assert!(
        pmovesc(&root, &["build", "stack", "-o", "out"])
            .status
            .success()
    );
}
