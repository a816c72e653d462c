//! Load on the shop. A flash sale: M members (one order each) race for the S units of a sale
//! (per-member limit 1) from the moment it starts, C in flight; reports orders/s with p50/p99 and
//! checks that exactly S orders were created, every other member was told `out_of_stock`, and
//! the database holds S orders and a sold-out sale. Then the catalogue: P products on sale,
//! `GET /api/v1/shop/products` without and with `baby_id`, each request a page of a cursor walk
//! (first page to page `--pages`, the cursors taken from the answers), L in flight.
//!
//! ```sh
//! cargo run --release --example shop_load -- [--members M] [--units S] [--concurrency C] \
//!     [--products P] [--requests N] [--list-concurrency L] [--pages G] \
//!     [--database-url postgres://user@host:5432/db]
//! ```
//!
//! Same set-up as the other load examples (`examples/support/`): the real server in-process on
//! 127.0.0.1:0 on its own actix System thread, the client on one single-threaded tokio runtime,
//! both on this machine's cores, so the figures are a floor for the server alone. Without
//! `--database-url` the database is SQLite in a temporary directory; with it, a fresh schema on
//! that PostgreSQL server, dropped afterwards. An order with something to pay asks WeChat Pay for
//! a prepay id: a fake WeChat Pay on 127.0.0.1 (its own thread) answers at once, signed with the
//! test platform key of `tests/fixtures/pay/`, so the winners' figures include that round trip.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::{Context, bail};
use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::{Clock, SystemClock};
use babyvax::config::RawSettings;
use babyvax::service::audience::consent;
use babyvax::service::care::babies::{self, BabyInput};
use babyvax::startup;
use babyvax::wechat::pay::MerchantKey;
use chrono::{DateTime, Days, Duration, Utc};
use clap::Parser;
use entity::{members, shop_categories, shop_flash_sales, shop_orders, shop_products, shop_skus};
use load::{Failure, Phase};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryOrder, Set};
use serde_json::json;

const JWT_SECRET: &str = "shop-load-secret";
const APPID: &str = "wxmp0000000000test";
const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0000000000000000FAKE00000001";
const SALE_PRICE_FEN: i64 = 990;
/// The readers' babies: 200 days old, inside one of the three age bands the products cycle
/// through (a quarter of the products have no band).
const BABY_AGE_DAYS: u64 = 200;
const BANDS: [(i32, i32); 3] = [(0, 180), (181, 365), (366, 1095)];
/// Members reading the catalogue, each with one baby.
const READERS: usize = 32;

#[derive(Parser)]
#[command(about = "M members race for the S units of a flash sale; then the catalogue listing")]
struct Args {
    /// Members, each ordering one unit once.
    #[arg(long, default_value_t = 2000)]
    members: usize,
    /// Units of the flash sale.
    #[arg(long, default_value_t = 20)]
    units: usize,
    /// Orders in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Products on sale in the catalogue.
    #[arg(long, default_value_t = 10_000)]
    products: usize,
    /// Listing requests per phase (without and with `baby_id`).
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    /// Listing requests in flight at once.
    #[arg(long, default_value_t = 32)]
    list_concurrency: usize,
    /// Pages of each cursor walk (20 products a page).
    #[arg(long, default_value_t = 5)]
    pages: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/pay/{name}", env!("CARGO_MANIFEST_DIR"))
}

struct Seeded {
    sale_id: i32,
    sku_id: i32,
    starts_at: DateTime<Utc>,
    buyer_tokens: Vec<String>,
    /// (token, baby id) of each reader.
    readers: Vec<(String, i32)>,
}

