//! Durability and replicas, with the real `cloudgw serve` as child processes over a GoGrid
//! simulator (`cloudgw simulate gogrid`) and a SQLite file or a PostgreSQL database
//! (`CLOUDGW_TEST_DATABASE_URL`, from `scripts/with-postgres`; missing → the PostgreSQL cases
//! fail). A gateway is killed with SIGKILL, so nothing is flushed on the way out.

mod served;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use served::child::{ChildProcess, listening_on, serving_on};

const KEY: &str = "durable-api-key";
const SECRET: &str = "durable-shared-secret";

/// The GoGrid simulator as its own process.
struct Sim {
    _process: ChildProcess,
    addr: String,
}

impl Sim {
    fn start() -> Sim {
        let mut command = Command::new(served::BIN);
        command.args([
            "simulate",
            "gogrid",
            "--listen",
            "127.0.0.1:0",
            "--api-key",
            KEY,
            "--shared-secret",
            SECRET,
            "--power-delay",
            "0.2",
        ]);
        let (process, addr) = ChildProcess::start(
            "simulator",
            &mut command,
            Duration::from_secs(30),
            listening_on,
        );
        Sim {
            _process: process,
            addr,
        }
    }

    async fn post(&self, path: &str) {
        let url = format!("http://{}{path}", self.addr);
        let status = reqwest::Client::new()
            .post(&url)
            .send()
            .await
            .map(|r| r.status());
        assert!(
            matches!(status, Ok(s) if s.is_success()),
            "{url}: {status:?}"
        );
    }
}

/// A provider directory pointing at `sim`, and a database URL.
struct Setup {
    dir: tempfile::TempDir,
    db: String,
}

impl Setup {
    async fn new(sim: &Sim, backend: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let providers = dir.path().join("providers");
        std::fs::create_dir_all(&providers).unwrap_or_else(|e| panic!("{e}"));
        let file = format!(
            "driver = \"gogrid\"\nendpoint = \"http://{}/api\"\napi_key = \"{KEY}\"\nshared_secret = \"{SECRET}\"\n",
            sim.addr
        );
        std::fs::write(providers.join("gg.toml"), file).unwrap_or_else(|e| panic!("{e}"));
        let db = match backend {
            "sqlite" => format!("sqlite:{}", dir.path().join("gw.db").display()),
            _ => fresh_postgres().await,
        };
        Setup { dir, db }
    }

    /// A gateway on this setup's database.
    fn gateway(&self) -> Gateway {
        let mut command = Command::new(served::BIN);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--providers"])
            .arg(self.dir.path().join("providers"))
            .args(["--database-url", &self.db, "--lease-secs", "1"])
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1");
        let (process, base) = ChildProcess::start(
            "cloudgw serve",
            &mut command,
            Duration::from_secs(30),
            serving_on,
        );
        Gateway {
            process: Some(process),
            base,
            http: reqwest::Client::new(),
        }
    }
}

