//! Compose variable interpolation inside a string: `$$` (a literal `$`), `$NAME`, `${NAME}` and
//! the operators `:-`/`-` (default), `:?`/`?` (required, with a message) and `:+`/`+`
//! (alternative), whose argument may itself interpolate (`${A:-${B}}`), as Compose reads them.
//!
//! [`references`] lists what a string reads; [`rewrite`] replaces some references and keeps the
//! rest of the string byte for byte.

use std::ops::Range;

/// What a reference does when the variable is unset (the `:` forms also treat an empty value as
/// unset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// `$NAME` or `${NAME}`: the value, or an empty string (Compose warns).
    Plain,
    /// `${NAME:-default}` / `${NAME-default}`.
    Default { colon: bool },
    /// `${NAME:?message}` / `${NAME?message}`: Compose refuses to run without it.
    Required { colon: bool },
    /// `${NAME:+alternative}` / `${NAME+alternative}`: the alternative when set, else nothing.
    Alternative { colon: bool },
}

/// One `$` reference of a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub operator: Operator,
    /// The text after the operator (default, message or alternative), as written.
    pub argument: String,
    /// Where the argument starts in the string.
    pub argument_start: usize,
    /// The whole reference in the string (`${...}` or `$NAME`).
    pub range: Range<usize>,
}

impl Reference {
    /// Compose needs the variable for this reference to mean anything: no default, no
    /// alternative.
    pub fn needs_value(&self) -> bool {
        matches!(self.operator, Operator::Plain | Operator::Required { .. })
    }
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

/// Is `s` a variable name Compose can interpolate (`[A-Za-z_][A-Za-z0-9_]*`)?
pub fn is_variable_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && is_name_start(b[0]) && b.iter().all(|c| is_name_char(*c))
}

/// The top-level references of a string, in order (arguments are not searched; see
/// [`references`]). A `$` that starts no reference (`$$`, `$ `, an unclosed `${`) is text.
fn top_level(s: &str) -> Vec<Reference> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'$') => i += 2,
            Some(c) if is_name_start(*c) => {
                let mut end = i + 2;
                while end < b.len() && is_name_char(b[end]) {
                    end += 1;
                }
                out.push(Reference {
                    name: s[i + 1..end].to_string(),
                    operator: Operator::Plain,
                    argument: String::new(),
                    argument_start: end,
                    range: i..end,
                });
                i = end;
            }
            Some(b'{') => match braced(s, i) {
                Some(r) => {
                    i = r.range.end;
                    out.push(r);
                }
                None => i += 2,
            },
            _ => i += 1,
        }
    }
    out
}

/// `${...}` starting at `start` (the `$`).
fn braced(s: &str, start: usize) -> Option<Reference> {
    let b = s.as_bytes();
    let name_start = start + 2;
    let mut j = name_start;
    if j >= b.len() || !is_name_start(b[j]) {
        return None;
    }
    while j < b.len() && is_name_char(b[j]) {
        j += 1;
    }
    let name = s[name_start..j].to_string();
    let (operator, arg_start) = match (b.get(j), b.get(j + 1)) {
        (Some(b'}'), _) => {
            return Some(Reference {
                name,
                operator: Operator::Plain,
                argument: String::new(),
                argument_start: j,
                range: start..j + 1,
            });
        }
        (Some(b':'), Some(b'-')) => (Operator::Default { colon: true }, j + 2),
        (Some(b':'), Some(b'?')) => (Operator::Required { colon: true }, j + 2),
        (Some(b':'), Some(b'+')) => (Operator::Alternative { colon: true }, j + 2),
        (Some(b'-'), _) => (Operator::Default { colon: false }, j + 1),
        (Some(b'?'), _) => (Operator::Required { colon: false }, j + 1),
        (Some(b'+'), _) => (Operator::Alternative { colon: false }, j + 1),
        _ => return None,
    };
    // The argument runs to the matching `}`: nested `${` open, `$$` is skipped.
    let mut depth = 0usize;
    let mut k = arg_start;
    while k < b.len() {
        match b[k] {
            b'$' if b.get(k + 1) == Some(&b'$') => k += 2,
            b'$' if b.get(k + 1) == Some(&b'{') => {
                depth += 1;
                k += 2;
            }
            b'}' if depth == 0 => {
                return Some(Reference {
                    name,
                    operator,
                    argument: s[arg_start..k].to_string(),
                    argument_start: arg_start,
                    range: start..k + 1,
                });
            }
            b'}' => {
                depth -= 1;
                k += 1;
            }
            _ => k += 1,
        }
    }
    None
}

