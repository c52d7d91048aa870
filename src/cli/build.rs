//! `pmovesc build`, `check` and `validate`: compile a stack, then write, compare or only report.
//! Each ends with one line that says what happened.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use pmovesc::output::outdir::OutDir;
use pmovesc::output::{check, fs, manifest, transaction};

use super::report::plural;
use super::{Common, MessageFormat, load, options, report};

pub fn build(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> ExitCode {
    let sources = match load(stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let output = pmovesc::compile(&sources, &options(stacks, out, profiles, common));
    let counts = report(&sources, &output.diagnostics, common);
    if counts.errors > 0 {
        eprintln!("{}: nothing written to {}", counts.totals(), out.display());
        return ExitCode::from(1);
    }
    let wait = || {
        eprintln!(
            "waiting for another pmovesc build into {} to finish",
            out.display()
        )
    };
    match transaction::write_outputs(out, &output.files, &output.all_file_names, wait) {
        Ok(r) => {
            if r.recovered.finished {
                eprintln!(
                    "finished the build into {} that was stopped before it finished",
                    out.display()
                );
            }
            if r.recovered.temps_removed > 0 {
                eprintln!(
                    "removed {} of a stopped build from {}",
                    plural(r.recovered.temps_removed, "temporary file"),
                    out.display()
                );
            }
            if common.verbose {
                for n in &r.written {
                    eprintln!("wrote {}", out.join(n).display());
                }
            }
            for n in &r.removed {
                eprintln!("removed {} (no longer generated)", out.join(n).display());
            }
            let note = counts.warning_note();
            if r.written.is_empty() && r.removed.is_empty() {
                eprintln!(
                    "{} is up to date ({}){note}",
                    out.display(),
                    plural(r.unchanged.len(), "file")
                );
            } else {
                let removed = if r.removed.is_empty() {
                    String::new()
                } else {
                    format!(", removed {}", r.removed.len())
                };
                eprintln!(
                    "wrote {} to {}{removed}{note}",
                    plural(r.written.len(), "file"),
                    out.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) if e.committed => {
            eprintln!(
                "error: writing {}: {}; the build was committed but not finished: some files in {} are from it, some older, until the next `pmovesc build` finishes it (`pmovesc check` says so meanwhile)",
                out.display(),
                e.error,
                out.display()
            );
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!(
                "error: writing {}: {}; no generated file in it was changed",
                out.display(),
                e.error
            );
            ExitCode::from(2)
        }
    }
}

pub fn check(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> ExitCode {
    let sources = match load(stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let cannot_read = |e: std::io::Error| {
        eprintln!("error: cannot read {}: {e}", out.display());
        ExitCode::from(2)
    };
    let dir = match OutDir::open(out) {
        Ok(dir) => dir,
        Err(e) => return cannot_read(e),
    };
    // A build running meanwhile finishes first: its temporary files are not leftovers.
    if let Some(dir) = &dir {
        let wait = || {
            eprintln!(
                "waiting for the pmovesc build into {} to finish",
                out.display()
            )
        };
        if let Err(e) = dir.lock(false, wait) {
            return cannot_read(e);
        }
    }
    let options = options(stacks, out, profiles, common);
    // Nothing changed since the last build (same compiler, stack, options, and every generated
    // file intact, by content hash): no need to compile.
    if let Some(dir) = &dir {
        match manifest_says_current(dir, &sources, &options) {
            Ok(true) => {
                eprintln!("{} is up to date", out.display());
                return ExitCode::SUCCESS;
            }
            Ok(false) => {}
            Err(e) => return cannot_read(e),
        }
    }
    let output = pmovesc::compile(&sources, &options);
    let counts = report(&sources, &output.diagnostics, common);
    if counts.errors > 0 {
        eprintln!(
            "{}: {} not compared with the stack",
            counts.totals(),
            out.display()
        );
        return ExitCode::from(1);
    }
    let found = match &dir {
        Some(dir) => match dir.observe(&output.files) {
            Ok(found) => found,
            Err(e) => return cannot_read(e),
        },
        None => Default::default(),
    };
    let findings = check::compare(&output.files, &found, &output.all_file_names);
    if findings.is_empty() {
        eprintln!("{} is up to date{}", out.display(), counts.warning_note());
        return ExitCode::SUCCESS;
    }
    let mut stdout = std::io::stdout().lock();
    for f in &findings {
        if let check::Finding::Stale { diff, .. } = f {
            let _ = stdout.write_all(diff.as_bytes());
        }
    }
    for f in &findings {
        eprintln!("{}/{}", out.display(), f.describe());
    }
    eprintln!(
        "{} is stale ({}): run `{}`",
        out.display(),
        plural(findings.len(), "file"),
        fs::regenerate_command(stacks, out)
    );
    ExitCode::from(1)
}

/// Whether OUT's manifest alone shows it current (no stopped build, no leftovers).
fn manifest_says_current(
    dir: &OutDir,
    sources: &pmovesc::lang::source::SourceMap,
    options: &pmovesc::Options,
) -> std::io::Result<bool> {
    let scan = dir.scan()?;
    if scan.interrupted || !scan.temps.is_empty() {
        return Ok(false);
    }
    let pmovesc::output::outdir::Entry::Text(text) = dir.read(manifest::MANIFEST_FILE, 16 << 20)?
    else {
        return Ok(false);
    };
    let digest = |name: &str| dir.digest(name).ok().flatten();
    Ok(manifest::up_to_date(
        sources, options, &text, digest, &scan.ours,
    ))
}

pub fn validate(stacks: &Path, common: &Common) -> ExitCode {
    let sources = match load(stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (_, mut diags) = pmovesc::analyze(&sources);
    if common.strict {
        diags.make_strict();
    }
    let diagnostics = diags.into_sorted();
    let counts = report(&sources, &diagnostics, common);
    let files = plural(sources.len(), "file");
    if matches!(common.message_format, MessageFormat::Json) {
        // One JSON object per line and nothing else: the exit code says the rest.
        return ExitCode::from(if counts.errors > 0 { 1 } else { 0 });
    }
    if counts.errors > 0 {
        eprintln!(
            "{}: {} has problems ({files})",
            counts.totals(),
            stacks.display()
        );
        ExitCode::from(1)
    } else if counts.warnings > 0 {
        eprintln!(
            "{}: no errors in {files}{}",
            stacks.display(),
            counts.warning_note()
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("{}: no problems found ({files})", stacks.display());
        ExitCode::SUCCESS
    }
}
