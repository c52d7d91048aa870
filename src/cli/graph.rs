//! `pmovesc graph`: one profile's services, whom each talks to (`talks-to`, with its ports),
//! the start-up dependencies that are not connections, what reaches outside (`egress`) and the
//! ports each service publishes (in its box), as Graphviz dot or a Mermaid flowchart, so a reviewer sees isolation
//! instead of reading YAML.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use pmovesc::analysis::reachability::{self, Reachability};
use pmovesc::analysis::resolve::Resolved;
use pmovesc::diag;
use pmovesc::lang::model::Profile;

use super::{Common, load, report};

#[derive(clap::Args)]
pub struct GraphArgs {
    stacks: PathBuf,
    /// The profile to draw.
    #[arg(long)]
    profile: String,
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    #[command(flatten)]
    common: Common,
}

#[derive(Clone, Copy, ValueEnum)]
enum GraphFormat {
    Dot,
    Mermaid,
}

/// What the graph shows, independent of the format.
struct Picture {
    title: String,
    /// Services by group (the first `group`, or "" for none), each with its label lines.
    groups: BTreeMap<String, Vec<(String, Vec<String>)>>,
    /// (from, to, label, kind)
    edges: Vec<(String, String, String, Kind)>,
    outside: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A declared connection; `true` when the service also waits for it.
    Talks(bool),
    /// A start-up dependency without a connection.
    Depends,
    Egress,
}

const OUTSIDE: &str = "(outside)";

fn picture(stack: &Resolved, profile: &Profile, reach: &Reachability) -> Picture {
    let mut groups: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    let mut edges = Vec::new();
    for (name, service) in &stack.services {
        let Some(body) = stack.shape(service, profile) else {
            continue;
        };
        let group = body
            .groups
            .as_ref()
            .and_then(|g| g.value.first())
            .map(|g| g.value.clone())
            .unwrap_or_default();
        let mut lines = vec![name.clone()];
        if let Some(mode) = &body.network_mode {
            lines.push(format!("network-mode {}", mode.value));
        }
        let publish_host = profile
            .hardened
            .then(|| stack.class_of(&body))
            .flatten()
            .and_then(|c| stack.classes.get(&c.value))
            .and_then(|c| c.body.publish_host.as_ref())
            .map(|h| h.value.clone());
        let published: Vec<String> = body
            .ports
            .values()
            .map(|port| {
                let p = &port.value;
                let host_port = p.host.clone().unwrap_or_else(|| p.container.to_string());
                match p.host_ip.clone().or_else(|| publish_host.clone()) {
                    Some(ip) => format!("{ip}:{host_port}"),
                    None => format!("*:{host_port}"),
                }
            })
            .collect();
        if !published.is_empty() {
            lines.push(format!("publishes {}", published.join(" ")));
        }
        groups.entry(group).or_default().push((name.clone(), lines));
    }
    let talks: BTreeSet<(&str, &str)> = reach
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    for e in &reach.edges {
        let waits = reach.services[&e.from]
            .depends_on
            .iter()
            .any(|(d, _)| d == &e.to);
        let label = e
            .ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        edges.push((e.from.clone(), e.to.clone(), label, Kind::Talks(waits)));
    }
    let mut outside = false;
    for (name, peer) in &reach.services {
        for (dep, _) in &peer.depends_on {
            if reach.services.contains_key(dep) && !talks.contains(&(name.as_str(), dep.as_str())) {
                edges.push((name.clone(), dep.clone(), String::new(), Kind::Depends));
            }
        }
        if let Some(hosts) = &peer.egress {
            edges.push((
                name.clone(),
                OUTSIDE.to_string(),
                if hosts.is_empty() {
                    "anywhere".to_string()
                } else {
                    hosts.join(" ")
                },
                Kind::Egress,
            ));
            outside = true;
        }
    }
    edges.sort();
    edges.dedup();
    let title = format!(
        "{}: profile {}{}",
        stack.project_name,
        profile.name.value,
        if reach.isolated { " (isolated)" } else { "" }
    );
    Picture {
        title,
        groups,
        edges,
        outside,
    }
}

