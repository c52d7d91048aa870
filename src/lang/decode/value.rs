//! Checks of one argument or property value against what its node expects: the type, the
//! allowed values, an integer range, and values given by a variable (`"${VAR:-default}"`), whose
//! default gets the same checks as a literal.

use super::Decoder;
use super::node::{scalar_string, value_kind};
use crate::diag::{Code, Diagnostic, suggest};
use crate::lang::source::Span;
use crate::lang::syntax::Value;
use crate::lang::vocabulary::{ArgSpec, PropSpec, ValueType};
use crate::lang::{compose_values, values};

/// What one value must be.
#[derive(Debug, Clone, Copy)]
pub(super) struct Expect {
    pub(super) ty: ValueType,
    pub(super) values: &'static [&'static str],
    pub(super) range: Option<(i64, i64)>,
    pub(super) variables: bool,
}

impl Expect {
    pub(super) fn arg(a: &ArgSpec) -> Self {
        Expect {
            ty: a.ty,
            values: a.values,
            range: a.range,
            variables: a.variables,
        }
    }

    pub(super) fn prop(p: &PropSpec) -> Self {
        Expect {
            ty: p.ty,
            values: p.values,
            range: p.range,
            variables: p.variables,
        }
    }

    /// Whether a string holding `${...}` is taken for this value. Strings and string-valued
    /// types always take one; numbers, booleans and names only where compose reads a string
    /// there and the vocabulary says so. Images never do: a pin variable overrides an image.
    fn takes_variable(&self) -> bool {
        match self.ty {
            ValueType::String
            | ValueType::Size
            | ValueType::Duration
            | ValueType::PullPolicy
            | ValueType::IpcMode
            | ValueType::Scalar
            | ValueType::Text
            // A mode or user chosen at deploy time: the default is checked as a literal, and
            // the audit flags the choice in hardened profiles (PMV510, PMV511).
            | ValueType::NetworkMode
            | ValueType::PidMode
            | ValueType::User => true,
            ValueType::Name
            | ValueType::Integer
            | ValueType::Number
            | ValueType::Bool
            | ValueType::Port
            | ValueType::CountOrAll
            | ValueType::SizeOrUnlimited
            | ValueType::Cpus => self.variables,
            // Paths take text around variables and check it whole; the rest must be literal:
            // what they mean is what the hardening and output checks read.
            ValueType::PortOrInterpolation
            | ValueType::Image
            | ValueType::EnvName
            | ValueType::FileName
            | ValueType::IpAddress
            | ValueType::Subnet
            | ValueType::Hostname
            | ValueType::ContainerPath
            | ValueType::FilePath
            | ValueType::DirPath
            | ValueType::UrlPath
            | ValueType::FileMode
            | ValueType::Signal
            | ValueType::Capability => false,
        }
    }
}

/// A whole-string interpolation `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
/// `${NAME:?message}` or `${NAME?message}`.
#[derive(Debug, PartialEq)]
pub(super) enum Variable<'a> {
    /// The value when the variable is unset (or empty, for `:-`).
    Default(&'a str),
    /// The operator must set it (`?` forms).
    Required,
    /// No default: an unset variable reads as the empty string.
    Bare,
}

/// Parses a whole-string interpolation; `None` when `s` is not one (plain text, or text around
/// a variable).
pub(super) fn whole_variable(s: &str) -> Option<Result<Variable<'_>, String>> {
    let inner = s.strip_prefix("${")?.strip_suffix('}')?;
    if inner.contains("${") || inner.contains('}') {
        return None;
    }
    let end = inner
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(inner.len());
    let (name, rest) = inner.split_at(end);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(Err(format!(
            "`{name}` is not a variable name: a letter or `_`, then letters, digits and `_`"
        )));
    }
    let v = if rest.is_empty() {
        Variable::Bare
    } else if let Some(d) = rest.strip_prefix(":-").or_else(|| rest.strip_prefix('-')) {
        Variable::Default(d)
    } else if rest.starts_with(":?") || rest.starts_with('?') {
        Variable::Required
    } else {
        return Some(Err(format!(
            "`{rest}` after the variable name is not `:-default`, `-default`, `:?message` or `?message`"
        )));
    };
    Some(Ok(v))
}

