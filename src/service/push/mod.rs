//! The push engine over the database: the planner (messages due on a day, from each baby's
//! next push date), the outbox and its sender, parents' preferences, operator campaigns, and
//! the hook the baby and dose services call when a baby's schedule changes.
//!
//! Pure rules are in `crate::domain::push`; workers in `crate::jobs::push`.

pub mod campaigns;
pub mod outbox;
pub mod planner;
pub mod preferences;
pub mod sender;
pub mod stages;

use chrono::{NaiveDate, TimeZone, Utc};
use entity::{push_outbox, push_schedule};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::domain::push::parse_kind;
use crate::domain::schedule::{Schedule, Status};
use crate::error::AppError;

/// Outbox statuses.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const SENT: &str = "sent";
    pub const FAILED: &str = "failed";
    pub const UNDELIVERABLE: &str = "undeliverable";
    pub const SUPPRESSED: &str = "suppressed";
    pub const CANCELLED: &str = "cancelled";
}

fn midnight_utc(day: NaiveDate) -> chrono::DateTime<Utc> {
    crate::clock::shanghai()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// Called (inside their transaction) by the services that change a baby's doses, opt-ins or
/// details, with the schedule as of today: cancels unsent reminders the change made wrong (the
/// dose is now recorded or not applicable, or its dates moved), and makes the planner look at
/// the baby again from today.
pub async fn on_schedule_changed<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
    schedule: &Schedule,
) -> Result<(), AppError> {
    let today = schedule.as_of;
    let pending = push_outbox::Entity::find()
        .filter(push_outbox::Column::BabyId.eq(baby_id))
        .filter(push_outbox::Column::Status.eq(status::PENDING))
        .all(db)
        .await?;
    let stale: Vec<i64> = pending
        .iter()
        .filter(|row| parse_kind(&row.kind).is_some_and(|k| k.is_dose()))
        .filter(|row| {
            let dose = schedule.doses.iter().find(|d| {
                Some(&d.vaccine) == row.vaccine.as_ref() && Some(i32::from(d.dose)) == row.dose
            });
            // Still right only while the dose is pending and the row's date is still its date.
            !dose.is_some_and(|d| {
                matches!(d.status, Status::NotYetDue | Status::Due | Status::Overdue)
                    && (row.event_date == d.earliest || row.event_date == d.complete_by)
            })
        })
        .map(|row| row.id)
        .collect();
    if !stale.is_empty() {
        push_outbox::Entity::update_many()
            .col_expr(push_outbox::Column::Status, Expr::value(status::CANCELLED))
            .col_expr(
                push_outbox::Column::LastError,
                Expr::value("schedule_changed: dose recorded or its dates moved"),
            )
            .filter(push_outbox::Column::Id.is_in(stale))
            .filter(push_outbox::Column::Status.eq(status::PENDING))
            .exec(db)
            .await?;
    }
    // The planner looks at the baby again from today (never later than it already would).
    let existing = push_schedule::Entity::find_by_id(baby_id).one(db).await?;
    let keep = existing
        .as_ref()
        .and_then(|row| row.next_push_date)
        .is_some_and(|d| d <= today);
    if !keep {
        push_schedule::Entity::insert(push_schedule::ActiveModel {
            baby_id: Set(baby_id),
            next_push_date: Set(Some(today)),
            updated_at: Set(midnight_utc(today)),
        })
        .on_conflict(
            OnConflict::column(push_schedule::Column::BabyId)
                .update_columns([
                    push_schedule::Column::NextPushDate,
                    push_schedule::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}
