//! Clients generated from the committed OpenAPI document by three real generators build
//! without warnings and drive one scenario, with an API token, against a running default
//! gateway that has one configured: list providers,
//! create a server, follow its operation until it runs, stop, start, delete, and read a bad
//! request's problem as the client's typed error.
//!
//! - Python: openapi-python-client (from `.venv`), scenario `examples/python/scenario.py`.
//! - TypeScript: openapi-typescript + openapi-fetch (`examples/typescript`, `npm ci`), type-checked
//!   strictly by tsc, scenario `examples/typescript/scenario.ts`.
//! - Rust: progenitor (`clients/rust`, its own crate and lock file), reading the OpenAPI 3.0 form
//!   `openapi/openapi-3.0.json` since progenitor reads only 3.0.
//!
//! The tools come from `scripts/test` (`.venv`, npm); nothing is skipped when one is missing.

mod served;

use std::path::{Path, PathBuf};
use std::process::Command;

use served::{Served, repo, run, venv_path, venv_tool};

/// Asserts a generator's output holds no warning.
fn assert_no_warnings(generator: &str, output: &str) {
    let lower = output.to_lowercase();
    assert!(
        !lower.contains("warning") && !lower.contains("skipping"),
        "{generator} warned:\n{output}"
    );
}

fn assert_scenario_passed(client: &str, output: &str) {
    for step in [
        "created:",
        "stop",
        "start",
        "deleted:",
        "bad request: 400 invalid_request",
    ] {
        assert!(
            output.contains(step),
            "{client} scenario did not report `{step}`:\n{output}"
        );
    }
    assert!(
        output.contains("scenario passed"),
        "{client} scenario did not pass:\n{output}"
    );
}

#[test]
fn python_client_generates_without_warnings_and_runs_the_scenario() {
    let out_dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let target = out_dir.path().join("client");
    let output = run(
        "openapi-python-client",
        Command::new(venv_tool("openapi-python-client"))
            .args(["generate", "--overwrite", "--path"])
            .arg(repo().join("openapi/openapi.json"))
            .arg("--output-path")
            .arg(&target)
            .env("PATH", venv_path()),
    );
    assert_no_warnings("openapi-python-client", &output);
    assert!(
        target
            .join("cloudgw_client/api/servers/create_server.py")
            .exists(),
        "no create_server in the generated client:\n{output}"
    );
    let tokens = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (gateway, token) = Served::start_with_token("operator", tokens.path());
    let output = run(
        "the Python scenario",
        Command::new(venv_tool("python"))
            .arg(repo().join("examples/python/scenario.py"))
            .arg(&gateway.base)
            .arg(&token)
            .env("PYTHONPATH", &target),
    );
    assert_scenario_passed("Python", &output);
}

/// A tool `npm ci` installed in `examples/typescript` (called directly, not through `npm run`,
/// so only the tool's own output is checked for warnings).
fn node_tool(dir: &Path, name: &str) -> Command {
    Command::new(dir.join("node_modules/.bin").join(name))
}

#[test]
fn typescript_client_generates_type_checks_and_runs_the_scenario() {
    let dir = repo().join("examples/typescript");
    run(
        "npm ci",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
    );
    let schema = dir.join("schema.d.ts");
    let _ = std::fs::remove_file(&schema);
    let output = run(
        "openapi-typescript",
        node_tool(&dir, "openapi-typescript")
            .arg(repo().join("openapi/openapi.json"))
            .arg("--output")
            .arg(&schema)
            .current_dir(&dir),
    );
    assert_no_warnings("openapi-typescript", &output);
    assert!(
        schema.exists(),
        "openapi-typescript wrote no schema.d.ts:\n{output}"
    );
    let output = run(
        "tsc --noEmit (strict)",
        node_tool(&dir, "tsc")
            .args(["--noEmit", "-p", "."])
            .current_dir(&dir),
    );
    assert!(output.trim().is_empty(), "tsc reported:\n{output}");
    let tokens = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (gateway, token) = Served::start_with_token("operator", tokens.path());
    let output = run(
        "the TypeScript scenario",
        node_tool(&dir, "tsx")
            .arg("scenario.ts")
            .arg(&gateway.base)
            .arg(&token)
            .current_dir(&dir),
    );
    assert_scenario_passed("TypeScript", &output);
}

/// Where the client crate builds: beside the gateway's own target directory.
fn rust_client_target() -> PathBuf {
    let bin = Path::new(env!("CARGO_BIN_EXE_cloudgw"));
    let profile_dir = bin.parent().unwrap_or(Path::new("."));
    profile_dir
        .parent()
        .unwrap_or(Path::new("."))
        .join("rust-client")
}

#[test]
fn rust_client_builds_without_warnings_and_runs_the_scenario() {
    let manifest = repo().join("clients/rust/Cargo.toml");
    let cargo = || {
        let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        c.env("CARGO_TARGET_DIR", rust_client_target())
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS");
        c
    };
    let output = run(
        "cargo build of clients/rust",
        cargo()
            .args(["build", "--locked", "--bins", "--manifest-path"])
            .arg(&manifest),
    );
    assert!(
        !output.contains("warning:"),
        "the progenitor client built with warnings:\n{output}"
    );
    let tokens = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (gateway, token) = Served::start_with_token("operator", tokens.path());
    let output = run(
        "the Rust scenario",
        cargo()
            .args([
                "run",
                "--locked",
                "--quiet",
                "--bin",
                "scenario",
                "--manifest-path",
            ])
            .arg(&manifest)
            .arg("--")
            .arg(&gateway.base)
            .arg(&token),
    );
    assert_scenario_passed("Rust", &output);
}
