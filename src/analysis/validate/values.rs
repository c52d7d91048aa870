//! Values of a service body that compose reads in a context of its own, checked where a node
//! holds more than one grammar (a mount's source and target, a host and its address, a label's
//! key and value) or where the meaning depends on the stack (a named volume, a `service:NAME`
//! mode). Single-grammar values are checked by the decoder through the vocabulary's types.

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::compose_values::{self as cv, shown};
use crate::lang::model::*;
use crate::lang::source::Span;

use crate::analysis::resolve::Resolved;

fn bad(diags: &mut Diagnostics, code: Code, span: Span, what: &str, value: &str, why: String) {
    diags.push(
        Diagnostic::error(code, format!("{what}: {why}"))
            .label(
                span,
                if value.is_empty() {
                    "empty here".to_string()
                } else {
                    format!("`{}` here", shown(value))
                },
            )
            .help(code.description()),
    );
}

/// An input's `default=` is written into `${NAME:-default}` wherever a compose file reads the
/// input: it must be a default compose reads as one (a secret's value is not shown).
pub(super) fn check_input_defaults(stack: &Resolved, diags: &mut Diagnostics) {
    for input in stack.inputs.values() {
        let Some(d) = &input.default else { continue };
        if cv::check_interpolation(&d.value).is_err() {
            continue; // the decoder reported it
        }
        if let Err(e) = cv::check_interpolation_default(&d.value) {
            let shown_value = if input.secret { "" } else { d.value.as_str() };
            let mut diag = Diagnostic::error(
                Code::BadInterpolation,
                format!("the default of input `{}`: {e}", input.name.value),
            );
            diag = if input.secret {
                diag.label(d.span, "this default (a secret: not shown)")
            } else if shown_value.is_empty() {
                diag.label(d.span, "empty here")
            } else {
                diag.label(d.span, format!("`{}` here", shown(shown_value)))
            };
            diags.push(diag.help(Code::BadInterpolation.description()));
        }
    }
}

/// Checks the values of one body (a service's merged body or one of its `when` blocks).
pub(super) fn check_body_values(stack: &Resolved, body: &ServiceBody, diags: &mut Diagnostics) {
    for mount in body.volumes.values() {
        let m = &mount.value;
        if m.source.contains('\0') || m.target.contains('\0') {
            continue; // the decoder reports a NUL in any string
        }
        if let Err(e) = cv::check_mount_target(&m.target) {
            bad(
                diags,
                Code::BadPath,
                mount.span,
                "the mount target",
                &m.target,
                e,
            );
        }
        if m.is_bind() {
            if let Err(e) = cv::check_bind_source(&m.source) {
                bad(
                    diags,
                    Code::BadPath,
                    mount.span,
                    "the bind mount source",
                    &m.source,
                    e,
                );
            }
        } else if stack.volumes.contains_key(&m.source) && m.source.chars().count() == 1 {
            diags.push(
                Diagnostic::error(
                    Code::AmbiguousVolumeName,
                    format!(
                        "the volume name `{}` reads as a Windows drive in compose (`{}:{}`)",
                        m.source, m.source, m.target
                    ),
                )
                .label(mount.span, "compose would mount an anonymous volume here")
                .help("give the volume a name of two characters or more"),
            );
        }
    }
    for (host, ip) in &body.extra_hosts {
        if let Err(e) = cv::check_hostname(host) {
            bad(
                diags,
                Code::BadAddress,
                ip.span,
                "the extra host name",
                host,
                e,
            );
        }
        if let Err(e) = cv::check_host_address(&ip.value) {
            bad(
                diags,
                Code::BadAddress,
                ip.span,
                "the extra host address",
                &ip.value,
                e,
            );
        }
    }
    for (key, value) in &body.labels {
        if let Err(e) = cv::check_key(key) {
            bad(diags, Code::BadKey, value.span, "the label key", key, e);
        }
    }
    if let Some(build) = &body.build {
        for key in build.value.args.keys() {
            if let Err(e) = cv::check_key(key) {
                bad(
                    diags,
                    Code::BadKey,
                    build.span,
                    "the build argument",
                    key,
                    e,
                );
            }
        }
    }
    for (node, words) in [("command", &body.command), ("entrypoint", &body.entrypoint)] {
        if let Some(words) = words
            && let [line] = words.value.as_slice()
            && let Err(e) = cv::check_command_line(line)
        {
            bad(diags, Code::BadCommandLine, words.span, node, line, e);
        }
    }
    for (name, limit) in &body.ulimits {
        if let Err(e) = check_ulimit_name(name) {
            bad(diags, Code::InvalidValue, limit.span, "the ulimit", name, e);
        }
        let values = match limit.value {
            Ulimit::Single(v) => vec![v],
            Ulimit::Range { soft, hard } => vec![soft, hard],
        };
        if let Some(v) = values.iter().find(|v| **v < -1) {
            bad(
                diags,
                Code::OutOfRange,
                limit.span,
                "the ulimit value",
                &v.to_string(),
                "a ulimit is a count, or -1 for unlimited".into(),
            );
        } else if let Ulimit::Range { soft, hard } = limit.value
            && hard != -1
            && (soft == -1 || soft > hard)
        {
            bad(
                diags,
                Code::OutOfRange,
                limit.span,
                "the soft limit",
                &soft.to_string(),
                format!("the soft limit cannot be above the hard limit {hard}"),
            );
        }
    }
    for (what, mode) in [("network-mode", &body.network_mode), ("pid", &body.pid)] {
        if let Some(mode) = mode
            && let Some(target) = cv::mode_service(&mode.value)
            && !stack.services.contains_key(target)
        {
            diags.push(
                Diagnostic::error(
                    Code::UndefinedReference,
                    format!("`{what}` names service `{target}`, which is not defined"),
                )
                .label(mode.span, "no such service")
                .help(crate::diag::suggest(
                    target,
                    stack.services.keys().map(String::as_str),
                )),
            );
        }
    }
    if let Some(Setting {
        value: Healthcheck {
            retries: Some(r), ..
        },
        span,
        ..
    }) = &body.healthcheck
        && *r < 0
    {
        bad(
            diags,
            Code::OutOfRange,
            *span,
            "`retries=`",
            &r.to_string(),
            "retries cannot be negative".into(),
        );
    }
    check_tmpfs(&body.tmpfs, diags);
}

/// The owner ids of tmpfs mounts (of a body or a class).
pub(super) fn check_tmpfs(tmpfs: &indexmap::IndexMap<String, Tmpfs>, diags: &mut Diagnostics) {
    for tmpfs in tmpfs.values() {
        if tmpfs.target == "/" {
            bad(
                diags,
                Code::BadPath,
                tmpfs.span,
                "the tmpfs target",
                "/",
                "nothing can be mounted over the container's root `/`".into(),
            );
        }
        for (what, v) in [("uid=", tmpfs.uid), ("gid=", tmpfs.gid)] {
            if let Some(v) = v
                && !(0..=i64::from(u32::MAX)).contains(&v)
            {
                bad(
                    diags,
                    Code::OutOfRange,
                    tmpfs.span,
                    what,
                    &v.to_string(),
                    "ids are 0..4294967295".into(),
                );
            }
        }
    }
}

/// A ulimit name: lower-case letters (`nofile`, `nproc`, `memlock`, ...).
fn check_ulimit_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err("a ulimit name is lower-case letters, such as `nofile` or `nproc`".into())
    }
}
