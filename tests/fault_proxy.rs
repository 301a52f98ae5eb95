//! The fault proxy seen by a plain HTTP client: every fault kind against an upstream axum server
//! of the test, the rule conditions, runtime rule changes, and the `cloudgw fault-proxy` binary.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use cloudgw::faultproxy::{self, Rules, RunningProxy};

const ITEMS: &str = r#"{"items":[{"id":"1","name":"alpha"},{"id":"2","name":"beta"}]}"#;

/// An upstream that counts the requests reaching it.
struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    _server: tokio::task::JoinHandle<()>,
}

impl Upstream {
    async fn start() -> Upstream {
        let hits = Arc::new(AtomicU64::new(0));
        let counted = hits.clone();
        let app = Router::new()
            .route(
                "/items",
                get(|| async {
                    (
                        [
                            (header::CONTENT_TYPE, "application/json"),
                            (header::HeaderName::from_static("x-upstream"), "yes"),
                        ],
                        ITEMS,
                    )
                }),
            )
            .route(
                "/echo",
                post(|headers: HeaderMap, body: String| async move {
                    let seen = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    axum::Json(serde_json::json!({
                        "body": body,
                        "x_trace": seen("x-trace"),
                        "x_drop": seen("x-drop"),
                        "host": seen("host"),
                    }))
                    .into_response()
                }),
            )
            .layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    next.run(req)
                },
            ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Upstream {
            addr,
            hits,
            _server: server,
        }
    }

    fn url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}", self.addr)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hits(&self) -> u64 {
        self.hits.load(Ordering::SeqCst)
    }
}

fn rules(text: &str) -> Rules {
    Rules::parse("test rules", text).unwrap_or_else(|e| panic!("{e}"))
}

async fn proxy(upstream: &Upstream, text: &str) -> RunningProxy {
    let listen = SocketAddr::from(([127, 0, 0, 1], 0));
    faultproxy::start(upstream.url(), rules(text), listen)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn get_items(proxy: &RunningProxy) -> reqwest::Result<reqwest::Response> {
    client().get(format!("{}/items", proxy.url())).send().await
}

async fn status_of(proxy: &RunningProxy) -> u16 {
    match get_items(proxy).await {
        Ok(r) => r.status().as_u16(),
        Err(e) => panic!("request failed: {e}"),
    }
}

#[tokio::test]
async fn unmatched_requests_are_forwarded_with_body_and_end_to_end_headers() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\npath = \"/elsewhere\"\nfault = { kind = \"reset\" }\n",
    )
    .await;
    let response = client()
        .post(format!("{}/echo", proxy.url()))
        .header("x-trace", "t-1")
        .header("connection", "keep-alive, x-drop")
        .header("x-drop", "hop")
        .body("hello upstream")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    let echoed: serde_json::Value = response.json().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(echoed["body"], "hello upstream");
    assert_eq!(echoed["x_trace"], "t-1");
    assert_eq!(
        echoed["x_drop"], "",
        "a header named by Connection is hop-by-hop"
    );
    assert_eq!(echoed["host"], proxy.addr().to_string(), "Host is kept");

    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.headers()["x-upstream"], "yes");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(response.text().await.unwrap_or_default(), ITEMS);
    let stats = proxy.stats();
    assert_eq!((stats.seen, stats.forwarded, stats.faulted), (2, 2, 0));
    assert_eq!(up.hits(), 2);
}

#[tokio::test]
async fn latency_delays_the_answer_then_forwards() {
    let up = Upstream::start().await;
    let proxy = proxy(&up, "[[rule]]\nfault = { kind = \"latency\", ms = 300 }\n").await;
    let started = Instant::now();
    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.text().await.unwrap_or_default(), ITEMS);
    // A lower bound only: the proxy sleeps at least this long before forwarding.
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(up.hits(), 1);
    let stats = proxy.stats();
    assert_eq!((stats.forwarded, stats.faulted), (1, 1));
}

#[tokio::test]
async fn hang_never_answers_until_the_client_gives_up() {
    let up = Upstream::start().await;
    let proxy = proxy(&up, "[[rule]]\nfirst = 1\nfault = { kind = \"hang\" }\n").await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = impatient
        .get(format!("{}/items", proxy.url()))
        .send()
        .await
        .err()
        .unwrap_or_else(|| panic!("a hung request was answered"));
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(up.hits(), 0, "a hung request is not forwarded");
    // The proxy itself is not stuck: the next request (rule spent) is forwarded.
    assert_eq!(status_of(&proxy).await, 200);
    assert_eq!(proxy.stats().rule("rule-1").map(|r| r.fired), Some(1));
}

