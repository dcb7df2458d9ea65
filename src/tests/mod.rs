//! Test-only code, compiled into `cargo test` of the library alone: the
//! golden-vector specs (every FORMAT.md case, rebuilt and compared with
//! `tests/vectors/v2.json`) and the backends compared side by side.

mod backend;
#[allow(clippy::arithmetic_side_effects)]
mod vectors;
