//! Faults injected between a driver and its real backend (a simulator or moto) by the fault
//! proxy, and what the gateway answers: each fault kind must become the problem the API
//! documents (README "What the API promises", docs/api-design.md), and `/healthz` must answer
//! 200 while a faulted call is in flight. [`Driver::rig`] builds the same rig for every driver;
//! `tests/faults_{gogrid,occi,aws}.rs` run the mapping cases on it and `tests/faults_layers.rs`
//! the cases of [`layers`] (retry, breaker, coalescing) on all three.
#![allow(dead_code)]

pub mod layers;
#[path = "../common/moto.rs"]
pub mod moto;

use std::net::SocketAddr;
use std::time::Duration;

use cloudgw::faultproxy::{self, Rules, RunningProxy};
use cloudgw::sim::RunningSimulator;
use cloudgw::sim::occi::Profile;

use crate::common::{Answer, Gateway, provider_config};
use moto::{ACCESS_KEY, Moto, REGION, SECRET_KEY};

/// The per-request timeout the in-process simulators' providers are configured with
/// (`timeout_secs`), so a hang ends soon.
pub const TIMEOUT_SECS: u64 = 2;

/// The same for moto, which answers slower than the in-process simulators, and slower still on
/// a loaded machine.
pub const MOTO_TIMEOUT_SECS: u64 = 3;

/// Retry-After of the injected 429s: longer than the longest pause the gateway waits for
/// (2 s), so the gateway answers 429 at once instead of retrying.
pub const RETRY_AFTER_SECS: u64 = 30;

/// The words every [`Rig::refusal`] carries as the provider's message, so a test can tell that
/// the driver read the backend's own error format.
pub const REFUSAL_MESSAGE: &str = "injected refusal";

/// A driver and the backend the fault tests run it against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// The GoGrid simulator, in-process.
    GoGrid,
    /// The OCCI simulator, in-process, rOCCI profile.
    Occi,
    /// moto's EC2 server (`tests/common/moto.rs`).
    Aws,
}

/// What keeps the backend alive while its rig is used.
enum Backend {
    Simulator(RunningSimulator),
    Moto(Moto),
}

/// A gateway whose one provider reaches its backend through a fault proxy.
///
/// Fields drop in order: the gateway first, then the proxy, then the backend.
pub struct Rig {
    /// The gateway.
    pub gw: Gateway,
    /// The proxy in front of the backend.
    pub proxy: RunningProxy,
    /// The provider id.
    pub provider: &'static str,
    /// The TOML lines (method, path, body) that match the backend call of a server list.
    pub list_match: &'static str,
    /// A fault answering the list with a 400 in the backend's own error format, saying
    /// [`REFUSAL_MESSAGE`]: a permanent refusal, which must not be retried.
    pub refusal: &'static str,
    backend: Backend,
}

/// Starts a proxy without rules in front of `upstream` (`http://host:port`).
pub async fn proxy_for(upstream: &str) -> RunningProxy {
    let url = reqwest::Url::parse(upstream).unwrap_or_else(|e| panic!("{upstream}: {e}"));
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    faultproxy::start(url, Rules::none(), listen)
        .await
        .unwrap_or_else(|e| panic!("fault proxy: {e}"))
}

/// GoGrid's own error answer (a JSON list of error objects), as the real API sends for bad
/// input (`IllegalArgumentException`).
const GOGRID_REFUSAL: &str = r#"{ kind = "status", status = 400, content_type = "application/json", body = '{"list":[{"object":"error","errorcode":"IllegalArgumentException","message":"injected refusal"}],"method":"/grid/server/list","status":"failure","summary":{"total":1,"start":0,"numpages":0,"returned":1}}' }"#;

/// rOCCI answers errors as a status with a `text/plain` message.
const OCCI_REFUSAL: &str =
    r#"{ kind = "status", status = 400, content_type = "text/plain", body = "injected refusal" }"#;

/// EC2's Query API error document; `InvalidParameterValue` is permanent bad input in
/// `src/drivers/aws/error.rs`.
const EC2_REFUSAL: &str = r#"{ kind = "status", status = 400, content_type = "text/xml;charset=UTF-8", body = '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidParameterValue</Code><Message>injected refusal</Message></Error></Errors><RequestID>fault-proxy-refusal</RequestID></Response>' }"#;