fn dot_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(p: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", dot_quote(&p.title));
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, newrank=true, fontname=\"Helvetica\", fontsize=12, label={}, labelloc=t, ranksep=1.2];",
        dot_quote(&p.title)
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f4f4f4\", fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=8];");
    if p.outside {
        let _ = writeln!(
            out,
            "  {} [shape=ellipse, fillcolor=\"#ffe3d6\", label=\"outside (egress)\"];",
            dot_quote(OUTSIDE)
        );
    }
    for (i, (group, services)) in p.groups.iter().enumerate() {
        let indent = if group.is_empty() { "  " } else { "    " };
        if !group.is_empty() {
            let _ = writeln!(out, "  subgraph cluster_{i} {{");
            let _ = writeln!(
                out,
                "    label={}; style=\"rounded,dashed\"; color=\"#9a9a9a\";",
                dot_quote(&format!("group {group}"))
            );
        }
        for (name, lines) in services {
            // Lines of a label are joined with dot's `\n` escape.
            let label: Vec<String> = lines
                .iter()
                .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
                .collect();
            let _ = writeln!(
                out,
                "{indent}{} [label=\"{}\"];",
                dot_quote(name),
                label.join("\\n")
            );
        }
        if !group.is_empty() {
            let _ = writeln!(out, "  }}");
        }
    }
    for (from, to, label, kind) in &p.edges {
        let style = match kind {
            Kind::Talks(true) => "penwidth=1.6",
            Kind::Talks(false) => "penwidth=1.0",
            Kind::Depends => "style=dashed, color=\"#8a8a8a\", arrowhead=empty",
            Kind::Egress => "color=\"#d0551f\", fontcolor=\"#d0551f\"",
        };
        let label = if label.is_empty() {
            String::new()
        } else {
            format!(", label={}", dot_quote(label))
        };
        let _ = writeln!(
            out,
            "  {} -> {} [{style}{label}];",
            dot_quote(from),
            dot_quote(to)
        );
    }
    out.push_str("}\n");
    out
}

/// A Mermaid node id for a name (ids take letters, digits and `_`).
fn mermaid_id(name: &str) -> String {
    let mut id = String::from("n_");
    for c in name.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn mermaid(p: &Picture) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "---\ntitle: \"{}\"\n---", mermaid_text(&p.title));
    let _ = writeln!(out, "flowchart LR");
    if p.outside {
        let _ = writeln!(out, "  {}((\"outside (egress)\"))", mermaid_id(OUTSIDE));
    }
    for (group, services) in &p.groups {
        if !group.is_empty() {
            let _ = writeln!(
                out,
                "  subgraph {}[\"group {}\"]",
                mermaid_id(&format!("group {group}")),
                mermaid_text(group)
            );
        }
        for (name, lines) in services {
            let _ = writeln!(
                out,
                "    {}[\"{}\"]",
                mermaid_id(name),
                mermaid_text(&lines.join("<br>"))
            );
        }
        if !group.is_empty() {
            let _ = writeln!(out, "  end");
        }
    }
    for (from, to, label, kind) in &p.edges {
        let arrow = match kind {
            Kind::Talks(true) => "==>",
            Kind::Talks(false) | Kind::Egress => "-->",
            Kind::Depends => "-.->",
        };
        let label = if label.is_empty() {
            String::new()
        } else {
            format!("|\"{}\"|", mermaid_text(label))
        };
        let _ = writeln!(
            out,
            "  {} {arrow}{label} {}",
            mermaid_id(from),
            mermaid_id(to)
        );
    }
    out
}

pub fn graph_cmd(args: &GraphArgs) -> ExitCode {
    let sources = match load(&args.stacks) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (resolved, diags) = pmovesc::analyze(&sources);
    let diagnostics = diags.into_sorted();
    let has_errors = diagnostics
        .iter()
        .any(|d| d.severity == pmovesc::diag::Severity::Error);
    let Some(stack) = resolved.filter(|_| !has_errors) else {
        report(&sources, &diagnostics, &args.common);
        eprintln!("the stack has errors: nothing drawn");
        return ExitCode::from(2);
    };
    let Some(profile) = stack.profiles.iter().find(|p| p.name.value == args.profile) else {
        let names = stack.profiles.iter().map(|p| p.name.value.as_str());
        eprintln!(
            "error: profile `{}` is not defined; {}",
            args.profile,
            diag::suggest(&args.profile, names)
        );
        return ExitCode::from(2);
    };
    let reach = reachability::model(&stack, profile);
    let pic = picture(&stack, profile, &reach);
    let text = match args.format {
        GraphFormat::Dot => dot(&pic),
        GraphFormat::Mermaid => mermaid(&pic),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}
