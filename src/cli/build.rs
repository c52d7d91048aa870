//! `pmovesc build`, `check` and `validate`: compile a stack, then write, compare or only report.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use pmovesc::Output;
use pmovesc::output::{check, fs};

use super::{Common, load, options, report};

pub fn build(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> ExitCode {
    let sources = match load(stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let output = pmovesc::compile(&sources, &options(stacks, out, profiles, common));
    if report(&sources, &output, common) {
        eprintln!("nothing written to {}", out.display());
        return ExitCode::from(1);
    }
    match fs::write_outputs(out, &output.files, &output.all_file_names) {
        Ok(r) => {
            for n in &r.written {
                eprintln!("wrote {}", out.join(n).display());
            }
            for n in &r.removed {
                eprintln!("removed {} (no longer generated)", out.join(n).display());
            }
            if r.written.is_empty() && r.removed.is_empty() {
                eprintln!(
                    "{} is up to date ({} files)",
                    out.display(),
                    r.unchanged.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: writing {}: {e}; files already in place were left as they were",
                out.display()
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
    let on_disk = match fs::read_output_dir(out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", out.display());
            return ExitCode::from(2);
        }
    };
    let options = options(stacks, out, profiles, common);
    // Nothing changed since the last build (same compiler, stack, options, and every generated
    // file intact, by content hash): no need to compile.
    if pmovesc::output::manifest::up_to_date(&sources, &options, &on_disk) {
        eprintln!("{} is up to date", out.display());
        return ExitCode::SUCCESS;
    }
    let output = pmovesc::compile(&sources, &options);
    if report(&sources, &output, common) {
        return ExitCode::from(1);
    }
    let findings = check::compare(&output.files, &on_disk, &output.all_file_names);
    if findings.is_empty() {
        eprintln!("{} is up to date", out.display());
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
        "{} is stale: run `{}`",
        out.display(),
        fs::regenerate_command(stacks, out)
    );
    ExitCode::from(1)
}

pub fn validate(stacks: &Path, common: &Common) -> ExitCode {
    let sources = match load(stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (_, diags) = pmovesc::analyze(&sources);
    let mut diags = diags;
    if common.strict {
        diags.make_strict();
    }
    let output = Output {
        diagnostics: diags.into_sorted(),
        ..Default::default()
    };
    if report(&sources, &output, common) {
        ExitCode::from(1)
    } else {
        if output.diagnostics.is_empty() {
            eprintln!(
                "{}: no problems found ({} files)",
                stacks.display(),
                sources.len()
            );
        }
        ExitCode::SUCCESS
    }
}
