//! Points at scale: M members with 400 days of activity (weekly credits as check-ins, a spend of
//! up to 60 points a quarter by a third of them, lots and balances consistent with the ledger), then N check-ins over HTTP at
//! concurrency C (each by a different member: one check-in per member and day). Before the
//! server starts, the daily expiry job is timed as of the first day of next month (when the lots
//! of the month a year and a bit ago expire), run twice (the second finds nothing), and
//! `points verify` is timed.
//!
//! ```sh
//! cargo run --release --example points_load -- [--members 100000] [--requests 20000] \
//!     [--concurrency 32] [--database-url postgres://user@host:5432/db]
//! ```
//!
//! Same set-up as `examples/callback_load.rs` (`examples/support/`): the real server in-process on
//! 127.0.0.1:0 on its own actix System thread (plus its workers), the client on one
//! single-threaded tokio runtime; both share the machine's cores, so the figures are a floor for
//! the server alone. Without `--database-url` the database is SQLite in a temporary directory;
//! with a PostgreSQL URL a fresh schema `load_<random>` is created and dropped at the end.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::{Clock, SystemClock};
use babyvax::config::RawSettings;
use babyvax::domain::points::{DEFAULT_EXPIRY_MONTHS, lot_expires_on};
use babyvax::service::points::expiry::{self, ExpiryReport};
use babyvax::service::points::verify;
use babyvax::startup;
use chrono::{Datelike, Days, Months, NaiveDate, Utc};
use clap::Parser;
use load::{Failure, Phase};
use sea_orm::{ConnectionTrait, DatabaseConnection};

const JWT_SECRET: &str = "points-load-secret";
const MAX_MEMBERS: usize = 2_000_000;
/// Days of activity before today: a year and a bit, so that the oldest lots expire.
const HISTORY_DAYS: u64 = 400;

#[derive(Parser)]
#[command(about = "Seed members with a year of points, load check-ins, time the expiry job")]
struct Args {
    /// Members with a year of activity.
    #[arg(long, default_value_t = 100_000)]
    members: usize,
    /// Check-ins over HTTP (each by a different member; at most --members).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// `postgres://...` to run on PostgreSQL (in a fresh schema); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
}

struct Seeded {
    tokens: Vec<String>,
    rows: u64,
    lots: u64,
    elapsed: Duration,
}

struct AfterRun {
    first: (ExpiryReport, Duration),
    second: (ExpiryReport, Duration),
    verify: (u64, usize, Duration),
    as_of: NaiveDate,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.requests, args.concurrency)?;
    if !(1..=MAX_MEMBERS).contains(&args.members) {
        bail!("--members must be between 1 and {MAX_MEMBERS}");
    }
    if args.requests > args.members {
        bail!("--requests is at most --members: one check-in per member and day");
    }
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        jwt_secret: Some(JWT_SECRET.to_owned().into()),
        // The job is timed on its own below, not raced by serve's loop.
        points_expiry_enabled: false,
        push_enabled: false,
        ..RawSettings::default()
    };
    let (members, tokens_wanted) = (args.members, args.requests);
    // The job and verify run on the seeded database before the server starts: the pool's
    // PostgreSQL connections opened by the server's workers die with them.
    let (server, (seeded, after)) = server::start(
        raw,
        args.database_url.as_deref(),
        async move |db| {
            let seeded = seed(db, members, tokens_wanted).await?;
            Ok((seeded, after(db).await?))
        },
        async |_| Ok(()),
    )?;
    println!(
        "seeded {} members: {} ledger rows, {} lots in {:.1} s",
        members,
        seeded.rows,
        seeded.lots,
        seeded.elapsed.as_secs_f64()
    );
    let phase = client_rt.block_on(drive(&server.address, &args, &seeded.tokens));
    let database = server.database.clone();
    server.stop(&client_rt)?;
    let (phase, livez) = phase?;
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "\nbabyvax points load: {database}; {members} members; N={} check-ins, C={}; {}",
        args.requests,
        args.concurrency,
        Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
    println!("client (1 tokio thread) and server share this machine's {cores} cores\n");
    load::print_table(
        29,
        &[
            ("POST /api/v1/points/check-ins", "check-in", &phase),
            ("GET /livez (ceiling)", "livez", &livez),
        ],
    );
    let (first, t1) = after.first;
    let (second, t2) = after.second;
    println!(
        "\nexpiry job as of {}: {} members, {} expire rows, {} points in {:.2} s",
        after.as_of,
        first.members,
        first.rows,
        first.points,
        t1.as_secs_f64()
    );
    println!(
        "expiry job again, same day: {} rows in {:.2} s",
        second.rows,
        t2.as_secs_f64()
    );
    let (checked, differences, t3) = after.verify;
    println!(
        "points verify: {checked} members, {differences} differences in {:.2} s",
        t3.as_secs_f64()
    );
    if phase.failed() > 0 || livez.failed() > 0 || differences > 0 || second.rows > 0 {
        bail!("some check-ins failed, the ledger does not add up, or the job was not idempotent");
    }
    Ok(())
}

