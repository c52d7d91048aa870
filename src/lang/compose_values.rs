//! Value grammars for what compose reads: every string pmovesc writes into a compose file, an env
//! file or a probe command is checked here for the context it lands in, so that compose neither
//! refuses the file nor reads the value differently (a `:` splitting a mount, a `;` ending a
//! command line, a `${` that is not an interpolation, a NUL dropping the rest of a path).
//!
//! Each check returns `Err(explanation)` for the diagnostic's label; values in explanations are
//! shown with [`shown`], so a hostile value cannot draw on the terminal.

/// A value as messages show it: control characters and line separators escaped, long values
/// cut, so a diagnostic never carries a terminal escape or a fake line into a log.
pub fn shown(s: &str) -> String {
    const MAX: usize = 80;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value on one line of a generated file (a comment, an env file): control characters and
/// line separators escaped, nothing cut, so a value can never start a line of its own.
pub fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A NUL can never be passed on: the engine cuts strings at it.
pub fn check_no_nul(s: &str) -> Result<(), String> {
    if s.contains('\0') {
        Err("a NUL character (`\\u{0}`) cannot be passed to compose".into())
    } else {
        Ok(())
    }
}

fn first_control(s: &str) -> Option<char> {
    s.chars()
        .find(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
}

/// No control characters (C0, DEL, C1) and no Unicode line separators.
pub fn check_no_control(s: &str) -> Result<(), String> {
    match first_control(s) {
        Some(c) => Err(format!(
            "the control character `{}` is not allowed here",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// A value compose must read literally: no interpolation (`$`), no control characters.
pub fn check_literal(s: &str) -> Result<(), String> {
    check_no_control(s)?;
    if s.contains('$') {
        return Err(
            "interpolation (`$`) is not allowed here: the value must be known when pmovesc checks it"
                .into(),
        );
    }
    Ok(())
}

/// Compose interpolation, as compose parses it: `$$` is a literal `$`; `$NAME` and `${NAME}`
/// read a variable; `${NAME:-default}`, `${NAME-default}`, `${NAME:?message}`, `${NAME?message}`,
/// `${NAME:+alt}` and `${NAME+alt}` take a default that may itself hold interpolations. A `$`
/// before anything else is literal. Anything else after `${` makes compose refuse the file.
pub fn check_interpolation(s: &str) -> Result<(), String> {
    check_no_nul(s)?;
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 2,
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                i += 2;
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let name = &s[start..i];
                let valid_name = name
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
                if !valid_name {
                    return Err(format!(
                        "`${{{}` is not an interpolation: a variable name is a letter or `_`, then letters, digits and `_` (write `$$` for a literal `$`)",
                        shown(name)
                    ));
                }
                let rest = &s[i..];
                if rest.starts_with('}') {
                    i += 1;
                    continue;
                }
                let op = [":-", ":?", ":+", "-", "?", "+"]
                    .iter()
                    .find(|op| rest.starts_with(**op));
                match op {
                    Some(op) => {
                        i += op.len();
                        depth += 1;
                    }
                    None => {
                        return Err(format!(
                            "`${{{name}` must be followed by `}}` or one of `:-`, `-`, `:?`, `?`, `:+`, `+` (write `$$` for a literal `$`)"
                        ));
                    }
                }
            }
            b'}' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            // Compose reads `${...}` on one line: a line break inside makes it refuse the file.
            b if depth > 0 && (b < 0x20 || b == 0x7f) => {
                return Err(format!(
                    "the control character `{}` cannot be inside `${{...}}`: compose refuses it there",
                    char::from(b).escape_default()
                ));
            }
            _ => i += 1,
        }
    }
    if depth > 0 {
        return Err("an interpolation `${...` is not closed with `}`".into());
    }
    Ok(())
}

/// A default pmovesc itself writes into `${NAME:-default}` (an input's `default=`): well formed
/// as a default there, and no `}` of its own, which would end the default early and leave the
/// rest as text after it.
pub fn check_interpolation_default(s: &str) -> Result<(), String> {
    let bytes = s.as_bytes();
    let (mut i, mut depth) = (0, 0usize);
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'$') => i += 1,
            b'$' if bytes.get(i + 1) == Some(&b'{') => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'}' => {
                return Err(
                    "a `}` would end the default early (it is written as `${NAME:-default}`)"
                        .into(),
                );
            }
            _ => {}
        }
        i += 1;
    }
    check_interpolation(&format!("${{X:-{s}}}"))
}

