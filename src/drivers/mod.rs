//! The backends: one folder per cloud, each with the same files (`mod.rs` the `Driver` impl,
//! `config.rs`, `client.rs` wire calls, `mapping.rs` native ↔ unified, `error.rs`, `docs.md`).

pub mod aws;
pub mod gogrid;
pub mod occi;
