//! Load on the coupon race: M members claim at once from a template with S coupons (each member
//! once, C in flight), then the S winners ask for redemption codes and a clerk redeems them all
//! (C in flight). Reports claims/s and redemptions/s with p50/p99, and checks that exactly S
//! coupons were claimed and redeemed once each.
//!
//! ```sh
//! cargo run --release --example coupons_load -- [--members M] [--stock S] [--concurrency C] \
//!     [--database-url postgres://user@host:5432/db]
//! ```
//!
//! Same set-up as the other load examples (`examples/support/`): the real server in-process on
//! 127.0.0.1:0 on its own actix System thread, the client on one single-threaded tokio runtime,
//! both on this machine's cores, so the figures are a floor for the server alone. Without
//! `--database-url` the database is SQLite in a temporary directory; with it, a fresh schema on
//! that PostgreSQL server, dropped afterwards.

#[path = "support/load.rs"]
mod load;
#[path = "support/partners.rs"]
mod partners;
#[path = "support/server.rs"]
mod server;

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, bail};
use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::{Clock, SystemClock};
use babyvax::config::RawSettings;
use babyvax::startup;
use chrono::{Duration, Utc};
use clap::Parser;
use entity::{coupon_redemptions, coupon_templates, coupons, members, merchant_staff};
use load::{Failure, Phase};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

const JWT_SECRET: &str = "coupons-load-secret";

#[derive(Parser)]
#[command(about = "M members race for S coupons, then a clerk redeems the S coupons")]
struct Args {
    /// Members, each claiming once.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Coupons in stock.
    #[arg(long, default_value_t = 100)]
    stock: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

struct Seeded {
    template_id: i32,
    member_tokens: Vec<String>,
    clerk_token: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.members, args.concurrency)?;
    if args.stock == 0 || args.stock > args.members {
        bail!("--stock must be between 1 and --members");
    }
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        jwt_secret: Some(JWT_SECRET.to_owned().into()),
        push_enabled: false,
        ..RawSettings::default()
    };
    let (members_n, stock) = (args.members, args.stock);
    let (server, seeded) = server::start(
        raw,
        args.database_url.as_deref(),
        async move |db| seed(db, members_n, stock).await,
        async |db| Ok(stored(db).await?),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args, &seeded));
    let database = server.database.clone();
    let (claimed, used, redemptions) = server.stop(&client_rt)?;
    let report = report?;
    report.print(&database, &args);
    println!("\nstored: {claimed} coupons, {used} used, {redemptions} redemptions");
    if report.won != args.stock || claimed != args.stock as u64 {
        bail!(
            "{} claims won and {claimed} coupons stored for a stock of {}",
            report.won,
            args.stock
        );
    }
    if used != args.stock as u64 || redemptions != args.stock as u64 {
        bail!(
            "{used} coupons used and {redemptions} redemptions for {} coupons",
            args.stock
        );
    }
    if report.claims.failed() > 0 || report.redeem.failed() > 0 {
        bail!("some requests failed");
    }
    Ok(())
}

/// Coupons stored, coupons used, redemptions.
async fn stored(db: &DatabaseConnection) -> Result<(u64, u64, u64), sea_orm::DbErr> {
    let claimed = coupons::Entity::find().count(db).await?;
    let used = coupons::Entity::find()
        .filter(coupons::Column::Status.eq("used"))
        .count(db)
        .await?;
    let redemptions = coupon_redemptions::Entity::find().count(db).await?;
    Ok((claimed, used, redemptions))
}

