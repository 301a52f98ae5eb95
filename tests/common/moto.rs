//! moto's server (a real EC2 API server we did not write) started for a test on a free loopback
//! port, from the project's `.venv` (`scripts/python-env`, run by `scripts/test`). A missing
//! venv or moto fails the test with a message saying how to install it; nothing is skipped.
//! The server ends when this handle is dropped, and with the test process in any case (it
//! serves until its standard input closes).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "child.rs"]
mod child;

use child::ChildProcess;

/// The region the tests' providers serve.
pub const REGION: &str = "us-east-1";
/// moto accepts any credentials; these are what the test providers and boto3 send.
pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing";

/// A running moto server.
pub struct Moto {
    /// moto serves until its standard input (kept open by this handle) closes.
    process: ChildProcess,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

pub fn project_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The project venv's python.
pub fn venv_python() -> PathBuf {
    let python = project_dir().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/python-env (scripts/test does) to install moto and boto3",
        python.display()
    );
    python
}

impl Moto {
    /// moto with a small fixed set of default AMIs (`tests/fixtures/moto-amis.json`, nine of
    /// moto's own), and AMI and instance-type validation on, as real EC2 validates them.
    pub async fn start() -> Moto {
        let amis = project_dir().join("tests/fixtures/moto-amis.json");
        Moto::start_with(&[
            ("MOTO_AMIS_PATH", amis.to_string_lossy().as_ref()),
            ("MOTO_ENABLE_AMI_VALIDATION", "true"),
            ("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true"),
        ])
        .await
    }

    /// moto with these extra environment variables.
    pub async fn start_with(env: &[(&str, &str)]) -> Moto {
        let script = project_dir().join("tests/python/moto_server.py");
        let mut command = Command::new(venv_python());
        command.arg(&script).stdin(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let what = format!("moto ({})", script.display());
        let (process, port) = tokio::task::spawn_blocking(move || {
            ChildProcess::start(&what, &mut command, Duration::from_secs(60), |line| {
                line.trim().parse::<u16>().ok()
            })
        })
        .await
        .unwrap_or_else(|e| panic!("starting moto: {e}"));
        let moto = Moto {
            process,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        moto.warm_up().await;
        moto
    }

    /// Waits until moto answers, and makes the first (slow) EC2 call so tests do not pay it.
    async fn warm_up(&self) {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let answer = client
                .post(&self.endpoint)
                .header("authorization", sigv4_stub())
                .form(&[("Action", "DescribeRegions"), ("Version", "2016-11-15")])
                .send()
                .await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "moto at {} did not answer within 10 s; it said:\n{}",
            self.endpoint,
            self.process.log().join("\n")
        );
    }

    /// Clears every resource (`POST /moto-api/reset`).
    pub async fn reset(&self) {
        let answer = reqwest::Client::new()
            .post(format!("{}/moto-api/reset", self.endpoint))
            .send()
            .await
            .unwrap_or_else(|e| panic!("moto reset: {e}"));
        assert!(answer.status().is_success(), "moto reset: {answer:?}");
    }

    /// A provider file for this moto: static test keys, the endpoint, `REGION`, then `extra`.
    pub fn provider_file(&self, extra: &str) -> String {
        format!(
            "driver = \"aws\"\nregion = \"{REGION}\"\nendpoint = \"{}\"\naccess_key_id = \"{ACCESS_KEY}\"\nsecret_access_key = \"{SECRET_KEY}\"\ntimeout_secs = 20\n{extra}",
            self.endpoint
        )
    }

    /// Runs a Python snippet with boto3 against this moto (`ec2` is a ready client); returns its
    /// standard output, panicking with its standard error when it fails.
    pub async fn boto3(&self, snippet: &str) -> String {
        let program = format!(
            "import boto3, json, sys\nec2 = boto3.client('ec2', region_name='{REGION}', endpoint_url='{}', aws_access_key_id='{ACCESS_KEY}', aws_secret_access_key='{SECRET_KEY}')\n{snippet}\n",
            self.endpoint
        );
        let python = venv_python();
        let output = tokio::task::spawn_blocking(move || {
            Command::new(python).arg("-c").arg(program).output()
        })
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("cannot run the venv python"));
        assert!(
            output.status.success(),
            "boto3 snippet failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

/// moto reads the region and account from the SigV4 credential scope; it does not check the
/// signature.
fn sigv4_stub() -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/20240101/{REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0"
    )
}
