//! Push engine benchmark: seeds babies with realistic histories, times one day's planning, then
//! sending throughput to the fake WeChat on loopback.
//!
//! ```sh
//! cargo run --release --example push_bench -- --babies 1000000
//! cargo run --release --example push_bench -- --babies 1000000 \
//!     --database postgres://postgres@127.0.0.1:5432/bench
//! # seed once into a kept SQLite file, then time planning alone as often as needed:
//! cargo run --release --example push_bench -- --babies 100000 --keep /tmp/push100k.db
//! cargo run --release --example push_bench -- --keep /tmp/push100k.db --plan-only
//! # the same on PostgreSQL (the database is kept anyway):
//! cargo run --release --example push_bench -- --plan-only --database postgres://...
//! ```
//!
//! `--plan-only` skips seeding: it puts `push_schedule` back as seeding left it (a copy is kept
//! in `bench_schedule_seed`), empties the outbox, times the planning twice and does not send.
//! `--send-only` puts the outbox back to pending and times sending alone. `--senders N` (default
//! 1) and `--in-flight N` (sends each sender has at WeChat at once, default 1) shape the sending.
//!
//! Seeding (the state after yesterday's planning): members (2 babies each on average), 70% of
//! them linked to an official-account follower (90% still following), babies born over the
//! last 3 years, each dose that has come due recorded on its recommended date with
//! probability 0.9 (so some are overdue), 10% of babies with no records at all; each baby's
//! `push_schedule.next_push_date` as yesterday's planning left it. Rows go in as multi-row
//! INSERTs of literal values, thousands per statement.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use babyvax::cli::demo::DEMO_TEMPLATES;
use babyvax::clock::{ManualClock, SharedClock, shanghai};
use babyvax::config::RawSettings;
use babyvax::domain::push;
use babyvax::domain::schedule::{self, Edition, GivenDose, ScheduleInput, Status};
use babyvax::fake_wechat::{FakeConfig, FakeWechat};
use babyvax::service::push::planner;
use babyvax::service::push::sender::Sender;
use babyvax::service::push::stages;
use babyvax::startup;
use chrono::{Days, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};

struct Args {
    babies: u32,
    database: Option<String>,
    senders: usize,
    /// Sends each sender has at WeChat at once (`BABYVAX_PUSH_SEND_IN_FLIGHT`).
    in_flight: u32,
    /// Keep the database (PostgreSQL) as a previous run left it, put its outbox back to
    /// pending, and measure sending only.
    send_only: bool,
    /// Reuse a seeded database: schedule reset from its seed copy, outbox emptied; plan only.
    plan_only: bool,
    /// The SQLite file to use and keep (default: a temporary one, removed at the end).
    keep: Option<std::path::PathBuf>,
}

fn args() -> anyhow::Result<Args> {
    let mut out = Args {
        babies: 1_000_000,
        database: None,
        senders: 1,
        in_flight: 1,
        send_only: false,
        plan_only: false,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--babies" => out.babies = it.next().context("--babies N")?.parse()?,
            "--database" => out.database = Some(it.next().context("--database URL")?),
            "--senders" => out.senders = it.next().context("--senders N")?.parse()?,
            "--in-flight" => out.in_flight = it.next().context("--in-flight N")?.parse()?,
            "--send-only" => out.send_only = true,
            "--plan-only" => out.plan_only = true,
            "--keep" => out.keep = Some(it.next().context("--keep PATH")?.into()),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(out)
}

/// Multi-row INSERTs of literal rows, `per` rows a statement.
struct Batch {
    head: String,
    rows: Vec<String>,
    per: usize,
    total: u64,
}

impl Batch {
    fn new(head: &str, per: usize) -> Self {
        Batch {
            head: head.to_owned(),
            rows: Vec::with_capacity(per),
            per,
            total: 0,
        }
    }

    async fn push<C: ConnectionTrait>(&mut self, db: &C, row: String) -> anyhow::Result<()> {
        self.rows.push(row);
        // Children wait for their parents' rows: only the followers and members batches
        // (nothing depends on them within the loop) flush as they fill.
        if self.rows.len() >= self.per * 50 {
            self.flush(db).await?;
        }
        Ok(())
    }

    async fn flush<C: ConnectionTrait>(&mut self, db: &C) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        for chunk in self.rows.chunks(self.per) {
            let sql = format!("{} VALUES {}", self.head, chunk.join(","));
            db.execute_unprepared(&sql).await?;
            self.total += chunk.len() as u64;
        }
        self.rows.clear();
        Ok(())
    }
}

