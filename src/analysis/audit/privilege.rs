//! Privilege rules: privileged mode (PMA001), capabilities (PMA002), no-new-privileges (PMA003),
//! security options (PMA004-PMA006) and the user (PMA008).

use crate::diag::Severity;
use crate::lang::model::*;
use crate::lang::values::interpolation_default;

use super::rules::{self, Level};
use super::subject::Subject;
use super::{Finding, interpolated};

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    privileged(s, out);
    capabilities(s, out);
    security_options(s, out);
    user(s, out);
}

fn privileged(s: &Subject, out: &mut Vec<Finding>) {
    if let Some(p) = &s.body.privileged
        && p.value
    {
        // `privileged` without a reason is already an error (PMV310).
        out.push(
            s.finding(rules::PRIVILEGED, p.span, "runs privileged")
                .reason(p.reason.as_ref())
                .lint(&["CL-0002"]),
        );
    }
}

/// Capabilities that let a container take over or reach into the host, with the compose-lint
/// rule that reports each.
const HOST_CAPS: &[(&str, &str)] = &[
    ("ALL", "CL-0024"),
    ("SYS_ADMIN", "CL-0024"),
    ("SYS_MODULE", "CL-0024"),
    ("SYS_RAWIO", "CL-0024"),
    ("NET_ADMIN", "CL-0011"),
    ("BPF", "CL-0011"),
    ("SYS_BOOT", "CL-0011"),
    ("PERFMON", "CL-0028"),
    ("SYS_TIME", "CL-0028"),
    ("SYS_NICE", "CL-0029"),
    ("IPC_LOCK", "CL-0029"),
    ("LEASE", "CL-0029"),
    ("SYSLOG", "CL-0030"),
    ("MAC_ADMIN", ""),
    ("MAC_OVERRIDE", ""),
];
/// Capabilities with a bounded grant that still cross the container's boundary.
const BOUNDED_CAPS: &[&str] = &["SYS_PTRACE", "DAC_READ_SEARCH"];
/// Docker's default capability set: adding one back after `cap_drop: [ALL]` is low risk.
const DEFAULT_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities(s: &Subject, out: &mut Vec<Finding>) {
    let drop = s.pick(&s.body.cap_drop, |c| &c.cap_drop);
    let drops_all = drop.is_some_and(|d| d.value.iter().any(|c| c.eq_ignore_ascii_case("ALL")));
    if !drops_all {
        let mut f = s
            .finding(
                rules::CAPABILITIES,
                drop.map_or(s.missing_at(), |d| d.span),
                "does not drop ALL capabilities",
            )
            .reason(drop.and_then(|d| d.reason.as_ref()))
            .lint(&["CL-0006"]);
        // A service that loosens its class's cap-drop without a reason is a class-rule error.
        if !(s.class_sets(|c| &c.cap_drop) && s.body.cap_drop.is_some()) {
            f = f.build(Severity::Warning);
        }
        out.push(f);
    }
    for cap in s.body.cap_add.values() {
        let written = cap.value.trim();
        let name = written.to_ascii_uppercase();
        let name = name.strip_prefix("CAP_").unwrap_or(&name);
        let (level, lint, what) = if interpolated(written) {
            if s.profile.hardened {
                (
                    Level::High,
                    None,
                    "chosen by the environment at deploy time".to_string(),
                )
            } else {
                (Level::Low, None, "chosen by the environment".to_string())
            }
        } else if let Some((_, lint)) = HOST_CAPS.iter().find(|(c, _)| *c == name) {
            (
                Level::High,
                Some(*lint).filter(|l| !l.is_empty()),
                "reaches into the host".to_string(),
            )
        } else if BOUNDED_CAPS.contains(&name) {
            (
                Level::Medium,
                Some("CL-0027"),
                "crosses the container boundary".to_string(),
            )
        } else if DEFAULT_CAPS.contains(&name) {
            (Level::Low, None, "one of Docker's defaults".to_string())
        } else {
            (
                Level::Medium,
                None,
                "beyond Docker's default set".to_string(),
            )
        };
        let mut f = s
            .finding(
                rules::CAPABILITIES,
                cap.span,
                format!("adds capability `{written}` ({what})"),
            )
            .level(level)
            .reason(cap.reason.as_ref())
            .lint(lint.as_slice());
        // Without a reason, a cap-add the class does not allow (PMV301) or that a class dropping
        // ALL adds back (PMV302) is already an error.
        let class_reports = s.class.is_some_and(|c| {
            let allowed = c
                .allow_cap
                .as_ref()
                .is_some_and(|a| a.value.iter().any(|x| x == &cap.value));
            !allowed || drops_all
        });
        if level == Level::High && !class_reports {
            f = f.build(Severity::Error);
        }
        out.push(f);
    }
}

