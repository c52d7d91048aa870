//! `pin` and `verify` against a real registry: the CNCF distribution registry (Debian's
//! `docker-registry`) on 127.0.0.1, a port the OS picks and a temporary storage directory. Images are
//! pushed with a small HTTP client written here (not with the client pmovesc uses), and the
//! digests pmovesc writes are compared with the registry's own `Docker-Content-Digest`.
//!
//! Without `docker-registry` (or `htpasswd`, `strace`, `unshare`) a test goes through the skip
//! helper (`tests/support/skip.rs`): it fails, unless `PMOVESC_ALLOW_SKIPS=1` says to skip.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use sha2::{Digest as _, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_pmovesc");
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

fn sha256(data: &[u8]) -> String {
    let hash = Sha256::digest(data);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

// ---------------------------------------------------------------------------------------------
// A minimal HTTP/1.1 client (plain HTTP, loopback only).

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("HTTP response head");
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let line_end = rest.windows(2).position(|w| w == b"\r\n").unwrap_or(0);
            let size = usize::from_str_radix(String::from_utf8_lossy(&rest[..line_end]).trim(), 16)
                .unwrap_or(0);
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
            rest = &rest[line_end + 2 + size + 2..];
        }
        body = out;
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------------------------------------
// The registry under test.

struct Registry {
    child: Option<Child>,
    addr: String,
    _dir: tempfile::TempDir,
    basic: Option<String>,
}

