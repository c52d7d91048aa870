//! Checks for the value grammars of the language: names, durations, sizes, ports, image
//! references (OCI distribution grammar) and compose interpolation.
//!
//! Each check returns `Err(explanation)` saying what is wrong, for the diagnostic's label.

/// Compose names: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn check_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    match chars.next() {
        None => return Err("a name cannot be empty".into()),
        Some(c) if !c.is_ascii_alphanumeric() => {
            return Err(format!(
                "a name must start with a letter or digit, not `{c}`"
            ));
        }
        _ => {}
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        return Err(format!("`{c}` is not allowed in a name"));
    }
    Ok(())
}

/// Compose durations: one or more `<number><unit>` with units ns, us, ms, s, m, h.
pub fn check_duration(s: &str) -> Result<(), String> {
    const EXPECT: &str = "expected a duration such as `500ms`, `10s` or `1m30s`";
    if s.is_empty() {
        return Err(EXPECT.into());
    }
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty()
            || number.starts_with('.')
            || number.ends_with('.')
            || number.matches('.').count() > 1
        {
            return Err(EXPECT.into());
        }
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        if !matches!(unit, "ns" | "us" | "µs" | "ms" | "s" | "m" | "h") {
            return Err(if unit.is_empty() {
                format!("`{number}` has no unit; {EXPECT}")
            } else {
                format!("`{unit}` is not a duration unit (ns, us, ms, s, m, h)")
            });
        }
        rest = &rest[unit_len..];
    }
    Ok(())
}

/// Compose byte sizes: a number with an optional unit b, k, m, g, t (optionally followed by b
/// or ib), any case.
pub fn check_size(s: &str) -> Result<(), String> {
    const EXPECT: &str = "expected a size such as `512m`, `1g` or `200M`";
    let digits = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let number = &s[..digits];
    if number.is_empty()
        || number.starts_with('.')
        || number.ends_with('.')
        || number.matches('.').count() > 1
    {
        return Err(EXPECT.into());
    }
    if number.bytes().all(|b| b == b'0' || b == b'.') {
        return Err(
            "a size of 0 reads as \"no limit\" to compose: leave the setting out instead".into(),
        );
    }
    let unit = s[digits..].to_ascii_lowercase();
    let ok = matches!(
        unit.as_str(),
        "" | "b"
            | "k"
            | "m"
            | "g"
            | "t"
            | "kb"
            | "mb"
            | "gb"
            | "tb"
            | "kib"
            | "mib"
            | "gib"
            | "tib"
    );
    if ok {
        Ok(())
    } else {
        Err(format!("`{}` is not a size unit; {EXPECT}", &s[digits..]))
    }
}

/// `${NAME}`, `${NAME:-default}`, `${NAME-default}` and friends: the default value of a whole-string
/// interpolation, or the string itself when it holds none.
pub fn interpolation_default(s: &str) -> Option<&str> {
    if !s.starts_with("${") {
        return Some(s);
    }
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    if let Some(idx) = inner.find(":-") {
        return Some(&inner[idx + 2..]);
    }
    if let Some(idx) = inner.find('-') {
        return Some(&inner[idx + 1..]);
    }
    None
}

/// A host port written as a string: digits, or an interpolation whose default is a port.
pub fn check_port_string(s: &str) -> Result<(), String> {
    if s.starts_with("${") {
        match interpolation_default(s) {
            Some(d) => match d.parse::<u32>() {
                Ok(p) if (1..=65535).contains(&p) => Ok(()),
                _ => Err(format!(
                    "the default `{d}` of this interpolation is not a port in 1..65535"
                )),
            },
            None => Err("an interpolated port needs a default, e.g. `${PORT:-8080}`".into()),
        }
    } else {
        match s.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => Ok(()),
            Ok(_) => Err("ports are 1..65535".into()),
            Err(_) => Err("expected a port number or `${VAR:-port}`".into()),
        }
    }
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (and port) when written, e.g. `ghcr.io`.
    pub registry: Option<String>,
    /// Repository path, e.g. `powerfulmoves/pmoves-archon` or `postgres`.
    pub repository: String,
    pub tag: Option<String>,
    /// `sha256:<64 hex>`.
    pub digest: Option<String>,
}

/// Parses an image reference with the OCI distribution grammar:
/// `[registry[:port]/]path[:tag][@sha256:<64 hex>]`.
pub fn parse_image(s: &str) -> Result<ImageRef, String> {
    if s.is_empty() {
        return Err("an image reference cannot be empty".into());
    }
    if s.contains("${") {
        return Err(
            "an image reference is written literally; use `pin-var` to let the environment override it"
                .into(),
        );
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let hex = d.strip_prefix("sha256:").ok_or_else(|| {
                format!("the digest `{d}` must be `sha256:` followed by 64 hex digits")
            })?;
            if hex.len() != 64
                || !hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                return Err(format!(
                    "the digest must be `sha256:` followed by 64 lowercase hex digits (got {} characters)",
                    hex.len()
                ));
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    // A tag is after the last ':' that follows the last '/'.
    let last_slash = rest.rfind('/');
    let (name, tag) = match rest.rfind(':') {
        Some(i) if last_slash.is_none_or(|sl| i > sl) => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if let Some(tag) = tag {
        check_tag(tag)?;
    }
    let (registry, path) = match name.split_once('/') {
        Some((first, remainder))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            check_registry(first)?;
            (Some(first.to_string()), remainder)
        }
        _ => (None, name),
    };
    if path.is_empty() {
        return Err("the repository path is empty".into());
    }
    for component in path.split('/') {
        check_path_component(component)?;
    }
    Ok(ImageRef {
        registry,
        repository: path.to_string(),
        tag: tag.map(str::to_string),
        digest,
    })
}

fn check_tag(tag: &str) -> Result<(), String> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if !first_ok
        || tag.len() > 128
        || !tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(format!(
            "the tag `{tag}` must match [A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}}"
        ));
    }
    Ok(())
}