/// Any string compose reads as a value: no NUL, interpolation well formed.
pub fn check_compose_string(s: &str) -> Result<(), String> {
    check_interpolation(s)
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*` (what compose interpolation and env
/// files accept).
pub fn check_env_name(s: &str) -> Result<(), String> {
    let ok = s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a variable name: a letter or `_`, then letters, digits and `_`",
            shown(s)
        ))
    }
}

/// Names pmovesc keeps for itself in an output directory.
pub const RESERVED_PREFIX: &str = ".pmovesc";

/// The name of a file pmovesc writes into OUT: one path component of letters, digits, `.`, `_`
/// and `-`, not `.` or `..`, not starting with `-` or `.pmovesc`, at most 255 bytes. Never a
/// path: outputs stay inside OUT.
pub fn check_output_file_name(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a file name cannot be empty".into());
    }
    if s.contains(['/', '\\']) {
        return Err(format!(
            "`{}` is a path: outputs are written into the output directory, so give a file name without `/`",
            shown(s)
        ));
    }
    if s == "." || s == ".." {
        return Err(format!("`{s}` is not a file name"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "`{}` is not allowed in an output file name (letters, digits, `.`, `_` and `-`)",
            c.escape_default()
        ));
    }
    if s.starts_with('-') {
        return Err("an output file name cannot start with `-`".into());
    }
    if s.starts_with(RESERVED_PREFIX) {
        return Err(format!(
            "names starting with `{RESERVED_PREFIX}` are pmovesc's own files"
        ));
    }
    if s.len() > 255 {
        return Err("an output file name is at most 255 bytes".into());
    }
    Ok(())
}

/// An `extra-host` address: an IP address or Docker's `host-gateway`.
pub fn check_host_address(s: &str) -> Result<(), String> {
    if s == "host-gateway" {
        return Ok(());
    }
    check_ip(s).map_err(|e| format!("{e}, or `host-gateway`"))
}

/// An IPv4 or IPv6 address literal (no brackets, no port).
pub fn check_ip(s: &str) -> Result<(), String> {
    s.parse::<core::net::IpAddr>().map(|_| ()).map_err(|_| {
        format!(
            "`{}` is not an IPv4 or IPv6 address such as `127.0.0.1` or `::1`",
            shown(s)
        )
    })
}

/// A subnet in CIDR form: an address, `/`, a prefix length that fits it.
pub fn check_subnet(s: &str) -> Result<(), String> {
    let bad = || format!("`{}` is not a subnet such as `172.30.0.0/24`", shown(s));
    let (ip, len) = s.split_once('/').ok_or_else(bad)?;
    let ip: core::net::IpAddr = ip.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    match len.parse::<u8>() {
        Ok(n) if n <= max && len.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!("the prefix length must be 0..{max}")),
    }
}

/// A host name: dot-separated labels of letters, digits, `-` and `_`, each 1..63 characters and
/// not starting or ending with `-`; at most 253 characters.
pub fn check_hostname(s: &str) -> Result<(), String> {
    let bad = |why: &str| format!("`{}` is not a host name: {why}", shown(s));
    if s.is_empty() {
        return Err("a host name cannot be empty".into());
    }
    if s.len() > 253 {
        return Err(bad("longer than 253 characters"));
    }
    for label in s.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad("each dot-separated label is 1..63 characters"));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(bad("a label cannot start or end with `-`"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_')))
        {
            return Err(bad(&format!(
                "`{}` is not allowed (letters, digits, `-`, `_`)",
                c.escape_default()
            )));
        }
    }
    Ok(())
}

fn no_colon(s: &str, what: &str) -> Result<(), String> {
    if s.contains(':') {
        Err(format!(
            "a {what} cannot hold `:`: compose splits mounts at `:` (`{}` would not mean what it says)",
            shown(s)
        ))
    } else {
        Ok(())
    }
}

/// A path inside the container: absolute, clean (no `.`, `..` or empty components, which
/// compose would resolve into another path), literal, without `:`.
pub fn check_container_path(s: &str) -> Result<(), String> {
    check_literal(s)?;
    if !s.starts_with('/') {
        return Err(format!(
            "`{}` is not an absolute path inside the container (start it with `/`)",
            shown(s)
        ));
    }
    no_colon(s, "container path")?;
    if s != "/" && s[1..].split('/').any(|c| matches!(c, "" | "." | "..")) {
        return Err(format!(
            "`{}` is not a clean path: compose resolves `.`, `..` and `//` into another path",
            shown(s)
        ));
    }
    if s.split('/').any(|c| c.len() > 255) {
        return Err("a path component is at most 255 bytes".into());
    }
    Ok(())
}

