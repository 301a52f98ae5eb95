//! Faults injected between a driver and its real backend (a simulator or moto) by the fault
//! proxy, and what the gateway answers: each fault kind must become the problem the API
//! documents (README "What the API promises", docs/api-design.md), and `/healthz` must answer
//! 200 while a faulted call is in flight. The `tests/faults_*.rs` files run these cases against
//! each driver.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use cloudgw::faultproxy::{self, Rules, RunningProxy};
use cloudgw::sim::gogrid::{RunningSimulator, SimOptions};

use crate::common::{Answer, Gateway};

/// The per-request timeout the test providers are configured with (`timeout_secs`), so a hang
/// ends soon.
pub const TIMEOUT_SECS: u64 = 2;

/// Retry-After of the injected 429s: longer than the longest pause the gateway waits for
/// (2 s), so the gateway answers 429 at once instead of retrying.
pub const RETRY_AFTER_SECS: u64 = 30;

/// A gateway whose one provider reaches its backend through a fault proxy.
pub struct Rig {
    /// The gateway.
    pub gw: Gateway,
    /// The proxy in front of the backend.
    pub proxy: RunningProxy,
    /// The provider id.
    pub provider: &'static str,
    /// The TOML lines (method, path, body) that match the backend call of a server list.
    pub list_match: &'static str,
}

/// Starts a proxy without rules in front of `upstream` (`http://host:port`).
pub async fn proxy_for(upstream: &str) -> RunningProxy {
    let url = reqwest::Url::parse(upstream).unwrap_or_else(|e| panic!("{upstream}: {e}"));
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    faultproxy::start(url, Rules::none(), listen)
        .await
        .unwrap_or_else(|e| panic!("fault proxy: {e}"))
}

/// The backend call of a GoGrid server list.
pub const GOGRID_LIST: &str = "path = \"/api/grid/server/list\"";

