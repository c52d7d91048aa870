//! The healthcheck of a service, and the label that records an `http-get` endpoint for outside
//! probes.

use crate::lang::model::*;

use super::{ComposeHealthcheck, ComposeService};

/// The label that records an `http-get` healthcheck's endpoint for outside probes.
pub const PROBE_LABEL: &str = "io.pmovesc.healthcheck.url";

pub(super) fn lower(name: &str, body: &ServiceBody, s: &mut ComposeService) {
    let Some(hc) = &body.healthcheck else {
        return;
    };
    let h = &hc.value;
    let test = match &h.probe {
        Some(Probe::HttpGet {
            port,
            path,
            tool,
            host,
        }) => {
            let path = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            let url = format!("http://{host}:{port}{path}");
            // Other services (and tools on the stack's networks) reach it by name; a service on
            // the host's network is reached on the host.
            let probe_host = match body.network_mode.as_ref().map(|m| m.value.as_str()) {
                Some("host") => "127.0.0.1",
                _ => name,
            };
            s.labels.insert(
                PROBE_LABEL.into(),
                format!("http://{probe_host}:{port}{path}"),
            );
            http_probe(tool, &url)
        }
        Some(Probe::Cmd(words)) => std::iter::once("CMD".to_string())
            .chain(words.iter().cloned())
            .collect(),
        Some(Probe::Shell(cmd)) => vec!["CMD-SHELL".into(), cmd.clone()],
        None => vec!["NONE".into()],
    };
    s.healthcheck = Some(ComposeHealthcheck {
        test,
        interval: h.interval.clone(),
        timeout: h.timeout.clone(),
        retries: h.retries,
        start_period: h.start_period.clone(),
        start_interval: h.start_interval.clone(),
    });
}

/// The healthcheck command of an `http-get` probe, per tool.
pub fn http_probe(tool: &str, url: &str) -> Vec<String> {
    match tool {
        "wget" => vec![
            "CMD".into(),
            "wget".into(),
            "-q".into(),
            "--spider".into(),
            url.into(),
        ],
        "python" => vec![
            "CMD".into(),
            "python3".into(),
            "-c".into(),
            // The URL as a Python literal: a path can never end the string and run code.
            format!(
                "import urllib.request; urllib.request.urlopen({}, timeout=5)",
                crate::lang::compose_values::python_string_literal(url)
            ),
        ],
        _ => vec![
            "CMD".into(),
            "curl".into(),
            "-fsS".into(),
            "-o".into(),
            "/dev/null".into(),
            url.into(),
        ],
    }
}
