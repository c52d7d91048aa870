//! The file system edge: [`stack`] reads a stack directory, [`outdir`] reads an output directory
//! through one descriptor (never through a link, bounded), [`transaction`] writes a build into
//! it all or nothing (lock, journal, recovery), [`manifest`] records what a build was made from,
//! [`check`] compares a build with what is on disk without writing, [`fs`] holds the regenerate
//! command, the Docker config and `pin`'s file replacement, [`secrets`] reads and replaces the
//! operator's secret files (mode 0600, locked, never through a symlink).

pub mod check;
pub mod fs;
pub mod manifest;
pub mod outdir;
pub mod secrets;
pub mod stack;
pub mod transaction;
