//! The `cloudgw` binary serving the repository's default `providers/` on a free loopback port,
//! as a user runs it; for the generated-client scenarios and the API fuzzer.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

#[path = "../common/child.rs"]
pub mod child;
pub mod replicas;

use child::{ChildProcess, serving_on};

/// A running `cloudgw serve`; killed on drop.
pub struct Served {
    process: ChildProcess,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// The `cloudgw` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cloudgw");

/// Runs `cloudgw args` to the end: (exit code, stdout, stderr).
pub fn cloudgw(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run cloudgw: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The tool `name` from the project's `.venv` (made by `scripts/test`).
pub fn venv_tool(name: &str) -> PathBuf {
    let tool = repo().join(".venv/bin").join(name);
    assert!(
        tool.exists(),
        "{name} is not installed in .venv: run the test suite with scripts/test"
    );
    tool
}

/// `PATH` with the `.venv` tools first.
pub fn venv_path() -> String {
    format!(
        "{}:{}",
        repo().join(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

impl Served {
    /// Serves `providers/` with `extra` arguments; waits until the gateway says where it listens.
    pub fn start(extra: &[&str]) -> Served {
        Served::start_with(&repo().join("providers"), extra, &[("RUST_LOG", "info")])
    }

    /// Serves the providers in `providers` on a port the gateway picks (port 0), with `extra`
    /// arguments and environment `env`; waits at most 30 s for its `serving on` line.
    pub fn start_with(providers: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--providers"])
            .arg(providers)
            .args(extra)
            .env("NO_COLOR", "1");
        // Each gateway its own store unless the test names one: never a shared ./data.
        if !extra.iter().any(|a| a.starts_with("--data")) {
            command.args(["--database-url", "memory:"]);
        }
        for (key, value) in env {
            command.env(key, value);
        }
        let (process, base) = ChildProcess::start(
            "cloudgw serve",
            &mut command,
            Duration::from_secs(30),
            serving_on,
        );
        Served { process, base }
    }

    /// The default providers served with one API token of `role` configured (a `[[tokens]]`
    /// block in a config file in `dir`), so every call needs it; answers the gateway and the
    /// token.
    pub fn start_with_token(role: &str, dir: &Path) -> (Served, String) {
        let token = cloudgw::api::auth::new_token();
        let config = dir.join("cloudgw.toml");
        let block = format!(
            "[[tokens]]\nname = \"client\"\nrole = \"{role}\"\nhash = \"{}\"\n",
            cloudgw::api::auth::token_hash(&token)
        );
        std::fs::write(&config, block).unwrap_or_else(|e| panic!("{e}"));
        let config = config.display().to_string();
        (Served::start(&["--config", &config]), token)
    }

    /// Stops the gateway and returns every line it logged.
    pub fn stop(self) -> Vec<String> {
        self.process.stop()
    }
}

/// Runs `command` and returns its combined output; panics naming `what` when it fails.
pub fn run(what: &str, command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{text}");
    text
}
