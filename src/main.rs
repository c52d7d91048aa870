//! The pmovesc command line: argument parsing, dispatch to [`cli`], exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::Common;

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
    Pin(cli::pin::PinArgs),
    /// Check in the registries that a profile's pinned images exist and carry the required
    /// signature and SBOM artifacts.
    Verify(cli::pin::VerifyArgs),
    /// Declared inputs: generate the missing ones of a group into OUT/.env, or check what a
    /// group still needs.
    #[command(subcommand)]
    Secrets(cli::secrets::SecretsCommand),
    /// Audit the hardening of STACKS' profiles: every finding with its `.kdl` line and, when the
    /// stack explains it, its reason.
    Audit(cli::audit::AuditArgs),
    /// Draw a profile's services, dependencies and reachability (Graphviz dot or Mermaid).
    Graph(cli::graph::GraphArgs),
    /// Lay out every .kdl file of STACKS canonically, in place (`--check`: write nothing, exit 1
    /// naming the files that are not).
    Fmt(cli::fmt::FmtArgs),
    /// Import compose files (a base and its overlays) into a stack directory, reporting the
    /// defects a typed stack would not allow.
    Import(cli::import::ImportArgs),
    /// Check that the running compose project of a profile is healthy: every service of the
    /// selected groups running and healthy, every published `http-get` endpoint answering.
    Smoke(cli::smoke::SmokeArgs),
    /// Report what the Docker Engine's host will refuse of a profile (CPU limits above its CPUs,
    /// privileged containers or open-file limits its daemon cannot grant).
    Doctor(cli::doctor::DoctorArgs),
    /// Print the machine-readable vocabulary of the stack language (schema/stack-language.json).
    Schema,
    /// Explain a diagnostic code, or list them all.
    Explain { code: Option<String> },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            stacks,
            out,
            profiles,
            common,
        } => cli::build::build(&stacks, &out, profiles, &common),
        Command::Check {
            stacks,
            out,
            profiles,
            common,
        } => cli::build::check(&stacks, &out, profiles, &common),
        Command::Validate { stacks, common } => cli::build::validate(&stacks, &common),
        Command::Pin(args) => cli::pin::pin_cmd(&args),
        Command::Verify(args) => cli::pin::verify_cmd(&args),
        Command::Secrets(command) => cli::secrets::secrets_cmd(&command),
        Command::Audit(args) => cli::audit::audit_cmd(&args),
        Command::Graph(args) => cli::graph::graph_cmd(&args),
        Command::Import(args) => cli::import::import_cmd(&args),
        Command::Fmt(args) => cli::fmt::fmt_cmd(&args),
        Command::Smoke(args) => cli::smoke::smoke_cmd(&args),
        Command::Doctor(args) => cli::doctor::doctor_cmd(&args),
        Command::Schema => {
            print!("{}", pmovesc::lang::vocabulary::schema_json());
            ExitCode::SUCCESS
        }
        Command::Explain { code } => explain(code.as_deref()),
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
