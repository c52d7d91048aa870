//! The compose target: [`lower`] builds one compose model per profile, [`emit`] writes it as YAML
//! together with the pin file, and [`lint`] writes the compose-lint file of reasoned exceptions.

pub mod emit;
pub mod lint;
pub mod lower;
