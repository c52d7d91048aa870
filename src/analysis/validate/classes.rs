//! Hardening classes: their own rules, the rules a class applies to each service in hardened
//! profiles (allowed capabilities, loosening with a reason), and what `require` demands.

use crate::analysis::resolve::{EXEMPT, Resolved, ResolvedClass};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::Spanned;
use crate::lang::values::{check_numeric_non_root_user, parse_image};

use super::profiles::{ByProfile, gather};

pub(super) fn check_classes(stack: &Resolved, diags: &mut Diagnostics) {
    for class in stack.classes.values() {
        if let Some(user) = &class.body.user
            && let Err(e) = check_numeric_non_root_user(&user.value)
        {
            diags.push(
                Diagnostic::error(
                    Code::BadUser,
                    format!(
                        "class `{}` sets a user that is not numeric and non-root",
                        class.name.value
                    ),
                )
                .label(user.span, e)
                .help("write a numeric non-root `uid:gid`, e.g. `user \"65532:65532\"`"),
            );
        }
    }
}

/// Class rules for a shaped service: capabilities, loosened settings, and the class's `require`
/// list in hardened profiles.
pub(super) fn check_class_rules(
    stack: &Resolved,
    profile: &Profile,
    name: &str,
    sname: &Spanned<String>,
    body: &ServiceBody,
    by: &mut ByProfile,
    diags: &mut Diagnostics,
) {
    let Some(class_name) = stack.class_of(body) else {
        if profile.hardened {
            gather(
                by,
                (name, Code::NoHardeningClass, sname.span, ""),
                || {
                    Diagnostic::warning(
                        Code::NoHardeningClass,
                        format!("service `{name}` has no hardening class"),
                    )
                    .label(sname.span, "not hardened")
                    .help("set `hardening \"<class>\"`, a project `default-hardening`, or `hardening \"exempt\" reason=\"...\"`")
                },
                &profile.name.value,
            );
        }
        return;
    };
    if class_name.value == EXEMPT {
        return;
    }
    let Some(class) = stack.classes.get(&class_name.value) else {
        return;
    };
    let cb = &class.body;
    let drops_all = cb
        .cap_drop
        .as_ref()
        .is_some_and(|d| d.value.iter().any(|c| c == "ALL"));
    for cap in body.cap_add.values() {
        let allowed = cb
            .allow_cap
            .as_ref()
            .is_some_and(|a| a.value.iter().any(|c| c == &cap.value));
        if !allowed {
            diags.push(
                Diagnostic::error(
                    Code::CapNotAllowed,
                    format!("class `{}` does not allow capability `{}`", class_name.value, cap.value),
                )
                .label(cap.span, "not in the class's allow-cap")
                .label(
                    cb.allow_cap.as_ref().map_or(class.span, |a| a.span),
                    "what the class allows",
                )
                .help(format!(
                    "use a class that allows `{}`, add it to `allow-cap` of `{}`, or drop the cap-add",
                    cap.value, class_name.value
                )),
            );
        } else if drops_all && cap.reason.is_none() {
            diags.push(
                Diagnostic::error(
                    Code::CapWithoutReason,
                    format!(
                        "`cap-add \"{}\"` needs `reason=`: class `{}` drops ALL capabilities",
                        cap.value, class_name.value
                    ),
                )
                .label(cap.span, "no reason given")
                .help(format!(
                    "e.g. `cap-add \"{}\" reason=\"binds :80 inside the container\"`",
                    cap.value
                )),
            );
        }
    }
    loosening(
        diags,
        &class_name.value,
        "read-only",
        cb.read_only.as_ref().is_some_and(|r| r.value),
        body.read_only.as_ref().filter(|r| !r.value),
    );
    loosening(
        diags,
        &class_name.value,
        "no-new-privileges",
        cb.no_new_privileges.as_ref().is_some_and(|r| r.value),
        body.no_new_privileges.as_ref().filter(|r| !r.value),
    );
    loosening(
        diags,
        &class_name.value,
        "user",
        cb.user.is_some(),
        body.user
            .as_ref()
            .filter(|u| check_numeric_non_root_user(&u.value).is_err()),
    );
    loosening(
        diags,
        &class_name.value,
        "cap-drop",
        drops_all,
        body.cap_drop
            .as_ref()
            .filter(|d| !d.value.iter().any(|c| c == "ALL")),
    );
    // The process limit as lowering picks it: `resources pids=` over `pids-limit`. The class's
    // `pids-limit` is a hardening setting: a service may not go above it without a reason. Its
    // `resources pids=` is sizing, which a service may raise; but no service may lift the limit
    // altogether (0 or -1) without a reason.
    let class_pids = cb
        .pids_limit
        .as_ref()
        .map(|p| p.value)
        .or(Resources::of(&cb.resources).pids.map(|_| i64::MAX));
    let own_pids = match (&body.resources, &body.pids_limit) {
        (Some(r), _) if r.value.pids.is_some() => r.value.pids.map(|p| (p, &r.reason, r.span)),
        (_, Some(p)) => Some((p.value, &p.reason, p.span)),
        _ => None,
    };
    if let (Some(limit), Some((own, reason, span))) = (class_pids, own_pids) {
        let looser = limit > 0 && (own <= 0 || own > limit);
        let setting = Setting {
            value: own,
            span,
            reason: reason.clone(),
        };
        loosening(
            diags,
            &class_name.value,
            "pids-limit",
            looser,
            Some(&setting).filter(|_| looser),
        );
    }

    if profile.hardened
        && let Some(require) = &cb.require
    {
        for req in &require.value {
            if let Some(missing) = unmet(stack, class, body, &req.value) {
                gather(
                    by,
                    (name, Code::RequirementUnmet, sname.span, &req.value),
                    || {
                        Diagnostic::error(
                            Code::RequirementUnmet,
                            format!(
                                "service `{name}` {missing}, which class `{}` requires",
                                class_name.value
                            ),
                        )
                        .label(sname.span, missing.clone())
                        .label(req.span, "required here")
                        .help(require_help(&req.value))
                    },
                    &profile.name.value,
                );
            }
        }
    }
}

