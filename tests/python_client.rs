//! A Python client generated from the committed OpenAPI document with openapi-python-client
//! generates with zero warnings. The tool comes from `.venv` (made by `scripts/test`).

use std::path::PathBuf;
use std::process::Command;

fn venv_bin() -> PathBuf {
    let bin = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin"));
    assert!(
        bin.join("openapi-python-client").exists(),
        "openapi-python-client is not installed in .venv: run the test suite with scripts/test"
    );
    bin
}

#[test]
fn python_client_generates_without_warnings() {
    let bin = venv_bin();
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let target = out_dir.path().join("client");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(bin.join("openapi-python-client"))
        .args(["generate", "--overwrite", "--path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
        .arg("--output-path")
        .arg(&target)
        .env("PATH", path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run openapi-python-client: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "generation failed:\n{text}");
    assert!(
        !text.to_lowercase().contains("warning"),
        "generation warned:\n{text}"
    );
    assert!(
        !text.contains("Skipping"),
        "generation skipped something:\n{text}"
    );
    let api = target.join("cloudgw_client/api/servers/create_server.py");
    assert!(
        api.exists(),
        "no create_server in the generated client:\n{text}"
    );
}
