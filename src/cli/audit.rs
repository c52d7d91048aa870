//! `pmovesc audit`: the hardening audit of a stack's profiles, as text for people, JSON for
//! tools or SARIF 2.1.0 for code-scanning uploads; exit 1 when a finding at or above `--deny`
//! is not accepted, 2 when the stack has errors (it is still audited when it resolves).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use pmovesc::analysis::audit::{self, Finding, Level, RULES, Rule};
use pmovesc::diag;
use pmovesc::lang::model::Profile;
use pmovesc::lang::source::{SourceMap, Span};
use serde_json::{Value, json};

use super::{Common, load, report};

#[derive(clap::Args)]
pub struct AuditArgs {
    stacks: PathBuf,
    /// Audit this profile (repeatable; default: every hardened profile).
    #[arg(long = "profile")]
    profiles: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit 1 when a finding at or above this level is not accepted.
    #[arg(long, value_enum, default_value_t = Deny::High)]
    deny: Deny,
    #[command(flatten)]
    common: Common,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
enum Deny {
    Info,
    Low,
    Medium,
    High,
    /// Never fail on findings.
    None,
}

impl Deny {
    fn level(self) -> Option<Level> {
        match self {
            Deny::Info => Some(Level::Info),
            Deny::Low => Some(Level::Low),
            Deny::Medium => Some(Level::Medium),
            Deny::High => Some(Level::High),
            Deny::None => None,
        }
    }
}

/// One finding as reported: the same finding in several profiles is one entry.
struct Entry<'a> {
    finding: &'a Finding,
    profiles: Vec<&'a str>,
}

fn merge(findings: &[Finding]) -> Vec<Entry<'_>> {
    let mut by: BTreeMap<(&str, &str, Span, &str, bool), Entry> = BTreeMap::new();
    for f in findings {
        let key = (
            f.rule.id,
            f.service.as_str(),
            f.span,
            f.message.as_str(),
            f.accepted.is_some(),
        );
        by.entry(key)
            .or_insert_with(|| Entry {
                finding: f,
                profiles: Vec::new(),
            })
            .profiles
            .push(&f.profile);
    }
    by.into_values().collect()
}

