//! The pmovesc command line: a thin shell over the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use pmovesc::diag::{self, RenderOptions, Severity};
use pmovesc::source::SourceMap;
use pmovesc::{Options, Output, check, fs};

mod cli_pin;

#[derive(Parser)]
#[command(
    name = "pmovesc",
    version,
    about = "Compile KDL container stacks into compose files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    message_format: MessageFormat,
    /// Color in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Turn every warning into an error.
    #[arg(long)]
    strict: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Compile STACKS into OUT: one compose file per profile and the pin file.
    Build {
        stacks: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
        /// Build only this profile (repeatable).
        #[arg(long = "profile")]
        profiles: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Exit 1 with a diff when OUT is not what STACKS generates. Never writes.
    Check {
        stacks: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
        #[arg(long = "profile")]
        profiles: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Report every diagnostic of STACKS; write nothing.
    Validate {
        stacks: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Resolve image tags to the digests their registries serve and pin them in the .kdl source.
    Pin(cli_pin::PinArgs),
    /// Check in the registries that a profile's pinned images exist and carry the required
    /// signature and SBOM artifacts.
    Verify(cli_pin::VerifyArgs),
    /// Print the machine-readable vocabulary of the stack language (schema/stack-language.json).
    Schema,
    /// Explain a diagnostic code, or list them all.
    Explain { code: Option<String> },
}

#[derive(Clone, Copy, ValueEnum)]
enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            stacks,
            out,
            profiles,
            common,
        } => build(&stacks, &out, profiles, &common),
        Command::Check {
            stacks,
            out,
            profiles,
            common,
        } => check_cmd(&stacks, &out, profiles, &common),
        Command::Validate { stacks, common } => validate(&stacks, &common),
        Command::Pin(args) => cli_pin::pin_cmd(&args),
        Command::Verify(args) => cli_pin::verify_cmd(&args),
        Command::Schema => {
            print!("{}", pmovesc::vocabulary::schema_json());
            ExitCode::SUCCESS
        }
        Command::Explain { code } => explain(code.as_deref()),
    }
}

fn load(stacks: &Path) -> Result<SourceMap, ExitCode> {
    fs::load_stack(stacks).map_err(|e| {
        eprintln!("error: cannot read stack {}: {e}", stacks.display());
        ExitCode::from(2)
    })
}

/// Prints diagnostics to stderr; returns whether any is an error.
fn report(sources: &SourceMap, output: &Output, common: &Common) -> bool {
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let width = terminal_width();
    let mut err = std::io::stderr().lock();
    for d in &output.diagnostics {
        let text = match common.message_format {
            MessageFormat::Human => diag::render_human(sources, d, RenderOptions { color, width }),
            MessageFormat::Json => diag::render_json(sources, d) + "\n",
        };
        let _ = err.write_all(text.as_bytes());
    }
    let errors = output
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = output.diagnostics.len() - errors;
    if matches!(common.message_format, MessageFormat::Human) && !output.diagnostics.is_empty() {
        let _ = writeln!(err, "{}", summary(errors, warnings));
    }
    errors > 0
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn options(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> Options {
    Options {
        profiles,
        strict: common.strict,
        regenerate: fs::regenerate_command(stacks, out),
        keep_models: false,
    }
}

fn build(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> ExitCode {
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

fn check_cmd(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> ExitCode {
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
    if pmovesc::manifest::up_to_date(&sources, &options, &on_disk) {
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

fn validate(stacks: &Path, common: &Common) -> ExitCode {
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

fn explain(code: Option<&str>) -> ExitCode {
    let all = pmovesc::diag::Code::ALL;
    match code {
        None => {
            for c in all {
                println!("{} {:<26} {}", c.id(), c.name(), c.description());
            }
            ExitCode::SUCCESS
        }
        Some(wanted) => match all
            .iter()
            .find(|c| c.id().eq_ignore_ascii_case(wanted) || c.name() == wanted)
        {
            Some(c) => {
                println!("{} ({}): {}", c.id(), c.name(), c.description());
                println!("See docs/diagnostics.md#{}", c.id().to_lowercase());
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: no diagnostic code `{wanted}`; run `pmovesc explain` for the list"
                );
                ExitCode::from(2)
            }
        },
    }
}
