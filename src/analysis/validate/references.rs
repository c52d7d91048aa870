//! Names a service body uses (networks, volumes, secrets, classes, services, selectors) and
//! exceptions that need a reason.

use crate::analysis::resolve::{EXEMPT, Resolved, undefined};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};

pub(super) fn check_selector(
    stack: &Resolved,
    selector: &Spanned<String>,
    diags: &mut Diagnostics,
) {
    let known = stack
        .profiles
        .iter()
        .any(|p| p.name.value == selector.value)
        || selector.value == "gpu"
        || selector.value == "hardened";
    if !known {
        let mut names: Vec<String> = stack
            .profiles
            .iter()
            .map(|p| p.name.value.clone())
            .collect();
        names.push("gpu".into());
        names.push("hardened".into());
        undefined(diags, "profile", selector, names.iter());
    }
}

/// References a body makes: classes, networks, volumes, secrets, services; exceptions that need
/// a reason; GPU shape.
pub(super) fn check_body_refs(stack: &Resolved, body: &ServiceBody, diags: &mut Diagnostics) {
    if let Some(h) = &body.hardening {
        if h.value == EXEMPT {
            if h.reason.is_none() {
                exception(
                    diags,
                    h.span,
                    "`hardening \"exempt\"`",
                    "hardening \"exempt\" reason=\"...\"",
                );
            }
        } else if !stack.classes.contains_key(&h.value) {
            let name = Spanned::new(h.value.clone(), h.span);
            let mut names: Vec<String> = stack.classes.keys().cloned().collect();
            names.push(EXEMPT.into());
            undefined(diags, "hardening class", &name, names.iter());
        }
    }
    for (net, span) in &body.networks {
        if !stack.networks.contains_key(net) {
            undefined(
                diags,
                "network",
                &Spanned::new(net.clone(), *span),
                stack.networks.keys(),
            );
        }
    }
    for mount in body.volumes.values() {
        if !mount.value.is_bind() && !stack.volumes.contains_key(&mount.value.source) {
            diags.push(
                Diagnostic::error(
                    Code::UndefinedReference,
                    format!("volume `{}` is not defined", mount.value.source),
                )
                .label(mount.span, "no such volume")
                .help(match crate::diag::did_you_mean(
                    &mount.value.source,
                    stack.volumes.keys().map(String::as_str),
                ) {
                    Some(s) => format!("did you mean `{s}`? (a bind mount starts with `.` or `/`)"),
                    None => format!(
                        "declare it with `volume \"{}\"`, or start a bind mount's source with `./` or `/`",
                        mount.value.source
                    ),
                }),
            );
        }
    }
    for secret in body.secrets.values() {
        if !stack.secrets.contains_key(&secret.value.name) {
            undefined(
                diags,
                "secret",
                &Spanned::new(secret.value.name.clone(), secret.span),
                stack.secrets.keys(),
            );
        }
    }
    for dep in body.depends_on.values() {
        if !stack.services.contains_key(&dep.value.service) {
            undefined(
                diags,
                "service",
                &Spanned::new(dep.value.service.clone(), dep.span),
                stack.services.keys(),
            );
        }
    }
    if let Some(p) = &body.privileged
        && p.value
        && p.reason.is_none()
    {
        exception(
            diags,
            p.span,
            "`privileged #true`",
            "privileged #true reason=\"...\"",
        );
    }
    if let Some(m) = &body.network_mode
        && m.value == "host"
        && m.reason.is_none()
    {
        exception(
            diags,
            m.span,
            "`network-mode \"host\"`",
            "network-mode \"host\" reason=\"...\"",
        );
    }
    if let Some(m) = &body.pid
        && m.value == "host"
        && m.reason.is_none()
    {
        exception(
            diags,
            m.span,
            "`pid \"host\"`",
            "pid \"host\" reason=\"...\"",
        );
    }
    for d in body.devices.values() {
        if d.reason.is_none() {
            exception(
                diags,
                d.span,
                "a host `device`",
                "device \"/dev/x\" reason=\"...\"",
            );
        }
    }
    for o in body.security_opt.values() {
        if o.reason.is_none() {
            exception(
                diags,
                o.span,
                "a service `security-opt`",
                "security-opt \"...\" reason=\"...\"",
            );
        }
    }
    super::exceptions::check_plain_exceptions(body, diags);
    if let Some(gpu) = &body.gpu {
        let both = gpu.value.count.is_some() && gpu.value.device_ids.is_some();
        let neither = gpu.value.count.is_none() && gpu.value.device_ids.is_none();
        if both || neither {
            diags.push(
                Diagnostic::error(
                    Code::GpuCountOrDevices,
                    if both {
                        "`gpu` has both `count` and `device-ids`"
                    } else {
                        "`gpu` has neither `count` nor `device-ids`"
                    },
                )
                .label(
                    gpu.span,
                    if both {
                        "choose one"
                    } else {
                        "compose would silently take every GPU"
                    },
                )
                .help(if both {
                    "keep `count` (a number or \"all\") or `device-ids` (\"0,1\"), not both"
                } else {
                    "add `count=1` (or `count=\"all\"`) or `device-ids=\"0,1\"`"
                }),
            );
        }
    }
}

pub(super) fn exception(diags: &mut Diagnostics, span: Span, what: &str, example: &str) {
    diags.push(
        Diagnostic::error(
            Code::ExceptionWithoutReason,
            format!("{what} is an exception to hardening and needs `reason=`"),
        )
        .label(span, "no reason given")
        .help(format!("say why, for the audit: `{example}`")),
    );
}
