//! Load on the WeChat Pay notify door: N signed, encrypted `TRANSACTION.SUCCESS` notifications
//! for N distinct membership orders, then N deliveries of one order's notification (WeChat Pay's
//! retries), at concurrency C, then `GET /livez` (the ceiling). Every answer must be 204; the distinct phase must create N
//! membership periods and the repeated phase one.
//!
//! ```sh
//! cargo run --release --example pay_notify_load -- [--requests N] [--concurrency C] \
//!     [--database-url postgres://user@host:5432/db]
//! ```
//!
//! The real server runs in-process (see `callback_load`), with WeChat Pay configured with the
//! test keys of `tests/fixtures/pay/`; the notifications are signed with the fake platform key
//! and encrypted up front, so the timed loop spends the client's CPU on HTTP. Without
//! `--database-url` the database is SQLite in a temporary directory; with a PostgreSQL URL a fresh
//! schema `load_<random>` is created and dropped at the end.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;

use anyhow::{Context, bail};
use babyvax::config::RawSettings;
use babyvax::startup;
use babyvax::wechat::pay::{ApiV3Key, MerchantKey};
use chrono::{Duration, Utc};
use clap::Parser;
use load::{Failure, Phase};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set};
use serde_json::json;

const MCHID: &str = "1900007291";
const APPID: &str = "wxmp0000000000test";
const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0000000000000000FAKE00000001";
const API_V3_KEY: &str = "5YI2YwEdV56hCsNEoOGEeL17vRFcz3i6";

#[derive(Parser)]
#[command(about = "Load the WeChat Pay notify door: distinct orders, then one order repeated")]
struct Args {
    /// Notifications per phase.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/pay/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.requests, args.concurrency)?;
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        mp_appid: Some(APPID.into()),
        mp_secret: Some("unused".to_owned().into()),
        pay_mchid: Some(MCHID.into()),
        pay_merchant_serial: Some("408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into()),
        pay_private_key: Some(fixture("merchant_key.pem").into()),
        pay_api_v3_key: Some(API_V3_KEY.to_owned().into()),
        pay_public_key: Some(fixture("platform_pub.pem")),
        pay_public_key_id: Some(PUBLIC_KEY_ID.into()),
        // Nothing is called: a notification for an open order needs no answer from WeChat Pay.
        pay_api_base: "http://127.0.0.1:9".into(),
        pay_notify_url: Some("https://babyvax.example/wechat/pay/notify".into()),
        ..RawSettings::default()
    };
    let n = args.requests;
    let (server, ()) = server::start(
        raw,
        args.database_url.as_deref(),
        async move |db| seed(db, n + 1).await,
        async |db| Ok(entity::membership_periods::Entity::find().count(db).await?),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args));
    let label = server.database.clone();
    let periods = server.stop(&client_rt)?;
    let (distinct, repeated, livez) = report?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "\nbabyvax pay notify load: {}; N={} per phase, C={}; {}",
        label,
        args.requests,
        args.concurrency,
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
    println!(
        "client (1 tokio thread) and server (actix System + workers) share this machine's \
         {cores} cores; request logging off\n"
    );
    load::print_table(
        30,
        &[
            ("POST /wechat/pay/notify distinct", "distinct", &distinct),
            ("POST /wechat/pay/notify repeated", "repeated", &repeated),
            ("GET /livez (ceiling)", "livez", &livez),
        ],
    );
    println!(
        "\nmembership periods created: {periods} (expected {})",
        args.requests + 1
    );
    if distinct.failed() > 0 || repeated.failed() > 0 || livez.failed() > 0 {
        bail!("some notifications failed");
    }
    if periods != args.requests as u64 + 1 {
        bail!("expected {} periods, found {periods}", args.requests + 1);
    }
    Ok(())
}

fn out_trade_no(i: usize) -> String {
    format!("LOAD{i:012}")
}

