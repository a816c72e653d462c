//! Template-message send throughput of the WeChat client against the in-process fake WeChat.
//!
//! `cargo run --release --example wechat_send_throughput -- --messages 20000 --concurrency 64`
//!
//! Client and fake share this machine's cores, so the figure is a floor for the client alone.

#[path = "support/stats.rs"]
mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use babyvax::clock::{SharedClock, SystemClock};
use babyvax::config::AppCredentials;
use babyvax::fake_wechat::{FakeConfig, FakeWechat};
use babyvax::wechat::api::{
    ApiClient, ApiConfig, MemoryTokenStore, OfficialAccount, TemplateField, TemplateMessage,
    TokenManager,
};
use clap::Parser;
use futures_util::StreamExt;

#[derive(Parser)]
struct Args {
    /// Messages to send.
    #[arg(long, default_value_t = 20_000)]
    messages: usize,
    /// Sends in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Worker threads of the fake WeChat server.
    #[arg(long, default_value_t = 1)]
    fake_workers: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    babyvax::startup::install_crypto_provider();
    let fake = FakeWechat::start_with(FakeConfig {
        workers: args.fake_workers,
        ..FakeConfig::default()
    })
    .await?;
    fake.register_app("wxbench", "bench-secret");

    let clock: SharedClock = Arc::new(SystemClock);
    let client = ApiClient::new(ApiConfig::new(fake.base_url().clone()))?;
    let creds = AppCredentials {
        appid: "wxbench".into(),
        secret: "bench-secret".to_owned().into(),
    };
    let tokens = TokenManager::new(client, creds, Arc::new(MemoryTokenStore::new()), clock);
    let oa = OfficialAccount::new(Arc::new(tokens));
    oa.send_template(&message(0)).await?;

    let started = Instant::now();
    let mut latencies: Vec<Duration> = futures_util::stream::iter(1..=args.messages)
        .map(|i| {
            let oa = oa.clone();
            async move {
                let t0 = Instant::now();
                oa.send_template(&message(i)).await.map(|_| t0.elapsed())
            }
        })
        .buffer_unordered(args.concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let elapsed = started.elapsed();

    latencies.sort();
    let pct = |p: f64| stats::percentile(&latencies, p).unwrap_or_default();
    println!(
        "{} template sends, concurrency {}: {:.2?} total, {:.0} msg/s, latency p50 {:.2?} p99 {:.2?}; token fetches {}",
        args.messages,
        args.concurrency,
        elapsed,
        args.messages as f64 / elapsed.as_secs_f64(),
        pct(50.0),
        pct(99.0),
        fake.token_fetches(),
    );
    Ok(())
}

fn message(i: usize) -> TemplateMessage {
    TemplateMessage {
        touser: format!("o_parent_{i}"),
        template_id: "TPL_VACCINE_DUE".into(),
        url: None,
        miniprogram: None,
        data: [
            ("thing1".to_owned(), TemplateField::new("乙肝疫苗 第2剂")),
            ("time2".to_owned(), TemplateField::new("2026-03-08")),
        ]
        .into(),
        client_msg_id: Some(format!("bench-{i}")),
    }
}
