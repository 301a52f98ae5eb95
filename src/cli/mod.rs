//! The subcommands and `serve` options that do not fit in `main.rs`.

pub mod secure;
pub mod token;
