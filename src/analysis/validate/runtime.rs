//! Rules about what a container meets when an engine starts it, found by running the generated
//! files on a real Docker Engine (`tests/engine.rs`): a tmpfs the service's user cannot write,
//! an environment secret a tmpfs over /run hides from the container.

use crate::analysis::resolve::{EXEMPT, Resolved};
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;

use super::profiles::{ByProfile, gather};

/// Directories every image ships world-writable (mode 1777): a tmpfs there is writable by any
/// user whatever its owner.
const WORLD_WRITABLE: &[&str] = &["/tmp", "/var/tmp", "/dev/shm"];

/// The rules for one service shaped by one profile.
pub(super) fn check_runtime(
    stack: &Resolved,
    profile: &Profile,
    name: &str,
    body: &ServiceBody,
    by: &mut ByProfile,
) {
    // The class applies in hardened profiles only (as lowering does).
    let class = profile
        .hardened
        .then(|| stack.class_of(body))
        .flatten()
        .filter(|c| c.value != EXEMPT)
        .and_then(|c| stack.classes.get(&c.value))
        .map(|c| &c.body);
    let user = body
        .user
        .as_ref()
        .or(class.and_then(|c| c.user.as_ref()))
        .map(|u| u.value.as_str());
    let read_only = body
        .read_only
        .as_ref()
        .or(class.and_then(|c| c.read_only.as_ref()))
        .is_some_and(|r| r.value);
    let pname = profile.name.value.as_str();

    if let Some((uid, gid)) = user.and_then(numeric_non_root) {
        let mut tmpfs: Vec<&Tmpfs> = class
            .map(|c| {
                c.tmpfs
                    .values()
                    .filter(|t| !body.tmpfs.contains_key(&t.target))
                    .collect()
            })
            .unwrap_or_default();
        tmpfs.extend(body.tmpfs.values());
        for t in tmpfs {
            if WORLD_WRITABLE.contains(&t.target.trim_end_matches('/')) || t.uid == Some(uid) {
                continue;
            }
            let owner = match gid {
                Some(g) => format!("uid={uid} gid={g}"),
                None => format!("uid={uid}"),
            };
            let (why, label) = match t.uid {
                Some(other) => (
                    format!("it is owned by uid {other}"),
                    format!("owned by uid {other}"),
                ),
                None => (
                    "it sets no `uid=`".to_string(),
                    "no `uid=`: the image's directory decides its owner".to_string(),
                ),
            };
            gather(
                by,
                (name, Code::TmpfsNotWritable, t.span, &t.target),
                || {
                    Diagnostic::warning(
                        Code::TmpfsNotWritable,
                        format!(
                            "tmpfs `{}` of `{name}` may not be writable by its user {uid}: {why}",
                            t.target
                        ),
                    )
                    .label(t.span, label)
                    .help(format!(
                        "add `{owner}` to the tmpfs: Docker gives a tmpfs the owner and mode of \
                         the image's directory at that path and then ignores `mode=`"
                    ))
                },
                pname,
            );
        }
    }

    // Compose copies an environment secret into the container before it starts: a tmpfs over
    // /run or /run/secrets hides it. (A read-only root refusing the copy is `secrets`' PMV604.)
    let hiding = class
        .into_iter()
        .flat_map(|c| c.tmpfs.values())
        .chain(body.tmpfs.values())
        .find(|t| {
            let target = t.target.trim_end_matches('/');
            target == "/run" || target == "/run/secrets"
        });
    if let Some(hiding) = hiding.filter(|_| !read_only) {
        for use_ in body.secrets.values() {
            let Some(def) = stack.secrets.get(&use_.value.name) else {
                continue;
            };
            let Some(var) = &def.environment else {
                continue;
            };
            gather(
                by,
                (name, Code::SecretUnderRunTmpfs, use_.span, &use_.value.name),
                || {
                    Diagnostic::error(
                        Code::SecretUnderRunTmpfs,
                        format!(
                            "secret `{}` of `{name}` comes from the environment \
                             (`environment=\"{var}\"`): Compose copies it into the container, \
                             and the tmpfs at `{}` hides it",
                            use_.value.name, hiding.target
                        ),
                    )
                    .label(use_.span, "never reaches /run/secrets")
                    .label(hiding.span, "this tmpfs covers /run/secrets")
                    .help(format!(
                        "define the secret with `file=` (Compose bind-mounts files over any \
                         tmpfs), or move the tmpfs off /run (e.g. `/run/{name}`)"
                    ))
                },
                pname,
            );
        }
    }
}

/// `uid[:gid]` with a numeric uid other than 0; the numbers.
fn numeric_non_root(user: &str) -> Option<(i64, Option<i64>)> {
    let (uid, gid) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let uid: i64 = uid.parse().ok().filter(|u| *u != 0)?;
    Some((uid, gid.and_then(|g| g.parse().ok())))
}
