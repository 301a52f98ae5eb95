//! The request id (`X-Request-Id`), carried task-locally from the front end to the drivers so
//! that providers whose protocol carries one (OCCI over HTTP) receive the gateway's id.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: Arc<str>, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// The current request id, when the call is made for a request.
pub fn current() -> Option<Arc<str>> {
    REQUEST_ID.try_with(Arc::clone).ok()
}

/// Runs `fut` with `id` as the current request id when there is one, else as it is.
pub async fn maybe_scope<F: Future>(id: Option<Arc<str>>, fut: F) -> F::Output {
    match id {
        Some(id) => scope(id, fut).await,
        None => fut.await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_id_is_seen_inside_its_scope_only() {
        assert_eq!(current(), None);
        let seen = scope(Arc::from("req-1"), async { current() }).await;
        assert_eq!(seen.as_deref(), Some("req-1"));
    }
}
