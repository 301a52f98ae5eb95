//! The `cloudgw` command as an operator uses it.

mod served;

use served::{Served, cloudgw as run};

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

/// Serves a provider with secrets at trace logging, exercises it, and reads every log line.
#[test]
fn logs_never_show_provider_secrets() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("broken.toml"),
        "driver = \"gogrid\"\nendpoint = \"http://127.0.0.1:9/api\"\napi_key = \"${LEAK_KEY}\"\nshared_secret = \"${LEAK_SECRET}\"\ntimeout_secs = 1\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let served = Served::start_with(
        dir.path(),
        &[],
        &[
            ("RUST_LOG", "trace"),
            ("LEAK_KEY", "KEY-MUST-NOT-LEAK"),
            ("LEAK_SECRET", "SECRET-MUST-NOT-LEAK"),
        ],
    );
    let base = served.base.clone();
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let answers = runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut answers = Vec::new();
        for path in [
            "/v1/providers/broken/servers",
            "/v1/servers",
            "/v1/providers/broken/images",
        ] {
            let answer = client.get(format!("{base}{path}")).send().await;
            answers.push((path, answer.map(|a| a.status().as_u16())));
        }
        let created = client
            .post(format!("{base}/v1/providers/broken/servers"))
            .json(&serde_json::json!({"name": "a", "image_id": "1", "size_id": "512MB"}))
            .send()
            .await;
        answers.push(("create", created.map(|a| a.status().as_u16())));
        answers
    });
    let lines = served.stop();
    // Every request reached the gateway and was answered: the provider is down (nothing listens
    // on port 9), so reads and the create fail at the provider; the aggregated list still
    // answers 200 with the provider under `errors`.
    for (what, status) in &answers {
        let status = status
            .as_ref()
            .unwrap_or_else(|e| panic!("{what}: no answer: {e}; log: {lines:?}"));
        let expected = if *what == "/v1/servers" { 200 } else { 503 };
        assert!(
            *status == expected || (*status == 502 && expected == 503),
            "{what}: {status}; log: {lines:?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("broken")),
        "the requests to the broken provider were not logged: {lines:?}"
    );
    for line in &lines {
        assert!(
            !line.contains("MUST-NOT-LEAK"),
            "a log line shows a secret: {line}"
        );
    }
}

#[test]
fn token_new_prints_a_token_once_and_the_block_that_configures_it() {
    let (code, out, err) = run(&[
        "token",
        "new",
        "--name",
        "ci",
        "--role",
        "viewer",
        "--providers",
        "gogrid",
    ]);
    assert_eq!(code, 0, "{err}");
    let token = out
        .lines()
        .find(|l| l.starts_with("cgw_"))
        .unwrap_or_else(|| panic!("no token in {out}"))
        .to_owned();
    let block = out.split("serve --config FILE):\n").nth(1).unwrap_or("");
    assert!(
        !block.contains(&token),
        "the config block holds the token: {out}"
    );
    assert!(block.contains("hash = \"sha256:"), "{out}");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("gateway.toml");
    std::fs::write(&config, block).unwrap_or_else(|e| panic!("{e}"));
    let served = Served::start(&["--config", &config.display().to_string()]);
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let (without, with) = runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = format!("{}/v1/providers", served.base);
        let without = client.get(&url).send().await.map(|r| r.status().as_u16());
        let with = client
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .map(|r| r.status().as_u16());
        (without.ok(), with.ok())
    });
    assert_eq!((without, with), (Some(401), Some(200)));
    let logs = served.stop();
    assert!(
        !logs.iter().any(|l| l.contains(&token)),
        "the token was logged"
    );
}

#[test]
fn serve_without_tokens_says_it_is_unauthenticated() {
    let served = Served::start(&[]);
    let logs = served.stop();
    assert!(
        logs.iter().any(|l| l.contains("unauthenticated")),
        "{logs:?}"
    );
}
