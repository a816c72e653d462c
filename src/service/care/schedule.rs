//! A baby's schedule as the engine computes it from the recorded history: the edition and its
//! catalogue, the history loader, the schedule view, and what every change of a baby's history
//! or details stores in its transaction ([`store_next_event_date`]): the baby's next event date
//! and the push engine's follow of the change.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{babies, baby_opt_ins, doses};
use sea_orm::sea_query::{Alias, Expr, Query, UnionType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::access;
use super::babies::BabySex;
use super::opt_ins::opt_ins_of;
use crate::domain::schedule::{
    self, Edition, GivenDose, Programme, ReasonCode, Schedule, ScheduleError, ScheduleInput,
    Status, VerificationLevel,
};
use crate::error::{AppError, ErrorCode};
use crate::service::support::trimmed_pattern;

/// What is recorded for a baby, as the engine needs it.
#[derive(Debug, Clone, Default)]
pub struct History {
    pub doses: Vec<doses::Model>,
    pub opt_ins: Vec<String>,
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

/// A string schema accepting the edition's ids (trimmed) that `keep` keeps, for the contract.
fn vaccine_ids_schema(
    keep: impl Fn(Programme) -> bool,
    description: &str,
) -> utoipa::openapi::Object {
    let data = edition().data();
    let ids: Vec<&str> = data
        .vaccines
        .iter()
        .map(|v| (v.id.as_str(), v.programme))
        .chain(data.products.iter().map(|p| (p.id.as_str(), p.programme)))
        .filter(|(_, programme)| keep(*programme))
        .map(|(id, _)| id)
        .collect();
    let escaped: Vec<String> = ids
        .iter()
        .map(|id| {
            id.chars()
                .flat_map(|c| {
                    let meta = "^$\\.*+?()[]{}|/".contains(c);
                    meta.then_some('\\').into_iter().chain([c])
                })
                .collect()
        })
        .collect();
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .pattern(Some(trimmed_pattern(&format!("(?:{})", escaped.join("|")))))
        .description(Some(format!("{description} One of: {}.", ids.join(", "))))
        .build()
}

/// Any vaccine or product id of the edition.
pub fn vaccine_id_schema() -> utoipa::openapi::Object {
    vaccine_ids_schema(
        |_| true,
        "A vaccine or product id of the schedule edition (`GET /api/v1/vaccines`; \
         `unknown_vaccine` otherwise).",
    )
}

/// The self-paid vaccine and product ids, which may be opted into.
pub fn optional_vaccine_id_schema() -> utoipa::openapi::Object {
    vaccine_ids_schema(
        |p| p == Programme::SelfPaid,
        "A self-paid vaccine or product id (`optional` in `GET /api/v1/vaccines`; \
         `vaccine_not_optional` for free-programme ones, `unknown_vaccine` for others).",
    )
}

pub async fn load_history<C: ConnectionTrait>(db: &C, baby_id: i32) -> Result<History, AppError> {
    Ok(History {
        doses: load_doses(db, baby_id).await?,
        opt_ins: opt_ins_of(db, baby_id).await?,
    })
}

/// A baby's recorded doses in the order they were given.
pub(super) async fn load_doses<C: ConnectionTrait>(
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
    let given = history
        .doses
        .iter()
        .map(|d| GivenDose {
            vaccine: d.vaccine.clone(),
            // Stored doses passed `checked_dose`, so they fit.
            dose: u8::try_from(d.dose).unwrap_or(u8::MAX),
            date: d.given_on,
        })
        .collect();
    input_of(baby, given, history.opt_ins.clone(), as_of)
}

fn input_of(
    baby: &babies::Model,
    given: Vec<GivenDose>,
    opted_in: Vec<String>,
    as_of: NaiveDate,
) -> ScheduleInput {
    let mut input = ScheduleInput::new(baby.birth_date, as_of);
    input.sex = BabySex::of(baby);
    input.opted_in = opted_in;
    input.given = given;
    input
}

/// The engine's refusal of a history the caller is changing, as a 4xx.
fn refused_change(err: ScheduleError) -> AppError {
    match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DuplicateDose { .. } => {
            AppError::new(ErrorCode::DuplicateDose, err.to_string())
        }
        other => AppError::new(schedule_error_code(&other), other.to_string()),
    }
}

/// The registry's entry for an engine refusal.
fn schedule_error_code(err: &ScheduleError) -> ErrorCode {
    match err {
        ScheduleError::InvalidEdition(_) => ErrorCode::InternalError,
        ScheduleError::UnknownVaccine { .. } => ErrorCode::UnknownVaccine,
        ScheduleError::UnknownDose { .. } => ErrorCode::UnknownDose,
        ScheduleError::DoseBeforeBirth { .. } => ErrorCode::DoseBeforeBirth,
        ScheduleError::DuplicateDose { .. } => ErrorCode::DuplicateDose,
        ScheduleError::NotAnAlternative { .. } => ErrorCode::NotAnAlternative,
        ScheduleError::ConflictingAlternatives { .. } => ErrorCode::ConflictingAlternatives,
        ScheduleError::InvalidGivenFormat { .. } => ErrorCode::InvalidGivenFormat,
        ScheduleError::DateOutOfRange => ErrorCode::DateOutOfRange,
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
    compute_view(baby, &schedule_input(baby, history, as_of))
}

/// [`compute_stored`] from a stored history read elsewhere (the push planner reads a page of
/// babies' doses in one query): the doses in the order given, and the opt-ins.
pub fn compute_given(
    baby: &babies::Model,
    given: Vec<GivenDose>,
    opted_in: Vec<String>,
    as_of: NaiveDate,
) -> Result<Schedule, AppError> {
    compute_view(baby, &input_of(baby, given, opted_in, as_of))
}

fn compute_view(baby: &babies::Model, input: &ScheduleInput) -> Result<Schedule, AppError> {
    schedule::compute(edition(), input).map_err(|err| match err {
        ScheduleError::InvalidEdition(_) => {
            AppError::Internal(anyhow::anyhow!("schedule edition is invalid: {err}"))
        }
        ScheduleError::DateOutOfRange => AppError::new(ErrorCode::DateOutOfRange, err.to_string()),
        other => {
            tracing::warn!(baby = baby.id, error = %other, "stored history refused by the edition");
            AppError::new(
                ErrorCode::RecordedHistoryInvalid,
                format!(
                    "the recorded doses no longer fit the schedule: {other}; correct that record"
                ),
            )
        }
    })
}

/// The engine's view of a baby's history in one query: its doses (in the order given) and its
/// opt-ins, as `doses UNION ALL baby_opt_ins`.
async fn read_history<C: ConnectionTrait>(
    db: &C,
    baby_id: i32,
) -> Result<(Vec<GivenDose>, Vec<String>), AppError> {
    let mut given_doses = Query::select();
    given_doses
        .column(doses::Column::Vaccine)
        .expr_as(Expr::col(doses::Column::Dose), Alias::new("dose"))
        .expr_as(Expr::col(doses::Column::GivenOn), Alias::new("given_on"))
        .from(doses::Entity)
        .and_where(doses::Column::BabyId.eq(baby_id));
    let mut opt_ins = Query::select();
    opt_ins
        .column(baby_opt_ins::Column::Vaccine)
        .expr_as(Expr::val(Option::<i32>::None), Alias::new("dose"))
        .expr_as(Expr::val(Option::<NaiveDate>::None), Alias::new("given_on"))
        .from(baby_opt_ins::Entity)
        .and_where(baby_opt_ins::Column::BabyId.eq(baby_id));
    given_doses.union(UnionType::All, opt_ins);
    let statement = db.get_database_backend().build(&given_doses);
    let mut given = Vec::new();
    let mut opted_in = Vec::new();
    for row in db.query_all(statement).await? {
        let vaccine: String = row.try_get("", "vaccine")?;
        let dose: Option<i32> = row.try_get("", "dose")?;
        let date: Option<NaiveDate> = row.try_get("", "given_on")?;
        match (dose, date) {
            (Some(dose), Some(date)) => given.push(GivenDose {
                vaccine,
                // Stored doses passed `checked_dose`, so they fit.
                dose: u8::try_from(dose).unwrap_or(u8::MAX),
                date,
            }),
            _ => opted_in.push(vaccine),
        }
    }
    given.sort_by(|a, b| (a.date, &a.vaccine, a.dose).cmp(&(b.date, &b.vaccine, b.dose)));
    opted_in.sort();
    Ok((given, opted_in))
}

/// After a change made at `now`: stores `schedule`'s next event date on the baby (`schedule`
/// computed as of today), and lets the push engine follow the change (its index, the baby's
/// unsent reminders, a catch-up of the doses still missing).
pub async fn store_next_event_date<C: ConnectionTrait>(
    db: &C,
    baby: babies::Model,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<babies::Model, AppError> {
    super::reminders::on_schedule_changed(db, baby.id, schedule, now).await?;
    let next = schedule::next_event_date(schedule);
    if baby.next_event_date == next {
        return Ok(baby);
    }
    let mut active: babies::ActiveModel = baby.into();
    active.next_event_date = Set(next);
    Ok(active.update(db).await?)
}

/// The baby's schedule as of `as_of` (today in Asia/Shanghai when None).
pub async fn schedule<C: ConnectionTrait>(
    db: &C,
    member_id: i32,
    baby_id: i32,
    as_of: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<ScheduleView, AppError> {
    // Two queries: the baby if the member may see it, and its history.
    let baby = access::visible_baby(db, member_id, baby_id).await?;
    let (given, opted_in) = read_history(db, baby_id).await?;
    let mut input = ScheduleInput::new(baby.birth_date, as_of.unwrap_or(today));
    input.sex = BabySex::of(&baby);
    input.opted_in = opted_in;
    input.given = given;
    let computed = compute_view(&baby, &input)?;
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
