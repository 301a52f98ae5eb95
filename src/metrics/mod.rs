//! Prometheus metrics of the gateway: HTTP requests per route, and driver calls per provider
//! with the one label set every driver metric shares (`provider`, `driver`, `operation`,
//! `outcome`). `GET /metrics` renders them in the Prometheus text format (version 0.0.4).
//!
//! The metrics are process-wide (one set per process, as Prometheus scrapes a process), so the
//! one driver-call path records them without every caller passing a handle around.

use std::sync::LazyLock;
use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

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
    driver_calls: IntCounterVec,
    driver_duration: HistogramVec,
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
        let http_requests = counter(
            &registry,
            "cloudgw_http_requests_total",
            "HTTP requests answered, by method, route template and status code.",
            &["method", "route", "status"],
        )?;
        let http_duration = histogram(
            &registry,
            "cloudgw_http_request_duration_seconds",
            "Time to answer an HTTP request (until the response head), by method and route template.",
            &["method", "route"],
        )?;
        let driver_calls = counter(
            &registry,
            "cloudgw_driver_calls_total",
            "Driver calls to providers, by provider, driver, operation and outcome (`ok` or the error code).",
            &["provider", "driver", "operation", "outcome"],
        )?;
        let driver_duration = histogram(
            &registry,
            "cloudgw_driver_call_duration_seconds",
            "Time a driver call took, retries included, by provider, driver, operation and outcome.",
            &["provider", "driver", "operation", "outcome"],
        )?;
        Ok(Metrics {
            registry,
            http_requests,
            http_duration,
            driver_calls,
            driver_duration,
        })
    }
}

fn counter(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<IntCounterVec> {
    let vec = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(vec.clone()))?;
    Ok(vec)
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> prometheus::Result<HistogramVec> {
    let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
    let vec = HistogramVec::new(opts, labels)?;
    registry.register(Box::new(vec.clone()))?;
    Ok(vec)
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
    let labels = [provider, driver, operation, outcome];
    m.driver_calls.with_label_values(&labels).inc();
    m.driver_duration
        .with_label_values(&labels)
        .observe(elapsed.as_secs_f64());
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
}