fn check_registry(host: &str) -> Result<(), String> {
    let (h, port) = match host.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("the registry port `{p}` is not a number"));
    }
    let ok = !h.is_empty()
        && h.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("`{host}` is not a valid registry host"))
    }
}

fn check_path_component(c: &str) -> Result<(), String> {
    if c.is_empty() {
        return Err("the repository path has an empty component".into());
    }
    if c.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(format!(
            "repository paths are lowercase: write `{}`",
            c.to_ascii_lowercase()
        ));
    }
    // alpha-numeric (separator alpha-numeric)*, separator = [_.] | __ | -+
    let bytes = c.as_bytes();
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return Err(format!(
            "the path component `{c}` must start and end with a lowercase letter or digit"
        ));
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return Err(format!(
                "`{sep}` is not a valid separator in the path component `{c}` (use `.`, `_`, `__` or dashes)"
            ));
        }
    }
    Ok(())
}

/// A numeric, non-root `uid[:gid]`: neither the uid nor the gid may be 0 (root's group can
/// read and write what root's group owns).
pub fn check_numeric_non_root_user(s: &str) -> Result<(), String> {
    let (uid, gid) = match s.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (s, None),
    };
    let numeric = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
    if !numeric(uid) || gid.is_some_and(|g| !numeric(g)) {
        return Err(format!(
            "`{}` is not numeric `uid:gid`",
            crate::lang::compose_values::shown(s)
        ));
    }
    if uid.trim_start_matches('0').is_empty() {
        return Err("uid 0 is root".into());
    }
    if gid.is_some_and(|g| g.trim_start_matches('0').is_empty()) {
        return Err("gid 0 is root's group".into());
    }
    Ok(())
}

/// `SERVICE-NAME` -> `SERVICE_NAME_IMAGE`; a name starting with a digit gets a leading `_`
/// (`1api` -> `_1API_IMAGE`), since a variable name cannot start with one.
pub fn default_pin_var(service: &str) -> String {
    let lead = if service.starts_with(|c: char| c.is_ascii_digit()) {
        "_"
    } else {
        ""
    };
    let mut out: String = lead.to_string();
    out += &service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect::<String>();
    out.push_str("_IMAGE");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images() {
        for ok in [
            "postgres",
            "postgres:16",
            "ankane/pgvector:v0.5.1",
            "ghcr.io/powerfulmoves/pmoves-archon:pmoves-latest",
            "localhost:5000/a/b:1",
            "registry.example.com:443/team/app_x__y.z-w:1.2.3",
            "qdrant/qdrant:v1.10.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(parse_image(ok).is_ok(), "{ok}: {:?}", parse_image(ok));
        }
        for bad in [
            "",
            "Postgres:16",
            "postgres:",
            "postgres:-x",
            "a//b",
            "a/b@sha256:abc",
            "a/b@md5:0123",
            "-a/b",
            "a/b.-c",
            "${X}",
        ] {
            assert!(parse_image(bad).is_err(), "{bad}");
        }
        let r = parse_image(
            "ghcr.io/a/b:1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        )
        .unwrap();
        assert_eq!(r.registry.as_deref(), Some("ghcr.io"));
        assert_eq!(r.repository, "a/b");
        assert_eq!(r.tag.as_deref(), Some("1"));
        assert!(r.digest.is_some());
    }

    #[test]
    fn durations_and_sizes() {
        for ok in ["500ms", "10s", "1m30s", "1.5s", "2h"] {
            assert!(check_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "10", "s", "10 s", "1x", ".5s", "1..2s"] {
            assert!(check_duration(bad).is_err(), "{bad}");
        }
        for ok in ["512m", "1g", "200M", "1024", "2GiB", "1.5g"] {
            assert!(check_size(ok).is_ok(), "{ok}");
        }
        for bad in ["", "m", "12q", "1 g", "-1m", "0", "0m", "0.0g"] {
            assert!(check_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_users_ports() {
        assert!(check_name("hi-rag_v2.x").is_ok());
        assert!(check_name("-x").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_numeric_non_root_user("65532:65532").is_ok());
        assert!(check_numeric_non_root_user("0:0").is_err());
        assert!(check_numeric_non_root_user("root").is_err());
        assert_eq!(interpolation_default("${P:-8086}"), Some("8086"));
        assert_eq!(interpolation_default("8086"), Some("8086"));
        assert!(check_port_string("${P:-8086}").is_ok());
        assert!(check_port_string("${P}").is_err());
        assert!(check_port_string("70000").is_err());
        assert_eq!(
            default_pin_var("hi-rag-gateway-v2"),
            "HI_RAG_GATEWAY_V2_IMAGE"
        );
        assert_eq!(default_pin_var("1api"), "_1API_IMAGE");
        assert!(crate::lang::compose_values::check_env_name(&default_pin_var("9-x.y")).is_ok());
        assert!(check_numeric_non_root_user("1000:0").is_err());
        assert!(check_numeric_non_root_user("1000:000").is_err());
    }
}
