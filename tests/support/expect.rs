//! What a spec case promises, written as `//` comment lines in its `.kdl` files, checked by
//! `tests/specs.rs` on top of the snapshot (a snapshot can be accepted in a hurry; these
//! cannot):
//!
//! ```text
//! // expect-error: PMV106 at 4:10          an error with this code at line 4, column 10
//! // expect-warning: PMV200 at b.kdl:3:5   a warning, in file b.kdl of a directory case
//! // expect-error: PMV002                   a diagnostic with no source location
//! // expect: docker-compose.gpu.yml /services/api/shm_size = "4g"
//! // expect: docker-compose.published.yml /services/api/deploy absent
//! // expect: env.shared has-line API_IMAGE=nginx:1.27   (a line, leading spaces ignored)
//! // expect: docker-compose.gpu.yml file-absent
//! ```
//!
//! Paths are JSON pointers (RFC 6901) into the generated file read back (YAML with a YAML 1.2
//! reader, JSON as JSON); values are JSON. The declared diagnostics must be exactly the ones the
//! compiler reports (same codes, severities and places, as a multiset).

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedDiagnostic {
    pub severity: String,
    pub code: String,
    /// `FILE:LINE:COL` (directory cases), `LINE:COL` (single-file cases), or empty.
    pub at: String,
}

#[derive(Debug, Clone)]
pub enum Fact {
    Equals {
        file: String,
        pointer: String,
        value: Value,
    },
    Absent {
        file: String,
        pointer: String,
    },
    HasLine {
        file: String,
        line: String,
    },
    FileAbsent {
        file: String,
    },
}

#[derive(Debug, Default)]
pub struct Expectations {
    pub diagnostics: Vec<ExpectedDiagnostic>,
    pub facts: Vec<Fact>,
}

/// Reads the annotations of one case (all its files). Malformed annotations are errors.
pub fn parse<'a>(
    texts: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Expectations, String> {
    let mut out = Expectations::default();
    for (file, text) in texts {
        for (i, line) in text.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("//") else {
                continue;
            };
            let rest = rest.trim();
            let where_ = || format!("{file}:{}", i + 1);
            if let Some(body) = rest
                .strip_prefix("expect-error:")
                .map(|b| ("error", b))
                .or_else(|| rest.strip_prefix("expect-warning:").map(|b| ("warning", b)))
            {
                let (severity, body) = body;
                let mut words = body.split_whitespace();
                let code = words
                    .next()
                    .filter(|c| c.starts_with("PMV"))
                    .ok_or_else(|| {
                        format!("{}: expected a code after `expect-{severity}:`", where_())
                    })?;
                let at = match (words.next(), words.next(), words.next()) {
                    (None, _, _) => String::new(),
                    (Some("at"), Some(at), None) => at.to_string(),
                    _ => {
                        return Err(format!(
                            "{}: expected `expect-{severity}: CODE [at [FILE:]LINE:COL]`",
                            where_()
                        ));
                    }
                };
                out.diagnostics.push(ExpectedDiagnostic {
                    severity: severity.to_string(),
                    code: code.to_string(),
                    at,
                });
            } else if let Some(body) = rest.strip_prefix("expect:") {
                out.facts
                    .push(parse_fact(body.trim()).map_err(|e| format!("{}: {e}", where_()))?);
            } else if rest.starts_with("expect") {
                return Err(format!("{}: unknown annotation `{rest}`", where_()));
            }
        }
    }
    out.diagnostics.sort();
    Ok(out)
}

fn parse_fact(body: &str) -> Result<Fact, String> {
    let (file, rest) = body
        .split_once(char::is_whitespace)
        .ok_or("expected `expect: FILE ...`")?;
    let file = file.to_string();
    let rest = rest.trim();
    if rest == "file-absent" {
        return Ok(Fact::FileAbsent { file });
    }
    if let Some(line) = rest.strip_prefix("has-line ") {
        return Ok(Fact::HasLine {
            file,
            line: line.to_string(),
        });
    }
    let (pointer, rest) = rest
        .split_once(char::is_whitespace)
        .ok_or("expected `POINTER = JSON` or `POINTER absent`")?;
    if !pointer.starts_with('/') {
        return Err(format!("`{pointer}` is not a JSON pointer (starts with /)"));
    }
    let pointer = pointer.to_string();
    let rest = rest.trim();
    if rest == "absent" {
        return Ok(Fact::Absent { file, pointer });
    }
    let json = rest
        .strip_prefix('=')
        .ok_or("expected `= JSON` or `absent` after the pointer")?;
    let value =
        serde_json::from_str(json.trim()).map_err(|e| format!("`{json}` is not JSON: {e}"))?;
    Ok(Fact::Equals {
        file,
        pointer,
        value,
    })
}

/// A generated file read back as a value (YAML by a YAML 1.2 reader, JSON as JSON).
fn read_back(name: &str, text: &str) -> Result<Value, String> {
    if name.ends_with(".json") {
        serde_json::from_str(text).map_err(|e| format!("{name} is not JSON: {e}"))
    } else if name.ends_with(".yml") || name.ends_with(".yaml") {
        serde_saphyr::from_str(text).map_err(|e| format!("{name} is not YAML: {e}"))
    } else {
        Err(format!("{name} is neither YAML nor JSON: use `has-line`"))
    }
}

/// Checks every fact against the generated files; returns every failure.
pub fn check_facts(facts: &[Fact], files: &BTreeMap<String, String>) -> Vec<String> {
    let mut failures = Vec::new();
    for fact in facts {
        let file_of = |name: &str| {
            files.get(name).ok_or_else(|| {
                format!(
                    "{name} was not generated (files: {:?})",
                    files.keys().collect::<Vec<_>>()
                )
            })
        };
        let result = match fact {
            Fact::FileAbsent { file } => {
                if files.contains_key(file) {
                    Err(format!("{file} is generated, expected none"))
                } else {
                    Ok(())
                }
            }
            Fact::HasLine { file, line } => file_of(file).and_then(|text| {
                if text.lines().any(|l| l.trim() == line.trim()) {
                    Ok(())
                } else {
                    Err(format!("{file} has no line `{line}`:\n{text}"))
                }
            }),
            Fact::Equals {
                file,
                pointer,
                value,
            } => file_of(file)
                .and_then(|text| read_back(file, text))
                .and_then(|v| match v.pointer(pointer) {
                    Some(got) if got == value => Ok(()),
                    Some(got) => Err(format!("{file} {pointer}: expected {value}, found {got}")),
                    None => Err(format!("{file} {pointer}: expected {value}, found nothing")),
                }),
            Fact::Absent { file, pointer } => file_of(file)
                .and_then(|text| read_back(file, text))
                .and_then(|v| match v.pointer(pointer) {
                    None => Ok(()),
                    Some(got) => Err(format!("{file} {pointer}: expected nothing, found {got}")),
                }),
        };
        if let Err(e) = result {
            failures.push(e);
        }
    }
    failures
}
