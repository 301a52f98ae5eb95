//! Webhooks through the real `cloudgw serve` (`--config` with a `[[webhooks]]` block) over a
//! GoGrid simulator process, on SQLite and on PostgreSQL: deliveries that are still pending
//! when the gateway is killed (SIGKILL) are made by the gateway started after it, verified by
//! the Python `standardwebhooks` and `cloudevents` packages, each event accepted once.

mod served;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use served::child::{ChildProcess, listening_on};
use served::replicas::{Setup, Sim};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The receiver on `port` (0: any), failing the first `fail` tries of each message.
fn receiver(fail: u32, port: u16) -> (ChildProcess, String) {
    let project = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = project.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/python-env",
        python.display()
    );
    let mut command = Command::new(python);
    command
        .arg(project.join("tests/python/webhook_receiver.py"))
        .args([SECRET, &fail.to_string(), &port.to_string()])
        .stdin(Stdio::piped());
    ChildProcess::start(
        "webhook receiver",
        &mut command,
        Duration::from_secs(30),
        listening_on,
    )
}

fn accepted(child: &ChildProcess) -> Vec<Value> {
    child
        .log()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

async fn pending_deliveries_are_made_after_a_restart(backend: &str) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    let (down, addr) = receiver(1_000_000, 0);
    let port: u16 = addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_default();
    let config = setup.dir.path().join("cloudgw.toml");
    let text = format!(
        "[[webhooks]]\nname = \"ops\"\nurl = \"http://{addr}/hooks\"\nsecret = \"${{HOOK_SECRET}}\"\n\
         types = [\"cloudgw.operation.status_changed\"]\nfirst_retry_ms = 200\nmax_retry_secs = 1\n\
         timeout_secs = 2\nmax_attempts = 1000\n"
    );
    std::fs::write(&config, text).unwrap_or_else(|e| panic!("{e}"));
    let config = config.display().to_string();
    let args = ["--config", config.as_str()];
    // The secret comes from the child's environment, as `${HOOK_SECRET}` in the file says.
    let mut first = setup.gateway_with_env(&args, &[("HOOK_SECRET", SECRET)]);
    let (status, created) = first.create("hooked", "hooked-1").await;
    assert_eq!(status, 202, "{created}");
    let op = created["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        first.wait_status(&op, "succeeded").await["status"],
        "succeeded"
    );
    // Tried and refused while the receiver is down: still pending.
    let start = Instant::now();
    let pending = loop {
        let listed = first.get("/v1/webhooks/deliveries?status=pending").await;
        let items = listed["items"].as_array().cloned().unwrap_or_default();
        if items.iter().any(|d| d["attempts"].as_u64() >= Some(2))
            || start.elapsed() > Duration::from_secs(30)
        {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        pending.len() >= 2,
        "accepted and succeeded are queued: {pending:?}"
    );
    assert!(
        pending.iter().all(|d| d["last_status"] == 500),
        "{pending:?}"
    );
    first.kill();
    drop(down);

    // The receiver is back (same address), and so is the gateway.
    let (up, _) = receiver(0, port);
    let second = setup.gateway_with_env(&args, &[("HOOK_SECRET", SECRET)]);
    let start = Instant::now();
    let delivered = loop {
        let listed = second.get("/v1/webhooks/deliveries?status=delivered").await;
        let items = listed["items"].as_array().cloned().unwrap_or_default();
        if items.len() >= pending.len() || start.elapsed() > Duration::from_secs(60) {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        delivered.len(),
        pending.len(),
        "every pending delivery was made: {delivered:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let records = accepted(&up);
    assert!(
        records
            .iter()
            .all(|r| r.get("refused").is_none() && r.get("duplicate").is_none()),
        "{records:?}"
    );
    let got: Vec<&Value> = records.iter().filter_map(|r| r.get("accepted")).collect();
    assert_eq!(got.len(), pending.len(), "each once: {records:?}");
    assert!(
        got.iter()
            .any(|a| a["subject"] == format!("operations/{op}")
                && a["data"]["status"] == "succeeded"),
        "the operation's end reached the receiver: {got:?}"
    );
    assert!(
        got.iter()
            .all(|a| a["type"] == "cloudgw.operation.status_changed")
    );
}

#[tokio::test]
async fn sqlite_pending_deliveries_are_made_after_a_restart() {
    pending_deliveries_are_made_after_a_restart("sqlite").await;
}

#[tokio::test]
async fn postgres_pending_deliveries_are_made_after_a_restart() {
    pending_deliveries_are_made_after_a_restart("postgres").await;
}
