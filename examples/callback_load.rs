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

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use babyvax::clock::SystemClock;
use babyvax::config::{RawSettings, Settings};
use babyvax::startup;
use babyvax::wechat::crypto::AesKey;
use babyvax::wechat::signature;
use clap::Parser;
use rand::Rng;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait};

// The credentials of tests/api/helpers.rs (WeChat's published sample values).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const ACCOUNT: &str = "gh_10f6c3c3ac5a";
/// A few followers, so that dedup keys and follower rows are not all one sender's.
const SENDERS: usize = 7;
/// Texts that hit an `exact`, a `contains` and the `default` seeded reply rule.
const TEXTS: [&str; 4] = ["帮助", "宝宝什么时候打疫苗", "hello", "月龄"];
const MAX_REQUESTS: usize = 1_000_000;
const MAX_CONCURRENCY: usize = 1024;

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
    if !(1..=MAX_REQUESTS).contains(&args.requests) {
        bail!("--requests must be between 1 and {MAX_REQUESTS}");
    }
    if !(1..=MAX_CONCURRENCY).contains(&args.concurrency) {
        bail!("--concurrency must be between 1 and {MAX_CONCURRENCY}");
    }
    startup::install_crypto_provider();

    // One single-threaded runtime for the client, so it takes at most one core from the server.
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("client runtime")?;
    let target = client_rt.block_on(LoadDatabase::prepare(args.database_url.as_deref()))?;
    let outcome = run_with_server(&client_rt, &target, &args);
    // The schema goes even when the run failed.
    client_rt.block_on(target.cleanup());
    outcome
}

fn run_with_server(
    client_rt: &tokio::runtime::Runtime,
    target: &LoadDatabase,
    args: &Args,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").context("bind 127.0.0.1:0")?;
    let address = format!("http://{}", listener.local_addr()?);
    let settings = settings(&target.url)?;
    let db_target = target.clone();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();

    // The server gets its own actix System thread, as in `babyvax serve`; its pool lives there.
    let server_thread = std::thread::Builder::new()
        .name("server".into())
        .spawn(move || -> anyhow::Result<u64> {
            actix_web::rt::System::new().block_on(async move {
                let db = db_target.connect().await?;
                startup::migrate(&db).await?;
                let state = startup::build_state(settings, db.clone(), Arc::new(SystemClock))?;
                let server = startup::serve(listener, state)?;
                // If the receiver is gone the client has failed; the server is stopped below.
                let _ = ready_tx.send(server.handle());
                server.await.context("server failed")?;
                let stored = entity::inbound_messages::Entity::find().count(&db).await?;
                db.close().await.ok();
                Ok(stored)
            })
        })
        .context("spawn server thread")?;

    let Ok(handle) = ready_rx.recv() else {
        // The thread ended before serving: report its error.
        return match server_thread.join() {
            Ok(Err(e)) => Err(e.context("server start-up")),
            _ => bail!("server thread ended before serving"),
        };
    };
    let report = client_rt.block_on(drive(&address, args, target));
    client_rt.block_on(handle.stop(true));
    let stored = match server_thread.join() {
        Ok(result) => result?,
        Err(_) => bail!("server thread panicked"),
    };
    let report = report?;
    report.print(stored);
    if report.callback.failed() > 0 || report.livez.failed() > 0 {
        bail!("some requests failed");
    }
    Ok(())
}

fn settings(database_url: &str) -> anyhow::Result<Settings> {
    let raw = RawSettings {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".into(),
        oa_appid: Some(APPID.into()),
        oa_token: Some(TOKEN.to_owned().into()),
        oa_aes_key: Some(AES_KEY.to_owned().into()),
        ..RawSettings::default()
    };
    raw.validate().context("load settings")
}

