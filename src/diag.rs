//! Diagnostics: plain data, kept apart from rendering.
//!
//! Every pass pushes [`Diagnostic`]s into a [`Diagnostics`] sink and carries on; nothing stops at
//! the first problem. [`render_human`] and [`render_json`] (in [`crate::render`]) are the two
//! renderers, shared by the CLI and the tests.

use std::fmt;

use serde::Serialize;

use crate::lang::source::Span;

/// Stable diagnostic codes. The number never changes meaning; retired codes are not reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    KdlSyntax,
    NoStackFiles,
    KdlTooDeep,
    InvalidUtf8,
    DisallowedCodePoint,
    StackFileNotRegular,
    StackFileTooLarge,
    OutputCollision,
    TooDeep,
    UnknownNode,
    UnknownProperty,
    WrongType,
    WrongArity,
    InvalidValue,
    PortRange,
    BadDuration,
    BadSize,
    BadName,
    BadImage,
    DuplicateDefinition,
    ProjectCount,
    DuplicateEnvKey,
    MissingProperty,
    BadUser,
    BadInterpolation,
    BadPath,
    BadAddress,
    BadVariableName,
    BadOutputName,
    BadCommandLine,
    OutOfRange,
    BadKey,
    AmbiguousVolumeName,
    BadVariable,
    ContainerNameScaled,
    ContainerNameTaken,
    UndefinedReference,
    Cycle,
    CapNotAllowed,
    CapWithoutReason,
    LooseningWithoutReason,
    GpuCountOrDevices,
    RequirementUnmet,
    MissingImage,
    DependencyLeftOut,
    DuplicateHostPort,
    UnpinnedImage,
    ExceptionWithoutReason,
    NoHardeningClass,
    PinVarConflict,
    McpName,
    McpDescription,
    McpVersion,
    McpNoImage,
    McpPort,
    McpDuplicateName,
    McpMetaSize,
    McpUrlVariable,
    TalksToLeftOut,
    TalksToSelf,
    PortOnInternalNetwork,
    DependencyWithoutTalksTo,
    IsolationPool,
    NetworkBesideIsolation,
    NetworkModeBesideIsolation,
    TalksToNoSharedNetwork,
    HardeningViolation,
    HardeningWeakness,
    UndeclaredVariable,
    InputDeclaration,
    RequiredFormOnInput,
    UnusedInput,
    EnvironmentSecretReadOnly,
    ImportYaml,
    ImportUnreadable,
    ImportMerge,
    ImportExtends,
    ImportInclude,
    ImportShape,
    ImportHatch,
    ImportNotExpressible,
    ImportDecision,
    NotFormatted,
    DefectUndefinedService,
    DefectUndeclaredNetwork,
    DefectUndeclaredVolume,
    DefectDuplicateEnv,
    DefectDuplicatePort,
    DefectUnpinnedImage,
    DefectGpuCount,
    DefectGpuProfile,
    DefectLiteralCredential,
    TmpfsNotWritable,
    SecretUnderRunTmpfs,
}

