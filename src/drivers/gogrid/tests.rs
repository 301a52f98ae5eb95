//! Tests of the GoGrid driver end to end against a small axum server serving fixture bodies
//! (`fake.rs`): servers (`servers.rs`), images, sizes, regions and volumes (`catalog.rs`), and
//! error mapping (`errors.rs`); every shared fixture parsing and mapping is in
//! `tests/fixtures.rs`, the paging arithmetic in `paging.rs`, the mapping rows in
//! `mapping/tests.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use super::client::{Envelope, parse_response, sign};
use super::mapping::{self, NativeImage, NativeIp, NativeOption, NativeServer};
use super::*;
use crate::config::Secret;
use crate::driver::DriverOp;
use crate::layers::{Labels, LayerSettings};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/gogrid");

fn fixture(path: &str) -> Vec<u8> {
    let full = format!("{FIXTURES}/{path}");
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn envelope<T: serde::de::DeserializeOwned>(path: &str) -> Envelope<T> {
    parse_response(200, None, &fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn error_of(path: &str, status: u16) -> DriverError {
    match parse_response::<Value>(status, None, &fixture(path)) {
        Ok(_) => panic!("{path} parsed as a success"),
        Err(e) => e,
    }
}

fn servers(path: &str) -> Vec<Server> {
    let env: Envelope<NativeServer> = envelope(path);
    env.list
        .into_iter()
        .map(|s| mapping::map_server(s, "gg"))
        .collect()
}

fn images(path: &str) -> Vec<Image> {
    let env: Envelope<NativeImage> = envelope(path);
    env.list
        .into_iter()
        .map(|i| mapping::map_image(i, "gg"))
        .collect()
}

mod catalog;
mod errors;
mod fake;
mod fixtures;
mod servers;

#[test]
fn api_versions_compare() {
    assert!(api_at_least("1.9", 1, 3));
    assert!(api_at_least("1.3", 1, 3));
    assert!(!api_at_least("1.2", 1, 3));
    assert!(api_at_least("2", 1, 3));
    assert!(api_at_least("x", 1, 3));
}