/// Multi-row INSERTs of literal rows.
struct Batch {
    head: &'static str,
    rows: Vec<String>,
    total: u64,
}

const PER_STATEMENT: usize = 500;

impl Batch {
    fn new(head: &'static str) -> Self {
        Batch {
            head,
            rows: Vec::new(),
            total: 0,
        }
    }

    /// Rows wait for [`Batch::flush`], so that parents (members) are written before children.
    async fn push<C: ConnectionTrait>(&mut self, _db: &C, row: String) -> anyhow::Result<()> {
        self.rows.push(row);
        Ok(())
    }

    async fn flush<C: ConnectionTrait>(&mut self, db: &C) -> anyhow::Result<()> {
        for chunk in self.rows.chunks(PER_STATEMENT) {
            let sql = format!("{} VALUES {}", self.head, chunk.join(","));
            db.execute_unprepared(&sql).await?;
            self.total += chunk.len() as u64;
        }
        self.rows.clear();
        Ok(())
    }
}

/// One member's year: a check-in credit every week (5-30 points); a third of the members spend
/// up to 60 points a quarter from the earliest-expiring lots (which drains their oldest lots),
/// the others never spend (their oldest lots expire); no expiry swept yet.
async fn seed(
    db: &DatabaseConnection,
    members: usize,
    tokens_wanted: usize,
) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let clock = SystemClock;
    let now = clock.now();
    let today = clock.today_shanghai();
    let first_day = today
        .checked_sub_days(Days::new(HISTORY_DAYS))
        .context("history start")?;
    let stamp = now.format("%Y-%m-%d %H:%M:%S%:z").to_string();
    let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
    let mut member_rows =
        Batch::new("INSERT INTO members (id, openid, created_at, updated_at, last_login_at)");
    let mut accounts =
        Batch::new("INSERT INTO points_accounts (member_id, balance, growth, updated_at)");
    let mut ledger = Batch::new(
        "INSERT INTO points_ledger (id, member_id, delta, balance_after, growth_delta, \
         growth_after, reason, reference, idempotency_key, expires_on, day, note, created_at)",
    );
    let mut lots =
        Batch::new("INSERT INTO points_lots (id, member_id, points, remaining, expires_on)");
    let mut check_ins =
        Batch::new("INSERT INTO points_check_ins (member_id, day, streak_day, points, created_at)");
    let mut tokens = Vec::with_capacity(tokens_wanted);
    let mut next_id: i64 = 1;
    let txn = db;
    for m in 1..=members {
        let member = i32::try_from(m).context("member id")?;
        member_rows
            .push(
                txn,
                format!("({member}, 'o_points_{member}', '{stamp}', '{stamp}', '{stamp}')"),
            )
            .await?;
        if tokens.len() < tokens_wanted {
            tokens.push(keys.issue(Audience::Member, member, Utc::now())?.token);
        }
        let mut open: Vec<(i64, i64, i64, NaiveDate)> = Vec::new(); // id, points, remaining, expires
        let (mut balance, mut growth) = (0i64, 0i64);
        let offset = (m % 7) as u64;
        let mut day = first_day
            .checked_add_days(Days::new(offset))
            .context("first credit")?;
        let mut week = 0u64;
        while day < today {
            let points = 5 + ((m as i64 * 7 + week as i64 * 3) % 26);
            balance += points;
            growth += 1;
            let id = next_id;
            next_id += 1;
            let expires_on = lot_expires_on(day, DEFAULT_EXPIRY_MONTHS)?;
            ledger
                .push(
                    txn,
                    format!(
                        "({id}, {member}, {points}, {balance}, 1, {growth}, 'check_in', '{day}', \
                         'check_in:{day}', '{expires_on}', '{day}', NULL, '{stamp}')"
                    ),
                )
                .await?;
            check_ins
                .push(txn, format!("({member}, '{day}', 1, {points}, '{stamp}')"))
                .await?;
            open.push((id, points, points, expires_on));
            week += 1;
            if m.is_multiple_of(3) && week.is_multiple_of(13) {
                // A quarterly spend (a coupon) of up to 60 points, earliest expiry first: the
                // oldest lots keep a remainder for the expiry job.
                let spendable: i64 = open.iter().filter(|l| l.3 >= day).map(|l| l.2).sum();
                let mut left = spendable.min(60);
                if left > 0 {
                    let amount = left;
                    for lot in open.iter_mut().filter(|l| l.3 >= day && l.2 > 0) {
                        let take = left.min(lot.2);
                        lot.2 -= take;
                        left -= take;
                        if left == 0 {
                            break;
                        }
                    }
                    balance -= amount;
                    let id = next_id;
                    next_id += 1;
                    ledger
                        .push(
                            txn,
                            format!(
                                "({id}, {member}, {}, {balance}, 0, {growth}, 'spend', 'q{week}', \
                                 'spend:coupon:q{week}', NULL, '{day}', 'coupon', '{stamp}')",
                                -amount
                            ),
                        )
                        .await?;
                }
            }
            day = day.checked_add_days(Days::new(7)).context("next week")?;
        }
        accounts
            .push(txn, format!("({member}, {balance}, {growth}, '{stamp}')"))
            .await?;
        for (id, points, remaining, expires_on) in open {
            lots.push(
                txn,
                format!("({id}, {member}, {points}, {remaining}, '{expires_on}')"),
            )
            .await?;
        }
        // Parents before children: flush members first every so often.
        if m.is_multiple_of(200) {
            for batch in [
                &mut member_rows,
                &mut accounts,
                &mut ledger,
                &mut lots,
                &mut check_ins,
            ] {
                batch.flush(txn).await?;
            }
        }
    }
    for batch in [
        &mut member_rows,
        &mut accounts,
        &mut ledger,
        &mut lots,
        &mut check_ins,
    ] {
        batch.flush(txn).await?;
    }
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        // Explicit ids were inserted: move the sequences past them, and refresh the statistics.
        for table in ["members", "points_ledger", "points_check_ins"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .await?;
        }
        db.execute_unprepared("ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(Seeded {
        tokens,
        rows: ledger.total,
        lots: lots.total,
        elapsed: started.elapsed(),
    })
}

