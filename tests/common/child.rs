//! A process a test starts (the gateway, a simulator, moto, ooi): both of its output streams are
//! read to the end by threads and kept, so a wait for its first useful line has a timeout and a
//! failure message shows what the process said; it is killed when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running child process and everything it has printed so far.
pub struct ChildProcess {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    /// The child's standard input, when piped (some children serve until it closes).
    pub stdin: Option<std::process::ChildStdin>,
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChildProcess {
    /// Starts `command` (its stdout and stderr are piped here) and waits at most `within` for a
    /// line on either stream from which `ready` extracts a value; panics naming `what`, with the
    /// child's output and exit status, when none comes.
    pub fn start<T: Send + 'static>(
        what: &str,
        command: &mut Command,
        within: Duration,
        ready: fn(&str) -> Option<T>,
    ) -> (ChildProcess, T) {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let mut readers = Vec::new();
        let stdout = child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        let stderr = child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>);
        for stream in [stdout, stderr].into_iter().flatten() {
            let log = log.clone();
            let tx = tx.clone();
            readers.push(std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(value) = ready(&line) {
                        let _ = tx.send(value);
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push(line);
                    }
                }
            }));
        }
        let stdin = child.stdin.take();
        let mut process = ChildProcess {
            child,
            log,
            readers,
            stdin,
        };
        match rx.recv_timeout(within) {
            Ok(value) => (process, value),
            Err(_) => {
                let status = process.child.try_wait().ok().flatten();
                panic!(
                    "{what} was not ready within {within:?} (exit status: {status:?}); it said:\n{}",
                    process.log().join("\n")
                )
            }
        }
    }

    /// What the child has printed so far, both streams, line by line.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Kills the child and returns everything it printed.
    pub fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in std::mem::take(&mut self.readers) {
            let _ = reader.join();
        }
        self.log()
    }
}

/// `listening on ADDR`, the first line `cloudgw simulate` and `cloudgw fault-proxy` print.
pub fn listening_on(line: &str) -> Option<String> {
    line.strip_prefix("listening on ")
        .map(|addr| addr.trim().to_owned())
}

/// The base URL from the gateway's `serving on http://ADDR …` log line.
pub fn serving_on(line: &str) -> Option<String> {
    let at = line.find("serving on http://")?;
    let rest = &line[at + "serving on ".len()..];
    rest.split_whitespace().next().map(str::to_owned)
}
