//! Prometheus metrics of the gateway: HTTP requests per route, and driver calls per provider
//! with the one label set every driver metric shares (`provider`, `driver`, `operation`,
//! `outcome`; gauges use the part of it that applies). Driver calls are counted twice: once per
//! caller at the top of the layer stack (`cloudgw_driver_calls_*`, retries included) and once
//! per attempt that reaches the provider (`cloudgw_backend_calls_*`); the difference is what
//! coalescing, the cache, the breaker and the queue saved. `GET /metrics` renders them in the Prometheus text format (version 0.0.4).
//!
//! The metrics are process-wide (one set per process, as Prometheus scrapes a process), so the
//! one driver-call path records them without every caller passing a handle around.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

use crate::model::BreakerState;

/// The media type of [`render`]'s output.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Latency buckets in seconds: from a fast simulator answer to a slow cloud API call.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    driver: CallMetrics,
    backend: CallMetrics,
    backend_in_flight: IntGaugeVec,
    retries: IntCounterVec,
    coalesced: IntCounterVec,
    breaker_state: IntGaugeVec,
    queue_depth: IntGaugeVec,
    limit_refusals: IntCounterVec,
    operations_in_flight: IntGaugeVec,
    webhook_tries: IntCounterVec,
    watch_changes: IntCounterVec,
}

/// A count of calls and their durations, under the one label set (`provider`, `driver`,
/// `operation`, `outcome`): what is recorded per caller and per attempt alike.
struct CallMetrics {
    calls: IntCounterVec,
    duration: HistogramVec,
}

impl CallMetrics {
    fn record(&self, labels: [&str; 4], elapsed: Duration) {
        self.calls.with_label_values(&labels).inc();
        self.duration
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }
}

static METRICS: LazyLock<Option<Metrics>> = LazyLock::new(|| match Metrics::new() {
    Ok(m) => Some(m),
    Err(e) => {
        // Only a wrong name or label set gets here, which the unit tests catch.
        tracing::error!(error = %e, "cannot set up metrics; /metrics will be empty");
        None
    }
});

impl Metrics {
    fn new() -> prometheus::Result<Metrics> {
        let registry = Registry::new();
        let per_call = &["provider", "driver", "operation", "outcome"];
        let per_provider = &["provider", "driver"];
        Ok(Metrics {
            http_requests: counter(
                &registry,
                "cloudgw_http_requests_total",
                "HTTP requests answered, by method, route template and status code.",
                &["method", "route", "status"],
            )?,
            http_duration: histogram(
                &registry,
                "cloudgw_http_request_duration_seconds",
                "Time to answer an HTTP request (until the response head), by method and route template.",
                &["method", "route"],
            )?,
            driver: CallMetrics {
                calls: counter(
                    &registry,
                    "cloudgw_driver_calls_total",
                    "Driver calls to providers, by provider, driver, operation and outcome (`ok` or the error code).",
                    per_call,
                )?,
                duration: histogram(
                    &registry,
                    "cloudgw_driver_call_duration_seconds",
                    "Time a driver call took, retries included, by provider, driver, operation and outcome.",
                    per_call,
                )?,
            },
            backend: CallMetrics {
                calls: counter(
                    &registry,
                    "cloudgw_backend_calls_total",
                    "Attempts that reached a provider (one per try), by provider, driver, operation and outcome.",
                    per_call,
                )?,
                duration: histogram(
                    &registry,
                    "cloudgw_backend_call_duration_seconds",
                    "Time one attempt at a provider took, by provider, driver, operation and outcome.",
                    per_call,
                )?,
            },
            backend_in_flight: gauge(
                &registry,
                "cloudgw_backend_calls_in_flight",
                "Attempts at a provider in flight now.",
                per_provider,
            )?,
            retries: counter(
                &registry,
                "cloudgw_driver_retries_total",
                "Retries of driver calls, by provider, driver, operation and the outcome that was retried.",
                per_call,
            )?,
            coalesced: counter(
                &registry,
                "cloudgw_driver_coalesced_total",
                "Reads served without a backend call of their own: `joined` an identical call in flight, or `cached`.",
                per_call,
            )?,
            breaker_state: gauge(
                &registry,
                "cloudgw_breaker_state",
                "Circuit breaker per provider: 0 closed, 1 open, 2 half-open (as of its last change).",
                per_provider,
            )?,
            queue_depth: gauge(
                &registry,
                "cloudgw_queue_depth",
                "Calls waiting for a concurrency slot of a provider.",
                per_provider,
            )?,
            limit_refusals: counter(
                &registry,
                "cloudgw_queue_refusals_total",
                "Calls refused because a provider's queue was full, by provider, driver and operation.",
                &["provider", "driver", "operation"],
            )?,
            operations_in_flight: gauge(
                &registry,
                "cloudgw_operations_in_flight",
                "Operations (creates, actions, deletes) being followed now, by provider.",
                &["provider"],
            )?,
            webhook_tries: counter(
                &registry,
                "cloudgw_webhook_tries_total",
                "Webhook delivery tries, by webhook name and outcome (`delivered`, `retryable_status`, `refused`, `timeout`, `unreachable`).",
                &["webhook", "outcome"],
            )?,
            watch_changes: counter(
                &registry,
                "cloudgw_watch_changes_total",
                "Changes the watch found at a provider that the gateway did not cause, by provider and event type.",
                &["provider", "type"],
            )?,
            registry,
        })
    }
}