async fn seed(db: &DatabaseConnection, n: u32, as_of: NaiveDate) -> anyhow::Result<(u64, u64)> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261123);
    let rules = push::Rules::default();
    let yesterday = as_of.pred_opt().context("date")?;
    let ts = "'2026-11-01 00:00:00+00:00'";
    let members = (n / 2).max(1);
    let followers = members * 7 / 10;
    let txn_size = 2_000;
    let mut f = Batch::new(
        "INSERT INTO followers (id, openid, subscribed, subscribe_count, created_at, updated_at)",
        2000,
    );
    for id in 1..=followers {
        let subscribed = rng.gen_bool(0.9);
        f.push(db, format!("({id}, 'bo{id}', {subscribed}, 1, {ts}, {ts})"))
            .await?;
    }
    f.flush(db).await?;
    let mut m = Batch::new(
        "INSERT INTO members (id, openid, follower_id, created_at, updated_at, last_login_at)",
        2000,
    );
    for id in 1..=members {
        let follower = if id <= followers {
            id.to_string()
        } else {
            "NULL".into()
        };
        m.push(
            db,
            format!("({id}, 'bm{id}', {follower}, {ts}, {ts}, {ts})"),
        )
        .await?;
    }
    m.flush(db).await?;
    let mut babies = Batch::new(
        "INSERT INTO babies (id, owner_member_id, name, birth_date, created_at, updated_at)",
        2000,
    );
    let mut doses = Batch::new(
        "INSERT INTO doses (baby_id, vaccine, dose, given_on, created_at, updated_at)",
        2000,
    );
    let mut sched = Batch::new(
        "INSERT INTO push_schedule (baby_id, next_push_date, updated_at)",
        4000,
    );
    let edition = Edition::current();
    let mut txn = db.begin().await?;
    for id in 1..=n {
        let age = rng.gen_range(0..3 * 365);
        let birth = yesterday
            .checked_sub_days(Days::new(age))
            .context("birth")?;
        let owner = (id - 1) % members + 1;
        babies
            .push(
                &txn,
                format!("({id}, {owner}, '宝宝', '{birth}', {ts}, {ts})"),
            )
            .await?;
        let mut given: Vec<GivenDose> = Vec::new();
        if rng.gen_bool(0.9) {
            let plain = schedule::compute(edition, &ScheduleInput::new(birth, yesterday))?;
            for dose in &plain.doses {
                if matches!(dose.status, Status::Due | Status::Overdue)
                    && let Some(on) = dose.recommended.filter(|d| *d <= yesterday)
                    && rng.gen_bool(0.9)
                {
                    given.push(GivenDose {
                        vaccine: dose.vaccine.clone(),
                        dose: dose.dose,
                        date: on,
                    });
                }
            }
        }
        let mut input = ScheduleInput::new(birth, yesterday);
        input.given = given.clone();
        let computed = match schedule::compute(edition, &input) {
            Ok(s) => s,
            Err(_) => {
                given.clear();
                schedule::compute(edition, &ScheduleInput::new(birth, yesterday))?
            }
        };
        for g in &given {
            doses
                .push(
                    &txn,
                    format!(
                        "({id}, '{}', {}, '{}', {ts}, {ts})",
                        g.vaccine, g.dose, g.date
                    ),
                )
                .await?;
        }
        let next = push::next_trigger(
            &rules,
            birth,
            &computed,
            &stages::for_birth(birth),
            yesterday,
        );
        let next = next.map_or_else(|| "NULL".to_owned(), |d| format!("'{d}'"));
        sched.push(&txn, format!("({id}, {next}, {ts})")).await?;
        if id % txn_size == 0 || id == n {
            babies.flush(&txn).await?;
            doses.flush(&txn).await?;
            sched.flush(&txn).await?;
            txn.commit().await?;
            txn = db.begin().await?;
        }
        if id % 100_000 == 0 {
            eprintln!("  seeded {id} babies");
        }
    }
    txn.commit().await?;
    // What `--plan-only` puts back before each run.
    db.execute_unprepared("DROP TABLE IF EXISTS bench_schedule_seed")
        .await?;
    db.execute_unprepared("CREATE TABLE bench_schedule_seed AS SELECT * FROM push_schedule")
        .await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        for table in ["followers", "members", "babies"] {
            db.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await?;
        }
        db.execute_unprepared("ANALYZE").await?;
    } else {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok((babies.total, doses.total))
}

