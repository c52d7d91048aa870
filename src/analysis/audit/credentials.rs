//! Credentials in the environment (PMA033): a credential-shaped variable (`*PASSWORD*`,
//! `*TOKEN*`, `*SECRET*`, `*API_KEY*`, ...) holding a literal, or a connection string with a
//! literal password (`postgres://user:pass@host`). A value from `${VAR}` (a declared input) or
//! `${VAR:?...}` ships no literal; `${VAR:-default}` ships its default.

use crate::lang::values::interpolation_default;

use super::rules;
use super::subject::Subject;
use super::{Finding, interpolated};

const SUBSTRINGS: &[&str] = &[
    "PASSWORD",
    "PASSPHRASE",
    "TOKEN",
    "SECRET",
    "API_KEY",
    "APIKEY",
    "PRIVATE_KEY",
    "ACCESS_KEY",
    "ENCRYPTION_KEY",
    "CREDENTIAL",
];
const SUFFIXES: &[&str] = &["_PASS", "_PWD", "PASSWD"];
/// Keys that name a quantity or a switch about a credential, not the credential.
const NOT_A_CREDENTIAL: &[&str] = &[
    "_FILE",
    "TTL",
    "TIMEOUT",
    "EXPIR",
    "_LENGTH",
    "_SIZE",
    "_LIMIT",
    "_PORT",
    "TOKENS",
    "POLICY",
    "ALLOW_EMPTY_",
    "RANDOM_",
    "_URL",
    "_URI",
    "_HOST",
    "_PATH",
    "_DIR",
    "_ENABLED",
    "_ENABLE",
];
const SWITCHES: &[&str] = &["yes", "no", "true", "false", "0", "1", "on", "off"];

/// The literal a value ships: itself, or the default of a whole-value interpolation.
fn literal(value: &str) -> Option<&str> {
    let v = value.trim();
    let shipped = if v.starts_with("${") && v.ends_with('}') && v[2..].find("${").is_none() {
        interpolation_default(v).filter(|d| !d.starts_with('?'))?
    } else if interpolated(v) {
        return None; // built from variables: nothing literal to report
    } else {
        v
    };
    (!shipped.is_empty()).then_some(shipped)
}

fn credential_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    (SUBSTRINGS.iter().any(|s| k.contains(s)) || SUFFIXES.iter().any(|s| k.ends_with(s)))
        && !NOT_A_CREDENTIAL.iter().any(|s| k.contains(s))
}

/// The literal password of a `scheme://user:password@host` value, if any.
fn url_password(value: &str) -> Option<&str> {
    let rest = &value[value.find("://")? + 3..];
    let userinfo = &rest[..rest.find('@')?];
    if userinfo.contains('/') {
        return None;
    }
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty() && !interpolated(password)).then_some(password)
}

pub(super) fn check(s: &Subject, out: &mut Vec<Finding>) {
    for (key, setting) in &s.body.env {
        let value = setting.value.as_str();
        if credential_key(key)
            && let Some(lit) = literal(value)
            && !SWITCHES.contains(&lit.to_ascii_lowercase().as_str())
        {
            out.push(
                s.finding(
                    rules::CREDENTIALS,
                    setting.span,
                    format!("ships a literal credential in `{key}`"),
                )
                .reason(setting.reason.as_ref())
                .lint(&["CL-0020"]),
            );
        } else if let Some(lit) = literal(value).or(Some(value))
            && url_password(lit).is_some()
        {
            out.push(
                s.finding(
                    rules::CREDENTIALS,
                    setting.span,
                    format!("ships a literal password in the connection string `{key}`"),
                )
                .reason(setting.reason.as_ref())
                .lint(&["CL-0021"]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_and_keys() {
        assert_eq!(literal("pmoves"), Some("pmoves"));
        assert_eq!(literal("${P:-pmoves}"), Some("pmoves"));
        assert_eq!(literal("${P}"), None);
        assert_eq!(literal("${P:?set P}"), None);
        assert_eq!(literal("${P:-}"), None);
        assert!(credential_key("POSTGRES_PASSWORD"));
        assert!(credential_key("GF_SECURITY_ADMIN_PASSWORD"));
        assert!(!credential_key("GF_SECURITY_ADMIN_PASSWORD__FILE"));
        assert!(!credential_key("TOKEN_TTL"));
        assert_eq!(url_password("postgres://u:pw@db:5432/x"), Some("pw"));
        assert_eq!(url_password("postgres://u:${PW}@db:5432/x"), None);
        assert_eq!(url_password("http://db:5432/x"), None);
    }
}
