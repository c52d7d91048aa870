//! `pmovesc import`: compose files to a stack directory, all or nothing, with the defect
//! report on stderr (a literal credential is masked wherever a compose line is shown).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pmovesc::import::{self, Request};
use pmovesc::lang::source::SourceMap;

use super::{Common, report};

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A compose file; repeat for overlays, merged in order as `docker compose -f A -f B` does.
    #[arg(short = 'f', long = "file", required = true)]
    pub files: Vec<PathBuf>,
    /// The stack directory to write (must not hold .kdl files yet).
    #[arg(short, long)]
    pub out: PathBuf,
    /// The directory the stack will be built into (`pmovesc build STACKS -o DIR`); relative
    /// paths are rewritten to stay right from there. Default: the first file's directory.
    #[arg(long = "build-into")]
    pub build_into: Option<PathBuf>,
    /// Variables for the paths compose reads while loading (`extends.file`, `include`), as
    /// `--env-file` gives them to compose. Never written into the stack.
    #[arg(long = "env-file")]
    pub env_files: Vec<PathBuf>,
    /// One stack file per service instead of one per compose profile group.
    #[arg(long)]
    pub file_per_service: bool,
    /// Also write the defect report to this file: Markdown for `.md`, JSON for `.json`.
    #[arg(long)]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
}

fn path_text(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

pub fn import_cmd(args: &ImportArgs) -> ExitCode {
    let mut variables = BTreeMap::new();
    for f in &args.env_files {
        match std::fs::read(f) {
            Ok(bytes) => {
                for item in dotenvy::from_read_iter(bytes.as_slice()) {
                    match item {
                        Ok((k, v)) => {
                            variables.insert(k, v);
                        }
                        Err(e) => {
                            eprintln!("error: cannot read env file {}: {e}", f.display());
                            return ExitCode::from(2);
                        }
                    }
                }
            }
            Err(e) => {
                eprintln!("error: cannot read env file {}: {e}", f.display());
                return ExitCode::from(2);
            }
        }
    }
    let request = Request {
        files: args.files.iter().map(|f| path_text(f)).collect(),
        build_dir: args.build_into.as_deref().map(path_text),
        variables,
        file_per_service: args.file_per_service,
    };
    let mut sources = SourceMap::new();
    let mut read = |p: &str| std::fs::read(p).map_err(|e| e.kind().to_string());
    let imported = import::import(&request, &mut sources, &mut read);
    let shown = import::masked(&sources, &imported.credentials);
    let counts = report(&shown, &imported.diagnostics, &args.common);
    if let Some(path) = &args.report {
        let text = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => import::report::json(&shown, &request.files, &imported.diagnostics),
            Some("md") => import::report::markdown(&shown, &request.files, &imported.diagnostics),
            _ => {
                eprintln!(
                    "error: --report takes a .md or a .json file, not {}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        };
        if let Err(e) = std::fs::write(path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if imported.files.is_empty() {
        eprintln!("error: nothing imported ({})", counts.totals());
        return ExitCode::FAILURE;
    }
    if let Err(e) = write_stack(&args.out, &imported.files) {
        eprintln!("error: cannot write {}: {e}", args.out.display());
        return ExitCode::from(2);
    }
    let code = if counts.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    };
    eprintln!(
        "imported {} into {} ({}); run `pmovesc build {} -o {}`",
        request.files.join(", "),
        args.out.display(),
        counts.totals(),
        args.out.display(),
        args.build_into
            .as_deref()
            .map(path_text)
            .unwrap_or_else(|| import::load::dir_of(&request.files[0])),
    );
    // The stack is written either way; an error (a defect compose itself would refuse, such
    // as a service defined nowhere) makes the command fail so a script notices.
    code
}

/// Writes the stack files all or nothing; refuses a directory that already holds a stack
/// file, and never writes through a symlink.
fn write_stack(dir: &Path, files: &BTreeMap<String, String>) -> std::io::Result<()> {
    if dir.is_symlink() {
        return Err(std::io::Error::other("it is a symlink"));
    }
    std::fs::create_dir_all(dir)?;
    let existing: Vec<String> = files
        .keys()
        .filter(|name| dir.join(name).symlink_metadata().is_ok())
        .cloned()
        .collect();
    let has_stack = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .any(|e| e.path().extension().is_some_and(|x| x == "kdl"));
    if !existing.is_empty() || has_stack {
        return Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "it already holds a stack (.kdl files); import into a new directory",
        ));
    }
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    for (name, text) in files {
        let target = dir.join(name);
        let tmp = dir.join(format!(".{name}.pmovesc-tmp-{}", std::process::id()));
        if let Err(e) = std::fs::write(&tmp, text) {
            let _ = std::fs::remove_file(&tmp);
            for (t, _) in &staged {
                let _ = std::fs::remove_file(t);
            }
            return Err(e);
        }
        staged.push((tmp, target));
    }
    for (tmp, target) in &staged {
        std::fs::rename(tmp, target)?;
    }
    Ok(())
}
