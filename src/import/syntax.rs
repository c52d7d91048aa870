//! The short syntaxes of compose fields, read the way Compose reads them: ports
//! (`[ip:][host:]container[/protocol]`), volumes (`source:target[:options]`), devices
//! (`host[:container[:permissions]]`), tmpfs entries (`/tmp:size=1g,mode=1777`) and
//! `key=value` / `host:address` pairs.

/// A port in the short syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortPort {
    pub host_ip: Option<String>,
    /// The published port or range as written (`8080`, `8080-8081`, `${PORT:-80}`), if any.
    pub published: Option<String>,
    /// The container port or range.
    pub target: String,
    pub protocol: Option<String>,
}

/// Splits on the colons that are not inside `${...}` or `[...]`.
fn split_colons(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth_brace = 0usize;
    let mut depth_bracket = 0usize;
    let mut start = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'$' if b.get(i + 1) == Some(&b'{') => {
                depth_brace += 1;
                i += 1;
            }
            b'}' if depth_brace > 0 => depth_brace -= 1,
            b'[' => depth_bracket += 1,
            b']' if depth_bracket > 0 => depth_bracket -= 1,
            b':' if depth_brace == 0 && depth_bracket == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(&s[start..]);
    parts
}

/// `[ip:[host:]]container[/protocol]`, as docker's `nat.ParsePortSpec` reads it. An IPv6
/// address is written in brackets.
pub fn port(spec: &str) -> Option<ShortPort> {
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) if !p.contains('}') && !p.is_empty() => (r, Some(p.to_string())),
        _ => (spec, None),
    };
    let parts = split_colons(rest);
    let (ip, published, target) = match parts.as_slice() {
        [t] => (None, None, *t),
        [p, t] => (None, Some(*p), *t),
        [ip, p, t] => (Some(*ip), Some(*p), *t),
        _ => {
            // An IPv6 address without brackets: the last two parts are host and container.
            let n = parts.len();
            let ip = rest[..rest.len() - parts[n - 1].len() - parts[n - 2].len() - 2].to_string();
            return Some(ShortPort {
                host_ip: Some(ip),
                published: non_empty(parts[n - 2]),
                target: parts[n - 1].to_string(),
                protocol,
            });
        }
    };
    if target.is_empty() {
        return None;
    }
    let host_ip = ip.map(|i| i.trim_start_matches('[').trim_end_matches(']').to_string());
    Some(ShortPort {
        host_ip: host_ip.filter(|i| !i.is_empty()),
        published: published.and_then(non_empty),
        target: target.to_string(),
        protocol,
    })
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A volume in the short syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortVolume {
    pub source: Option<String>,
    pub target: String,
    pub options: Vec<String>,
}

/// `[source:]target[:options]`, as compose-go's `format.ParseVolume` reads it (a Windows drive
/// letter is part of the source).
pub fn volume(spec: &str) -> ShortVolume {
    let parts = split_colons(spec);
    let mut parts: Vec<String> = parts.into_iter().map(str::to_string).collect();
    // `C:\data:/data`: a one-letter first part followed by a backslash path is a drive.
    if parts.len() > 1 && parts[0].len() == 1 && parts[1].starts_with('\\') {
        let drive = parts.remove(0);
        parts[0] = format!("{drive}:{}", parts[0]);
    }
    match parts.len() {
        1 => ShortVolume {
            source: None,
            target: parts.remove(0),
            options: Vec::new(),
        },
        2 => {
            let target = parts.remove(1);
            ShortVolume {
                source: Some(parts.remove(0)),
                target,
                options: Vec::new(),
            }
        }
        _ => {
            let options = parts[2..].join(":");
            ShortVolume {
                source: Some(parts[0].clone()),
                target: parts[1].clone(),
                options: options.split(',').map(str::to_string).collect(),
            }
        }
    }
}

/// The target of a short-syntax volume (what compose makes volumes unique by).
pub fn volume_target(spec: &str) -> String {
    volume(spec).target
}

/// Whether a volume source is a host path rather than a named volume: compose-go's rule (`.`,
/// `/`, `~`, or a Windows path), with a variable's default deciding for `${VAR:-./data}`.
pub fn is_bind_source(source: &str) -> bool {
    let s = match source.strip_prefix("${") {
        Some(rest) => match rest.split_once(":-").or_else(|| rest.split_once('-')) {
            Some((_, default)) => default.trim_end_matches('}'),
            None => return true,
        },
        None => source,
    };
    s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with('\\')
        || (s.len() > 1 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic())
}

