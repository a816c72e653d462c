//! A baby's vaccination records and schedule: recorded doses, self-paid opt-ins, the schedule
//! engine's view of them, and the `next_event_date` the push planner sleeps on.
//!
//! Every change runs in one transaction that first locks the baby
//! ([`baby_service::lock_for_update`]), re-reads the history, checks the changed history with the
//! schedule engine (unknown vaccine or dose, dose before birth, a dose filled twice, also
//! through combination products) and stores the new `next_event_date` with the change.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{babies, baby_opt_ins, doses};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::babies::{self as baby_service, BabySex};
use super::support::{is_unique_violation, optional_text, required_text};
use crate::domain::schedule::{
    self, Edition, GivenDose, Programme, ReasonCode, Schedule, ScheduleError, ScheduleInput,
    Status, VerificationLevel,
};
use crate::error::AppError;

/// At most this many self-paid opt-ins per baby (the edition has a handful).
const MAX_OPT_INS: usize = 20;

/// What is recorded for a baby, as the engine needs it.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub doses: Vec<doses::Model>,
    pub opt_ins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct DoseInput {
    /// A vaccine id (`HepB`, `DTaP`, `PCV13` ...) or a product id counting as doses of several
    /// vaccines (`IPV`, `bOPV`, `DTaP-IPV/Hib` ...); see `GET /api/v1/vaccines`.
    pub vaccine: String,
    /// Dose number, from 1.
    pub dose: i32,
    /// The day it was given (Asia/Shanghai); not before birth, not after today.
    pub date: NaiveDate,
    /// Where it was given, up to 50 characters.
    #[serde(default)]
    pub clinic: Option<String>,
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

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OptInsInput {
    /// Self-paid vaccine or product ids; replaces the current list (empty clears it).
    pub vaccines: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptInsView {
    pub vaccines: Vec<String>,
    pub next_event_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoseState {
    Done,
    Due,
    Overdue,
    NotYetDue,
    NotApplicable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// National immunisation programme (free).
    Nip,
    /// A provincial or local free programme.
    Local,
    /// Paid by the parents; in the schedule because they opted in or recorded a dose.
    SelfPaid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    Unverified,
    Secondary,
    Convention,
    AnnouncementConfirmed,
    OfficialDerived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    MinInterval,
    LiveVaccineInterval,
    CatchUp,
    CatchUpRequiresTest,
    AgeLimit,
    AlternativeChosen,
    NotForSex,
    SeriesComplete,
    SubstitutesMissedDose,
}

/// One dose of the schedule, as the engine computed it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduledDose {
    pub vaccine: String,
    pub dose: u8,
    pub status: DoseState,
    /// First day it may be given; null when not applicable.
    pub earliest: Option<NaiveDate>,
    /// The day to aim for.
    pub recommended: Option<NaiveDate>,
    /// Last day to give it on time; null when the programme sets no limit.
    pub complete_by: Option<NaiveDate>,
    /// Why the dose is not at its plain table date, overdue or not applicable (human text).
    pub reason: Option<String>,
    pub reason_code: Option<Reason>,
    pub given_on: Option<NaiveDate>,
    /// From this day on a pending dose is no longer given (age limit).
    pub not_given_from: Option<NaiveDate>,
    pub programme: Payer,
    /// How well the rule behind this dose was checked against its sources.
    pub verification: Verification,
    pub name_zh: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScheduleView {
    pub baby_id: i32,
    /// The schedule edition used, e.g. `nip-2026`.
    pub edition: String,
    pub as_of: NaiveDate,
    /// The next date after `as_of` on which a dose changes status.
    pub next_event_date: Option<NaiveDate>,
    pub doses: Vec<ScheduledDose>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VaccineInfo {
    pub id: String,
    pub name_zh: String,
    pub programme: Payer,
    /// Number of doses in the series.
    pub doses: u8,
    /// Whether it can be sent in `PUT /api/v1/babies/{id}/opt-ins`.
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductInfo {
    pub id: String,
    pub name_zh: String,
    pub programme: Payer,
    /// Vaccines whose doses a dose of this product counts as.
    pub counts_as: Vec<String>,
    pub optional: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VaccineCatalogue {
    pub edition: String,
    pub vaccines: Vec<VaccineInfo>,
    pub products: Vec<ProductInfo>,
}

impl From<Status> for DoseState {
    fn from(s: Status) -> Self {
        match s {
            Status::Done => DoseState::Done,
            Status::Due => DoseState::Due,
            Status::Overdue => DoseState::Overdue,
            Status::NotYetDue => DoseState::NotYetDue,
            Status::NotApplicable => DoseState::NotApplicable,
        }
    }
}

impl From<Programme> for Payer {
    fn from(p: Programme) -> Self {
        match p {
            Programme::Nip => Payer::Nip,
            Programme::Local => Payer::Local,
            Programme::SelfPaid => Payer::SelfPaid,
        }
    }
}

impl From<VerificationLevel> for Verification {
    fn from(v: VerificationLevel) -> Self {
        match v {
            VerificationLevel::Unverified => Verification::Unverified,
            VerificationLevel::Secondary => Verification::Secondary,
            VerificationLevel::Convention => Verification::Convention,
            VerificationLevel::AnnouncementConfirmed => Verification::AnnouncementConfirmed,
            VerificationLevel::OfficialDerived => Verification::OfficialDerived,
        }
    }
}

impl From<ReasonCode> for Reason {
    fn from(r: ReasonCode) -> Self {
        match r {
            ReasonCode::MinInterval => Reason::MinInterval,
            ReasonCode::LiveVaccineInterval => Reason::LiveVaccineInterval,
            ReasonCode::CatchUp => Reason::CatchUp,
            ReasonCode::CatchUpRequiresTest => Reason::CatchUpRequiresTest,
            ReasonCode::AgeLimit => Reason::AgeLimit,
            ReasonCode::AlternativeChosen => Reason::AlternativeChosen,
            ReasonCode::NotForSex => Reason::NotForSex,
            ReasonCode::SeriesComplete => Reason::SeriesComplete,
            ReasonCode::SubstitutesMissedDose => Reason::SubstitutesMissedDose,
        }
    }
}

pub fn scheduled_dose(d: schedule::DoseStatus) -> ScheduledDose {
    ScheduledDose {
        vaccine: d.vaccine,
        dose: d.dose,
        status: d.status.into(),
        earliest: d.earliest,
        recommended: d.recommended,
        complete_by: d.complete_by,
        reason: d.reason,
        reason_code: d.reason_code.map(Reason::from),
        given_on: d.given_on,
        not_given_from: d.not_given_from,
        programme: d.programme.into(),
        verification: d.verification.into(),
        name_zh: d.name_zh,
    }
}

/// The edition the service computes with.
pub fn edition() -> &'static Edition {
    Edition::current()
}

/// The Chinese name of a vaccine or product id of the edition.
pub fn name_zh(id: &str) -> Option<String> {
    let data = edition().data();
    data.vaccines
        .iter()
        .find(|v| v.id == id)
        .map(|v| v.name_zh.clone())
        .or_else(|| {
            data.products
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name_zh.clone())
        })
}

/// Vaccines and products of the edition, for the dose picker and the opt-in screen.
pub fn catalogue() -> VaccineCatalogue {
    let data = edition().data();
    VaccineCatalogue {
        edition: edition().id().to_owned(),
        vaccines: data
            .vaccines
            .iter()
            .map(|v| VaccineInfo {
                id: v.id.clone(),
                name_zh: v.name_zh.clone(),
                programme: v.programme.into(),
                doses: u8::try_from(v.doses.len()).unwrap_or(u8::MAX),
                optional: v.programme == Programme::SelfPaid,
            })
            .collect(),
        products: data
            .products
            .iter()
            .map(|p| ProductInfo {
                id: p.id.clone(),
                name_zh: p.name_zh.clone(),
                programme: p.programme.into(),
                counts_as: p.counts_as.iter().map(|t| t.vaccine.clone()).collect(),
                optional: p.programme == Programme::SelfPaid,
            })
            .collect(),
    }
}

pub async fn opt_ins_of<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<Vec<String>, AppError> {
    Ok(baby_opt_ins::Entity::find()
        .filter(baby_opt_ins::Column::BabyId.eq(baby_id))
        .order_by_asc(baby_opt_ins::Column::Vaccine)
        .all(db)
        .await?
        .into_iter()
        .map(|o| o.vaccine)
        .collect())
}

pub async fn load_history<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<History, AppError> {
    Ok(History {
        doses: load_doses(db, baby_id).await?,
        opt_ins: opt_ins_of(db, baby_id).await?,
    })
}

/// A baby's recorded doses in the order they were given.
async fn load_doses<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<Vec<doses::Model>, AppError> {
    Ok(doses::Entity::find()
        .filter(doses::Column::BabyId.eq(baby_id))
        .order_by_asc(doses::Column::GivenOn)
        .order_by_asc(doses::Column::Vaccine)
        .order_by_asc(doses::Column::Dose)
        .all(db)
        .await?)
}

fn schedule_input(baby: &babies::Model, history: &History, as_of: NaiveDate) -> ScheduleInput {
    let mut input = ScheduleInput::new(baby.birth_date, as_of);
    input.sex = BabySex::of(baby);
    input.opted_in = history.opt_ins.clone();
    input.given = history
        .doses
        .iter()
        .map(|d| GivenDose {
            vaccine: d.vaccine.clone(),
            // Stored doses passed `checked_dose`, so they fit.
            dose: u8::try_from(d.dose).unwrap_or(u8::MAX),
            date: d.given_on,
        })
        .collect();
    input
}

/// The engine's refusal of a history the caller is changing, as a 4xx.
fn refused_change(err: ScheduleError) -> AppError {
    match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DuplicateDose { .. } => {
            AppError::conflict("duplicate_dose", err.to_string())
        }
        other => AppError::bad_request(other.code(), other.to_string()),
    }
}

/// The schedule of a history being changed: the engine's refusals are the caller's mistakes.
pub fn compute_input(
    baby: &babies::Model,
    history: &History,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    schedule::compute(edition(), &schedule_input(baby, history, as_of)).map_err(refused_change)
}

/// The schedule of a stored history. Stored histories were checked when written, so a refusal
/// here means the edition changed under them: 409 names the record to correct.
pub fn compute_stored(
    baby: &babies::Model,
    history: &History,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    schedule::compute(edition(), &schedule_input(baby, history, as_of)).map_err(|err| match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DateOutOfRange => AppError::bad_request(err.code(), err.to_string()),
        other => {
            tracing::warn!(baby = baby.id, error = %other, "stored history refused by the edition");
            AppError::conflict(
                "recorded_history_invalid",
                format!(
                    "the recorded doses no longer fit the schedule: {other}; correct that record"
                ),
            )
        }
    })
}

/// Stores `schedule`'s next event date on the baby (computed as of today).
pub async fn store_next_event_date<C: ConnectionTrait>(
    db: &C,
    baby: babies::Model,
    schedule: &Schedule,
) -> Result<babies::Model, AppError> {
    // The push engine's index and unsent reminders follow every schedule change.
    super::push::on_schedule_changed(db, baby.id, schedule).await?;
    let next = schedule::next_event_date(schedule);
    if baby.next_event_date == next {
        return Ok(baby);
    }
    let mut active: babies::ActiveModel = baby.into();
    active.next_event_date = Set(next);
    Ok(active.update(db).await?)
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
    let vaccine = required_text(&input.vaccine, 32, "unknown_vaccine", "vaccine")?;
    if !(1..=20).contains(&input.dose) {
        return Err(AppError::bad_request(
            "unknown_dose",
            format!("{vaccine} has no dose {}", input.dose),
        ));
    }
    if input.date > today {
        return Err(AppError::bad_request(
            "dose_in_future",
            format!("date {} is after today ({today})", input.date),
        ));
    }
    if input.date < birth {
        return Err(AppError::bad_request(
            "dose_before_birth",
            format!("date {} is before the birth date {birth}", input.date),
        ));
    }
    Ok(CheckedDose {
        vaccine,
        dose: input.dose,
        date: input.date,
        clinic: optional_text(input.clinic.as_deref(), 50, "invalid_clinic", "clinic")?,
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
        AppError::conflict(
            "duplicate_dose",
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
    baby_service::access(db, member_id, baby_id).await?;
    let txn = db.begin().await?;
    let baby = baby_service::lock_for_update(&txn, baby_id, now).await?;
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
    store_next_event_date(&txn, baby, &schedule).await?;
    txn.commit().await?;
    Ok(dose_view(inserted))
}

pub async fn list_doses<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
) -> Result<Vec<DoseView>, AppError> {
    baby_service::access(db, member_id, baby_id).await?;
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
    AppError::not_found("dose_not_found", "no such dose recorded for this baby")
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
    baby_service::access(db, member_id, baby_id).await?;
    let txn = db.begin().await?;
    let baby = baby_service::lock_for_update(&txn, baby_id, now).await?;
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
    store_next_event_date(&txn, baby, &schedule).await?;
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
    baby_service::access(db, member_id, baby_id).await?;
    let txn = db.begin().await?;
    let baby = baby_service::lock_for_update(&txn, baby_id, now).await?;
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
    store_next_event_date(&txn, baby, &schedule).await?;
    txn.commit().await?;
    Ok(())
}

/// Checks opt-ins against the edition: self-paid vaccines or products only, each once.
fn checked_opt_ins(requested: &[String]) -> Result<Vec<String>, AppError> {
    if requested.len() > MAX_OPT_INS {
        return Err(AppError::bad_request(
            "too_many_opt_ins",
            format!("at most {MAX_OPT_INS} vaccines"),
        ));
    }
    let data = edition().data();
    let mut out: Vec<String> = Vec::new();
    for id in requested.iter().map(|v| v.trim()) {
        let programme = data
            .vaccines
            .iter()
            .find(|v| v.id == id)
            .map(|v| v.programme)
            .or_else(|| {
                data.products
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.programme)
            })
            .ok_or_else(|| {
                AppError::bad_request("unknown_vaccine", format!("unknown vaccine `{id}`"))
            })?;
        if programme != Programme::SelfPaid {
            return Err(AppError::bad_request(
                "vaccine_not_optional",
                format!("`{id}` is in a free programme and always in the schedule"),
            ));
        }
        if !out.iter().any(|o| o == id) {
            out.push(id.to_owned());
        }
    }
    out.sort();
    Ok(out)
}

/// Replaces the baby's self-paid opt-ins; they join the schedule as `programme: self_paid`.
pub async fn set_opt_ins(
    db: &DatabaseConnection,
    member_id: i32,
    baby_id: i32,
    input: &OptInsInput,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<OptInsView, AppError> {
    baby_service::access(db, member_id, baby_id).await?;
    let vaccines = checked_opt_ins(&input.vaccines)?;
    let txn = db.begin().await?;
    let baby = baby_service::lock_for_update(&txn, baby_id, now).await?;
    baby_opt_ins::Entity::delete_many()
        .filter(baby_opt_ins::Column::BabyId.eq(baby_id))
        .exec(&txn)
        .await?;
    if !vaccines.is_empty() {
        baby_opt_ins::Entity::insert_many(vaccines.iter().map(|v| baby_opt_ins::ActiveModel {
            baby_id: Set(baby_id),
            vaccine: Set(v.clone()),
            created_at: Set(now),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let history = History {
        doses: load_doses(&txn, baby_id).await?,
        opt_ins: vaccines.clone(),
    };
    let schedule = compute_input(&baby, &history, today)?;
    let baby = store_next_event_date(&txn, baby, &schedule).await?;
    txn.commit().await?;
    Ok(OptInsView {
        vaccines,
        next_event_date: baby.next_event_date,
    })
}

/// The baby's schedule as of `as_of` (today in Asia/Shanghai when None).
pub async fn schedule<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<ScheduleView, AppError> {
    let baby = baby_service::access(db, member_id, baby_id).await?.baby;
    let history = load_history(db, baby_id).await?;
    let as_of = as_of.unwrap_or(today);
    let computed = compute_stored(&baby, &history, as_of)?;
    Ok(ScheduleView {
        baby_id,
        edition: edition().id().to_owned(),
        as_of: computed.as_of,
        next_event_date: schedule::next_event_date(&computed),
        doses: computed.doses.into_iter().map(scheduled_dose).collect(),
    })
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

    #[test]
    fn only_self_paid_vaccines_can_be_opted_into() {
        let ok = checked_opt_ins(&["PCV13".into(), " EV71".into(), "PCV13".into()]).unwrap();
        assert_eq!(ok, ["EV71", "PCV13"]);
        assert!(checked_opt_ins(&["DTaP-IPV/Hib".into()]).is_ok());
        let code = |v: &str| checked_opt_ins(&[v.into()]).unwrap_err().code();
        assert_eq!(code("HepB"), "vaccine_not_optional");
        assert_eq!(code("IPV"), "vaccine_not_optional");
        assert_eq!(code("Nope"), "unknown_vaccine");
    }

    #[test]
    fn the_catalogue_marks_self_paid_vaccines_optional() {
        let c = catalogue();
        assert_eq!(c.edition, "nip-2026");
        let pcv = c.vaccines.iter().find(|v| v.id == "PCV13").unwrap();
        assert!(pcv.optional && pcv.programme == Payer::SelfPaid);
        assert!(!c.vaccines.iter().find(|v| v.id == "HepB").unwrap().optional);
        assert!(name_zh("IPV").is_some());
    }
}
