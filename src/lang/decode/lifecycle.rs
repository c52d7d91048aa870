//! Service nodes of the service's life: dependencies, the healthcheck, the MCP server it runs.

use super::Decoder;
use super::node::Node;
use crate::lang::model::*;

impl Decoder<'_> {
    pub(super) fn lifecycle_node(&mut self, c: Node<'_>, body: &mut ServiceBody) -> bool {
        let first = || c.arg_string(0);
        match c.name() {
            "depends-on" => {
                if let Some(name) = first() {
                    let condition = match c.prop_string("condition").as_deref() {
                        Some("healthy") => Condition::Healthy,
                        Some("completed") => Condition::Completed,
                        _ => Condition::Started,
                    };
                    body.depends_on.insert(
                        name.value.clone(),
                        Setting::new(
                            Dependency {
                                service: name.value,
                                condition,
                                required: c.prop_bool("required").unwrap_or(true),
                                restart: c.prop_bool("restart"),
                            },
                            name.span,
                        ),
                    );
                }
            }
            "healthcheck" => body.healthcheck = Some(c.setting(self.healthcheck(c))),
            "mcp" => {
                if let Some(name) = first() {
                    let mcp = self.mcp(c, name);
                    body.mcp = Some(c.setting(mcp));
                }
            }

            _ => return false,
        }
        true
    }
}
