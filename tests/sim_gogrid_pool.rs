//! A bigger simulated GoGrid account: the public IP pool is configurable, so the gateway can
//! hold more than the recorded account's 24 servers.

mod common;

use std::process::Command;

use serde_json::json;

/// Creates servers until the pool of 40 public IPs per datacenter (120 in the account) is full:
/// each of the 120 is accepted and listed, the 121st is `409 invalid_state` naming the pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_pool_holds_more_than_a_hundred_servers() {
    let config = common::provider_config(
        "gogrid",
        "driver = \"gogrid\"\nsimulate = true\n\n[simulator]\npower_delay_secs = 0\npublic_ips_per_datacenter = 40\n",
    );
    let gw = common::Gateway::start(vec![config]).await;
    for n in 0..120 {
        let created = gw
            .post(
                "/v1/providers/gogrid/servers",
                &json!({"name": format!("pool-{n:03}"), "image_id": "9928", "size_id": "512MB"}),
            )
            .await;
        assert_eq!(created.status, 202, "server {n}: {created:?}");
    }
    let full = gw
        .post(
            "/v1/providers/gogrid/servers",
            &json!({"name": "pool-extra", "image_id": "9928", "size_id": "512MB"}),
        )
        .await;
    full.assert_problem(409, "invalid_state");
    assert!(
        full.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no free public IP")),
        "{full:?}"
    );
    let servers = gw.collect("/v1/providers/gogrid/servers", 50).await;
    assert_eq!(servers.len(), 120);
    let mut ips: Vec<String> = servers
        .iter()
        .filter_map(|s| s["public_ips"][0].as_str().map(str::to_owned))
        .collect();
    ips.sort_unstable();
    ips.dedup();
    assert_eq!(ips.len(), 120, "every server has its own public IP");
}

#[test]
fn simulate_gogrid_documents_and_bounds_the_pool_size() {
    let bin = env!("CARGO_BIN_EXE_cloudgw");
    let help = Command::new(bin)
        .args(["simulate", "gogrid", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("--public-ips-per-datacenter") && help.contains("public-ips"),
        "{help}"
    );
    let out = Command::new(bin)
        .args([
            "simulate",
            "gogrid",
            "--api-key",
            "k",
            "--shared-secret",
            "s",
        ])
        .args(["--public-ips", "251", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("251"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_pool_over_the_maximum_is_refused_naming_the_field() {
    let path = std::path::Path::new("providers/gogrid.toml");
    let text =
        "driver = \"gogrid\"\nsimulate = true\n\n[simulator]\npublic_ips_per_datacenter = 251\n";
    let errors = cloudgw::config::parse_provider(path, text, &|_| None)
        .err()
        .unwrap_or_else(|| panic!("accepted 251 public IPs per datacenter"));
    let message = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        message.contains("simulator.public_ips_per_datacenter") && message.contains("250"),
        "{message}"
    );
}