impl Code {
    /// Every code, in number order (used by docs and the collision test).
    pub const ALL: &'static [Code] = &[
        Code::KdlSyntax,
        Code::NoStackFiles,
        Code::KdlTooDeep,
        Code::InvalidUtf8,
        Code::DisallowedCodePoint,
        Code::StackFileNotRegular,
        Code::StackFileTooLarge,
        Code::OutputCollision,
        Code::TooDeep,
        Code::UnknownNode,
        Code::UnknownProperty,
        Code::WrongType,
        Code::WrongArity,
        Code::InvalidValue,
        Code::PortRange,
        Code::BadDuration,
        Code::BadSize,
        Code::BadName,
        Code::BadImage,
        Code::DuplicateDefinition,
        Code::ProjectCount,
        Code::DuplicateEnvKey,
        Code::MissingProperty,
        Code::BadUser,
        Code::BadInterpolation,
        Code::BadPath,
        Code::BadAddress,
        Code::BadVariableName,
        Code::BadOutputName,
        Code::BadCommandLine,
        Code::OutOfRange,
        Code::BadKey,
        Code::AmbiguousVolumeName,
        Code::BadVariable,
        Code::ContainerNameScaled,
        Code::ContainerNameTaken,
        Code::UndefinedReference,
        Code::Cycle,
        Code::CapNotAllowed,
        Code::CapWithoutReason,
        Code::LooseningWithoutReason,
        Code::GpuCountOrDevices,
        Code::RequirementUnmet,
        Code::MissingImage,
        Code::DependencyLeftOut,
        Code::DuplicateHostPort,
        Code::UnpinnedImage,
        Code::ExceptionWithoutReason,
        Code::NoHardeningClass,
        Code::PinVarConflict,
        Code::McpName,
        Code::McpDescription,
        Code::McpVersion,
        Code::McpNoImage,
        Code::McpPort,
        Code::McpDuplicateName,
        Code::McpMetaSize,
        Code::McpUrlVariable,
        Code::TalksToLeftOut,
        Code::TalksToSelf,
        Code::PortOnInternalNetwork,
        Code::DependencyWithoutTalksTo,
        Code::IsolationPool,
        Code::NetworkBesideIsolation,
        Code::NetworkModeBesideIsolation,
        Code::TalksToNoSharedNetwork,
        Code::HardeningViolation,
        Code::HardeningWeakness,
        Code::UndeclaredVariable,
        Code::InputDeclaration,
        Code::RequiredFormOnInput,
        Code::UnusedInput,
        Code::EnvironmentSecretReadOnly,
        Code::ImportYaml,
        Code::ImportUnreadable,
        Code::ImportMerge,
        Code::ImportExtends,
        Code::ImportInclude,
        Code::ImportShape,
        Code::ImportHatch,
        Code::ImportNotExpressible,
        Code::ImportDecision,
        Code::NotFormatted,
        Code::DefectUndefinedService,
        Code::DefectUndeclaredNetwork,
        Code::DefectUndeclaredVolume,
        Code::DefectDuplicateEnv,
        Code::DefectDuplicatePort,
        Code::DefectUnpinnedImage,
        Code::DefectGpuCount,
        Code::DefectGpuProfile,
        Code::DefectLiteralCredential,
        Code::TmpfsNotWritable,
        Code::SecretUnderRunTmpfs,
    ];

    /// The stable code printed with every diagnostic.
    pub fn id(self) -> &'static str {
        match self {
            Code::KdlSyntax => "PMV001",
            Code::NoStackFiles => "PMV002",
            Code::KdlTooDeep => "PMV003",
            Code::InvalidUtf8 => "PMV004",
            Code::DisallowedCodePoint => "PMV005",
            Code::StackFileNotRegular => "PMV020",
            Code::StackFileTooLarge => "PMV021",
            Code::OutputCollision => "PMV023",
            Code::TooDeep => "PMV024",
            Code::UnknownNode => "PMV101",
            Code::UnknownProperty => "PMV102",
            Code::WrongType => "PMV103",
            Code::WrongArity => "PMV104",
            Code::InvalidValue => "PMV105",
            Code::PortRange => "PMV106",
            Code::BadDuration => "PMV107",
            Code::BadSize => "PMV108",
            Code::BadName => "PMV109",
            Code::BadImage => "PMV110",
            Code::DuplicateDefinition => "PMV111",
            Code::ProjectCount => "PMV112",
            Code::DuplicateEnvKey => "PMV113",
            Code::MissingProperty => "PMV114",
            Code::BadUser => "PMV115",
            Code::BadInterpolation => "PMV116",
            Code::BadPath => "PMV117",
            Code::BadAddress => "PMV118",
            Code::BadVariableName => "PMV119",
            Code::BadOutputName => "PMV120",
            Code::BadCommandLine => "PMV121",
            Code::OutOfRange => "PMV122",
            Code::BadKey => "PMV123",
            Code::AmbiguousVolumeName => "PMV124",
            Code::BadVariable => "PMV140",
            Code::ContainerNameScaled => "PMV141",
            Code::ContainerNameTaken => "PMV142",
            Code::UndefinedReference => "PMV201",
            Code::Cycle => "PMV202",
            Code::CapNotAllowed => "PMV301",
            Code::CapWithoutReason => "PMV302",
            Code::LooseningWithoutReason => "PMV303",
            Code::GpuCountOrDevices => "PMV304",
            Code::RequirementUnmet => "PMV305",
            Code::MissingImage => "PMV306",
            Code::DependencyLeftOut => "PMV307",
            Code::DuplicateHostPort => "PMV308",
            Code::UnpinnedImage => "PMV309",
            Code::ExceptionWithoutReason => "PMV310",
            Code::NoHardeningClass => "PMV311",
            Code::PinVarConflict => "PMV312",
            Code::McpName => "PMV401",
            Code::McpDescription => "PMV402",
            Code::McpVersion => "PMV403",
            Code::McpNoImage => "PMV404",
            Code::McpPort => "PMV405",
            Code::McpDuplicateName => "PMV406",
            Code::McpMetaSize => "PMV407",
            Code::McpUrlVariable => "PMV408",
            Code::TalksToLeftOut => "PMV501",
            Code::TalksToSelf => "PMV502",
            Code::PortOnInternalNetwork => "PMV503",
            Code::DependencyWithoutTalksTo => "PMV504",
            Code::IsolationPool => "PMV505",
            Code::NetworkBesideIsolation => "PMV506",
            Code::NetworkModeBesideIsolation => "PMV507",
            Code::TalksToNoSharedNetwork => "PMV508",
            Code::HardeningViolation => "PMV510",
            Code::HardeningWeakness => "PMV511",
            Code::UndeclaredVariable => "PMV600",
            Code::InputDeclaration => "PMV601",
            Code::RequiredFormOnInput => "PMV602",
            Code::UnusedInput => "PMV603",
            Code::EnvironmentSecretReadOnly => "PMV604",
            Code::ImportYaml => "PMV800",
            Code::ImportUnreadable => "PMV801",
            Code::ImportMerge => "PMV802",
            Code::ImportExtends => "PMV803",
            Code::ImportInclude => "PMV804",
            Code::ImportShape => "PMV805",
            Code::ImportHatch => "PMV806",
            Code::ImportNotExpressible => "PMV807",
            Code::ImportDecision => "PMV808",
            Code::NotFormatted => "PMV809",
            Code::DefectUndefinedService => "PMV820",
            Code::DefectUndeclaredNetwork => "PMV821",
            Code::DefectUndeclaredVolume => "PMV822",
            Code::DefectDuplicateEnv => "PMV823",
            Code::DefectDuplicatePort => "PMV824",
            Code::DefectUnpinnedImage => "PMV825",
            Code::DefectGpuCount => "PMV826",
            Code::DefectGpuProfile => "PMV827",
            Code::DefectLiteralCredential => "PMV828",
            Code::TmpfsNotWritable => "PMV900",
            Code::SecretUnderRunTmpfs => "PMV901",
        }
    }

    /// A short kebab-case name, printed beside the id.
    pub fn name(self) -> &'static str {
        match self {
            Code::KdlSyntax => "kdl-syntax",
            Code::NoStackFiles => "no-stack-files",
            Code::KdlTooDeep => "kdl-too-deep",
            Code::InvalidUtf8 => "invalid-utf8",
            Code::DisallowedCodePoint => "disallowed-code-point",
            Code::StackFileNotRegular => "stack-file-not-regular",
            Code::StackFileTooLarge => "stack-file-too-large",
            Code::OutputCollision => "output-collision",
            Code::TooDeep => "too-deep",
            Code::UnknownNode => "unknown-node",
            Code::UnknownProperty => "unknown-property",
            Code::WrongType => "wrong-type",
            Code::WrongArity => "wrong-arity",
            Code::InvalidValue => "invalid-value",
            Code::PortRange => "port-range",
            Code::BadDuration => "bad-duration",
            Code::BadSize => "bad-size",
            Code::BadName => "bad-name",
            Code::BadImage => "bad-image",
            Code::DuplicateDefinition => "duplicate-definition",
            Code::ProjectCount => "project-count",
            Code::DuplicateEnvKey => "duplicate-env-key",
            Code::MissingProperty => "missing-property",
            Code::BadUser => "bad-user",
            Code::BadInterpolation => "bad-interpolation",
            Code::BadPath => "bad-path",
            Code::BadAddress => "bad-address",
            Code::BadVariableName => "bad-variable-name",
            Code::BadOutputName => "bad-output-name",
            Code::BadCommandLine => "bad-command-line",
            Code::OutOfRange => "out-of-range",
            Code::BadKey => "bad-key",
            Code::AmbiguousVolumeName => "ambiguous-volume-name",
            Code::BadVariable => "bad-variable",
            Code::ContainerNameScaled => "container-name-scaled",
            Code::ContainerNameTaken => "container-name-taken",
            Code::UndefinedReference => "undefined-reference",
            Code::Cycle => "cycle",
            Code::CapNotAllowed => "cap-not-allowed",
            Code::CapWithoutReason => "cap-without-reason",
            Code::LooseningWithoutReason => "loosening-without-reason",
            Code::GpuCountOrDevices => "gpu-count-or-devices",
            Code::RequirementUnmet => "requirement-unmet",
            Code::MissingImage => "missing-image",
            Code::DependencyLeftOut => "dependency-left-out",
            Code::DuplicateHostPort => "duplicate-host-port",
            Code::UnpinnedImage => "unpinned-image",
            Code::ExceptionWithoutReason => "exception-without-reason",
            Code::NoHardeningClass => "no-hardening-class",
            Code::PinVarConflict => "pin-var-conflict",
            Code::McpName => "mcp-name",
            Code::McpDescription => "mcp-description",
            Code::McpVersion => "mcp-version",
            Code::McpNoImage => "mcp-no-image",
            Code::McpPort => "mcp-port",
            Code::McpDuplicateName => "mcp-duplicate-name",
            Code::McpMetaSize => "mcp-meta-size",
            Code::McpUrlVariable => "mcp-url-variable",
            Code::TalksToLeftOut => "talks-to-left-out",
            Code::TalksToSelf => "talks-to-self",
            Code::PortOnInternalNetwork => "port-on-internal-network",
            Code::DependencyWithoutTalksTo => "dependency-without-talks-to",
            Code::IsolationPool => "isolation-pool",
            Code::NetworkBesideIsolation => "network-beside-isolation",
            Code::NetworkModeBesideIsolation => "network-mode-beside-isolation",
            Code::TalksToNoSharedNetwork => "talks-to-no-shared-network",
            Code::HardeningViolation => "hardening-violation",
            Code::HardeningWeakness => "hardening-weakness",
            Code::UndeclaredVariable => "undeclared-variable",
            Code::InputDeclaration => "input-declaration",
            Code::RequiredFormOnInput => "required-form-on-input",
            Code::UnusedInput => "unused-input",
            Code::EnvironmentSecretReadOnly => "environment-secret-read-only",
            Code::ImportYaml => "import-yaml",
            Code::ImportUnreadable => "import-unreadable",
            Code::ImportMerge => "import-merge",
            Code::ImportExtends => "import-extends",
            Code::ImportInclude => "import-include",
            Code::ImportShape => "import-shape",
            Code::ImportHatch => "import-escape-hatch",
            Code::ImportNotExpressible => "import-not-expressible",
            Code::ImportDecision => "import-needs-decision",
            Code::NotFormatted => "not-formatted",
            Code::DefectUndefinedService => "undefined-service",
            Code::DefectUndeclaredNetwork => "undeclared-network",
            Code::DefectUndeclaredVolume => "undeclared-volume",
            Code::DefectDuplicateEnv => "compose-duplicate-env-key",
            Code::DefectDuplicatePort => "compose-duplicate-host-port",
            Code::DefectUnpinnedImage => "unpinned-image-tag",
            Code::DefectGpuCount => "gpu-without-count",
            Code::DefectGpuProfile => "gpu-outside-gpu-profile",
            Code::DefectLiteralCredential => "literal-credential",
            Code::TmpfsNotWritable => "tmpfs-not-writable",
            Code::SecretUnderRunTmpfs => "secret-under-run-tmpfs",
        }
    }

    /// One sentence for the docs table.
    pub fn description(self) -> &'static str {
        match self {
            Code::KdlSyntax => "The file is not valid KDL 2.0.",
            Code::NoStackFiles => "The stack directory holds no `.kdl` file.",
            Code::KdlTooDeep => {
                "Children blocks nested deeper than the parser's limit (64 levels)."
            }
            Code::InvalidUtf8 => "A stack file holds bytes that are not UTF-8.",
            Code::DisallowedCodePoint => {
                "A code point KDL forbids in a document (NUL, control characters, DEL, bidirectional controls, a BOM after the start)."
            }
            Code::StackFileNotRegular => {
                "A `.kdl` entry of the stack that is not a regular file inside the stack directory (a FIFO, a device, a link leading outside)."
            }
            Code::StackFileTooLarge => "A stack file over the size limit (16 MiB).",
            Code::OutputCollision => {
                "Two outputs of one build would be written to the same file name."
            }
            Code::TooDeep => "An inheritance chain or nesting deeper than pmovesc follows.",
            Code::UnknownNode => "A node name the language does not know in this place.",
            Code::UnknownProperty => "A property the node does not take.",
            Code::WrongType => "A value of the wrong type (string, integer, number, boolean).",
            Code::WrongArity => "Too few or too many arguments for a node.",
            Code::InvalidValue => "A value outside the allowed set.",
            Code::PortRange => "A port outside 1..65535.",
            Code::BadDuration => "Not a compose duration such as `500ms`, `10s` or `1m30s`.",
            Code::BadSize => "Not a compose byte size such as `512m`, `1g` or `200M`.",
            Code::BadName => "A name outside `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.",
            Code::BadImage => "An image reference outside the OCI distribution grammar.",
            Code::DuplicateDefinition => {
                "A name defined twice (or a node given twice where once is allowed)."
            }
            Code::ProjectCount => "A stack needs exactly one `project` node.",
            Code::DuplicateEnvKey => "The same environment key twice in one service body.",
            Code::MissingProperty => "A required property or child is missing.",
            Code::BadUser => {
                "A user that is not `user[:group]`, or a hardening class user that is not numeric and non-root (uid and gid both above 0)."
            }
            Code::BadInterpolation => {
                "A `$` compose would not read as intended: a malformed `${...}`, or a NUL."
            }
            Code::BadPath => {
                "A path compose would refuse or split: not absolute inside the container, a `:` in a mount, a control character, a probe path that needs quoting."
            }
            Code::BadAddress => "Not an IP address, subnet or host name.",
            Code::BadVariableName => "Not an environment variable name `[A-Za-z_][A-Za-z0-9_]*`.",
            Code::BadOutputName => {
                "An output file name that is a path, hidden by pmovesc's own names, or holds characters outside `[A-Za-z0-9._-]`."
            }
            Code::BadCommandLine => {
                "A one-string command line compose would refuse or cut short (an unquoted `;`, `&`, `|`, `<`, `>`, `(`, `)`, an open quote)."
            }
            Code::OutOfRange => {
                "A number outside what compose reads, or one that means \"no limit\" where a limit is asked for."
            }
            Code::BadKey => "An empty or malformed label or build-argument key.",
            Code::AmbiguousVolumeName => {
                "A one-letter named volume, which compose reads as a Windows drive."
            }
            Code::ContainerNameScaled => {
                "A service with a fixed `container-name` asks for more than one container."
            }
            Code::ContainerNameTaken => {
                "Two services of one profile have the same `container-name`."
            }
            Code::BadVariable => {
                "A value from a variable (`${VAR:-default}`) whose default fails the value's checks, or a number, size or duration from a variable without a default."
            }
            Code::UndefinedReference => {
                "A reference to a service, network, volume, secret, class, template or profile that is not defined."
            }
            Code::Cycle => "A cycle in `depends-on`, `from=` or `extends=`.",
            Code::CapNotAllowed => "`cap-add` of a capability the hardening class does not allow.",
            Code::CapWithoutReason => "`cap-add` without `reason=` in a class that drops ALL.",
            Code::LooseningWithoutReason => {
                "A service loosens a setting of its class without `reason=`."
            }
            Code::GpuCountOrDevices => "`gpu` needs exactly one of `count` and `device-ids`.",
            Code::RequirementUnmet => "A hardened profile finds a class `require` entry unmet.",
            Code::MissingImage => "A service without `image` in a profile with `source=\"image\"`.",
            Code::DependencyLeftOut => "A dependency on a service that the profile leaves out.",
            Code::DuplicateHostPort => {
                "The same host ip/port/protocol published twice in one profile."
            }
            Code::UnpinnedImage => {
                "An image without `@sha256:` digest (error or warning by the profile's `pins`)."
            }
            Code::ExceptionWithoutReason => {
                "`privileged`, `network-mode \"host\"`, `pid \"host\"`, `device`, `security-opt` or `hardening \"exempt\"` without `reason=`."
            }
            Code::NoHardeningClass => "A service with no hardening class in a hardened profile.",
            Code::PinVarConflict => "Two different images would be written to one pin variable.",
            Code::McpName => "An MCP server name that is not reverse-DNS with exactly one slash.",
            Code::McpDescription => {
                "An MCP server without a description, or one over 100 characters."
            }
            Code::McpVersion => "An MCP server without `version`.",
            Code::McpNoImage => "An `mcp` node on a service with no image.",
            Code::McpPort => "An MCP transport port the service does not expose.",
            Code::McpDuplicateName => "Two services claim one MCP server name.",
            Code::McpMetaSize => "MCP publisher metadata over the registry's 4 KB limit.",
            Code::McpUrlVariable => {
                "A `{name}` in an MCP transport path that is not an `env` of the `mcp` block."
            }
            Code::TalksToLeftOut => "A `talks-to` naming a service that the profile leaves out.",
            Code::TalksToSelf => "A service that names itself in `talks-to`.",
            Code::PortOnInternalNetwork => {
                "A published port on a service whose networks are all `internal=#true` (the engine does not publish it)."
            }
            Code::DependencyWithoutTalksTo => {
                "In an isolated profile, a `depends-on` between two services that do not talk to each other."
            }
            Code::IsolationPool => {
                "An `isolation-pool=` that is not an IPv4 block, or too small for the networks isolation needs."
            }
            Code::NetworkBesideIsolation => {
                "In an isolated profile, a network joined by hand that isolation replaces."
            }
            Code::NetworkModeBesideIsolation => {
                "In an isolated profile, a `talks-to` to or from a service with `network-mode`, which joins no network."
            }
            Code::TalksToNoSharedNetwork => {
                "Outside isolation, a `talks-to` between services that share no network."
            }
            Code::HardeningViolation => {
                "In a hardened profile, an audit finding `build` refuses without `reason=`: a privileged way into the host (runtime socket, sensitive host path, dangerous capability, host namespace chosen by the environment)."
            }
            Code::HardeningWeakness => {
                "In a hardened profile, an audit finding of a laxer class: root user, writable root, no limits, no no-new-privileges, a port on every host interface."
            }
            Code::UndeclaredVariable => {
                "`${VAR}` without a default for a variable that is no declared `input` (Compose would substitute an empty string)."
            }
            Code::InputDeclaration => {
                "An `input` declaration that cannot work: not a variable name, contradictory properties, a generator's options wrong or its `secret-input` unusable."
            }
            Code::RequiredFormOnInput => {
                "`${VAR:?message}` on a declared input: Compose would require it for every group, not only the groups that use it."
            }
            Code::UnusedInput => "An `input` that no string of the stack interpolates.",
            Code::EnvironmentSecretReadOnly => {
                "A secret with `environment=` on a service whose root filesystem is read-only: Compose copies such secrets into the container, which a read-only root refuses at `up`."
            }
            Code::TmpfsNotWritable => {
                "A tmpfs of a non-root service that is not owned by its user (outside /tmp)."
            }
            Code::SecretUnderRunTmpfs => {
                "An environment-sourced secret on a service with a tmpfs over /run or /run/secrets, which hides the copied secret."
            }
            Code::ImportYaml => {
                "A compose file that is not valid YAML, or not YAML as Compose reads it: a key given twice in one mapping, an unknown tag, an alias that expands past the limit."
            }
            Code::ImportUnreadable => {
                "A compose file (or a file it extends or includes) that cannot be read."
            }
            Code::ImportMerge => {
                "Two compose files set one key to values that cannot merge (a mapping, then a scalar)."
            }
            Code::ImportExtends => {
                "An `extends` that names a service or file that does not exist, or goes round in a circle."
            }
            Code::ImportInclude => {
                "An `include` that cannot be imported as written: a name it defines twice, or an `env_file` the stack does not carry."
            }
            Code::ImportShape => {
                "A compose key whose value has a shape Compose does not accept (a `ports` that is not a list, an unknown long-syntax field)."
            }
            Code::ImportHatch => {
                "A compose key with no typed form in the stack language, written through the `compose { ... }` escape hatch."
            }
            Code::ImportNotExpressible => {
                "A compose setting the stack language cannot write yet: kept as a comment in the stack, missing from the generated files."
            }
            Code::ImportDecision => {
                "Something import wrote that a person should review: a `reason=` it added to keep a setting, a value it chose for a defect."
            }
            Code::NotFormatted => {
                "A stack file that is not in canonical form (`pmovesc fmt --check`)."
            }
            Code::DefectUndefinedService => {
                "A service that an overlay or a `depends_on` names and no file defines."
            }
            Code::DefectUndeclaredNetwork => {
                "A network a service uses that no top-level `networks:` declares."
            }
            Code::DefectUndeclaredVolume => {
                "A named volume a service mounts that no top-level `volumes:` declares."
            }
            Code::DefectDuplicateEnv => {
                "A variable set twice in one `environment` list (Compose silently keeps the last)."
            }
            Code::DefectDuplicatePort => "A host port published by two services of one file set.",
            Code::DefectUnpinnedImage => {
                "An image without a tag or on `latest` (and none pinned by digest)."
            }
            Code::DefectGpuCount => {
                "A GPU reservation with neither `count` nor `device_ids` (Compose takes every GPU)."
            }
            Code::DefectGpuProfile => {
                "A GPU reservation on a service none of whose compose profiles is a GPU profile."
            }
            Code::DefectLiteralCredential => {
                "A credential written literally in `environment` instead of read from a variable or a secret."
            }
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.id(), self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A labelled span. The first label of a diagnostic is its primary one.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// The sink every pass writes into.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    errors: usize,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, d: Diagnostic) {
        if d.severity == Severity::Error {
            self.errors += 1;
        }
        self.items.push(d);
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.errors += other.errors;
        self.items.extend(other.items);
    }
    pub fn has_errors(&self) -> bool {
        self.errors > 0
    }
    pub fn error_count(&self) -> usize {
        self.errors
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Turns every warning into an error (`--strict`).
    pub fn make_strict(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
        self.errors = self.items.len();
    }

    /// Sorted by file, position and code, duplicates removed: the same input always reports the
    /// same list in the same order.
    pub fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            let ka = a.primary_span().map(|s| (s.file, s.start, s.len));
            let kb = b.primary_span().map(|s| (s.file, s.start, s.len));
            ka.cmp(&kb)
                .then(a.code.cmp(&b.code))
                .then(a.message.cmp(&b.message))
        });
        self.items.dedup();
        self.items
    }
}

