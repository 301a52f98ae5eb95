//! cloudgw: one REST API for many clouds.
//!
//! A request enters the axum router in [`api`], is checked against the provider's
//! [`driver::Capabilities`] and handed to that provider's [`driver::Driver`] through the
//! [`registry::Registry`]. Changes are followed to their end as operations ([`ops`]) recorded in
//! a [`store`]. The [`sim`] module holds the wire-level simulators the default configuration and
//! the tests run against.
#![warn(missing_docs)]

pub mod api;
pub mod config;
pub mod driver;
pub mod drivers;
pub mod events;
pub mod faultproxy;
pub mod metrics;
pub mod model;
pub mod occi;
pub mod ops;
pub mod registry;
pub mod sim;
pub mod store;
