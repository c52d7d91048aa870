//! The stack language, text to typed model: [`source`] (files and byte spans), [`syntax`] (KDL
//! text to document), [`vocabulary`] (every node, where it may appear and what it takes),
//! [`format`] (the canonical layout of `pmovesc fmt`), [`decode`] (document to the span-carrying
//! [`model`]) and [`values`] (the value grammars:
//! names, sizes, durations, ports, image references) and [`interpolation`] (the `${VAR}` forms
//! Compose reads), with [`compose_values`] (what compose reads: paths, hosts, addresses, command
//! lines, each checked for its context). Uses nothing of the crate but [`crate::diag`].

pub mod compose_values;
pub mod decode;
pub mod format;
pub mod interpolation;
pub mod model;
pub mod source;
pub mod syntax;
pub mod values;
pub mod vocabulary;
