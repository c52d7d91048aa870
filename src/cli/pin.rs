//! `pmovesc pin` and `pmovesc verify`: the CLI edge of [`pmovesc::registry`]. These two commands
//! (and only these) create a tokio runtime and talk to registries.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use pmovesc::diag::{self, RenderOptions, Severity};
use pmovesc::lang::source::SourceMap;
use pmovesc::output::fs;
use pmovesc::registry::auth::{self, Credential, DockerConfig};
use pmovesc::registry::oci::{OciRegistry, Settings};
use pmovesc::registry::run::{self, Limits};
use pmovesc::registry::verify::{self, Requirement, Status};
use pmovesc::registry::{self, Finding, Outcome};

use super::load;

#[derive(clap::Args)]
pub struct NetArgs {
    /// Reach this registry (HOST[:PORT], as written in image references) over plain HTTP
    /// (repeatable). Registries on loopback addresses always are; all others use HTTPS.
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    pub insecure: Vec<String>,
    /// Time limit of one registry request, in seconds.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Requests in flight to one registry at a time.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,
}

#[derive(clap::Args)]
pub struct PinArgs {
    pub stacks: PathBuf,
    /// Pin only the images of this service (repeatable).
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Write nothing; exit 1 listing images without a digest and images whose tag now points
    /// to another digest than the pinned one.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub net: NetArgs,
}

#[derive(clap::Args)]
pub struct VerifyArgs {
    pub stacks: PathBuf,
    /// The profile whose images are verified.
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// What each image needs besides its digest: `signature`, `sbom`, both (comma-separated
    /// or repeated), or `none`.
    #[arg(long, value_name = "LIST", default_value = "signature,sbom")]
    pub require: Vec<String>,
    #[command(flatten)]
    pub net: NetArgs,
}

fn color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

fn print_errors(sources: &SourceMap, diags: Vec<diag::Diagnostic>) {
    let options = RenderOptions {
        color: color(),
        width: 100,
    };
    let mut err = std::io::stderr().lock();
    for d in diags.iter().filter(|d| d.severity == Severity::Error) {
        let _ = err.write_all(diag::render_human(sources, d, options).as_bytes());
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(2)
        })
}

/// Credentials for every registry of the run, from the Docker config file and its helpers.
fn credentials(registries: &BTreeSet<String>) -> Result<BTreeMap<String, Credential>, ExitCode> {
    let config = match fs::read_docker_config() {
        Ok(None) => return Ok(BTreeMap::new()),
        Ok(Some((path, text))) => match DockerConfig::parse(&text) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                return Err(ExitCode::from(2));
            }
        },
        Err(e) => {
            eprintln!("error: cannot read the Docker config file: {e}");
            return Err(ExitCode::from(2));
        }
    };
    for note in &config.unusable {
        eprintln!("warning: Docker config: {note}");
    }
    let mut out = BTreeMap::new();
    for registry in registries {
        if let Some(c) = config.credential(registry) {
            out.insert(registry.clone(), c.clone());
        } else if let Some(helper) = config.helper(registry) {
            match run_helper(helper, registry) {
                Ok(Some(c)) => {
                    out.insert(registry.clone(), c);
                }
                Ok(None) => {}
                Err(e) => eprintln!(
                    "warning: credential helper docker-credential-{helper} gave nothing for {registry} ({e}); trying anonymously"
                ),
            }
        }
    }
    Ok(out)
}

/// Asks `docker-credential-<helper> get` for a registry's credentials.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Credential>, String> {
    let mut child = Command::new(format!("docker-credential-{helper}"))
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(auth::helper_server_url(registry).as_bytes());
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    auth::parse_helper_answer(&String::from_utf8_lossy(&out.stdout))
}

/// The registry client, its limits and the async runtime of a `pin` or `verify` run.
fn connect(
    registries: &BTreeSet<String>,
    net: &NetArgs,
) -> Result<(OciRegistry, Limits, tokio::runtime::Runtime), ExitCode> {
    let credentials = credentials(registries)?;
    let timeout = Duration::from_secs(net.timeout.max(1));
    let client = OciRegistry::new(
        registries.iter().map(String::as_str),
        Settings {
            insecure: net.insecure.clone(),
            credentials,
            timeout,
        },
    )
    .map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let limits = Limits {
        per_registry: net.concurrency.max(1),
        total: (net.concurrency.max(1) * 4).max(16),
        timeout,
    };
    Ok((client, limits, runtime()?))
}

