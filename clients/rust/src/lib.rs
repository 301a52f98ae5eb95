//! A client for the cloudgw REST API, generated at build time by progenitor from the committed
//! OpenAPI 3.0 form of the document (`openapi/openapi-3.0.json`; progenitor reads only 3.0).
//! Regenerate by rebuilding: `cargo build --manifest-path clients/rust/Cargo.toml`.
#![deny(warnings)]

progenitor::generate_api!(
    spec = "../../openapi/openapi-3.0.json",
    interface = Builder,
    tags = Separate,
);