/// Where a mount goes in the container: a container path other than `/`.
pub fn check_mount_target(s: &str) -> Result<(), String> {
    check_container_path(s)?;
    if s == "/" {
        return Err("nothing can be mounted over the container's root `/`".into());
    }
    Ok(())
}

/// The host side of a bind mount: starts with `.`, `/` or `~`; literal, without `:`, not a lone
/// `~`-user form compose cannot expand.
pub fn check_bind_source(s: &str) -> Result<(), String> {
    check_literal(s)?;
    no_colon(s, "bind mount source")?;
    if s.starts_with('~') && !(s == "~" || s.starts_with("~/")) {
        return Err("compose expands only `~` and `~/...`, not `~user`".into());
    }
    Ok(())
}

/// A directory path compose reads on the host (a build context): not empty, no control
/// characters, interpolation well formed, no component over 255 bytes.
pub fn check_dir_path(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a path cannot be empty".into());
    }
    check_no_control(s)?;
    check_interpolation(s)?;
    if s.split('/').any(|c| c.len() > 255) {
        return Err("a path component is at most 255 bytes".into());
    }
    Ok(())
}

/// A file path compose reads on the host (env files, secret files, Dockerfiles): a directory
/// path whose last component names a file (not `.`, `..`, `~` or empty).
pub fn check_file_path(s: &str) -> Result<(), String> {
    check_dir_path(s)?;
    let last = s.rsplit('/').next().unwrap_or(s);
    if matches!(last, "" | "." | ".." | "~") {
        return Err(format!("`{}` names a directory, not a file", shown(s)));
    }
    Ok(())
}

/// An HTTP request path for a probe (a leading `/` is added when missing) holding only the
/// characters of RFC 3986 paths and queries, so it can be pasted into a URL, a command argument
/// and a Python string literal alike: no quotes, backslashes, spaces, `$` or control characters.
pub fn check_url_path(s: &str) -> Result<(), String> {
    let allowed = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '/' | '-'
                    | '.'
                    | '_'
                    | '~'
                    | '%'
                    | '!'
                    | '&'
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | ':'
                    | '@'
                    | '?'
            )
    };
    if s.starts_with("//") {
        return Err("a path starting with `//` would be read as a host".into());
    }
    match s.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(format!(
            "`{}` is not allowed in a probe path (percent-encode it)",
            c.escape_default()
        )),
        None => Ok(()),
    }
}

/// The key of a label or build argument: not empty, no `=`, no spaces or control characters,
/// literal.
pub fn check_key(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("a key cannot be empty".into());
    }
    check_literal(s)?;
    if let Some(c) = s.chars().find(|c| *c == '=' || c.is_whitespace()) {
        return Err(format!("`{}` is not allowed in a key", c.escape_default()));
    }
    Ok(())
}

/// A command line written as one string: compose splits it into words the way a shell would,
/// but it stops reading at an unquoted `;`, `&`, `|`, `<` or `>` (the rest is silently dropped)
/// and refuses unquoted `(` and `)`, unbalanced quotes and a trailing `\`. Those are errors
/// here; quote them, or give each word as its own argument.
pub fn check_command_line(s: &str) -> Result<(), String> {
    check_interpolation(s)?;
    let mut chars = s.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (Some('"'), '"') => quote = None,
            (_, '\\') => {
                if chars.next().is_none() {
                    return Err("the command line ends with `\\`".into());
                }
            }
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, ';' | '&' | '|' | '<' | '>') => {
                return Err(format!(
                    "an unquoted `{c}`: compose runs no shell and drops everything from here on; quote it, give each word as its own argument, or run `\"sh\" \"-c\" \"...\"`"
                ));
            }
            (None, '(' | ')') => {
                return Err(format!(
                    "an unquoted `{c}`: compose refuses it in a command line; quote it or give each word as its own argument"
                ));
            }
            (None, _) => {}
        }
    }
    if let Some(q) = quote {
        return Err(format!("the quote `{q}` is not closed"));
    }
    Ok(())
}

/// `network-mode`: `bridge`, `host`, `none`, `service:NAME` or `container:NAME`, literal.
pub fn check_network_mode(s: &str) -> Result<(), String> {
    check_literal(s)?;
    match s {
        "bridge" | "host" | "none" => Ok(()),
        _ => check_namespace_target(
            s,
            "`bridge`, `host`, `none`, `service:NAME` or `container:NAME`",
        ),
    }
}