/// SQLite in a temporary directory, or a fresh schema on a PostgreSQL server.
#[derive(Clone)]
struct LoadDatabase {
    url: String,
    schema: Option<String>,
    label: String,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl LoadDatabase {
    async fn prepare(url: Option<&str>) -> anyhow::Result<Self> {
        match url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let n: u64 = rand::thread_rng().r#gen();
                let schema = format!("load_{n:016x}");
                let admin = Database::connect(url)
                    .await
                    .with_context(|| format!("connect to {}", startup::redact_url(url)))?;
                admin
                    .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                    .await
                    .context("create schema")?;
                admin.close().await.ok();
                Ok(Self {
                    url: url.to_owned(),
                    label: format!("PostgreSQL (schema {schema})"),
                    schema: Some(schema),
                    _dir: None,
                })
            }
            Some(other) => bail!(
                "--database-url must be postgres://...; got {}",
                startup::redact_url(other)
            ),
            None => {
                let dir = tempfile::tempdir().context("temp dir")?;
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("load.db").display());
                Ok(Self {
                    url,
                    schema: None,
                    label: "SQLite (temp dir, WAL)".into(),
                    _dir: Some(Arc::new(dir)),
                })
            }
        }
    }

    /// The server's pool: the production options, plus the schema for PostgreSQL.
    async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        let mut options = startup::connect_options(&self.url);
        if let Some(schema) = &self.schema {
            options.set_schema_search_path(schema.clone());
        }
        Database::connect(options).await.context("connect")
    }

    async fn cleanup(&self) {
        let Some(schema) = &self.schema else { return };
        match Database::connect(self.url.as_str()).await {
            Ok(admin) => {
                if let Err(e) = admin
                    .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                    .await
                {
                    eprintln!("could not drop schema {schema}: {e}");
                }
                admin.close().await.ok();
            }
            Err(e) => eprintln!("could not drop schema {schema}: {e}"),
        }
    }
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

/// Why a request did not count as a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Failure {
    Transport,
    Status(u16),
    /// `success` instead of a reply: the reply budget ran out.
    NoReply,
    BadReply,
}

type Phase = load::Phase<Failure>;

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
        println!(
            "| target                  |     ok | fail |   req/s | p50 ms | p90 ms | p99 ms |  max ms |"
        );
        println!(
            "|-------------------------|-------:|-----:|--------:|-------:|-------:|-------:|--------:|"
        );
        println!("{}", self.callback.row("POST /wechat/callback", 23));
        println!("{}", self.livez.row("GET /livez (ceiling)", 23));
        for (phase, name) in [(&self.callback, "callback"), (&self.livez, "livez")] {
            let mut failures: Vec<_> = phase.failures.iter().collect();
            failures.sort();
            for (kind, count) in failures {
                println!("{name} failures: {kind:?} x{count}");
            }
        }
        println!(
            "\ninbound_messages rows stored: {stored} (expected {})",
            self.requests
        );
    }
}

async fn drive(address: &str, args: &Args, target: &LoadDatabase) -> anyhow::Result<Report> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .context("HTTP client")?;
    let livez = format!("{address}/livez");
    // Open the connections before timing anything.
    let warmup: Vec<_> = (0..args.concurrency)
        .map(|_| http.get(&livez).send())
        .collect();
    for response in futures_util::future::join_all(warmup).await {
        let status = response.context("warm-up request")?.status();
        if !status.is_success() {
            bail!("warm-up GET /livez answered {status}");
        }
    }

    let deliveries = Arc::new(prepare_deliveries(address, args.requests)?);
    let key = Arc::new(AesKey::from_encoding_aes_key(AES_KEY).context("test AES key")?);
    let callback = load::run_phase(args.concurrency, args.requests, {
        let http = http.clone();
        move |i| {
            let http = http.clone();
            let deliveries = deliveries.clone();
            let key = key.clone();
            async move {
                let delivery = &deliveries[i];
                let response = http
                    .post(&delivery.url)
                    .body(delivery.body.clone())
                    .send()
                    .await
                    .map_err(|_| Failure::Transport)?;
                let status = response.status();
                let body = response.text().await.map_err(|_| Failure::Transport)?;
                if status != reqwest::StatusCode::OK {
                    return Err(Failure::Status(status.as_u16()));
                }
                if body == "success" {
                    return Err(Failure::NoReply);
                }
                check_reply(&body, &key, &delivery.openid).map_err(|_| Failure::BadReply)
            }
        }
    })
    .await;

    let livez_phase = load::run_phase(args.concurrency, args.requests, move |_| {
        let request = http.get(&livez).send();
        async move {
            let response = request.await.map_err(|_| Failure::Transport)?;
            let status = response.status();
            response.bytes().await.map_err(|_| Failure::Transport)?;
            if status != reqwest::StatusCode::OK {
                return Err(Failure::Status(status.as_u16()));
            }
            Ok(())
        }
    })
    .await;

    Ok(Report {
        database: target.label.clone(),
        requests: args.requests,
        concurrency: args.concurrency,
        callback,
        livez: livez_phase,
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