impl Decoder<'_> {
    pub(super) fn check_value(&mut self, e: Expect, v: &Value<'_>, span: Span, what: &str) -> bool {
        if let Value::String(s) = v
            && s.contains("${")
            && e.takes_variable()
        {
            return self.check_variable(e, s, span, what);
        }
        let ty = e.ty;
        let wrong_type = |this: &mut Self| {
            this.push(
                Diagnostic::error(
                    Code::WrongType,
                    format!("{what} must be {}, found {}", ty.describe(), value_kind(v)),
                )
                .label(span, format!("expected {}", ty.describe()))
                .help(type_help(e, v)),
            );
            false
        };
        match v {
            Value::String(s)
                if matches!(
                    ty,
                    ValueType::Integer
                        | ValueType::Number
                        | ValueType::Bool
                        | ValueType::Port
                        | ValueType::Cpus
                ) || (ty == ValueType::CountOrAll && s != "all") =>
            {
                wrong_type(self)
            }
            Value::String(s) if !matches!(ty, ValueType::PortOrInterpolation) => {
                match literal(e, s) {
                    Ok(()) => true,
                    Err(Check::WrongType) => wrong_type(self),
                    Err(Check::Bad(code, msg)) => self.bad(code, e, s, span, what, msg),
                    Err(Check::NotAllowed) => self.not_allowed(e, s, span, what),
                }
            }
            Value::String(s) => match values::check_port_string(s) {
                Ok(()) => true,
                Err(msg) => self.bad(Code::PortRange, e, s, span, what, msg),
            },
            Value::Integer(i) => {
                let shown = i.to_string();
                match (ty, i64::try_from(*i)) {
                    (ValueType::Integer | ValueType::Number | ValueType::Scalar, Ok(n)) => {
                        self.in_range(e, n, &shown, span, what)
                    }
                    (ValueType::Cpus, Ok(n)) => match compose_values::check_cpus(n as f64) {
                        Ok(()) => true,
                        Err(msg) => self.bad(Code::OutOfRange, e, &shown, span, what, msg),
                    },
                    (
                        ValueType::Integer
                        | ValueType::Number
                        | ValueType::Scalar
                        | ValueType::Cpus,
                        Err(_),
                    ) => {
                        let msg = "outside the 64-bit range compose reads".to_string();
                        self.bad(Code::OutOfRange, e, &shown, span, what, msg)
                    }
                    (ValueType::Port | ValueType::PortOrInterpolation, Ok(p))
                        if (1..=65535).contains(&p) =>
                    {
                        true
                    }
                    (ValueType::Port | ValueType::PortOrInterpolation, _) => {
                        let msg = format!("{i} is outside 1..65535");
                        self.bad(Code::PortRange, e, &shown, span, what, msg)
                    }
                    (ValueType::CountOrAll, Ok(n)) if n >= 1 => true,
                    (ValueType::CountOrAll, _) => {
                        let msg = "a GPU count is at least 1".to_string();
                        self.bad(Code::InvalidValue, e, &shown, span, what, msg)
                    }
                    (ValueType::SizeOrUnlimited, Ok(-1)) => true,
                    (ValueType::SizeOrUnlimited, _) => {
                        let msg = "a number is only -1 (no limit); write a size as a string".into();
                        self.bad(Code::BadSize, e, &shown, span, what, msg)
                    }
                    _ => wrong_type(self),
                }
            }
            Value::Float(f) if ty == ValueType::Cpus => match compose_values::check_cpus(*f) {
                Ok(()) => true,
                Err(msg) => self.bad(Code::OutOfRange, e, &f.to_string(), span, what, msg),
            },
            Value::Float(f)
                if !f.is_finite() && matches!(ty, ValueType::Number | ValueType::Scalar) =>
            {
                let msg = "compose cannot read an infinite or NaN number".to_string();
                self.bad(Code::OutOfRange, e, &f.to_string(), span, what, msg)
            }
            Value::Float(_) => {
                matches!(ty, ValueType::Number | ValueType::Scalar) || wrong_type(self)
            }
            Value::Bool(_) => matches!(ty, ValueType::Bool | ValueType::Scalar) || wrong_type(self),
            Value::Null => wrong_type(self),
        }
    }

    fn in_range(&mut self, e: Expect, n: i64, shown: &str, span: Span, what: &str) -> bool {
        match e.range {
            Some((lo, hi)) if n < lo || n > hi => {
                let range = if hi == i64::MAX {
                    format!("at least {lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                self.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        format!("{what}: `{shown}` is outside the allowed range ({range})"),
                    )
                    .label(span, format!("expected {range}"))
                    .help(code_help(Code::InvalidValue)),
                );
                false
            }
            _ => true,
        }
    }

    fn bad(
        &mut self,
        code: Code,
        e: Expect,
        shown: &str,
        span: Span,
        what: &str,
        msg: String,
    ) -> bool {
        self.push(
            Diagnostic::error(
                code,
                format!(
                    "{what}: `{}` is not {}",
                    compose_values::shown(shown),
                    e.ty.describe()
                ),
            )
            .label(span, msg)
            .help(code_help(code)),
        );
        false
    }

    fn not_allowed(&mut self, e: Expect, s: &str, span: Span, what: &str) -> bool {
        self.push(
            Diagnostic::error(
                Code::InvalidValue,
                format!("`{}` is not a valid {what}", compose_values::shown(s)),
            )
            .label(span, "not an allowed value")
            .help(suggest(s, e.values.iter().copied())),
        );
        false
    }

    /// A value given by a variable: a whole-string interpolation whose default passes the
    /// literal checks. A string type also takes text around variables (`"${DATA}/models"`).
    fn check_variable(&mut self, e: Expect, s: &str, span: Span, what: &str) -> bool {
        // First the syntax, as compose parses it: a malformed `${` makes it refuse the file.
        if let Err(why) = compose_values::check_compose_string(s) {
            return self.bad(Code::BadInterpolation, e, s, span, what, why);
        }
        let typed = !matches!(e.ty, ValueType::String | ValueType::Scalar) || !e.values.is_empty();
        let problem = match whole_variable(s) {
            None if typed => Some((
                format!("{what}: `{s}` mixes a variable with other text"),
                "expected the whole value to be one `${VAR:-default}`".to_string(),
            )),
            None => None,
            Some(Err(msg)) => Some((format!("{what}: `{s}` is not a valid variable"), msg)),
            Some(Ok(Variable::Bare)) if typed => Some((
                format!("{what}: `{s}` has no default"),
                format!("an unset variable would leave {} empty", e.ty.describe()),
            )),
            Some(Ok(Variable::Default(d))) => match literal(e, d) {
                Ok(()) => None,
                Err(Check::Bad(_, msg)) => Some((
                    format!("{what}: the default `{d}` of `{s}` is not a valid value"),
                    msg,
                )),
                Err(Check::WrongType | Check::NotAllowed) => Some((
                    format!(
                        "{what}: the default `{d}` of `{s}` is not {}",
                        e.ty.describe()
                    ),
                    if e.values.is_empty() {
                        format!("expected {}", e.ty.describe())
                    } else {
                        format!("expected one of {}", e.values.join(", "))
                    },
                )),
            },
            Some(Ok(_)) => None,
        };
        let Some((message, label)) = problem else {
            return true;
        };
        self.push(
            Diagnostic::error(Code::BadVariable, message)
                .label(span, label)
                .help("write `${VAR:-default}` with a default that is a valid value, or `${VAR:?message}` when the operator must set it"),
        );
        false
    }
}

