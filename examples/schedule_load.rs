//! Load on `GET /api/v1/babies/{id}/schedule`: B babies with realistic histories (every dose
//! given on its recommended date up to today, a third of them with self-paid opt-ins), then N
//! authenticated schedule requests at concurrency C spread over them, then the same N against
//! `GET /livez` (the ceiling: the HTTP stack without auth, database or engine).
//!
//! ```sh
//! cargo run --release --example schedule_load -- [--requests N] [--concurrency C] [--babies B]
//! ```
//!
//! Same set-up as `examples/callback_load.rs` (`examples/support/`): the real server in-process on
//! 127.0.0.1:0 on its own actix System thread (plus its workers), SQLite in a temporary directory,
//! and the client on one single-threaded tokio runtime; both share the machine's cores, so the
//! figures are a floor for the server alone. Requests are bounded by N; the run stops by itself.

#[path = "support/load.rs"]
mod load;
#[path = "support/server.rs"]
mod server;

use anyhow::{Context, bail};
use babyvax::auth::{Audience, JwtKeys};
use babyvax::clock::{Clock, SystemClock};
use babyvax::config::RawSettings;
use babyvax::service::audience::consent;
use babyvax::service::care::babies::{self, BabyInput};
use babyvax::service::care::doses::{self, DoseInput};
use babyvax::service::care::opt_ins::{self, OptInsInput};
use babyvax::service::care::schedule::{self, DoseState};
use babyvax::startup;
use chrono::{Days, Utc};
use clap::Parser;
use load::{Failure, Phase};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

const JWT_SECRET: &str = "schedule-load-secret";
const MAX_BABIES: usize = 10_000;

#[derive(Parser)]
#[command(about = "Load GET /api/v1/babies/{id}/schedule on SQLite, then GET /livez")]
struct Args {
    /// Requests per phase.
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Babies (one per member) whose schedules are asked for, round robin.
    #[arg(long, default_value_t = 200)]
    babies: usize,
}

/// A baby and its owner's token.
struct Target {
    baby_id: i32,
    token: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    load::check_flags(args.requests, args.concurrency)?;
    if !(1..=MAX_BABIES).contains(&args.babies) {
        bail!("--babies must be between 1 and {MAX_BABIES}");
    }
    startup::install_crypto_provider();
    let client_rt = load::client_runtime()?;
    let raw = RawSettings {
        jwt_secret: Some(JWT_SECRET.to_owned().into()),
        ..RawSettings::default()
    };
    let babies = args.babies;
    let (server, (targets, doses)) = server::start(
        raw,
        None,
        async move |db| seed(db, babies).await,
        async |_| Ok(()),
    )?;
    let report = client_rt.block_on(drive(&server.address, &args, targets));
    let database = server.database.clone();
    server.stop(&client_rt)?;
    let report = report?;
    report.print(&database, doses);
    if report.schedule.failed() > 0 || report.livez.failed() > 0 {
        bail!("some requests failed");
    }
    Ok(())
}

/// `count` members with one consented baby each, aged from a few days to six years, every dose
/// recorded on its recommended date up to today. Answers the targets and the doses recorded.
async fn seed(db: &DatabaseConnection, count: usize) -> anyhow::Result<(Vec<Target>, usize)> {
    let clock = SystemClock;
    let now = clock.now();
    let today = clock.today_shanghai();
    let keys = JwtKeys::from_secret(JWT_SECRET.as_bytes());
    let mut targets = Vec::with_capacity(count);
    let mut doses = 0;
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
        consent::record_consent(db, member.id, consent::PRIVACY_POLICY_VERSION, now).await?;
        // Ages spread over 0..6 years, so histories range from 2 to ~30 doses.
        let age_days = 3 + (i as u64 * 2190 / count as u64);
        let birth = today
            .checked_sub_days(Days::new(age_days))
            .context("birth date")?;
        let input = BabyInput {
            name: format!("宝宝{i}"),
            birth_date: birth,
            sex: None,
            preterm_weeks: None,
        };
        let baby = babies::create(db, member.id, &input, today, now).await?;
        if i % 3 == 0 {
            let opt_ins = OptInsInput {
                vaccines: vec!["PCV13".into(), "EV71".into()],
            };
            opt_ins::set_opt_ins(db, member.id, baby.id, &opt_ins, today, now).await?;
        }
        let plan = schedule::schedule(db, member.id, baby.id, None, today).await?;
        for dose in plan.doses {
            let Some(on) = dose.recommended.filter(|d| *d <= today) else {
                continue;
            };
            if dose.status == DoseState::NotApplicable {
                continue;
            }
            let record = DoseInput {
                vaccine: dose.vaccine,
                dose: i32::from(dose.dose),
                date: on,
                clinic: Some("社区卫生服务中心".into()),
            };
            // A dose the engine refuses on this history is simply not recorded.
            if doses::add_dose(db, member.id, baby.id, &record, today, now)
                .await
                .is_ok()
            {
                doses += 1;
            }
        }
        let token = keys.issue(Audience::Member, member.id, Utc::now())?.token;
        targets.push(Target {
            baby_id: baby.id,
            token,
        });
    }
    Ok((targets, doses))
}

struct Report {
    requests: usize,
    concurrency: usize,
    babies: usize,
    schedule: Phase,
    livez: Phase,
}

impl Report {
    fn print(&self, database: &str, doses: usize) {
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!(
            "\nbabyvax schedule load: {database}; {} babies, {doses} doses recorded; N={} per phase, C={}; {}",
            self.babies,
            self.requests,
            self.concurrency,
            Utc::now().format("%Y-%m-%d %H:%M UTC"),
        );
        println!(
            "client (1 tokio thread) and server (actix System + workers) share this machine's {cores} cores\n"
        );
        load::print_table(
            34,
            &[
                (
                    "GET /api/v1/babies/{id}/schedule",
                    "schedule",
                    &self.schedule,
                ),
                ("GET /livez (ceiling)", "livez", &self.livez),
            ],
        );
    }
}

async fn drive(address: &str, args: &Args, targets: Vec<Target>) -> anyhow::Result<Report> {
    let http = load::warmed_client(address, args.concurrency).await?;
    let requests: Vec<(String, String)> = targets
        .iter()
        .map(|t| {
            (
                format!("{address}/api/v1/babies/{}/schedule", t.baby_id),
                format!("Bearer {}", t.token),
            )
        })
        .collect();

    let schedule = load::run_phase(args.concurrency, args.requests, |i| {
        let (url, auth) = &requests[i % requests.len()];
        let request = http.get(url).header("Authorization", auth.as_str());
        async move {
            let body = load::fetch(request).await?;
            // Cheap sanity check without parsing on the client's one thread.
            if !body.starts_with(b"{\"baby_id\"") {
                return Err(Failure::Body("BadBody"));
            }
            Ok(())
        }
    })
    .await;
    let livez = load::ceiling_phase(&http, address, args.concurrency, args.requests).await;

    Ok(Report {
        requests: args.requests,
        concurrency: args.concurrency,
        babies: targets.len(),
        schedule,
        livez,
    })
}