/// What the database holds after the run.
struct Stored {
    orders: u64,
    sale_stock: i64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.members, args.concurrency)?;
    load::check_flags(args.requests, args.list_concurrency)?;
    if args.units == 0 || args.units > 100_000 || args.units > args.members {
        bail!("--units must be 1-100000 and at most --members");
    }
    if !(1..=100_000).contains(&args.products) || !(1..=50).contains(&args.pages) {
        bail!("--products must be 1-100000, --pages 1-50");
    }
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let pay_base = fake_pay()?;
    let raw = RawSettings {
        jwt_secret: Some(JWT_SECRET.to_owned().into()),
        push_enabled: false,
        mp_appid: Some(APPID.into()),
        mp_secret: Some("unused".to_owned().into()),
        pay_mchid: Some("1900007291".into()),
        pay_merchant_serial: Some("408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB".into()),
        pay_private_key: Some(fixture("merchant_key.pem").into()),
        pay_api_v3_key: Some("5YI2YwEdV56hCsNEoOGEeL17vRFcz3i6".to_owned().into()),
        pay_public_key: Some(fixture("platform_pub.pem")),
        pay_public_key_id: Some(PUBLIC_KEY_ID.into()),
        pay_api_base: pay_base,
        pay_notify_url: Some("https://babyvax.example/wechat/pay/notify".into()),
        ..RawSettings::default()
    };
    let (members_n, units, products) = (args.members, args.units, args.products);
    let (server, seeded) = server::start(
        raw,
        args.database_url.as_deref(),
        async move |db| seed(db, members_n, units, products).await,
        async |db| Ok(stored(db).await?),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args, &seeded));
    let database = server.database.clone();
    let stored = server.stop(&client_rt)?;
    let report = report?;
    report.print(&database, &args);
    println!(
        "\nstored: {} orders, {} units left in the sale",
        stored.orders, stored.sale_stock
    );
    if report.won != args.units || stored.orders != args.units as u64 || stored.sale_stock != 0 {
        bail!(
            "{} orders created, {} stored, {} units left for {} units",
            report.won,
            stored.orders,
            stored.sale_stock,
            args.units
        );
    }
    if report.won + report.sold_out != args.members || report.orders.failed() > 0 {
        bail!("some orders failed");
    }
    if report.plain.failed() > 0 || report.for_baby.failed() > 0 {
        bail!("some listings failed");
    }
    Ok(())
}

async fn stored(db: &DatabaseConnection) -> Result<Stored, sea_orm::DbErr> {
    let orders = shop_orders::Entity::find().count(db).await?;
    let sale_stock = shop_flash_sales::Entity::find()
        .one(db)
        .await?
        .map_or(-1, |s| s.stock);
    Ok(Stored { orders, sale_stock })
}

/// A fake WeChat Pay answering every JSAPI prepay at once, signed with the test platform key;
/// answers its base URL. Its thread lives as long as the process.
fn fake_pay() -> anyhow::Result<String> {
    let platform =
        MerchantKey::from_pem_setting(&fixture("platform_key.pem")).context("platform key")?;
    let listener = TcpListener::bind("127.0.0.1:0").context("bind fake WeChat Pay")?;
    let base = format!("http://{}", listener.local_addr()?);
    let platform = web::Data::new(platform);
    let served = AtomicUsize::new(0);
    let served = web::Data::new(served);
    let (ready, started) = std::sync::mpsc::channel::<anyhow::Result<()>>();
    std::thread::Builder::new()
        .name("fake-pay".into())
        .spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let running = HttpServer::new(move || {
                    App::new()
                        .app_data(platform.clone())
                        .app_data(served.clone())
                        .route(
                            "/v3/pay/transactions/jsapi",
                            web::post().to(
                                |key: web::Data<MerchantKey>, n: web::Data<AtomicUsize>| async move {
                                    let seq = n.fetch_add(1, Ordering::Relaxed);
                                    let body = json!({"prepay_id": format!("wx_load_{seq}")})
                                        .to_string();
                                    let ts = Utc::now().timestamp();
                                    let nonce = format!("N{seq:031}");
                                    let signature =
                                        key.sign(format!("{ts}\n{nonce}\n{body}\n").as_bytes());
                                    HttpResponse::Ok()
                                        .insert_header(("Wechatpay-Timestamp", ts.to_string()))
                                        .insert_header(("Wechatpay-Nonce", nonce))
                                        .insert_header(("Wechatpay-Signature", signature))
                                        .insert_header(("Wechatpay-Serial", PUBLIC_KEY_ID))
                                        .content_type("application/json")
                                        .body(body)
                                },
                            ),
                        )
                })
                .workers(1)
                .listen(listener);
                match running {
                    Ok(s) => {
                        let s = s.run();
                        let _ = ready.send(Ok(()));
                        s.await.ok();
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e.into()));
                    }
                }
            });
        })
        .context("spawn fake WeChat Pay")?;
    started
        .recv()
        .context("fake WeChat Pay ended before serving")??;
    Ok(base)
}

fn member(openid: String, now: DateTime<Utc>) -> members::ActiveModel {
    members::ActiveModel {
        openid: Set(openid),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    }
}

