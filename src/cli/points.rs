//! `babyvax points expire [--as-of YYYY-MM-DD]` and `babyvax points verify`.

use anyhow::bail;
use chrono::NaiveDate;

use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::service::points::{expiry, set_expiry_months, verify};
use crate::startup;

#[derive(clap::Subcommand)]
pub enum PointsCommand {
    /// Run the expiry job once: an `expire` row for each lot that expired before the day.
    /// Running it again for the same day changes nothing.
    Expire {
        /// The Asia/Shanghai day to expire as of (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
    /// Check, for every member, that the ledger adds up to the balance and to the open lots;
    /// prints each difference and exits non-zero when there is one.
    Verify,
}

pub async fn run(settings: Settings, command: PointsCommand) -> anyhow::Result<()> {
    set_expiry_months(settings.points_expiry_months).map_err(|e| anyhow::anyhow!("{e}"))?;
    let db = startup::connect_database(&settings.database_url).await?;
    startup::migrate(&db).await?;
    match command {
        PointsCommand::Expire { as_of } => {
            let clock = SystemClock;
            let today = as_of.unwrap_or_else(|| clock.today_shanghai());
            let started = std::time::Instant::now();
            let report = expiry::run(&db, today, clock.now()).await?;
            println!(
                "points expired as of {today}: {} rows, {} points, {} members ({:.2} s)",
                report.rows,
                report.points,
                report.members,
                started.elapsed().as_secs_f64()
            );
        }
        PointsCommand::Verify => {
            let report = verify::verify(&db).await?;
            for d in &report.differences {
                println!(
                    "member {}: balance {}, ledger sum {}, lots remaining {}, growth {}, growth sum {}",
                    d.member_id, d.balance, d.ledger_sum, d.lots_remaining, d.growth, d.growth_sum
                );
            }
            if !report.differences.is_empty() {
                bail!(
                    "{} of {} members' points do not add up",
                    report.differences.len(),
                    report.members
                );
            }
            println!("points verified: {} members, no difference", report.members);
        }
    }
    Ok(())
}