/// A GoGrid simulator behind a fault proxy, and a gateway whose provider `gogrid` reaches it
/// through the proxy with `timeout_secs` and the provider file's `extra` lines (a `[layers]`
/// table, …). The list is checked to work before the rig is handed out.
pub async fn gogrid_rig(timeout_secs: u64, extra: &str) -> (Rig, RunningSimulator) {
    let (key, secret) = ("fault-key", "fault-secret");
    let sim = cloudgw::sim::gogrid::spawn(
        SimOptions::new(key, secret),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap_or_else(|e| panic!("simulator: {e}"));
    let proxy = proxy_for(&format!("http://{}", sim.addr())).await;
    let config = crate::common::provider_config(
        "gogrid",
        &format!(
            "driver = \"gogrid\"\nendpoint = \"{}/api\"\napi_key = \"{key}\"\nshared_secret = \"{secret}\"\ntimeout_secs = {timeout_secs}\n{extra}",
            proxy.url()
        ),
    );
    let gw = Gateway::start(vec![config]).await;
    let rig = Rig {
        gw,
        proxy,
        provider: "gogrid",
        list_match: GOGRID_LIST,
    };
    rig.assert_list_ok().await;
    (rig, sim)
}

/// Rules with one rule: the list's match lines, then `fault`.
pub fn list_rules(list_match: &str, fault: &str) -> Rules {
    let text = format!("[[rule]]\nname = \"list\"\n{list_match}\nfault = {fault}\n");
    Rules::parse("fault test", &text).unwrap_or_else(|e| panic!("{e}"))
}

/// One case: a fault and the problem it must become.
pub struct Case {
    /// The fault as a TOML inline table.
    pub fault: &'static str,
    /// Expected HTTP status of the gateway's answer.
    pub status: u16,
    /// Expected problem code.
    pub code: &'static str,
}

/// The faults every driver must map the same way.
pub const CASES: &[Case] = &[
    Case {
        fault: r#"{ kind = "status", status = 500, body = "Internal Server Error" }"#,
        status: 503,
        code: "provider_unavailable",
    },
    Case {
        fault: r#"{ kind = "status", status = 502, body = "Bad Gateway" }"#,
        status: 503,
        code: "provider_unavailable",
    },
    Case {
        fault: r#"{ kind = "status", status = 503, body = "Service Unavailable" }"#,
        status: 503,
        code: "provider_unavailable",
    },
    Case {
        fault: r#"{ kind = "reset" }"#,
        status: 503,
        code: "provider_unavailable",
    },
];

impl Rig {
    /// The path of the provider's server list.
    pub fn list_path(&self) -> String {
        format!("/v1/providers/{}/servers", self.provider)
    }

    /// Lists servers with `fault` on every backend list call, checking `/healthz` while the
    /// list is in flight; the rules are cleared again before returning.
    pub async fn list_with(&self, fault: &str) -> Answer {
        self.proxy.set_rules(list_rules(self.list_match, fault));
        let path = self.list_path();
        let before = self.proxy.stats().faulted;
        let (answer, health) = tokio::join!(self.gw.get(&path), self.health_while_faulted(before));
        let fired = self.proxy.stats().rule("list").map_or(0, |r| r.fired);
        self.proxy.set_rules(Rules::none());
        assert_eq!(health, 200, "/healthz while {fault} is injected");
        assert!(fired >= 1, "the fault {fault} never fired: {answer:?}");
        answer
    }

    /// Waits (bounded) until the proxy has fired a fault after the first `before`, then asks
    /// `/healthz`.
    async fn health_while_faulted(&self, before: u64) -> u16 {
        for _ in 0..400 {
            if self.proxy.stats().faulted > before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        client
            .get(self.gw.url("/healthz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }

    /// A list that must succeed (the backend is reached without faults).
    pub async fn assert_list_ok(&self) {
        let answer = self.gw.get(&self.list_path()).await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert!(answer.body["items"].is_array(), "{answer:?}");
    }

    /// Every case of [`CASES`], then a clean list.
    pub async fn check_error_cases(&self) {
        for case in CASES {
            let answer = self.list_with(case.fault).await;
            answer.assert_problem(case.status, case.code);
            assert_eq!(answer.body["provider"], self.provider, "{answer:?}");
            assert_eq!(answer.body["retryable"], true, "{}: {answer:?}", case.fault);
            self.assert_list_ok().await;
        }
    }

    /// 429 with Retry-After at the backend: 429 `rate_limited` with a Retry-After.
    pub async fn check_rate_limit(&self) {
        let fault = format!("{{ kind = \"rate_limit\", retry_after = {RETRY_AFTER_SECS} }}");
        let answer = self.list_with(&fault).await;
        answer.assert_problem(429, "rate_limited");
        let after: u64 = answer
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Retry-After: {answer:?}"));
        assert!(after >= 1, "{answer:?}");
        assert_eq!(answer.body["retryable"], true, "{answer:?}");
        self.assert_list_ok().await;
    }

    /// A backend that never answers: 504 `provider_timeout`.
    pub async fn check_hang(&self) {
        let answer = self.list_with(r#"{ kind = "hang", max_secs = 120 }"#).await;
        answer.assert_problem(504, "provider_timeout");
        assert_eq!(answer.body["retryable"], true, "{answer:?}");
        self.assert_list_ok().await;
    }

    /// Truncated and garbage bodies: the provider answered something unusable.
    pub async fn check_bad_bodies(&self, truncated: (u16, &str), garbage: (u16, &str)) {
        let answer = self.list_with(r#"{ kind = "truncate" }"#).await;
        answer.assert_problem(truncated.0, truncated.1);
        self.assert_list_ok().await;
        let answer = self.list_with(r#"{ kind = "garbage" }"#).await;
        answer.assert_problem(garbage.0, garbage.1);
        self.assert_list_ok().await;
    }

    /// Latency alone only slows the list down.
    pub async fn check_latency(&self) {
        let answer = self.list_with(r#"{ kind = "latency", ms = 200 }"#).await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }

    /// The aggregated list answers 200 and names the failing provider under `errors`.
    pub async fn check_aggregated(&self) {
        self.proxy.set_rules(list_rules(
            self.list_match,
            r#"{ kind = "status", status = 503 }"#,
        ));
        let answer = self.gw.get("/v1/servers").await;
        self.proxy.set_rules(Rules::none());
        assert_eq!(answer.status, 200, "{answer:?}");
        let errors = answer.body["errors"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(errors.len(), 1, "{answer:?}");
        assert_eq!(errors[0]["provider"], self.provider, "{answer:?}");
        assert_eq!(
            errors[0]["problem"]["code"], "provider_unavailable",
            "{answer:?}"
        );
    }
}
