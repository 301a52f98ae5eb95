//! The `cloudgw` command as an operator uses it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

mod served;

use served::{BIN, cloudgw as run, free_port};

#[test]
fn check_accepts_the_default_providers() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/providers");
    let (code, out, err) = run(&["check", "--providers", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("provider gogrid (driver gogrid) ok"), "{out}");
}

#[test]
fn check_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "driver = \"gogrid\"\nsimulate = true\nflavour = 3\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let (code, _, err) = run(&["check", "--providers", &dir.path().display().to_string()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bad.toml:3: field `flavour`: unknown field `flavour`"),
        "{err}"
    );
}

#[test]
fn serve_refuses_non_loopback_without_tokens() {
    let (code, _, err) = run(&["serve", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, 2);
    assert!(err.contains("only on loopback"), "{err}");
}

#[test]
fn openapi_prints_the_committed_document() {
    let (code, out, _) = run(&["openapi"]);
    assert_eq!(code, 0);
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    assert_eq!(out, committed);
}

#[test]
fn help_lists_commands_and_environment() {
    let (code, out, _) = run(&["serve", "--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("--listen") && out.contains("CLOUDGW_LISTEN"),
        "{out}"
    );
    assert!(
        out.contains("--providers") && out.contains("CLOUDGW_PROVIDERS"),
        "{out}"
    );
}

/// Serves a provider with secrets at debug logging, exercises it, and reads every log line.
#[test]
fn logs_never_show_provider_secrets() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("broken.toml"),
        "driver = \"gogrid\"\nendpoint = \"http://127.0.0.1:9/api\"\napi_key = \"${LEAK_KEY}\"\nshared_secret = \"${LEAK_SECRET}\"\ntimeout_secs = 1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            &listen,
            "--providers",
            &dir.path().display().to_string(),
        ])
        .env("RUST_LOG", "trace")
        .env("LEAK_KEY", "KEY-MUST-NOT-LEAK")
        .env("LEAK_SECRET", "SECRET-MUST-NOT-LEAK")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{listen}");
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for path in [
            "/v1/providers/broken/servers",
            "/v1/servers",
            "/v1/providers/broken/images",
        ] {
            let _ = client.get(format!("{base}{path}")).send().await;
        }
        let _ = client
            .post(format!("{base}/v1/providers/broken/servers"))
            .json(&serde_json::json!({"name": "a", "image_id": "1", "size_id": "512MB"}))
            .send()
            .await;
    });
    let _ = child.kill();
    let stderr = child.stderr.take();
    let lines: Vec<String> = stderr
        .map(|s| BufReader::new(s).lines().map_while(Result::ok).collect())
        .unwrap_or_default();
    let _ = child.wait();
    assert!(
        lines.iter().any(|l| l.contains("serving on")),
        "the gateway did not start: {lines:?}"
    );
    for line in &lines {
        assert!(
            !line.contains("MUST-NOT-LEAK"),
            "a log line shows a secret: {line}"
        );
    }
}
