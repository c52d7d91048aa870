//! Host namespaces and kernel settings: network (PMA014), PID (PMA015), IPC (PMA016), user
//! (PMA017), UTS (PMA018), the cgroup (PMA026), kernel parameters (PMA032), and the API socket
//! of `use-api-socket` (PMA019). A mode chosen through `${...}` counts as host when its default
//! is `host`, and in a hardened profile whatever its default (the environment decides at deploy
//! time).

use crate::diag::Severity;
use crate::lang::model::{PlainValue, Scalar, Setting};
use crate::lang::values::interpolation_default;

use super::rules::{self, Rule};
use super::subject::Subject;
use super::{Finding, interpolated};

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    namespace(
        s,
        out,
        rules::HOST_NETWORK,
        "network",
        &s.body.network_mode,
        "CL-0008",
    );
    namespace(s, out, rules::HOST_PID, "PID", &s.body.pid, "CL-0010");
    // Plain nodes: each of these without a reason is already an error (PMV310).
    for ((node, entry), setting) in &s.body.plain {
        let values: Vec<String> = match &setting.value {
            PlainValue::One(v) => vec![v.text()],
            PlainValue::Many(vs) => vs.iter().map(Scalar::text).collect(),
        };
        let value = values.join(" ");
        let host = values.iter().any(|v| {
            v.eq_ignore_ascii_case("host")
                || (interpolated(v)
                    && interpolation_default(v).is_some_and(|d| d.eq_ignore_ascii_case("host")))
        });
        let (rule, message, lint): (&'static Rule, String, &[&'static str]) = match node.as_str() {
            "ipc" if host => (
                rules::HOST_IPC,
                "shares the host's IPC namespace".into(),
                &["CL-0010"],
            ),
            "userns-mode" => (
                rules::HOST_USERNS,
                format!("leaves user-namespace remapping (`userns_mode: {value}`)"),
                &["CL-0010"],
            ),
            "uts" => (
                rules::HOST_UTS,
                "shares the host's UTS namespace".into(),
                &["CL-0010"],
            ),
            "cgroup" if host => (
                rules::CGROUP_PARENT,
                "shares the host's cgroup namespace".into(),
                &[],
            ),
            "cgroup-parent" => (
                rules::CGROUP_PARENT,
                format!("runs under cgroup parent `{value}`"),
                &[],
            ),
            "sysctl" => (
                rules::SYSCTL,
                format!("sets kernel parameter `{entry}={value}`"),
                &[],
            ),
            "device-cgroup-rule" => (
                rules::DEVICES,
                format!("adds device cgroup rules `{value}`"),
                &[],
            ),
            "use-api-socket" if value == "true" => (
                rules::DOCKER_SOCKET,
                "mounts the Docker API socket (`use_api_socket`)".into(),
                &["CL-0001"],
            ),
            _ => continue,
        };
        out.push(
            s.finding(rule, setting.span, message)
                .reason(setting.reason.as_ref())
                .lint(lint),
        );
    }
}

fn namespace(
    s: &Subject,
    out: &mut Vec<Finding>,
    rule: &'static Rule,
    what: &str,
    mode: &Option<Setting<String>>,
    lint: &'static str,
) {
    let Some(mode) = mode else { return };
    let written = mode.value.trim();
    let message = if interpolated(written) {
        match interpolation_default(written) {
            Some(d) if d.eq_ignore_ascii_case("host") => {
                format!("shares the host's {what} namespace (`{written}` defaults to `host`)")
            }
            _ if s.profile.hardened => format!(
                "takes its {what} namespace from the environment (`{written}`), which may be the host's"
            ),
            _ => return,
        }
    } else if written.eq_ignore_ascii_case("host") {
        format!("shares the host's {what} namespace")
    } else {
        return;
    };
    let mut f = s
        .finding(rule, mode.span, message)
        .reason(mode.reason.as_ref())
        .lint(&[lint]);
    // A literal `host` without a reason is already an error (PMV310).
    if interpolated(written) {
        f = f.build(Severity::Error);
    }
    out.push(f);
}
