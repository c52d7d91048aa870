//! One service: image or build, the process (command, entrypoint, ...), groups, dependencies,
//! environment and secrets, labels; the other families are lowered by their own files.

use crate::analysis::resolve::Resolved;
use crate::lang::model::*;

use super::{
    ComposeBuild, ComposeDependency, ComposeEnvFile, ComposeService, Shapes, deploy, hardening,
    health, network, plain,
};

fn command(words: &Setting<Vec<String>>) -> super::Command {
    match words.value.as_slice() {
        [one] => super::Command::Shell(one.clone()),
        many => super::Command::Exec(many.to_vec()),
    }
}

pub(super) fn lower_service(
    stack: &Resolved,
    profile: &Profile,
    name: &str,
    body: &ServiceBody,
    present: &Shapes,
) -> ComposeService {
    let mut s = ComposeService::default();
    image_and_build(stack, profile, name, body, &mut s);
    process(body, &mut s);
    dependencies(body, present, &mut s);
    environment(stack, body, &mut s);
    let class = hardening::class_for(stack, profile, body);
    let publish_host = class
        .and_then(|c| c.publish_host.as_ref())
        .map(|h| h.value.as_str());
    network::ports_and_networks(body, publish_host, &mut s);
    network::volumes(body, &mut s);
    hardening::lower(body, class, &mut s);
    health::lower(name, body, &mut s);
    deploy::lower(profile, body, class, &mut s);
    plain::lower(body, &mut s);
    for (k, v) in &body.labels {
        s.labels.insert(k.clone(), v.value.clone());
    }
    s
}

fn image_and_build(
    stack: &Resolved,
    profile: &Profile,
    name: &str,
    body: &ServiceBody,
    s: &mut ComposeService,
) {
    let build_here = profile.source == Source::Build && body.build.is_some();
    if build_here {
        let b = &body.build.as_ref().expect("checked").value;
        s.image = Some(format!(
            "{}/{}:{}",
            stack.project_name, name, profile.name.value
        ));
        s.build = Some(ComposeBuild {
            context: b.context.clone().unwrap_or_else(|| ".".into()),
            dockerfile: b.dockerfile.clone(),
            target: b.target.clone(),
            args: b.args.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        });
    } else if let Some(image) = &body.image {
        s.image = Some(format!(
            "${{{}:-{}}}",
            stack.pin_var(name, body),
            image.value
        ));
    }
}

fn process(body: &ServiceBody, s: &mut ComposeService) {
    s.command = body.command.as_ref().map(command);
    s.entrypoint = body.entrypoint.as_ref().map(command);
    s.working_dir = body.working_dir.as_ref().map(|v| v.value.clone());
    s.hostname = body.hostname.as_ref().map(|v| v.value.clone());
    s.init = body.init.as_ref().map(|v| v.value);
    // A stdio MCP server reads its requests on stdin and exits at end of input: compose keeps
    // stdin open so the container stays up for `docker compose attach` and `run -i`.
    let stdio_mcp = body
        .mcp
        .as_ref()
        .is_some_and(|m| m.value.transport_kind() == "stdio");
    if stdio_mcp {
        s.stdin_open = Some(true);
    }
    s.stop_signal = body.stop_signal.as_ref().map(|v| v.value.clone());
    s.stop_grace_period = body.stop_grace_period.as_ref().map(|v| v.value.clone());
    if let Some(groups) = &body.groups {
        let mut g: Vec<String> = groups.value.iter().map(|g| g.value.clone()).collect();
        g.sort();
        g.dedup();
        s.profiles = g;
    }
}

fn dependencies(body: &ServiceBody, present: &Shapes, s: &mut ComposeService) {
    for dep in body.depends_on.values() {
        let d = &dep.value;
        if !present.contains_key(d.service.as_str()) {
            continue; // an optional dependency the profile leaves out
        }
        s.depends_on.insert(
            d.service.clone(),
            ComposeDependency {
                condition: match d.condition {
                    Condition::Started => "service_started",
                    Condition::Healthy => "service_healthy",
                    Condition::Completed => "service_completed_successfully",
                },
                required: (!d.required).then_some(false),
                restart: d.restart,
            },
        );
    }
}

fn environment(stack: &Resolved, body: &ServiceBody, s: &mut ComposeService) {
    let env_files = body.env_files.as_ref().unwrap_or(&stack.env_files);
    s.env_file = env_files
        .iter()
        .map(|e| ComposeEnvFile {
            path: e.path.clone(),
            required: e.required,
        })
        .collect();
    s.environment = body
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let mut secrets: Vec<String> = Vec::new();
    for secret in body.secrets.values() {
        secrets.push(secret.value.name.clone());
        if let Some(var) = &secret.value.env {
            s.environment
                .insert(var.clone(), format!("/run/secrets/{}", secret.value.name));
        }
    }
    secrets.sort();
    s.secrets = secrets;
}
