//! The compose target: [`lower`] builds one compose model per profile, [`emit`] writes it as YAML
//! together with the pin file, [`groups`] puts dependencies into the groups of the services
//! that need them, [`inputs`] applies declared inputs (scoped requiredness) and writes
//! `inputs.example.env`, and [`lint`] writes the compose-lint file of reasoned exceptions.

pub mod emit;
pub mod groups;
pub mod inputs;
pub mod lint;
pub mod lower;
