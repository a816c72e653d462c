//! What the HTTP load examples share: the client and its warm-up, one phase's latencies and
//! failures, the `/livez` ceiling phase, and the table they are printed in.

#[path = "stats.rs"]
mod stats;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use anyhow::{Context, bail};

const MAX_REQUESTS: usize = 1_000_000;
const MAX_CONCURRENCY: usize = 1024;

/// Refuses `--requests` and `--concurrency` outside what a run can hold.
pub fn check_flags(requests: usize, concurrency: usize) -> anyhow::Result<()> {
    if !(1..=MAX_REQUESTS).contains(&requests) {
        bail!("--requests must be between 1 and {MAX_REQUESTS}");
    }
    if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
        bail!("--concurrency must be between 1 and {MAX_CONCURRENCY}");
    }
    Ok(())
}

/// One single-threaded runtime for the client, so that it takes at most one core from the server.
pub fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("client runtime")
}

/// An HTTP client with `concurrency` connections already open to the server at `address`, so
/// that no phase times their handshakes.
pub async fn warmed_client(address: &str, concurrency: usize) -> anyhow::Result<reqwest::Client> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let livez = format!("{address}/livez");
    let warmup: Vec<_> = (0..concurrency).map(|_| http.get(&livez).send()).collect();
    for response in futures_util::future::join_all(warmup).await {
        let status = response.context("warm-up request")?.status();
        if !status.is_success() {
            bail!("warm-up GET /livez answered {status}");
        }
    }
    Ok(http)
}

/// Why a request did not count as a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    Transport,
    Status(u16),
    /// A 200 whose body is not what the example expects; the example names how.
    Body(&'static str),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Transport => f.write_str("Transport"),
            Failure::Status(status) => write!(f, "Status({status})"),
            Failure::Body(how) => f.write_str(how),
        }
    }
}

/// Sends `request` and reads the whole body; anything but a 200 is a failure.
pub async fn fetch(request: reqwest::RequestBuilder) -> Result<Bytes, Failure> {
    let response = request.send().await.map_err(|_| Failure::Transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(|_| Failure::Transport)?;
    if status != reqwest::StatusCode::OK {
        return Err(Failure::Status(status.as_u16()));
    }
    Ok(body)
}

#[derive(Default)]
pub struct Phase {
    pub latencies: Vec<Duration>,
    pub failures: HashMap<Failure, usize>,
    pub elapsed: Duration,
}

impl Phase {
    pub fn failed(&self) -> usize {
        self.failures.values().sum()
    }

    /// `| name | ok | failed | req/s | p50 | p90 | p99 | max |`, the name padded to `width`.
    fn row(&self, name: &str, width: usize) -> String {
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

/// Prints one row per phase, its `target` column `width` wide, then each phase's failures by kind
/// under its short name. `phases`: (target, short name, phase).
pub fn print_table(width: usize, phases: &[(&str, &str, &Phase)]) {
    println!(
        "| {:<width$} |     ok | fail |   req/s | p50 ms | p90 ms | p99 ms |  max ms |",
        "target"
    );
    println!(
        "|{}|-------:|-----:|--------:|-------:|-------:|-------:|--------:|",
        "-".repeat(width + 2)
    );
    for (target, _, phase) in phases {
        println!("{}", phase.row(target, width));
    }
    for (_, name, phase) in phases {
        let mut failures: Vec<_> = phase.failures.iter().collect();
        failures.sort();
        for (kind, count) in failures {
            println!("{name} failures: {kind} x{count}");
        }
    }
}

/// Runs `n` requests with `concurrency` in flight; each worker takes the next index until none
/// is left, so the loop is bounded by `n`.
pub async fn run_phase<F, Fut>(concurrency: usize, n: usize, request: F) -> Phase
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
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

/// The ceiling: `n` requests for `GET /livez`, the HTTP stack without auth, crypto, parsing or
/// database.
pub async fn ceiling_phase(
    http: &reqwest::Client,
    address: &str,
    concurrency: usize,
    n: usize,
) -> Phase {
    let livez = format!("{address}/livez");
    run_phase(concurrency, n, |_| {
        let request = http.get(&livez);
        async move { fetch(request).await.map(drop) }
    })
    .await
}