/// Registers `metric` with `registry` and returns it (a clone shares the same values).
fn registered<M: Collector + Clone + 'static>(
    registry: &Registry,
    metric: M,
) -> prometheus::Result<M> {
    registry.register(Box::new(metric.clone()))?;
    Ok(metric)
}

fn counter(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    registered(registry, IntCounterVec::new(Opts::new(name, help), labels)?)
}

fn gauge(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntGaugeVec> {
    registered(registry, IntGaugeVec::new(Opts::new(name, help), labels)?)
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<HistogramVec> {
    let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
    registered(registry, HistogramVec::new(opts, labels)?)
}

/// Records one answered HTTP request. `route` is the route template (`/v1/providers/{provider}`),
/// never the raw path, so ids do not multiply the series.
pub fn record_http(method: &str, route: &str, status: u16, elapsed: Duration) {
    let Some(m) = METRICS.as_ref() else { return };
    m.http_requests
        .with_label_values(&[method, route, &status.to_string()])
        .inc();
    m.http_duration
        .with_label_values(&[method, route])
        .observe(elapsed.as_secs_f64());
}

/// Records one driver call. `outcome` is `ok` or the error's problem code.
pub fn record_driver_call(
    provider: &str,
    driver: &str,
    operation: &str,
    outcome: &str,
    elapsed: Duration,
) {
    let Some(m) = METRICS.as_ref() else { return };
    m.driver
        .record([provider, driver, operation, outcome], elapsed);
}

/// Records one attempt that reached a provider. `outcome` is `ok` or the error's problem code.
pub fn record_backend_call(
    provider: &str,
    driver: &str,
    operation: &str,
    outcome: &str,
    elapsed: Duration,
) {
    let Some(m) = METRICS.as_ref() else { return };
    m.backend
        .record([provider, driver, operation, outcome], elapsed);
}

/// Sets how many attempts at a provider are in flight.
pub fn set_backend_in_flight(provider: &str, driver: &str, in_flight: i64) {
    let Some(m) = METRICS.as_ref() else { return };
    m.backend_in_flight
        .with_label_values(&[provider, driver])
        .set(in_flight);
}

/// Records one retry of a call that failed with `outcome` (a problem code).
pub fn record_retry(provider: &str, driver: &str, operation: &str, outcome: &str) {
    let Some(m) = METRICS.as_ref() else { return };
    m.retries
        .with_label_values(&[provider, driver, operation, outcome])
        .inc();
}

/// Records one read served without its own backend call (`joined` or `cached`).
pub fn record_coalesced(provider: &str, driver: &str, operation: &str, outcome: &str) {
    let Some(m) = METRICS.as_ref() else { return };
    m.coalesced
        .with_label_values(&[provider, driver, operation, outcome])
        .inc();
}

/// Sets a provider's breaker state.
pub fn set_breaker_state(provider: &str, driver: &str, state: BreakerState) {
    let Some(m) = METRICS.as_ref() else { return };
    let value = match state {
        BreakerState::Closed => 0,
        BreakerState::Open => 1,
        BreakerState::HalfOpen => 2,
    };
    m.breaker_state
        .with_label_values(&[provider, driver])
        .set(value);
}

/// Sets how many calls wait for a slot of a provider.
pub fn set_queue_depth(provider: &str, driver: &str, depth: usize) {
    let Some(m) = METRICS.as_ref() else { return };
    m.queue_depth
        .with_label_values(&[provider, driver])
        .set(i64::try_from(depth).unwrap_or(i64::MAX));
}

/// Records one call refused because a provider's queue was full.
pub fn record_limit_refusal(provider: &str, driver: &str, operation: &str) {
    let Some(m) = METRICS.as_ref() else { return };
    m.limit_refusals
        .with_label_values(&[provider, driver, operation])
        .inc();
}

/// Counts one webhook delivery try.
pub fn webhook_try(webhook: &str, outcome: &str) {
    let Some(m) = METRICS.as_ref() else { return };
    m.webhook_tries.with_label_values(&[webhook, outcome]).inc();
}

/// Counts one change the watch found.
pub fn watch_change(provider: &str, event_type: &str) {
    let Some(m) = METRICS.as_ref() else { return };
    m.watch_changes
        .with_label_values(&[provider, event_type])
        .inc();
}

/// Counts one operation followed for `provider` while the returned guard lives.
pub fn operation_in_flight(provider: &str) -> InFlight {
    if let Some(m) = METRICS.as_ref() {
        m.operations_in_flight.with_label_values(&[provider]).inc();
    }
    InFlight(provider.to_owned())
}

/// Keeps an operation counted in `cloudgw_operations_in_flight`; dropping it uncounts it.
#[derive(Debug)]
pub struct InFlight(String);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(m) = METRICS.as_ref() {
            m.operations_in_flight.with_label_values(&[&self.0]).dec();
        }
    }
}