pub fn audit_cmd(args: &AuditArgs) -> ExitCode {
    let sources = match load(&args.stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (resolved, diags) = pmovesc::analyze(&sources);
    // Errors are printed (the audit's findings say what most of them are about); warnings are
    // `validate`'s business and only counted.
    let (errors, warnings): (Vec<_>, Vec<_>) = diags
        .into_sorted()
        .into_iter()
        .partition(|d| d.severity == diag::Severity::Error);
    // A stack that resolves is audited even when `build` refuses it: its open findings are the
    // audit's view of what the errors are about.
    let refused = !errors.is_empty();
    if refused {
        report(&sources, &errors, &args.common);
    }
    if !warnings.is_empty() {
        eprintln!(
            "{} warning{} not shown (`pmovesc validate` prints them)",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        );
    }
    let Some(stack) = resolved else {
        eprintln!("the stack does not resolve: nothing audited");
        return ExitCode::from(2);
    };
    if refused {
        eprintln!("`build` refuses this stack (errors above); the audit follows");
    }
    let profiles: Vec<&Profile> = if args.profiles.is_empty() {
        let hardened: Vec<&Profile> = stack.profiles.iter().filter(|p| p.hardened).collect();
        if hardened.is_empty() {
            stack.profiles.iter().collect()
        } else {
            hardened
        }
    } else {
        let mut chosen = Vec::new();
        for wanted in &args.profiles {
            match stack.profiles.iter().find(|p| &p.name.value == wanted) {
                Some(p) => chosen.push(p),
                None => {
                    let names = stack.profiles.iter().map(|p| p.name.value.as_str());
                    eprintln!(
                        "error: profile `{wanted}` is not defined; {}",
                        diag::suggest(wanted, names)
                    );
                    return ExitCode::from(2);
                }
            }
        }
        chosen
    };
    let findings = audit::audit(&stack, &profiles);
    let entries = merge(&findings);
    let deny = args.deny.level();
    let failing =
        |e: &Entry| e.finding.accepted.is_none() && deny.is_some_and(|d| e.finding.level >= d);
    let failed = entries.iter().any(failing);
    let names: Vec<&str> = profiles.iter().map(|p| p.name.value.as_str()).collect();
    let text = match args.format {
        Format::Text => text(&sources, &entries, &names, args.deny, failed),
        Format::Json => {
            let mut t = serde_json::to_string_pretty(&json_report(
                &sources, &entries, &names, args.deny, failed,
            ))
            .unwrap_or_default();
            t.push('\n');
            t
        }
        Format::Sarif => {
            let mut t =
                serde_json::to_string_pretty(&sarif(&sources, &entries)).unwrap_or_default();
            t.push('\n');
            t
        }
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if refused {
        ExitCode::from(2)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn deny_name(deny: Deny) -> &'static str {
    deny.level().map_or("none", Level::name)
}

fn place(sources: &SourceMap, span: Span) -> String {
    let (line, col) = sources.line_col(span);
    format!("{}:{line}:{col}", sources.file(span.file).name)
}

fn rule_refs(rule: &Rule) -> String {
    let mut refs = Vec::new();
    if let Some(k) = rule.kics {
        refs.push(format!(
            "KICS {} \"{}\" ({})",
            &k.id[..8],
            k.query,
            k.severity.name()
        ));
    }
    if !rule.cis.is_empty() {
        refs.push(format!("CIS {}", rule.cis));
    }
    if !rule.compose_lint.is_empty() {
        refs.push(rule.compose_lint.join(" "));
    }
    refs.join(" · ")
}

/// Text for people: open findings grouped by rule (worst first), then accepted exceptions with
/// their reasons, then one summary line.
fn text(
    sources: &SourceMap,
    entries: &[Entry],
    profiles: &[&str],
    deny: Deny,
    failed: bool,
) -> String {
    let mut out = format!(
        "pmovesc audit of {} ({} rules)\n",
        profile_names(profiles),
        RULES.len()
    );
    let mut open: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.finding.accepted.is_none())
        .collect();
    open.sort_by(|a, b| {
        b.finding
            .level
            .cmp(&a.finding.level)
            .then(a.finding.rule.id.cmp(b.finding.rule.id))
    });
    let mut current: Option<(&str, Level)> = None;
    for e in &open {
        let f = e.finding;
        if current != Some((f.rule.id, f.level)) {
            current = Some((f.rule.id, f.level));
            out.push_str(&format!(
                "\n{} {} [{}] {}\n",
                f.rule.id,
                f.rule.name,
                f.level.name(),
                f.rule.title
            ));
            let refs = rule_refs(f.rule);
            if !refs.is_empty() {
                out.push_str(&format!("  {refs}\n"));
            }
            out.push_str(&format!("  fix: {}\n", f.rule.help));
        }
        out.push_str(&format!(
            "  {}  `{}` {}{}\n",
            place(sources, f.span),
            f.service,
            f.message,
            profile_suffix(&e.profiles, profiles)
        ));
    }
    let accepted: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.finding.accepted.is_some())
        .collect();
    if !accepted.is_empty() {
        out.push_str("\nAccepted exceptions\n");
        for e in &accepted {
            let f = e.finding;
            let reason = f.accepted.as_ref().expect("accepted");
            out.push_str(&format!(
                "  {} {} [{}] {}  `{}` {}{}\n      reason ({}): {}\n",
                f.rule.id,
                f.rule.name,
                f.level.name(),
                place(sources, f.span),
                f.service,
                f.message,
                profile_suffix(&e.profiles, profiles),
                place(sources, reason.span),
                reason.value
            ));
        }
    }
    let mut counts: BTreeMap<Level, usize> = BTreeMap::new();
    for e in &open {
        *counts.entry(e.finding.level).or_default() += 1;
    }
    let summary: Vec<String> = Level::ALL
        .iter()
        .rev()
        .map(|l| format!("{} {}", counts.get(l).copied().unwrap_or(0), l.name()))
        .collect();
    out.push_str(&format!(
        "\n{} open, {} accepted; --deny {}: {}\n",
        summary.join(", "),
        accepted.len(),
        deny_name(deny),
        if failed { "FAIL" } else { "pass" }
    ));
    out
}

fn profile_names(profiles: &[&str]) -> String {
    let quoted: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    format!(
        "profile{} {}",
        if quoted.len() == 1 { "" } else { "s" },
        quoted.join(", ")
    )
}

/// ` (in hardened)` when a finding holds in only some of the audited profiles.
fn profile_suffix(holds: &[&str], audited: &[&str]) -> String {
    if holds.len() == audited.len() {
        String::new()
    } else {
        format!("  (in {})", holds.join(", "))
    }
}

fn location(sources: &SourceMap, span: Span) -> Value {
    let (line, column) = sources.line_col(span);
    let end = Span::new(span.file, (span.start + span.len) as usize, 0);
    let (end_line, end_column) = sources.line_col(end);
    json!({
        "file": sources.file(span.file).name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
    })
}

fn rule_json(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.name,
        "title": rule.title,
        "keys": rule.keys,
        "level": rule.level,
        "kics": rule.kics.map(|k| json!({"id": k.id, "query": k.query, "severity": k.severity})),
        "cis": rule.cis,
        "compose_lint": rule.compose_lint,
        "help": rule.help,
    })
}

