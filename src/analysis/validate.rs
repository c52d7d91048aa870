//! Validation: every rule with a stable code, over the resolved stack and over each profile's
//! shape of it. Rules push into the sink and never stop early. Every pass here is linear in the
//! number of services (hash lookups, one graph walk), so 10,000-service stacks stay fast.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::analysis::resolve::{EXEMPT, Resolved, ResolvedClass, undefined};
use crate::diag::{Code, Diagnostic, Diagnostics, did_you_mean};
use crate::lang::model::*;
use crate::lang::source::{Span, Spanned};
use crate::lang::values::{check_numeric_non_root_user, parse_image};

/// Runs every rule.
pub fn validate(stack: &Resolved, diags: &mut Diagnostics) {
    check_classes(stack, diags);
    if let Some(d) = &stack.default_hardening
        && d.value != EXEMPT
        && !stack.classes.contains_key(&d.value)
    {
        undefined(diags, "hardening class", d, stack.classes.keys());
    }
    for service in stack.services.values() {
        check_body_refs(stack, &service.body, diags);
        for when in &service.body.whens {
            check_selector(stack, &when.selector, diags);
            check_body_refs(stack, &when.body, diags);
        }
        if let Some(only) = &service.body.only_in {
            for s in &only.value {
                check_selector(stack, s, diags);
            }
        }
    }
    check_dependency_cycles(stack, diags);
    check_profiles(stack, diags);
    check_mcp(stack, diags);
}

/// MCP servers: what the official registry would reject, and ports the service does not have.
fn check_mcp(stack: &Resolved, diags: &mut Diagnostics) {
    let mut claimed: HashMap<&str, (&str, Span)> = HashMap::new();
    for (name, service) in &stack.services {
        let body = &service.body;
        let Some(mcp) = &body.mcp else { continue };
        let m = &mcp.value;
        if let Err(why) = check_mcp_name(&m.name.value) {
            diags.push(
                Diagnostic::error(Code::McpName, format!("`{}` is not a valid MCP server name", m.name.value))
                    .label(m.name.span, why)
                    .help("write a reverse-DNS namespace, one slash and a server name, e.g. `io.github.powerfulmoves/archon`"),
            );
        }
        if let Some(d) = &m.description {
            let len = d.value.chars().count();
            if len > 100 {
                diags.push(
                    Diagnostic::error(
                        Code::McpDescription,
                        format!(
                            "MCP description is {len} characters; the registry allows at most 100"
                        ),
                    )
                    .label(d.span, "too long")
                    .help("shorten it; longer text belongs in the service's `description`"),
                );
            }
        }
        if m.version.is_none() {
            diags.push(
                Diagnostic::error(
                    Code::McpVersion,
                    format!("MCP server `{}` has no `version`", m.name.value),
                )
                .label(mcp.span, "no version")
                .help("add `version \"1.2.3\"`: the registry requires one"),
            );
        }
        let has_image = body.image.is_some() || body.whens.iter().any(|w| w.body.image.is_some());
        if !has_image {
            diags.push(
                Diagnostic::error(
                    Code::McpNoImage,
                    format!("service `{name}` declares an MCP server but has no `image`"),
                )
                .label(mcp.span, "the catalog needs an image to point at")
                .help("add `image \"...\"` to the service: the catalog lists the image the stack runs"),
            );
        }
        if let Some(t) = &m.transport
            && let Some(port) = &t.port
        {
            let exposed = body.ports.values().any(|p| p.value.container == port.value)
                || body
                    .expose
                    .as_ref()
                    .is_some_and(|e| e.value.contains(&port.value));
            if !exposed {
                diags.push(
                    Diagnostic::error(
                        Code::McpPort,
                        format!(
                            "MCP transport port {} is not a port of service `{name}`",
                            port.value
                        ),
                    )
                    .label(port.span, "not published or exposed by the service")
                    .help(format!(
                        "add `expose {}` or `port {}` to the service, or fix the port",
                        port.value, port.value
                    )),
                );
            }
        }
        if let Some(t) = &m.transport
            && let Some(path) = &t.path
        {
            match url_placeholders(&path.value) {
                Err(why) => diags.push(
                    Diagnostic::error(
                        Code::McpUrlVariable,
                        format!("the MCP transport path of `{}` is not a URL template", m.name.value),
                    )
                    .label(path.span, why)
                    .help("write a placeholder as `{NAME}`, where NAME is an `env` of the `mcp` block"),
                ),
                Ok(names) => {
                    for var in names {
                        if m.env.iter().any(|e| e.name == var) {
                            continue;
                        }
                        let declared = m.env.iter().map(|e| e.name.as_str());
                        let help = match did_you_mean(var, declared) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!(
                                "declare it: `env \"{var}\" secret=#true required=#true description=\"...\"`"
                            ),
                        };
                        diags.push(
                            Diagnostic::error(
                                Code::McpUrlVariable,
                                format!("`{{{var}}}` in the MCP transport path is not an `env` of the `mcp` block"),
                            )
                            .label(path.span, format!("`{{{var}}}` names no variable"))
                            .help(help),
                        );
                    }
                }
            }
        }
        match claimed.get(m.name.value.as_str()) {
            Some((other, first)) => diags.push(
                Diagnostic::error(
                    Code::McpDuplicateName,
                    format!(
                        "MCP server `{}` is claimed by `{other}` and `{name}`",
                        m.name.value
                    ),
                )
                .label(m.name.span, "claimed again here")
                .label(*first, "first claimed here")
                .help("each MCP server name belongs to one service"),
            ),
            None => {
                claimed.insert(&m.name.value, (name, m.name.span));
            }
        }
    }
}

