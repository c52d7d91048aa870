//! Outside check with compose-lint (PyPI): in the PMOVES hardened and gpu files, generated fresh
//! by this compiler (not the committed copies, which a compiler change would not touch),
//! nothing is reported at HIGH or above. Findings caused by the stack's reasoned exceptions are
//! suppressed, with those reasons, by the `.compose-lint.yml` pmovesc writes beside them; every
//! other finding counts.

mod support;

use std::process::Command;

#[test]
fn hardened_pmoves_files_have_no_high_findings() {
    let have = Command::new("compose-lint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        support::oracle_missing("compose-lint (pip install compose-lint)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sources = support::load(&support::manifest_dir().join("stacks"));
    let output = support::compile(&sources);
    assert!(
        !output.has_errors(),
        "{}",
        support::render(&sources, &output)
    );
    for (name, text) in &output.files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    assert!(
        dir.path().join(".compose-lint.yml").exists(),
        "pmovesc writes .compose-lint.yml"
    );
    for file in ["docker-compose.hardened.yml", "docker-compose.gpu.yml"] {
        let o = Command::new("compose-lint")
            .current_dir(dir.path())
            .args(["check", file, "--fail-on", "high"])
            .env("NO_COLOR", "1")
            .env("PAGER", "")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "compose-lint fails {file}:\n{text}");
        let summary = text
            .lines()
            .find(|l| l.starts_with(&format!("{file}:")))
            .unwrap_or_else(|| panic!("no summary line for {file}:\n{text}"));
        assert!(
            !summary.contains("critical") && !summary.contains("high"),
            "{summary}"
        );
        eprintln!("{summary}");
    }
}