async fn seed(
    db: &DatabaseConnection,
    buyers: usize,
    units: usize,
    products: usize,
) -> anyhow::Result<Seeded> {
    let now = SystemClock.now();
    let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
    let category = shop_categories::ActiveModel {
        name: Set("护理".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The catalogue: one SKU each, in chunks (SQLite's bound-variable limit).
    let images = json!(["https://img.example/care.jpg"]).to_string();
    for chunk in (0..products).collect::<Vec<_>>().chunks(500) {
        let rows = chunk.iter().map(|&i| {
            let band = (i % 4 != 0).then(|| BANDS[i % 3]);
            shop_products::ActiveModel {
                category_id: Set(category.id),
                title: Set(format!("接种后护理包 {i}")),
                description: Set("退热贴、体温计".into()),
                images: Set(images.clone()),
                age_min_days: Set(band.map(|b| b.0)),
                age_max_days: Set(band.map(|b| b.1)),
                tags: Set("[]".into()),
                status: Set("on_sale".into()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        shop_products::Entity::insert_many(rows).exec(db).await?;
    }
    let ids: Vec<i32> = shop_products::Entity::find()
        .order_by_asc(shop_products::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    let spec = json!({"size": "M"}).to_string();
    for chunk in ids.chunks(500) {
        let rows = chunk.iter().map(|&product_id| shop_skus::ActiveModel {
            product_id: Set(product_id),
            spec: Set(spec.clone()),
            price_fen: Set(10_000),
            basic_fen: Set(Some(9_500)),
            advanced_fen: Set(Some(9_000)),
            premium_fen: Set(Some(8_000)),
            stock: Set(100),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
        shop_skus::Entity::insert_many(rows).exec(db).await?;
    }
    // The sale's product and SKU (the sale row is made last, once its start is known).
    let product = shop_products::ActiveModel {
        category_id: Set(category.id),
        title: Set("秒杀 婴儿湿巾".into()),
        description: Set(String::new()),
        images: Set(images.clone()),
        age_min_days: Set(None),
        age_max_days: Set(None),
        tags: Set("[]".into()),
        status: Set("on_sale".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let units = i64::try_from(units)?;
    let sku = shop_skus::ActiveModel {
        product_id: Set(product.id),
        spec: Set("{}".into()),
        price_fen: Set(9_900),
        basic_fen: Set(None),
        advanced_fen: Set(None),
        premium_fen: Set(None),
        stock: Set(100),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut buyer_tokens = Vec::with_capacity(buyers);
    for i in 0..buyers {
        let m = member(format!("o_shop_load_{i}"), now).insert(db).await?;
        buyer_tokens.push(keys.issue(Audience::Member, m.id, Utc::now())?.token);
    }
    let today = babyvax::domain::time::shanghai_date(now);
    let birth = today
        .checked_sub_days(Days::new(BABY_AGE_DAYS))
        .context("birth date")?;
    let mut readers = Vec::with_capacity(READERS);
    for i in 0..READERS {
        let m = member(format!("o_shop_reader_{i}"), now).insert(db).await?;
        consent::record_consent(db, m.id, consent::PRIVACY_POLICY_VERSION, now).await?;
        let input = BabyInput {
            name: format!("宝宝{i}"),
            birth_date: birth,
            sex: None,
            preterm_weeks: None,
        };
        let baby = babies::create(db, m.id, &input, today, now).await?;
        readers.push((
            keys.issue(Audience::Member, m.id, Utc::now())?.token,
            baby.id,
        ));
    }
    // The sale starts a moment after the server listens; the buyers wait for it.
    let starts_at = SystemClock.now() + Duration::seconds(2);
    let sale = shop_flash_sales::ActiveModel {
        sku_id: Set(sku.id),
        price_fen: Set(SALE_PRICE_FEN),
        initial_stock: Set(units),
        stock: Set(units),
        per_member_limit: Set(1),
        starts_at: Set(starts_at),
        ends_at: Set(starts_at + Duration::hours(2)),
        status: Set("active".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Seeded {
        sale_id: sale.id,
        sku_id: sku.id,
        starts_at,
        buyer_tokens,
        readers,
    })
}

struct Report {
    livez: Phase,
    orders: Phase,
    plain: Phase,
    for_baby: Phase,
    won: usize,
    sold_out: usize,
}

impl Report {
    fn print(&self, database: &str, args: &Args) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\nbabyvax shop load: {database}; {} members racing for {} flash-sale units (C={}); \
             {} products, N={} listings per phase over {} pages (C={}); {}",
            args.members,
            args.units,
            args.concurrency,
            args.products,
            args.requests,
            args.pages,
            args.list_concurrency,
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
        );
        println!(
            "client (1 tokio thread) and server (actix System + workers) share this machine's {cores} cores\n"
        );
        load::print_table(
            40,
            &[
                (
                    "POST /api/v1/shop/orders (flash sale)",
                    "order",
                    &self.orders,
                ),
                ("GET /api/v1/shop/products", "list", &self.plain),
                (
                    "GET /api/v1/shop/products?baby_id=",
                    "list_baby",
                    &self.for_baby,
                ),
                ("GET /livez (ceiling)", "livez", &self.livez),
            ],
        );
        println!(
            "\norders: {} created (201), {} out_of_stock (409)",
            self.won, self.sold_out
        );
    }
}

/// The cursors of a walk of `pages` pages (None for the first), taken from the answers.
async fn cursors(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    baby: Option<i32>,
    pages: usize,
) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = vec![None];
    while out.len() < pages {
        let mut request = http.get(url).bearer_auth(token);
        if let Some(baby) = baby {
            request = request.query(&[("baby_id", baby)]);
        }
        if let Some(Some(cursor)) = out.last() {
            request = request.query(&[("cursor", cursor)]);
        }
        let page: serde_json::Value = request.send().await?.error_for_status()?.json().await?;
        let Some(next) = page["next_cursor"].as_str() else {
            break;
        };
        out.push(Some(next.to_owned()));
    }
    Ok(out)
}

async fn list_phase(
    http: &reqwest::Client,
    url: &str,
    args: &Args,
    seeded: &Seeded,
    with_baby: bool,
    walk: &[Option<String>],
) -> Phase {
    load::run_phase(args.list_concurrency, args.requests, |i| {
        let (token, baby) = &seeded.readers[i % seeded.readers.len()];
        let mut request = http.get(url).bearer_auth(token);
        if with_baby {
            request = request.query(&[("baby_id", baby)]);
        }
        if let Some(cursor) = &walk[i % walk.len()] {
            request = request.query(&[("cursor", cursor)]);
        }
        async move {
            let body = load::fetch(request).await?;
            let page: serde_json::Value =
                serde_json::from_slice(&body).map_err(|_| Failure::Body("NotJson"))?;
            if page["items"].as_array().map(Vec::len) != Some(20) {
                return Err(Failure::Body("ShortPage"));
            }
            Ok(())
        }
    })
    .await
}

async fn drive(address: &str, args: &Args, seeded: &Seeded) -> anyhow::Result<Report> {
    let http = load::warmed_client(address, args.concurrency.max(args.list_concurrency)).await?;
    // The buyers wait for the sale's start.
    let wait = (seeded.starts_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(20)).await;
    let url = format!("{address}/api/v1/shop/orders");
    let won = AtomicUsize::new(0);
    let sold_out = AtomicUsize::new(0);
    let orders = load::run_phase(args.concurrency, args.members, |i| {
        let request = http
            .post(&url)
            .bearer_auth(&seeded.buyer_tokens[i])
            .json(&json!({
                "items": [{"sku_id": seeded.sku_id, "quantity": 1}],
                "flash_sale_id": seeded.sale_id,
                "address": {"name": "王芳", "phone": "13800000000", "province": "浙江省",
                            "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"},
                "request_id": format!("load-{i}"),
            }));
        let (won, sold_out) = (&won, &sold_out);
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.map_err(|_| Failure::Transport)?;
            match (status, body["code"].as_str()) {
                (201, _) => {
                    if body["status"] != "pending_payment"
                        || body["payable_fen"] != SALE_PRICE_FEN
                        || body["pay_params"].is_null()
                    {
                        return Err(Failure::Body("NotPendingPayment"));
                    }
                    won.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                (409, Some("out_of_stock")) => {
                    sold_out.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                _ => Err(Failure::Status(status)),
            }
        }
    })
    .await;
    let list_url = format!("{address}/api/v1/shop/products");
    let (token, baby) = &seeded.readers[0];
    let plain_walk = cursors(&http, &list_url, token, None, args.pages).await?;
    let baby_walk = cursors(&http, &list_url, token, Some(*baby), args.pages).await?;
    let plain = list_phase(&http, &list_url, args, seeded, false, &plain_walk).await;
    let for_baby = list_phase(&http, &list_url, args, seeded, true, &baby_walk).await;
    let livez = load::ceiling_phase(&http, address, args.list_concurrency, args.requests).await;
    Ok(Report {
        livez,
        orders,
        plain,
        for_baby,
        won: won.into_inner(),
        sold_out: sold_out.into_inner(),
    })
}
