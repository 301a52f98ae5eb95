//! The layers around a driver, seen from outside through the fault proxy (the cases are in
//! `tests/faults/layers.rs`), on every driver: `gogrid::…` (GoGrid simulator), `occi::…` (OCCI
//! simulator, rOCCI profile) and `aws::…` (moto). `cargo test --test faults_layers aws::` runs
//! one driver's.

mod common;
mod faults;

/// One module of tests per driver, each test one case of `faults::layers` on that driver, so
/// every driver runs every case and no case is written twice.
macro_rules! layer_cases {
    ($($module:ident: $driver:ident),* $(,)?) => {$(
        mod $module {
            use crate::faults::{Driver, layers};

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_failing_read_is_tried_retry_attempts_times_in_all() {
                layers::a_failing_read_is_tried_retry_attempts_times_in_all(Driver::$driver).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_permanent_error_reaches_the_backend_once() {
                layers::a_permanent_error_reaches_the_backend_once(Driver::$driver).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_breaker_opens_fails_fast_and_closes_after_its_cool_down() {
                layers::the_breaker_opens_fails_fast_and_closes_after_its_cool_down(Driver::$driver).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn identical_concurrent_lists_share_one_backend_call() {
                layers::identical_concurrent_lists_share_one_backend_call(Driver::$driver).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn without_coalescing_each_list_calls_the_backend() {
                layers::without_coalescing_each_list_calls_the_backend(Driver::$driver).await;
            }
        }
    )*};
}

layer_cases!(gogrid: GoGrid, occi: Occi, aws: Aws);
