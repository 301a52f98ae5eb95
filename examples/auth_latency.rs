//! Measures what authentication adds to a read: `GET /v1/providers` against two gateways in
//! one process, one without tokens and one with 5 tokens configured, interleaved, 2000 requests
//! each over one keep-alive connection; prints p50/p95 of each.
//!
//! `cargo run --release --example auth_latency`

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloudgw::api::auth::{Tokens, new_token, token_hash};
use cloudgw::api::{self, Security};
use cloudgw::config::gateway::{LimitsConfig, TokenConfig};
use cloudgw::ops::{FollowSettings, Operations};
use cloudgw::registry::Registry;
use cloudgw::service::{Role, Service, ServiceSettings};
use cloudgw::store::MemoryStore;

async fn gateway(security: Security) -> String {
    let registry = Arc::new(
        Registry::start(Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let ops = Operations::new(Arc::new(MemoryStore::new()), FollowSettings::default());
    let service = Service::new(registry, ops, ServiceSettings::default());
    let app = api::router_secured(service, api::DEFAULT_REQUEST_TIMEOUT, security);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/v1/providers")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p) as usize]
}

#[tokio::main]
async fn main() {
    let token = new_token();
    let configs: Vec<TokenConfig> = (0..5)
        .map(|i| TokenConfig {
            name: format!("t{i}"),
            role: Role::Viewer,
            providers: None,
            hash: token_hash(&if i == 4 { token.clone() } else { new_token() }),
        })
        .collect();
    let limits = LimitsConfig {
        requests_per_minute_per_token: 1_000_000,
        ..LimitsConfig::default()
    };
    let open = gateway(Security::default()).await;
    let secured = gateway(Security {
        tokens: Tokens::from_config(&configs).unwrap_or_else(|e| panic!("{e}")),
        cors_origins: Vec::new(),
        limits,
    })
    .await;
    let client = reqwest::Client::new();
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for i in 0..2200 {
        let started = Instant::now();
        let a = client.get(&open).send().await.map(|r| r.status().as_u16());
        let t_open = started.elapsed();
        let started = Instant::now();
        let b = client
            .get(&secured)
            .bearer_auth(&token)
            .send()
            .await
            .map(|r| r.status().as_u16());
        let t_secured = started.elapsed();
        assert_eq!((a.ok(), b.ok()), (Some(200), Some(200)));
        if i >= 200 {
            // The first 200 warm up connections and allocators.
            without.push(t_open);
            with.push(t_secured);
        }
    }
    without.sort();
    with.sort();
    for (name, samples) in [("without tokens", &without), ("with a token", &with)] {
        println!(
            "GET /v1/providers {name:>15}: p50 {:>7.1} µs  p95 {:>7.1} µs  ({} requests)",
            percentile(samples, 0.5).as_secs_f64() * 1e6,
            percentile(samples, 0.95).as_secs_f64() * 1e6,
            samples.len()
        );
    }
}
