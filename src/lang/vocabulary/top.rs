//! Top-level nodes (project, hardening classes, networks, volumes, secrets, templates, profiles,
//! services) and the children of `project`.

use super::*;

pub(super) const NODES: &[NodeSpec] = &[
    // ---- top level --------------------------------------------------------------------------
    with_children(
        node(
            "project",
            &[C::Top],
            args("project name", 1, Some(1), T::Name),
            &[prop(
                "isolation-pool",
                T::String,
                "CIDR block the networks of isolated profiles take their subnets from (default 172.30.64.0/18)",
            )],
            "The stack's single project node: its name prefixes local image tags.",
        ),
        Children::Nodes(C::Project),
    ),
    with_children(
        repeatable(node(
            "hardening",
            &[C::Top],
            args("class name", 1, Some(1), T::Name),
            &[prop("extends", T::Name, "the class this one starts from")],
            "A hardening class: settings applied to its services in hardened profiles.",
        )),
        Children::Nodes(C::Hardening),
    ),
    repeatable(node(
        "network",
        &[C::Top],
        args("network name", 1, Some(1), T::Name),
        &[
            prop("name", T::String, "the network's name on the engine"),
            prop("subnet", T::Subnet, "IPAM subnet in CIDR form"),
            prop("gateway", T::IpAddress, "IPAM gateway address"),
            prop("internal", T::Bool, "no route to the outside"),
            prop("external", T::Bool, "created outside this project"),
            prop("driver", T::String, "network driver (default bridge)"),
            prop("attachable", T::Bool, "standalone containers may attach"),
        ],
        "A network services attach to.",
    )),
    repeatable(node(
        "volume",
        &[C::Top],
        args("volume name", 1, Some(1), T::Name),
        &[
            prop("name", T::String, "the volume's name on the engine"),
            prop("external", T::Bool, "created outside this project"),
            prop("driver", T::String, "volume driver"),
        ],
        "A named volume services may mount.",
    )),
    repeatable(node(
        "secret",
        &[C::Top],
        args("secret name", 1, Some(1), T::Name),
        &[
            prop("file", T::FilePath, "a file holding the secret"),
            prop(
                "environment",
                T::EnvName,
                "an environment variable holding the secret",
            ),
            prop("external", T::Bool, "created outside this project"),
            prop(
                "input",
                T::String,
                "with file=: the declared input the file holds; `pmovesc secrets init` writes it",
            ),
        ],
        "A secret services may mount under /run/secrets.",
    )),
    with_children(
        repeatable(node(
            "template",
            &[C::Top],
            args("template name", 1, Some(1), T::Name),
            &[prop("from", T::Name, "the template this one starts from")],
            "Service settings shared by services that name it with from=; never emitted.",
        )),
        Children::Nodes(C::Service),
    ),
    repeatable(node(
        "profile",
        &[C::Top],
        args("profile name", 1, Some(1), T::Name),
        &[
            prop_enum(
                "source",
                &["build", "image"],
                "build from source or run images",
            ),
            prop_enum(
                "pins",
                &["off", "warn", "require"],
                "what an image without a digest is (default: warn for source=image, off for build)",
            ),
            prop(
                "hardened",
                T::Bool,
                "apply hardening classes and their require lists",
            ),
            prop(
                "gpu",
                T::Bool,
                "include GPU reservations, when \"gpu\" and only-in \"gpu\"",
            ),
            prop(
                "file",
                T::FileName,
                "output file name (default docker-compose.<profile>.yml)",
            ),
            prop(
                "isolation",
                T::Bool,
                "lower talks-to into one network per connection (default: on in hardened profiles when the stack uses talks-to)",
            ),
        ],
        "An output variant of the whole stack.",
    )),
    with_children(
        repeatable(node(
            "service",
            &[C::Top],
            args("service name", 1, Some(1), T::Name),
            &[prop(
                "from",
                T::Name,
                "the template this service starts from",
            )],
            "A service, written once for every profile.",
        )),
        Children::Nodes(C::Service),
    ),
    // ---- project ----------------------------------------------------------------------------
    repeatable(node(
        "env-file",
        &[C::Project, C::Service],
        args("paths", 1, None, T::FilePath),
        &[prop(
            "required",
            T::Bool,
            "#false: a missing file is not an error (compose long syntax)",
        )],
        "Env files read by the service; in project, the default list of every service. In a service the list replaces the project's.",
    )),
    node(
        "pin-file",
        &[C::Project],
        args("file name", 1, Some(1), T::FileName),
        &[],
        "Name of the generated pin file (default env.shared).",
    ),
    node(
        "default-hardening",
        &[C::Project],
        args("class name", 1, Some(1), T::Name),
        &[],
        "The hardening class of services that name none.",
    ),
];