/// Every reference of a string, the ones inside defaults, messages and alternatives included, in
/// order of their `$`. Ranges are positions in `s`.
pub fn references(s: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    collect(s, 0, &mut out);
    out
}

fn collect(s: &str, offset: usize, out: &mut Vec<Reference>) {
    for mut r in top_level(s) {
        let (arg, arg_start) = (r.argument.clone(), r.argument_start);
        r.range = r.range.start + offset..r.range.end + offset;
        r.argument_start += offset;
        out.push(r);
        if !arg.is_empty() {
            collect(&arg, offset + arg_start, out);
        }
    }
}

/// The string with some references replaced: `replace` is asked about each reference (inner
/// ones first, so a replacement sees its argument already rewritten) and returns the new text
/// for it, or `None` to keep it. Everything else is kept byte for byte.
pub fn rewrite(s: &str, replace: &mut dyn FnMut(&Reference) -> Option<String>) -> String {
    let refs = top_level(s);
    if refs.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut at = 0;
    for mut r in refs {
        out.push_str(&s[at..r.range.start]);
        if !r.argument.is_empty() {
            r.argument = rewrite(&r.argument, replace);
        }
        match replace(&r) {
            Some(text) => out.push_str(&text),
            None => out.push_str(&render(&r, &s[r.range.clone()])),
        }
        at = r.range.end;
    }
    out.push_str(&s[at..]);
    out
}

/// A reference written back, with its (possibly rewritten) argument; `original` is how it was
/// written, kept for the forms that have no argument.
fn render(r: &Reference, original: &str) -> String {
    let op = match r.operator {
        Operator::Plain => return original.to_string(),
        Operator::Default { colon } => {
            if colon {
                ":-"
            } else {
                "-"
            }
        }
        Operator::Required { colon } => {
            if colon {
                ":?"
            } else {
                "?"
            }
        }
        Operator::Alternative { colon } => {
            if colon {
                ":+"
            } else {
                "+"
            }
        }
    };
    format!("${{{}{op}{}}}", r.name, r.argument)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &str) -> Vec<(String, Operator)> {
        references(s)
            .into_iter()
            .map(|r| (r.name, r.operator))
            .collect()
    }

    #[test]
    fn finds_every_form() {
        use Operator::*;
        assert_eq!(
            names("a $A ${B} ${C:-x} ${D-x} ${E:?m} ${F?m} ${G:+y} ${H+y} $$I $"),
            vec![
                ("A".into(), Plain),
                ("B".into(), Plain),
                ("C".into(), Default { colon: true }),
                ("D".into(), Default { colon: false }),
                ("E".into(), Required { colon: true }),
                ("F".into(), Required { colon: false }),
                ("G".into(), Alternative { colon: true }),
                ("H".into(), Alternative { colon: false }),
            ]
        );
    }

    #[test]
    fn nested_arguments_and_positions() {
        let s = "x${A:-${B}/$C}y";
        let refs = references(s);
        assert_eq!(refs.len(), 3);
        assert_eq!(&s[refs[0].range.clone()], "${A:-${B}/$C}");
        assert_eq!(&s[refs[1].range.clone()], "${B}");
        assert_eq!(&s[refs[2].range.clone()], "$C");
        assert_eq!(refs[0].argument, "${B}/$C");
    }

    #[test]
    fn text_that_is_no_reference() {
        assert!(references("$$HOME ${ ${1} ${A").is_empty());
        assert!(references("${A:-unclosed").is_empty());
        assert!(references("${A:x}").is_empty());
        assert!(references("price: 5$").is_empty());
    }

    #[test]
    fn rewrite_keeps_the_rest() {
        let mut f = |r: &Reference| (r.name == "B").then(|| format!("${{{}:-}}", r.name));
        assert_eq!(
            rewrite("$$B $B ${B:?m} ${A:-${B}} ${A:-$$}", &mut f),
            "$$B ${B:-} ${B:-} ${A:-${B:-}} ${A:-$$}"
        );
        assert_eq!(rewrite("plain", &mut f), "plain");
    }

    #[test]
    fn variable_names() {
        assert!(is_variable_name("OPENAI_API_KEY"));
        assert!(is_variable_name("_x1"));
        assert!(!is_variable_name("1X"));
        assert!(!is_variable_name("A-B"));
        assert!(!is_variable_name(""));
    }
}
