//! GoGrid API v1.x simulator. STUB: being written.

use std::net::SocketAddr;
use std::time::Duration;

/// How a simulator instance behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The one API key the simulator accepts.
    pub api_key: String,
    /// The shared secret signatures are checked with.
    pub shared_secret: String,
    /// How far a signature's timestamp may be from the simulator's clock.
    pub clock_skew: Duration,
    /// How long a new server stays without an id (provisioning).
    pub provision_delay: Duration,
    /// How long a power transition takes.
    pub power_delay: Duration,
}

/// A simulator serving on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RunningSimulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, ending in `/api`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/api", self.addr)
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts a simulator on `listen` (port 0 picks a free one).
pub async fn spawn(_opts: SimOptions, listen: SocketAddr) -> std::io::Result<RunningSimulator> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, _rx) = tokio::sync::oneshot::channel();
    Ok(RunningSimulator {
        addr,
        shutdown: Some(tx),
    })
}
