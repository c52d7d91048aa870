//! Reachability nodes: whom a service connects to (`talks-to`) and whether it reaches outside the
//! stack (`egress`); isolated profiles lower them into networks.

use super::*;

pub(super) const NODES: &[NodeSpec] = &[
    repeatable(node(
        "talks-to",
        SVC,
        args("services", 1, None, T::Name),
        &[
            prop(
                "port",
                T::Port,
                "the one port it connects to (default: any)",
            ),
            prop(
                "required",
                T::Bool,
                "#false: no diagnostic where the service is left out",
            ),
        ],
        "Services this one connects to; in isolated profiles the only ones it can reach. Merged by service.",
    )),
    node(
        "egress",
        SVC,
        args("#true, #false or host names", 1, None, T::Scalar),
        &[],
        "The service reaches outside the stack; host names are recorded (compose cannot filter by name).",
    ),
];