fn place(sources: &SourceMap, span: pmovesc::lang::source::Span) -> String {
    let (line, col) = sources.line_col(span);
    format!("{}:{line}:{col}", sources.file(span.file).name)
}

pub fn pin_cmd(args: &PinArgs) -> ExitCode {
    let sources = match load(&args.stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (collected, diags) = registry::collect(&sources);
    if diags.has_errors() {
        print_errors(&sources, diags.into_sorted());
        eprintln!("pin needs a stack that parses and decodes; nothing written");
        return ExitCode::from(1);
    }
    let sites = match collected.select(&args.services) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let lookups = registry::lookups(sites.iter().copied());
    let registries: BTreeSet<String> = lookups.iter().map(|l| l.repo.registry.clone()).collect();
    let answers = if lookups.is_empty() {
        BTreeMap::new()
    } else {
        let (client, limits, rt) = match connect(&registries, &args.net) {
            Ok(c) => c,
            Err(code) => return code,
        };
        rt.block_on(run::resolve_all(&client, &lookups, limits))
    };
    let results = registry::plan(&sites, &answers);

    let mut failed = 0;
    for r in &results {
        match &r.outcome {
            Outcome::Failed { lookup, error } => {
                failed += 1;
                let as_asked = lookup.to_string();
                let asked = if as_asked == r.site.image {
                    String::new()
                } else {
                    format!("; asked for {as_asked}")
                };
                eprintln!(
                    "error: {}: {}: {} (registry {}{asked}): {error}",
                    place(&sources, r.site.span),
                    r.site.owner,
                    r.site.image,
                    lookup.repo.registry,
                );
            }
            Outcome::Invalid(e) => {
                failed += 1;
                eprintln!(
                    "error: {}: {}: {}: {e}",
                    place(&sources, r.site.span),
                    r.site.owner,
                    r.site.image
                );
            }
            _ => {}
        }
    }
    let count = |f: fn(&Outcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
    let current = count(|o| matches!(o, Outcome::Current));
    let digest_only = count(|o| matches!(o, Outcome::DigestOnly));

    if args.check {
        let found = registry::findings(&results);
        let mut out = std::io::stdout().lock();
        for (r, f) in &found {
            let at = place(&sources, r.site.span);
            let line = match f {
                Finding::NoDigest { current: Some(d) } => format!(
                    "{at}: {}: {} has no digest (the tag points to {d})",
                    r.site.owner, r.site.image
                ),
                Finding::NoDigest { current: None } => {
                    format!("{at}: {}: {} has no digest", r.site.owner, r.site.image)
                }
                Finding::Moved { pinned, current } => format!(
                    "{at}: {}: {} is pinned to {pinned}, but the tag now points to {current}",
                    r.site.owner, r.site.image
                ),
            };
            let _ = writeln!(out, "{line}");
        }
        let unpinned = found
            .iter()
            .filter(|(_, f)| matches!(f, Finding::NoDigest { .. }))
            .count();
        let moved = found.len() - unpinned;
        if failed > 0 {
            eprintln!("{failed} image(s) could not be checked");
            return ExitCode::from(2);
        }
        if found.is_empty() {
            eprintln!(
                "{}: every image is pinned to the digest its tag points to ({current} checked{})",
                args.stacks.display(),
                if digest_only > 0 {
                    format!(", {digest_only} pinned by digest only")
                } else {
                    String::new()
                }
            );
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "{unpinned} image(s) without a digest, {moved} whose tag moved: run `pmovesc pin {}`",
            args.stacks.display()
        );
        return ExitCode::from(1);
    }

    if failed > 0 {
        eprintln!(
            "nothing written: {failed} image(s) could not be resolved; every stack file is unchanged"
        );
        return ExitCode::from(2);
    }
    let texts = match registry::new_texts(&sources, &results) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}; nothing written");
            return ExitCode::from(2);
        }
    };
    let changes: Vec<(PathBuf, &str, String)> = texts
        .into_iter()
        .map(|(id, text)| {
            let f = sources.file(id);
            (PathBuf::from(&f.name), f.text.as_str(), text)
        })
        .collect();
    if let Err(e) = fs::replace_files(&changes) {
        eprintln!("error: writing the stack: {e}; nothing written");
        return ExitCode::from(2);
    }
    let mut out = std::io::stdout().lock();
    let mut changed = 0;
    for r in &results {
        if let Some(new) = r.outcome.new_image() {
            changed += 1;
            let _ = writeln!(
                out,
                "{}: {}: {} -> {new}",
                place(&sources, r.site.span),
                r.site.owner,
                r.site.image
            );
        }
    }
    eprintln!(
        "{changed} image(s) pinned in {} file(s); {current} already current{}",
        changes.len(),
        if digest_only > 0 {
            format!(", {digest_only} pinned by digest only (no tag to follow)")
        } else {
            String::new()
        }
    );
    ExitCode::SUCCESS
}