/// Why a literal failed.
enum Check {
    WrongType,
    NotAllowed,
    Bad(Code, String),
}

/// The checks of a value written as a string: a KDL string, or the default of a variable.
fn literal(e: Expect, s: &str) -> Result<(), Check> {
    let bad = |code: Code, r: Result<(), String>| r.map_err(|m| Check::Bad(code, m));
    match e.ty {
        ValueType::Text => {}
        ValueType::String | ValueType::Scalar => bad(
            Code::BadInterpolation,
            compose_values::check_compose_string(s),
        )?,
        ValueType::EnvName => bad(Code::BadVariableName, compose_values::check_env_name(s))?,
        ValueType::FileName => bad(
            Code::BadOutputName,
            compose_values::check_output_file_name(s),
        )?,
        ValueType::IpAddress => bad(Code::BadAddress, compose_values::check_ip(s))?,
        ValueType::Subnet => bad(Code::BadAddress, compose_values::check_subnet(s))?,
        ValueType::Hostname => bad(Code::BadAddress, compose_values::check_hostname(s))?,
        ValueType::ContainerPath => bad(Code::BadPath, compose_values::check_container_path(s))?,
        ValueType::FilePath => bad(Code::BadPath, compose_values::check_file_path(s))?,
        ValueType::DirPath => bad(Code::BadPath, compose_values::check_dir_path(s))?,
        ValueType::UrlPath => bad(Code::BadPath, compose_values::check_url_path(s))?,
        ValueType::FileMode => bad(Code::InvalidValue, compose_values::check_file_mode(s))?,
        ValueType::Signal => bad(Code::InvalidValue, compose_values::check_signal(s))?,
        ValueType::NetworkMode => bad(Code::InvalidValue, compose_values::check_network_mode(s))?,
        ValueType::PidMode => bad(Code::InvalidValue, compose_values::check_pid_mode(s))?,
        ValueType::User => bad(Code::BadUser, compose_values::check_user(s))?,
        ValueType::Capability => bad(Code::InvalidValue, compose_values::check_capability(s))?,
        ValueType::Cpus => {
            let n: f64 = s.parse().map_err(|_| Check::WrongType)?;
            bad(Code::OutOfRange, compose_values::check_cpus(n))?
        }
        ValueType::Name => bad(Code::BadName, values::check_name(s))?,
        ValueType::Duration => bad(Code::BadDuration, values::check_duration(s))?,
        ValueType::Size => bad(Code::BadSize, values::check_size(s))?,
        ValueType::SizeOrUnlimited if s == "-1" => {}
        ValueType::SizeOrUnlimited => bad(Code::BadSize, values::check_size(s))?,
        ValueType::Image => bad(Code::BadImage, values::parse_image(s).map(|_| ()))?,
        ValueType::PullPolicy => bad(Code::InvalidValue, check_pull_policy(s))?,
        ValueType::IpcMode => bad(Code::InvalidValue, check_ipc_mode(s))?,
        ValueType::Integer => {
            let n: i64 = s.parse().map_err(|_| Check::WrongType)?;
            if let Some((lo, hi)) = e.range
                && (n < lo || n > hi)
            {
                return Err(Check::Bad(
                    Code::InvalidValue,
                    format!("outside {lo}..{hi}"),
                ));
            }
        }
        ValueType::Number => {
            s.parse::<f64>().map_err(|_| Check::WrongType)?;
        }
        ValueType::Bool if s == "true" || s == "false" => {}
        ValueType::Bool => return Err(Check::WrongType),
        ValueType::Port | ValueType::PortOrInterpolation => {
            bad(Code::PortRange, values::check_port_string(s))?
        }
        ValueType::CountOrAll if s == "all" => {}
        ValueType::CountOrAll => match s.parse::<i64>() {
            Ok(n) if n >= 1 => {}
            Ok(_) => {
                return Err(Check::Bad(
                    Code::InvalidValue,
                    "a GPU count is at least 1".into(),
                ));
            }
            Err(_) => return Err(Check::WrongType),
        },
    }
    if !e.values.is_empty() && !e.values.contains(&s) {
        return Err(Check::NotAllowed);
    }
    Ok(())
}

