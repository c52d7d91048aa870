//! The command line's shared pieces: options every command takes, loading a stack, and printing
//! diagnostics. One file per command that is more than a few lines sits beside this one.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use pmovesc::diag::{self, RenderOptions, Severity};
use pmovesc::lang::source::SourceMap;
use pmovesc::output::fs;
use pmovesc::{Options, Output};

pub mod build;
pub mod pin;

#[derive(clap::Args, Clone)]
pub struct Common {
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Color in human output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Turn every warning into an error.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

pub fn load(stacks: &Path) -> Result<SourceMap, ExitCode> {
    fs::load_stack(stacks).map_err(|e| {
        eprintln!("error: cannot read stack {}: {e}", stacks.display());
        ExitCode::from(2)
    })
}

/// Prints diagnostics to stderr; returns whether any is an error.
pub fn report(sources: &SourceMap, output: &Output, common: &Common) -> bool {
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

pub fn options(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> Options {
    Options {
        profiles,
        strict: common.strict,
        regenerate: fs::regenerate_command(stacks, out),
        keep_models: false,
    }
}
