//! Service nodes of the image and the process: image, build, groups, command and entrypoint,
//! environment and env files, init, stop settings, working directory, hostname, labels.

use super::Decoder;
use super::node::Node;
use super::node::scalar_string;
use crate::diag::{Code, Diagnostic};
use crate::lang::model::*;
use crate::lang::vocabulary::Context;

impl Decoder<'_> {
    pub(super) fn process_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "description" => body.description = first().map(|s| c.setting(s.value)),
            "image" => body.image = first().map(|s| Setting::new(s.value, s.span)),
            "pin-var" => body.pin_var = first().map(|s| c.setting(s.value)),
            "build" => {
                let mut build = Build {
                    context: c.arg_string(0).map(|s| s.value),
                    dockerfile: c.prop_string("dockerfile"),
                    target: c.prop_string("target"),
                    args: Default::default(),
                };
                for a in c.children() {
                    if self.check(Context::Build, a).is_none() {
                        continue;
                    }
                    if a.name() == "arg"
                        && let (Some(k), Some(v)) = (a.arg_scalar(0), a.arg_scalar(1))
                    {
                        build.args.insert(k, v);
                    }
                }
                body.build = Some(c.setting(build));
            }
            "group" => body.groups = Some(c.setting(c.string_args())),
            "command" => body.command = Some(c.setting(c.scalar_args())),
            "entrypoint" => body.entrypoint = Some(c.setting(c.scalar_args())),
            "env" => {
                for kv in c.children() {
                    self.env_entry(kv, &mut body.env);
                }
            }
            "env-file" => body
                .env_files
                .get_or_insert_with(Vec::new)
                .extend(env_files(c)),
            "init" => body.init = c.arg_bool().map(|b| c.setting(b)),
            "stop-grace-period" => body.stop_grace_period = first().map(|s| c.setting(s.value)),
            "stop-signal" => body.stop_signal = first().map(|s| c.setting(s.value)),
            "working-dir" => body.working_dir = first().map(|s| c.setting(s.value)),
            "hostname" => body.hostname = first().map(|s| c.setting(s.value)),
            "label" => {
                if let (Some(k), Some(v)) = (c.arg_scalar(0), c.arg_scalar(1)) {
                    body.labels.insert(k, c.setting(v));
                }
            }
            _ => return false,
        }
        true
    }

    pub(super) fn env_entry(
        &mut self,
        kv: Node<'_>,
        env: &mut indexmap::IndexMap<String, Setting<String>>,
    ) {
        let key = kv.name();
        let args = kv.args();
        if args.len() != 1 || kv.has_props() || kv.children_span().is_some() {
            self.push(
                Diagnostic::error(
                    Code::WrongArity,
                    format!("environment variable `{key}` needs exactly one value"),
                )
                .label(kv.head(), "expected `KEY \"value\"`")
                .help(format!("write `{key} \"value\"`")),
            );
            return;
        }
        if key.is_empty() || key.contains('=') {
            self.push(
                Diagnostic::error(
                    Code::BadName,
                    format!("`{key}` is not an environment variable name"),
                )
                .label(kv.name_span(), "invalid name")
                .help("environment variable names cannot be empty or contain `=`"),
            );
            return;
        }
        let (value, span) = args[0];
        let Some(value) = scalar_string(value) else {
            self.push(
                Diagnostic::error(Code::WrongType, format!("`{key}` has no value (#null)"))
                    .label(span, "expected a string")
                    .help("write an empty string `\"\"` for an empty value"),
            );
            return;
        };
        if let Err(e) = crate::lang::compose_values::check_compose_string(&value) {
            self.push(
                Diagnostic::error(
                    Code::BadInterpolation,
                    format!("the value of `{key}` is not what compose would read"),
                )
                .label(span, e)
                .help("write `$$` for a literal `$`, and `${NAME}` or `${NAME:-default}` to read a variable"),
            );
            return;
        }
        if let Some(prev) = env.get(key) {
            self.push(
                Diagnostic::error(
                    Code::DuplicateEnvKey,
                    format!("environment variable `{key}` is set twice"),
                )
                .label(kv.head(), "set again here")
                .label(prev.span, "first set here")
                .help("keep one of them: compose would silently keep only the last"),
            );
        }
        env.insert(key.to_string(), Setting::new(value, kv.head()));
    }
}

pub(super) fn env_files(c: Node<'_>) -> Vec<EnvFile> {
    let required = c.prop_bool("required").unwrap_or(true);
    c.string_args()
        .into_iter()
        .map(|s| EnvFile {
            path: s.value,
            required,
            span: s.span,
        })
        .collect()
}