async fn fresh_postgres() -> String {
    let Ok(admin) = std::env::var("CLOUDGW_TEST_DATABASE_URL") else {
        panic!("CLOUDGW_TEST_DATABASE_URL is not set: run under scripts/with-postgres");
    };
    let name = format!("d_{}", uuid::Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("{admin}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("create database: {e}"));
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

struct Gateway {
    process: Option<ChildProcess>,
    base: String,
    http: reqwest::Client,
}

impl Gateway {
    /// SIGKILL: no graceful shutdown, nothing flushed.
    fn kill(&mut self) {
        if let Some(p) = self.process.take() {
            p.stop();
        }
    }

    async fn create(&self, name: &str, key: &str) -> (u16, Value) {
        let body = json!({"name": name, "image_id": "9928", "size_id": "512MB"});
        let r = self
            .http
            .post(format!("{}/v1/providers/gg/servers", self.base))
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("create: {e}"));
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).send().await;
        let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
        r.json().await.unwrap_or(Value::Null)
    }

    async fn wait_status(&self, op: &str, status: &str) -> Value {
        let start = Instant::now();
        loop {
            let got = self.get(&format!("/v1/operations/{op}")).await;
            if got["status"] == status || start.elapsed() > Duration::from_secs(60) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Servers named `name` at the simulator (listed through the gateway).
    async fn servers_named(&self, name: &str) -> usize {
        let list = self.get("/v1/providers/gg/servers?limit=1000").await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        items.iter().filter(|s| s["name"] == name).count()
    }

    /// The events of a whole stream (`timeout` seconds) after `last`: `(id, event)` pairs,
    /// read until it ends or `until` matches one.
    async fn events(
        &self,
        query: &str,
        last: Option<&str>,
        until: impl Fn(&Value) -> bool,
    ) -> Vec<(String, Value)> {
        let mut req = self.http.get(format!("{}/v1/events?{query}", self.base));
        if let Some(id) = last {
            req = req.header("last-event-id", id);
        }
        let mut r = req.send().await.unwrap_or_else(|e| panic!("events: {e}"));
        assert_eq!(r.status(), 200);
        let mut text = String::new();
        let mut got = Vec::new();
        let reading = async {
            while let Ok(Some(chunk)) = r.chunk().await {
                text.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = text.find("\n\n") {
                    let block: String = text.drain(..end + 2).collect();
                    let id = block
                        .lines()
                        .find_map(|l| l.strip_prefix("id: "))
                        .map(str::to_owned);
                    let data = block.lines().find_map(|l| l.strip_prefix("data: "));
                    if let (Some(id), Some(data)) = (id, data) {
                        let event: Value = serde_json::from_str(data).unwrap_or(Value::Null);
                        let done = until(&event);
                        got.push((id, event));
                        if done {
                            return;
                        }
                    }
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(60), reading).await;
        got
    }
}

async fn an_operation_in_flight_at_a_kill_finishes_after_the_restart(backend: &str) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    sim.post("/_sim/hold").await;
    let mut first = setup.gateway();
    let (status, created) = first.create("kept", "order-1").await;
    assert_eq!(status, 202, "{created}");
    let op = created["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    first.kill();
    sim.post("/_sim/release").await;
    let second = setup.gateway();
    let done = second.wait_status(&op, "succeeded").await;
    assert_eq!(
        done["status"], "succeeded",
        "the restarted gateway followed it on: {done}"
    );
    let (status, replay) = second.create("kept", "order-1").await;
    assert!(status == 200 || status == 202, "{status} {replay}");
    assert_eq!(
        replay["operation"]["id"],
        op.as_str(),
        "the key answers the same operation"
    );
    assert_eq!(
        second.servers_named("kept").await,
        1,
        "the simulator holds one server"
    );
    let listed = second.get("/v1/operations?provider=gg&resource=kept").await;
    assert_eq!(
        listed["items"][0]["id"],
        op.as_str(),
        "listed from the store: {listed}"
    );
}

async fn a_reconnect_with_last_event_id_across_a_restart_misses_nothing(backend: &str) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    let mut gw = setup.gateway();
    let (status, created) = gw.create("ev", "ev-1").await;
    assert_eq!(status, 202, "{created}");
    let op = created["operation"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // The first events, then the gateway dies.
    let unknown = "00000000-0";
    let head = gw
        .events("timeout=5", Some(unknown), |e| {
            e["type"] == "cloudgw.operation.status_changed"
        })
        .await;
    assert_eq!(head[0].1["type"], "cloudgw.events.missed");
    let stream = head[0]
        .0
        .split_once('-')
        .map(|(s, _)| s.to_owned())
        .unwrap_or_default();
    let head = head[1..].to_vec();
    assert!(!head.is_empty());
    gw.kill();
    let gw = setup.gateway();
    gw.wait_status(&op, "succeeded").await;
    let last = head.last().map(|(id, _)| id.clone()).unwrap_or_default();
    let tail = gw.events("timeout=0", Some(&last), |_| false).await;
    let all = gw
        .events("timeout=0", Some(&format!("{stream}-0")), |_| false)
        .await;
    let ids = |v: &[(String, Value)]| v.iter().map(|(i, _)| i.clone()).collect::<Vec<_>>();
    let mut joined = ids(&head);
    joined.extend(ids(&tail));
    assert_eq!(
        joined,
        ids(&all),
        "the two streams together are the whole log, once"
    );
    assert!(
        all.iter().any(|(_, e)| e["data"]["status"] == "succeeded"),
        "{all:?}"
    );
}

#[tokio::test]
async fn sqlite_an_operation_in_flight_at_a_kill_finishes_after_the_restart() {
    an_operation_in_flight_at_a_kill_finishes_after_the_restart("sqlite").await;
}

#[tokio::test]
async fn postgres_an_operation_in_flight_at_a_kill_finishes_after_the_restart() {
    an_operation_in_flight_at_a_kill_finishes_after_the_restart("postgres").await;
}

#[tokio::test]
async fn sqlite_a_reconnect_with_last_event_id_across_a_restart_misses_nothing() {
    a_reconnect_with_last_event_id_across_a_restart_misses_nothing("sqlite").await;
}

#[tokio::test]
async fn postgres_a_reconnect_with_last_event_id_across_a_restart_misses_nothing() {
    a_reconnect_with_last_event_id_across_a_restart_misses_nothing("postgres").await;
}

#[tokio::test]
async fn fifty_posts_with_one_key_over_two_replicas_create_one_server() {
    fifty_posts_with_one_key_create_one_server("postgres", 2).await;
}

#[tokio::test]
async fn sqlite_fifty_posts_with_one_key_on_one_gateway_create_one_server() {
    fifty_posts_with_one_key_create_one_server("sqlite", 1).await;
}

async fn fifty_posts_with_one_key_create_one_server(backend: &str, replicas: usize) {
    let sim = Sim::start();
    let setup = Setup::new(&sim, backend).await;
    let a = setup.gateway();
    let second = (replicas > 1).then(|| setup.gateway());
    let b = second.as_ref().unwrap_or(&a);
    let mut posts = Vec::new();
    for i in 0..50 {
        let gw = if i % 2 == 0 { &a } else { b };
        posts.push(gw.create("once", "one-key"));
    }
    let answers = futures::future::join_all(posts).await;
    let mut ops: Vec<String> = Vec::new();
    for (status, body) in &answers {
        assert!([200, 202, 409].contains(status), "{status} {body}");
        if let Some(id) = body["operation"]["id"].as_str() {
            ops.push(id.to_owned());
        }
    }
    ops.sort();
    ops.dedup();
    assert_eq!(
        ops.len(),
        1,
        "every answer names the one operation: {ops:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        a.servers_named("once").await,
        1,
        "exactly one server at the simulator"
    );
}

#[tokio::test]
async fn an_sse_client_of_one_replica_receives_the_events_of_another() {
    let sim = Sim::start();
    let setup = Setup::new(&sim, "postgres").await;
    let (a, b) = (setup.gateway(), setup.gateway());
    let listening = tokio::spawn({
        let base = b.base.clone();
        async move {
            let b = Gateway {
                process: None,
                base,
                http: reqwest::Client::new(),
            };
            b.events("timeout=60", None, |e| e["data"]["status"] == "succeeded")
                .await
        }
    });
    // The stream's headers come once B subscribed; a short pause stands in for that.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, created) = a.create("fan", "fan-1").await;
    assert_eq!(status, 202, "{created}");
    let got = listening.await.unwrap_or_default();
    let op = created["operation"]["id"].as_str().unwrap_or_default();
    assert!(
        got.iter()
            .any(|(_, e)| e["subject"] == format!("operations/{op}")
                && e["data"]["status"] == "succeeded"),
        "B's client saw A's operation end: {got:?}"
    );
    assert!(
        got.iter()
            .any(|(_, e)| e["type"] == "cloudgw.server.state_changed"),
        "{got:?}"
    );
}
