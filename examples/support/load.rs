//! What the load examples share: one phase's latencies and failures, and its table row.

#[path = "stats.rs"]
mod stats;

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Phase<F> {
    pub latencies: Vec<Duration>,
    pub failures: HashMap<F, usize>,
    pub elapsed: Duration,
}

impl<F> Default for Phase<F> {
    fn default() -> Self {
        Self {
            latencies: Vec::new(),
            failures: HashMap::new(),
            elapsed: Duration::ZERO,
        }
    }
}

impl<F: Eq + Hash> Phase<F> {
    pub fn failed(&self) -> usize {
        self.failures.values().sum()
    }

    /// `| name | ok | failed | req/s | p50 | p90 | p99 | max |`, the name padded to `width`.
    pub fn row(&self, name: &str, width: usize) -> String {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let total = sorted.len();
        let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
        format!(
            "| {name:<width$} | {:>6} | {:>4} | {:>7.0} | {:>6.2} | {:>6.2} | {:>6.2} | {:>7.2} |",
            total - self.failed(),
            self.failed(),
            total as f64 / self.elapsed.as_secs_f64(),
            ms(stats::percentile(&sorted, 50.0)),
            ms(stats::percentile(&sorted, 90.0)),
            ms(stats::percentile(&sorted, 99.0)),
            ms(sorted.last().copied()),
        )
    }
}

/// Runs `n` requests with `concurrency` in flight; each worker takes the next index until none
/// is left, so the loop is bounded by `n`.
pub async fn run_phase<Failure, F, Fut>(concurrency: usize, n: usize, request: F) -> Phase<Failure>
where
    Failure: Eq + Hash,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| async {
        let mut latencies = Vec::with_capacity(n / concurrency + 1);
        let mut failures = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                break;
            }
            let sent = Instant::now();
            let result = request(i).await;
            latencies.push(sent.elapsed());
            if let Err(failure) = result {
                failures.push(failure);
            }
        }
        (latencies, failures)
    });
    // One task, many futures: the client stays on its single thread.
    let results = futures_util::future::join_all(workers).await;
    let mut phase = Phase {
        elapsed: started.elapsed(),
        ..Phase::default()
    };
    for (latencies, failures) in results {
        phase.latencies.extend(latencies);
        for failure in failures {
            *phase.failures.entry(failure).or_default() += 1;
        }
    }
    phase
}