/// `pid`: `host`, `service:NAME` or `container:NAME`, literal.
pub fn check_pid_mode(s: &str) -> Result<(), String> {
    check_literal(s)?;
    match s {
        "host" => Ok(()),
        _ => check_namespace_target(s, "`host`, `service:NAME` or `container:NAME`"),
    }
}

fn check_namespace_target(s: &str, expected: &str) -> Result<(), String> {
    let target = s
        .strip_prefix("service:")
        .or_else(|| s.strip_prefix("container:"));
    match target {
        Some(name) => crate::lang::values::check_name(name),
        None => Err(format!("`{}` is not a mode: expected {expected}", shown(s))),
    }
}

/// The service of a `service:NAME` mode, if that is what it is.
pub fn mode_service(s: &str) -> Option<&str> {
    s.strip_prefix("service:")
}

/// A CPU count: a finite number above 0 and at most 1,000,000 (compose writes it as a
/// nanosecond share; 0 would mean "no limit", which is leaving the setting out).
pub fn check_cpus(v: f64) -> Result<(), String> {
    if !v.is_finite() {
        return Err("a CPU count must be a finite number".into());
    }
    if v <= 0.0 {
        return Err(
            "a CPU count must be above 0 (compose reads 0 as no limit: leave the setting out instead)"
                .into(),
        );
    }
    if v > 1_000_000.0 {
        return Err("a CPU count is at most 1000000".into());
    }
    Ok(())
}

/// An octal file mode of three or four digits, e.g. `1777` or `755`.
pub fn check_file_mode(s: &str) -> Result<(), String> {
    if (3..=4).contains(&s.len()) && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an octal file mode such as `1777` or `755`",
            shown(s)
        ))
    }
}

/// A signal: `SIGNAME` (upper case letters, digits, `+`, `-`) or a number 1..64.
pub fn check_signal(s: &str) -> Result<(), String> {
    if let Some(name) = s.strip_prefix("SIG")
        && !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'+' || b == b'-')
    {
        return Ok(());
    }
    match s.parse::<u8>() {
        Ok(n) if (1..=64).contains(&n) && !s.starts_with('0') => Ok(()),
        _ => Err(format!(
            "`{}` is not a signal such as `SIGTERM`, `SIGRTMIN+3` or `15`",
            shown(s)
        )),
    }
}

/// A container user: `user[:group]`, each a number or a name of letters, digits, `_`, `.` and
/// `-`; literal.
pub fn check_user(s: &str) -> Result<(), String> {
    check_literal(s)?;
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with('-')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    };
    let ok = match s.split_once(':') {
        Some((u, g)) => part(u) && part(g),
        None => part(s),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not `user[:group]` (numbers or names)",
            shown(s)
        ))
    }
}

/// A Linux capability name such as `NET_BIND_SERVICE` (with or without `CAP_`), or `ALL`.
pub fn check_capability(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a capability name such as `NET_BIND_SERVICE` or `ALL`",
            shown(s)
        ))
    }
}