/// A compose pull policy.
pub(super) fn check_pull_policy(s: &str) -> Result<(), String> {
    const FIXED: &[&str] = &[
        "always",
        "never",
        "missing",
        "build",
        "if_not_present",
        "refresh",
        "daily",
        "weekly",
    ];
    if FIXED.contains(&s) {
        return Ok(());
    }
    if let Some(every) = s.strip_prefix("every_") {
        // every_<n><unit>..., units w, d, h, m, s.
        let mut rest = every;
        let mut parts = 0;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let unit = rest[digits..].chars().next();
            match unit {
                Some('w' | 'd' | 'h' | 'm' | 's') if digits > 0 => {
                    rest = &rest[digits + 1..];
                    parts += 1;
                }
                _ => return Err(
                    "`every_` is followed by numbers with units w, d, h, m, s, e.g. `every_12h`"
                        .into(),
                ),
            }
        }
        if parts > 0 {
            return Ok(());
        }
    }
    Err(match crate::diag::did_you_mean(s, FIXED.iter().copied()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => format!(
            "expected one of {}, or `every_<duration>`",
            FIXED.join(", ")
        ),
    })
}

/// An IPC mode.
pub(super) fn check_ipc_mode(s: &str) -> Result<(), String> {
    const FIXED: &[&str] = &["private", "shareable", "none", "host"];
    if FIXED.contains(&s) {
        return Ok(());
    }
    for prefix in ["service:", "container:"] {
        if let Some(name) = s.strip_prefix(prefix) {
            return values::check_name(name);
        }
    }
    Err(match crate::diag::did_you_mean(s, FIXED.iter().copied()) {
        Some(m) => format!("did you mean `{m}`?"),
        None => {
            "expected private, shareable, none, host, service:<name> or container:<name>".into()
        }
    })
}

