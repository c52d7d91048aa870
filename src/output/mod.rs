//! The file system edge: [`stack`] reads a stack directory, [`fs`] reads an output directory and
//! writes a build all or nothing, [`manifest`] records what a build was made from, [`check`]
//! compares a build with what is on disk without writing, [`secrets`] reads and replaces the
//! operator's secret files (mode 0600, locked, never through a symlink).

pub mod check;
pub mod fs;
pub mod manifest;
pub mod secrets;
pub mod stack;