/// A loopback port nothing listens on (bound by the OS, then closed): only for a connection
/// that is meant to be refused.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl Registry {
    /// Starts a registry, with htpasswd basic auth when `user` is given. `None` (after the skip
    /// helper allowed it) when the registry or htpasswd is not installed.
    fn start(user: Option<(&str, &str)>) -> Option<Registry> {
        if !have("docker-registry", "--version") {
            support::oracle_missing("docker-registry (apt-get install docker-registry)");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut auth = String::new();
        if let Some((u, p)) = user {
            if !have("htpasswd", "-h") {
                support::oracle_missing("htpasswd (apt-get install apache2-utils)");
                return None;
            }
            let out = Command::new("htpasswd")
                .args(["-Bbn", u, p])
                .output()
                .unwrap();
            assert!(out.status.success());
            std::fs::write(dir.path().join("htpasswd"), &out.stdout).unwrap();
            auth = format!(
                "auth:\n  htpasswd:\n    realm: pmovesc-test\n    path: {}\n",
                dir.path().join("htpasswd").display()
            );
        }
        let config = format!(
            // Port 0: the OS picks a free port and the registry logs it (`listening on ADDR`),
            // so two registries started at once never race for one port.
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n{auth}",
            dir.path().join("data").display()
        );
        std::fs::write(dir.path().join("config.yml"), config).unwrap();
        let mut child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.path().join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start docker-registry");
        let mut log = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut addr = None;
        let mut seen = String::new();
        let mut line = String::new();
        while addr.is_none() && std::io::BufRead::read_line(&mut log, &mut line).unwrap_or(0) > 0 {
            if let Some(rest) = line.split("listening on ").nth(1) {
                addr = rest.split(['"', ' ']).next().map(str::to_string);
            }
            seen.push_str(&line);
            line.clear();
        }
        let addr = addr.unwrap_or_else(|| panic!("docker-registry did not start:\n{seen}"));
        // Keep draining its log so the registry never blocks on a full pipe.
        std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        let registry = Registry {
            child: Some(child),
            addr,
            _dir: dir,
            basic: user.map(|(u, p)| format!("Basic {}", b64(&format!("{u}:{p}")))),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http(&registry.addr, "GET", "/v2/", &[], b"")
                && (r.status == 200 || r.status == 401)
            {
                break;
            }
            assert!(Instant::now() < deadline, "docker-registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(registry)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn headers(&self, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
        let mut h: Vec<(&'static str, String)> =
            extra.iter().map(|(k, v)| (leak(k), v.clone())).collect();
        if let Some(b) = &self.basic {
            h.push(("Authorization", b.clone()));
        }
        h
    }

    fn push_blob(&self, repo: &str, data: &[u8]) -> String {
        let digest = sha256(data);
        let r = http(
            &self.addr,
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &self.headers(&[]),
            b"",
        )
        .unwrap();
        assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
        let location = r.header("Location").unwrap().to_string();
        let path = match location.find("/v2/") {
            Some(i) => location[i..].to_string(),
            None => location,
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = http(
            &self.addr,
            "PUT",
            &format!("{path}{sep}digest={digest}"),
            &self.headers(&[("Content-Type", "application/octet-stream".into())]),
            data,
        )
        .unwrap();
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        digest
    }

    /// Pushes a manifest; returns the registry's `Docker-Content-Digest` (checked against the
    /// body's sha256).
    fn push_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &str) -> String {
        let r = http(
            &self.addr,
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &self.headers(&[("Content-Type", media_type.into())]),
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let digest = r.header("Docker-Content-Digest").unwrap().to_string();
        assert_eq!(digest, sha256(body.as_bytes()));
        digest
    }

    /// The registry's `Docker-Content-Digest` for a tag, from a HEAD request.
    fn head_digest(&self, repo: &str, reference: &str) -> String {
        let r = http(
            &self.addr,
            "HEAD",
            &format!("/v2/{repo}/manifests/{reference}"),
            &self.headers(&[("Accept", ACCEPT.into())]),
            b"",
        )
        .unwrap();
        assert_eq!(r.status, 200, "HEAD {repo}:{reference}");
        r.header("Docker-Content-Digest").unwrap().to_string()
    }

    /// Pushes a one-layer image (its content made from `seed`); returns its manifest digest
    /// and size.
    fn push_image(&self, repo: &str, tag: &str, seed: &str) -> (String, usize) {
        let config = format!(
            r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"seed":"{seed}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#
        );
        let layer = format!("layer of {seed}");
        let manifest = self.image_manifest(
            repo,
            &config,
            "application/vnd.oci.image.config.v1+json",
            &layer,
            "application/vnd.oci.image.layer.v1.tar",
        );
        let digest = self.push_manifest(repo, tag, OCI_MANIFEST, &manifest);
        (digest, manifest.len())
    }

    fn image_manifest(
        &self,
        repo: &str,
        config: &str,
        config_type: &str,
        layer: &str,
        layer_type: &str,
    ) -> String {
        let c = self.push_blob(repo, config.as_bytes());
        let l = self.push_blob(repo, layer.as_bytes());
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"{config_type}","digest":"{c}","size":{}}},"layers":[{{"mediaType":"{layer_type}","digest":"{l}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        )
    }

    /// Pushes a two-platform image index; returns its digest.
    fn push_index(&self, repo: &str, tag: &str) -> String {
        let (amd, amd_size) = self.push_image(repo, "amd64-build", "amd64");
        let (arm, arm_size) = self.push_image(repo, "arm64-build", "arm64");
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{amd}","size":{amd_size},"platform":{{"architecture":"amd64","os":"linux"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{arm}","size":{arm_size},"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#
        );
        self.push_manifest(repo, tag, OCI_INDEX, &index)
    }

    /// Pushes a cosign-style artifact under a tag (`sha256-<hex>.sig`, `.att`).
    fn push_artifact(&self, repo: &str, tag: &str, layer_type: &str) -> (String, usize) {
        let manifest = self.image_manifest(
            repo,
            "{}",
            "application/vnd.oci.image.config.v1+json",
            &format!("payload for {tag}"),
            layer_type,
        );
        let d = self.push_manifest(repo, tag, OCI_MANIFEST, &manifest);
        (d, manifest.len())
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

// ---------------------------------------------------------------------------------------------
// Stacks and runs.

fn write_stack(dir: &Path, files: &[(&str, String)]) {
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    out.sort();
    out
}

fn pmovesc(args: &[&str], docker_config: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .env("DOCKER_CONFIG", docker_config)
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .output()
        .expect("run pmovesc")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        text(&o.stdout),
        text(&o.stderr)
    )
}

const PROJECT: &str = "project \"t\"\n";

fn services(addr: &str) -> String {
    format!(
        r##"// Services of the test stack.   (trailing spaces, odd layout and comments stay)

service "db" {{
    // the database image
    image   "{addr}/pmoves/db:1"    // pinned by pmovesc
    port 5432
}}

/- service "disabled" {{
    image "{addr}/pmoves/db:1"
}}

service "web" {{
	image "{addr}/pmoves/web:2"
	when "gpu" {{
		image #"{addr}/pmoves/web-gpu:2"#   /* multi-arch */
	}}
}}
"##
    )
}

#[test]
fn pin_writes_the_registry_digest_and_keeps_every_other_byte() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let a = &reg.addr;
    reg.push_image("pmoves/db", "1", "db-v1");
    reg.push_image("pmoves/web", "2", "web-v2");
    let index = reg.push_index("pmoves/web-gpu", "2");
    let db = reg.head_digest("pmoves/db", "1");
    let web = reg.head_digest("pmoves/web", "2");
    assert_eq!(reg.head_digest("pmoves/web-gpu", "2"), index);

    let dir = tempfile::tempdir().unwrap();
    let stack = dir.path().join("stack");
    std::fs::create_dir(&stack).unwrap();
    let original = services(a);
    write_stack(
        &stack,
        &[
            ("project.kdl", PROJECT.into()),
            ("services.kdl", original.clone()),
        ],
    );
    let empty = tempfile::tempdir().unwrap();
    let stack_arg = stack.to_str().unwrap();

    // --check before pinning: every image lacks a digest.
    let o = pmovesc(&["pin", stack_arg, "--check"], empty.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = text(&o.stdout);
    assert_eq!(out.matches("has no digest").count(), 3, "{}", show(&o));
    assert_eq!(snapshot(&stack)[1].1, original.as_bytes());

    let o = pmovesc(&["pin", stack_arg], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    let pinned = std::fs::read_to_string(stack.join("services.kdl")).unwrap();
    let expected = original
        .replace(
            &format!("\"{a}/pmoves/db:1\"    //"),
            &format!("\"{a}/pmoves/db:1@{db}\"    //"),
        )
        .replace(
            &format!("\timage \"{a}/pmoves/web:2\"\n"),
            &format!("\timage \"{a}/pmoves/web:2@{web}\"\n"),
        )
        .replace(
            &format!("#\"{a}/pmoves/web-gpu:2\"#"),
            &format!("\"{a}/pmoves/web-gpu:2@{index}\""),
        );
    // The commented-out service (`/-`) is not an image node: it stays as written.
    assert!(expected.contains(&format!("    image \"{a}/pmoves/db:1\"\n")));
    assert_eq!(pinned, expected, "{}", show(&o));
    assert_eq!(
        std::fs::read_to_string(stack.join("project.kdl")).unwrap(),
        PROJECT
    );
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "service \"db\": {a}/pmoves/db:1 -> {a}/pmoves/db:1@{db}"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "service \"web\" when \"gpu\": {a}/pmoves/web-gpu:2 -> {a}/pmoves/web-gpu:2@{index}"
        )),
        "{out}"
    );

    // Pinned and current: --check passes, a second pin changes nothing, and the stack builds.
    let o = pmovesc(&["pin", stack_arg, "--check"], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    let before = snapshot(&stack);
    let o = pmovesc(&["pin", stack_arg], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(snapshot(&stack), before);
    let out_dir = dir.path().join("out");
    let o = pmovesc(
        &["build", stack_arg, "-o", out_dir.to_str().unwrap()],
        empty.path(),
    );
    assert!(o.status.success(), "{}", show(&o));
    let published = std::fs::read_to_string(out_dir.join("docker-compose.published.yml")).unwrap();
    assert!(published.contains(&format!("{a}/pmoves/db:1@{db}")));
}

#[test]
fn check_names_a_tag_that_was_pushed_again() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let a = &reg.addr;
    reg.push_image("pmoves/db", "1", "db-v1");
    reg.push_image("pmoves/web", "2", "web-v2");
    reg.push_index("pmoves/web-gpu", "2");
    let dir = tempfile::tempdir().unwrap();
    write_stack(
        dir.path(),
        &[
            ("project.kdl", PROJECT.into()),
            ("services.kdl", services(a)),
        ],
    );
    let empty = tempfile::tempdir().unwrap();
    let stack = dir.path().to_str().unwrap();
    let o = pmovesc(&["pin", stack], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    let old = reg.head_digest("pmoves/db", "1");

    // The tag moves.
    let (new, _) = reg.push_image("pmoves/db", "1", "db-v1-rebuilt");
    assert_ne!(old, new);
    assert_eq!(reg.head_digest("pmoves/db", "1"), new);
    let before = snapshot(dir.path());
    let o = pmovesc(&["pin", stack, "--check"], empty.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(
        out.contains(&format!(
            "service \"db\": {a}/pmoves/db:1@{old} is pinned to {old}, but the tag now points to {new}"
        )),
        "{}",
        show(&o)
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert_eq!(snapshot(dir.path()), before, "--check wrote");

    // --service pins only the named service; pin then updates it and --check passes again.
    let o = pmovesc(&["pin", stack, "--service", "web"], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(snapshot(dir.path()), before);
    let o = pmovesc(&["pin", stack, "--service", "db"], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    assert!(
        text(&o.stdout).contains(&format!("@{old} -> {a}/pmoves/db:1@{new}")),
        "{}",
        show(&o)
    );
    let o = pmovesc(&["pin", stack, "--check"], empty.path());
    assert!(o.status.success(), "{}", show(&o));
    let o = pmovesc(&["pin", stack, "--service", "dbb"], empty.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("did you mean `db`"),
        "{}",
        show(&o)
    );
}

#[test]
fn registry_failures_name_image_and_registry_and_write_nothing() {
    let Some(mut reg) = Registry::start(None) else {
        return;
    };
    let a = reg.addr.clone();
    reg.push_image("pmoves/db", "1", "db-v1");
    reg.push_image("pmoves/web", "2", "web-v2");
    reg.push_index("pmoves/web-gpu", "2");
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let stack = dir.path().to_str().unwrap();

    // An unknown tag.
    let with_unknown = services(&a).replace("web:2\"\n", "web:nope\"\n");
    write_stack(
        dir.path(),
        &[
            ("project.kdl", PROJECT.into()),
            ("services.kdl", with_unknown),
        ],
    );
    let before = snapshot(dir.path());
    let o = pmovesc(&["pin", stack], empty.path());
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{a}/pmoves/web:nope (registry {a}")) && err.contains("not found"),
        "{err}"
    );
    assert!(err.contains("nothing written"), "{err}");
    assert_eq!(snapshot(dir.path()), before);

    // A stopped registry.
    write_stack(dir.path(), &[("services.kdl", services(&a))]);
    let before = snapshot(dir.path());
    reg.stop();
    for args in [vec!["pin", stack], vec!["pin", stack, "--check"]] {
        let o = pmovesc(&args, empty.path());
        assert_eq!(o.status.code(), Some(2), "{}", show(&o));
        let err = text(&o.stderr);
        assert!(
            err.contains(&format!("{a}/pmoves/db:1 (registry {a}"))
                && err.contains("registry unreachable"),
            "{err}"
        );
        assert_eq!(snapshot(dir.path()), before);
    }
}

/// A TCP listener on loopback that accepts connections and never answers (bounded: it stops
/// by itself after `limit`).
fn black_hole(limit: Duration) -> (String, Arc<AtomicBool>, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let deadline = Instant::now() + limit;
        let mut held = Vec::new();
        while Instant::now() < deadline && !flag.load(Ordering::Relaxed) && held.len() < 256 {
            match listener.accept() {
                Ok((s, _)) => {
                    count.fetch_add(1, Ordering::Relaxed);
                    held.push(s);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (addr, stop, accepted)
}

#[test]
fn a_registry_that_never_answers_times_out_without_holding_up_the_others() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let a = &reg.addr;
    reg.push_image("pmoves/db", "1", "db-v1");
    let (hole, stop, accepted) = black_hole(Duration::from_secs(60));
    let mut stack = String::from(PROJECT);
    stack.push_str(&format!(
        "service \"db\" {{\n    image \"{a}/pmoves/db:1\"\n}}\n"
    ));
    for i in 0..6 {
        stack.push_str(&format!(
            "service \"slow{i}\" {{\n    image \"{hole}/pmoves/slow{i}:1\"\n}}\n"
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    write_stack(dir.path(), &[("stack.kdl", stack)]);
    let before = snapshot(dir.path());
    let empty = tempfile::tempdir().unwrap();
    let o = pmovesc(
        &[
            "pin",
            dir.path().to_str().unwrap(),
            "--timeout",
            "3",
            "--concurrency",
            "2",
            "--check",
        ],
        empty.path(),
    );
    stop.store(true, Ordering::Relaxed);
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    // Six images at two in flight would wait out three time limits one after the other; after
    // the first time-outs the registry is given up on: it saw fewer connections than there are
    // images (counted by the black hole itself, not by a clock).
    let connections = accepted.load(Ordering::Relaxed);
    assert!(
        connections < 6,
        "{connections} connections to the silent registry\n{}",
        show(&o)
    );
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{hole}/pmoves/slow0:1 (registry {hole}")),
        "{err}"
    );
    assert!(err.contains("timed out"), "{err}");
    // Only the first requests waited; the others were not sent to a registry that had not
    // answered.
    assert!(err.matches("not asked").count() >= 3, "{err}");
    // The healthy registry answered: its image is reported as unpinned with its digest.
    let db = reg.head_digest("pmoves/db", "1");
    assert!(
        text(&o.stdout).contains(&format!(
            "{a}/pmoves/db:1 has no digest (the tag points to {db})"
        )),
        "{}",
        show(&o)
    );
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn basic_auth_credentials_come_from_the_docker_config_file() {
    let Some(reg) = Registry::start(Some(("pmoves", "s3cret-pw"))) else {
        return;
    };
    let a = &reg.addr;
    reg.push_image("private/db", "1", "private");
    let digest = reg.head_digest("private/db", "1");
    let stack_text = format!("{PROJECT}service \"db\" {{\n    image \"{a}/private/db:1\"\n}}\n");
    let dir = tempfile::tempdir().unwrap();
    write_stack(dir.path(), &[("stack.kdl", stack_text.clone())]);
    let stack = dir.path().to_str().unwrap();

    // No credentials: unauthorized, nothing written.
    let none = tempfile::tempdir().unwrap();
    let o = pmovesc(&["pin", stack], none.path());
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let err = text(&o.stderr);
    assert!(
        err.contains(&format!("{a}/private/db:1 (registry {a}")) && err.contains("unauthorized"),
        "{err}"
    );
    // A wrong password: unauthorized too.
    let wrong = tempfile::tempdir().unwrap();
    std::fs::write(
        wrong.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{a}":{{"auth":"{}"}}}}}}"#,
            b64("pmoves:wrong")
        ),
    )
    .unwrap();
    let o = pmovesc(&["pin", stack], wrong.path());
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(text(&o.stderr).contains("unauthorized"), "{}", show(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stack.kdl")).unwrap(),
        stack_text
    );

    // username/password fields, under an `http://` key.
    let plain = tempfile::tempdir().unwrap();
    std::fs::write(
        plain.path().join("config.json"),
        format!(r#"{{"auths":{{"http://{a}":{{"username":"pmoves","password":"s3cret-pw"}}}}}}"#),
    )
    .unwrap();
    let o = pmovesc(&["pin", stack, "--check"], plain.path());
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(text(&o.stdout).contains(&digest), "{}", show(&o));

    // base64 `auth`: pins.
    let good = tempfile::tempdir().unwrap();
    std::fs::write(
        good.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{a}":{{"auth":"{}"}}}}}}"#,
            b64("pmoves:s3cret-pw")
        ),
    )
    .unwrap();
    let o = pmovesc(&["pin", stack], good.path());
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stack.kdl")).unwrap(),
        stack_text.replace("db:1\"", &format!("db:1@{digest}\""))
    );
}

#[test]
fn verify_reports_each_required_artifact() {
    let Some(reg) = Registry::start(None) else {
        return;
    };
    let a = &reg.addr;
    let (db, _) = reg.push_image("pmoves/db", "1", "db-v1");
    let (web, _) = reg.push_image("pmoves/web", "2", "web-v2");
    let stem = |d: &str| d.replace(':', "-");
    let stack_text = format!(
        "{PROJECT}service \"db\" {{\n    image \"{a}/pmoves/db:1@{db}\"\n}}\nservice \"web\" {{\n    image \"{a}/pmoves/web:2@{web}\"\n}}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    write_stack(dir.path(), &[("stack.kdl", stack_text)]);
    let stack = dir.path().to_str().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", stack, "--profile", "published"];
        args.extend_from_slice(extra);
        pmovesc(&args, empty.path())
    };

    // Nothing attached: both requirements missing, named per image.
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(out.contains(&format!("{}.sig", stem(&db))), "{out}");
    assert!(out.contains(&format!("{}.att", stem(&db))), "{out}");
    assert!(out.contains("not verified cryptographically"), "{out}");
    // Only the digest: passes.
    let o = verify(&["--require", "none"]);
    assert!(o.status.success(), "{}", show(&o));

    // db: cosign tags. web: a signature tag and an SBOM referrer (OCI 1.1 tag schema).
    reg.push_artifact(
        "pmoves/db",
        &format!("{}.sig", stem(&db)),
        "application/vnd.dev.cosign.simplesigning.v1+json",
    );
    let o = verify(&["--require", "signature"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(out.contains(&format!("{}.sig", stem(&web))), "{out}");
    assert!(
        !out.contains(&format!(
            "MISSING  signature: no cosign signature: no tag {}",
            stem(&db)
        )),
        "{out}"
    );
    reg.push_artifact(
        "pmoves/db",
        &format!("{}.att", stem(&db)),
        "application/vnd.dsse.envelope.v1+json",
    );
    reg.push_artifact(
        "pmoves/web",
        &format!("{}.sig", stem(&web)),
        "application/vnd.dev.cosign.simplesigning.v1+json",
    );
    let o = verify(&[]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(
        out.contains("MISSING  sbom") && out.contains(&format!("no tag {}.att", stem(&web))),
        "{out}"
    );
    let (sbom, sbom_size) =
        reg.push_artifact("pmoves/web", "sbom-artifact", "application/spdx+json");
    let referrers = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{sbom}","size":{sbom_size},"artifactType":"application/spdx+json"}}]}}"#
    );
    reg.push_manifest("pmoves/web", &stem(&web), OCI_INDEX, &referrers);
    let o = verify(&[]);
    assert!(o.status.success(), "{}", show(&o));
    let out = text(&o.stdout);
    assert!(
        out.contains("OCI referrer of type application/spdx+json"),
        "{out}"
    );
    assert!(out.contains("not verified cryptographically"), "{out}");

    // A digest the registry does not have.
    let missing = format!("sha256:{}", "0".repeat(64));
    write_stack(
        dir.path(),
        &[(
            "stack.kdl",
            format!("{PROJECT}service \"db\" {{\n    image \"{a}/pmoves/db:1@{missing}\"\n}}\n"),
        )],
    );
    let o = verify(&["--require", "none"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        text(&o.stdout).contains(&format!("the registry has no manifest {missing}")),
        "{}",
        show(&o)
    );
}

// ---------------------------------------------------------------------------------------------
// Bearer tokens: a fake registry with a token service (distribution itself supports only
// htpasswd without a token server).

fn fake_token_registry(user: &str, password: &str, digest: &str) -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    listener.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let expected_basic = format!("Basic {}", b64(&format!("{user}:{password}")));
    let digest = digest.to_string();
    let realm = format!("http://{addr}/token");
    std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = 0;
        while Instant::now() < deadline && !flag.load(Ordering::Relaxed) && served < 200 {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            let _ = s.set_nonblocking(false);
            let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
            // One request per connection is enough for this client; read the head.
            let mut buf = Vec::new();
            let mut byte = [0u8; 1];
            while !buf.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                buf.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&buf).into_owned();
            let line = head.lines().next().unwrap_or("").to_string();
            let auth = head
                .lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case("authorization"))
                        .map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_default();
            let challenge = format!(
                "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"fake\",scope=\"repository:team/app:pull\"\r\n"
            );
            let response = if line.starts_with("GET /token") {
                if auth == expected_basic && line.contains("scope=repository%3Ateam%2Fapp%3Apull") {
                    let body = r#"{"token":"tok-123","expires_in":300}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                }
            } else if line.contains("/v2/team/app/manifests/") && auth == "Bearer tok-123" {
                format!(
                    "HTTP/1.1 200 OK\r\nDocker-Content-Digest: {digest}\r\nContent-Type: {OCI_INDEX}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            } else {
                let body =
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#;
                format!(
                    "HTTP/1.1 401 Unauthorized\r\n{challenge}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    if line.starts_with("HEAD") {
                        0
                    } else {
                        body.len()
                    },
                    if line.starts_with("HEAD") { "" } else { body }
                )
            };
            let _ = s.write_all(response.as_bytes());
        }
    });
    (addr, stop)
}

#[test]
fn bearer_token_flow_with_docker_config_credentials() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let (addr, stop) = fake_token_registry("robot", "pa55", &digest);
    let stack_text = format!("{PROJECT}service \"app\" {{\n    image \"{addr}/team/app:7\"\n}}\n");
    let dir = tempfile::tempdir().unwrap();
    write_stack(dir.path(), &[("stack.kdl", stack_text.clone())]);
    let stack = dir.path().to_str().unwrap();

    let none = tempfile::tempdir().unwrap();
    let o = pmovesc(&["pin", stack], none.path());
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        text(&o.stderr).contains(&format!("{addr}/team/app:7 (registry {addr}"))
            && text(&o.stderr).contains("unauthorized"),
        "{}",
        show(&o)
    );

    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("config.json"),
        format!(
            r#"{{"auths":{{"{addr}":{{"auth":"{}"}}}}}}"#,
            b64("robot:pa55")
        ),
    )
    .unwrap();
    let o = pmovesc(&["pin", stack], config.path());
    stop.store(true, Ordering::Relaxed);
    assert!(o.status.success(), "{}", show(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("stack.kdl")).unwrap(),
        stack_text.replace("app:7\"", &format!("app:7@{digest}\""))
    );
}

// ---------------------------------------------------------------------------------------------
// `build` never touches the network.

/// The network sockets (`AF_INET`/`AF_INET6`) a command opens, traced with strace.
fn inet_sockets(args: &[&str]) -> Option<(Output, Vec<String>)> {
    if !have("strace", "-V") {
        support::oracle_missing("strace (apt-get install strace)");
        return None;
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-e", "trace=socket,connect", "-o"])
        .arg(log.path())
        .arg(BIN)
        .args(args);
    let out = cmd.output().unwrap();
    let trace = std::fs::read_to_string(log.path()).unwrap();
    if trace.trim().is_empty() && !out.status.success() {
        // ptrace refused here: say so rather than pass.
        support::oracle_missing(&format!(
            "strace (it could not trace here: {})",
            text(&out.stderr)
        ));
        return None;
    }
    let inet = trace
        .lines()
        .filter(|l| l.contains("AF_INET"))
        .map(str::to_string)
        .collect();
    Some((out, inet))
}

#[test]
fn build_opens_no_network_socket() {
    let root = support::manifest_dir();
    let out = tempfile::tempdir().unwrap();
    let stack = root.join("examples/design/stack");
    let Some((o, inet)) = inet_sockets(&[
        "build",
        stack.to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]) else {
        return;
    };
    assert!(o.status.success(), "{}", show(&o));
    assert!(
        inet.is_empty(),
        "build opened network sockets:\n{}",
        inet.join("\n")
    );
    for args in [
        vec![
            "check",
            stack.to_str().unwrap(),
            "-o",
            out.path().to_str().unwrap(),
        ],
        vec!["validate", stack.to_str().unwrap()],
    ] {
        let (_, inet) = inet_sockets(&args).unwrap();
        assert!(
            inet.is_empty(),
            "{args:?} opened network sockets:\n{}",
            inet.join("\n")
        );
    }

    // The detector works: `pin` against a closed loopback port opens one.
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    write_stack(
        dir.path(),
        &[(
            "stack.kdl",
            format!("{PROJECT}service \"db\" {{\n    image \"127.0.0.1:{port}/x/db:1\"\n}}\n"),
        )],
    );
    let (o, inet) = inet_sockets(&["pin", dir.path().to_str().unwrap(), "--check"]).unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(!inet.is_empty(), "strace saw no socket of `pin`");

    // And without any network at all, build still builds the same files.
    let isolated = tempfile::tempdir().unwrap();
    let unshared = Command::new("unshare")
        .args(["-rn", BIN, "build"])
        .arg(&stack)
        .arg("-o")
        .arg(isolated.path())
        .output();
    match unshared {
        Ok(o) if o.status.success() => {
            let (a, b) = (snapshot_names(isolated.path()), snapshot_names(out.path()));
            assert!(a == b, "build under unshare -n wrote other files");
        }
        Ok(o) if text(&o.stderr).contains("unshare failed") => {
            support::oracle_missing("unshare -rn (a network namespace of the test's own)");
        }
        Ok(o) => panic!("build in a network namespace failed: {}", show(&o)),
        Err(e) => support::oracle_missing(&format!("unshare ({e})")),
    }
}

#[test]
fn https_unless_loopback_or_insecure() {
    // Inside a network namespace of its own nothing leaves the machine: the name does not
    // resolve, and the error shows the URL the client would have used.
    let dir = tempfile::tempdir().unwrap();
    write_stack(
        dir.path(),
        &[(
            "stack.kdl",
            format!("{PROJECT}service \"db\" {{\n    image \"registry.example:5000/x/db:1\"\n}}\n"),
        )],
    );
    let empty = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        Command::new("unshare")
            .args(["-rn", BIN, "pin"])
            .arg(dir.path())
            .args(["--timeout", "5"])
            .args(extra)
            .env("DOCKER_CONFIG", empty.path())
            .output()
    };
    match run(&[]) {
        Ok(o) if text(&o.stderr).contains("unshare failed") || o.status.code().is_none() => {
            support::oracle_missing("unshare -rn (a network namespace of the test's own)");
        }
        Ok(o) => {
            assert_eq!(o.status.code(), Some(2), "{}", show(&o));
            assert!(
                text(&o.stderr).contains("https://registry.example:5000/v2/x/db/manifests/1"),
                "{}",
                show(&o)
            );
            let o = run(&["--insecure-registry", "registry.example:5000"]).unwrap();
            assert_eq!(o.status.code(), Some(2), "{}", show(&o));
            assert!(
                text(&o.stderr).contains("http://registry.example:5000/v2/x/db/manifests/1"),
                "{}",
                show(&o)
            );
        }
        Err(e) => support::oracle_missing(&format!("unshare ({e})")),
    }
}

/// File names and texts of a build, without the header line naming the output directory.
fn snapshot_names(dir: &Path) -> Vec<(String, String)> {
    snapshot(dir)
        .into_iter()
        // The manifest hashes the invocation (output path included): a cache key, not a product.
        .filter(|(p, _)| {
            p.file_name()
                .is_none_or(|n| n != pmovesc::output::manifest::MANIFEST_FILE)
        })
        .map(|(p, b)| {
            let text: Vec<String> = text(&b)
                .lines()
                .filter(|l| !l.contains("Regenerate with:") && !l.contains("pmovesc build"))
                .map(str::to_string)
                .collect();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                text.join("\n"),
            )
        })
        .collect()
}
