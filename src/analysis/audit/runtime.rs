//! Runtime rules: a healthcheck (PMA012), a bounded restart policy (PMA013), images pinned by
//! digest (PMA028).

use crate::lang::model::*;
use crate::lang::values::parse_image;

use super::Finding;
use super::rules::{self, Level};
use super::subject::Subject;

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    match &s.body.healthcheck {
        None => out.push(s.finding(rules::HEALTHCHECK, s.missing_at(), "has no healthcheck")),
        Some(h) => {
            if let Some(Probe::Cmd(words)) = &h.value.probe
                && words
                    .first()
                    .is_some_and(|w| w.eq_ignore_ascii_case("NONE"))
            {
                out.push(s.finding(
                    rules::HEALTHCHECK,
                    h.span,
                    "disables its healthcheck (`NONE`)",
                ));
            }
        }
    }
    if let Some(r) = s.pick(&s.body.restart, |c| &c.restart) {
        let policy = r.value.trim();
        let (name, count) = policy.split_once(':').unwrap_or((policy, ""));
        let finding = match (name, count.parse::<u32>().ok()) {
            ("on-failure", Some(5)) | ("no", _) => None,
            ("on-failure", Some(n)) => Some((
                Level::Medium,
                format!("restarts on failure up to {n} times (not 5)"),
            )),
            ("on-failure", None) => {
                Some((Level::Low, "restarts on failure without a bound".into()))
            }
            (other, _) => Some((
                Level::Low,
                format!("restarts with `{other}`, forever when it keeps crashing"),
            )),
        };
        if let Some((level, message)) = finding {
            out.push(
                s.finding(rules::RESTART, r.span, message)
                    .level(level)
                    .reason(r.reason.as_ref()),
            );
        }
    }
    let runs_image = s.profile.source == Source::Image || s.body.build.is_none();
    if runs_image
        && let Some(image) = &s.body.image
        && let Ok(r) = parse_image(&image.value)
        && r.digest.is_none()
    {
        let f = match r.tag.as_deref() {
            None | Some("latest") => s
                .finding(
                    rules::IMAGE_PIN,
                    image.span,
                    format!("runs `{}`, which names no version", image.value),
                )
                .level(Level::Medium)
                .lint(&["CL-0004"]),
            Some(_) => s
                .finding(
                    rules::IMAGE_PIN,
                    image.span,
                    format!("runs `{}`, a tag without a digest", image.value),
                )
                .lint(&["CL-0019"]),
        };
        out.push(f.reason(image.reason.as_ref()));
    }
}
