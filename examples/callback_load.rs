//! Load on the callback door: N distinct safe-mode text messages at concurrency C, then the same
//! against `GET /livez` (the ceiling: the HTTP stack without crypto, parsing or database).
//!
//! ```sh
//! cargo run --release --example callback_load -- [--requests N] [--concurrency C] \
//!     [--database-url postgres://user@host:5432/db]
//! ```
//!
//! The real server runs in-process on 127.0.0.1:0 on its own actix System thread (plus its
//! workers); the client runs on a separate single-threaded tokio runtime. Both share the machine's
//! cores, so the figures are a floor for the server alone. Without `--database-url` the database
//! is SQLite in a temporary directory; with a PostgreSQL URL a fresh schema `load_<random>` is
//! created and dropped at the end.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;

use std::collections::HashMap;

use anyhow::{Context, bail};
use babyvax::config::RawSettings;
use babyvax::startup;
use babyvax::wechat::crypto::AesKey;
use babyvax::wechat::signature;
use clap::Parser;
use load::{Failure, Phase};
use rand::Rng;
use sea_orm::{EntityTrait, PaginatorTrait};

// The credentials of tests/api/helpers.rs (WeChat's published sample values).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const ACCOUNT: &str = "gh_10f6c3c3ac5a";
/// A few followers, so that dedup keys and follower rows are not all one sender's.
const SENDERS: usize = 7;
/// Texts that hit an `exact`, a `contains` and the `default` seeded reply rule.
const TEXTS: [&str; 4] = ["帮助", "宝宝什么时候打疫苗", "hello", "月龄"];

#[derive(Parser)]
#[command(about = "Load the callback door with safe-mode text messages, then GET /livez")]
struct Args {
    /// Requests per phase (distinct messages for the callback phase).
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.requests, args.concurrency)?;
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        oa_appid: Some(APPID.into()),
        oa_token: Some(TOKEN.to_owned().into()),
        oa_aes_key: Some(AES_KEY.to_owned().into()),
        ..RawSettings::default()
    };
    let (server, ()) = server::start(
        raw,
        args.database_url.as_deref(),
        async |_| Ok(()),
        async |db| Ok(entity::inbound_messages::Entity::find().count(db).await?),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args, &server.database));
    let stored = server.stop(&client_rt)?;
    let report = report?;
    report.print(stored);
    if report.callback.failed() > 0 || report.livez.failed() > 0 {
        bail!("some requests failed");
    }
    Ok(())
}

/// One prepared callback delivery: what WeChat would POST.
struct Delivery {
    url: String,
    body: String,
    openid: String,
}

/// Encrypts and signs every message up front so the timed loop spends the client's CPU on HTTP.
fn prepare_deliveries(address: &str, n: usize) -> anyhow::Result<Vec<Delivery>> {
    let key = AesKey::from_encoding_aes_key(AES_KEY).context("test AES key")?;
    let run_id: u32 = rand::thread_rng().r#gen();
    let timestamp = chrono::Utc::now().timestamp().to_string();
    (0..n)
        .map(|i| {
            let openid = format!("o_load_{run_id:08x}_{}", i % SENDERS);
            // Distinct per run and message: the server must not see redeliveries.
            let msg_id = (u64::from(run_id) << 24) | i as u64;
            let content = TEXTS[i % TEXTS.len()];
            let xml = format!(
                "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\
                 <FromUserName><![CDATA[{openid}]]></FromUserName>\
                 <CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
                 <Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
            );
            let encrypted = key.encrypt(&xml, APPID);
            let nonce = (100_000_000 + i).to_string();
            let sig = signature::sign(&[TOKEN, &timestamp, &nonce]);
            let msg_sig = signature::sign(&[TOKEN, &timestamp, &nonce, &encrypted]);
            Ok(Delivery {
                url: format!(
                    "{address}/wechat/callback?signature={sig}&timestamp={timestamp}&nonce={nonce}\
                     &openid={openid}&encrypt_type=aes&msg_signature={msg_sig}"
                ),
                body: format!(
                    "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>\
                     <Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
                ),
                openid,
            })
        })
        .collect()
}

struct Report {
    database: String,
    requests: usize,
    concurrency: usize,
    callback: Phase,
    livez: Phase,
}

impl Report {
    fn print(&self, stored: u64) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\nbabyvax callback load: {}; N={} per phase, C={}; {}",
            self.database,
            self.requests,
            self.concurrency,
            chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        );
        println!(
            "client (1 tokio thread) and server (actix System + workers) share this machine's \
             {cores} cores; request logging off\n"
        );
        load::print_table(
            23,
            &[
                ("POST /wechat/callback", "callback", &self.callback),
                ("GET /livez (ceiling)", "livez", &self.livez),
            ],
        );
        println!(
            "\ninbound_messages rows stored: {stored} (expected {})",
            self.requests
        );
    }
}

async fn drive(address: &str, args: &Args, database: &str) -> anyhow::Result<Report> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let deliveries = prepare_deliveries(address, args.requests)?;
    let key = AesKey::from_encoding_aes_key(AES_KEY).context("test AES key")?;
    let callback = load::run_phase(args.concurrency, args.requests, |i| {
        let (delivery, key) = (&deliveries[i], &key);
        let request = http.post(&delivery.url).body(delivery.body.clone());
        async move {
            let body = load::fetch(request).await?;
            // `success` instead of a reply: the reply budget ran out.
            if body == "success" {
                return Err(Failure::Body("NoReply"));
            }
            let body = std::str::from_utf8(&body).map_err(|_| Failure::Body("BadReply"))?;
            check_reply(body, key, &delivery.openid).map_err(|_| Failure::Body("BadReply"))
        }
    })
    .await;
    let livez = load::ceiling_phase(&http, address, args.concurrency, args.requests).await;
    Ok(Report {
        database: database.to_owned(),
        requests: args.requests,
        concurrency: args.concurrency,
        callback,
        livez,
    })
}

/// Checks a safe-mode reply: its msg_signature, that it decrypts for our appid, and that the
/// plaintext is a text reply addressed to the sender.
fn check_reply(body: &str, key: &AesKey, openid: &str) -> anyhow::Result<()> {
    let envelope = fields(body)?;
    let field = |name: &str| {
        envelope
            .get(name)
            .map(String::as_str)
            .with_context(|| format!("reply envelope lacks {name}"))
    };
    let (encrypted, timestamp, nonce) = (field("Encrypt")?, field("TimeStamp")?, field("Nonce")?);
    if !signature::verify(
        field("MsgSignature")?,
        &[TOKEN, timestamp, nonce, encrypted],
    ) {
        bail!("reply msg_signature does not verify");
    }
    let reply = fields(&key.decrypt(encrypted, APPID)?)?;
    if reply.get("ToUserName").map(String::as_str) != Some(openid)
        || reply.get("MsgType").map(String::as_str) != Some("text")
        || reply.get("Content").is_none_or(|c| c.is_empty())
    {
        bail!("unexpected reply {reply:?}");
    }
    Ok(())
}

/// The text of each element of a flat XML document, by element name.
fn fields(xml: &str) -> anyhow::Result<HashMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = HashMap::new();
    let mut current: Option<String> = None;
    loop {
        match reader.read_event()? {
            Event::Start(e) => {
                current = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Event::End(_) => current = None,
            Event::Text(t) => {
                if let Some(name) = &current {
                    let text = t.decode()?;
                    out.entry(name.clone())
                        .or_insert_with(String::new)
                        .push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(name) = &current {
                    out.entry(name.clone())
                        .or_insert_with(String::new)
                        .push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}