#[tokio::test]
async fn status_fault_answers_its_body_without_forwarding() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\nfault = { kind = \"status\", status = 503, body = '{\"busy\":true}', content_type = \"application/json\" }\n",
    )
    .await;
    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        response.text().await.unwrap_or_default(),
        r#"{"busy":true}"#
    );
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\nfault = { kind = \"rate_limit\", retry_after = 7 }\n",
    )
    .await;
    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS.as_u16());
    assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    assert_eq!(up.hits(), 0);
}

#[tokio::test]
async fn reset_closes_the_connection_without_an_answer() {
    let up = Upstream::start().await;
    let proxy = proxy(&up, "[[rule]]\nfirst = 1\nfault = { kind = \"reset\" }\n").await;
    let err = get_items(&proxy)
        .await
        .err()
        .unwrap_or_else(|| panic!("a reset request was answered"));
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert_eq!(up.hits(), 0);
    assert_eq!(status_of(&proxy).await, 200);
}

#[tokio::test]
async fn truncate_sends_fewer_bytes_than_its_content_length() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\nfault = { kind = \"truncate\", keep_bytes = 10 }\n",
    )
    .await;
    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[header::CONTENT_LENGTH],
        ITEMS.len().to_string().as_str()
    );
    let err = response
        .bytes()
        .await
        .err()
        .unwrap_or_else(|| panic!("the truncated body was read whole"));
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    assert_eq!(up.hits(), 1, "truncate forwards, then cuts the answer");
}

#[tokio::test]
async fn garbage_keeps_status_and_content_type_but_not_the_body() {
    let up = Upstream::start().await;
    let proxy = proxy(&up, "[[rule]]\nfault = { kind = \"garbage\" }\n").await;
    let response = get_items(&proxy).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    let body = response.bytes().await.unwrap_or_else(|e| panic!("{e}"));
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    assert!(
        std::str::from_utf8(&body).is_err(),
        "garbage is not even UTF-8"
    );
    assert_eq!(up.hits(), 1);
}

#[tokio::test]
async fn counts_select_requests_and_the_first_rule_that_fires_decides() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        r#"
[[rule]]
name = "first-two"
first = 2
fault = { kind = "status", status = 500 }

[[rule]]
name = "every-third"
every = 3
fault = { kind = "status", status = 502 }

[[rule]]
name = "other-path"
path = "/echo"
fault = { kind = "status", status = 504 }
"#,
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(status_of(&proxy).await);
    }
    // Requests 3..7 reach "every-third" as its 1st..5th match: its 3rd is request 5.
    assert_eq!(statuses, [500, 500, 200, 200, 502, 200, 200]);
    let stats = proxy.stats();
    assert_eq!(
        stats.rule("first-two").map(|r| (r.matched, r.fired)),
        Some((7, 2))
    );
    assert_eq!(
        stats.rule("every-third").map(|r| (r.matched, r.fired)),
        Some((5, 1))
    );
    assert_eq!(stats.rule("other-path").map(|r| r.matched), Some(0));
}

#[tokio::test]
async fn query_and_method_narrow_a_rule() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\nmethod = \"GET\"\npath = \"/it\"\nquery = \"page=2\"\nfault = { kind = \"status\", status = 503 }\n",
    )
    .await;
    let status = |q: &'static str| {
        let url = format!("{}/items{q}", proxy.url());
        async move {
            client()
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .ok()
        }
    };
    assert_eq!(status("?page=1").await, Some(200));
    assert_eq!(status("?limit=5&page=2").await, Some(503));
    assert_eq!(status("").await, Some(200));
}