/// The first day of next month: the day the lots of a month a year ago expire.
fn next_month_start(today: NaiveDate) -> anyhow::Result<NaiveDate> {
    today
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .context("next month")
}

async fn after(db: &DatabaseConnection) -> anyhow::Result<AfterRun> {
    let clock = SystemClock;
    let as_of = next_month_start(clock.today_shanghai())?;
    let started = Instant::now();
    let first = expiry::run(db, as_of, clock.now()).await?;
    let first = (first, started.elapsed());
    let started = Instant::now();
    let second = expiry::run(db, as_of, clock.now()).await?;
    let second = (second, started.elapsed());
    let started = Instant::now();
    let report = verify::verify(db).await?;
    Ok(AfterRun {
        first,
        second,
        verify: (report.members, report.differences.len(), started.elapsed()),
        as_of,
    })
}

async fn drive(address: &str, args: &Args, tokens: &[String]) -> anyhow::Result<(Phase, Phase)> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let url = format!("{address}/api/v1/points/check-ins");
    let check_ins = load::run_phase(args.concurrency, args.requests, |i| {
        let request = http
            .post(&url)
            .header("Authorization", format!("Bearer {}", tokens[i]));
        async move {
            let response = request.send().await.map_err(|_| Failure::Transport)?;
            let status = response.status();
            let body = response.bytes().await.map_err(|_| Failure::Transport)?;
            if status != reqwest::StatusCode::CREATED {
                return Err(Failure::Status(status.as_u16()));
            }
            let answer: serde_json::Value =
                serde_json::from_slice(&body).map_err(|_| Failure::Body("NotJson"))?;
            if answer["streak"].as_i64().is_none_or(|s| s < 1) {
                return Err(Failure::Body("NoStreak"));
            }
            Ok(())
        }
    })
    .await;
    let livez = load::ceiling_phase(&http, address, args.concurrency, args.requests).await;
    Ok((check_ins, livez))
}
