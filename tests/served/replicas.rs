//! Gateways as real `cloudgw serve` processes over a GoGrid simulator process, on a SQLite file
//! or a fresh PostgreSQL database (`CLOUDGW_TEST_DATABASE_URL`, from `scripts/with-postgres`;
//! missing → the PostgreSQL cases fail): for the durability, replica, watch and webhook tests.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::BIN;
use super::child::{ChildProcess, listening_on, serving_on};

pub const KEY: &str = "durable-api-key";
pub const SECRET: &str = "durable-shared-secret";

/// The GoGrid simulator as its own process.
pub struct Sim {
    _process: ChildProcess,
    pub addr: String,
}

impl Sim {
    pub fn start() -> Sim {
        let mut command = Command::new(BIN);
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

    /// A power action at the simulator itself, signed as any GoGrid client signs it: a change
    /// made behind the gateway's back.
    pub async fn power(&self, server: &str, action: &str) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let sig = cloudgw::drivers::gogrid::signature(KEY, SECRET, now);
        let url = format!(
            "http://{}/api/grid/server/power?api_key={KEY}&sig={sig}&v=1.9&format=json&server={server}&power={action}",
            self.addr
        );
        let answer = reqwest::get(&url).await.map(|r| r.status());
        assert!(
            matches!(answer, Ok(s) if s.is_success()),
            "{url}: {answer:?}"
        );
    }

    pub async fn post(&self, path: &str) {
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
pub struct Setup {
    pub dir: tempfile::TempDir,
    pub db: String,
}

impl Setup {
    pub async fn new(sim: &Sim, backend: &str) -> Setup {
        Setup::with_provider(sim, backend, "").await
    }

    /// [`Setup::new`] with `extra` lines in the provider file (`watch_interval_secs = 1`, …).
    pub async fn with_provider(sim: &Sim, backend: &str, extra: &str) -> Setup {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let providers = dir.path().join("providers");
        std::fs::create_dir_all(&providers).unwrap_or_else(|e| panic!("{e}"));
        let file = format!(
            "driver = \"gogrid\"\nendpoint = \"http://{}/api\"\napi_key = \"{KEY}\"\nshared_secret = \"{SECRET}\"\n{extra}\n",
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
    pub fn gateway(&self) -> Gateway {
        self.gateway_with(&[])
    }

    /// A gateway on this setup's database, with more `serve` arguments.
    pub fn gateway_with(&self, extra: &[&str]) -> Gateway {
        self.gateway_with_env(extra, &[])
    }

    /// A gateway with more `serve` arguments and environment variables.
    pub fn gateway_with_env(&self, extra: &[&str], env: &[(&str, &str)]) -> Gateway {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--providers"])
            .arg(self.dir.path().join("providers"))
            .args(["--database-url", &self.db, "--lease-secs", "1"])
            .args(extra)
            .envs(env.iter().copied())
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

pub async fn fresh_postgres() -> String {
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

pub struct Gateway {
    pub process: Option<ChildProcess>,
    pub base: String,
    pub http: reqwest::Client,
}

impl Gateway {
    /// What the gateway has logged so far.
    pub fn log(&self) -> Vec<String> {
        self.process.as_ref().map(|p| p.log()).unwrap_or_default()
    }

    /// SIGKILL: no graceful shutdown, nothing flushed.
    pub fn kill(&mut self) {
        if let Some(p) = self.process.take() {
            p.stop();
        }
    }

    pub async fn create(&self, name: &str, key: &str) -> (u16, Value) {
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

    pub async fn get(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).send().await;
        let r = r.unwrap_or_else(|e| panic!("{path}: {e}"));
        r.json().await.unwrap_or(Value::Null)
    }

    pub async fn wait_status(&self, op: &str, status: &str) -> Value {
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
    pub async fn servers_named(&self, name: &str) -> usize {
        let list = self.get("/v1/providers/gg/servers?limit=1000").await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        items.iter().filter(|s| s["name"] == name).count()
    }

    /// The events of a whole stream (`timeout` seconds) after `last`: `(id, event)` pairs,
    /// read until it ends or `until` matches one.
    pub async fn events(
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