/// JSON for tools: every rule, every finding (merged over profiles) with its place and, when
/// accepted, the reason and its place.
fn json_report(
    sources: &SourceMap,
    entries: &[Entry],
    profiles: &[&str],
    deny: Deny,
    failed: bool,
) -> Value {
    let findings: Vec<Value> = entries
        .iter()
        .map(|e| {
            let f = e.finding;
            json!({
                "rule": f.rule.id,
                "name": f.rule.name,
                "level": f.level,
                "kics": f.rule.kics.map(|k| k.id),
                "cis": f.rule.cis,
                "service": f.service,
                "profiles": e.profiles,
                "message": f.message,
                "location": location(sources, f.span),
                "accepted": f.accepted.as_ref().map(|r| json!({
                    "reason": r.value,
                    "location": location(sources, r.span),
                })),
                "compose_lint": f.compose_lint,
            })
        })
        .collect();
    let mut open: BTreeMap<&str, usize> = Level::ALL.iter().map(|l| (l.name(), 0)).collect();
    for e in entries.iter().filter(|e| e.finding.accepted.is_none()) {
        *open.entry(e.finding.level.name()).or_default() += 1;
    }
    json!({
        "tool": "pmovesc",
        "version": env!("CARGO_PKG_VERSION"),
        "profiles": profiles,
        "deny": deny_name(deny),
        "passed": !failed,
        "summary": {
            "open": open,
            "accepted": entries.iter().filter(|e| e.finding.accepted.is_some()).count(),
        },
        "rules": RULES.iter().map(rule_json).collect::<Vec<_>>(),
        "findings": findings,
    })
}

/// A relative path as a URI reference (the few characters a path may hold that a URI may not
/// are percent-encoded).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for c in path.chars() {
        match c {
            '\\' => out.push('/'),
            ' ' | '%' | '#' | '?' | '[' | ']' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::High => "error",
        Level::Medium => "warning",
        Level::Low | Level::Info => "note",
    }
}

/// GitHub's `security-severity` (0.0-10.0) for a level.
fn security_severity(level: Level) -> &'static str {
    match level {
        Level::High => "8.0",
        Level::Medium => "5.0",
        Level::Low => "3.0",
        Level::Info => "1.0",
    }
}

fn region(sources: &SourceMap, span: Span) -> Value {
    let l = location(sources, span);
    json!({
        "startLine": l["line"],
        "startColumn": l["column"],
        "endLine": l["end_line"],
        "endColumn": l["end_column"],
    })
}

/// SARIF 2.1.0: rule metadata for every rule, one result per finding with its `.kdl` location;
/// an accepted finding carries an in-source suppression with its reason.
fn sarif(sources: &SourceMap, entries: &[Entry]) -> Value {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let mut tags = vec!["security".to_string(), "hardening".to_string()];
            if !r.cis.is_empty() {
                tags.push(format!("CIS-Docker-{}", r.cis.replace(", ", "/")));
            }
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": format!("{} (compose keys: {}).", r.title, r.keys)},
                "help": {"text": r.help},
                "defaultConfiguration": {"level": sarif_level(r.level)},
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(r.level),
                    "kics": r.kics.map(|k| json!({"id": k.id, "query": k.query, "severity": k.severity})),
                    "cis": r.cis,
                    "compose-lint": r.compose_lint,
                },
            })
        })
        .collect();
    let artifact = |span: Span| {
        json!({
            "uri": uri(&sources.file(span.file).name),
            "uriBaseId": "%SRCROOT%",
        })
    };
    let results: Vec<Value> = entries
        .iter()
        .map(|e| {
            let f = e.finding;
            let index = RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0);
            let mut result = json!({
                "ruleId": f.rule.id,
                "ruleIndex": index,
                "level": sarif_level(f.level),
                "message": {"text": format!("`{}` {} (profiles: {})", f.service, f.message, e.profiles.join(", "))},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": artifact(f.span),
                        "region": region(sources, f.span),
                    },
                    "logicalLocations": [{"name": f.service, "kind": "module"}],
                }],
                "partialFingerprints": {
                    "pmovescFinding/v1": format!("{}:{}:{}", f.rule.id, f.service, f.message),
                },
                "properties": {
                    "severity": f.level,
                    "security-severity": security_severity(f.level),
                    "service": f.service,
                    "profiles": e.profiles,
                },
            });
            if let Some(r) = &f.accepted {
                result["suppressions"] = json!([{
                    "kind": "inSource",
                    "status": "accepted",
                    "justification": r.value,
                    "location": {
                        "physicalLocation": {
                            "artifactLocation": artifact(r.span),
                            "region": region(sources, r.span),
                        },
                    },
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pmovesc",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/POWERFULMOVES/PMOVES.AI",
                    "rules": rules,
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