/// Puts the planner's state back as seeding left it: the schedule from its seed copy, no outbox.
async fn reset_schedule(db: &DatabaseConnection) -> anyhow::Result<()> {
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    if postgres {
        db.execute_unprepared("TRUNCATE push_outbox, push_schedule")
            .await?;
    } else {
        db.execute_unprepared("DELETE FROM push_outbox").await?;
        db.execute_unprepared("DELETE FROM push_schedule").await?;
    }
    db.execute_unprepared("INSERT INTO push_schedule SELECT * FROM bench_schedule_seed")
        .await
        .context("no bench_schedule_seed: seed this database first (without --plan-only)")?;
    db.execute_unprepared(if postgres {
        "VACUUM ANALYZE push_schedule"
    } else {
        "ANALYZE"
    })
    .await?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = args()?;
    startup::install_crypto_provider();
    actix_web::rt::System::new().block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let as_of: NaiveDate = "2026-11-23".parse()?;
    let dir = std::env::temp_dir().join(format!("babyvax-push-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = match (&args.database, &args.keep) {
        (Some(url), _) => url.clone(),
        (None, Some(path)) => format!("sqlite://{}?mode=rwc", path.display()),
        (None, None) => format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
    };
    let fake = FakeWechat::start_with(FakeConfig {
        workers: 2,
        ..FakeConfig::default()
    })
    .await?;
    fake.register_app("wxbenchoa", "oa");
    fake.register_app("wxbenchmp", "mp");
    let raw = RawSettings {
        database_url: url.clone(),
        oa_appid: Some("wxbenchoa".into()),
        oa_secret: Some("oa".into()),
        mp_appid: Some("wxbenchmp".into()),
        mp_secret: Some("mp".into()),
        wechat_api_base: fake.base_url().to_string(),
        push_templates: Some(serde_json::Value::String(DEMO_TEMPLATES.into())),
        push_send_rate_per_sec: 100_000.0,
        push_batch_size: 200,
        push_send_in_flight: args.in_flight,
        push_quiet_start: "00:00".into(),
        push_quiet_end: "00:00".into(),
        ..RawSettings::default()
    };
    let settings = raw.validate()?;
    if let Some(path) = &args.keep
        && args.database.is_none()
        && !args.plan_only
        && !args.send_only
    {
        // Seeding starts from an empty file.
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            std::fs::remove_file(p).ok();
        }
    }
    let db = startup::connect_database(&url).await?;
    let backend = if url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut report = String::new();
    let ten = NaiveTime::from_hms_opt(10, 0, 0).context("time")?;
    let now = shanghai()
        .from_local_datetime(&as_of.and_time(ten))
        .single()
        .context("time")?
        .with_timezone(&Utc);
    let clock: SharedClock = Arc::new(ManualClock::new(now));
    if args.send_only {
        startup::migrate(&db).await?;
        let reset = db
            .execute_unprepared(&format!(
                "UPDATE push_outbox SET status = '{pending}', channel = NULL, template_id = NULL, \
                 openid = NULL, allowance_taken = false, attempts = 0, claimed_until = NULL, \
                 claimed_by = NULL, last_error = NULL, wechat_msgid = NULL, sent_at = NULL \
                 WHERE status <> '{suppressed}'",
                pending = push::OutboxStatus::Pending.as_str(),
                suppressed = push::OutboxStatus::Suppressed.as_str(),
            ))
            .await?;
        let _ = writeln!(
            report,
            "{backend}: {} outbox rows put back to pending",
            reset.rows_affected()
        );
    } else if args.plan_only {
        startup::migrate(&db).await?;
        reset_schedule(&db).await?;
        let t = Instant::now();
        let plan = planner::plan_day(&db, &settings.push, as_of, now, false).await?;
        let _ = writeln!(
            report,
            "{backend}: planning {as_of}: {} babies looked at, {} messages planned in {:.2?} ({:?})",
            plan.babies_considered,
            plan.total_planned(),
            t.elapsed(),
            plan.planned
        );
        let t = Instant::now();
        let again = planner::plan_day(&db, &settings.push, as_of, now, false).await?;
        let _ = writeln!(
            report,
            "{backend}: planning the same day again: {} babies looked at, {} new in {:.2?}",
            again.babies_considered,
            again.total_planned(),
            t.elapsed()
        );
        print!("{report}");
        db.close().await.ok();
        fake.stop().await;
        std::fs::remove_dir_all(&dir).ok();
        return Ok(());
    } else {
        if url.starts_with("postgres") {
            // A fresh schema each run.
            db.execute_unprepared("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                .await?;
        }
        startup::migrate(&db).await?;
        let t = Instant::now();
        let (babies, doses) = seed(&db, args.babies, as_of).await?;
        let _ = writeln!(
            report,
            "{backend}: seeded {babies} babies, {doses} doses in {:.1?}",
            t.elapsed()
        );
        let t = Instant::now();
        let plan = planner::plan_day(&db, &settings.push, as_of, now, false).await?;
        let plan_time = t.elapsed();
        let _ = writeln!(
            report,
            "{backend}: planning {as_of}: {} babies looked at, {} messages planned in {:.2?} ({:?})",
            plan.babies_considered,
            plan.total_planned(),
            plan_time,
            plan.planned
        );
        let t = Instant::now();
        let again = planner::plan_day(&db, &settings.push, as_of, now, false).await?;
        let _ = writeln!(
            report,
            "{backend}: planning the same day again: {} babies looked at, {} new in {:.2?}",
            again.babies_considered,
            again.total_planned(),
            t.elapsed()
        );
    }

    let state = startup::build_state(settings, db.clone(), clock.clone())?;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.senders.max(1) {
        let sender = Sender::new(&state);
        tasks.push(async move { sender.drain().await });
    }
    let results = futures_util::future::join_all(tasks).await;
    let elapsed = t.elapsed();
    let (mut sent, mut handled) = (0, 0);
    for r in results {
        let r = r?;
        sent += r.sent();
        handled += r.claimed;
    }
    let _ = writeln!(
        report,
        "{backend}: sending with {} sender(s), {} in flight each: {handled} rows handled ({sent} sent to the fake, the rest undeliverable), {:.2?}: {:.0} rows/s, {:.0} sends/s; fake received {}",
        args.senders,
        args.in_flight,
        elapsed,
        handled as f64 / elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64(),
        fake.sent_messages().len()
    );
    print!("{report}");
    db.close().await.ok();
    fake.stop().await;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