impl Driver {
    /// The driver's backend behind a fault proxy, and a gateway whose one provider reaches it
    /// through the proxy with `timeout_secs` and then the provider file's `extra` lines (a
    /// `[layers]` table, …). The list is checked to work before the rig is handed out.
    pub async fn rig(self, timeout_secs: u64, extra: &str) -> Rig {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
        let backend = match self {
            Driver::GoGrid => {
                let options = cloudgw::sim::gogrid::SimOptions::new(GOGRID_KEY, GOGRID_SECRET);
                let sim = cloudgw::sim::gogrid::spawn(options, loopback).await;
                Backend::Simulator(sim.unwrap_or_else(|e| panic!("GoGrid simulator: {e}")))
            }
            Driver::Occi => {
                let options = cloudgw::sim::occi::SimOptions::new(Profile::Rocci);
                let sim = cloudgw::sim::occi::spawn(options, loopback).await;
                Backend::Simulator(sim.unwrap_or_else(|e| panic!("OCCI simulator: {e}")))
            }
            Driver::Aws => Backend::Moto(Moto::start().await),
        };
        let upstream = match &backend {
            Backend::Simulator(sim) => format!("http://{}", sim.addr()),
            Backend::Moto(moto) => moto.endpoint.clone(),
        };
        let proxy = proxy_for(&upstream).await;
        let file = format!(
            "{}timeout_secs = {timeout_secs}\n{extra}",
            self.provider_lines(&proxy.url())
        );
        let gw = Gateway::start(vec![provider_config(self.provider(), &file)]).await;
        let rig = Rig {
            gw,
            proxy,
            provider: self.provider(),
            list_match: self.list_match(),
            refusal: self.refusal(),
            backend,
        };
        rig.assert_list_ok().await;
        rig
    }

    /// The provider id (also its file's name).
    pub fn provider(self) -> &'static str {
        match self {
            Driver::GoGrid => "gogrid",
            Driver::Occi => "occi",
            Driver::Aws => "aws",
        }
    }

    /// The TOML lines that match the backend call of a server list. EC2's Query API sends every
    /// call as `POST /` with the action in the form body, so that rule matches the body.
    pub fn list_match(self) -> &'static str {
        match self {
            Driver::GoGrid => "path = \"/api/grid/server/list\"",
            Driver::Occi => "method = \"GET\"\npath = \"/compute/\"",
            Driver::Aws => "method = \"POST\"\nbody = \"Action=DescribeInstances\"",
        }
    }

    /// A 400 in the backend's own error format: see [`Rig::refusal`].
    fn refusal(self) -> &'static str {
        match self {
            Driver::GoGrid => GOGRID_REFUSAL,
            Driver::Occi => OCCI_REFUSAL,
            Driver::Aws => EC2_REFUSAL,
        }
    }

    /// The provider file's lines that point the driver at `proxy`, without a timeout.
    fn provider_lines(self, proxy: &str) -> String {
        match self {
            Driver::GoGrid => format!(
                "driver = \"gogrid\"\nendpoint = \"{proxy}/api\"\napi_key = \"{GOGRID_KEY}\"\nshared_secret = \"{GOGRID_SECRET}\"\n"
            ),
            Driver::Occi => format!("driver = \"occi\"\nendpoint = \"{proxy}\"\n"),
            Driver::Aws => format!(
                "driver = \"aws\"\nregion = \"{REGION}\"\nendpoint = \"{proxy}\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\n"
            ),
        }
    }
}

/// The credentials of the GoGrid simulator the rig starts.
const GOGRID_KEY: &str = "fault-key";
const GOGRID_SECRET: &str = "fault-secret";

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

    /// A truncated body (the connection closed before the announced `Content-Length`) is a
    /// broken transport, 503 like a reset; a garbage body is an answer the driver cannot read,
    /// 502. Every driver maps them the same way.
    pub async fn check_bad_bodies(&self) {
        let answer = self.list_with(r#"{ kind = "truncate" }"#).await;
        answer.assert_problem(503, "provider_unavailable");
        assert_eq!(answer.body["retryable"], true, "{answer:?}");
        self.assert_list_ok().await;
        let answer = self.list_with(r#"{ kind = "garbage" }"#).await;
        answer.assert_problem(502, "provider_unavailable");
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

/// The mapping cases as one test each on `Driver::$driver` with [`TIMEOUT_SECS`], for the
/// drivers whose backend starts in-process in milliseconds (`tests/faults_aws.rs` groups the
/// same checks into fewer tests, each starting moto once).
#[allow(unused_macros)] // not every test crate that includes this module uses it
macro_rules! mapping_cases {
    ($driver:ident) => {
        async fn mapping_rig() -> $crate::faults::Rig {
            let driver = $crate::faults::Driver::$driver;
            driver.rig($crate::faults::TIMEOUT_SECS, "").await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn error_statuses_and_resets_are_provider_unavailable() {
            mapping_rig().await.check_error_cases().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn rate_limit_is_429_with_retry_after() {
            mapping_rig().await.check_rate_limit().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_hanging_backend_is_provider_timeout() {
            mapping_rig().await.check_hang().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn truncated_and_garbage_bodies_are_bad_responses() {
            mapping_rig().await.check_bad_bodies().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn latency_only_slows_the_list() {
            mapping_rig().await.check_latency().await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn the_aggregated_list_names_the_failing_provider() {
            mapping_rig().await.check_aggregated().await;
        }
    };
}
#[allow(unused_imports)]
pub(crate) use mapping_cases;
