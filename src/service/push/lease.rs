//! Leases on singleton jobs (`job_leases`, one row per job): the instance holding an unexpired
//! lease runs the job, renewing the lease while it lives; when its holder dies the lease runs
//! out and the next instance to ask takes it over. One guarded upsert does both (on SQLite and
//! PostgreSQL alike): insert the row, or take it over if it is ours or has expired.

use chrono::{DateTime, Utc};
use entity::job_leases;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::AppError;

/// The lease of the daily push planner.
pub const PLANNER: &str = "push_planner";

/// A name for this process's claim on leases: random, so two instances never share one.
pub fn holder_id() -> String {
    use rand::Rng;
    format!(
        "pid{}-{:016x}",
        std::process::id(),
        rand::thread_rng().r#gen::<u64>()
    )
}

/// Takes or renews the lease `name` for `holder` until `now + ttl`; answers whether `holder`
/// now holds it (false: another holder's lease has not expired).
pub async fn acquire<C: ConnectionTrait>(
    db: &C,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    ttl: chrono::Duration,
) -> Result<bool, AppError> {
    let taken = job_leases::Entity::insert(job_leases::ActiveModel {
        name: Set(name.to_owned()),
        holder: Set(holder.to_owned()),
        expires_at: Set(now + ttl),
    })
    .on_conflict(
        OnConflict::column(job_leases::Column::Name)
            .update_columns([job_leases::Column::Holder, job_leases::Column::ExpiresAt])
            .action_and_where(
                Expr::col((job_leases::Entity, job_leases::Column::Holder))
                    .eq(holder)
                    .or(Expr::col((job_leases::Entity, job_leases::Column::ExpiresAt)).lte(now)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(taken == 1)
}

/// Gives the lease up (a clean stop), so another instance need not wait for it to expire.
pub async fn release<C: ConnectionTrait>(db: &C, name: &str, holder: &str) -> Result<(), AppError> {
    job_leases::Entity::delete_many()
        .filter(job_leases::Column::Name.eq(name))
        .filter(job_leases::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}
