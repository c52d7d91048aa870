//! The output directory, at the edge: [`fs`] reads a stack and an output directory and writes a
//! build all or nothing, [`manifest`] records what a build was made from, [`check`] compares a
//! build with what is on disk without writing.

pub mod check;
pub mod fs;
pub mod manifest;