fn loosening<T>(
    diags: &mut Diagnostics,
    class: &str,
    what: &str,
    class_sets: bool,
    service: Option<&Setting<T>>,
) {
    if let Some(s) = service
        && class_sets
        && s.reason.is_none()
    {
        diags.push(
            Diagnostic::error(
                Code::LooseningWithoutReason,
                format!("this loosens `{what}` of class `{class}` without a reason"),
            )
            .label(s.span, "loosened here")
            .help(format!("add `reason=\"...\"` saying why `{what}` must differ from the class, or use a class that fits")),
        );
    }
}

/// Why a requirement is unmet, or `None` when it is met.
fn unmet(stack: &Resolved, class: &ResolvedClass, body: &ServiceBody, req: &str) -> Option<String> {
    let cb = &class.body;
    let _ = stack;
    match req {
        "healthcheck" => body
            .healthcheck
            .is_none()
            .then(|| "has no healthcheck".to_string()),
        "limits" => {
            let (own, cls) = (Resources::of(&body.resources), Resources::of(&cb.resources));
            let memory = own.memory.is_some() || cls.memory.is_some();
            let cpus = own.cpus.is_some() || cls.cpus.is_some();
            match (memory, cpus) {
                (true, true) => None,
                (false, false) => Some("has no memory or CPU limit".into()),
                (false, true) => Some("has no memory limit".into()),
                (true, false) => Some("has no CPU limit".into()),
            }
        }
        "user" => (body.user.is_none() && cb.user.is_none()).then(|| "sets no user".to_string()),
        "read-only" => {
            let ro = body
                .read_only
                .as_ref()
                .or(cb.read_only.as_ref())
                .is_some_and(|r| r.value);
            (!ro).then(|| "has a writable root filesystem".to_string())
        }
        "cap-drop-all" => {
            let d = body.cap_drop.as_ref().or(cb.cap_drop.as_ref());
            (!d.is_some_and(|d| d.value.iter().any(|c| c == "ALL")))
                .then(|| "does not drop ALL capabilities".to_string())
        }
        "no-new-privileges" => {
            let n = body
                .no_new_privileges
                .as_ref()
                .or(cb.no_new_privileges.as_ref());
            (!n.is_some_and(|n| n.value)).then(|| "allows new privileges".to_string())
        }
        "pinned" => {
            let pinned = body
                .image
                .as_ref()
                .and_then(|i| parse_image(&i.value).ok())
                .is_some_and(|r| r.digest.is_some());
            (!pinned).then(|| "has no image pinned by digest".to_string())
        }
        _ => None,
    }
}

fn require_help(req: &str) -> String {
    match req {
        "healthcheck" => {
            "add `healthcheck { http-get port=... path=\"/healthz\" }` (or `cmd`/`shell`)".into()
        }
        "limits" => "add `resources cpus=1.0 memory=\"1g\"` to the service or its class".into(),
        "user" => "add `user \"65532:65532\"` to the service or its class".into(),
        "read-only" => "set `read-only #true` and mount writable paths as tmpfs or volumes".into(),
        "cap-drop-all" => "add `cap-drop \"ALL\"` to the service or its class".into(),
        "no-new-privileges" => "add `no-new-privileges #true` to the service or its class".into(),
        "pinned" => "pin the image with `@sha256:<64 hex>` (see `pmovesc pin`)".into(),
        _ => String::new(),
    }
}
