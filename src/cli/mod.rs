//! The command line's shared pieces: options every command takes and loading a stack; `report`
//! prints diagnostics. One file per command that is more than a few lines sits beside this one.

use std::path::Path;
use std::process::ExitCode;

use clap::ValueEnum;
use pmovesc::Options;
use pmovesc::lang::source::SourceMap;
use pmovesc::output::fs;

pub mod audit;
pub mod build;
pub mod doctor;
pub mod engine;
pub mod fmt;
pub mod graph;
pub mod import;
pub mod pin;
pub mod report;
pub mod secrets;
pub mod smoke;

pub use report::report;

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
    /// Show every diagnostic in full (by default a code repeated more than three times is shown
    /// once, with the places of the others).
    #[arg(short, long)]
    pub verbose: bool,
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

pub fn options(stacks: &Path, out: &Path, profiles: Vec<String>, common: &Common) -> Options {
    Options {
        profiles,
        strict: common.strict,
        regenerate: fs::regenerate_command(stacks, out),
        keep_models: false,
    }
}
