//! Coalescing of identical concurrent reads, and the optional short-TTL read cache.
//!
//! A read (same operation, same arguments: [`Call::read_key`]) that arrives while an identical
//! one is in flight waits for that one's answer instead of making its own backend call. The
//! shared call runs in its own task, so a waiter that leaves (its request's deadline passed,
//! its client hung up) never cancels it for the others; it runs until the latest deadline among
//! its waiters (each joining waiter moves it later), with the first caller's request id and
//! tracing span. Everything below this layer — retries included — is done once for all
//! waiters, which is why the concurrency limit sits below it.
//!
//! With `cache_ttl_secs > 0`, a successful read's answer is also kept that long and reused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

use super::around::{Around, Next};
use super::call::{Call, Reply};
use super::{Labels, deadline, request_id};
use crate::driver::{DriverError, DriverResult, ErrorKind};

type Shared = Arc<DriverResult<Reply>>;

struct Flight {
    answer: watch::Receiver<Option<Shared>>,
    deadline: deadline::Shared,
}

#[derive(Default)]
struct State {
    flights: HashMap<String, Flight>,
    cache: HashMap<String, (Instant, Reply)>,
}

/// The coalescing layer.
pub struct Coalesce {
    enabled: bool,
    ttl: Duration,
    /// The deadline of a shared call whose first caller had none (a background caller).
    default_budget: Duration,
    state: Arc<Mutex<State>>,
    labels: Labels,
}

impl Coalesce {
    /// Coalescing on or off, with a read cache of `ttl` (zero: none); `default_budget` bounds a
    /// shared call made outside any request.
    pub fn new(enabled: bool, ttl: Duration, default_budget: Duration, labels: Labels) -> Coalesce {
        Coalesce {
            enabled,
            ttl,
            default_budget,
            state: Arc::default(),
            labels,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn counted(&self, call: &Call, outcome: &str) {
        crate::metrics::record_coalesced(
            &self.labels.provider,
            self.labels.driver,
            call.op().name(),
            outcome,
        );
    }
}

/// What a read does, decided under the lock (nothing is awaited while it is held).
enum Plan {
    Cached(Box<Reply>),
    Uncoalesced,
    Wait(watch::Receiver<Option<Shared>>),
}

#[async_trait]
impl Around for Coalesce {
    async fn around(&self, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let Some(key) = call
            .read_key()
            .filter(|_| self.enabled || !self.ttl.is_zero())
        else {
            return next.run(call).await;
        };
        let mut answer = match self.plan(&key, call, next) {
            Plan::Cached(reply) => {
                self.counted(call, "cached");
                return Ok(*reply);
            }
            Plan::Uncoalesced => return self.cache_miss(key, call, next).await,
            Plan::Wait(answer) => answer,
        };
        // Dropping this wait (the caller leaving) leaves the shared call running.
        let shared = answer
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|value| value.as_ref().map(|shared| copy(shared)));
        match shared {
            Some(result) => result,
            None => {
                // The shared call's task is gone: forget such flights so later reads start anew.
                self.lock()
                    .flights
                    .retain(|_, f| f.answer.has_changed().is_ok());
                Err(lost())
            }
        }
    }
}

impl Coalesce {
    /// Answers from the cache, joins the identical call in flight, or starts one.
    fn plan(&self, key: &str, call: &Call, next: Next<'_>) -> Plan {
        let mine = deadline::current();
        let mut state = self.lock();
        if !self.ttl.is_zero() {
            let now = Instant::now();
            state.cache.retain(|_, (until, _)| *until > now);
            if let Some((_, reply)) = state.cache.get(key) {
                return Plan::Cached(Box::new(reply.clone()));
            }
        }
        if !self.enabled {
            return Plan::Uncoalesced;
        }
        if let Some(flight) = state.flights.get(key) {
            if let Some(at) = mine {
                flight.deadline.extend_to(at);
            }
            let answer = flight.answer.clone();
            drop(state);
            self.counted(call, "joined");
            return Plan::Wait(answer);
        }
        let at = mine.unwrap_or_else(|| Instant::now() + self.default_budget);
        let shared_deadline = deadline::Shared::new(at);
        let (tx, rx) = watch::channel(None);
        state.flights.insert(
            key.to_owned(),
            Flight {
                answer: rx.clone(),
                deadline: shared_deadline.clone(),
            },
        );
        drop(state);
        self.spawn(key.to_owned(), call.clone(), next, shared_deadline, tx);
        Plan::Wait(rx)
    }
}

impl Coalesce {
    fn spawn(
        &self,
        key: String,
        call: Call,
        next: Next<'_>,
        at: deadline::Shared,
        tx: watch::Sender<Option<Shared>>,
    ) {
        let driver = next.driver();
        let state = self.state.clone();
        let ttl = self.ttl;
        let id = request_id::current();
        let shared = async move {
            let result = call.dispatch(driver.as_ref()).await;
            let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
            guard.flights.remove(&key);
            if let (false, Ok(reply)) = (ttl.is_zero(), &result) {
                guard
                    .cache
                    .insert(key, (Instant::now() + ttl, reply.clone()));
            }
            drop(guard);
            // No receiver left (every waiter gone) is fine: the answer is simply dropped.
            let _ = tx.send(Some(Arc::new(result)));
        };
        let shared = at.scope(request_id::maybe_scope(id, shared));
        tokio::spawn(shared.instrument(tracing::Span::current()));
    }

    /// A read with the cache on but coalescing off.
    async fn cache_miss(&self, key: String, call: &Call, next: Next<'_>) -> DriverResult<Reply> {
        let result = next.run(call).await;
        if let Ok(reply) = &result {
            self.lock()
                .cache
                .insert(key, (Instant::now() + self.ttl, reply.clone()));
        }
        result
    }
}

fn copy(shared: &DriverResult<Reply>) -> DriverResult<Reply> {
    match shared {
        Ok(reply) => Ok(reply.clone()),
        Err(e) => Err(e.clone()),
    }
}

/// The shared call's task ended without an answer (it panicked): reported, not hung on.
fn lost() -> DriverError {
    DriverError::new(
        ErrorKind::Unavailable,
        "the shared call to the provider ended without an answer",
    )
}
