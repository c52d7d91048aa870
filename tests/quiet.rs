//! Quiet by default: a fresh build of the shipped stack fits on one screen (repeated codes shown
//! once, with their places), `--verbose` shows every diagnostic, and the last line of a command
//! says what happened.

use std::path::Path;
use std::process::{Command, Output};

/// Lines of a terminal screen a first build may use.
const SCREEN: usize = 40;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pmovesc"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("run pmovesc")
}

#[test]
fn a_fresh_build_of_the_shipped_stack_fits_on_one_screen() {
    let dir = tempfile::tempdir().unwrap();
    let stacks = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks");
    let stacks = stacks.to_str().unwrap();
    let o = run(dir.path(), &["build", stacks, "-o", "out"]);
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.stdout.is_empty());
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.len() <= SCREEN,
        "{} lines, more than a screen:\n{err}",
        lines.len()
    );
    let unpinned = err.matches("PMV309(unpinned-image)").count();
    assert_eq!(unpinned, 2, "shown once, then summarised:\n{err}");
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("wrote ")
            && last.contains(" files to out (")
            && last.contains("unpinned: run `pmovesc pin`"),
        "{last}"
    );
    // Every image is still accounted for: the count in the last line, the places in the summary.
    let n: usize = last
        .split('(')
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    let places: usize = lines
        .iter()
        .filter(|l| l.trim_start().starts_with("stacks") || l.contains("/stacks/"))
        .filter_map(|l| l.split(": line").nth(1))
        .map(|rest| rest.trim_start_matches('s').split(',').count())
        .sum();
    assert_eq!(places + 1, n, "{err}");

    // Nothing changed: one line.
    let o = run(dir.path(), &["build", stacks, "-o", "out"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .last()
            .unwrap()
            .contains("out is up to date (12 files)"),
        "{err}"
    );

    // --verbose: every diagnostic in full, and every file written.
    let o = run(dir.path(), &["validate", stacks, "--verbose"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("PMV309(unpinned-image)").count(), n, "{err}");
}