async fn seed(db: &DatabaseConnection, count: usize, stock: usize) -> anyhow::Result<Seeded> {
    let now = SystemClock.now();
    let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
    let (merchant, store) = partners::partner_store(db, "压测母婴店", "baby_shop", now).await?;
    // The clerk logs in with a token minted here: no password hashing in the load.
    let clerk = merchant_staff::ActiveModel {
        username: Set("load.clerk".into()),
        password_hash: Set("unused".into()),
        merchant_id: Set(merchant.id),
        store_id: Set(Some(store.id)),
        role: Set("clerk".into()),
        disabled: Set(false),
        created_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let stock = i32::try_from(stock).context("stock")?;
    let template = coupon_templates::ActiveModel {
        merchant_id: Set(Some(merchant.id)),
        title: Set("满100减20".into()),
        description: Set(String::new()),
        kind: Set("cash".into()),
        amount_fen: Set(Some(2000)),
        threshold_fen: Set(10000),
        percent_off: Set(None),
        max_off_fen: Set(None),
        validity_type: Set("relative".into()),
        valid_from: Set(None),
        valid_to: Set(None),
        valid_days: Set(Some(30)),
        total_stock: Set(stock),
        remaining: Set(stock),
        per_member_limit: Set(1),
        claim_from: Set(now - Duration::hours(1)),
        claim_to: Set(now + Duration::days(1)),
        age_min_days: Set(None),
        age_max_days: Set(None),
        cities: Set(None),
        points_cost: Set(0),
        status: Set("live".into()),
        reject_reason: Set(None),
        created_by: Set("operator:0".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut member_tokens = Vec::with_capacity(count);
    for i in 0..count {
        let member = members::ActiveModel {
            openid: Set(format!("o_coupon_load_{i}")),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        member_tokens.push(keys.issue(Audience::Member, member.id, Utc::now())?.token);
    }
    let clerk_token = keys
        .issue(Audience::MerchantStaff, clerk.id, Utc::now())?
        .token;
    Ok(Seeded {
        template_id: template.id,
        member_tokens,
        clerk_token,
    })
}

struct Report {
    livez: Phase,
    claims: Phase,
    won: usize,
    sold_out: usize,
    codes: Phase,
    redeem: Phase,
}

impl Report {
    fn print(&self, database: &str, args: &Args) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\nbabyvax coupons load: {database}; {} members racing for {} coupons; C={}; {}",
            args.members,
            args.stock,
            args.concurrency,
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
        );
        println!(
            "client (1 tokio thread) and server (actix System + workers) share this machine's {cores} cores\n"
        );
        load::print_table(
            34,
            &[
                ("POST /api/v1/coupons/claims", "claims", &self.claims),
                ("POST /api/v1/coupons/{id}/code", "codes", &self.codes),
                ("POST /merchant/v1/redemptions", "redeem", &self.redeem),
                ("GET /livez (ceiling)", "livez", &self.livez),
            ],
        );
        println!(
            "\nclaims: {} won (201), {} sold_out (409)",
            self.won, self.sold_out
        );
    }
}

async fn drive(address: &str, args: &Args, seeded: &Seeded) -> anyhow::Result<Report> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let claim_url = format!("{address}/api/v1/coupons/claims");
    let won = AtomicUsize::new(0);
    let sold_out = AtomicUsize::new(0);
    let winners = std::sync::Mutex::new(Vec::new());
    let claims = load::run_phase(args.concurrency, args.members, |i| {
        let token = &seeded.member_tokens[i];
        let request = http
            .post(&claim_url)
            .bearer_auth(token)
            .json(&serde_json::json!({ "template_id": seeded.template_id, "request_id": format!("load-{i}") }));
        let (won, sold_out, winners) = (&won, &sold_out, &winners);
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.map_err(|_| Failure::Transport)?;
            match (status, body["code"].as_str()) {
                (201, _) => {
                    let coupon = body["id"].as_i64().ok_or(Failure::Body("NoCouponId"))?;
                    won.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut w) = winners.lock() {
                        w.push((i, coupon));
                    }
                    Ok(())
                }
                (409, Some("sold_out")) => {
                    sold_out.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                _ => Err(Failure::Status(status)),
            }
        }
    })
    .await;
    let winners = winners.into_inner().unwrap_or_default();

    let codes_found = std::sync::Mutex::new(Vec::new());
    let codes = load::run_phase(args.concurrency, winners.len(), |n| {
        let (i, coupon) = winners[n];
        let request = http
            .post(format!("{address}/api/v1/coupons/{coupon}/code"))
            .bearer_auth(&seeded.member_tokens[i]);
        let codes_found = &codes_found;
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            let status = response.status().as_u16();
            if status != 201 {
                return Err(Failure::Status(status));
            }
            let body: serde_json::Value = response.json().await.map_err(|_| Failure::Transport)?;
            let code = body["code"]
                .as_str()
                .ok_or(Failure::Body("NoCode"))?
                .to_owned();
            if let Ok(mut c) = codes_found.lock() {
                c.push(code);
            }
            Ok(())
        }
    })
    .await;
    let codes_found = codes_found.into_inner().unwrap_or_default();

    let redeem_url = format!("{address}/merchant/v1/redemptions");
    let redeem = load::run_phase(args.concurrency, codes_found.len(), |n| {
        let request = http
            .post(&redeem_url)
            .bearer_auth(&seeded.clerk_token)
            .json(&serde_json::json!({ "code": codes_found[n], "request_id": format!("till-{n}"), "order_amount_fen": 12000 }));
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            match response.status().as_u16() {
                201 => Ok(()),
                status => Err(Failure::Status(status)),
            }
        }
    })
    .await;

    let livez = load::ceiling_phase(&http, address, args.concurrency, args.members).await;

    Ok(Report {
        livez,
        claims,
        won: won.into_inner(),
        sold_out: sold_out.into_inner(),
        codes,
        redeem,
    })
}
