//! Wire-level simulators of the clouds the drivers speak to. They are real HTTP servers, run by
//! `cloudgw simulate …` or in-process for providers with `simulate = true`.

pub mod control;
pub mod gogrid;
pub mod occi;

pub use control::SimControl;

use std::net::SocketAddr;

use axum::Router;

/// A simulator serving on a loopback port; stops when dropped.
#[derive(Debug)]
pub struct RunningSimulator {
    addr: SocketAddr,
    base_path: &'static str,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    control: SimControl,
}

impl RunningSimulator {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL a driver is configured with (GoGrid: ending in `/api`; OCCI: the base
    /// the query interface `/-/` hangs off, without a trailing slash).
    pub fn endpoint(&self) -> String {
        format!("http://{}{}", self.addr, self.base_path)
    }

    /// Its controls (hold transitions, fail provisioning).
    pub fn control(&self) -> &SimControl {
        &self.control
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `app` on `listen` (port 0 picks a free one) until the returned handle is dropped.
async fn serve(
    name: &'static str,
    app: Router,
    listen: SocketAddr,
    base_path: &'static str,
    control: SimControl,
) -> std::io::Result<RunningSimulator> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, simulator = name, "simulator stopped with an error");
        }
    });
    tracing::info!(%addr, simulator = name, "simulator listening");
    Ok(RunningSimulator {
        addr,
        base_path,
        shutdown: Some(tx),
        control,
    })
}