/// Registry server names: `<reverse-DNS namespace>/<name>`, exactly one slash.
pub fn check_mcp_name(name: &str) -> Result<(), String> {
    let slashes = name.matches('/').count();
    if slashes != 1 {
        return Err(format!("has {slashes} slashes; exactly one is allowed"));
    }
    let (ns, server) = name.split_once('/').unwrap_or_default();
    let ns_ok = ns.contains('.')
        && ns
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !ns_ok {
        return Err(format!(
            "the namespace `{ns}` is not reverse-DNS (such as `io.github.owner`)"
        ));
    }
    if server.is_empty()
        || !server
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(format!(
            "the server name `{server}` may hold only letters, digits, `.`, `_` and `-`"
        ));
    }
    Ok(())
}

fn check_classes(stack: &Resolved, diags: &mut Diagnostics) {
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

fn check_selector(stack: &Resolved, selector: &Spanned<String>, diags: &mut Diagnostics) {
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
fn check_body_refs(stack: &Resolved, body: &ServiceBody, diags: &mut Diagnostics) {
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

fn exception(diags: &mut Diagnostics, span: Span, what: &str, example: &str) {
    diags.push(
        Diagnostic::error(
            Code::ExceptionWithoutReason,
            format!("{what} is an exception to hardening and needs `reason=`"),
        )
        .label(span, "no reason given")
        .help(format!("say why, for the audit: `{example}`")),
    );
}

/// One walk over the dependency graph (base and every `when`), reporting each cycle once.
fn check_dependency_cycles(stack: &Resolved, diags: &mut Diagnostics) {
    let deps = |body: &ServiceBody| -> Vec<(String, Span)> {
        body.depends_on
            .values()
            .map(|d| (d.value.service.clone(), d.span))
            .chain(body.whens.iter().flat_map(|w| {
                w.body
                    .depends_on
                    .values()
                    .map(|d| (d.value.service.clone(), d.span))
            }))
            .collect()
    };
    let graph: HashMap<&str, Vec<(String, Span)>> = stack
        .services
        .iter()
        .map(|(n, s)| (n.as_str(), deps(&s.body)))
        .collect();
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark: HashMap<&str, Mark> = graph.keys().map(|k| (*k, Mark::New)).collect();
    for start in stack.services.keys() {
        if mark[start.as_str()] != Mark::New {
            continue;
        }
        // Iterative DFS: (node, next edge index); `path` mirrors the active stack.
        let mut stack_: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        mark.insert(start.as_str(), Mark::Active);
        while let Some((node, i)) = stack_.last().copied() {
            let edges = &graph[node];
            if i >= edges.len() {
                mark.insert(node, Mark::Done);
                stack_.pop();
                continue;
            }
            stack_.last_mut().expect("non-empty").1 += 1;
            let (next, span) = &edges[i];
            match mark.get(next.as_str()).copied() {
                Some(Mark::New) => {
                    mark.insert(next.as_str(), Mark::Active);
                    stack_.push((next.as_str(), 0));
                }
                Some(Mark::Active) => {
                    let pos = stack_
                        .iter()
                        .position(|(n, _)| *n == next.as_str())
                        .unwrap_or(0);
                    let cycle: Vec<&str> = stack_[pos..]
                        .iter()
                        .map(|(n, _)| *n)
                        .chain([next.as_str()])
                        .collect();
                    diags.push(
                        Diagnostic::error(
                            Code::Cycle,
                            format!(
                                "services depend on each other in a cycle: {}",
                                cycle.join(" -> ")
                            ),
                        )
                        .label(*span, "this dependency closes the cycle")
                        .help("compose cannot start a cycle; remove one `depends-on`"),
                    );
                }
                _ => {}
            }
        }
    }
}

/// One service publishing a host port: its host address, the `port` node, the service.
type HostPortUse<'a> = (Option<String>, Span, &'a str);

/// Which profiles a finding holds in, gathered so each finding is reported once.
type ByProfile = BTreeMap<(String, Code, Span, String), (Diagnostic, Vec<String>)>;

fn gather(
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

fn profile_list(profiles: &[String]) -> String {
    let quoted: Vec<String> = profiles.iter().map(|p| format!("`{p}`")).collect();
    if quoted.len() == 1 {
        format!("profile {}", quoted[0])
    } else {
        format!("profiles {}", quoted.join(", "))
    }
}

/// Rules that depend on a profile's shape of the stack.
fn check_profiles(stack: &Resolved, diags: &mut Diagnostics) {
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

/// Class rules for a shaped service: capabilities, loosened settings, and the class's `require`
/// list in hardened profiles.
fn check_class_rules(
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
    if let (Some(limit), Some(own)) = (&cb.pids_limit, &body.pids_limit) {
        let looser = own.value > limit.value || own.value <= 0;
        loosening(
            diags,
            &class_name.value,
            "pids-limit",
            looser,
            Some(own).filter(|_| looser),
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
