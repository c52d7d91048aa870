//! Rules over each profile's shape of the stack: left-out dependencies, missing images, pin
//! policy, host ports published twice; each finding reported once with the profiles it holds in.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::analysis::resolve::Resolved;
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};
use crate::lang::values::parse_image;

use super::classes::check_class_rules;

/// One service publishing a host port: its host address, the `port` node, the service.
type HostPortUse<'a> = (Option<String>, Span, &'a str);

/// Which profiles a finding holds in, gathered so each finding is reported once.
pub(super) type ByProfile = BTreeMap<(String, Code, Span, String), (Diagnostic, Vec<String>)>;

pub(super) fn gather(
    by: &mut ByProfile,
    key: (&str, Code, Span, &str),
    d: impl FnOnce() -> Diagnostic,
    profile: &str,
) {
    by.entry((key.0.to_string(), key.1, key.2, key.3.to_string()))
        .or_insert_with(|| (d(), Vec::new()))
        .1
        .push(profile.to_string());
}

pub(super) fn profile_list(profiles: &[String]) -> String {
    let quoted: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    if quoted.len() == 1 {
        format!("profile {}", quoted[0])
    } else {
        format!("profiles {}", quoted.join(", "))
    }
}

/// Rules that depend on a profile's shape of the stack.
pub(super) fn check_profiles(stack: &Resolved, diags: &mut Diagnostics) {
    let mut by: ByProfile = BTreeMap::new();
    let mut pins: BTreeMap<String, (String, Span, String)> = BTreeMap::new();
    for profile in &stack.profiles {
        let pname = profile.name.value.as_str();
        let shapes: Vec<(&str, &Spanned<String>, std::borrow::Cow<ServiceBody>)> = stack
            .services
            .iter()
            .filter_map(|(n, s)| stack.shape(s, profile).map(|b| (n.as_str(), &s.name, b)))
            .collect();
        let present: BTreeSet<&str> = shapes.iter().map(|(n, _, _)| *n).collect();
        let mut host_ports: HashMap<(u16, String), Vec<HostPortUse>> = HashMap::new();

        for (name, sname, body) in &shapes {
            if stack.tainted.contains(*name) {
                continue; // its decode errors are reported; findings here would only repeat them
            }
            // Images per source.
            match (&body.image, profile.source) {
                (None, Source::Image) => gather(
                    &mut by,
                    (name, Code::MissingImage, sname.span, ""),
                    || {
                        Diagnostic::error(
                            Code::MissingImage,
                            format!("service `{name}` has no `image`"),
                        )
                        .label(sname.span, "no image")
                    },
                    pname,
                ),
                (None, Source::Build) if body.build.is_none() => gather(
                    &mut by,
                    (name, Code::MissingImage, sname.span, "build"),
                    || {
                        Diagnostic::error(
                            Code::MissingImage,
                            format!("service `{name}` has neither `image` nor `build`"),
                        )
                        .label(sname.span, "nothing to run")
                        .help("add `image \"...\"` or `build \"<context>\"`")
                    },
                    pname,
                ),
                (Some(image), _) => {
                    let uses_image = profile.source == Source::Image || body.build.is_none();
                    let pinned = parse_image(&image.value).is_ok_and(|r| r.digest.is_some());
                    if uses_image && !pinned && profile.pins != PinPolicy::Off {
                        let require = profile.pins == PinPolicy::Require;
                        gather(
                            &mut by,
                            (
                                name,
                                Code::UnpinnedImage,
                                image.span,
                                if require { "require" } else { "warn" },
                            ),
                            || {
                                let d = format!("image of `{name}` is not pinned by digest");
                                if require {
                                    Diagnostic::error(Code::UnpinnedImage, d)
                                } else {
                                    Diagnostic::warning(Code::UnpinnedImage, d)
                                }
                                .label(image.span, "no @sha256: digest")
                            },
                            pname,
                        );
                    }
                    let var = stack.pin_var(name, body);
                    if let Some((other_ref, other_span, other_service)) = pins.get(&var) {
                        if other_ref != &image.value {
                            diags.push(
                                Diagnostic::error(
                                    Code::PinVarConflict,
                                    format!("pin variable `{var}` would hold two images"),
                                )
                                .label(image.span, format!("`{name}` pins `{}`", image.value))
                                .label(*other_span, format!("`{other_service}` pins `{other_ref}`"))
                                .help("give one of them its own `pin-var`"),
                            );
                        }
                    } else {
                        pins.insert(var, (image.value.clone(), image.span, name.to_string()));
                    }
                }
                _ => {}
            }
            // Dependencies left out by this profile.
            for dep in body.depends_on.values() {
                let target = &dep.value.service;
                if dep.value.required
                    && stack.services.contains_key(target)
                    && !present.contains(target.as_str())
                {
                    gather(
                        &mut by,
                        (name, Code::DependencyLeftOut, dep.span, target),
                        || {
                            Diagnostic::error(
                                Code::DependencyLeftOut,
                                format!("`{name}` depends on `{target}`, which is left out"),
                            )
                            .label(dep.span, format!("`{target}` is not in these profiles"))
                            .help(format!(
                                "add `required=#false` to the dependency, or leave `{name}` out of the same profiles (`only-in`)"
                            ))
                        },
                        pname,
                    );
                }
            }
            // Host ports.
            if body.network_mode.is_none() {
                for port in body.ports.values() {
                    if let Some(hp) = port.value.host_port() {
                        host_ports
                            .entry((hp, port.value.protocol.clone()))
                            .or_default()
                            .push((port.value.host_ip.clone(), port.span, name));
                    }
                }
            }
            check_class_rules(stack, profile, name, sname, body, &mut by, diags);
            super::runtime::check_runtime(stack, profile, name, body, &mut by);
        }
        // Duplicate host ports: an unspecified or 0.0.0.0 address collides with every address.
        let mut keys: Vec<_> = host_ports.keys().cloned().collect();
        keys.sort();
        for key in keys {
            let uses = &host_ports[&key];
            for (i, (ip, span, service)) in uses.iter().enumerate() {
                let clash = uses[..i].iter().find(|(other_ip, _, _)| {
                    let wild = |x: &Option<String>| {
                        x.as_deref().is_none_or(|a| a == "0.0.0.0" || a == "::")
                    };
                    wild(ip) || wild(other_ip) || ip == other_ip
                });
                if let Some((_, first_span, first_service)) = clash {
                    let addr = ip.as_deref().unwrap_or("0.0.0.0");
                    diags.push(
                        Diagnostic::error(
                            Code::DuplicateHostPort,
                            format!(
                                "host port {addr}:{}/{} is published twice in profile `{pname}`",
                                key.0, key.1
                            ),
                        )
                        .label(*span, format!("`{service}` publishes it here"))
                        .label(*first_span, format!("`{first_service}` publishes it first"))
                        .help("choose another host port, or bind each to a different `host-ip`"),
                    );
                }
            }
        }
    }
    for (_, (mut d, profiles)) in by {
        d.message = format!("{} in {}", d.message, profile_list(&profiles));
        if d.help.is_none() {
            d.help = Some(match d.code {
                Code::MissingImage => "add `image \"...\"`: profiles with source=\"image\" run images only".into(),
                Code::UnpinnedImage => "run `pmovesc pin` to add the digest, or write `image \"repo:tag@sha256:<64 hex>\"`".into(),
                _ => d.code.description().into(),
            });
        }
        diags.push(d);
    }
}