/// Every metric in the Prometheus text format.
pub fn render() -> String {
    let Some(m) = METRICS.as_ref() else {
        return String::new();
    };
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&m.registry.gather(), &mut out) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_requests_and_calls_appear_in_the_text_format() {
        record_http(
            "GET",
            "/v1/metrics-test/{id}",
            200,
            Duration::from_millis(3),
        );
        record_driver_call(
            "metrics-test",
            "gogrid",
            "list_servers",
            "not_found",
            Duration::from_millis(7),
        );
        assert!(Metrics::new().is_ok(), "the metric definitions are valid");
        let text = render();
        assert!(
            text.contains(
                r#"cloudgw_http_requests_total{method="GET",route="/v1/metrics-test/{id}",status="200"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"cloudgw_driver_calls_total{driver="gogrid",operation="list_servers",outcome="not_found",provider="metrics-test"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains("# TYPE cloudgw_driver_call_duration_seconds histogram"),
            "{text}"
        );
    }

    #[test]
    fn layer_metrics_share_the_label_set_and_appear_in_the_text_format() {
        record_retry("metrics-layers", "gogrid", "list_servers", "rate_limited");
        record_coalesced("metrics-layers", "gogrid", "list_servers", "joined");
        record_backend_call(
            "metrics-layers",
            "gogrid",
            "list_servers",
            "ok",
            Duration::from_millis(2),
        );
        set_breaker_state("metrics-layers", "gogrid", BreakerState::Open);
        set_queue_depth("metrics-layers", "gogrid", 3);
        record_limit_refusal("metrics-layers", "gogrid", "get_server");
        let in_flight = operation_in_flight("metrics-layers");
        let text = render();
        for line in [
            r#"cloudgw_driver_retries_total{driver="gogrid",operation="list_servers",outcome="rate_limited",provider="metrics-layers"} 1"#,
            r#"cloudgw_driver_coalesced_total{driver="gogrid",operation="list_servers",outcome="joined",provider="metrics-layers"} 1"#,
            r#"cloudgw_backend_calls_total{driver="gogrid",operation="list_servers",outcome="ok",provider="metrics-layers"} 1"#,
            r#"cloudgw_breaker_state{driver="gogrid",provider="metrics-layers"} 1"#,
            r#"cloudgw_queue_depth{driver="gogrid",provider="metrics-layers"} 3"#,
            r#"cloudgw_queue_refusals_total{driver="gogrid",operation="get_server",provider="metrics-layers"} 1"#,
            r#"cloudgw_operations_in_flight{provider="metrics-layers"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in {text}");
        }
        drop(in_flight);
        assert!(
            render().contains(r#"cloudgw_operations_in_flight{provider="metrics-layers"} 0"#),
            "a finished operation is uncounted"
        );
    }
}