#[tokio::test]
async fn probability_is_reproducible_with_the_files_seed() {
    let up = Upstream::start().await;
    let text =
        "seed = 1234\n[[rule]]\nprobability = 0.5\nfault = { kind = \"status\", status = 503 }\n";
    let mut runs = Vec::new();
    for _ in 0..2 {
        let proxy = proxy(&up, text).await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(status_of(&proxy).await);
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    let failed = runs[0].iter().filter(|s| **s == 503).count();
    assert!(
        (5..35).contains(&failed),
        "{failed} of 40 failed at p = 0.5"
    );
}

#[tokio::test]
async fn rules_replaced_at_runtime_make_a_backend_fail_then_recover() {
    let up = Upstream::start().await;
    let proxy = proxy(&up, "").await;
    assert_eq!(status_of(&proxy).await, 200);
    proxy.set_rules(rules(
        "[[rule]]\nfault = { kind = \"status\", status = 503 }\n",
    ));
    assert_eq!(status_of(&proxy).await, 503);
    assert_eq!(status_of(&proxy).await, 503);
    proxy.set_rules(Rules::none());
    assert_eq!(status_of(&proxy).await, 200);
    let stats = proxy.stats();
    assert_eq!((stats.seen, stats.forwarded, stats.faulted), (4, 2, 2));
    assert!(stats.rules.is_empty());
}

#[tokio::test]
async fn control_paths_serve_stats_and_replace_rules() {
    let up = Upstream::start().await;
    let proxy = proxy(
        &up,
        "[[rule]]\nname = \"busy\"\nfault = { kind = \"status\", status = 503 }\n",
    )
    .await;
    assert_eq!(status_of(&proxy).await, 503);
    let stats: faultproxy::Stats = client()
        .get(format!("{}/_faultproxy/stats", proxy.url()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.rule("busy").map(|r| r.fired), Some(1));
    assert_eq!(stats.seen, 1, "control requests are not counted");

    let put = |body: &'static str| {
        let url = format!("{}/_faultproxy/rules", proxy.url());
        async move {
            let r = client()
                .put(url)
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            (r.status().as_u16(), r.text().await.unwrap_or_default())
        }
    };
    let (status, text) = put("[[rule]]\nfault = { kind = \"nope\" }\n").await;
    assert_eq!(status, 400);
    assert!(text.contains("PUT /_faultproxy/rules:2"), "{text}");
    assert_eq!(status_of(&proxy).await, 503, "a bad body keeps the rules");
    assert_eq!(put("").await.0, 200);
    assert_eq!(status_of(&proxy).await, 200);
    assert_eq!(up.hits(), 1);
}

/// `cloudgw fault-proxy` as a child process; killed on drop.
struct ProxyProcess {
    child: Child,
    addr: String,
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BIN: &str = env!("CARGO_BIN_EXE_cloudgw");

/// Starts the binary on port 0 and reads the address it prints first (bounded wait).
fn start_binary(args: &[&str]) -> ProxyProcess {
    let mut child = Command::new(BIN)
        .arg("fault-proxy")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start cloudgw fault-proxy: {e}"));
    let stdout = child.stdout.take();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let Some(stdout) = stdout else { return };
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) => line,
        Err(e) => {
            let _ = child.kill();
            panic!("the fault proxy printed no address within 30 s: {e}");
        }
    };
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line is not `listening on ADDR`: {line:?}"))
        .to_owned();
    ProxyProcess { child, addr }
}

#[tokio::test]
async fn binary_prints_the_bound_port_and_applies_its_rules_file() {
    let up = Upstream::start().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("rules.toml");
    std::fs::write(
        &file,
        "[[rule]]\nfirst = 1\nfault = { kind = \"rate_limit\", retry_after = 3 }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let upstream = up.url().to_string();
    let running = start_binary(&[
        "--upstream",
        &upstream,
        "--rules",
        &file.display().to_string(),
    ]);
    let port: u16 = running
        .addr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    assert_ne!(port, 0, "{}", running.addr);
    let url = format!("http://{}/items", running.addr);
    let first = client()
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()[header::RETRY_AFTER], "3");
    let second = client()
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(second.text().await.unwrap_or_default(), ITEMS);
    assert_eq!(up.hits(), 1);
}

#[test]
fn binary_names_rules_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("rules.toml");
    std::fs::write(
        &file,
        "seed = 1\n\n[[rule]]\npath = \"/api\"\nfirts = 2\nfault = { kind = \"reset\" }\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(BIN)
        .args(["fault-proxy", "--upstream", "http://127.0.0.1:9", "--rules"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:5: field `rule[0].firts`", file.display())),
        "{err}"
    );
    assert!(err.contains("unknown field `firts`"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing is printed before it listens"
    );
}

#[test]
fn binary_refuses_https_upstreams_and_non_loopback_addresses() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("fault-proxy")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--upstream", "https://example.org/"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("must be an http:// URL"), "{err}");
    let (code, err) = run(&["--upstream", "http://127.0.0.1:9", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("only on loopback"), "{err}");
}

#[test]
fn binary_help_explains_rules_and_stdout_contract() {
    let out = Command::new(BIN)
        .args(["fault-proxy", "--help"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--upstream",
        "--rules",
        "listening on",
        "CLOUDGW_UPSTREAM",
        "/_faultproxy/stats",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}
