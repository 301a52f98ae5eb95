//! `cloudgw simulate occi` and the default OCCI provider as an operator uses them.

use std::process::Command;
use std::time::Duration;

mod served;

use served::child::{ChildProcess, listening_on};
use served::{BIN, Served, cloudgw as run};

/// A `cloudgw simulate occi` process, killed when dropped.
struct Simulator {
    _process: ChildProcess,
    base: String,
}

/// Starts the simulator on a port it picks (port 0) with `args` and settings from `env`; waits
/// at most 30 s for the address it prints.
async fn simulator(args: &[&str], env: &[(&str, &str)]) -> Simulator {
    let mut cmd = Command::new(BIN);
    cmd.args(["simulate", "occi", "--listen", "127.0.0.1:0"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (process, addr) = ChildProcess::start(
        "cloudgw simulate occi",
        &mut cmd,
        Duration::from_secs(30),
        listening_on,
    );
    Simulator {
        _process: process,
        base: format!("http://{addr}"),
    }
}

#[test]
fn check_accepts_the_default_occi_provider() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/providers");
    let (code, out, err) = run(&["check", "--providers", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("provider occi (driver occi) ok"), "{out}");
}

#[test]
fn simulate_occi_help_names_every_flag_and_its_environment_variable() {
    let (code, out, _) = run(&["simulate", "occi", "--help"]);
    assert_eq!(code, 0);
    for (flag, env) in [
        ("--listen", "CLOUDGW_SIM_LISTEN"),
        ("--profile", "CLOUDGW_SIM_PROFILE"),
        ("--username", "CLOUDGW_SIM_USERNAME"),
        ("--password", "CLOUDGW_SIM_PASSWORD"),
        ("--token", "CLOUDGW_SIM_TOKEN"),
        ("--provision-delay", "CLOUDGW_SIM_PROVISION_DELAY"),
        ("--power-delay", "CLOUDGW_SIM_POWER_DELAY"),
    ] {
        assert!(
            out.contains(flag) && out.contains(env),
            "{flag}/{env}: {out}"
        );
    }
    assert!(out.contains("rocci, ooi, pyssf"), "{out}");
}

#[test]
fn simulate_occi_refuses_bad_flags() {
    let (code, _, err) = run(&["simulate", "occi", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2);
    assert!(err.contains("only on loopback"), "{err}");
    let (code, _, err) = run(&["simulate", "occi", "--profile", "nova"]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values"), "{err}");
    let (code, _, err) = run(&["simulate", "occi", "--username", "u"]);
    assert_eq!(code, 2);
    assert!(err.contains("--password"), "{err}");
    let (code, _, err) = run(&["simulate", "occi", "--power-delay", "-1"]);
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn simulate_occi_serves_the_profile_with_basic_auth() {
    let sim = simulator(
        &["--profile", "pyssf", "--username", "alice"],
        &[("CLOUDGW_SIM_PASSWORD", "s3cret")],
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/-/", sim.base);
    let refused = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), 401);
    let challenge = refused.headers().get("www-authenticate");
    assert!(
        challenge
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic")),
        "{challenge:?}"
    );
    let served = client
        .get(&url)
        .basic_auth("alice", Some("s3cret"))
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.headers().get("server").and_then(|v| v.to_str().ok()),
        Some("pyssf OCCI/1.1")
    );
    let body = served.text().await.unwrap_or_default();
    assert!(body.contains("Category: compute;"), "{body}");
}

#[tokio::test]
async fn simulate_occi_reads_its_settings_from_the_environment() {
    let sim = simulator(
        &[],
        &[("CLOUDGW_SIM_PROFILE", "ooi"), ("CLOUDGW_SIM_TOKEN", "tok")],
    )
    .await;
    let client = reqwest::Client::new();
    let answer = client
        .get(format!("{}/compute/", sim.base))
        .header("x-auth-token", "tok")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        answer.status(),
        204,
        "ooi answers an empty collection with 204"
    );
    assert_eq!(
        answer.headers().get("server").and_then(|v| v.to_str().ok()),
        Some("ooi/1.2.0 OCCI/1.1 OCCI/1.2")
    );
}

/// The default providers serve an OCCI provider through the gateway with no credentials.
#[test]
fn serve_runs_the_default_occi_provider() {
    let served = Served::start(&[]);
    let base = served.base.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let sizes = runtime.block_on(async {
        let client = reqwest::Client::new();
        let answer = client
            .get(format!("{base}/v1/providers/occi/sizes"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let status = answer.status();
        let body: serde_json::Value = answer.json().await.unwrap_or_default();
        (status, body)
    });
    let log = served.stop();
    let (status, body) = sizes;
    assert_eq!(status, 200, "{body} {log:?}");
    let items = body["items"].as_array().cloned().unwrap_or_default();
    assert!(
        items
            .iter()
            .any(|s| s["cores"].as_f64() == Some(1.0) && s["memory_mib"] == 1741),
        "the rOCCI 'small' size (1 core, 1.7 GB) is missing: {body}"
    );
}