/// A string as a Python string literal (single-quoted, every character that could end or
/// change it escaped), for probe commands that run Python.
pub fn python_string_literal(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if c.is_ascii_graphic() || c == ' ' => out.push(c),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_as_compose_reads_it() {
        for ok in [
            "",
            "$",
            "a$",
            "$1",
            "$-",
            "$$",
            "${A}",
            "${A:-x}",
            "${A-x}",
            "${A:?e}",
            "${A?e}",
            "${A:+x}",
            "${A+x}",
            "${A:-${B}}",
            "${A:-${B:-c}}",
            "${A:-}",
            "${A:-}}",
            "${A:-{}",
            "$A$",
            "$ {A}",
            "${A:-$}",
            "${A:-$$}",
            "${A:-x}y}",
            "${_}",
            "${A:-x:y}",
        ] {
            assert!(check_interpolation(ok).is_ok(), "{ok}");
        }
        for bad in [
            "${",
            "${}",
            "${A",
            "${1A}",
            "${A:x}",
            "${A!}",
            "${a.b}",
            "${A-${B}",
            "${A:-${}",
            "${A:-${B",
            "\0",
            "${A:-a\nb}",
            "${A:-\r}",
        ] {
            assert!(check_interpolation(bad).is_err(), "{bad}");
        }
        assert!(
            check_interpolation("a\nb").is_ok(),
            "a line break outside `${{...}}`"
        );
        for ok in ["", "x", "$$", "${B}", "${B:-c}", "a b", "$"] {
            assert!(check_interpolation_default(ok).is_ok(), "{ok}");
        }
        for bad in ["}", "a}b", "a\nb", "${B", "${1}"] {
            assert!(check_interpolation_default(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn command_lines_as_compose_splits_them() {
        for ok in [
            "a b",
            "a \"x;y\"",
            "a x\\;y",
            "a 'x|y'",
            "a #c",
            "a\\\\b",
            "a'b'",
        ] {
            assert!(check_command_line(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a;b", "a && b", "a>b", "a<b", "a|b", "a(b", "a)b", "a \"b", "a 'b", "a\\",
        ] {
            assert!(check_command_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_paths_addresses() {
        assert!(check_env_name("HI_RAG_IMAGE").is_ok());
        for bad in ["", "1X", "X-Y", "X:-a}${Y", "A\nB", "A=B"] {
            assert!(check_env_name(bad).is_err(), "{bad}");
        }
        assert!(check_output_file_name("docker-compose.prod.yml").is_ok());
        assert!(check_output_file_name(".env").is_ok());
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/x",
            "a\\b",
            ".pmovesc-manifest",
            "-x",
            "a b",
        ] {
            assert!(check_output_file_name(bad).is_err(), "{bad}");
        }
        for ok in ["127.0.0.1", "::1", "fe80::1"] {
            assert!(check_ip(ok).is_ok(), "{ok}");
        }
        for bad in ["", "[::1]", "300.1.1.1", "localhost", "1.2.3.4:80"] {
            assert!(check_ip(bad).is_err(), "{bad}");
        }
        assert!(check_subnet("172.30.1.0/24").is_ok());
        assert!(check_subnet("fd00::/64").is_ok());
        for bad in ["172.30.1.0", "172.30.1.0/33", "x/8", "1.2.3.4/+8"] {
            assert!(check_subnet(bad).is_err(), "{bad}");
        }
        assert!(check_hostname("db.internal").is_ok());
        for bad in ["", "a b", "a:b", "-a", "a..b", "a/b"] {
            assert!(check_hostname(bad).is_err(), "{bad}");
        }
        assert!(check_container_path("/data").is_ok());
        for bad in [
            "data", "/a:/b", "/data:ro", "/x\0y", "/${X}", "", "/..", "/a/", "/a//b",
        ] {
            assert!(check_container_path(bad).is_err(), "{bad}");
        }
        assert!(check_mount_target("/").is_err());
        assert!(check_bind_source("./d").is_ok());
        assert!(check_bind_source("~/d").is_ok());
        for bad in ["./x:/etc", "~root/x", "/x\0"] {
            assert!(check_bind_source(bad).is_err(), "{bad}");
        }
        assert!(check_url_path("/health?x=1").is_ok());
        for bad in ["/a'b", "/a b", "/$x", "/a\\b", "/a\"b", "//x"] {
            assert!(check_url_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn modes_numbers_signals_users() {
        for ok in ["bridge", "host", "none", "service:db", "container:x"] {
            assert!(check_network_mode(ok).is_ok(), "{ok}");
        }
        for bad in ["${X:-host}", "Host", "service:", "ns:/x"] {
            assert!(check_network_mode(bad).is_err(), "{bad}");
        }
        assert!(check_pid_mode("${X:-host}").is_err());
        assert!(check_pid_mode("bridge").is_err());
        assert!(check_cpus(0.5).is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e308] {
            assert!(check_cpus(bad).is_err(), "{bad}");
        }
        assert!(check_file_mode("1777").is_ok());
        assert!(check_file_mode("1777,exec").is_err());
        assert!(check_signal("SIGTERM").is_ok());
        assert!(check_signal("9").is_ok());
        assert!(check_signal("TERM;").is_err());
        assert!(check_user("www-data:www-data").is_ok());
        assert!(check_user("${U:-0}").is_err());
        assert!(check_capability("NET_ADMIN").is_ok());
        assert!(check_capability("net admin").is_err());
    }

    #[test]
    fn python_literals_cannot_be_broken_out_of() {
        assert_eq!(python_string_literal("http://a:1/x"), "'http://a:1/x'");
        assert_eq!(
            python_string_literal("/'); import os; ('"),
            "'/\\'); import os; (\\''"
        );
        assert_eq!(python_string_literal("\\\n"), "'\\\\\\U0000000a'");
    }

    #[test]
    fn shown_escapes_controls() {
        assert_eq!(shown("a\u{1b}[31mb\n"), "a\\u{1b}[31mb\\n");
        assert_eq!(shown(&"x".repeat(100)).chars().count(), 81);
    }
}