/// A device in the short syntax: host path, container path, permissions.
pub fn device(spec: &str) -> (String, Option<String>, Option<String>) {
    let parts = split_colons(spec);
    match parts.as_slice() {
        [h] => (h.to_string(), None, None),
        [h, c] => {
            // `/dev/x:rwm`: the second part is permissions when it is only r, w and m.
            if !c.is_empty() && c.chars().all(|ch| matches!(ch, 'r' | 'w' | 'm')) {
                (h.to_string(), None, Some(c.to_string()))
            } else {
                (h.to_string(), Some(c.to_string()), None)
            }
        }
        [h, c, p, ..] => (h.to_string(), Some(c.to_string()), Some(p.to_string())),
        [] => (String::new(), None, None),
    }
}

/// A tmpfs entry: target and its options (`size=1g`, `mode=1777`, ...).
pub fn tmpfs(spec: &str) -> (String, Vec<(String, String)>) {
    match spec.split_once(':') {
        Some((target, opts)) => (
            target.to_string(),
            opts.split(',')
                .filter(|o| !o.is_empty())
                .map(|o| match o.split_once('=') {
                    Some((k, v)) => (k.to_string(), v.to_string()),
                    None => (o.to_string(), String::new()),
                })
                .collect(),
        ),
        None => (spec.to_string(), Vec::new()),
    }
}

/// `KEY=value` (or `KEY` alone, which compose takes from its environment).
pub fn key_value(item: &str) -> (String, Option<String>) {
    match item.split_once('=') {
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (item.to_string(), None),
    }
}

/// An `extra_hosts` entry: `host:address`, `host=address` or `host address` (an IPv6 address may
/// be in brackets).
pub fn extra_host(item: &str) -> Option<(String, String)> {
    let (host, addr) = if let Some((h, a)) = item.split_once('=') {
        (h, a)
    } else if let Some((h, a)) = item.split_once(':') {
        (h, a)
    } else {
        item.split_once(' ')?
    };
    let addr = addr.trim();
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    Some((host.trim().to_string(), addr.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        let p = port("127.0.0.1:8080:80/udp").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.published.as_deref(), Some("8080"));
        assert_eq!(p.target, "80");
        assert_eq!(p.protocol.as_deref(), Some("udp"));
        let p = port("${HOST_PORT:-8080}:80").unwrap();
        assert_eq!(p.published.as_deref(), Some("${HOST_PORT:-8080}"));
        let p = port("[::1]:8080:80").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        let p = port("80").unwrap();
        assert_eq!((p.published, p.target.as_str()), (None, "80"));
        let p = port("127.0.0.1::80").unwrap();
        assert_eq!(p.published, None);
        let p = port("${BIND:-127.0.0.1}:${P:-1}:80").unwrap();
        assert_eq!(p.host_ip.as_deref(), Some("${BIND:-127.0.0.1}"));
    }

    #[test]
    fn volumes() {
        let v = volume("./data:/data:ro,z");
        assert_eq!(v.source.as_deref(), Some("./data"));
        assert_eq!(v.target, "/data");
        assert_eq!(v.options, ["ro", "z"]);
        assert_eq!(volume("/cache").source, None);
        assert_eq!(
            volume("${DIR:-./x}:/x").source.as_deref(),
            Some("${DIR:-./x}")
        );
        assert!(is_bind_source("${DIR:-./x}"));
        assert!(!is_bind_source("models"));
        assert!(is_bind_source("~/x"));
    }

    #[test]
    fn devices_and_tmpfs() {
        assert_eq!(device("/dev/dri"), ("/dev/dri".into(), None, None));
        assert_eq!(
            device("/dev/snd:/dev/snd:rw"),
            (
                "/dev/snd".into(),
                Some("/dev/snd".into()),
                Some("rw".into())
            )
        );
        let (t, o) = tmpfs("/tmp:size=500M,mode=1777");
        assert_eq!(t, "/tmp");
        assert_eq!(
            o,
            [
                ("size".into(), "500M".into()),
                ("mode".into(), "1777".into())
            ]
        );
    }

    #[test]
    fn extra_hosts() {
        assert_eq!(
            extra_host("host.docker.internal:host-gateway"),
            Some(("host.docker.internal".into(), "host-gateway".into()))
        );
        assert_eq!(extra_host("a=::1"), Some(("a".into(), "::1".into())));
        assert_eq!(extra_host("b:[::1]"), Some(("b".into(), "::1".into())));
    }
}
