//! Recorded doses: add, list, correct, delete. Each change runs in one transaction that first
//! locks the baby and checks the member's access under the lock ([`access::lock_for_write`]),
//! re-reads the history, checks the changed history with the schedule engine (unknown vaccine or
//! dose, dose before birth, a dose filled twice, also through combination products) and stores
//! the new `next_event_date` with the change.

use chrono::{DateTime, NaiveDate, Utc};
use entity::doses;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::access;
use super::schedule::vaccine_id_schema;
use super::schedule::{
    compute_input, compute_stored, load_doses, load_history, name_zh, store_next_event_date,
};
use crate::domain::points::Reason;
use crate::domain::schedule::{Schedule, Status};
use crate::error::{AppError, ErrorCode};
use crate::service::points::earn;
use crate::service::support::{is_unique_violation, optional_text, required_text, text_schema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DoseInput {
    /// A vaccine id (`HepB`, `DTaP`, `PCV13` ...) or a product id counting as doses of several
    /// vaccines (`IPV`, `bOPV`, `DTaP-IPV/Hib` ...); see `GET /api/v1/vaccines`.
    #[schema(schema_with = vaccine_id_schema)]
    pub vaccine: String,
    /// Dose number, from 1 up to the vaccine's `doses` in `GET /api/v1/vaccines`
    /// (`unknown_dose` beyond).
    #[schema(minimum = 1, maximum = 20)]
    pub dose: i32,
    /// The day it was given (Asia/Shanghai); not before birth (`dose_before_birth`), not after
    /// today (`dose_in_future`).
    pub date: NaiveDate,
    #[serde(default)]
    #[schema(schema_with = clinic_schema)]
    pub clinic: Option<String>,
}

const CLINIC_CHARS: usize = 50;

fn clinic_schema() -> utoipa::openapi::Object {
    text_schema(
        CLINIC_CHARS,
        true,
        "Where it was given: up to 50 characters, trimmed, no control characters \
         (`invalid_clinic`); blank or null for none.",
    )
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DoseView {
    pub id: i32,
    pub vaccine: String,
    pub dose: i32,
    pub date: NaiveDate,
    pub clinic: Option<String>,
    /// The vaccine's or product's Chinese name in the schedule edition.
    pub name_zh: Option<String>,
    /// The member who recorded it; null once that member erased their account.
    pub recorded_by: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct CheckedDose {
    vaccine: String,
    dose: i32,
    date: NaiveDate,
    clinic: Option<String>,
}

fn checked_dose(
    input: &DoseInput,
    birth: NaiveDate,
    today: NaiveDate,
) -> Result<CheckedDose, AppError> {
    let vaccine = required_text(&input.vaccine, 32, ErrorCode::UnknownVaccine, "vaccine")?;
    if !(1..=20).contains(&input.dose) {
        return Err(AppError::new(
            ErrorCode::UnknownDose,
            format!("{vaccine} has no dose {}", input.dose),
        ));
    }
    if input.date > today {
        return Err(AppError::new(
            ErrorCode::DoseInFuture,
            format!("date {} is after today ({today})", input.date),
        ));
    }
    if input.date < birth {
        return Err(AppError::new(
            ErrorCode::DoseBeforeBirth,
            format!("date {} is before the birth date {birth}", input.date),
        ));
    }
    Ok(CheckedDose {
        vaccine,
        dose: input.dose,
        date: input.date,
        clinic: optional_text(
            input.clinic.as_deref(),
            CLINIC_CHARS,
            ErrorCode::InvalidClinic,
            "clinic",
        )?,
    })
}

fn dose_view(d: doses::Model) -> DoseView {
    DoseView {
        name_zh: name_zh(&d.vaccine),
        id: d.id,
        vaccine: d.vaccine,
        dose: d.dose,
        date: d.given_on,
        clinic: d.clinic,
        recorded_by: d.recorded_by,
        created_at: d.created_at,
        updated_at: d.updated_at,
    }
}

fn duplicate(err: sea_orm::DbErr) -> AppError {
    if is_unique_violation(&err) {
        AppError::new(
            ErrorCode::DuplicateDose,
            "this dose of this vaccine is already recorded",
        )
    } else {
        err.into()
    }
}

/// Records a dose given to the baby.
pub async fn add_dose(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    input: &DoseInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DoseView, AppError> {
    let txn = db.begin().await?;
    let baby = access::lock_for_write(&txn, member_id, baby_id, now)
        .await?
        .baby;
    let dose = checked_dose(input, baby.birth_date, today)?;
    let mut history = load_history(&txn, baby_id).await?;
    let row = doses::Model {
        id: 0,
        baby_id,
        vaccine: dose.vaccine,
        dose: dose.dose,
        given_on: dose.date,
        clinic: dose.clinic,
        recorded_by: Some(member_id),
        created_at: now,
        updated_at: now,
    };
    history.doses.push(row.clone());
    let schedule = compute_input(&baby, &history, today)?;
    let inserted = doses::ActiveModel {
        baby_id: Set(row.baby_id),
        vaccine: Set(row.vaccine),
        dose: Set(row.dose),
        given_on: Set(row.given_on),
        clinic: Set(row.clinic),
        recorded_by: Set(row.recorded_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(duplicate)?;
    reward_dose(&txn, member_id, &inserted, &schedule, now).await;
    store_next_event_date(&txn, baby, &schedule, now).await?;
    txn.commit().await?;
    Ok(dose_view(inserted))
}

/// Points for recording a dose, once per dose of the baby (`baby:vaccine:dose`: deleting it and
/// recording it again earns nothing more), and for a record complete on time: nothing due or
/// overdue left, and this dose given by its complete-by date.
async fn reward_dose<C: ConnectionTrait + TransactionTrait>(
    txn: &C,
    member_id: i32,
    dose: &doses::Model,
    schedule: &Schedule,
    now: DateTime<Utc>,
) {
    let reference = format!("{}:{}:{}", dose.baby_id, dose.vaccine, dose.dose);
    earn::reward(txn, member_id, Reason::DoseRecorded, &reference, now).await;
    let on_time = schedule
        .doses
        .iter()
        .filter(|d| d.vaccine == dose.vaccine && i32::from(d.dose) == dose.dose)
        .all(|d| d.complete_by.is_none_or(|by| dose.given_on <= by));
    let complete = !schedule
        .doses
        .iter()
        .any(|d| matches!(d.status, Status::Due | Status::Overdue));
    if on_time && complete {
        earn::reward(
            txn,
            member_id,
            Reason::RecordCompleteBeforeDue,
            &reference,
            now,
        )
        .await;
    }
}

pub async fn list_doses<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Vec<DoseView>, AppError> {
    access::access(db, member_id, baby_id).await?;
    doses_of(db, baby_id).await
}

pub async fn doses_of<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<Vec<DoseView>, AppError> {
    Ok(load_doses(db, baby_id)
        .await?
        .into_iter()
        .map(dose_view)
        .collect())
}

fn dose_not_found() -> AppError {
    AppError::new(
        ErrorCode::DoseNotFound,
        "no such dose recorded for this baby",
    )
}

/// Corrects a recorded dose (vaccine, dose number, date or clinic).
pub async fn correct_dose(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    dose_id: i32,
    input: &DoseInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DoseView, AppError> {
    let txn = db.begin().await?;
    let baby = access::lock_for_write(&txn, member_id, baby_id, now)
        .await?
        .baby;
    let dose = checked_dose(input, baby.birth_date, today)?;
    let mut history = load_history(&txn, baby_id).await?;
    let slot = history
        .doses
        .iter_mut()
        .find(|d| d.id == dose_id)
        .ok_or_else(dose_not_found)?;
    slot.vaccine = dose.vaccine;
    slot.dose = dose.dose;
    slot.given_on = dose.date;
    slot.clinic = dose.clinic;
    slot.updated_at = now;
    let corrected = slot.clone();
    let schedule = compute_input(&baby, &history, today)?;
    let mut active: doses::ActiveModel = corrected.clone().into();
    active.vaccine = Set(corrected.vaccine);
    active.dose = Set(corrected.dose);
    active.given_on = Set(corrected.given_on);
    active.clinic = Set(corrected.clinic);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await.map_err(duplicate)?;
    store_next_event_date(&txn, baby, &schedule, now).await?;
    txn.commit().await?;
    Ok(dose_view(updated))
}

pub async fn delete_dose(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    dose_id: i32,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let txn = db.begin().await?;
    let baby = access::lock_for_write(&txn, member_id, baby_id, now)
        .await?
        .baby;
    let deleted = doses::Entity::delete_many()
        .filter(doses::Column::Id.eq(dose_id))
        .filter(doses::Column::BabyId.eq(baby_id))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(dose_not_found());
    }
    let history = load_history(&txn, baby_id).await?;
    let schedule = compute_stored(&baby, &history, today)?;
    store_next_event_date(&txn, baby, &schedule, now).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dose(vaccine: &str, dose: i32, date: &str) -> DoseInput {
        DoseInput {
            vaccine: vaccine.into(),
            dose,
            date: date.parse().unwrap(),
            clinic: None,
        }
    }

    #[test]
    fn doses_are_checked_before_the_engine_sees_them() {
        let birth: NaiveDate = "2026-01-10".parse().unwrap();
        let today: NaiveDate = "2026-03-01".parse().unwrap();
        let code = |d: DoseInput| checked_dose(&d, birth, today).err().map(|e| e.code());
        assert_eq!(code(dose("HepB", 1, "2026-01-10")), None);
        assert_eq!(
            code(dose("HepB", 1, "2026-01-09")),
            Some("dose_before_birth")
        );
        assert_eq!(code(dose("HepB", 2, "2026-03-02")), Some("dose_in_future"));
        assert_eq!(code(dose("HepB", 0, "2026-02-10")), Some("unknown_dose"));
        assert_eq!(code(dose("HepB", 300, "2026-02-10")), Some("unknown_dose"));
        assert_eq!(code(dose(" ", 1, "2026-02-10")), Some("unknown_vaccine"));
    }
}
