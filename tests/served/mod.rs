//! The `cloudgw` binary serving the repository's default `providers/` on a free loopback port,
//! as a user runs it; for the generated-client scenarios and the API fuzzer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `cloudgw serve`; killed on drop.
pub struct Served {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    l.local_addr().map(|a| a.port()).unwrap_or(0)
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
        let mut child = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--providers"])
            .arg(repo().join("providers"))
            .args(extra)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start cloudgw serve: {e}"));
        let stderr = child.stderr.take();
        let (tx, rx) = mpsc::channel();
        // Reads the log to the end, so the gateway never blocks on a full pipe.
        std::thread::spawn(move || {
            let Some(stderr) = stderr else { return };
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("serving on http://") {
                    let rest = &line[at + "serving on ".len()..];
                    let base = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(base.to_owned());
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("the gateway did not start within 30 s: {e}"));
        Served { child, base }
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