pub use crate::render::{JsonDiagnostic, RenderOptions, render_human, render_json, to_json};

/// Names longer than this (in characters) get no did-you-mean: no typo makes a name that long,
/// and comparing it would cost its length squared.
const MAX_SUGGEST_NAME: usize = 64;
/// At most this many candidates are compared for one suggestion, so one diagnostic costs a
/// bounded amount however large the stack.
const MAX_SUGGEST_CANDIDATES: usize = 4096;

/// "did you mean" for names: the closest candidate within a similarity threshold. Candidates
/// whose length is far from the name's are not considered.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = name.chars().count();
    if len > MAX_SUGGEST_NAME {
        return None;
    }
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates.into_iter().take(MAX_SUGGEST_CANDIDATES) {
        let c_len = c.chars().count();
        if c_len > MAX_SUGGEST_NAME || c_len.abs_diff(len) > (len / 2).max(2) {
            continue;
        }
        let score = strsim::jaro_winkler(name, c);
        let close = score >= 0.8 || strsim::levenshtein(name, c) <= (name.len() / 3).max(1);
        if close && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// A help line with a did-you-mean, or the list of what exists (when it is short).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    if let Some(s) = did_you_mean(name, candidates.clone()) {
        return format!("did you mean `{s}`?");
    }
    let iter = candidates.into_iter();
    let total = iter.size_hint().1;
    // Only the first few are listed; the rest are not walked.
    let mut some: Vec<&str> = iter.take(13).collect();
    let many = some.len() > 12;
    some.sort_unstable();
    some.dedup();
    let shown = crate::lang::compose_values::shown(name);
    if some.is_empty() {
        "none is defined".to_string()
    } else if !many {
        format!(
            "expected one of: {}",
            some.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        match total {
            Some(n) if n > 12 => format!("{n} are defined; none is close to `{shown}`"),
            _ => format!("many are defined; none is close to `{shown}`"),
        }
    }
}