pub fn verify_cmd(args: &VerifyArgs) -> ExitCode {
    let require = match Requirement::parse_list(&args.require) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: --require: {e}");
            return ExitCode::from(2);
        }
    };
    let sources = match load(&args.stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (resolved, diags) = pmovesc::analyze(&sources);
    let Some(stack) = resolved else {
        print_errors(&sources, diags.into_sorted());
        eprintln!("verify needs a stack that resolves");
        return ExitCode::from(1);
    };
    let Some(profile) = stack.profiles.iter().find(|p| p.name.value == args.profile) else {
        let help = diag::suggest(
            &args.profile,
            stack.profiles.iter().map(|p| p.name.value.as_str()),
        );
        eprintln!("error: profile `{}` is not defined; {help}", args.profile);
        return ExitCode::from(2);
    };
    let (targets, local) = verify::targets(&stack, profile);
    let registries: BTreeSet<String> = targets
        .iter()
        .filter(|t| t.digest.is_some())
        .filter_map(|t| t.repo.as_ref().map(|r| r.registry.clone()))
        .collect();
    let answers = if registries.is_empty() {
        BTreeMap::new()
    } else {
        let (client, limits, rt) = match connect(&registries, &args.net) {
            Ok(c) => c,
            Err(code) => return code,
        };
        rt.block_on(run::gather(
            &client,
            &targets,
            |d| verify::probes(d, &require),
            limits,
        ))
    };
    let mut out = std::io::stdout().lock();
    let (mut missing, mut errors) = (0, 0);
    for (i, t) in targets.iter().enumerate() {
        let verdict = verify::evaluate(t, &require, answers.get(&i).map_or(&[][..], |a| a));
        if verdict.missing() {
            missing += 1;
        } else if verdict.errors() {
            errors += 1;
        }
        let registry = t.repo.as_ref().map(|r| r.registry.as_str()).unwrap_or("?");
        let _ = writeln!(
            out,
            "service \"{}\": {} (registry {registry}; {})",
            t.service,
            t.image,
            place(&sources, t.span)
        );
        for c in &verdict.checks {
            let (word, text) = match &c.status {
                Status::Ok(t) => ("ok", t),
                Status::Missing(t) => ("MISSING", t),
                Status::Error(t) => ("ERROR", t),
            };
            let _ = writeln!(out, "  {word:<8} {}: {text}", c.what);
        }
    }
    if !local.is_empty() {
        let _ = writeln!(
            out,
            "not verified (built locally in profile `{}`): {}",
            profile.name.value,
            local.join(", ")
        );
    }
    if !require.is_empty() {
        let _ = writeln!(
            out,
            "note: signatures and SBOMs/attestations were found by tag name or referrer type only; \
             they were not verified cryptographically (run `cosign verify` / `cosign verify-attestation` for that)"
        );
    }
    let policy = if require.is_empty() {
        "digest exists".to_string()
    } else {
        format!(
            "digest exists, {}",
            require
                .iter()
                .map(|r| r.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    eprintln!(
        "profile `{}`: {} image(s) checked against [{policy}]: {} passed, {missing} missing a requirement, {errors} could not be checked",
        profile.name.value,
        targets.len(),
        targets.len() - missing - errors
    );
    if missing > 0 {
        ExitCode::from(1)
    } else if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