fn security_options(s: &Subject, out: &mut Vec<Finding>) {
    let nnp = s.pick(&s.body.no_new_privileges, |c| &c.no_new_privileges);
    let on = nnp.is_some_and(|n| n.value);
    if !on {
        let mut f = s
            .finding(
                rules::NO_NEW_PRIVILEGES,
                nnp.map_or(s.missing_at(), |n| n.span),
                "does not set no-new-privileges",
            )
            .reason(nnp.and_then(|n| n.reason.as_ref()))
            .lint(&["CL-0003"]);
        if !(s.class_sets(|c| &c.no_new_privileges) && s.body.no_new_privileges.is_some()) {
            f = f.build(Severity::Warning);
        }
        out.push(f);
    }
    let class_opts = s
        .class
        .map(|c| c.security_opt.values())
        .into_iter()
        .flatten();
    let opts: Vec<&Setting<String>> = class_opts.chain(s.body.security_opt.values()).collect();
    if !on && opts.is_empty() {
        out.push(
            s.finding(rules::SECURITY_OPT, s.missing_at(), "sets no security_opt")
                .reason(nnp.and_then(|n| n.reason.as_ref())),
        );
    }
    for opt in opts {
        let text = opt.value.trim().to_ascii_lowercase();
        let (key, value) = text.split_once([':', '=']).unwrap_or((&text, ""));
        let (rule, lint, what) = match (key, value) {
            ("seccomp", "unconfined") => (rules::SECCOMP, "CL-0009", "disables the seccomp filter"),
            ("apparmor", "unconfined") => (rules::MAC_PROFILE, "CL-0009", "disables AppArmor"),
            ("label", "disable") => (rules::MAC_PROFILE, "CL-0009", "disables SELinux labels"),
            _ => continue,
        };
        // A service's security-opt without a reason is already an error (PMV310).
        out.push(
            s.finding(rule, opt.span, format!("{what} (`{}`)", opt.value))
                .reason(opt.reason.as_ref())
                .lint(&[lint]),
        );
    }
}

fn user(s: &Subject, out: &mut Vec<Finding>) {
    let Some(user) = s.pick(&s.body.user, |c| &c.user) else {
        out.push(
            s.finding(
                rules::USER,
                s.missing_at(),
                "sets no user (the image's USER decides)",
            )
            .level(Level::Low),
        );
        return;
    };
    let written = user.value.trim();
    // A class user is numeric and non-root already (PMV115); a service that loosens a class's
    // user without a reason is a class-rule error (PMV303).
    let build = !(s.class_sets(|c| &c.user) && s.body.user.is_some());
    let finding = |message: String, level: Level, lint: &[&'static str]| {
        let mut f = s
            .finding(rules::USER, user.span, message)
            .level(level)
            .reason(user.reason.as_ref())
            .lint(lint);
        if build && level >= Level::Medium {
            f = f.build(Severity::Warning);
        }
        f
    };
    let value = if interpolated(written) {
        if s.profile.hardened {
            out.push(finding(
                format!("runs as user `{written}`, chosen by the environment at deploy time"),
                Level::Medium,
                &[],
            ));
            return;
        }
        match interpolation_default(written) {
            Some(d) if !d.is_empty() => d,
            _ => return,
        }
    } else {
        written
    };
    let (uid, gid) = match value.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (value, None),
    };
    let is_root = |part: &str| {
        part.eq_ignore_ascii_case("root")
            || (!part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
                && part.trim_start_matches('0').is_empty())
    };
    if is_root(uid) {
        out.push(finding(
            format!("runs as root (`user \"{written}\"`)"),
            Level::Medium,
            &["CL-0018"],
        ));
    } else if gid.is_some_and(is_root) {
        out.push(finding(
            format!("runs with the root group (`user \"{written}\"`)"),
            Level::Medium,
            &[],
        ));
    } else {
        let numeric = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        if !numeric(uid) || gid.is_some_and(|g| !numeric(g)) {
            out.push(finding(
                format!("runs as a user by name (`user \"{written}\"`), which the image's /etc/passwd decides"),
                Level::Low,
                &[],
            ));
        }
    }
}
