//! Giving memory back to the system after a burst of load.
//!
//! glibc's malloc keeps the pages freed when a burst of connections ends: after 1,000
//! connections the gateway stayed near its ~100 MiB peak (it is not a leak — `malloc_trim(0)`
//! brought it back to ~24 MiB, README "Benchmarks" (d)). mimalloc was tried instead and kept as
//! much, since its per-thread heaps purge only when their own thread allocates again. So the
//! gateway asks glibc to return free pages once the HTTP API has been idle for a while: one trim
//! per burst, never under load (a trim walks and locks every arena).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long the API must have served no request before freed memory is given back.
pub const TRIM_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Requests seen so far; the trimmer only compares it between its ticks.
static ACTIVITY: AtomicU64 = AtomicU64::new(0);

/// Notes that the API served a request (called once per request by the HTTP layer).
pub fn note_request() {
    ACTIVITY.fetch_add(1, Ordering::Relaxed);
}

/// How often the trimmer looks at the request count.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Starts the background task that trims once the API has served no request for `idle` after
/// some activity (within `idle` + 1 s of the last request). Must be called inside a Tokio
/// runtime.
pub fn spawn_trimmer(idle: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(LOOK_EVERY);
        let mut seen = ACTIVITY.load(Ordering::Relaxed);
        let mut last_change = Instant::now();
        let mut trimmed = true;
        loop {
            tick.tick().await;
            let now = ACTIVITY.load(Ordering::Relaxed);
            if now != seen {
                (seen, last_change, trimmed) = (now, Instant::now(), false);
            } else if !trimmed && last_change.elapsed() >= idle {
                trimmed = true;
                let released = release_free_memory();
                tracing::debug!(released, "idle: gave freed memory back to the system");
            }
        }
    });
}

/// Asks the allocator to return free pages to the system; whether it released any.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes no pointers and is thread-safe (it locks each arena it trims);
    // glibc documents it as safe to call at any time.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Other allocators and platforms: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freed_memory_can_be_given_back() {
        // Every other block of a burst freed: free pages between live ones, which glibc's own
        // trimming of the heap's top never returns, and malloc_trim does.
        let mut blocks: Vec<Option<Vec<u8>>> =
            (0..20_000).map(|i| Some(vec![i as u8; 8192])).collect();
        for block in blocks.iter_mut().step_by(2) {
            *block = None;
        }
        let released = release_free_memory();
        assert_eq!(released, cfg!(all(target_os = "linux", target_env = "gnu")));
        assert_eq!(blocks.iter().flatten().count(), 10_000);
    }
}
