//! cloudgw: one REST API for many clouds.
//!
//! A request enters the axum router in [`api`], which parses it and calls one verb of the
//! [`service`]; the service checks it against the provider's [`driver::Capabilities`] and the
//! gateway's rules and hands it to that provider's [`driver::Driver`] from the
//! [`registry::Registry`]. Changes are followed to their end as operations ([`ops`]) recorded in
//! a [`store`]. The [`sim`] module holds the wire-level simulators the default configuration and
//! the tests run against.
#![warn(missing_docs)]

pub mod api;
pub mod audit;
pub mod config;
pub mod driver;
pub mod drivers;
pub mod events;
pub mod faultproxy;
pub mod layers;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod occi;
pub mod ops;
pub mod registry;
pub mod server;
pub mod service;
pub mod sim;
pub mod store;
pub mod watch;
pub mod webhooks;
