//! Load on the booking race: M members book one seat each of an event with S seats at once (C in
//! flight). Reports bookings/s with p50/p99, and checks that exactly S bookings were confirmed,
//! the event's seats taken are S, and every other member was told `event_full`.
//!
//! ```sh
//! cargo run --release --example events_load -- [--members M] [--seats S] [--concurrency C] \
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

use anyhow::bail;
use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::{Clock, SystemClock};
use babyvax::config::RawSettings;
use babyvax::startup;
use chrono::{Duration, Utc};
use clap::Parser;
use entity::{event_bookings, events, members};
use load::{Failure, Phase};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    Set,
};

const JWT_SECRET: &str = "events-load-secret";

#[derive(Parser)]
#[command(about = "M members race for the S seats of one event")]
struct Args {
    /// Members, each booking one seat once.
    #[arg(long, default_value_t = 1000)]
    members: usize,
    /// Seats of the event.
    #[arg(long, default_value_t = 50)]
    seats: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

struct Seeded {
    event_id: i32,
    member_tokens: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.members, args.concurrency)?;
    if args.seats == 0 || args.seats > 10_000 {
        bail!("--seats must be 1-10000");
    }
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        jwt_secret: Some(JWT_SECRET.to_owned().into()),
        push_enabled: false,
        ..RawSettings::default()
    };
    let (members_n, seats) = (args.members, args.seats);
    let (server, seeded) = server::start(
        raw,
        args.database_url.as_deref(),
        async move |db| seed(db, members_n, seats).await,
        async |db| Ok(stored(db).await?),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args, &seeded));
    let database = server.database.clone();
    let (confirmed, taken) = server.stop(&client_rt)?;
    let report = report?;
    report.print(&database, &args);
    println!("\nstored: {confirmed} confirmed bookings, {taken} seats taken");
    if report.won != args.seats || confirmed != args.seats as u64 || taken != args.seats as i64 {
        bail!(
            "{} bookings won, {confirmed} stored, {taken} seats taken for {} seats",
            report.won,
            args.seats
        );
    }
    if report.won + report.full != args.members || report.bookings.failed() > 0 {
        bail!("some requests failed");
    }
    Ok(())
}

/// Confirmed bookings, seats taken.
async fn stored(db: &DatabaseConnection) -> Result<(u64, i64), sea_orm::DbErr> {
    let confirmed = event_bookings::Entity::find()
        .filter(event_bookings::Column::Status.eq("confirmed"))
        .count(db)
        .await?;
    let taken = events::Entity::find()
        .one(db)
        .await?
        .map_or(0, |e| i64::from(e.seats_taken));
    Ok((confirmed, taken))
}

async fn seed(db: &DatabaseConnection, count: usize, seats: usize) -> anyhow::Result<Seeded> {
    let now = SystemClock.now();
    let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
    let (merchant, store) =
        partners::partner_store(db, "压测早教中心", "early_education", now).await?;
    let event = events::ActiveModel {
        title: Set("辅食添加实操课".into()),
        description: Set(String::new()),
        kind: Set("offline_class".into()),
        speaker: Set("李营养师".into()),
        store_id: Set(Some(store.id)),
        merchant_id: Set(Some(merchant.id)),
        stream_url: Set(None),
        starts_at: Set(now + Duration::days(7)),
        ends_at: Set(now + Duration::days(7) + Duration::hours(2)),
        min_age_days: Set(None),
        max_age_days: Set(None),
        capacity: Set(i32::try_from(seats)?),
        seats_taken: Set(0),
        price_fen: Set(0),
        basic_price_fen: Set(None),
        advanced_price_fen: Set(None),
        premium_price_fen: Set(None),
        members_only: Set(false),
        booking_from: Set(now - Duration::hours(1)),
        booking_to: Set(now + Duration::days(6)),
        cancel_before: Set(now + Duration::days(5)),
        status: Set("published".into()),
        proposed_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut member_tokens = Vec::with_capacity(count);
    for i in 0..count {
        let member = members::ActiveModel {
            openid: Set(format!("o_events_load_{i}")),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        member_tokens.push(keys.issue(Audience::Member, member.id, Utc::now())?.token);
    }
    Ok(Seeded {
        event_id: event.id,
        member_tokens,
    })
}

struct Report {
    livez: Phase,
    bookings: Phase,
    won: usize,
    full: usize,
}

impl Report {
    fn print(&self, database: &str, args: &Args) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\nbabyvax events load: {database}; {} members racing for {} seats; C={}; {}",
            args.members,
            args.seats,
            args.concurrency,
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
        );
        println!(
            "client (1 tokio thread) and server (actix System + workers) share this machine's {cores} cores\n"
        );
        load::print_table(
            36,
            &[
                ("POST /api/v1/events/{id}/bookings", "book", &self.bookings),
                ("GET /livez (ceiling)", "livez", &self.livez),
            ],
        );
        println!(
            "\nbookings: {} confirmed (201), {} event_full (409)",
            self.won, self.full
        );
    }
}

async fn drive(address: &str, args: &Args, seeded: &Seeded) -> anyhow::Result<Report> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let url = format!("{address}/api/v1/events/{}/bookings", seeded.event_id);
    let won = AtomicUsize::new(0);
    let full = AtomicUsize::new(0);
    let bookings = load::run_phase(args.concurrency, args.members, |i| {
        let request = http
            .post(&url)
            .bearer_auth(&seeded.member_tokens[i])
            .json(&serde_json::json!({ "seats": 1, "request_id": format!("load-{i}") }));
        let (won, full) = (&won, &full);
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.map_err(|_| Failure::Transport)?;
            match (status, body["code"].as_str()) {
                (201, _) => {
                    if body["booking"]["status"] != "confirmed" {
                        return Err(Failure::Body("NotConfirmed"));
                    }
                    won.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                (409, Some("event_full")) => {
                    full.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                _ => Err(Failure::Status(status)),
            }
        }
    })
    .await;
    let livez = load::ceiling_phase(&http, address, args.concurrency, args.members).await;
    Ok(Report {
        livez,
        bookings,
        won: won.into_inner(),
        full: full.into_inner(),
    })
}