pub(super) fn type_help(e: Expect, v: &Value<'_>) -> String {
    match (e.ty, v) {
        (ValueType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            format!("KDL 2.0 booleans are `#{s}`, without quotes")
        }
        (
            ValueType::Port | ValueType::Integer | ValueType::Number | ValueType::Cpus,
            Value::String(s),
        ) if s.parse::<f64>().is_ok() => {
            format!("write the number without quotes: `{s}`")
        }
        (_, Value::String(s)) if s.contains("${") => {
            format!(
                "{} is written literally here: a variable cannot set it",
                e.ty.describe()
            )
        }
        (ValueType::String | ValueType::Name | ValueType::Duration | ValueType::Size, _) => {
            format!(
                "write it in double quotes, e.g. `\"{}\"`",
                scalar_string(v).unwrap_or_default()
            )
        }
        _ => format!("expected {}", e.ty.describe()),
    }
}

pub(super) fn code_help(code: Code) -> String {
    match code {
        Code::BadName => "names follow compose: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`".into(),
        Code::BadDuration => "durations are compose durations: `500ms`, `10s`, `1m30s`".into(),
        Code::BadSize => "sizes are compose byte sizes: `512m`, `1g`, `200M`".into(),
        Code::PortRange => "ports are 1..65535".into(),
        Code::BadImage => {
            "image references are `[registry/]path[:tag][@sha256:<64 hex>]`, with a lowercase path"
                .into()
        }
        Code::InvalidValue => "see docs/stack-language.md for the values allowed here".into(),
        _ => code.description().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_variables() {
        assert_eq!(whole_variable("${A:-1}"), Some(Ok(Variable::Default("1"))));
        assert_eq!(whole_variable("${A-x}"), Some(Ok(Variable::Default("x"))));
        assert_eq!(whole_variable("${A:?set A}"), Some(Ok(Variable::Required)));
        assert_eq!(whole_variable("${A_1}"), Some(Ok(Variable::Bare)));
        assert_eq!(whole_variable("${A}/x"), None);
        assert_eq!(whole_variable("x${A}"), None);
        assert!(matches!(whole_variable("${1A}"), Some(Err(_))));
        assert!(matches!(whole_variable("${A:+x}"), Some(Err(_))));
    }

    #[test]
    fn pull_policies() {
        for ok in ["always", "missing", "every_12h", "every_1w2d"] {
            assert!(check_pull_policy(ok).is_ok(), "{ok}");
        }
        for bad in ["sometimes", "every_", "every_12", "every_h"] {
            assert!(check_pull_policy(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ipc_modes() {
        for ok in ["host", "shareable", "service:db", "container:x"] {
            assert!(check_ipc_mode(ok).is_ok(), "{ok}");
        }
        for bad in ["hots", "service:", "service:-x"] {
            assert!(check_ipc_mode(bad).is_err(), "{bad}");
        }
    }
}
