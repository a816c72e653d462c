//! What a change of a baby's record does to its reminders: the push planner's index
//! (`push_schedule`) and the unsent outbox rows follow every schedule change, inside the
//! change's transaction, and a caregiver who leaves gets nothing more about the baby. The rules
//! are the push domain's (`crate::domain::push`); the tables are written here so that the care
//! record never depends on the push engine, which reads care.

use chrono::{DateTime, Utc};
use entity::{push_outbox, push_schedule};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

use crate::domain::push::texts::dose_fields;
use crate::domain::push::{FollowUp, OutboxStatus, Verdict, judge_pending, parse_kind};
use crate::domain::schedule::Schedule;
use crate::error::AppError;

/// Called (inside their transaction) by the services that change a baby's doses, opt-ins or
/// details, with the schedule as of today and the time of the change: unsent reminders the
/// change made wrong are cancelled or narrowed to the doses that still need them (the rule:
/// [`judge_pending`]), and the planner looks at the baby again from today, with a catch-up of
/// the doses still missing.
pub async fn on_schedule_changed<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let today = schedule.as_of;
    // The planner looks at the baby again from today (never later than it already would), and
    // names what is missing then. First: on PostgreSQL this waits for a planner holding the
    // baby's row, so the reminders it planned are judged below.
    let existing = push_schedule::Entity::find_by_id(baby_id).one(db).await?;
    let next = existing
        .and_then(|row| row.next_push_date)
        .map_or(today, |d| d.min(today));
    let follow_up = FollowUp::after_change(today);
    push_schedule::Entity::insert(push_schedule::ActiveModel {
        baby_id: Set(baby_id),
        next_push_date: Set(Some(next)),
        follow_up_on: Set(follow_up.on),
        catch_up: Set(follow_up.catch_up),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(push_schedule::Column::BabyId)
            .update_columns([
                push_schedule::Column::NextPushDate,
                push_schedule::Column::FollowUpOn,
                push_schedule::Column::CatchUp,
                push_schedule::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let pending = push_outbox::Entity::find()
        .filter(push_outbox::Column::BabyId.eq(baby_id))
        .filter(push_outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
        .all(db)
        .await?;
    let mut stale = Vec::new();
    for row in pending {
        let Some(kind) = parse_kind(&row.kind) else {
            continue;
        };
        let doses = crate::service::messaging::outbox::row_doses(&row);
        match judge_pending(kind, row.event_date, &doses, schedule) {
            Verdict::Keep => {}
            Verdict::Cancel => stale.push(row.id),
            Verdict::Narrow(still) => {
                let mut payload = serde_json::from_str::<serde_json::Value>(&row.payload)
                    .ok()
                    .and_then(|v| v.as_object().cloned())
                    .unwrap_or_default();
                let event_date = row.event_date.unwrap_or(row.planned_for);
                dose_fields(kind, &still, event_date, row.planned_for).write_into(&mut payload);
                let ids: Vec<_> = still.iter().map(|d| d.id.clone()).collect();
                let (vaccine, dose) = match ids.as_slice() {
                    [one] => (Some(one.vaccine.clone()), Some(i32::from(one.dose))),
                    _ => (None, None),
                };
                let mut active: push_outbox::ActiveModel = row.into();
                active.doses = Set(Some(crate::domain::push::DoseRef::join(&ids)));
                active.vaccine = Set(vaccine);
                active.dose = Set(dose);
                active.payload = Set(serde_json::Value::Object(payload).to_string());
                active.updated_at = Set(now);
                active.update(db).await?;
            }
        }
    }
    if !stale.is_empty() {
        let rows = Condition::all().add(push_outbox::Column::Id.is_in(stale));
        cancel_pending(
            db,
            rows,
            "schedule_changed: doses recorded or their dates moved",
            now,
        )
        .await?;
    }
    Ok(())
}

/// Called (inside its transaction) when `member_id` stops caring for the baby: what was planned
/// for them about it is not sent.
pub async fn on_caregiver_removed<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
    member_id: i32,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let theirs = Condition::all()
        .add(push_outbox::Column::BabyId.eq(baby_id))
        .add(push_outbox::Column::MemberId.eq(member_id));
    cancel_pending(db, theirs, "caregiver_removed", now).await
}

/// Cancels the pending rows `rows` selects, giving `reason`.
async fn cancel_pending<C: ConnectionTrait>(
    db: &C,
    rows: Condition,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    push_outbox::Entity::update_many()
        .col_expr(
            push_outbox::Column::Status,
            Expr::value(OutboxStatus::Cancelled.as_str()),
        )
        .col_expr(push_outbox::Column::LastError, Expr::value(reason))
        .col_expr(push_outbox::Column::UpdatedAt, Expr::value(now))
        .filter(rows)
        .filter(push_outbox::Column::Status.eq(OutboxStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}