/// `count` members, each with one open basic_1m order.
async fn seed(db: &DatabaseConnection, count: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    for i in 0..count {
        let member = entity::members::ActiveModel {
            openid: Set(format!("o_load_{i}")),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        entity::pay_orders::ActiveModel {
            out_trade_no: Set(out_trade_no(i)),
            purpose: Set("membership".into()),
            reference: Set("basic_1m".into()),
            member_id: Set(Some(member.id)),
            openid: Set(Some(member.openid.clone())),
            request_id: Set(Some(format!("load-{i}"))),
            description: Set("load".into()),
            amount_fen: Set(500),
            refund_reserved_fen: Set(0),
            refunded_fen: Set(0),
            state: Set("created".into()),
            close_due_at: Set(now + Duration::minutes(30)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A notification as WeChat Pay sends it: (headers, body).
struct Notice {
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn notice(i: usize, seq: usize, key: &ApiV3Key, platform: &MerchantKey) -> anyhow::Result<Notice> {
    let no = out_trade_no(i);
    let resource = json!({
        "appid": APPID, "mchid": MCHID, "out_trade_no": no,
        "transaction_id": format!("42000{i:023}"), "trade_type": "JSAPI",
        "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
        "success_time": Utc::now().to_rfc3339(), "payer": {"openid": format!("o_load_{i}")},
        "amount": {"total": 500, "payer_total": 500, "currency": "CNY", "payer_currency": "CNY"},
    });
    let nonce12 = format!("{:012}", seq);
    let ciphertext = key
        .encrypt(&nonce12, "transaction", resource.to_string().as_bytes())
        .context("encrypt")?;
    let body = json!({
        "id": format!("EV-{seq}"), "create_time": Utc::now().to_rfc3339(),
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext, "associated_data": "transaction", "nonce": nonce12},
    })
    .to_string();
    let ts = Utc::now().timestamp();
    let nonce = format!("N{seq:031}");
    let signature = platform.sign(format!("{ts}\n{nonce}\n{body}\n").as_bytes());
    Ok(Notice {
        headers: vec![
            ("Wechatpay-Timestamp", ts.to_string()),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Signature", signature),
            ("Wechatpay-Serial", PUBLIC_KEY_ID.to_owned()),
        ],
        body,
    })
}

async fn deliver(http: &reqwest::Client, url: &str, notice: &Notice) -> Result<(), Failure> {
    let mut request = http
        .post(url)
        .header("Content-Type", "application/json")
        .body(notice.body.clone());
    for (name, value) in &notice.headers {
        request = request.header(*name, value.as_str());
    }
    let response = request.send().await.map_err(|_| Failure::Transport)?;
    let status = response.status().as_u16();
    response.bytes().await.map_err(|_| Failure::Transport)?;
    match status {
        204 => {}
        // Received, but the door's contract is 204 with no body.
        200 => return Err(Failure::Body("200 instead of 204")),
        _ => return Err(Failure::Status(status)),
    }
    Ok(())
}

async fn drive(address: &str, args: &Args) -> anyhow::Result<(Phase, Phase, Phase)> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let key = ApiV3Key::new(API_V3_KEY.as_bytes()).context("APIv3 key")?;
    let platform =
        MerchantKey::from_pem_setting(&fixture("platform_key.pem")).context("platform key")?;
    let n = args.requests;
    let distinct: Vec<Notice> = (0..n)
        .map(|i| notice(i, i, &key, &platform))
        .collect::<anyhow::Result<_>>()?;
    // One order's notification, redelivered (each delivery its own id, nonce and signature).
    let repeated: Vec<Notice> = (0..n)
        .map(|j| notice(n, n + j, &key, &platform))
        .collect::<anyhow::Result<_>>()?;
    let url = format!("{address}/wechat/pay/notify");
    let first = load::run_phase(args.concurrency, n, |i| deliver(&http, &url, &distinct[i])).await;
    let second = load::run_phase(args.concurrency, n, |i| deliver(&http, &url, &repeated[i])).await;
    let livez = load::ceiling_phase(&http, address, args.concurrency, n).await;
    Ok((first, second, livez))
}
